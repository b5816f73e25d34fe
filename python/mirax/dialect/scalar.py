"""Scalar emitters: the arith/math/complex code of one element, which the lowering
rules put in the bodies of their linalg.generics. Each takes the operand dtype and
scalar ir.Values and returns the scalar result: float functions of half-precision
operands computed in f32 (as XLA), complex functions from real ones of the parts
where the complex dialect loses accuracy, XLA's integer semantics (division by zero,
shifts past the width), conversions between any two dtypes (`convert_scalar`), and
Giles' erf_inv.
"""
import ml_dtypes
import numpy as np

from mirax.mlir import arith, complex_d, ir, math, scf

from .lowering import constant, scalar_type
from .types import is_bool, is_complex, is_float, is_unsigned


def kind(dtype):
    """The dtype's kind as the type rules name them: "float", "complex", "int" or "bool"."""
    if is_complex(dtype):
        return "complex"
    if is_float(dtype):
        return "float"
    if is_bool(dtype):
        return "bool"
    return "int"


# Groups of kinds that type rules accept.
NUMBER = ("float", "complex", "int")
INEXACT = ("float", "complex")
FLOAT = ("float",)
INTEGRAL = ("int", "bool")
ORDERED = ("float", "int", "bool")


def real_dtype(dtype):
    """The dtype of a complex dtype's parts."""
    return np.dtype(np.float32 if np.dtype(dtype) == np.complex64 else np.float64)


def in_f32(fn):
    """Compute a float function of half-precision operands in f32."""

    def emit(dtype, *xs, **params):
        if np.dtype(dtype).itemsize == 2 and is_float(dtype):
            f32 = ir.F32Type.get()
            out = fn(np.dtype(np.float32), *(arith.extf(f32, x) for x in xs), **params)
            return arith.truncf(xs[0].type, out)
        return fn(dtype, *xs, **params)

    return emit


def by_kind(float_=None, complex_=None, int_=None, uint=None, bool_=None):
    """A scalar rule choosing among rules by the dtype's kind (int_ for unsigned too unless uint is given)."""

    def emit(dtype, *xs):
        dtype_kind = kind(dtype)
        fn = {"float": float_, "complex": complex_, "bool": bool_}.get(dtype_kind)
        if dtype_kind == "int":
            fn = uint if is_unsigned(dtype) and uint is not None else int_
        return fn(dtype, *xs)

    return emit


def op(f):
    """A scalar rule from an MLIR builder that takes only the operands."""
    return lambda dtype, *xs: f(*xs)


def sign(dtype, x):
    if is_complex(dtype):
        return complex_sign(dtype, x)
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


def logistic(dtype, x):
    one = constant(dtype, 1)
    if is_complex(dtype):
        return complex_d.div(one, complex_d.add(one, complex_d.exp(complex_d.neg(x))))
    return arith.divf(one, arith.addf(one, math.exp(arith.negf(x))))


def expm1(dtype, x):
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


def complex_sign(dtype, z):
    """z / |z| on z scaled by 1 / max(|x|, |y|), so that |z| neither overflows nor underflows."""
    x, y = _parts(z)
    largest = arith.maximumf(math.absf(x), math.absf(y))
    x, y = arith.divf(x, largest), arith.divf(y, largest)
    size = complex_d.abs(complex_d.create_(z.type, x, y))
    unit = complex_d.create_(z.type, arith.divf(x, size), arith.divf(y, size))
    return arith.select(_cmp("OEQ", largest, constant(real_dtype(dtype), 0)), z, unit)


def complex_sqrt(dtype, z):
    """Kahan's algorithm (C99's csqrt): t = sqrt((|x| + |z|) / 2), then t + i y / 2t for x >= 0
    and |y| / 2t + i copysign(t, y) otherwise, on z scaled by a power of 4 so that |x| + |z|
    neither overflows nor loses the bits of subnormals."""
    part = real_dtype(dtype)
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


def complex_log(dtype, z):
    """log|z| + i arg z, with log|z| = log m + log1p((n / m)^2) / 2 for m = max(|x|, |y|) and
    n = min(|x|, |y|): neither overflows nor underflows, and is exact near |z| = 1."""
    part = real_dtype(dtype)
    x, y = _parts(z)
    ax, ay = math.absf(x), math.absf(y)
    largest, smallest = arith.maximumf(ax, ay), arith.minimumf(ax, ay)
    ratio = arith.divf(smallest, largest)
    log_largest = math.log(largest)
    re = arith.addf(log_largest, arith.mulf(constant(part, 0.5), math.log1p(arith.mulf(ratio, ratio))))
    # 0 and inf: the ratio is NaN (0 / 0, inf / inf) or 0, and log m is the answer.
    ends = arith.ori(_cmp("OEQ", largest, constant(part, 0)), _cmp("OEQ", largest, constant(part, np.inf)))
    return complex_d.create_(z.type, arith.select(ends, log_largest, re), math.atan2(y, x))


def complex_log1p(dtype, z):
    """log|1+z| + i arg(1+z), with log|1+z| = log1p(x(2+x) + y^2) / 2 for |x|, |y| < 1/2
    (where that sum is small and exact enough), from log(1+z) elsewhere."""
    part = real_dtype(dtype)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    one_plus_x = arith.addf(c(1), x)
    small = arith.andi(_cmp("OLT", math.absf(x), c(0.5)), _cmp("OLT", math.absf(y), c(0.5)))
    near = arith.mulf(c(0.5), math.log1p(arith.addf(arith.mulf(x, arith.addf(c(2), x)), arith.mulf(y, y))))
    far = complex_d.re(complex_log(dtype, complex_d.create_(z.type, one_plus_x, y)))
    return complex_d.create_(z.type, arith.select(small, near, far), math.atan2(y, one_plus_x))


def complex_expm1(dtype, z):
    """expm1(x) cos y - 2 sin^2(y/2) + i e^x sin y: no cancellation for small z."""
    part = real_dtype(dtype)
    x, y = _parts(z)
    half_sine = math.sin(arith.mulf(y, constant(part, 0.5)))
    re = arith.subf(arith.mulf(expm1(part, x), math.cos(y)),
                    arith.mulf(constant(part, 2), arith.mulf(half_sine, half_sine)))
    im = arith.mulf(math.exp(x), math.sin(y))
    return complex_d.create_(z.type, re, arith.select(_cmp("OEQ", y, constant(part, 0)), y, im))


