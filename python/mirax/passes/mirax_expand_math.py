"""mirax-expand-math: float32 exp, log, tanh, sin and cos as polynomial
approximations in arith, so that the loops computing them vectorize (LLVM lowers
these math ops to scalar libm calls, which stop its loop vectorizer). XLA:CPU does
the same for exp, log and tanh.

The approximations are the classic Cephes ones, with Cody-Waite range reduction
and fused multiply-adds. Each stays within 2 ulp of the correctly rounded result
(on all 2**32 float32 inputs: at most 1.01 ulp for exp, 0.83 log, 1.53 sin, 1.52
cos; test/python/test_expand_math.py keeps a sample) and keeps libm's special
values: inf, nan, signed zeros, subnormal inputs and results. tanh is XLA:CPU's,
bit for bit, so that results match JAX's. sin and
cos reduce arguments up to 71476 (NumPy's bound for the same reduction); larger
ones, rare in practice, go to libm.

Each op becomes a call of a private function holding its approximation, built
once per module and always inlined by LLVM. Runs on scalar f32 code (after linalg
is lowered to loops); f64 keeps libm. Uses math.fma: math-expand-ops must not
expand fma after it.
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.dialect.scalar import CEPHES_LOG_F32, horner
from mirax.mlir import arith, func, ir, math, scf

from .ir_queries import body_runs

# 1.5 * 2**23: adding it rounds |x| < 2**22 to an integer, left in the low mantissa bits.
MAGIC_ROUND = 12582912.0
MAGIC_ROUND_BITS = int(np.float32(MAGIC_ROUND).view(np.int32))


def _f32(value):
    return arith.constant(ir.F32Type.get(), float(np.float32(value)))


def _i32(value):
    return arith.constant(ir.IntegerType.get_signless(32), int(value))


def _polynomial(x, coefficients):
    """c0 * x**(n-1) + ... + c(n-1), highest degree first, with fused multiply-adds."""
    first, *rest = coefficients
    return horner(x, [_f32(first), *rest], lambda p, x, c: math.fma(p, x, _f32(c)))


def _lt(a, b):
    return arith.cmpf(arith.CmpFPredicate.OLT, a, b)


def _round_to_int(x):
    """x rounded to the nearest integer, as f32 and as i32, for |x| < 2**22."""
    shifted = arith.addf(x, _f32(MAGIC_ROUND))
    as_float = arith.subf(shifted, _f32(MAGIC_ROUND))
    as_int = arith.subi(arith.bitcast(ir.IntegerType.get_signless(32), shifted), _i32(MAGIC_ROUND_BITS))
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
    r = math.fma(n_float, _f32(-0.693359375), x)
    r = math.fma(n_float, _f32(2.12194440e-4), r)
    p = _polynomial(r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                    5.0000001201e-1])
    p = math.fma(p, arith.mulf(r, r), r)
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
    p = _polynomial(f, CEPHES_LOG_F32)
    y = arith.mulf(arith.mulf(p, f), z)
    y = math.fma(k_float, _f32(-2.12194440e-4), y)
    y = math.fma(z, _f32(-0.5), y)
    result = arith.addf(f, y)
    result = math.fma(k_float, _f32(0.693359375), result)
    # Special values: log(+inf) = inf, log(0) = -inf, log(x < 0) = log(nan) = nan.
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, _f32(np.inf)), x, result)
    result = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, _f32(0.0)), _f32(-np.inf), result)
    return arith.select(arith.cmpf(arith.CmpFPredicate.ULT, x, _f32(0.0)), _f32(np.nan), result)


# XLA:CPU's tanh (and Eigen's): a rational function of the clamped input, and x itself
# where |x| < 0.0004. It is less accurate than a Cephes tanh (up to 5 ulp), but JAX
# computes it, and derivatives of saturated sigmoids amplify its rounding by orders
# of magnitude: the seeds' printed Jacobians need the same bits.
TANH_CLAMP = 7.99881172180175781  # the approximation is exactly +-1 there
TANH_NUMERATOR = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
                  1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03]
TANH_DENOMINATOR = [1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03]


def expand_tanh(x):
    clamped = arith.minimumf(arith.maximumf(x, _f32(-TANH_CLAMP)), _f32(TANH_CLAMP))  # nan stays nan
    z = arith.mulf(clamped, clamped)
    ratio = arith.divf(arith.mulf(clamped, _polynomial(z, TANH_NUMERATOR)), _polynomial(z, TANH_DENOMINATOR))
    return arith.select(_lt(math.absf(x), _f32(0.0004)), x, ratio)


# Cody-Waite split of pi/2 and the sin/cos polynomials on [-pi/4, pi/4] (as NumPy's SIMD sin/cos).
PIO2_HIGH = float.fromhex("0x1.921fb0p+00")
PIO2_MEDIUM = float.fromhex("0x1.5110b4p-22")
PIO2_LOW = float.fromhex("0x1.846988p-48")
MAX_REDUCED = 71476.0625
SIN_POLY = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]
COS_POLY = [float.fromhex("0x1.98e616p-16"), float.fromhex("-0x1.6c06dcp-10"), float.fromhex("0x1.55553cp-05"),
            -0.5, 1.0]


def _sin_cos(x, function):
    f32, i32 = ir.F32Type.get(), ir.IntegerType.get_signless(32)
    # Reduced on |x| (cos is even, sin odd: its sign comes back from x at the end, so
    # that sin(-0) = -0): |x| = q pi/2 + r with |r| <= pi/4.
    ax = math.absf(x)
    q_float, q = _round_to_int(arith.mulf(ax, _f32(2.0 / np.pi)))
    r = math.fma(q_float, _f32(-PIO2_HIGH), ax)
    r = math.fma(q_float, _f32(-PIO2_MEDIUM), r)
    r = math.fma(q_float, _f32(-PIO2_LOW), r)
    r2 = arith.mulf(r, r)
    sin_r = math.fma(arith.mulf(_polynomial(r2, SIN_POLY), r2), r, r)
    cos_r = _polynomial(r2, COS_POLY)
    # Quadrant q (+1 for cos): odd quadrants take cos(r), quadrants 2 and 3 negate.
    if function == "cos":
        q = arith.addi(q, _i32(1))
    use_cos = arith.cmpi(arith.CmpIPredicate.ne, arith.andi(q, _i32(1)), _i32(0))
    value = arith.select(use_cos, cos_r, sin_r)
    sign = arith.shli(arith.andi(q, _i32(2)), _i32(30))
    if function == "sin":
        sign = arith.xori(sign, arith.andi(arith.bitcast(i32, x), _i32(-(2**31))))
    value = arith.bitcast(f32, arith.xori(arith.bitcast(i32, value), sign))
    # Arguments too large for the reduction: libm, out of line (see LIBM_FALLBACK).
    too_large = arith.cmpf(arith.CmpFPredicate.OGT, ax, _f32(MAX_REDUCED))
    branch = scf.IfOp(too_large, [f32], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp(func.CallOp([f32], _fallback_name(function), [x]).results)
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([value])
    return branch.result


def expand_sin(x):
    return _sin_cos(x, "sin")


def expand_cos(x):
    return _sin_cos(x, "cos")


# The libm fallback of sin and cos: a scalar function that LLVM may not inline (an
# inlined call to the speculatable llvm.sin would be hoisted out of its branch and
# scalarize the loop), declaring masked vector variants (LLVM's vector function ABI,
# as vector math libraries do) so that the loop vectorizer keeps the rare call in a
# vectorized loop: each variant calls libm only when some lane of its mask is set.
VECTOR_WIDTHS = (4, 8, 16)
LIBM_FALLBACK = """
func.func private @{name}(%x: f32) -> f32 attributes {{llvm.no_inline,
    llvm.passthrough = [["vector-function-abi-variant", "{variants}"]]}} {{
  %y = math.{function} %x : f32
  return %y : f32
}}
"""
LIBM_FALLBACK_VARIANT = """
func.func private @{name}_v{width}(%x: vector<{width}xf32>, %mask: vector<{width}xi1>) -> vector<{width}xf32>
    attributes {{llvm.no_inline}} {{
  %any = vector.reduction <or>, %mask : vector<{width}xi1> into i1
  %y = scf.if %any -> vector<{width}xf32> {{
    %all = math.{function} %x : vector<{width}xf32>
    %some = arith.select %mask, %all, %x : vector<{width}xi1>, vector<{width}xf32>
    scf.yield %some : vector<{width}xf32>
  }} else {{
    scf.yield %x : vector<{width}xf32>
  }}
  return %y : vector<{width}xf32>
}}
"""


def _fallback_name(function):
    return f"__mirax_libm_{function}f"


def _fallback(function):
    """The text of `function`'s ("sin" or "cos") libm fallback and its vector variants."""
    name = _fallback_name(function)
    variants = ",".join(f"_ZGV_LLVM_M{w}v_{name}({name}_v{w})" for w in VECTOR_WIDTHS)
    text = LIBM_FALLBACK.format(name=name, function=function, variants=variants)
    return text + "".join(LIBM_FALLBACK_VARIANT.format(name=name, function=function, width=w) for w in VECTOR_WIDTHS)


