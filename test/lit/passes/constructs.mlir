// RUN: mirax-opt %s --mirax-derive | FileCheck %s --check-prefix=DERIVE
// RUN: mirax-opt %s --mirax-derive --mirax-to-linalg | FileCheck %s --check-prefix=LOWER

// Constructs nest: a cond in a scan's body. Each pass finds the rule of a called
// construct in dialect/rules.py's `constructs`, as it finds an op's, whatever calls
// it: here mirax-derive derives the VJP of the scan (the body's VJP, then the cond's
// branches' VJPs inside it) and the batched scan (the batched body, then the batched
// cond), and mirax-to-linalg lowers every construct left.

/// Reverse mode: the tangent scan transposes into a reverse scan of the body's VJP,
/// whose tangent cond transposes into a cond of the branches' VJPs. vmap: the batched
/// scan's body calls the batched cond (its index unbatched). Nothing left pending.
// DERIVE-LABEL: func.func private @f_vjp_0(
//       DERIVE:   call @s_saving_carry(
//       DERIVE: func.func private @s_tangent_0_transpose({{.*}} attributes {mirax.scan_body = @body_vjp_0_step
// DERIVE-LABEL: func.func private @body_vmap4_in_0_0_out_0_0(
//       DERIVE:   call @c_vmap4_in_0(
//       DERIVE: func.func private @c_vmap4_in_0({{.*}} attributes {mirax.cond_branches = [@b0_vmap4_in_0_out_0, @b1_vmap4_in_0_out_0]}
// DERIVE-LABEL: func.func private @body_vjp_0_linear_transpose(
//       DERIVE:   call @c_transpose_0(
//       DERIVE: func.func private @c_transpose_0({{.*}} attributes {mirax.cond_branches = [@b0_vjp_0_cotangent, @b1_vjp_0_cotangent]}
//   DERIVE-NOT: mirax.{{jvp|vjp|transpose|vmap}}_of

/// Lowering: no construct left, every one with its scf body.
//   LOWER-NOT: mirax.{{scan_body|cond_branches|while_cond}} =
//       LOWER: scf.while
//   LOWER-NOT: mirax.{{scan_body|cond_branches|while_cond}} =
func.func private @b0(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @b1(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.mul"(%x, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @c(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mirax.cond_branches = [@b0, @b1]}
func.func private @body(%carry: tensor<f32>, %x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %i = "mirax.constant"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %0 = call @c(%i, %carry) : (tensor<i32>, tensor<f32>) -> tensor<f32>
  %1 = "mirax.add"(%0, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<f32>
}
func.func private @s(tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>)
    attributes {mirax.scan_body = @body, mirax.scan_length = 5 : i64, mirax.scan_reverse = false,
                mirax.scan_num_carry = 1 : i64, mirax.scan_num_xs = 1 : i64}
func.func private @f(%c: tensor<f32>, %xs: tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>) {
  %0:2 = call @s(%c, %xs) : (tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>)
  return %0#0, %0#1 : tensor<f32>, tensor<5xf32>
}
func.func @main(%c: tensor<f32>, %xs: tensor<5xf32>, %ct: tensor<f32>, %cts: tensor<5xf32>, %cs: tensor<4xf32>,
                %xss: tensor<5x4xf32>) -> (tensor<f32>, tensor<4xf32>, tensor<5x4xf32>) {
  %0:3 = call @f_vjp_0(%c, %xs, %ct, %cts) : (tensor<f32>, tensor<5xf32>, tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>, tensor<f32>)
  %1:2 = call @f_vmap(%cs, %xss) : (tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5x4xf32>)
  return %0#2, %1#0, %1#1 : tensor<f32>, tensor<4xf32>, tensor<5x4xf32>
}
func.func private @f_vjp_0(tensor<f32>, tensor<5xf32>, tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>, tensor<f32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}
func.func private @f_vmap(tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5x4xf32>)
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 1>, mirax.out_axes = array<i64: 0, 1>, mirax.axis_size = 4 : i64}
