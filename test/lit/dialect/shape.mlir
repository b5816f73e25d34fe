// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of the ops that move elements without computing on them.

/// broadcast_in_dim maps operand dimensions to result dimensions; size-1
/// dimensions repeat; 0-d operands broadcast to anything.
// CHECK-LABEL: func.func @broadcast_in_dim
//  CHECK-SAME: (%[[X:.+]]: tensor<3x1xf32>, %[[S:.+]]: tensor<ui16>)
//  CHECK-NEXT:   "mirax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 0, 2>, shape = array<i64: 3, 4, 5>} : (tensor<3x1xf32>) -> tensor<3x4x5xf32>
//  CHECK-NEXT:   "mirax.broadcast_in_dim"(%[[S]]) {broadcast_dimensions = array<i64>, shape = array<i64: 0, 2>} : (tensor<ui16>) -> tensor<0x2xui16>
func.func @broadcast_in_dim(%x: tensor<3x1xf32>, %s: tensor<ui16>) {
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 3, 4, 5>, broadcast_dimensions = array<i64: 0, 2>} : (tensor<3x1xf32>) -> tensor<3x4x5xf32>
  %1 = "mirax.broadcast_in_dim"(%s) {shape = array<i64: 0, 2>, broadcast_dimensions = array<i64>} : (tensor<ui16>) -> tensor<0x2xui16>
  return
}

// -----

/// reshape keeps the number of elements; transpose permutes dimensions.
// CHECK-LABEL: func.func @reshape_transpose
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xi8>)
//  CHECK-NEXT:   "mirax.reshape"(%[[X]]) {new_sizes = array<i64: 6, 4>} : (tensor<2x3x4xi8>) -> tensor<6x4xi8>
//  CHECK-NEXT:   "mirax.reshape"(%[[X]]) {new_sizes = array<i64: 24>} : (tensor<2x3x4xi8>) -> tensor<24xi8>
//  CHECK-NEXT:   "mirax.transpose"(%[[X]]) {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xi8>) -> tensor<4x2x3xi8>
func.func @reshape_transpose(%x: tensor<2x3x4xi8>) {
  %0 = "mirax.reshape"(%x) {new_sizes = array<i64: 6, 4>} : (tensor<2x3x4xi8>) -> tensor<6x4xi8>
  %1 = "mirax.reshape"(%x) {new_sizes = array<i64: 24>} : (tensor<2x3x4xi8>) -> tensor<24xi8>
  %2 = "mirax.transpose"(%x) {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xi8>) -> tensor<4x2x3xi8>
  return
}

// -----

/// slice has static bounds and strides; dynamic_slice and dynamic_update_slice
/// take one 0-d integer start index per dimension, of one dtype, before their
/// tensor operands.
// CHECK-LABEL: func.func @slices
//  CHECK-SAME: (%[[X:.+]]: tensor<5x6xf64>, %[[U:.+]]: tensor<2x2xf64>, %[[I:.+]]: tensor<ui8>, %[[J:.+]]: tensor<ui8>)
//  CHECK-NEXT:   "mirax.slice"(%[[X]]) {limit_indices = array<i64: 5, 6>, start_indices = array<i64: 1, 0>, strides = array<i64: 2, 3>} : (tensor<5x6xf64>) -> tensor<2x2xf64>
//  CHECK-NEXT:   "mirax.dynamic_slice"(%[[I]], %[[J]], %[[X]]) {slice_sizes = array<i64: 2, 2>} : (tensor<ui8>, tensor<ui8>, tensor<5x6xf64>) -> tensor<2x2xf64>
//  CHECK-NEXT:   "mirax.dynamic_update_slice"(%[[I]], %[[J]], %[[X]], %[[U]]) : (tensor<ui8>, tensor<ui8>, tensor<5x6xf64>, tensor<2x2xf64>) -> tensor<5x6xf64>
func.func @slices(%x: tensor<5x6xf64>, %u: tensor<2x2xf64>, %i: tensor<ui8>, %j: tensor<ui8>) {
  %0 = "mirax.slice"(%x) {start_indices = array<i64: 1, 0>, limit_indices = array<i64: 5, 6>, strides = array<i64: 2, 3>} : (tensor<5x6xf64>) -> tensor<2x2xf64>
  %1 = "mirax.dynamic_slice"(%i, %j, %x) {slice_sizes = array<i64: 2, 2>} : (tensor<ui8>, tensor<ui8>, tensor<5x6xf64>) -> tensor<2x2xf64>
  %2 = "mirax.dynamic_update_slice"(%i, %j, %x, %u) : (tensor<ui8>, tensor<ui8>, tensor<5x6xf64>, tensor<2x2xf64>) -> tensor<5x6xf64>
  return
}

// -----

/// concatenate joins two operands along a dimension; pad takes a 0-d
/// padding value and (possibly negative) edge padding; rev reverses dimensions.
// CHECK-LABEL: func.func @concatenate_pad_rev
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xi1>, %[[Y:.+]]: tensor<2x1xi1>, %[[V:.+]]: tensor<i1>)
//  CHECK-NEXT:   "mirax.concatenate"(%[[X]], %[[Y]]) {dimension = 1 : i64} : (tensor<2x3xi1>, tensor<2x1xi1>) -> tensor<2x4xi1>
//  CHECK-NEXT:   "mirax.pad"(%[[X]], %[[V]]) {edge_padding_high = array<i64: 0, -1>, edge_padding_low = array<i64: 1, 2>, interior_padding = array<i64: 0, 1>} : (tensor<2x3xi1>, tensor<i1>) -> tensor<3x6xi1>
//  CHECK-NEXT:   "mirax.rev"(%[[X]]) {dimensions = array<i64: 1, 0>} : (tensor<2x3xi1>) -> tensor<2x3xi1>
func.func @concatenate_pad_rev(%x: tensor<2x3xi1>, %y: tensor<2x1xi1>, %v: tensor<i1>) {
  %0 = "mirax.concatenate"(%x, %y) {dimension = 1 : i64} : (tensor<2x3xi1>, tensor<2x1xi1>) -> tensor<2x4xi1>
  %1 = "mirax.pad"(%x, %v) {edge_padding_low = array<i64: 1, 2>, edge_padding_high = array<i64: 0, -1>, interior_padding = array<i64: 0, 1>} : (tensor<2x3xi1>, tensor<i1>) -> tensor<3x6xi1>
  %2 = "mirax.rev"(%x) {dimensions = array<i64: 1, 0>} : (tensor<2x3xi1>) -> tensor<2x3xi1>
  return
}
