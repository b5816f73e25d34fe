// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-jvp | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --split-input-file --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP

// The windowed reductions (dialect/windowed.py): reduce_window with a monoid, and
// select_and_gather_add / select_and_scatter_add, of which max and min's derivatives
// are made. padding holds (low, high) pairs, flat.

/// Round trip. 4x5 base-dilated by (2, 1) is 7x5, padded 8x6; windows 2x2 dilated by
/// (1, 2) span 2x3, at strides (1, 2): 7x2 of them.
// CHECK-LABEL: func.func @windows
//  CHECK-SAME: (%[[X:.+]]: tensor<4x5xf32>, %[[T:.+]]: tensor<4x5xf32>, %[[S:.+]]: tensor<4x3xf32>)
//  CHECK-NEXT:   "mirax.reduce_window"(%[[X]]) {base_dilation = array<i64: 2, 1>, monoid = "add", padding = array<i64: 1, 0, 0, 1>, window_dilation = array<i64: 1, 2>, window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>} : (tensor<4x5xf32>) -> tensor<7x2xf32>
//  CHECK-NEXT:   "mirax.select_and_gather_add"(%[[T]], %[[X]]) {base_dilation = array<i64: 2, 1>, padding = array<i64: 1, 0, 0, 1>, select = "ge", window_dilation = array<i64: 1, 2>, window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>} : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<7x2xf32>
//  CHECK-NEXT:   "mirax.select_and_scatter_add"(%[[S]], %[[X]]) {padding = array<i64: 1, 0, 0, 1>, select = "le", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>} : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>

/// Lowering: the operand padded with the identity (a generic reading it at
/// (i - low) / (dilation)), then one generic over the output (parallel) and the window
/// (reduction), reading at output * stride + window index * window dilation; an unread
/// window-shaped tensor bounds the window loops. The gather folds (tangent, operand)
/// pairs, keeping the running choice while it is >= the next element; the scatter
/// first folds each window to its choice's flat index, then sums, per element, the
/// source of the windows that chose it.
//   LOWER-DAG: #[[READ:.+]] = affine_map<(d0, d1, d2, d3) -> (d0 + d2, d1 * 2 + d3 * 2)>
//   LOWER-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
//   LOWER-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
//   LOWER-DAG: #[[SCATTER_READ:.+]] = affine_map<(d0, d1, d2, d3) -> (d0 + d2, d1 * 2 + d3)>
// LOWER-LABEL: func.func @windows
//       LOWER:   %[[PADDED:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<8x6xf32>)
//       LOWER:   %[[ZEROS:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<7x2xf32>)
//       LOWER:   linalg.generic {indexing_maps = [#[[READ]], #[[WINDOW]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[PADDED]], %{{.+}} : tensor<8x6xf32>, tensor<2x2xi8>) outs(%[[ZEROS]] : tensor<7x2xf32>)
//  LOWER-NEXT:   ^bb0(%[[IN:.+]]: f32, %{{.+}}: i8, %[[ACC:.+]]: f32):
//  LOWER-NEXT:     %[[SUM:.+]] = arith.addf %[[ACC]], %[[IN]] : f32
//  LOWER-NEXT:     linalg.yield %[[SUM]]
//       LOWER:   linalg.generic {indexing_maps = [#[[READ]], #[[READ]], #[[WINDOW]], #[[OUT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
//  LOWER-NEXT:   ^bb0(%[[TV:.+]]: f32, %[[XV:.+]]: f32, %{{.+}}: i8, %[[BEST_T:.+]]: f32, %[[BEST_X:.+]]: f32):
//  LOWER-NEXT:     %[[KEEP:.+]] = arith.cmpf oge, %[[BEST_X]], %[[XV]] : f32
//  LOWER-NEXT:     arith.select %[[KEEP]], %[[BEST_T]], %[[TV]] : f32
//  LOWER-NEXT:     arith.select %[[KEEP]], %[[BEST_X]], %[[XV]] : f32
//       LOWER:   %[[CHOSEN:.+]]:2 = linalg.generic {indexing_maps = [#[[SCATTER_READ]], #[[WINDOW]], #[[OUT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} {{.+}} outs(%{{.+}}, %{{.+}} : tensor<4x3xf32>, tensor<4x3xi64>)
//       LOWER:     arith.cmpf ole
//       LOWER:   linalg.generic {indexing_maps = [#[[WINDOW]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%{{.+}} : tensor<2x2xi8>) outs(%{{.+}} : tensor<4x5xf32>)
//       LOWER:     tensor.extract %[[CHOSEN]]#1
//       LOWER:     tensor.extract %{{.+}} : tensor<4x3xf32>
//       LOWER:     arith.addf
func.func @windows(%x: tensor<4x5xf32>, %t: tensor<4x5xf32>, %s: tensor<4x3xf32>) -> (tensor<7x2xf32>, tensor<7x2xf32>, tensor<4x5xf32>) {
  %sum = "mirax.reduce_window"(%x) {monoid = "add", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>, padding = array<i64: 1, 0, 0, 1>, base_dilation = array<i64: 2, 1>, window_dilation = array<i64: 1, 2>} : (tensor<4x5xf32>) -> tensor<7x2xf32>
  %g = "mirax.select_and_gather_add"(%t, %x) {select = "ge", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>, padding = array<i64: 1, 0, 0, 1>, base_dilation = array<i64: 2, 1>, window_dilation = array<i64: 1, 2>} : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<7x2xf32>
  %sc = "mirax.select_and_scatter_add"(%s, %x) {select = "le", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>, padding = array<i64: 1, 0, 0, 1>} : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  return %sum, %g, %sc : tensor<7x2xf32>, tensor<7x2xf32>, tensor<4x5xf32>
}

