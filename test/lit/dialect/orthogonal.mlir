// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP
// RUN: mirax-opt %s --split-input-file --mirax-jvp | FileCheck %s --check-prefix=JVP

// The orthogonal factorizations (dialect/orthogonal.py): qr, eigh and svd, on batches
// of matrices in the last two dimensions.

/// Round trip: qr's q and r (full_matrices: q square), eigh's eigenvectors and real
/// eigenvalues.
// CHECK-LABEL: func.func @factor
//  CHECK-SAME: (%[[X:.+]]: tensor<2x4x3xf32>, %[[H:.+]]: tensor<3x3xcomplex<f64>>)
//  CHECK-NEXT:   %[[QR:.+]]:2 = "mirax.qr"(%[[X]]) {full_matrices = true} : (tensor<2x4x3xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x3xf32>)
//  CHECK-NEXT:   %[[EIGH:.+]]:2 = "mirax.eigh"(%[[H]]) {lower = false} : (tensor<3x3xcomplex<f64>>) -> (tensor<3x3xcomplex<f64>>, tensor<3xf64>)
//  CHECK-NEXT:   return %[[QR]]#0, %[[QR]]#1, %[[EIGH]]#0, %[[EIGH]]#1

/// Lowering: scalar loops over tensors. qr works on a copy of its operand (the loops
/// write in place), one matrix of the batch after the other: Householder reflections,
/// then q accumulated from an identity; r is the upper triangle of the result.
// LOWER-LABEL: func.func @factor
//  LOWER-SAME: (%[[X:.+]]: tensor<2x4x3xf32>, %[[H:.+]]: tensor<3x3xcomplex<f64>>)
//       LOWER:   %[[WORK:.+]] = linalg.copy {{.*}} ins(%[[X]] : tensor<2x4x3xf32>)
//       LOWER:   %[[EYE:.+]] = linalg.generic
//       LOWER:   %[[QR:.+]]:3 = scf.for %{{.+}} = %{{.+}} to %c2 {{.+}} iter_args(%{{.+}} = %[[WORK]], %{{.+}} = %{{.+}}, %{{.+}} = %[[EYE]])
//       LOWER:     math.sqrt
//       LOWER:     math.copysign
//       LOWER:   %[[R:.+]] = linalg.generic
//       LOWER:     arith.cmpi ule
//       LOWER:     tensor.extract %[[QR]]#0
/// eigh: the Hermitian matrix from the upper triangle, then Jacobi sweeps in an
/// scf.while until the off-diagonal part is below rounding.
//       LOWER:   %[[A:.+]] = linalg.generic {{.+}} ins(%[[H]] : tensor<3x3xcomplex<f64>>)
//       LOWER:     complex.conj
//       LOWER:     arith.cmpi ule
//       LOWER:   %[[EIGH:.+]]:3 = scf.for {{.+}} iter_args(%{{.+}} = %[[A]],
//       LOWER:     scf.while
//       LOWER:       scf.condition
//       LOWER:   return %[[QR]]#2, %[[R]], %[[EIGH]]#1, %[[EIGH]]#2
//   LOWER-NOT:   "mirax.
func.func @factor(%x: tensor<2x4x3xf32>, %h: tensor<3x3xcomplex<f64>>) -> (tensor<2x4x4xf32>, tensor<2x4x3xf32>, tensor<3x3xcomplex<f64>>, tensor<3xf64>) {
  %q, %r = "mirax.qr"(%x) {full_matrices = true} : (tensor<2x4x3xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x3xf32>)
  %v, %w = "mirax.eigh"(%h) {lower = false} : (tensor<3x3xcomplex<f64>>) -> (tensor<3x3xcomplex<f64>>, tensor<3xf64>)
  return %q, %r, %v, %w : tensor<2x4x4xf32>, tensor<2x4x3xf32>, tensor<3x3xcomplex<f64>>, tensor<3xf64>
}

// -----

