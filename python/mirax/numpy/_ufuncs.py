"""NumPy's elementwise functions over lax, with NumPy broadcasting and JAX's promotion."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import Tracer, jitted_in_jax, replayed, to_array
from mirax.lax._other import _const, _replace_inf, _wrap_between, logaddexp as _logaddexp  # noqa: F401

from ._util import (broadcast_shapes, broadcast_to_shape, check_arraylike, promote_args, promote_args_inexact,
                    promote_args_numeric, promote_dtypes_numeric)


def _one_to_one(lax_fn, name, inexact=False):
    promote = promote_args_inexact if inexact else promote_args

    def fn(*args):
        return lax_fn(*promote(name, *args))

    fn.__name__ = name
    fn.__qualname__ = name
    return replayed(fn)


def _or_on_bools(lax_fn, bool_fn):
    """lax_fn, or bool_fn where the (promoted) operands are bools: + is or, * is and."""
    return lambda x, y: (bool_fn if x.aval.dtype == np.bool_ else lax_fn)(x, y)


add = _one_to_one(_or_on_bools(lax.add, lax.bitwise_or), "add")
subtract = _one_to_one(lax.sub, "subtract")
multiply = _one_to_one(_or_on_bools(lax.mul, lax.bitwise_and), "multiply")
true_divide = divide = _one_to_one(lax.div, "true_divide", inexact=True)
maximum = _one_to_one(lax.max, "maximum")
minimum = _one_to_one(lax.min, "minimum")
arctan2 = _one_to_one(lax.atan2, "arctan2", inexact=True)
nextafter = _one_to_one(lax.nextafter, "nextafter", inexact=True)
equal = _one_to_one(lax.eq, "equal")
not_equal = _one_to_one(lax.ne, "not_equal")
less = _one_to_one(lambda x, y: _complex_comparison(lax.lt, x, y), "less")
less_equal = _one_to_one(lambda x, y: _complex_comparison(lax.le, x, y), "less_equal")
greater = _one_to_one(lambda x, y: _complex_comparison(lax.gt, x, y), "greater")
greater_equal = _one_to_one(lambda x, y: _complex_comparison(lax.ge, x, y), "greater_equal")
bitwise_and = _one_to_one(lax.bitwise_and, "bitwise_and")
bitwise_or = _one_to_one(lax.bitwise_or, "bitwise_or")
bitwise_xor = _one_to_one(lax.bitwise_xor, "bitwise_xor")


exp = _one_to_one(lax.exp, "exp", inexact=True)
exp2 = _one_to_one(lax.exp2, "exp2", inexact=True)
expm1 = _one_to_one(lax.expm1, "expm1", inexact=True)
log = _one_to_one(lax.log, "log", inexact=True)
log1p = _one_to_one(lax.log1p, "log1p", inexact=True)
sqrt = _one_to_one(lax.sqrt, "sqrt", inexact=True)
cbrt = _one_to_one(lax.cbrt, "cbrt", inexact=True)
sin = _one_to_one(lax.sin, "sin", inexact=True)
cos = _one_to_one(lax.cos, "cos", inexact=True)
tan = _one_to_one(lax.tan, "tan", inexact=True)
arcsin = _one_to_one(lax.asin, "arcsin", inexact=True)
arccos = _one_to_one(lax.acos, "arccos", inexact=True)
arctan = _one_to_one(lax.atan, "arctan", inexact=True)
sinh = _one_to_one(lax.sinh, "sinh", inexact=True)
cosh = _one_to_one(lax.cosh, "cosh", inexact=True)
tanh = _one_to_one(lax.tanh, "tanh", inexact=True)
arcsinh = _one_to_one(lax.asinh, "arcsinh", inexact=True)
arccosh = _one_to_one(lax.acosh, "arccosh", inexact=True)
arctanh = _one_to_one(lax.atanh, "arctanh", inexact=True)
negative = _one_to_one(lax.neg, "negative")
sign = _one_to_one(lax.sign, "sign")
conjugate = conj = _one_to_one(lambda x: lax.conj(x) if dtypes.is_complex(x.aval.dtype) else x, "conjugate")


def _complex_comparison(lax_op, x, y):
    """JAX's order on complex numbers for jax.numpy's comparisons: by real part, then
    by imaginary part (lax's comparisons take no complex operands)."""
    if not dtypes.is_complex(x.aval.dtype):
        return lax_op(x, y)
    return lax.select(lax.eq(lax.real(x), lax.real(y)), lax_op(lax.imag(x), lax.imag(y)),
                      lax_op(lax.real(x), lax.real(y)))


def left_shift(x1, x2):
    x1, x2 = promote_args_numeric("left_shift", x1, x2)
    return lax.shift_left(x1, x2)


def positive(x):
    (x,) = promote_args("positive", x)
    return x


@replayed
def absolute(x):
    (x,) = promote_args("absolute", x)
    return x if dtypes.is_unsigned(x.aval.dtype) or x.aval.dtype == np.bool_ else lax.abs(x)


abs = absolute  # noqa: A001


@jitted_in_jax
def fabs(x):
    check_arraylike("fabs", x)
    if dtypes.is_complex(to_array(x).aval.dtype):
        raise TypeError("ufunc 'fabs' does not support complex dtypes")
    (x,) = promote_args_inexact("fabs", x)
    return lax.abs(x)


@jitted_in_jax
def square(x):
    (x,) = promote_args_numeric("square", x)
    return lax.integer_pow(x, 2)


@jitted_in_jax
def reciprocal(x):
    (x,) = promote_args_inexact("reciprocal", x)
    return lax.integer_pow(x, -1)


@jitted_in_jax
def floor(x):
    (x,) = promote_args("floor", x)
    return x if _is_integral(x) else lax.floor(x)


@jitted_in_jax
def ceil(x):
    (x,) = promote_args("ceil", x)
    return x if _is_integral(x) else lax.ceil(x)


def _is_integral(x):
    """Integers and bools, which rounding functions return as they are (JAX's; complex
    values go on to lax, which refuses them)."""
    return dtypes.is_integer(x.aval.dtype) or x.aval.dtype == np.bool_


@jitted_in_jax
def trunc(x):
    """x rounded toward 0; integers and bools are returned as they are (complex raises, as JAX's)."""
    (x,) = promote_args("trunc", x)
    if _is_integral(x):
        return x
    return lax.select(lax.lt(x, _const(x, 0)), lax.ceil(x), lax.floor(x))


@jitted_in_jax
def round(a, decimals=0):  # noqa: A001
    """Rounds half to even at `decimals` digits, as JAX's: by scaling with 10^decimals
    (float16 scales in float32); integers are returned as they are, bools refused."""
    check_arraylike("round", a)
    a = to_array(a)
    decimals = operator.index(decimals)
    dtype = a.aval.dtype
    if dtypes.is_integer(dtype):
        if decimals < 0:
            raise NotImplementedError("integer np.round not implemented for decimals < 0")
        return a

    def round_float(x):
        if decimals == 0:
            return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)
        wide = lax.convert_element_type(x, np.float32) if dtype == np.float16 else x
        factor = _const(wide, 10.0**decimals)
        out = lax.div(lax.round(lax.mul(wide, factor), lax.RoundingMethod.TO_NEAREST_EVEN), factor)
        return lax.convert_element_type(out, dtype) if dtype == np.float16 else out

    if decimals > np.log10(dtypes.finfo(dtype).max):  # finer than the dtype: nothing to round
        return a
    if dtypes.is_complex(dtype):
        return lax.complex(round_float(lax.real(a)), round_float(lax.imag(a)))
    return round_float(a)


