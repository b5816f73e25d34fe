"""Elementwise ops: unary math, binary arithmetic, compare, select, clamp, convert.

Operands of an elementwise op have one shape (broadcasting is explicit, through
broadcast_in_dim); each op lowers to a linalg.generic whose body is the op's
scalar rule for the operand dtype (float, complex, signed, unsigned or bool).
Half-precision transcendentals compute in f32, as XLA does.
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, math

from . import rules
from .base import Mirax, MiraxOp, build, dtype_, int_, op_class, string
from .batching import defelementwise
from .lowering import constant, elementwise, scalar_type
from .types import ShapedType, is_bool, is_complex, is_float, is_integer, is_unsigned
from .jvp import defjvp, defnondiff, defzero
from .values import add_tangents, apply, full_like, instantiate, type_of

# ----------------------------------------------------------------------------- type rules


def _same_shapes(*types):
    shapes = {t.shape for t in types}
    if len(shapes) > 1:
        raise TypeError(
            "requires operands of one shape, got " + ", ".join(str(list(t.shape)) for t in types)
        )


def _same_types(*types):
    _same_shapes(*types)
    if len({t.dtype for t in types}) > 1:
        raise TypeError("requires operands of one dtype, got " + ", ".join(t.dtype.name for t in types))
    return types[0]


def _kinds(allowed, name):
    """A type rule for ops defined only on some dtype kinds ("float", "complex", "int", "bool")."""

    def check(*types):
        result = _same_types(*types)
        kind = _kind(result.dtype)
        if kind not in allowed:
            raise TypeError(f"does not accept {result.dtype.name} operands ({name} takes {', '.join(allowed)})")
        return result

    return check


def _kind(dtype):
    if is_complex(dtype):
        return "complex"
    if is_float(dtype):
        return "float"
    if is_bool(dtype):
        return "bool"
    return "int"


NUMBER = ("float", "complex", "int")
INEXACT = ("float", "complex")

# ----------------------------------------------------------------------------- scalar rules
# Each takes the operand dtype and the scalar operands and returns the scalar result.


def _f32(fn):
    """Compute a float function of half-precision operands in f32."""

    def emit(dtype, *xs, **params):
        if np.dtype(dtype).itemsize == 2 and is_float(dtype):
            f32 = ir.F32Type.get()
            out = fn(np.dtype(np.float32), *(arith.extf(f32, x) for x in xs), **params)
            return arith.truncf(xs[0].type, out)
        return fn(dtype, *xs, **params)

    return emit


def _by_kind(float_=None, complex_=None, int_=None, uint=None, bool_=None):
    def emit(dtype, *xs):
        kind = _kind(dtype)
        fn = {"float": float_, "complex": complex_, "bool": bool_}.get(kind)
        if kind == "int":
            fn = uint if is_unsigned(dtype) and uint is not None else int_
        return fn(dtype, *xs)

    return emit


def _op(f):
    """A scalar rule from an MLIR builder that takes only the operands."""
    return lambda dtype, *xs: f(*xs)


def _sign(dtype, x):
    if is_complex(dtype):
        return _complex_sign(dtype, x)
    if is_float(dtype):
        zero = constant(dtype, 0)
        one = constant(dtype, 1)
        signed = math.copysign(one, x)
        is_zero_or_nan = arith.cmpf(arith.CmpFPredicate.UNE, x, x)
        is_zero_or_nan = arith.ori(is_zero_or_nan, arith.cmpf(arith.CmpFPredicate.OEQ, x, zero))
        return arith.select(is_zero_or_nan, x, signed)
    zero = constant(dtype, 0)
    if is_unsigned(dtype):
        return arith.extui(x.type, arith.cmpi(arith.CmpIPredicate.ne, x, zero))
    pos = arith.extui(x.type, arith.cmpi(arith.CmpIPredicate.sgt, x, zero))
    neg = arith.extui(x.type, arith.cmpi(arith.CmpIPredicate.slt, x, zero))
    return arith.subi(pos, neg)


def _logistic(dtype, x):
    one = constant(dtype, 1)
    if is_complex(dtype):
        return complex_d.div(one, complex_d.add(one, complex_d.exp(complex_d.neg(x))))
    return arith.divf(one, arith.addf(one, math.exp(arith.negf(x))))


def _expm1(dtype, x):
    """expm1 by Kahan's formula (u - 1) * x / log(u), u = exp(x), in f64 for every float
    dtype: convert-math-to-llvm lowers math.expm1 to exp(x) - 1, which loses all digits
    near 0."""
    f64 = np.dtype(np.float64)
    wide = convert_scalar(dtype, f64, x)
    one = constant(f64, 1)
    u = math.exp(wide)
    u_minus_one = arith.subf(u, one)
    result = arith.divf(arith.mulf(u_minus_one, wide), math.log(u))
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, u, one), wide, result)  # tiny x, and -0
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, u, constant(f64, 0)), constant(f64, -1), result)
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, u, constant(f64, np.inf)), u, result)
    return convert_scalar(f64, dtype, result)


# ----------------------------------------------------------------------------- complex functions
# From real functions of the parts, where the complex dialect has no op or its
# lowering loses accuracy: polar-form sqrt (Re sqrt(-4+0j) = -8.7e-8), log|z| through
# |z| (overflows and underflows), and sin, tan, tanh, expm1, log1p from exp
# differences (all digits lost for |z| < 1e-4). Multiplying by i is done on the
# parts, so that signed zeros (which pick the side of a branch cut) are kept.


def _parts(z):
    return complex_d.re(z), complex_d.im(z)


def _cmp(predicate, a, b):
    return arith.cmpf(getattr(arith.CmpFPredicate, predicate), a, b)


def _times_i(z):
    re, im = _parts(z)
    return complex_d.create_(z.type, arith.negf(im), re)


def _times_minus_i(z):
    re, im = _parts(z)
    return complex_d.create_(z.type, im, arith.negf(re))


def _complex_sign(dtype, z):
    """z / |z| on z scaled by 1 / max(|x|, |y|), so that |z| neither overflows nor underflows."""
    x, y = _parts(z)
    largest = arith.maximumf(math.absf(x), math.absf(y))
    x, y = arith.divf(x, largest), arith.divf(y, largest)
    size = complex_d.abs(complex_d.create_(z.type, x, y))
    unit = complex_d.create_(z.type, arith.divf(x, size), arith.divf(y, size))
    return arith.select(_cmp("OEQ", largest, constant(_real_dtype(dtype), 0)), z, unit)


def _complex_sqrt(dtype, z):
    """Kahan's algorithm (C99's csqrt): t = sqrt((|x| + |z|) / 2), then t + i y / 2t for x >= 0
    and |y| / 2t + i copysign(t, y) otherwise, on z scaled by a power of 4 so that |x| + |z|
    neither overflows nor loses the bits of subnormals."""
    part = _real_dtype(dtype)
    info = np.finfo(part)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    ax, ay = math.absf(x), math.absf(y)
    largest = arith.maximumf(ax, ay)
    huge, tiny = _cmp("OGT", largest, c(info.max / 4)), _cmp("OLT", largest, c(2.0 ** (info.minexp + info.nmant)))
    up = 2.0 ** (2 * (info.nmant + 1))
    scale = arith.select(huge, c(0.25), arith.select(tiny, c(up), c(1)))
    unscale = arith.select(huge, c(2), arith.select(tiny, c(1 / np.sqrt(up)), c(1)))
    size = complex_d.abs(complex_d.create_(z.type, arith.mulf(ax, scale), arith.mulf(ay, scale)))
    t = arith.mulf(math.sqrt(arith.mulf(arith.addf(arith.mulf(ax, scale), size), c(0.5))), unscale)
    two_t = arith.addf(t, t)
    right = _cmp("OGE", x, c(0))
    re = arith.select(right, t, arith.divf(ay, two_t))
    im = arith.select(right, arith.divf(y, two_t), math.copysign(t, y))
    zero = arith.andi(_cmp("OEQ", x, c(0)), _cmp("OEQ", y, c(0)))
    re, im = arith.select(zero, c(0), re), arith.select(zero, y, im)
    infinite_y = _cmp("OEQ", ay, c(np.inf))  # sqrt(x +- inf i) = inf +- inf i, even for NaN x
    return complex_d.create_(z.type, arith.select(infinite_y, ay, re), arith.select(infinite_y, y, im))


def _complex_log(dtype, z):
    """log|z| + i arg z, with log|z| = log m + log1p((n / m)^2) / 2 for m = max(|x|, |y|) and
    n = min(|x|, |y|): neither overflows nor underflows, and is exact near |z| = 1."""
    part = _real_dtype(dtype)
    x, y = _parts(z)
    ax, ay = math.absf(x), math.absf(y)
    largest, smallest = arith.maximumf(ax, ay), arith.minimumf(ax, ay)
    ratio = arith.divf(smallest, largest)
    log_largest = math.log(largest)
    re = arith.addf(log_largest, arith.mulf(constant(part, 0.5), math.log1p(arith.mulf(ratio, ratio))))
    # 0 and inf: the ratio is NaN (0 / 0, inf / inf) or 0, and log m is the answer.
    ends = arith.ori(_cmp("OEQ", largest, constant(part, 0)), _cmp("OEQ", largest, constant(part, np.inf)))
    return complex_d.create_(z.type, arith.select(ends, log_largest, re), math.atan2(y, x))


def _complex_log1p(dtype, z):
    """log|1+z| + i arg(1+z), with log|1+z| = log1p(x(2+x) + y^2) / 2 for |x|, |y| < 1/2
    (where that sum is small and exact enough), from log(1+z) elsewhere."""
    part = _real_dtype(dtype)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    one_plus_x = arith.addf(c(1), x)
    small = arith.andi(_cmp("OLT", math.absf(x), c(0.5)), _cmp("OLT", math.absf(y), c(0.5)))
    near = arith.mulf(c(0.5), math.log1p(arith.addf(arith.mulf(x, arith.addf(c(2), x)), arith.mulf(y, y))))
    far = complex_d.re(_complex_log(dtype, complex_d.create_(z.type, one_plus_x, y)))
    return complex_d.create_(z.type, arith.select(small, near, far), math.atan2(y, one_plus_x))


def _complex_expm1(dtype, z):
    """expm1(x) cos y - 2 sin^2(y/2) + i e^x sin y: no cancellation for small z."""
    part = _real_dtype(dtype)
    x, y = _parts(z)
    half_sine = math.sin(arith.mulf(y, constant(part, 0.5)))
    re = arith.subf(arith.mulf(_expm1(part, x), math.cos(y)),
                    arith.mulf(constant(part, 2), arith.mulf(half_sine, half_sine)))
    im = arith.mulf(math.exp(x), math.sin(y))
    return complex_d.create_(z.type, re, arith.select(_cmp("OEQ", y, constant(part, 0)), y, im))


def _complex_exp2(dtype, z):
    """exp(z ln 2), in complex128: rounding y ln 2 to f32 would cost |y| ulps of phase."""
    wide = np.dtype(np.complex128)
    ln2 = constant(np.float64, np.log(2))
    x, y = _parts(convert_scalar(dtype, wide, z))
    result = complex_d.exp(complex_d.create_(scalar_type(wide), arith.mulf(x, ln2), arith.mulf(y, ln2)))
    return convert_scalar(wide, dtype, result)


def _complex_sin(dtype, z):
    """sin x cosh y + i cos x sinh y, exact zeros kept (0 * cosh(inf) is not NaN here)."""
    x, y = _parts(z)
    zero = constant(_real_dtype(dtype), 0)
    re = arith.select(_cmp("OEQ", x, zero), x, arith.mulf(math.sin(x), math.cosh(y)))
    im = arith.select(_cmp("OEQ", y, zero), y, arith.mulf(math.cos(x), math.sinh(y)))
    return complex_d.create_(z.type, re, im)


def _complex_cos(dtype, z):
    """cos x cosh y - i sin x sinh y, exact zeros kept."""
    x, y = _parts(z)
    zero = constant(_real_dtype(dtype), 0)
    im = arith.negf(arith.mulf(math.sin(x), math.sinh(y)))
    either_zero = arith.ori(_cmp("OEQ", x, zero), _cmp("OEQ", y, zero))
    im = arith.select(either_zero, arith.negf(arith.mulf(math.copysign(zero, x), math.copysign(zero, y))), im)
    return complex_d.create_(z.type, arith.mulf(math.cos(x), math.cosh(y)), im)


def _complex_tanh(dtype, z):
    """Kahan's formula (as glibc's ctanh): with t = tan y, s = sinh x and b = 1 + t^2,
    tanh z = (b s sqrt(1 + s^2) + i t) / (1 + b s^2); once e^-2|x| is below an ulp it is
    sign(x) + 4i sin y cos y e^-2|x| (where s^2 would overflow)."""
    part = _real_dtype(dtype)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    t, s = math.tan(y), math.sinh(x)
    b = arith.addf(c(1), arith.mulf(t, t))
    denominator = arith.addf(c(1), arith.mulf(b, arith.mulf(s, s)))
    re = arith.divf(arith.mulf(arith.mulf(b, s), math.sqrt(arith.addf(c(1), arith.mulf(s, s)))), denominator)
    im = arith.divf(t, denominator)
    ax = math.absf(x)
    far = _cmp("OGT", ax, c(10 if part.itemsize == 4 else 20))
    far_im = arith.mulf(arith.mulf(c(4), arith.mulf(math.sin(y), math.cos(y))), math.exp(arith.mulf(c(-2), ax)))
    return complex_d.create_(z.type, arith.select(far, math.copysign(c(1), x), re), arith.select(far, far_im, im))


def _complex_asin(dtype, z):
    """Kahan's formulas ("Branch cuts for complex elementary functions", 1987), as C99's
    casin: asin z = atan(x / Re(sqrt(1-z) sqrt(1+z))) + i asinh(Im(conj(sqrt(1-z)) sqrt(1+z)))."""
    x, y = _parts(z)
    one = constant(_real_dtype(dtype), 1)
    ar, ai = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(one, x), arith.negf(y))))
    br, bi = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(one, x), y)))
    re = math.atan2(x, arith.subf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = math.asinh(arith.subf(arith.mulf(ar, bi), arith.mulf(ai, br)))
    return complex_d.create_(z.type, re, im)


def _complex_acos(dtype, z):
    """Kahan: acos z = 2 atan(Re sqrt(1-z) / Re sqrt(1+z)) + i asinh(Im(conj(sqrt(1+z)) sqrt(1-z)))."""
    x, y = _parts(z)
    one = constant(_real_dtype(dtype), 1)
    ar, ai = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(one, x), arith.negf(y))))
    br, bi = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(one, x), y)))
    re = arith.mulf(constant(_real_dtype(dtype), 2), math.atan2(ar, br))
    im = math.asinh(arith.subf(arith.mulf(br, ai), arith.mulf(bi, ar)))
    return complex_d.create_(z.type, re, im)


def _complex_acosh(dtype, z):
    """Kahan: acosh z = asinh(Re(conj(sqrt(z-1)) sqrt(z+1))) + 2i atan(Im sqrt(z-1) / Re sqrt(z+1))."""
    x, y = _parts(z)
    one = constant(_real_dtype(dtype), 1)
    ar, ai = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(x, one), y)))
    br, bi = _parts(_complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(x, one), y)))
    re = math.asinh(arith.addf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = arith.mulf(constant(_real_dtype(dtype), 2), math.atan2(ai, br))
    return complex_d.create_(z.type, re, im)


def _complex_atanh(dtype, z):
    """atanh z = 1/4 log1p(4x / ((1-x)^2 + y^2)) + i/2 atan2(2y, (1-x)(1+x) - y^2), the real
    part odd in x and computed from |x| (C99's catanh). Within sqrt(eps) of +-1, where
    (1-x)^2 + y^2 could underflow, the real part is (log|1+z| - log|1-z|) / 2; past
    |z| = 1/eps, where y^2 could overflow, atanh z is Re(1/z) + i copysign(pi/2, y) to
    within an ulp."""
    part = _real_dtype(dtype)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    ax = math.absf(x)
    one_minus = arith.subf(c(1), ax)
    denominator = arith.addf(arith.mulf(one_minus, one_minus), arith.mulf(y, y))
    re = arith.mulf(c(0.25), math.log1p(arith.divf(arith.mulf(c(4), ax), denominator)))
    log_size = lambda re_part: complex_d.re(_complex_log(dtype, complex_d.create_(z.type, re_part, y)))
    near_one = _cmp("OLT", arith.maximumf(math.absf(one_minus), math.absf(y)), c(np.sqrt(np.finfo(part).eps)))
    re = arith.select(near_one, arith.mulf(c(0.5), arith.subf(log_size(arith.addf(c(1), ax)), log_size(one_minus))), re)
    cosine = arith.subf(arith.mulf(arith.subf(c(1), x), arith.addf(c(1), x)), arith.mulf(y, y))
    im = arith.mulf(c(0.5), math.atan2(arith.mulf(c(2), y), cosine))
    far = _cmp("OGT", arith.maximumf(ax, math.absf(y)), c(1 / np.finfo(part).eps))
    re = arith.select(far, complex_d.re(complex_d.div(constant(dtype, 1), z)), math.copysign(re, x))
    return complex_d.create_(z.type, re, arith.select(far, math.copysign(c(np.pi / 2), y), im))


def _int_div(dtype, x, y):
    """XLA's integer division: x / 0 is -1 (all ones), INT_MIN / -1 is INT_MIN."""
    zero = constant(dtype, 0)
    y_is_zero = arith.cmpi(arith.CmpIPredicate.eq, y, zero)
    if is_unsigned(dtype):
        safe = arith.select(y_is_zero, constant(dtype, 1), y)
        return arith.select(y_is_zero, constant(dtype, -1 % 2 ** (8 * np.dtype(dtype).itemsize)), arith.divui(x, safe))
    minus_one = constant(dtype, -1)
    overflow = arith.andi(
        arith.cmpi(arith.CmpIPredicate.eq, x, constant(dtype, np.iinfo(dtype).min)),
        arith.cmpi(arith.CmpIPredicate.eq, y, minus_one),
    )
    bad = arith.ori(y_is_zero, overflow)
    quotient = arith.divsi(x, arith.select(bad, constant(dtype, 1), y))
    return arith.select(y_is_zero, minus_one, arith.select(overflow, x, quotient))


def _int_rem(dtype, x, y):
    """XLA's integer remainder: x % 0 is x, INT_MIN % -1 is 0."""
    zero = constant(dtype, 0)
    y_is_zero = arith.cmpi(arith.CmpIPredicate.eq, y, zero)
    if is_unsigned(dtype):
        return arith.select(y_is_zero, x, arith.remui(x, arith.select(y_is_zero, constant(dtype, 1), y)))
    minus_one = arith.cmpi(arith.CmpIPredicate.eq, y, constant(dtype, -1))
    safe = arith.select(arith.ori(y_is_zero, minus_one), constant(dtype, 1), y)
    rem = arith.remsi(x, safe)
    return arith.select(y_is_zero, x, arith.select(minus_one, zero, rem))


def _shift(kind):
    """Shifts by at least the bit width give 0 (or the sign for arithmetic right shift)."""

    def emit(dtype, x, y):
        width = constant(dtype, 8 * np.dtype(dtype).itemsize)
        too_far = arith.cmpi(arith.CmpIPredicate.uge, y, width)
        if kind == "left":
            return arith.select(too_far, constant(dtype, 0), arith.shli(x, y))
        if kind == "logical":
            return arith.select(too_far, constant(dtype, 0), arith.shrui(x, y))
        clamped = arith.select(too_far, arith.subi(width, constant(dtype, 1)), y)
        return arith.shrsi(x, clamped)

    return emit


def _not(dtype, x):
    return arith.xori(x, constant(dtype, True if is_bool(dtype) else -1))


def _complex_max_or_min(predicate):
    """XLA's order on complex numbers: by real part, then by imaginary part; a comparison
    with NaN is false and picks the second operand."""

    def emit(dtype, x, y):
        (xr, xi), (yr, yi) = _parts(x), _parts(y)
        wins = getattr(arith.CmpFPredicate, predicate)
        first = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, xr, yr), arith.cmpf(wins, xi, yi),
                             arith.cmpf(wins, xr, yr))
        return arith.select(first, x, y)

    return emit


