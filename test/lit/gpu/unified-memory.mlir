// RUN: mirax-opt %s --mirax-gpu-unified-memory | FileCheck %s

/// Buffers the host code allocates move to unified memory, which kernels and the host
/// both address; their deallocations follow. Kernels' own buffers stay as they are.
// CHECK-LABEL: func.func @temporaries
//       CHECK:   %[[T:.+]] = gpu.alloc host_shared () : memref<4x8xf32>
//       CHECK:   %[[D:.+]] = gpu.alloc host_shared (%arg1) : memref<?xi32>
//       CHECK:   gpu.launch
//       CHECK:     memref.alloca() : memref<2xf32>
//       CHECK:     memref.store %{{.+}}, %[[T]]
//       CHECK:   memref.load %[[T]]
//       CHECK:   gpu.dealloc %[[T]] : memref<4x8xf32>
//       CHECK:   gpu.dealloc %[[D]] : memref<?xi32>
//   CHECK-NOT:   memref.alloc(
//   CHECK-NOT:   memref.dealloc
func.func @temporaries(%x: memref<4x8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  %d = memref.alloc(%n) : memref<?xi32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %scratch = memref.alloca() : memref<2xf32>
    %v = memref.load %x[%c0, %c0] : memref<4x8xf32>
    memref.store %v, %scratch[%c0] : memref<2xf32>
    memref.store %v, %t[%c0, %c0] : memref<4x8xf32>
    gpu.terminator
  }
  %r = memref.load %t[%c0, %c0] : memref<4x8xf32>
  memref.dealloc %t : memref<4x8xf32>
  memref.dealloc %d : memref<?xi32>
  return %r : f32
}
