// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s

/// sort keeps the batch dimension where it is: a dimension at or after it moves up
/// by one, and nothing is transposed.
// CHECK-LABEL: func.func private @sort_vmap
//  CHECK-SAME: (%[[X:.+]]: tensor<3x5x4xf32>) -> (tensor<3x5x4xf32>, tensor<3x5x4xf32>)
//       CHECK:   %[[A:.+]] = "mirax.sort"(%[[X]]) {dimension = 2 : i64, is_stable = true}
//       CHECK:   %[[B:.+]] = "mirax.sort"(%[[X]]) {dimension = 0 : i64, is_stable = false}
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[A]], %[[B]]
func.func private @sort(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = "mirax.sort"(%x) {dimension = 1 : i64, is_stable = true} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = "mirax.sort"(%x) {dimension = 0 : i64, is_stable = false} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<3x4xf32>
}
func.func private @sort_vmap(tensor<3x5x4xf32>) -> (tensor<3x5x4xf32>, tensor<3x5x4xf32>)
    attributes {mirax.vmap_of = @sort, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1>, mirax.out_axes = array<i64: 1, 1>}

// -----

/// A batched key with unbatched values: each element's key permutes the values its
/// own way, so they are broadcast along the key's batch dimension; every result is
/// batched there.
// CHECK-LABEL: func.func private @kv_vmap
//  CHECK-SAME: (%[[K:.+]]: tensor<3x5xf32>, %[[V:.+]]: tensor<3xi32>, %[[W:.+]]: tensor<3xi32>)
//   CHECK-DAG:   %[[BV:.+]] = "mirax.broadcast_in_dim"(%[[V]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 3, 5>}
//   CHECK-DAG:   %[[BW:.+]] = "mirax.broadcast_in_dim"(%[[W]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 3, 5>}
//       CHECK:   %[[S:.+]]:3 = "mirax.sort"(%[[K]], %[[BV]], %[[BW]]) {dimension = 0 : i64, is_stable = true}
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func private @kv(%k: tensor<3xf32>, %v: tensor<3xi32>, %w: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>, tensor<3xi32>) {
  %0:3 = "mirax.sort"(%k, %v, %w) {dimension = 0 : i64, is_stable = true} : (tensor<3xf32>, tensor<3xi32>, tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>, tensor<3xi32>)
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xi32>, tensor<3xi32>
}
func.func private @kv_vmap(tensor<3x5xf32>, tensor<3xi32>, tensor<3xi32>) -> (tensor<3x5xf32>, tensor<3x5xi32>, tensor<3x5xi32>)
    attributes {mirax.vmap_of = @kv, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: 1, -1, -1>, mirax.out_axes = array<i64: 1, 1, 1>}

// -----

/// An unbatched key with batched values: the key is broadcast at the values' batch
/// dimension (0), a value batched elsewhere (at 1) is moved there.
// CHECK-LABEL: func.func private @vk_vmap
//  CHECK-SAME: (%[[K:.+]]: tensor<2x3xf32>, %[[V:.+]]: tensor<5x2x3xf32>, %[[W:.+]]: tensor<2x5x3xf32>)
//   CHECK-DAG:   %[[BK:.+]] = "mirax.broadcast_in_dim"(%[[K]]) {broadcast_dimensions = array<i64: 1, 2>, shape = array<i64: 5, 2, 3>}
//   CHECK-DAG:   %[[TW:.+]] = "mirax.transpose"(%[[W]]) {permutation = array<i64: 1, 0, 2>}
//       CHECK:   %[[S:.+]]:3 = "mirax.sort"(%[[BK]], %[[V]], %[[TW]]) {dimension = 2 : i64, is_stable = true}
//   CHECK-NOT:   "mirax.transpose"
//       CHECK:   return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func private @vk(%k: tensor<2x3xf32>, %v: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0:3 = "mirax.sort"(%k, %v, %w) {dimension = 1 : i64, is_stable = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
func.func private @vk_vmap(tensor<2x3xf32>, tensor<5x2x3xf32>, tensor<2x5x3xf32>) -> (tensor<5x2x3xf32>, tensor<5x2x3xf32>, tensor<5x2x3xf32>)
    attributes {mirax.vmap_of = @vk, mirax.axis_size = 5 : i64,
                mirax.in_axes = array<i64: -1, 0, 1>, mirax.out_axes = array<i64: 0, 0, 0>}
