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

// -----

/// scatter with combiner mul, as JAX's: linear in the operand, whose tangent is
/// scattered with the same updates. Ops none of whose operands has a tangent (the
/// integer scatter) are copied as they are: they need no rule.
// CHECK-LABEL: func.func private @m_jvp_0(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<4xf32>, %[[N:[^:]+]]: tensor<4xi32>, %[[I:[^:]+]]: tensor<2x1xi32>, %[[U:[^:]+]]: tensor<2xf32>, %[[V:[^:]+]]: tensor<2xi32>, %[[T:[^:]+]]: tensor<4xf32>)
//       CHECK:   %[[Y:.+]] = "mirax.scatter"(%[[X]], %[[I]], %[[U]]) {combiner = "mul"
//       CHECK:   %[[TY:.+]] = "mirax.scatter"(%[[T]], %[[I]], %[[U]]) {combiner = "mul"
//       CHECK:   %[[K:.+]] = "mirax.scatter"(%[[N]], %[[I]], %[[V]]) {combiner = "max"
//       CHECK:   return %[[Y]], %[[K]], %[[TY]], %{{.+}}
func.func private @m(%x: tensor<4xf32>, %n: tensor<4xi32>, %i: tensor<2x1xi32>, %u: tensor<2xf32>, %v: tensor<2xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "mul", mode = "fill", unique_indices = false} : (tensor<4xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<4xf32>
  %1 = "mirax.scatter"(%n, %i, %v) {update_window_dims = array<i64>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "max", mode = "fill", unique_indices = false} : (tensor<4xi32>, tensor<2x1xi32>, tensor<2xi32>) -> tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}
func.func private @m_jvp_0(tensor<4xf32>, tensor<4xi32>, tensor<2x1xi32>, tensor<2xf32>, tensor<2xi32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi32>)
    attributes {mirax.jvp_of = @m, mirax.active = array<i64: 0>}

// -----

/// scatter max, as JAX's: each window's tangent is the average of the tangents of the
/// values tying for it (counted by scattering ones), added into the operand's tangent.
// CHECK-LABEL: func.func private @e_jvp_0_2(
//  CHECK-SAME: %[[X:[^:]+]]: tensor<4xf32>, %[[I:[^:]+]]: tensor<2x1xi32>, %[[U:[^:]+]]: tensor<2xf32>, %[[TX:[^:]+]]: tensor<4xf32>, %[[TU:[^:]+]]: tensor<2xf32>)
//       CHECK:   "mirax.compare"({{.+}}) {direction = "EQ"}
//       CHECK:   %[[G:.+]] = "mirax.gather"(%[[TX]], %[[I]]
//       CHECK:   %[[R:.+]] = "mirax.scatter"(%[[TX]], %[[I]], %{{.+}}) {combiner = "add"
//       CHECK:   return %{{.+}}, %[[R]]
func.func private @e(%x: tensor<4xf32>, %i: tensor<2x1xi32>, %u: tensor<2xf32>) -> tensor<4xf32> {
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "max", mode = "fill", unique_indices = false} : (tensor<4xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @e_jvp_0_2(tensor<4xf32>, tensor<2x1xi32>, tensor<2xf32>, tensor<4xf32>, tensor<2xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    attributes {mirax.jvp_of = @e, mirax.active = array<i64: 0, 2>}