def _round(dtype, x, rounding_method):
    return math.round(x) if rounding_method == 0 else math.roundeven(x)


def _nextafter(dtype, x, y):
    bits = ir.IntegerType.get_signless(8 * np.dtype(dtype).itemsize)
    ix, iy = arith.bitcast(bits, x), arith.bitcast(bits, y)
    one = arith.ConstantOp(bits, ir.IntegerAttr.get(bits, 1)).result
    sign_mask = arith.ConstantOp(bits, ir.IntegerAttr.get(bits, -(2 ** (bits.width - 1)))).result
    is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, y)
    equal = arith.cmpf(arith.CmpFPredicate.OEQ, x, y)
    x_zero = arith.cmpf(arith.CmpFPredicate.OEQ, x, constant(dtype, 0))
    # From zero: the smallest subnormal with y's sign.
    from_zero = arith.bitcast(x.type, arith.ori(arith.andi(iy, sign_mask), one))
    # Otherwise move the magnitude up or down by one ulp.
    away = arith.xori(
        arith.cmpf(arith.CmpFPredicate.OLT, x, y), arith.cmpf(arith.CmpFPredicate.OLT, x, constant(dtype, 0))
    )
    stepped = arith.bitcast(x.type, arith.select(away, arith.addi(ix, one), arith.subi(ix, one)))
    result = arith.select(x_zero, from_zero, stepped)
    result = arith.select(equal, y, result)
    return arith.select(is_nan, arith.addf(x, y), result)