around = round


@jitted_in_jax
def rint(x):
    """Rounds half to even, as JAX's: integers and bools become the default float (strongly
    typed), complex numbers round each part."""
    check_arraylike("rint", x)
    x = to_array(x)
    if _is_integral(x):
        return lax.convert_element_type(x, dtypes.default_float_dtype())
    if dtypes.is_complex(x.aval.dtype):
        return lax.complex(rint(lax.real(x)), rint(lax.imag(x)))
    return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


@jitted_in_jax
def log2(x):
    """log(x) / log(2) as JAX computes it: XLA turns the division by the constant into a
    product with 1 / log(2); complex results scale each part by it (a complex division
    would make log2(0)'s imaginary part NaN)."""
    (x,) = promote_args_inexact("log2", x)
    r = lax.log(x)
    one_over_ln2 = lax.convert_element_type(1 / np.log(2), dtypes.real_dtype(x.aval.dtype))
    if dtypes.is_complex(x.aval.dtype):
        return lax.complex(lax.mul(lax.real(r), one_over_ln2), lax.mul(lax.imag(r), one_over_ln2))
    return lax.mul(r, one_over_ln2)


@jitted_in_jax
def log10(x):
    """log(x) times 1 / log(10), as JAX's (so rounded as JAX's), each part for complex x."""
    (x,) = promote_args_inexact("log10", x)
    r = lax.log(x)
    one_over_ln10 = lax.convert_element_type(0.4342944819032518, dtypes.real_dtype(x.aval.dtype))
    if dtypes.is_complex(x.aval.dtype):
        return lax.complex(lax.mul(lax.real(r), one_over_ln10), lax.mul(lax.imag(r), one_over_ln10))
    return lax.mul(r, one_over_ln10)


