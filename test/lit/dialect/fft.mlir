// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP

// Round trip of fft, and its lowering: the real and imaginary parts, each axis read 16
// rows at a time, transposed to [n, 16] (float transposes), transformed by Stockham
// passes on vectors of the 16 columns (rows of 17 floats: power-of-two strides would
// alias in the cache), transposed back into the result (the chunks on threads where
// there are enough of them, the transposes by 16 x 16 blocks in registers where a
// side is 16); a length that is not a power of two by Bluestein's algorithm (a
// zero-padded power-of-two FFT).

/// A complex FFT of 16 rows of 8: one chunk of rows, a radix-4 pass (no twiddles) then
/// a radix-2 one with its twiddles w^(p t) [4, 2] (scf.for over the butterflies reading
/// and writing vectors of the 16 rows).
// CHECK-LABEL: func.func @fft
//  CHECK-SAME: (%[[X:.+]]: tensor<16x8xcomplex<f32>>)
//  CHECK-NEXT:   "mirax.fft"(%[[X]]) {fft_lengths = array<i64: 8>, fft_type = "FFT"} : (tensor<16x8xcomplex<f32>>) -> tensor<16x8xcomplex<f32>>

// LOWER-DAG:   #[[T:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// LOWER-LABEL: func.func @fft
//       LOWER:   %[[SPLIT:.+]]:2 = linalg.generic {{.*}} ins(%arg0 : tensor<16x8xcomplex<f32>>) outs({{.*}} : tensor<16x8xf32>, tensor<16x8xf32>)
//       LOWER:     complex.re
//       LOWER:     complex.im
//       LOWER:   scf.for
//       LOWER:     %[[RE:.+]] = linalg.generic {indexing_maps = [#[[T]], {{.*}}]{{.*}} outs({{.*}} : tensor<8x16xf32>)
//       LOWER:     scf.for
//       LOWER:       scf.for
//       LOWER:         vector.transfer_read %[[RE]]{{.*}} : tensor<8x16xf32>, vector<16xf32>
//       LOWER:         vector.transfer_write {{.*}} : vector<16xf32>, tensor<8x17xf32>
//       LOWER:     arith.constant dense<{{.*}}> : tensor<4x2x2xf32>
//       LOWER:     scf.for
//       LOWER:       vector.broadcast
//       LOWER:       scf.for
//       LOWER:     tensor.extract_slice {{.*}}[0, 0] [8, 16] [1, 1] : tensor<8x17xf32> to tensor<8x16xf32>
//       LOWER:     linalg.generic {indexing_maps = [#[[T]], {{.*}}]{{.*}} ins(%{{.+}} : tensor<8x16xf32>) outs(%{{.+}} : tensor<16x8xf32>)
//       LOWER:     tensor.insert_slice {{.*}} into %{{.+}}[%{{.+}}, 0] [16, 8] [1, 1] : tensor<16x8xf32> into tensor<16x8xf32>
//       LOWER:   linalg.generic {{.*}} outs({{.*}} : tensor<16x8xcomplex<f32>>)
//       LOWER:     complex.create
//       LOWER:   return {{.*}} : tensor<16x8xcomplex<f32>>
func.func @fft(%x: tensor<16x8xcomplex<f32>>) -> tensor<16x8xcomplex<f32>> {
  %0 = "mirax.fft"(%x) {fft_type = "FFT", fft_lengths = array<i64: 8>} : (tensor<16x8xcomplex<f32>>) -> tensor<16x8xcomplex<f32>>
  return %0 : tensor<16x8xcomplex<f32>>
}

// -----

/// 40 rows of 1024 (2^15 points and more): the two whole chunks of 16 rows on threads
/// (an scf.forall writing each chunk's slice of the parts), the last 8 rows after it;
/// a chunk read 16 x 16 at a time, transposed by shuffles (stage 1 exchanges odd and
/// even elements of pairs of rows, the last the halves of rows 8 apart).
// LOWER-LABEL: func.func @threaded
//       LOWER:   scf.forall (%[[ROW:.+]]) = (0) to (32) step (16) shared_outs(%[[RE:.+]] = %{{.+}}, %[[IM:.+]] = %{{.+}}) -> (tensor<40x1024xf32>, tensor<40x1024xf32>)
//       LOWER:     tensor.extract_slice %[[RE]][%[[ROW]], 0] [16, 1024] [1, 1]
//       LOWER:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (tensor<1024x16xf32>)
// LOWER-COUNT-16:     vector.transfer_read {{.*}} : tensor<16x1024xf32>, vector<16xf32>
//  LOWER-NEXT:       vector.shuffle %{{.+}}, %{{.+}} [0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30]
//  LOWER-NEXT:       vector.shuffle %{{.+}}, %{{.+}} [1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31]
//       LOWER:       vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
//       LOWER:     scf.forall.in_parallel
//  LOWER-NEXT:       tensor.parallel_insert_slice %{{.+}} into %[[RE]][%[[ROW]], 0] [16, 1024] [1, 1]
//  LOWER-NEXT:       tensor.parallel_insert_slice %{{.+}} into %[[IM]][%[[ROW]], 0] [16, 1024] [1, 1]
//       LOWER:   tensor.insert_slice {{.*}}[32, 0] [8, 1024] [1, 1] : tensor<8x1024xf32> into tensor<40x1024xf32>
//       LOWER:   return {{.*}} : tensor<40x1024xcomplex<f32>>
func.func @threaded(%x: tensor<40x1024xcomplex<f32>>) -> tensor<40x1024xcomplex<f32>> {
  %0 = "mirax.fft"(%x) {fft_type = "FFT", fft_lengths = array<i64: 1024>} : (tensor<40x1024xcomplex<f32>>) -> tensor<40x1024xcomplex<f32>>
  return %0 : tensor<40x1024xcomplex<f32>>
}

