"""The reduction, argmax/argmin, cumulative and sort ops (dialect/reduction.py,
dialect/sort.py) through mirax.lax on concrete arrays, against NumPy, and against
jax.lax where NumPy lacks the exact semantics (argmax with NaNs, empty max/min).

Inputs are `core.Array(np_array)`, so any dtype reaches the op as is (64-bit ones
included, without the x64 flag). Each (op, dtype) runs on a few shapes, chosen to
cover rank 0, empty dimensions and the axes () and all; every distinct shape is one
compiled program, so the lists are short.
"""
import warnings

import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
from mirax import lax
from mirax.core import Array

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
I32, I64, U8, BOOL = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint8), np.dtype(np.bool_)
C64 = np.dtype(np.complex64)
FLOATS = (F16, BF16, F32, F64)

# Relative tolerance of a result rounded once to its dtype (accumulation is in f32 or wider).
TOL = {F16: 2e-3, BF16: 1.6e-2, F32: 1e-5, F64: 1e-12, C64: 1e-5}


def values(shape, dtype, rng, low=-4, high=4, nans=False):
    """Random values of `dtype`: small integers for integer and bool dtypes (so that
    ties happen), floats in [low, high) otherwise, with some NaNs when `nans`."""
    if dtype == BOOL:
        return rng.integers(0, 2, shape).astype(BOOL)
    if dtype.kind in "iu":
        lo = max(low, 0) if dtype.kind == "u" else low
        return rng.integers(lo, high, shape).astype(dtype)
    x = rng.uniform(low, high, shape)
    if dtype.kind == "c":
        x = x + 1j * rng.uniform(low, high, shape)
    x = x.astype(dtype)
    if nans and x.size:
        x.reshape(-1)[rng.random(x.size) < 0.2] = np.nan
    return x


def wide(x):
    """x exactly in float64/complex128 (NumPy references for floats), integers as they are."""
    if x.dtype.kind == "c":
        return x.astype(np.complex128)
    return x.astype(np.float64) if x.dtype in FLOATS else x


def check(got, want, dtype, scale=None):
    """got (a mirax Array) equals want (NumPy, computed exactly) in dtype and shape; for
    inexact dtypes within TOL of `scale` (default |want|), NaNs in the same places."""
    got = got._value
    assert got.dtype == dtype and got.shape == np.shape(want), (got.dtype, got.shape, np.shape(want))
    if dtype in TOL:
        got, scale = wide(got), np.abs(want) if scale is None else scale
        with np.errstate(invalid="ignore"):  # inf - inf
            close = (got == want) | (np.abs(got - want) <= TOL[dtype] * scale) | np.isnan(got) & np.isnan(want)
        assert close.all(), f"got {got}, want {want}"
    else:
        np.testing.assert_array_equal(got, np.asarray(want).astype(dtype))


@pytest.fixture
def rng(request):
    return np.random.default_rng(abs(hash(request.node.name)) % 2**32)


# ----------------------------------------------------------------------------- reduce_*

# (shape, axes): rank 0, axes () and all, empty reduced and kept dimensions.
ALL_CASES = [((), ()), ((5,), (0,)), ((3, 4), (1,)), ((3, 4), ()), ((2, 3, 4), (0, 2)), ((2, 3, 4), (0, 1, 2)),
             ((0, 3), (0,)), ((3, 0), (0,))]
SOME_CASES = [((3, 4), (0,)), ((2, 3, 4), (0, 2)), ((0, 3), (0,))]


def _lowest(dtype):
    return False if dtype == BOOL else -np.inf if dtype in FLOATS else np.iinfo(dtype).min


def _highest(dtype):
    return True if dtype == BOOL else np.inf if dtype in FLOATS else np.iinfo(dtype).max


def _np_reduce(name, x, axes):
    """NumPy's reduction, exact: floats in float64, integers wrapping in their dtype."""
    w = wide(x)
    dtype = None if x.dtype in FLOATS or x.dtype.kind == "c" else x.dtype
    if name == "sum":
        return np.sum(w, axis=axes, dtype=dtype)
    if name == "prod":
        return np.prod(w, axis=axes, dtype=dtype)
    if name == "max":
        return np.max(w, axis=axes, initial=_lowest(x.dtype))
    if name == "min":
        return np.min(w, axis=axes, initial=_highest(x.dtype))
    return {"and": np.bitwise_and, "or": np.bitwise_or}[name].reduce(x, axis=axes)