def _erf_inv(dtype, x):
    """Giles' single-precision approximation (as XLA's ErfInv32); f64 refines it with
    two Newton steps on erf, or on erfc for |x| > 1/2 (where 1 - |x| is exact and erf(y)
    - |x| would cancel)."""
    c = lambda v: constant(dtype, v)
    poly = lambda w, coeffs: _horner(w, [c(k) for k in coeffs])
    one = c(1.0)
    w = arith.negf(math.log(arith.mulf(arith.subf(one, x), arith.addf(one, x))))
    small = arith.cmpf(arith.CmpFPredicate.OLT, w, c(5.0))
    p_small = poly(arith.subf(w, c(2.5)), [
        2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
        -0.00125372503, -0.00417768164, 0.246640727, 1.50140941])
    p_large = poly(arith.subf(math.sqrt(w), c(3.0)), [
        -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
        -0.0076224613, 0.00943887047, 1.00167406, 2.83297682])
    y = arith.mulf(arith.select(small, p_small, p_large), x)
    if np.dtype(dtype).itemsize == 8:
        two_over_sqrt_pi = c(2.0 / np.sqrt(np.pi))
        ax, ay = math.absf(x), math.absf(y)
        near_one = arith.cmpf(arith.CmpFPredicate.OGT, ax, c(0.5))
        for _ in range(2):
            slope = arith.mulf(two_over_sqrt_pi, math.exp(arith.negf(arith.mulf(ay, ay))))
            residual = arith.select(near_one, arith.subf(arith.subf(one, ax), math.erfc(ay)),
                                    arith.subf(math.erf(ay), ax))
            ay = arith.subf(ay, arith.divf(residual, slope))
        y = math.copysign(ay, x)
    infinite = arith.cmpf(arith.CmpFPredicate.OEQ, math.absf(x), one)
    return arith.select(infinite, arith.mulf(x, c(np.inf)), y)


