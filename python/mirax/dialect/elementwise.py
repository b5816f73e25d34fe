"""Elementwise ops: unary math, binary arithmetic, compare, select, clamp, convert.

Operands of an elementwise op have one shape (broadcasting is explicit, through
broadcast_in_dim); each op lowers to a linalg.generic whose body is the op's scalar
rule (scalar.py) for the operand dtype, and batches by keeping the batch dimension
where it is. One declaration per op carries its type rule, scalar rule, JVP (as JAX's:
one partial derivative per operand for most ops) and, for linear ops, transpose:

    SinOp = defjvp(unary("sin", INEXACT, math_(math.sin, scalar.complex_sin)), lambda t, r, x: ...)

`unary`/`binary` declare an op whose operands share one dtype of the kinds given;
ops with other type rules are classes decorated with `elementwise_op`.
"""
import numpy as np

from mirax.mlir import arith, complex_d, math

from . import ops, rules, scalar
from .base import MiraxOp, dtype_, int_, string
from .batching import defelementwise
from .jvp import defbilinear, defjvp, defjvp_rule, deflinear2, defnondiff, defzero, deftranspose, not_linear
from .lowering import elementwise, scalar_type
from .scalar import FLOAT, INEXACT, INTEGRAL, NUMBER, ORDERED, by_kind, convert_scalar, in_f32, op
from .types import ShapedType, is_bool, is_complex, is_integer
from .values import add_tangents, full_like, type_of

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
        if scalar.kind(result.dtype) not in allowed:
            raise TypeError(f"does not accept {result.dtype.name} operands ({name} takes {', '.join(allowed)})")
        return result

    return check


# ----------------------------------------------------------------------------- declarations


def elementwise_op(scalar_rule=None, lower=None):
    """Class decorator for an elementwise op: its lowering, a linalg.generic applying
    `scalar_rule(dtype, *elements, **params)` (dtype: the first operand's) unless `lower`
    is given, and its batching rule."""

    def lower_generic(node, *operands):
        dtype = node.in_types[0].dtype
        return elementwise(node.out_types, operands, lambda *xs: scalar_rule(dtype, *xs, **node.params))

    def register(cls):
        rules.lowering[cls.OPERATION_NAME] = lower or lower_generic
        defelementwise(cls)
        return cls

    return register


def _declare(name, operands, infer, scalar_rule):
    """The elementwise op `name` (class XxxOp) of type rule `infer` and scalar rule `scalar_rule`."""
    class_name = "".join(part.capitalize() for part in name.split("_")) + "Op"
    cls = type(class_name, (MiraxOp,), {"infer": staticmethod(infer)}, name=name, operands=operands)
    return elementwise_op(scalar_rule)(cls)


def unary(name, kinds, scalar_rule):
    """The op `name` of one operand whose dtype is of `kinds`, and a result of its type."""
    return _declare(name, ("operand",), _kinds(kinds, name), scalar_rule)


def binary(name, kinds, scalar_rule):
    """The op `name` of two operands of one type whose dtype is of `kinds`, and a result of that type."""
    return _declare(name, ("lhs", "rhs"), _kinds(kinds, name), scalar_rule)


def math_(float_op, complex_rule=None):
    """The scalar rule of a math-dialect float op (in f32 for half precision) and, for
    complex operands, `complex_rule`."""
    return by_kind(in_f32(op(float_op)), complex_rule)


def _c(like, value):
    return full_like(like, value)


def _square(x):
    return ops.mul(x, x)


# ----------------------------------------------------------------------------- arithmetic


def _abs_type(x):
    result = _kinds(NUMBER, "abs")(x)
    return ShapedType(x.shape, scalar.real_dtype(x.dtype)) if is_complex(x.dtype) else result


def _abs_jvp(node, primals, tangents):
    """JAX's: the derivative at 0 is +1; for complex x, re(conj(x) / |x| * t)."""
    (x,), (t,) = primals, tangents
    result = ops.abs(x)
    if t is None:
        return [result], [None]
    if is_complex(type_of(x).dtype):
        safe = ops.select(ops.compare(result, _c(result, 0), direction="EQ"), _c(result, 1), result)
        return [result], [ops.real(ops.mul(t, ops.div(ops.conj(x), ops.convert(safe, new_dtype=type_of(x).dtype))))]
    return [result], [ops.select(ops.compare(x, _c(x, 0), direction="GE"), t, ops.neg(t))]


