// RUN: not mirax-opt %s --split-input-file --mirax-derive 2>&1 | FileCheck %s

// A hand-written checkpoint names its body, of its own type, and carries unit flags.
// CHECK-NOT: Traceback

func.func private @body(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
// CHECK: checkpoint-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.checkpoint_body' names @nosuch, which is not a function of the module
func.func private @missing(tensor<f32>) -> tensor<f32> attributes {mirax.checkpoint_body = @nosuch}
// CHECK: checkpoint-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @body has type (tensor<f32>) -> tensor<f32>, but the body of @wrong_type must have type (tensor<3xf32>) -> tensor<3xf32>
func.func private @wrong_type(tensor<3xf32>) -> tensor<3xf32> attributes {mirax.checkpoint_body = @body}
// CHECK: checkpoint-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.checkpoint_prevent_cse' must be a unit attribute, got true
func.func private @flag(tensor<f32>) -> tensor<f32> attributes {mirax.checkpoint_body = @body, mirax.checkpoint_prevent_cse = true}
// CHECK: checkpoint-invalid.mlir:[[# @LINE + 1]]:1: error: 'func.func' op needs a 'mirax.active' attribute (an array<i64>)
func.func private @tangent(tensor<f32>) -> tensor<f32> attributes {mirax.checkpoint_body = @body, mirax.checkpoint_tangent_of = @flag}
