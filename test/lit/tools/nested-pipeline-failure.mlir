// RUN: not mirax-opt %s --mirax-linalg-to-gpu 2>&1 | FileCheck %s

// A mirax pass that runs a pipeline of its own (the GPU pipelines) reports that
// pipeline's errors where MLIR located them, not as one Python exception at the module.

// CHECK: nested-pipeline-failure.mlir:[[# @LINE + 4]]:8: error: mirax-linalg-to-gpu failed: op was not bufferized
// CHECK-NOT: MLIRError
// CHECK-NOT: Traceback
func.func @not_lowered(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
