// RUN: not mirax-opt %s --split-input-file --verify-diagnostics 2>&1 | FileCheck %s

// --verify-diagnostics reports, and fails on, errors no comment expects and
// expectations no error meets.

/// An error nobody expected, and an expectation on the wrong line.
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 3]]:8: error: unexpected error: 'mirax.neg' op does not accept bool operands
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 4]]: error: expected error "does not accept bool" was not produced
func.func @unexpected(%x: tensor<i1>) {
  %0 = "mirax.neg"(%x) : (tensor<i1>) -> tensor<i1>
  // expected-error @+1 {{does not accept bool}}
  return
}

// -----

/// The right line, the wrong message.
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 4]]:8: error: unexpected error: 'mirax.neg' op does not accept bool operands
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 3]]: error: expected error "does not accept ints" was not produced
func.func @wrong_message(%x: tensor<i1>) {
  // expected-error @+1 {{does not accept ints}}
  %0 = "mirax.neg"(%x) : (tensor<i1>) -> tensor<i1>
  return
}

// -----

/// An expected warning is not an error.
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 3]]:8: error: unexpected error: 'mirax.neg' op does not accept bool operands
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 2]]: error: expected warning "does not accept bool" was not produced
func.func @wrong_severity(%x: tensor<i1>) {
  %0 = "mirax.neg"(%x) : (tensor<i1>) -> tensor<i1> // expected-warning {{does not accept bool}}
  return
}
