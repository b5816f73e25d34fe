// RUN: mirax-opt %s --mirax-vectorize-matmul --split-input-file | FileCheck %s

/// An f32 matmul whose M is a multiple of 4 and N of 16 becomes loops over 4x16
/// register tiles of C, each updated by vector FMAs over the k loop.
// CHECK-LABEL: func.func @tiled
//   CHECK-NOT:   linalg.matmul
//       CHECK:   scf.for
//       CHECK:     vector.transfer_read %{{.+}} : tensor<4x16xf32>, vector<4x16xf32>
//       CHECK:     scf.for
//       CHECK:       vector.fma %{{.+}} : vector<16xf32>
//       CHECK:     vector.transfer_write %{{.+}} : vector<4x16xf32>, tensor<4x16xf32>
func.func @tiled(%a: tensor<8x32xf32>, %b: tensor<32x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

/// Other shapes, and other element types, keep the plain matmul.
// CHECK-LABEL: func.func @untouched
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<3x5xf32>, tensor<5x7xf32>)
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<8x32xf64>, tensor<32x32xf64>)
//   CHECK-NOT:   vector.fma
func.func @untouched(%a: tensor<3x5xf32>, %b: tensor<5x7xf32>, %c: tensor<3x7xf32>,
                     %d: tensor<8x32xf64>, %e: tensor<32x32xf64>, %f: tensor<8x32xf64>) -> (tensor<3x7xf32>, tensor<8x32xf64>) {
  %0 = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x7xf32>) outs(%c : tensor<3x7xf32>) -> tensor<3x7xf32>
  %1 = linalg.matmul ins(%d, %e : tensor<8x32xf64>, tensor<32x32xf64>) outs(%f : tensor<8x32xf64>) -> tensor<8x32xf64>
  return %0, %1 : tensor<3x7xf32>, tensor<8x32xf64>
}
