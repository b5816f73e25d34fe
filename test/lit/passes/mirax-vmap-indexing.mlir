// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// Gather folds the batch into its dimension numbers where the batch already is.
/// Operand and indices both batched: a new pair of batching dimensions (operand 1,
/// indices 0) with slice size 1; the result is batched where the indices' batch
/// dimension lands among its batch dimensions (0).
// CHECK-LABEL: func.func private @gather_both(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<5x7x4xf32>, %[[I:[^:]+]]: tensor<7x3x1xi32>, %[[F:[^:]+]]: tensor<f32>)
//  CHECK-NEXT:   %[[G:.+]] = "mirax.gather"(%[[X]], %[[I]], %[[F]])
//  CHECK-SAME:     collapsed_slice_dims = array<i64: 0>, mode = "fill", offset_dims = array<i64: 2>,
//  CHECK-SAME:     operand_batching_dims = array<i64: 1>, slice_sizes = array<i64: 1, 1, 4>,
//  CHECK-SAME:     start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64: 0>
//  CHECK-SAME:     -> tensor<7x3x4xf32>
//  CHECK-NEXT:   return %[[G]]

/// The operand only: its batch dimension is one more window dimension, of the whole
/// batch (slice size 7), an offset dimension of the result.
// CHECK-LABEL: func.func private @gather_operand(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<7x5x4xf32>, %[[I:[^:]+]]: tensor<3x1xi32>, %[[F:[^:]+]]: tensor<f32>)
//  CHECK-NEXT:   %[[G:.+]] = "mirax.gather"(%[[X]], %[[I]], %[[F]])
//  CHECK-SAME:     collapsed_slice_dims = array<i64: 1>, mode = "fill", offset_dims = array<i64: 0, 2>,
//  CHECK-SAME:     operand_batching_dims = array<i64>, slice_sizes = array<i64: 7, 1, 4>,
//  CHECK-SAME:     start_index_map = array<i64: 1>, start_indices_batching_dims = array<i64>
//  CHECK-SAME:     -> tensor<7x3x4xf32>
//  CHECK-NEXT:   return %[[G]]

/// The indices only: one more batch dimension of the indices, of the result too.
/// Batched along their last dimension, where the index vectors must stay, the
/// indices move the batch next to it: the one move.
// CHECK-LABEL: func.func private @gather_indices(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<5x4xf32>, %[[I:[^:]+]]: tensor<3x1x7xi32>, %[[F:[^:]+]]: tensor<f32>)
//  CHECK-NEXT:   %[[T:.+]] = "mirax.transpose"(%[[I]]) {permutation = array<i64: 0, 2, 1>}
//  CHECK-NEXT:   %[[G:.+]] = "mirax.gather"(%[[X]], %[[T]], %[[F]])
//  CHECK-SAME:     offset_dims = array<i64: 2>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 4>
//  CHECK-SAME:     start_indices_batching_dims = array<i64>
//  CHECK-SAME:     -> tensor<3x7x4xf32>
//  CHECK-NEXT:   return %[[G]]

