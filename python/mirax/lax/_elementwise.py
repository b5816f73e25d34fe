"""lax's elementwise functions, one line each over the mirax dialect's ops."""
import enum
import operator

import numpy as np

from mirax import dtypes
from mirax.core import Array, Tracer, bind, is_array, to_array, with_source
from mirax.dialect import elementwise as ops
from mirax.dialect.shape import BroadcastInDimOp


def _operands(*xs):
    """Arrays for lax's operands: weakly typed values (Python scalars) take the dtype of
    the strongly typed ones, and rank-0 values broadcast to the others' shape."""
    if _alike(xs):  # nothing to convert or broadcast: each eager op's common case
        return xs
    strong = {x.aval.dtype for x in xs if is_array(x) and not x.aval.weak_type}
    target = strong.pop() if len(strong) == 1 else None
    xs = [to_array(x, target if not is_array(x) else None) for x in xs]
    if target is not None:
        xs = [convert_element_type(x, target) if x.aval.weak_type and x.aval.dtype != target else x for x in xs]
    return _broadcast_scalars(xs)


def _alike(xs):
    """Whether xs are arrays of one dtype and shape."""
    if not is_array(xs[0]):
        return False
    dtype, shape = xs[0].aval.dtype, xs[0].aval.shape
    for x in xs[1:]:  # (a loop: a generator costs more for one or two)
        if not is_array(x) or x.aval.dtype != dtype or x.aval.shape != shape:
            return False
    return True


def _broadcast_scalars(xs):
    """Rank-0 values broadcast to the others' shape."""
    shapes = {x.aval.shape for x in xs if x.aval.ndim}
    if len(shapes) == 1:
        (shape,) = shapes
        xs = [broadcast_in_dim(x, shape, ()) if x.aval.ndim == 0 else x for x in xs]
    return xs


def _unary(op_cls):
    def fn(x):
        (out,) = bind(op_cls, *_operands(x))
        return out

    fn.__name__ = op_cls.OPERATION_NAME.split(".")[1]
    return fn


def _binary(op_cls):
    def fn(x, y):
        (out,) = bind(op_cls, *_operands(x, y))
        return out

    fn.__name__ = op_cls.OPERATION_NAME.split(".")[1]
    return fn


def refuse_bool(name, *xs):
    """JAX's TypeError for arithmetic on bools (the dialect's ops take them, as or/and,
    for jnp's operators on bools; lax's functions do not)."""
    for i, x in enumerate(xs):
        if (x.dtype if hasattr(x, "dtype") else np.result_type(x)) == np.bool_:
            raise TypeError(with_source(f"{name} does not accept dtype bool at position {i}. Accepted dtypes at "
                                        f"position {i} are subtypes of integer, floating, complexfloating."))


def _arithmetic(op_cls):
    """A binary arithmetic function: no bools, as in JAX."""
    binary = _binary(op_cls)

    def fn(x, y):
        refuse_bool(binary.__name__, x, y)
        return binary(x, y)

    fn.__name__ = binary.__name__
    return fn


neg = _unary(ops.NegOp)
_abs = _unary(ops.AbsOp)


def abs(x):  # noqa: A001
    """|x|; unsigned integers and bools refused, as JAX's (the dialect's op takes them
    for jnp.absolute)."""
    (x,) = _operands(x)
    if dtypes.is_unsigned(x.aval.dtype) or x.aval.dtype == np.bool_:
        raise TypeError(with_source(f"abs does not accept dtype {x.aval.dtype.name}. Accepted dtypes are subtypes of "
                                    f"floating, complexfloating, signedinteger."))
    return _abs(x)


