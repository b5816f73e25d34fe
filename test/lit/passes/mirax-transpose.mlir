// RUN: mirax-opt %s --mirax-transpose --split-input-file | FileCheck %s

/// The transpose runs the linear function backwards: reduce_sum's cotangent is a
/// broadcast, mul's is a product with the non-linear operand.
// CHECK-LABEL: func.func private @lin_transpose(
//  CHECK-SAME: %[[C:[^:]+]]: tensor<3xf32>, %[[CT:[^:]+]]: tensor<f32>) -> tensor<3xf32>
//       CHECK:   %[[B:.+]] = "mirax.broadcast_in_dim"(%[[CT]]) {broadcast_dimensions = array<i64>, shape = array<i64: 3>}
//       CHECK:   %[[M:.+]] = "mirax.mul"(%[[B]], %[[C]])
//       CHECK:   return %[[M]]
func.func private @lin(%c: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<f32> {
  %0 = "mirax.mul"(%t, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %1 : tensor<f32>
}
func.func private @lin_transpose(tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
    attributes {mirax.transpose_of = @lin, mirax.linear = array<i64: 1>}

// -----

/// A linear value used twice gets the sum of both cotangents; transpose's cotangent
/// is the inverse permutation, reshape's the reshape back, dot_general's another
/// dot_general with the non-linear operand.
// CHECK-LABEL: func.func private @two_uses_transpose(
//  CHECK-SAME: %[[W:[^:]+]]: tensor<3x4xf32>, %[[CT:[^:]+]]: tensor<2x4xf32>) -> tensor<2x3xf32>
//       CHECK:   "mirax.dot_general"(%[[CT]], %[[W]])
//       CHECK:   "mirax.transpose"
//       CHECK:   "mirax.reshape"
//       CHECK:   "mirax.dot_general"(%[[CT]], %[[W]])
//       CHECK:   %[[SUM:.+]] = "mirax.add"
//       CHECK:   return %[[SUM]]
func.func private @two_uses(%w: tensor<3x4xf32>, %t: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %0 = "mirax.dot_general"(%t, %w) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = "mirax.reshape"(%t) {new_sizes = array<i64: 3, 2>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = "mirax.transpose"(%1) {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %3 = "mirax.dot_general"(%2, %w) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %4 = "mirax.add"(%0, %3) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}
func.func private @two_uses_transpose(tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<2x3xf32>
    attributes {mirax.transpose_of = @two_uses, mirax.linear = array<i64: 1>}

// -----

/// The cotangent of a dense layer's weights is x^T ct: one dot_general contracting the
/// batch dimension, operands in that order so that the product needs no transpose.
// CHECK-LABEL: func.func private @dense_transpose(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<2x3xf32>, %[[CT:[^:]+]]: tensor<2x4xf32>) -> tensor<3x4xf32>
//       CHECK:   %[[DW:.+]] = "mirax.dot_general"(%[[X]], %[[CT]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>}
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[DW]]
func.func private @dense(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = "mirax.dot_general"(%x, %w) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
func.func private @dense_transpose(tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
    attributes {mirax.transpose_of = @dense, mirax.linear = array<i64: 1>}