def _range(name, dtype):
    """Where values are drawn: products of many values stay near 1 (no overflow)."""
    if "prod" in name:
        return (0.5, 1.5) if dtype.kind in "fc" or dtype == BF16 else (-2, 3)
    return (-4, 4)


REDUCE_DTYPES = {
    "sum": (F32, F16, BF16, I32, U8, C64, F64, I64),
    "prod": (F32, F16, BF16, I32, U8, C64, F64, I64),
    "max": (F32, F16, BF16, I32, U8, BOOL, F64, I64),
    "min": (F32, F16, BF16, I32, U8, BOOL, F64, I64),
    "and": (BOOL, I32, U8),
    "or": (BOOL, I32, U8),
}


@pytest.mark.parametrize("name,dtype", [(n, d) for n, ds in REDUCE_DTYPES.items() for d in ds],
                         ids=lambda v: getattr(v, "name", v))
def test_reduce(name, dtype, rng):
    fn = getattr(lax, f"reduce_{name}")
    cases = ALL_CASES if dtype == F32 or dtype == BOOL and name in ("and", "or") else SOME_CASES
    for shape, axes in cases:
        # Products stay near 1 (no overflow); max/min see NaNs, which propagate.
        x = values(shape, dtype, rng, *_range(name, dtype), nans=name in ("max", "min") and shape == (3, 4))
        want = _np_reduce(name, x, axes)
        scale = np.sum(np.abs(wide(x)), axis=axes) if name == "sum" else None  # cancellation
        check(fn(Array(x), axes), want, dtype, scale)


def test_reduce_nan_and_empty_match_jax():
    """max/min propagate NaN and give -inf/+inf or the integer bounds when empty, as XLA."""
    x = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, -1.0]], np.float32)
    for fn, jfn in ((lax.reduce_max, jlax.reduce_max), (lax.reduce_min, jlax.reduce_min)):
        for arr, axes in ((x, (1,)), (x, (0,)), (np.zeros((0, 2), np.float32), (0,)), (np.zeros((0,), np.int32), (0,))):
            np.testing.assert_array_equal(fn(Array(arr), axes)._value, np.asarray(jfn(arr, axes)))


def test_reduce_half_accumulates_wide():
    """A long half-precision sum does not stall where f16 stops counting (2048), as in JAX."""
    x = np.ones(3000, np.float16)
    assert lax.reduce_sum(Array(x), (0,))._value == np.float16(jlax.reduce_sum(x, (0,)))


@pytest.mark.parametrize("fn,arg,axes,message", [
    (lax.reduce_sum, np.zeros((2, 3), np.float32), (-1,), r"axes \[-1\] must be distinct dimensions"),
    (lax.reduce_max, np.zeros((2, 3), np.float32), (0, 0), r"axes \[0, 0\] must be distinct"),
    (lax.reduce_min, np.zeros((2, 3), np.float32), (2,), r"in \[0, 2\) of shape \[2, 3\]"),
    (lax.reduce_sum, np.zeros((2,), np.bool_), (0,), "reduce_sum does not accept bool"),
    (lax.reduce_and, np.zeros((2,), np.float32), (0,), "reduce_and does not accept float32"),
    (lax.reduce_or, np.zeros((2,), np.complex64), (0,), "reduce_or does not accept complex64"),
])
def test_reduce_errors(fn, arg, axes, message):
    with pytest.raises(TypeError, match=message):
        fn(Array(arg), axes)


# ----------------------------------------------------------------------------- argmax, argmin

ARG_CASES = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((0, 3), 1)]


@pytest.mark.parametrize("dtype", [F32, F16, BF16, I32, U8, BOOL, F64], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, dtype, rng):
    """Against jax.lax: first index on ties, first NaN when there is one."""
    fn, jfn = getattr(lax, name), getattr(jlax, name)
    cases = ARG_CASES if dtype in (F32, I32) else ARG_CASES[2:4]
    for shape, axis in cases:
        x = values(shape, dtype, rng, -2, 2, nans=dtype in FLOATS)  # small integers: many ties
        if dtype in FLOATS:
            x = np.round(x)
        got = fn(Array(x), axis, np.int32)
        want = np.asarray(jfn(x.astype(np.float32) if dtype == F64 else x, axis, np.int32))
        check(got, want, I32)


