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

// -----

/// Partial evaluation of a while loop (x * k until it reaches lim): the primal loop
/// computes the carries; the JVP loop, whose tangents nothing needs (the loop's result
/// only goes through stop_gradient, and an integer carry has none), is dead code and
/// never reaches the transpose.
// CHECK-LABEL: func.func private @g_vjp_0(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<f32>, %[[N:[^:]+]]: tensor<i32>, %[[LIM:[^:]+]]: tensor<f32>, %[[K:[^:]+]]: tensor<f32>, %[[CT:[^:]+]]: tensor<f32>)
//       CHECK:   %[[L:.+]]:2 = call @loop(%[[X]], %[[N]], %[[LIM]], %[[K]])
//       CHECK:   %[[S:.+]] = "mirax.stop_gradient"(%[[L]]#0)
//       CHECK:   %[[F:.+]] = "mirax.convert"(%[[L]]#1)
//       CHECK:   %[[G:.+]] = call @g_vjp_0_linear_transpose(%[[S]], %[[F]], %[[CT]])
// CHECK-LABEL: func.func private @g_vjp_0_linear(
//   CHECK-NOT:   call @loop
//       CHECK:   return
func.func private @cond(%c: tensor<f32>, %i: tensor<i32>, %lim: tensor<f32>) -> tensor<i1> {
  %0 = "mirax.compare"(%c, %lim) {direction = "LT"} : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @body(%c: tensor<f32>, %i: tensor<i32>, %k: tensor<f32>) -> (tensor<f32>, tensor<i32>) {
  %0 = "mirax.mul"(%c, %k) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mirax.constant"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %2 = "mirax.add"(%i, %1) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  return %0, %2 : tensor<f32>, tensor<i32>
}
func.func private @loop(tensor<f32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<i32>)
    attributes {mirax.while_cond = @cond, mirax.while_body = @body}
func.func private @g(%x: tensor<f32>, %n: tensor<i32>, %lim: tensor<f32>, %k: tensor<f32>) -> tensor<f32> {
  %0:2 = call @loop(%x, %n, %lim, %k) : (tensor<f32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<i32>)
  %1 = "mirax.stop_gradient"(%0#0) : (tensor<f32>) -> tensor<f32>
  %2 = "mirax.convert"(%0#1) {new_dtype = f32} : (tensor<i32>) -> tensor<f32>
  %3 = "mirax.mul"(%x, %1) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %4 = "mirax.mul"(%3, %2) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %4 : tensor<f32>
}
func.func private @g_vjp_0(tensor<f32>, tensor<i32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.vjp_of = @g, mirax.active = array<i64: 0>}
