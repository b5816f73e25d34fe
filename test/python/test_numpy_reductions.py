"""mirax.numpy's reductions (numpy/_reductions.py) and sorting (numpy/_sorting.py), and
mirax.scipy.special / mirax.nn, against jax.numpy (the oracle) and NumPy, eagerly and
under mirax.jit.

To keep compiles few, a case is a function of the numpy module (mirax.numpy or
jax.numpy) and its input arrays returning a list of results; each list is one
jitted program. Every result's shape, dtype and values must match JAX's.
"""
import warnings

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from oracle import ROUNDING, check, rand, run_both


# ----------------------------------------------------------------------------- every reduction, every dtype

ORDERED = ("bool", "uint8", "int32", "float16", "float32")  # dtypes with max, min, argmax, sort
DTYPES = ORDERED + ("complex64",)


def all_reductions(m, x, y):
    """Each reduction of x (y: x with NaNs for float dtypes), over every axis and one."""
    out = [
        m.sum(x), m.sum(x, 0), m.prod(x, 1), m.mean(x), m.mean(x, -1), m.var(x), m.std(x, 0),
        m.all(x), m.any(x, 1), m.count_nonzero(x), m.count_nonzero(x, 0), m.average(x, 1),
        m.cumsum(x), m.cumsum(x, 0), m.cumprod(x, -1), m.cumulative_sum(x, axis=1), m.cumulative_prod(x, axis=0),
        m.nansum(y), m.nansum(y, 1), m.nanprod(y, 0), m.nanmean(y, 0), m.nancumsum(y, 1), m.diff(x), m.diff(x, 2, 0),
    ]
    if x.dtype != np.complex64:
        out += [m.max(x), m.min(x, 0), m.amax(x, -1), m.amin(x), m.argmax(x), m.argmax(x, 0), m.argmin(x, 1),
                m.nanmax(y, 1), m.nanmin(y), m.median(x, 1), m.median(y, 0), m.sort(x), m.argsort(y, 0)]
    if x.dtype != np.bool_ and x.dtype != np.complex64:
        out += [m.ptp(x, 1)]
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_dtypes_jit(dtype):
    run_both(all_reductions, [rand((3, 4), dtype), rand((3, 4), dtype, nans=True)], jit=True)


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_reductions_dtypes_eager(dtype):
    run_both(all_reductions, [rand((3, 4), dtype), rand((3, 4), dtype, nans=True)], jit=False)


def test_reductions_against_numpy():
    """NumPy agrees where its dtype rules are JAX's (floats)."""
    x = rand((4, 5), np.float32, nans=False)
    for name in ("sum", "prod", "max", "min", "mean", "var", "std", "median", "ptp", "cumsum", "cumprod"):
        got = getattr(jnp, name)(x, axis=1)
        want = getattr(np, name)(x, axis=1)
        assert got.dtype == want.dtype, name
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_array_equal(np.asarray(jnp.argmax(x, 0)), np.argmax(x, 0))
    np.testing.assert_allclose(np.asarray(jnp.var(x, ddof=1)), np.var(x, ddof=1), rtol=1e-5)


def x64_reductions(m, i32, i64, u32, f64, c128):
    return [
        m.sum(i32), m.sum(u32, 0), m.prod(i64, 1), m.sum(f64), m.mean(i32), m.mean(i64, 0), m.var(f64, 1),
        m.std(c128), m.mean(c128, 0), m.argmax(f64, 1), m.argmin(i64), m.cumsum(i32), m.cumsum(u32, 1),
        m.cumulative_sum(i32, axis=0), m.count_nonzero(f64), m.median(i64, 0), m.max(u32), m.nanmean(f64, 1),
        m.average(i32, 1, weights=f64[0]), m.sort(i64, 0), m.argsort(f64), m.sum(i32, dtype=np.int32),
    ]


def test_reductions_x64(x64):
    dtypes = ["int32", "int64", "uint32", "float64", "complex128"]
    inputs = [rand((3, 4), dtype, seed=i) for i, dtype in enumerate(dtypes)]
    run_both(x64_reductions, inputs, jit=True)
    run_both(lambda m, x: [m.sum(x), m.mean(x, 0), m.cumsum(x, 1), m.argmax(x)], inputs[:1], jit=False)


# ----------------------------------------------------------------------------- axes, keepdims, shapes

