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
  // expected-error @+1 {{'mirax.compare' op attribute 'direction'}}
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

// -----

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Reduction axes are distinct dimensions of the operand; each reduction accepts
/// some dtype kinds; argmax/argmin reduce one non-empty axis to integer indices.
func.func @reduce_axes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.reduce_sum' op axes [2] must be distinct dimensions in [0, 2) of shape [2, 3]}}
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_sum_of_bool(%x: tensor<2x3xi1>) {
  // expected-error @+1 {{'mirax.reduce_sum' op reduce_sum does not accept bool operands (it takes float, complex, int)}}
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xi1>) -> tensor<2xi1>
  return
}

// -----

func.func @reduce_and_of_float(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.reduce_and' op reduce_and does not accept float32 operands (it takes int, bool)}}
  %0 = "mirax.reduce_and"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @argmax_axes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.argmax' op argmax takes exactly one axis, got [0, 1]}}
  %0 = "mirax.argmax"(%x) {axes = array<i64: 0, 1>, index_dtype = i32} : (tensor<2x3xf32>) -> tensor<i32>
  return
}

// -----

func.func @argmax_index_dtype(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.argmax' op index_dtype must be an integer type, got float32}}
  %0 = "mirax.argmax"(%x) {axes = array<i64: 1>, index_dtype = f32} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @argmin_of_empty(%x: tensor<0x3xf32>) {
  // expected-error @+1 {{'mirax.argmin' op argmin requires a non-empty reduced dimension, got axis 0 of shape [0, 3]}}
  %0 = "mirax.argmin"(%x) {axes = array<i64: 0>, index_dtype = i32} : (tensor<0x3xf32>) -> tensor<3xi32>
  return
}

// -----

func.func @cumsum_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mirax.cumsum' op axis 2 is out of range for shape [2, 3]}}
  %0 = "mirax.cumsum"(%x) {axis = 2 : i64, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// dot_general
//===----------------------------------------------------------------------===//

/// Contracting (and batch) dimensions pair up with equal sizes; one dtype.
func.func @dot_contracting_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'mirax.dot_general' op contracting dimensions must have the same sizes, got lhs shape [2, 3] dimensions [1] and rhs shape [4, 5] dimensions [0]}}
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @dot_dtype_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x5xf64>) {
  // expected-error @+1 {{'mirax.dot_general' op requires operands of one dtype, got float32, float64}}
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x5xf64>) -> tensor<2x5xf32>
  return
}

// -----

func.func @dot_contracting_count(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'mirax.dot_general' op contracting dimensions must have the same sizes, got lhs shape [2, 3] dimensions [1] and rhs shape [3, 5] dimensions []}}
  %0 = "mirax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, rhs_contracting_dimensions = array<i64>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Gather and scatter
//===----------------------------------------------------------------------===//

/// Modes, combiners, window sizes, fill values and update shapes are checked.
func.func @gather_mode(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %fill: tensor<f32>) {
  // expected-error @+1 {{'mirax.gather' op mode must be one of clip, fill, promise_in_bounds, got 'wrap'}}
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, mode = "wrap"} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_collapsed_size(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %fill: tensor<f32>) {
  // expected-error @+1 {{'mirax.gather' op collapsed_slice_dims [0] must have slice size 1, got slice_sizes [2, 3]}}
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 2, 3>, mode = "clip"} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_fill_value(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %fill: tensor<i32>) {
  // expected-error @+1 {{'mirax.gather' op fill_value must be a 0-d float32, got int32[]}}
  %0 = "mirax.gather"(%x, %i, %fill) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, mode = "fill"} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<i32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @scatter_combiner(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) {
  // expected-error @+1 {{'mirax.scatter' op combiner must be one of set, add, mul, min, max, got 'sub'}}
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "sub", mode = "clip", unique_indices = false} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return
}

// -----

