// RUN: mirax-opt %s --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --mirax-vmap | FileCheck %s --check-prefix=VMAP
// RUN: mirax-opt %s --mirax-to-linalg | FileCheck %s --check-prefix=LOWER

// A scan (lax.scan) is a declared function naming its body (carry, x, closure) ->
// (carry, y), with its length, direction and how many carries and xs it takes.

/// Reverse mode: the JVP is the scan saving the carry each step starts from, and a
/// tangent scan over those carries (the carry is active: it depends on w); the
/// tangent scan transposes into a reverse scan of the body's VJP, carrying the
/// carry's cotangent and summing w's.
// VJP-LABEL: func.func private @f_vjp_2(
//       VJP:   %[[S:.+]]:3 = call @s_saving_carry(%arg0, %arg1, %arg2)
//       VJP:   call @f_vjp_2_linear_transpose({{.*}}%[[S]]#2, %arg1, %arg2, %arg3, %arg4)
//       VJP: func.func private @s_saving_carry({{.*}}) -> (tensor<f32>, tensor<5xf32>, tensor<5xf32>) attributes {mirax.scan_body = @body_saving_carry
//       VJP: func.func private @s_tangent_0_2({{.*}}) attributes {mirax.active = array<i64: 0, 2>, mirax.scan_body = @body_jvp_0_2_tangent_step, mirax.scan_body_num_xs = 1 : i64, {{.*}}mirax.scan_tangent_of = @body}
// VJP-LABEL: func.func private @f_vjp_2_linear_transpose(
//       VJP:   call @s_tangent_0_2_transpose(
//       VJP:   call @body_vjp_0_2(
//       VJP: func.func private @s_tangent_0_2_transpose({{.*}}) -> (tensor<f32>, tensor<f32>) attributes {mirax.scan_body = @body_vjp_0_2_step, mirax.scan_length = 5 : i64, mirax.scan_num_carry = 2 : i64, mirax.scan_num_xs = 3 : i64, mirax.scan_reverse = true}

/// vmap with the xs batched along 1 (right after the scanned axis): the carry
/// becomes batched (it depends on the xs), the ys are batched along 1.
// VMAP-LABEL: func.func private @f_vmap(
//       VMAP:   %[[C:.+]] = "mirax.broadcast_in_dim"(%arg0)
//       VMAP:   call @s_vmap3_in_0_0_n(%[[C]], %arg1, %arg2) : (tensor<3xf32>, tensor<5x3xf32>, tensor<f32>) -> (tensor<3xf32>, tensor<5x3xf32>)
//       VMAP: func.func private @s_vmap3_in_0_0_n({{.*}}) attributes {mirax.scan_body = @body_vmap3_in_0_0_n_out_0_0,

/// Lowering: a while loop over (step, carry, ys), reading x[i] and writing y[i].
// LOWER-LABEL: func.func private @s(
//       LOWER:   call @s_loop(
// LOWER-LABEL: func.func private @s_step(
//       LOWER:   call @body(
// LOWER-LABEL: func.func private @s_loop(
//       LOWER:   scf.while
func.func private @body(%c: tensor<f32>, %x: tensor<f32>, %w: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mirax.mul"(%c, %w) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mirax.add"(%0, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %2 = "mirax.sin"(%1) : (tensor<f32>) -> tensor<f32>
  return %2, %1 : tensor<f32>, tensor<f32>
}
func.func private @s(tensor<f32>, tensor<5xf32>, tensor<f32>) -> (tensor<f32>, tensor<5xf32>)
    attributes {mirax.scan_body = @body, mirax.scan_length = 5 : i64, mirax.scan_reverse = false,
                mirax.scan_num_carry = 1 : i64, mirax.scan_num_xs = 1 : i64}
func.func private @f(%c: tensor<f32>, %xs: tensor<5xf32>, %w: tensor<f32>) -> (tensor<f32>, tensor<5xf32>) {
  %0:2 = call @s(%c, %xs, %w) : (tensor<f32>, tensor<5xf32>, tensor<f32>) -> (tensor<f32>, tensor<5xf32>)
  return %0#0, %0#1 : tensor<f32>, tensor<5xf32>
}
func.func private @f_vjp_2(tensor<f32>, tensor<5xf32>, tensor<f32>, tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>, tensor<f32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 2>}
func.func private @f_vmap(tensor<f32>, tensor<5x3xf32>, tensor<f32>) -> (tensor<3xf32>, tensor<5x3xf32>)
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: -1, 1, -1>, mirax.out_axes = array<i64: 0, 1>, mirax.axis_size = 3 : i64}
