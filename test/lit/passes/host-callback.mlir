// RUN: mirax-opt %s --mirax-to-linalg | FileCheck %s

/// A function computed by Python at run time (a custom_vjp backward pass outside
/// jit) gets a body calling the host symbol on buffers: its inputs, read only, then
/// result buffers for Python to fill.
// CHECK-LABEL: func.func private @bwd_on_host(%arg0: tensor<3xf32>, %arg1: tensor<f32>) -> tensor<3xf32> {
//       CHECK:   %[[A:.+]] = bufferization.to_buffer %arg0 read_only : tensor<3xf32> to memref<3xf32>
//       CHECK:   %[[B:.+]] = bufferization.to_buffer %arg1 read_only : tensor<f32> to memref<f32>
//       CHECK:   %[[OUT:.+]] = memref.alloc() : memref<3xf32>
//       CHECK:   call @mirax_host_7(%[[A]], %[[B]], %[[OUT]]) : (memref<3xf32>, memref<f32>, memref<3xf32>) -> ()
//       CHECK:   %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<3xf32> to tensor<3xf32>
//       CHECK:   return %[[R]]
//       CHECK: func.func private @mirax_host_7(memref<3xf32>, memref<f32>, memref<3xf32>)
func.func private @bwd_on_host(tensor<3xf32>, tensor<f32>) -> tensor<3xf32> attributes {mirax.host_callback = "mirax_host_7"}
func.func @f(%x: tensor<3xf32>, %g: tensor<f32>) -> tensor<3xf32> {
  %0 = call @bwd_on_host(%x, %g) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
