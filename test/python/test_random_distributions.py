"""mirax.random's distributions against jax.random's (the oracle): the same key gives
the same values.

Tolerances: integer samplers (and those whose floats are integers: geometric, poisson,
binomial, multinomial, rademacher) bit for bit; floats within `ulps` units in the
last place where mirax computes JAX's expression with XLA:CPU's own formulas (0
for the uniform-based samplers, 1 where a normal enters, whose erf_inv may differ in
the last bit, 4 to 8 for the gamma rejection samplers, whose normals feed a cube);
where an exp or a QR magnifies those bits (pareto, chisquare, beta, f, dirichlet,
generalized_normal, ball, orthogonal, multivariate_normal), a relative tolerance
`rtol` (and an absolute one below float32's normal range, which XLA flushes to 0).
Each sampler runs with three keys (typed and raw; under the legacy layout the typed
ones), compiled once per shape.
"""
import jax
import numpy as np
import pytest
from jax import random as jr

import mirax
from mirax import random as mr
from mirax.test_util import check_grads
from test_random import check, key_pairs, threefry_layout

A = np.array([0.3, 1.0, 2.5, 7.0, 0.05], np.float32)  # gamma shapes: boosted (< 1) and not
A2 = np.tile(A, (3, 1))
P = np.array([0.1, 0.5, 0.9, 0.01, 0.3], np.float32)
N = np.array([5.0, 20.0, 100.0, 1000.0, 3.0], np.float32)  # with P: inversion and BTRS, p above and below 1/2
LAM = np.array([0.0, 0.5, 3.0, 9.9, 10.0, 25.0, 400.0, np.nan], np.float32)
COV = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 1.5]], np.float32)
MEAN = np.array([1.0, -2.0, 0.5], np.float32)
SHAPE = (3, 5)


def close(got, want, rtol, atol=np.finfo(np.float32).tiny, label=""):
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype), (label, got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=label)


# (name, draw(random module, key), ("ulps", n) or ("rtol", rtol[, atol]), run under the legacy layout too)
SAMPLES = [
    ("cauchy", lambda r, k: r.cauchy(k, SHAPE), ("ulps", 0), True),
    ("laplace", lambda r, k: r.laplace(k, SHAPE), ("ulps", 0), True),
    ("logistic", lambda r, k: r.logistic(k, SHAPE), ("ulps", 0), False),
    ("pareto", lambda r, k: r.pareto(k, A, SHAPE), ("rtol", 1e-5), False),
    ("rademacher", lambda r, k: r.rademacher(k, SHAPE), ("ulps", 0), True),
    ("rademacher float", lambda r, k: r.rademacher(k, (7,), np.float32), ("ulps", 0), False),
    ("maxwell", lambda r, k: r.maxwell(k, SHAPE), ("ulps", 1), False),
    ("double_sided_maxwell", lambda r, k: r.double_sided_maxwell(k, 1.5, np.array([0.5, 2.0], np.float32), (3,)),
     ("ulps", 1), False),
    ("double_sided_maxwell no shape", lambda r, k: r.double_sided_maxwell(k, 0.0, 1.0), ("ulps", 1), False),
    ("weibull_min", lambda r, k: r.weibull_min(k, 2.0, 1.7, SHAPE), ("ulps", 0), False),
    ("rayleigh", lambda r, k: r.rayleigh(k, A, SHAPE), ("ulps", 0), False),
    ("wald", lambda r, k: r.wald(k, A, SHAPE), ("ulps", 1), True),
    ("geometric", lambda r, k: r.geometric(k, P, SHAPE), ("ulps", 0), True),
    ("triangular", lambda r, k: r.triangular(k, -1.0, np.array([-1.0, 0.0, 0.5, 2.0, 1.9], np.float32), 2.0, SHAPE),
     ("ulps", 0), False),
    ("lognormal", lambda r, k: r.lognormal(k, 0.7, SHAPE), ("ulps", 1), False),
    # The samplers built on gamma share its programs (one per shape, dtype and log
    # space), which take long to compile: all draw gamma samples of SHAPE.
    ("gamma", lambda r, k: r.gamma(k, A, SHAPE), ("ulps", 4), False),
    # log d + log v + log(u) / a cancels: ulps of the terms, not of the sum.
    ("loggamma", lambda r, k: r.loggamma(k, A, SHAPE), ("rtol", 2e-6, 1e-6), False),
    ("t", lambda r, k: r.t(k, A, SHAPE), ("ulps", 8), False),
    ("chisquare", lambda r, k: r.chisquare(k, A, SHAPE), ("rtol", 2e-5), False),
    ("f", lambda r, k: r.f(k, A2, 3.0), ("rtol", 2e-5), False),
    ("beta", lambda r, k: r.beta(k, A, 2.0, SHAPE), ("rtol", 2e-5), False),
    ("dirichlet", lambda r, k: r.dirichlet(k, A2), ("rtol", 2e-5), False),
    ("generalized_normal", lambda r, k: r.generalized_normal(k, 1.5, SHAPE), ("rtol", 2e-5), False),
    ("ball", lambda r, k: r.ball(k, 5, 1.5, (3,)), ("rtol", 2e-5), False),
    ("ball p=2", lambda r, k: r.ball(k, 5, shape=(3,)), ("rtol", 2e-5), False),
    ("binomial", lambda r, k: r.binomial(k, N, np.array([0.3, 0.7, 0.5, 0.1, 0.9], np.float32), SHAPE), ("ulps", 0),
     False),
    # NaN for a NaN or negative n or a NaN p; inf for an infinite n (the same program).
    ("binomial invalid", lambda r, k: r.binomial(k, np.array([np.nan, -1.0, np.inf, 4.0, 30.0], np.float32),
                                                 np.array([0.5, 0.5, 0.5, np.nan, 0.6], np.float32), SHAPE),
     ("ulps", 0), False),
    # Knuth below lam = 10, rejection (with lax.lgamma) above; lam = 0 and NaN.
    ("poisson", lambda r, k: r.poisson(k, LAM, (3, 8)), ("ulps", 0), True),
    ("multinomial", lambda r, k: r.multinomial(k, 30.0, np.array([0.2, 0.3, 0.5], np.float32), shape=(4, 3)),
     ("ulps", 0), False),
    ("multivariate_normal", lambda r, k: r.multivariate_normal(k, MEAN, COV, (4,)), ("rtol", 2e-6), False),
    # mirax's QR is not LAPACK's: absolute errors of a few float32 ulps of 1.
    ("orthogonal", lambda r, k: r.orthogonal(k, 4, (2,)), ("rtol", 1e-5, 1e-6), False),
    ("orthogonal n < m", lambda r, k: r.orthogonal(k, 3, m=5), ("rtol", 1e-5, 1e-6), False),
]


