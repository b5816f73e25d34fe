// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s

// mirax-to-linalg: what each op family lowers to.

/// An elementwise op is a linalg.generic of identity maps whose body is the
/// op's scalar rule.
// CHECK-LABEL: func.func @add
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[Y:.+]]: tensor<2x3xf32>) -> tensor<2x3xf32>
//       CHECK:   %[[INIT:.+]] = tensor.empty() : tensor<2x3xf32>
//       CHECK:   %[[SUM:.+]] = linalg.generic
//  CHECK-SAME:       iterator_types = ["parallel", "parallel"]
//  CHECK-SAME:       ins(%[[X]], %[[Y]] : tensor<2x3xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
//  CHECK-NEXT:   ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
//  CHECK-NEXT:     %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
//  CHECK-NEXT:     linalg.yield %[[S]] : f32
//       CHECK:   return %[[SUM]] : tensor<2x3xf32>
func.func @add(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mirax.add"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

/// Unsigned types become signless, in the signature too; the ops pick their
/// unsigned variants from the mirax types.
// CHECK-LABEL: func.func @unsigned
//  CHECK-SAME: (%{{.+}}: tensor<4xi32>, %{{.+}}: tensor<4xi32>) -> tensor<4xi1>
//       CHECK:   %[[MAX:.+]] = linalg.generic
//       CHECK:     arith.maxui %{{.+}}, %{{.+}} : i32
//       CHECK:   %[[LT:.+]] = linalg.generic
//  CHECK-SAME:       ins(%[[MAX]], %{{.+}} : tensor<4xi32>, tensor<4xi32>)
//       CHECK:     arith.cmpi ult, %{{.+}}, %{{.+}} : i32
//       CHECK:   return %[[LT]] : tensor<4xi1>
func.func @unsigned(%x: tensor<4xui32>, %y: tensor<4xui32>) -> tensor<4xi1> {
  %0 = "mirax.max"(%x, %y) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %1 = "mirax.compare"(%0, %y) {direction = "LT"} : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  return %1 : tensor<4xi1>
}

// -----

/// convert is a cast in the generic's body.
// CHECK-LABEL: func.func @convert
//       CHECK:   linalg.generic
//  CHECK-NEXT:   ^bb0(%[[IN:.+]]: i16, %{{.+}}: f64):
//  CHECK-NEXT:     %[[F:.+]] = arith.sitofp %[[IN]] : i16 to f64
//  CHECK-NEXT:     linalg.yield %[[F]] : f64
func.func @convert(%x: tensor<3xi16>) -> tensor<3xf64> {
  %0 = "mirax.convert"(%x) {new_dtype = f64} : (tensor<3xi16>) -> tensor<3xf64>
  return %0 : tensor<3xf64>
}

// -----

/// Complex ops use the complex dialect; 0-d tensors give 0-d generics.
// CHECK-LABEL: func.func @complex
//       CHECK:   %[[EXP:.+]] = linalg.generic
//  CHECK-SAME:       iterator_types = []
//       CHECK:     complex.exp %{{.+}} : complex<f32>
//       CHECK:   linalg.generic
//  CHECK-SAME:       ins(%[[EXP]] : tensor<complex<f32>>) outs(%{{.+}} : tensor<f32>)
//       CHECK:     complex.abs %{{.+}} : complex<f32>
func.func @complex(%z: tensor<complex<f32>>) -> tensor<f32> {
  %0 = "mirax.exp"(%z) : (tensor<complex<f32>>) -> tensor<complex<f32>>
  %1 = "mirax.abs"(%0) : (tensor<complex<f32>>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

/// Half-precision transcendentals compute in f32.
// CHECK-LABEL: func.func @half
//       CHECK:   ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
//  CHECK-NEXT:     %[[WIDE:.+]] = arith.extf %[[IN]] : f16 to f32
//  CHECK-NEXT:     %[[SIN:.+]] = math.sin %[[WIDE]] : f32
//  CHECK-NEXT:     %[[NARROW:.+]] = arith.truncf %[[SIN]] : f32 to f16
//  CHECK-NEXT:     linalg.yield %[[NARROW]] : f16
func.func @half(%x: tensor<2xf16>) -> tensor<2xf16> {
  %0 = "mirax.sin"(%x) : (tensor<2xf16>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

/// A constant is an arith.constant holding the same bits in a signless type;
/// iota is a generic yielding its linalg.index.
// CHECK-LABEL: func.func @constants() -> (tensor<2xi8>, tensor<2x3xi32>)
//   CHECK-DAG:   %[[CST:.+]] = arith.constant dense<[1, -1]> : tensor<2xi8>
//   CHECK-DAG:   %[[IOTA:.+]] = linalg.generic
//       CHECK:     %[[I:.+]] = linalg.index 1 : index
//       CHECK:     arith.index_cast %[[I]] : index to i64
//       CHECK:   return %[[CST]], %[[IOTA]] : tensor<2xi8>, tensor<2x3xi32>
func.func @constants() -> (tensor<2xui8>, tensor<2x3xi32>) {
  %0 = "mirax.constant"() {value = dense<[1, 255]> : tensor<2xui8>} : () -> tensor<2xui8>
  %1 = "mirax.iota"() {dimension = 1 : i64, dtype = i32, shape = array<i64: 2, 3>} : () -> tensor<2x3xi32>
  return %0, %1 : tensor<2xui8>, tensor<2x3xi32>
}

// -----

/// broadcast_in_dim reads a size-1 dimension at index 0; rev reads backwards;
/// reshape is a tensor.reshape to a constant shape.
//   CHECK-DAG: #[[REPEAT:.+]] = affine_map<(d0, d1) -> (d0, 0)>
//   CHECK-DAG: #[[REVERSE:.+]] = affine_map<(d0, d1) -> (-d0 + 2, d1)>
//   CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @shape
//  CHECK-SAME: (%[[X:.+]]: tensor<3x1xf32>)
//       CHECK:   %[[BCAST:.+]] = linalg.generic {indexing_maps = [#[[REPEAT]], #[[ID]]]
//  CHECK-SAME:       ins(%[[X]] : tensor<3x1xf32>) outs(%{{.+}} : tensor<3x4xf32>)
//       CHECK:   %[[SHAPE:.+]] = arith.constant dense<[1, 3]> : tensor<2xindex>
//       CHECK:   %[[RESHAPED:.+]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<3x1xf32>, tensor<2xindex>) -> tensor<1x3xf32>
//       CHECK:   %[[REV:.+]] = linalg.generic {indexing_maps = [#[[REVERSE]], #[[ID]]]
//       CHECK:   return %[[BCAST]], %[[RESHAPED]], %[[REV]]
func.func @shape(%x: tensor<3x1xf32>) -> (tensor<3x4xf32>, tensor<1x3xf32>, tensor<3x1xf32>) {
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 3, 4>, broadcast_dimensions = array<i64: 0, 1>} : (tensor<3x1xf32>) -> tensor<3x4xf32>
  %1 = "mirax.reshape"(%x) {new_sizes = array<i64: 1, 3>} : (tensor<3x1xf32>) -> tensor<1x3xf32>
  %2 = "mirax.rev"(%x) {dimensions = array<i64: 0>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  return %0, %1, %2 : tensor<3x4xf32>, tensor<1x3xf32>, tensor<3x1xf32>
}

// -----

/// Calls and the signatures of callees are converted like the rest.
// CHECK-LABEL: func.func @callee
//  CHECK-SAME: (%{{.+}}: tensor<2xi16>) -> tensor<2xi16>
// CHECK-LABEL: func.func @caller
//  CHECK-SAME: (%{{.+}}: tensor<2xi16>) -> tensor<2xi16>
//       CHECK:   %[[R:.+]] = call @callee(%{{.+}}) : (tensor<2xi16>) -> tensor<2xi16>
//       CHECK:   linalg.generic
//  CHECK-SAME:       ins(%[[R]] : tensor<2xi16>)
//       CHECK:     arith.subi
func.func @callee(%x: tensor<2xui16>) -> tensor<2xui16> {
  return %x : tensor<2xui16>
}
func.func @caller(%x: tensor<2xui16>) -> tensor<2xui16> {
  %0 = call @callee(%x) : (tensor<2xui16>) -> tensor<2xui16>
  %1 = "mirax.neg"(%0) : (tensor<2xui16>) -> tensor<2xui16>
  return %1 : tensor<2xui16>
}

// -----

/// A reduction (a float sum of up to 8 elements) is a linalg.generic with reduction
/// iterators over an init filled with the reduction's identity.
//   CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce_sum
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
//   CHECK-DAG:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[EMPTY:.+]] = tensor.empty() : tensor<2xf32>
//       CHECK:   %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<2xf32>)
//       CHECK:   %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]}
//  CHECK-SAME:       ins(%[[X]] : tensor<2x3xf32>) outs(%[[INIT]] : tensor<2xf32>)
//  CHECK-NEXT:   ^bb0(%[[IN:.+]]: f32, %[[ACC:.+]]: f32):
//  CHECK-NEXT:     %[[NEW:.+]] = arith.addf %[[ACC]], %[[IN]] : f32
//  CHECK-NEXT:     linalg.yield %[[NEW]] : f32
//       CHECK:   return %[[SUM]]
func.func @reduce_sum(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

/// A long float sum is a tree: windows of 128 along a contiguous axis folded by one
/// generic, which reads the operand through a map (so that an elementwise producer
/// fuses into it; an unread operand bounds the window's loop) and may reassociate
/// within a window (vector accumulators), then the windows' sums folded the same way.
//   CHECK-DAG: #[[WINDOWS:.+]] = affine_map<(d0, d1) -> (d0 * 128 + d1)>
//   CHECK-DAG: #[[LANE:.+]] = affine_map<(d0, d1) -> (d1)>
//   CHECK-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @sum_tree
//  CHECK-SAME: (%[[X:.+]]: tensor<1024xf32>)
//       CHECK:   %[[BOUND:.+]] = tensor.empty() : tensor<128xi8>
//       CHECK:   %[[PARTIAL:.+]] = linalg.generic {indexing_maps = [#[[WINDOWS]], #[[LANE]], #[[WINDOW]]], iterator_types = ["parallel", "reduction"]}
//  CHECK-SAME:       ins(%[[X]], %[[BOUND]] : tensor<1024xf32>, tensor<128xi8>) outs(%{{.+}} : tensor<8xf32>)
//       CHECK:     arith.addf %{{.+}}, %{{.+}} fastmath<reassoc> : f32
//       CHECK:   %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["reduction"]}
//  CHECK-SAME:       ins(%[[PARTIAL]] : tensor<8xf32>) outs(%{{.+}} : tensor<f32>)
//       CHECK:   return %[[SUM]]
func.func @sum_tree(%x: tensor<1024xf32>) -> tensor<f32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<1024xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

/// Along a strided axis the windows are 32 rows, added in order (no reassociation),
/// the loop over the columns innermost.
//   CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2) -> (d0 * 32 + d1, d2)>
// CHECK-LABEL: func.func @sum_columns
//       CHECK:   %[[PARTIAL:.+]] = linalg.generic {indexing_maps = [#[[ROWS]], {{.+}}], iterator_types = ["parallel", "reduction", "parallel"]}
//  CHECK-SAME:       outs(%{{.+}} : tensor<2x16xf32>)
//       CHECK:     arith.addf %{{.+}}, %{{.+}} : f32
//       CHECK:   linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[PARTIAL]] : tensor<2x16xf32>)
func.func @sum_columns(%x: tensor<64x16xf32>) -> tensor<16xf32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<64x16xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

/// A length with no window dividing it: the whole windows, then the tail's sum added.
// CHECK-LABEL: func.func @sum_tail
//       CHECK:   linalg.generic {{.+}} outs(%{{.+}} : tensor<1xf32>)
//       CHECK:   %[[WINDOWS:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<f32>)
//       CHECK:   %[[REST:.+]] = tensor.extract_slice %{{.+}}[128] [3] [1] : tensor<131xf32> to tensor<3xf32>
//       CHECK:   %[[TAIL:.+]] = linalg.generic {{.+}} ins(%[[REST]] : tensor<3xf32>)
//       CHECK:   linalg.generic {{.+}} ins(%[[WINDOWS]], %[[TAIL]] : tensor<f32>, tensor<f32>)
//       CHECK:     arith.addf
func.func @sum_tail(%x: tensor<131xf32>) -> tensor<f32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<131xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

/// A float contraction longer than 256 sums each block of 256 products from zero
/// (loops m, n, block, k), folds the blocks' sums, and adds the tail's.
//   CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2 * 256 + d3)>
//   CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d2 * 256 + d3, d1)>
// CHECK-LABEL: func.func @dot_blocks
//       CHECK:   %[[BLOCKS:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], {{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
//  CHECK-SAME:       outs(%{{.+}} : tensor<1x1x2xf32>)
//       CHECK:     arith.mulf
//       CHECK:     arith.addf %{{.+}}, %{{.+}} fastmath<reassoc> : f32
//       CHECK:   %[[SUM:.+]] = linalg.generic {{.+}} ins(%[[BLOCKS]] : tensor<1x1x2xf32>)
//       CHECK:   tensor.extract_slice %{{.+}}[0, 512] [1, 88] [1, 1]
//       CHECK:   %[[TAIL:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x1xf32>)
//       CHECK:   linalg.generic {{.+}} ins(%[[SUM]], %[[TAIL]] : tensor<1x1xf32>, tensor<1x1xf32>)
func.func @dot_blocks(%a: tensor<600xf32>, %b: tensor<600xf32>) -> tensor<f32> {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<600xf32>, tensor<600xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

/// argmax carries the best value and its index through one generic.
// CHECK-LABEL: func.func @argmax
//       CHECK:   %[[BEST:.+]]:2 = linalg.generic
//  CHECK-SAME:       iterator_types = ["reduction", "parallel"]
//  CHECK-SAME:       outs(%{{.+}}, %{{.+}} : tensor<3xf32>, tensor<3xi32>)
//       CHECK:     linalg.index 0 : index
//       CHECK:     arith.cmpf ogt
//       CHECK:   return %[[BEST]]#1 : tensor<3xi32>
func.func @argmax(%x: tensor<2x3xf32>) -> tensor<3xi32> {
  %0 = "mirax.argmax"(%x) {axes = array<i64: 0>, index_dtype = i32} : (tensor<2x3xf32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

/// A cumulative reduction (a float one up to 32 long) is a sequential scf.for over the axis.
// CHECK-LABEL: func.func @cumsum
//       CHECK:   scf.for
//       CHECK:     arith.addf
//       CHECK:     tensor.insert
func.func @cumsum(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mirax.cumsum"(%x) {axis = 1 : i64, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

/// A float cumsum longer than 32 runs by blocks of 32: blocks scanned side by side
/// (here three whole ones, then the short last one), each from zero, recording its
/// total; the totals scanned; each element then gets the total of the blocks before
/// its own (the scanned totals shifted by one block).
// CHECK-LABEL: func.func @cumsum_blocks
//       CHECK:   scf.for {{.+}} -> (f32, f32, f32, tensor<100xf32>)
//       CHECK:     arith.addf
//       CHECK:   tensor.insert %{{.+}} : tensor<4xf32>
//       CHECK:   scf.for {{.+}} -> (f32, tensor<100xf32>)
//       CHECK:   scf.for {{.+}} -> (f32, tensor<4xf32>)
//       CHECK:   %[[SHIFTED:.+]] = linalg.copy {{.+}} ins(%{{.+}} : tensor<3xf32>)
//       CHECK:   %[[BEFORE:.+]] = tensor.insert_slice %[[SHIFTED]] into %{{.+}}[1] [3] [1] : tensor<3xf32> into tensor<4xf32>
//       CHECK:   %[[BASE:.+]] = tensor.extract %[[BEFORE]]
//       CHECK:   scf.for {{.+}} -> (tensor<100xf32>)
//       CHECK:     arith.addf %[[BASE]], %{{.+}} : f32
func.func @cumsum_blocks(%x: tensor<100xf32>) -> tensor<100xf32> {
  %0 = "mirax.cumsum"(%x) {axis = 0 : i64, reverse = false} : (tensor<100xf32>) -> tensor<100xf32>
  return %0 : tensor<100xf32>
}

// -----

/// An f32 matmul that mirax-vectorize-matmul packs (it sums blocks of 256 from zero and
/// adds them in order) is cut, when longer than 4096, into chunks of 4096: an scf.for
/// (one matmul to compile) stacks their products, and the stack is folded.
// CHECK-LABEL: func.func @matmul_chunks
//       CHECK:   %[[STACK:.+]] = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[PRODUCTS:.+]] = %{{.+}}) -> (tensor<2x4x16xf32>)
//       CHECK:     %[[A:.+]] = tensor.extract_slice %{{.+}}[0, %[[K]]] [4, 4096] [1, 1]
//       CHECK:     %[[B:.+]] = tensor.extract_slice %{{.+}}[%[[K]], 0] [4096, 16] [1, 1]
//       CHECK:     %[[P:.+]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<4x4096xf32>, tensor<4096x16xf32>)
//       CHECK:     tensor.insert_slice %[[P]] into %[[PRODUCTS]][%{{.+}}, 0, 0] [1, 4, 16] [1, 1, 1]
//       CHECK:   linalg.generic {{.+}} iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[STACK]] : tensor<2x4x16xf32>)
func.func @matmul_chunks(%a: tensor<4x8192xf32>, %b: tensor<8192x16xf32>) -> tensor<4x16xf32> {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<4x8192xf32>, tensor<8192x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

/// A plain f32 matrix product (M a multiple of 4) is linalg.matmul into a zero-filled
/// init, which mirax-vectorize-matmul packs.
// CHECK-LABEL: func.func @matmul
//  CHECK-SAME: (%[[A:.+]]: tensor<4x3xf32>, %[[B:.+]]: tensor<3x4xf32>)
//       CHECK:   %[[INIT:.+]] = linalg.fill
//       CHECK:   %[[C:.+]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3x4xf32>) outs(%[[INIT]] : tensor<4x4xf32>)
//       CHECK:   return %[[C]]
func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<3x4xf32>) -> tensor<4x4xf32> {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<4x3xf32>, tensor<3x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

/// Matrix-vector products read their operands as they are, in one generic whose
/// innermost loop walks the larger operand's last dimension: here a vector times a
/// matrix, the matrix's columns (loops k, n: the product summed into, a vector at a
/// time)...
// CHECK-DAG:   #[[V_MAP:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG:   #[[B_MAP:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[C_MAP:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @vector_matrix
//  CHECK-SAME: (%[[V:.+]]: tensor<3xf32>, %[[B:.+]]: tensor<3x5xf32>)
//   CHECK-NOT:   linalg.matmul
//       CHECK:   linalg.generic {indexing_maps = [#[[V_MAP]], #[[B_MAP]], #[[C_MAP]]], iterator_types = ["reduction", "parallel"]} ins(%[[V]], %[[B]] : tensor<3xf32>, tensor<3x5xf32>)
//   CHECK-NOT:     fastmath
func.func @vector_matrix(%v: tensor<3xf32>, %b: tensor<3x5xf32>) -> tensor<5xf32> {
  %0 = "mirax.dot_general"(%v, %b) {lhs_contracting_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

/// ... and here, a vector times the rows of a matrix (a vmapped dot), the contraction,
/// summed in vector accumulators (reassociation within at most K_BLOCK products).
// CHECK-DAG:   #[[V_MAP:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG:   #[[M_MAP:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @rows_times_vector
//  CHECK-SAME: (%[[V:.+]]: tensor<6xf32>, %[[M:.+]]: tensor<8x6xf32>)
//       CHECK:   linalg.generic {indexing_maps = [#[[V_MAP]], #[[M_MAP]], {{.+}}], iterator_types = ["parallel", "reduction"]} ins(%[[V]], %[[M]] : tensor<6xf32>, tensor<8x6xf32>)
//       CHECK:     arith.addf {{.+}} fastmath<reassoc>
func.func @rows_times_vector(%v: tensor<6xf32>, %m: tensor<8x6xf32>) -> tensor<8xf32> {
  %0 = "mirax.dot_general"(%v, %m) {lhs_contracting_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 1>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<6xf32>, tensor<8x6xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

/// gather is a generic over the result that reads the index vector, clamps it
/// (mode "clip") and extracts from the operand.
// CHECK-LABEL: func.func @gather
//  CHECK-SAME: (%[[X:.+]]: tensor<5x3xf32>, %[[I:.+]]: tensor<4x1xi32>, %{{.+}}: tensor<f32>)
//       CHECK:   linalg.generic
//       CHECK:     tensor.extract %[[I]]
//       CHECK:     arith.minsi
//       CHECK:     tensor.extract %[[X]]
func.func @gather(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %fill: tensor<f32>) -> tensor<4x3xf32> {
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, mode = "clip"} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<f32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

/// A dynamic slice is a view at the clamped starts; unsigned start indices are
/// zero-extended and clamped with unsigned min.
// CHECK-LABEL: func.func @dynamic_slice
//  CHECK-SAME: (%[[X:.+]]: tensor<5x6xf64>, %{{.+}}: tensor<i8>)
//       CHECK:   arith.extui %{{.+}} : i8 to i64
//       CHECK:   %[[START:.+]] = arith.index_cast %{{.+}} : i64 to index
//       CHECK:   tensor.extract_slice %[[X]][%[[START]], %{{.+}}] [2, 2] [1, 1] : tensor<5x6xf64> to tensor<2x2xf64>
func.func @dynamic_slice(%x: tensor<5x6xf64>, %i: tensor<ui8>) -> tensor<2x2xf64> {
  %1 = "mirax.dynamic_slice"(%i, %i, %x) {slice_sizes = array<i64: 2, 2>} : (tensor<ui8>, tensor<ui8>, tensor<5x6xf64>) -> tensor<2x2xf64>
  return %1 : tensor<2x2xf64>
}

// -----

/// sort is a merge sort in scf loops comparing with NaNs last.
// CHECK-LABEL: func.func @sort
//       CHECK:   scf.for
//       CHECK:     arith.cmpf olt
//       CHECK:     tensor.insert
func.func @sort(%k: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mirax.sort"(%k) {dimension = 0 : i64, is_stable = true} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
