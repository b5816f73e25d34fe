// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The verifiers (each op's type rule) of every op family, on bad operand
// shapes, dtypes, params and result types.

//===----------------------------------------------------------------------===//
// All ops
//===----------------------------------------------------------------------===//

/// The declared result type must be the inferred one.
func.func @wrong_result_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.add' op result type tensor<2xf64> does not match the inferred type tensor<2xf32>}}
  %0 = "mirax.add"(%x, %x) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf64>
  return
}

// -----

/// Operands are ranked tensors of static shape.
func.func @scalar_operand(%x: f32) {
  // expected-error @+1 {{'mirax.neg' op expected a ranked tensor, got f32}}
  %0 = "mirax.neg"(%x) : (f32) -> tensor<f32>
  return
}

// -----

func.func @dynamic_shape(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mirax.neg' op expected a static shape, got tensor<?xf32>}}
  %0 = "mirax.neg"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  return
}

// -----

/// Element types are those of a mirax dtype.
func.func @unknown_element_type(%x: tensor<2xi3>) {
  // expected-error @+1 {{'mirax.neg' op element type i3 is not a mirax element type}}
  %0 = "mirax.neg"(%x) : (tensor<2xi3>) -> tensor<2xi3>
  return
}

// -----

/// Params are required attributes of the right kind.
func.func @missing_param(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.compare' op requires attribute 'direction'}}
  %0 = "mirax.compare"(%x, %x) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  return
}

// -----

