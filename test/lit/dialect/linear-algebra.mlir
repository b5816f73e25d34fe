// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-jvp | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --split-input-file --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP

// The LU-and-Cholesky ops (dialect/linear_algebra.py): cholesky, triangular_solve and lu, on
// batches of matrices in the last two dimensions.

/// Round trip: cholesky's factor, triangular_solve's flags, lu's three results (the
/// pivots and permutation int32).
// CHECK-LABEL: func.func @factor
//  CHECK-SAME: (%[[A:.+]]: tensor<2x3x3xf32>, %[[B:.+]]: tensor<2x3x4xf32>, %[[C:.+]]: tensor<4x3xcomplex<f64>>)
//  CHECK-NEXT:   %[[L:.+]] = "mirax.cholesky"(%[[A]]) : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
//  CHECK-NEXT:   %[[X:.+]] = "mirax.triangular_solve"(%[[L]], %[[B]]) {conjugate_a = false, left_side = true, lower = true, transpose_a = false, unit_diagonal = false}
//  CHECK-NEXT:   %[[LU:.+]]:3 = "mirax.lu"(%[[C]]) : (tensor<4x3xcomplex<f64>>) -> (tensor<4x3xcomplex<f64>>, tensor<3xi32>, tensor<4xi32>)
//  CHECK-NEXT:   return %[[L]], %[[X]], %[[LU]]#0, %[[LU]]#1, %[[LU]]#2

