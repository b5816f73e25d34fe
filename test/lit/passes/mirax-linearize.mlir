// RUN: mirax-opt %s --mirax-linearize --split-input-file | FileCheck %s

/// A declared VJP is derived as JAX does: the JVP of @f splits into the primal
/// computation, which the VJP runs, and the linear tangent computation, which
/// becomes @f_vjp_0_linear (residuals, tangents); the cotangents come from its
/// transpose, declared here for mirax-transpose.
// CHECK-LABEL: func.func private @f_vjp_0(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<3xf32>, %[[Y:[^:]+]]: tensor<3xf32>, %[[CT:[^:]+]]: tensor<f32>)
//       CHECK:   %[[SIN:.+]] = "mirax.sin"(%[[X]])
//       CHECK:   %[[COS:.+]] = "mirax.cos"(%[[X]])
//       CHECK:   %[[OUT:.+]] = "mirax.reduce_sum"
//       CHECK:   %[[G:.+]] = call @f_vjp_0_linear_transpose(%[[COS]], %[[Y]], %[[CT]])
//       CHECK:   return %[[OUT]], %[[G]]
// CHECK-LABEL: func.func private @f_vjp_0_linear(
//  CHECK-SAME: %[[COS:[^:]+]]: tensor<3xf32>, %[[Y:[^:]+]]: tensor<3xf32>, %[[T:[^:]+]]: tensor<3xf32>)
//       CHECK:   %[[A:.+]] = "mirax.mul"(%[[T]], %[[COS]])
//       CHECK:   %[[B:.+]] = "mirax.mul"(%[[A]], %[[Y]])
//       CHECK:   "mirax.reduce_sum"(%[[B]])
// CHECK-LABEL: func.func private @f_vjp_0_linear_transpose
//  CHECK-SAME: attributes {mirax.linear = array<i64: 2>, mirax.transpose_of = @f_vjp_0_linear}
func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.mul"(%0, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mirax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}
func.func private @f_vjp_0(tensor<3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}
