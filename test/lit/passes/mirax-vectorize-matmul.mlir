// RUN: mirax-opt %s --mirax-vectorize-matmul=called-flops=0 --split-input-file | FileCheck %s
// RUN: mirax-opt %s --mirax-vectorize-matmul --split-input-file | FileCheck %s --check-prefix=DEFAULT

/// By default, matmuls of fewer than 2^24 flops are left to mirax-matmul-calls (the
/// other RUN line packs every one, small ones keeping the checks short).
// DEFAULT-LABEL: func.func @tiled
//       DEFAULT:   linalg.matmul

/// An f32 matmul from zero whose M is a multiple of 8 and N of 16: B copied into
/// panels of 16 columns, two rows of 16 lanes at a time, the product computed into C
/// itself (seen as rows of panels, C[m, n / 16, n % 16]: no copy back) by loops over
/// 8x16 register tiles, each summing the k loop's vector FMAs from zero. K is one block
/// (up to 256): the sum is C's tile, written without reading C, and C is not zeroed
/// first.
// CHECK-LABEL: func.func @tiled
//   CHECK-NOT:   linalg.matmul
//   CHECK-NOT:   linalg.generic
//       CHECK:   %[[PACKED_B:.+]] = scf.for {{.+}} -> (tensor<2x32x16xf32>)
//       CHECK:     scf.for
//       CHECK:       vector.transfer_read {{.+}} : tensor<2x1x16xf32>, vector<2x1x16xf32>
//       CHECK:       vector.transfer_write {{.+}} : vector<1x2x16xf32>, tensor<1x2x16xf32>
//   CHECK-NOT:   linalg.fill
//       CHECK:   %[[C_ROWS:.+]] = tensor.empty() : tensor<8x2x16xf32>
//       CHECK:   %[[PRODUCT:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[C_ROWS]]) -> (tensor<8x2x16xf32>)
//       CHECK:     %[[C:.+]] = tensor.extract_slice {{.+}} to tensor<8x1x16xf32>
//       CHECK:     %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<8x1x16xf32>
//       CHECK:     %[[SUM:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[ZERO]]) -> (vector<8x1x16xf32>)
//       CHECK:       tensor.extract_slice %[[PACKED_B]]
//       CHECK:       vector.fma %{{.+}} : vector<16xf32>
//   CHECK-NOT:     vector.transfer_read %[[C]]
//       CHECK:     vector.transfer_write %[[SUM]], %[[C]]{{.+}} : vector<8x1x16xf32>, tensor<8x1x16xf32>
//   CHECK-NOT:   scf.for
//       CHECK:   tensor.reshape %[[PRODUCT]]{{.+}} -> tensor<8x32xf32>
//   CHECK-NOT:   linalg.generic
func.func @tiled(%a: tensor<8x32xf32>, %b: tensor<32x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

/// A long K is cut into blocks of 256, each summed from zero in registers and then
/// added to C (zeroed first): the rounding error grows like 256 plus the number of
/// blocks, not like K.
// CHECK-LABEL: func.func @k_blocks
//   CHECK-DAG:   %[[K:.+]] = arith.constant 1024 : index
//   CHECK-DAG:   %[[BLOCK:.+]] = arith.constant 256 : index
//       CHECK:   linalg.fill {{.+}} -> tensor<8x1x16xf32>
//       CHECK:   scf.for %{{.+}} = %{{.+}} to %[[K]] step %[[BLOCK]] iter_args
//       CHECK:     %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<8x1x16xf32>
//       CHECK:     %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %[[BLOCK]] step %{{.+}} iter_args(%{{.+}} = %[[ZERO]])
//       CHECK:       vector.fma
//       CHECK:     %[[TILE:.+]] = vector.transfer_read
//       CHECK:     arith.addf %[[TILE]], %[[SUM]] : vector<8x1x16xf32>
func.func @k_blocks(%a: tensor<8x1024xf32>, %b: tensor<1024x16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<8x1024xf32>, tensor<1024x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

/// Other shapes, other element types, and a matmul accumulating into C keep the
/// plain matmul.
// CHECK-LABEL: func.func @untouched
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<3x5xf32>, tensor<5x7xf32>)
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<8x32xf64>, tensor<32x32xf64>)
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<8x32xf32>, tensor<32x32xf32>)
//   CHECK-NOT:   vector.fma
func.func @untouched(%a: tensor<3x5xf32>, %b: tensor<5x7xf32>, %d: tensor<8x32xf64>, %e: tensor<32x32xf64>,
                     %g: tensor<8x32xf32>, %h: tensor<32x32xf32>, %acc: tensor<8x32xf32>)
    -> (tensor<3x7xf32>, tensor<8x32xf64>, tensor<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %zero64 = arith.constant 0.0 : f64
  %e0 = tensor.empty() : tensor<3x7xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x7xf32>) -> tensor<3x7xf32>
  %e1 = tensor.empty() : tensor<8x32xf64>
  %f = linalg.fill ins(%zero64 : f64) outs(%e1 : tensor<8x32xf64>) -> tensor<8x32xf64>
  %0 = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x7xf32>) outs(%c : tensor<3x7xf32>) -> tensor<3x7xf32>
  %1 = linalg.matmul ins(%d, %e : tensor<8x32xf64>, tensor<32x32xf64>) outs(%f : tensor<8x32xf64>) -> tensor<8x32xf64>
  %2 = linalg.matmul ins(%g, %h : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0, %1, %2 : tensor<3x7xf32>, tensor<8x32xf64>, tensor<8x32xf32>
}

