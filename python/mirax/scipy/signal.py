"""jax.scipy.signal over mirax, as JAX builds it (jax/_src/scipy/signal.py): the direct
convolutions over lax.conv_general_dilated (convolve, correlate, convolve2d, correlate2d),
fftconvolve over jnp.fft, detrend, and the windowed FFTs (stft, istft, csd, welch)."""
import math
import operator
import warnings
from functools import partial

import numpy as np

import mirax.numpy as jnp
from mirax import dtypes, lax
from mirax.numpy import fft as jnp_fft
from mirax.numpy._concrete import concrete
from mirax.numpy._util import canonicalize_axis, check_arraylike, promote_dtypes_complex, promote_dtypes_inexact
from mirax.vmapping import vmap

MODES = ("full", "same", "valid")


def _convolve_nd(in1, in2, mode, *, precision):
    if mode not in MODES:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 must have the same number of dimensions")
    if in1.size == 0 or in2.size == 0:
        raise ValueError(f"zero-size arrays not supported in convolutions, got shapes {in1.shape} and {in2.shape}.")
    in1, in2 = promote_dtypes_inexact(in1, in2)
    no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if not (no_swap or swap):
        raise ValueError("One input must be smaller than the other in every dimension.")
    shape_o = in2.shape
    if swap:
        in1, in2 = in2, in1
    shape = in2.shape
    in2 = jnp.flip(in2)
    if mode == "valid":
        padding = [(0, 0) for _ in shape]
    elif mode == "same":
        padding = [(s - 1 - (s_o - 1) // 2, s - s_o + (s_o - 1) // 2) for s, s_o in zip(shape, shape_o, strict=True)]
    else:
        padding = [(s - 1, s - 1) for s in shape]
    result = lax.conv_general_dilated(in1[None, None], in2[None, None], (1,) * len(shape), padding,
                                      precision=precision)
    return result[0, 0]


def fftconvolve(in1, in2, mode="full", axes=None):
    """The N-dimensional convolution of in1 and in2 by FFTs (over `axes`, the others
    mapped: they must agree)."""
    check_arraylike("fftconvolve", in1, in2)
    in1, in2 = promote_dtypes_inexact(in1, in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ["same", "full", "valid"]:
        raise ValueError("mode must be one of ['same', 'full', 'valid']")
    _fftconvolve = partial(_fftconvolve_unbatched, mode=mode)
    if axes is None:
        return _fftconvolve(in1, in2)
    axes = tuple(canonicalize_axis(operator.index(ax), in1.ndim)
                 for ax in (axes if isinstance(axes, (tuple, list)) else (axes,)))
    mapped_axes = set(range(in1.ndim)) - set(axes)
    if any(in1.shape[i] != in2.shape[i] for i in mapped_axes):
        raise ValueError(f"mapped axes must have same shape; got {in1.shape=} {in2.shape=} {axes=}")
    for ax in sorted(mapped_axes):
        _fftconvolve = vmap(_fftconvolve, in_axes=ax, out_axes=ax)
    return _fftconvolve(in1, in2)


def _fftconvolve_unbatched(in1, in2, mode):
    full_shape = tuple(s1 + s2 - 1 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if mode == "valid":
        no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
        swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
        if not (no_swap or swap):
            raise ValueError("For 'valid' mode, One input must be at least as large as the other in every dimension.")
        if swap:
            in1, in2 = in2, in1
    if all(s1 == 1 or s2 == 1 for s1, s2 in zip(in1.shape, in2.shape, strict=True)):
        conv = in1 * in2
    else:
        fft, ifft = (jnp_fft.fftn, jnp_fft.ifftn) if jnp.iscomplexobj(in1) else (jnp_fft.rfftn, jnp_fft.irfftn)
        conv = ifft(fft(in1, full_shape) * fft(in2, full_shape), full_shape)
    if mode == "full":
        out_shape = full_shape
    elif mode == "same":
        out_shape = in1.shape
    else:
        out_shape = tuple(s1 - s2 + 1 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    start_indices = tuple((full_size - out_size) // 2 for full_size, out_size in zip(full_shape, out_shape, strict=True))
    return lax.dynamic_slice(conv, start_indices, out_shape)


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """The N-dimensional convolution of in1 and in2."""
    if method == "fft":
        return fftconvolve(in1, in2, mode=mode)
    if method not in ("direct", "auto"):
        raise ValueError(f"Got {method=}; expected 'auto', 'fft', or 'direct'.")
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate(in1, in2, mode="full", method="auto", precision=None):
    """The N-dimensional cross-correlation of in1 and in2 (in2 conjugated)."""
    return convolve(in1, jnp.flip(jnp.conj(in2)), mode, precision=precision, method=method)


def _check_2d(name, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(f"{name}() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(f"{name}() only supports 2-dimensional inputs.")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """The 2-D convolution of in1 and in2 (zero boundary only)."""
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """The 2-D cross-correlation of in1 and in2 (zero boundary only), as JAX's: which
    operand is flipped depends on the mode and which one is larger."""
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    same_shape = all(s1 == s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if mode == "valid" and swap and not same_shape:
        return _convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision)
    if mode == "full" and swap:
        return jnp.conj(_convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision))
    return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode, precision=precision))


def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=None):  # noqa: A002 (SciPy's name)
    """data less its mean ('constant') or its least-squares line on each piece between
    the breakpoints bp ('linear')."""
    if overwrite_data is not None:
        raise NotImplementedError("overwrite_data argument not implemented.")
    if type not in ["constant", "linear"]:
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    (data_arr,) = promote_dtypes_inexact(jnp.asarray(data))
    if type == "constant":
        return data_arr - data_arr.mean(axis, keepdims=True)
    n = data_arr.shape[axis]
    bp_arr = np.sort(np.unique(np.r_[0, bp, n]))  # static: NumPy
    if bp_arr[0] < 0 or bp_arr[-1] > n:
        raise ValueError("Breakpoints must be non-negative and less than length of data along given axis.")
    data_arr = jnp.moveaxis(data_arr, axis, 0)
    shape = data_arr.shape
    data_arr = data_arr.reshape(n, -1)
    for m in range(len(bp_arr) - 1):
        npts = bp_arr[m + 1] - bp_arr[m]
        a = jnp.vstack([jnp.ones(npts, dtype=data_arr.dtype),
                        jnp.arange(1, npts + 1, dtype=data_arr.dtype) / npts.astype(data_arr.dtype)]).T
        sl = slice(bp_arr[m], bp_arr[m + 1])
        coef, *_ = jnp.linalg.lstsq(a, data_arr[sl])
        data_arr = data_arr.at[sl].add(-jnp.matmul(a, coef, precision=lax.Precision.HIGHEST))
    return jnp.moveaxis(data_arr.reshape(shape), 0, axis)


def _hann(nperseg):
    """SciPy's periodic Hann window, the one window built without SciPy."""
    return jnp.array([1.0]) if nperseg == 1 else jnp.sin(jnp.linspace(0, np.pi, nperseg, endpoint=False)) ** 2


def _get_window(window, nperseg):
    try:
        from scipy.signal import get_window
    except ImportError as err:
        raise ImportError(f"scipy must be available to use {window=}") from err
    return get_window(window, nperseg)


def _triage_segments(window, nperseg, input_length, dtype):
    """The window as an array and the segment length (SciPy's _triage_segments): a named
    window of nperseg (the input's length by default, and at most), or an array window
    whose length nperseg must be."""
    if isinstance(window, (str, tuple)):
        nperseg_int = input_length if nperseg is None else int(nperseg)
        if nperseg_int > input_length:
            warnings.warn(f"nperseg={nperseg_int} is greater than {input_length=}, using nperseg={input_length}")
            nperseg_int = input_length
        win = _hann(nperseg_int) if window == "hann" else _get_window(window, nperseg_int)
        return jnp.array(win, dtype=dtype), nperseg_int
    win = jnp.asarray(window, dtype=dtype)
    nperseg_int = win.size if nperseg is None else int(nperseg)
    if win.ndim != 1:
        raise ValueError("window must be 1-D")
    if input_length < win.size:
        raise ValueError("window is longer than input signal")
    if nperseg_int != win.size:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, nperseg_int


def _median_bias(n):
    """The bias of the median of n periodograms relative to their mean (Allen et al.,
    FINDCHIRP, Appendix B)."""
    ii_2 = jnp.arange(2., n, 2)
    return 1 + jnp.sum(1. / (ii_2 + 1) - 1. / ii_2)


def _fft_helper(x, win, detrend_func, nperseg, noverlap, nfft, sides):
    """The windowed FFTs of x's overlapping segments (a new axis before the last)."""
    if x.dtype.kind == "i":
        x = x.astype(win.dtype)
    *batch_shape, signal_length = x.shape
    if nperseg == 1 and noverlap == 0:
        result = x[..., np.newaxis]
    else:
        step = nperseg - noverlap
        starts = jnp.arange(signal_length - nperseg + 1, step=step)
        slice_func = partial(lax.dynamic_slice_in_dim, x, slice_size=nperseg, axis=-1)
        result = vmap(slice_func, out_axes=-2)(starts)
    result = detrend_func(result)
    if jnp.iscomplexobj(win):
        (result,) = promote_dtypes_complex(result)
    result = win.reshape((1,) * len(batch_shape) + (1, nperseg)) * result
    if sides == "twosided":
        return jnp_fft.fft(result, n=nfft)
    return jnp_fft.rfft(result.real, n=nfft)


def _odd_ext(x, n, axis=-1):
    """x extended by n points at each end, reflected through its end points."""
    if n < 1:
        return x
    if n > x.shape[axis] - 1:
        raise ValueError(f"The extension length n ({n}) is too big. "
                         f"It must not exceed x.shape[axis]-1, which is {x.shape[axis] - 1}.")
    left_end = lax.slice_in_dim(x, 0, 1, axis=axis)
    left_ext = jnp.flip(lax.slice_in_dim(x, 1, n + 1, axis=axis), axis=axis)
    right_end = lax.slice_in_dim(x, -1, None, axis=axis)
    right_ext = jnp.flip(lax.slice_in_dim(x, -(n + 1), -1, axis=axis), axis=axis)
    return jnp.concatenate((2 * left_end - left_ext, x, 2 * right_end - right_ext), axis=axis)


def _make_pad(mode, **kwargs):
    def pad(x, n, axis=-1):
        pad_width = [(0, 0) for _ in range(x.ndim)]
        pad_width[axis] = (n, n)
        return jnp.pad(x, pad_width, mode, **kwargs)
    return pad


_BOUNDARY_FUNCS = {
    "even": _make_pad("reflect"),
    "odd": _odd_ext,
    "constant": _make_pad("edge"),
    "zeros": _make_pad("constant", constant_values=0.0),
    None: lambda x, *args, **kwargs: x,
}


def _static_int(value, what):
    return int(concrete(value, what))


def _spectral_helper(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend_type="constant",
                     return_onesided=True, scaling="density", axis=-1, mode="psd", boundary=None, padded=False):
    """SciPy's _spectral_helper (y None for an auto-spectrum): (frequencies, segment
    times, the windowed FFTs (mode 'stft') or the cross spectral densities ('psd'))."""
    if mode not in ["psd", "stft"]:
        raise ValueError(f"Unknown value for mode {mode}, must be one of: ('psd', 'stft')")
    if boundary not in _BOUNDARY_FUNCS:
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: {list(_BOUNDARY_FUNCS.keys())}")
    axis = canonicalize_axis(operator.index(concrete(axis, "axis of windowed-FFT")), np.ndim(x))
    if y is None:
        check_arraylike("spectral_helper", x)
        (x,) = promote_dtypes_inexact(x)
        y_arr = x
        outershape = x.shape[:axis] + x.shape[axis + 1:]
    else:
        if mode != "psd":
            raise ValueError("two-argument mode is available only when mode=='psd'")
        check_arraylike("spectral_helper", x, y)
        x, y_arr = promote_dtypes_inexact(x, y)
        if x.ndim != y_arr.ndim:
            raise ValueError("two-arguments must have the same rank ({x.ndim} vs {y.ndim}).")  # (sic, JAX's)
        try:
            outershape = jnp.broadcast_shapes(x.shape[:axis] + x.shape[axis + 1:],
                                              y_arr.shape[:axis] + y_arr.shape[axis + 1:])
        except ValueError as err:
            raise ValueError("x and y cannot be broadcast together.") from err
    result_dtype = dtypes.complex_dtype(x.dtype)
    freq_dtype = np.finfo(result_dtype).dtype
    if nperseg is not None:
        nperseg = _static_int(nperseg, "nperseg of windowed-FFT")
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    win, nperseg_int = _triage_segments(window, nperseg, input_length=x.shape[axis], dtype=x.dtype)
    noverlap_int = nperseg_int // 2 if noverlap is None else _static_int(noverlap, "noverlap of windowed-FFT")
    nfft_int = nperseg_int if nfft is None else _static_int(nfft, "nfft of windowed-FFT")
    if y is None:
        if x.size == 0:
            return jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, result_dtype)
    elif x.size == 0 or y_arr.size == 0:
        shape = outershape[:axis] + (min(x.shape[axis], y_arr.shape[axis]),) + outershape[axis:]
        return jnp.zeros(shape, freq_dtype), jnp.zeros(shape, freq_dtype), jnp.zeros(shape, result_dtype)
    x = jnp.moveaxis(x, axis, -1)
    if y is not None and y_arr.ndim > 1:
        y_arr = jnp.moveaxis(y_arr, axis, -1)
    if y is not None and x.shape[-1] != y_arr.shape[-1]:  # zero-pad the shorter one
        if x.shape[-1] < y_arr.shape[-1]:
            x = jnp.concatenate((x, jnp.zeros_like(x, shape=(*x.shape[:-1], y_arr.shape[-1] - x.shape[-1]))), -1)
        else:
            y_arr = jnp.concatenate(
                (y_arr, jnp.zeros_like(x, shape=(*y_arr.shape[:-1], x.shape[-1] - y_arr.shape[-1]))), -1)
    if nfft_int < nperseg_int:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    if noverlap_int >= nperseg_int:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg_int - noverlap_int
    if boundary is not None:
        ext_func = _BOUNDARY_FUNCS[boundary]
        x = ext_func(x, nperseg_int // 2, axis=-1)
        if y is not None:
            y_arr = ext_func(y_arr, nperseg_int // 2, axis=-1)
    if padded:  # to a whole number of segments
        nadd = (-(x.shape[-1] - nperseg_int) % nstep) % nperseg_int
        x = jnp.concatenate((x, jnp.zeros_like(x, shape=(*x.shape[:-1], nadd))), axis=-1)
        if y is not None:
            y_arr = jnp.concatenate((y_arr, jnp.zeros_like(x, shape=(*y_arr.shape[:-1], nadd))), axis=-1)
    if isinstance(detrend_type, str):
        detrend_func = partial(detrend, type=detrend_type, axis=-1)
    elif callable(detrend_type):
        if axis != -1:
            def detrend_func(d):  # on the axis the caller's function expects
                return jnp.moveaxis(detrend_type(jnp.moveaxis(d, axis, -1)), -1, axis)
        else:
            detrend_func = detrend_type
    elif not detrend_type:
        detrend_func = lambda d: d  # noqa: E731
    else:
        raise ValueError(f"Unsupported detrend type: {detrend_type}")
    if scaling == "density":
        scale = 1.0 / (fs * (win * win).sum())
    elif scaling == "spectrum":
        scale = 1.0 / win.sum() ** 2
    else:
        raise ValueError(f"Unknown scaling: {scaling}")
    if mode == "stft":
        scale = jnp.sqrt(scale)
    (scale,) = promote_dtypes_complex(scale)
    sides = "onesided" if return_onesided else "twosided"
    if return_onesided and (jnp.iscomplexobj(x) or jnp.iscomplexobj(y)):
        sides = "twosided"
        warnings.warn("Input data is complex, switching to return_onesided=False")
    freqs = (jnp_fft.fftfreq if sides == "twosided" else jnp_fft.rfftfreq)(nfft_int, 1 / fs, dtype=freq_dtype)
    result = _fft_helper(x, win, detrend_func, nperseg_int, noverlap_int, nfft_int, sides)
    if y is not None:
        result = jnp.conjugate(result) * _fft_helper(y_arr, win, detrend_func, nperseg_int, noverlap_int, nfft_int,
                                                    sides)
    elif mode == "psd":
        result = jnp.conjugate(result) * result
    result *= scale
    if sides == "onesided" and mode == "psd":  # the negative frequencies' share, but at 0 and Nyquist
        end = None if nfft_int % 2 else -1
        result = result.at[..., 1:end].mul(2)
    time = jnp.arange(nperseg_int / 2, x.shape[-1] - nperseg_int / 2 + 1, nperseg_int - noverlap_int,
                      dtype=freq_dtype) / fs
    if boundary is not None:
        time -= (nperseg_int / 2) / fs
    result = result.astype(result_dtype)
    if y is None and mode != "stft":
        result = result.real  # (its imaginary part is 0)
    return freqs, time, jnp.moveaxis(result, -1, axis)


def stft(x, fs=1.0, window="hann", nperseg=256, noverlap=None, nfft=None, detrend=False, return_onesided=True,
         boundary="zeros", padded=True, axis=-1):
    """The short-time Fourier transform: (frequencies, segment times, Zxx)."""
    return _spectral_helper(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                            scaling="spectrum", axis=axis, mode="stft", boundary=boundary, padded=padded)


def csd(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend="constant",
        return_onesided=True, scaling="density", axis=-1, average="mean"):
    """The cross power spectral density of x and y by Welch's method: (frequencies, Pxy)."""
    freqs, _, pxy = _spectral_helper(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
                                     axis, mode="psd")
    if y is not None:
        pxy = pxy + 0j  # complex even where x is y
    if pxy.ndim >= 2 and pxy.size > 0:
        if pxy.shape[-1] > 1:
            if average == "median":
                bias = _median_bias(pxy.shape[-1]).astype(pxy.dtype)
                if jnp.iscomplexobj(pxy):
                    pxy = jnp.median(jnp.real(pxy), axis=-1) + 1j * jnp.median(jnp.imag(pxy), axis=-1)
                else:
                    pxy = jnp.median(pxy, axis=-1)
                pxy /= bias
            elif average == "mean":
                pxy = pxy.mean(axis=-1)
            else:
                raise ValueError(f'average must be "median" or "mean", got {average}')
        else:
            pxy = jnp.reshape(pxy, pxy.shape[:-1])
    return freqs, pxy


def welch(x, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend="constant",
          return_onesided=True, scaling="density", axis=-1, average="mean"):
    """The power spectral density of x by Welch's method: (frequencies, Pxx)."""
    freqs, pxx = csd(x, None, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap, nfft=nfft, detrend=detrend,
                     return_onesided=return_onesided, scaling=scaling, axis=axis, average=average)
    return freqs, pxx.real


def _overlap_and_add(x, step_size):
    """The frames (..., frames, frame_length) summed at offsets step_size apart
    (TensorFlow's overlap_and_add: the frames, cut into step-size pieces, shifted by
    reading them through a reshape one row shorter)."""
    check_arraylike("_overlap_and_add", x)
    step_size = _static_int(step_size, "step_size for overlap_and_add")
    if x.ndim < 2:
        raise ValueError("Input must have (..., frames, frame_length) shape.")
    *batch_shape, nframes, segment_len = x.shape
    flat_batchsize = math.prod(batch_shape)
    x = x.reshape((flat_batchsize, nframes, segment_len))
    output_size = step_size * (nframes - 1) + segment_len
    nstep_per_segment = 1 + (segment_len - 1) // step_size
    padded_segment_len = nstep_per_segment * step_size
    x = jnp.pad(x, ((0, 0), (0, 0), (0, padded_segment_len - segment_len)))
    x = x.reshape((flat_batchsize, nframes, nstep_per_segment, step_size))
    x = x.transpose((0, 2, 1, 3))  # (batch, steps per segment, frames, step)
    x = jnp.pad(x, ((0, 0), (0, 0), (0, nframes), (0, 0)))
    shrunken = x.shape[2] - 1
    x = x.reshape((flat_batchsize, -1))
    x = x[:, :(nstep_per_segment * shrunken * step_size)]
    x = x.reshape((flat_batchsize, nstep_per_segment, shrunken * step_size))
    x = x.sum(axis=1)[:, :output_size]
    return x.reshape(tuple(batch_shape) + (-1,))


def istft(Zxx, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, input_onesided=True,  # noqa: N803
          boundary=True, time_axis=-1, freq_axis=-2):
    """The inverse short-time Fourier transform: (times, x)."""
    check_arraylike("istft", Zxx)
    Zxx = jnp.asarray(Zxx)  # noqa: N806 (SciPy's name)
    if Zxx.ndim < 2:
        raise ValueError("Input stft must be at least 2d!")
    freq_axis = canonicalize_axis(freq_axis, Zxx.ndim)
    time_axis = canonicalize_axis(time_axis, Zxx.ndim)
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    Zxx = jnp.asarray(Zxx, dtype=dtypes.complex_dtype(Zxx.dtype))  # noqa: N806
    n_default = 2 * (Zxx.shape[freq_axis] - 1) if input_onesided else Zxx.shape[freq_axis]
    nperseg_int = _static_int(nperseg or n_default, "nperseg: segment length of STFT")
    if nperseg_int < 1:
        raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft_int = n_default
        if input_onesided and nperseg_int == n_default + 1:
            nfft_int += 1  # odd nperseg, no FFT padding
    else:
        nfft_int = _static_int(nfft, "nfft of STFT")
    if nfft_int < nperseg_int:
        raise ValueError(f"FFT length ({nfft_int}) must be longer than nperseg ({nperseg_int}).")
    noverlap_int = _static_int(noverlap or nperseg_int // 2, "noverlap of STFT")
    if noverlap_int >= nperseg_int:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg_int - noverlap_int
    if time_axis != Zxx.ndim - 1 or freq_axis != Zxx.ndim - 2:
        outer_idxs = tuple(idx for idx in range(Zxx.ndim) if idx not in {time_axis, freq_axis})
        Zxx = jnp.transpose(Zxx, outer_idxs + (freq_axis, time_axis))  # noqa: N806
    ifunc = jnp_fft.irfft if input_onesided else jnp_fft.ifft
    xsubs = ifunc(Zxx, axis=-2, n=nfft)[..., :nperseg_int, :]  # (..., frame length, frames)
    if isinstance(window, str) and window == "hann":
        win = _hann(nperseg_int).astype(xsubs.dtype)
    elif isinstance(window, (str, tuple)):
        win = jnp.array(_get_window(window, nperseg_int), dtype=xsubs.dtype)
    else:
        win = jnp.asarray(window)
        if len(win.shape) != 1:
            raise ValueError("window must be 1-D")
        if win.shape[0] != nperseg_int:
            raise ValueError(f"window must have length of {nperseg_int}")
    xsubs *= win.sum()  # the 'spectrum' scaling
    win = lax.expand_dims(win, (*range(xsubs.ndim - 2), -1))
    x = _overlap_and_add((xsubs * win).swapaxes(-2, -1), nstep)
    win_squared = jnp.repeat((win * win), xsubs.shape[-1], axis=-1)
    norm = _overlap_and_add(win_squared.swapaxes(-2, -1), nstep)
    if boundary:  # drop the extension
        x = x[..., nperseg_int // 2:-(nperseg_int // 2)]
        norm = norm[..., nperseg_int // 2:-(nperseg_int // 2)]
    x /= jnp.where(norm > 1e-10, norm, 1.0)
    if x.ndim > 1 and time_axis != Zxx.ndim - 1:
        if freq_axis < time_axis:
            time_axis -= 1
        x = jnp.moveaxis(x, -1, time_axis)
    time = jnp.arange(x.shape[0], dtype=np.finfo(x.dtype).dtype) / fs
    return time, x
