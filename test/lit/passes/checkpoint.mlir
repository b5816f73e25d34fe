// RUN: mirax-opt %s --mirax-derive | FileCheck %s --check-prefix=DERIVE
// RUN: mirax-opt %s --mirax-to-linalg | FileCheck %s --check-prefix=LOWER

// A checkpoint (mirax.checkpoint, jax.remat) is a declared function naming its body.

/// Reverse mode: the checkpoint's forward pass, and its tangent part, a checkpoint of
/// the body's tangents, transposed into a checkpoint of the body's VJP at the
/// checkpoint's args (the only residuals): the backward pass recomputes the body.
// DERIVE-LABEL: func.func private @f_vjp_0(
//       DERIVE:   call @c(%arg0, %arg1)
//       DERIVE:   call @f_vjp_0_linear_transpose(%arg0, %arg1, %arg2)
//       DERIVE: func.func private @c_tangent_0({{.*}}) -> tensor<f32> attributes {mirax.active = array<i64: 0>, mirax.checkpoint_body = @body_jvp_0_tangent, mirax.checkpoint_prevent_cse, mirax.checkpoint_tangent_of = @c}
// DERIVE-LABEL: func.func private @f_vjp_0_linear_transpose(
//  DERIVE-SAME:     %[[X:[^:]+]]: tensor<f32>, %[[Y:[^:]+]]: tensor<f32>, %[[CT:[^:]+]]: tensor<f32>
//       DERIVE:   call @c_transpose_0(%[[X]], %[[Y]], %[[CT]])
// DERIVE-LABEL: func.func private @body_vjp_0(
//       DERIVE:   "mirax.mul"
//       DERIVE:   "mirax.sin"
//       DERIVE:   "mirax.cos"
//       DERIVE:   call @body_vjp_0_linear_transpose(
// DERIVE-LABEL: func.func private @body_vjp_0_cotangent(
//       DERIVE:   call @body_vjp_0(
//       DERIVE: func.func private @c_transpose_0({{.*}}) -> tensor<f32> attributes {mirax.checkpoint_body = @body_vjp_0_cotangent, mirax.checkpoint_differentiated, mirax.checkpoint_prevent_cse}

/// Batching: a checkpoint of the batched body.
//       DERIVE: func.func private @c_vmap4_in_0_n_out_0({{.*}}) -> tensor<4xf32> attributes {mirax.checkpoint_body = @body_vmap4_in_0_n_out_0, mirax.checkpoint_prevent_cse}

/// Lowering: a call of the body, kept from the inliner in a recomputation (a
/// differentiated checkpoint), so that CSE does not merge it with the forward pass.
// LOWER-LABEL: func.func private @c(%arg0: tensor<f32>, %arg1: tensor<f32>) -> tensor<f32> {
//  LOWER-NEXT:   %[[R:.+]] = call @body(%arg0, %arg1) : (tensor<f32>, tensor<f32>) -> tensor<f32>
//  LOWER-NEXT:   return %[[R]]
// LOWER-LABEL: func.func private @recompute(%arg0: tensor<f32>, %arg1: tensor<f32>) -> tensor<f32> {
//  LOWER-NEXT:   %[[R:.+]] = call @body(%arg0, %arg1) {no_inline} : (tensor<f32>, tensor<f32>) -> tensor<f32>
//  LOWER-NEXT:   return %[[R]]
func.func private @body(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.mul"(%x, %y) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mirax.sin"(%0) : (tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}
func.func private @c(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mirax.checkpoint_body = @body, mirax.checkpoint_prevent_cse}
func.func private @recompute(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mirax.checkpoint_body = @body, mirax.checkpoint_differentiated, mirax.checkpoint_prevent_cse}
func.func private @f(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = call @c(%x, %y) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @f_vjp_0(tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}
func.func private @f_vmap(tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 4 : i64}
