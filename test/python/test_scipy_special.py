"""mirax.scipy.special against jax.scipy.special: values and dtypes (float32, and float64
under x64) eagerly and under jit on tables of ordinary, negative, near-pole, tiny, large,
infinite and NaN arguments; derivatives (check_grads to order 2 where JAX's exist, and
jax.grad where JAX's custom rules pick the value at a point); vmap against a loop; the
errors JAX raises.

Tolerances (relative and absolute, oracle.check): float32 4e-5 and float64 2e-12. The
functions are JAX's formulas over XLA's algorithms for lgamma, digamma, igamma, betainc,
zeta, i0e, i1e (dialect/scalar.py), which agree with XLA's to a few ulps; exp(lgamma)
(gamma, beta, poch, factorial, comb) turns an ulp of lgamma's ~100 into 1e-5 relative.
"""
import jax
import jax.scipy.special as jsp
import numpy as np
import pytest

import mirax
import mirax.scipy.special as msp
from mirax.test_util import check_grads
from oracle import assert_close, check, check_vmap, run_both

TOLERANCE = {"f4": 4e-5, "f8": 2e-12, "c8": 4e-5, "c16": 2e-12}

# Negative and positive, at and next to the poles (0, -1, -2), tiny, large, inf, NaN.
X = np.array([-np.inf, -30.5, -3.5, -2.0, -1.0001, -0.5, -0.0, 0.0, 1e-20, 1e-3, 0.3, 0.5, 1.0, 1.5, 2.0, 3.7,
              10.0, 33.0, 150.0, np.inf, np.nan])
POSITIVE = np.array([1e-20, 1e-3, 0.3, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 33.0, 150.0, np.inf, np.nan])
PROBABILITY = np.array([-0.1, 0.0, 1e-30, 1e-8, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-7, 1.0, 1.5, np.nan])
NORMAL_TAILS = np.array([-np.inf, -40.0, -25.0, -15.0, -9.0, -3.0, -0.5, 0.0, 0.7, 3.0, 6.0, 9.0, 40.0, np.inf, np.nan])
# Pairs (a, x): every a with every x.
A2, X2 = (v.ravel() for v in np.meshgrid([-1.0, 0.0, 1e-3, 0.5, 1.0, 2.5, 10.0, 80.0, np.nan],
                                         [-1.0, 0.0, 1e-4, 0.3, 1.0, 2.0, 9.0, 70.0, np.inf]))
# Triples (a, b, x) for betainc.
A3, B3, X3 = (v.ravel() for v in np.meshgrid([0.0, 0.2, 1.0, 3.0, 30.0], [0.5, 2.0, 40.0],
                                             [-0.1, 0.0, 0.05, 0.5, 0.9, 1.0]))

UNARY = ["gammaln", "gammasgn", "loggamma", "gamma", "digamma", "erf", "erfc", "erfcx", "expit", "i0", "i0e", "i1",
         "i1e", "entr", "factorial", "dawsn"]