sign = _unary(ops.SignOp)
floor = _unary(ops.FloorOp)
ceil = _unary(ops.CeilOp)
exp = _unary(ops.ExpOp)
exp2 = _unary(ops.Exp2Op)
expm1 = _unary(ops.Expm1Op)
log = _unary(ops.LogOp)
log1p = _unary(ops.Log1pOp)
sqrt = _unary(ops.SqrtOp)
rsqrt = _unary(ops.RsqrtOp)
cbrt = _unary(ops.CbrtOp)
sin = _unary(ops.SinOp)
cos = _unary(ops.CosOp)
tan = _unary(ops.TanOp)
asin = _unary(ops.AsinOp)
acos = _unary(ops.AcosOp)
atan = _unary(ops.AtanOp)
sinh = _unary(ops.SinhOp)
cosh = _unary(ops.CoshOp)
tanh = _unary(ops.TanhOp)
asinh = _unary(ops.AsinhOp)
acosh = _unary(ops.AcoshOp)
atanh = _unary(ops.AtanhOp)
logistic = _unary(ops.LogisticOp)
erf = _unary(ops.ErfOp)
erfc = _unary(ops.ErfcOp)
erf_inv = _unary(ops.ErfInvOp)
lgamma = _unary(ops.LgammaOp)
digamma = _unary(ops.DigammaOp)
bessel_i0e = _unary(ops.BesselI0eOp)
bessel_i1e = _unary(ops.BesselI1eOp)
is_finite = _unary(ops.IsFiniteOp)
bitwise_not = _unary(ops.NotOp)
clz = _unary(ops.ClzOp)
population_count = _unary(ops.PopulationCountOp)
real = _unary(ops.RealOp)
imag = _unary(ops.ImagOp)
conj = _unary(ops.ConjOp)

add = _arithmetic(ops.AddOp)
sub = _binary(ops.SubOp)
mul = _arithmetic(ops.MulOp)
div = _binary(ops.DivOp)
rem = _binary(ops.RemOp)
max = _binary(ops.MaxOp)  # noqa: A001
min = _binary(ops.MinOp)  # noqa: A001
atan2 = _binary(ops.Atan2Op)
nextafter = _binary(ops.NextafterOp)
polygamma = _binary(ops.PolygammaOp)
zeta = _binary(ops.ZetaOp)
igamma = _binary(ops.IgammaOp)
igammac = _binary(ops.IgammacOp)
igamma_grad_a = _binary(ops.IgammaGradAOp)
random_gamma_grad = _binary(ops.RandomGammaGradOp)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    (out,) = bind(ops.RegularizedIncompleteBetaOp, *_operands(a, b, x))
    return out
bitwise_and = _binary(ops.AndOp)
bitwise_or = _binary(ops.OrOp)
bitwise_xor = _binary(ops.XorOp)
shift_left = _binary(ops.ShiftLeftOp)
shift_right_logical = _binary(ops.ShiftRightLogicalOp)
shift_right_arithmetic = _binary(ops.ShiftRightArithmeticOp)
complex = _binary(ops.ComplexOp)  # noqa: A001


