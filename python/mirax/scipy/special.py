"""scipy.special's functions over mirax.numpy and lax, as jax.scipy.special: each one
JAX's formula, so that values, dtypes and derivatives (its custom JVPs) match."""
import operator
from functools import partial

import numpy as np

import mirax.numpy as jnp
from mirax import dtypes, lax
from mirax.ad import jvp
from mirax.custom_derivatives import custom_jvp
from mirax.numpy import _reductions as reductions
from mirax.numpy._ufuncs import _const, exp, isfinite, subtract, where as _where
from mirax.numpy._util import canonicalize_axes, promote_args_inexact


def _real_only(name, x):
    if dtypes.is_complex(x.aval.dtype):
        raise NotImplementedError(f"{name} of complex arguments")


def _polyval(coefficients, x):
    """jnp.polyval of NumPy coefficients in x's dtype: Horner's rule from 0 (so that an
    infinite x gives NaN) with strongly typed coefficients, as JAX's."""
    y = jnp.zeros_like(x, dtype=x.dtype)
    for c in coefficients:
        y = lax.add(lax.mul(y, x), lax.convert_element_type(c, x.dtype))
    return y


def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    (x,) = promote_args_inexact("expit", x)
    return lax.logistic(x)


@custom_jvp
def logit(x):
    """The inverse of expit: log(x / (1 - x)), with JAX's derivative 1 / (x (1 - x))."""
    (x,) = promote_args_inexact("logit", x)
    return lax.log(lax.div(x, lax.sub(_const(x, 1), x)))


logit.defjvps(lambda g, ans, x: lax.div(g, lax.mul(x, lax.sub(_const(x, 1), x))))


def erf(x):
    (x,) = promote_args_inexact("erf", x)
    return lax.erf(x)


def erfc(x):
    (x,) = promote_args_inexact("erfc", x)
    return lax.erfc(x)