@jitted_in_jax
def power(x1, x2):
    """x1 ** x2, as JAX's: a concrete integer scalar exponent uses exact repeated
    multiplication (lax.integer_pow); integer (or bool) bases and exponents use binary
    exponentiation over the exponent's low 6 bits (anything more overflows), as JAX
    does; a float base with an integer exponent keeps the exponent's dtype."""
    check_arraylike("power", x1, x2)
    if not isinstance(x2, Tracer):
        try:
            exponent = operator.index(x2)
        except TypeError:
            pass
        else:
            (x1,) = promote_dtypes_numeric(x1)
            return lax.integer_pow(x1, exponent)
    x1_, x2_ = promote_args_numeric("power", x1, x2)
    if dtypes.is_integer(x1_.aval.dtype):
        return _pow_int_int(x1_, x2_)
    base, exponent = (to_array(x) for x in (x1, x2))
    if dtypes.issubdtype(base.aval.dtype, np.inexact) and dtypes.is_integer(exponent.aval.dtype):
        return lax.pow(*(broadcast_to_shape(x, x1_.aval.shape) for x in (base, exponent)))
    return lax.pow(x1_, x2_)


def _pow_int_int(x1, x2):
    """JAX's: acc starts at 0 where x1 == 0 != x2 (so 0 ** n is 0), else at 1."""
    zero, one = (broadcast_to_shape(lax.convert_element_type(v, x2.aval.dtype), x2.aval.shape) for v in (0, 1))
    acc = lax.select(lax.bitwise_and(lax.eq(x1, zero), lax.ne(x2, zero)), zero, one)
    for _ in range(6):
        acc = lax.select(lax.ne(lax.bitwise_and(x2, one), zero), lax.mul(acc, x1), acc)
        x1 = lax.mul(x1, x1)
        x2 = lax.shift_right_logical(x2, one)
    return acc


pow = power  # noqa: A001


@jitted_in_jax
def float_power(x1, x2):
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return lax.pow(x1, x2)


@jitted_in_jax
def remainder(x1, x2):
    """Python's modulo: the result takes the sign of the divisor; an integer x % 0 is 0
    (JAX's divisor 0 becomes 1)."""
    x1, x2 = promote_args_numeric("remainder", x1, x2)
    zero = lax.convert_element_type(0, x1.aval.dtype)
    x2 = _nonzero_divisor(x2)
    trunc_mod = lax.rem(x1, x2)
    fix = lax.bitwise_and(lax.ne(trunc_mod, zero), lax.ne(lax.lt(trunc_mod, zero), lax.lt(x2, zero)))
    return lax.select(fix, lax.add(trunc_mod, x2), trunc_mod)


mod = remainder


@jitted_in_jax
def fmod(x1, x2):
    """C's fmod: the result takes the sign of the dividend. As JAX's, an integer divisor
    0 becomes 1 (a bool one does not: it is promoted after JAX's check)."""
    integer = dtypes.is_integer(dtypes.result_type(x1, x2))
    x1, x2 = promote_args_numeric("fmod", x1, x2)
    return lax.rem(x1, _nonzero_divisor(x2) if integer else x2)


def _nonzero_divisor(x2):
    """Integer divisors with 0 replaced by 1, as JAX's remainder and fmod do."""
    if not dtypes.is_integer(x2.aval.dtype):
        return x2
    return lax.select(lax.eq(x2, lax.convert_element_type(0, x2.aval.dtype)), _const(x2, 1), x2)


@jitted_in_jax
def floor_divide(x1, x2):
    """Python's floor division, as JAX's: lax.div (XLA's: x / 0 is -1, all bits set
    for unsigned) stepped down where the signs differ and the remainder is not 0."""
    x1, x2 = promote_args_numeric("floor_divide", x1, x2)
    dtype = x1.aval.dtype
    if dtypes.is_unsigned(dtype):
        return lax.div(x1, x2)
    if dtypes.is_integer(dtype):
        quotient = lax.div(x1, x2)
        inexact = lax.ne(lax.rem(x1, x2), lax.convert_element_type(0, dtype))
        step = lax.bitwise_and(lax.ne(lax.sign(x1), lax.sign(x2)), inexact)
        return lax.select(step, lax.sub(quotient, _const(quotient, 1)), quotient)
    if dtypes.is_complex(dtype):
        raise TypeError("floor_divide does not support complex-valued inputs")
    return _float_divmod(x1, x2)[0]


