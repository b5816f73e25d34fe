"""jax.lax's remaining public functions and classes in mirax.lax, against JAX: shape
helpers (full, split, stack, tile, ...), elementwise ones (clz, population_count, mulhi,
select_n, reciprocal, reduce_precision), top_k and approx_max_k/approx_min_k,
associative_scan and cumlogsumexp, index_take and scatter_sub, ragged and scaled dot
products, and the functions that compute nothing of their own (optimization_barrier,
composite, platform_dependent, tokens, ...); jax.nn.get_scaled_dot_general_config. Values
and dtypes eagerly and under jit,
derivatives (check_grads, and jax.grad where JAX's rule is not the formula's), vmap
against a loop, JAX's errors."""
import dataclasses

import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
import mirax.numpy as mjnp
from mirax import lax
from mirax.test_util import check_grads
from oracle import ROUNDING, assert_close, check, check_vmap, rand


def both(fn, *inputs, jit=False, tolerance=ROUNDING):
    """fn(lax module, *inputs) for mirax (eagerly or jitted) against JAX's under jax.jit."""
    want = jax.jit(lambda *xs: fn(jlax, *xs))(*inputs)
    ours = lambda *xs: fn(lax, *xs)  # noqa: E731
    got = (mirax.jit(ours) if jit else ours)(*(mjnp.asarray(x) for x in inputs))
    check(got, want, getattr(fn, "__name__", ""), tolerance)
    return got, want


def shapes(l, x, i):
    """The shape helpers, on a float32 [2, 3, 4] and an int32 [4] array."""
    return (l.broadcast_to_rank(i, 3), l.broadcast_like(i, x), l.collapse(x, 1), l.collapse(x, 0, 2),
            l.full((2, 3), 1.5), l.full((2,), i[0], np.float32), l.full_like(x, 7),
            l.full_like(i, 2.5, np.float32, (3, 1)),
            *l.split(x, (1, 0, 3), axis=2), l.stack([i, i + 1], axis=1), *l.unstack(x, axis=2), l.tile(x, (2, 1, 3)),
            l.tile(i, (0,)))


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_shape_helpers(jit):
    x, i = rand((2, 3, 4), np.float32, seed=1), rand((4,), np.int32, seed=2)
    got, want = both(shapes, x, i, jit=jit)
    assert lax.broadcast_shapes((2, 1), (3,), ()) == jlax.broadcast_shapes((2, 1), (3,), ())
    for fn in (lambda l: l.full((2,), 1.0), lambda l: l.full_like(2.0, 3), lambda l: l.full((2,), np.float32(1))):
        assert fn(lax).weak_type == fn(jlax).weak_type
    check(lax.empty((2, 3), np.int32), jlax.empty((2, 3), np.int32))
    if not jit:
        check_grads(lambda x: (*lax.split(x, (1, 3), axis=2), lax.stack([x, x], 1), lax.tile(x, (1, 2, 1)),
                               lax.collapse(x, 1), lax.full_like(x, 2.0)), (x,), order=1)


def elementwise(l, i8, u8, i32, u32, w, f, g):
    return (l.clz(i8), l.clz(u8), l.clz(i32), l.population_count(i8), l.population_count(u32),
            l.mulhi(i8, i8[::-1]), l.mulhi(i32, i32[::-1]), l.mulhi(u32, u32[::-1]),
            l.select_n(w, f, g, f * 2), l.select_n(w > 0, f, g), l.select_n(True, f, g), l.reciprocal(g),
            *(l.reduce_precision(f, e, m) for e, m in ((5, 10), (8, 7), (4, 3), (5, 0), (11, 52))))


INTS = [np.array(v, dtype) for v, dtype in (([0, 1, -1, -128, 127, 5], np.int8), ([0, 1, 255, 128, 7, 16], np.uint8),
                                            ([0, 1, -1, 2**31 - 1, -2**31, 99], np.int32),
                                            ([0, 1, 2**32 - 1, 2**31, 12345, 7], np.uint32),
                                            ([0, 1, 2, -1, 5, 3], np.int32))]
