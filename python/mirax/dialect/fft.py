"""fft: XLA's FFT over the trailing len(fft_lengths) dimensions, as jax.lax.fft.

`fft_type` is FFT (complex to complex, forward), IFFT (its inverse, scaled by 1/n),
RFFT (real to complex: the n//2 + 1 non-negative frequencies of the last axis) or
IRFFT (their inverse: a real result of fft_lengths, the last axis rebuilt from its
Hermitian symmetry). The type, JVP (linear), transpose and batching rules are JAX's
(jax/_src/lax/fft.py).

Lowering: the real and imaginary parts are separate float tensors, transformed one
axis at a time, each viewed as [A, n, C] (A the dimensions before the axis, C those
after). A power-of-two length is a Stockham radix-2 FFT: pass s (stride s, half
length m = n / 2s) reads x as [A, 2, m, s, C] and writes y as [A, m, 2, s, C],
y[., j, .] = x0 u[p, j] + x1 v[p, j] with the twiddles u = (1, w^p), v = (1, -w^p)
precomputed in float64 at compile time, one linalg.generic per pass, in natural
order at the end without a bit reversal. Any other length is Bluestein's algorithm:
a chirp-modulated convolution computed with power-of-two FFTs of length M >= 2n - 1,
the chirp's own transform a constant. Scale factors and chirps are folded into the
first pass's twiddles.
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, tensor

from . import ops, rules
from .base import MiraxOp, ints, string
from .batching import batch_leading
from .jvp import deflinear2
from .lowering import empty, filled, generic, identity_map, index, indexed, scalar_type, slice_along
from .types import ShapedType, is_complex
from .values import type_of

FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")


def complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


def real_dtype(dtype):
    return np.finfo(dtype).dtype


class FftOp(MiraxOp, name="fft", operands=("operand",), params={"fft_type": string, "fft_lengths": ints}):
    """The discrete Fourier transform of `fft_type` over the trailing len(fft_lengths)
    dimensions."""

    @staticmethod
    def infer(x, fft_type, fft_lengths):
        # JAX's fft_abstract_eval, with its messages; StableHLO's for a wrong IRFFT length.
        if fft_type not in FFT_TYPES:
            raise TypeError(f"fft_type must be one of {', '.join(FFT_TYPES)}, got {fft_type!r}")
        k = len(fft_lengths)
        if not k:
            raise TypeError("fft_lengths must not be empty")
        if k > x.ndim:
            raise ValueError(f"FFT input shape {x.shape} must have at least as many input dimensions as "
                             f"fft_lengths {fft_lengths}.")
        minor = x.shape[-k:]
        if fft_type == "RFFT":
            if x.dtype not in (np.float32, np.float64):
                raise ValueError(f"RFFT input must be float32 or float64, got {x.dtype}")
            if minor != fft_lengths:
                raise ValueError(f"RFFT input shape {x.shape} minor dimensions must be equal to fft_lengths "
                                 f"{fft_lengths}")
            return ShapedType(x.shape[:-k] + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,), complex_dtype(x.dtype))
        if not is_complex(x.dtype):
            raise ValueError(f"{fft_type} input must be complex64 or complex128, got {x.dtype}")
        if fft_type == "IRFFT":
            if minor[:-1] != fft_lengths[:-1]:
                raise ValueError(f"IRFFT input shape {x.shape} minor dimensions must be equal to all except the "
                                 f"last fft_length, got fft_lengths={fft_lengths}")
            if fft_lengths[-1] < 1 or minor[-1] != fft_lengths[-1] // 2 + 1:
                raise ValueError(f"IRFFT requires innermost dimension to be compatible with fft_length[-1]/2+1. "
                                 f"Got: {minor[-1]} but fft_length is {fft_lengths[-1]}.")
            return ShapedType(x.shape[:-k] + fft_lengths, real_dtype(x.dtype))
        if minor != fft_lengths:
            raise ValueError(f"FFT input shape {x.shape} minor dimensions must be equal to fft_lengths {fft_lengths}")
        return x


# ----------------------------------------------------------------------------- rules


def _half_spectrum_weights(ct_type, n, weight):
    """`weight(mask)` over the last axis of an RFFT's result, broadcast to `ct_type` (a
    complex type), for JAX's mask: 1 for DC (and Nyquist when n is even), 2 for the
    frequencies that stand for two."""
    m = ct_type.shape[-1]
    mask = np.full(m, 2.0)
    mask[0] = 1
    if n % 2 == 0:
        mask[m - 1] = 1
    value = ops.constant(value=weight(mask).astype(real_dtype(ct_type.dtype)))
    value = ops.broadcast_in_dim(value, shape=ct_type.shape, broadcast_dimensions=(ct_type.ndim - 1,))
    return ops.convert(value, new_dtype=ct_type.dtype)


def _fft_transpose(node, cts, operands, linear):
    """JAX's: the DFT matrix is symmetric, so FFT and IFFT are their own transposes;
    RFFT's is an IRFFT and IRFFT's an RFFT, each weighted for the halved spectrum (the
    scale folded into the weights)."""
    (ct,) = cts
    if ct is None:
        return [None]
    fft_type, lengths = node.params["fft_type"], node.params["fft_lengths"]
    size = int(np.prod(lengths))
    if fft_type == "RFFT":
        weights = _half_spectrum_weights(type_of(ct), lengths[-1], lambda mask: size / mask)
        return [ops.fft(ops.mul(ops.conj(ct), weights), fft_type="IRFFT", fft_lengths=lengths)]
    if fft_type == "IRFFT":
        x = ops.fft(ct, fft_type="RFFT", fft_lengths=lengths)
        return [ops.conj(ops.mul(_half_spectrum_weights(type_of(x), lengths[-1], lambda mask: mask / size), x))]
    return [ops.fft(ct, **node.params)]


FftOp = deflinear2(FftOp, _fft_transpose)
rules.batching[FftOp.OPERATION_NAME] = batch_leading(FftOp)


# ----------------------------------------------------------------------------- lowering


def _table(values, dtype):
    """A dense constant of float `dtype`."""
    values = np.ascontiguousarray(values, dtype=dtype)
    type_ = ir.RankedTensorType.get(list(values.shape), scalar_type(dtype))
    return arith.ConstantOp(type_, ir.DenseElementsAttr.get(values, type=type_)).result


def _map(rank, dims):
    """An affine map of `rank` loop indices to `dims` (loop index numbers, or ("c", k) for
    the constant k)."""
    exprs = [ir.AffineConstantExpr.get(d[1]) if isinstance(d, tuple) else ir.AffineDimExpr.get(d) for d in dims]
    return ir.AffineMap.get(rank, 0, exprs)


def _cmul_add(*terms):
    """The real and imaginary parts of the sum of products (ar + i ai)(br + i bi) given
    as (ar, ai, br, bi) tuples."""
    re = im = None
    for ar, ai, br, bi in terms:
        r = arith.subf(arith.mulf(ar, br), arith.mulf(ai, bi))
        i = arith.addf(arith.mulf(ar, bi), arith.mulf(ai, br))
        re, im = (r, i) if re is None else (arith.addf(re, r), arith.addf(im, i))
    return re, im


def _reassociation(rank, axis, width):
    """The dimension groups of a rank-`rank` shape whose dimension `axis` is `width` dimensions."""
    i64 = ir.IntegerType.get_signless(64)
    groups, d = [], 0
    for i in range(rank):
        size = width if i == axis else 1
        groups.append(ir.ArrayAttr.get([ir.IntegerAttr.get(i64, g) for g in range(d, d + size)]))
        d += size
    return ir.ArrayAttr.get(groups)


def _split_axis(value, shape, axis, sizes, dtype):
    """`value` of `shape` with dimension `axis` viewed as the dimensions `sizes`."""
    expanded = tuple(shape[:axis]) + tuple(sizes) + tuple(shape[axis + 1:])
    type_ = ir.RankedTensorType.get(list(expanded), scalar_type(dtype))
    return tensor.expand_shape(type_, value, _reassociation(len(shape), axis, len(sizes)), [], expanded)


def _merge_axis(value, shape, axis, width, dtype):
    """`value` of `shape` with the `width` dimensions from `axis` viewed as one."""
    merged = tuple(shape[:axis]) + (int(np.prod(shape[axis:axis + width])),) + tuple(shape[axis + width:])
    type_ = ir.RankedTensorType.get(list(merged), scalar_type(dtype))
    return tensor.collapse_shape(type_, value, _reassociation(len(merged), axis, width))


def _scaled(re, im, shape, axis, table, dtype):
    """(re, im) of `shape` times the complex vector `table` along `axis`."""
    parts = [_table(table.real, dtype), _table(table.imag, dtype)]
    out, rank = ShapedType(tuple(shape), dtype), len(shape)
    vector = _map(rank, [axis])
    return generic([out, out], [re, im, *parts], [identity_map(rank)] * 2 + [vector] * 2 + [identity_map(rank)] * 2,
                   lambda xr, xi, tr, ti, *_: _cmul_add((xr, xi, tr, ti)))


def _pow2(re, im, shape, axis, sign, pre, dtype):
    """The DFT along `axis` (of power-of-two length n) of (re, im) of `shape`, with
    exponent sign `sign`, the input first multiplied by the complex vector `pre` [n]:
    Stockham radix-2 passes."""
    n, rank = shape[axis], len(shape)
    loops = list(range(rank + 2))
    p, j, q = axis, axis + 1, axis + 2
    halves = [_map(rank + 2, loops[:p] + [("c", half), p, q] + loops[q + 1:]) for half in (0, 1)]
    twiddle = _map(rank + 2, [p, j])
    s = 1
    while s < n:
        m = n // (2 * s)
        w = np.exp(sign * 1j * np.pi * np.arange(m) / m)
        u = np.stack([np.ones(m), w], 1)  # [m, 2]: y_j = x0 u[p, j] + x1 v[p, j]
        v = np.stack([np.ones(m), -w], 1)
        if s == 1:
            u, v = u * pre[:m, None], v * pre[m:, None]
        tables = [_table(t, dtype) for t in (u.real, u.imag, v.real, v.imag)]
        re5, im5 = (_split_axis(x, shape, axis, (2, m, s), dtype) for x in (re, im))
        y = ShapedType(tuple(shape[:axis]) + (m, 2, s) + tuple(shape[axis + 1:]), dtype)
        re, im = generic([y, y], [re5, im5, re5, im5, *tables], halves[:1] * 2 + halves[1:] * 2 + [twiddle] * 4 +
                         [identity_map(rank + 2)] * 2,
                         lambda r0, i0, r1, i1, ur, ui, vr, vi, *_: _cmul_add((r0, i0, ur, ui), (r1, i1, vr, vi)))
        re, im = (_merge_axis(x, y.shape, axis, 3, dtype) for x in (re, im))
        s *= 2
    return re, im


def _padded(x, shape, axis, size, dtype):
    """`x` of `shape` padded with zeros to `size` along `axis` (a copy into a slice of
    zeros, as convolution.py pads)."""
    big = list(shape)
    big[axis] = size
    zeros = filled(ShapedType(tuple(big), dtype), 0)
    window = [0] * len(shape), list(shape), [1] * len(shape)
    view = tensor.extract_slice(x.type, zeros, [], [], [], *window)
    return tensor.insert_slice(linalg.copy(x, outs=[view]), zeros, [], [], [], *window)


def _dft(re, im, shape, axis, sign, scale, dtype):
    """The DFT along `axis` of (re, im) of `shape` times `scale`, exponent sign `sign`."""
    n = shape[axis]
    if n == 1:
        return re, im
    if n & (n - 1) == 0:
        return _pow2(re, im, shape, axis, sign, np.full(n, scale), dtype)
    # Bluestein: jk = (j^2 + k^2 - (k - j)^2) / 2, so X = w * ((x * w) conv conj(w)),
    # w_k = exp(sign i pi k^2 / n), the convolution cyclic over M >= 2n - 1.
    big = 1 << (2 * n - 2).bit_length()
    k = np.arange(n)
    chirp = np.exp(sign * 1j * np.pi * ((k * k) % (2 * n)) / n)
    kernel = np.zeros(big, complex)
    kernel[:n], kernel[big - n + 1:] = np.conj(chirp), np.conj(chirp[:0:-1])
    padded = list(shape)
    padded[axis] = big
    re, im = (_padded(x, shape, axis, big, dtype) for x in (re, im))
    pre = np.zeros(big, complex)
    pre[:n] = chirp
    re, im = _pow2(re, im, padded, axis, -1, pre, dtype)
    re, im = _pow2(re, im, padded, axis, 1, np.fft.fft(kernel) / big, dtype)
    re, im = (slice_along(x, ShapedType(tuple(padded), dtype), axis, 0, n) for x in (re, im))
    return _scaled(re, im, shape, axis, chirp * scale, dtype)


def _lower_fft(node, x):
    (x_type,), (out_type,) = node.in_types, node.out_types
    fft_type, lengths = node.params["fft_type"], node.params["fft_lengths"]
    if 0 in x_type.shape or 0 in out_type.shape:
        return [empty(out_type)]
    dtype = real_dtype(out_type.dtype)
    rank = x_type.ndim
    axes = range(rank - len(lengths), rank)
    inverse = fft_type in ("IFFT", "IRFFT")
    sign, scale = (1, lambda n: 1 / n) if inverse else (-1, lambda n: 1.0)
    real = ShapedType(x_type.shape, dtype)
    if fft_type == "RFFT":
        re, im = x, filled(real, 0)
    else:
        re, im = generic([real, real], [x], [identity_map(rank)] * 3, lambda z, *_: [complex_d.re(z), complex_d.im(z)])
    shape = list(x_type.shape)
    if fft_type == "RFFT":  # the last axis first, from real to complex, then cropped
        re, im = _dft(re, im, shape, rank - 1, sign, 1.0, dtype)
        re, im = (slice_along(v, ShapedType(tuple(shape), dtype), rank - 1, 0, out_type.shape[-1]) for v in (re, im))
        shape[-1] = out_type.shape[-1]
        axes = axes[:-1]
    elif fft_type == "IRFFT":
        axes = axes[:-1]
    for axis in axes:
        re, im = _dft(re, im, shape, axis, sign, scale(shape[axis]), dtype)
    if fft_type != "IRFFT":
        return generic([out_type], [re, im], [identity_map(rank)] * 3,
                       lambda r, i, _: [complex_d.create_(scalar_type(out_type.dtype), r, i)])
    # The last axis rebuilt from its Hermitian symmetry (x[n - k] = conj(x[k])), then the
    # real part of its inverse transform.
    n, half = lengths[-1], shape[-1]
    full = ShapedType(tuple(shape[:-1]) + (n,), dtype)

    def extended(part, negate):
        def body(i):
            mirrored = arith.cmpi(arith.CmpIPredicate.uge, i[-1], index(half))
            at = arith.select(mirrored, arith.subi(index(n), i[-1]), i[-1])
            value = tensor.extract(part, i[:-1] + [at])
            return arith.select(mirrored, arith.negf(value), value) if negate else value
        return indexed(full, [], body)

    re, im = _dft(extended(re, False), extended(im, True), full.shape, rank - 1, sign, 1 / n, dtype)
    return [re]


rules.lowering[FftOp.OPERATION_NAME] = _lower_fft
