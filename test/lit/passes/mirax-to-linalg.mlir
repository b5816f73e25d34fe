// RUN: mirax-opt %s --split-input-file --mirax-to-linalg | FileCheck %s

// mirax-to-linalg: what each op family lowers to.

/// An elementwise op is a linalg.generic of identity maps whose body is the
/// op's scalar rule.
// CHECK-LABEL: func.func @add
//  CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[Y:.+]]: tensor<2x3xf32>) -> tensor<2x3xf32>
//       CHECK:   %[[INIT:.+]] = tensor.empty() : tensor<2x3xf32>
//       CHECK:   %[[SUM:.+]] = linalg.generic
//  CHECK-SAME:       iterator_types = ["parallel", "parallel"]
//  CHECK-SAME:       ins(%[[X]], %[[Y]] : tensor<2x3xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
//  CHECK-NEXT:   ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
//  CHECK-NEXT:     %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
//  CHECK-NEXT:     linalg.yield %[[S]] : f32
//       CHECK:   return %[[SUM]] : tensor<2x3xf32>
func.func @add(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mirax.add"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

/// Unsigned types become signless, in the signature too; the ops pick their
/// unsigned variants from the mirax types.
// CHECK-LABEL: func.func @unsigned
//  CHECK-SAME: (%{{.+}}: tensor<4xi32>, %{{.+}}: tensor<4xi32>) -> tensor<4xi1>
//       CHECK:   %[[MAX:.+]] = linalg.generic
//       CHECK:     arith.maxui %{{.+}}, %{{.+}} : i32
//       CHECK:   %[[LT:.+]] = linalg.generic
//  CHECK-SAME:       ins(%[[MAX]], %{{.+}} : tensor<4xi32>, tensor<4xi32>)
//       CHECK:     arith.cmpi ult, %{{.+}}, %{{.+}} : i32
//       CHECK:   return %[[LT]] : tensor<4xi1>
func.func @unsigned(%x: tensor<4xui32>, %y: tensor<4xui32>) -> tensor<4xi1> {
  %0 = "mirax.max"(%x, %y) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %1 = "mirax.compare"(%0, %y) {direction = "LT"} : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  return %1 : tensor<4xi1>
}

// -----

/// convert is a cast in the generic's body.
// CHECK-LABEL: func.func @convert
//       CHECK:   linalg.generic
//  CHECK-NEXT:   ^bb0(%[[IN:.+]]: i16, %{{.+}}: f64):
//  CHECK-NEXT:     %[[F:.+]] = arith.sitofp %[[IN]] : i16 to f64
//  CHECK-NEXT:     linalg.yield %[[F]] : f64
func.func @convert(%x: tensor<3xi16>) -> tensor<3xf64> {
  %0 = "mirax.convert"(%x) {new_dtype = f64} : (tensor<3xi16>) -> tensor<3xf64>
  return %0 : tensor<3xf64>
}

// -----

/// Complex ops use the complex dialect; 0-d tensors give 0-d generics.
// CHECK-LABEL: func.func @complex
//       CHECK:   %[[EXP:.+]] = linalg.generic
//  CHECK-SAME:       iterator_types = []
//       CHECK:     complex.exp %{{.+}} : complex<f32>
//       CHECK:   linalg.generic
//  CHECK-SAME:       ins(%[[EXP]] : tensor<complex<f32>>) outs(%{{.+}} : tensor<f32>)
//       CHECK:     complex.abs %{{.+}} : complex<f32>
func.func @complex(%z: tensor<complex<f32>>) -> tensor<f32> {
  %0 = "mirax.exp"(%z) : (tensor<complex<f32>>) -> tensor<complex<f32>>
  %1 = "mirax.abs"(%0) : (tensor<complex<f32>>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

/// Half-precision transcendentals compute in f32.
// CHECK-LABEL: func.func @half
//       CHECK:   ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
//  CHECK-NEXT:     %[[WIDE:.+]] = arith.extf %[[IN]] : f16 to f32
//  CHECK-NEXT:     %[[SIN:.+]] = math.sin %[[WIDE]] : f32
//  CHECK-NEXT:     %[[NARROW:.+]] = arith.truncf %[[SIN]] : f32 to f16
//  CHECK-NEXT:     linalg.yield %[[NARROW]] : f16
func.func @half(%x: tensor<2xf16>) -> tensor<2xf16> {
  %0 = "mirax.sin"(%x) : (tensor<2xf16>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

/// A constant is an arith.constant holding the same bits in a signless type;
/// iota is a generic yielding its linalg.index.
// CHECK-LABEL: func.func @constants() -> (tensor<2xi8>, tensor<2x3xi32>)
//   CHECK-DAG:   %[[CST:.+]] = arith.constant dense<[1, -1]> : tensor<2xi8>
//   CHECK-DAG:   %[[IOTA:.+]] = linalg.generic
//       CHECK:     %[[I:.+]] = linalg.index 1 : index
//       CHECK:     arith.index_cast %[[I]] : index to i64
//       CHECK:   return %[[CST]], %[[IOTA]] : tensor<2xi8>, tensor<2x3xi32>
func.func @constants() -> (tensor<2xui8>, tensor<2x3xi32>) {
  %0 = "mirax.constant"() {value = dense<[1, 255]> : tensor<2xui8>} : () -> tensor<2xui8>
  %1 = "mirax.iota"() {dimension = 1 : i64, dtype = i32, shape = array<i64: 2, 3>} : () -> tensor<2x3xi32>
  return %0, %1 : tensor<2xui8>, tensor<2x3xi32>
}

// -----

/// broadcast_in_dim reads a size-1 dimension at index 0; rev reads backwards;
/// reshape is a tensor.reshape to a constant shape.
//   CHECK-DAG: #[[REPEAT:.+]] = affine_map<(d0, d1) -> (d0, 0)>
//   CHECK-DAG: #[[REVERSE:.+]] = affine_map<(d0, d1) -> (-d0 + 2, d1)>
//   CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @shape
//  CHECK-SAME: (%[[X:.+]]: tensor<3x1xf32>)
//       CHECK:   %[[BCAST:.+]] = linalg.generic {indexing_maps = [#[[REPEAT]], #[[ID]]]
//  CHECK-SAME:       ins(%[[X]] : tensor<3x1xf32>) outs(%{{.+}} : tensor<3x4xf32>)
//       CHECK:   %[[SHAPE:.+]] = arith.constant dense<[1, 3]> : tensor<2xindex>
//       CHECK:   %[[RESHAPED:.+]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<3x1xf32>, tensor<2xindex>) -> tensor<1x3xf32>
//       CHECK:   %[[REV:.+]] = linalg.generic {indexing_maps = [#[[REVERSE]], #[[ID]]]
//       CHECK:   return %[[BCAST]], %[[RESHAPED]], %[[REV]]
func.func @shape(%x: tensor<3x1xf32>) -> (tensor<3x4xf32>, tensor<1x3xf32>, tensor<3x1xf32>) {
  %0 = "mirax.broadcast_in_dim"(%x) {shape = array<i64: 3, 4>, broadcast_dimensions = array<i64: 0, 1>} : (tensor<3x1xf32>) -> tensor<3x4xf32>
  %1 = "mirax.reshape"(%x) {new_sizes = array<i64: 1, 3>} : (tensor<3x1xf32>) -> tensor<1x3xf32>
  %2 = "mirax.rev"(%x) {dimensions = array<i64: 0>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  return %0, %1, %2 : tensor<3x4xf32>, tensor<1x3xf32>, tensor<3x1xf32>
}

// -----

/// Calls and the signatures of callees are converted like the rest.
// CHECK-LABEL: func.func @callee
//  CHECK-SAME: (%{{.+}}: tensor<2xi16>) -> tensor<2xi16>
// CHECK-LABEL: func.func @caller
//  CHECK-SAME: (%{{.+}}: tensor<2xi16>) -> tensor<2xi16>
//       CHECK:   %[[R:.+]] = call @callee(%{{.+}}) : (tensor<2xi16>) -> tensor<2xi16>
//       CHECK:   linalg.generic
//  CHECK-SAME:       ins(%[[R]] : tensor<2xi16>)
//       CHECK:     arith.subi
func.func @callee(%x: tensor<2xui16>) -> tensor<2xui16> {
  return %x : tensor<2xui16>
}
func.func @caller(%x: tensor<2xui16>) -> tensor<2xui16> {
  %0 = call @callee(%x) : (tensor<2xui16>) -> tensor<2xui16>
  %1 = "mirax.neg"(%0) : (tensor<2xui16>) -> tensor<2xui16>
  return %1 : tensor<2xui16>
}
