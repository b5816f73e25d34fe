// RUN: mirax-opt %s --mirax-gpu-kernels --canonicalize --split-input-file | FileCheck %s

/// Elementwise and broadcast code (one fused linalg.generic) is one kernel with a thread
/// per element: blocks of 256 threads over the row-major linear index, a guard for the
/// last block, the index split into coordinates, the body inlined.
// CHECK-LABEL: func.func @elementwise
//   CHECK-NOT:   linalg.generic
//   CHECK-DAG:   %[[C5:.+]] = arith.constant 5 : index
//   CHECK-DAG:   %[[C256:.+]] = arith.constant 256 : index
//       CHECK:   gpu.launch blocks(%[[B:.+]], %{{.+}}, %{{.+}}) in ({{.+}} = %[[C5]], {{.+}}) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in ({{.+}} = %[[C256]],
//       CHECK:     %[[LINEAR:.+]] = arith.addi %{{.+}}, %[[T]] : index
//       CHECK:     %[[IN:.+]] = arith.cmpi ult, %[[LINEAR]], %c1200
//       CHECK:     scf.if %[[IN]] {
//       CHECK:       %[[COL:.+]] = arith.remui %[[LINEAR]], %c300
//       CHECK:       %[[ROW:.+]] = arith.divui %[[LINEAR]], %c300
//       CHECK:       %[[X:.+]] = memref.load %arg0[%[[ROW]], %[[COL]]]
//       CHECK:       %[[V:.+]] = memref.load %arg1[%[[COL]]]
//       CHECK:       %[[SUM:.+]] = arith.addf %[[X]], %[[V]]
//       CHECK:       %[[TANH:.+]] = math.tanh %[[SUM]]
//       CHECK:       memref.store %[[TANH]], %arg2[%[[ROW]], %[[COL]]]
//       CHECK:   gpu.terminator
//   CHECK-NOT:   gpu.launch
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @elementwise(%x: memref<4x300xf32>, %v: memref<300xf32>, %out: memref<4x300xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %v : memref<4x300xf32>, memref<300xf32>) outs(%out : memref<4x300xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  return
}

// -----

