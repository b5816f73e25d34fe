// RUN: mirax-opt %s --mirax-parallelize --split-input-file | FileCheck %s

/// A matrix-vector product's blocks marked by dot_general's lowering (sums of blocks of
/// 256 of each row): over 2^17 elements, the rows are cut into 64 chunks of 4 runs of 2
/// consecutive rows walked side by side, which the 8 iterations of an scf.forall take
/// one at a time from an atomic counter; each row sums a block by fused multiply-adds
/// into 16 lanes from zero (x read once for the four rows), the lanes then added as a
/// tree, into a buffer of the sums in the rows' order.
// CHECK-LABEL: func.func @rows
//       CHECK:   %[[SUMS:.+]] = memref.alloc() : memref<64x4x2x2xf32>
//       CHECK:   %[[NEXT:.+]] = memref.alloca() : memref<i64>
//       CHECK:   scf.forall (%{{.+}}) in (8) {
//       CHECK:     scf.while
//       CHECK:       memref.atomic_rmw addi %{{.+}}, %[[NEXT]][]
//       CHECK:       scf.condition
//       CHECK:     } do {
//       CHECK:       scf.for %{{.+}} = %{{.+}} to %c2
//       CHECK:         scf.for
//       CHECK:           scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
//       CHECK:             %[[X:.+]] = vector.transfer_read
//   CHECK-NOT:             vector.transfer_read %{{.+}} : tensor<1x512xf32>
// CHECK-COUNT-4:           vector.fma %{{.+}}, %[[X]], %{{.+}} : vector<16xf32>
//       CHECK:           vector.extract_strided_slice {{.+}} {offsets = [0], sizes = [8], strides = [1]}
//       CHECK:           memref.store %{{.+}}, %[[SUMS]]
//   CHECK-NOT:   mirax.matvec
//       CHECK:   %[[T:.+]] = bufferization.to_tensor %[[SUMS]] restrict writable
//       CHECK:   tensor.reshape %[[T]]{{.+}} -> tensor<512x2xf32>
#a = affine_map<(d0, d1, d2) -> (d0, d1 * 256 + d2)>
#x = affine_map<(d0, d1, d2) -> (d1 * 256 + d2)>
#k = affine_map<(d0, d1, d2) -> (d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @rows(%a: tensor<512x512xf32>, %x: tensor<512xf32>) -> tensor<512x2xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256xi8>
  %1 = tensor.empty() : tensor<512x2xf32>
  %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<512x2xf32>) -> tensor<512x2xf32>
  %3 = linalg.generic {indexing_maps = [#a, #x, #k, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %x, %0 : tensor<512x512xf32>, tensor<512xf32>, tensor<256xi8>) outs(%2 : tensor<512x2xf32>) attrs = {mirax.matvec} {
  ^bb0(%in: f32, %in_0: f32, %in_1: i8, %out: f32):
    %4 = arith.mulf %in, %in_0 : f32
    %5 = arith.addf %out, %4 fastmath<reassoc> : f32
    linalg.yield %5 : f32
  } -> tensor<512x2xf32>
  return %3 : tensor<512x2xf32>
}

// -----

/// Small, it stays on one thread: here 6 rows, in 2 runs of 3.
// CHECK-LABEL: func.func @small
//   CHECK-NOT:   scf.forall
//       CHECK:   memref.alloc() : memref<1x2x3x2xf32>
//   CHECK-NOT:   scf.forall
//       CHECK:   scf.for {{.+}} to %c3 step
//       CHECK:         scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2:         vector.fma
#a = affine_map<(d0, d1, d2) -> (d0, d1 * 256 + d2)>
#x = affine_map<(d0, d1, d2) -> (d1 * 256 + d2)>
#k = affine_map<(d0, d1, d2) -> (d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @small(%a: tensor<6x600xf32>, %x: tensor<600xf32>) -> tensor<6x2xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256xi8>
  %1 = tensor.empty() : tensor<6x2xf32>
  %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<6x2xf32>) -> tensor<6x2xf32>
  %3 = linalg.generic {indexing_maps = [#a, #x, #k, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %x, %0 : tensor<6x600xf32>, tensor<600xf32>, tensor<256xi8>) outs(%2 : tensor<6x2xf32>) attrs = {mirax.matvec} {
  ^bb0(%in: f32, %in_0: f32, %in_1: i8, %out: f32):
    %4 = arith.mulf %in, %in_0 : f32
    %5 = arith.addf %out, %4 fastmath<reassoc> : f32
    linalg.yield %5 : f32
  } -> tensor<6x2xf32>
  return %3 : tensor<6x2xf32>
}

// -----

/// A marked generic whose body is no longer the product's (an operand's producer fused
/// into it) stays a generic.
// CHECK-LABEL: func.func @fused
//       CHECK:   linalg.generic
//       CHECK:     math.exp
//   CHECK-NOT:   vector.fma
//   CHECK-NOT:   mirax.matvec
#a = affine_map<(d0, d1, d2) -> (d0, d1 * 256 + d2)>
#x = affine_map<(d0, d1, d2) -> (d1 * 256 + d2)>
#k = affine_map<(d0, d1, d2) -> (d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @fused(%a: tensor<6x600xf32>, %x: tensor<600xf32>) -> tensor<6x2xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256xi8>
  %1 = tensor.empty() : tensor<6x2xf32>
  %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<6x2xf32>) -> tensor<6x2xf32>
  %3 = linalg.generic {indexing_maps = [#a, #x, #k, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %x, %0 : tensor<6x600xf32>, tensor<600xf32>, tensor<256xi8>) outs(%2 : tensor<6x2xf32>) attrs = {mirax.matvec} {
  ^bb0(%in: f32, %in_0: f32, %in_1: i8, %out: f32):
    %e = math.exp %in : f32
    %4 = arith.mulf %e, %in_0 : f32
    %5 = arith.addf %out, %4 fastmath<reassoc> : f32
    linalg.yield %5 : f32
  } -> tensor<6x2xf32>
  return %3 : tensor<6x2xf32>
}

// -----

/// Two long rows do not share out into 8 blocks: the generic stays, and is cut into
/// blocks of its blocks of 256.
// CHECK-LABEL: func.func @few_rows
//       CHECK:   scf.forall (%{{.+}}) in (8)
//       CHECK:     linalg.generic {{.+}} outs(%{{.+}} : tensor<2x64xf32>)
//   CHECK-NOT:   vector.fma
//   CHECK-NOT:   mirax.matvec
#a = affine_map<(d0, d1, d2) -> (d0, d1 * 256 + d2)>
#x = affine_map<(d0, d1, d2) -> (d1 * 256 + d2)>
#k = affine_map<(d0, d1, d2) -> (d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @few_rows(%a: tensor<2x131072xf32>, %x: tensor<131072xf32>) -> tensor<2x512xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256xi8>
  %1 = tensor.empty() : tensor<2x512xf32>
  %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<2x512xf32>) -> tensor<2x512xf32>
  %3 = linalg.generic {indexing_maps = [#a, #x, #k, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %x, %0 : tensor<2x131072xf32>, tensor<131072xf32>, tensor<256xi8>) outs(%2 : tensor<2x512xf32>) attrs = {mirax.matvec} {
  ^bb0(%in: f32, %in_0: f32, %in_1: i8, %out: f32):
    %4 = arith.mulf %in, %in_0 : f32
    %5 = arith.addf %out, %4 fastmath<reassoc> : f32
    linalg.yield %5 : f32
  } -> tensor<2x512xf32>
  return %3 : tensor<2x512xf32>
}