CASES = {  # name: (fn(sp, *xs), inputs)
    **{name: (lambda sp, x, name=name: getattr(sp, name)(x), [X]) for name in UNARY},
    "logit": (lambda sp, p: sp.logit(p), [PROBABILITY]),
    # (lax.erf_inv's float64 values within 1e-6 of +-1 are 3e-11 apart from XLA's.)
    "erfinv": (lambda sp, p: sp.erfinv(2 * p - 1), [PROBABILITY[(PROBABILITY != 1e-8) & (PROBABILITY != 1 - 1e-7)]]),
    "ndtr": (lambda sp, x: sp.ndtr(x), [NORMAL_TAILS]),
    "ndtri": (lambda sp, p: sp.ndtri(p), [PROBABILITY]),
    "log_ndtr": (lambda sp, x: sp.log_ndtr(x), [NORMAL_TAILS]),
    "log_ndtr_order_5": (lambda sp, x: sp.log_ndtr(x, series_order=5), [NORMAL_TAILS]),
    "spence": (lambda sp, x: sp.spence(x), [np.concatenate([X, [0.7, 1.7, 2.5]])]),
    "gammainc": (lambda sp, a, x: sp.gammainc(a, x), [A2, X2]),
    "gammaincc": (lambda sp, a, x: sp.gammaincc(a, x), [A2, X2]),
    "betaln": (lambda sp, a, b: sp.betaln(a, b), [A2, X2]),
    "beta": (lambda sp, a, b: sp.beta(a, b), [A2, X2]),
    "poch": (lambda sp, z, m: sp.poch(z, m), [A2, X2]),
    "xlogy": (lambda sp, x, y: sp.xlogy(x, y), [A2, X2]),
    "xlog1py": (lambda sp, x, y: sp.xlog1py(x, y), [A2, X2 - 1]),
    "rel_entr": (lambda sp, p, q: sp.rel_entr(p, q), [A2, X2]),
    "kl_div": (lambda sp, p, q: sp.kl_div(p, q), [A2, X2]),
    # (lmbda up to 10: lax.expm1's float64 Kahan formula is 2e-8 off -1 below -708, where exp is subnormal.)
    "boxcox": (lambda sp, x, lmbda: sp.boxcox(x, lmbda), [X2, np.minimum(A2, 10)]),
    "boxcox1p": (lambda sp, x, lmbda: sp.boxcox1p(x, lmbda), [X2, np.minimum(A2, 10)]),
    "zeta": (lambda sp, x, q: sp.zeta(x, q), [X2 + 1, A2]),
    "comb": (lambda sp, n, k: sp.comb(n, k), [np.array([5.0, 10.0, 3.0, -1.0, 4.0, 30.0]),
                                              np.array([2.0, 3.0, 4.0, 1.0, 0.0, 7.0])]),
    "comb_repetition": (lambda sp, n, k: sp.comb(n, k, repetition=True), [np.array([5.0, 10.0, 0.0, 4.0]),
                                                                            np.array([2.0, 3.0, 0.0, 0.0])]),
    "multigammaln": (lambda sp, a: sp.multigammaln(a, 3), [np.array([1.5, 2.0, 7.5, 40.0])]),
    "betainc": (lambda sp, a, b, x: sp.betainc(a, b, x), [A3, B3, X3]),
    "polygamma": (lambda sp, x: sp.polygamma(np.array([0, 1, 2, 3, 1, 0, 4]), x),
                  [np.array([0.5, 1.5, -1.5, 2.0, 30.0, -2.0, 3.3])]),
    **{name: (lambda sp, x, name=name: getattr(sp, name)(x), [X]) for name in ["sici", "fresnel"]},
    # (Not 1e-20 and 1e-3 together: E_1's batched continued fraction never ends on them, in JAX as here.)
    **{name: (lambda sp, x, name=name: getattr(sp, name)(x), [X[X != 1e-20]]) for name in ["expi", "exp1"]},
    # (The large arguments, whose float32 results are rounding apart, with a tolerance of their own below.)
    "wofz": (lambda sp, re, im: sp.wofz(re + 1j * im), [A2 / 8, X2 / 8 - 1]),
    "softmax": (lambda sp, x: (sp.softmax(x.reshape(3, 7)), sp.softmax(x.reshape(3, 7), axis=1),
                               sp.log_softmax(x.reshape(3, 7), axis=(0,))), [np.concatenate([X[1:-2], X[:3]])]),
    "bessel_jn": (lambda sp, z: sp.bessel_jn(z, v=4), [np.array([1e-3, 0.3, 1.0, 2.5, 7.0, 12.0, -3.0])]),
    "sph_harm_y": (lambda sp, theta, phi: sp.sph_harm_y(np.array([0, 1, 1, 2, 3, 4, 4]), np.array([0, -1, 1, 2, -2, 3, 0]),
                                                        theta, phi, n_max=4),
                   [np.array([0.0, 0.3, 1.0, 1.5, 2.5, 3.1, np.pi]), np.array([0.0, 1.0, 2.0, 6.0, 0.5, 3.0, 4.0])]),
    "expn": (lambda sp, n, x: sp.expn(n, x), [*(v.ravel() for v in np.meshgrid(
        [-1.0, 0.0, 1.0, 2.0, 3.5, 5000.0], [-1.0, 0.0, 1e-3, 0.5, 1.0, 3.0, 30.0, np.inf, np.nan]))]),
    "hyp1f1": (lambda sp, a, b, x: sp.hyp1f1(a, b, x), [*(v.ravel() for v in np.meshgrid(
        [0.0, 0.5, 3.0], [0.0, 0.5, 2.5], [-5.0, 0.0, 0.3, 4.0, 120.0]))]),
    "hyp2f1": (lambda sp, a, b, c, x: sp.hyp2f1(a, b, c, x), [
        np.array([0.5, 1.0, -2.0, 0.5, 1.0, 0.0, 2.0, 1.5, 0.5, 1.0, 3.0, 0.3]),
        np.array([1.5, 2.0, 1.5, 0.5, 1.0, 1.0, 2.0, 2.5, 0.5, 2.0, 1.0, 0.7]),
        np.array([2.5, 3.0, 2.0, 1.0, 3.0, 2.0, -1.0, 4.0, 1.5, 2.0, 4.0, 1.0]),
        np.array([0.3, -0.5, 0.7, 0.95, 1.0, 0.5, 0.2, 0.99, 0.0, 0.5, 1.5, 0.6])]),
    "owens_t": (lambda sp, h, a: sp.owens_t(h, a), [X2 - 1, A2 - 1]),
}