def test_argmax_nan_rows_and_index_dtypes():
    x = np.array([[1, np.nan, 5, np.nan], [np.nan, 1, 1, 0], [-np.inf, -np.inf, -np.inf, -np.inf],
                  [2, 7, 7, 1]], np.float32)
    for name in ("argmax", "argmin"):
        for index_dtype in (np.int32, np.uint8, np.int16):
            got = getattr(lax, name)(Array(x), 1, index_dtype)
            check(got, np.asarray(getattr(jlax, name)(x, 1, np.int32)), np.dtype(index_dtype))


@pytest.mark.parametrize("arg,axis,index_dtype,message", [
    (np.zeros((0, 3), np.float32), 0, np.int32, "non-empty reduced dimension"),
    (np.zeros((2, 3), np.float32), 2, np.int32, r"axes \[2\] must be distinct dimensions"),
    (np.zeros((2, 3), np.float32), 0, np.float32, "index_dtype must be an integer type"),
    (np.zeros((2,), np.complex64), 0, np.int32, "argmax does not accept complex64"),
])
def test_argmax_errors(arg, axis, index_dtype, message):
    with pytest.raises(TypeError, match=message):
        lax.argmax(Array(arg), axis, index_dtype)


# ----------------------------------------------------------------------------- cumulative ops

CUM_CASES = [((5,), 0, False), ((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 4), 1, True), ((0, 3), 1, False),
             ((3, 0), 0, True)]


def _np_cumulative(name, x, axis, reverse):
    w = wide(x)
    if reverse:
        w = np.flip(w, axis)
    dtype = None if x.dtype in FLOATS or x.dtype.kind == "c" else x.dtype
    if name == "cumsum":
        out = np.cumsum(w, axis, dtype=dtype)
    elif name == "cumprod":
        out = np.cumprod(w, axis, dtype=dtype)
    else:
        out = (np.maximum if name == "cummax" else np.minimum).accumulate(w, axis)
    return np.flip(out, axis) if reverse else out


CUM_DTYPES = {
    "cumsum": (F32, F16, BF16, I32, U8, C64, F64),
    "cumprod": (F32, F16, I32, U8, C64),
    "cummax": (F32, BF16, I32, U8, I64),
    "cummin": (F32, F16, I32, U8),
}


@pytest.mark.parametrize("name,dtype", [(n, d) for n, ds in CUM_DTYPES.items() for d in ds],
                         ids=lambda v: getattr(v, "name", v))
def test_cumulative(name, dtype, rng):
    fn = getattr(lax, name)
    cases = CUM_CASES if dtype == F32 else CUM_CASES[1:4]
    for shape, axis, reverse in cases:
        x = values(shape, dtype, rng, *_range(name, dtype), nans=name in ("cummax", "cummin") and shape == (3, 4))
        want = _np_cumulative(name, x, axis, reverse)
        scale = _np_cumulative("cumsum", np.abs(wide(x)), axis, reverse) if name == "cumsum" else None
        check(fn(Array(x), axis=axis, reverse=reverse), want, dtype, scale)


@pytest.mark.parametrize("fn,arg,axis,message", [
    (lax.cumsum, np.zeros((3,), np.bool_), 0, "cumsum does not accept bool"),
    (lax.cummax, np.zeros((3,), np.complex64), 0, "cummax does not accept complex64"),
    (lax.cumsum, np.zeros((3,), np.float32), 1, r"axis 1 is out of range for shape \[3\]"),
    (lax.cumprod, np.zeros((3,), np.float32), -1, r"axis -1 is out of range"),
    (lax.cummin, np.zeros((), np.float32), 0, r"axis 0 is out of range for shape \[\]"),
])
def test_cumulative_errors(fn, arg, axis, message):
    with pytest.raises(TypeError, match=message):
        fn(Array(arg), axis)


# ----------------------------------------------------------------------------- sort

SORT_CASES = [((7,), -1), ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), 1), ((0, 3), 1), ((1,), 0), ((4, 0), 0)]


def _special(dtype, rng, shape):
    """Values with NaN, infinities and signed zeros mixed in, for float dtypes."""
    x = values(shape, dtype, rng, -3, 3)
    if dtype in FLOATS and x.size:
        flat = x.reshape(-1)
        picks = rng.integers(0, flat.size, 4)
        flat[picks] = np.array([np.nan, np.inf, -np.inf, -0.0]).astype(dtype)
        flat[rng.random(flat.size) < 0.3] = 0.0
    return x


