// RUN: mirax-opt %s --mirax-strided-copies | FileCheck %s

/// A copy into a strided window of a buffer becomes linalg.copy; copies between whole
/// buffers, or into a window that is one run of memory (whole rows), stay memref.copy
/// (a memcpy).
// CHECK-LABEL: func.func @copies
//       CHECK:   %[[VIEW:.+]] = memref.subview
//       CHECK:   linalg.copy {{.*}}ins(%{{.+}} : memref<2x3xf32>) outs(%[[VIEW]] : memref<2x3xf32, strided<[6, 1], offset: ?>>)
//       CHECK:   memref.copy %{{.+}}, %{{.+}} : memref<4x6xf32> to memref<4x6xf32>
//       CHECK:   %[[ROWS:.+]] = memref.subview
//       CHECK:   memref.copy %{{.+}}, %[[ROWS]] : memref<1x2x6xf32> to memref<1x2x6xf32, strided<[24, 6, 1], offset: ?>>
//   CHECK-NOT:   linalg.copy
func.func @copies(%big: memref<4x6xf32>, %small: memref<2x3xf32>, %other: memref<4x6xf32>, %i: index,
                  %stack: memref<3x4x6xf32>, %rows: memref<1x2x6xf32>) {
  %view = memref.subview %big[%i, 1] [2, 3] [1, 1] : memref<4x6xf32> to memref<2x3xf32, strided<[6, 1], offset: ?>>
  memref.copy %small, %view : memref<2x3xf32> to memref<2x3xf32, strided<[6, 1], offset: ?>>
  memref.copy %big, %other : memref<4x6xf32> to memref<4x6xf32>
  %window = memref.subview %stack[%i, 1, 0] [1, 2, 6] [1, 1, 1] : memref<3x4x6xf32> to memref<1x2x6xf32, strided<[24, 6, 1], offset: ?>>
  memref.copy %rows, %window : memref<1x2x6xf32> to memref<1x2x6xf32, strided<[24, 6, 1], offset: ?>>
  return
}
