"""scipy.special's functions over mirax.numpy and lax, as jax.scipy.special."""
import numpy as np

from mirax import dtypes, lax
from mirax.custom_derivatives import custom_jvp
from mirax.numpy import _reductions as reductions
from mirax.numpy._util import canonicalize_axes
from mirax.numpy._ufuncs import _const, exp, isfinite, subtract, where as _where
from mirax.numpy._util import promote_args_inexact


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
