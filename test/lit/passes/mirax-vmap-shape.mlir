// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// broadcast_in_dim: the batch (operand dimension 1) goes right after the result
/// dimension of operand dimension 0, so broadcast_dimensions stay increasing and
/// nothing moves.
// CHECK-LABEL: func.func private @b_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x5xf32>)
//  CHECK-NEXT:   %[[R:.+]] = "mirax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 1, 2>, shape = array<i64: 2, 3, 5, 4>} : (tensor<3x5xf32>) -> tensor<2x3x5x4xf32>
//  CHECK-NEXT:   return %[[R]]
func.func private @b(%x: tensor<3xf32>) -> tensor<2x3x4xf32> {
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 2, 3, 4>, broadcast_dimensions = array<i64: 1>} : (tensor<3xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
func.func private @b_vmap(tensor<3x5xf32>) -> tensor<2x3x5x4xf32>
    attributes {mirax.vmap_of = @b, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 2>}

// -----

/// reshape is row-major: the batch moves to dimension 0 first, then leads the new sizes.
// CHECK-LABEL: func.func private @r_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<2x5x3xf32>)
//       CHECK:   %[[T:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 1, 0, 2>}
//       CHECK:   %[[R:.+]] = "mirax.reshape"(%[[T]]) {new_sizes = array<i64: 5, 6>} : (tensor<5x2x3xf32>) -> tensor<5x6xf32>
//       CHECK:   return %[[R]]
func.func private @r(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = "mirax.reshape"(%x) {new_sizes = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
func.func private @r_vmap(tensor<2x5x3xf32>) -> tensor<5x6xf32>
    attributes {mirax.vmap_of = @r, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 0>}

// -----

/// transpose: the batch keeps its place (dimension 1), the permutation around it;
/// out_axes 1 then needs no further move.
// CHECK-LABEL: func.func private @t_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<2x5x3x4xf32>)
//       CHECK:   %[[R:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 3, 1, 0, 2>} : (tensor<2x5x3x4xf32>) -> tensor<4x5x2x3xf32>
//  CHECK-NEXT:   return %[[R]]
func.func private @t(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = "mirax.transpose"(%x) {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}
func.func private @t_vmap(tensor<2x5x3x4xf32>) -> tensor<4x5x2x3xf32>
    attributes {mirax.vmap_of = @t, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1>}

// -----

/// slice: the batch dimension is taken whole.
// CHECK-LABEL: func.func private @s_vmap
//       CHECK:   "mirax.slice"(%{{.+}}) {limit_indices = array<i64: 5, 6, 3>, start_indices = array<i64: 0, 1, 0>, strides = array<i64: 1, 2, 1>} : (tensor<5x7x3xf32>) -> tensor<5x3x3xf32>
func.func private @s(%x: tensor<7x3xf32>) -> tensor<3x3xf32> {
  %0 = "mirax.slice"(%x) {start_indices = array<i64: 1, 0>, limit_indices = array<i64: 6, 3>, strides = array<i64: 2, 1>} : (tensor<7x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}
func.func private @s_vmap(tensor<5x7x3xf32>) -> tensor<5x3x3xf32>
    attributes {mirax.vmap_of = @s, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: 0>}

// -----

/// rev: the reversed dimension shifts past the batch.
// CHECK-LABEL: func.func private @v_vmap
//       CHECK:   "mirax.rev"(%{{.+}}) {dimensions = array<i64: 2>} : (tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
func.func private @v(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = "mirax.rev"(%x) {dimensions = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
func.func private @v_vmap(tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
    attributes {mirax.vmap_of = @v, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1>}

// -----

/// concatenate of a batched and an unbatched operand: the unbatched one is repeated
/// along the batch (where the other has it); the join dimension shifts past it.
// CHECK-LABEL: func.func private @c_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<2x5x3xf32>, %[[Y:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[YB:.+]] = "mirax.broadcast_in_dim"(%[[Y]]) {broadcast_dimensions = array<i64: 0, 2>, shape = array<i64: 2, 5, 4>}
//       CHECK:   "mirax.concatenate"(%[[X]], %[[YB]]) {dimension = 2 : i64} : (tensor<2x5x3xf32>, tensor<2x5x4xf32>) -> tensor<2x5x7xf32>
func.func private @c(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) -> tensor<2x7xf32> {
  %0 = "mirax.concatenate"(%x, %y) {dimension = 1 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}
func.func private @c_vmap(tensor<2x5x3xf32>, tensor<2x4xf32>) -> tensor<2x5x7xf32>
    attributes {mirax.vmap_of = @c, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 1>}

// -----

/// pad with an unbatched padding value: the value stays unbatched, the batch dimension
/// gets no padding.
// CHECK-LABEL: func.func private @p_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x5xf32>, %[[V:.+]]: tensor<f32>)
//       CHECK:   "mirax.pad"(%[[X]], %[[V]]) {edge_padding_high = array<i64: 2, 0>, edge_padding_low = array<i64: 1, 0>, interior_padding = array<i64: 1, 0>} : (tensor<3x5xf32>, tensor<f32>) -> tensor<8x5xf32>
//   CHECK-NOT:   "mirax.select"
func.func private @p(%x: tensor<3xf32>, %v: tensor<f32>) -> tensor<8xf32> {
  %0 = "mirax.pad"(%x, %v) {edge_padding_low = array<i64: 1>, edge_padding_high = array<i64: 2>, interior_padding = array<i64: 1>} : (tensor<3xf32>, tensor<f32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
func.func private @p_vmap(tensor<3x5xf32>, tensor<f32>) -> tensor<8x5xf32>
    attributes {mirax.vmap_of = @p, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 1>}

// -----

/// pad with a batched padding value: pad with zeros, pad a mask of trues with false,
/// and select the padding value where the mask is false.
// CHECK-LABEL: func.func private @pv_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<5x3xf32>, %[[V:.+]]: tensor<5xf32>)
//       CHECK:   %[[P:.+]] = "mirax.pad"(%[[X]], %{{.+}}) {{.+}} -> tensor<5x8xf32>
//       CHECK:   %[[M:.+]] = "mirax.pad"(%{{.+}}, %{{.+}}) {{.+}} : (tensor<5x3xi1>, tensor<i1>) -> tensor<5x8xi1>
//       CHECK:   %[[F:.+]] = "mirax.broadcast_in_dim"(%[[V]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 5, 8>}
//       CHECK:   "mirax.select"(%[[M]], %[[P]], %[[F]])
func.func private @pv(%x: tensor<3xf32>, %v: tensor<f32>) -> tensor<8xf32> {
  %0 = "mirax.pad"(%x, %v) {edge_padding_low = array<i64: 1>, edge_padding_high = array<i64: 2>, interior_padding = array<i64: 1>} : (tensor<3xf32>, tensor<f32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
func.func private @pv_vmap(tensor<5x3xf32>, tensor<5xf32>) -> tensor<5x8xf32>
    attributes {mirax.vmap_of = @pv, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 0, 0>, mirax.out_axes = array<i64: 0>}

// -----

/// dynamic_slice with unbatched start indices: still a dynamic_slice, the indices
/// unbatched, the batch dimension taken whole from a start of 0.
// CHECK-LABEL: func.func private @d_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<4x5x6xf32>, %[[I:.+]]: tensor<i32>, %[[J:.+]]: tensor<i32>)
//       CHECK:   %[[Z:.+]] = "mirax.constant"() {value = dense<0> : tensor<i32>}
//       CHECK:   "mirax.dynamic_slice"(%[[I]], %[[Z]], %[[J]], %[[X]]) {slice_sizes = array<i64: 2, 5, 3>} : (tensor<i32>, tensor<i32>, tensor<i32>, tensor<4x5x6xf32>) -> tensor<2x5x3xf32>
//   CHECK-NOT:   "mirax.gather"
func.func private @d(%x: tensor<4x6xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<2x3xf32> {
  %0 = "mirax.dynamic_slice"(%i, %j, %x) {slice_sizes = array<i64: 2, 3>} : (tensor<i32>, tensor<i32>, tensor<4x6xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
func.func private @d_vmap(tensor<4x5x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x5x3xf32>
    attributes {mirax.vmap_of = @d, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1, -1>, mirax.out_axes = array<i64: 1>}

// -----

/// dynamic_slice with a batched start index: a gather of one index vector per batch
/// element (the unbatched index repeated), operand dimension 1 paired with the index
/// vectors' batch, in mode "clip" (windows clamped into range as dynamic_slice's).
// CHECK-LABEL: func.func private @dg_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<4x5x6xf32>, %[[I:.+]]: tensor<5xi32>, %[[J:.+]]: tensor<i32>)
//       CHECK:   %[[IC:.+]] = "mirax.broadcast_in_dim"(%[[I]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 5, 1>}
//       CHECK:   %[[JC:.+]] = "mirax.broadcast_in_dim"(%[[J]]) {broadcast_dimensions = array<i64>, shape = array<i64: 5, 1>}
//       CHECK:   %[[IDX:.+]] = "mirax.concatenate"(%[[IC]], %[[JC]]) {dimension = 1 : i64} : (tensor<5x1xi32>, tensor<5x1xi32>) -> tensor<5x2xi32>
//       CHECK:   %[[R:.+]] = "mirax.gather"(%[[X]], %[[IDX]], %{{.+}}) {collapsed_slice_dims = array<i64>, mode = "clip", offset_dims = array<i64: 1, 2>, operand_batching_dims = array<i64: 1>, slice_sizes = array<i64: 2, 1, 3>, start_index_map = array<i64: 0, 2>, start_indices_batching_dims = array<i64: 0>} : (tensor<4x5x6xf32>, tensor<5x2xi32>, tensor<f32>) -> tensor<5x2x3xf32>
//   CHECK-NOT:   "mirax.dynamic_slice"
//       CHECK:   return %[[R]]
func.func private @dg(%x: tensor<4x6xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<2x3xf32> {
  %0 = "mirax.dynamic_slice"(%i, %j, %x) {slice_sizes = array<i64: 2, 3>} : (tensor<i32>, tensor<i32>, tensor<4x6xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
func.func private @dg_vmap(tensor<4x5x6xf32>, tensor<5xi32>, tensor<i32>) -> tensor<5x2x3xf32>
    attributes {mirax.vmap_of = @dg, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, 0, -1>, mirax.out_axes = array<i64: 0>}

// -----

/// dynamic_update_slice with unbatched start indices and a batched update: the operand
/// is repeated along the update's batch dimension, the indices stay unbatched.
// CHECK-LABEL: func.func private @u_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<4x6xf32>, %[[U:.+]]: tensor<2x3x5xf32>, %[[I:.+]]: tensor<i64>)
//       CHECK:   %[[Z:.+]] = "mirax.constant"() {value = dense<0> : tensor<i64>}
//       CHECK:   %[[XB:.+]] = "mirax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 0, 1>, shape = array<i64: 4, 6, 5>}
//       CHECK:   "mirax.dynamic_update_slice"(%[[I]], %[[I]], %[[Z]], %[[XB]], %[[U]]) : (tensor<i64>, tensor<i64>, tensor<i64>, tensor<4x6x5xf32>, tensor<2x3x5xf32>) -> tensor<4x6x5xf32>
func.func private @u(%x: tensor<4x6xf32>, %u: tensor<2x3xf32>, %i: tensor<i64>) -> tensor<4x6xf32> {
  %0 = "mirax.dynamic_update_slice"(%i, %i, %x, %u) : (tensor<i64>, tensor<i64>, tensor<4x6xf32>, tensor<2x3xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
func.func private @u_vmap(tensor<4x6xf32>, tensor<2x3x5xf32>, tensor<i64>) -> tensor<4x6x5xf32>
    attributes {mirax.vmap_of = @u, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: -1, 2, -1>, mirax.out_axes = array<i64: 2>}

// -----

/// dynamic_update_slice with a batched start index: a scatter that sets each batch
/// element's window, clamped into range (mode "clip"); the update's batch dimension
/// stays where it is (the scatter dimension of the updates).
// CHECK-LABEL: func.func private @us_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<5x4x6xf32>, %[[U:.+]]: tensor<2x5x3xf32>, %[[I:.+]]: tensor<5xi32>, %[[J:.+]]: tensor<i32>)
//       CHECK:   %[[IDX:.+]] = "mirax.concatenate"
//       CHECK:   %[[R:.+]] = "mirax.scatter"(%[[X]], %[[IDX]], %[[U]]) {combiner = "set", inserted_window_dims = array<i64>, mode = "clip", operand_batching_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 1, 2>, scatter_indices_batching_dims = array<i64: 0>, unique_indices = false, update_window_dims = array<i64: 0, 2>} : (tensor<5x4x6xf32>, tensor<5x2xi32>, tensor<2x5x3xf32>) -> tensor<5x4x6xf32>
//       CHECK:   return %[[R]]
func.func private @us(%x: tensor<4x6xf32>, %u: tensor<2x3xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<4x6xf32> {
  %0 = "mirax.dynamic_update_slice"(%i, %j, %x, %u) : (tensor<i32>, tensor<i32>, tensor<4x6xf32>, tensor<2x3xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
func.func private @us_vmap(tensor<5x4x6xf32>, tensor<2x5x3xf32>, tensor<5xi32>, tensor<i32>) -> tensor<5x4x6xf32>
    attributes {mirax.vmap_of = @us, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 0, 1, 0, -1>, mirax.out_axes = array<i64: 0>}
