"""lax.reduce_window over the dialect's reduce_window op, and lax.reduce over the
reduce_* ops, each with a general computation too.

As jax.lax.reduce_window, the computations lax.add, lax.max and lax.min with a
concrete scalar init value equal to their identity (0; the init dtype's lowest or
highest value) are the monoid reductions; lax.mul with init value 1 is JAX's
general reduce_window of mul, which mirax computes as a monoid too (same values,
JAX's checks of the init value). lax.reduce likewise takes JAX's monoids (add, mul,
max, min, and bitwise_or/bitwise_and of integers and booleans, with their identity
init values) as the reduce_* ops.

Any other computation, init value or pytree of operands is folded as XLA folds it
(_fold): in order, from the init values, a scan over the reduced elements (the
window's, padding skipped) with the computation vmapped over the output positions.
Derivatives are JAX's: the init values take no tangent (the errors JAX raises), and a
general reduce_window has forward mode only (derivative_guard ops); lax.reduce has
both modes. Batching follows from the composition, init values batched too (JAX's
batching rules refuse those).
"""
from functools import partial

import numpy as np

from mirax import tree_util
from mirax.api import jit
from mirax.core import Tracer, bind, to_array, with_source
from mirax.dialect.convolution import _dilate_shape
from mirax.dialect import reduction
from mirax.dialect.guards import LINEARIZATION_FAILED, DerivativeGuardOp
from mirax.dialect.windowed import MONOIDS, ReduceWindowOp, window_shape, windows_shape
from mirax.vmapping import vmap

from . import _elementwise, _shape
from ._control_flow import scan
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


def _check_general(xs, inits):
    """JAX's checks of a general reduce_window's operands and init values."""
    if any(x.aval.dtype != init.aval.dtype for x, init in zip(xs, inits, strict=True)):
        raise TypeError(with_source(
            f"reduce_window got inconsistent dtypes for operands and init_values: got operand dtypes "
            f"{[x.aval.dtype for x in xs]} and init_value dtypes {[init.aval.dtype for init in inits]}."))
    if any(init.aval.shape for init in inits):
        raise TypeError(with_source(f"reduce_window expected init_values to be scalars but init_values have shapes "
                                    f"{[init.aval.shape for init in inits]}."))


def _monoid(computation, xs, inits):
    """The monoid reduce_window computes (JAX's for add, max and min with their identity
    init values; mul with 1 is JAX's general reduce_window, computed as a monoid), or None
    for the general reduce_window."""
    if len(xs) != 1:
        return None
    (x,), (init,) = xs, inits
    value = _concrete(init)
    concrete_scalar = value is not None and not init.aval.shape
    for monoid, fn in (("add", _elementwise.add), ("max", _elementwise.max), ("min", _elementwise.min)):
        if computation is fn and concrete_scalar and value == MONOIDS[monoid][1](init.aval.dtype):
            return monoid
    _check_general(xs, inits)
    return "mul" if computation is _elementwise.mul and concrete_scalar and value == 1 else None


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None, padding="VALID",
                  base_dilation=None, window_dilation=None):
    """Each window of `operand` reduced with `computation` from `init_value` (jax.lax.reduce_window)."""
    flat_operands, flat_inits, operand_tree = _flatten_pair(operand, init_value)
    if not flat_operands:
        raise ValueError(with_source("reduce_window must have at least one operand."))
    xs, inits = [to_array(v) for v in flat_operands], [to_array(v) for v in flat_inits]
    if isinstance(padding, str):
        dilated = window_dimensions if window_dilation is None else _dilate_shape(window_dimensions, window_dilation)
        padding = padtype_to_pads(xs[0].aval.shape, dilated, window_strides or [], padding)
    ones = (1,) * len(window_dimensions)
    window = dict(window_dimensions=_shapelike("window_dimensions", window_dimensions),
                  window_strides=_shapelike("window_strides", ones if window_strides is None else window_strides),
                  padding=tuple((int(lo), int(hi)) for lo, hi in padding),
                  base_dilation=_shapelike("base_dilation", ones if base_dilation is None else base_dilation),
                  window_dilation=_shapelike("window_dilation", ones if window_dilation is None else window_dilation))
    monoid = _monoid(computation, xs, inits)
    if monoid is None:
        window_shape(xs[0].aval, **window)  # JAX's checks of the window
        outs = _general_reduce_window(computation, operand_tree, tuple(window.items()), *xs, *inits)
        return tree_util.tree_unflatten(operand_tree, outs)
    (out,) = bind(ReduceWindowOp, xs[0], monoid=monoid, weak_type=False if monoid == "mul" else None,
                  **window)  # JAX's general reduce_window (mul) gives strong types
    return tree_util.tree_unflatten(operand_tree, [out])


