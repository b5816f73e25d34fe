// RUN: mirax-opt %s --split-input-file --verify-diagnostics

// The type rule of fft (dialect/fft.py): JAX's shape and dtype checks, StableHLO's
// for an IRFFT's innermost length, and the declared result type against the inferred one.

func.func @lengths_do_not_match(%x: tensor<3x4xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.fft' op FFT input shape (3, 4) minor dimensions must be equal to fft_lengths (5,)}}
  %0 = "mirax.fft"(%x) {fft_type = "FFT", fft_lengths = array<i64: 5>} : (tensor<3x4xcomplex<f32>>) -> tensor<3x4xcomplex<f32>>
  return
}

// -----

func.func @too_many_lengths(%x: tensor<4xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.fft' op FFT input shape (4,) must have at least as many input dimensions as fft_lengths (4, 4).}}
  %0 = "mirax.fft"(%x) {fft_type = "FFT", fft_lengths = array<i64: 4, 4>} : (tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>>
  return
}

// -----

func.func @real_fft_input(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mirax.fft' op IFFT input must be complex64 or complex128, got float32}}
  %0 = "mirax.fft"(%x) {fft_type = "IFFT", fft_lengths = array<i64: 4>} : (tensor<4xf32>) -> tensor<4xcomplex<f32>>
  return
}

// -----

func.func @half_precision_rfft(%x: tensor<4xf16>) {
  // expected-error @+1 {{'mirax.fft' op RFFT input must be float32 or float64, got float16}}
  %0 = "mirax.fft"(%x) {fft_type = "RFFT", fft_lengths = array<i64: 4>} : (tensor<4xf16>) -> tensor<3xcomplex<f32>>
  return
}

// -----

func.func @irfft_half_length(%x: tensor<2x4xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.fft' op IRFFT requires innermost dimension to be compatible with fft_length[-1]/2+1. Got: 4 but fft_length is 8.}}
  %0 = "mirax.fft"(%x) {fft_type = "IRFFT", fft_lengths = array<i64: 8>} : (tensor<2x4xcomplex<f32>>) -> tensor<2x8xf32>
  return
}

// -----

func.func @unknown_type(%x: tensor<4xcomplex<f32>>) {
  // expected-error @+1 {{'mirax.fft' op fft_type must be one of FFT, IFFT, RFFT, IRFFT, got 'DCT'}}
  %0 = "mirax.fft"(%x) {fft_type = "DCT", fft_lengths = array<i64: 4>} : (tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>>
  return
}

// -----

func.func @wrong_result(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'mirax.fft' op result type tensor<2x6xcomplex<f32>> does not match the inferred type tensor<2x4xcomplex<f32>>}}
  %0 = "mirax.fft"(%x) {fft_type = "RFFT", fft_lengths = array<i64: 6>} : (tensor<2x6xf32>) -> tensor<2x6xcomplex<f32>>
  return
}
