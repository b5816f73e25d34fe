// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// Both operands batched: the two batch dimensions (lhs 1, rhs 3) become a new
/// leading batch dimension of the dot_general, ahead of the existing one (0 in both,
/// still 0); the contracting dimensions past the batch move up by one. The result
/// is batched along 0, as out_axes asks, so nothing is moved or broadcast.
// CHECK-LABEL: func.func private @bmm_vmap
//  CHECK-SAME: (%[[A:.+]]: tensor<2x5x3x4xf32>, %[[B:.+]]: tensor<2x4x6x5xf32>) -> tensor<5x2x3x6xf32>
//   CHECK-NOT:   "mirax.transpose"
//   CHECK-NOT:   "mirax.broadcast_in_dim"
//       CHECK:   %[[R:.+]] = "mirax.dot_general"(%[[A]], %[[B]])
//  CHECK-SAME:     lhs_batch_dimensions = array<i64: 1, 0>, lhs_contracting_dimensions = array<i64: 3>
//  CHECK-SAME:     rhs_batch_dimensions = array<i64: 3, 0>, rhs_contracting_dimensions = array<i64: 1>
//  CHECK-SAME:     -> tensor<5x2x3x6xf32>
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[R]]
func.func private @bmm(%a: tensor<2x3x4xf32>, %b: tensor<2x4x6xf32>) -> tensor<2x3x6xf32> {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 2>,
                                    rhs_contracting_dimensions = array<i64: 1>,
                                    lhs_batch_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64: 0>}
    : (tensor<2x3x4xf32>, tensor<2x4x6xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}
func.func private @bmm_vmap(tensor<2x5x3x4xf32>, tensor<2x4x6x5xf32>) -> tensor<5x2x3x6xf32>
    attributes {mirax.vmap_of = @bmm, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, 3>, mirax.out_axes = array<i64: 0>}

// -----

