// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of the reductions and cumulative reductions.

/// Reductions drop their `axes`; several axes, all axes (a 0-d result) or none.
// CHECK-LABEL: func.func @reduce
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>, %[[B:.+]]: tensor<5xi1>)
//  CHECK-NEXT:   "mirax.reduce_sum"(%[[X]]) {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
//  CHECK-NEXT:   "mirax.reduce_prod"(%[[X]]) {axes = array<i64: 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3xf32>
//  CHECK-NEXT:   "mirax.reduce_max"(%[[X]]) {axes = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<f32>
//  CHECK-NEXT:   "mirax.reduce_min"(%[[X]]) {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
//  CHECK-NEXT:   "mirax.reduce_and"(%[[B]]) {axes = array<i64: 0>} : (tensor<5xi1>) -> tensor<i1>
//  CHECK-NEXT:   "mirax.reduce_or"(%[[B]]) {axes = array<i64: 0>} : (tensor<5xi1>) -> tensor<i1>
func.func @reduce(%x: tensor<2x3x4xf32>, %b: tensor<5xi1>) {
  %sum = "mirax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  %prod = "mirax.reduce_prod"(%x) {axes = array<i64: 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  %max = "mirax.reduce_max"(%x) {axes = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<f32>
  %min = "mirax.reduce_min"(%x) {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %all = "mirax.reduce_and"(%b) {axes = array<i64: 0>} : (tensor<5xi1>) -> tensor<i1>
  %any = "mirax.reduce_or"(%b) {axes = array<i64: 0>} : (tensor<5xi1>) -> tensor<i1>
  return
}

// -----

/// argmax and argmin reduce one axis to indices of `index_dtype`.
// CHECK-LABEL: func.func @arg
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xui16>)
//  CHECK-NEXT:   "mirax.argmax"(%[[X]]) {axes = array<i64: 1>, index_dtype = i32} : (tensor<2x3xui16>) -> tensor<2xi32>
//  CHECK-NEXT:   "mirax.argmin"(%[[X]]) {axes = array<i64: 0>, index_dtype = i64} : (tensor<2x3xui16>) -> tensor<3xi64>
func.func @arg(%x: tensor<2x3xui16>) {
  %0 = "mirax.argmax"(%x) {axes = array<i64: 1>, index_dtype = i32} : (tensor<2x3xui16>) -> tensor<2xi32>
  %1 = "mirax.argmin"(%x) {axes = array<i64: 0>, index_dtype = i64} : (tensor<2x3xui16>) -> tensor<3xi64>
  return
}

// -----

/// Cumulative reductions keep the operand type, along `axis`, optionally reversed.
// CHECK-LABEL: func.func @cumulative
//  CHECK-SAME: (%[[X:.+]]: tensor<0x3xi8>)
//  CHECK-NEXT:   "mirax.cumsum"(%[[X]]) {axis = 1 : i64, reverse = false} : (tensor<0x3xi8>) -> tensor<0x3xi8>
//  CHECK-NEXT:   "mirax.cumprod"(%[[X]]) {axis = 0 : i64, reverse = true} : (tensor<0x3xi8>) -> tensor<0x3xi8>
//  CHECK-NEXT:   "mirax.cummax"(%[[X]]) {axis = 1 : i64, reverse = true} : (tensor<0x3xi8>) -> tensor<0x3xi8>
//  CHECK-NEXT:   "mirax.cummin"(%[[X]]) {axis = 0 : i64, reverse = false} : (tensor<0x3xi8>) -> tensor<0x3xi8>
func.func @cumulative(%x: tensor<0x3xi8>) {
  %0 = "mirax.cumsum"(%x) {axis = 1 : i64, reverse = false} : (tensor<0x3xi8>) -> tensor<0x3xi8>
  %1 = "mirax.cumprod"(%x) {axis = 0 : i64, reverse = true} : (tensor<0x3xi8>) -> tensor<0x3xi8>
  %2 = "mirax.cummax"(%x) {axis = 1 : i64, reverse = true} : (tensor<0x3xi8>) -> tensor<0x3xi8>
  %3 = "mirax.cummin"(%x) {axis = 0 : i64, reverse = false} : (tensor<0x3xi8>) -> tensor<0x3xi8>
  return
}
