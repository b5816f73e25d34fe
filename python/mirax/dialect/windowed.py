"""Windowed reductions: reduce_window, and the ops its max/min derivatives are made of,
select_and_gather_add and select_and_scatter_add (JAX's primitives of those names).

reduce_window folds each window of the operand with a monoid (add, max, min, mul)
from the monoid's identity, as jax.lax.reduce_window does for those computations
with their identity init values. The operand is padded with the identity (edge
padding; base dilation as interior padding), then one linalg.generic loops over the
output (parallel) and the window (reduction, in row-major order), reading the padded
operand at output * stride + window index * window dilation. Half-precision floats
fold in their own dtype, as XLA's reduce_window does. XLA folds a window in row-major
order too, but not always (it reorders padded windows, and reduces a window covering
the whole operand as a reduce), so float sums and products may differ from JAX's in
the last bits.

A window's max (min) has JAX's derivative: the tangent at the position the window
selects (select_and_gather_add), the transpose of which scatters each window's
cotangent to that position (select_and_scatter_add). The selection is XLA's: a fold
that keeps its current choice while it is >= (<=) the next element, so ties go to
the first element in row-major order, and padding holds the identity.

A windowed product's tangent is JAX's JVP of a general reduce_window: a fold of
(product, tangent) pairs (reduce_window_mul_jvp), linear in the tangent, which has no
transpose (JAX's reverse mode fails there too) and no derivative in the operand (JAX
differentiates it again; mirax raises NotImplementedError).
"""
import numpy as np

from mirax.mlir import arith, ir, linalg, tensor

from . import ops, rules, scalar
from .base import MiraxOp, ints, string
from .batching import batch_at, first_bdim, inserted
from .convolution import _dilate_shape, _vjp_lhs_padding, pairs, stride_dim
from .guards import LINEARIZATION_FAILED
from .jvp import deflinear2, not_linear
from .lowering import PARALLEL, REDUCTION, clamp, constant, empty, filled, generic, index
from .ops import build
from .reduction import _highest, _lowest, check_kind
from .scalar import NUMBER, ORDERED, compare
from .shape import PadOp
from .types import ShapedType
from .values import type_of, zeros

SCATTER = {"window_dimensions": ints, "window_strides": ints, "padding": pairs}
WINDOW = {**SCATTER, "base_dilation": ints, "window_dilation": ints}

# monoid -> (scalar combine, identity(dtype), dtype kinds)
MONOIDS = {
    "add": (scalar.add, lambda dtype: 0, NUMBER),
    "mul": (scalar.mul, lambda dtype: 1, NUMBER),
    "max": (scalar.max_, _lowest, ORDERED + ("complex",)),
    "min": (scalar.min_, _highest, ORDERED + ("complex",)),
}
# select -> (comparison that keeps the current choice, identity of the padding)
SELECTS = {"ge": ("GE", _lowest), "le": ("LE", _highest)}


# ----------------------------------------------------------------------------- type rules


def _check_shapelike(name, values, positive):
    bound, word = (1, "strictly positive") if positive else (0, "nonnegative")
    if any(v < bound for v in values):
        raise TypeError(f"reduce_window {name} must have every element be {word}, got {values}.")


