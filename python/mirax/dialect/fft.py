"""fft: XLA's FFT over the trailing len(fft_lengths) dimensions, as jax.lax.fft.

`fft_type` is FFT (complex to complex, forward), IFFT (its inverse, scaled by 1/n),
RFFT (real to complex: the n//2 + 1 non-negative frequencies of the last axis) or
IRFFT (their inverse: a real result of fft_lengths, the last axis rebuilt from its
Hermitian symmetry). The type, JVP (linear), transpose and batching rules are JAX's
(jax/_src/lax/fft.py).

Lowering: the real and imaginary parts as float tensors, one axis at a time (the last
axis of an RFFT first, from real: of even length, as a complex transform of half the
length (_real_spectrum), else cropped to n // 2 + 1; that of an IRFFT last, rebuilt
from its Hermitian half, to real), a chunk at a time transformed while it is in cache
and written into the result, the chunks of a large transform on OpenMP threads (each
computed alone: the results do not depend on the threads). The last axis goes 16 rows
(LANES) at a time, each chunk transposed to [n, 16] and back (16 x 16 blocks
transposed in registers by shuffles); any other axis 16 of the columns after it at a
time, strided windows already [n, 16]. A power-of-two length is a Stockham FFT of
radix 4 decimating in time (_passes) on vectors of the 16 columns, in rows of 17
floats (power-of-two strides between a butterfly's rows would map them to the same
cache sets); any other length is Bluestein's algorithm, a chirp-modulated cyclic
convolution computed with power-of-two FFTs of length M >= 2n - 1, the chirp's own
transform a constant.
Twiddles, chirps and scale factors are computed in float64 at compile time, scale
factors and chirps folded into the first pass's factors.
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, tensor, vector

from . import ops, rules
from .base import MiraxOp, ints, string
from .batching import batch_leading
from .jvp import deflinear2
from .lowering import (empty, filled, for_loop, forall, generic, identity_map, index, put, reshape, scalar_type,
                       slice_along, transpose, window)
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


def _passes(n, sign, pre):
    """The Stockham passes of a power-of-two length n in the order they run, as (length L,
    stride s, radix r, factors): radix 4 (one of radix 2 first when log2 n is odd),
    decimating in time, the pass reading y as [m, r, s] and writing x as [r, m, s],
    x[j, p, q] = sum over t of y[p, t, q] w^(p t) W^(t j) (w, W the L-th and r-th roots
    of unity, m = L / r). The factors of the r inputs: the twiddles [m, r] by (p, t), or
    in the first pass (m = 1, no twiddles) those of `pre` (None: ones) [s, r] by (q, t)."""
    passes, s = [], 1
    while s < n:
        r = 2 if (n // s).bit_length() % 2 == 0 else 4
        m = n // s // r
        factors = _turns(np.arange(m)[:, None] * np.arange(r), n // s, sign) if m > 1 else \
            None if pre is None else pre.reshape(r, s).T
        passes.append((n // s, s, r, factors))
        s *= r
    return passes[::-1]


def _view(value, shape, dtype):
    """`value` [n, w] viewed as `shape` (n's dimensions then w), or [n, w] again from that."""
    type_ = ir.RankedTensorType.get(list(shape), scalar_type(dtype))
    groups = ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), d)
                                                 for d in range(len(shape) - 1)]),
                               ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), len(shape) - 1)])])
    if len(shape) > len(ir.RankedTensorType(value.type).shape):
        return tensor.expand_shape(type_, value, groups, [], list(shape))
    return tensor.collapse_shape(ir.RankedTensorType.get([int(np.prod(shape[:-1])), shape[-1]], scalar_type(dtype)),
                                 value, groups)


