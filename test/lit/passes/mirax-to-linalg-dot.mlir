// RUN: mirax-opt %s --split-input-file --mirax-to-linalg --canonicalize | FileCheck %s

// dot_general's lowering folds transposes of a matrix-vector product's operands into
// its dimension numbers.

/// jnp.dot(a.T, x) longer than 256: the product reads a in place, by rows, summing
/// each row into a vector of results (fused multiply-adds), not a copy of a transposed.
// CHECK-LABEL: func.func @transposed_matrix
//  CHECK-SAME: (%[[A:.+]]: tensor<512x8xf32>, %[[X:.+]]: tensor<512xf32>)
//   CHECK-NOT:   tensor.empty() : tensor<8x512xf32>
//       CHECK:   linalg.generic
//  CHECK-SAME:       iterator_types = ["parallel", "reduction", "parallel"]
//  CHECK-SAME:       ins(%[[A]], %[[X]], %{{.+}} : tensor<512x8xf32>, tensor<512xf32>, tensor<256xi8>)
//       CHECK:     math.fma
func.func @transposed_matrix(%a: tensor<512x8xf32>, %x: tensor<512xf32>) -> tensor<8xf32> {
  %t = "mirax.transpose"(%a) {permutation = array<i64: 1, 0>} : (tensor<512x8xf32>) -> tensor<8x512xf32>
  %0 = "mirax.dot_general"(%t, %x) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<8x512xf32>, tensor<512xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

/// A transpose that reorders an operand's free dimensions stays: folded, the result's
/// layout would change.
// CHECK-LABEL: func.func @free_dimensions_swapped
//       CHECK:   linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]}
//  CHECK-NEXT:   ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
//  CHECK-NEXT:     linalg.yield %[[IN]] : f32
func.func @free_dimensions_swapped(%a: tensor<2x3x4xf32>, %x: tensor<4xf32>) -> tensor<3x2xf32> {
  %t = "mirax.transpose"(%a) {permutation = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %0 = "mirax.dot_general"(%t, %x) {lhs_contracting_dimensions = array<i64: 2>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<3x2x4xf32>, tensor<4xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