def _float_divmod(x1, x2):
    """JAX's (CPython's float_divmod): Python's semantics, exact at integer quotients;
    x / 0 divides x itself (giving +-inf), not x - fmod(x, 0) (NaN)."""
    mod = lax.rem(x1, x2)
    zero = lax.convert_element_type(0, x1.aval.dtype)
    div = lax.div(lax.select(lax.eq(x2, zero), x1, lax.sub(x1, mod)), x2)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.sign(x2), lax.sign(mod)))
    mod = lax.select(fix, lax.add(mod, x2), mod)
    div = lax.select(fix, div - 1.0, div)  # JAX's: a Python float keeps div's weak type
    return lax.round(div), mod


def divmod(x1, x2):  # noqa: A001
    return floor_divide(x1, x2), remainder(x1, x2)


def right_shift(x1, x2):
    x1, x2 = promote_args_numeric("right_shift", x1, x2)
    shift = lax.shift_right_logical if dtypes.is_unsigned(x1.aval.dtype) else lax.shift_right_arithmetic
    return shift(x1, x2)


def invert(x):
    (x,) = promote_args("invert", x)
    return lax.bitwise_not(x)


bitwise_not = bitwise_invert = invert


def _logical(lax_fn, name):
    def fn(*args):
        return lax_fn(*(_as_bool(a) for a in promote_args(name, *args)))

    fn.__name__ = name
    return fn


def _as_bool(x):
    x = to_array(x)
    return x if x.aval.dtype == np.bool_ else lax.ne(x, _const(x, 0))


logical_and = _logical(lax.bitwise_and, "logical_and")
logical_or = _logical(lax.bitwise_or, "logical_or")
logical_xor = _logical(lax.bitwise_xor, "logical_xor")
logical_not = _logical(lax.bitwise_not, "logical_not")


def isfinite(x):
    (x,) = promote_args("isfinite", x)
    if dtypes.is_complex(x.aval.dtype):
        return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    if not dtypes.is_float(x.aval.dtype):
        return lax.broadcast_in_dim(True, x.aval.shape, ())
    return lax.is_finite(x)


def isnan(x):
    (x,) = promote_args("isnan", x)
    if dtypes.is_complex(x.aval.dtype):
        return lax.bitwise_or(isnan(lax.real(x)), isnan(lax.imag(x)))
    return lax.ne(x, x)


def isinf(x):
    (x,) = promote_args("isinf", x)
    if dtypes.is_complex(x.aval.dtype):
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    if not dtypes.is_float(x.aval.dtype):
        return lax.broadcast_in_dim(False, x.aval.shape, ())
    return lax.eq(lax.abs(x), lax.convert_element_type(np.inf, x.aval.dtype))


def isposinf(x):
    return _isposneginf("isposinf", x, np.inf)


def isneginf(x):
    return _isposneginf("isneginf", x, -np.inf)


def _isposneginf(name, x, infinity):
    """As JAX's: only floats can be infinite (an integer or bool never is)."""
    (x,) = promote_args(name, x)
    if dtypes.is_complex(x.aval.dtype):
        raise ValueError("isposinf/isneginf are not well defined for complex types")
    if not dtypes.is_float(x.aval.dtype):
        return lax.broadcast_in_dim(False, x.aval.shape, ())
    return lax.eq(x, lax.convert_element_type(infinity, x.aval.dtype))


def signbit(x):
    (x,) = promote_args("signbit", x)
    dtype = x.aval.dtype
    if not dtypes.is_float(dtype):
        return lax.lt(x, lax.convert_element_type(0, dtype))
    int_type = {2: np.int16, 4: np.int32, 8: np.int64}[dtype.itemsize]
    return lax.lt(lax.bitcast_convert_type(x, int_type), lax.convert_element_type(0, int_type))


@jitted_in_jax
def copysign(x1, x2):
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    return where(signbit(x2), negative(absolute(x1)), absolute(x1))


def real(x):
    (x,) = promote_args("real", x)
    return lax.real(x) if dtypes.is_complex(x.aval.dtype) else x


def imag(x):
    (x,) = promote_args("imag", x)
    if dtypes.is_complex(x.aval.dtype):
        return lax.imag(x)
    return lax.broadcast_in_dim(_const(x, 0), x.aval.shape, ())