def _guard(x, refuse, error, message):
    (out,) = bind(DerivativeGuardOp, x, refuse=refuse, error=error, message=message)
    return out


@partial(jit, static_argnums=(0, 1, 2))
def _general_reduce_window(computation, tree, window, *args):
    """XLA's reduce_window of a general computation: at each output position, a fold
    from the init values over the window's elements in row-major order, skipping the
    positions that padding or base dilation fill, as XLA:CPU folds unpadded windows (it
    may fold padded ones in another order, which only a computation that is not a monoid
    tells apart). The operands are padded (with the init values) and sliced once per
    window position; a scan folds the slices. Forward mode only, as JAX's."""
    window = dict(window)
    half = len(args) // 2
    xs, inits = args[:half], [_guard(init, "tangent", "TypeError",
                                     "reduce_window jvp does not support non-zero init_value_tangent.")
                              for init in args[half:]]
    shape = xs[0].aval.shape
    out_shape = windows_shape(shape, *window.values())
    strides, pads, dilation = window["window_strides"], window["padding"], window["base_dilation"]
    padded = [_shape.pad(x, init, [(lo, hi, b - 1) for (lo, hi), b in zip(pads, dilation, strict=True)])
              for x, init in zip(xs, inits, strict=True)]
    stacked, keep = [[] for _ in xs], []
    for offset in np.ndindex(*window["window_dimensions"]):
        starts = [k * d for k, d in zip(offset, window["window_dilation"], strict=True)]
        limits = [start + (n - 1) * s + 1 if n else start
                  for start, n, s in zip(starts, out_shape, strides, strict=True)]
        for rows, x in zip(stacked, padded, strict=True):
            rows.append(_shape.expand_dims(_shape.slice(x, starts, limits, strides), (0,)))
        held = np.ones(out_shape, bool)
        for axis, (start, n, s, (lo, _), b, size) in enumerate(zip(starts, out_shape, strides, pads, dilation, shape,
                                                                    strict=True)):
            along = _holds_element(start, n, s, lo, b, size)
            held &= along.reshape([-1 if d == axis else 1 for d in range(len(shape))])
        keep.append(held)
    stacked = [_shape.concatenate(rows, 0) for rows in stacked]
    outs = _fold(computation, tree, inits, stacked, np.array(keep), "reduce_window")
    return [_guard(out, "transpose", "ValueError", LINEARIZATION_FAILED) for out in outs]