def _horner(w, coeffs):
    p = coeffs[0]
    for k in coeffs[1:]:
        p = arith.addf(k, arith.mulf(p, w))
    return p


UNARY = {
    "neg": (NUMBER, _by_kind(_op(arith.negf), _op(complex_d.neg),
                             lambda d, x: arith.subi(constant(d, 0), x))),
    "abs": (NUMBER, _by_kind(_op(math.absf), _op(complex_d.abs), _op(math.absi), uint=lambda d, x: x)),
    "sign": (NUMBER, _sign),
    "floor": (("float",), _f32(_op(math.floor))),
    "ceil": (("float",), _f32(_op(math.ceil))),
    "exp": (INEXACT, _by_kind(_f32(_op(math.exp)), _op(complex_d.exp))),
    "exp2": (INEXACT, _by_kind(_f32(_op(math.exp2)), _complex_exp2)),
    "expm1": (INEXACT, _by_kind(_expm1, _complex_expm1)),
    "log": (INEXACT, _by_kind(_f32(_op(math.log)), _complex_log)),
    "log1p": (INEXACT, _by_kind(_f32(_op(math.log1p)), _complex_log1p)),
    "sqrt": (INEXACT, _by_kind(_f32(_op(math.sqrt)), _complex_sqrt)),
    "rsqrt": (INEXACT, _by_kind(_f32(_op(math.rsqrt)),
                                lambda d, z: complex_d.div(constant(d, 1), _complex_sqrt(d, z)))),
    "cbrt": (("float",), _f32(_op(math.cbrt))),
    "sin": (INEXACT, _by_kind(_f32(_op(math.sin)), _complex_sin)),
    "cos": (INEXACT, _by_kind(_f32(_op(math.cos)), _complex_cos)),
    "tan": (INEXACT, _by_kind(_f32(_op(math.tan)), lambda d, z: _times_minus_i(_complex_tanh(d, _times_i(z))))),
    "asin": (INEXACT, _by_kind(_f32(_op(math.asin)), _complex_asin)),
    "acos": (INEXACT, _by_kind(_f32(_op(math.acos)), _complex_acos)),
    "atan": (INEXACT, _by_kind(_f32(_op(math.atan)),
                               lambda d, z: _times_minus_i(_complex_atanh(d, _times_i(z))))),
    "sinh": (INEXACT, _by_kind(_f32(_op(math.sinh)), lambda d, z: _times_minus_i(_complex_sin(d, _times_i(z))))),
    "cosh": (INEXACT, _by_kind(_f32(_op(math.cosh)), lambda d, z: _complex_cos(d, _times_i(z)))),
    "tanh": (INEXACT, _by_kind(_f32(_op(math.tanh)), _complex_tanh)),
    "asinh": (INEXACT, _by_kind(_f32(_op(math.asinh)),
                                lambda d, z: _times_minus_i(_complex_asin(d, _times_i(z))))),
    "acosh": (INEXACT, _by_kind(_f32(_op(math.acosh)), _complex_acosh)),
    "atanh": (INEXACT, _by_kind(_f32(_op(math.atanh)), _complex_atanh)),
    "logistic": (INEXACT, _by_kind(_f32(_logistic), _logistic)),
    "erf": (("float",), _f32(_op(math.erf))),
    "erf_inv": (("float",), _f32(_erf_inv)),
    "not": (("int", "bool"), _not),
}

BINARY = {
    "add": (NUMBER + ("bool",), _by_kind(_op(arith.addf), _op(complex_d.add), _op(arith.addi), bool_=_op(arith.ori))),
    "sub": (NUMBER, _by_kind(_op(arith.subf), _op(complex_d.sub), _op(arith.subi))),
    "mul": (NUMBER + ("bool",), _by_kind(_op(arith.mulf), _op(complex_d.mul), _op(arith.muli), bool_=_op(arith.andi))),
    "div": (NUMBER, _by_kind(_op(arith.divf), _op(complex_d.div), _int_div)),
    "rem": (("float", "int"), _by_kind(_f32(_op(arith.remf)), int_=_int_rem)),
    "max": (NUMBER + ("bool",), _by_kind(_op(arith.maximumf), _complex_max_or_min("OGT"), _op(arith.maxsi),
                                         uint=_op(arith.maxui), bool_=_op(arith.ori))),
    "min": (NUMBER + ("bool",), _by_kind(_op(arith.minimumf), _complex_max_or_min("OLT"), _op(arith.minsi),
                                         uint=_op(arith.minui), bool_=_op(arith.andi))),
    "atan2": (("float",), _f32(_op(math.atan2))),
    "nextafter": (("float",), _nextafter),  # on the dtype's own bits, never through f32
    "and": (("int", "bool"), _op(arith.andi)),
    "or": (("int", "bool"), _op(arith.ori)),
    "xor": (("int", "bool"), _op(arith.xori)),
    "shift_left": (("int",), _shift("left")),
    "shift_right_logical": (("int",), _shift("logical")),
    "shift_right_arithmetic": (("int",), _shift("arithmetic")),
}

# ----------------------------------------------------------------------------- ops


def _unary_infer(name, kinds):
    check = _kinds(kinds, name)

    def infer(x):
        result = check(x)
        if name == "abs" and is_complex(x.dtype):
            return ShapedType(x.shape, np.dtype(np.float32 if x.dtype == np.complex64 else np.float64))
        return result

    return staticmethod(infer)


def _elementwise_lowering(scalar):
    def lower(node, *operands):
        dtype = node.in_types[0].dtype
        return elementwise(node.out_types, operands, lambda *xs: scalar(dtype, *xs, **node.params))

    return lower


def _define(name, operands):
    """The op `name` of the UNARY or BINARY table, with its lowering rule."""
    kinds, scalar = (UNARY if len(operands) == 1 else BINARY)[name]
    infer = _unary_infer(name, kinds) if len(operands) == 1 else staticmethod(_kinds(kinds, name))
    cls = type(_cls_name(name), (MiraxOp,), {"infer": infer}, name=name, operands=operands)
    rules.lowering[cls.OPERATION_NAME] = _elementwise_lowering(scalar)
    return cls


def _cls_name(name):
    return "".join(part.capitalize() for part in name.split("_")) + "Op"