/// Lowering: scf loops over the batch, each matrix factored in place in a copy of the
/// operand (here one tile of its own size, 3 x 3: nothing padded). cholesky: an scf.for
/// over block columns, each tile less a sum of products of the tiles to its left
/// (linalg.matmul), the diagonal tile by columns (sqrt of the pivot, the column below
/// divided by it), then the factor's lower triangle, or NaNs unless its diagonal is
/// positive (JAX's result where LAPACK fails).
// LOWER-LABEL: func.func @factor
//  LOWER-SAME: (%[[A:.+]]: tensor<2x3x3xf32>, %[[B:.+]]: tensor<2x3x4xf32>, %[[C:.+]]: tensor<4x3xcomplex<f64>>)
//       LOWER:   %[[WORK:.+]] = linalg.copy {{.*}} ins(%[[A]] : tensor<2x3x3xf32>)
//       LOWER:   %[[L:.+]] = scf.for %{{.+}} = %{{.+}} to %c2 {{.+}} iter_args(%[[BATCH:.+]] = %[[WORK]])
//       LOWER:     %[[M:.+]] = tensor.extract_slice %[[BATCH]][%{{.+}}, 0, 0] [1, 3, 3] [1, 1, 1] : tensor<2x3x3xf32> to tensor<3x3xf32>
//       LOWER:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[M]])
//       LOWER:       linalg.matmul
//       LOWER:       math.sqrt
//       LOWER:       arith.divf
//       LOWER:     arith.cmpf ogt
//       LOWER:     %[[TRIL:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<3x3xf32>)
//       LOWER:       arith.cmpi uge
//       LOWER:       arith.select
//       LOWER:     tensor.insert_slice %[[TRIL]] into %[[BATCH]]
/// triangular_solve (here left, lower: no reordering of a or b): the inverse of each
/// diagonal tile of a by scalar loops, then block rows of b, each less the products
/// of the tiles before it, times the inverse (linalg.matmul).
//       LOWER:   %[[RHS:.+]] = linalg.copy {{.*}} ins(%[[B]] : tensor<2x3x4xf32>)
//       LOWER:   %[[X:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[RHS]])
//       LOWER:     tensor.extract_slice %[[L]]
//       LOWER:     scf.for
//       LOWER:     linalg.matmul
/// lu: the matrix padded to whole tiles of rows (zeros), pivots and the permutation (an
/// iota) beside it; per column, the row of largest |re| + |im| from the diagonal down
/// among a's own rows (to %c4), swapped into place.
//       LOWER:   %[[LUWORK:.+]] = tensor.insert_slice %[[C]] into %{{.+}}[0, 0] [4, 3] [1, 1] : tensor<4x3xcomplex<f64>> into tensor<6x3xcomplex<f64>>
//       LOWER:   %[[PIVOTS:.+]] = tensor.empty() : tensor<3xi32>
//       LOWER:   %[[IOTA:.+]] = linalg.generic
//       LOWER:   scf.for %{{.+}} = %{{.+}} to %{{.+}} {{.+}} iter_args(%{{.+}} = %[[LUWORK]], %{{.+}} = %[[PIVOTS]], %{{.+}} = %[[IOTA]])
//       LOWER:     scf.for %{{.+}} = %{{.+}} to %c4 {{.+}} -> (f64, index)
//       LOWER:       complex.re
//       LOWER:       math.absf
//       LOWER:       arith.cmpf ogt
//       LOWER:     arith.index_cast %{{.+}} : index to i32
//       LOWER:     complex.neq
//       LOWER:     complex.div
//       LOWER:   linalg.copy {{.*}} ins(%{{.+}} : tensor<4x3xcomplex<f64>>)
//   LOWER-NOT:   "mirax.
func.func @factor(%a: tensor<2x3x3xf32>, %b: tensor<2x3x4xf32>, %c: tensor<4x3xcomplex<f64>>) -> (tensor<2x3x3xf32>, tensor<2x3x4xf32>, tensor<4x3xcomplex<f64>>, tensor<3xi32>, tensor<4xi32>) {
  %l = "mirax.cholesky"(%a) : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %x = "mirax.triangular_solve"(%l, %b) {left_side = true, lower = true, transpose_a = false, conjugate_a = false, unit_diagonal = false} : (tensor<2x3x3xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %lu, %p, %q = "mirax.lu"(%c) : (tensor<4x3xcomplex<f64>>) -> (tensor<4x3xcomplex<f64>>, tensor<3xi32>, tensor<4xi32>)
  return %l, %x, %lu, %p, %q : tensor<2x3x3xf32>, tensor<2x3x4xf32>, tensor<4x3xcomplex<f64>>, tensor<3xi32>, tensor<4xi32>
}

// -----

/// An upper triangular a solved from the right, transposed: x op(a) = b is
/// op(a)^T x^T = b^T, an upper (here: op(a)^T = a) solve from the left of b's
/// transpose, read back transposed. The upper diagonal block's inverse is the lower
/// one's with rows and columns reversed (indices 2 - i); with unit_diagonal, a's
/// diagonal is never read and nothing divides.
//       LOWER: #[[SWAP:.+]] = affine_map<(d0, d1) -> (d1, d0)>
//       LOWER: #[[IDENTITY:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// LOWER-LABEL: func.func @upper_right
//  LOWER-SAME: (%[[A:.+]]: tensor<3x3xf32>, %[[B:.+]]: tensor<2x3xf32>)
//       LOWER:   %[[C:.+]] = linalg.generic {indexing_maps = [#[[SWAP]], #[[IDENTITY]]], {{.+}} ins(%[[B]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<3x2xf32>)
//   LOWER-NOT:   arith.divf
//       LOWER:   arith.subi %c2
//   LOWER-NOT:   arith.divf
//       LOWER:   linalg.matmul
//       LOWER:   %[[OUT:.+]] = linalg.generic {indexing_maps = [#[[SWAP]], #[[IDENTITY]]], {{.+}} outs(%{{.+}} : tensor<2x3xf32>)
//       LOWER:   return %[[OUT]]
func.func @upper_right(%a: tensor<3x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %x = "mirax.triangular_solve"(%a, %b) {left_side = false, lower = false, transpose_a = true, conjugate_a = false, unit_diagonal = true} : (tensor<3x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}

// -----

/// Past one tile (64 x 64), the loops over tiles are the same whatever the size: a
/// 130 x 130 matrix is padded with the identity to 3 x 3 tiles; an scf.for over block
/// columns j, tiles at offsets j * 64 (extract_slice with dynamic offsets, static
/// sizes), two linalg.matmuls of static 64 x 64 tiles in all (a tile of the block
/// column less products of the tiles to its left, a tile below the diagonal times the
/// inverse of the diagonal tile's transpose), each in an scf.forall over the block
/// rows from j (threads), not one per block.
// LOWER-LABEL: func.func @tiled
//  LOWER-SAME: (%[[A:.+]]: tensor<130x130xf32>, %[[B:.+]]: tensor<130x300xf32>)
//       LOWER:   %[[FRAME:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<192x192xf32>)
//       LOWER:   %[[PADDED:.+]] = tensor.insert_slice %[[A]] into %[[FRAME]][0, 0] [130, 130] [1, 1]
//       LOWER:   scf.for {{.+}} iter_args(%{{.+}} = %[[PADDED]])
//       LOWER:     scf.for %[[J:.+]] = %{{.+}} to %c3{{.*}} step
//       LOWER:       arith.muli %[[J]], %c64
//       LOWER:       scf.forall (%{{.+}}) = (%[[J]]) to (%c3{{.*}}) step (1) shared_outs
//       LOWER:         linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x64xf32>) outs(%{{.+}} : tensor<64x64xf32>)
//       LOWER:       math.sqrt
//       LOWER:       scf.forall
//       LOWER:         linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x64xf32>) outs(%{{.+}} : tensor<64x64xf32>)
//   LOWER-NOT:   linalg.matmul
//       LOWER:   %[[L:.+]] = linalg.copy {{.*}} ins(%{{.+}} : tensor<130x130xf32>)
/// triangular_solve: the right-hand sides in blocks of 256 columns, an scf.forall over
/// the whole ones (threads), the rest (44 columns) after it; in each, an scf.for over
/// block rows, with matmuls of static tiles.
//       LOWER:   scf.forall (%{{.+}}) in (1) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<192x300xf32>)
//       LOWER:     scf.for
//       LOWER:       linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x256xf32>)
//       LOWER:     tensor.parallel_insert_slice
//       LOWER:   scf.for
//       LOWER:     linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x44xf32>)
func.func @tiled(%a: tensor<130x130xf32>, %b: tensor<130x300xf32>) -> (tensor<130x130xf32>, tensor<130x300xf32>) {
  %l = "mirax.cholesky"(%a) : (tensor<130x130xf32>) -> tensor<130x130xf32>
  %x = "mirax.triangular_solve"(%l, %b) {left_side = true, lower = true, transpose_a = false, conjugate_a = false, unit_diagonal = false} : (tensor<130x130xf32>, tensor<130x300xf32>) -> tensor<130x300xf32>
  return %l, %x : tensor<130x130xf32>, tensor<130x300xf32>
}

// -----

/// cholesky's JVP (JAX's, Murray 2016): L_dot = L phi(L^-1 t L^-H), two triangular
/// solves, phi keeping the strict lower triangle and half the diagonal.
// JVP-LABEL: func.func private @c_jvp_0
//  JVP-SAME: (%[[A:.+]]: tensor<3x3xf32>, %[[T:.+]]: tensor<3x3xf32>)
//       JVP:   %[[L:.+]] = "mirax.cholesky"(%[[A]])
//       JVP:   %[[TMP:.+]] = "mirax.triangular_solve"(%[[L]], %[[T]]) {conjugate_a = false, left_side = false, lower = true, transpose_a = true, unit_diagonal = false}
//       JVP:   %[[INNER:.+]] = "mirax.triangular_solve"(%[[L]], %[[TMP]]) {conjugate_a = false, left_side = true, lower = true, transpose_a = false, unit_diagonal = false}
//       JVP:   %[[HALF:.+]] = "mirax.mul"(%[[INNER]], %{{.+}})
//       JVP:   %[[STRICT:.+]] = "mirax.select"(%{{.+}}, %[[INNER]], %{{.+}})
//       JVP:   %[[PHI:.+]] = "mirax.select"(%{{.+}}, %[[HALF]], %[[STRICT]])
//       JVP:   %[[DOT:.+]] = "mirax.dot_general"(%[[L]], %[[PHI]])
//       JVP:   return %[[L]], %[[DOT]]
func.func private @c(%a: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %l = "mirax.cholesky"(%a) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %l : tensor<3x3xf32>
}
func.func private @c_jvp_0(tensor<3x3xf32>, tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3x3xf32>)
    attributes {mirax.jvp_of = @c, mirax.active = array<i64: 0>}

// -----

/// triangular_solve is linear in b: its transpose solves with a transposed.
// VJP-LABEL: func.func private @s_vjp_1_linear_transpose
//  VJP-SAME: (%[[A:.+]]: tensor<3x3xf32>, %[[CT:.+]]: tensor<3x2xf32>)
//  VJP-NEXT:   %[[G:.+]] = "mirax.triangular_solve"(%[[A]], %[[CT]]) {conjugate_a = false, left_side = true, lower = true, transpose_a = true, unit_diagonal = false}
//  VJP-NEXT:   return %[[G]]
func.func private @s(%a: tensor<3x3xf32>, %b: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %x = "mirax.triangular_solve"(%a, %b) {left_side = true, lower = true, transpose_a = false, conjugate_a = false, unit_diagonal = false} : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %x : tensor<3x2xf32>
}
func.func private @s_vjp_1(tensor<3x3xf32>, tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
    attributes {mirax.vjp_of = @s, mirax.active = array<i64: 1>}

// -----

/// vmap: the batch dimension goes first (cholesky, lu); a triangular_solve with an
/// unbatched a solves every element at once, the batch joined to b's columns.
// VMAP-LABEL: func.func private @f_vmap
//  VMAP-SAME: (%[[A:.+]]: tensor<3x5x3xf32>, %[[A2:.+]]: tensor<3x3xf32>, %[[B:.+]]: tensor<3x2x5xf32>)
//       VMAP:   %[[T:.+]] = "mirax.transpose"(%[[A]]) {permutation = array<i64: 1, 0, 2>}
//       VMAP:   %[[L:.+]] = "mirax.cholesky"(%[[T]]) : (tensor<5x3x3xf32>) -> tensor<5x3x3xf32>
//       VMAP:   %[[LU:.+]]:3 = "mirax.lu"(%{{.+}}) : (tensor<5x3x3xf32>) -> (tensor<5x3x3xf32>, tensor<5x3xi32>, tensor<5x3xi32>)
//       VMAP:   %[[JOINED:.+]] = "mirax.reshape"(%[[B]]) {new_sizes = array<i64: 3, 10>}
//       VMAP:   %[[X:.+]] = "mirax.triangular_solve"(%[[A2]], %[[JOINED]]) {{.+}} : (tensor<3x3xf32>, tensor<3x10xf32>) -> tensor<3x10xf32>
//       VMAP:   %[[SPLIT:.+]] = "mirax.reshape"(%[[X]]) {new_sizes = array<i64: 3, 2, 5>}
//       VMAP:   return %[[L]], %[[LU]]#1, %[[SPLIT]]
func.func private @f(%a: tensor<3x3xf32>, %a2: tensor<3x3xf32>, %b: tensor<3x2xf32>) -> (tensor<3x3xf32>, tensor<3xi32>, tensor<3x2xf32>) {
  %l = "mirax.cholesky"(%a) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %lu, %p, %q = "mirax.lu"(%a) : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xi32>, tensor<3xi32>)
  %x = "mirax.triangular_solve"(%a2, %b) {left_side = true, lower = true, transpose_a = false, conjugate_a = false, unit_diagonal = false} : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %l, %p, %x : tensor<3x3xf32>, tensor<3xi32>, tensor<3x2xf32>
}
func.func private @f_vmap(tensor<3x5x3xf32>, tensor<3x3xf32>, tensor<3x2x5xf32>) -> (tensor<5x3x3xf32>, tensor<5x3xi32>, tensor<3x2x5xf32>)
    attributes {mirax.vmap_of = @f, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1, 2>, mirax.out_axes = array<i64: 0, 0, 2>}