class Tolerance:
    """Tolerances for the implementations of unary functions (jax.lax.Tolerance): at most
    two of atol, rtol and ulps."""

    def __init__(self, atol=0.0, rtol=0.0, ulps=0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0.0:
            raise ValueError("Tolerances must be non-negative.")
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError("At least one of atol, rtol, or ulps must be set.")
        self.atol, self.rtol, self.ulps = atol, rtol, ulps


class AccuracyMode(enum.Enum):
    """Which implementation of a unary function to use (jax.lax.AccuracyMode)."""

    HIGHEST = 1
    DEFAULT = 2


class RoundingMethod(enum.IntEnum):
    """How lax.round breaks ties (as jax.lax.RoundingMethod)."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    """Rounds to integral values, ties by `rounding_method` (a RoundingMethod or its int)."""
    (out,) = bind(ops.RoundOp, *_operands(x), rounding_method=int(rounding_method))
    return out


def pow(x, y):  # noqa: A001
    """x ** y; an integer exponent keeps its own dtype (as lax.pow's), so the base never
    takes it."""
    x, y = to_array(x), to_array(y)
    (out,) = bind(ops.PowOp, *(_broadcast_scalars([x, y]) if dtypes.is_integer(y.aval.dtype) else _operands(x, y)))
    return out


def integer_pow(x, y):
    (out,) = bind(ops.IntegerPowOp, *_operands(x), y=int(y))
    return out


def square(x):
    return integer_pow(x, 2)


def _compare(direction):
    def fn(x, y):
        (out,) = bind(ops.CompareOp, *_operands(x, y), direction=direction)
        return out

    fn.__name__ = direction.lower()
    return fn


eq = _compare("EQ")
ne = _compare("NE")
lt = _compare("LT")
le = _compare("LE")
gt = _compare("GT")
ge = _compare("GE")


def select(pred, on_true, on_false):
    """on_true where pred, else on_false; a rank-0 pred selects whole operands. pred keeps
    its own dtype: only the two cases take each other's (a weakly typed or NumPy bool
    predicate must not become a number)."""
    on_true, on_false = _operands(on_true, on_false)
    (pred,) = _operands(pred)
    if pred.aval.ndim == 0 and on_true.aval.ndim:
        pred = broadcast_in_dim(pred, on_true.aval.shape, ())
    # As JAX's select_n: weakly typed when both cases are, whatever the predicate.
    (out,) = bind(ops.SelectOp, pred, on_true, on_false, weak_type=on_true.aval.weak_type and on_false.aval.weak_type)
    return out


def select_n(which, *cases):
    """cases[which], elementwise: a bool `which` picks cases[1] where True (at most two
    cases); an integer one indexes them, out-of-range values clamped to the first or last
    case (XLA's tree of selects, as JAX lowers it)."""
    if not cases:
        raise ValueError("select_n() must have at least one case")
    which, cases = to_array(which), [to_array(c) for c in cases]
    if len({c.aval.shape for c in cases}) > 1:
        raise TypeError(with_source(f"select cases must have the same shapes, got "
                                    f"[{', '.join(str(c.aval.shape) for c in cases)}]."))
    if len({c.aval.dtype for c in cases}) > 1:
        raise TypeError(with_source(f"lax.select_n requires arguments to have the same dtypes, got "
                                    f"{', '.join(c.aval.dtype.name for c in cases)}. (Tip: jnp.where is a similar "
                                    f"function that does automatic type promotion on inputs)."))
    if which.aval.ndim and which.aval.shape != cases[0].aval.shape:
        raise TypeError(with_source(f"select `which` must be scalar or have the same shape as cases, got `which` "
                                    f"shape {which.aval.shape} but case shape {cases[0].aval.shape}."))
    if not (which.aval.dtype == np.bool_ or dtypes.is_integer(which.aval.dtype)):
        raise TypeError(with_source(f"select `which` must be boolean or integer type, got {which.aval.dtype}."))
    if which.aval.dtype == np.bool_ and len(cases) > 2:
        raise TypeError(with_source("select with boolean `which` cannot have > 2 cases."))

    def tree(offset, cases):
        if len(cases) == 1:
            return cases[0]
        mid = len(cases) // 2
        if which.aval.dtype == np.bool_:
            return select(which, cases[1], cases[0])
        pred = lt(which, convert_element_type(offset + mid, which.aval.dtype))
        return select(pred, tree(offset, cases[:mid]), tree(offset + mid, cases[mid:]))

    return tree(0, cases)


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """operand rounded to a float format of `exponent_bits` and `mantissa_bits` (as
    jax.lax.reduce_precision: XLA's ReducePrecision)."""
    exponent_bits, mantissa_bits = operator.index(exponent_bits), operator.index(mantissa_bits)
    if exponent_bits < 1:
        raise ValueError(with_source(f"reduce_precision: exponent_bits must be positive; got {exponent_bits}"))
    if mantissa_bits < 0:
        raise ValueError(with_source(f"reduce_precision: mantissa_bits must be non-negative; got {mantissa_bits}"))
    (out,) = bind(ops.ReducePrecisionOp, *_operands(operand), exponent_bits=exponent_bits, mantissa_bits=mantissa_bits)
    return out


def reciprocal(x):
    """1 / x (as jax.lax.reciprocal: integer_pow(x, -1))."""
    return integer_pow(x, -1)


def mulhi(x, y):
    """The high half of the bits of x * y, for integers (jax.lax.mulhi, as JAX's
    _mulhi_impl computes it: a product in the double width, or in four 32-bit halves
    for 64-bit integers)."""
    x, y = _operands(x, y)
    dtype = x.aval.dtype
    if (dtype, y.aval.dtype) != (y.aval.dtype, dtype) or not dtypes.is_integer(dtype):
        raise TypeError(with_source(f"mulhi does not accept dtypes {dtype.name}, {y.aval.dtype.name}: it takes "
                                    f"integers of one dtype."))
    bits, signed = dtype.itemsize * 8, not dtypes.is_unsigned(dtype)

    def widen(v, to):
        (out,) = bind(ops.ConvertOp, v, new_dtype=np.dtype(to))
        return out

    def const(like, value):
        return broadcast_in_dim(widen(to_array(np.array(value, like.aval.dtype)), like.aval.dtype), like.aval.shape, ())

    if bits < 64:
        wide = np.dtype(f"{'i' if signed else 'u'}{bits // 4}")
        product = mul(widen(x, wide), widen(y, wide))
        high = (shift_right_arithmetic if signed else shift_right_logical)(product, const(product, bits))
        return widen(high, dtype)
    u64 = np.dtype(np.uint64)
    xu, yu = widen(x, u64), widen(y, u64)
    low = const(xu, 0xFFFFFFFF)
    x_lo, x_hi = bitwise_and(xu, low), shift_right_logical(xu, const(xu, 32))
    y_lo, y_hi = bitwise_and(yu, low), shift_right_logical(yu, const(yu, 32))
    lo_lo, lo_hi, hi_lo, hi_hi = mul(x_lo, y_lo), mul(x_lo, y_hi), mul(x_hi, y_lo), mul(x_hi, y_hi)
    cross = add(add(bitwise_and(lo_hi, low), bitwise_and(hi_lo, low)), shift_right_logical(lo_lo, const(lo_lo, 32)))
    upper = [shift_right_logical(v, const(v, 32)) for v in (lo_hi, hi_lo, cross)]
    high = add(hi_hi, add(upper[0], add(upper[1], upper[2])))
    high = widen(high, dtype)
    if signed:  # signed high half = unsigned one - (x < 0 ? y : 0) - (y < 0 ? x : 0)
        x_sign, y_sign = shift_right_arithmetic(x, const(x, 63)), shift_right_arithmetic(y, const(y, 63))
        high = add(high, add(mul(x_sign, y), mul(y_sign, x)))
    return high


def clamp(min, x, max):  # noqa: A002
    (out,) = bind(ops.ClampOp, *_operands(min, x, max))
    return out


def stop_gradient(x):
    """x, through which no derivative flows (any pytree of arrays)."""
    from mirax.tree_util import tree_map

    def stop(leaf):
        leaf = to_array(leaf)
        if not (dtypes.is_float(leaf.aval.dtype) or dtypes.is_complex(leaf.aval.dtype)):
            return leaf
        (out,) = bind(ops.StopGradientOp, leaf)
        return out

    return tree_map(stop, x)


def convert_element_type(x, new_dtype, weak_type=False):
    """x as `new_dtype` (canonicalized); a no-op when nothing changes."""
    x = to_array(x)
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    if x.aval.dtype == new_dtype:  # at most the weak type changes, which the IR does not see
        if x.aval.weak_type == weak_type:
            return x
        if isinstance(x, Tracer):
            concrete = None if x.concrete is None else Array(x.concrete._value, weak_type)
            return Tracer(x._trace, x.value, x.aval._replace(weak_type=weak_type), concrete)
        return Array(x._value, weak_type)
    if dtypes.is_complex(x.aval.dtype) and not dtypes.is_complex(new_dtype):
        import warnings

        warnings.warn(with_source("Casting complex values to real discards the imaginary part"), np.exceptions.ComplexWarning,
                      stacklevel=2)
    (out,) = bind(ops.ConvertOp, x, new_dtype=new_dtype, weak_type=weak_type)
    return out


def bitcast_convert_type(x, new_dtype):
    (out,) = bind(ops.BitcastConvertOp, to_array(x), new_dtype=np.dtype(new_dtype))
    return out


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    operand = to_array(operand)
    shape, dims = tuple(int(s) for s in shape), tuple(int(d) for d in broadcast_dimensions)
    if operand.aval.shape == shape and dims == tuple(range(len(shape))):
        return operand
    (out,) = bind(BroadcastInDimOp, operand, shape=shape, broadcast_dimensions=dims)
    return out


__all__ = [
    "neg", "abs", "sign", "floor", "ceil", "exp", "exp2", "expm1", "log", "log1p", "sqrt", "rsqrt", "cbrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "logistic", "erf", "erfc", "erf_inv", "lgamma", "digamma", "bessel_i0e", "bessel_i1e", "polygamma", "zeta", "igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "is_finite", "bitwise_not", "clz", "population_count", "real", "imag", "conj", "add", "sub", "mul",
    "div", "rem", "pow", "max", "min", "atan2", "nextafter", "bitwise_and", "bitwise_or", "bitwise_xor",
    "shift_left", "shift_right_logical", "shift_right_arithmetic", "complex", "round", "integer_pow",
    "square", "eq", "ne", "lt", "le", "gt", "ge", "select", "select_n", "reciprocal", "mulhi", "reduce_precision",
    "clamp", "convert_element_type",
    "bitcast_convert_type", "broadcast_in_dim", "stop_gradient", "RoundingMethod", "Tolerance", "AccuracyMode",
]
