"""Elementwise functions beyond _ufuncs: NaN-ignoring maximum and minimum, modf, gcd and
lcm, nan_to_num, logaddexp2, spacing, and the complex/real predicates."""
import numpy as np

from mirax import dtypes, lax
from mirax.core import Array, Tracer, to_array, with_source
from mirax.ad import jvp
from mirax.custom_derivatives import custom_jvp

from . import _ufuncs as ufuncs
from ._creation import asarray
from ._reductions import any as _any
from ._util import check_arraylike, promote_args, promote_args_inexact, promote_args_numeric


def fmax(x1, x2):
    """The larger of x1 and x2, ignoring a NaN of x2 (a NaN of x1 only where x2 is NaN too)."""
    return ufuncs.where(ufuncs.greater(x1, x2) | ufuncs.isnan(x2), x1, x2)


def fmin(x1, x2):
    return ufuncs.where(ufuncs.less(x1, x2) | ufuncs.isnan(x2), x1, x2)


def modf(x, /, out=None):
    """The fractional and whole parts of x, the whole part rounded towards zero."""
    check_arraylike("modf", x)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.modf is not supported.")
    (x,) = promote_args_inexact("modf", x)
    whole = ufuncs.where(lax.ge(x, ufuncs._const(x, 0)), ufuncs.floor(x), ufuncs.ceil(x))
    return x - whole, whole


def _integer_args(fn_name, x1, x2):
    check_arraylike(fn_name, x1, x2)
    x1, x2 = promote_args(fn_name, x1, x2)
    if not dtypes.is_integer(x1.aval.dtype):
        raise ValueError(with_source(f"Arguments to jax.numpy.{fn_name} must be integers."))
    return x1, x2


def gcd(x1, x2):
    """Euclid's algorithm on |x1| and |x2|, every element stepping until all are done, as JAX's."""
    x1, x2 = _integer_args("gcd", x1, x2)
    return _gcd(ufuncs.abs(x1), ufuncs.abs(x2))


def _gcd(x1, x2):
    def step(xs):
        x1, x2 = xs
        nonzero = x2 != 0
        x1, x2 = (ufuncs.where(nonzero, x2, x1),
                  ufuncs.where(nonzero, lax.rem(x1, ufuncs.where(nonzero, x2, 1)), ufuncs._const(x2, 0)))
        return ufuncs.where(x1 < x2, x2, x1), ufuncs.where(x1 < x2, x1, x2)

    return lax.while_loop(lambda xs: _any(xs[1] != 0), step, (x1, x2))[0]


def lcm(x1, x2):
    x1, x2 = _integer_args("lcm", x1, x2)
    x1, x2 = ufuncs.abs(x1), ufuncs.abs(x2)
    d = _gcd(x1, x2)
    return ufuncs.where(d == 0, ufuncs._const(d, 0), x1 * ufuncs.floor_divide(x2, ufuncs.where(d == 0, 1, d)))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """x with NaNs replaced by `nan` and infinities by `posinf`/`neginf` (the dtype's
    largest and smallest finite values by default); real and imaginary parts apart."""
    check_arraylike("nan_to_num", x)
    x = to_array(x)
    dtype = x.aval.dtype
    if not (dtypes.is_float(dtype) or dtypes.is_complex(dtype)):
        return x
    if dtypes.is_complex(dtype):
        return lax.complex(nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf),
                           nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf))
    info = dtypes.finfo(dtype)
    out = ufuncs.where(ufuncs.isnan(x), asarray(nan, dtype=dtype), x)
    out = ufuncs.where(ufuncs.isposinf(out), asarray(info.max if posinf is None else posinf, dtype=dtype), out)
    return ufuncs.where(ufuncs.isneginf(out), asarray(info.min if neginf is None else neginf, dtype=dtype), out)


def logaddexp2(x1, x2, /):
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    return _logaddexp2(x1, x2)


@custom_jvp
def _logaddexp2(x1, x2):
    """log2(2^x1 + 2^x2) as JAX computes it (lax's logaddexp2), with JAX's JVP rule."""
    amax = lax.max(x1, x2)
    invln2 = ufuncs._const(amax, 1 / np.log(2))
    if dtypes.is_complex(x1.aval.dtype):
        delta = lax.sub(lax.add(x1, x2), lax.mul(amax, ufuncs._const(amax, 2)))
        out = lax.add(amax, lax.mul(invln2, lax.log1p(lax.exp2(delta))))
        return lax.complex(lax.real(out), ufuncs._wrap_between(lax.imag(out), np.pi / np.log(2)))
    delta = lax.sub(x1, x2)
    return lax.select(ufuncs.isnan(delta), lax.add(x1, x2),  # NaNs, or infinities of one sign
                      lax.add(amax, lax.mul(invln2, lax.log1p(lax.exp2(lax.neg(lax.abs(delta)))))))


@_logaddexp2.defjvp
def _logaddexp2_jvp(primals, tangents):
    (x1, x2), (t1, t2) = primals, tangents
    out = _logaddexp2(x1, x2)
    weight = lambda x: lax.exp2(lax.sub(ufuncs._replace_inf(x), ufuncs._replace_inf(out)))  # noqa: E731
    return out, lax.add(lax.mul(t1, weight(x1)), lax.mul(t2, weight(x2)))