AXIS_CASES = [
    ("sum_keepdims", (2, 3, 4), lambda m, x: [m.sum(x, keepdims=True), m.sum(x, (0, 2), keepdims=True)]),
    ("sum_axes", (2, 3, 4), lambda m, x: [m.sum(x, (2, 0)), m.sum(x, (-1, -2)), m.sum(x, ()), m.sum(x, [1])]),
    ("prod_neg", (2, 3, 4), lambda m, x: [m.prod(x, -2), m.prod(x, (0, -1), keepdims=True)]),
    ("max_min", (2, 3, 4), lambda m, x: [m.max(x, (0, 1)), m.min(x, -1, keepdims=True), m.amax(x, keepdims=True)]),
    ("mean_var_std", (2, 3, 4), lambda m, x: [m.mean(x, (0, 2)), m.var(x, -1, keepdims=True),
                                              m.std(x, (1, 2), ddof=1), m.var(x, correction=2)]),
    ("all_any", (2, 3, 4), lambda m, x: [m.all(x > -1, (0, 2)), m.any(x > 1, -1, keepdims=True)]),
    ("argmax_argmin", (2, 3, 4), lambda m, x: [m.argmax(x, -1), m.argmin(x, 1, keepdims=True),
                                               m.argmax(x, keepdims=True)]),
    ("cumulative", (2, 3, 4), lambda m, x: [m.cumsum(x, -2), m.cumprod(x, 2), m.cumulative_sum(x, axis=-1,
                                                                                               include_initial=True)]),
    ("nan", (2, 3, 4), lambda m, x: [m.nanmax(x, (0, 1), keepdims=True), m.nanmean(x, -1), m.nansum(x, (1, 2))]),
    ("median", (2, 3, 4), lambda m, x: [m.median(x), m.median(x, (0, 2)), m.median(x, -1, keepdims=True),
                                        m.median(x, (1, 2), keepdims=True)]),
    # JAX keeps a 0-d input's axis as (1,) (its quantile flattens first); a fuzzer finding.
    ("median_0d_keepdims", (), lambda m, x: [m.median(x, keepdims=True), m.median(x, axis=(), keepdims=True),
                                             m.median(m.vdot(x, x), keepdims=True)]),
    ("average", (2, 3, 4), lambda m, x: [m.average(x, (0, 2)), m.average(x, 1, weights=x[0, :, 0] ** 2),
                                         m.average(x, (2, 0), weights=m.abs(x[:, 0, :].T), returned=True),
                                         m.average(x, weights=m.abs(x), keepdims=True)]),
    ("ptp_count", (2, 3, 4), lambda m, x: [m.ptp(x, (0, 2)), m.count_nonzero(x > 0, -1, keepdims=True)]),
    ("diff", (2, 3, 4), lambda m, x: [m.diff(x, axis=1), m.diff(x, 3), m.diff(x, 0), m.diff(x > 0, axis=0),
                                      m.diff(x, prepend=1.0, append=x[..., :2])]),
    ("scalar_0d", (), lambda m, x: [m.sum(x), m.prod(x), m.max(x), m.mean(x), m.var(x), m.all(x), m.argmax(x),
                                    m.cumsum(x), m.cumprod(x), m.median(x), m.sum(x, keepdims=True),
                                    m.nanmax(x), m.count_nonzero(x), m.ptp(x), m.average(x)]),
    ("empty", (0, 3), lambda m, x: [m.sum(x), m.prod(x, 0), m.all(x), m.any(x, 1), m.max(x, 1), m.argmax(x, 1),
                                    m.cumsum(x, 0), m.mean(x, 1), m.nansum(x), m.count_nonzero(x, 0), m.diff(x, 1, 0),
                                    m.median(x, 1), m.sort(x, 0), m.argsort(x, 1)]),
    ("empty_mean", (2, 0), lambda m, x: [m.mean(x, 1), m.var(x, 1), m.nanmean(x), m.cumsum(x)]),
]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", AXIS_CASES, ids=[c[0] for c in AXIS_CASES])
def test_reduction_axes(case, jit):
    _, shape, fn = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's 'mean of empty slice' under jax
        run_both(fn, [rand(shape, nans=case[0] == "nan")], jit)