def _transpose_add(node, cts, operands, linear):
    (ct,) = cts
    return [ct if is_linear else None for is_linear in linear]


def _transpose_sub(node, cts, operands, linear):
    (ct,) = cts
    return [ct if linear[0] else None, ops.neg(ct) if linear[1] else None]


def _transpose_div(node, cts, operands, linear):
    (ct,) = cts
    if linear[1]:
        not_linear(node, 1)
    return [ops.div(ct, operands[1]), None]


def _chooser_jvp(direction):
    """max/min: the tangent of the chosen operand; half of each on ties (JAX's balanced rule)."""

    def rule(node, primals, tangents):
        x, y = primals
        result = (ops.max if direction == "GT" else ops.min)(x, y)
        half = _c(x, 0.5)
        tie = ops.compare(x, y, direction="EQ")
        x_wins = ops.compare(x, y, direction=direction)
        weight_x = ops.select(tie, half, ops.select(x_wins, _c(x, 1), _c(x, 0)))
        weight_y = ops.sub(_c(x, 1), weight_x)
        tx, ty = tangents
        return [result], [add_tangents(None if tx is None else ops.mul(tx, weight_x),
                                       None if ty is None else ops.mul(ty, weight_y))]

    return rule


NegOp = deflinear2(unary("neg", NUMBER, scalar.neg), lambda node, cts, operands, linear: [ops.neg(cts[0])])
AbsOp = defjvp_rule(_declare("abs", ("operand",), _abs_type, scalar.abs_), _abs_jvp)
SignOp = defzero(unary("sign", NUMBER, scalar.sign))
AddOp = deftranspose(defjvp(binary("add", NUMBER + ("bool",), scalar.add), lambda t, r, x, y: t, lambda t, r, x, y: t),
                     _transpose_add)
SubOp = deftranspose(defjvp(binary("sub", NUMBER, scalar.sub), lambda t, r, x, y: t, lambda t, r, x, y: ops.neg(t)),
                     _transpose_sub)
MulOp = defbilinear(binary("mul", NUMBER + ("bool",), scalar.mul),
                    lambda node, ct, x, y: ops.mul(ct, y), lambda node, ct, x, y: ops.mul(x, ct))
# d(x / y)/dy as JAX writes it, -t x y^-2 (the same roundings): y^-2 of a broadcast y
# (a normalization's scale) is computed once per row, not a division per element.
DivOp = deftranspose(defjvp(binary("div", NUMBER, scalar.div),
                            lambda t, r, x, y: ops.div(t, y),
                            lambda t, r, x, y: ops.mul(ops.mul(ops.neg(t), x), ops.integer_pow(y, y=-2))),
                     _transpose_div)
RemOp = defjvp(binary("rem", ("float", "int"), by_kind(in_f32(op(arith.remf)), int_=scalar.int_rem)),
               lambda t, r, x, y: t,
               lambda t, r, x, y: ops.mul(ops.neg(t),
                                          ops.mul(ops.sign(ops.div(x, y)), ops.floor(ops.abs(ops.div(x, y))))))
MaxOp = defjvp_rule(binary("max", NUMBER + ("bool",), scalar.max_), _chooser_jvp("GT"))
MinOp = defjvp_rule(binary("min", NUMBER + ("bool",), scalar.min_), _chooser_jvp("LT"))
NextafterOp = defnondiff(binary("nextafter", FLOAT, scalar.nextafter))  # on the dtype's own bits, never through f32

# ----------------------------------------------------------------------------- math functions

FloorOp = defzero(unary("floor", FLOAT, math_(math.floor)))
CeilOp = defzero(unary("ceil", FLOAT, math_(math.ceil)))
ExpOp = defjvp(unary("exp", INEXACT, math_(math.exp, op(complex_d.exp))), lambda t, r, x: ops.mul(t, r))
Exp2Op = defjvp(unary("exp2", INEXACT, math_(math.exp2, scalar.complex_exp2)),
                lambda t, r, x: ops.mul(t, ops.mul(r, _c(r, np.log(2)))))
Expm1Op = defjvp(unary("expm1", INEXACT, by_kind(scalar.expm1, scalar.complex_expm1)),
                 lambda t, r, x: ops.mul(t, ops.add(r, _c(r, 1))))