def erfinv(x):
    (x,) = promote_args_inexact("erfinv", x)
    return lax.erf_inv(x)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over `axis`, from exp(a - max(a)) so that it neither
    overflows nor underflows; with `return_sign`, (log(abs(sum)), sign(sum))."""
    if where is not None:
        a = _where(where, a, 0)
    if b is not None:
        a, b = promote_args_inexact("logsumexp", a, b)
        a = _where(lax.ne(b, 0), a, -np.inf)  # zero weights drop their terms, even infinite ones
    else:
        (a,) = promote_args_inexact("logsumexp", a)
    complex_a = dtypes.is_complex(a.aval.dtype)
    axes = canonicalize_axes(axis, a.aval.ndim)
    amax = reductions.max(lax.real(a) if complex_a else a, axes, keepdims=True, where=where, initial=-np.inf)
    amax = _where(isfinite(amax), amax, 0)  # rows of -inf (or with +inf) shift by nothing
    exp_a = exp(subtract(a, amax))
    if b is not None:
        exp_a = lax.mul(exp_a, b)
    sumexp = reductions.sum(exp_a, axes, keepdims=keepdims, where=where)
    sign = lax.sign(sumexp)
    if return_sign or not complex_a:
        sumexp = lax.abs(sumexp)
    amax = amax if keepdims else lax.squeeze(amax, axes)
    out = lax.add(lax.log(sumexp), lax.convert_element_type(amax, sumexp.aval.dtype))
    if return_sign:
        return out, sign
    if b is not None and not complex_a:
        out = _where(lax.lt(sign, 0), np.nan, out)
    return out


# ----------------------------------------------------------------------------- gamma and beta


def gammaln(x):
    """log|Gamma(x)|."""
    (x,) = promote_args_inexact("gammaln", x)
    return lax.lgamma(x)


def gammasgn(x):
    """The sign of Gamma(x): NaN at the poles (and -inf, NaN), -1 on the negative intervals
    (-2k-1, -2k) and at -0."""
    (x,) = promote_args_inexact("gammasgn", x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError("gammasgn does not support complex-valued inputs.")
    typ = x.aval.dtype.type
    floor_x = lax.floor(x)
    x_negative = x < 0
    return jnp.select([(x_negative & (x == floor_x)) | jnp.isnan(x),
                       (x_negative & (floor_x % 2 != 0)) | ((x == 0) & jnp.signbit(x))],
                      [typ(np.nan), typ(-1.0)], typ(1.0))


def loggamma(x):
    """log(Gamma(x)) for real x > 0, NaN elsewhere (complex arguments unsupported)."""
    (x,) = promote_args_inexact("loggamma", x)
    _real_only("loggamma", x)
    return jnp.where(x > 0, lax.lgamma(x), jnp.nan)


def gamma(x):
    """Gamma(x) = gammasgn(x) exp(lgamma(x)) (complex arguments unsupported)."""
    (x,) = promote_args_inexact("gamma", x)
    _real_only("gamma", x)
    return gammasgn(x) * lax.exp(lax.lgamma(x))


def _algdiv(a, b):
    """log(Gamma(a) / Gamma(a + b)) for b >= 8, assuming a <= b (scipy's cdflib algdiv,
    as JAX's third_party betaln)."""
    c0, c1, c2 = 0.833333333333333e-01, -0.277777777760991e-02, 0.793650666825390e-03
    c3, c4, c5 = -0.595202931351870e-03, 0.837308034031215e-03, -0.165322962780713e-02
    h = a / b
    c = h / (1 + h)
    x = h / (1 + h)
    d = b + (a - 0.5)
    x2 = x * x  # sN = (1 - x**n) / (1 - x)
    s3 = 1.0 + (x + x2)
    s5 = 1.0 + (x + x2 * s3)
    s7 = 1.0 + (x + x2 * s5)
    s9 = 1.0 + (x + x2 * s7)
    s11 = 1.0 + (x + x2 * s9)
    t = (1.0 / b) ** 2  # w = del(b) - del(a + b), lgamma(x) = (x - 1/2) log x - x + log(2 pi) / 2 + del(x)
    w = ((((c5 * s11 * t + c4 * s9) * t + c3 * s7) * t + c2 * s5) * t + c1 * s3) * t + c0
    w = w * (c / b)
    u = d * lax.log1p(a / b)
    v = a * (lax.log(b) - 1.0)
    return jnp.where(u <= v, (w - v) - u, (w - u) - v)


def betaln(a, b):
    """log|B(a, b)|, through algdiv for b >= 8 (accurate for large arguments)."""
    a, b = promote_args_inexact("betaln", a, b)
    a, b = jnp.minimum(a, b), jnp.maximum(a, b)
    small_b = lax.lgamma(a) + (lax.lgamma(b) - lax.lgamma(a + b))
    large_b = lax.lgamma(a) + _algdiv(a, b)
    return jnp.where(b < 8, small_b, large_b)


def beta(a, b):
    """B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)."""
    a, b = promote_args_inexact("beta", a, b)
    if dtypes.is_complex(a.aval.dtype):
        raise ValueError("beta does not support complex-valued inputs.")
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * lax.exp(betaln(a, b))


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    a, b, x = promote_args_inexact("betainc", a, b, x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError("betainc does not support complex-valued inputs.")
    return lax.betainc(a, b, x)


def digamma(x):
    (x,) = promote_args_inexact("digamma", x)
    return lax.digamma(x)


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    a, x = promote_args_inexact("gammainc", a, x)
    return lax.igamma(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a, x = promote_args_inexact("gammaincc", a, x)
    return lax.igammac(a, x)


def factorial(n, exact=False):
    """n! = Gamma(n + 1) (0 for n < 0); exact integer factorials are unsupported, as in JAX."""
    if exact:
        raise NotImplementedError("factorial with exact=True")
    (n,) = promote_args_inexact("factorial", n)
    return jnp.where(n < 0, 0, lax.exp(lax.lgamma(n + 1)))


def comb(N, k, *, repetition=False):  # noqa: N803 (scipy's name)
    """The binomial coefficient N choose k from gammaln (0 where k < 0, N < 0 or k > N)."""
    if repetition:
        return jnp.where((k == 0) & (N >= 0), 1.0, comb(N + k - 1, k, repetition=False))
    cond = (k <= N) & (N >= 0) & (k >= 0)
    safe_n = jnp.where(cond, N, 0.0)
    safe_k = jnp.where(cond, k, 0.0)
    result = lax.exp(gammaln(safe_n + 1) - gammaln(safe_k + 1) - gammaln(safe_n + 1 - safe_k))
    return jnp.where(cond, result, 0.0)


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension d (a Python integer)."""
    d = operator.index(d)
    a, d_ = promote_args_inexact("multigammaln", a, d)
    constant = lax.mul(lax.mul(lax.mul(_const(a, 0.25), d_), lax.sub(d_, _const(a, 1))), lax.log(_const(a, np.pi)))
    b = lax.div(jnp.arange(d, dtype=d_.dtype), _const(a, 2))
    res = jnp.sum(gammaln(jnp.expand_dims(a, axis=-1) - jnp.expand_dims(b, axis=tuple(range(a.ndim)))), axis=-1)
    return res + constant


@custom_jvp
def poch(z, m):
    """The Pochhammer symbol (z)_m = Gamma(z + m) / Gamma(z) (1 for m = 0)."""
    z, m = promote_args_inexact("poch", z, m)
    if dtypes.is_complex(z.aval.dtype):
        raise ValueError("jnp.poch does not support complex-valued inputs.")
    return jnp.where(m == 0.0, jnp.array(1, dtype=z.dtype), gamma(z + m) / gamma(z))


poch.defjvps(lambda z_dot, ans, z, m: (digamma(z + m) - digamma(z)) * poch(z, m) * z_dot,
             lambda m_dot, ans, z, m: digamma(z + m) * poch(z, m) * m_dot)


# ----------------------------------------------------------------------------- zeta, polygamma, Bernoulli

# (2k)! / B_2k for the Bernoulli numbers B_2k.
_BERNOULLI_COEFS = np.array([
    12, -720, 30240, -1209600, 47900160, -1307674368000 / 691, 74724249600, -10670622842880000 / 3617,
    5109094217170944000 / 43867, -802857662698291200000 / 174611, 14101100039391805440000 / 77683,
    -1693824136731743669452800000 / 236364091, 186134520519971831808000000 / 657931,
    -37893265687455865519472640000000 / 3392780147, 759790291646040068357842010112000000 / 1723168255201,
    -134196726836183700385281186201600000000 / 7709321041217,
])


@custom_jvp
def zeta(x, q=None):
    """Hurwitz's zeta function sum (n + q)^-x; differentiated, as JAX, through a series
    expansion (Johansson 2015, formula (5)) that also gives the primal value."""
    if q is None:
        raise NotImplementedError(
            "Riemann zeta function not implemented; pass q != None to compute the Hurwitz Zeta function.")
    x, q = promote_args_inexact("zeta", x, q)
    return lax.zeta(x, q)


def _zeta_series_expansion(x, q=None):
    if q is None:
        raise NotImplementedError(
            "Riemann zeta function not implemented; pass q != None to compute the Hurwitz Zeta function.")
    s, a = promote_args_inexact("zeta", x, q)
    dtype = a.aval.dtype.type
    s_, a_ = jnp.expand_dims(s, -1), jnp.expand_dims(a, -1)
    n = m = dtype(8) if a.aval.dtype == np.float32 else dtype(16)  # precision ~ N, M
    k = jnp.expand_dims(np.arange(n, dtype=n.dtype), tuple(range(a.ndim)))
    total = jnp.sum((a_ + k) ** -s_, -1)
    integral = lax.div((a + n) ** (dtype(1) - s), s - dtype(1))
    t0 = (a + n) ** -s
    ms = jnp.expand_dims(np.arange(2 * m, dtype=m.dtype), tuple(range(s.ndim)))
    t1 = jnp.cumprod((s_ + ms) / (a_ + n), -1)[..., ::2]
    t1 = jnp.clip(t1, max=np.finfo(dtype).max)
    coefs = np.expand_dims(np.array(_BERNOULLI_COEFS[:t1.shape[-1]], dtype=dtype), tuple(range(a.ndim)))
    t = t0 * (dtype(0.5) + (t1 / coefs).sum(-1))
    return total + integral + t


zeta.defjvp(lambda primals, tangents: jvp(_zeta_series_expansion, primals, tangents))


def polygamma(n, x):
    """The n-th derivative of digamma, for an integer-typed order n."""
    if not dtypes.is_integer(jnp.asarray(n).dtype):
        raise ValueError(f"Argument `n` to polygamma must be of integer type. Got dtype {jnp.asarray(n).dtype}.")
    n_arr, x_arr = promote_args_inexact("polygamma", n, x)
    if dtypes.is_complex(x_arr.aval.dtype):
        raise ValueError("polygamma does not support complex-valued inputs.")
    return lax.polygamma(n_arr, x_arr)


def bernoulli(n):
    """The first n + 1 Bernoulli numbers (Chowla and Hartung's series), n a Python integer."""
    n = operator.index(n)
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    b3 = jnp.array([1, -1 / 2, 1 / 6])
    if n < 3:
        return b3[:n + 1]
    bn = jnp.zeros(n + 1).at[:3].set(b3)
    m = jnp.arange(4, n + 1, 2, dtype=bn.dtype)
    q1 = (1. / np.pi ** 2) * jnp.cumprod(-(m - 1) * m / 4 / np.pi ** 2)
    k = jnp.arange(2, 50, dtype=bn.dtype)  # 2 ** -50 < 1e-15
    q2 = jnp.sum(k[:, None] ** -m[None, :], axis=0)
    return bn.at[4::2].set(q1 * (1 + q2))


# ----------------------------------------------------------------------------- entropies, xlogy


@custom_jvp
def xlogy(x, y):
    """x log(y), 0 where x = 0 (unless y is NaN), with JAX's derivative log(y), x / y."""
    x, y = promote_args_inexact("xlogy", x, y)
    return jnp.where((x != 0.0) | jnp.isnan(y), lax.mul(x, lax.log(y)), jnp.zeros_like(x))


def _xlogy_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    result = xlogy(x, y)
    return result, (x_dot * lax.log(y) + y_dot * x / y).astype(result.dtype)


xlogy.defjvp(_xlogy_jvp)


@custom_jvp
def xlog1py(x, y):
    """x log1p(y), 0 where x = 0 (unless y is NaN), with JAX's derivative log1p(y), x / (1 + y)."""
    x, y = promote_args_inexact("xlog1py", x, y)
    return jnp.where((x != 0.0) | jnp.isnan(y), lax.mul(x, lax.log1p(y)), jnp.zeros_like(x))


def _xlog1py_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    result = xlog1py(x, y)
    return result, (x_dot * lax.log1p(y) + y_dot * x / (1 + y)).astype(result.dtype)


xlog1py.defjvp(_xlog1py_jvp)


@custom_jvp
def _xlogx(x):
    return xlogy(x, x)


_xlogx.defjvp(lambda primals, tangents: (_xlogx(primals[0]), tangents[0] * (lax.log(primals[0]) + 1)))


def entr(x):
    """-x log(x) for x > 0, 0 at 0, -inf below."""
    (x,) = promote_args_inexact("entr", x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError("entr does not support complex-valued inputs.")
    return lax.select(lax.lt(x, _const(x, 0)), jnp.full_like(x, -np.inf), lax.neg(_xlogx(x)))


def rel_entr(p, q):
    """p log(p / q) for p, q > 0, 0 for p = 0 <= q, inf otherwise."""
    p, q = promote_args_inexact("rel_entr", p, q)
    if dtypes.is_complex(p.aval.dtype):
        raise ValueError("rel_entr does not support complex-valued inputs.")
    zero = _const(p, 0.0)
    both_gt_zero = lax.bitwise_and(lax.gt(p, zero), lax.gt(q, zero))
    one_zero = lax.bitwise_and(lax.eq(p, zero), lax.ge(q, zero))
    safe_p = jnp.where(both_gt_zero, p, 1)
    safe_q = jnp.where(both_gt_zero, q, 1)
    log_val = lax.sub(_xlogx(safe_p), xlogy(safe_p, safe_q))
    return jnp.where(both_gt_zero, log_val, jnp.where(one_zero, zero, np.inf))


def kl_div(p, q):
    """rel_entr(p, q) - p + q."""
    p, q = promote_args_inexact("kl_div", p, q)
    if dtypes.is_complex(p.aval.dtype):
        raise ValueError("kl_div does not support complex-valued inputs.")
    return rel_entr(p, q) - p + q


def boxcox(x, lmbda):
    """(x^lmbda - 1) / lmbda, log(x) for lmbda = 0."""
    x, lmbda = promote_args_inexact("boxcox", x, lmbda)
    lmbda_is_zero = lmbda == 0
    safe_lmbda = jnp.where(lmbda_is_zero, jnp.ones_like(lmbda), lmbda)
    log_x = jnp.log(x)
    return jnp.where(lmbda_is_zero, log_x, jnp.expm1(safe_lmbda * log_x) / safe_lmbda)


def boxcox1p(x, lmbda):
    """((1 + x)^lmbda - 1) / lmbda, log1p(x) for lmbda = 0."""
    x, lmbda = promote_args_inexact("boxcox1p", x, lmbda)
    lmbda_is_zero = lmbda == 0
    safe_lmbda = jnp.where(lmbda_is_zero, jnp.ones_like(lmbda), lmbda)
    log1p_x = jnp.log1p(x)
    return jnp.where(lmbda_is_zero, log1p_x, jnp.expm1(safe_lmbda * log1p_x) / safe_lmbda)


# ----------------------------------------------------------------------------- erfcx, Bessel


@custom_jvp
def _erfcx(x):
    if x.aval.dtype in (np.float32, np.float64):
        # Terms enough that the first one omitted is below an ulp past the threshold.
        return _erfcx_impl(x, nterms=9 if x.aval.dtype == np.float64 else 5)
    return _erfcx_impl(x.astype(np.float32), nterms=5).astype(x.dtype)


_erfcx.defjvps(lambda g, ans, x: g * (2 * x * ans - _const(x, 2. / np.sqrt(np.pi))))

# erfcx's asymptotic series in t = 1/x^2: c_k = (-1)^k (2k-1)!! / 2^k, highest degree first.
_ERFCX_ASYMPTOTIC = [7918.06640625, -1055.7421875, 162.421875, -29.53125, 6.5625, -1.875, .75, -.5, 1.]


def _erfcx_impl(x, nterms):
    """exp(x^2) erfc(x), through the asymptotic series where exp(x^2) would overflow."""
    large = x > _const(x, np.sqrt(np.log(np.finfo(x.aval.dtype).max)))
    safe_x = lax.select(large, jnp.full_like(x, 1.), x)
    direct = lax.exp(lax.square(safe_x)) * lax.erfc(safe_x)
    t = _const(x, 1.) / lax.square(x)
    asymptotic = _polyval(_ERFCX_ASYMPTOTIC[-nterms:], t) / (x * _const(x, np.sqrt(np.pi)))
    return lax.select(large, asymptotic, direct)


def erfcx(x):
    """The scaled complementary error function exp(x^2) erfc(x) (real x)."""
    (x,) = promote_args_inexact("erfcx", x)
    _real_only("erfcx", x)
    return _erfcx(x)


def i0e(x):
    (x,) = promote_args_inexact("i0e", x)
    return lax.bessel_i0e(x)


def i0(x):
    (x,) = promote_args_inexact("i0", x)
    return lax.mul(lax.exp(lax.abs(x)), lax.bessel_i0e(x))


def i1e(x):
    (x,) = promote_args_inexact("i1e", x)
    return lax.bessel_i1e(x)


def i1(x):
    (x,) = promote_args_inexact("i1", x)
    return lax.mul(lax.exp(lax.abs(x)), lax.bessel_i1e(x))


# ----------------------------------------------------------------------------- the normal distribution

# log_ndtr's segments: below the lower bound the asymptotic series, above the upper one
# log(1 - ndtr(-x)) ~ -ndtr(-x).
_LOGNDTR_LOWER = {np.dtype(np.float64): -20.0, np.dtype(np.float32): -10.0}
_LOGNDTR_UPPER = {np.dtype(np.float64): 8.0, np.dtype(np.float32): 5.0}


def _float32_or_64(x):
    dtype = np.dtype(x.dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={dtype} is not supported, see docstring for supported types.")
    return dtype


def ndtr(x):
    """The standard normal CDF, from erf near 0 and erfc in the tails (float32/64 only)."""
    x = jnp.asarray(x)
    _float32_or_64(x)
    return _ndtr(x)


def _ndtr(x):
    dtype = x.dtype.type
    half_sqrt_2 = dtype(0.5) * np.sqrt(2., dtype=dtype)
    w = x * half_sqrt_2
    z = lax.abs(w)
    y = lax.select(lax.lt(z, half_sqrt_2), dtype(1.) + lax.erf(w),
                   lax.select(lax.gt(w, dtype(0.)), dtype(2.) - lax.erfc(z), lax.erfc(z)))
    return dtype(0.5) * y


# Cephes' ndtri rational approximations (numerators p, denominators q, highest degree first).
_NDTRI_P0 = [-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0]
_NDTRI_Q0 = [1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0]
_NDTRI_P1 = [4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4]
_NDTRI_Q1 = [1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4]
_NDTRI_P2 = [3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9]
_NDTRI_Q2 = [1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9]


def ndtri(p):
    """The inverse of ndtr (Cephes' piecewise rational approximations; float32/64 only)."""
    p = jnp.asarray(p)
    _float32_or_64(p)
    dtype = p.dtype.type
    ratio = lambda num, den, v: _polyval([dtype(c) for c in num], v) / _polyval([dtype(c) for c in den], v)
    maybe_complement_p = jnp.where(p > dtype(-np.expm1(-2.)), dtype(1.) - p, p)
    # 0 would give NaNs in the unused branches: any other value does.
    sanitized = jnp.where(maybe_complement_p == dtype(0.), jnp.full(p.shape, dtype(0.5)), maybe_complement_p)
    # p > exp(-2): x / sqrt(2 pi) = w + w^3 P0(w^2) / Q0(w^2).
    w = sanitized - dtype(0.5)
    ww = lax.square(w)
    x_for_big_p = (w + w * ww * ratio(_NDTRI_P0, _NDTRI_Q0, ww)) * -dtype(np.sqrt(2. * np.pi))
    # p <= exp(-2): x = z - log(z) / z - (1/z) P(1/z) / Q(1/z) with z = sqrt(-2 log p).
    z = lax.sqrt(dtype(-2.) * lax.log(sanitized))
    first_term = z - lax.log(z) / z
    x_for_small_p = first_term - ratio(_NDTRI_P2, _NDTRI_Q2, 1 / z) / z
    x_otherwise = first_term - ratio(_NDTRI_P1, _NDTRI_Q1, 1 / z) / z
    x = jnp.where(sanitized > dtype(np.exp(-2.)), x_for_big_p, jnp.where(z >= dtype(8.0), x_for_small_p, x_otherwise))
    x = jnp.where(p > dtype(1. - np.exp(-2.)), x, -x)
    infinity = jnp.full(p.shape, dtype(np.inf))
    return jnp.where(p == dtype(0.0), -infinity, jnp.where(p == dtype(1.0), infinity, x))


@partial(custom_jvp, nondiff_argnums=(1,))
def log_ndtr(x, series_order=3):
    """log(ndtr(x)), by an asymptotic series of `series_order` terms in the lower tail and
    -ndtr(-x) in the upper one (float32/64 only)."""
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    x = jnp.asarray(x)
    dtype = np.dtype(x.dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={dtype} is not supported.")
    lower, upper = np.array(_LOGNDTR_LOWER[dtype], dtype), np.array(_LOGNDTR_UPPER[dtype], dtype)
    above = lax.gt(x, upper)
    # max/min keep the unchosen branches finite, so that their zero cotangents stay zero.
    ndtr_res = _ndtr(jnp.where(above, -x, lax.max(x, lower)))
    return jnp.where(above, -ndtr_res,
                     jnp.where(lax.gt(x, lower), lax.log(ndtr_res), _log_ndtr_lower(lax.min(x, lower), series_order)))


def _norm_logpdf(x):
    return lax.sub(lax.mul(_const(x, -0.5), lax.square(x)), _const(x, np.log(np.sqrt(2 * np.pi))))


def _log_ndtr_jvp(series_order, primals, tangents):
    (x,), (t,) = primals, tangents
    ans = log_ndtr(x, series_order=series_order)
    return ans, lax.mul(t, lax.exp(lax.sub(_norm_logpdf(x), ans)))


log_ndtr.defjvp(_log_ndtr_jvp)


def _log_ndtr_lower(x, series_order):
    dtype = x.dtype.type
    x_2 = lax.square(x)
    log_scale = -dtype(0.5) * x_2 - lax.log(-x) - dtype(0.5 * np.log(2. * np.pi))
    return log_scale + lax.log(_log_ndtr_asymptotic_series(x, series_order))


def _log_ndtr_asymptotic_series(x, series_order):
    """1 + sum_n (-1)^n (2n-1)!! / x^2n."""
    dtype = x.dtype.type
    if series_order <= 0:
        return np.array(1, dtype)
    x_2 = lax.square(x)
    even_sum = jnp.zeros_like(x)
    odd_sum = jnp.zeros_like(x)
    x_2n = x_2
    for n in range(1, series_order + 1):
        y = np.array(np.prod(np.arange(2 * n - 1, 1, -2)), dtype) / x_2n
        if n % 2:
            odd_sum += y
        else:
            even_sum += y
        x_2n *= x_2
    return dtype(1.) + even_sum - odd_sum


# ----------------------------------------------------------------------------- spence

_SPENCE_A = [4.65128586073990045278E-5, 7.31589045238094711071E-3, 1.33847639578309018650E-1,
             8.79691311754530315341E-1, 2.71149851196553469920E0, 4.25697156008121755724E0,
             3.29771340985225106936E0, 1.00000000000000000126E0]
_SPENCE_B = [6.90990488912553276999E-4, 2.54043763932544379113E-2, 2.82974860602568089943E-1,
             1.41172597751831069617E0, 3.63800533345137075418E0, 5.03278880143316990390E0,
             3.54771340985225096217E0, 9.99999999999999998740E-1]


def _spence_calc(x):
    """Cephes' spence for x > 0 (x != 1)."""
    x2_bool = x > 2.0
    x = jnp.where(x2_bool, 1.0 / x, x)
    x1_5_bool = x > 1.5
    x_5_bool = x < 0.5
    x2_bool = x2_bool | x1_5_bool
    w = jnp.where(x1_5_bool, 1.0 / x - 1.0, jnp.where(x_5_bool, -x, x - 1.0))
    y = -w * _polyval(_SPENCE_A, w) / _polyval(_SPENCE_B, w)
    y = jnp.where(x_5_bool, np.pi ** 2 / 6.0 - jnp.log(x) * jnp.log(1.0 - x) - y, y)
    return jnp.where(x2_bool, -0.5 * jnp.log(x) ** 2 - y, y)


def spence(x):
    """Spence's function (the dilogarithm Li2(1 - x)), NaN for x < 0 (float32/64 only)."""
    x = jnp.asarray(x)
    _float32_or_64(x)
    return jnp.where(x < 0.0, np.nan, jnp.where(x == 1.0, 0, jnp.where(x == 0.0, np.pi ** 2 / 6, _spence_calc(x))))


# ----------------------------------------------------------------------------- dawsn

# Cody, Paciorek and Thacher's (1970) rational approximations to Dawson's integral on
# [0, 3.25) (x P(x^2) / Q(x^2)), [3.25, 6.25) and [6.25, inf) ((1 + t P(t) / Q(t)) / 2x, t = 1/x^2).
_DAWSN_AN = [
    1.1368149897175597e-11, 8.492622676674738e-10, 1.9443420417555306e-08, 9.531517412544844e-07,
    3.078283098749132e-06, 0.00035251336852028877, -0.0008501498467244109, 0.04226182230055466,
    -0.09174803717734524, 1.0,
]
_DAWSN_AD = [
    2.403720730667626e-11, 1.488646813684934e-09, 5.212652810105416e-08, 1.2725847827318697e-06,
    2.324902498207895e-05, 0.00032552474182605793, 0.003488058146571626, 0.027944853119882897,
    0.15887424196012057, 0.5749186294893204, 1.0,
]
_DAWSN_BN = [
    0.5089551564179009, -0.24475441814269785, 0.09415123353035344, -0.021871125514203903,
    0.003662076123295692, -0.0004232091144603888, 3.5964130479389666e-05, -2.1464035171996896e-06,
    9.100107800763914e-08, -2.4027452082825098e-09, 3.592333854409284e-11,
]
_DAWSN_BD = [
    1.0, -0.6318398698733682, 0.2367067882282487, -0.053180636700322324, 0.008480417185862954,
    -0.0009479967684866654, 7.810255929445524e-05, -4.558751532524426e-06, 1.8910035811142186e-07,
    -4.913246913319206e-09, 7.184664032357345e-11,
]
_DAWSN_CN = [
    -0.5905928605347732, 0.6292352427243688, -0.17285897538038814, 0.016483704782518965,
    -0.0004868276130204627,
]
_DAWSN_CD = [
    1.0, -2.698200571975449, 1.7327079904594784, -0.3937085822819395, 0.03442789240412334,
    -0.0009736552260409412,
]


def dawsn(x):
    """Dawson's integral exp(-x^2) int_0^x exp(t^2) dt (real x)."""
    (x,) = promote_args_inexact("dawsn", x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError("dawsn does not support complex-valued inputs.")
    return _dawsn(x)


@custom_jvp
def _dawsn(x):
    if x.dtype in (np.float32, np.float64):
        return _dawsn_impl(x)
    return _dawsn_impl(x.astype(np.float32)).astype(x.dtype)


_dawsn.defjvps(lambda g, ans, x: g * (_const(x, 1.) - _const(x, 2.) * x * ans))


def _dawsn_impl(x):
    """On |x| with x's sign; each region on safe inputs elsewhere (1), so that the unused
    ones stay finite."""
    ax = lax.abs(x)
    t = _const(x, 1.) / lax.square(ax)
    one = jnp.full_like(ax, 1.)
    in_1 = ax < _const(x, 3.25)
    in_2 = (ax >= _const(x, 3.25)) & (ax < _const(x, 6.25))
    in_3 = ax >= _const(x, 6.25)
    ax_1 = lax.select(in_1, ax, one)
    val_1 = ax_1 * _polyval(_DAWSN_AN, lax.square(ax_1)) / _polyval(_DAWSN_AD, lax.square(ax_1))

    def tail(region, numerator, denominator):
        safe_t, safe_ax = lax.select(region, t, jnp.full_like(t, 1.)), lax.select(region, ax, one)
        return (_const(x, 0.5) / safe_ax) * (
            _const(x, 1.) + safe_t * _polyval(numerator, safe_t) / _polyval(denominator, safe_t))

    val_2, val_3 = tail(in_2, _DAWSN_BN, _DAWSN_BD), tail(in_3, _DAWSN_CN, _DAWSN_CD)
    result = lax.select(in_1, val_1, lax.select(ax < _const(x, 6.25), val_2, val_3))
    return jnp.sign(x) * result