// LOWER-LABEL: func.func private @f(
/// vmap: the batch dimension becomes the leading batch dimension of the op (moved
/// there from the middle); an unbatched eigh stays unbatched, its results broadcast.
// VMAP-LABEL: func.func private @f_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<4x5x3xf32>, %[[H:.+]]: tensor<3x3xf32>)
//       VMAP:   %[[T:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 1, 0, 2>}
//       VMAP:   %[[QR:.+]]:2 = "mirax.qr"(%[[T]]) {full_matrices = false} : (tensor<5x4x3xf32>) -> (tensor<5x4x3xf32>, tensor<5x3x3xf32>)
//       VMAP:   %[[EIGH:.+]]:2 = "mirax.eigh"(%[[H]]) {lower = true} : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xf32>)
//       VMAP:   %[[W:.+]] = "mirax.broadcast_in_dim"(%[[EIGH]]#1) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 5, 3>}
//       VMAP:   return %[[QR]]#0, %[[QR]]#1, %[[W]]
func.func private @f(%x: tensor<4x3xf32>, %h: tensor<3x3xf32>) -> (tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xf32>) {
  %q, %r = "mirax.qr"(%x) {full_matrices = false} : (tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3x3xf32>)
  %v, %w = "mirax.eigh"(%h) {lower = true} : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xf32>)
  return %q, %r, %w : tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xf32>
}
func.func private @f_vmap(tensor<4x5x3xf32>, tensor<3x3xf32>) -> (tensor<5x4x3xf32>, tensor<5x3x3xf32>, tensor<5x3xf32>)
    attributes {mirax.vmap_of = @f, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 0, 0, 0>}

// -----

/// eigh's JVP (JAX's): with vdag_adot_v = v^H t v, the eigenvalues' tangent is its
/// diagonal, the eigenvectors' v (F * vdag_adot_v) with F = 1 / (w_j - w_i) off the
/// diagonal.
// JVP-LABEL: func.func private @e_jvp_0
//  JVP-SAME: (%[[A:.+]]: tensor<3x3xf32>, %[[T:.+]]: tensor<3x3xf32>)
//       JVP:   %[[E:.+]]:2 = "mirax.eigh"(%[[A]]) {lower = true}
//       JVP:   %[[VT:.+]] = "mirax.transpose"(%[[E]]#0) {permutation = array<i64: 1, 0>}
//       JVP:   %[[VTT:.+]] = "mirax.dot_general"(%[[VT]], %[[T]])
//       JVP:   %[[INNER:.+]] = "mirax.dot_general"(%[[VTT]], %[[E]]#0)
//       JVP:   %[[SCALED:.+]] = "mirax.mul"(%{{.+}}, %[[INNER]])
//       JVP:   %[[DV:.+]] = "mirax.dot_general"(%[[E]]#0, %[[SCALED]])
//       JVP:   %[[DIAGONAL:.+]] = "mirax.mul"(%[[INNER]], %{{.+}})
//       JVP:   %[[DW:.+]] = "mirax.reduce_sum"(%[[DIAGONAL]]) {axes = array<i64: 1>}
//       JVP:   return %[[E]]#0, %[[E]]#1, %[[DV]], %[[DW]]
func.func private @e(%a: tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xf32>) {
  %v, %w = "mirax.eigh"(%a) {lower = true} : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xf32>)
  return %v, %w : tensor<3x3xf32>, tensor<3xf32>
}
func.func private @e_jvp_0(tensor<3x3xf32>, tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xf32>, tensor<3x3xf32>, tensor<3xf32>)
    attributes {mirax.jvp_of = @e, mirax.active = array<i64: 0>}

// -----

/// qr's JVP (JAX's) for a tall matrix: dx r^-1 by a triangular solve from the right
/// with the upper triangle of r, then q^H (dx r^-1) split into its strictly lower
/// part (the skew-symmetric do) and the rest.
// JVP-LABEL: func.func private @q_jvp_0
//  JVP-SAME: (%[[X:.+]]: tensor<4x3xf64>, %[[T:.+]]: tensor<4x3xf64>)
//       JVP:   %[[QR:.+]]:2 = "mirax.qr"(%[[X]]) {full_matrices = false}
//       JVP:   %[[SOLVED:.+]] = "mirax.triangular_solve"(%[[QR]]#1, %[[T]]) {conjugate_a = false, left_side = false, lower = false, transpose_a = false, unit_diagonal = false}
//       JVP:   "mirax.select"
//       JVP:   %[[DQ:.+]] = "mirax.add"(%{{.+}}, %[[SOLVED]])
//       JVP:   %[[DR:.+]] = "mirax.dot_general"(%{{.+}}, %[[QR]]#1)
//       JVP:   return %[[QR]]#0, %[[QR]]#1, %[[DQ]], %[[DR]]
func.func private @q(%x: tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3x3xf64>) {
  %q, %r = "mirax.qr"(%x) {full_matrices = false} : (tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3x3xf64>)
  return %q, %r : tensor<4x3xf64>, tensor<3x3xf64>
}
func.func private @q_jvp_0(tensor<4x3xf64>, tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3x3xf64>, tensor<4x3xf64>, tensor<3x3xf64>)
    attributes {mirax.jvp_of = @q, mirax.active = array<i64: 0>}