/// A batched fill value: the gather fills with 0, a gather of True (filling False)
/// says which windows are in range, and a select puts the fill values elsewhere.
// CHECK-LABEL: func.func private @gather_fill(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<5x4xf32>, %[[I:[^:]+]]: tensor<3x1xi32>, %[[F:[^:]+]]: tensor<7xf32>)
//       CHECK:   %[[ZERO:.+]] = "mirax.constant"() {value = dense<0.000000e+00> : tensor<f32>}
//       CHECK:   %[[G:.+]] = "mirax.gather"(%[[X]], %[[I]], %[[ZERO]]) {{.+}} -> tensor<3x4xf32>
//       CHECK:   %[[TRUE:.+]] = "mirax.constant"() {value = dense<true> : tensor<i1>}
//       CHECK:   %[[TRUES:.+]] = "mirax.broadcast_in_dim"(%[[TRUE]]) {{.+}} -> tensor<5x4xi1>
//       CHECK:   %[[FALSE:.+]] = "mirax.constant"() {value = dense<false> : tensor<i1>}
//       CHECK:   %[[IN:.+]] = "mirax.gather"(%[[TRUES]], %[[I]], %[[FALSE]]) {{.+}} -> tensor<3x4xi1>
//       CHECK:   %[[GB:.+]] = "mirax.broadcast_in_dim"(%[[G]]) {{.+}} -> tensor<7x3x4xf32>
//       CHECK:   %[[INB:.+]] = "mirax.broadcast_in_dim"(%[[IN]]) {{.+}} -> tensor<7x3x4xi1>
//       CHECK:   %[[FB:.+]] = "mirax.broadcast_in_dim"(%[[F]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 7, 3, 4>}
//       CHECK:   %[[S:.+]] = "mirax.select"(%[[INB]], %[[GB]], %[[FB]])
//       CHECK:   return %[[S]]
func.func private @gather(%x: tensor<5x4xf32>, %i: tensor<3x1xi32>, %fill: tensor<f32>) -> tensor<3x4xf32> {
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 4>, mode = "fill"} : (tensor<5x4xf32>, tensor<3x1xi32>, tensor<f32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
func.func private @gather_both(tensor<5x7x4xf32>, tensor<7x3x1xi32>, tensor<f32>) -> tensor<7x3x4xf32>
    attributes {mirax.vmap_of = @gather, mirax.in_axes = array<i64: 1, 0, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 7 : i64}
func.func private @gather_operand(tensor<7x5x4xf32>, tensor<3x1xi32>, tensor<f32>) -> tensor<7x3x4xf32>
    attributes {mirax.vmap_of = @gather, mirax.in_axes = array<i64: 0, -1, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 7 : i64}
func.func private @gather_indices(tensor<5x4xf32>, tensor<3x1x7xi32>, tensor<f32>) -> tensor<3x7x4xf32>
    attributes {mirax.vmap_of = @gather, mirax.in_axes = array<i64: -1, 2, -1>, mirax.out_axes = array<i64: 1>, mirax.axis_size = 7 : i64}
func.func private @gather_fill(tensor<5x4xf32>, tensor<3x1xi32>, tensor<7xf32>) -> tensor<7x3x4xf32>
    attributes {mirax.vmap_of = @gather, mirax.in_axes = array<i64: -1, -1, 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 7 : i64}

// -----

/// Scatter writes a batched result, so its operand is batched: broadcast here, where
/// the batched updates can stay (their dimension 2, a window dimension after the
/// rows: the operand's dimension 2). The indices stay unbatched; nothing moves.
// CHECK-LABEL: func.func private @scatter_updates(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<5x4xf32>, %[[I:[^:]+]]: tensor<3x1xi32>, %[[U:[^:]+]]: tensor<3x4x7xf32>)
//  CHECK-NEXT:   %[[XB:.+]] = "mirax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 0, 1>, shape = array<i64: 5, 4, 7>}
//  CHECK-NEXT:   %[[S:.+]] = "mirax.scatter"(%[[XB]], %[[I]], %[[U]])
//  CHECK-SAME:     combiner = "add", inserted_window_dims = array<i64: 0>, mode = "fill",
//  CHECK-SAME:     operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>,
//  CHECK-SAME:     scatter_indices_batching_dims = array<i64>, unique_indices = false, update_window_dims = array<i64: 1, 2>
//  CHECK-SAME:     -> tensor<5x4x7xf32>
//  CHECK-NEXT:   return %[[S]]

/// Batched indices: a batching dimension pair with the operand's, and the updates,
/// unbatched, are broadcast along the indices' batch dimension (their dimension 1).
// CHECK-LABEL: func.func private @scatter_indices(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<7x5x4xf32>, %[[I:[^:]+]]: tensor<3x7x1xi32>, %[[U:[^:]+]]: tensor<3x4xf32>)
//  CHECK-NEXT:   %[[UB:.+]] = "mirax.broadcast_in_dim"(%[[U]]) {broadcast_dimensions = array<i64: 0, 2>, shape = array<i64: 3, 7, 4>}
//  CHECK-NEXT:   %[[S:.+]] = "mirax.scatter"(%[[X]], %[[I]], %[[UB]])
//  CHECK-SAME:     inserted_window_dims = array<i64: 1>, mode = "fill", operand_batching_dims = array<i64: 0>,
//  CHECK-SAME:     scatter_dims_to_operand_dims = array<i64: 1>, scatter_indices_batching_dims = array<i64: 1>,
//  CHECK-SAME:     update_window_dims = array<i64: 2>
//  CHECK-SAME:     -> tensor<7x5x4xf32>
//  CHECK-NEXT:   return %[[S]]
func.func private @scatter(%x: tensor<5x4xf32>, %i: tensor<3x1xi32>, %u: tensor<3x4xf32>) -> tensor<5x4xf32> {
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "add", mode = "fill", unique_indices = false} : (tensor<5x4xf32>, tensor<3x1xi32>, tensor<3x4xf32>) -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}
func.func private @scatter_updates(tensor<5x4xf32>, tensor<3x1xi32>, tensor<3x4x7xf32>) -> tensor<5x4x7xf32>
    attributes {mirax.vmap_of = @scatter, mirax.in_axes = array<i64: -1, -1, 2>, mirax.out_axes = array<i64: 2>, mirax.axis_size = 7 : i64}
func.func private @scatter_indices(tensor<7x5x4xf32>, tensor<3x7x1xi32>, tensor<3x4xf32>) -> tensor<7x5x4xf32>
    attributes {mirax.vmap_of = @scatter, mirax.in_axes = array<i64: 0, 1, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 7 : i64}

// -----

/// derivative_guard (scatter_apply's) passes the operand through, batch dimension and
/// all.
// CHECK-LABEL: func.func private @guarded_batched(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<5x7xf32>)
//  CHECK-NEXT:   %[[U:.+]] = "mirax.derivative_guard"(%[[X]]) {error = "NotImplementedError", message = "scatter_apply JVP not implemented", refuse = "tangent"} : (tensor<5x7xf32>) -> tensor<5x7xf32>
//  CHECK-NEXT:   return %[[U]]
func.func private @guarded(%x: tensor<5xf32>) -> tensor<5xf32> {
  %0 = "mirax.derivative_guard"(%x) {refuse = "tangent", error = "NotImplementedError", message = "scatter_apply JVP not implemented"} : (tensor<5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}
func.func private @guarded_batched(tensor<5x7xf32>) -> tensor<5x7xf32>
    attributes {mirax.vmap_of = @guarded, mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1>, mirax.axis_size = 7 : i64}