def complex_exp2(dtype, z):
    """exp(z ln 2), in complex128: rounding y ln 2 to f32 would cost |y| ulps of phase."""
    wide = np.dtype(np.complex128)
    ln2 = constant(np.float64, np.log(2))
    x, y = _parts(convert_scalar(dtype, wide, z))
    result = complex_d.exp(complex_d.create_(scalar_type(wide), arith.mulf(x, ln2), arith.mulf(y, ln2)))
    return convert_scalar(wide, dtype, result)


def complex_sin(dtype, z):
    """sin x cosh y + i cos x sinh y, exact zeros kept (0 * cosh(inf) is not NaN here)."""
    x, y = _parts(z)
    zero = constant(real_dtype(dtype), 0)
    re = arith.select(_cmp("OEQ", x, zero), x, arith.mulf(math.sin(x), math.cosh(y)))
    im = arith.select(_cmp("OEQ", y, zero), y, arith.mulf(math.cos(x), math.sinh(y)))
    return complex_d.create_(z.type, re, im)


def complex_cos(dtype, z):
    """cos x cosh y - i sin x sinh y, exact zeros kept."""
    x, y = _parts(z)
    zero = constant(real_dtype(dtype), 0)
    im = arith.negf(arith.mulf(math.sin(x), math.sinh(y)))
    either_zero = arith.ori(_cmp("OEQ", x, zero), _cmp("OEQ", y, zero))
    im = arith.select(either_zero, arith.negf(arith.mulf(math.copysign(zero, x), math.copysign(zero, y))), im)
    return complex_d.create_(z.type, arith.mulf(math.cos(x), math.cosh(y)), im)


def complex_tanh(dtype, z):
    """Kahan's formula (as glibc's ctanh): with t = tan y, s = sinh x and b = 1 + t^2,
    tanh z = (b s sqrt(1 + s^2) + i t) / (1 + b s^2); once e^-2|x| is below an ulp it is
    sign(x) + 4i sin y cos y e^-2|x| (where s^2 would overflow)."""
    part = real_dtype(dtype)
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


def complex_asin(dtype, z):
    """Kahan's formulas ("Branch cuts for complex elementary functions", 1987), as C99's
    casin: asin z = atan(x / Re(sqrt(1-z) sqrt(1+z))) + i asinh(Im(conj(sqrt(1-z)) sqrt(1+z)))."""
    x, y = _parts(z)
    one = constant(real_dtype(dtype), 1)
    ar, ai = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(one, x), arith.negf(y))))
    br, bi = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(one, x), y)))
    re = math.atan2(x, arith.subf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = math.asinh(arith.subf(arith.mulf(ar, bi), arith.mulf(ai, br)))
    return complex_d.create_(z.type, re, im)


def complex_acos(dtype, z):
    """Kahan: acos z = 2 atan(Re sqrt(1-z) / Re sqrt(1+z)) + i asinh(Im(conj(sqrt(1+z)) sqrt(1-z)))."""
    x, y = _parts(z)
    one = constant(real_dtype(dtype), 1)
    ar, ai = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(one, x), arith.negf(y))))
    br, bi = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(one, x), y)))
    re = arith.mulf(constant(real_dtype(dtype), 2), math.atan2(ar, br))
    im = math.asinh(arith.subf(arith.mulf(br, ai), arith.mulf(bi, ar)))
    return complex_d.create_(z.type, re, im)


def complex_acosh(dtype, z):
    """Kahan: acosh z = asinh(Re(conj(sqrt(z-1)) sqrt(z+1))) + 2i atan(Im sqrt(z-1) / Re sqrt(z+1))."""
    x, y = _parts(z)
    one = constant(real_dtype(dtype), 1)
    ar, ai = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.subf(x, one), y)))
    br, bi = _parts(complex_sqrt(dtype, complex_d.create_(z.type, arith.addf(x, one), y)))
    re = math.asinh(arith.addf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = arith.mulf(constant(real_dtype(dtype), 2), math.atan2(ai, br))
    return complex_d.create_(z.type, re, im)


def complex_atanh(dtype, z):
    """atanh z = 1/4 log1p(4x / ((1-x)^2 + y^2)) + i/2 atan2(2y, (1-x)(1+x) - y^2), the real
    part odd in x and computed from |x| (C99's catanh). Within sqrt(eps) of +-1, where
    (1-x)^2 + y^2 could underflow, the real part is (log|1+z| - log|1-z|) / 2; past
    |z| = 1/eps, where y^2 could overflow, atanh z is Re(1/z) + i copysign(pi/2, y) to
    within an ulp."""
    part = real_dtype(dtype)
    c = lambda v: constant(part, v)
    x, y = _parts(z)
    ax = math.absf(x)
    one_minus = arith.subf(c(1), ax)
    denominator = arith.addf(arith.mulf(one_minus, one_minus), arith.mulf(y, y))
    re = arith.mulf(c(0.25), math.log1p(arith.divf(arith.mulf(c(4), ax), denominator)))
    log_size = lambda re_part: complex_d.re(complex_log(dtype, complex_d.create_(z.type, re_part, y)))
    near_one = _cmp("OLT", arith.maximumf(math.absf(one_minus), math.absf(y)), c(np.sqrt(np.finfo(part).eps)))
    re = arith.select(near_one, arith.mulf(c(0.5), arith.subf(log_size(arith.addf(c(1), ax)), log_size(one_minus))), re)
    cosine = arith.subf(arith.mulf(arith.subf(c(1), x), arith.addf(c(1), x)), arith.mulf(y, y))
    im = arith.mulf(c(0.5), math.atan2(arith.mulf(c(2), y), cosine))
    far = _cmp("OGT", arith.maximumf(ax, math.absf(y)), c(1 / np.finfo(part).eps))
    re = arith.select(far, complex_d.re(complex_d.div(constant(dtype, 1), z)), math.copysign(re, x))
    return complex_d.create_(z.type, re, arith.select(far, math.copysign(c(np.pi / 2), y), im))


def int_div(dtype, x, y):
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


def int_rem(dtype, x, y):
    """XLA's integer remainder: x % 0 is x, INT_MIN % -1 is 0."""
    zero = constant(dtype, 0)
    y_is_zero = arith.cmpi(arith.CmpIPredicate.eq, y, zero)
    if is_unsigned(dtype):
        return arith.select(y_is_zero, x, arith.remui(x, arith.select(y_is_zero, constant(dtype, 1), y)))
    minus_one = arith.cmpi(arith.CmpIPredicate.eq, y, constant(dtype, -1))
    safe = arith.select(arith.ori(y_is_zero, minus_one), constant(dtype, 1), y)
    rem = arith.remsi(x, safe)
    return arith.select(y_is_zero, x, arith.select(minus_one, zero, rem))


def shift(direction):
    """A shift ("left", "logical" or "arithmetic" right): by at least the bit width it
    gives 0 (or the sign for arithmetic right shift)."""

    def emit(dtype, x, y):
        width = constant(dtype, 8 * np.dtype(dtype).itemsize)
        too_far = arith.cmpi(arith.CmpIPredicate.uge, y, width)
        if direction == "left":
            return arith.select(too_far, constant(dtype, 0), arith.shli(x, y))
        if direction == "logical":
            return arith.select(too_far, constant(dtype, 0), arith.shrui(x, y))
        clamped = arith.select(too_far, arith.subi(width, constant(dtype, 1)), y)
        return arith.shrsi(x, clamped)

    return emit


def not_(dtype, x):
    return arith.xori(x, constant(dtype, True if is_bool(dtype) else -1))


def complex_max_or_min(predicate):
    """XLA's order on complex numbers: by real part, then by imaginary part; a comparison
    with NaN is false and picks the second operand."""

    def emit(dtype, x, y):
        (xr, xi), (yr, yi) = _parts(x), _parts(y)
        wins = getattr(arith.CmpFPredicate, predicate)
        first = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, xr, yr), arith.cmpf(wins, xi, yi),
                             arith.cmpf(wins, xr, yr))
        return arith.select(first, x, y)

    return emit