def _pow2(re, im, n, width, sign, pre, dtype):
    """The DFT along n of (re, im) [n, width], n a power of two, with exponent sign
    `sign`, the input first multiplied by the complex vector `pre` [n] (None: ones):
    _passes, one generic each (an iteration per butterfly, its r results written to r
    slices of one tensor), or on vectors (_pow2_lanes) for LANES columns."""
    if width == LANES:
        return _pow2_lanes(re, im, n, sign, pre, dtype)
    for length, s, r, factors in _passes(n, sign, pre):
        m, first = length // r, s * r == n
        xs = [_view(x, (m, r, s, width), dtype) for x in (re, im)]
        reads = [_map(3, [0, ("c", t), 1, 2]) for t in range(r) for _ in xs]  # loops (p, q, column)
        inputs = xs * r
        if factors is not None:
            inputs += [_table(np.stack([factors.real, factors.imag], -1), dtype)] * 2 * r
            reads += [_map(3, [1 if first else 0, ("c", t), ("c", k)]) for t in range(r) for k in (0, 1)]
        out = ShapedType((r, m, s, width), dtype)
        dests = [empty(out) for _ in xs]
        block = ShapedType((m, s, width), dtype)
        block_type = ir.RankedTensorType.get(list(block.shape), scalar_type(dtype))
        window = lambda j: ([j, 0, 0, 0], [1, m, s, width], [1] * 4)  # noqa: E731
        slices = [tensor.extract_slice(block_type, dest, [], [], [], *window(j)) for j in range(r) for dest in dests]

        def body(*scalars, r=r, factors=factors, first=first):
            b = [scalars[2 * t:2 * t + 2] for t in range(r)]
            if factors is not None:
                f = scalars[2 * r:4 * r]
                b = [b[t] if t == 0 and not first else _cmul_add(b[t] + tuple(f[2 * t:2 * t + 2])) for t in range(r)]
            return [part for value in _butterfly(sign, b) for part in value]

        results = generic([block] * 2 * r, inputs, reads + [identity_map(3)] * 2 * r, body, inits=slices)
        for j in range(r):
            dests = [tensor.insert_slice(results[2 * j + k], dests[k], [], [], [], *window(j)) for k in (0, 1)]
        re, im = (_view(x, out.shape, dtype) for x in dests)
    return re, im


def _pow2_lanes(re, im, n, sign, pre, dtype):
    """_pow2 of (re, im) [n, LANES] computed on vectors of the LANES columns: loops over
    (p, q) reading the r rows of a butterfly and writing its r results (vector
    transfers), the factors broadcast from constant tables."""
    element = scalar_type(dtype)
    lanes = ir.VectorType.get([LANES], element)
    minor = ir.AffineMap.get(2, 0, [ir.AffineDimExpr.get(1)])
    zero = arith.ConstantOp(element, 0.0).result

    def row(*terms):  # sum of products of index values and ints
        total = None
        for a, b in terms:
            term = arith.muli(a, index(b)) if not isinstance(a, int) else index(a * b)
            total = term if total is None else arith.addi(total, term)
        return total

    for length, s, r, factors in _passes(n, sign, pre):
        m = length // r
        first = s * r == n
        table = None if factors is None else _table(np.stack([factors.real, factors.imag], -1), dtype)

        def twiddles(at, r=r, first=first, table=table):
            """The factor of each of the r inputs (None: one), from the table's row `at`."""
            if table is None:
                return [None] * r
            return [None if t == 0 and not first else
                    [vector.broadcast(lanes, tensor.extract(table, [at, index(t), index(k)])) for k in (0, 1)]
                    for t in range(r)]

        def per_q(p, factors_p, q, out_re, out_im, r=r, m=m, s=s, first=first, twiddles=twiddles):
            b = []
            for t in range(r):
                at = row((p, r * s), (t, s), (q, 1))
                b.append(tuple(vector.transfer_read(lanes, x, [at, index(0)], minor, zero, [True]) for x in (re, im)))
            factors = twiddles(q) if first else factors_p
            b = [value if f is None else _cmul_add(value + tuple(f)) for value, f in zip(b, factors, strict=True)]
            for j, (x_re, x_im) in enumerate(_butterfly(sign, b)):
                at = row((j, m * s), (p, s), (q, 1))
                out_re = vector.transfer_write(out_re.type, x_re, out_re, [at, index(0)], minor, [True])
                out_im = vector.transfer_write(out_im.type, x_im, out_im, [at, index(0)], minor, [True])
            return [out_re, out_im]

        def per_p(p, out_re, out_im, s=s, first=first, twiddles=twiddles, per_q=per_q):
            factors_p = None if first else twiddles(p)
            return for_loop(index(0), index(s), [out_re, out_im], lambda q, *o: per_q(p, factors_p, q, *o))

        outs = [empty(ShapedType((n, LANES + PAD), dtype)) for _ in range(2)]
        re, im = for_loop(index(0), index(m), outs, per_p)
    return tuple(slice_along(x, ShapedType((n, LANES + PAD), dtype), 1, 0, LANES) for x in (re, im))


