// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP

// Round trip of conv_general_dilated, and its lowering: the input to the layout
// (N, spatial..., C), padded and dilated (copied into a strided slice of zeros), a
// generic gathering the patches (group, n, windows..., kernel..., i) through strides
// and rhs dilations in its map, and the patches times the kernel as (spatial..., I, O)
// a matmul (dot_general's lowering).

/// A strided, padded NCHW/OIHW convolution: padding holds (low, high) pairs, flat.
// CHECK-LABEL: func.func @strided
//  CHECK-SAME: (%[[X:.+]]: tensor<1x2x5x5xf32>, %[[W:.+]]: tensor<3x2x3x3xf32>)
//  CHECK-NEXT:   "mirax.conv_general_dilated"(%[[X]], %[[W]]) {batch_group_count = 1 : i64, feature_group_count = 1 : i64, lhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, padding = array<i64: 1, 1, 1, 1>, rhs_dilation = array<i64: 1, 1>, rhs_spec = array<i64: 0, 1, 2, 3>, window_strides = array<i64: 2, 2>} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>

// LOWER-DAG:   #[[PATCH:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2 * 2 + d4, d3 * 2 + d5, d6)>
// LOWER-LABEL: func.func @strided
//       LOWER:   %[[NHWC:.+]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x5x5xf32>) outs({{.*}} : tensor<1x5x5x2xf32>)
//       LOWER:   %[[ZEROS:.+]] = linalg.fill {{.*}} -> tensor<1x7x7x2xf32>
//       LOWER:   %[[VIEW:.+]] = tensor.extract_slice %[[ZEROS]][0, 1, 1, 0] [1, 5, 5, 2] [1, 1, 1, 1]
//       LOWER:   %[[COPY:.+]] = linalg.copy {{.*}} ins(%[[NHWC]] : {{.*}}) outs(%[[VIEW]] : {{.*}})
//       LOWER:   %[[PADDED:.+]] = tensor.insert_slice %[[COPY]] into %[[ZEROS]][0, 1, 1, 0] [1, 5, 5, 2] [1, 1, 1, 1]
//       LOWER:   %[[PATCHES:.+]] = linalg.generic {indexing_maps = [#[[PATCH]], {{.*}}]{{.*}} ins(%[[PADDED]] : tensor<1x7x7x2xf32>) outs({{.*}} : tensor<1x1x3x3x3x3x2xf32>)
//       LOWER:   %[[A:.+]] = tensor.reshape %[[PATCHES]]({{.*}}) : (tensor<1x1x3x3x3x3x2xf32>, tensor<2xindex>) -> tensor<9x18xf32>
//       LOWER:   linalg.generic {{.*}} ins(%[[A]], {{.*}} : tensor<9x18xf32>, tensor<18x3xf32>) outs({{.*}} : tensor<9x3xf32>)
//       LOWER:     math.fma
//       LOWER:   return {{.*}} : tensor<1x3x3x3xf32>
func.func @strided(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 1, batch_group_count = 1} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %0 : tensor<1x3x3x3xf32>
}

// -----

/// 1-D NWC/WIO with two feature groups and both dilations, in bf16: the group picks
/// the input features in the patches' map, the product is a batch_matmul over the
/// groups accumulating in f32.
// CHECK-LABEL: func.func @grouped
//  CHECK-SAME: (%[[X:.+]]: tensor<2x5x4xbf16>, %[[W:.+]]: tensor<3x2x6xbf16>)
//  CHECK-NEXT:   "mirax.conv_general_dilated"(%[[X]], %[[W]]) {batch_group_count = 1 : i64, feature_group_count = 2 : i64, lhs_dilation = array<i64: 2>, lhs_spec = array<i64: 0, 2, 1>, out_spec = array<i64: 0, 2, 1>, padding = array<i64: 0, 0>, rhs_dilation = array<i64: 2>, rhs_spec = array<i64: 2, 1, 0>, window_strides = array<i64: 1>} : (tensor<2x5x4xbf16>, tensor<3x2x6xbf16>) -> tensor<2x5x6xbf16>

