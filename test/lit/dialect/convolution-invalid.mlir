// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The type rule of conv_general_dilated (dialect/convolution.py): JAX's shape and
// dtype checks, and the declared result type against the inferred one.

func.func @feature_groups_do_not_divide(%x: tensor<1x4x5x5xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'mirax.conv_general_dilated' op conv_general_dilated feature_group_count must divide lhs feature dimension size, but 3 does not divide 4.}}
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 3, batch_group_count = 1} : (tensor<1x4x5x5xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

func.func @mixed_dtypes(%x: tensor<1x4x5x5xf32>, %w: tensor<6x4x3x3xi32>) {
  // expected-error @+1 {{'mirax.conv_general_dilated' op lax.conv_general_dilated requires arguments to have the same dtypes, got float32, int32.}}
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 1, batch_group_count = 1} : (tensor<1x4x5x5xf32>, tensor<6x4x3x3xi32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

func.func @odd_padding(%x: tensor<1x4x5x5xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'mirax.conv_general_dilated' op attribute 'padding' cannot be read}}
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 1, batch_group_count = 1} : (tensor<1x4x5x5xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

func.func @wrong_result(%x: tensor<1x4x5x5xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'mirax.conv_general_dilated' op result type tensor<1x6x5x5xf32> does not match the inferred type tensor<1x6x3x3xf32>}}
  %0 = "mirax.conv_general_dilated"(%x, %w) {window_strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 1, batch_group_count = 1} : (tensor<1x4x5x5xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32>
  return
}