EXPANSIONS = {
    "math.exp": expand_exp,
    "math.log": expand_log,
    "math.tanh": expand_tanh,
    "math.sin": expand_sin,
    "math.cos": expand_cos,
}
FALLBACKS = {"math.sin": "sin", "math.cos": "cos"}


def _approximation_name(op_name):
    return f"__mirax_{op_name[len('math.'):]}f"


def _define_approximation(body, op_name):
    """Append to the module `body` a private f32 -> f32 function computing `op_name`'s
    approximation (which LLVM inlines), and its libm fallback if it has one."""
    f32 = ir.F32Type.get()
    with ir.InsertionPoint(body), ir.Location.unknown():
        function = func.FuncOp(_approximation_name(op_name), ir.FunctionType.get([f32], [f32]), visibility="private")
        function.attributes["llvm.always_inline"] = ir.UnitAttr.get()
        entry = function.add_entry_block()
        with ir.InsertionPoint(entry):
            func.ReturnOp([EXPANSIONS[op_name](entry.arguments[0])])
    if op_name in FALLBACKS:
        for op in ir.Module.parse(_fallback(FALLBACKS[op_name])).body.operations:
            body.append(op.detach_from_parent())


# An approximation is a long chain of dependent operations: a loop computing one (or a
# chain of them) is bound by their latency unless LLVM interleaves independent vector
# iterations, which its cost model does not choose with this many live constants.
# Two iterations made the benchmark's elementwise chain 30% faster (and its compile
# 40% slower); four, 40% faster, compiling another 20% slower. Not for loop nests of
# fewer iterations than INTERLEAVED_ITERATIONS, which take microseconds either way:
# the 50-op chain on 1,000 elements compiled in 130 ms interleaved, 112 ms not.
LOOP_ANNOTATION = "#llvm.loop_annotation<interleave = #llvm.loop_interleave<count = 2>>"
INTERLEAVED_ITERATIONS = 1 << 14


