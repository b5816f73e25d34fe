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
from .lowering import (empty, filled, for_loop, generic, identity_map, index, indexed, reshape, scalar_type, slice_along,
                       transpose)
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


def _turns(k, period, sign):
    """exp(sign 2 pi i k / period) for integer arrays k, exact at quarter turns."""
    k = np.asarray(k) % period
    value = np.exp(sign * 2j * np.pi * k / period)
    quarter = (4 * k) % period == 0
    value[quarter] = (sign * 1j) ** (4 * k[quarter] // period)
    return value


def _butterfly(sign, b):
    """The radix-2 or radix-4 DFT of the complex values b (a list of (re, im) pairs)."""
    def add(x, y):
        return arith.addf(x[0], y[0]), arith.addf(x[1], y[1])

    def sub(x, y):
        return arith.subf(x[0], y[0]), arith.subf(x[1], y[1])

    if len(b) == 2:
        return [add(*b), sub(*b)]
    even_sum, even_diff, odd_sum, odd_diff = add(b[0], b[2]), sub(b[0], b[2]), add(b[1], b[3]), sub(b[1], b[3])
    re, im = odd_diff  # times exp(sign i pi / 2) = sign i
    turned = (im, arith.negf(re)) if sign < 0 else (arith.negf(im), re)
    return [add(even_sum, odd_sum), add(even_diff, turned), sub(even_sum, odd_sum), sub(even_diff, turned)]


def _pow2(re, im, shape, axis, sign, pre, dtype):
    """The DFT along `axis` (of power-of-two length n) of (re, im) of `shape`, with
    exponent sign `sign`, the input first multiplied by the complex vector `pre` [n]
    (None: ones). Stockham passes of radix 4 (one of radix 2 when log2 n is odd),
    decimating in time: the pass of length L = r m and stride s reads y as [m, r, s]
    and writes x as [r, m, s], x[j, p, q] = sum over t of y[p, t, q] w^(p t) W^(t j)
    (w, W the L-th and r-th roots of unity): each iteration one butterfly, its r
    results written to r slices of one tensor."""
    n, rank = shape[axis], len(shape)
    passes, s = [], 1
    while s < n:
        r = 2 if (n // s).bit_length() % 2 == 0 else 4
        passes.append((n // s, s, r))
        s *= r
    outer, inner = list(range(axis)), list(range(axis + 2, rank + 1))  # loops (outer..., p, q, inner...)
    p, q = axis, axis + 1
    for length, s, r in reversed(passes):
        m = length // r
        if s * r == n:  # the first pass (m = 1): pre's factors instead of twiddles
            factors = None if pre is None else pre.reshape(r, s).T  # [s, r] by (q, t)
            at = q
        else:
            factors = _turns(np.arange(m)[:, None] * np.arange(r), length, sign)  # [m, r] by (p, t)
            at = p
        xs = [_split_axis(x, shape, axis, (m, r, s), dtype) for x in (re, im)]
        reads = [_map(rank + 1, outer + [p, ("c", t), q] + inner) for t in range(r) for _ in xs]
        inputs = xs * r
        if factors is not None:
            inputs += [_table(np.stack([factors.real, factors.imag], -1), dtype)] * 2 * r
            reads += [_map(rank + 1, [at, ("c", t), ("c", k)]) for t in range(r) for k in (0, 1)]
        out = tuple(shape[:axis]) + (r, m, s) + tuple(shape[axis + 1:])
        dests = [empty(ShapedType(out, dtype)) for _ in xs]
        block = ShapedType(tuple(shape[:axis]) + (m, s) + tuple(shape[axis + 1:]), dtype)
        block_type = ir.RankedTensorType.get(list(block.shape), scalar_type(dtype))
        windows = [[0] * len(out), [1 if d == axis else size for d, size in enumerate(out)], [1] * len(out)]

        def window(j):
            offsets = list(windows[0])
            offsets[axis] = j
            return offsets, windows[1], windows[2]

        slices = [tensor.extract_slice(block_type, dest, [], [], [], *window(j)) for j in range(r) for dest in dests]

        def body(*scalars, r=r, factors=factors):
            b = [scalars[2 * t:2 * t + 2] for t in range(r)]
            if factors is not None:
                f = scalars[2 * r:4 * r]
                b = [b[t] if t == 0 and s * r != n else _cmul_add(b[t] + tuple(f[2 * t:2 * t + 2]))
                     for t in range(r)]
            return [part for value in _butterfly(sign, b) for part in value]

        results = generic([block] * 2 * r, inputs, reads + [_map(rank + 1, outer + [p, q] + inner)] * 2 * r, body,
                          inits=slices)
        for j in range(r):
            dests = [tensor.insert_slice(results[2 * j + k], dests[k], [], [], [], *window(j)) for k in (0, 1)]
        re, im = (_merge_axis(x, out, axis, 3, dtype) for x in dests)
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


def _transform(re, im, shape, axis, sign, scale, dtype):
    """The DFT along `axis` of (re, im) of `shape` times `scale`, exponent sign `sign`."""
    n = shape[axis]
    if n == 1:
        return re, im
    if n & (n - 1) == 0:
        return _pow2(re, im, shape, axis, sign, None if scale == 1 else np.full(n, scale), dtype)
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


# Columns transformed at a time: a chunk's passes stay in cache, its columns the lanes
# of the vectors each pass computes with.
LANES = 16


def _window(value, offsets, sizes, dtype):
    """The slice of `value` at `offsets` (ints or index values) of `sizes`."""
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    type_ = ir.RankedTensorType.get(list(sizes), scalar_type(dtype))
    return tensor.extract_slice(type_, value, [v for v in offsets if not isinstance(v, int)], [], [],
                                [v if isinstance(v, int) else dynamic for v in offsets], list(sizes), [1] * len(sizes))


def _put(chunk, value, offsets, sizes, dtype):
    """`value` with `chunk` (of `sizes`) in place at `offsets` (ints or index values):
    a linalg.copy into the slice (a loop, where inserting would copy between strided
    buffers through the runtime), as convolution.py pads."""
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    copied = linalg.copy(chunk, outs=[_window(value, offsets, sizes, dtype)])
    return tensor.insert_slice(copied, value, [v for v in offsets if not isinstance(v, int)], [], [],
                               [v if isinstance(v, int) else dynamic for v in offsets], list(sizes), [1] * len(sizes))


def _chunks(total, inits, body):
    """body(start, width, *carried) over [0, total) in chunks of LANES (start an index
    value) and the rest (start an int), carrying `inits`."""
    whole = total // LANES * LANES
    carried = list(inits)
    if whole:
        carried = for_loop(index(0), index(whole), carried, lambda i, *c: body(i, LANES, *c), step=LANES)
    return body(whole, total - whole, *carried) if whole < total else carried


def _dft(re, im, shape, axis, sign, scale, dtype):
    """_transform with the axis first and the other dimensions flattened into columns
    ([A, n, C] transposed to [n, A C] unless A is 1), LANES columns at a time."""
    shape = tuple(shape)
    a, n, c = int(np.prod(shape[:axis])), shape[axis], int(np.prod(shape[axis + 1:]))
    if n == 1:
        return re, im
    columns = ShapedType((n, a * c), dtype)
    if a > 1:
        view = ShapedType((a, n, c), dtype)
        re, im = (reshape(transpose(reshape(x, view), view, (1, 0, 2)), columns) for x in (re, im))
    else:
        re, im = reshape(re, columns), reshape(im, columns)

    def chunk(start, width, *outs):
        at, sizes = [0, start], [n, width]
        parts = _transform(*(_window(x, at, sizes, dtype) for x in (re, im)), sizes, 0, sign, scale, dtype)
        return [_put(x, out, at, sizes, dtype) for x, out in zip(parts, outs, strict=True)]

    re, im = _chunks(a * c, [empty(columns), empty(columns)], chunk)
    if a > 1:
        view = ShapedType((n, a, c), dtype)
        re, im = (transpose(reshape(x, view), view, (1, 0, 2)) for x in (re, im))
    return reshape(re, ShapedType(shape, dtype)), reshape(im, ShapedType(shape, dtype))


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
        cropped = ShapedType(tuple(shape[:-1]) + out_type.shape[-1:], dtype)
        re, im = (linalg.copy(slice_along(v, ShapedType(tuple(shape), dtype), rank - 1, 0, cropped.shape[-1]),
                              outs=[empty(cropped)]) for v in (re, im))  # contiguous, for the next axes' views
        shape = list(cropped.shape)
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