LogOp = defjvp(unary("log", INEXACT, math_(math.log, scalar.complex_log)), lambda t, r, x: ops.div(t, x))
Log1pOp = defjvp(unary("log1p", INEXACT, math_(math.log1p, scalar.complex_log1p)),
                 lambda t, r, x: ops.div(t, ops.add(x, _c(x, 1))))
SqrtOp = defjvp(unary("sqrt", INEXACT, math_(math.sqrt, scalar.complex_sqrt)),
                lambda t, r, x: ops.mul(t, ops.div(_c(r, 0.5), r)))  # as JAX writes it: the same roundings
RsqrtOp = defjvp(unary("rsqrt", INEXACT, math_(math.rsqrt, scalar.complex_rsqrt)),
                 lambda t, r, x: ops.mul(t, ops.mul(ops.div(r, x), _c(r, -0.5))))
CbrtOp = defjvp(unary("cbrt", FLOAT, math_(math.cbrt)), lambda t, r, x: ops.mul(t, ops.div(_c(r, 1 / 3), _square(r))))
SinOp = defjvp(unary("sin", INEXACT, math_(math.sin, scalar.complex_sin)), lambda t, r, x: ops.mul(t, ops.cos(x)))
CosOp = defjvp(unary("cos", INEXACT, math_(math.cos, scalar.complex_cos)),
               lambda t, r, x: ops.neg(ops.mul(t, ops.sin(x))))
TanOp = defjvp(unary("tan", INEXACT, math_(math.tan, scalar.complex_tan)),
               lambda t, r, x: ops.mul(t, ops.add(_c(r, 1), _square(r))))
AsinOp = defjvp(unary("asin", INEXACT, math_(math.asin, scalar.complex_asin)),
                lambda t, r, x: ops.mul(t, ops.rsqrt(ops.sub(_c(x, 1), _square(x)))))
AcosOp = defjvp(unary("acos", INEXACT, math_(math.acos, scalar.complex_acos)),
                lambda t, r, x: ops.neg(ops.mul(t, ops.rsqrt(ops.sub(_c(x, 1), _square(x))))))
AtanOp = defjvp(unary("atan", INEXACT, math_(math.atan, scalar.complex_atan)),
                lambda t, r, x: ops.div(t, ops.add(_c(x, 1), _square(x))))
SinhOp = defjvp(unary("sinh", INEXACT, math_(math.sinh, scalar.complex_sinh)), lambda t, r, x: ops.mul(t, ops.cosh(x)))
CoshOp = defjvp(unary("cosh", INEXACT, math_(math.cosh, scalar.complex_cosh)), lambda t, r, x: ops.mul(t, ops.sinh(x)))
TanhOp = defjvp(unary("tanh", INEXACT, math_(math.tanh, scalar.complex_tanh)),
                lambda t, r, x: ops.mul(t, ops.sub(_c(r, 1), _square(r))))
AsinhOp = defjvp(unary("asinh", INEXACT, math_(math.asinh, scalar.complex_asinh)),
                 lambda t, r, x: ops.mul(t, ops.rsqrt(ops.add(_square(x), _c(x, 1)))))
AcoshOp = defjvp(unary("acosh", INEXACT, math_(math.acosh, scalar.complex_acosh)),
                 lambda t, r, x: ops.mul(t, ops.rsqrt(ops.mul(ops.sub(x, _c(x, 1)), ops.add(x, _c(x, 1))))))
AtanhOp = defjvp(unary("atanh", INEXACT, math_(math.atanh, scalar.complex_atanh)),
                 lambda t, r, x: ops.div(ops.div(t, ops.sub(_c(x, 1), x)), ops.add(_c(x, 1), x)))
LogisticOp = defjvp(unary("logistic", INEXACT, by_kind(in_f32(scalar.logistic), scalar.logistic)),
                    lambda t, r, x: ops.mul(t, ops.mul(r, ops.sub(_c(r, 1), r))))
ErfOp = defjvp(unary("erf", FLOAT, math_(math.erf)),
               lambda t, r, x: ops.mul(t, ops.mul(_c(x, 2 / np.sqrt(np.pi)), ops.exp(ops.neg(_square(x))))))
ErfcOp = defjvp(unary("erfc", FLOAT, math_(math.erfc)),
                lambda t, r, x: ops.mul(t, ops.mul(_c(x, -2 / np.sqrt(np.pi)), ops.exp(ops.neg(_square(x))))))