FLOATS = [np.array([1.0001, 1e-40, 3e38, -3e38, np.nan, -np.inf], np.float32),
          np.array([0.1, 65519.0, 65520.0, 1e-5, -2.5e-8, 2.0], np.float32)]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_elementwise(jit):
    """Bits checked exactly (reduce_precision too: XLA's rounding, NaNs kept)."""
    both(elementwise, *INTS, *FLOATS, jit=jit, tolerance=None)
    if not jit:
        for dtype in (np.float16, ml_dtypes.bfloat16, np.float64):
            with np.errstate(over="ignore"):  # 65520 is past float16's largest value: inf
                x = FLOATS[1].astype(dtype)
            check(lax.reduce_precision(x, 4, 3), jlax.reduce_precision(x, 4, 3))
        # reduce_precision's derivative rounds the tangent (JAX's rule, not the formula's zero)
        f = lambda l: lambda x: (l.reduce_precision(x, 5, 2) * x).sum()  # noqa: E731
        assert_close(mirax.grad(f(lax))(FLOATS[1]), jax.grad(f(jlax))(FLOATS[1]))
        check_grads(lambda x, y: lax.select_n(mjnp.asarray(INTS[4]), x, y, x * y),
                    (rand((6,), np.float32, seed=1), rand((6,), np.float32, seed=2)), order=2)


def selections(l, x, idx, upd):
    dn = jlax.ScatterDimensionNumbers if l is jlax else lax.ScatterDimensionNumbers
    return (*l.top_k(x, 3), *l.top_k(x, 2, axis=0), *l.approx_max_k(x, 2), *l.approx_min_k(x, 3, 0),
            l.index_take(x, (idx, idx[::-1]), (0, 1)), l.scatter_sub(x, idx[:, None] % 4, upd, dn((1,), (0,), (0,))))


def scans(l, x):
    return (l.cumlogsumexp(x, 1), l.cumlogsumexp(x, 0, reverse=True),
            *l.associative_scan(lambda a, b: (a[0] + b[0], a[1] * b[1]), (x, x), reverse=True, axis=1))


def test_scans_and_selections():
    """The selections eagerly and under jit, the scans (many small ops) under jit."""
    x = rand((4, 7), np.float32, seed=3)
    idx, upd = np.array([0, 3, -1, 9, 2], np.int32), rand((5, 7), np.float32, seed=4)
    for jit in (False, True):
        both(selections, x, idx, upd, jit=jit)
    both(scans, x, jit=True)
    y = np.array([1.0, np.nan, 3.0, 3.0, -np.inf], np.float32)
    check(lax.top_k(y, 3), jlax.top_k(y, 3))
    for shape, k, recall in (((2, 2000), 2, 0.95), ((3, 300), 40, 0.5)):
        y = rand(shape, np.float32, seed=5)
        check(lax.approx_max_k(y, k, recall_target=recall, aggregate_to_topk=False),
              jlax.approx_max_k(y, k, recall_target=recall, aggregate_to_topk=False))


def test_scan_derivatives():
    """cumlogsumexp (an associative scan, as JAX differentiates it) and index_take in both
    modes (top_k's derivative is sort's, tested with sort)."""
    x = rand((3, 5), np.float32, seed=6)
    for f in (lambda x: lax.cumlogsumexp(x, 1), lambda x: lax.index_take(x, (np.array([2, 0]),), (0,))):
        check_grads(mirax.jit(f), (x,), order=1, rtol=2e-2, atol=2e-2)


def test_vmap():
    x = rand((3, 4, 5), np.float32, seed=7)
    w = rand((3, 4, 5), np.int32, seed=8) % 3

    def f(l, x, w):
        return l.top_k(x, 2)[0], l.cumlogsumexp(x, 1), l.select_n(w, x, -x, x * 2), l.reduce_precision(x, 5, 4)

    check_vmap(f, (x, w), 0)