def _together(names):
    """The cases `names` as one function (one program under jit): results in a tuple."""
    def together(sp, *xs):
        out, i = [], 0
        for name in names:
            fn, inputs = CASES[name]
            out.append(fn(sp, *xs[i:i + len(inputs)]))
            i += len(inputs)
        return tuple(out)
    return together


def _inputs(names, dtype):
    return [x.astype(dtype) for name in names for x in CASES[name][1]]


def test_values_float32():
    names = list(CASES)
    run_both(_together(names), _inputs(names, np.float32), True, jax_modules=(jsp,), mirax_modules=(msp,),
             tolerance=TOLERANCE)


def test_values_eager():
    """A sample op by op (each op compiled once: eager runs of all cost minutes)."""
    names = ["gammaln", "digamma", "i0e", "erfcx", "dawsn", "xlogy", "gammainc", "betainc", "log_ndtr", "ndtri", "sici",
             "owens_t"]
    run_both(_together(names), _inputs(names, np.float32), False, jax_modules=(jsp,), mirax_modules=(msp,),
             tolerance=TOLERANCE)


@pytest.mark.usefixtures("x64")
def test_values_float64():
    """Every other function (the whole table's float64 program costs 40 s to compile)."""
    names = list(CASES)[::2]
    run_both(_together(names), _inputs(names, np.float64), True, jax_modules=(jsp,), mirax_modules=(msp,),
             tolerance=TOLERANCE)


def test_weak_types_and_integer_promotion():
    """Python scalars give weakly typed float32 results, integers promote to float, as JAX."""
    for name in ["gammaln", "digamma", "erfcx", "i0e", "entr", "expit"]:
        for arg in (2, 2.0, np.int32(3)):
            got, want = getattr(msp, name)(arg), getattr(jsp, name)(arg)
            assert (got.dtype, got.aval.weak_type) == (want.dtype, want.weak_type), (name, arg)
            check(got, want, name, TOLERANCE)
    got, want = msp.gammainc(2, 3.0), jsp.gammainc(2, 3.0)
    assert (got.dtype, got.aval.weak_type) == (want.dtype, want.weak_type)


def test_bernoulli():
    for n in (0, 2, 3, 10, 21):
        check(msp.bernoulli(n), jsp.bernoulli(n), str(n), TOLERANCE)


