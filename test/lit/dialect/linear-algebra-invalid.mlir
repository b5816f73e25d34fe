// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The type rules of cholesky, triangular_solve and lu (dialect/linear_algebra.py) on bad
// operands and results.

func.func @cholesky_of_a_wide_matrix(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'mirax.cholesky' op requires square matrices in the last two dimensions, got shape [3, 4]}}
  %l = "mirax.cholesky"(%x) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @lu_of_integers(%x: tensor<2x2xi32>) {
  // expected-error @+1 {{'mirax.lu' op requires float32, float64, complex64 or complex128 matrices, got int32}}
  %lu, %p, %q = "mirax.lu"(%x) : (tensor<2x2xi32>) -> (tensor<2x2xi32>, tensor<2xi32>, tensor<2xi32>)
  return
}

// -----

/// The batch dimensions of a and b must agree (the lax wrapper broadcasts them).
func.func @solve_with_other_batch_dims(%a: tensor<2x3x3xf32>, %b: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'mirax.triangular_solve' op requires a of shape [..., m, m] and b of shape [..., m, n] with the same batch dimensions, got [2, 3, 3] and [4, 3, 3]}}
  %x = "mirax.triangular_solve"(%a, %b) {left_side = true, lower = true, transpose_a = false, conjugate_a = false, unit_diagonal = false} : (tensor<2x3x3xf32>, tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
  return
}

// -----

/// lu's pivots have min(m, n) entries, its permutation m.
func.func @lu_result_shapes(%x: tensor<4x3xf32>) {
  // expected-error @+1 {{'mirax.lu' op result type tensor<4x3xf32>, tensor<4xi32>, tensor<4xi32> does not match the inferred type tensor<4x3xf32>, tensor<3xi32>, tensor<4xi32>}}
  %lu, %p, %q = "mirax.lu"(%x) : (tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4xi32>, tensor<4xi32>)
  return
}