// -----

/// An inverse FFT of length 5 (Bluestein): the rows padded with zeros to 16 (a copy
/// into a slice of zeros), a forward and an inverse pass of radix 4 each, then cropped.
// LOWER-LABEL: func.func @bluestein
//       LOWER:   linalg.fill {{.*}} -> tensor<16x2xf64>
//       LOWER:   linalg.copy {{.*}} outs({{.*}} : tensor<5x2xf64>)
//       LOWER:   tensor.extract_slice {{.*}}[0, 0] [5, 2] [1, 1] : tensor<16x2xf64> to tensor<5x2xf64>
//       LOWER:   return {{.*}} : tensor<2x5xcomplex<f64>>
func.func @bluestein(%x: tensor<2x5xcomplex<f64>>) -> tensor<2x5xcomplex<f64>> {
  %0 = "mirax.fft"(%x) {fft_type = "IFFT", fft_lengths = array<i64: 5>} : (tensor<2x5xcomplex<f64>>) -> tensor<2x5xcomplex<f64>>
  return %0 : tensor<2x5xcomplex<f64>>
}

// -----

/// An RFFT's cotangent is an IRFFT of its conjugate weighted by n / mask (JAX's
/// transpose rule: the mask is 1 at DC and Nyquist, 2 elsewhere); vmap moves the
/// mapped dimension to the front, a batch dimension of the op.
// VJP-LABEL: func.func private @r_vjp_0_linear_transpose
//  VJP-SAME: (%[[CT:.+]]: tensor<2x4xcomplex<f32>>) -> tensor<2x6xf32>
//  VJP-NEXT:   %[[MASK:.+]] = "mirax.constant"() {value = dense<[6.000000e+00, 3.000000e+00, 3.000000e+00, 6.000000e+00]> : tensor<4xf32>}
//  VJP-NEXT:   %[[B:.+]] = "mirax.broadcast_in_dim"(%[[MASK]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 4>}
//  VJP-NEXT:   %[[W:.+]] = "mirax.convert"(%[[B]]) {new_dtype = complex<f32>}
//  VJP-NEXT:   %[[C:.+]] = "mirax.conj"(%[[CT]])
//  VJP-NEXT:   %[[M:.+]] = "mirax.mul"(%[[C]], %[[W]])
//  VJP-NEXT:   %[[G:.+]] = "mirax.fft"(%[[M]]) {fft_lengths = array<i64: 6>, fft_type = "IRFFT"} : (tensor<2x4xcomplex<f32>>) -> tensor<2x6xf32>
//  VJP-NEXT:   return %[[G]]
// VMAP-LABEL: func.func private @r_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<2x5x6xf32>)
//  VMAP-NEXT:   %[[T:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 1, 0, 2>}
//  VMAP-NEXT:   %[[Y:.+]] = "mirax.fft"(%[[T]]) {fft_lengths = array<i64: 6>, fft_type = "RFFT"} : (tensor<5x2x6xf32>) -> tensor<5x2x4xcomplex<f32>>
//  VMAP-NEXT:   return %[[Y]]
func.func private @r(%x: tensor<2x6xf32>) -> tensor<2x4xcomplex<f32>> {
  %0 = "mirax.fft"(%x) {fft_type = "RFFT", fft_lengths = array<i64: 6>} : (tensor<2x6xf32>) -> tensor<2x4xcomplex<f32>>
  return %0 : tensor<2x4xcomplex<f32>>
}
func.func private @r_vjp_0(tensor<2x6xf32>, tensor<2x4xcomplex<f32>>) -> (tensor<2x4xcomplex<f32>>, tensor<2x6xf32>)
    attributes {mirax.vjp_of = @r, mirax.active = array<i64: 0>}
func.func private @r_vmap(tensor<2x5x6xf32>) -> tensor<5x2x4xcomplex<f32>>
    attributes {mirax.vmap_of = @r, mirax.axis_size = 5 : i64, mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 0>}

// -----

/// A complex FFT is its own transpose (the DFT matrix is symmetric).
// VJP-LABEL: func.func private @c_vjp_0_linear_transpose
//  VJP-SAME: (%[[CT:.+]]: tensor<3x4x5xcomplex<f64>>) -> tensor<3x4x5xcomplex<f64>>
//  VJP-NEXT:   %[[G:.+]] = "mirax.fft"(%[[CT]]) {fft_lengths = array<i64: 4, 5>, fft_type = "IFFT"}
//  VJP-NEXT:   return %[[G]]
func.func private @c(%x: tensor<3x4x5xcomplex<f64>>) -> tensor<3x4x5xcomplex<f64>> {
  %0 = "mirax.fft"(%x) {fft_type = "IFFT", fft_lengths = array<i64: 4, 5>} : (tensor<3x4x5xcomplex<f64>>) -> tensor<3x4x5xcomplex<f64>>
  return %0 : tensor<3x4x5xcomplex<f64>>
}
func.func private @c_vjp_0(tensor<3x4x5xcomplex<f64>>, tensor<3x4x5xcomplex<f64>>) -> (tensor<3x4x5xcomplex<f64>>, tensor<3x4x5xcomplex<f64>>)
    attributes {mirax.vjp_of = @c, mirax.active = array<i64: 0>}
