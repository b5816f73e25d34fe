// RUN: mirax-opt %s --mirax-early-deallocs --split-input-file | FileCheck %s

/// Each buffer is freed right after the last op reading it or a view of it (a use in a
/// loop's body counts for the loop), not at the end of the function: the first
/// temporary is gone before the second is allocated.
// CHECK-LABEL: func.func @temporaries
//       CHECK:   %[[A:.+]] = memref.alloc() : memref<16xf32>
//       CHECK:   linalg.fill {{.+}} outs(%[[A]] : memref<16xf32>)
//       CHECK:   %[[VIEW:.+]] = memref.subview %[[A]]
//       CHECK:   scf.for
//       CHECK:     memref.load %[[VIEW]]
//       CHECK:   }
//  CHECK-NEXT:   memref.dealloc %[[A]]
//       CHECK:   %[[B:.+]] = memref.alloc() : memref<16xf32>
//       CHECK:   linalg.copy {{.+}} outs(%[[B]] : memref<16xf32>)
//  CHECK-NEXT:   linalg.copy ins(%[[B]] {{.+}} outs(%arg0
//  CHECK-NEXT:   memref.dealloc %[[B]]
//  CHECK-NEXT:   return
func.func @temporaries(%out: memref<16xf32>, %in: memref<16xf32>, %n: index) -> f32 {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<16xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<16xf32>)
  %view = memref.subview %a[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %view[%i] : memref<8xf32, strided<[1]>>
    %s = arith.addf %acc, %x : f32
    scf.yield %s : f32
  }
  %b = memref.alloc() : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%b : memref<16xf32>)
  linalg.copy ins(%b : memref<16xf32>) outs(%out : memref<16xf32>)
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  return %sum : f32
}

// -----

/// A buffer the alias walk reaches a terminator from (here through a select) keeps its
/// dealloc where it was: a dealloc never moves later, past the terminator.
// CHECK-LABEL: func.func @reaches_the_terminator
//       CHECK:   scf.for
//       CHECK:     %[[A:.+]] = memref.alloc
//       CHECK:     memref.dealloc %[[A]]
//  CHECK-NEXT:     scf.yield
func.func @reaches_the_terminator(%init: memref<4xf32>, %n: index, %c: i1) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> memref<4xf32> {
    %a = memref.alloc() : memref<4xf32>
    %s = arith.select %c, %acc, %a : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    scf.yield %s : memref<4xf32>
  }
  return %r : memref<4xf32>
}
