"""lax.reduce_window over the dialect's reduce_window op, and lax.reduce over the
reduce_* ops.

As jax.lax.reduce_window, the computations lax.add, lax.max and lax.min with a
concrete scalar init value equal to their identity (0; the init dtype's lowest or
highest value) are the monoid reductions; lax.mul with init value 1 is JAX's
general reduce_window of mul, which mirax computes as a monoid too (same values,
JAX's checks of the init value). Any other computation or init value, and pytrees
of several operands, raise NotImplementedError. lax.reduce likewise takes JAX's
monoids (add, mul, max, min, and bitwise_or/bitwise_and of integers and booleans, with
their identity init values), which JAX computes as reduce_sum, ... (lax.bitwise_xor,
whose reduce_xor mirax lacks, raises NotImplementedError as other computations do).
"""
import numpy as np

from mirax import tree_util
from mirax.core import Tracer, bind, to_array, with_source
from mirax.dialect.convolution import _dilate_shape
from mirax.dialect import reduction
from mirax.dialect.windowed import MONOIDS, ReduceWindowOp, windows_shape

from . import _elementwise
from ._convolution import padtype_to_pads


def _concrete(x):
    """x's value, or None where it is traced without one."""
    value = x.concrete if isinstance(x, Tracer) else x
    return None if value is None else np.asarray(value)


def _flatten_pair(operands, init_values):
    """JAX's checks that `operands` and `init_values` are pytrees of one structure: their
    leaves, and the operands' structure."""
    flat_operands, operand_tree = tree_util.tree_flatten(operands)
    flat_inits, init_tree = tree_util.tree_flatten(init_values)
    if operand_tree != init_tree:
        raise ValueError(with_source(f"Operands must have the same tree structure as init_values: "
                                     f"{operand_tree} vs. {init_tree}"))
    if len(flat_operands) != len(flat_inits):
        raise ValueError(with_source(f"Must have same total number of operands as init_values:  "
                                     f"{len(flat_operands)} vs. {len(flat_inits)}"))
    return flat_operands, flat_inits, operand_tree


def _shapelike(name, values):
    if not isinstance(values, (tuple, list, np.ndarray)):
        raise TypeError(with_source(f"reduce_window {name} must be of type tuple/list/ndarray, got {type(values)}."))
    return tuple(int(v) for v in values)


def _monoid(computation, operand, init):
    """The monoid reduce_window computes, with JAX's checks of the init value, or
    NotImplementedError."""
    value = _concrete(init)
    dtype = init.aval.dtype
    concrete_scalar = value is not None and not init.aval.shape
    for monoid, fn in (("add", _elementwise.add), ("max", _elementwise.max), ("min", _elementwise.min)):
        if computation is fn and concrete_scalar and value == MONOIDS[monoid][1](dtype):
            return monoid
    # JAX's general reduce_window, whose init value has the operand's dtype and no dimensions.
    if operand.aval.dtype != dtype:
        raise TypeError(with_source(
            f"reduce_window got inconsistent dtypes for operands and init_values: got operand dtypes "
            f"{[operand.aval.dtype]} and init_value dtypes {[dtype]}."))
    if init.aval.shape:
        raise TypeError(with_source(f"reduce_window expected init_values to be scalars but init_values have shapes "
                                    f"{[init.aval.shape]}."))
    if computation is _elementwise.mul and concrete_scalar and value == 1:
        return "mul"
    raise NotImplementedError(
        f"reduce_window with computation={getattr(computation, '__name__', computation)!r} and init_value={init!r}: "
        f"mirax supports lax.add, lax.max and lax.min with their identity init values and lax.mul with 1")


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None, padding="VALID",
                  base_dilation=None, window_dilation=None):
    """Each window of `operand` reduced with `computation` from `init_value` (jax.lax.reduce_window)."""
    flat_operands, flat_inits, operand_tree = _flatten_pair(operand, init_value)
    if not flat_operands:
        raise ValueError(with_source("reduce_window must have at least one operand."))
    if len(flat_operands) > 1:
        raise NotImplementedError("reduce_window of several operands (a pytree operand): mirax reduces one array")
    (x,), (init,) = [to_array(v) for v in flat_operands], [to_array(v) for v in flat_inits]
    if isinstance(padding, str):
        dilated = window_dimensions if window_dilation is None else _dilate_shape(window_dimensions, window_dilation)
        padding = padtype_to_pads(x.aval.shape, dilated, window_strides or [], padding)
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    ones = (1,) * len(window_dimensions)
    monoid = _monoid(computation, x, init)
    (out,) = bind(ReduceWindowOp, x, monoid=monoid,
                  window_dimensions=_shapelike("window_dimensions", window_dimensions),
                  window_strides=_shapelike("window_strides", ones if window_strides is None else window_strides),
                  padding=padding,
                  base_dilation=_shapelike("base_dilation", ones if base_dilation is None else base_dilation),
                  window_dilation=_shapelike("window_dilation", ones if window_dilation is None else window_dilation),
                  weak_type=False if monoid == "mul" else None)  # JAX's general reduce_window gives strong types
    return tree_util.tree_unflatten(operand_tree, [out])


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding, base_dilation=None,
                              window_dilation=None):
    """The shape reduce_window gives (jax.lax.reduce_window_shape_tuple)."""
    ones = (1,) * len(window_dimensions)
    return windows_shape(operand_shape, window_dimensions, window_strides, padding,
                         ones if base_dilation is None else base_dilation,
                         ones if window_dilation is None else window_dilation)


# computation -> (the reduce_* op, the identity of the init value's dtype, whether it
# takes integers and booleans only), as JAX's _get_monoid_reducer
_REDUCERS = {
    _elementwise.add: (reduction.ReduceSumOp, MONOIDS["add"][1], False),
    _elementwise.mul: (reduction.ReduceProdOp, MONOIDS["mul"][1], False),
    _elementwise.max: (reduction.ReduceMaxOp, MONOIDS["max"][1], False),
    _elementwise.min: (reduction.ReduceMinOp, MONOIDS["min"][1], False),
    _elementwise.bitwise_or: (reduction.ReduceOrOp, lambda dtype: 0, True),
    _elementwise.bitwise_and: (reduction.ReduceAndOp, lambda dtype: np.array(-1).astype(dtype), True),
}


def reduce(operands, init_values, computation, dimensions):
    """`operands` reduced over `dimensions` with `computation` from `init_values`
    (jax.lax.reduce): JAX's monoids only (see above)."""
    flat_operands, flat_inits, _ = _flatten_pair(operands, init_values)
    reducer = _REDUCERS.get(computation) if len(flat_inits) == 1 else None
    if reducer is not None:
        (x,), (init,) = [to_array(v) for v in flat_operands], [to_array(v) for v in flat_inits]
        op_cls, identity, integral = reducer
        value, dtype = _concrete(init), init.aval.dtype
        if (value is not None and not init.aval.shape and np.equal(value, identity(dtype))
                and (not integral or dtype == np.bool_ or np.issubdtype(dtype, np.integer))):
            (out,) = bind(op_cls, x, axes=tuple(int(d) for d in dimensions),
                          weak_type=x.aval.weak_type and init.aval.weak_type)
            return out
    raise NotImplementedError(
        f"lax.reduce with computation={getattr(computation, '__name__', computation)!r} and "
        f"init_values={init_values!r}: mirax supports one operand reduced by lax.add, mul, max, min, bitwise_or or "
        f"bitwise_and from its identity")


__all__ = ["reduce", "reduce_window", "reduce_window_shape_tuple"]