def angle(z, deg=False):
    """atan2(imag(z), real(z)), as JAX's: a real z has imaginary part +0, so negative
    reals give +pi; integers, bools and real 0-d values compute in the default float."""
    check_arraylike("angle", z)
    z = to_array(z)
    re, im = real(z), imag(z)
    if not dtypes.issubdtype(re.aval.dtype, np.inexact) or (dtypes.is_float(z.aval.dtype) and z.aval.ndim == 0):
        re, im = (lax.convert_element_type(v, dtypes.default_float_dtype()) for v in (re, im))
    result = lax.atan2(im, re)
    return rad2deg(result) if deg else result


@jitted_in_jax
def logaddexp(x1, x2):
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    return _logaddexp(x1, x2)


@jitted_in_jax
def sinc(x):
    (x,) = promote_args_inexact("sinc", x)
    pi_x = lax.mul(_const(x, np.pi), x)
    zero = lax.eq(x, _const(x, 0))
    safe = lax.select(zero, _const(x, 1), pi_x)
    return lax.select(zero, _const(x, 1), lax.div(lax.sin(safe), safe))


@jitted_in_jax
def deg2rad(x):
    (x,) = promote_args_inexact("deg2rad", x)
    return lax.mul(x, _const(x, np.pi / 180))


@jitted_in_jax
def rad2deg(x):
    (x,) = promote_args_inexact("rad2deg", x)
    return lax.mul(x, _const(x, 180 / np.pi))


radians, degrees = deg2rad, rad2deg


@jitted_in_jax
def hypot(x1, x2):
    """sqrt(x1^2 + x2^2) as JAX computes it: max * sqrt(1 + (min / max)^2), which does not
    overflow where the squares would; inf if either is infinite."""
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    if dtypes.is_complex(x1.aval.dtype):
        raise ValueError("jnp.hypot is not well defined for complex-valued inputs. Please convert to real values "
                         "first, such as by using abs(x)")
    x1, x2 = lax.abs(x1), lax.abs(x2)
    infinite = lax.bitwise_or(isposinf(x1), isposinf(x2))
    x1, x2 = lax.max(x1, x2), lax.min(x1, x2)
    zero = lax.eq(x1, _const(x1, 0))
    ratio = lax.div(x2, where(zero, _const(x1, 1), x1))
    x = where(zero, x1, lax.mul(x1, lax.sqrt(lax.add(_const(x1, 1), lax.integer_pow(ratio, 2)))))
    return where(infinite, _const(x, np.inf), x)


def heaviside(x1, x2):
    """JAX's formulation: 0 where x1 < 0, 1 where x1 > 0, x2 where x1 is 0, NaN where
    x1 is NaN."""
    x1, x2 = promote_args_inexact("heaviside", x1, x2)
    zero = _const(x1, 0)
    return where(lax.lt(x1, zero), zero, where(lax.gt(x1, zero), _const(x1, 1), where(isnan(x1), x1, x2)))


def where(condition, x, y, /):
    """x where condition holds, else y, elementwise (jnp.where, in _indexing, also has
    the one-argument form)."""
    check_arraylike("where", condition, x, y)
    condition = _as_bool(condition)
    x, y = promote_args("where", x, y)
    shape = broadcast_shapes("where", condition.aval.shape, x.aval.shape)
    if 0 in shape:  # as JAX: x itself, so an empty result depends on neither y nor condition
        return broadcast_to_shape(x, shape)
    return lax.select(broadcast_to_shape(condition, shape), broadcast_to_shape(x, shape), broadcast_to_shape(y, shape))


@jitted_in_jax
def clip(arr, min=None, max=None):  # noqa: A002
    check_arraylike("clip", arr)
    if any(dtypes.is_complex(to_array(v).aval.dtype) for v in (arr, min, max) if v is not None):
        raise ValueError("Clip received a complex value either through the input or the min/max keywords. Complex "
                         "values have no ordering and cannot be clipped.")
    if min is not None:
        arr = maximum(min, arr)
    if max is not None:
        arr = minimum(max, arr)
    return promote_args("clip", arr)[0]


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """a == b, or b finite and |a - b| <= atol + rtol * |b|, in the inexact dtype (integers
    compare as floats), NaNs unequal unless `equal_nan`, as JAX's."""
    check_arraylike("isclose", a, b)
    a, b = promote_args_inexact("isclose", a, b)
    tolerance_type = dtypes.real_dtype(a.aval.dtype)
    rtol = lax.convert_element_type(rtol, tolerance_type)
    atol = lax.convert_element_type(atol, tolerance_type)
    in_range = lax.le(lax.abs(lax.sub(a, b)), lax.add(atol, lax.mul(rtol, lax.abs(b))))
    out = logical_or(lax.eq(a, b), logical_and(isfinite(b), in_range))
    return logical_or(out, logical_and(isnan(a), isnan(b))) if equal_nan else out

