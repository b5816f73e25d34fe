"""float32 reductions at large sizes are as accurate as JAX's (issue 16, item 1).

A single running float32 accumulator stops growing at 2^24 and its error grows like n;
mirax folds sums as trees (dialect/reduction.py), contracts in blocks of K
(dialect/dot.py, passes/mirax_vectorize_matmul.py) and scans by blocks. Each case
measures the relative error of mirax's result and of JAX's against float64 NumPy and
asserts that mirax's is within twice JAX's, plus one float32 epsilon: errors of an
ulp or so are rounding noise in both (a correctly rounded result is off by up to half
an ulp), while the defect was off by 10^-5 to 1/2.
"""
import jax
import jax.numpy as jjnp
import jax.scipy.special as jspecial
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
import mirax.scipy.special as mspecial

EPS = float(np.finfo(np.float32).eps)


def relative_error(got, reference):
    """max |got - reference| over max |reference| (positive data: no cancellation)."""
    got = np.asarray(got, np.float64)
    assert got.shape == reference.shape
    return float(np.max(np.abs(got - reference)) / np.max(np.abs(reference)))


def uniform(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 1.0, shape).astype(np.float32)


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


# name: (fn(numpy-like module, special module, *inputs), inputs, float64 reference)
CASES = {
    "sum 2^22": (lambda xp, sp, x: xp.sum(x), lambda: [uniform(2**22)], lambda x: np.sum(x)),
    "sum axis 0 of 2^16 x 64": (lambda xp, sp, x: xp.sum(x, axis=0), lambda: [uniform(2**16, 64)],
                                lambda x: np.sum(x, axis=0)),
    "sum axis 1 of 64 x 2^16": (lambda xp, sp, x: xp.sum(x, axis=1), lambda: [uniform(64, 2**16)],
                                lambda x: np.sum(x, axis=1)),
    "sum of 1000003": (lambda xp, sp, x: xp.sum(x), lambda: [uniform(1000003)], lambda x: np.sum(x)),
    "mean 2^22": (lambda xp, sp, x: xp.mean(x), lambda: [uniform(2**22)], lambda x: np.mean(x)),
    "var 2^20": (lambda xp, sp, x: xp.var(x), lambda: [normal(2**20)], lambda x: np.var(x)),
    "std 2^20": (lambda xp, sp, x: xp.std(x), lambda: [normal(2**20)], lambda x: np.std(x)),
    "dot 2^22": (lambda xp, sp, x, y: xp.dot(x, y), lambda: [uniform(2**22), uniform(2**22, seed=1)],
                 lambda x, y: np.dot(x, y)),
    "matmul 8x65536x16": (lambda xp, sp, a, b: a @ b, lambda: [uniform(8, 2**16), uniform(2**16, 16, seed=1)],
                          lambda a, b: a @ b),
    "matmul 3x65536x5": (lambda xp, sp, a, b: a @ b, lambda: [uniform(3, 2**16), uniform(2**16, 5, seed=1)],
                         lambda a, b: a @ b),
    "batched matmul 2x3x20000x2": (lambda xp, sp, a, b: a @ b,
                                   lambda: [uniform(2, 3, 20000), uniform(2, 20000, 2, seed=1)], lambda a, b: a @ b),
    "cumsum 2^20": (lambda xp, sp, x: xp.cumsum(x), lambda: [uniform(2**20)], lambda x: np.cumsum(x)),
    "cumsum axis 0 of 3000 x 7": (lambda xp, sp, x: xp.cumsum(x, axis=0), lambda: [uniform(3000, 7)],
                                  lambda x: np.cumsum(x, axis=0)),
    "logsumexp 2^22": (lambda xp, sp, x: sp.logsumexp(x), lambda: [uniform(2**22)],
                       lambda x: np.log(np.sum(np.exp(x)))),
    "norm 2^22": (lambda xp, sp, x: xp.linalg.norm(x), lambda: [uniform(2**22)], lambda x: np.sqrt(np.sum(x * x))),
}


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", list(CASES))
def test_error_within_twice_jax(name, jit):
    fn, make_inputs, reference = CASES[name]
    inputs = make_inputs()
    want = reference(*(np.asarray(x, np.float64) for x in inputs))

    def run(api, xp, sp):
        f = lambda *args: fn(xp, sp, *args)  # noqa: E731
        return (api.jit(f) if jit else f)(*inputs)

    got, oracle = run(mirax, mjnp, mspecial), run(jax, jjnp, jspecial)
    assert np.asarray(got).dtype == np.asarray(oracle).dtype == np.float32
    error, oracle_error = relative_error(got, want), relative_error(oracle, want)
    assert error <= 2 * oracle_error + EPS, (name, error, oracle_error)


def test_grad_of_sum_of_squares():
    """jit(grad) reduces the broadcast scalar's cotangent: d/dw sum((w x)^2) = 2 w sum(x^2)."""
    x = uniform(2**22)
    loss = lambda xp: lambda w: xp.sum((w * x) ** 2)  # noqa: E731
    want = 2 * 1.5 * np.sum(np.asarray(x, np.float64) ** 2)
    got, oracle = mirax.jit(mirax.grad(loss(mjnp)))(np.float32(1.5)), jax.jit(jax.grad(loss(jjnp)))(np.float32(1.5))
    error, oracle_error = relative_error(got, np.float64(want)), relative_error(oracle, np.float64(want))
    assert error <= 2 * oracle_error + EPS, (error, oracle_error)


def test_grad_of_matmul_over_a_long_batch():
    """The weight gradient of a linear layer contracts over the batch (K = 2^16)."""
    x, w = uniform(2**16, 8), uniform(8, 4, seed=1)
    loss = lambda xp: lambda w: xp.sum((x @ w) ** 2) / 2  # noqa: E731
    x64 = np.asarray(x, np.float64)
    want = x64.T @ (x64 @ w)
    got, oracle = mirax.jit(mirax.grad(loss(mjnp)))(w), jax.jit(jax.grad(loss(jjnp)))(w)
    error, oracle_error = relative_error(got, want), relative_error(oracle, want)
    assert error <= 2 * oracle_error + EPS, (error, oracle_error)


def test_past_two_to_the_24():
    """The issue's examples: a single float32 accumulator stops at 2^24 = 16777216."""
    ones = np.ones(2**25, np.float32)
    for fn in (lambda xp: xp.sum, lambda xp: xp.mean, lambda xp: lambda x: xp.dot(x, x)):
        want = jax.jit(fn(jjnp))(ones)
        for got in (fn(mjnp)(ones), mirax.jit(fn(mjnp))(ones)):
            assert np.asarray(got).dtype == np.float32 and float(got) == float(want), (float(got), float(want))


@pytest.mark.parametrize("fn", [
    lambda xp: xp.sum(xp.zeros((0, 131), np.float32), axis=1),
    lambda xp: xp.sum(xp.zeros((131, 0), np.float32), axis=0),
    lambda xp: xp.dot(xp.zeros((0, 300), np.float32), xp.ones((300, 5), np.float32)),
    lambda xp: xp.cumsum(xp.zeros((0, 100), np.float32), axis=1),
], ids=["sum rows of none", "sum of no columns", "matmul of no rows", "cumsum of no rows"])
def test_long_axes_beside_empty_dimensions(fn):
    """Trees and blocks cut the long axis; an empty dimension beside it leaves nothing to cut."""
    got, want = fn(mjnp), fn(jjnp)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