// LOWER-DAG:   #[[GROUP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2 + d3 * 2, d4 + d0 * 2)>
// LOWER-LABEL: func.func @grouped
//       LOWER:   tensor.extract_slice {{.*}}[0, 0, 0] [2, 5, 4] [1, 2, 1] : tensor<2x9x4xbf16> to tensor<2x5x4xbf16>
//       LOWER:   linalg.generic {indexing_maps = [#[[GROUP]], {{.*}}]{{.*}} outs({{.*}} : tensor<2x2x5x3x2xbf16>)
//       LOWER:   linalg.batch_matmul ins({{.*}} : tensor<2x10x6xbf16>, tensor<2x6x3xbf16>) outs({{.*}} : tensor<2x10x3xf32>)
//       LOWER:   return {{.*}} : tensor<2x5x6xbf16>
func.func @grouped(%x: tensor<2x5x4xbf16>, %w: tensor<3x2x6xbf16>) -> tensor<2x5x6xbf16> {
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1>, padding = array<i64: 0, 0>, lhs_dilation = array<i64: 2>, rhs_dilation = array<i64: 2>, lhs_spec = array<i64: 0, 2, 1>, rhs_spec = array<i64: 2, 1, 0>, out_spec = array<i64: 0, 2, 1>, feature_group_count = 2, batch_group_count = 1} : (tensor<2x5x4xbf16>, tensor<3x2x6xbf16>) -> tensor<2x5x6xbf16>
  return %0 : tensor<2x5x6xbf16>
}

// -----

/// An empty contraction (no input features) is zeros.
// CHECK-LABEL: func.func @empty
//  CHECK-NEXT:   "mirax.conv_general_dilated"
// LOWER-LABEL: func.func @empty
//  LOWER-NEXT:   arith.constant 0
//  LOWER-NEXT:   tensor.empty() : tensor<2x3x3xi32>
//  LOWER-NEXT:   %[[Z:.+]] = linalg.fill
//  LOWER-NEXT:   return %[[Z]]
func.func @empty(%x: tensor<2x0x4xi32>, %w: tensor<3x0x2xi32>) -> tensor<2x3x3xi32> {
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1>, padding = array<i64: 0, 0>, lhs_dilation = array<i64: 1>, rhs_dilation = array<i64: 1>, lhs_spec = array<i64: 0, 1, 2>, rhs_spec = array<i64: 0, 1, 2>, out_spec = array<i64: 0, 1, 2>, feature_group_count = 1, batch_group_count = 1} : (tensor<2x0x4xi32>, tensor<3x0x2xi32>) -> tensor<2x3x3xi32>
  return %0 : tensor<2x3x3xi32>
}

// -----

/// The kernel's cotangent is a convolution of the input with the result's cotangent
/// (JAX's transpose rule): every spec's first two dimensions swapped, the strides
/// becoming the rhs dilation. vmap of the input folds the mapped dimension into the
/// batch.
// VJP-LABEL: func.func private @k_vjp_1_linear_transpose
//  VJP-SAME: (%[[X:.+]]: tensor<2x3x8xf32>, %[[CT:.+]]: tensor<2x4x4xf32>) -> tensor<4x3x3xf32>
//  VJP-NEXT:   %[[G:.+]] = "mirax.conv_general_dilated"(%[[X]], %[[CT]]) {batch_group_count = 1 : i64, feature_group_count = 1 : i64, lhs_dilation = array<i64: 1>, lhs_spec = array<i64: 1, 0, 2>, out_spec = array<i64: 1, 0, 2>, padding = array<i64: 1, 0>, rhs_dilation = array<i64: 2>, rhs_spec = array<i64: 1, 0, 2>, window_strides = array<i64: 1>} : (tensor<2x3x8xf32>, tensor<2x4x4xf32>) -> tensor<4x3x3xf32>
//  VJP-NEXT:   return %[[G]]
// VMAP-LABEL: func.func private @k_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<5x2x3x8xf32>, %[[W:.+]]: tensor<4x3x3xf32>)
//  VMAP-NEXT:   %[[B:.+]] = "mirax.reshape"(%[[X]]) {new_sizes = array<i64: 10, 3, 8>}
//  VMAP-NEXT:   %[[Y:.+]] = "mirax.conv_general_dilated"(%[[B]], %[[W]]) {{.+}} : (tensor<10x3x8xf32>, tensor<4x3x3xf32>) -> tensor<10x4x4xf32>
//  VMAP-NEXT:   %[[S:.+]] = "mirax.reshape"(%[[Y]]) {new_sizes = array<i64: 5, 2, 4, 4>}
//  VMAP-NEXT:   return %[[S]]
func.func private @k(%x: tensor<2x3x8xf32>, %w: tensor<4x3x3xf32>) -> tensor<2x4x4xf32> {
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 2>, padding = array<i64: 1, 0>, lhs_dilation = array<i64: 1>, rhs_dilation = array<i64: 1>, lhs_spec = array<i64: 0, 1, 2>, rhs_spec = array<i64: 0, 1, 2>, out_spec = array<i64: 0, 1, 2>, feature_group_count = 1, batch_group_count = 1} : (tensor<2x3x8xf32>, tensor<4x3x3xf32>) -> tensor<2x4x4xf32>
  return %0 : tensor<2x4x4xf32>
}
func.func private @k_vjp_1(tensor<2x3x8xf32>, tensor<4x3x3xf32>, tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<4x3x3xf32>)
    attributes {mirax.vjp_of = @k, mirax.active = array<i64: 1>}
