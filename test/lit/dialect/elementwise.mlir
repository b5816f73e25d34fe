// RUN: mirax-opt %s --split-input-file | mirax-opt --split-input-file | FileCheck %s
// RUN: mirax-opt %s --split-input-file --mlir-print-op-generic | mirax-opt --split-input-file | FileCheck %s

// Round trip of the elementwise ops: each parses, verifies and prints back
// unchanged (mirax ops have only the generic form).

/// Every unary op defined on floats keeps the operand type.
// CHECK-LABEL: func.func @float_unary
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
//  CHECK-NEXT:   "mirax.neg"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.abs"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.sign"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.floor"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.ceil"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.exp"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.exp2"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.expm1"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.log"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.log1p"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.sqrt"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.rsqrt"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.cbrt"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.sin"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.cos"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.tan"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.asin"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.acos"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.atan"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.sinh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.cosh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.tanh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.asinh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.acosh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.atanh"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.logistic"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.erf"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.erfc"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.erf_inv"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.lgamma"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.digamma"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.bessel_i0e"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.bessel_i1e"(%[[X]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @float_unary(%x: tensor<2x3xf32>) {
  %neg = "mirax.neg"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %abs = "mirax.abs"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %sign = "mirax.sign"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %floor = "mirax.floor"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %ceil = "mirax.ceil"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %exp = "mirax.exp"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %exp2 = "mirax.exp2"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %expm1 = "mirax.expm1"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %log = "mirax.log"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %log1p = "mirax.log1p"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %sqrt = "mirax.sqrt"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %rsqrt = "mirax.rsqrt"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %cbrt = "mirax.cbrt"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %sin = "mirax.sin"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %cos = "mirax.cos"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %tan = "mirax.tan"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %asin = "mirax.asin"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %acos = "mirax.acos"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %atan = "mirax.atan"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %sinh = "mirax.sinh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %cosh = "mirax.cosh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %tanh = "mirax.tanh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %asinh = "mirax.asinh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %acosh = "mirax.acosh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %atanh = "mirax.atanh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %logistic = "mirax.logistic"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %erf = "mirax.erf"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %erfc = "mirax.erfc"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %erf_inv = "mirax.erf_inv"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %lgamma = "mirax.lgamma"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %digamma = "mirax.digamma"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %bessel_i0e = "mirax.bessel_i0e"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %bessel_i1e = "mirax.bessel_i1e"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

/// Every binary op defined on floats keeps the operand type.
// CHECK-LABEL: func.func @float_binary
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[Y:.+]]: tensor<2x3xf32>)
//  CHECK-NEXT:   "mirax.add"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.sub"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.mul"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.div"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.rem"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.pow"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.max"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.min"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.atan2"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.nextafter"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.polygamma"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//  CHECK-NEXT:   "mirax.zeta"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @float_binary(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) {
  %add = "mirax.add"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %sub = "mirax.sub"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %mul = "mirax.mul"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %div = "mirax.div"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %rem = "mirax.rem"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %pow = "mirax.pow"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %max = "mirax.max"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %min = "mirax.min"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %atan2 = "mirax.atan2"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %nextafter = "mirax.nextafter"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %polygamma = "mirax.polygamma"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %zeta = "mirax.zeta"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

/// Integer ops keep unsigned element types; shifts and bitwise ops take integers.
// CHECK-LABEL: func.func @unsigned
//  CHECK-SAME: (%[[X:.+]]: tensor<4xui8>, %[[Y:.+]]: tensor<4xui8>)
//  CHECK-NEXT:   "mirax.not"(%[[X]]) : (tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.div"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.rem"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.and"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.or"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.xor"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.shift_left"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.shift_right_logical"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.shift_right_arithmetic"(%[[X]], %[[Y]]) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.clz"(%[[X]]) : (tensor<4xui8>) -> tensor<4xui8>
//  CHECK-NEXT:   "mirax.population_count"(%[[X]]) : (tensor<4xui8>) -> tensor<4xui8>
func.func @unsigned(%x: tensor<4xui8>, %y: tensor<4xui8>) {
  %not = "mirax.not"(%x) : (tensor<4xui8>) -> tensor<4xui8>
  %div = "mirax.div"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %rem = "mirax.rem"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %and = "mirax.and"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %or = "mirax.or"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %xor = "mirax.xor"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %shl = "mirax.shift_left"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %shrl = "mirax.shift_right_logical"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %shra = "mirax.shift_right_arithmetic"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %clz = "mirax.clz"(%x) : (tensor<4xui8>) -> tensor<4xui8>
  %popcnt = "mirax.population_count"(%x) : (tensor<4xui8>) -> tensor<4xui8>
  return
}

// -----

/// Bool ops on 0-d tensors: add is `or`, mul is `and`.
// CHECK-LABEL: func.func @bool
//  CHECK-SAME: (%[[X:.+]]: tensor<i1>, %[[Y:.+]]: tensor<i1>)
//  CHECK-NEXT:   "mirax.not"(%[[X]]) : (tensor<i1>) -> tensor<i1>
//  CHECK-NEXT:   "mirax.add"(%[[X]], %[[Y]]) : (tensor<i1>, tensor<i1>) -> tensor<i1>
//  CHECK-NEXT:   "mirax.mul"(%[[X]], %[[Y]]) : (tensor<i1>, tensor<i1>) -> tensor<i1>
//  CHECK-NEXT:   "mirax.max"(%[[X]], %[[Y]]) : (tensor<i1>, tensor<i1>) -> tensor<i1>
func.func @bool(%x: tensor<i1>, %y: tensor<i1>) {
  %not = "mirax.not"(%x) : (tensor<i1>) -> tensor<i1>
  %add = "mirax.add"(%x, %y) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  %mul = "mirax.mul"(%x, %y) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  %max = "mirax.max"(%x, %y) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  return
}

