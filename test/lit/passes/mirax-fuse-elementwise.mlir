// RUN: mirax-opt %s --mirax-fuse-elementwise --split-input-file | FileCheck %s

/// A broadcast two consumers read is recomputed in each: one fused loop per consumer,
/// and the 64x64 broadcast is never written out.
// CHECK-LABEL: func.func @broadcast_read_twice
//       CHECK:   %[[A:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64xf32>)
//       CHECK:     arith.subf
//       CHECK:   %[[B:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64xf32>)
//       CHECK:     arith.mulf
//   CHECK-NOT:   linalg.generic
//       CHECK:   return %[[A]], %[[B]]
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @broadcast_read_twice(%x: tensor<64x64xf32>, %m: tensor<64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  %e = tensor.empty() : tensor<64x64xf32>
  %b = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x64xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %1 = arith.subf %in, %in1 : f32
    linalg.yield %1 : f32
  } -> tensor<64x64xf32>
  %2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %3 = arith.mulf %in, %in1 : f32
    linalg.yield %3 : f32
  } -> tensor<64x64xf32>
  return %0, %2 : tensor<64x64xf32>, tensor<64x64xf32>
}

// -----

/// A transcendental producer is not recomputed: it is written once and read by both.
// CHECK-LABEL: func.func @exp_read_twice
//       CHECK:   %[[EXP:.+]] = linalg.generic
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.+}} ins(%[[EXP]]
//       CHECK:   linalg.generic {{.+}} ins(%[[EXP]]
#id1 = affine_map<(d0) -> (d0)>
func.func @exp_read_twice(%x: tensor<4096xf32>) -> (tensor<4096xf32>, tensor<4096xf32>) {
  %e = tensor.empty() : tensor<4096xf32>
  %p = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : tensor<4096xf32>) outs(%e : tensor<4096xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = math.exp %in : f32
    linalg.yield %1 : f32
  } -> tensor<4096xf32>
  %0 = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%p, %x : tensor<4096xf32>, tensor<4096xf32>) outs(%e : tensor<4096xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %1 = arith.addf %in, %in1 : f32
    linalg.yield %1 : f32
  } -> tensor<4096xf32>
  %2 = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%p, %x : tensor<4096xf32>, tensor<4096xf32>) outs(%e : tensor<4096xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %1 = arith.mulf %in, %in1 : f32
    linalg.yield %1 : f32
  } -> tensor<4096xf32>
  return %0, %2 : tensor<4096xf32>, tensor<4096xf32>
}

// -----

/// Small values (here 16 elements) are not recomputed: writing them out costs nothing.
// CHECK-LABEL: func.func @small_read_twice
//       CHECK:   %[[B:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<4xf32>) outs(%{{.+}} : tensor<4x4xf32>)
//       CHECK:   linalg.generic {{.+}} ins(%{{.+}}, %[[B]] :
//       CHECK:   linalg.generic {{.+}} ins(%{{.+}}, %[[B]] :
#row2 = affine_map<(d0, d1) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @small_read_twice(%x: tensor<4x4xf32>, %m: tensor<4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %e = tensor.empty() : tensor<4x4xf32>
  %b = linalg.generic {indexing_maps = [#row2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x4xf32>
  %0 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %1 = arith.subf %in, %in1 : f32
    linalg.yield %1 : f32
  } -> tensor<4x4xf32>
  %2 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %3 = arith.mulf %in, %in1 : f32
    linalg.yield %3 : f32
  } -> tensor<4x4xf32>
  return %0, %2 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

/// A 128x128 transpose (2^14 elements) stays a loop of its own, which
/// mirax-vectorize-matmul copies in 8x8 tiles, and its consumer reads it by rows; an
/// 8x8 one fuses into its consumer.
// CHECK-LABEL: func.func @transposes
//       CHECK:   %[[T:.+]] = linalg.generic {indexing_maps = [#[[SWAP:.+]], #[[ID:.+]]], {{.+}} ins(%{{.+}} : tensor<128x128xf32>)
//  CHECK-NEXT:   ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
//  CHECK-NEXT:     linalg.yield %[[IN]] : f32
//       CHECK:   %[[BIG:.+]] = linalg.generic {{.+}} ins(%[[T]] : tensor<128x128xf32>)
//       CHECK:     arith.mulf
//       CHECK:   %[[SMALL:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<8x8xf32>)
//       CHECK:     arith.mulf
//   CHECK-NOT:   linalg.generic
//   CHECK-NOT:   linalg.transpose
//       CHECK:   return %[[BIG]], %[[SMALL]]
#swap = affine_map<(d0, d1) -> (d1, d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @transposes(%x: tensor<128x128xf32>, %y: tensor<8x8xf32>) -> (tensor<128x128xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<128x128xf32>
  %t = linalg.generic {indexing_maps = [#swap, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x128xf32>) outs(%e : tensor<128x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<128x128xf32>
  %0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<128x128xf32>) outs(%e : tensor<128x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = arith.mulf %in, %in : f32
    linalg.yield %1 : f32
  } -> tensor<128x128xf32>
  %s = tensor.empty() : tensor<8x8xf32>
  %u = linalg.generic {indexing_maps = [#swap, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8x8xf32>) outs(%s : tensor<8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x8xf32>
  %2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%u : tensor<8x8xf32>) outs(%s : tensor<8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %3 = arith.mulf %in, %in : f32
    linalg.yield %3 : f32
  } -> tensor<8x8xf32>
  return %0, %2 : tensor<128x128xf32>, tensor<8x8xf32>
}