ErfInvOp = defjvp(unary("erf_inv", FLOAT, in_f32(scalar.erf_inv)),
                  lambda t, r, x: ops.mul(t, ops.mul(_c(x, np.sqrt(np.pi) / 2), ops.exp(_square(r)))))
Atan2Op = defjvp(binary("atan2", FLOAT, math_(math.atan2)),
                 lambda t, r, x, y: ops.mul(t, ops.div(y, ops.add(_square(x), _square(y)))),
                 lambda t, r, x, y: ops.mul(t, ops.div(ops.neg(x), ops.add(_square(x), _square(y)))))


# ----------------------------------------------------------------------------- special functions (lax.special's)


def _polygamma_m_jvp(t, r, m, x):
    raise ValueError("polygamma gradient with respect to m is not supported")


def _bessel_i1e_jvp(t, r, x):
    """JAX's: i0e(x) - r (sign(x) + 1/x), and 1/2 where |x| <= eps (its limit at 0)."""
    eps = _c(x, np.finfo(type_of(x).dtype).eps)
    not_tiny = ops.compare(ops.abs(x), eps, direction="GT")
    safe = ops.select(not_tiny, x, eps)
    slope = ops.sub(ops.bessel_i0e(safe), ops.mul(r, ops.add(ops.sign(safe), ops.div(_c(x, 1), safe))))
    return ops.mul(t, ops.select(not_tiny, slope, _c(x, 0.5)))


LgammaOp = defjvp(unary("lgamma", FLOAT, in_f32(scalar.lgamma)), lambda t, r, x: ops.mul(t, ops.digamma(x)))
DigammaOp = defjvp(unary("digamma", FLOAT, in_f32(scalar.digamma)),
                   lambda t, r, x: ops.mul(t, ops.polygamma(_c(x, 1), x)))
PolygammaOp = defjvp(binary("polygamma", FLOAT, in_f32(scalar.polygamma)), _polygamma_m_jvp,
                     lambda t, r, m, x: ops.mul(t, ops.polygamma(ops.add(m, _c(m, 1)), x)))
ZetaOp = defnondiff(binary("zeta", FLOAT, in_f32(scalar.zeta)))
BesselI0eOp = defjvp(unary("bessel_i0e", FLOAT, in_f32(scalar.bessel_i0e)),
                     lambda t, r, x: ops.mul(t, ops.sub(ops.bessel_i1e(x), ops.mul(ops.sign(x), r))))
BesselI1eOp = defjvp(unary("bessel_i1e", FLOAT, in_f32(scalar.bessel_i1e)), _bessel_i1e_jvp)