// -----

/// A matmul of 2^22 flops or more runs its blocks on threads: an scf.forall over them
/// (here 2 blocks of 4 panels), each with loops over k and register tiles.
/// Eight blocks of columns or more: threads over blocks of columns alone, each packing
/// its own panels of B (fused into the scf.forall), then 8-row tiles; each block writes
/// its columns of C (K one block: C is not zeroed).
// CHECK-LABEL: func.func @column_blocks
//   CHECK-NOT:   linalg.matmul
//   CHECK-NOT:   linalg.generic
//   CHECK-NOT:   linalg.fill
//       CHECK:   scf.forall (%{{.+}}) in (8) shared_outs
//       CHECK:     tensor.extract_slice %{{.+}} [128, 4, 16] [1, 1, 1] : tensor<128x32x16xf32> to tensor<128x4x16xf32>
//       CHECK:     scf.for {{.+}} -> (tensor<4x128x16xf32>)
//       CHECK:       vector.transfer_write {{.+}} : vector<1x2x16xf32>, tensor<1x2x16xf32>
//   CHECK-NOT:     mirax.pack
//   CHECK-NOT:     linalg.fill
//       CHECK:     scf.for
//       CHECK:       scf.for
//       CHECK:         vector.fma %{{.+}} : vector<16xf32>
//       CHECK:     scf.forall.in_parallel
//       CHECK:       tensor.parallel_insert_slice %{{.+}} into %{{.+}}[0, %{{.+}}, 0] [128, 4, 16] [1, 1, 1] : tensor<128x4x16xf32> into tensor<128x32x16xf32>
func.func @column_blocks(%a: tensor<128x128xf32>, %b: tensor<128x512xf32>) -> tensor<128x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x512xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<128x512xf32>) -> tensor<128x512xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<128x128xf32>, tensor<128x512xf32>) outs(%c : tensor<128x512xf32>) -> tensor<128x512xf32>
  return %0 : tensor<128x512xf32>
}

// -----