# Smooth points for finite differences (float64): (function, args).
GRADS = {
    "sici_fresnel": (lambda x: msp.sici(x)[0] + msp.sici(x)[1] * msp.fresnel(x)[0] + msp.fresnel(x)[1],
                     [np.array([-2.0, 0.3, 1.7, 6.0])]),
    "owens_t": (lambda h, a: msp.owens_t(h, a), [np.array([-0.5, 0.3, 2.0]), np.array([0.5, -1.5, 3.0])]),
    "wofz": (lambda re, im: msp.wofz(re + 1j * im), [np.array([-0.5, 0.3, 2.0]), np.array([0.5, -1.5, 3.0])]),
    "softmax": (lambda x: msp.softmax(x) * msp.log_softmax(x, axis=0), [np.array([-0.5, 0.3, 2.0])]),
    "gammaln": (lambda x: msp.gammaln(x), [np.array([0.3, 1.7, 4.2, -1.5])]),
    "digamma": (lambda x: msp.digamma(x), [np.array([0.3, 1.7, 4.2, -1.5])]),
    "gamma": (lambda x: msp.gamma(x), [np.array([0.3, 1.7, 4.2, -1.5])]),
    "erfcx": (lambda x: msp.erfcx(x), [np.array([-1.0, 0.3, 2.0, 30.0])]),
    "dawsn": (lambda x: msp.dawsn(x), [np.array([-1.0, 0.3, 4.0, 30.0])]),
    "i0e_i1e": (lambda x: msp.i0e(x) + msp.i1e(x) * 2, [np.array([-3.0, 0.3, 2.0, 12.0])]),
    "i0_i1": (lambda x: msp.i0(x) * msp.i1(x), [np.array([-3.0, 0.3, 2.0])]),
    "ndtr_log_ndtr": (lambda x: msp.ndtr(x) + msp.log_ndtr(x), [np.array([-30.0, -3.0, 0.5, 9.0])]),
    "ndtri": (lambda p: msp.ndtri(p), [np.array([0.01, 0.3, 0.8, 0.999])]),
    "xlogy_xlog1py": (lambda x, y: msp.xlogy(x, y) * msp.xlog1py(x, y), [np.array([0.5, 2.0]), np.array([0.7, 3.0])]),
    "entr_rel_entr_kl_div": (lambda p, q: msp.entr(p) + msp.rel_entr(p, q) * msp.kl_div(q, p),
                             [np.array([0.2, 0.7]), np.array([0.5, 0.1])]),
    "betaln": (lambda a, b: msp.betaln(a, b), [np.array([0.5, 2.0, 3.0]), np.array([1.5, 9.0, 0.7])]),
    "poch": (lambda z, m: msp.poch(z, m), [np.array([0.5, 2.0]), np.array([1.5, 3.2])]),
    "polygamma": (lambda x: msp.polygamma(np.array([0, 2]), x), [np.array([0.7, 2.5])]),
    "zeta": (lambda x, q: msp.zeta(x, q), [np.array([2.5, 4.0]), np.array([1.5, 0.7])]),
    "spence": (lambda x: msp.spence(x), [np.array([0.2, 0.7, 3.0])]),  # (1, 2): see test_grads_where_jax_picks_a_value
    "multigammaln": (lambda a: msp.multigammaln(a, 2), [np.array([1.5, 4.0])]),
    "logit_expit": (lambda x: msp.logit(msp.expit(x) * 0.5), [np.array([-1.0, 0.5])]),
}
# Order 1 only: the derivative in a of igamma is igamma_grad_a, which JAX does not differentiate;
# the hypergeometric functions' derivatives in their parameters are while loops (forward mode only).
GRADS_ORDER_1 = {
    # (JAX's rule for E_n' is -E_(n-1), NaN at n = 0: E_1's second derivative is NaN.)
    "expi_exp1": (lambda x: msp.expi(x) * msp.exp1(x), [np.array([0.3, 1.7, 4.2, 40.0])]),
    "expn": (lambda x: msp.expn(np.array([1.0, 1.0, 2.0, 3.0]), x), [np.array([0.3, 1.7, 4.2, 0.8])]),
    "hyp1f1": (lambda a, b, x: msp.hyp1f1(a, b, x), [np.array([0.5, 3.0]), np.array([1.5, 2.5]), np.array([0.3, -2.0])]),
    "hyp2f1": (lambda a, b, c, x: msp.hyp2f1(a, b, c, x),
               [np.array([0.5, 1.5]), np.array([1.5, 0.7]), np.array([2.5, 3.3]), np.array([0.3, -0.5])]),
    "bessel_jn_sph_harm_y": (lambda z: msp.bessel_jn(z, v=2) * msp.sph_harm_y(np.array([2, 3]), np.array([1, -2]),
                                                                                z, z * 2, n_max=3).real,
                             [np.array([0.3, 1.7])]),
    "gammainc": (lambda a, x: msp.gammainc(a, x), [np.array([0.5, 3.0, 10.0]), np.array([0.3, 4.0, 8.0])]),
    "gammaincc": (lambda a, x: msp.gammaincc(a, x), [np.array([0.5, 3.0, 10.0]), np.array([2.0, 1.0, 12.0])]),
}


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("name", list(GRADS) + list(GRADS_ORDER_1))
def test_grads(name):
    fn, args = {**GRADS, **GRADS_ORDER_1}[name]
    check_grads(fn, args, 2 if name in GRADS else 1, atol=1e-5, rtol=1e-5)


