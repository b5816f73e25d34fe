// RUN: mirax-opt %s --mirax-linalg-to-gpu | FileCheck %s --check-prefix=GPU
// RUN: mirax-opt %s --mirax-linalg-to-nvvm | FileCheck %s --check-prefix=NVVM

/// The GPU pipeline from linalg on tensors (mirax-to-linalg's output). The elementwise
/// chain fuses into one kernel (f32 exp as mirax-expand-math's polynomial, erf left to
/// libdevice); the row sum is one block per row starting from the fill's value, so the
/// fill needs no kernel. Kernels are outlined into one GPU module; the host function
/// takes its results as out-parameters and launches the kernels.
// GPU-LABEL: func.func @main
//  GPU-SAME:     (%[[X:.+]]: memref<4x300xf32>, %[[V:.+]]: memref<300xf32>, %[[SCALED:.+]]: memref<4x300xf32>, %[[SUM:.+]]: memref<4xf32>)
//       GPU:   gpu.launch_func @mirax_kernels::@[[MAP:main_kernel]] blocks in (%c5, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[X]] : {{.+}}, %[[V]] : {{.+}}, %[[SCALED]] : {{.+}})
//  GPU-NEXT:   gpu.launch_func @mirax_kernels::@[[REDUCE:main_kernel_0]] blocks in (%c4, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[SCALED]] : {{.+}}, %[[SUM]] : {{.+}})
//  GPU-NEXT:   return
//       GPU: gpu.module @mirax_kernels [#nvvm.target<O = 3, chip = "sm_90">]
//       GPU:   gpu.func @[[MAP]]({{.+}}) kernel
//       GPU:     func.call @__mirax_expf
//       GPU:     math.erf
//       GPU:   func.func private @__mirax_expf
//       GPU:   gpu.func @[[REDUCE]]({{.+}}) kernel
//       GPU:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//       GPU:     gpu.all_reduce add
//       GPU:     arith.addf %{{.+}}, %[[ZERO]] : f32
//   GPU-NOT: gpu.func

/// In the NVVM dialect, kernels are llvm.funcs marked as kernels, reading the PTX
/// special registers; erf calls libdevice; the tree reduction is warp shuffles and
/// shared memory (address space 3) between barriers.
//      NVVM: gpu.module @mirax_kernels
//      NVVM:   llvm.func @__nv_erff(f32) -> f32
//      NVVM:   llvm.func @main_kernel({{.+}}) attributes {gpu.kernel, {{.+}}nvvm.kernel
//      NVVM:     nvvm.read.ptx.sreg.ctaid.x
//      NVVM:     nvvm.read.ptx.sreg.tid.x
//      NVVM:     llvm.call @__nv_erff
//      NVVM:   llvm.mlir.global internal @__wg_main_kernel_0_0() {addr_space = 3 : i32} : !llvm.array<32 x f32>
//      NVVM:   llvm.func @main_kernel_0({{.+}}) attributes {gpu.kernel, {{.+}}nvvm.kernel
//      NVVM:     nvvm.shfl.sync bfly
//      NVVM:     nvvm.barrier
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @main(%x: tensor<4x300xf32>, %v: tensor<300xf32>) -> (tensor<4x300xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.000000e+00 : f32
  %e0 = tensor.empty() : tensor<4x300xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x300xf32>) outs(%e0 : tensor<4x300xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x300xf32>
  %e1 = tensor.empty() : tensor<4x300xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %v : tensor<4x300xf32>, tensor<300xf32>) outs(%e1 : tensor<4x300xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    %s = math.erf %r : f32
    linalg.yield %s : f32
  } -> tensor<4x300xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%scaled : tensor<4x300xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %scaled, %sum : tensor<4x300xf32>, tensor<4xf32>
}
