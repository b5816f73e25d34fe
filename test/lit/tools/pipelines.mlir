// RUN: mirax-opt --help | FileCheck %s --check-prefix=HELP
// RUN: mirax-opt %s --mirax-derive | FileCheck %s --check-prefix=DERIVE
// RUN: mirax-opt %s --mirax-cpu-pipeline | FileCheck %s --check-prefix=CPU
// RUN: mirax-opt %s --pass-pipeline='builtin.module(mirax-lower-to-linalg,mirax-linalg-to-llvm)' | FileCheck %s --check-prefix=CPU
// RUN: not mirax-opt %s --mirax-cpu-pipeline=x=1 2>&1 | FileCheck %s --check-prefix=OPTIONS

// The registry jit runs: mirax-derive derives every declared transformation, nested
// ones included, and mirax-cpu-pipeline is jit's whole CPU lowering (on a program's
// "mirax" stage it prints its "llvm" stage: test/python/test_pipeline_replay.py).

// HELP: mirax passes:
// HELP: --mirax-derive {{ +}}Derive every transformed function
// HELP: mirax pipelines
// HELP: --mirax-cpu-pipeline {{ +}}mirax dialect to the LLVM dialect for the CPU
// HELP: --mirax-gpu-pipeline {{ +}}mirax dialect to host code

/// The VJP needs a JVP, then a transpose of its linear part, each declared by the
/// pass before it: all derived, none left a bodiless declaration.
// DERIVE-LABEL: func.func @main(
//       DERIVE:   call @f_vjp_0(
// DERIVE-LABEL: func.func private @f_vjp_0(
//       DERIVE:   call @f_vjp_0_linear_transpose(
// DERIVE-LABEL: func.func private @f_jvp_0(
// DERIVE-LABEL: func.func private @f_vjp_0_linear(
// DERIVE-LABEL: func.func private @f_vjp_0_linear_transpose(
//  DERIVE-SAME:     %{{[^:]+}}: tensor<3xf32>
//       DERIVE:   "mirax.broadcast_in_dim"
//   DERIVE-NOT: mirax.{{.*}}_of

/// Down to the LLVM dialect: the callees inlined into @main, results as
/// out-parameters behind bare pointers, sin and cos as mirax-expand-math's
/// polynomials.
//  CPU-NOT: mirax.sin
//      CPU: llvm.func @main(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)
//      CPU:   llvm.call @__mirax_sinf(
//      CPU:   llvm.call @__mirax_cosf(
//  CPU-NOT: llvm.func @f

/// Pipelines, like mirax passes, take no options.
// OPTIONS: mirax-opt: error: mirax pipeline 'mirax-cpu-pipeline' takes no options: 'mirax-cpu-pipeline{x=1}'
func.func @main(%x: tensor<3xf32>, %y: tensor<3xf32>, %ct: tensor<f32>) -> (tensor<f32>, tensor<3xf32>) {
  %out, %g = call @f_vjp_0(%x, %y, %ct) : (tensor<3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
  return %out, %g : tensor<f32>, tensor<3xf32>
}
func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.mul"(%0, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mirax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}
func.func private @f_vjp_0(tensor<3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}