def _transform(re, im, n, width, sign, scale, dtype):
    """The DFT along n of (re, im) [n, width] times `scale`, exponent sign `sign`."""
    if n == 1:
        return re, im
    if n & (n - 1) == 0:
        return _pow2(re, im, n, width, sign, None if scale == 1 else np.full(n, scale), dtype)
    # Bluestein: jk = (j^2 + k^2 - (k - j)^2) / 2, so X = w * ((x * w) conv conj(w)),
    # w_k = exp(sign i pi k^2 / n), the convolution cyclic over M >= 2n - 1: x padded
    # with zeros (a copy into a slice of zeros, as convolution.py pads) to M, its FFT
    # times that of the kernel conj(w) inverted, the first n of it times w.
    big = 1 << (2 * n - 2).bit_length()
    k = np.arange(n)
    chirp = np.exp(sign * 1j * np.pi * ((k * k) % (2 * n)) / n)
    kernel = np.zeros(big, complex)
    kernel[:n], kernel[big - n + 1:] = np.conj(chirp), np.conj(chirp[:0:-1])
    padded = ShapedType((big, width), dtype)

    def pad(x):
        zeros = filled(padded, 0)
        window = [0, 0], [n, width], [1, 1]
        view = tensor.extract_slice(x.type, zeros, [], [], [], *window)
        return tensor.insert_slice(linalg.copy(x, outs=[view]), zeros, [], [], [], *window)

    pre = np.zeros(big, complex)
    pre[:n] = chirp
    re, im = _pow2(pad(re), pad(im), big, width, -1, pre, dtype)
    re, im = _pow2(re, im, big, width, 1, np.fft.fft(kernel) / big, dtype)
    re, im = (slice_along(x, padded, 0, 0, n) for x in (re, im))
    factors = [_table(part, dtype) for part in ((chirp * scale).real, (chirp * scale).imag)]
    out, column = ShapedType((n, width), dtype), _map(2, [0])
    return generic([out, out], [re, im, *factors], [identity_map(2)] * 2 + [column] * 2 + [identity_map(2)] * 2,
                   lambda xr, xi, fr, fi, *_: _cmul_add((xr, xi, fr, fi)))


# Columns transformed at a time: a chunk's passes stay in cache, its columns the lanes
# of the vectors each pass computes with.
LANES = 16
PAD = 1  # floats after each row of LANES in the vector passes' tensors
# Chunks go on OpenMP threads where their transforms have this many points in all:
# about 100 us of one core's work, against a few us to wake the other threads.
THREADED_POINTS = 1 << 15


def _copy_into(chunk, dest, offsets, sizes, dtype):
    """`dest` with `chunk` in place at `offsets` of `sizes` (as lowering.window): a
    linalg.copy into the slice (a loop, where inserting would copy between strided
    buffers through the runtime), as convolution.py pads."""
    return put(linalg.copy(chunk, outs=[window(dest, offsets, sizes, dtype)]), dest, offsets, sizes)


def _chunked(total, outs, at, compute, dtype, threaded):
    """`outs` with their windows at(start, width) (offsets, sizes) written by
    compute(start, width, *the windows' views), over [0, total) in chunks of LANES
    (start an index value) and the rest (start an int): the whole chunks on OpenMP
    threads (an scf.forall) if `threaded`. Each chunk is computed alone, so the results
    do not depend on the threads."""
    whole = total // LANES * LANES
    if whole and threaded:
        outs = forall(0, whole, outs, lambda start: at(start, LANES),
                      lambda start, *views: compute(start, LANES, *views), dtype, step=LANES)

    def place(start, width, *outs):
        offsets, sizes = at(start, width)
        done = compute(start, width, *(window(out, offsets, sizes, dtype) for out in outs))
        return [put(value, out, offsets, sizes) for value, out in zip(done, outs, strict=True)]

    if whole and not threaded:
        outs = for_loop(index(0), index(whole), outs, lambda start, *outs: place(start, LANES, *outs), step=LANES)
    return place(whole, total - whole, *outs) if whole < total else outs