// -----

/// svd: (s, u, vt), s real; without compute_uv, u and vt are empty.
// CHECK-LABEL: func.func @svd
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xcomplex<f32>>, %[[Y:.+]]: tensor<4x3xf64>)
//  CHECK-NEXT:   %[[A:.+]]:3 = "mirax.svd"(%[[X]]) {compute_uv = true, full_matrices = true} : (tensor<2x3x4xcomplex<f32>>) -> (tensor<2x3xf32>, tensor<2x3x3xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>)
//  CHECK-NEXT:   %[[B:.+]]:3 = "mirax.svd"(%[[Y]]) {compute_uv = false, full_matrices = false} : (tensor<4x3xf64>) -> (tensor<3xf64>, tensor<4x0xf64>, tensor<0x3xf64>)
//  CHECK-NEXT:   return %[[A]]#0, %[[A]]#1, %[[A]]#2, %[[B]]#0, %[[B]]#1, %[[B]]#2

/// Lowering: the one-sided Jacobi works on the rows of g = w^T, w being x^H for a
/// wide x (so g is conj(x)) and x for a tall one (so g is x^T). Per matrix: scaled by
/// its largest magnitude, sweeps of row rotations in an scf.while, each from the
/// pair's Gram matrix (|gamma| compared with eps |g_p| |g_q|), applied to g and to
/// V^T; the singular values are the row norms, sorted descending (ogt) with the rows;
/// the Householder QR (copysign) of w, in place in g (w^T), gives Q^T.
// LOWER-LABEL: func.func @svd
//  LOWER-SAME: (%[[X:.+]]: tensor<2x3x4xcomplex<f32>>, %[[Y:.+]]: tensor<4x3xf64>)
//       LOWER:   %[[G:.+]] = linalg.generic {{.+}} ins(%[[X]] : tensor<2x3x4xcomplex<f32>>)
//       LOWER:     complex.conj
//       LOWER:   %[[A:.+]]:5 = scf.for {{.+}} iter_args(%{{.+}} = %[[G]],
//       LOWER:     arith.maximumf
//       LOWER:     scf.while
//       LOWER:       complex.conj
//       LOWER:       complex.abs
//       LOWER:       arith.cmpf ogt
//       LOWER:     math.sqrt
//       LOWER:     arith.cmpf ogt
//       LOWER:     math.copysign
/// A wide x = V diag(s) Q^H: u from V^T transposed, vt is Q^H = conj(Q^T).
//       LOWER:   %[[U:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2x3x3xcomplex<f32>>)
//       LOWER:     tensor.extract %[[A]]#3
//       LOWER:   %[[VT:.+]] = linalg.generic {{.+}} ins(%[[A]]#4 : tensor<2x4x4xcomplex<f32>>)
//       LOWER:     complex.conj
/// The tall real one, without u and vt: g = x^T, one matrix.
//       LOWER:   %[[H:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<3x4xf64>)
//       LOWER:     tensor.extract %[[Y]]
//       LOWER:   %[[B:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %c1{{.*}} iter_args(%{{.+}} = %[[H]],
//       LOWER:     scf.while
//       LOWER:   %[[E:.+]] = tensor.empty() : tensor<4x0xf64>
//       LOWER:   %[[F:.+]] = tensor.empty() : tensor<0x3xf64>
//       LOWER:   return %[[A]]#1, %[[U]], %[[VT]], %[[B]]#1, %[[E]], %[[F]]
//   LOWER-NOT:   "mirax.
func.func @svd(%x: tensor<2x3x4xcomplex<f32>>, %y: tensor<4x3xf64>) -> (tensor<2x3xf32>, tensor<2x3x3xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>, tensor<3xf64>, tensor<4x0xf64>, tensor<0x3xf64>) {
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = true, compute_uv = true} : (tensor<2x3x4xcomplex<f32>>) -> (tensor<2x3xf32>, tensor<2x3x3xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>)
  %t, %e, %f = "mirax.svd"(%y) {full_matrices = false, compute_uv = false} : (tensor<4x3xf64>) -> (tensor<3xf64>, tensor<4x0xf64>, tensor<0x3xf64>)
  return %s, %u, %vt, %t, %e, %f : tensor<2x3xf32>, tensor<2x3x3xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>, tensor<3xf64>, tensor<4x0xf64>, tensor<0x3xf64>
}