def round_(dtype, x, rounding_method):
    return math.round(x) if rounding_method == 0 else math.roundeven(x)


def nextafter(dtype, x, y):
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


def reduce_precision(dtype, x, exponent_bits, mantissa_bits):
    """x rounded to a float format of `exponent_bits` and `mantissa_bits`, on its bits as
    XLA's EmitReducePrecisionIR: the mantissa to nearest even, exponents past the
    format's to a signed infinity or zero (its subnormals too), NaNs kept (with no
    mantissa bits too, as XLA:CPU's now)."""
    info = ml_dtypes.finfo(dtype)
    width, src_exponent, src_mantissa = 8 * np.dtype(dtype).itemsize, info.nexp, info.nmant
    bits_dtype = np.dtype(f"u{width // 8}")
    bits = arith.bitcast(scalar_type(bits_dtype), x)
    c = lambda value: constant(bits_dtype, value % 2**width)  # noqa: E731
    if mantissa_bits < src_mantissa:
        shift = src_mantissa - mantissa_bits
        last = 1 << shift
        bias = arith.addi(arith.shrui(arith.andi(bits, c(last)), c(shift)), c((last >> 1) - 1))
        bits = arith.andi(arith.addi(bits, bias), c(~(last - 1)))
    if exponent_bits < src_exponent:
        exponent_mask = ((1 << src_exponent) - 1) << src_mantissa
        bias, reduced_bias = (1 << (src_exponent - 1)) - 1, (1 << (exponent_bits - 1)) - 1
        exponent = arith.andi(bits, c(exponent_mask))
        signed_zero = arith.andi(bits, c(1 << (width - 1)))
        bits = arith.select(arith.cmpi(arith.CmpIPredicate.ugt, exponent, c((bias + reduced_bias) << src_mantissa)),
                            arith.ori(signed_zero, c(exponent_mask)), bits)
        bits = arith.select(arith.cmpi(arith.CmpIPredicate.ule, exponent, c((bias - reduced_bias) << src_mantissa)),
                            signed_zero, bits)
    result = arith.bitcast(x.type, bits)
    return arith.select(arith.cmpf(arith.CmpFPredicate.UNO, x, x), x, result)


def horner(x, coefficients, multiply_add):
    """The polynomial with `coefficients` (highest degree first) at x by Horner's rule,
    each step p = multiply_add(p, x, c): on scalar ir.Values here and in
    mirax-expand-math, on traced arrays in mirax.random."""
    p = coefficients[0]
    for c in coefficients[1:]:
        p = multiply_add(p, x, c)
    return p


# Cephes' float32 log: log(1 + f) = f - f^2 / 2 + f^3 P(f) for sqrt(1/2) <= 1 + f < sqrt(2),
# P's coefficients highest degree first (mirax-expand-math's log; mirax.random's, as XLA:CPU's).
CEPHES_LOG_F32 = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)

# Giles' single-precision erf_inv ("Approximating the erfinv function", GPU Computing Gems),
# as XLA's ErfInv32: per range of w = -log(1 - x^2), its upper bound, whether t = sqrt(w) -
# shift (else w - shift), the shift, and the coefficients of p(t) (highest degree first);
# erf_inv(x) = p(t) x.
ERF_INV_F32 = (
    (5.0, False, 2.5, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                       -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)),
    (np.inf, True, 3.0, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                         -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)),
)


def erf_inv(dtype, x):
    """Giles' single-precision approximation (ERF_INV_F32); f64 refines it with two
    Newton steps on erf, or on erfc for |x| > 1/2 (where 1 - |x| is exact and erf(y) - |x|
    would cancel)."""
    c = lambda v: constant(dtype, v)
    poly = lambda w, coeffs: horner(w, [c(k) for k in coeffs], lambda p, w, k: arith.addf(k, arith.mulf(p, w)))
    (small_bound, _, small_shift, small_coeffs), (_, _, large_shift, large_coeffs) = ERF_INV_F32
    one = c(1.0)
    w = arith.negf(math.log(arith.mulf(arith.subf(one, x), arith.addf(one, x))))
    small = arith.cmpf(arith.CmpFPredicate.OLT, w, c(small_bound))
    p_small = poly(arith.subf(w, c(small_shift)), small_coeffs)
    p_large = poly(arith.subf(math.sqrt(w), c(large_shift)), large_coeffs)
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


