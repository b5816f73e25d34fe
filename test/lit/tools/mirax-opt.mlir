// RUN: mirax-opt --help | FileCheck %s --check-prefix=HELP
// RUN: mirax-opt %s --split-input-file --cse --mirax-to-linalg --canonicalize | FileCheck %s
// RUN: mirax-opt %s --split-input-file --pass-pipeline='builtin.module(cse,mirax-to-linalg,func.func(canonicalize))' | FileCheck %s
// RUN: mirax-opt --split-input-file --cse --mirax-to-linalg --canonicalize < %s | FileCheck %s
// RUN: mirax-opt %s --split-input-file -o %t && FileCheck %s --check-prefix=ROUNDTRIP < %t
// RUN: mirax-opt %s --split-input-file --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The driver: mirax passes and upstream passes run in the order given, as flags
// or as one textual pipeline, on a file or stdin, printing to stdout or -o.

/// --help lists every mirax pass with its summary, and how to name upstream passes.
// HELP: usage: mirax-opt
// HELP: --pass-pipeline
// HELP: --split-input-file
// HELP: --verify-diagnostics
// HELP: mirax passes:
// HELP: --mirax-to-linalg {{.*}}Lower mirax ops to linalg
// HELP: upstream MLIR pass

/// cse (upstream) merges the two mirax ops before mirax-to-linalg lowers the
/// survivor and canonicalize (upstream) cleans up: one generic remains per op.
// CHECK-LABEL: func.func @mixed
//  CHECK-SAME: (%[[X:.+]]: tensor<2xi32>) -> tensor<2xi32>
//       CHECK:   %[[ABS:.+]] = linalg.generic
//  CHECK-SAME:       ins(%[[X]] : tensor<2xi32>)
//       CHECK:     math.absi
//       CHECK:   %[[SUM:.+]] = linalg.generic
//  CHECK-SAME:       ins(%[[ABS]], %[[ABS]] : tensor<2xi32>, tensor<2xi32>)
//       CHECK:     arith.addi
//   CHECK-NOT:   linalg.generic
//       CHECK:   return %[[SUM]] : tensor<2xi32>

/// Without passes the input prints back unchanged.
// ROUNDTRIP-LABEL: func.func @mixed
//       ROUNDTRIP: "mirax.abs"
//       ROUNDTRIP: "mirax.abs"
//       ROUNDTRIP: "mirax.add"

/// --mlir-print-op-generic prints every op in generic form.
// GENERIC: "func.func"() <{function_type = (tensor<2xi32>) -> tensor<2xi32>, sym_name = "mixed"}>
// GENERIC: "func.return"
func.func @mixed(%x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = "mirax.abs"(%x) : (tensor<2xi32>) -> tensor<2xi32>
  %1 = "mirax.abs"(%x) : (tensor<2xi32>) -> tensor<2xi32>
  %2 = "mirax.add"(%0, %1) : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %2 : tensor<2xi32>
}

// -----

/// Each chunk of --split-input-file is processed on its own, and the outputs are
/// joined by the split marker.
// CHECK: // -----
// CHECK-LABEL: func.func @second
// ROUNDTRIP: // -----
// ROUNDTRIP-LABEL: func.func @second
func.func @second() {
  return
}
