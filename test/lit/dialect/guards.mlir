// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-jvp | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP

// derivative_guard (dialect/guards.py): the operand unchanged, raising JAX's errors
// where JAX does not differentiate the primitive lax composes.

/// Round trip of both kinds.
// CHECK-LABEL: func.func @kinds
//  CHECK-NEXT:   "mirax.derivative_guard"(%{{.+}}) {error = "NotImplementedError", message = "scatter_apply JVP not implemented", refuse = "tangent"} : (tensor<5xf32>) -> tensor<5xf32>
//  CHECK-NEXT:   "mirax.derivative_guard"(%{{.+}}) {error = "ValueError", message = "no reverse mode", refuse = "transpose"} : (tensor<5xf32>) -> tensor<5xf32>
func.func @kinds(%x: tensor<5xf32>) {
  %0 = "mirax.derivative_guard"(%x) {refuse = "tangent", error = "NotImplementedError", message = "scatter_apply JVP not implemented"} : (tensor<5xf32>) -> tensor<5xf32>
  %1 = "mirax.derivative_guard"(%x) {refuse = "transpose", error = "ValueError", message = "no reverse mode"} : (tensor<5xf32>) -> tensor<5xf32>
  return
}

// -----

/// A transpose guard (a general reduce_window's output): the operand itself once
/// lowered; its tangent passes through another guard (forward mode), and vmap keeps it.
// LOWER-LABEL: func.func private @g
//  LOWER-SAME: (%[[X:.+]]: tensor<3xf32>)
//   LOWER-NOT: mirax.derivative_guard
//       LOWER: return %[[X]]
// JVP-LABEL: func.func private @g_jvp_0
//  JVP-SAME: (%[[X:.+]]: tensor<3xf32>, %[[T:.+]]: tensor<3xf32>)
//  JVP-NEXT:   %[[Y:.+]] = "mirax.derivative_guard"(%[[X]]) {error = "ValueError", message = "no reverse mode", refuse = "transpose"}
//  JVP-NEXT:   %[[TY:.+]] = "mirax.derivative_guard"(%[[T]]) {error = "ValueError", message = "no reverse mode", refuse = "transpose"}
//  JVP-NEXT:   return %[[Y]], %[[TY]]
// VMAP-LABEL: func.func private @g_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<2x3xf32>)
//  VMAP-NEXT:   "mirax.derivative_guard"(%[[X]]) {{.+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
func.func private @g(%x: tensor<3xf32>) -> tensor<3xf32> {
  %y = "mirax.derivative_guard"(%x) {refuse = "transpose", error = "ValueError", message = "no reverse mode"} : (tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}
func.func private @g_jvp_0(tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
    attributes {mirax.jvp_of = @g, mirax.active = array<i64: 0>}
func.func private @g_vmap(tensor<2x3xf32>) -> tensor<2x3xf32>
    attributes {mirax.vmap_of = @g, mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 2 : i64}
