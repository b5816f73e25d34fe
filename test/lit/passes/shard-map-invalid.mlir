// RUN: not mirax-opt %s --split-input-file --mirax-derive 2>&1 | FileCheck %s

// A hand-written shard_map names its body, whose type is that of the blocks its specs
// cut, on a mesh of named axes; a spec has one entry per dimension.
// CHECK-NOT: Traceback

func.func private @body(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.shard_map_body' names @nosuch, which is not a function of the module
func.func private @missing(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mirax.shard_map_body = @nosuch, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_in_specs = [[["i"], []]], mirax.shard_map_out_specs = [[["i"], []]]}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @body has type (tensor<2x3xf32>) -> tensor<2x3xf32>, but the body of @replicated must have type (tensor<4x3xf32>) -> tensor<4x3xf32>
func.func private @replicated(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mirax.shard_map_body = @body, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_in_specs = [[[], []]], mirax.shard_map_out_specs = [[[], []]]}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op argument 0 of type tensor<4x3xf32> has spec (('i',),): one entry per dimension, naming each axis of the mesh ['i'] at most once
func.func private @short_spec(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mirax.shard_map_body = @body, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_in_specs = [[["i"]]], mirax.shard_map_out_specs = [[["i"], []]]}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op result 0 of type tensor<3x3xf32> is not divided evenly by its spec (('i',), ())
func.func private @uneven(tensor<4x3xf32>) -> tensor<3x3xf32> attributes {mirax.shard_map_body = @body, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_in_specs = [[["i"], []]], mirax.shard_map_out_specs = [[["i"], []]]}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op has a mesh of axes ['i', 'i'] and sizes [2, 1]: one positive size per distinct name
func.func private @mesh(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mirax.shard_map_body = @body, mirax.shard_map_mesh_axes = ["i", "i"], mirax.shard_map_mesh_shape = array<i64: 2, 1>, mirax.shard_map_in_specs = [[["i"], []]], mirax.shard_map_out_specs = [[["i"], []]]}
// CHECK: shard-map-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.shard_map_check_vma' must be a unit attribute, got true
func.func private @flag(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mirax.shard_map_body = @body, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_in_specs = [[["i"], []]], mirax.shard_map_out_specs = [[["i"], []]], mirax.shard_map_check_vma = true}
