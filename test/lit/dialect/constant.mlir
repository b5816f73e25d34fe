// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s

// Round trip of the ops that make values from nothing: constant and iota.

/// A constant's value is a dense elements attribute of the result type, of any
/// element type: floats, unsigned integers, bools, 0-d, empty and splats.
// CHECK-LABEL: func.func @constants
//  CHECK-NEXT:   "mirax.constant"() {value = dense<[1.500000e+00, -2.000000e+00]> : tensor<2xf32>} : () -> tensor<2xf32>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<[0, 255]> : tensor<2xui8>} : () -> tensor<2xui8>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<[true, false, true]> : tensor<3xi1>} : () -> tensor<3xi1>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<-3> : tensor<i16>} : () -> tensor<i16>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<7> : tensor<2x3xi64>} : () -> tensor<2x3xi64>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<> : tensor<0xf16>} : () -> tensor<0xf16>
//  CHECK-NEXT:   "mirax.constant"() {value = dense<1.500000e+00> : tensor<2xbf16>} : () -> tensor<2xbf16>
func.func @constants() {
  %f = "mirax.constant"() {value = dense<[1.5, -2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %u = "mirax.constant"() {value = dense<[0, 255]> : tensor<2xui8>} : () -> tensor<2xui8>
  %b = "mirax.constant"() {value = dense<[true, false, true]> : tensor<3xi1>} : () -> tensor<3xi1>
  %scalar = "mirax.constant"() {value = dense<-3> : tensor<i16>} : () -> tensor<i16>
  %splat = "mirax.constant"() {value = dense<7> : tensor<2x3xi64>} : () -> tensor<2x3xi64>
  %empty = "mirax.constant"() {value = dense<> : tensor<0xf16>} : () -> tensor<0xf16>
  %half = "mirax.constant"() {value = dense<1.5> : tensor<2xbf16>} : () -> tensor<2xbf16>
  return
}

// -----

/// iota counts along `dimension` of `shape` in `dtype`.
// CHECK-LABEL: func.func @iota
//  CHECK-NEXT:   "mirax.iota"() {dimension = 1 : i64, dtype = f32, shape = array<i64: 2, 3>} : () -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.iota"() {dimension = 0 : i64, dtype = ui32, shape = array<i64: 0>} : () -> tensor<0xui32>
func.func @iota() {
  %0 = "mirax.iota"() {dimension = 1 : i64, dtype = f32, shape = array<i64: 2, 3>} : () -> tensor<2x3xf32>
  %1 = "mirax.iota"() {dimension = 0 : i64, dtype = ui32, shape = array<i64: 0>} : () -> tensor<0xui32>
  return
}