@pytest.mark.usefixtures("x64")
def test_grads_of_igamma_x_order_2_and_betainc():
    check_grads(lambda x: msp.gammainc(2.5, x) + msp.betainc(2.0, 3.0, x / 10), [np.array([0.3, 4.0, 8.0])], 2,
                atol=1e-5, rtol=1e-5)


def _both_grads(name, args, argnums=0):
    want = jax.grad(lambda *a: getattr(jsp, name)(*a).sum(), argnums)(*args)
    got = mirax.grad(lambda *a: getattr(msp, name)(*a).sum(), argnums)(*args)
    assert_close(got, want, rtol=2e-5, atol=1e-6)


def test_grads_where_jax_picks_a_value():
    """JAX's custom rules at the points where the formula has none: xlogy and xlog1py at
    x = 0 (log y, even 0 * -inf), entr at 0, log_ndtr in its tails, zeta through its
    series expansion, the igammas in a."""
    zeros, ys = np.zeros(3, np.float32), np.array([0.0, 1.0, 2.0], np.float32)
    _both_grads("xlogy", (zeros, ys), (0, 1))
    _both_grads("xlog1py", (zeros, ys - 1), (0, 1))
    _both_grads("entr", (np.array([0.0, 1.0], np.float32),))
    _both_grads("log_ndtr", (np.array([-40.0, -12.0, 0.0, 6.0, 40.0], np.float32),))
    _both_grads("zeta", (np.array([2.0, 3.5], np.float32), np.array([1.0, 0.5], np.float32)), (0, 1))
    _both_grads("gammainc", (np.array([0.5, 3.0, 10.0], np.float32), np.array([0.3, 4.0, 8.0], np.float32)), (0, 1))
    _both_grads("gammaincc", (np.array([0.5, 3.0, 10.0], np.float32), np.array([2.0, 1.0, 12.0], np.float32)),
                (0, 1))
    _both_grads("betainc", (np.float32(2.0), np.float32(3.0), np.array([0.1, 0.6], np.float32)), 2)
    # NaN in (1, 2) as JAX's: the unused branch's log(1 - x) meets a zero cotangent in a product.
    _both_grads("spence", (np.array([0.4, 1.2, 1.6, 2.5], np.float32),))
    # The series JAX takes for the derivatives in the parameters.
    _both_grads("hyp1f1", (np.array([0.5, 3.0], np.float32), np.array([1.5, 2.5], np.float32),
                           np.array([0.3, -2.0], np.float32)), (0, 1, 2))
    _both_grads("expn", (np.array([1.0, 3.0], np.float32), np.array([0.5, 2.0], np.float32)), 1)