NegOp = _define("neg", ("operand",))
AbsOp = _define("abs", ("operand",))
SignOp = _define("sign", ("operand",))
FloorOp = _define("floor", ("operand",))
CeilOp = _define("ceil", ("operand",))
ExpOp = _define("exp", ("operand",))
Exp2Op = _define("exp2", ("operand",))
Expm1Op = _define("expm1", ("operand",))
LogOp = _define("log", ("operand",))
Log1pOp = _define("log1p", ("operand",))
SqrtOp = _define("sqrt", ("operand",))
RsqrtOp = _define("rsqrt", ("operand",))
CbrtOp = _define("cbrt", ("operand",))
SinOp = _define("sin", ("operand",))
CosOp = _define("cos", ("operand",))
TanOp = _define("tan", ("operand",))
AsinOp = _define("asin", ("operand",))
AcosOp = _define("acos", ("operand",))
AtanOp = _define("atan", ("operand",))
SinhOp = _define("sinh", ("operand",))
CoshOp = _define("cosh", ("operand",))
TanhOp = _define("tanh", ("operand",))
AsinhOp = _define("asinh", ("operand",))
AcoshOp = _define("acosh", ("operand",))
AtanhOp = _define("atanh", ("operand",))
LogisticOp = _define("logistic", ("operand",))
ErfOp = _define("erf", ("operand",))
ErfInvOp = _define("erf_inv", ("operand",))
NotOp = _define("not", ("operand",))
AddOp = _define("add", ("lhs", "rhs"))
SubOp = _define("sub", ("lhs", "rhs"))
MulOp = _define("mul", ("lhs", "rhs"))
DivOp = _define("div", ("lhs", "rhs"))
RemOp = _define("rem", ("lhs", "rhs"))
MaxOp = _define("max", ("lhs", "rhs"))
MinOp = _define("min", ("lhs", "rhs"))
Atan2Op = _define("atan2", ("lhs", "rhs"))
NextafterOp = _define("nextafter", ("lhs", "rhs"))
AndOp = _define("and", ("lhs", "rhs"))
OrOp = _define("or", ("lhs", "rhs"))
XorOp = _define("xor", ("lhs", "rhs"))
ShiftLeftOp = _define("shift_left", ("lhs", "rhs"))
ShiftRightLogicalOp = _define("shift_right_logical", ("lhs", "rhs"))
ShiftRightArithmeticOp = _define("shift_right_arithmetic", ("lhs", "rhs"))


class RoundOp(MiraxOp, name="round", operands=("operand",), params={"rounding_method": int_}):
    """rounding_method 0 rounds half away from zero, 1 half to even (as lax.round)."""

    @staticmethod
    def infer(x, rounding_method):
        if rounding_method not in (0, 1):
            raise TypeError(f"rounding_method must be 0 or 1, got {rounding_method}")
        return _kinds(("float",), "round")(x)


rules.lowering[RoundOp.OPERATION_NAME] = _elementwise_lowering(_f32(_round))


class PowOp(MiraxOp, name="pow", operands=("lhs", "rhs")):
    """lhs ** rhs for float or complex lhs; rhs has lhs's dtype or is an integer, which
    converts to lhs's dtype (as lax.pow)."""

    @staticmethod
    def infer(x, y):
        _same_shapes(x, y)
        _kinds(INEXACT, "pow")(x)
        if y.dtype != x.dtype and not is_integer(y.dtype):
            raise TypeError(f"requires an exponent of dtype {x.dtype.name} or an integer dtype, got {y.dtype.name}")
        return x


def _pow(dtype, x, y):
    if is_complex(dtype):
        return complex_d.pow(x, y)
    return math.powf(x, y)


def _lower_pow(node, x, y):
    dtype, exponent_dtype = node.in_types[0].dtype, node.in_types[1].dtype
    scalar = lambda a, b: _f32(_pow)(dtype, a, convert_scalar(exponent_dtype, dtype, b))
    return elementwise(node.out_types, [x, y], scalar)


rules.lowering[PowOp.OPERATION_NAME] = _lower_pow


class IntegerPowOp(MiraxOp, name="integer_pow", operands=("operand",), params={"y": int_}):
    """x ** y for a static integer y, by repeated squaring (exact for integers, like JAX)."""

    @staticmethod
    def infer(x, y):
        result = _kinds(NUMBER, "integer_pow")(x)
        if y < 0 and is_integer(x.dtype):
            raise TypeError(f"integers cannot be raised to negative powers, got {x.dtype.name} ** {y}")
        return result


def _integer_pow(dtype, x, y):
    kind = _kind(dtype)
    mul = {"float": arith.mulf, "complex": complex_d.mul, "int": arith.muli}[kind]
    result, base, n = None, x, abs(y)
    while n:
        if n & 1:
            result = base if result is None else mul(result, base)
        n >>= 1
        if n:
            base = mul(base, base)
    if result is None:
        return constant(dtype, 1)
    if y < 0:
        result = (complex_d.div if kind == "complex" else arith.divf)(constant(dtype, 1), result)
    return result


rules.lowering[IntegerPowOp.OPERATION_NAME] = _elementwise_lowering(_integer_pow)


class IsFiniteOp(MiraxOp, name="is_finite", operands=("operand",)):
    @staticmethod
    def infer(x):
        _kinds(("float",), "is_finite")(x)
        return ShapedType(x.shape, np.dtype(np.bool_))


rules.lowering[IsFiniteOp.OPERATION_NAME] = _elementwise_lowering(lambda dtype, x: math.isfinite(x))

COMPARISONS = ("EQ", "NE", "LT", "LE", "GT", "GE")
_FLOAT_PRED = {"EQ": "OEQ", "NE": "UNE", "LT": "OLT", "LE": "OLE", "GT": "OGT", "GE": "OGE"}
_INT_PRED = {"EQ": "eq", "NE": "ne", "LT": "slt", "LE": "sle", "GT": "sgt", "GE": "sge"}
_UINT_PRED = {"EQ": "eq", "NE": "ne", "LT": "ult", "LE": "ule", "GT": "ugt", "GE": "uge"}


class CompareOp(MiraxOp, name="compare", operands=("lhs", "rhs"), params={"direction": string}):
    """lhs `direction` rhs, elementwise; direction is one of EQ NE LT LE GT GE."""

    @staticmethod
    def infer(x, y, direction):
        if direction not in COMPARISONS:
            raise TypeError(f"direction must be one of {', '.join(COMPARISONS)}, got {direction!r}")
        _same_types(x, y)
        if is_complex(x.dtype) and direction not in ("EQ", "NE"):
            raise TypeError(f"complex operands support only EQ and NE, got {direction}")
        return ShapedType(x.shape, np.dtype(np.bool_))


def _compare(dtype, x, y, direction):
    if is_complex(dtype):
        return (complex_d.eq if direction == "EQ" else complex_d.neq)(x, y)
    if is_float(dtype):
        return arith.cmpf(getattr(arith.CmpFPredicate, _FLOAT_PRED[direction]), x, y)
    table = _UINT_PRED if is_unsigned(dtype) or is_bool(dtype) else _INT_PRED
    return arith.cmpi(getattr(arith.CmpIPredicate, table[direction]), x, y)


rules.lowering[CompareOp.OPERATION_NAME] = _elementwise_lowering(_compare)


class SelectOp(MiraxOp, name="select", operands=("pred", "on_true", "on_false")):
    """pred ? on_true : on_false, elementwise; pred is bool of the operands' shape."""

    @staticmethod
    def infer(pred, on_true, on_false):
        if pred.dtype != np.bool_:
            raise TypeError(f"requires a bool predicate, got {pred.dtype.name}")
        _same_shapes(pred, on_true, on_false)
        return _same_types(on_true, on_false)