def _holds_element(start, count, stride, low, dilation, size):
    """Which of `count` windows read an operand element, not padding, at the window
    offset that starts at `start` along one dimension."""
    position = start + np.arange(count) * stride - low
    return (position % dilation == 0) & (position >= 0) & (position // dilation < size)


def _fold(computation, tree, inits, stacked, keep, name):
    """XLA's fold of a general computation: arrays `stacked` (one per operand, of one
    shape [K, ...]) reduced over their leading axis, at each other position a fold
    acc = computation(acc, row) over the K rows in order from the scalars `inits` (acc
    and row: pytrees `tree` of scalars), skipping the rows where the NumPy bools `keep`
    (None: none) are False. Elementwise by vmap, the rows by a scan."""
    count, *shape = stacked[0].aval.shape
    size = int(np.prod(shape, dtype=int))
    accs = [_elementwise.broadcast_in_dim(_elementwise.convert_element_type(init, init.aval.dtype), (size,), ())
            for init in inits]
    if count and size:
        rows = [_shape.reshape(x, (count, size)) for x in stacked]
        masks = [] if keep is None or keep.all() else [keep.reshape(count, size)]
        combine = vmap(partial(_combine, computation, tree, name))

        def body(accs, row):
            new = combine(*accs, *row[:len(accs)])
            if masks:
                new = [_elementwise.select(row[-1], a, b) for a, b in zip(new, accs, strict=True)]
            return new, None

        accs, _ = scan(body, accs, rows + masks)
    return [_shape.reshape(acc, shape) for acc in accs]


def _combine(computation, tree, name, *leaves):
    """computation on the scalars `leaves` (the accumulators' and a row's, flattened)."""
    half = len(leaves) // 2
    out, out_tree = tree_util.tree_flatten(computation(tree_util.tree_unflatten(tree, leaves[:half]),
                                                       tree_util.tree_unflatten(tree, leaves[half:])))
    if out_tree != tree:
        raise ValueError(with_source(f"{name} output must have the same tree structure as the operands {tree} vs. "
                                     f"{out_tree}"))
    return out


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
    (jax.lax.reduce): JAX's monoids as the reduce_* ops, any other computation as XLA
    folds it (_fold: in row-major order of the reduced elements, from the init values)."""
    flat_operands, flat_inits, tree = _flatten_pair(operands, init_values)
    xs, inits = [to_array(v) for v in flat_operands], [to_array(v) for v in flat_inits]
    dimensions = tuple(int(d) for d in dimensions)
    reducer = _REDUCERS.get(computation) if len(inits) == 1 else None
    if reducer is not None:
        (x,), (init,) = xs, inits
        op_cls, identity, integral = reducer
        value, dtype = _concrete(init), init.aval.dtype
        if (value is not None and not init.aval.shape and np.equal(value, identity(dtype))
                and (not integral or dtype == np.bool_ or np.issubdtype(dtype, np.integer))):
            (out,) = bind(op_cls, x, axes=dimensions, weak_type=x.aval.weak_type and init.aval.weak_type)
            return out
    if any(init.aval.shape for init in inits):
        raise ValueError(with_source(f"reduce found non-scalar initial value: {[init.aval.shape for init in inits]}"))
    if any(x.aval.dtype != init.aval.dtype for x, init in zip(xs, inits, strict=True)):
        raise TypeError(with_source(
            f"reduce operand dtypes should match corresponding initial value dtypes, got operands="
            f"{[x.aval.str_short() for x in xs]} and initial_values={[init.aval.str_short() for init in inits]}"))
    outs = _general_reduce(computation, tree, dimensions, *xs, *inits)
    return tree_util.tree_unflatten(tree, [_elementwise.convert_element_type(out, x.aval.dtype,
                                                                             x.aval.weak_type and init.aval.weak_type)
                                           for out, x, init in zip(outs, xs, inits, strict=True)])


@partial(jit, static_argnums=(0, 1, 2))
def _general_reduce(computation, tree, dimensions, *args):
    """The operands' reduced dimensions moved first and flattened, then folded."""
    half = len(args) // 2
    xs = args[:half]
    inits = [_guard(init, "tangent", "NotImplementedError", "Gradient of general lax.reduce with non-zero tangents "
                    "for initial values to reduction not implemented") for init in args[half:]]
    shape = xs[0].aval.shape
    kept = [d for d in range(len(shape)) if d not in dimensions]
    reduced = sorted(dimensions)  # XLA folds the reduced elements in the operand's row-major order
    count = int(np.prod([shape[d] for d in reduced], dtype=int))
    if count == 1:  # as XLA simplifies it: the one element, the init value assumed an identity
        return [_shape.reshape(x, tuple(shape[d] for d in kept)) for x in xs]
    stacked = [_shape.reshape(x, (count,) + tuple(shape[d] for d in kept), reduced + kept) for x in xs]
    return _fold(computation, tree, inits, stacked, None, "reduce")


def reduce_xor(operand, axes):
    """The bitwise xor of `operand` (integers or booleans) over `axes` (jax.lax.reduce_xor),
    folded as a general reduce."""
    operand = to_array(operand)
    dtype = operand.aval.dtype
    if not (dtype == np.bool_ or np.issubdtype(dtype, np.integer)):
        raise TypeError(with_source(f"logical reduction requires operand dtype bool or int, got {dtype.name}."))
    return reduce(operand, _elementwise.convert_element_type(0, dtype, operand.aval.weak_type),
                  _elementwise.bitwise_xor, axes)


__all__ = ["reduce", "reduce_window", "reduce_window_shape_tuple", "reduce_xor"]