@pytest.mark.parametrize("name, inputs, in_axes", [
    ("gammaln", [np.array([[0.3, 2.0], [4.0, -1.5], [7.0, 0.1]], np.float32)], 0),
    ("gammainc", [np.array([0.5, 3.0, 10.0], np.float32), np.array([[0.3, 4.0, 8.0], [1.0, 2.0, 20.0]], np.float32)],
     (None, 0)),
    ("betainc", [np.array([0.5, 3.0], np.float32), np.float32(2.0), np.array([[0.3, 0.4], [0.9, 0.05]], np.float32).T],
     (0, None, 1)),
    ("log_ndtr", [np.array([[-30.0, 0.5], [6.0, -2.0]], np.float32)], 1),
    ("xlogy", [np.array([0.0, 2.0], np.float32), np.array([[0.0, 3.0], [2.0, 0.5]], np.float32)], (None, 0)),
    ("expn", [np.array([[1.0, 2.0], [0.0, 4.0]], np.float32), np.array([0.5, 3.0], np.float32)], (0, None)),
    ("hyp1f1", [np.float32(1.5), np.array([0.5, 2.5], np.float32), np.array([[0.3, 4.0], [-2.0, 1.0]], np.float32)],
     (None, None, 1)),
    ("sici", [np.array([[0.3, 5.0], [-2.0, 20.0]], np.float32)], 0),
])
def test_vmap(name, inputs, in_axes):
    check_vmap(lambda sp, *xs: getattr(sp, name)(*xs), inputs, in_axes, jax_modules=(jsp,),
               mirax_modules=(msp,), tolerance=TOLERANCE)


@pytest.mark.parametrize("call, error", [
    (lambda sp: sp.polygamma(1.0, 2.0), ValueError),
    (lambda sp: sp.zeta(2.0), NotImplementedError),
    (lambda sp: sp.factorial(3.0, exact=True), NotImplementedError),
    (lambda sp: sp.log_ndtr(1.0, series_order=31), ValueError),
    (lambda sp: sp.log_ndtr(1.0, series_order=-1), ValueError),
    (lambda sp: sp.log_ndtr(1.0, series_order=2.0), TypeError),
    (lambda sp: sp.ndtr(np.array([1, 2])), TypeError),
    (lambda sp: sp.ndtri(np.array([0.5], np.float16)), TypeError),
    (lambda sp: sp.gammasgn(1j), ValueError),
    (lambda sp: sp.beta(1j, 2.0), ValueError),
    (lambda sp: sp.bernoulli(-1), ValueError),
    *((lambda sp, name=name: getattr(sp, name)(np.array([1 + 1j], np.complex64)), ValueError)
      for name in ["expi", "exp1", "sici"]),
    (lambda sp: sp.hyp1f1(1.0, 2.0, np.array([1 + 1j], np.complex64)), ValueError),
    (lambda sp: sp.expn(1, np.array([1 + 1j], np.complex64)), ValueError),
    (lambda sp: sp.fresnel(np.array([1 + 1j], np.complex64)), NotImplementedError),
    (lambda sp: sp.bessel_jn(1.0, v=2.0), TypeError),
    (lambda sp: sp.sph_harm_y(np.array([1]), np.array([0]), 0.5, 0.5, diff_n=1), NotImplementedError),
])
def test_errors(call, error):
    """JAX's error class and message."""
    with pytest.raises(error) as want:
        call(jsp)
    with pytest.raises(error) as got:
        call(msp)
    assert str(got.value) == str(want.value)


def test_betainc_grad_in_a_raises():
    with pytest.raises(ValueError, match="Betainc gradient with respect to a and b not supported"):
        mirax.grad(lambda a: msp.betainc(a, 2.0, 0.5))(1.0)


def test_complex_arguments_not_supported():
    """JAX's complex loggamma, gamma and erfcx (a Lanczos sum, the Faddeeva function) are not here."""
    for name in ["loggamma", "gamma", "erfcx"]:
        with pytest.raises(NotImplementedError, match=f"{name} of complex arguments"):
            getattr(msp, name)(np.array([1 + 1j], np.complex64))
