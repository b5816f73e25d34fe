// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The forms of expected-* comments that --verify-diagnostics understands, as in
// mlir-opt: on the same line, @+N / @-N lines away, @above / @below (the nearest
// line without an expected-* comment); the message is a substring.

/// On the line of the error.
func.func @same_line(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  %0 = "mirax.add"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32> // expected-error {{requires operands of one shape}}
  return
}

// -----

/// N lines below.
func.func @plus(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  // expected-error @+2 {{'mirax.add' op requires operands of one shape}}

  %0 = "mirax.add"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

/// N lines above.
func.func @minus(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  %0 = "mirax.add"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>

  // expected-error @-2 {{got [2], [3]}}
  return
}

// -----

/// @below: the next line.
func.func @below(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  // expected-error @below {{'mirax.sub' op}}
  %0 = "mirax.sub"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

/// @above: the previous line.
func.func @above(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  %0 = "mirax.mul"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  // expected-error @above {{'mirax.mul' op}}
  return
}

// -----

/// Chunks without errors need no expectations.
func.func @valid() {
  return
}
