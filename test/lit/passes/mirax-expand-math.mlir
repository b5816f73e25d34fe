// RUN: mirax-opt %s --mirax-expand-math --split-input-file | FileCheck %s
// RUN: mirax-opt %s --mirax-expand-math=library=0 --split-input-file | FileCheck %s --check-prefix=INLINE

/// Outside long loops, f32 exp becomes a call of the kernel library's function,
/// declared pure with vector variants of 8 and 16 lanes (LLVM's vector function ABI)
/// that llvm.compiler.used keeps for LLVM's loop vectorizer; cos a call of a private,
/// always-inlined polynomial approximation (fused multiply-adds); f64 keeps the math
/// op for libm. With library=0 (the GPU's kernels), exp is inlined too.
// CHECK-LABEL: func.func @expand
//  CHECK-SAME: (%[[X:.+]]: f32, %[[Y:.+]]: f64)
//       CHECK:   %[[E:.+]] = call @mirax_expf(%[[X]]) : (f32) -> f32
//       CHECK:   %[[C:.+]] = call @__mirax_cosf(%[[X]]) : (f32) -> f32
//       CHECK:   %[[D:.+]] = math.exp %[[Y]] : f64
//       CHECK:   return %[[E]], %[[C]], %[[D]]
//   CHECK-DAG: func.func private @__mirax_cosf(%{{.+}}: f32) -> f32 attributes {llvm.always_inline}
//   CHECK-DAG: func.func private @mirax_expf(f32) -> f32 attributes {llvm.memory_effects = #llvm.memory_effects<other = none, argMem = none, inaccessibleMem = none{{.*}}>, llvm.passthrough = ["nounwind", "willreturn", ["vector-function-abi-variant", "_ZGV_LLVM_N8v_mirax_expf(mirax_expf_v8),_ZGV_LLVM_N16v_mirax_expf(mirax_expf_v16)"]]}
//   CHECK-DAG: llvm.func @mirax_expf_v8(vector<8xf32>) -> vector<8xf32>
//   CHECK-DAG: llvm.func @mirax_expf_v16(vector<16xf32>) -> vector<16xf32>
//   CHECK-DAG: llvm.mlir.global appending @llvm.compiler.used() {{.+}} : !llvm.array<2 x ptr>
//   CHECK-DAG: llvm.mlir.addressof @mirax_expf_v8
//   CHECK-DAG: llvm.mlir.addressof @mirax_expf_v16
//   CHECK-DAG:   math.fma
//   CHECK-NOT: math.exp %{{.+}} : f32
// INLINE-LABEL: func.func @expand
//       INLINE:   call @__mirax_expf
//       INLINE:   call @__mirax_cosf
//   INLINE-NOT:   mirax_expf_v
func.func @expand(%x: f32, %y: f64) -> (f32, f32, f64) {
  %0 = math.exp %x : f32
  %1 = math.cos %x : f32
  %2 = math.exp %y : f64
  return %0, %1, %2 : f32, f32, f64
}

// -----

/// Each function is declared (or approximation built) once per module however often
/// it is used.
// CHECK-LABEL: func.func @twice
//       CHECK:   call @mirax_tanhf
//       CHECK:   call @mirax_tanhf
//       CHECK:   func.func private @mirax_tanhf
//   CHECK-NOT:   func.func private @mirax_tanhf
// INLINE-LABEL: func.func @twice
//       INLINE:   call @__mirax_tanhf
//       INLINE:   call @__mirax_tanhf
//       INLINE:   func.func private @__mirax_tanhf
//   INLINE-NOT:   func.func private @__mirax_tanhf
func.func @twice(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  %1 = math.tanh %0 : f32
  return %1 : f32
}

// -----

/// In a loop of 2^14 iterations or more, the approximation is inlined (vectorized
/// with the code around it) and LLVM asked to interleave the loop.
//       CHECK: #llvm.loop_interleave<count = 2 : i64>
// CHECK-LABEL: func.func @long_loop
//       CHECK:   scf.for
//       CHECK:     call @__mirax_logf
//       CHECK:   } {loop_annotation = #{{.+}}}
//   CHECK-NOT:   mirax_logf_v
func.func @long_loop(%m: memref<16384xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 16384 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %m[%i] : memref<16384xf32>
    %y = math.log %x : f32
    memref.store %y, %m[%i] : memref<16384xf32>
  }
  return
}