rules.lowering[SelectOp.OPERATION_NAME] = lambda node, *operands: elementwise(
    node.out_types, operands, lambda p, a, b: arith.select(p, a, b)
)


class FmaOp(MiraxOp, name="fma", operands=("a", "b", "c")):
    """a * b + c rounded once (a fused multiply-add), on float32 and float64: what
    XLA:CPU computes where LLVM contracts a product and a sum, which mirax.random
    reproduces bit for bit."""

    @staticmethod
    def infer(a, b, c):
        result = _kinds(("float",), "fma")(a, b, c)
        if result.dtype.itemsize not in (4, 8):
            raise TypeError(f"requires float32 or float64 operands, got {result.dtype.name}")
        return result


rules.lowering[FmaOp.OPERATION_NAME] = lambda node, *operands: elementwise(node.out_types, operands, math.fma)


class ClampOp(MiraxOp, name="clamp", operands=("min", "operand", "max")):
    """min(max(operand, min), max), elementwise, with NaNs propagated as lax.clamp."""

    @staticmethod
    def infer(lo, x, hi):
        return _kinds(("float", "int", "bool"), "clamp")(lo, x, hi)


def _clamp(dtype, lo, x, hi):
    return BINARY["min"][1](dtype, BINARY["max"][1](dtype, x, lo), hi)


rules.lowering[ClampOp.OPERATION_NAME] = _elementwise_lowering(_clamp)


class ConvertOp(MiraxOp, name="convert", operands=("operand",), params={"new_dtype": dtype_}):
    """Elementwise conversion to `new_dtype`, as lax.convert_element_type: float to
    integer truncates toward zero and saturates (NaN gives 0); complex to real keeps
    the real part; anything to bool is `!= 0`."""

    infer = staticmethod(lambda x, new_dtype: ShapedType(x.shape, new_dtype))


def convert_scalar(src, dst, x):
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    target = scalar_type(dst)
    if is_complex(src):
        if is_complex(dst):
            re = convert_scalar(_real_dtype(src), _real_dtype(dst), complex_d.re(x))
            im = convert_scalar(_real_dtype(src), _real_dtype(dst), complex_d.im(x))
            return complex_d.create_(target, re, im)
        return convert_scalar(_real_dtype(src), dst, complex_d.re(x))  # to bool too: real part != 0
    if is_complex(dst):
        part = _real_dtype(dst)
        return complex_d.create_(target, convert_scalar(src, part, x), constant(part, 0))
    if is_bool(dst):
        zero = constant(src, 0)
        if is_float(src):
            return arith.cmpf(arith.CmpFPredicate.UNE, x, zero)
        return arith.cmpi(arith.CmpIPredicate.ne, x, zero)
    if is_float(src) and is_float(dst):
        # f16 <-> bf16 and f64 -> f16/bf16 have no LLVM libcall here: go through f32.
        if src.itemsize == 2 and dst.itemsize == 2:
            return arith.truncf(target, arith.extf(ir.F32Type.get(), x))
        if src.itemsize == 8 and dst.itemsize == 2:
            return arith.truncf(target, _f64_to_f32_round_to_odd(x))
        return (arith.extf if dst.itemsize > src.itemsize else arith.truncf)(target, x)
    if is_float(dst):  # from an integer or bool
        return (arith.uitofp if is_unsigned(src) or is_bool(src) else arith.sitofp)(target, x)
    if is_float(src):  # to an integer, saturating
        bits = 8 * dst.itemsize
        lo, hi = (0, 2**bits) if is_unsigned(dst) else (-(2 ** (bits - 1)), 2 ** (bits - 1))
        as_float = lambda v: constant(src, v)
        truncated = (arith.fptoui if is_unsigned(dst) else arith.fptosi)(target, x)
        result = arith.select(arith.cmpf(arith.CmpFPredicate.OGE, x, as_float(hi)), constant(dst, hi - 1), truncated)
        result = arith.select(arith.cmpf(arith.CmpFPredicate.OLE, x, as_float(lo)), constant(dst, lo), result)
        return arith.select(arith.cmpf(arith.CmpFPredicate.UNO, x, x), constant(dst, 0), result)
    # integer (or bool, i1) to integer
    width, target_width = ir.IntegerType(x.type).width, ir.IntegerType(target).width
    if target_width < width:
        return arith.trunci(target, x)
    if target_width == width:
        return x
    return (arith.extui if is_unsigned(src) or is_bool(src) else arith.extsi)(target, x)


def _f64_to_f32_round_to_odd(x):
    """f64 -> f32 rounding inexact results to the f32 value with an odd last bit, so that
    a second rounding (to f16 or bf16) gives the correctly rounded result of the first
    (round-to-odd needs two more bits than the final precision; f32 has 13 and 16)."""
    f32, i32 = ir.F32Type.get(), ir.IntegerType.get_signless(32)
    nearest = arith.truncf(f32, x)
    back = arith.extf(x.type, nearest)
    bits = arith.bitcast(i32, nearest)
    one = arith.ConstantOp(i32, ir.IntegerAttr.get(i32, 1)).result
    # Rounded away from zero (to a larger magnitude, or to inf): one step back toward zero.
    overshot = arith.cmpf(arith.CmpFPredicate.OGT, math.absf(back), math.absf(x))
    bits = arith.select(overshot, arith.subi(bits, one), bits)
    inexact = arith.cmpf(arith.CmpFPredicate.UNE, back, x)
    return arith.bitcast(f32, arith.select(inexact, arith.ori(bits, one), bits))


def _real_dtype(dtype):
    return np.dtype(np.float32 if np.dtype(dtype) == np.complex64 else np.float64)


rules.lowering[ConvertOp.OPERATION_NAME] = lambda node, x: elementwise(
    node.out_types, [x], lambda v: convert_scalar(node.in_types[0].dtype, node.params["new_dtype"], v)
)


class BitcastConvertOp(MiraxOp, name="bitcast_convert", operands=("operand",), params={"new_dtype": dtype_}):
    """Reinterprets the bits of each element as `new_dtype` of the same width."""

    @staticmethod
    def infer(x, new_dtype):
        new_dtype = np.dtype(new_dtype)
        if any(is_bool(d) or is_complex(d) for d in (x.dtype, new_dtype)):
            raise TypeError(f"cannot bitcast {x.dtype.name} to {new_dtype.name}: bool and complex have no bitcast")
        if x.dtype.itemsize != new_dtype.itemsize:
            raise TypeError(f"cannot bitcast {x.dtype.name} to {new_dtype.name}: widths differ")
        return ShapedType(x.shape, new_dtype)


rules.lowering[BitcastConvertOp.OPERATION_NAME] = lambda node, x: elementwise(
    node.out_types, [x], lambda v: arith.bitcast(scalar_type(node.params["new_dtype"]), v)
)


def _complex_part(name, fn):
    def infer(x):
        if not is_complex(x.dtype):
            raise TypeError(f"requires a complex operand, got {x.dtype.name}")
        return ShapedType(x.shape, _real_dtype(x.dtype))

    cls = type(name.capitalize() + "Op", (MiraxOp,), {"infer": staticmethod(infer)}, name=name, operands=("operand",))
    rules.lowering[cls.OPERATION_NAME] = lambda node, x: elementwise(node.out_types, [x], fn)
    return cls


RealOp = _complex_part("real", complex_d.re)
ImagOp = _complex_part("imag", complex_d.im)


