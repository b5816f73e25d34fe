// RUN: mirax-opt %s --mirax-strided-copies | FileCheck %s

/// A copy into a window of a buffer becomes linalg.copy; a copy between whole buffers
/// stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @copies
//       CHECK:   %[[VIEW:.+]] = memref.subview
//       CHECK:   linalg.copy {{.*}}ins(%{{.+}} : memref<2x3xf32>) outs(%[[VIEW]] : memref<2x3xf32, strided<[6, 1], offset: ?>>)
//       CHECK:   memref.copy %{{.+}}, %{{.+}} : memref<4x6xf32> to memref<4x6xf32>
//   CHECK-NOT:   memref.copy
func.func @copies(%big: memref<4x6xf32>, %small: memref<2x3xf32>, %other: memref<4x6xf32>, %i: index) {
  %view = memref.subview %big[%i, 1] [2, 3] [1, 1] : memref<4x6xf32> to memref<2x3xf32, strided<[6, 1], offset: ?>>
  memref.copy %small, %view : memref<2x3xf32> to memref<2x3xf32, strided<[6, 1], offset: ?>>
  memref.copy %big, %other : memref<4x6xf32> to memref<4x6xf32>
  return
}
