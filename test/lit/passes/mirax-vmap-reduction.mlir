// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// A reduction keeps the batch dimension where it is and renumbers the reduced axes
/// around it: axes 0 and 2 of an element batched along 1 are axes 0 and 3, and the
/// result is batched along 1 - 1 = 0 (one reduced axis ahead of it), as out_axes
/// asks, so nothing moves.
// CHECK-LABEL: func.func private @sum_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x5x4x6xf32>) -> tensor<5x4xf32>
//       CHECK:   %[[R:.+]] = "mirax.reduce_sum"(%[[X]]) {axes = array<i64: 0, 3>} : (tensor<3x5x4x6xf32>) -> tensor<5x4xf32>
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[R]]
func.func private @sum(%x: tensor<3x4x6xf32>) -> tensor<4xf32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 0, 2>} : (tensor<3x4x6xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @sum_vmap(tensor<3x5x4x6xf32>) -> tensor<5x4xf32>
    attributes {mirax.vmap_of = @sum, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 0>}

// -----

/// All axes reduced with the batch last: the axes stay as they were, the result is
/// batched along 0.
// CHECK-LABEL: func.func private @all_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x4x5xi32>) -> tensor<5xi32>
//       CHECK:   %[[R:.+]] = "mirax.reduce_max"(%[[X]]) {axes = array<i64: 0, 1>} : (tensor<3x4x5xi32>) -> tensor<5xi32>
//       CHECK:   return %[[R]]
func.func private @all(%x: tensor<3x4xi32>) -> tensor<i32> {
  %0 = "mirax.reduce_max"(%x) {axes = array<i64: 0, 1>} : (tensor<3x4xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}
func.func private @all_vmap(tensor<3x4x5xi32>) -> tensor<5xi32>
    attributes {mirax.vmap_of = @all, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 2>, mirax.out_axes = array<i64: 0>}

// -----

/// argmax batched along 0: its axis moves up by one, index_dtype is kept.
// CHECK-LABEL: func.func private @arg_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<5x3x4xf32>) -> tensor<5x3xi32>
//       CHECK:   %[[R:.+]] = "mirax.argmax"(%[[X]]) {axes = array<i64: 2>, index_dtype = i32} : (tensor<5x3x4xf32>) -> tensor<5x3xi32>
//       CHECK:   return %[[R]]
func.func private @arg(%x: tensor<3x4xf32>) -> tensor<3xi32> {
  %0 = "mirax.argmax"(%x) {axes = array<i64: 1>, index_dtype = i32} : (tensor<3x4xf32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}
func.func private @arg_vmap(tensor<5x3x4xf32>) -> tensor<5x3xi32>
    attributes {mirax.vmap_of = @arg, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: 0>}

// -----

/// The batch dimension moves only where the output asks: reducing axis 0 of an
/// element batched along 2 leaves it at 1; then argmin's axis 0 stays 0 (ahead of
/// the batch), which leaves it at 0; out_axes 1 transposes once, at the end.
// CHECK-LABEL: func.func private @chain_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3x5x4xf32>) -> tensor<4x5xi64>
//       CHECK:   %[[S:.+]] = "mirax.reduce_min"(%[[X]]) {axes = array<i64: 0>} : (tensor<2x3x5x4xf32>) -> tensor<3x5x4xf32>
//       CHECK:   %[[A:.+]] = "mirax.argmin"(%[[S]]) {axes = array<i64: 0>, index_dtype = i64} : (tensor<3x5x4xf32>) -> tensor<5x4xi64>
//       CHECK:   %[[T:.+]] = "mirax.transpose"(%[[A]]) {permutation = array<i64: 1, 0>}
//       CHECK:   return %[[T]]
func.func private @chain(%x: tensor<2x3x4xf32>) -> tensor<4xi64> {
  %0 = "mirax.reduce_min"(%x) {axes = array<i64: 0>} : (tensor<2x3x4xf32>) -> tensor<3x4xf32>
  %1 = "mirax.argmin"(%0) {axes = array<i64: 0>, index_dtype = i64} : (tensor<3x4xf32>) -> tensor<4xi64>
  return %1 : tensor<4xi64>
}
func.func private @chain_vmap(tensor<2x3x5x4xf32>) -> tensor<4x5xi64>
    attributes {mirax.vmap_of = @chain, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 2>, mirax.out_axes = array<i64: 1>}

// -----

/// A cumulative op keeps the batch dimension in place: an axis at or after it moves
/// up by one, one before it stays; reverse is kept.
// CHECK-LABEL: func.func private @cum_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x5x4xf32>) -> (tensor<3x5x4xf32>, tensor<3x5x4xf32>)
//       CHECK:   %[[A:.+]] = "mirax.cumsum"(%[[X]]) {axis = 2 : i64, reverse = true}
//       CHECK:   %[[B:.+]] = "mirax.cummax"(%[[A]]) {axis = 0 : i64, reverse = false}
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[A]], %[[B]]
func.func private @cum(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = "mirax.cumsum"(%x) {axis = 1 : i64, reverse = true} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = "mirax.cummax"(%0) {axis = 0 : i64, reverse = false} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<3x4xf32>
}
func.func private @cum_vmap(tensor<3x5x4xf32>) -> (tensor<3x5x4xf32>, tensor<3x5x4xf32>)
    attributes {mirax.vmap_of = @cum, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1, 1>}