@pytest.mark.parametrize("dtype", [F32, F16, BF16, I32, U8, BOOL, C64, F64, I64], ids=str)
def test_sort(dtype, rng):
    cases = SORT_CASES if dtype == F32 else SORT_CASES[1:4]
    for shape, dimension in cases:
        x = _special(dtype, rng, shape)
        if dtype == C64:  # ties in the real part order by the imaginary part
            x = (np.round(x.real) + 1j * x.imag).astype(dtype)
        want = np.sort(wide(x), axis=dimension)
        got = lax.sort(Array(x), dimension=dimension)._value
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_array_equal(wide(got), want)


@pytest.mark.parametrize("dtype", [F32, BF16, I32, BOOL], ids=str)
def test_sort_key_val_is_stable_argsort(dtype, rng):
    """Values follow the keys; equal keys (all NaNs, -0.0 and 0.0) keep their order."""
    for shape, dimension in ((3, 33), 1), ((16, 2), 0):
        keys = _special(dtype, rng, shape)
        iota = np.broadcast_to(np.arange(shape[dimension], dtype=np.int32).reshape(
            [-1 if d == dimension else 1 for d in range(2)]), shape).copy()
        got_keys, got_index = lax.sort_key_val(Array(keys), Array(iota), dimension=dimension)
        want = np.argsort(wide(keys), axis=dimension, kind="stable")
        np.testing.assert_array_equal(got_index._value, want)
        np.testing.assert_array_equal(wide(got_keys._value), np.sort(wide(keys), axis=dimension))


def test_sort_several_keys_and_dtypes(rng):
    """num_keys=2 orders lexicographically (np.lexsort); values of several dtypes follow."""
    a = rng.integers(0, 3, 40).astype(np.int32)
    b = np.round(rng.uniform(-2, 2, 40)).astype(np.float16)
    b[::7] = np.nan
    index = np.arange(40, dtype=np.int32)
    payload = rng.uniform(size=40).astype(np.float64)
    flags = rng.integers(0, 2, 40).astype(np.bool_)
    outs = lax.sort([Array(a), Array(b), Array(index), Array(payload), Array(flags)], num_keys=2)
    order = np.lexsort((b, a))  # the last key is the most significant; stable
    assert isinstance(outs, tuple) and len(outs) == 5
    for got, x in zip(outs, (a, b, index, payload, flags), strict=True):
        np.testing.assert_array_equal(got._value, x[order])


def test_sort_matches_jax_on_specials():
    x = np.array([3.0, np.nan, -np.inf, 1.0, -0.0, 0.0, np.inf, np.nan, -1.0], np.float32)
    np.testing.assert_array_equal(lax.sort(Array(x))._value, np.asarray(jlax.sort(x)))
    z = np.array([1 + 1j, 1j, 0, 1 - 2j, -1 + 5j], np.complex64)
    np.testing.assert_array_equal(lax.sort(Array(z))._value, np.asarray(jlax.sort(z)))


@pytest.mark.parametrize("args,kwargs,error,message", [
    ((np.zeros((), np.float32),), {}, TypeError, r"dimension -1 is out of range for shape \[\]"),
    ((np.zeros((3,), np.float32),), {"dimension": 1}, TypeError, "dimension 1 is out of range"),
    (([np.zeros((3,), np.float32), np.zeros((4,), np.float32)],), {}, TypeError, "values of the key's shape"),
    (([np.zeros((3,), np.float32)],), {"num_keys": 2}, ValueError, "num_keys=2 must be between 1 and"),
])
def test_sort_errors(args, kwargs, error, message):
    (operand,) = args
    operand = [Array(x) for x in operand] if isinstance(operand, list) else Array(operand)
    with pytest.raises(error, match=message):
        lax.sort(operand, **kwargs)


# ----------------------------------------------------------------------------- under jit


def test_ops_compose_under_jit(rng):
    """The ops trace into one program and run there as they do eagerly."""

    def f(x):
        order = lax.sort(x, dimension=1)
        return lax.cumsum(order, axis=1), lax.argmax(x, 1, np.int32), lax.reduce_sum(x, (0, 1))

    x = values((4, 6), F32, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for got, want in zip(mirax.jit(f)(x), f(Array(x)), strict=True):
            np.testing.assert_allclose(got._value, want._value, rtol=1e-6)
