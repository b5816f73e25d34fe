// RUN: mirax-opt %s --mirax-expand-math --split-input-file | FileCheck %s

/// f32 exp and cos become calls of private, always-inlined polynomial approximations
/// (fused multiply-adds); f64 keeps the math op for libm.
// CHECK-LABEL: func.func @expand
//  CHECK-SAME: (%[[X:.+]]: f32, %[[Y:.+]]: f64)
//       CHECK:   %[[E:.+]] = call @__mirax_expf(%[[X]]) : (f32) -> f32
//       CHECK:   %[[C:.+]] = call @__mirax_cosf(%[[X]]) : (f32) -> f32
//       CHECK:   %[[D:.+]] = math.exp %[[Y]] : f64
//       CHECK:   return %[[E]], %[[C]], %[[D]]
//   CHECK-DAG: func.func private @__mirax_cosf(%{{.+}}: f32) -> f32 attributes {llvm.always_inline}
//   CHECK-DAG: func.func private @__mirax_expf(%{{.+}}: f32) -> f32 attributes {llvm.always_inline}
//       CHECK:   math.fma
//   CHECK-NOT: math.exp %{{.+}} : f32
func.func @expand(%x: f32, %y: f64) -> (f32, f32, f64) {
  %0 = math.exp %x : f32
  %1 = math.cos %x : f32
  %2 = math.exp %y : f64
  return %0, %1, %2 : f32, f32, f64
}

// -----

/// Each approximation is built once per module however often it is used.
// CHECK-LABEL: func.func @twice
//       CHECK:   call @__mirax_tanhf
//       CHECK:   call @__mirax_tanhf
//       CHECK:   func.func private @__mirax_tanhf
//   CHECK-NOT:   func.func private @__mirax_tanhf
func.func @twice(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  %1 = math.tanh %0 : f32
  return %1 : f32
}
