"""mirax-expand-math: float32 exp, log, tanh, sin and cos as polynomial
approximations in arith, so that the loops computing them vectorize (LLVM lowers
these math ops to scalar libm calls, which stop its loop vectorizer). XLA:CPU does
the same for exp, log and tanh.

The approximations are the classic Cephes ones, with range reduction by
Cody-Waite constants and fused multiply-adds; each stays within 2 ulp of the
correctly rounded result on all float32 inputs (test/python/test_expand_math.py)
and keeps libm's special values (inf, nan, signed zeros, subnormal inputs and
results). sin and cos reduce arguments with |x| < 71476 (NumPy's bound for the
same reduction); larger ones, rare in practice, branch to libm.

Runs on scalar f32 code (after linalg is lowered to loops); f64 keeps libm. Uses
math.fma, so math-expand-ops must run after it without expanding fma.
"""
from dataclasses import dataclass

import numpy as np

from mirax.mlir import arith, ir, math, scf

MAGIC_ROUND = 12582912.0  # 1.5 * 2**23: x + MAGIC_ROUND - MAGIC_ROUND rounds |x| < 2**22 to an integer


def _f32(value):
    return arith.constant(ir.F32Type.get(), float(np.float32(value)))


def _i32(value):
    return arith.constant(ir.IntegerType.get_signless(32), int(value))


def _fma(a, b, c):
    return math.fma(a, b, c)


def _horner(x, coefficients):
    """c0 * x**(n-1) + ... + c(n-1), highest degree first, with fused multiply-adds."""
    result = _f32(coefficients[0])
    for c in coefficients[1:]:
        result = _fma(result, x, _f32(c))
    return result


def _lt(a, b):
    return arith.cmpf(arith.CmpFPredicate.OLT, a, b)


def _round_to_int(x):
    """(x rounded to the nearest integer as f32, the same as i32), for |x| < 2**22: adding
    1.5 * 2**23 leaves the integer in the low mantissa bits."""
    shifted = arith.addf(x, _f32(MAGIC_ROUND))
    as_float = arith.subf(shifted, _f32(MAGIC_ROUND))
    as_int = arith.subi(arith.bitcast(ir.IntegerType.get_signless(32), shifted), _i32(0x4B400000))
    return as_float, as_int


def _pow2(n):
    """2**n as f32 for integer -126 <= n <= 127, by building its exponent bits."""
    return arith.bitcast(ir.F32Type.get(), arith.shli(arith.addi(n, _i32(127)), _i32(23)))


def expand_exp(x):
    # exp(x) = 2**n * exp(r), n = round(x / ln 2), |r| <= ln(2) / 2. Inputs are clamped to
    # where the result is 0 or inf anyway (a NaN passes both compares and stays NaN).
    x = arith.select(_lt(x, _f32(-104.0)), _f32(-104.0), x)
    x = arith.select(_lt(_f32(89.0), x), _f32(89.0), x)
    n_float, n = _round_to_int(arith.mulf(x, _f32(1.44269504088896341)))
    r = _fma(n_float, _f32(-0.693359375), x)
    r = _fma(n_float, _f32(2.12194440e-4), r)
    p = _horner(r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                    5.0000001201e-1])
    p = _fma(p, arith.mulf(r, r), r)
    p = arith.addf(p, _f32(1.0))
    # 2**n in two factors so that results in the subnormal range round once and
    # 2**128 overflows to inf: -150 <= n <= 129.
    half = arith.shrsi(n, _i32(1))
    return arith.mulf(arith.mulf(p, _pow2(half)), _pow2(arith.subi(n, half)))


def expand_log(x):
    i32 = ir.IntegerType.get_signless(32)
    # Subnormal inputs are scaled into the normal range first.
    subnormal = _lt(x, _f32(np.finfo(np.float32).tiny))
    scaled = arith.select(subnormal, arith.mulf(x, _f32(2.0**23)), x)
    exponent_bias = arith.select(subnormal, _i32(-23), _i32(0))
    # x = 2**k * m with sqrt(1/2) <= m < sqrt(2); log(x) = k ln 2 + log1p(m - 1).
    bits = arith.subi(arith.bitcast(i32, scaled), _i32(0x3F3504F3))
    k = arith.addi(arith.shrsi(bits, _i32(23)), exponent_bias)
    m = arith.bitcast(ir.F32Type.get(), arith.addi(arith.andi(bits, _i32(0x007FFFFF)), _i32(0x3F3504F3)))
    f = arith.subf(m, _f32(1.0))
    k_float = arith.sitofp(ir.F32Type.get(), k)
    z = arith.mulf(f, f)
    p = _horner(f, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1])
    y = arith.mulf(arith.mulf(p, f), z)
    y = _fma(k_float, _f32(-2.12194440e-4), y)
    y = _fma(z, _f32(-0.5), y)
    result = arith.addf(f, y)
    result = _fma(k_float, _f32(0.693359375), result)
    # Special values: log(+inf) = inf, log(0) = -inf, log(x < 0) = log(nan) = nan.
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, _f32(np.inf)), x, result)
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, _f32(0.0)), _f32(-np.inf), result)
    return arith.select(arith.cmpf(arith.CmpFPredicate.ULT, x, _f32(0.0)), _f32(np.nan), result)