def windows_shape(shape, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    """How many windows fit along each dimension (jax.lax.reduce_window_shape_tuple),
    with JAX's check of the dilations."""
    shape, window = _dilate_shape(shape, base_dilation), _dilate_shape(window_dimensions, window_dilation)
    if len(padding) != len(shape):  # JAX's safe_zip of the shape and the padding
        raise ValueError(f"safe_zip() argument 1 has length {len(padding)} but argument 0 has length {len(shape)}. "
                         f"All lengths: ({len(shape)}, {len(padding)})")
    padded = [d + lo + hi for d, (lo, hi) in zip(shape, padding, strict=True)]
    return tuple(map(stride_dim, padded, window, window_strides))


def window_shape(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    """The shape of the windows' results over `x`, with JAX's checks and messages
    (_common_reduce_window_shape_rule)."""
    _check_shapelike("window_dimensions", window_dimensions, True)
    _check_shapelike("window_strides", window_strides, True)
    _check_shapelike("base_dilation", base_dilation, False)
    _check_shapelike("window_dilation", window_dilation, False)
    if x.ndim != len(window_dimensions):
        raise TypeError(f"reduce_window got the wrong number of window_dimensions for operand: got operand shape "
                        f"{x.shape} with window_dimensions {window_dimensions}.")
    for name, values in (("window_strides", window_strides), ("base_dilation", base_dilation),
                         ("window_dilation", window_dilation)):
        if len(values) != len(window_dimensions):
            raise TypeError(f"reduce_window got inconsistent {name} and window_dimensions: got {name} {values} "
                            f"and window_dimensions {window_dimensions}.")
    return windows_shape(x.shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)


class ReduceWindowOp(MiraxOp, name="reduce_window", operands=("operand",), params={"monoid": string, **WINDOW}):
    """Each window of `operand` folded with `monoid` (add, mul, max, min) from its identity."""

    @staticmethod
    def infer(x, monoid, **window):
        if monoid not in MONOIDS:
            raise TypeError(f"reduce_window monoid must be one of {', '.join(MONOIDS)}, got {monoid!r}")
        if monoid == "add" and scalar.kind(x.dtype) not in NUMBER:
            raise TypeError(f"operand to reduce_window_sum must have a number dtype, got {x.dtype.name}")
        check_kind(x, MONOIDS[monoid][2], f"reduce_window {monoid}")
        return ShapedType(window_shape(x, **window), x.dtype)


def _check_select(select, *types):
    if select not in SELECTS:
        raise TypeError(f"select must be 'ge' or 'le', got {select!r}")
    for x in types:
        check_kind(x, ("float",), "select_and_gather_add / select_and_scatter_add")


class SelectAndGatherAddOp(MiraxOp, name="select_and_gather_add", operands=("tangents", "operand"),
                           params={"select": string, **WINDOW}):
    """For each window of `operand`, the element of `tangents` where `select` ('ge': the
    max, 'le': the min; the first on ties) chooses."""

    @staticmethod
    def infer(t, x, select, **window):
        _check_select(select, t, x)
        if t.shape != x.shape:
            raise TypeError(f"select_and_gather_add tangents and operand shapes must match, got {t.shape} and "
                            f"{x.shape}.")
        return ShapedType(window_shape(x, **window), t.dtype)


class SelectAndScatterAddOp(MiraxOp, name="select_and_scatter_add", operands=("source", "operand"),
                            params={"select": string, **SCATTER}):
    """Each element of `source` added to the position of `operand` that `select` chooses in
    the corresponding window (the transpose of select_and_gather_add)."""

    @staticmethod
    def infer(source, x, select, window_dimensions, window_strides, padding):
        _check_select(select, source, x)
        ones = (1,) * len(window_dimensions)
        shape = window_shape(x, window_dimensions, window_strides, padding, ones, ones)
        if source.shape != shape or source.dtype != x.dtype:
            raise TypeError(f"select_and_scatter_add source must be a {x.dtype.name}{list(shape)} (one element per "
                            f"window), got {source.dtype.name}{list(source.shape)}")
        # JAX computes it on the operand padded, then sliced back, which refuses negative padding.
        starts = tuple(lo for lo, _ in padding)
        if any(s < 0 for s in starts):
            raise TypeError(f"slice start_indices must have every element be nonnegative, got {starts}.")
        limits = tuple(lo + d for d, (lo, _) in zip(x.shape, padding, strict=True))
        padded = tuple(lo + d + hi for d, (lo, hi) in zip(x.shape, padding, strict=True))
        if any(limit > size for limit, size in zip(limits, padded, strict=True)):
            raise TypeError(f"slice limit_indices must be less than or equal to operand shape, got limit_indices "
                            f"{limits} for operand shape {padded}.")
        return x


class ReduceWindowMulJvpOp(MiraxOp, name="reduce_window_mul_jvp", operands=("operand", "tangent"), params=WINDOW):
    """The tangent of reduce_window's windowed product of `operand`, for `tangent`: JAX's
    JVP of a general reduce_window, a fold of (product, tangent) pairs."""

    @staticmethod
    def infer(x, t, **window):
        check_kind(x, NUMBER, "reduce_window_mul_jvp")
        if t != x:
            raise TypeError(f"reduce_window_mul_jvp tangent must have the operand's type, got {t} and {x}")
        return ShapedType(window_shape(x, **window), x.dtype)


# ----------------------------------------------------------------------------- lowering


def _padded(value, shaped, fill, padding, base_dilation):
    """`value` (of type `shaped`) padded with `fill`, base dilation as interior padding (mirax.pad's lowering)."""
    params = {"edge_padding_low": tuple(lo for lo, _ in padding), "edge_padding_high": tuple(hi for _, hi in padding),
              "interior_padding": tuple(b - 1 for b in base_dilation)}
    if not any(sum(params.values(), ())):
        return value
    fill_type = ShapedType((), shaped.dtype)
    node = rules.Node(PadOp.OPERATION_NAME, params, (shaped, fill_type), (PadOp.infer(shaped, fill_type, **params),))
    return rules.lowering[PadOp.OPERATION_NAME](node, value, filled(fill_type, fill))[0]


def _fold_windows(node, values, fills, accumulators, body):
    """One linalg.generic over the output (parallel) and each window (reduction, in
    row-major order): `values` padded with `fills`, read at output * stride + window
    index * window dilation; body(*elements, *accumulators) gives the accumulators,
    (dtype, initial value) pairs, each of the output's shape."""
    p = node.params
    rank = len(p["window_dimensions"])
    dims = [ir.AffineDimExpr.get(d) for d in range(2 * rank)]
    read = ir.AffineMap.get(2 * rank, 0, [dims[d] * s + dims[rank + d] * w for d, (s, w) in enumerate(
        zip(p["window_strides"], p["window_dilation"], strict=True))])
    window = ir.AffineMap.get(2 * rank, 0, dims[rank:])
    kept = ir.AffineMap.get(2 * rank, 0, dims[:rank])
    padded = [_padded(v, t, f, p["padding"], p["base_dilation"])
              for v, t, f in zip(values, node.in_types, fills, strict=True)]
    unread = empty(ShapedType(p["window_dimensions"], np.dtype(np.int8)))  # gives the window loops their bounds
    n = len(values)
    types = [ShapedType(node.out_types[0].shape, dtype) for dtype, _ in accumulators]
    return generic(types, padded + [unread], [read] * n + [window] + [kept] * len(types),
                   lambda *s: body(*s[:n], *s[n + 1:]), [PARALLEL] * rank + [REDUCTION] * rank,
                   [filled(t, initial) for t, (_, initial) in zip(types, accumulators, strict=True)])


def _lower_reduce_window(node, x):
    (out,) = node.out_types
    combine, identity, _ = MONOIDS[node.params["monoid"]]
    if not out.shape:  # one window of one element: the element, as XLA's (0 + -0. would be 0.)
        return [x]
    fill = identity(out.dtype)
    if 0 in out.shape:
        return [filled(out, fill)]
    return _fold_windows(node, [x], [fill], [(out.dtype, fill)], lambda v, acc: [combine(out.dtype, acc, v)])


def _lower_select_and_gather_add(node, t, x):
    (out,) = node.out_types
    direction, identity = SELECTS[node.params["select"]]
    dtype = node.in_types[1].dtype
    if not out.shape:
        return [t]
    if 0 in out.shape:
        return [filled(out, 0)]

    def body(tv, xv, best_t, best_x):
        keep = compare(dtype, best_x, xv, direction)
        return [arith.select(keep, best_t, tv), arith.select(keep, best_x, xv)]

    accumulators = [(out.dtype, 0), (dtype, identity(dtype))]
    return _fold_windows(node, [t, x], [0, identity(dtype)], accumulators, body)[:1]


def _lower_select_and_scatter_add(node, source, x):
    """The window's choice as a flat window index (a fold as select_and_gather_add's),
    then each element of the result sums the source of the windows that chose it, in
    the order of the windows, as XLA's scatter adds."""
    (source_type, x_type), (out,) = node.in_types, node.out_types
    direction, identity = SELECTS[node.params["select"]]
    sizes, strides, padding = (node.params[k] for k in ("window_dimensions", "window_strides", "padding"))
    if not out.shape:
        return [source]
    if 0 in source_type.shape:
        return [filled(out, 0)]
    rank = len(sizes)
    flat_strides = [int(np.prod(sizes[d + 1:], dtype=np.int64)) for d in range(rank)]

    def flat(ks):
        return arith.index_cast(ir.IntegerType.get_signless(64), _dot(ks, flat_strides))

    def choose(xv, best, chosen):
        keep = compare(x_type.dtype, best, xv, direction)
        ks = [linalg.IndexOp(rank + d).result for d in range(rank)]
        return [arith.select(keep, best, xv), arith.select(keep, chosen, flat(ks))]

    window_node = node._replace(in_types=(x_type,), out_types=(source_type,), params={
        **node.params, "base_dilation": (1,) * rank, "window_dilation": (1,) * rank})
    accumulators = [(x_type.dtype, identity(x_type.dtype)), (np.dtype(np.int64), 0)]
    _, chosen = _fold_windows(window_node, [x], [identity(x_type.dtype)], accumulators, choose)

    # Element i takes from window o = (i + low - k) / stride at window index k; with k
    # running down (w - 1 - the loop's), the windows come in increasing order.
    def body(_, total):
        ks = [arith.subi(index(w - 1), linalg.IndexOp(rank + d).result) for d, w in enumerate(sizes)]
        inside, at = constant(np.bool_, True), []
        for d, (k, s, (low, _), n) in enumerate(zip(ks, strides, padding, source_type.shape, strict=True)):
            q = arith.subi(arith.addi(linalg.IndexOp(d).result, index(low)), k)
            o = arith.divsi(q, index(s))
            for fits in (arith.cmpi(arith.CmpIPredicate.sge, q, index(0)),
                         arith.cmpi(arith.CmpIPredicate.eq, arith.remsi(q, index(s)), index(0)),
                         arith.cmpi(arith.CmpIPredicate.slt, o, index(n))):
                inside = arith.andi(inside, fits)
            at.append(clamp(o, 0, n - 1))
        taken = arith.andi(inside, arith.cmpi(arith.CmpIPredicate.eq, tensor.extract(chosen, at), flat(ks)))
        return [arith.select(taken, scalar.add(out.dtype, total, tensor.extract(source, at)), total)]

    dims = [ir.AffineDimExpr.get(d) for d in range(2 * rank)]
    maps = [ir.AffineMap.get(2 * rank, 0, dims[rank:]), ir.AffineMap.get(2 * rank, 0, dims[:rank])]
    unread = empty(ShapedType(sizes, np.dtype(np.int8)))
    return generic([out], [unread], maps, body, [PARALLEL] * rank + [REDUCTION] * rank, [filled(out, 0)])


def _lower_reduce_window_mul_jvp(node, x, t):
    """(p, t) folded with each element (x, dx) into (p * x, t * x + p * dx), as the JVP
    of JAX's reducer, from (1, 0); padding is (1, 0)."""
    (out,) = node.out_types
    if not out.shape:
        return [t]
    if 0 in out.shape:
        return [filled(out, 0)]

    def body(xv, tv, product, tangent):
        dtype, mul = out.dtype, scalar.mul
        return [mul(dtype, product, xv), scalar.add(dtype, mul(dtype, tangent, xv), mul(dtype, product, tv))]

    return _fold_windows(node, [x, t], [1, 0], [(out.dtype, 1), (out.dtype, 0)], body)[1:]


def _dot(values, coefficients):
    """sum(values[d] * coefficients[d]) of index values and ints."""
    total = index(0)
    for v, c in zip(values, coefficients, strict=True):
        total = arith.addi(total, arith.muli(v, index(c)))
    return total


rules.lowering[ReduceWindowOp.OPERATION_NAME] = _lower_reduce_window
rules.lowering[SelectAndGatherAddOp.OPERATION_NAME] = _lower_select_and_gather_add
rules.lowering[SelectAndScatterAddOp.OPERATION_NAME] = _lower_select_and_scatter_add
rules.lowering[ReduceWindowMulJvpOp.OPERATION_NAME] = _lower_reduce_window_mul_jvp


# ----------------------------------------------------------------------------- JVP and transpose rules


def _window_params(params):
    return {k: params[k] for k in WINDOW}


def _reduce_window_jvp(node, primals, tangents):
    """add is linear; max and min take the tangent at the selected position (JAX's
    _reduce_window_chooser_jvp_rule); mul is JAX's JVP of a general reduce_window."""
    (x,), (t,) = primals, tangents
    monoid = node.params["monoid"]
    (result,) = build(ReduceWindowOp, [x], **node.params)
    if t is None:
        return [result], [None]
    if monoid == "add":
        return [result], build(ReduceWindowOp, [t], **node.params)
    if monoid in ("max", "min"):
        select = "ge" if monoid == "max" else "le"
        return [result], [ops.select_and_gather_add(t, x, select=select, **_window_params(node.params))]
    return [result], [ops.reduce_window_mul_jvp(x, t, **_window_params(node.params))]


def _reduce_window_mul_jvp_jvp(node, primals, tangents):
    """Linear in the tangent; JAX differentiates the product again (jvp of its jvp), which
    mirax does not."""
    (x, t), (dx, dt) = primals, tangents
    if dx is not None:
        raise NotImplementedError("second-order derivatives of reduce_window with lax.mul")
    (result,) = build(ReduceWindowMulJvpOp, [x, t], **node.params)
    return [result], [None if dt is None else ops.reduce_window_mul_jvp(x, dt, **node.params)]


def _transpose_reduce_window_mul_jvp(node, cts, operands, linear):
    """JAX's general reduce_window has no transpose: its reverse mode fails so."""
    raise ValueError(LINEARIZATION_FAILED)


def _transpose_reduce_window(node, cts, operands, linear):
    """JAX's _reduce_window_sum_transpose_rule: the cotangent padded (strides as
    interior padding) and summed over the same windows, with strides base_dilation."""
    (ct,), (x,) = cts, node.in_types
    p = node.params
    if p["monoid"] != "add":
        not_linear(node, 0)
    if ct is None:
        return [None]
    pads = _vjp_lhs_padding(x.shape, p["window_dimensions"], p["window_strides"], type_of(ct).shape,
                                 p["padding"], p["base_dilation"], p["window_dilation"])
    padded = ops.pad(ct, zeros(ShapedType((), x.dtype)), edge_padding_low=tuple(lo for lo, _ in pads),
                     edge_padding_high=tuple(hi for _, hi in pads),
                     interior_padding=tuple(s - 1 for s in p["window_strides"]))
    ones = (1,) * x.ndim
    return [ops.reduce_window(padded, monoid="add", window_dimensions=p["window_dimensions"],
                              window_strides=p["base_dilation"], padding=((0, 0),) * x.ndim, base_dilation=ones,
                              window_dilation=p["window_dilation"])]


def _transpose_select_and_gather_add(node, cts, operands, linear):
    """JAX's: a scatter of the cotangent to the selected positions; base dilation pads the
    operand with the selection's identity, and the result is read back at its stride."""
    (ct,), (_, x) = cts, operands
    p = node.params
    if any(d != 1 for d in p["window_dilation"]):
        raise NotImplementedError(f"VJP not implemented for select_and_gather (MaxPool) with window dilation, got "
                                  f"window_dilation={p['window_dilation']}.")
    if ct is None:
        return [None, None]
    x_type = type_of(x)
    dilated = any(d != 1 for d in p["base_dilation"])
    if dilated:
        fill = ops.constant(value=np.array(SELECTS[p["select"]][1](x_type.dtype), x_type.dtype))
        x = ops.pad(x, fill, edge_padding_low=(0,) * x_type.ndim, edge_padding_high=(0,) * x_type.ndim,
                    interior_padding=tuple(d - 1 for d in p["base_dilation"]))
    result = ops.select_and_scatter_add(ct, x, select=p["select"], **{k: p[k] for k in SCATTER})
    if dilated:
        result = ops.slice(result, start_indices=(0,) * x_type.ndim, limit_indices=type_of(result).shape,
                           strides=p["base_dilation"])
    return [result, None]


def _transpose_select_and_scatter_add(node, cts, operands, linear):
    (ct,), (_, x) = cts, operands
    if ct is None:
        return [None, None]
    ones = (1,) * type_of(x).ndim
    return [ops.select_and_gather_add(ct, x, select=node.params["select"], base_dilation=ones, window_dilation=ones,
                                      **{k: node.params[k] for k in SCATTER}), None]


rules.jvp[ReduceWindowOp.OPERATION_NAME] = _reduce_window_jvp
rules.transpose[ReduceWindowOp.OPERATION_NAME] = _transpose_reduce_window
rules.jvp[ReduceWindowMulJvpOp.OPERATION_NAME] = _reduce_window_mul_jvp_jvp
rules.transpose[ReduceWindowMulJvpOp.OPERATION_NAME] = _transpose_reduce_window_mul_jvp
# Linear in the tangents (source), not in the operand that selects (JAX drops its tangent).
deflinear2(SelectAndGatherAddOp, _transpose_select_and_gather_add, linear=(0,))
deflinear2(SelectAndScatterAddOp, _transpose_select_and_scatter_add, linear=(0,))


# ----------------------------------------------------------------------------- batching


def _unit_window(params, at):
    """Window params with a window of one element along a new dimension `at`."""
    units = {"window_dimensions": 1, "window_strides": 1, "padding": (0, 0), "base_dilation": 1,
             "window_dilation": 1}
    return {k: inserted(v, at, units[k]) if k in units else v for k, v in params.items()}


def _batch_windows(op_cls):
    """The batch dimension gets a window of one element (every operand batched where the
    first batched one is)."""

    def rule(node, operands, dims, size):
        bdim = first_bdim(dims)
        operands = [batch_at(v, d, size, bdim) for v, d in zip(operands, dims, strict=True)]
        return build(op_cls, operands, **_unit_window(node.params, bdim)), [bdim]

    return rule


for _op in (ReduceWindowOp, SelectAndGatherAddOp, SelectAndScatterAddOp, ReduceWindowMulJvpOp):
    rules.batching[_op.OPERATION_NAME] = _batch_windows(_op)