/// 2^24 flops, two blocks of columns: threads over blocks of rows and columns (2 x 2).
// DEFAULT-LABEL: func.func @threaded
//   DEFAULT-NOT:   linalg.matmul
// CHECK-LABEL: func.func @threaded
//   CHECK-NOT:   linalg.matmul
//       CHECK:   scf.forall (%{{.+}}, %{{.+}}) in (2, 2) shared_outs
//       CHECK:     scf.for
//       CHECK:       vector.fma %{{.+}} : vector<16xf32>
func.func @threaded(%a: tensor<256x256xf32>, %b: tensor<256x128xf32>) -> tensor<256x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x128xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<256x128xf32>) -> tensor<256x128xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<256x256xf32>, tensor<256x128xf32>) outs(%c : tensor<256x128xf32>) -> tensor<256x128xf32>
  return %0 : tensor<256x128xf32>
}

// -----

/// Just below 2^24 flops: one thread. M a multiple of 4, not of 8: 4x16 register tiles.
// DEFAULT-LABEL: func.func @one_thread
//       DEFAULT:   linalg.matmul
// CHECK-LABEL: func.func @one_thread
//   CHECK-NOT:   scf.forall
//       CHECK:   scf.for {{.+}} -> (vector<4x1x16xf32>)
//       CHECK:   vector.fma %{{.+}} : vector<16xf32>
//   CHECK-NOT:   scf.forall
func.func @one_thread(%a: tensor<252x256xf32>, %b: tensor<256x128xf32>) -> tensor<252x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<252x128xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<252x128xf32>) -> tensor<252x128xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<252x256xf32>, tensor<256x128xf32>) outs(%c : tensor<252x128xf32>) -> tensor<252x128xf32>
  return %0 : tensor<252x128xf32>
}

// -----

/// N not a multiple of 16 (a 10-class output layer): B gets zero columns up to a
/// whole panel (its rows read 16 lanes at a time, the lanes past its 10 columns masked
/// to zero), and only C's 10 columns are copied back (the writes past them masked).
// CHECK-LABEL: func.func @narrow
//   CHECK-NOT:   linalg.matmul
//       CHECK:   scf.for {{.+}} -> (tensor<32x16xf32>)
//       CHECK:     vector.transfer_read %arg1[%{{.+}}, %{{.+}}], %{{[a-z_0-9]+}} : tensor<32x10xf32>, vector<16xf32>
//       CHECK:     vector.transfer_write {{.+}} {in_bounds = [true]} : vector<16xf32>, tensor<32x16xf32>
//       CHECK:   vector.fma %{{.+}} : vector<16xf32>
//       CHECK:   vector.transfer_write %{{.+}} : vector<8x16xf32>, tensor<1x8x16xf32>
//       CHECK:   scf.for {{.+}} -> (tensor<8x10xf32>)
//       CHECK:     vector.transfer_read {{.+}} {in_bounds = [true]} : tensor<1x8x16xf32>, vector<16xf32>
//       CHECK:     vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] : vector<16xf32>, tensor<8x10xf32>
//   CHECK-NOT:   linalg.generic
func.func @narrow(%a: tensor<8x32xf32>, %b: tensor<32x10xf32>) -> tensor<8x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x10xf32>) outs(%c : tensor<8x10xf32>) -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

/// A 2-D f32 transpose with sides that are multiples of 8 is copied in 8x8 vector
/// transposes, within blocks of up to 64x64; one with other sides keeps its loops.
// CHECK-LABEL: func.func @transposes
//       CHECK:   scf.for
//       CHECK:     scf.for
//       CHECK:       vector.transfer_read %{{.+}} : tensor<8x8xf32>, vector<8x8xf32>
//       CHECK:       vector.shuffle
//       CHECK:   linalg.generic {{.+}} ins(%{{.+}} : tensor<10x512xf32>)
#transposed = affine_map<(d0, d1) -> (d1, d0)>
#identity = affine_map<(d0, d1) -> (d0, d1)>
func.func @transposes(%a: tensor<128x784xf32>, %b: tensor<10x512xf32>) -> (tensor<784x128xf32>, tensor<512x10xf32>) {
  %e0 = tensor.empty() : tensor<784x128xf32>
  %0 = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<128x784xf32>) outs(%e0 : tensor<784x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<784x128xf32>
  %e1 = tensor.empty() : tensor<512x10xf32>
  %1 = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<10x512xf32>) outs(%e1 : tensor<512x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<512x10xf32>
  return %0, %1 : tensor<784x128xf32>, tensor<512x10xf32>
}

