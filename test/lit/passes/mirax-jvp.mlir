// RUN: mirax-opt %s --mirax-jvp --split-input-file | FileCheck %s

/// A declared JVP gets a body: each op, then its tangent by the op's JVP rule. Only
/// argument 0 is active, so y's tangent is a symbolic zero and mul's rule emits one
/// product, not two.
// CHECK-LABEL: func.func private @f_jvp_0
//  CHECK-SAME: (%[[X:.+]]: tensor<3xf32>, %[[Y:.+]]: tensor<3xf32>, %[[T:.+]]: tensor<3xf32>)
//       CHECK:   %[[SIN:.+]] = "mirax.sin"(%[[X]])
//       CHECK:   %[[COS:.+]] = "mirax.cos"(%[[X]])
//       CHECK:   %[[TSIN:.+]] = "mirax.mul"(%[[T]], %[[COS]])
//       CHECK:   %[[OUT:.+]] = "mirax.mul"(%[[SIN]], %[[Y]])
//       CHECK:   %[[TOUT:.+]] = "mirax.mul"(%[[TSIN]], %[[Y]])
//   CHECK-NOT:   "mirax.mul"
//       CHECK:   return %[[OUT]], %[[TOUT]]
//   CHECK-NOT: mirax.jvp_of
func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.mul"(%0, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}
func.func private @f_jvp_0(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 0>}

// -----

/// A call inside the differentiated function becomes a call of its callee's JVP,
/// declared and derived in turn; outputs with no tangent get zeros at the boundary.
// CHECK-LABEL: func.func private @g_jvp_0
//       CHECK:   %[[R:.+]]:2 = call @h_jvp_0(%{{.+}}, %{{.+}})
//       CHECK:   %[[Z:.+]] = "mirax.constant"() {value = dense<0.000000e+00> : tensor<f32>}
//       CHECK:   return %[[R]]#0, %{{.+}}, %[[R]]#1, %[[Z]]
// CHECK-LABEL: func.func private @h_jvp_0
//       CHECK:   "mirax.exp"
func.func private @h(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @g(%x: tensor<f32>, %c: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = call @h(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mirax.neg"(%c) : (tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
func.func private @g_jvp_0(tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @g, mirax.active = array<i64: 0>}

// -----

/// The JVP of a JVP (a second derivative): the inner declaration is derived first,
/// then differentiated again; cos's rule brings in -sin.
// CHECK-LABEL: func.func private @s_jvp_0(
//       CHECK:   "mirax.cos"
// CHECK-LABEL: func.func private @s_jvp_0_jvp_0_1
//       CHECK:   %[[SIN:.+]] = "mirax.sin"
//       CHECK:   "mirax.neg"
//   CHECK-NOT: mirax.jvp_of
func.func private @s(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @s_jvp_0(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @s, mirax.active = array<i64: 0>}
func.func private @s_jvp_0_jvp_0_1(tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @s_jvp_0, mirax.active = array<i64: 0, 1>}