func.func @scatter_updates_shape(%x: tensor<5x3xf32>, %i: tensor<4x1xi32>, %u: tensor<3x3xf32>) {
  // expected-error @+1 {{'mirax.scatter' op updates [3, 3] outside update_window_dims [1] must match the batch shape [4] of indices}}
  %0 = "mirax.scatter"(%x, %i, %u) {update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, combiner = "add", mode = "clip", unique_indices = false} : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<3x3xf32>) -> tensor<5x3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Sort
//===----------------------------------------------------------------------===//

/// Values have the key's shape; the dimension is in range.
func.func @sort_value_shape(%k: tensor<2x5xf32>, %v: tensor<5xi32>) {
  // expected-error @+1 {{'mirax.sort' op requires values of the key's shape, got [2, 5], [5]}}
  %1:2 = "mirax.sort"(%k, %v) {dimension = 0 : i64, is_stable = true} : (tensor<2x5xf32>, tensor<5xi32>) -> (tensor<2x5xf32>, tensor<5xi32>)
  return
}

// -----

func.func @sort_dimension(%k: tensor<2x5xf32>) {
  // expected-error @+1 {{'mirax.sort' op dimension 2 is out of range for shape [2, 5]}}
  %1 = "mirax.sort"(%k) {dimension = 2 : i64, is_stable = true} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Shape ops with index operands
//===----------------------------------------------------------------------===//

/// One 0-d integer start index per dimension; windows fit; dtypes agree.
func.func @dynamic_slice_index_count(%x: tensor<5x6xf64>, %i: tensor<i32>) {
  // expected-error @+1 {{'mirax.dynamic_slice' op requires one start index per dimension of shape [5, 6], got 1}}
  %1 = "mirax.dynamic_slice"(%i, %x) {slice_sizes = array<i64: 2, 2>} : (tensor<i32>, tensor<5x6xf64>) -> tensor<2x2xf64>
  return
}

// -----

func.func @dynamic_slice_sizes(%x: tensor<5x6xf64>, %i: tensor<i32>) {
  // expected-error @+1 {{'mirax.dynamic_slice' op slice_sizes [6, 2] do not fit in shape [5, 6]}}
  %1 = "mirax.dynamic_slice"(%i, %i, %x) {slice_sizes = array<i64: 6, 2>} : (tensor<i32>, tensor<i32>, tensor<5x6xf64>) -> tensor<6x2xf64>
  return
}

// -----

func.func @dynamic_slice_index_rank(%x: tensor<5x6xf64>, %i: tensor<2xi32>) {
  // expected-error @+1 {{'mirax.dynamic_slice' op start indices must be 0-d integers, got int32[2]}}
  %1 = "mirax.dynamic_slice"(%i, %i, %x) {slice_sizes = array<i64: 2, 2>} : (tensor<2xi32>, tensor<2xi32>, tensor<5x6xf64>) -> tensor<2x2xf64>
  return
}

// -----

func.func @dynamic_update_slice_dtype(%x: tensor<5x6xf64>, %u: tensor<2x2xf32>, %i: tensor<i32>) {
  // expected-error @+1 {{'mirax.dynamic_update_slice' op update dtype float32 differs from operand dtype float64}}
  %1 = "mirax.dynamic_update_slice"(%i, %i, %x, %u) : (tensor<i32>, tensor<i32>, tensor<5x6xf64>, tensor<2x2xf32>) -> tensor<5x6xf64>
  return
}

// -----

func.func @concatenate_shapes(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) {
  // expected-error @+1 {{'mirax.concatenate' op cannot concatenate shapes [2, 3] and [3, 3] along dimension 1}}
  %0 = "mirax.concatenate"(%x, %y) {dimension = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

/// Integers have no negative powers.
func.func @integer_pow_negative(%x: tensor<5xi16>) {
  // expected-error @+1 {{integers cannot be raised to negative powers}}
  %0 = "mirax.integer_pow"(%x) {y = -3 : i64} : (tensor<5xi16>) -> tensor<5xi16>
  return
}
