// RUN: mirax-opt %s --mirax-simplify | FileCheck %s

/// Duplicate work (the JVP rule's second cos), dead ops and uncalled private
/// functions go; what is returned stays.
// CHECK-NOT:   func.func private @unused
// CHECK-LABEL: func.func @main
//  CHECK-SAME: (%[[X:.+]]: tensor<3xf32>)
//       CHECK:   %[[C:.+]] = "mirax.cos"(%[[X]])
//   CHECK-NOT:   "mirax.cos"
//   CHECK-NOT:   "mirax.exp"
//       CHECK:   %[[M:.+]] = "mirax.mul"(%[[C]], %[[C]])
//       CHECK:   return %[[M]]
func.func private @unused(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}
func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mirax.cos"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.cos"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mirax.exp"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %3 = "mirax.mul"(%0, %1) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %3 : tensor<3xf32>
}
