// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of dot_general.

/// A matrix product contracts lhs dimension 1 with rhs dimension 0.
// CHECK-LABEL: func.func @matmul
//  CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<3x4xf32>)
//  CHECK-NEXT:   "mirax.dot_general"(%[[A]], %[[B]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

/// Batch dimensions come first in the result, then lhs's free dimensions, then
/// rhs's; no contraction is an outer product.
// CHECK-LABEL: func.func @batched
//  CHECK-SAME: (%[[A:.+]]: tensor<5x2x3xi32>, %[[B:.+]]: tensor<3x5x4xi32>, %[[V:.+]]: tensor<2xcomplex<f64>>)
//  CHECK-NEXT:   "mirax.dot_general"(%[[A]], %[[B]]) {lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>, rhs_batch_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<5x2x3xi32>, tensor<3x5x4xi32>) -> tensor<5x2x4xi32>
//  CHECK-NEXT:   "mirax.dot_general"(%[[V]], %[[V]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64>} : (tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>) -> tensor<2x2xcomplex<f64>>
func.func @batched(%a: tensor<5x2x3xi32>, %b: tensor<3x5x4xi32>, %v: tensor<2xcomplex<f64>>) {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 2>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64: 1>} : (tensor<5x2x3xi32>, tensor<3x5x4xi32>) -> tensor<5x2x4xi32>
  %1 = "mirax.dot_general"(%v, %v) {lhs_contracting_dimensions = array<i64>, rhs_contracting_dimensions = array<i64>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>) -> tensor<2x2xcomplex<f64>>
  return
}
