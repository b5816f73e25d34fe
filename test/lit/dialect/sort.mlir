// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of sort: (key, *values) -> (sorted key, *sorted values).

/// A key alone, and a key carrying values of another dtype (argsort's iota).
// CHECK-LABEL: func.func @sort
//  CHECK-SAME: (%[[K:.+]]: tensor<2x5xf32>, %[[V:.+]]: tensor<2x5xi32>)
//  CHECK-NEXT:   "mirax.sort"(%[[K]]) {dimension = 1 : i64, is_stable = false} : (tensor<2x5xf32>) -> tensor<2x5xf32>
//  CHECK-NEXT:   %{{.+}}:3 = "mirax.sort"(%[[K]], %[[V]], %[[V]]) {dimension = 0 : i64, is_stable = true} : (tensor<2x5xf32>, tensor<2x5xi32>, tensor<2x5xi32>) -> (tensor<2x5xf32>, tensor<2x5xi32>, tensor<2x5xi32>)
func.func @sort(%k: tensor<2x5xf32>, %v: tensor<2x5xi32>) {
  %0 = "mirax.sort"(%k) {dimension = 1 : i64, is_stable = false} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %1:3 = "mirax.sort"(%k, %v, %v) {dimension = 0 : i64, is_stable = true} : (tensor<2x5xf32>, tensor<2x5xi32>, tensor<2x5xi32>) -> (tensor<2x5xf32>, tensor<2x5xi32>, tensor<2x5xi32>)
  return
}