/// Only the matrix of a matrix-vector product batched (along 1): the batch is one
/// more free dimension of the lhs, after its free dimension 0, so the product is
/// batched along 1. The vector is neither broadcast nor moved, and the matrix is not
/// transposed.
// CHECK-LABEL: func.func private @mv_vmap
//  CHECK-SAME: (%[[A:.+]]: tensor<3x5x4xf32>, %[[X:.+]]: tensor<4xf32>) -> tensor<3x5xf32>
//   CHECK-NOT:   "mirax.transpose"
//   CHECK-NOT:   "mirax.broadcast_in_dim"
//       CHECK:   %[[R:.+]] = "mirax.dot_general"(%[[A]], %[[X]])
//  CHECK-SAME:     lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 2>
//  CHECK-SAME:     rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>
//  CHECK-SAME:     (tensor<3x5x4xf32>, tensor<4xf32>) -> tensor<3x5xf32>
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[R]]
func.func private @mv(%a: tensor<3x4xf32>, %x: tensor<4xf32>) -> tensor<3xf32> {
  %0 = "mirax.dot_general"(%a, %x) {lhs_contracting_dimensions = array<i64: 1>,
                                    rhs_contracting_dimensions = array<i64: 0>,
                                    lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>}
    : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @mv_vmap(tensor<3x5x4xf32>, tensor<4xf32>) -> tensor<3x5xf32>
    attributes {mirax.vmap_of = @mv, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 1>}

// -----

/// Only the vector batched, along 0 (vmap of `a @ x` over rows of x): the batch is
/// the rhs's free dimension, contracting moves to 1, and the product (3, 5) is
/// batched along 1 (rhs free dimensions come after the lhs's). Only the result is
/// transposed, to the batch at 0 that out_axes asks for; the operands are used as
/// they are.
// CHECK-LABEL: func.func private @mv_rhs_vmap
//  CHECK-SAME: (%[[A:.+]]: tensor<3x4xf32>, %[[X:.+]]: tensor<5x4xf32>) -> tensor<5x3xf32>
//   CHECK-NOT:   "mirax.transpose"
//   CHECK-NOT:   "mirax.broadcast_in_dim"
//       CHECK:   %[[R:.+]] = "mirax.dot_general"(%[[A]], %[[X]])
//  CHECK-SAME:     lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>
//  CHECK-SAME:     rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 1>
//  CHECK-SAME:     (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
//       CHECK:   %[[T:.+]] = "mirax.transpose"(%[[R]]) {permutation = array<i64: 1, 0>}
//       CHECK:   return %[[T]]
func.func private @mv_rhs(%a: tensor<3x4xf32>, %x: tensor<4xf32>) -> tensor<3xf32> {
  %0 = "mirax.dot_general"(%a, %x) {lhs_contracting_dimensions = array<i64: 1>,
                                    rhs_contracting_dimensions = array<i64: 0>,
                                    lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>}
    : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @mv_rhs_vmap(tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<5x3xf32>
    attributes {mirax.vmap_of = @mv_rhs, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: -1, 0>, mirax.out_axes = array<i64: 0>}

// -----

/// Only the rhs of a batched matmul batched, along 0: its dot_general batch and
/// contracting dimensions move up by one, and the batch, before its free dimension
/// 2 (now 3), lands after the batch dimension and the lhs free dimension: at 2.
// CHECK-LABEL: func.func private @bmm_rhs_vmap
//  CHECK-SAME: (%[[A:.+]]: tensor<2x3x4xf32>, %[[B:.+]]: tensor<5x2x4x6xf32>) -> tensor<2x3x5x6xf32>
//   CHECK-NOT:   "mirax.transpose"
//   CHECK-NOT:   "mirax.broadcast_in_dim"
//       CHECK:   %[[R:.+]] = "mirax.dot_general"(%[[A]], %[[B]])
//  CHECK-SAME:     lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>
//  CHECK-SAME:     rhs_batch_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 2>
//  CHECK-SAME:     -> tensor<2x3x5x6xf32>
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[R]]
func.func private @bmm_rhs(%a: tensor<2x3x4xf32>, %b: tensor<2x4x6xf32>) -> tensor<2x3x6xf32> {
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 2>,
                                    rhs_contracting_dimensions = array<i64: 1>,
                                    lhs_batch_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64: 0>}
    : (tensor<2x3x4xf32>, tensor<2x4x6xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}
func.func private @bmm_rhs_vmap(tensor<2x3x4xf32>, tensor<5x2x4x6xf32>) -> tensor<2x3x5x6xf32>
    attributes {mirax.vmap_of = @bmm_rhs, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: -1, 0>, mirax.out_axes = array<i64: 2>}

// -----

/// An inner product with only the lhs batched, at its end: the batch is the only
/// free dimension, so the product (a vector) is batched along 0.
// CHECK-LABEL: func.func private @vv_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<4x5xi32>, %[[Y:.+]]: tensor<4xi32>) -> tensor<5xi32>
//       CHECK:   %[[R:.+]] = "mirax.dot_general"(%[[X]], %[[Y]])
//  CHECK-SAME:     lhs_contracting_dimensions = array<i64: 0>
//  CHECK-SAME:     rhs_contracting_dimensions = array<i64: 0>
//  CHECK-SAME:     (tensor<4x5xi32>, tensor<4xi32>) -> tensor<5xi32>
//       CHECK:   return %[[R]]
func.func private @vv(%x: tensor<4xi32>, %y: tensor<4xi32>) -> tensor<i32> {
  %0 = "mirax.dot_general"(%x, %y) {lhs_contracting_dimensions = array<i64: 0>,
                                    rhs_contracting_dimensions = array<i64: 0>,
                                    lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>}
    : (tensor<4xi32>, tensor<4xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}
func.func private @vv_vmap(tensor<4x5xi32>, tensor<4xi32>) -> tensor<5xi32>
    attributes {mirax.vmap_of = @vv, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1>, mirax.out_axes = array<i64: 0>}
