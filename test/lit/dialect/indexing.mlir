// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of gather and scatter, with XLA's dimension numbers.

/// x[idx] on rows: each index vector (the last dimension of the indices) picks a
/// 1x3 window whose dimension 0 is collapsed; mode "fill" reads the 0-d fill
/// value operand out of range.
// CHECK-LABEL: func.func @gather
//  CHECK-SAME: (%[[X:.+]]: tensor<5x3xf32>, %[[I:.+]]: tensor<4x1xi32>, %[[FILL:.+]]: tensor<f32>)
//  CHECK-NEXT:   "mirax.gather"(%[[X]], %[[I]], %[[FILL]]) {collapsed_slice_dims = array<i64: 0>, mode = "fill", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<f32>) -> tensor<4x3xf32>
func.func @gather(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %fill: tensor<f32>) {
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, mode = "fill"} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

/// x.at[idx].add(updates): windows of updates combined into the operand's rows.
// CHECK-LABEL: func.func @scatter
//  CHECK-SAME: (%[[X:.+]]: tensor<5x3xf32>, %[[I:.+]]: tensor<4x1xi32>, %[[U:.+]]: tensor<4x3xf32>)
//  CHECK-NEXT:   "mirax.scatter"(%[[X]], %[[I]], %[[U]]) {combiner = "add", inserted_window_dims = array<i64: 0>, mode = "clip", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, unique_indices = false, update_window_dims = array<i64: 1>} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<5x3xf32>
func.func @scatter(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) {
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "add", mode = "clip", unique_indices = false} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return
}

// -----

/// Without index vectors no window is read, so windows of 1 of an empty operand verify
/// (as JAX's gather: the derivative of a sort of an empty array reads them).
// CHECK-LABEL: func.func @gather_no_index_vectors
//  CHECK-NEXT:   "mirax.gather"({{.*}}) {{.*}}slice_sizes = array<i64: 1>{{.*}} : (tensor<0xf32>, tensor<0x1xi32>, tensor<f32>) -> tensor<0xf32>
func.func @gather_no_index_vectors(%x: tensor<0xf32>, %i: tensor<0x1xi32>, %fill: tensor<f32>) {
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1>, mode = "clip"} : (tensor<0xf32>, tensor<0x1xi32>, tensor<f32>) -> tensor<0xf32>
  return
}
