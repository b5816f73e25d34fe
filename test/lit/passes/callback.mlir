// RUN: mirax-opt %s --mirax-simplify | FileCheck %s --check-prefix=SIMPLIFY
// RUN: mirax-opt %s --mirax-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: mirax-opt %s --mirax-cpu-pipeline | FileCheck %s --check-prefix=LLVM

/// A user's callback (debug.print, pure_callback, io_callback) is a host callback
/// under its own attribute. A call of it whose results nothing reads, or that has
/// none, stays: a func.call has no memory effects interface, so upstream cse,
/// canonicalize and symbol-dce take it to read and write anything. Two calls on the
/// same operands stay two calls, in their order.
// SIMPLIFY-LABEL: func.func @f(%arg0: tensor<3xf32>) -> tensor<3xf32> {
//  SIMPLIFY-NEXT:   call @print_call(%arg0) : (tensor<3xf32>) -> ()
//  SIMPLIFY-NEXT:   call @print_call(%arg0) : (tensor<3xf32>) -> ()
//  SIMPLIFY-NEXT:   %{{.+}} = call @pure_call(%arg0) : (tensor<3xf32>) -> tensor<3xf32>
//  SIMPLIFY-NEXT:   return %arg0

/// mirax-to-linalg gives it a body calling its host symbol on buffers.
// LOWER-LABEL: func.func private @print_call(%arg0: tensor<3xf32>) {
//       LOWER:   %[[A:.+]] = bufferization.to_buffer %arg0 read_only : tensor<3xf32> to memref<3xf32>
//       LOWER:   call @mirax_callback_3(%[[A]]) : (memref<3xf32>) -> ()
//       LOWER:   return
//       LOWER: func.func private @mirax_callback_3(memref<3xf32>)

/// And the compiled program still calls it twice, then the unused one.
// LLVM-LABEL: llvm.func @f(
//       LLVM:   llvm.call @mirax_callback_3(
//       LLVM:   llvm.call @mirax_callback_3(
//       LLVM:   llvm.call @mirax_callback_4(
func.func private @print_call(tensor<3xf32>) attributes {mirax.callback = "mirax_callback_3"}
func.func private @pure_call(tensor<3xf32>) -> tensor<3xf32> attributes {mirax.callback = "mirax_callback_4"}
func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  call @print_call(%x) : (tensor<3xf32>) -> ()
  call @print_call(%x) : (tensor<3xf32>) -> ()
  %unused = call @pure_call(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %x : tensor<3xf32>
}