def pow_(dtype, x, y):
    if is_complex(dtype):
        return complex_d.pow(x, y)
    return math.powf(x, y)


def integer_pow(dtype, x, y):
    """x ** y for a static integer y, by repeated squaring."""
    mul = {"float": arith.mulf, "complex": complex_d.mul, "int": arith.muli}[kind(dtype)]
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
        result = (complex_d.div if is_complex(dtype) else arith.divf)(constant(dtype, 1), result)
    return result


COMPARISONS = ("EQ", "NE", "LT", "LE", "GT", "GE")
_FLOAT_PRED = {"EQ": "OEQ", "NE": "UNE", "LT": "OLT", "LE": "OLE", "GT": "OGT", "GE": "OGE"}
_INT_PRED = {"EQ": "eq", "NE": "ne", "LT": "slt", "LE": "sle", "GT": "sgt", "GE": "sge"}
_UINT_PRED = {"EQ": "eq", "NE": "ne", "LT": "ult", "LE": "ule", "GT": "ugt", "GE": "uge"}


def compare(dtype, x, y, direction):
    if is_complex(dtype):
        return (complex_d.eq if direction == "EQ" else complex_d.neq)(x, y)
    if is_float(dtype):
        return arith.cmpf(getattr(arith.CmpFPredicate, _FLOAT_PRED[direction]), x, y)
    table = _UINT_PRED if is_unsigned(dtype) or is_bool(dtype) else _INT_PRED
    return arith.cmpi(getattr(arith.CmpIPredicate, table[direction]), x, y)


def convert_scalar(src, dst, x):
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    target = scalar_type(dst)
    if is_complex(src):
        if is_complex(dst):
            re = convert_scalar(real_dtype(src), real_dtype(dst), complex_d.re(x))
            im = convert_scalar(real_dtype(src), real_dtype(dst), complex_d.im(x))
            return complex_d.create_(target, re, im)
        return convert_scalar(real_dtype(src), dst, complex_d.re(x))  # to bool too: real part != 0
    if is_complex(dst):
        part = real_dtype(dst)
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
            return arith.truncf(target, f64_to_f32_round_to_odd(x))
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


def f64_to_f32_round_to_odd(x):
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


# Complex functions by identities with the ones above (i z on the parts: signed zeros kept).


def complex_rsqrt(dtype, z):
    return complex_d.div(constant(dtype, 1), complex_sqrt(dtype, z))


def complex_tan(dtype, z):
    return _times_minus_i(complex_tanh(dtype, _times_i(z)))


def complex_atan(dtype, z):
    return _times_minus_i(complex_atanh(dtype, _times_i(z)))


def complex_sinh(dtype, z):
    return _times_minus_i(complex_sin(dtype, _times_i(z)))


def complex_cosh(dtype, z):
    return complex_cos(dtype, _times_i(z))


def complex_asinh(dtype, z):
    return _times_minus_i(complex_asin(dtype, _times_i(z)))


# The arithmetic, by dtype kind, that the reductions, dots, scatters and matrix kernels
# combine elements with too. (A trailing underscore where a name is a builtin or keyword.)

neg = by_kind(op(arith.negf), op(complex_d.neg), lambda dtype, x: arith.subi(constant(dtype, 0), x))
abs_ = by_kind(op(math.absf), op(complex_d.abs), op(math.absi), uint=lambda dtype, x: x)
add = by_kind(op(arith.addf), op(complex_d.add), op(arith.addi), bool_=op(arith.ori))
sub = by_kind(op(arith.subf), op(complex_d.sub), op(arith.subi))
mul = by_kind(op(arith.mulf), op(complex_d.mul), op(arith.muli), bool_=op(arith.andi))
div = by_kind(op(arith.divf), op(complex_d.div), int_div)
max_ = by_kind(op(arith.maximumf), complex_max_or_min("OGT"), op(arith.maxsi), uint=op(arith.maxui),
               bool_=op(arith.ori))
min_ = by_kind(op(arith.minimumf), complex_max_or_min("OLT"), op(arith.minsi), uint=op(arith.minui),
               bool_=op(arith.andi))
and_ = op(arith.andi)
or_ = op(arith.ori)


def clamp(dtype, lo, x, hi):
    return min_(dtype, max_(dtype, x, lo), hi)


# ----------------------------------------------------------------------------- special functions
# As XLA computes them (the CHLO decompositions for lgamma, digamma, zeta, polygamma,
# bessel_i1e; jax.lax's bessel_i0e), in the operand's dtype (f32 for half precision,
# through in_f32), so that f32 results match JAX's to a few ulps.

# Lanczos' approximation, g = 7, n = 9 (XLA's kLanczosGamma, kBaseLanczosCoeff, kLanczosCoefficients).
LANCZOS_GAMMA = 7.0
LANCZOS_BASE = 0.99999999999980993227684700473478
LANCZOS_COEFFICIENTS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
                        771.3234287776530788486528258894, -176.61502916214059906584551354,
                        12.507343278686904814458936853, -0.13857109526572011689554707,
                        9.984369578019570859563e-6, 1.50563273514931155834e-7)


def _lanczos(dtype, x):
    """z (x - 1, or -x where x < 1/2 reflects), whether to reflect, log(t) and t for
    t = z + g + 1/2, and the sums a(z) = base + sum c_k / (z + k), a'(z) = -sum c_k / (z + k)^2."""
    c = lambda v: constant(dtype, v)
    reflect = _cmp("OLT", x, c(0.5))
    z = arith.select(reflect, arith.negf(x), arith.subf(x, c(1)))
    a, a_prime = c(LANCZOS_BASE), c(0)
    for k, coefficient in enumerate(LANCZOS_COEFFICIENTS, start=1):
        z_k = arith.addf(z, c(k))
        a_prime = arith.subf(a_prime, arith.divf(c(coefficient), arith.mulf(z_k, z_k)))
        a = arith.addf(a, arith.divf(c(coefficient), z_k))
    t = arith.addf(c(LANCZOS_GAMMA + 0.5), z)
    # z / (g + 1/2) as XLA's simplifier rewrites it, times the reciprocal: lgamma(1), lgamma(2) are 0.
    log_t = arith.addf(c(np.log(LANCZOS_GAMMA + 0.5)), math.log1p(arith.mulf(z, c(1 / (LANCZOS_GAMMA + 0.5)))))
    return z, reflect, log_t, t, a, a_prime


