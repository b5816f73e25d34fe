"""mirax.scipy.stats against jax.scipy.stats: every method of every distribution on a
table of points inside, outside and at the edges of the support, with loc and scale
(float32 eagerly and under jit, float64 under x64); derivatives of the log densities
(check_grads to order 2, order 1 through the incomplete gamma and beta functions); vmap
against a loop; JAX's errors.

Tolerances as test_scipy_special.py's (relative and absolute): float32 4e-5, float64
2e-12; the formulas are JAX's over mirax.scipy.special.
"""
import jax.scipy.stats as jst
import numpy as np
import pytest

import mirax
import mirax.scipy.stats as mst
from mirax.test_util import check_grads
from oracle import check_vmap, run_both

TOLERANCE = {"f4": 4e-5, "f8": 2e-12}

X = np.array([-np.inf, -3.0, -1.0, -0.2, 0.0, 0.25, 0.5, 0.999, 1.0, 1.7, 4.0, 25.0, np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-6, 0.05, 0.3, 0.5, 0.8, 0.999, 1.0, 1.2, np.nan])
K = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 7.0, 10.0, 11.0, 40.0, np.nan])

# distribution: (shape parameters, loc and scale or None where there are none, x-like inputs)
CONTINUOUS = {
    "norm": ((), True), "expon": ((), True), "uniform": ((), True), "laplace": ((), True),
    "logistic": ((), True), "cauchy": ((), True), "t": ((3.0,), True), "beta": ((2.0, 3.0), True),
    "gamma": ((2.5,), True), "chi2": ((3.0,), True), "pareto": ((2.0,), True), "truncnorm": ((-1.0, 2.0), True),
    "gennorm": ((1.5,), False), "vonmises": ((2.0,), False), "wrapcauchy": ((0.5,), False),
    "gumbel_r": ((), True), "gumbel_l": ((), True),
}
DISCRETE = {
    "poisson": ((3.0,), True), "bernoulli": ((0.3,), True), "binom": ((10.0, 0.3), True), "geom": ((0.3,), True),
    "nbinom": ((4.0, 0.3), True), "betabinom": ((10.0, 2.0, 3.0), True),
}
METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "logpmf", "pmf"]


# At -inf cauchy's cdf 0.5 + atan(-inf) / pi is a rounding of 0 to either side (XLA's
# float32 6e-9, float64 -1e-17), and so is its sf at inf: their logs are no values to compare.
SKIP_POINTS = {"cauchy": [-np.inf, np.inf],
               # XLA's exp saturates below inf: JAX's gumbel_r.logpdf(-inf) (-(z + exp(-z))) is inf, and
               # gumbel_l's at inf too, where IEEE's inf - inf (mirax's) is NaN.
               "gumbel_r": [-np.inf], "gumbel_l": [np.inf]}


def _cases():
    """(label, distribution, method, arguments): each method JAX has, at the standard
    loc and scale, and the log density and cdf at loc = 0.5, scale = 2 where the
    distribution has them."""
    cases = []
    for table, points in ((CONTINUOUS, X), (DISCRETE, K)):
        for dist, (shape, has_loc_scale) in table.items():
            for method in METHODS:
                if not hasattr(getattr(jst, dist), method):
                    continue
                x = Q if method in ("ppf", "isf") else points[~np.isin(points, SKIP_POINTS.get(dist, []))]
                cases.append((f"{dist}.{method}", dist, method, [x, *map(np.array, shape)]))
                # bernoulli's cdf and ppf take no loc
                if has_loc_scale and method in ("logpdf", "logpmf"):
                    extra = [np.array(0.5)] if table is DISCRETE else [np.array(0.5), np.array(2.0)]
                    cases.append((f"{dist}.{method}_loc", dist, method, [x, *map(np.array, shape), *extra]))
    return cases


CASES = _cases()


def _together(cases):
    def together(stats, *xs):
        out, i = [], 0
        for _, dist, method, args in cases:
            out.append(getattr(getattr(stats, dist), method)(*xs[i:i + len(args)]))
            i += len(args)
        return tuple(out)
    return together


def _inputs(cases, dtype):
    return [np.asarray(a, dtype) for *_, args in cases for a in args]


def test_values_float32():
    run_both(_together(CASES), _inputs(CASES, np.float32), True, jax_modules=(jst,), mirax_modules=(mst,),
             tolerance=TOLERANCE)