# ----------------------------------------------------------------------------- products


def products(l, a, b, gs, x, y, gs2, p, q, eager=False):
    if eager:  # op by op: the basic forms only
        return l.ragged_dot(a, b, gs), l.scaled_dot(x, y.repeat(4, 1))
    contracting = l.RaggedDotDimensionNumbers((([1], [0]), ([], [])), [1], [])
    batch = l.RaggedDotDimensionNumbers((([2], [1]), ([0], [0])), [0], [])
    return (l.ragged_dot(a, b, gs), l.ragged_dot(a, b, gs[::-1], preferred_element_type=np.float32),
            l.ragged_dot_general(x, y, gs2, contracting), l.ragged_dot_general(p, q, gs2, batch),
            l.scaled_dot(x, y.repeat(4, 1)), l.scaled_dot(a, b[0], lhs_scale=np.full((4, 1), 2.0, np.float32),
                                                         preferred_element_type=np.float32))


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_products(jit):
    a, b = rand((4, 6), np.float32, seed=9), rand((2, 6, 3), np.float32, seed=10)
    x, y = rand((3, 4), np.float32, seed=11), rand((4, 2), np.float32, seed=12)
    p, q = rand((3, 2, 4), np.float32, seed=13), rand((3, 4, 2), np.float32, seed=14)
    both(lambda l, *args: products(l, *args, eager=not jit), a, b, np.array([1, 2], np.int32), x, y,
         np.array([1, 2], np.int32), p, q, jit=jit, tolerance={**ROUNDING, "V2": 1e-2})
    if not jit:
        gs = np.array([3, 1], np.int32)
        check_grads(lambda a, b: lax.ragged_dot(a, b, gs), (a, b), order=1)
        with pytest.raises(NotImplementedError) as want:
            jax.grad(lambda a: jlax.scaled_dot(a, b[0], preferred_element_type=np.float32).sum())(a)
        with pytest.raises(NotImplementedError) as got:
            mirax.grad(lambda a: lax.scaled_dot(a, b[0], preferred_element_type=np.float32).sum())(a)
        assert str(want.value) in str(got.value)


def test_dot_classes():
    for name in ("highest", "float32", "bfloat16_3x", "fastest", None):
        assert str(lax.Precision(name)) == str(jlax.Precision(name))
    assert repr(lax.Precision.HIGH) == repr(jlax.Precision.HIGH)
    for mine, theirs in zip(lax.DotAlgorithmPreset, jlax.DotAlgorithmPreset, strict=True):
        assert (mine.name, mine.value, str(mine), repr(mine)) == (theirs.name, theirs.value, str(theirs), repr(theirs))
        assert (mine.supported_lhs_types, mine.accumulation_type) == (theirs.supported_lhs_types,
                                                                      theirs.accumulation_type)
        for dtype in (np.float16, np.float32):
            assert mine.supported_output_types(dtype, dtype) == theirs.supported_output_types(dtype, dtype)
    assert lax.DotAlgorithm(np.float16, np.float16, np.float32)._fields == jlax.DotAlgorithm._fields
    dn = lax.RaggedDotDimensionNumbers([[[1], [1]], [[], []]], [0], [0])
    assert dn.dot_dimension_numbers == (((1,), (1,)), ((), ())) and dn.rhs_group_dimensions == (0,)
    assert [(m.name, m.value, str(m)) for m in lax.RandomAlgorithm] == [(m.name, m.value, str(m))
                                                                         for m in jlax.RandomAlgorithm]
    assert [(m.name, m.value) for m in lax.AccuracyMode] == [(m.name, m.value) for m in jlax.AccuracyMode]
    for mode in ("mxfp8", "nvfp4"):
        mine, theirs = mirax.nn.get_scaled_dot_general_config(mode), jax.nn.get_scaled_dot_general_config(mode)
        without_scale = [repr(dataclasses.replace(c, global_scale=None)) for c in (mine, theirs)]
        assert without_scale[0] == without_scale[1]
        if theirs.global_scale is not None:
            check(mine.global_scale, theirs.global_scale)
    with pytest.raises(ValueError, match="Unsupported mode: int8"):
        mirax.nn.get_scaled_dot_general_config("int8")