// -----

/// A window's max: its tangent is select_and_gather_add's (the tangent where the window
/// chose), whose transpose is select_and_scatter_add; vmap gives the batch dimension a
/// window of one element.
// JVP-LABEL: func.func private @m_jvp_0
//  JVP-SAME: (%[[X:.+]]: tensor<4x5xf32>, %[[T:.+]]: tensor<4x5xf32>)
//  JVP-NEXT:   %[[Y:.+]] = "mirax.reduce_window"(%[[X]]) {{.+}}monoid = "max"
//  JVP-NEXT:   %[[TY:.+]] = "mirax.select_and_gather_add"(%[[T]], %[[X]]) {base_dilation = array<i64: 1, 1>, padding = array<i64: 1, 0, 0, 1>, select = "ge", window_dilation = array<i64: 1, 1>, window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>}
//  JVP-NEXT:   return %[[Y]], %[[TY]]
// VJP-LABEL: func.func private @m_vjp_0_linear_transpose
//  VJP-SAME: (%[[X:.+]]: tensor<4x5xf32>, %[[CT:.+]]: tensor<4x3xf32>)
//  VJP-NEXT:   %[[G:.+]] = "mirax.select_and_scatter_add"(%[[CT]], %[[X]]) {padding = array<i64: 1, 0, 0, 1>, select = "ge", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>} : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
//  VJP-NEXT:   return %[[G]]
// VMAP-LABEL: func.func private @m_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<4x6x5xf32>)
//  VMAP-NEXT:   "mirax.reduce_window"(%[[X]]) {base_dilation = array<i64: 1, 1, 1>, monoid = "max", padding = array<i64: 1, 0, 0, 0, 0, 1>, window_dilation = array<i64: 1, 1, 1>, window_dimensions = array<i64: 2, 1, 2>, window_strides = array<i64: 1, 1, 2>} : (tensor<4x6x5xf32>) -> tensor<4x6x3xf32>
func.func private @m(%x: tensor<4x5xf32>) -> tensor<4x3xf32> {
  %y = "mirax.reduce_window"(%x) {monoid = "max", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>, padding = array<i64: 1, 0, 0, 1>, base_dilation = array<i64: 1, 1>, window_dilation = array<i64: 1, 1>} : (tensor<4x5xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
func.func private @m_jvp_0(tensor<4x5xf32>, tensor<4x5xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>)
    attributes {mirax.jvp_of = @m, mirax.active = array<i64: 0>}
func.func private @m_vjp_0(tensor<4x5xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x5xf32>)
    attributes {mirax.vjp_of = @m, mirax.active = array<i64: 0>}
func.func private @m_vmap(tensor<4x6x5xf32>) -> tensor<4x6x3xf32>
    attributes {mirax.vmap_of = @m, mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1>, mirax.axis_size = 6 : i64}

// -----

/// A window sum is linear; its transpose is JAX's: the cotangent padded (strides as
/// interior padding) and summed over the same windows at strides base_dilation.
// VJP-LABEL: func.func private @s_vjp_0_linear_transpose
//  VJP-SAME: (%[[CT:.+]]: tensor<7x2xf32>)
//  VJP-NEXT:   %[[ZERO:.+]] = "mirax.constant"() {value = dense<0.000000e+00> : tensor<f32>}
//  VJP-NEXT:   %[[P:.+]] = "mirax.pad"(%[[CT]], %[[ZERO]]) {edge_padding_high = array<i64: 1, 2>, edge_padding_low = array<i64: 0, 2>, interior_padding = array<i64: 0, 1>} : (tensor<7x2xf32>, tensor<f32>) -> tensor<8x7xf32>
//  VJP-NEXT:   %[[G:.+]] = "mirax.reduce_window"(%[[P]]) {base_dilation = array<i64: 1, 1>, monoid = "add", padding = array<i64: 0, 0, 0, 0>, window_dilation = array<i64: 1, 2>, window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 1>} : (tensor<8x7xf32>) -> tensor<4x5xf32>
//  VJP-NEXT:   return %[[G]]
func.func private @s(%x: tensor<4x5xf32>) -> tensor<7x2xf32> {
  %y = "mirax.reduce_window"(%x) {monoid = "add", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>, padding = array<i64: 1, 0, 0, 1>, base_dilation = array<i64: 2, 1>, window_dilation = array<i64: 1, 2>} : (tensor<4x5xf32>) -> tensor<7x2xf32>
  return %y : tensor<7x2xf32>
}
func.func private @s_vjp_0(tensor<4x5xf32>, tensor<7x2xf32>) -> (tensor<7x2xf32>, tensor<4x5xf32>)
    attributes {mirax.vjp_of = @s, mirax.active = array<i64: 0>}
