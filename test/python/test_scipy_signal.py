"""mirax.scipy.signal's FFT-based functions against jax.scipy.signal (the direct
convolutions are in test_convolution.py): fftconvolve (modes, axes, swapped and
size-1 operands, complex), detrend (constant, linear, breakpoints), and the windowed
FFTs stft, istft, csd, welch (boundaries, padding, overlap, nfft, detrending, scalings,
averages, two-sided spectra, other axes), the table four programs under jit (float32);
derivatives (float64); vmap against a loop; JAX's errors."""
import jax.scipy.signal as jsignal
import numpy as np
import pytest

import mirax.scipy.signal as msignal
from mirax.test_util import check_grads
from oracle import check_vmap, rand, run_both

TOLERANCE = {"f4": 2e-4, "c8": 2e-4, "f8": 1e-10, "c16": 1e-10}

CONVOLUTIONS = [  # (in1 slice, in2 slice, mode, axes)
    ((slice(None), slice(None)), (slice(0, 2), slice(0, 5)), "full", None),
    ((slice(0, 2), slice(0, 5)), (slice(None), slice(None)), "valid", None),  # operands swap
    ((slice(None), slice(0, 1)), (slice(0, 1), slice(0, 6)), "full", None),  # a product of size-1 axes
    ((slice(None), slice(0, 7)), (slice(None), slice(0, 4)), "same", (-1,)),
]


def _convolutions(signal, x, y, z):
    out = [signal.fftconvolve(x[a], y[b], mode, axes) for a, b, mode, axes in CONVOLUTIONS]
    return (*out, signal.fftconvolve(z[:, :9], x[:2, :4]), signal.convolve(x[0], y[0, :6], "same", method="fft"),
            signal.correlate(x, z[:2, :5], method="fft"))


def _detrends_and_stfts(signal, x, y, z):
    return (signal.detrend(x), signal.detrend(x, axis=0, type="constant"), signal.detrend(x, bp=[10, 25]),
            signal.detrend(x[:, :12].T, axis=0, bp=5),
            *signal.stft(x, nperseg=16), *signal.stft(x, fs=2.0, nperseg=15, noverlap=5, nfft=20, boundary="even",
                                                      detrend="linear", return_onesided=False),
            *signal.stft(x.T, nperseg=8, boundary="odd", padded=False, axis=0),
            *signal.stft(x, nperseg=8, boundary="constant", detrend=lambda d: d - d.mean(-1, keepdims=True)),
            *signal.stft(z, nperseg=8, boundary=None))


def _spectra(signal, x, y, z):
    return (*signal.welch(x, nperseg=16), *signal.welch(x, nperseg=10, average="median", scaling="spectrum"),
            *signal.welch(x.T, fs=10.0, nperseg=9, axis=0, detrend="linear"), *signal.welch(x, nperseg=40),
            *signal.csd(x, y[:, :30], nperseg=16), *signal.csd(x, z, nperseg=8, average="median"),
            *signal.welch(z, nperseg=16))


def _istfts(signal, x, y, z):
    _, _, zxx = signal.stft(x, nperseg=16)
    # (Not an odd nperseg without nfft: JAX's istft passes the user's nfft, None, to irfft and fails.)
    return (*signal.istft(zxx, nperseg=16), *signal.istft(zxx[..., :7, :], nperseg=12, noverlap=4),
            *signal.istft(zxx.transpose(2, 0, 1), time_axis=0, freq_axis=-1),
            *signal.istft(signal.stft(z, nperseg=8, return_onesided=False)[2], input_onesided=False, boundary=False),
            *signal.istft(zxx, window=np.hanning(16).astype(zxx.real.dtype), nperseg=16))


@pytest.mark.parametrize("table", [_convolutions, _detrends_and_stfts, _spectra, _istfts])
def test_values(table):
    """The table as four programs under jit, x and y real (3, 40), z complex (3, 40)
    (float32 only: one program of it all compiled in 50 s, LLVM's time growing faster
    than the program)."""
    inputs = [rand((3, 40), np.float32, 1), rand((3, 40), np.float32, 2), rand((3, 40), np.complex64, 3)]
    run_both(table, inputs, True, (jsignal,), (msignal,), TOLERANCE)


def test_values_eager():
    x, y = rand((3, 40), np.float32, 1), rand((3, 40), np.float32, 2)
    run_both(lambda signal, x, y: (signal.fftconvolve(x, y[:2, :5]), *signal.welch(x, nperseg=16),
                                   signal.detrend(x, bp=[10])), [x, y], False, (jsignal,), (msignal,), TOLERANCE)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("loss", [
    lambda x, y: (msignal.fftconvolve(x, y, "same") * msignal.detrend(x)).sum(),
    lambda x, y: msignal.welch(x, nperseg=8)[1].sum() + abs(msignal.stft(x, nperseg=8)[2]).sum(),
    lambda x, y: msignal.istft(msignal.stft(x, nperseg=8)[2], nperseg=8)[1].sum(),
], ids=["fftconvolve-detrend", "welch-stft", "istft"])
def test_grads(loss):
    x, y = rand((2, 24), np.float64, 1), rand((2, 5), np.float64, 2)
    check_grads(loss, [x, y], 1, atol=1e-5, rtol=1e-5)


def test_vmap():
    x, y = rand((3, 2, 24), np.float32, 1), rand((2, 5), np.float32, 2)
    check_vmap(lambda signal, x, y: (signal.fftconvolve(x, y, "same"), *signal.welch(x, nperseg=8),
                                     signal.stft(x, nperseg=8)[2]), [x, y], (0, None), jax_modules=(jsignal,),
               mirax_modules=(msignal,), tolerance=TOLERANCE)


X = np.ones((3, 40), np.float32)


@pytest.mark.parametrize("call", [
    lambda s: s.fftconvolve(X, X[0]),
    lambda s: s.fftconvolve(X, X, mode="other"),
    lambda s: s.fftconvolve(X, X[:2, :5], axes=1),
    lambda s: s.fftconvolve(X[:2, :50], X[:3, :5], mode="valid"),
    lambda s: s.convolve(X, X, method="other"),
    lambda s: s.detrend(X, type="other"),
    lambda s: s.detrend(X, overwrite_data=True),
    lambda s: s.detrend(X, bp=[50]),
    lambda s: s.stft(X, nperseg=0),
    lambda s: s.stft(X, nperseg=8, noverlap=8),
    lambda s: s.stft(X, nperseg=8, nfft=4),
    lambda s: s.stft(X, boundary="other"),
    lambda s: s.stft(X, window=np.ones((2, 2))),
    lambda s: s.stft(X, window=np.ones(8), nperseg=4),
    lambda s: s.welch(X, scaling="other"),
    lambda s: s.welch(X, nperseg=8, average="other"),
    lambda s: s.welch(X, detrend=3),
    lambda s: s.csd(X, X[0]),
    lambda s: s.istft(X[0]),
    lambda s: s.istft(X, time_axis=0, freq_axis=-2),
    lambda s: s.istft(X, nperseg=8, noverlap=8),
    lambda s: s.istft(X, nperseg=8, nfft=4),
    lambda s: s.istft(X, window=np.ones(7), nperseg=8),
])
def test_errors(call):
    with pytest.raises(Exception) as want:
        call(jsignal)
    with pytest.raises(want.type) as got:
        call(msignal)
    assert str(got.value) == str(want.value)