func.func private @k_vmap(tensor<5x2x3x8xf32>, tensor<4x3x3xf32>) -> tensor<5x2x4x4xf32>
    attributes {mirax.vmap_of = @k, mirax.axis_size = 5 : i64, mirax.in_axes = array<i64: 0, -1>, mirax.out_axes = array<i64: 0>}

// -----

/// An f32 convolution whose patches would take over 4 MiB (PATCH_CHUNK_BYTES): an
/// scf.for over chunks of 4 images, each padding its images, gathering their patches
/// (a kernel row's taps and features as one run of 3 * 32 elements of the input seen
/// as (n, h, w * c)), multiplying them by the kernel and putting the product into its
/// images of the result.
// LOWER-DAG:   #[[RUNS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d3, d2 * 32 + d4)>
// LOWER-LABEL: func.func @chunked
//       LOWER:   scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (tensor<8x28x28x32xf32>)
//       LOWER:     %[[IMAGES:.+]] = tensor.extract_slice %arg0[%[[I]], 0, 0, 0] [4, 28, 28, 32] [1, 1, 1, 1]
//       LOWER:     %[[PADDED:.+]] = tensor.insert_slice {{.*}} : tensor<4x28x28x32xf32> into tensor<4x30x30x32xf32>
//       LOWER:     %[[ROWS:.+]] = tensor.reshape %[[PADDED]]({{.*}}) : (tensor<4x30x30x32xf32>, tensor<3xindex>) -> tensor<4x30x960xf32>
//       LOWER:     %[[PATCHES:.+]] = linalg.generic {indexing_maps = [#[[RUNS]], {{.*}}]{{.*}} ins(%[[ROWS]] : tensor<4x30x960xf32>) outs({{.*}} : tensor<4x28x28x3x96xf32>)
//       LOWER:     %[[A:.+]] = tensor.reshape %[[PATCHES]]({{.*}}) : (tensor<4x28x28x3x96xf32>, tensor<2xindex>) -> tensor<3136x288xf32>
//       LOWER:     %[[PART:.+]] = linalg.matmul ins(%[[A]], {{.*}} : tensor<3136x288xf32>, tensor<288x32xf32>) outs({{.*}} : tensor<3136x32xf32>)
//       LOWER:     %[[NHWC:.+]] = tensor.reshape %[[PART]]
//       LOWER:     tensor.insert_slice %[[NHWC]] into %[[ACC]][%[[I]], 0, 0, 0] [4, 28, 28, 32] [1, 1, 1, 1]
//       LOWER:   return {{.*}} : tensor<8x28x28x32xf32>
func.func @chunked(%x: tensor<8x28x28x32xf32>, %w: tensor<3x3x32x32xf32>) -> tensor<8x28x28x32xf32> {
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 3, 1, 2>, rhs_spec = array<i64: 3, 2, 0, 1>, out_spec = array<i64: 0, 3, 1, 2>, feature_group_count = 1, batch_group_count = 1} : (tensor<8x28x28x32xf32>, tensor<3x3x32x32xf32>) -> tensor<8x28x28x32xf32>
  return %0 : tensor<8x28x28x32xf32>
}