def lgamma(dtype, x):
    """log|Gamma(x)|: Lanczos for x >= 1/2, else log(pi) - lgamma(1 - x) - log|sin(pi x)|
    with sin taken of the fractional part folded into [0, 1/2] (exact zeros at integers)."""
    c = lambda v: constant(dtype, v)
    z, reflect, log_t, t, a, _ = _lanczos(dtype, x)
    # (z + 1/2) log t - t as (z + 1/2 - t / log t) log t, which does not overflow.
    r = arith.mulf(arith.subf(arith.addf(z, c(0.5)), arith.divf(t, log_t)), log_t)
    result = arith.addf(arith.addf(c((np.log(2) + np.log(np.pi)) / 2), r), math.log(a))
    ax = math.absf(x)
    frac = arith.subf(ax, math.floor(ax))
    frac = arith.select(_cmp("OLT", c(0.5), frac), arith.subf(c(1), frac), frac)
    log_sin = math.log(math.sin(arith.mulf(c(np.pi), frac)))
    reflection = arith.subf(arith.subf(c(np.log(np.pi)), log_sin), result)
    reflection = arith.select(math.isfinite(log_sin), reflection, arith.negf(log_sin))
    result = arith.select(reflect, reflection, result)
    return arith.select(_cmp("OEQ", math.absf(x), c(np.inf)), c(np.inf), result)


def digamma(dtype, x):
    """psi(x): log t + a'/a - g/t for x >= 1/2, else psi(1 - x) - pi cot(pi x) with x first
    shifted into [-1/2, 1/2]; NaN at the poles (0 and the negative integers)."""
    c = lambda v: constant(dtype, v)
    _, reflect, log_t, t, a, a_prime = _lanczos(dtype, x)
    result = arith.subf(arith.addf(log_t, arith.divf(a_prime, a)), arith.divf(c(LANCZOS_GAMMA), t))
    reduced = arith.addf(x, math.absf(math.floor(arith.addf(x, c(0.5)))))
    angle = arith.mulf(c(np.pi), reduced)
    reflection = arith.subf(result, arith.divf(arith.mulf(c(np.pi), math.cos(angle)), math.sin(angle)))
    result = arith.select(reflect, reflection, result)
    pole = arith.andi(_cmp("OLE", x, c(0)), _cmp("OEQ", x, math.floor(x)))
    return arith.select(pole, c(np.nan), result)


# 1 / these are the Euler-Maclaurin terms of the Hurwitz zeta function (XLA's kZetaCoeffs).
_ZETA_COEFFICIENTS = (-7.1661652561756670113e18, 1.8152105401943546773e17, -4.5979787224074726105e15,
                      1.1646782814350067249e14, -2.950130727918164224e12, 7.47242496e10, -1.8924375803183791606e9,
                      47900160.0, -1209600.0, 30240.0, -720.0, 12.0)


def zeta(dtype, x, q):
    """Hurwitz's zeta(x, q) = sum (q + k)^-x: ten terms, then Euler-Maclaurin's 12-term tail;
    NaN for x < 1 and for q <= 0 with x not an integer, inf at x = 1, at the poles q = 0,
    -1, ... inf for even integer x and NaN otherwise."""
    c = lambda v: constant(dtype, v)
    neg_x = arith.negf(x)
    a = q
    initial = math.powf(q, neg_x)
    for _ in range(9):
        a = arith.addf(a, c(1))
        initial = arith.addf(initial, math.powf(a, neg_x))
    a = arith.addf(a, c(1))
    neg_power = math.powf(a, neg_x)
    s = arith.addf(initial, arith.divf(arith.mulf(neg_power, a), arith.subf(x, c(1))))
    a_inverse_square = arith.divf(c(1), arith.mulf(a, a))
    horner_sum = c(0)
    for i, coefficient in enumerate(_ZETA_COEFFICIENTS[:11]):
        factor = arith.mulf(arith.addf(x, c(22 - 2 * i)), arith.addf(x, c(21 - 2 * i)))
        horner_sum = arith.mulf(factor, arith.mulf(a_inverse_square, arith.addf(horner_sum, c(1 / coefficient))))
    tail = arith.mulf(arith.divf(x, a), arith.addf(c(1 / _ZETA_COEFFICIENTS[11]), horner_sum))
    s = arith.addf(s, arith.mulf(neg_power, arith.addf(c(0.5), tail)))
    # XLA's decomposition keeps the first ten terms alone where the next is below their sum
    # times the smallest subnormal, a constant XLA:CPU flushes to 0: never, so not here.
    output = s
    nan, inf = c(np.nan), c(np.inf)
    output = arith.select(_cmp("OLT", x, c(1)), nan, output)
    q_nonpositive = _cmp("OLE", q, c(0))
    x_integer = _cmp("OEQ", x, math.floor(x))
    output = arith.select(arith.andi(q_nonpositive, arith.xori(x_integer, constant(np.bool_, True))), nan, output)
    at_pole = arith.andi(q_nonpositive, _cmp("OEQ", q, math.floor(q)))
    x_even = arith.andi(x_integer, _cmp("OEQ", arith.remf(x, c(2)), c(0)))
    output = arith.select(at_pole, arith.select(x_even, inf, nan), output)
    return arith.select(_cmp("OEQ", x, c(1)), inf, output)