# ----------------------------------------------------------------------------- what computes nothing of its own


def test_no_computation():
    x = rand((3,), np.float32)
    check(mirax.jit(lambda x: lax.optimization_barrier((x, x + 1)))(x),
          jax.jit(lambda x: jlax.optimization_barrier((x, x + 1)))(x))
    assert lax.dce_sink(x) is None and jlax.dce_sink(x) is None
    check(lax.stage(x), jlax.stage(x))
    check(lax.shape_as_value((2, 3)), jlax.shape_as_value((2, 3)))
    assert type(lax.after_all(lax.create_token(), lax.create_token())).__name__ == "Token"
    assert lax.dtype(1.0) == jlax.dtype(1.0) and lax.dtype(np.int8(1)) == jlax.dtype(np.int8(1))
    double = (lambda l: l.composite(lambda x, *, k: x * k, name="my.scale"))
    check(mirax.jit(lambda x: double(lax)(x, k=3.0))(x), double(jlax)(x, k=3.0))
    with pytest.raises(ValueError) as want:
        jax.grad(lambda x: double(jlax)(x, k=3.0))(1.0)
    with pytest.raises(ValueError) as got:
        mirax.grad(lambda x: double(lax)(x, k=3.0))(1.0)
    assert str(want.value) in str(got.value)
    for kwargs in ({"cpu": lambda x: x + 1, "default": lambda x: x - 1}, {"cuda": lambda x: x + 1,
                                                                          "default": lambda x: x - 1}):
        check(lax.platform_dependent(x, **kwargs), jlax.platform_dependent(x, **kwargs))
    with pytest.raises(NotImplementedError) as want:
        jlax.platform_dependent(x, cuda=lambda x: x)
    with pytest.raises(NotImplementedError) as got:
        lax.platform_dependent(x, cuda=lambda x: x)
    assert str(want.value) in str(got.value)
    for call in (lambda: lax.rng_uniform(0.0, 1.0, (2,)), lambda: lax.rng_bit_generator(np.zeros(4, np.uint32), (2,))):
        with pytest.raises(NotImplementedError, match="mirax.random"):
            call()


@pytest.mark.parametrize("call", [
    lambda l, x: l.split(x, (2, 2)),
    lambda l, x: l.split(x, (2, -1, 4)),
    lambda l, x: l.stack([x, x[:2]]),
    lambda l, x: l.stack([x, x.astype(np.int32)]),
    lambda l, x: l.tile(x, (2, 2)),
    lambda l, x: l.collapse(x.reshape(1, 5), 2, 1),
    lambda l, x: l.full((2,), x),
    lambda l, x: l.select_n(x, x),
    lambda l, x: l.select_n(x > 0, x, x, x),
    lambda l, x: l.select_n(x[:2] > 0, x),
    lambda l, x: l.top_k(x, -1),
    lambda l, x: l.top_k(x, 6),
    lambda l, x: l.approx_max_k(x, 6),
    lambda l, x: l.approx_min_k(x.astype(np.int32), 2),
    lambda l, x: l.reduce_precision(x, 0, 2),
    lambda l, x: l.reduce_precision(x, 3, -1),
    lambda l, x: l.cumlogsumexp(x, 1),
    lambda l, x: l.scaled_dot(x, x),
    lambda l, x: l.broadcast_shapes((2,), (3,)),
    lambda l, x: l.Tolerance(),
])
def test_errors(call):
    """JAX's error class, and its message within mirax's."""
    x = rand((5,), np.float32)
    with pytest.raises(Exception) as want:
        call(jlax, jjnp.asarray(x))
    with pytest.raises(want.type) as got:
        call(lax, mjnp.asarray(x))
    assert str(want.value).strip() in str(got.value), (str(got.value), str(want.value))