def where_initial_dtype(m, x, i, mask):
    return [
        m.sum(x, where=mask), m.sum(x, 1, initial=2.5, where=mask), m.prod(x, 0, where=mask),
        m.max(x, 1, initial=0.0, where=mask), m.min(i, initial=1), m.mean(x, 0, where=mask),
        m.var(x, where=mask, keepdims=True), m.std(x, 1, where=mask), m.all(x > 0, 0, where=mask),
        m.any(x > 0, where=mask), m.nansum(x, 1, where=mask), m.nanmax(x, 0, initial=-1.0, where=mask),
        m.sum(i, dtype=np.float32), m.sum(i, dtype=np.bool_), m.sum(x > 0, 1, dtype=np.uint8),
        m.prod(i, 1, dtype=m.int8),
        m.mean(i, 0, dtype=np.float16), m.sum(i.astype(m.int8), promote_integers=False), m.cumsum(i, 1, dtype=bool),
        m.cumsum(x > 0, 0), m.cumprod(x, dtype=np.float16), m.var(i, dtype=np.float32), m.sum(x, dtype=np.int32),
        m.nanmean(x, 1, dtype=np.float16), m.mean(x, where=mask[0]),
    ]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_where_initial_dtype(jit):
    run_both(where_initial_dtype, [rand((3, 4)), rand((3, 4), np.int32, seed=1), rand((3, 4), np.bool_, seed=2)], jit)


def test_python_scalars_and_numpy_inputs():
    check(jnp.sum(3), jjnp.sum(3), tolerance=ROUNDING)
    check(jnp.mean(2.5), jjnp.mean(2.5), tolerance=ROUNDING)
    check(jnp.prod(np.arange(1, 5, dtype=np.int8)), jjnp.prod(np.arange(1, 5, dtype=np.int8)))
    check(jnp.cumsum(np.int8(3)), jjnp.cumsum(np.int8(3)))
    check(jnp.max(np.float16(1.5)), jjnp.max(np.float16(1.5)))
    check(jnp.asarray(rand((2, 3))).sum(1), jjnp.asarray(rand((2, 3))).sum(1), tolerance=ROUNDING)  # the Array method
    check(jnp.asarray(rand((2, 3))).argmax(), jjnp.asarray(rand((2, 3))).argmax())


# ----------------------------------------------------------------------------- sorting

def sorting(m, x, i, keys):
    return [
        m.sort(x), m.sort(x, 0), m.sort(x, None), m.sort(x, descending=True), m.sort(i, -2, stable=False),
        m.argsort(i), m.argsort(i, 0), m.argsort(i, None), m.argsort(i, descending=True), m.argsort(x, 0),
        m.argsort(i, descending=True, stable=True, axis=0), m.argsort(i, dtype=np.int8),
        m.lexsort(keys), m.lexsort(keys[:1]), m.lexsort((keys[0], keys[1]), axis=0),
        m.searchsorted(m.sort(x[0]), x), m.searchsorted(m.sort(i[0]), i, side="right"),
        m.searchsorted(m.sort(i[0]), i[1, 0]), m.searchsorted(m.sort(x[:, 1]), x[1], side="right"),
        m.searchsorted(i[0], 1.5, sorter=m.argsort(i[0])), m.sort(x > 0, 1), m.argsort(x > 0, 1),
    ]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_sorting(jit):
    x = rand((4, 6), nans=True)
    x[1, 2] = x[1, 4] = 0.5  # ties
    run_both(sorting, [x, rand((4, 6), np.int32, seed=1), rand((3, 4, 6), np.int32, seed=2)], jit)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "float16", "complex64"])
def test_sorting_dtypes(dtype):
    run_both(lambda m, x: [m.sort(x), m.sort(x, 0, descending=True), m.argsort(x), m.argsort(x, 0, descending=True),
                           m.searchsorted(m.sort(x[0]), x)],
             [rand((3, 5), dtype)], jit=True)


def test_sort_matches_numpy():
    x = rand((5, 7), nans=True)
    np.testing.assert_array_equal(np.asarray(jnp.sort(x, 0)), np.sort(x, 0))
    i = rand((5, 7), np.int32)
    np.testing.assert_array_equal(np.asarray(jnp.argsort(i, kind=None)), np.argsort(i, kind="stable"))
    a = np.sort(rand((9,)))
    v = rand((4,), seed=3)
    np.testing.assert_array_equal(np.asarray(jnp.searchsorted(a, v)), np.searchsorted(a, v))


# ----------------------------------------------------------------------------- scipy.special, nn


def special_nn(s, n, x, b, mask):
    return [
        s.logsumexp(x), s.logsumexp(x, 1), s.logsumexp(x, (0, 1), keepdims=True), s.logsumexp(x, 0, b=b),
        s.logsumexp(x, 1, b=b, return_sign=True), s.logsumexp(x, 1, where=mask),
        s.logsumexp(np.full(3, -np.inf, np.float32)), s.expit(x), s.erf(x), n.logsumexp(x, 0),
        n.softmax(x), n.softmax(x, 0), n.softmax(x, where=mask), n.log_softmax(x), n.log_softmax(x, (0, 1)),
        n.log_softmax(x, where=mask), n.sigmoid(x), n.relu(x), n.softplus(x),
    ]


