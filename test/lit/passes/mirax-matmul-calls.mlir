// RUN: mirax-opt %s --mirax-matmul-calls | FileCheck %s

/// f32 and f64 matmuls on buffers, C row-major, become calls to the kernel library's
/// matmul: each operand's aligned pointer, offset, row stride and (A's and B's) column
/// stride, then M, N and K. A subview passes its offset and its parent's strides. A
/// column-major A or B, or one read transposed (swapped strides), is called as well.
// CHECK-DAG:   func.func private @mirax_matmul_f32(!llvm.ptr, index, index, index, !llvm.ptr, index, index, index, !llvm.ptr, index, index, index, index, index)
// CHECK-DAG:   func.func private @mirax_matmul_f64(
// CHECK-LABEL: func.func @calls
//   CHECK-NOT:   linalg.matmul
//       CHECK:   %[[A:.+]], %[[A_OFFSET:.+]], %{{.+}}:2, %[[A_STRIDES:.+]]:2 = memref.extract_strided_metadata %arg0
//       CHECK:   %[[A_INT:.+]] = memref.extract_aligned_pointer_as_index %arg0
//       CHECK:   %[[A_I64:.+]] = arith.index_cast %[[A_INT]] : index to i64
//       CHECK:   %[[A_PTR:.+]] = llvm.inttoptr %[[A_I64]] : i64 to !llvm.ptr
//       CHECK:   %[[M:.+]] = arith.constant 16 : index
//       CHECK:   %[[N:.+]] = arith.constant 64 : index
//       CHECK:   %[[K:.+]] = arith.constant 32 : index
//       CHECK:   call @mirax_matmul_f32(%[[A_PTR]], %[[A_OFFSET]], %[[A_STRIDES]]#0, %[[A_STRIDES]]#1, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[M]], %[[N]], %[[K]])
//       CHECK:   %[[SUB:.+]] = memref.subview
//       CHECK:   memref.extract_strided_metadata %[[SUB]] : memref<8x30xf64, strided<[40, 1], offset: 10>>
//       CHECK:   call @mirax_matmul_f64(
//       CHECK:   %{{.+}}, %{{.+}}, %{{.+}}:2, %[[T_STRIDES:.+]]:2 = memref.extract_strided_metadata %arg6
//       CHECK:   %[[T_M:.+]] = arith.constant 12 : index
//       CHECK:   %[[T_N:.+]] = arith.constant 9 : index
//       CHECK:   %[[T_K:.+]] = arith.constant 5 : index
//       CHECK:   call @mirax_matmul_f32(%{{.+}}, %{{.+}}, %[[T_STRIDES]]#1, %[[T_STRIDES]]#0, {{.+}}, %[[T_M]], %[[T_N]], %[[T_K]])
//       CHECK:   memref.extract_strided_metadata %arg9 : memref<4x4xf32, strided<[1, 4]>>
//       CHECK:   call @mirax_matmul_f32(
//       CHECK:   %{{.+}}, %{{.+}}, %{{.+}}:2, %[[W_STRIDES:.+]]:2 = memref.extract_strided_metadata %arg9
//       CHECK:   call @mirax_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[W_STRIDES]]#1, %[[W_STRIDES]]#0,
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
func.func @calls(%a: memref<16x32xf32>, %b: memref<32x64xf32>, %c: memref<16x64xf32>,
                 %d: memref<8x40xf64>, %e: memref<30x9xf64, strided<[9, 1], offset: ?>>, %f: memref<8x9xf64>,
                 %t: memref<5x12xf32>, %u: memref<5x9xf32>, %v: memref<12x9xf32>,
                 %w: memref<4x4xf32, strided<[1, 4]>>, %x: memref<4x4xf32>, %y: memref<4x4xf32>) {
  linalg.matmul ins(%a, %b : memref<16x32xf32>, memref<32x64xf32>) outs(%c : memref<16x64xf32>)
  %sub = memref.subview %d[0, 10] [8, 30] [1, 1] : memref<8x40xf64> to memref<8x30xf64, strided<[40, 1], offset: 10>>
  linalg.matmul ins(%sub, %e : memref<8x30xf64, strided<[40, 1], offset: 10>>, memref<30x9xf64, strided<[9, 1], offset: ?>>)
                outs(%f : memref<8x9xf64>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%t, %u : memref<5x12xf32>, memref<5x9xf32>) outs(%v : memref<12x9xf32>)
  linalg.matmul ins(%w, %x : memref<4x4xf32, strided<[1, 4]>>, memref<4x4xf32>) outs(%y : memref<4x4xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%x, %w : memref<4x4xf32>, memref<4x4xf32, strided<[1, 4]>>) outs(%y : memref<4x4xf32>)
  return
}

/// Left as they are: other element types, a column-major C, other indexing maps (C
/// transposed), tensors (before bufferization).
// CHECK-LABEL: func.func @untouched
//   CHECK-NOT:   call
//       CHECK:   linalg.matmul ins(%{{.+}} : memref<4x4xi32>, memref<4x4xi32>)
//       CHECK:   linalg.matmul ins(%{{.+}} : memref<4x4xf32>, memref<4x4xf32>) outs(%{{.+}} : memref<4x4xf32, strided<[1, 4]>>)
//       CHECK:   linalg.matmul indexing_maps
//       CHECK:   linalg.matmul ins(%{{.+}} : tensor<4x4xf32>, tensor<4x4xf32>)
//   CHECK-NOT:   call
func.func @untouched(%a: memref<4x4xi32>, %b: memref<4x4xi32>, %c: memref<4x4xi32>,
                     %d: memref<4x4xf32, strided<[1, 4]>>, %e: memref<4x4xf32>, %f: memref<4x4xf32>,
                     %g: tensor<4x4xf32>, %h: tensor<4x4xf32>) -> tensor<4x4xf32> {
  linalg.matmul ins(%a, %b : memref<4x4xi32>, memref<4x4xi32>) outs(%c : memref<4x4xi32>)
  linalg.matmul ins(%e, %f : memref<4x4xf32>, memref<4x4xf32>) outs(%d : memref<4x4xf32, strided<[1, 4]>>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (n, m)>]
                ins(%e, %e : memref<4x4xf32>, memref<4x4xf32>) outs(%f : memref<4x4xf32>)
  %0 = linalg.matmul ins(%g, %h : tensor<4x4xf32>, tensor<4x4xf32>) outs(%g : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
