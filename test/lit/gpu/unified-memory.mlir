// RUN: mirax-opt %s --mirax-gpu-unified-memory --split-input-file | FileCheck %s

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

// -----

/// A constant global that may reach a kernel through host code (here a loop's carried
/// buffer) is copied into unified memory at the function's entry, freed at its return;
/// one read by host code only (a reshape's shape) stays. A stack buffer of the entry
/// block that a kernel sees becomes unified memory, freed at the return.
// CHECK-LABEL: func.func @host_buffers
//       CHECK:   %[[GLOBAL:.+]] = memref.get_global @table : memref<4xf32>
//       CHECK:   %[[TABLE:.+]] = gpu.alloc host_shared () : memref<4xf32>
//       CHECK:   memref.copy %[[GLOBAL]], %[[TABLE]]
//       CHECK:   %[[SHAPE:.+]] = memref.get_global @shape : memref<1xindex>
//       CHECK:   %[[STACK:.+]] = gpu.alloc host_shared () : memref<4xf32>
//       CHECK:   memref.reshape %{{.+}}(%[[SHAPE]])
//       CHECK:   scf.for {{.+}} iter_args(%[[CARRIED:.+]] = %[[TABLE]])
//       CHECK:     gpu.launch
//       CHECK:       memref.load %[[CARRIED]]
//       CHECK:       memref.store %{{.+}}, %[[STACK]]
//       CHECK:   gpu.dealloc %[[STACK]]
//       CHECK:   gpu.dealloc %[[TABLE]]
//  CHECK-NEXT:   return
//   CHECK-NOT:   memref.alloca
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @shape : memref<1xindex> = dense<[4]>
func.func @host_buffers(%x: memref<2x2xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %shape = memref.get_global @shape : memref<1xindex>
  %stack = memref.alloca() : memref<4xf32>
  %flat = memref.reshape %x(%shape) : (memref<2x2xf32>, memref<1xindex>) -> memref<4xf32>
  %table = memref.get_global @table : memref<4xf32>
  %last = scf.for %i = %c0 to %n step %c1 iter_args(%t = %table) -> (memref<4xf32>) {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %t[%c0] : memref<4xf32>
      memref.store %v, %stack[%c0] : memref<4xf32>
      gpu.terminator
    }
    scf.yield %t : memref<4xf32>
  }
  %r = memref.load %flat[%c0] : memref<4xf32>
  return %r : f32
}