def _interleave_enclosing_loop(op):
    """Ask LLVM to interleave the innermost scf.for around `op` (scf-to-cf and
    cf-to-llvm carry the `loop_annotation` to the loop's branch), unless the nest of
    loops around it is known to run fewer than INTERLEAVED_ITERATIONS times."""
    parent = op.parent
    while parent is not None and parent.name != "scf.for":
        parent = parent.parent
    if parent is None or "loop_annotation" in parent.attributes:
        return
    if body_runs(parent, INTERLEAVED_ITERATIONS) >= INTERLEAVED_ITERATIONS:
        parent.attributes["loop_annotation"] = ir.Attribute.parse(LOOP_ANNOTATION)


@dataclass(frozen=True)
class MiraxExpandMath:
    name: ClassVar[str] = "mirax-expand-math"
    summary: ClassVar[str] = "Expand scalar f32 exp, log, tanh, sin, cos into vectorizable polynomial approximations"

    def __call__(self, module):
        fallbacks = {_fallback_name(f) for f in FALLBACKS.values()}
        targets = []

        def collect(op):
            if op.name == "func.func" and op.attributes["sym_name"].value in fallbacks:
                return ir.WalkResult.SKIP  # the fallbacks keep their libm calls
            if op.name in EXPANSIONS and isinstance(op.operands[0].type, ir.F32Type):
                targets.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect, ir.WalkOrder.PRE_ORDER)
        body = module.regions[0].blocks[0]
        defined = {op.attributes["sym_name"].value for op in body.operations if "sym_name" in op.attributes}
        for op_name in sorted({op.name for op in targets}):
            if _approximation_name(op_name) not in defined:
                _define_approximation(body, op_name)
        f32 = ir.F32Type.get()
        for op in targets:
            _interleave_enclosing_loop(op)
            with ir.InsertionPoint(op), op.location:
                call = func.CallOp([f32], _approximation_name(op.name), [op.operands[0]])
            op.result.replace_all_uses_with(call.result)
            op.erase()