// -----

/// A matmul left to mirax-matmul-calls whose A is a transpose reads the transpose's
/// source through transposed indexing maps (the kernel takes A's strides); the
/// transpose goes when nothing else reads it, and stays (tiled) when something does.
// DEFAULT-LABEL: func.func @transposed_a
//   DEFAULT-NOT:   linalg.generic
//       DEFAULT:   linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%arg0, %arg1 : tensor<16x64xf32>, tensor<16x8xf32>)
//       DEFAULT:   vector.shuffle
//       DEFAULT:   linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%arg2, %arg1 : tensor<16x64xf32>, tensor<16x8xf32>)
//       DEFAULT:   return
#transposed = affine_map<(d0, d1) -> (d1, d0)>
#identity = affine_map<(d0, d1) -> (d0, d1)>
func.func @transposed_a(%x: tensor<16x64xf32>, %dy: tensor<16x8xf32>, %z: tensor<16x64xf32>)
    -> (tensor<64x8xf32>, tensor<64x8xf32>, tensor<64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64x16xf32>
  %xt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x64xf32>) outs(%e0 : tensor<64x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x16xf32>
  %e1 = tensor.empty() : tensor<64x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64x8xf32>) -> tensor<64x8xf32>
  %0 = linalg.matmul ins(%xt, %dy : tensor<64x16xf32>, tensor<16x8xf32>) outs(%c : tensor<64x8xf32>) -> tensor<64x8xf32>
  %zt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%z : tensor<16x64xf32>) outs(%e0 : tensor<64x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x16xf32>
  %1 = linalg.matmul ins(%zt, %dy : tensor<64x16xf32>, tensor<16x8xf32>) outs(%c : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %0, %1, %zt : tensor<64x8xf32>, tensor<64x8xf32>, tensor<64x16xf32>
}

// -----

/// Likewise a transposed B of at most 4096 elements that one matmul reads, outside
/// loops (the kernel copies it at each call); a larger one, or one several matmuls read,
/// stays a transpose of the program's own.
// DEFAULT-LABEL: func.func @transposed_b
//       DEFAULT:   linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%arg0, %arg1 : tensor<16x8xf32>, tensor<64x8xf32>)
//       DEFAULT:   vector.shuffle
//       DEFAULT:   linalg.matmul ins(%arg2, %{{.+}} : tensor<16x128xf32>, tensor<128x64xf32>)
//       DEFAULT:   vector.shuffle
//       DEFAULT:   linalg.matmul ins(%arg0, %[[SHARED:.+]] : tensor<16x8xf32>, tensor<8x64xf32>)
//       DEFAULT:   linalg.matmul ins(%arg0, %[[SHARED]] : tensor<16x8xf32>, tensor<8x64xf32>)
//       DEFAULT:   return
#transposed = affine_map<(d0, d1) -> (d1, d0)>
#identity = affine_map<(d0, d1) -> (d0, d1)>
func.func @transposed_b(%dy: tensor<16x8xf32>, %w: tensor<64x8xf32>, %x: tensor<16x128xf32>, %v: tensor<64x128xf32>,
                        %u: tensor<64x8xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x64xf32>
  %wt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<64x8xf32>) outs(%e0 : tensor<8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x64xf32>
  %e1 = tensor.empty() : tensor<16x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x64xf32>) -> tensor<16x64xf32>
  %0 = linalg.matmul ins(%dy, %wt : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  %e2 = tensor.empty() : tensor<128x64xf32>
  %vt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%v : tensor<64x128xf32>) outs(%e2 : tensor<128x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<128x64xf32>
  %1 = linalg.matmul ins(%x, %vt : tensor<16x128xf32>, tensor<128x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  %ut = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%u : tensor<64x8xf32>) outs(%e0 : tensor<8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x64xf32>
  %2 = linalg.matmul ins(%dy, %ut : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  %3 = linalg.matmul ins(%dy, %ut : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %0, %1, %2, %3 : tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>
}

// -----

/// A packed matmul whose A is a transpose (X^T, as in a layer's weight gradient)
/// reads X in place (its 8 rows' elements at a step of k are one vector of X's row k),
/// and one whose B is a transpose (W^T, as in a layer's input gradient) packs B's
/// panels from W's rows, 16x8 blocks of W transposed in registers; the transposes go.
// CHECK-LABEL: func.func @packed_transposes
//   CHECK-NOT:   linalg.generic
//       CHECK:   scf.for {{.+}} -> (vector<8x1x16xf32>)
//       CHECK:     tensor.extract_slice %arg0[%{{.+}}, %{{.+}}] [1, 8] [1, 1] : tensor<32x16xf32> to tensor<1x8xf32>
//       CHECK:     vector.transfer_read {{.+}} : tensor<1x8xf32>, vector<8xf32>
//       CHECK:     vector.fma
//       CHECK:   %[[W:.+]] = tensor.reshape %arg2({{.+}}) : (tensor<48x32xf32>, tensor<3xindex>) -> tensor<3x16x32xf32>
//       CHECK:   scf.for {{.+}} -> (tensor<3x32x16xf32>)
//       CHECK:     scf.for
//       CHECK:       tensor.extract_slice %[[W]][%{{.+}}, 0, %{{.+}}] [1, 16, 8] [1, 1, 1]
//       CHECK:       vector.shuffle
//       CHECK:       vector.transfer_write {{.+}} : vector<1x8x16xf32>, tensor<1x8x16xf32>
//       CHECK:   vector.fma
//   CHECK-NOT:   linalg.generic
#transposed = affine_map<(d0, d1) -> (d1, d0)>
#identity = affine_map<(d0, d1) -> (d0, d1)>
func.func @packed_transposes(%x: tensor<32x16xf32>, %b: tensor<32x32xf32>, %w: tensor<48x32xf32>)
    -> (tensor<16x32xf32>, tensor<16x48xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<16x32xf32>
  %xt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x16xf32>) outs(%e0 : tensor<16x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e0 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %0 = linalg.matmul ins(%xt, %b : tensor<16x32xf32>, tensor<32x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  %e1 = tensor.empty() : tensor<32x48xf32>
  %wt = linalg.generic {indexing_maps = [#transposed, #identity], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<48x32xf32>) outs(%e1 : tensor<32x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<32x48xf32>
  %e2 = tensor.empty() : tensor<16x48xf32>
  %c2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x48xf32>) -> tensor<16x48xf32>
  %1 = linalg.matmul ins(%xt, %wt : tensor<16x32xf32>, tensor<32x48xf32>) outs(%c2 : tensor<16x48xf32>) -> tensor<16x48xf32>
  return %0, %1 : tensor<16x32xf32>, tensor<16x48xf32>
}

// -----

/// K one block, but C starts from ones: C is filled and its tiles read and added.
// CHECK-LABEL: func.func @filled_with_ones
//       CHECK:   linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<8x2x16xf32>)
//       CHECK:   %[[SUM:.+]] = scf.for {{.+}} -> (vector<8x1x16xf32>)
//       CHECK:   %[[TILE:.+]] = vector.transfer_read {{.+}} : tensor<8x1x16xf32>, vector<8x1x16xf32>
//       CHECK:   arith.addf %[[TILE]], %[[SUM]] : vector<8x1x16xf32>
func.func @filled_with_ones(%a: tensor<8x32xf32>, %b: tensor<32x32xf32>) -> tensor<8x32xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%one : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

/// K of 1: the register tile's k loop folds away, so C is zeroed and read as usual.
// CHECK-LABEL: func.func @k_of_one
//       CHECK:   linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x1x16xf32>)
//       CHECK:   vector.fma
func.func @k_of_one(%a: tensor<4x1xf32>, %b: tensor<1x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x1xf32>, tensor<1x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}