def special_nn_ints(s, n, p, labels):
    return [s.logit(p), s.erfinv(p), n.one_hot(labels, 4), n.one_hot(labels, 5, axis=0),
            n.one_hot(labels[0], 3, dtype=np.int32), n.relu(labels)]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_special_and_nn(jit):
    x, b, mask = rand((3, 4)) * 3, rand((3, 4), seed=1), rand((3, 4), np.bool_, seed=2)
    run_both(special_nn, [x, b, mask], jit, (jax.scipy.special, jax.nn), (mirax.scipy.special, mirax.nn))
    p = np.random.default_rng(3).random(5).astype(np.float32)
    run_both(special_nn_ints, [p, np.array([[0, 3], [1, 2]], np.int32)], jit, (jax.scipy.special, jax.nn),
             (mirax.scipy.special, mirax.nn))


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("fn, error", [
    (lambda m: m.sum(m.ones((2, 3)), axis=2), ValueError),
    (lambda m: m.mean(m.ones((2, 3)), axis=-3), ValueError),
    (lambda m: m.sum(m.ones(3), axis=1.0), TypeError),
    (lambda m: m.sum(m.ones(3), axis=(0, 0)), ValueError),
    (lambda m: m.sum(m.float32(1), axis=0), ValueError),
    (lambda m: m.argmax(m.ones((2, 3)), axis=2), ValueError),
    (lambda m: m.cumsum(m.ones((2, 3)), axis=-3), ValueError),
    (lambda m: m.max(m.ones((0, 2)), axis=0), ValueError),
    (lambda m: m.argmin(m.ones((0,))), ValueError),
    (lambda m: m.max(m.ones(3), where=m.ones(3, bool)), ValueError),
    (lambda m: m.sum(m.ones(3), where=m.ones(3)), ValueError),
    (lambda m: m.cumulative_sum(m.ones(())), ValueError),
    (lambda m: m.cumulative_sum(m.ones((2, 2))), ValueError),
    (lambda m: m.diff(m.ones(())), ValueError),
    (lambda m: m.diff(m.ones(3), -1), ValueError),
    (lambda m: m.sort(m.ones(())), ValueError),
    (lambda m: m.sort(m.ones(3), kind="quicksort"), TypeError),
    (lambda m: m.searchsorted(m.ones((2, 2)), 1.0), ValueError),
    (lambda m: m.lexsort(()), TypeError),
    (lambda m: m.sum([1, 2]), TypeError),
    (lambda m: m.var(m.ones(3), ddof=1, correction=1), ValueError),
], ids=lambda x: "" if isinstance(x, type) else None)
def test_errors_like_jax(fn, error):
    with pytest.raises((error, IndexError)):  # JAX's mean and argmax index the shape before checking
        fn(jjnp)
    with pytest.raises(error):
        fn(jnp)


def test_axis_error_names_source_line():
    with pytest.raises(ValueError, match="test_numpy_reductions.py") as info:
        mirax.jit(lambda x: jnp.sum(x, axis=3))(jnp.ones((2, 3)))
    assert "axis 3 is out of bounds for array of dimension 2" in str(info.value)


COMPLEX_ORDERED = [
    np.array([1 + 2j, 3 - 1j, 1 + 5j, 3 - 2j], np.complex64),  # ties in the real part
    np.array([[1 + 2j, -np.inf + 1j], [np.inf - 1j, 0j]], np.complex64),
    np.array([[2 + 1j, 2 + 1j], [-1 - 1j, -1 + 1j]], np.complex128),
]


@pytest.mark.parametrize("x", COMPLEX_ORDERED, ids=range(len(COMPLEX_ORDERED)))
@pytest.mark.parametrize("name", ["max", "min", "ptp"])
def test_complex_max_min_ptp_in_xla_order_as_jax(name, x, x64):
    """Complex numbers reduce by real part, then imaginary part, as XLA's order (JAX
    accepts them; mirax refused)."""
    for axis in (None, 0, -1):
        want = getattr(jjnp, name)(x, axis=axis)
        check(getattr(jnp, name)(x, axis=axis), want, f"{name} {axis}")
        check(mirax.jit(lambda x: getattr(jnp, name)(x, axis=axis))(x), want, f"jit {name} {axis}")
    check(mirax.vmap(getattr(jnp, name))(x.reshape(x.shape[0], -1)),
          jax.vmap(getattr(jjnp, name))(x.reshape(x.shape[0], -1)), f"vmap {name}")
