// RUN: mirax-opt %s --mirax-jvp --split-input-file | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --mirax-linearize --mirax-transpose --split-input-file | FileCheck %s --check-prefix=VJP

// Custom derivative rules ride on the function a custom_jvp/custom_vjp call calls
// (dialect/transformations.py): mirax-jvp calls the rules instead of differentiating it.

/// custom_jvp: the JVP calls the rule on the primal and its tangent; @f's own body
/// (here the rule with a zero tangent) is not differentiated.
// JVP-LABEL: func.func private @g_jvp_0(%arg0: tensor<f32>, %arg1: tensor<f32>)
//       JVP:   %[[R:.+]]:2 = call @f_rule(%arg0, %arg1) : (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
//       JVP:   return %[[R]]#0, %[[R]]#1
func.func private @f_rule(%x: tensor<f32>, %t: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mirax.mul"(%t, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
func.func private @f(%x: tensor<f32>) -> tensor<f32> attributes {mirax.jvp_rule = @f_rule, mirax.num_primals = 1 : i64} {
  %zero = "mirax.constant"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %0:2 = call @f_rule(%x, %zero) : (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
  return %0#0 : tensor<f32>
}
func.func private @g(%x: tensor<f32>) -> tensor<f32> {
  %0 = call @f(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @g_jvp_0(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @g, mirax.active = array<i64: 0>}

// -----

/// custom_vjp: the JVP calls the forward pass and declares the linear part, which
/// forward mode cannot evaluate (no body) and mirax-transpose transposes by the
/// backward pass: the VJP's cotangent is bwd(residual, output cotangent).
// JVP-LABEL: func.func private @h_jvp_0(%arg0: tensor<f32>, %arg1: tensor<f32>)
//       JVP:   %[[F:.+]]:2 = call @f_fwd(%arg0) : (tensor<f32>) -> (tensor<f32>, tensor<f32>)
//       JVP:   %[[T:.+]] = call @f_custom_lin(%[[F]]#1, %arg1)
//       JVP:   return %[[F]]#0, %[[T]]
//       JVP: func.func private @f_custom_lin(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mirax.custom_lin_of = @f}
// VJP-LABEL: func.func private @h_vjp_0(%arg0: tensor<f32>, %arg1: tensor<f32>)
//       VJP:   %[[F:.+]]:2 = call @f_fwd(%arg0)
//       VJP:   %[[G:.+]] = call @h_vjp_0_linear_transpose(%[[F]]#1, %arg1)
//       VJP:   return %[[F]]#0, %[[G]]
// VJP-LABEL: func.func private @h_vjp_0_linear_transpose(%arg0: tensor<f32>, %arg1: tensor<f32>)
//       VJP:   %[[B:.+]] = call @f_bwd(%arg0, %arg1)
//       VJP:   return %[[B]]
func.func private @f_fwd(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mirax.cos"(%x) : (tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
func.func private @f_bwd(%cos: tensor<f32>, %ct: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.mul"(%cos, %ct) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @f(%x: tensor<f32>) -> tensor<f32>
    attributes {mirax.vjp_fwd = @f_fwd, mirax.vjp_bwd = @f_bwd, mirax.num_primals = 1 : i64} {
  %0:2 = call @f_fwd(%x) : (tensor<f32>) -> (tensor<f32>, tensor<f32>)
  return %0#0 : tensor<f32>
}
func.func private @h(%x: tensor<f32>) -> tensor<f32> {
  %0 = call @f(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @h_jvp_0(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @h, mirax.active = array<i64: 0>}
func.func private @h_vjp_0(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.vjp_of = @h, mirax.active = array<i64: 0>}
