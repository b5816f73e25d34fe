// RUN: mirax-opt %s --mirax-parallelize --split-input-file | FileCheck %s

/// An elementwise op over 2^20 elements: 8 blocks of its outermost parallel loop in an
/// scf.forall (OpenMP threads after bufferization), the body unchanged.
// CHECK-LABEL: func.func @elementwise
//       CHECK:   scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1024x1024xf32>)
//       CHECK:     linalg.generic {{.+}} ins(%{{.+}} : tensor<128x1024xf32>) outs(%{{.+}} : tensor<128x1024xf32>)
//       CHECK:       math.exp
//       CHECK:     tensor.parallel_insert_slice
//   CHECK-NOT:   mirax.thread_blocks
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %e = tensor.empty() : tensor<1024x1024xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1024x1024xf32>) outs(%e : tensor<1024x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = math.exp %in : f32
    linalg.yield %1 : f32
  } -> tensor<1024x1024xf32>
  return %0 : tensor<1024x1024xf32>
}

// -----

/// Column sums: the reduction loop comes first and is never cut (each sum keeps its
/// order); the blocks are over the columns.
// CHECK-LABEL: func.func @columns
//       CHECK:   scf.forall (%{{.+}}) in (8)
//       CHECK:     linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]
//  CHECK-SAME:       ins(%{{.+}} : tensor<512x64xf32>) outs(%{{.+}} : tensor<64xf32>)
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
func.func @columns(%x: tensor<512x512xf32>, %init: tensor<512xf32>) -> tensor<512xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<512x512xf32>) outs(%init : tensor<512xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %1 = arith.addf %acc, %in : f32
    linalg.yield %1 : f32
  } -> tensor<512xf32>
  return %0 : tensor<512xf32>
}

// -----

/// Small ops, and ops in a loop's body (a scan step: many small runs), stay on one
/// thread.
// CHECK-LABEL: func.func @small_and_looped
//   CHECK-NOT:   scf.forall
#id1 = affine_map<(d0) -> (d0)>
func.func @small_and_looped(%x: tensor<1024xf32>, %y: tensor<262144xf32>, %n: index) -> (tensor<1024xf32>, tensor<262144xf32>) {
  %e = tensor.empty() : tensor<1024xf32>
  %0 = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : tensor<1024xf32>) outs(%e : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = arith.mulf %in, %in : f32
    linalg.yield %1 : f32
  } -> tensor<1024xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %y) -> tensor<262144xf32> {
    %3 = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
        ins(%acc : tensor<262144xf32>) outs(%acc : tensor<262144xf32>) {
    ^bb0(%in: f32, %out: f32):
      %4 = arith.mulf %in, %in : f32
      linalg.yield %4 : f32
    } -> tensor<262144xf32>
    scf.yield %3 : tensor<262144xf32>
  }
  return %0, %2 : tensor<1024xf32>, tensor<262144xf32>
}