def spacing(x, /):
    """The distance from x to the next float away from zero (the smallest subnormal, signed, at zero)."""
    (x,) = promote_args_inexact("spacing", x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError(with_source("jnp.spacing is not defined for complex inputs."))
    inf = ufuncs._const(x, np.inf)
    if x.aval.dtype == np.float16:
        return lax.nextafter(x, inf) - x
    result = lax.nextafter(x, ufuncs.copysign(inf, x)) - x
    return ufuncs.where(result == 0, ufuncs.copysign(dtypes.finfo(x.aval.dtype).smallest_subnormal, x), result)


def iscomplex(x):
    i = ufuncs.imag(x)
    return lax.ne(i, ufuncs._const(i, 0))


def isreal(x):
    i = ufuncs.imag(x)
    return lax.eq(i, ufuncs._const(i, 0))


def iscomplexobj(x):
    if isinstance(x, (complex, np.complexfloating)):
        return True
    if x is None or isinstance(x, (bool, int, float, str, np.generic)):
        return False
    dtype = x.dtype if hasattr(x, "dtype") else asarray(x).dtype
    return dtypes.issubdtype(dtype, np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def isscalar(element):
    if np.isscalar(element):
        return True
    if isinstance(element, (np.ndarray, Array, Tracer)):
        return element.ndim == 0
    if getattr(element, "__jax_array__", None) is not None:
        return asarray(element).ndim == 0
    return False


def sort_complex(a):
    check_arraylike("sort_complex", a)
    a = lax.sort(to_array(a))
    return lax.convert_element_type(a, dtypes.complex_dtype(a.aval.dtype))


_INT_DTYPES = {16: np.int16, 32: np.int32, 64: np.int64}


def frexp(x, /):
    """The mantissa in [0.5, 1) and the int32 exponent of x (x itself, exponent 0, at
    zeros, infinities and NaNs), from x's bits as JAX's."""
    check_arraylike("frexp", x)
    (x,) = promote_args_inexact("frexp", x)
    if dtypes.is_complex(x.dtype):
        raise TypeError(with_source("frexp does not support complex-valued inputs"))
    return _frexp(x)


@custom_jvp
def _frexp(x):
    info = dtypes.finfo(x.dtype)
    int_type = _INT_DTYPES[info.bits]
    mask = (1 << info.nexp) - 1
    bias = 1 - info.minexp
    # Subnormals scaled up by 2^nmant first, their exponent lowered by as much.
    subnormal = lax.abs(x) < ufuncs._const(x, info.tiny)
    x1 = lax.bitcast_convert_type(ufuncs.where(subnormal, x * ufuncs._const(x, 1 << info.nmant), x), int_type)
    x2 = ufuncs.where(subnormal, int_type(-info.nmant), int_type(0))
    x2 = x2 + ((x1 >> info.nmant) & mask) - bias + 1
    x1 = (x1 & ~(mask << info.nmant)) | ((bias - 1) << info.nmant)
    special = ufuncs.isinf(x) | ufuncs.isnan(x) | (x == 0)
    return (ufuncs.where(special, x, lax.bitcast_convert_type(x1, x.dtype)),
            lax.convert_element_type(ufuncs.where(special, 0, x2), np.int32))


@_frexp.defjvp
def _frexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, e = _frexp(x)
    return (m, e), (t * ufuncs.exp2(-e.astype(t.dtype)), e * 0)  # an integer output: any zero tangent


def ldexp(x1, x2, /):
    """x1 * 2**x2 (x2 integer), through frexp so that it neither overflows nor
    underflows early, as JAX's."""
    check_arraylike("ldexp", x1, x2)
    x1, x2 = to_array(x1), to_array(x2)
    if dtypes.is_complex(x1.dtype) or dtypes.is_float(x2.dtype) or dtypes.is_complex(x2.dtype):
        raise ValueError(with_source(f"ldexp not supported for input types {(x1.dtype, x2.dtype)}"))
    (x1,) = promote_args_inexact("ldexp", x1)
    x2 = lax.convert_element_type(x2, x1.dtype)
    m, e = frexp(x1)
    e = (e.astype(x2.dtype) + x2).astype(x1.dtype)
    m = ufuncs.where(e > 0, m * 2, m)
    e = ufuncs.where(e > 0, e - 1, e)
    x = m * 2 ** e.astype(m.dtype)
    return ufuncs.where(ufuncs.isinf(x1) | (x1 == 0), x1, x)


def i0(x):
    """The modified Bessel function of order 0, exp(|x|) i0e(|x|)."""
    (x,) = promote_args_inexact("i0", x)
    if not dtypes.is_float(x.dtype):
        raise ValueError(with_source(f"Unsupported input type to jax.numpy.i0: {x.dtype}"))
    return _i0(x)


def _i0_formula(x):
    abs_x = lax.abs(x)
    return lax.mul(lax.exp(abs_x), lax.bessel_i0e(abs_x))


@custom_jvp
def _i0(x):
    return _i0_formula(x)


@_i0.defjvp
def _i0_jvp(primals, tangents):
    """The formula's JVP, but 0 at x = 0, where |x| has no derivative (JAX's rule)."""
    out, tangent = jvp(_i0_formula, primals, tangents)
    return out, ufuncs.where(primals[0] == 0, 0.0, tangent)


def bitwise_count(x, /):
    """The number of 1 bits in |x|, as uint8 (JAX's population_count)."""
    (x,) = promote_args_numeric("bitwise_count", x)
    return lax.population_count(ufuncs.abs(x)).astype(np.uint8)


__all__ = ["bitwise_count", "fmax", "fmin", "frexp", "gcd", "i0", "iscomplex", "iscomplexobj", "isreal", "isrealobj",
           "isscalar", "lcm", "ldexp", "logaddexp2", "modf", "nan_to_num", "sort_complex", "spacing"]
