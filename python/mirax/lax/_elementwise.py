"""lax's elementwise functions, one line each over the mirax dialect's ops."""
import enum

import numpy as np

from mirax import dtypes
from mirax.core import Array, Tracer, bind, is_array, to_array, with_source
from mirax.dialect import elementwise as ops
from mirax.dialect.shape import BroadcastInDimOp


def _operands(*xs):
    """Arrays for lax's operands: weakly typed values (Python scalars) take the dtype of
    the strongly typed ones, and rank-0 values broadcast to the others' shape."""
    strong = {x.aval.dtype for x in xs if is_array(x) and not x.aval.weak_type}
    target = strong.pop() if len(strong) == 1 else None
    xs = [to_array(x, target if not is_array(x) else None) for x in xs]
    if target is not None:
        xs = [convert_element_type(x, target) if x.aval.weak_type and x.aval.dtype != target else x for x in xs]
    return _broadcast_scalars(xs)


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
abs = _unary(ops.AbsOp)  # noqa: A001
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
    "logistic", "erf", "erfc", "erf_inv", "lgamma", "digamma", "bessel_i0e", "bessel_i1e", "polygamma", "zeta", "igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "is_finite", "bitwise_not", "real", "imag", "conj", "add", "sub", "mul",
    "div", "rem", "pow", "max", "min", "atan2", "nextafter", "bitwise_and", "bitwise_or", "bitwise_xor",
    "shift_left", "shift_right_logical", "shift_right_arithmetic", "complex", "round", "integer_pow",
    "square", "eq", "ne", "lt", "le", "gt", "ge", "select", "clamp", "convert_element_type",
    "bitcast_convert_type", "broadcast_in_dim", "stop_gradient", "RoundingMethod",
]