// -----

// LOWER-LABEL: func.func private @sv(
/// vmap of svd: the batch dimension moves to the front of the op's batch.
// VMAP-LABEL: func.func private @sv_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<4x5x3xf32>)
//       VMAP:   %[[T:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 1, 0, 2>}
//       VMAP:   %[[SVD:.+]]:3 = "mirax.svd"(%[[T]]) {compute_uv = true, full_matrices = false} : (tensor<5x4x3xf32>) -> (tensor<5x3xf32>, tensor<5x4x3xf32>, tensor<5x3x3xf32>)
//       VMAP:   return %[[SVD]]#0, %[[SVD]]#1, %[[SVD]]#2
func.func private @sv(%x: tensor<4x3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>, tensor<3x3xf32>) {
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false, compute_uv = true} : (tensor<4x3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>, tensor<3x3xf32>)
  return %s, %u, %vt : tensor<3xf32>, tensor<4x3xf32>, tensor<3x3xf32>
}
func.func private @sv_vmap(tensor<4x5x3xf32>) -> (tensor<5x3xf32>, tensor<5x4x3xf32>, tensor<5x3x3xf32>)
    attributes {mirax.vmap_of = @sv, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 0, 0, 0>}

// -----

/// The singular values' JVP (JAX's): from the reduced factorization with u and vt,
/// ds = diag(u^H t v).
// JVP-LABEL: func.func private @sv_jvp_0
//  JVP-SAME: (%[[A:.+]]: tensor<3x3xf64>, %[[T:.+]]: tensor<3x3xf64>)
//       JVP:   %[[SVD:.+]]:3 = "mirax.svd"(%[[A]]) {compute_uv = true, full_matrices = false}
//   JVP-DAG:   %[[V:.+]] = "mirax.transpose"(%[[SVD]]#2)
//   JVP-DAG:   %[[UH:.+]] = "mirax.transpose"(%[[SVD]]#1)
//       JVP:   %[[UHT:.+]] = "mirax.dot_general"(%[[UH]], %[[T]])
//       JVP:   %[[DS:.+]] = "mirax.dot_general"(%[[UHT]], %[[V]])
//       JVP:   %[[DIAGONAL:.+]] = "mirax.mul"(%[[DS]], %{{.+}})
//       JVP:   %[[D:.+]] = "mirax.reduce_sum"(%[[DIAGONAL]]) {axes = array<i64: 1>}
//       JVP:   return %[[SVD]]#0, %[[D]]
func.func private @sv(%x: tensor<3x3xf64>) -> tensor<3xf64> {
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = true, compute_uv = false} : (tensor<3x3xf64>) -> (tensor<3xf64>, tensor<3x0xf64>, tensor<0x3xf64>)
  return %s : tensor<3xf64>
}
func.func private @sv_jvp_0(tensor<3x3xf64>, tensor<3x3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
    attributes {mirax.jvp_of = @sv, mirax.active = array<i64: 0>}

// -----

/// Rows of real matrices as long as 16 go 16 elements at a time: the Gram sums as
/// vector FMAs reduced at the end, then the remainder one by one; the rotations as
/// vector transfers, over no chunks where the pair is already orthogonal.
// LOWER-LABEL: func.func @svd_of_long_rows
//       LOWER:   scf.while
//       LOWER:     vector.transfer_read
//       LOWER:     vector.fma
//       LOWER:     vector.reduction <add>
//       LOWER:     tensor.extract
//       LOWER:     arith.select %{{.+}}, %c1{{.*}}, %c0
//       LOWER:     vector.transfer_write
//       LOWER:     tensor.insert
func.func @svd_of_long_rows(%x: tensor<17x16xf32>) -> tensor<16xf32> {
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false, compute_uv = false} : (tensor<17x16xf32>) -> (tensor<16xf32>, tensor<17x0xf32>, tensor<0x16xf32>)
  return %s : tensor<16xf32>
}
