// RUN: not mirax-opt %s --mirax-linalg-to-gpu 2>&1 | FileCheck %s

// A named pipeline runs its upstream passes in mirax-opt's own PassManager: their
// errors are reported where MLIR located them, not as one Python exception at the module.

// CHECK: nested-pipeline-failure.mlir:[[# @LINE + 4]]:8: error: op was not bufferized
// CHECK-NOT: MLIRError
// CHECK-NOT: Traceback
func.func @not_lowered(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