class ConjOp(MiraxOp, name="conj", operands=("operand",)):
    """The complex conjugate; a float32 or float64 operand gives its complex type (as lax.conj)."""

    @staticmethod
    def infer(x):
        if is_complex(x.dtype):
            return x
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(f"requires a complex, float32 or float64 operand, got {x.dtype.name}")
        return ShapedType(x.shape, np.dtype(np.complex64 if x.dtype == np.float32 else np.complex128))


def _lower_conj(node, x):
    src, dst = node.in_types[0].dtype, node.out_types[0].dtype
    scalar = complex_d.conj if is_complex(src) else lambda v: convert_scalar(src, dst, v)
    return elementwise(node.out_types, [x], scalar)


rules.lowering[ConjOp.OPERATION_NAME] = _lower_conj


class ComplexOp(MiraxOp, name="complex", operands=("real", "imag")):
    """real + 1j * imag from two float operands of one type (f32 or f64)."""

    @staticmethod
    def infer(re, im):
        _kinds(("float",), "complex")(re, im)
        if re.dtype.itemsize not in (4, 8):
            raise TypeError(f"requires f32 or f64 parts, got {re.dtype.name}")
        return ShapedType(re.shape, np.dtype(np.complex64 if re.dtype.itemsize == 4 else np.complex128))


rules.lowering[ComplexOp.OPERATION_NAME] = lambda node, re, im: elementwise(
    node.out_types, [re, im], lambda a, b: complex_d.create_(scalar_type(node.out_types[0].dtype), a, b)
)


# ----------------------------------------------------------------------------- JVP rules
# As JAX's: one partial derivative per operand for most ops, zero for those without a
# derivative, and the rest by hand.


def _v(op_cls):
    return lambda *xs, **params: apply(op_cls, *xs, **params)


neg, add, sub, mul, div = _v(NegOp), _v(AddOp), _v(SubOp), _v(MulOp), _v(DivOp)
exp, log, sin, cos, sqrt, rsqrt = _v(ExpOp), _v(LogOp), _v(SinOp), _v(CosOp), _v(SqrtOp), _v(RsqrtOp)
sinh, cosh, sign = _v(SinhOp), _v(CoshOp), _v(SignOp)
select, compare, convert = _v(SelectOp), _v(CompareOp), _v(ConvertOp)
real, imag, conj, complex_ = _v(RealOp), _v(ImagOp), _v(ConjOp), _v(ComplexOp)


def _c(like, value):
    return full_like(like, value)


def _square(x):
    return mul(x, x)


defjvp(NegOp, lambda t, r, x: neg(t))
defjvp(AddOp, lambda t, r, x, y: t, lambda t, r, x, y: t)
defjvp(SubOp, lambda t, r, x, y: t, lambda t, r, x, y: neg(t))
defjvp(MulOp, lambda t, r, x, y: mul(t, y), lambda t, r, x, y: mul(x, t))
defjvp(DivOp, lambda t, r, x, y: div(t, y), lambda t, r, x, y: mul(neg(t), div(r, y)))
defjvp(ExpOp, lambda t, r, x: mul(t, r))
defjvp(Exp2Op, lambda t, r, x: mul(t, mul(r, _c(r, np.log(2)))))
defjvp(Expm1Op, lambda t, r, x: mul(t, add(r, _c(r, 1))))
defjvp(LogOp, lambda t, r, x: div(t, x))
defjvp(Log1pOp, lambda t, r, x: div(t, add(x, _c(x, 1))))
defjvp(SqrtOp, lambda t, r, x: mul(t, div(_c(r, 0.5), r)))  # as JAX writes it: the same roundings
defjvp(RsqrtOp, lambda t, r, x: mul(t, mul(div(r, x), _c(r, -0.5))))
defjvp(CbrtOp, lambda t, r, x: mul(t, div(_c(r, 1 / 3), _square(r))))
defjvp(SinOp, lambda t, r, x: mul(t, cos(x)))
defjvp(CosOp, lambda t, r, x: neg(mul(t, sin(x))))
defjvp(TanOp, lambda t, r, x: mul(t, add(_c(r, 1), _square(r))))
defjvp(AsinOp, lambda t, r, x: mul(t, rsqrt(sub(_c(x, 1), _square(x)))))
defjvp(AcosOp, lambda t, r, x: neg(mul(t, rsqrt(sub(_c(x, 1), _square(x))))))
defjvp(AtanOp, lambda t, r, x: div(t, add(_c(x, 1), _square(x))))
defjvp(SinhOp, lambda t, r, x: mul(t, cosh(x)))
defjvp(CoshOp, lambda t, r, x: mul(t, sinh(x)))
defjvp(TanhOp, lambda t, r, x: mul(t, sub(_c(r, 1), _square(r))))
defjvp(AsinhOp, lambda t, r, x: mul(t, rsqrt(add(_square(x), _c(x, 1)))))
defjvp(AcoshOp, lambda t, r, x: mul(t, rsqrt(mul(sub(x, _c(x, 1)), add(x, _c(x, 1))))))
defjvp(AtanhOp, lambda t, r, x: div(div(t, sub(_c(x, 1), x)), add(_c(x, 1), x)))
defjvp(LogisticOp, lambda t, r, x: mul(t, mul(r, sub(_c(r, 1), r))))
defjvp(ErfOp, lambda t, r, x: mul(t, mul(_c(x, 2 / np.sqrt(np.pi)), exp(neg(_square(x))))))
defjvp(ErfInvOp, lambda t, r, x: mul(t, mul(_c(x, np.sqrt(np.pi) / 2), exp(_square(r)))))
defjvp(FmaOp, lambda t, r, a, b, c: mul(t, b), lambda t, r, a, b, c: mul(a, t), lambda t, r, a, b, c: t)
defjvp(Atan2Op,
       lambda t, r, x, y: mul(t, div(y, add(_square(x), _square(y)))),
       lambda t, r, x, y: mul(t, div(neg(x), add(_square(x), _square(y)))))
defjvp(RemOp,
       lambda t, r, x, y: t,
       lambda t, r, x, y: mul(neg(t), mul(sign(div(x, y)), apply(FloorOp, apply(AbsOp, div(x, y))))))


def _pow_jvp_base(t, r, x, y):
    """JAX's: y x^(y-1), with an integer y in x's dtype and a zero derivative where it is 0
    (not 0 * x^-1, which is NaN at x = 0)."""
    if not is_integer(type_of(y).dtype):
        return mul(t, mul(y, apply(PowOp, x, sub(y, _c(y, 1)))))
    y = convert(y, new_dtype=type_of(x).dtype)
    jac = mul(y, apply(PowOp, x, sub(y, _c(y, 1))))
    return mul(t, select(compare(y, _c(y, 0), direction="EQ"), _c(y, 0), jac))


defjvp(PowOp, _pow_jvp_base,
       lambda t, r, x, y: mul(t, mul(select(compare(x, _c(x, 0), direction="EQ"), _c(x, 0), log(x)), r)))


def _integer_pow_jvp(node, primals, tangents):
    (x,), (t,) = primals, tangents
    y = node.params["y"]
    result = apply(IntegerPowOp, x, y=y)
    if t is None or y == 0:
        return [result], [None]
    derivative = _c(x, y) if y == 1 else mul(_c(x, y), apply(IntegerPowOp, x, y=y - 1))
    return [result], [mul(t, derivative)]


rules.jvp[IntegerPowOp.OPERATION_NAME] = _integer_pow_jvp


