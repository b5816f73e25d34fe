// RUN: not mirax-opt %s --split-input-file 2>&1 | FileCheck %s
// RUN: not mirax-opt %s --no-such-pass 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not mirax-opt %s --mirax-to-linalg=x=1 2>&1 | FileCheck %s --check-prefix=OPTIONS
// RUN: not mirax-opt %s --mirax-vectorize-matmul=called-flops=lots 2>&1 | FileCheck %s --check-prefix=OPTION-VALUE
// RUN: not mirax-opt %s.missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not mirax-opt %s --split-input-file -o %t.missing/out.mlir 2>&1 | FileCheck %s --check-prefix=OUTPUT
// RUN: %PYTHON -c "open('%t.latin1', 'wb').write(b'func.func @f() {\n  return\n}\n// caf\xe9 (a comment may hold any bytes)\n  \xff\n')"
// RUN: not mirax-opt %t.latin1 2>&1 | FileCheck %s --check-prefix=UTF8

// Invalid input is reported as MLIR diagnostics located in the input file (line
// numbers count from the top of the file, also with --split-input-file), on
// stderr, with exit status 1; the valid chunks still print.

/// A verifier error of a mirax op.
// CHECK: errors.mlir:[[# @LINE + 2]]:8: error: 'mirax.add' op requires operands of one shape, got [2], [3]
func.func @verifier(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  %0 = "mirax.add"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

/// A syntax error.
// CHECK: errors.mlir:[[# @LINE + 1]]:22: error: expected non-function type
func.func @syntax(%x: ) {
  return
}

// -----

/// Unregistered dialects are errors.
// CHECK: errors.mlir:[[# @LINE + 2]]:8: error: Dialect `nosuch' not found for custom op 'nosuch.op'
func.func @unregistered() {
  %0 = nosuch.op : tensor<f32>
  return
}

// -----

/// A valid chunk prints; no Python traceback anywhere.
// CHECK: func.func @valid
// CHECK-NOT: Traceback
func.func @valid() {
  return
}

/// A pass flag that names neither a mirax pass nor an upstream one.
// UNKNOWN: mirax-opt: error: {{.*}}'no-such-pass' does not refer to a registered pass

/// An option a mirax pass does not have, or a value of the wrong type.
// OPTIONS: mirax-opt: error: mirax pass 'mirax-to-linalg' has no option 'x' (its options: none)
// OPTION-VALUE: mirax-opt: error: mirax pass 'mirax-vectorize-matmul': option 'called-flops' takes an int, not 'lots'

// MISSING: mirax-opt: error: cannot read {{.*}}errors.mlir.missing: No such file or directory

/// An output file that cannot be written is an error, not a Python exception.
// OUTPUT: mirax-opt: error: cannot write {{.*}}out.mlir: No such file or directory
// OUTPUT-NOT: Traceback

/// Input that is not UTF-8 is parsed as MLIR parses bytes: accepted in comments,
/// located elsewhere.
// UTF8: errors.mlir.tmp.latin1:5:3: error: unexpected character
// UTF8-NOT: Traceback
