"""The float32 approximations of exp, log and tanh (and the pieces sin and cos share):
Cephes' with Cody-Waite range reduction and fused multiply-adds, tanh XLA:CPU's
(see mirax_expand_math.py for their accuracy). Built on scalars, or on vectors of
`lanes` (the kernel library's vector variants, which compiled loops call).
"""
import contextlib
import contextvars

import numpy as np

from mirax.dialect.scalar import CEPHES_LOG_F32, horner
from mirax.mlir import arith, ir, math

# The vector width the builders work on (None: scalars); per thread, as another thread
# may expand a program's math while the kernel library is built.
_lanes = contextvars.ContextVar("lanes", default=None)


@contextlib.contextmanager
def vectors_of(lanes):
    """Build the approximations on vector<lanes x f32> within (scalars for None)."""
    token = _lanes.set(lanes)
    try:
        yield
    finally:
        _lanes.reset(token)


def shaped(element_type):
    """`element_type`, or a vector of it while building vectors."""
    lanes = _lanes.get()
    return element_type if lanes is None else ir.VectorType.get([lanes], element_type)


def _constant(element_type, attribute):
    shaped_type = shaped(element_type)
    if shaped_type == element_type:
        return arith.constant(element_type, attribute)
    return arith.constant(shaped_type, ir.DenseElementsAttr.get_splat(shaped_type, attribute))


# 1.5 * 2**23: adding it rounds |x| < 2**22 to an integer, left in the low mantissa bits.
MAGIC_ROUND = 12582912.0
MAGIC_ROUND_BITS = int(np.float32(MAGIC_ROUND).view(np.int32))


def f32(value):
    return _constant(ir.F32Type.get(), ir.FloatAttr.get(ir.F32Type.get(), float(np.float32(value))))


def i32(value):
    return _constant(ir.IntegerType.get_signless(32), ir.IntegerAttr.get(ir.IntegerType.get_signless(32), int(value)))


def polynomial(x, coefficients):
    """c0 * x**(n-1) + ... + c(n-1), highest degree first, with fused multiply-adds."""
    first, *rest = coefficients
    return horner(x, [f32(first), *rest], lambda p, x, c: math.fma(p, x, f32(c)))


def lt(a, b):
    return arith.cmpf(arith.CmpFPredicate.OLT, a, b)


def round_to_int(x):
    """x rounded to the nearest integer, as f32 and as i32, for |x| < 2**22."""
    shifted = arith.addf(x, f32(MAGIC_ROUND))
    as_float = arith.subf(shifted, f32(MAGIC_ROUND))
    as_int = arith.subi(arith.bitcast(shaped(ir.IntegerType.get_signless(32)), shifted), i32(MAGIC_ROUND_BITS))
    return as_float, as_int


def _pow2(n):
    """2**n as f32 for integer -126 <= n <= 127, by building its exponent bits."""
    return arith.bitcast(shaped(ir.F32Type.get()), arith.shli(arith.addi(n, i32(127)), i32(23)))


def expand_exp(x):
    # exp(x) = 2**n * exp(r), n = round(x / ln 2), |r| <= ln(2) / 2. Inputs are clamped to
    # where the result is 0 or inf anyway (a NaN passes both compares and stays NaN).
    x = arith.select(lt(x, f32(-104.0)), f32(-104.0), x)
    x = arith.select(lt(f32(89.0), x), f32(89.0), x)
    n_float, n = round_to_int(arith.mulf(x, f32(1.44269504088896341)))
    r = math.fma(n_float, f32(-0.693359375), x)
    r = math.fma(n_float, f32(2.12194440e-4), r)
    p = polynomial(r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                    5.0000001201e-1])
    p = math.fma(p, arith.mulf(r, r), r)
    p = arith.addf(p, f32(1.0))
    # 2**n in two factors so that results in the subnormal range round once and
    # 2**128 overflows to inf: -150 <= n <= 129.
    half = arith.shrsi(n, i32(1))
    return arith.mulf(arith.mulf(p, _pow2(half)), _pow2(arith.subi(n, half)))


def expand_log(x):
    int32, float32 = shaped(ir.IntegerType.get_signless(32)), shaped(ir.F32Type.get())
    # Subnormal inputs are scaled into the normal range first.
    subnormal = lt(x, f32(np.finfo(np.float32).tiny))
    scaled = arith.select(subnormal, arith.mulf(x, f32(2.0**23)), x)
    exponent_bias = arith.select(subnormal, i32(-23), i32(0))
    # x = 2**k * m with sqrt(1/2) <= m < sqrt(2); log(x) = k ln 2 + log1p(m - 1).
    bits = arith.subi(arith.bitcast(int32, scaled), i32(0x3F3504F3))
    k = arith.addi(arith.shrsi(bits, i32(23)), exponent_bias)
    m = arith.bitcast(float32, arith.addi(arith.andi(bits, i32(0x007FFFFF)), i32(0x3F3504F3)))
    f = arith.subf(m, f32(1.0))
    k_float = arith.sitofp(float32, k)
    z = arith.mulf(f, f)
    p = polynomial(f, CEPHES_LOG_F32)
    y = arith.mulf(arith.mulf(p, f), z)
    y = math.fma(k_float, f32(-2.12194440e-4), y)
    y = math.fma(z, f32(-0.5), y)
    result = arith.addf(f, y)
    result = math.fma(k_float, f32(0.693359375), result)
    # Special values: log(+inf) = inf, log(0) = -inf, log(x < 0) = log(nan) = nan.
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, f32(np.inf)), x, result)
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, f32(0.0)), f32(-np.inf), result)
    return arith.select(arith.cmpf(arith.CmpFPredicate.ULT, x, f32(0.0)), f32(np.nan), result)


# XLA:CPU's tanh (and Eigen's): a rational function of the clamped input, and x itself
# where |x| < 0.0004. It is less accurate than a Cephes tanh (up to 5 ulp), but JAX
# computes it, and derivatives of saturated sigmoids amplify its rounding by orders
# of magnitude: the seeds' printed Jacobians need the same bits.
TANH_CLAMP = 7.99881172180175781  # the approximation is exactly +-1 there
TANH_NUMERATOR = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
                  1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03]
TANH_DENOMINATOR = [1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03]


def expand_tanh(x):
    clamped = arith.minimumf(arith.maximumf(x, f32(-TANH_CLAMP)), f32(TANH_CLAMP))  # nan stays nan
    z = arith.mulf(clamped, clamped)
    ratio = arith.divf(arith.mulf(clamped, polynomial(z, TANH_NUMERATOR)), polynomial(z, TANH_DENOMINATOR))
    return arith.select(lt(math.absf(x), f32(0.0004)), x, ratio)