def expand_tanh(x):
    ax = math.absf(x)
    # Small |x|: an odd polynomial; otherwise 1 - 2 / (exp(2|x|) + 1), which is 1 once exp overflows.
    z = arith.mulf(x, x)
    p = _horner(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1])
    small = _fma(arith.mulf(p, z), x, x)
    e = expand_exp(arith.addf(ax, ax))
    large = arith.subf(_f32(1.0), arith.divf(_f32(2.0), arith.addf(e, _f32(1.0))))
    large = math.copysign(large, x)
    return arith.select(_lt(ax, _f32(0.625)), small, large)


# Cody-Waite split of pi/2 and the sin/cos polynomials on [-pi/4, pi/4] (as NumPy's SIMD sin/cos).
PIO2_HIGH = float.fromhex("0x1.921fb0p+00")
PIO2_MEDIUM = float.fromhex("0x1.5110b4p-22")
PIO2_LOW = float.fromhex("0x1.846988p-48")
MAX_REDUCED = 71476.0625
SIN_POLY = [float.fromhex("-0x1.9f1b60p-13"), float.fromhex("0x1.110df4p-07"), float.fromhex("-0x1.555548p-03")]
COS_POLY = [float.fromhex("0x1.98e616p-16"), float.fromhex("-0x1.6c06dcp-10"), float.fromhex("0x1.55553cp-05"),
            -0.5, 1.0]


def _sin_cos(x, quadrant_offset, libm):
    f32 = ir.F32Type.get()
    q_float, q = _round_to_int(arith.mulf(x, _f32(2.0 / np.pi)))
    r = _fma(q_float, _f32(-PIO2_HIGH), x)
    r = _fma(q_float, _f32(-PIO2_MEDIUM), r)
    r = _fma(q_float, _f32(-PIO2_LOW), r)
    r2 = arith.mulf(r, r)
    sin_r = _fma(arith.mulf(_horner(r2, SIN_POLY), r2), r, r)
    cos_r = _horner(r2, COS_POLY)
    # Quadrant q (+1 for cos): odd quadrants take cos(r), quadrants 2 and 3 negate.
    q = arith.addi(q, _i32(quadrant_offset))
    use_cos = arith.cmpi(arith.CmpIPredicate.ne, arith.andi(q, _i32(1)), _i32(0))
    value = arith.select(use_cos, cos_r, sin_r)
    sign = arith.shli(arith.andi(q, _i32(2)), _i32(30))
    value = arith.bitcast(f32, arith.xori(arith.bitcast(ir.IntegerType.get_signless(32), value), sign))
    # Arguments too large for the reduction: libm (a branch LLVM's vectorizer predicates).
    too_large = arith.cmpf(arith.CmpFPredicate.OGT, math.absf(x), _f32(MAX_REDUCED))
    branch = scf.IfOp(too_large, [f32], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp([libm(x)])
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([value])
    return branch.result


def expand_sin(x):
    return _sin_cos(x, 0, math.sin)


def expand_cos(x):
    return _sin_cos(x, 1, math.cos)


EXPANSIONS = {
    "math.exp": expand_exp,
    "math.log": expand_log,
    "math.tanh": expand_tanh,
    "math.sin": expand_sin,
    "math.cos": expand_cos,
}


@dataclass(frozen=True)
class MiraxExpandMath:
    name: str = "mirax-expand-math"
    summary: str = "Expand scalar f32 exp, log, tanh, sin, cos into vectorizable polynomial approximations"

    def __call__(self, module, pass_=None):
        targets = []

        def collect(op):
            if op.name in EXPANSIONS and isinstance(op.operands[0].type, ir.F32Type):
                targets.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        for op in targets:
            with ir.InsertionPoint(op), op.location:
                result = EXPANSIONS[op.name](op.operands[0])
            op.result.replace_all_uses_with(result)
            op.erase()