def test_values_eager():
    """A few distributions op by op (each op compiled once: eager runs of all cost minutes)."""
    cases = [c for c in CASES if c[1] in ("norm", "poisson")]
    run_both(_together(cases), _inputs(cases, np.float32), False, jax_modules=(jst,), mirax_modules=(mst,),
             tolerance=TOLERANCE)


@pytest.mark.usefixtures("x64")
def test_values_float64():
    """The log densities and cdfs (the other methods are the same formulas around them)."""
    cases = [c for c in CASES if c[2] in ("logpdf", "logpmf", "cdf")]
    run_both(_together(cases), _inputs(cases, np.float64), True, jax_modules=(jst,), mirax_modules=(mst,),
             tolerance=TOLERANCE)


MEAN = np.array([0.5, -1.0, 2.0])
COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
POINTS = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 3.0], [3.0, 1.0, -1.0], [0.5, -1.0, 2.0]])
SIMPLEX = np.array([[0.2, 0.5, 0.3, 0.0], [0.3, 0.1, 0.6, 0.5], [0.5, 0.4, 0.1, 0.5]])  # columns; the last not in the open simplex
ALPHA = np.array([1.5, 2.0, 3.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.usefixtures("x64")
def test_multivariate(dtype):
    """multivariate_normal with a full, scalar or batched covariance and a scalar mean;
    dirichlet with all coordinates or all but the last."""
    cases = [
        lambda st, x, m, c: st.multivariate_normal.logpdf(x, m, c),
        lambda st, x, m, c: st.multivariate_normal.pdf(x, m, c),
        lambda st, x, m, c: st.multivariate_normal.logpdf(x, m, c[0, 0]),
        lambda st, x, m, c: st.multivariate_normal.logpdf(x[:, 0], m[0], c[0, 0]),
    ]
    inputs = [np.asarray(a, dtype) for a in (POINTS, MEAN, COV)]
    run_both(lambda st, x, m, c: tuple(f(st, x, m, c) for f in cases), inputs, True, jax_modules=(jst,),
             mirax_modules=(mst,), tolerance=TOLERANCE)
    batched = np.asarray(np.stack([COV, 2 * COV, COV + np.eye(3)] * 2)[:4], dtype)
    run_both(lambda st, x, m, c: st.multivariate_normal.logpdf(x, m, c), [inputs[0], inputs[1], batched], True,
             jax_modules=(jst,), mirax_modules=(mst,), tolerance=TOLERANCE)
    alpha, simplex = np.asarray(ALPHA, dtype), np.asarray(SIMPLEX, dtype)
    run_both(lambda st, x, a: (st.dirichlet.logpdf(x, a), st.dirichlet.pdf(x, a), st.dirichlet.logpdf(x[:2], a)),
             [simplex, alpha], True, jax_modules=(jst,), mirax_modules=(mst,), tolerance=TOLERANCE)


# Log densities at points inside the support (float64, finite differences): fn(x, *params).
GRADS = {
    "norm": lambda x, loc, scale: mst.norm.logpdf(x, loc, scale) + mst.norm.logcdf(x, loc, scale),
    "norm_ppf": lambda q, loc, scale: mst.norm.ppf(q / 4, loc, scale),
    "expon_laplace_logistic": lambda x, loc, scale: (mst.expon.logpdf(x, loc - 1, scale) + mst.laplace.logpdf(x, loc, scale)
                                                     + mst.logistic.logpdf(x, loc, scale)),
    "cauchy_t": lambda x, loc, scale: mst.cauchy.logpdf(x, loc, scale) + mst.t.logpdf(x, scale + 2, loc, scale),
    "beta": lambda x, loc, scale: mst.beta.logpdf(x / 4, scale, loc + 2),
    "gamma_chi2": lambda x, loc, scale: mst.gamma.logpdf(x + 1, scale) + mst.chi2.logpdf(x + 1, scale + 1),
    "pareto_gennorm_vonmises": lambda x, loc, scale: (mst.pareto.logpdf(x + 2, scale) + mst.gennorm.logpdf(x, scale + 1)
                                                      + mst.vonmises.logpdf(x, scale)),
    "truncnorm": lambda x, loc, scale: mst.truncnorm.logpdf(x, -1.0, 2.0, loc, scale),
    "gumbel": lambda x, loc, scale: (mst.gumbel_r.logpdf(x, loc, scale) + mst.gumbel_r.logsf(x, loc, scale)
                                     + mst.gumbel_l.logpdf(x, loc, scale) + mst.gumbel_l.logcdf(x, loc, scale)
                                     + mst.gumbel_r.ppf(scale / 4, loc, scale)),
    "discrete": lambda x, loc, scale: (mst.poisson.logpmf(3.0, scale) + mst.binom.logpmf(3.0, 10.0, scale / 4)
                                       + mst.nbinom.logpmf(2.0, scale + 1, scale / 4)
                                       + mst.betabinom.logpmf(3.0, 10.0, scale, loc + 2)
                                       + mst.geom.logpmf(3.0, scale / 4) + mst.bernoulli.logpmf(1.0, scale / 4)),
}
GRAD_POINTS = [np.array([0.3, 1.2]), np.array([0.1, -0.2]), np.array([0.7, 1.5])]


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("name", list(GRADS))
def test_grads(name):
    check_grads(GRADS[name], GRAD_POINTS, 1 if name == "discrete" else 2, atol=1e-5, rtol=1e-5)


@pytest.mark.usefixtures("x64")
def test_grads_of_cdfs_order_1():
    """Through gammainc and betainc (whose derivatives in their parameters JAX leaves out
    of the second order, and out of betainc's first)."""
    check_grads(lambda x, a: mst.gamma.cdf(x, a) + mst.chi2.sf(x, a) + mst.beta.cdf(x / 4, 2.0, 3.0),
                [np.array([0.3, 1.2]), np.array([1.5, 3.0])], 1, atol=1e-5, rtol=1e-5)


@pytest.mark.usefixtures("x64")
def test_grads_multivariate():
    check_grads(lambda x, m: mst.multivariate_normal.logpdf(x, m, COV) + mst.dirichlet.logpdf(m / m.sum(), x * x + 1),
                [np.array([0.3, -1.0, 2.0]), np.array([0.5, 0.7, 0.9])], 2, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name, inputs, in_axes", [
    ("norm.logpdf", [np.array([[0.3, 2.0], [4.0, -1.5], [7.0, 0.1]], np.float32), np.float32(0.5)], (0, None)),
    ("gamma.cdf", [np.array([0.5, 3.0, 10.0], np.float32), np.array([[2.0, 4.0, 8.0], [1.0, 2.0, 20.0]], np.float32)],
     (None, 0)),
    ("beta.sf", [np.array([[0.3, 0.4], [0.9, 0.05]], np.float32), np.array([2.0, 0.5], np.float32), np.float32(3.0)],
     (1, 0, None)),
    ("poisson.logpmf", [np.array([[0.0, 3.0], [2.0, 7.0]], np.float32), np.array([1.5, 4.0], np.float32)], (0, 0)),
])
def test_vmap(name, inputs, in_axes):
    dist, method = name.split(".")
    check_vmap(lambda st, *xs: getattr(getattr(st, dist), method)(*xs), inputs, in_axes, jax_modules=(jst,),
               mirax_modules=(mst,), tolerance=TOLERANCE)


def test_vmap_multivariate_normal():
    check_vmap(lambda st, x, m: st.multivariate_normal.logpdf(x, m, np.asarray(COV, np.float32)),
               [np.asarray(POINTS, np.float32), np.asarray(MEAN, np.float32)], (0, None), jax_modules=(jst,),
               mirax_modules=(mst,), tolerance=TOLERANCE)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1, "ddof": 0}, {"axis": None, "keepdims": True},
                                    {"nan_policy": "omit"}, {"axis": -1, "nan_policy": "omit", "keepdims": True}])