def _abs_jvp(node, primals, tangents):
    """JAX's: the derivative at 0 is +1; for complex x, re(conj(x) / |x| * t)."""
    (x,), (t,) = primals, tangents
    result = apply(AbsOp, x)
    if t is None:
        return [result], [None]
    if is_complex(type_of(x).dtype):
        safe = select(compare(result, _c(result, 0), direction="EQ"), _c(result, 1), result)
        return [result], [real(mul(t, div(conj(x), convert(safe, new_dtype=type_of(x).dtype))))]
    return [result], [select(compare(x, _c(x, 0), direction="GE"), t, neg(t))]


rules.jvp[AbsOp.OPERATION_NAME] = _abs_jvp


def _chooser_jvp(direction):
    """max/min: the tangent of the chosen operand; half of each on ties (JAX's balanced rule)."""

    def rule(node, primals, tangents):
        x, y = primals
        result = build(op_class(node.name), [x, y])[0]
        half = _c(x, 0.5)
        tie = compare(x, y, direction="EQ")
        x_wins = compare(x, y, direction=direction)
        weight_x = select(tie, half, select(x_wins, _c(x, 1), _c(x, 0)))
        weight_y = sub(_c(x, 1), weight_x)
        tx, ty = tangents
        return [result], [add_tangents(None if tx is None else mul(tx, weight_x),
                                       None if ty is None else mul(ty, weight_y))]

    return rule


rules.jvp[MaxOp.OPERATION_NAME] = _chooser_jvp("GT")
rules.jvp[MinOp.OPERATION_NAME] = _chooser_jvp("LT")

for _cls in (SignOp, FloorOp, CeilOp, RoundOp, IsFiniteOp, NotOp, AndOp, OrOp, XorOp, ShiftLeftOp,
             ShiftRightLogicalOp, ShiftRightArithmeticOp, CompareOp, BitcastConvertOp):
    defzero(_cls)
defnondiff(NextafterOp)


def _select_jvp(node, primals, tangents):
    pred, on_true, on_false = primals
    result = apply(SelectOp, pred, on_true, on_false)
    _, t_true, t_false = tangents
    if t_true is None and t_false is None:
        return [result], [None]
    shaped = type_of(result)
    return [result], [select(pred, instantiate(t_true, shaped), instantiate(t_false, shaped))]


rules.jvp[SelectOp.OPERATION_NAME] = _select_jvp


def _clamp_jvp(node, primals, tangents):
    lo, x, hi = primals
    result = apply(ClampOp, lo, x, hi)
    t_lo, t_x, t_hi = tangents
    zero = _c(x, 0)
    tangent = None
    if t_lo is not None:  # JAX's: min only counts where it is below max, so that it binds
        lo_binds = apply(AndOp, compare(lo, x, direction="GT"), compare(lo, hi, direction="LT"))
        tangent = add_tangents(tangent, select(lo_binds, t_lo, zero))
    if t_x is not None:
        inside = apply(AndOp, compare(x, lo, direction="GT"), compare(x, hi, direction="LT"))
        tangent = add_tangents(tangent, select(inside, t_x, zero))
    if t_hi is not None:
        tangent = add_tangents(tangent, select(compare(x, hi, direction="GT"), t_hi, zero))
    return [result], [tangent]


rules.jvp[ClampOp.OPERATION_NAME] = _clamp_jvp


def _convert_jvp(node, primals, tangents):
    (x,), (t,) = primals, tangents
    new_dtype = node.params["new_dtype"]
    result = convert(x, new_dtype=new_dtype)
    differentiable = not (is_integer(new_dtype) or is_bool(new_dtype))
    return [result], [convert(t, new_dtype=new_dtype) if t is not None and differentiable else None]


rules.jvp[ConvertOp.OPERATION_NAME] = _convert_jvp

defjvp(RealOp, lambda t, r, x: real(t))
defjvp(ImagOp, lambda t, r, x: imag(t))
defjvp(ConjOp, lambda t, r, x: conj(t))


def _complex_jvp(node, primals, tangents):
    re, im = primals
    result = complex_(re, im)
    t_re, t_im = tangents
    if t_re is None and t_im is None:
        return [result], [None]
    shaped = type_of(re)
    return [result], [complex_(instantiate(t_re, shaped), instantiate(t_im, shaped))]


rules.jvp[ComplexOp.OPERATION_NAME] = _complex_jvp


# ----------------------------------------------------------------------------- transpose rules


def _not_linear(node, position):
    raise TypeError(f"{node.name} is not linear in operand {position}: it cannot be transposed "
                    f"(is a custom JVP rule's tangent output nonlinear in the tangents?)")


def _transpose_add(node, cts, operands, linear):
    (ct,) = cts
    return [ct if is_linear else None for is_linear in linear]


def _transpose_sub(node, cts, operands, linear):
    (ct,) = cts
    return [ct if linear[0] else None, neg(ct) if linear[1] else None]


def _transpose_mul(node, cts, operands, linear):
    (ct,) = cts
    if all(linear):
        _not_linear(node, 1)
    x, y = operands
    return [mul(ct, y), None] if linear[0] else [None, mul(x, ct)]


def _transpose_div(node, cts, operands, linear):
    (ct,) = cts
    if linear[1]:
        _not_linear(node, 1)
    return [div(ct, operands[1]), None]


def _transpose_select(node, cts, operands, linear):
    (ct,) = cts
    pred = operands[0]
    if linear[0]:
        _not_linear(node, 0)
    zero = _c(ct, 0)
    return [None, select(pred, ct, zero) if linear[1] else None, select(pred, zero, ct) if linear[2] else None]


def _transpose_convert(node, cts, operands, linear):
    (ct,) = cts
    return [convert(ct, new_dtype=node.in_types[0].dtype)]


def _transpose_complex(node, cts, operands, linear):
    (ct,) = cts
    return [real(ct) if linear[0] else None, neg(imag(ct)) if linear[1] else None]


def _transpose_real(node, cts, operands, linear):
    (ct,) = cts
    return [complex_(ct, _c(ct, 0))]


def _transpose_imag(node, cts, operands, linear):
    (ct,) = cts
    return [complex_(_c(ct, 0), neg(ct))]


rules.transpose[AddOp.OPERATION_NAME] = _transpose_add
rules.transpose[SubOp.OPERATION_NAME] = _transpose_sub
rules.transpose[NegOp.OPERATION_NAME] = lambda node, cts, operands, linear: [neg(cts[0])]
rules.transpose[MulOp.OPERATION_NAME] = _transpose_mul
rules.transpose[DivOp.OPERATION_NAME] = _transpose_div
rules.transpose[SelectOp.OPERATION_NAME] = _transpose_select
rules.transpose[ConvertOp.OPERATION_NAME] = _transpose_convert
rules.transpose[ComplexOp.OPERATION_NAME] = _transpose_complex
rules.transpose[RealOp.OPERATION_NAME] = _transpose_real
rules.transpose[ImagOp.OPERATION_NAME] = _transpose_imag
rules.transpose[ConjOp.OPERATION_NAME] = lambda node, cts, operands, linear: [conj(cts[0])]


class StopGradientOp(MiraxOp, name="stop_gradient", operands=("operand",)):
    """The operand itself, with a zero derivative: differentiation stops here."""

    infer = staticmethod(lambda x: x)


rules.lowering[StopGradientOp.OPERATION_NAME] = lambda node, x: [x]
defzero(StopGradientOp)


# ----------------------------------------------------------------------------- batching
# Every op of this family maps operands of one shape to results of that shape.

for _cls in [c for c in Mirax.operations if c.__module__ == __name__]:
    defelementwise(_cls)