// -----

/// Complex operands: abs and the parts are real, conj and complex are complex.
// CHECK-LABEL: func.func @complex
//  CHECK-SAME: (%[[Z:.+]]: tensor<3xcomplex<f32>>, %[[RE:.+]]: tensor<3xf64>, %[[IM:.+]]: tensor<3xf64>)
//  CHECK-NEXT:   "mirax.abs"(%[[Z]]) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
//  CHECK-NEXT:   "mirax.real"(%[[Z]]) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
//  CHECK-NEXT:   "mirax.imag"(%[[Z]]) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
//  CHECK-NEXT:   "mirax.conj"(%[[Z]]) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
//  CHECK-NEXT:   "mirax.exp"(%[[Z]]) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
//  CHECK-NEXT:   "mirax.complex"(%[[RE]], %[[IM]]) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xcomplex<f64>>
func.func @complex(%z: tensor<3xcomplex<f32>>, %re: tensor<3xf64>, %im: tensor<3xf64>) {
  %abs = "mirax.abs"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
  %real = "mirax.real"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
  %imag = "mirax.imag"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xf32>
  %conj = "mirax.conj"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  %exp = "mirax.exp"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  %complex = "mirax.complex"(%re, %im) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xcomplex<f64>>
  return
}

// -----

/// Ops with params keep them as attributes: compare's direction, round's method,
/// integer_pow's exponent, the target dtype of convert and bitcast_convert.
// CHECK-LABEL: func.func @params
//  CHECK-SAME: (%[[X:.+]]: tensor<5xbf16>, %[[Y:.+]]: tensor<5xbf16>, %[[I:.+]]: tensor<5xi16>)
//  CHECK-NEXT:   "mirax.compare"(%[[X]], %[[Y]]) {direction = "LT"} : (tensor<5xbf16>, tensor<5xbf16>) -> tensor<5xi1>
//  CHECK-NEXT:   "mirax.round"(%[[X]]) {rounding_method = 1 : i64} : (tensor<5xbf16>) -> tensor<5xbf16>
//  CHECK-NEXT:   "mirax.integer_pow"(%[[I]]) {y = 3 : i64} : (tensor<5xi16>) -> tensor<5xi16>
//  CHECK-NEXT:   "mirax.convert"(%[[I]]) {new_dtype = ui64} : (tensor<5xi16>) -> tensor<5xui64>
//  CHECK-NEXT:   "mirax.bitcast_convert"(%[[X]]) {new_dtype = f16} : (tensor<5xbf16>) -> tensor<5xf16>
//  CHECK-NEXT:   "mirax.is_finite"(%[[X]]) : (tensor<5xbf16>) -> tensor<5xi1>
//  CHECK-NEXT:   "mirax.reduce_precision"(%[[X]]) {exponent_bits = 5 : i64, mantissa_bits = 2 : i64} : (tensor<5xbf16>) -> tensor<5xbf16>
func.func @params(%x: tensor<5xbf16>, %y: tensor<5xbf16>, %i: tensor<5xi16>) {
  %lt = "mirax.compare"(%x, %y) {direction = "LT"} : (tensor<5xbf16>, tensor<5xbf16>) -> tensor<5xi1>
  %round = "mirax.round"(%x) {rounding_method = 1 : i64} : (tensor<5xbf16>) -> tensor<5xbf16>
  %cube = "mirax.integer_pow"(%i) {y = 3 : i64} : (tensor<5xi16>) -> tensor<5xi16>
  %wide = "mirax.convert"(%i) {new_dtype = ui64} : (tensor<5xi16>) -> tensor<5xui64>
  %bits = "mirax.bitcast_convert"(%x) {new_dtype = f16} : (tensor<5xbf16>) -> tensor<5xf16>
  %finite = "mirax.is_finite"(%x) : (tensor<5xbf16>) -> tensor<5xi1>
  %rounded = "mirax.reduce_precision"(%x) {exponent_bits = 5 : i64, mantissa_bits = 2 : i64} : (tensor<5xbf16>) -> tensor<5xbf16>
  return
}

// -----

/// select takes a bool predicate; clamp takes (min, operand, max); empty tensors are fine.
// CHECK-LABEL: func.func @select_clamp
//  CHECK-SAME: (%[[P:.+]]: tensor<0x2xi1>, %[[X:.+]]: tensor<0x2xf64>, %[[Y:.+]]: tensor<0x2xf64>)
//  CHECK-NEXT:   "mirax.select"(%[[P]], %[[X]], %[[Y]]) : (tensor<0x2xi1>, tensor<0x2xf64>, tensor<0x2xf64>) -> tensor<0x2xf64>
//  CHECK-NEXT:   "mirax.clamp"(%[[X]], %[[Y]], %[[X]]) : (tensor<0x2xf64>, tensor<0x2xf64>, tensor<0x2xf64>) -> tensor<0x2xf64>
func.func @select_clamp(%p: tensor<0x2xi1>, %x: tensor<0x2xf64>, %y: tensor<0x2xf64>) {
  %select = "mirax.select"(%p, %x, %y) : (tensor<0x2xi1>, tensor<0x2xf64>, tensor<0x2xf64>) -> tensor<0x2xf64>
  %clamp = "mirax.clamp"(%x, %y, %x) : (tensor<0x2xf64>, tensor<0x2xf64>, tensor<0x2xf64>) -> tensor<0x2xf64>
  return
}
