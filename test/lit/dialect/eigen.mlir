// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --split-input-file --mirax-vmap | FileCheck %s --check-prefix=VMAP
// RUN: mirax-opt %s --split-input-file --mirax-jvp | FileCheck %s --check-prefix=JVP

// The general eigenproblems (dialect/eigen.py): hessenberg, householder_product,
// schur and eig, on batches of square matrices in the last two dimensions.

/// Round trip: hessenberg's packed matrix and n - 1 taus; the product of reflectors;
/// schur's t and z (empty without vectors); eig's complex eigenvalues and eigenvectors
/// (empty where not asked for).
// CHECK-LABEL: func.func @ops
//  CHECK-SAME: (%[[X:.+]]: tensor<2x4x4xf32>, %[[C:.+]]: tensor<3x3xcomplex<f64>>, %[[T:.+]]: tensor<3xcomplex<f64>>)
//  CHECK-NEXT:   %[[H:.+]]:2 = "mirax.hessenberg"(%[[X]]) : (tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x3xf32>)
//  CHECK-NEXT:   %[[Q:.+]] = "mirax.householder_product"(%[[C]], %[[T]]) : (tensor<3x3xcomplex<f64>>, tensor<3xcomplex<f64>>) -> tensor<3x3xcomplex<f64>>
//  CHECK-NEXT:   %[[S:.+]]:2 = "mirax.schur"(%[[C]]) {compute_schur_vectors = false} : (tensor<3x3xcomplex<f64>>) -> (tensor<3x3xcomplex<f64>>, tensor<3x0xcomplex<f64>>)
//  CHECK-NEXT:   %[[E:.+]]:3 = "mirax.eig"(%[[X]]) {compute_left_eigenvectors = false, compute_right_eigenvectors = true, enable_eigvec_derivs = false} : (tensor<2x4x4xf32>) -> (tensor<2x4xcomplex<f32>>, tensor<2x4x0xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>)

/// Lowering: scalar loops over tensors, one matrix of the batch after the other. eig
/// of a real matrix: scaled by a power of 2, the Hessenberg reduction (copysign: the
/// reflectors' beta), the real Schur form by double-shift sweeps in an scf.while
/// (dlanv2's square roots for its 2x2 blocks), the eigenvalues made complex.
// LOWER-LABEL: func.func @ops
//       LOWER:   scf.for
//       LOWER:     math.copysign
//       LOWER:   scf.for
//       LOWER:     math.exp2
//       LOWER:     math.copysign
//       LOWER:     scf.while
//       LOWER:       scf.condition
//       LOWER:       math.sqrt
//       LOWER:     complex.create
//   LOWER-NOT:   "mirax.
func.func @ops(%x: tensor<2x4x4xf32>, %c: tensor<3x3xcomplex<f64>>, %t: tensor<3xcomplex<f64>>) -> (tensor<2x4x4xf32>, tensor<2x3xf32>, tensor<3x3xcomplex<f64>>, tensor<3x3xcomplex<f64>>, tensor<2x4xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>) {
  %h, %taus = "mirax.hessenberg"(%x) : (tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x3xf32>)
  %q = "mirax.householder_product"(%c, %t) : (tensor<3x3xcomplex<f64>>, tensor<3xcomplex<f64>>) -> tensor<3x3xcomplex<f64>>
  %s, %z = "mirax.schur"(%c) {compute_schur_vectors = false} : (tensor<3x3xcomplex<f64>>) -> (tensor<3x3xcomplex<f64>>, tensor<3x0xcomplex<f64>>)
  %w, %vl, %vr = "mirax.eig"(%x) {compute_left_eigenvectors = false, compute_right_eigenvectors = true, enable_eigvec_derivs = false} : (tensor<2x4x4xf32>) -> (tensor<2x4xcomplex<f32>>, tensor<2x4x0xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>)
  return %h, %taus, %q, %s, %w, %vr : tensor<2x4x4xf32>, tensor<2x3xf32>, tensor<3x3xcomplex<f64>>, tensor<3x3xcomplex<f64>>, tensor<2x4xcomplex<f32>>, tensor<2x4x4xcomplex<f32>>
}

// -----

// LOWER-LABEL: func.func private @f(
/// vmap: the batch dimension becomes the leading batch dimension of the op.
// VMAP-LABEL: func.func private @f_vmap
//  VMAP-SAME: (%[[X:.+]]: tensor<3x5x3xf32>)
//       VMAP:   %[[T:.+]] = "mirax.transpose"(%[[X]]) {permutation = array<i64: 1, 0, 2>}
//       VMAP:   %[[S:.+]]:2 = "mirax.schur"(%[[T]]) {compute_schur_vectors = true} : (tensor<5x3x3xf32>) -> (tensor<5x3x3xf32>, tensor<5x3x3xf32>)
//       VMAP:   return %[[S]]#0, %[[S]]#1
func.func private @f(%x: tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3x3xf32>) {
  %t, %z = "mirax.schur"(%x) {compute_schur_vectors = true} : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3x3xf32>)
  return %t, %z : tensor<3x3xf32>, tensor<3x3xf32>
}
func.func private @f_vmap(tensor<3x5x3xf32>) -> (tensor<5x3x3xf32>, tensor<5x3x3xf32>)
    attributes {mirax.vmap_of = @f, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 0, 0>}

// -----

/// The eigenvalues' JVP (JAX's): with the right eigenvectors v (asked for now), the
/// diagonal of v^-1 da v, summed as (v^-1 da) * v^T: an LU solve (two triangular
/// solves after the row permutation).
// JVP-LABEL: func.func private @e_jvp_0
//  JVP-SAME: (%[[A:.+]]: tensor<3x3xcomplex<f32>>, %[[T:.+]]: tensor<3x3xcomplex<f32>>)
//       JVP:   %[[E:.+]]:3 = "mirax.eig"(%[[A]]) {compute_left_eigenvectors = false, compute_right_eigenvectors = true, enable_eigvec_derivs = false}
//       JVP:   %[[VT:.+]] = "mirax.transpose"(%[[E]]#2)
//       JVP:   "mirax.lu"(%[[E]]#2)
//       JVP:   "mirax.triangular_solve"
//       JVP:   %[[X:.+]] = "mirax.triangular_solve"
//       JVP:   %[[P:.+]] = "mirax.mul"(%[[X]], %[[VT]])
//       JVP:   %[[DW:.+]] = "mirax.reduce_sum"(%[[P]]) {axes = array<i64: 1>}
//       JVP:   return %[[E]]#0, %[[DW]]
func.func private @e(%a: tensor<3x3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %w, %vl, %vr = "mirax.eig"(%a) {compute_left_eigenvectors = false, compute_right_eigenvectors = false, enable_eigvec_derivs = false} : (tensor<3x3xcomplex<f32>>) -> (tensor<3xcomplex<f32>>, tensor<3x0xcomplex<f32>>, tensor<3x0xcomplex<f32>>)
  return %w : tensor<3xcomplex<f32>>
}
func.func private @e_jvp_0(tensor<3x3xcomplex<f32>>, tensor<3x3xcomplex<f32>>) -> (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>)
    attributes {mirax.jvp_of = @e, mirax.active = array<i64: 0>}