func.func @param_of_wrong_kind(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.compare' op attribute 'direction' has the wrong kind: 1 : i64}}
  %0 = "mirax.compare"(%x, %x) {direction = 1} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Operands of an elementwise op have one shape (broadcasting is explicit).
func.func @shape_mismatch(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.add' op requires operands of one shape, got [2], [3]}}
  %0 = "mirax.add"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

/// ... and one dtype (promotion is explicit).
func.func @dtype_mismatch(%x: tensor<2xf32>, %y: tensor<2xf64>) {
  // expected-error @+1 {{'mirax.mul' op requires operands of one dtype, got float32, float64}}
  %0 = "mirax.mul"(%x, %y) : (tensor<2xf32>, tensor<2xf64>) -> tensor<2xf32>
  return
}

// -----

/// Each op accepts only some dtype kinds.
func.func @sin_of_int(%x: tensor<2xi32>) {
  // expected-error @+1 {{'mirax.sin' op does not accept int32 operands (sin takes float, complex)}}
  %0 = "mirax.sin"(%x) : (tensor<2xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @and_of_float(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.and' op does not accept float32 operands (and takes int, bool)}}
  %0 = "mirax.and"(%x, %x) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @sub_of_bool(%x: tensor<i1>) {
  // expected-error @+1 {{'mirax.sub' op does not accept bool operands}}
  %0 = "mirax.sub"(%x, %x) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  return
}

// -----

func.func @real_of_float(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.real' op requires a complex operand, got float32}}
  %0 = "mirax.real"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @complex_of_f16(%x: tensor<2xf16>) {
  // expected-error @+1 {{'mirax.complex' op requires f32 or f64 parts, got float16}}
  %0 = "mirax.complex"(%x, %x) : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xcomplex<f32>>
  return
}

// -----

/// compare's direction is one of EQ NE LT LE GT GE; complex numbers are unordered.
func.func @bad_direction(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.compare' op direction must be one of EQ, NE, LT, LE, GT, GE, got 'lt'}}
  %0 = "mirax.compare"(%x, %x) {direction = "lt"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  return
}

// -----

func.func @ordered_complex(%x: tensor<2xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.compare' op complex operands support only EQ and NE, got LT}}
  %0 = "mirax.compare"(%x, %x) {direction = "LT"} : (tensor<2xcomplex<f32>>, tensor<2xcomplex<f32>>) -> tensor<2xi1>
  return
}

// -----

func.func @bad_rounding_method(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.round' op rounding_method must be 0 or 1, got 2}}
  %0 = "mirax.round"(%x) {rounding_method = 2 : i64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

/// select's predicate is bool and of the operands' shape.
func.func @select_int_predicate(%p: tensor<2xi8>, %x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.select' op requires a bool predicate, got int8}}
  %0 = "mirax.select"(%p, %x, %x) : (tensor<2xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @select_predicate_shape(%p: tensor<i1>, %x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.select' op requires operands of one shape, got [], [2], [2]}}
  %0 = "mirax.select"(%p, %x, %x) : (tensor<i1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

/// bitcast_convert keeps the bit width.
func.func @bitcast_width(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.bitcast_convert' op cannot bitcast float32 to int64: widths differ}}
  %0 = "mirax.bitcast_convert"(%x) {new_dtype = i64} : (tensor<2xf32>) -> tensor<2xi64>
  return
}

// -----

/// convert's result dtype is its new_dtype.
func.func @convert_result(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.convert' op result type tensor<2xi32> does not match the inferred type tensor<2xui32>}}
  %0 = "mirax.convert"(%x) {new_dtype = ui32} : (tensor<2xf32>) -> tensor<2xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// A constant's type is its value's.
func.func @constant_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.constant' op result type tensor<3xf32> does not match the inferred type tensor<2xf32>}}
  %0 = "mirax.constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @iota_dimension() {
  // expected-error @+1 {{'mirax.iota' op iota dimension 2 is out of range for shape [2, 3]}}
  %0 = "mirax.iota"() {dimension = 2 : i64, dtype = f32, shape = array<i64: 2, 3>} : () -> tensor<2x3xf32>
  return
}

// -----

func.func @iota_bool() {
  // expected-error @+1 {{'mirax.iota' op iota does not produce bool}}
  %0 = "mirax.iota"() {dimension = 0 : i64, dtype = i1, shape = array<i64: 2>} : () -> tensor<2xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

func.func @broadcast_rank(%x: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.broadcast_in_dim' op broadcast_dimensions [] must have one entry per operand dimension of shape [3]}}
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 2, 3>, broadcast_dimensions = array<i64>} : (tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_size(%x: tensor<3xf32>) {
  // expected-error @+1 {{'mirax.broadcast_in_dim' op cannot broadcast shape [3] to [3, 2] along dimensions [1]}}
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 3, 2>, broadcast_dimensions = array<i64: 1>} : (tensor<3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @broadcast_order(%x: tensor<3x3xf32>) {
  // expected-error @+1 {{'mirax.broadcast_in_dim' op broadcast_dimensions [1, 0] must be increasing and within rank 2}}
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 3, 3>, broadcast_dimensions = array<i64: 1, 0>} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @reshape_size(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.reshape' op cannot reshape [2, 3] to [5]: sizes differ}}
  %0 = "mirax.reshape"(%x) {new_sizes = array<i64: 5>} : (tensor<2x3xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @transpose_permutation(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.transpose' op permutation [0, 0] is not a permutation of the 2 dimensions of shape [2, 3]}}
  %0 = "mirax.transpose"(%x) {permutation = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mirax.slice' op slice [[1], [5]) is out of range for shape [4]}}
  %0 = "mirax.slice"(%x) {start_indices = array<i64: 1>, limit_indices = array<i64: 5>, strides = array<i64: 1>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @slice_stride(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mirax.slice' op strides [0] must be positive}}
  %0 = "mirax.slice"(%x) {start_indices = array<i64: 0>, limit_indices = array<i64: 4>, strides = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concatenate_dimension(%x: tensor<2xf32>) {
  // expected-error @+1 {{'mirax.concatenate' op dimension 1 is out of range for shape [2]}}
  %0 = "mirax.concatenate"(%x, %x) {dimension = 1 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @pad_value(%x: tensor<2xf32>, %v: tensor<f64>) {
  // expected-error @+1 {{'mirax.pad' op padding value must be a 0-d float32, got float64[]}}
  %0 = "mirax.pad"(%x, %v) {edge_padding_low = array<i64: 1>, edge_padding_high = array<i64: 1>, interior_padding = array<i64: 0>} : (tensor<2xf32>, tensor<f64>) -> tensor<4xf32>
  return
}

// -----

func.func @pad_interior(%x: tensor<2xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{'mirax.pad' op interior_padding [-1] must be non-negative}}
  %0 = "mirax.pad"(%x, %v) {edge_padding_low = array<i64: 0>, edge_padding_high = array<i64: 0>, interior_padding = array<i64: -1>} : (tensor<2xf32>, tensor<f32>) -> tensor<1xf32>
  return
}

// -----

func.func @rev_dimensions(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.rev' op dimensions [1, 1] must be distinct dimensions of shape [2, 3]}}
  %0 = "mirax.rev"(%x) {dimensions = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}