/// A reduction along rows: one block per row. Each thread folds a strided slice of the
/// row from the identity (0 for a sum), the block combines the partial sums with
/// gpu.all_reduce, and its first thread adds the output's initial value and stores.
// CHECK-LABEL: func.func @sum_rows
//       CHECK:   gpu.launch blocks(%[[B:.+]], %{{.+}}, %{{.+}}) in ({{.+}} = %c4, {{.+}}) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%[[BLOCK:.+]] = %c256,
//       CHECK:     %[[PARTIAL:.+]] = scf.for %[[R:.+]] = %[[T]] to %c300 step %[[BLOCK]] iter_args(%[[ACC:.+]] = %cst)
//       CHECK:       %[[X:.+]] = memref.load %arg0[%[[B]], %[[R]]]
//       CHECK:       %[[SQUARE:.+]] = arith.mulf %[[X]], %[[X]]
//       CHECK:       %[[NEXT:.+]] = arith.addf %[[ACC]], %[[SQUARE]]
//       CHECK:       scf.yield %[[NEXT]]
//       CHECK:     %[[TOTAL:.+]] = gpu.all_reduce add %[[PARTIAL]] uniform
//       CHECK:     %[[FIRST:.+]] = arith.cmpi eq, %[[T]], %c0
//       CHECK:     scf.if %[[FIRST]] {
//       CHECK:       %[[INIT:.+]] = memref.load %arg1[%[[B]]]
//       CHECK:       %[[OUT:.+]] = arith.addf %[[INIT]], %[[TOTAL]]
//       CHECK:       memref.store %[[OUT]], %arg1[%[[B]]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @sum_rows(%x: memref<4x300xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x300xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %o, %sq : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// A max down the columns: a thread per column (neighbouring threads read neighbouring
/// elements of each row), folding the rows in a loop from the output's initial value.
// CHECK-LABEL: func.func @max_columns
//       CHECK:   gpu.launch blocks({{.+}}) in ({{.+}} = %c2, {{.+}}) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in ({{.+}} = %c256,
//   CHECK-NOT:     gpu.all_reduce
//       CHECK:       %[[INIT:.+]] = memref.load %arg1[%[[COL:.+]]]
//       CHECK:       %[[MAX:.+]] = scf.for %[[R:.+]] = %c0 to %c4 step %c1 iter_args(%[[ACC:.+]] = %[[INIT]])
//       CHECK:         memref.load %arg0[%[[R]], %[[COL]]]
//       CHECK:         arith.maximumf %[[ACC]]
//       CHECK:       memref.store %[[MAX]], %arg1[%[[COL]]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
func.func @max_columns(%x: memref<4x300xf32>, %out: memref<300xf32>) {
  linalg.generic {indexing_maps = [#id, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<4x300xf32>) outs(%out : memref<300xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %o, %a : f32
    linalg.yield %m : f32
  }
  return
}

// -----

/// A reduction with two outputs (an argmax) takes a thread per output too; linalg.index
/// becomes the loop's coordinate.
// CHECK-LABEL: func.func @argmax
//       CHECK:   gpu.launch
//       CHECK:     scf.for %[[R:.+]] = %c0 to %c300 step %c1 iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f32, i32)
//       CHECK:       arith.index_cast %[[R]] : index to i32
//   CHECK-NOT:   linalg.index
#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @argmax(%x: memref<4x300xf32>, %max: memref<4xf32>, %arg: memref<4xi32>) {
  linalg.generic {indexing_maps = [#id, #rows, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x300xf32>) outs(%max, %arg : memref<4xf32>, memref<4xi32>) {
  ^bb0(%a: f32, %m: f32, %i: i32):
    %k = linalg.index 1 : index
    %ki = arith.index_cast %k : index to i32
    %gt = arith.cmpf ogt, %a, %m : f32
    %nm = arith.select %gt, %a, %m : f32
    %ni = arith.select %gt, %ki, %i : i32
    linalg.yield %nm, %ni : f32, i32
  }
  return
}

// -----

/// A matmul of at least 16 rows, columns and k (named ops are generalized first): one
/// 16x16 block of threads per 16x16 tile of the output. For each step of 16 along k,
/// each thread stages an element of A's and of B's tile in shared memory (workgroup
/// globals), the block synchronizes, each thread accumulates its output element from
/// the tiles, and the block synchronizes again before the next step.
//   CHECK-DAG: memref.global "private" @__mirax_tile_0 : memref<16x16xf32, #gpu.address_space<workgroup>>
//   CHECK-DAG: memref.global "private" @__mirax_tile_1 : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @matmul
//       CHECK:   gpu.launch blocks(%[[BX:.+]], %[[BY:.+]], %{{.+}}) in ({{.+}} = %c3, {{.+}} = %c2, {{.+}} = %c1) threads(%[[TX:.+]], %[[TY:.+]], %{{.+}}) in ({{.+}} = %c16, {{.+}} = %c16, {{.+}} = %c1)
//   CHECK-DAG:     %[[A:.+]] = memref.get_global @__mirax_tile_0 : memref<16x16xf32, #gpu.address_space<workgroup>>
//   CHECK-DAG:     %[[B:.+]] = memref.get_global @__mirax_tile_1 : memref<16x16xf32, #gpu.address_space<workgroup>>
//       CHECK:     scf.for %[[K0:.+]] = %c0 to %c64 step %c16
//       CHECK:       %[[KA:.+]] = arith.addi %[[K0]], %[[TX]]
//       CHECK:       %[[X:.+]] = memref.load %arg0[%{{.+}}, %[[KA]]]
//       CHECK:       memref.store %[[X]], %[[A]][%[[TY]], %[[TX]]]
//       CHECK:       %[[KB:.+]] = arith.addi %[[K0]], %[[TY]]
//       CHECK:       %[[Y:.+]] = memref.load %arg1[%[[KB]], %{{.+}}]
//       CHECK:       memref.store %[[Y]], %[[B]][%[[TY]], %[[TX]]]
//       CHECK:       gpu.barrier
//       CHECK:       scf.for %[[K:.+]] = %c0 to %c16 step %c1
//       CHECK:         memref.load %[[A]][%[[TY]], %[[K]]]
//       CHECK:         memref.load %[[B]][%[[K]], %[[TX]]]
//       CHECK:         arith.mulf
//       CHECK:         arith.addf
//       CHECK:       gpu.barrier
//       CHECK:     memref.store %{{.+}}, %arg2
func.func @matmul(%a: memref<32x64xf32>, %b: memref<64x48xf32>, %c: memref<32x48xf32>) {
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x48xf32>) outs(%c : memref<32x48xf32>)
  return
}