@pytest.mark.parametrize("name,draw,tolerance,partitionable", [
    pytest.param(name, draw, tolerance, partitionable, id=f"{name}-{'partitionable' if partitionable else 'legacy'}")
    for name, draw, tolerance, both in SAMPLES for partitionable in ((True, False) if both else (True,))])
def test_sampler(name, draw, tolerance, partitionable):
    kind, *amounts = tolerance
    with threefry_layout(partitionable):
        # a raw key (uint32[2], a program of its own) under the default layout only
        for key, jkey in key_pairs() if partitionable else key_pairs()[:2]:
            got, want = draw(mr, key), draw(jr, jkey)
            if kind == "ulps":
                check(got, want, *amounts, label=f"{name} {key!r}")
            else:
                close(got, want, *amounts, label=f"{name} {key!r}")


def test_under_jit_and_vmap():
    """Samplers under jit, and vmapped over keys (t: gamma's loops batched), against
    JAX's; vmap agrees with a loop over the keys. (Each sampler runs jitted anyway; an
    outer jit of gamma's loops would only compile them once more.)"""
    def draws(random):
        def fn(key):
            k1, k2, k3 = random.split(key, 3)
            return random.wald(k1, A), random.geometric(k2, P), random.t(k3, A2)
        return fn

    key, jkey = key_pairs()[0]
    for got, want, ulps in zip(mirax.jit(lambda k: draws(mr)(k)[:2])(key), draws(jr)(jkey)[:2], (1, 0), strict=True):
        check(got, want, ulps)
    keys, jkeys = mr.split(mr.key(7), 3), jr.split(jr.key(7), 3)
    batched, jbatched = mirax.vmap(draws(mr))(keys), jax.vmap(draws(jr))(jkeys)
    for got, want, ulps in zip(batched, jbatched, (1, 0, 8), strict=True):
        check(got, want, ulps)
    for i in range(3):
        for got, want in zip(batched, draws(mr)(keys[i]), strict=True):
            check(got[i], want)


def test_64_bit(x64):
    for key, jkey in key_pairs()[:2]:
        check(mr.laplace(key, (7,), np.float64), jr.laplace(jkey, (7,), np.float64))
        check(mr.geometric(key, P, (2, 5)), jr.geometric(jkey, P, (2, 5)))


# ----------------------------------------------------------------------------- derivatives