def polygamma(dtype, n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for natural n, digamma for n = 0, NaN for
    other n."""
    c = lambda v: constant(dtype, v)
    sign = arith.subf(arith.mulf(c(2), arith.remf(n, c(2))), c(1))
    n_plus_one = arith.addf(n, c(1))
    result = arith.mulf(arith.mulf(sign, math.exp(lgamma(dtype, n_plus_one))), zeta(dtype, n_plus_one, x))
    result = arith.select(_cmp("OEQ", n, c(0)), digamma(dtype, x), result)
    natural = arith.andi(_cmp("OEQ", n, math.floor(n)), _cmp("OGE", n, c(0)))
    return arith.select(natural, result, c(np.nan))


def _chebyshev(dtype, x, coefficients):
    """Clenshaw's recurrence for sum c_k T_k(x/2)-style Cephes series (chbevl), as XLA's."""
    b0, b1, b2 = constant(dtype, 0), constant(dtype, 0), constant(dtype, 0)
    for coefficient in coefficients:
        b2, b1 = b1, b0
        b0 = arith.addf(arith.subf(arith.mulf(x, b1), b2), constant(dtype, coefficient))
    return arith.mulf(arith.subf(b0, b2), constant(dtype, 0.5))


# Cephes' i0e and i1e Chebyshev coefficients for |x| <= 8 (A) and > 8 (B), the f64 series;
# f32 uses the last 18 and 7 (i0e), 17 and 7 (i1e) of them, as XLA.
I0E_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
         1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
         -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
         9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
         -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
         1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
         -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
         1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
         -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
         1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
I0E_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
         3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
         1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
         -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
         7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
         -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
         3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
         2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
         8.04490411014108831608E-1)
I1E_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
         -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
         3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
         -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
         9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
         -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
         4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
         -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
         2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
         -1.76416518357834055153E-1, 2.52587186443633654823E-1)
I1E_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
         -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
         -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
         4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
         -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
         3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
         -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
         -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
         7.78576235018280120474E-1)


def _bessel_e(dtype, x, series_a, series_b, f32_lengths):
    """Chebyshev series in x/2 - 2 for |x| <= 8 and in 32/|x| - 2 (over sqrt|x|) beyond."""
    if np.dtype(dtype).itemsize == 4:
        series_a, series_b = series_a[-f32_lengths[0]:], series_b[-f32_lengths[1]:]
    c = lambda v: constant(dtype, v)
    z = math.absf(x)
    near = _chebyshev(dtype, arith.subf(arith.mulf(c(0.5), z), c(2)), series_a)
    far = arith.divf(_chebyshev(dtype, arith.subf(arith.divf(c(32), z), c(2)), series_b), math.sqrt(z))
    return z, near, far, _cmp("OLE", z, c(8))


def bessel_i0e(dtype, x):
    """exp(-|x|) I0(x) (Cephes' i0e)."""
    _, near, far, is_near = _bessel_e(dtype, x, I0E_A, I0E_B, (18, 7))
    return arith.select(is_near, near, far)


def bessel_i1e(dtype, x):
    """exp(-|x|) I1(x) (Cephes' i1e): sign(x) times the series of |x| (times |x| near 0)."""
    z, near, far, is_near = _bessel_e(dtype, x, I1E_A, I1E_B, (17, 7))
    return arith.mulf(sign(dtype, x), arith.select(is_near, arith.mulf(z, near), far))


def while_loop(inits, cond, body):
    """scf.while carrying `inits` while cond(*carried) (an i1) holds; body(*carried)
    returns the next values."""
    types = [v.type for v in inits]
    loop = scf.WhileOp(types, list(inits))
    before = loop.before.blocks.append(*types)
    with ir.InsertionPoint(before):
        scf.ConditionOp(cond(*before.arguments), list(before.arguments))
    after = loop.after.blocks.append(*types)
    with ir.InsertionPoint(after):
        scf.YieldOp(list(body(*after.arguments)))
    return list(loop.results)


# The regularized incomplete gamma functions, as jax.lax's igamma_impl and friends (ported
# from XLA's math.cc): a power series for x < 1 or x <= a, Legendre's continued fraction
# otherwise, each a loop per element (JAX's loops over the array freeze converged elements,
# which gives each element the same result). Modes: the value, its derivative in a, or the
# derivative of a Gamma(a) sample in a (implicit reparameterization).
VALUE, DERIVATIVE, SAMPLE_DERIVATIVE = "value", "derivative", "sample_derivative"


def _and(*predicates):
    result = predicates[0]
    for p in predicates[1:]:
        result = arith.andi(result, p)
    return result


def _or(*predicates):
    result = predicates[0]
    for p in predicates[1:]:
        result = arith.ori(result, p)
    return result


def _not(p):
    return arith.xori(p, constant(np.bool_, True))


def _select_all(enabled, new, old):
    return [arith.select(enabled, n, o) for n, o in zip(new, old, strict=True)]


def _igamma_series(dtype, ax, x, a, enabled, mode):
    c = lambda v: constant(dtype, v)
    eps = c(np.finfo(dtype).eps)

    def body(enabled, r, term, ans, dc_da, dans_da):
        r_next = arith.addf(r, c(1))
        x_over_r = arith.divf(x, r_next)
        dc_da_next = arith.subf(arith.mulf(dc_da, x_over_r),
                                arith.divf(arith.mulf(term, x), arith.mulf(r_next, r_next)))
        dans_da_next = arith.addf(dans_da, dc_da_next)
        term_next = arith.mulf(term, x_over_r)
        ans_next = arith.addf(ans, term_next)
        if mode == VALUE:
            going = _cmp("OGT", arith.divf(term_next, ans_next), eps)
        else:
            going = _cmp("OGT", math.absf(arith.divf(dc_da_next, dans_da_next)), eps)
        return [arith.andi(enabled, going)] + _select_all(
            enabled, [r_next, term_next, ans_next, dc_da_next, dans_da_next], [r, term, ans, dc_da, dans_da])

    _, _, _, ans, _, dans_da = while_loop([enabled, a, c(1), c(1), c(0), c(0)], lambda enabled, *_: enabled, body)
    if mode == VALUE:
        return arith.divf(arith.mulf(ans, ax), a)
    dlogax_da = arith.subf(math.log(x), digamma(dtype, arith.addf(a, c(1))))
    if mode == DERIVATIVE:
        return arith.divf(arith.mulf(ax, arith.addf(arith.mulf(ans, dlogax_da), dans_da)), a)
    return arith.divf(arith.mulf(arith.negf(arith.addf(dans_da, arith.mulf(ans, dlogax_da))), x), a)


def _igammac_continued_fraction(dtype, ax, x, a, enabled, mode):
    c = lambda v: constant(dtype, v)
    eps = np.finfo(dtype).eps

    def body(enabled, ans, t, y, z, k, pkm1, qkm1, pkm2, qkm2, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da):
        old = [ans, t, y, z, pkm1, qkm1, pkm2, qkm2, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da]
        k = arith.addf(k, c(1))
        y = arith.addf(y, c(1))
        z = arith.addf(z, c(2))
        yc = arith.mulf(y, k)
        pk = arith.subf(arith.mulf(pkm1, z), arith.mulf(pkm2, yc))
        qk = arith.subf(arith.mulf(qkm1, z), arith.mulf(qkm2, yc))
        qk_nonzero = _cmp("UNE", qk, c(0))
        r = arith.divf(pk, qk)
        t = arith.select(qk_nonzero, math.absf(arith.divf(arith.subf(ans, r), r)), c(1))
        ans = arith.select(qk_nonzero, r, ans)
        dpk_da = arith.addf(arith.subf(arith.subf(arith.mulf(dpkm1_da, z), pkm1), arith.mulf(dpkm2_da, yc)),
                            arith.mulf(pkm2, k))
        dqk_da = arith.addf(arith.subf(arith.subf(arith.mulf(dqkm1_da, z), qkm1), arith.mulf(dqkm2_da, yc)),
                            arith.mulf(qkm2, k))
        dans_da_new = arith.select(qk_nonzero, arith.divf(arith.subf(dpk_da, arith.mulf(ans, dqk_da)), qk), dans_da)
        grad_change = arith.select(qk_nonzero, math.absf(arith.subf(dans_da_new, dans_da)), c(1))
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da = dpkm1_da, dqkm1_da, dpk_da, dqk_da
        rescale = _cmp("OGT", math.absf(pk), c(1 / eps))
        scaled = [arith.select(rescale, arith.mulf(v, c(eps)), v)
                  for v in (pkm2, pkm1, qkm2, qkm1, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da)]
        pkm2, pkm1, qkm2, qkm1, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da = scaled
        going = _cmp("OGT", t if mode == VALUE else grad_change, c(eps))
        new = [ans, t, y, z, pkm1, qkm1, pkm2, qkm2, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da_new]
        ans, t, y, z, pkm1, qkm1, pkm2, qkm2, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da = _select_all(
            enabled, new, old)
        return [arith.andi(enabled, going), ans, t, y, z, k, pkm1, qkm1, pkm2, qkm2,
                dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da]

    y = arith.subf(c(1), a)
    z = arith.addf(arith.addf(x, y), c(1))
    pkm1 = arith.addf(x, c(1))
    qkm1 = arith.mulf(z, x)
    ans = arith.divf(pkm1, qkm1)
    dqkm1_da = arith.negf(x)
    dans_da = arith.divf(arith.subf(c(0), arith.mulf(ans, dqkm1_da)), qkm1)
    inits = [enabled, ans, c(1), y, z, c(0), pkm1, qkm1, c(1), x, c(0), c(0), c(0), dqkm1_da, dans_da]
    results = while_loop(inits, lambda enabled, ans, t, y, z, k, *_: arith.andi(enabled, _cmp("OLT", k, c(2000))),
                         body)
    ans, dans_da = results[1], results[-1]
    if mode == VALUE:
        return arith.mulf(ans, ax)
    dlogax_da = arith.subf(math.log(x), digamma(dtype, a))
    if mode == DERIVATIVE:
        return arith.mulf(ax, arith.addf(arith.mulf(ans, dlogax_da), dans_da))
    return arith.negf(arith.mulf(arith.addf(dans_da, arith.mulf(ans, dlogax_da)), x))


def _igamma_prefix(dtype, a, x):
    """x^a e^-x / Gamma(a), and whether its log underflows."""
    log_ax = arith.subf(arith.subf(arith.mulf(a, math.log(x)), x), lgamma(dtype, a))
    return math.exp(log_ax), _cmp("OLT", log_ax, constant(dtype, -np.log(np.finfo(dtype).max)))


def _is_nan(*xs):
    return _or(*(_cmp("UNO", v, v) for v in xs))


def igamma(dtype, a, x):
    """P(a, x), the regularized lower incomplete gamma function."""
    c = lambda v: constant(dtype, v)
    x_inf, a_zero, x_zero = _cmp("OEQ", x, c(np.inf)), _cmp("OEQ", a, c(0)), _cmp("OEQ", x, c(0))
    domain_error = _or(_cmp("OLT", x, c(0)), _cmp("OLT", a, c(0)), arith.andi(a_zero, x_zero), _is_nan(a, x))
    use_igammac = arith.andi(_cmp("OGE", x, c(1)), _cmp("OGT", x, a))
    ax, underflow = _igamma_prefix(dtype, a, x)
    enabled = _not(_or(x_zero, domain_error, underflow, x_inf))
    output = arith.select(
        use_igammac,
        arith.subf(c(1), _igammac_continued_fraction(dtype, ax, x, a, arith.andi(enabled, use_igammac), VALUE)),
        _igamma_series(dtype, ax, x, a, arith.andi(enabled, _not(use_igammac)), VALUE))
    output = arith.select(x_zero, c(0), output)
    output = arith.select(x_inf, c(1), output)
    return arith.select(domain_error, c(np.nan), output)


def igammac(dtype, a, x):
    """Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function."""
    c = lambda v: constant(dtype, v)
    x_inf, a_zero, x_zero = _cmp("OEQ", x, c(np.inf)), _cmp("OEQ", a, c(0)), _cmp("OEQ", x, c(0))
    domain_error = _or(_cmp("OLT", x, c(0)), _cmp("OLT", a, c(0)), arith.andi(a_zero, x_zero), _is_nan(a, x))
    use_igamma = arith.ori(_cmp("OLT", x, c(1)), _cmp("OLT", x, a))
    ax, underflow = _igamma_prefix(dtype, a, x)
    enabled = _not(_or(domain_error, underflow, x_inf, a_zero))
    output = arith.select(
        use_igamma,
        arith.subf(c(1), _igamma_series(dtype, ax, x, a, arith.andi(enabled, use_igamma), VALUE)),
        _igammac_continued_fraction(dtype, ax, x, a, arith.andi(enabled, _not(use_igamma)), VALUE))
    output = arith.select(arith.ori(x_inf, a_zero), c(0), output)
    return arith.select(domain_error, c(np.nan), output)


def _igamma_derivative(mode):
    def emit(dtype, a, x):
        c = lambda v: constant(dtype, v)
        nan = _is_nan(a, x)
        x_zero = _cmp("OEQ", x, c(0))
        domain_error = arith.ori(_cmp("OLT", x, c(0)), _cmp("OLE", a, c(0)))
        use_igammac = arith.andi(_cmp("OGT", x, c(1)), _cmp("OGT", x, a))
        ax, underflow = _igamma_prefix(dtype, a, x)
        enabled = _not(_or(x_zero, domain_error, underflow, nan))
        output = arith.select(
            use_igammac,
            arith.negf(_igammac_continued_fraction(dtype, ax, x, a, arith.andi(enabled, use_igammac), mode)),
            _igamma_series(dtype, ax, x, a, arith.andi(enabled, _not(use_igammac)), mode))
        output = arith.select(x_zero, c(0), output)
        return arith.select(arith.ori(domain_error, nan), c(np.nan), output)

    return emit


igamma_grad_a = _igamma_derivative(DERIVATIVE)
random_gamma_grad = _igamma_derivative(SAMPLE_DERIVATIVE)


def regularized_incomplete_beta(dtype, a, b, x):
    """I_x(a, b) by the continued fraction of DLMF 8.17.22 (on 1 - x with a, b swapped where
    that converges faster), evaluated by the modified Lentz algorithm, as jax.lax's
    regularized_incomplete_beta_impl: at most 200 steps in f32, 600 in f64."""
    c = lambda v: constant(dtype, v)
    info = np.finfo(dtype)
    small = c(info.eps / 2)
    a_zero = arith.ori(_cmp("OEQ", a, c(0)), _cmp("OEQ", b, c(np.inf)))
    b_zero = arith.ori(_cmp("OEQ", b, c(0)), _cmp("OEQ", a, c(np.inf)))
    x_zero, x_one = _cmp("OEQ", x, c(0)), _cmp("OEQ", x, c(1))
    result_zero = arith.ori(arith.andi(b_zero, _not(x_one)), arith.andi(a_zero, x_zero))
    result_one = arith.ori(arith.andi(a_zero, _not(x_zero)), arith.andi(b_zero, x_one))
    result_nan = _or(_cmp("OLT", a, c(0)), _cmp("OLT", b, c(0)), _cmp("OLT", x, c(0)), _cmp("OGT", x, c(1)),
                     arith.andi(a_zero, b_zero), _is_nan(a, b, x))
    converges_rapidly = _cmp("OLT", x, arith.divf(arith.addf(a, c(1)), arith.addf(arith.addf(a, b), c(2))))
    a, b = arith.select(converges_rapidly, a, b), arith.select(converges_rapidly, b, a)
    x = arith.select(converges_rapidly, x, arith.subf(c(1), x))

    def numerator(n):
        """The n-th partial numerator (n >= 1; the first is 1), d_{n-1} in DLMF's terms."""
        m = math.floor(arith.mulf(arith.subf(n, c(1)), c(0.5)))
        two_m = arith.addf(m, m)
        zero_numerator = arith.divf(arith.mulf(arith.negf(arith.addf(a, b)), x), arith.addf(a, c(1)))
        even = arith.divf(arith.mulf(arith.mulf(arith.negf(arith.addf(a, m)), arith.addf(arith.addf(a, b), m)), x),
                          arith.mulf(arith.addf(a, two_m), arith.addf(arith.addf(a, two_m), c(1))))
        even = arith.select(_cmp("OEQ", m, c(0)), zero_numerator, even)
        odd = arith.divf(arith.mulf(arith.mulf(m, arith.subf(b, m)), x),
                         arith.mulf(arith.subf(arith.addf(a, two_m), c(1)), arith.addf(a, two_m)))
        n_even = _cmp("OEQ", arith.remf(n, c(2)), c(0))
        return arith.select(_cmp("OEQ", n, c(1)), c(1), arith.select(n_even, even, odd))

    def body(n, going, cf_c, cf_d, h):
        partial = numerator(n)  # the partial denominators are 1 past the first (0)
        cf_c = arith.addf(c(1), arith.divf(partial, cf_c))
        cf_c = arith.select(_cmp("OLT", math.absf(cf_c), small), small, cf_c)
        cf_d = arith.addf(c(1), arith.mulf(partial, cf_d))
        cf_d = arith.divf(c(1), arith.select(_cmp("OLT", math.absf(cf_d), small), small, cf_d))
        delta = arith.mulf(cf_c, cf_d)
        going = _cmp("OGE", math.absf(arith.subf(delta, c(1))), small)
        return [arith.addf(n, c(1)), going, cf_c, cf_d, arith.mulf(h, delta)]

    limit = c(200 if info.bits == 32 else 600)
    # h starts at the 0th partial denominator, 0, replaced by `small`.
    cf = while_loop([c(1), constant(np.bool_, True), small, c(0), small],
                    lambda n, going, *_: arith.andi(going, _cmp("OLT", n, limit)), body)[-1]
    # Past a ~ 0, a Gamma(a) = Gamma(a + 1) -> 1 avoids dividing by 0.
    lbeta_small_a = arith.subf(lgamma(dtype, b), lgamma(dtype, arith.addf(a, b)))
    lbeta = arith.addf(lgamma(dtype, a), lbeta_small_a)
    log1m_x_b = arith.mulf(math.log1p(arith.negf(x)), b)
    factor = arith.select(
        _cmp("OLT", a, c(info.tiny * 2)), math.exp(arith.subf(log1m_x_b, lbeta_small_a)),
        arith.divf(math.exp(arith.subf(arith.addf(arith.mulf(math.log(x), a), log1m_x_b), lbeta)), a))
    result = arith.mulf(cf, factor)
    result = arith.select(converges_rapidly, result, arith.subf(c(1), result))
    result = arith.select(result_zero, c(0), result)
    result = arith.select(result_one, c(1), result)
    return arith.select(result_nan, c(np.nan), result)
