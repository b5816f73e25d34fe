// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// A declared batched function gets a body: x is batched along its dimension 1 and
/// stays there (sin needs no particular layout); y is not batched, so cos(y) is
/// computed once, unbatched, and broadcast only where it meets a batched value.
/// The result's batch dimension moves to out_axes = 0 at the end.
// CHECK-LABEL: func.func private @f_vmap(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<3x5xf32>, %[[Y:[^:]+]]: tensor<3xf32>) -> tensor<5x3xf32>
//       CHECK:   %[[SIN:.+]] = "mirax.sin"(%[[X]]) : (tensor<3x5xf32>) -> tensor<3x5xf32>
//       CHECK:   %[[COS:.+]] = "mirax.cos"(%[[Y]]) : (tensor<3xf32>) -> tensor<3xf32>
//       CHECK:   %[[B:.+]] = "mirax.broadcast_in_dim"(%[[COS]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 3, 5>}
//       CHECK:   %[[SUM:.+]] = "mirax.add"(%[[SIN]], %[[B]]) : (tensor<3x5xf32>, tensor<3x5xf32>)
//       CHECK:   %[[T:.+]] = "mirax.transpose"(%[[SUM]]) {permutation = array<i64: 1, 0>}
//       CHECK:   return %[[T]] : tensor<5x3xf32>
//   CHECK-NOT: mirax.vmap_of
func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.cos"(%y) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mirax.add"(%0, %1) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %2 : tensor<3xf32>
}
func.func private @f_vmap(tensor<3x5xf32>, tensor<3xf32>) -> tensor<5x3xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 5 : i64}

// -----

/// Operands batched along different dimensions meet at the first one's; an output
/// that depends on no batched input is not batched when out_axes says -1.
// CHECK-LABEL: func.func private @g_vmap(
//  CHECK-SAME: %[[A:[^:]+]]: tensor<4x2xf32>, %[[B:[^:]+]]: tensor<2x4xf32>, %[[C:[^:]+]]: tensor<2xf32>)
//       CHECK:   %[[BT:.+]] = "mirax.transpose"(%[[B]]) {permutation = array<i64: 1, 0>}
//       CHECK:   %[[M:.+]] = "mirax.mul"(%[[A]], %[[BT]]) : (tensor<4x2xf32>, tensor<4x2xf32>)
//       CHECK:   %[[N:.+]] = "mirax.neg"(%[[C]]) : (tensor<2xf32>) -> tensor<2xf32>
//       CHECK:   return %[[M]], %[[N]] : tensor<4x2xf32>, tensor<2xf32>
func.func private @g(%a: tensor<2xf32>, %b: tensor<2xf32>, %c: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = "mirax.mul"(%a, %b) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = "mirax.neg"(%c) : (tensor<2xf32>) -> tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
func.func private @g_vmap(tensor<4x2xf32>, tensor<2x4xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>)
    attributes {mirax.vmap_of = @g, mirax.in_axes = array<i64: 0, 1, -1>, mirax.out_axes = array<i64: 0, -1>, mirax.axis_size = 4 : i64}

// -----

/// A call with a batched operand becomes a call of the callee's batched version,
/// declared and derived in turn; the callee's result that depends only on unbatched
/// operands stays unbatched (out_axes -1), and a call with no batched operand is
/// kept as it is.
// CHECK-LABEL: func.func private @caller_vmap(
//       CHECK:   %[[R:.+]]:2 = call @callee_vmap3_in_0_n_out_0_n(%{{.+}}, %{{.+}}) : (tensor<3x2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>)
//       CHECK:   %[[S:.+]]:2 = call @callee(%{{.+}}, %{{.+}}) : (tensor<2xf32>, tensor<2xf32>)
// CHECK-LABEL: func.func private @callee_vmap3_in_0_n_out_0_n(
//       CHECK:   "mirax.exp"({{.+}}) : (tensor<3x2xf32>) -> tensor<3x2xf32>
//       CHECK:   "mirax.log"({{.+}}) : (tensor<2xf32>) -> tensor<2xf32>
func.func private @callee(%x: tensor<2xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = "mirax.exp"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  %1 = "mirax.log"(%y) : (tensor<2xf32>) -> tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
func.func private @caller(%x: tensor<2xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %0:2 = call @callee(%x, %y) : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  %1:2 = call @callee(%y, %y) : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  %2 = "mirax.add"(%0#0, %1#0) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %2, %0#1 : tensor<2xf32>, tensor<2xf32>
}
func.func private @caller_vmap(tensor<3x2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>)
    attributes {mirax.vmap_of = @caller, mirax.in_axes = array<i64: 0, -1>, mirax.out_axes = array<i64: 0, -1>, mirax.axis_size = 3 : i64}

// -----

/// Nested vmap: the inner batched function is derived first, then batched again
/// along a second dimension.
// CHECK-LABEL: func.func private @h_outer(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<4x3x2xf32>) -> tensor<4x3x2xf32>
//       CHECK:   "mirax.tanh"(%[[X]]) : (tensor<4x3x2xf32>) -> tensor<4x3x2xf32>
//   CHECK-NOT:   call
// CHECK-LABEL: func.func private @h_inner(
//  CHECK-SAME: %[[Y:[^:]+]]: tensor<3x2xf32>) -> tensor<3x2xf32>
//       CHECK:   "mirax.tanh"(%[[Y]]) : (tensor<3x2xf32>) -> tensor<3x2xf32>
func.func private @h(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "mirax.tanh"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
func.func private @h_outer(tensor<4x3x2xf32>) -> tensor<4x3x2xf32>
    attributes {mirax.vmap_of = @h_inner, mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 4 : i64}
func.func private @h_inner(tensor<3x2xf32>) -> tensor<3x2xf32>
    attributes {mirax.vmap_of = @h, mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 3 : i64}