def _rows(parts, a, m_in, m_out, n, sign, scale, dtype, read, write, results):
    """The DFT of length n along the rows of the float tensors `parts` [a, m_in], LANES
    rows at a time: read(chunks, width) gives a chunk's (re, im) [n, width] (rows
    transposed to columns), write(re, im, *views) writes the chunks [width, m_out] of
    the `results` results into their views."""

    def compute(start, width, *views):
        re, im = read([window(x, [start, 0], [width, m_in], dtype) for x in parts], width)
        return write(*_transform(re, im, n, width, sign, scale, dtype), *views)

    outs = [empty(ShapedType((a, m_out), dtype)) for _ in range(results)]
    return _chunked(a, outs, lambda start, width: ([start, 0], [width, m_out]), compute, dtype,
                    threaded=a * n >= THREADED_POINTS)


def _flip(value, dtype, into=None):
    """A 2-D float tensor transposed (into the tensor `into`, or a new one). With a side
    of LANES: LANES x LANES blocks read as LANES vectors, transposed in registers
    (_transposed) and written as LANES vectors, the rest of the other side as below;
    else a linalg.generic."""
    rows, columns = ir.RankedTensorType(value.type).shape
    into = empty(ShapedType((columns, rows), dtype)) if into is None else into
    by_rows = rows == LANES  # whether the blocks lie along the columns of `value`
    other = columns if by_rows else rows
    whole = other // LANES * LANES
    if LANES not in (rows, columns) or not whole:
        return _copy_flipped(value, into, dtype)
    element = scalar_type(dtype)
    lanes = ir.VectorType.get([LANES], element)
    minor = ir.AffineMap.get(2, 0, [ir.AffineDimExpr.get(1)])
    zero = arith.ConstantOp(element, 0.0).result

    def block(b, out):
        at = (lambda i: [index(i), b]) if by_rows else (lambda i: [arith.addi(b, index(i)), index(0)])
        put_at = (lambda j: [arith.addi(b, index(j)), index(0)]) if by_rows else (lambda j: [index(j), b])
        vectors = [vector.transfer_read(lanes, value, at(i), minor, zero, [True]) for i in range(LANES)]
        for j, row in enumerate(_transposed(vectors)):
            out = vector.transfer_write(out.type, row, out, put_at(j), minor, [True])
        return [out]

    (into,) = for_loop(index(0), index(whole), [into], block, step=LANES)
    if whole < other:
        source, dest = ([0, whole], [whole, 0]) if by_rows else ([whole, 0], [0, whole])
        sizes = [LANES, other - whole] if by_rows else [other - whole, LANES]
        rest = _copy_flipped(window(value, source, sizes, dtype), window(into, dest, sizes[::-1], dtype), dtype)
        into = put(rest, into, dest, sizes[::-1])
    return into


def _copy_flipped(value, into, dtype):
    """`into` with the transpose of the 2-D `value` copied in: a linalg.generic."""
    return transpose(value, ShapedType(tuple(ir.RankedTensorType(value.type).shape), dtype), (1, 0), into)


def _transposed(rows):
    """The columns of the square of vectors `rows` (LANES of LANES): log2(LANES) stages
    of two-input shuffles, stage k swapping bit k of the row and column numbers (each
    pair of rows differing in bit k exchanges the halves where the column's bit k
    differs from the row's)."""
    rows, bit = list(rows), 1
    while bit < LANES:
        low = [c if not c & bit else LANES + (c ^ bit) for c in range(LANES)]
        high = [c | bit if not c & bit else LANES + c for c in range(LANES)]
        for i in range(LANES):
            if not i & bit:
                rows[i], rows[i | bit] = (vector.shuffle(rows[i], rows[i | bit], low),
                                          vector.shuffle(rows[i], rows[i | bit], high))
        bit *= 2
    return rows