def _igamma_x_partial(t, r, a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a), as JAX writes it."""
    return ops.mul(t, ops.exp(ops.sub(ops.add(ops.neg(x), ops.mul(ops.sub(a, _c(a, 1)), ops.log(x))), ops.lgamma(a))))


def _betainc_ab_partial(t, r, a, b, x):
    raise ValueError("Betainc gradient with respect to a and b not supported.")


def _betainc_x_partial(t, r, a, b, x):
    """d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b), as JAX writes it."""
    lbeta = ops.sub(ops.add(ops.lgamma(a), ops.lgamma(b)), ops.lgamma(ops.add(a, b)))
    log_density = ops.sub(ops.add(ops.mul(ops.sub(b, _c(b, 1)), ops.log1p(ops.neg(x))),
                                  ops.mul(ops.sub(a, _c(a, 1)), ops.log(x))), lbeta)
    return ops.mul(ops.exp(log_density), t)


IgammaOp = defjvp(binary("igamma", FLOAT, in_f32(scalar.igamma)),
                  lambda t, r, a, x: ops.mul(t, ops.igamma_grad_a(a, x)), _igamma_x_partial)
IgammacOp = defjvp(binary("igammac", FLOAT, in_f32(scalar.igammac)),
                   lambda t, r, a, x: ops.neg(ops.mul(t, ops.igamma_grad_a(a, x))),
                   lambda t, r, a, x: ops.neg(_igamma_x_partial(t, r, a, x)))
IgammaGradAOp = defnondiff(binary("igamma_grad_a", FLOAT, in_f32(scalar.igamma_grad_a)))
RandomGammaGradOp = defnondiff(binary("random_gamma_grad", FLOAT, in_f32(scalar.random_gamma_grad)))
RegularizedIncompleteBetaOp = defjvp(
    _declare("regularized_incomplete_beta", ("a", "b", "x"), _kinds(FLOAT, "regularized_incomplete_beta"),
             in_f32(scalar.regularized_incomplete_beta)),
    _betainc_ab_partial, _betainc_ab_partial, _betainc_x_partial)


@defzero
@elementwise_op(in_f32(scalar.round_))
class RoundOp(MiraxOp, name="round", operands=("operand",), params={"rounding_method": int_}):
    """rounding_method 0 rounds half away from zero, 1 half to even (as lax.round)."""

    @staticmethod
    def infer(x, rounding_method):
        if rounding_method not in (0, 1):
            raise TypeError(f"rounding_method must be 0 or 1, got {rounding_method}")
        return _kinds(FLOAT, "round")(x)


def _lower_pow(node, x, y):
    dtype, exponent_dtype = node.in_types[0].dtype, node.in_types[1].dtype
    rule = lambda a, b: in_f32(scalar.pow_)(dtype, a, convert_scalar(exponent_dtype, dtype, b))
    return elementwise(node.out_types, [x, y], rule)


@elementwise_op(lower=_lower_pow)
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


def _pow_jvp_base(t, r, x, y):
    """JAX's: y x^(y-1), with an integer y in x's dtype and a zero derivative where it is 0
    (not 0 * x^-1, which is NaN at x = 0)."""
    if not is_integer(type_of(y).dtype):
        return ops.mul(t, ops.mul(y, ops.pow(x, ops.sub(y, _c(y, 1)))))
    y = ops.convert(y, new_dtype=type_of(x).dtype)
    jac = ops.mul(y, ops.pow(x, ops.sub(y, _c(y, 1))))
    return ops.mul(t, ops.select(ops.compare(y, _c(y, 0), direction="EQ"), _c(y, 0), jac))


defjvp(PowOp, _pow_jvp_base,
       lambda t, r, x, y: ops.mul(t, ops.mul(ops.select(ops.compare(x, _c(x, 0), direction="EQ"), _c(x, 0), ops.log(x)),
                                             r)))


def _integer_pow_jvp(node, primals, tangents):
    (x,), (t,) = primals, tangents
    y = node.params["y"]
    result = ops.integer_pow(x, y=y)
    if t is None or y == 0:
        return [result], [None]
    derivative = _c(x, y) if y == 1 else ops.mul(_c(x, y), ops.integer_pow(x, y=y - 1))
    return [result], [ops.mul(t, derivative)]


@elementwise_op(scalar.integer_pow)
class IntegerPowOp(MiraxOp, name="integer_pow", operands=("operand",), params={"y": int_}):
    """x ** y for a static integer y, by repeated squaring (exact for integers, like JAX)."""

    @staticmethod
    def infer(x, y):
        result = _kinds(NUMBER, "integer_pow")(x)
        if y < 0 and is_integer(x.dtype):
            raise TypeError(f"integers cannot be raised to negative powers, got {x.dtype.name} ** {y}")
        return result


defjvp_rule(IntegerPowOp, _integer_pow_jvp)


@elementwise_op(scalar.reduce_precision)
class ReducePrecisionOp(MiraxOp, name="reduce_precision", operands=("operand",),
                        params={"exponent_bits": int_, "mantissa_bits": int_}):
    """The operand rounded to a float format of exponent_bits (>= 1) and mantissa_bits
    (>= 0), in its own dtype (XLA's ReducePrecision); linear, as JAX's: tangents and
    cotangents are rounded alike."""

    @staticmethod
    def infer(x, exponent_bits, mantissa_bits):
        if exponent_bits < 1 or mantissa_bits < 0:
            raise TypeError(f"requires exponent_bits >= 1 and mantissa_bits >= 0, got {exponent_bits} and "
                            f"{mantissa_bits}")
        return _kinds(FLOAT, "reduce_precision")(x)


deflinear2(ReducePrecisionOp, lambda node, cts, operands, linear: [ops.reduce_precision(cts[0], **node.params)])


@defzero
@elementwise_op(lambda dtype, x: math.isfinite(x))
class IsFiniteOp(MiraxOp, name="is_finite", operands=("operand",)):
    @staticmethod
    def infer(x):
        _kinds(FLOAT, "is_finite")(x)
        return ShapedType(x.shape, np.dtype(np.bool_))


@elementwise_op(op(math.fma))
class FmaOp(MiraxOp, name="fma", operands=("a", "b", "c")):
    """a * b + c rounded once (a fused multiply-add), on float32 and float64: what
    XLA:CPU computes where LLVM contracts a product and a sum, which mirax.random
    reproduces bit for bit."""

    @staticmethod
    def infer(a, b, c):
        result = _kinds(FLOAT, "fma")(a, b, c)
        if result.dtype.itemsize not in (4, 8):
            raise TypeError(f"requires float32 or float64 operands, got {result.dtype.name}")
        return result


defjvp(FmaOp, lambda t, r, a, b, c: ops.mul(t, b), lambda t, r, a, b, c: ops.mul(a, t), lambda t, r, a, b, c: t)

# ----------------------------------------------------------------------------- bitwise

NotOp = defzero(unary("not", INTEGRAL, scalar.not_))
AndOp = defzero(binary("and", INTEGRAL, scalar.and_))
OrOp = defzero(binary("or", INTEGRAL, scalar.or_))
XorOp = defzero(binary("xor", INTEGRAL, op(arith.xori)))
ClzOp = defzero(unary("clz", ("int",), op(math.ctlz)))  # leading zero bits, as lax.clz
PopulationCountOp = defzero(unary("population_count", ("int",), op(math.ctpop)))  # one bits
ShiftLeftOp = defzero(binary("shift_left", ("int",), scalar.shift("left")))
ShiftRightLogicalOp = defzero(binary("shift_right_logical", ("int",), scalar.shift("logical")))
ShiftRightArithmeticOp = defzero(binary("shift_right_arithmetic", ("int",), scalar.shift("arithmetic")))

# ----------------------------------------------------------------------------- compare, select, clamp


@defzero
@elementwise_op(scalar.compare)
class CompareOp(MiraxOp, name="compare", operands=("lhs", "rhs"), params={"direction": string}):
    """lhs `direction` rhs, elementwise; direction is one of EQ NE LT LE GT GE."""

    @staticmethod
    def infer(x, y, direction):
        if direction not in scalar.COMPARISONS:
            raise TypeError(f"direction must be one of {', '.join(scalar.COMPARISONS)}, got {direction!r}")
        _same_types(x, y)
        if is_complex(x.dtype) and direction not in ("EQ", "NE"):
            raise TypeError(f"complex operands support only EQ and NE, got {direction}")
        return ShapedType(x.shape, np.dtype(np.bool_))


def _transpose_select(node, cts, operands, linear):
    (ct,) = cts
    pred = operands[0]
    if linear[0]:
        not_linear(node, 0)
    zero = _c(ct, 0)
    return [None, ops.select(pred, ct, zero) if linear[1] else None, ops.select(pred, zero, ct) if linear[2] else None]


@elementwise_op(op(arith.select))
class SelectOp(MiraxOp, name="select", operands=("pred", "on_true", "on_false")):
    """pred ? on_true : on_false, elementwise; pred is bool of the operands' shape."""

    @staticmethod
    def infer(pred, on_true, on_false):
        if pred.dtype != np.bool_:
            raise TypeError(f"requires a bool predicate, got {pred.dtype.name}")
        _same_shapes(pred, on_true, on_false)
        return _same_types(on_true, on_false)


deflinear2(SelectOp, _transpose_select, linear=(1, 2))


def _clamp_jvp(node, primals, tangents):
    lo, x, hi = primals
    result = ops.clamp(lo, x, hi)
    t_lo, t_x, t_hi = tangents
    zero = _c(x, 0)
    tangent = None
    if t_lo is not None:  # JAX's: min only counts where it is below max, so that it binds
        lo_binds = ops.and_(ops.compare(lo, x, direction="GT"), ops.compare(lo, hi, direction="LT"))
        tangent = add_tangents(tangent, ops.select(lo_binds, t_lo, zero))
    if t_x is not None:
        inside = ops.and_(ops.compare(x, lo, direction="GT"), ops.compare(x, hi, direction="LT"))
        tangent = add_tangents(tangent, ops.select(inside, t_x, zero))
    if t_hi is not None:
        tangent = add_tangents(tangent, ops.select(ops.compare(x, hi, direction="GT"), t_hi, zero))
    return [result], [tangent]


@elementwise_op(scalar.clamp)
class ClampOp(MiraxOp, name="clamp", operands=("min", "operand", "max")):
    """min(max(operand, min), max), elementwise, with NaNs propagated as lax.clamp."""

    infer = staticmethod(_kinds(ORDERED, "clamp"))


defjvp_rule(ClampOp, _clamp_jvp)

# ----------------------------------------------------------------------------- conversions and complex parts


def _convert_jvp(node, primals, tangents):
    (x,), (t,) = primals, tangents
    new_dtype = node.params["new_dtype"]
    result = ops.convert(x, new_dtype=new_dtype)
    differentiable = not (is_integer(new_dtype) or is_bool(new_dtype))
    return [result], [ops.convert(t, new_dtype=new_dtype) if t is not None and differentiable else None]


@elementwise_op(lambda dtype, x, new_dtype: convert_scalar(dtype, new_dtype, x))
class ConvertOp(MiraxOp, name="convert", operands=("operand",), params={"new_dtype": dtype_}):
    """Elementwise conversion to `new_dtype`, as lax.convert_element_type: float to
    integer truncates toward zero and saturates (NaN gives 0); complex to real keeps
    the real part; anything to bool is `!= 0`."""

    infer = staticmethod(lambda x, new_dtype: ShapedType(x.shape, new_dtype))


defjvp_rule(ConvertOp, _convert_jvp)
deftranspose(ConvertOp, lambda node, cts, operands, linear: [ops.convert(cts[0], new_dtype=node.in_types[0].dtype)])


@defzero
@elementwise_op(lambda dtype, x, new_dtype: arith.bitcast(scalar_type(new_dtype), x))
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


def _complex_dtype(dtype):
    """The complex dtype of float32 or float64 parts."""
    return np.dtype(np.complex64 if np.dtype(dtype).itemsize == 4 else np.complex128)


def _part_type(x):
    if not is_complex(x.dtype):
        raise TypeError(f"requires a complex operand, got {x.dtype.name}")
    return ShapedType(x.shape, scalar.real_dtype(x.dtype))


RealOp = deflinear2(_declare("real", ("operand",), _part_type, op(complex_d.re)),
                    lambda node, cts, operands, linear: [ops.complex(cts[0], _c(cts[0], 0))])
ImagOp = deflinear2(_declare("imag", ("operand",), _part_type, op(complex_d.im)),
                    lambda node, cts, operands, linear: [ops.complex(_c(cts[0], 0), ops.neg(cts[0]))])


def _conj(dtype, x):
    return complex_d.conj(x) if is_complex(dtype) else convert_scalar(dtype, _complex_dtype(dtype), x)


@elementwise_op(_conj)
class ConjOp(MiraxOp, name="conj", operands=("operand",)):
    """The complex conjugate; a float32 or float64 operand gives its complex type (as lax.conj)."""

    @staticmethod
    def infer(x):
        if is_complex(x.dtype):
            return x
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(f"requires a complex, float32 or float64 operand, got {x.dtype.name}")
        return ShapedType(x.shape, _complex_dtype(x.dtype))


deflinear2(ConjOp, lambda node, cts, operands, linear: [ops.conj(cts[0])])


def _transpose_complex(node, cts, operands, linear):
    (ct,) = cts
    return [ops.real(ct) if linear[0] else None, ops.neg(ops.imag(ct)) if linear[1] else None]


@elementwise_op(lambda dtype, re, im: complex_d.create_(scalar_type(_complex_dtype(dtype)), re, im))
class ComplexOp(MiraxOp, name="complex", operands=("real", "imag")):
    """real + 1j * imag from two float operands of one type (f32 or f64)."""

    @staticmethod
    def infer(re, im):
        _kinds(FLOAT, "complex")(re, im)
        if re.dtype.itemsize not in (4, 8):
            raise TypeError(f"requires f32 or f64 parts, got {re.dtype.name}")
        return ShapedType(re.shape, _complex_dtype(re.dtype))


deflinear2(ComplexOp, _transpose_complex)


@defzero
@elementwise_op(lower=lambda node, x: [x])
class StopGradientOp(MiraxOp, name="stop_gradient", operands=("operand",)):
    """The operand itself, with a zero derivative: differentiation stops here."""

    infer = staticmethod(lambda x: x)
