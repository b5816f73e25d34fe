// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The type rules of hessenberg, householder_product, schur and eig (dialect/eigen.py)
// on bad operands and results.

func.func @eig_of_a_wide_matrix(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.eig' op requires square matrices in the last two dimensions, got shape [2, 3]}}
  %w, %vl, %vr = "mirax.eig"(%x) {compute_left_eigenvectors = false, compute_right_eigenvectors = false, enable_eigvec_derivs = false} : (tensor<2x3xf32>) -> (tensor<2xcomplex<f32>>, tensor<2x0xcomplex<f32>>, tensor<2x0xcomplex<f32>>)
  return
}

// -----

/// eig's results are complex, for real operands too.
func.func @eig_of_reals_to_reals(%x: tensor<2x2xf32>) {
  // expected-error @+1 {{'mirax.eig' op result type tensor<2xf32>, tensor<2x0xf32>, tensor<2x0xf32> does not match the inferred type tensor<2xcomplex<f32>>, tensor<2x0xcomplex<f32>>, tensor<2x0xcomplex<f32>>}}
  %w, %vl, %vr = "mirax.eig"(%x) {compute_left_eigenvectors = false, compute_right_eigenvectors = false, enable_eigvec_derivs = false} : (tensor<2x2xf32>) -> (tensor<2xf32>, tensor<2x0xf32>, tensor<2x0xf32>)
  return
}

// -----

func.func @schur_of_integers(%x: tensor<2x2xi32>) {
  // expected-error @+1 {{'mirax.schur' op requires float32, float64, complex64 or complex128 matrices, got int32}}
  %t, %z = "mirax.schur"(%x) {compute_schur_vectors = true} : (tensor<2x2xi32>) -> (tensor<2x2xi32>, tensor<2x2xi32>)
  return
}

// -----

func.func @hessenberg_of_a_vector(%x: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.hessenberg' op requires matrices (rank >= 2), got shape [3]}}
  %h, %taus = "mirax.hessenberg"(%x) : (tensor<3xf32>) -> (tensor<3xf32>, tensor<2xf32>)
  return
}

// -----

/// More reflectors than columns.
func.func @householder_product_of_too_many(%a: tensor<4x2xf32>, %taus: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.householder_product' op requires a [..., m, n] with m >= n and taus [..., k] of its dtype, k <= n; got [4, 2] float32 and [3] float32}}
  %q = "mirax.householder_product"(%a, %taus) : (tensor<4x2xf32>, tensor<3xf32>) -> tensor<4x2xf32>
  return
}