def _real_spectrum(re, im, n, width, dtype):
    """X [n / 2 + 1, width], the DFT of a real signal x of even length n, from (re, im)
    [n / 2, width], Z of z[j] = x[2 j] + i x[2 j + 1]: E = (Z[k] + conj Z[-k]) / 2 and
    O = (Z[k] - conj Z[-k]) / 2i are the DFTs of the even and odd samples, so X[k] = E +
    exp(-2 pi i k / n) O = A[k] Z[k] + B[k] conj Z[-k] with A = (1 - i w^k) / 2 and B =
    (1 + i w^k) / 2: half the work of a transform of length n whose imaginary part is
    zero. Rows k and m - k (m = n / 2) are computed together, from the same two rows of
    Z, on vectors of the columns where there are LANES of them."""
    m = n // 2
    turns = _turns(np.arange(m + 1), n, -1)
    a, b = (1 - 1j * turns) / 2, (1 + 1j * turns) / 2
    out = ShapedType((m + 1, width), dtype)
    if width != LANES:  # the last rows of the input: m - k as the map's reversed rows
        mirrored = ir.AffineMap.get(2, 0, [ir.AffineConstantExpr.get(m) - ir.AffineDimExpr.get(0),
                                           ir.AffineDimExpr.get(1)])
        z = ShapedType((m, width), dtype)
        wrapped = [_copy_into(slice_along(v, z, 0, 0, 1), _copy_into(v, empty(out), [0, 0], [m, width], dtype),
                              [m, 0], [1, width], dtype) for v in (re, im)]  # Z with Z[0] again last
        tables = [_table(part, dtype) for factor in (a, b) for part in (factor.real, factor.imag)]
        return generic([out, out], [*wrapped, *wrapped, *tables],
                       [identity_map(2)] * 2 + [mirrored] * 2 + [_map(2, [0])] * 4 + [identity_map(2)] * 2,
                       lambda zr, zi, cr, ci, ar, ai, br, bi, *_: _cmul_add((ar, ai, zr, zi),
                                                                            (br, bi, cr, arith.negf(ci))))
    element = scalar_type(dtype)
    lanes = ir.VectorType.get([LANES], element)
    minor = ir.AffineMap.get(2, 0, [ir.AffineDimExpr.get(1)])
    zero = arith.ConstantOp(element, 0.0).result
    table = _table(np.stack([a.real, a.imag, b.real, b.imag], -1), dtype)

    def factors(row):
        return [vector.broadcast(lanes, tensor.extract(table, [row, index(k)])) for k in range(4)]

    def pair(k, out_re, out_im):
        j = arith.subi(index(m), k)
        first = arith.cmpi(arith.CmpIPredicate.eq, k, index(0))
        rows = (k, k), (j, arith.select(first, index(0), j))  # (row of X, row of Z): Z[m] is Z[0]
        z = [[vector.transfer_read(lanes, v, [at, index(0)], minor, zero, [True]) for v in (re, im)]
             for _, at in rows]
        for (row, _), (zr, zi), (cr, ci) in zip(rows, z, z[::-1], strict=True):
            ar, ai, br, bi = factors(row)
            xr, xi = _cmul_add((ar, ai, zr, zi), (br, bi, cr, arith.negf(ci)))
            out_re = vector.transfer_write(out_re.type, xr, out_re, [row, index(0)], minor, [True])
            out_im = vector.transfer_write(out_im.type, xi, out_im, [row, index(0)], minor, [True])
        return [out_re, out_im]

    return for_loop(index(0), index(m // 2 + 1), [empty(out), empty(out)], pair)


def _lower_fft(node, x):
    """The real and imaginary parts, one axis after another (the last axis of an RFFT
    first, from real; that of an IRFFT last, from its Hermitian half to real): the
    last LANES rows at a time (_rows), any other LANES columns at a time."""
    (x_type,), (out_type,) = node.in_types, node.out_types
    fft_type, lengths = node.params["fft_type"], node.params["fft_lengths"]
    if 0 in x_type.shape or 0 in out_type.shape:
        return [empty(out_type)]
    dtype = real_dtype(out_type.dtype)
    rank = x_type.ndim
    inverse = fft_type in ("IFFT", "IRFFT")
    sign = 1 if inverse else -1
    last = lengths[-1]
    real = lambda *shape: ShapedType(tuple(shape), dtype)  # noqa: E731

    def flipped(chunks, width):  # [width, n] -> [n, width], each
        return [_flip(v, dtype) for v in chunks]

    def cropped(size):
        """The results' first `size` frequencies, back to rows [width, size]."""
        def write(re, im, *views):
            n, width = ir.RankedTensorType(re.type).shape
            return [_flip(slice_along(v, real(n, width), 0, 0, size), dtype, into)
                    for v, into in zip((re, im), views, strict=True)]
        return write

    def along_last(parts, shape, m_out, n, scale, read=flipped, write=None, results=2):
        """_rows over the last axis of parts of `shape`, into that shape with m_out last."""
        a = int(np.prod(shape[:-1]))
        write = write or cropped(m_out)
        parts = [reshape(v, real(a, shape[-1])) for v in parts]
        parts = _rows(parts, a, shape[-1], m_out, n, sign, scale, dtype, read, write, results)
        return [reshape(v, real(*shape[:-1], m_out)) for v in parts]

    def along(parts, shape, axis, scale):
        """The DFT along `axis`, not the last, of parts of `shape` viewed as [a, n, c]:
        LANES of the c columns of one of the a at a time, already [n, width] (strided
        windows, no transposes)."""
        a, n, c = int(np.prod(shape[:axis])), shape[axis], int(np.prod(shape[axis + 1:]))
        view = real(a, n, c)
        parts = [reshape(v, view) for v in parts]

        def compute(row, start, width, *views):
            re, im = (window(v, [row, 0, start], [None, n, width], dtype) for v in parts)
            return [linalg.copy(y, outs=[into])
                    for y, into in zip(_transform(re, im, n, width, sign, scale, dtype), views, strict=True)]

        outs = for_loop(index(0), index(a), [empty(view), empty(view)], lambda row, *outs: _chunked(
            c, outs, lambda start, width: ([row, 0, start], [None, n, width]),
            lambda start, width, *views: compute(row, start, width, *views), dtype, threaded=c * n >= THREADED_POINTS))
        return [reshape(v, real(*shape)) for v in outs]

    def paired(chunks, width):
        """A chunk's even and odd samples [last / 2, width], as the real and imaginary
        parts of one complex signal (strided views of its transposed rows)."""
        (rows,) = flipped(chunks, width)
        type_ = ir.RankedTensorType.get([last // 2, width], scalar_type(dtype))
        return [tensor.extract_slice(type_, rows, [], [], [], [start, 0], [last // 2, width], [2, 1])
                for start in (0, 1)]

    def untangled(re, im, *views):
        """The real signal's spectrum [width, last / 2 + 1] from z's, Z (_real_spectrum)."""
        width = ir.RankedTensorType(re.type).shape[1]
        spectrum = _real_spectrum(re, im, last, width, dtype)
        return [_flip(v, dtype, into) for v, into in zip(spectrum, views, strict=True)]

    shape = x_type.shape
    if fft_type == "RFFT":
        half = last // 2 + 1
        if last % 2:
            parts = along_last([x], shape, half, last, 1.0,
                               read=lambda chunks, width: flipped(chunks, width) + [filled(real(last, width), 0)])
        else:  # a complex transform of half the length
            parts = along_last([x], shape, half, last // 2, 1.0, read=paired, write=untangled)
        shape = shape[:-1] + (half,)
    else:
        parts = generic([real(*shape)] * 2, [x], [identity_map(rank)] * 3,
                        lambda z, *_: [complex_d.re(z), complex_d.im(z)])
    axes = range(rank - len(lengths), rank - (fft_type in ("RFFT", "IRFFT")))
    for axis in axes:
        n = shape[axis]
        scale = 1 / n if inverse else 1.0
        parts = along_last(parts, shape, n, n, scale) if axis == rank - 1 else along(parts, shape, axis, scale)
    if fft_type != "IRFFT":
        element = scalar_type(out_type.dtype)
        return generic([out_type], parts, [identity_map(rank)] * 3, lambda r, i, _: [complex_d.create_(element, r, i)])
    # The last axis rebuilt from its Hermitian half (x[n - k] = conj(x[k])), the real
    # part of its inverse transform kept.
    half = shape[-1]

    def hermitian(chunks, width):
        re, im = chunks

        def body(i):
            mirrored = arith.cmpi(arith.CmpIPredicate.uge, i[0], index(half))
            at = [i[1], arith.select(mirrored, arith.subi(index(last), i[0]), i[0])]
            value = tensor.extract(im, at)
            return tensor.extract(re, at), arith.select(mirrored, arith.negf(value), value)
        return generic([real(last, width)] * 2, [], [identity_map(2)] * 2,
                       lambda *_: body([linalg.IndexOp(d).result for d in range(2)]))

    return along_last(parts, shape, last, last, 1 / last, read=hermitian,
                      write=lambda re, im, into: [_flip(re, dtype, into)], results=1)


rules.lowering[FftOp.OPERATION_NAME] = _lower_fft