def test_sem(kwargs):
    x = np.array([[0.3, 2.0, np.nan, 1.0], [4.0, -1.5, 2.5, 0.0], [7.0, 0.1, 1.0, 3.0]], np.float32)
    run_both(lambda st, x: st.sem(x, **kwargs), [x], False, jax_modules=(jst,), mirax_modules=(mst,),
             tolerance=TOLERANCE)


COUNTS = np.array([[1, 2, 3], [0, 0, 6], [2, 2, 1], [6, 0, 0]])
P3 = np.array([0.2, 0.3, 0.5])
MU = np.array([0.0, 0.5, 3.0, 9.9, 10.0, 50.0, 99.0, 100.0, 1e4])
RANKED = np.array([[1.0, 3.0, 2.0, 3.0, 1.0, 7.0], [0.5, -1.0, 0.5, 0.5, 2.0, -1.0]])
SAMPLES = np.array([[1, 2, 1, 3, 2, 1], [3, 1, 3, 2, 1, 3], [1, 2, 2, 3, 1, 2]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.usefixtures("x64")
def test_multinomial_entropy_mode_rankdata(dtype):
    """multinomial (counts that do and do not sum to n), poisson.entropy over its three
    regimes, mode along an axis and over all, rankdata's five methods (flat, along an
    axis, with a NaN), in one program."""
    def fn(st, counts, p, mu, ranked, samples):
        return (st.multinomial.logpmf(counts, 6, p), st.multinomial.pmf(counts[0], 6, p), st.poisson.entropy(mu),
                st.poisson.entropy(mu[:3, None], np.zeros(2)),
                tuple(st.mode(samples)), tuple(st.mode(samples, axis=None, keepdims=True)),
                tuple(st.mode(ranked, axis=1)),
                *(st.rankdata(ranked, method) for method in ("average", "min", "max", "dense", "ordinal")),
                st.rankdata(ranked, "min", axis=1), st.rankdata(ranked.at[0, 2].set(np.nan)))
    run_both(fn, [COUNTS, np.asarray(P3, dtype), np.asarray(MU, dtype), np.asarray(RANKED, dtype), SAMPLES], True,
             jax_modules=(jst,), mirax_modules=(mst,), tolerance=TOLERANCE)


DATA = np.random.default_rng(0).standard_normal((2, 30))


@pytest.mark.usefixtures("x64")
def test_gaussian_kde():
    """evaluate and logpdf (Scott's, Silverman's and a scalar bandwidth, weights), the
    integrals, 1-d data, in one program; a kde is a pytree (it crosses jit)."""
    def fn(st, data, points, weights):
        kde = st.gaussian_kde(data)
        weighted = st.gaussian_kde(data, bw_method="silverman", weights=weights)
        one_d = st.gaussian_kde(data[0], bw_method=0.3)
        return (kde.evaluate(points), kde(points[:, 0]), weighted.logpdf(points), weighted.pdf(points),
                one_d.logpdf(points[0]), one_d.integrate_box_1d(-1.0, 0.5),
                kde.integrate_gaussian(np.zeros(2), np.eye(2)), kde.integrate_kde(weighted), kde.neff, kde.covariance)
    points = np.array([[0.0, 1.0, -2.0, 0.3], [0.5, -1.0, 4.0, 0.0]])
    # (The integrals are float64 (x64's zeros and eye): their Cholesky factors round apart from LAPACK's by 1e-8.)
    run_both(fn, [DATA.astype(np.float32), points.astype(np.float32), np.linspace(1, 2, 30).astype(np.float32)], True,
             jax_modules=(jst,), mirax_modules=(mst,), tolerance={"f4": 4e-5, "f8": 1e-7})
    kde = mirax.jit(lambda k: k)(mst.gaussian_kde(DATA))
    assert isinstance(kde, mst.gaussian_kde) and (kde.d, kde.n) == (2, 30)


@pytest.mark.parametrize("call, error", [
    (lambda st: st.multivariate_normal.logpdf(POINTS, MEAN, COV, allow_singular=True), NotImplementedError),
    (lambda st: st.multivariate_normal.logpdf(POINTS, MEAN, COV[:2, :2]), ValueError),
    (lambda st: st.dirichlet.logpdf(SIMPLEX, np.ones((3, 1))), ValueError),
    (lambda st: st.dirichlet.logpdf(SIMPLEX[:1], ALPHA), ValueError),
    (lambda st: st.sem(POINTS, nan_policy="raise"), ValueError),
    (lambda st: st.multinomial.logpmf(np.array([1.0, 2.0]), 3, P3[:2]), ValueError),
    (lambda st: st.mode(POINTS, nan_policy="omit"), NotImplementedError),
    (lambda st: st.mode(POINTS, nan_policy="raise"), NotImplementedError),
    (lambda st: st.rankdata(POINTS, nan_policy="other"), ValueError),
    (lambda st: st.rankdata(POINTS, "other"), ValueError),
    (lambda st: st.gaussian_kde(DATA, bw_method="other"), ValueError),
    (lambda st: st.gaussian_kde(DATA[:1, :1]), ValueError),
    (lambda st: st.gaussian_kde(DATA, weights=np.ones(3)), ValueError),
    (lambda st: st.gaussian_kde(DATA).integrate_box_1d(0.0, 1.0), ValueError),
    (lambda st: st.gaussian_kde(DATA).integrate_box([0.0], [1.0]), NotImplementedError),
    (lambda st: st.gaussian_kde(DATA).evaluate(np.ones((3, 2))), ValueError),
])
def test_errors(call, error):
    with pytest.raises(error) as want:
        call(jst)
    with pytest.raises(error) as got:
        call(mst)
    assert str(got.value) == str(want.value)
