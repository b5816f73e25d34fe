// RUN: mirax-opt %s --mirax-short-loops | FileCheck %s

/// A nest whose body runs 16 x 64 times: neither loop is unrolled. The body of a loop
/// of 128 inside one of 128 runs 2^14 times, that of a loop with a bound known only
/// at run time any number of times: both left to LLVM. A loop already annotated
/// (mirax-expand-math's interleaving) keeps its annotation.
//       CHECK: #[[UNROLL:.+]] = #llvm.loop_unroll<disable = true>
//       CHECK: #[[NO_UNROLL:.+]] = #llvm.loop_annotation<unroll = #[[UNROLL]]>
//       CHECK: #[[INTERLEAVE:.+]] = #llvm.loop_annotation<interleave =
// CHECK-LABEL: func.func @loops
//       CHECK:   scf.for
//       CHECK:     scf.for
//       CHECK:     } {loop_annotation = #[[NO_UNROLL]]}
//       CHECK:   } {loop_annotation = #[[NO_UNROLL]]}
//       CHECK:   scf.for
//       CHECK:     scf.for
//  CHECK-NEXT:       memref.store
//  CHECK-NEXT:     }
//  CHECK-NEXT:   }
//  CHECK-NEXT:   scf.for
//  CHECK-NEXT:     memref.store
//  CHECK-NEXT:   }
//  CHECK-NEXT:   scf.for
//  CHECK-NEXT:     memref.store
//  CHECK-NEXT:   } {loop_annotation = #[[INTERLEAVE]]}
func.func @loops(%m: memref<128x128xf32>, %n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      memref.store %x, %m[%i, %j] : memref<128x128xf32>
    }
  }
  scf.for %i = %c0 to %c128 step %c1 {
    scf.for %j = %c0 to %c128 step %c1 {
      memref.store %x, %m[%i, %j] : memref<128x128xf32>
    }
  }
  scf.for %i = %c0 to %n step %c1 {
    memref.store %x, %m[%i, %c0] : memref<128x128xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %x, %m[%i, %c0] : memref<128x128xf32>
  } {loop_annotation = #llvm.loop_annotation<interleave = #llvm.loop_interleave<count = 2>>}
  return
}
