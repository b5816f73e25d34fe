// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The type rules of qr, eigh and svd (dialect/orthogonal.py) on bad operands and results.

func.func @qr_of_a_vector(%x: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.qr' op requires matrices (rank >= 2), got shape [3]}}
  %q, %r = "mirax.qr"(%x) {full_matrices = false} : (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return
}

// -----

func.func @qr_of_integers(%x: tensor<2x2xi32>) {
  // expected-error @+1 {{'mirax.qr' op requires float32, float64, complex64 or complex128 matrices, got int32}}
  %q, %r = "mirax.qr"(%x) {full_matrices = false} : (tensor<2x2xi32>) -> (tensor<2x2xi32>, tensor<2x2xi32>)
  return
}

// -----

/// A reduced q of a tall matrix has min(m, n) columns, a full one m.
func.func @qr_reduced_shapes(%x: tensor<4x3xf32>) {
  // expected-error @+1 {{'mirax.qr' op result type tensor<4x4xf32>, tensor<4x3xf32> does not match the inferred type tensor<4x3xf32>, tensor<3x3xf32>}}
  %q, %r = "mirax.qr"(%x) {full_matrices = false} : (tensor<4x3xf32>) -> (tensor<4x4xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @eigh_of_a_wide_matrix(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.eigh' op requires square matrices in the last two dimensions, got shape [2, 3]}}
  %v, %w = "mirax.eigh"(%x) {lower = true} : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2xf32>)
  return
}

// -----

/// The eigenvalues of a complex matrix are real.
func.func @eigh_complex_eigenvalues(%x: tensor<2x2xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.eigh' op result type tensor<2x2xcomplex<f32>>, tensor<2xcomplex<f32>> does not match the inferred type tensor<2x2xcomplex<f32>>, tensor<2xf32>}}
  %v, %w = "mirax.eigh"(%x) {lower = true} : (tensor<2x2xcomplex<f32>>) -> (tensor<2x2xcomplex<f32>>, tensor<2xcomplex<f32>>)
  return
}

// -----

func.func @eigh_without_lower(%x: tensor<2x2xf32>) {
  // expected-error @+1 {{'mirax.eigh' op requires attribute 'lower'}}
  %v, %w = "mirax.eigh"(%x) : (tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2xf32>)
  return
}

// -----

/// The singular values are real, whatever the matrix.
func.func @svd_complex_singular_values(%x: tensor<2x3xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.svd' op result type tensor<2xcomplex<f32>>, tensor<2x2xcomplex<f32>>, tensor<2x3xcomplex<f32>> does not match the inferred type tensor<2xf32>, tensor<2x2xcomplex<f32>>, tensor<2x3xcomplex<f32>>}}
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false, compute_uv = true} : (tensor<2x3xcomplex<f32>>) -> (tensor<2xcomplex<f32>>, tensor<2x2xcomplex<f32>>, tensor<2x3xcomplex<f32>>)
  return
}

// -----

/// Full matrices: vt of a wide matrix is n x n.
func.func @svd_full_shapes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.svd' op result type tensor<2xf32>, tensor<2x2xf32>, tensor<2x3xf32> does not match the inferred type tensor<2xf32>, tensor<2x2xf32>, tensor<3x3xf32>}}
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = true, compute_uv = true} : (tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x2xf32>, tensor<2x3xf32>)
  return
}

// -----

/// Without compute_uv, u and vt are empty.
func.func @svd_values_only(%x: tensor<3x2xf64>) {
  // expected-error @+1 {{'mirax.svd' op result type tensor<2xf64>, tensor<3x2xf64>, tensor<2x2xf64> does not match the inferred type tensor<2xf64>, tensor<3x0xf64>, tensor<0x2xf64>}}
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false, compute_uv = false} : (tensor<3x2xf64>) -> (tensor<2xf64>, tensor<3x2xf64>, tensor<2x2xf64>)
  return
}

// -----

func.func @svd_of_integers(%x: tensor<2x2xi32>) {
  // expected-error @+1 {{'mirax.svd' op requires float32, float64, complex64 or complex128 matrices, got int32}}
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false, compute_uv = true} : (tensor<2x2xi32>) -> (tensor<2xi32>, tensor<2x2xi32>, tensor<2x2xi32>)
  return
}

// -----

func.func @svd_without_compute_uv(%x: tensor<2x2xf32>) {
  // expected-error @+1 {{'mirax.svd' op requires attribute 'compute_uv'}}
  %s, %u, %vt = "mirax.svd"(%x) {full_matrices = false} : (tensor<2x2xf32>) -> (tensor<2xf32>, tensor<2x2xf32>, tensor<2x2xf32>)
  return
}
