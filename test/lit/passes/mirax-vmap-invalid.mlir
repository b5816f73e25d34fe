// RUN: not mirax-opt %s --mirax-vmap 2>&1 | FileCheck %s

/// An output that depends on a batched input cannot be declared unbatched (out_axes -1).
// CHECK: mirax-vmap-invalid.mlir:[[# @LINE + 5]]:1: error: mirax-vmap failed: ValueError: vmap has mapped output but out_axes is None: @f_vmap has an output batched along its dimension 0, but its out_axes entry is -1
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @f_vmap(tensor<5x3xf32>) -> tensor<3xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0>, mirax.out_axes = array<i64: -1>, mirax.axis_size = 5 : i64}