# (name, sampler of a parameter given a key)
DIFFERENTIABLE = [
    ("wald", lambda r, k, x: r.wald(k, x, (4,)), 1.3),
    ("lognormal", lambda r, k, x: r.lognormal(k, x, (4,)), 0.6),
    ("weibull_min", lambda r, k, x: r.weibull_min(k, 2.0, x, (4,)), 1.7),
    ("pareto", lambda r, k, x: r.pareto(k, x, (4,)), 2.5),
    ("rayleigh", lambda r, k, x: r.rayleigh(k, x, (4,)), 1.5),
    ("triangular", lambda r, k, x: r.triangular(k, -1.0, x, 2.0, (4,)), 0.5),
    ("double_sided_maxwell", lambda r, k, x: r.double_sided_maxwell(k, x, 2.0 * x, (4,)), 0.8),
    ("multivariate_normal", lambda r, k, x: r.multivariate_normal(k, MEAN * x, COV * x, (2,)), 1.2),
]


@pytest.mark.parametrize("name,sampler,x", DIFFERENTIABLE, ids=[d[0] for d in DIFFERENTIABLE])
def test_gradients(name, sampler, x):
    x = np.float32(x)
    got = mirax.grad(lambda x: sampler(mr, mr.key(5), x).sum())(x)
    want = jax.grad(lambda x: sampler(jr, jr.key(5), x).sum())(x)
    close(got, want, 1e-5, label=name)
    if name in ("wald", "multivariate_normal"):  # and against finite differences, in reverse mode
        check_grads(lambda x: sampler(mr, mr.key(5), x), (x,), order=1, modes=("rev",), atol=2e-2, rtol=2e-2)


def test_gamma_derivatives():
    """gamma's implicit reparameterization gradient (lax.random_gamma_grad), in linear
    and in log space (beta), against JAX's; a constant parameter differentiates as a
    constant. (Not against finite differences: a rejection sample jumps with a.)"""
    a = np.float32(1.3)
    for name, sampler in (("gamma", lambda r, k, a: r.gamma(k, a * A, SHAPE)),
                          ("beta", lambda r, k, a: r.beta(k, a * A, 2.0, SHAPE))):
        got = mirax.grad(lambda a: sampler(mr, mr.key(2), a).sum())(a)
        want = jax.grad(lambda a: sampler(jr, jr.key(2), a).sum())(a)
        close(got, want, 1e-4, label=name)
    got = mirax.grad(lambda x: (x * mr.gamma(mr.key(2), A, SHAPE)).sum())(np.float32(1.5))
    want = jax.grad(lambda x: (x * jr.gamma(jr.key(2), A, SHAPE)).sum())(np.float32(1.5))
    check(got, want, ulps=4)


# ----------------------------------------------------------------------------- keys and errors


def test_key_dtype_and_clone():
    assert mr.key_dtype() == mr.key(0).dtype and str(mr.key_dtype()) == str(jr.key_dtype()) == "key<fry>"
    assert mr.key_dtype("threefry2x32") == mr.key_dtype()
    with pytest.raises(ValueError, match="unrecognized PRNG implementation"):
        mr.key_dtype("nope")
    key = mr.key(4)
    check(mr.uniform(mr.clone(key), (3,)), jr.uniform(jr.clone(jr.key(4)), (3,)))
    check(mr.clone(mr.PRNGKey(4)), jr.clone(jr.PRNGKey(4)))


def test_errors():
    for random in (mr, jr):
        k = random.key(0)
        with pytest.raises(ValueError, match="broadcast-compatible with shape argument"):
            random.gamma(k, np.ones(3, np.float32), (2, 1))
        with pytest.raises(ValueError, match=r"Incompatible shapes for broadcasting: shapes=\[\(2,\), \(3,\)\]"):
            random.gamma(k, np.ones(3, np.float32), (2,))
        with pytest.raises(ValueError, match="broadcast-compatible with shape argument"):
            random.beta(k, np.ones(3, np.float32), 1.0, (2, 1))
        with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
            random.triangular(k, np.zeros(2), np.ones(3), 2.0)
        with pytest.raises(ValueError, match="dtype argument to `cauchy` must be a float dtype, got int32"):
            random.cauchy(k, (2,), np.int32)
        with pytest.raises(ValueError, match="dtype argument to `geometric` must be an int dtype, got float32"):
            random.geometric(k, 0.5, (2,), np.float32)
        with pytest.raises(ValueError, match="cannot safely cast argument of type complex64 to float32"):
            random.pareto(k, np.complex64(1))
        with pytest.raises(ValueError, match="dirichlet requires alpha.ndim >= 1"):
            random.dirichlet(k, 1.0)
        with pytest.raises(ValueError, match="method must be one of"):
            random.multivariate_normal(k, MEAN, COV, method="qr")
        with pytest.raises(ValueError, match=r"requires cov.shape == \(..., n, n\) for n=3"):
            random.multivariate_normal(k, MEAN, COV[:2])
        with pytest.raises(ValueError, match="accepts a single key"):
            random.gamma(random.split(k), 1.0)
    for method in ("svd", "eigh"):
        with pytest.raises(NotImplementedError, match=f"method='{method}'"):
            mr.multivariate_normal(mr.key(0), MEAN, COV, method=method)