// -----

/// A smaller matmul takes a thread per output element, neighbours along a row of C
/// (reading neighbouring elements of B's rows), looping over k.
// CHECK-LABEL: func.func @small_matmul
//       CHECK:   gpu.launch
//   CHECK-NOT:     gpu.barrier
//       CHECK:     scf.for %[[K:.+]] = %c0 to %c64 step %c1
//       CHECK:       memref.load %arg0[%{{.+}}, %[[K]]]
//       CHECK:       memref.load %arg1[%[[K]], %{{.+}}]
//       CHECK:       arith.mulf
//       CHECK:       arith.addf
func.func @small_matmul(%a: memref<8x64xf32>, %b: memref<64x48xf32>, %c: memref<8x48xf32>) {
  linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x48xf32>) outs(%c : memref<8x48xf32>)
  return
}

// -----

/// A copy is a kernel; a global it reads is cloned into the kernel (kernel outlining then
/// copies the global into the GPU module, where the kernel can address it).
// CHECK-LABEL: func.func @copy_global
//       CHECK:   gpu.launch
//       CHECK:     %[[G:.+]] = memref.get_global @table : memref<3xf32>
//       CHECK:     memref.load %[[G]]
//       CHECK:     memref.store %{{.+}}, %arg0
//   CHECK-NOT:   memref.copy
memref.global "private" constant @table : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
func.func @copy_global(%out: memref<3xf32>) {
  %g = memref.get_global @table : memref<3xf32>
  memref.copy %g, %out : memref<3xf32> to memref<3xf32>
  return
}

// -----

/// Nothing to compute, no kernel.
// CHECK-LABEL: func.func @empty
//   CHECK-NOT:   gpu.launch
func.func @empty(%x: memref<0x3xf32>, %out: memref<0x3xf32>) {
  memref.copy %x, %out : memref<0x3xf32> to memref<0x3xf32>
  return
}

// -----

/// A full sum too long for one block to keep the device busy: 16 blocks each fold a
/// slice of 4096 elements into a partial sum, and a second kernel combines the 16
/// partial sums in one block of a whole warp (gpu.all_reduce shuffles across all 32
/// lanes), its first thread adding the output's initial value.
// CHECK-LABEL: func.func @sum_all
//       CHECK:   %[[PARTIALS:.+]] = memref.alloc() : memref<16xf32>
//       CHECK:   gpu.launch blocks({{.+}}) in ({{.+}} = %c16, {{.+}}) threads({{.+}}) in ({{.+}} = %c256,
//       CHECK:     gpu.all_reduce add
//       CHECK:     memref.store %{{.+}}, %[[PARTIALS]]
//       CHECK:   gpu.launch blocks({{.+}}) in ({{.+}} = %c1, {{.+}}) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%[[BLOCK:.+]] = %c32,
//       CHECK:     scf.for %{{.+}} = %[[T]] to %c16 step %[[BLOCK]]
//       CHECK:       memref.load %[[PARTIALS]]
//       CHECK:     gpu.all_reduce add
//       CHECK:   memref.dealloc %[[PARTIALS]]
#all = affine_map<(d0) -> (d0)>
#none = affine_map<(d0) -> ()>
func.func @sum_all(%x: memref<65536xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction"]}
      ins(%x : memref<65536xf32>) outs(%out : memref<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  return
}
