"""Gather and scatter: windows of an operand read or written at positions given by an
array of start indices, with XLA's dimension numbers. As in JAX, the last dimension
of the indices holds the index vectors (XLA's index_vector_dim).

Out-of-range start indices follow `mode`: "clip" clamps each window into the operand;
"fill" gives gathered windows of the fill value and drops scattered windows;
"promise_in_bounds" (the caller promises none is out of range) does what XLA does
with them, clamping gathered windows and dropping scattered ones, so that a gather's
transpose drops what the gather clamped, as JAX's.
"""
import numpy as np

from mirax.mlir import arith, ir, scf, tensor

from . import ops, rules, scalar
from .base import MiraxOp, bool_, ints, string
from .jvp import deflinear, linear_jvp
from .batching import batch_at, broadcast_batch, move_axis, shifted
from .lowering import clamp_index, empty, index, indexed, to_i64
from .ops import build
from .types import ShapedType, is_complex, is_integer
from .values import add_tangents, full, full_like, instantiate, type_of, zeros

MODES = ("clip", "fill", "promise_in_bounds")
COMBINERS = ("set", "add", "mul", "min", "max")
# The scalar rule of each combiner but set, which keeps the new value.
COMBINE = {"add": scalar.add, "mul": scalar.mul, "min": scalar.min_, "max": scalar.max_}


def _increasing(name, dims, rank):
    if list(dims) != sorted(set(dims)) or any(not 0 <= d < rank for d in dims):
        raise TypeError(f"{name} {list(dims)} must be increasing dimensions in [0, {rank})")


def _distinct(name, dims, rank):
    if len(set(dims)) != len(dims) or any(not 0 <= d < rank for d in dims):
        raise TypeError(f"{name} {list(dims)} must be distinct dimensions in [0, {rank})")


def _check_dimension_numbers(operand, indices, window_dims, window_rank, collapsed, index_map,
                             operand_batching, indices_batching, names):
    """The checks gather and scatter share. `window_dims` are the result (gather) or
    updates (scatter) dimensions spanning a window, of `window_rank` dimensions in all;
    `names` name the fields as the op calls them."""
    if not is_integer(indices.dtype) or indices.ndim == 0:
        raise TypeError(f"indices must be integers with at least one dimension, got {indices}")
    _increasing(names[0], window_dims, window_rank)
    _increasing(names[1], collapsed, operand.ndim)
    _increasing("operand_batching_dims", operand_batching, operand.ndim)
    if set(collapsed) & set(operand_batching):
        raise TypeError(f"{names[1]} {list(collapsed)} and operand_batching_dims {list(operand_batching)} overlap")
    if len(index_map) != indices.shape[-1]:
        raise TypeError(f"{names[2]} {list(index_map)} needs one entry per element of the index vectors "
                        f"(last dimension of indices {list(indices.shape)})")
    _distinct(names[2], index_map, operand.ndim)
    if set(index_map) & set(operand_batching):
        raise TypeError(f"{names[2]} {list(index_map)} and operand_batching_dims {list(operand_batching)} overlap")
    _distinct(names[3], indices_batching, indices.ndim - 1)
    if len(indices_batching) != len(operand_batching) or any(
            operand.shape[o] != indices.shape[i] for o, i in zip(operand_batching, indices_batching, strict=True)):
        raise TypeError(f"operand_batching_dims {list(operand_batching)} of shape {list(operand.shape)} and "
                        f"{names[3]} {list(indices_batching)} of indices {list(indices.shape)} differ")
    if len(window_dims) + len(collapsed) + len(operand_batching) != operand.ndim:
        raise TypeError(f"{names[0]} {list(window_dims)}, {names[1]} {list(collapsed)} and operand_batching_dims "
                        f"{list(operand_batching)} must account for the {operand.ndim} dimensions of shape "
                        f"{list(operand.shape)}")


def _locate(operand_shape, window_sizes, indices, indices_dtype, batch, window, index_map, operand_batching,
            indices_batching, mode):
    """The operand position of one window element, and (mode "fill") whether its window
    lies in range. `batch` indexes the indices' batch dimensions (all but the last),
    `window` is the element's offset in the window per operand dimension."""
    starts = [index(0)] * len(operand_shape)
    in_range = None
    for k, d in enumerate(index_map):
        start = tensor.extract(indices, batch + [index(k)])
        upper = operand_shape[d] - window_sizes[d]
        starts[d] = clamp_index(indices_dtype, start, upper)
        if mode == "fill":  # 0 <= start <= upper; negative starts compare as huge unsigned values
            fits = arith.cmpi(arith.CmpIPredicate.ule, to_i64(indices_dtype, start),
                              arith.ConstantOp(ir.IntegerType.get_signless(64), upper).result)
            in_range = fits if in_range is None else arith.andi(in_range, fits)
    for o, i in zip(operand_batching, indices_batching, strict=True):
        starts[o] = batch[i]
    return [arith.addi(s, w) for s, w in zip(starts, window, strict=True)], in_range


def _window_operand_dims(rank, collapsed, operand_batching):
    """The operand dimensions a window spans, in order."""
    return [d for d in range(rank) if d not in collapsed and d not in operand_batching]


class GatherOp(MiraxOp, name="gather", operands=("operand", "start_indices", "fill_value"), params={
        "offset_dims": ints, "collapsed_slice_dims": ints, "start_index_map": ints, "operand_batching_dims": ints,
        "start_indices_batching_dims": ints, "slice_sizes": ints, "mode": string}):
    """For each index vector, the window of `slice_sizes` starting where the vector's
    entries (mapped to operand dimensions by start_index_map) say; the window's
    collapsed and batching dimensions are dropped and its others become `offset_dims`
    of the result, the indices' batch dimensions its remaining ones. fill_value (0-d,
    the operand's dtype; an operand so that any dtype works and a new fill value
    compiles nothing new) is read in mode "fill" only."""

    @staticmethod
    def infer(operand, indices, fill_value, offset_dims, collapsed_slice_dims, start_index_map,
              operand_batching_dims, start_indices_batching_dims, slice_sizes, mode):
        out_rank = len(offset_dims) + indices.ndim - 1
        _check_dimension_numbers(operand, indices, offset_dims, out_rank, collapsed_slice_dims, start_index_map,
                                 operand_batching_dims, start_indices_batching_dims,
                                 ("offset_dims", "collapsed_slice_dims", "start_index_map",
                                  "start_indices_batching_dims"))
        if len(slice_sizes) != operand.ndim:
            raise TypeError(f"slice_sizes {list(slice_sizes)} need one entry per dimension of shape "
                            f"{list(operand.shape)}")
        # Without index vectors no window is read, so it need not fit (JAX's rule: the
        # derivative of a sort of an empty array gathers windows of 1 from it).
        if 0 not in indices.shape[:-1] and any(
                not 0 <= s <= d for s, d in zip(slice_sizes, operand.shape, strict=True)):
            raise TypeError(f"slice_sizes {list(slice_sizes)} do not fit in shape {list(operand.shape)}")
        if any(slice_sizes[d] != 1 for d in collapsed_slice_dims):
            raise TypeError(f"collapsed_slice_dims {list(collapsed_slice_dims)} must have slice size 1, "
                            f"got slice_sizes {list(slice_sizes)}")
        if any(slice_sizes[d] > 1 for d in operand_batching_dims):
            raise TypeError(f"operand_batching_dims {list(operand_batching_dims)} must have slice size 0 or 1, "
                            f"got slice_sizes {list(slice_sizes)}")
        _check_mode(mode)
        if fill_value.ndim != 0 or fill_value.dtype != operand.dtype:
            raise TypeError(f"fill_value must be a 0-d {operand.dtype.name}, got {fill_value}")
        window = iter(slice_sizes[d] for d in _window_operand_dims(operand.ndim, collapsed_slice_dims,
                                                                   operand_batching_dims))
        batch = iter(indices.shape[:-1])
        shape = tuple(next(window) if d in offset_dims else next(batch) for d in range(out_rank))
        return ShapedType(shape, operand.dtype)


def _check_mode(mode):
    if mode not in MODES:
        raise TypeError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


def _lower_gather(node, operand, indices, fill_value):
    (out,) = node.out_types
    p = node.params
    operand_type, indices_type, _ = node.in_types
    if 0 in out.shape:
        return [empty(out)]
    batch_dims = [d for d in range(out.ndim) if d not in p["offset_dims"]]
    window_dims = _window_operand_dims(operand_type.ndim, p["collapsed_slice_dims"], p["operand_batching_dims"])
    fill = tensor.extract(fill_value, []) if p["mode"] == "fill" else None

    def body(idx):
        window = [index(0)] * operand_type.ndim
        for d, out_dim in zip(window_dims, p["offset_dims"], strict=True):
            window[d] = idx[out_dim]
        position, in_range = _locate(
            operand_type.shape, p["slice_sizes"], indices, indices_type.dtype, [idx[d] for d in batch_dims], window,
            p["start_index_map"], p["operand_batching_dims"], p["start_indices_batching_dims"],
            "fill" if p["mode"] == "fill" else "clip")
        value = tensor.extract(operand, position)
        return value if in_range is None else arith.select(in_range, value, fill)

    return [indexed(out, [], body)]


rules.lowering[GatherOp.OPERATION_NAME] = _lower_gather


class ScatterOp(MiraxOp, name="scatter", operands=("operand", "scatter_indices", "updates"), params={
        "update_window_dims": ints, "inserted_window_dims": ints, "scatter_dims_to_operand_dims": ints,
        "operand_batching_dims": ints, "scatter_indices_batching_dims": ints, "combiner": string, "mode": string,
        "unique_indices": bool_}):
    """operand with each window of updates combined into it at the position its index
    vector gives (the transpose of gather: update_window_dims of updates span a window,
    whose inserted and batching dimensions have size 1 in the operand). `combiner` is
    set, add, mul, min or max; updates to one element apply in order, so duplicates
    accumulate. `unique_indices` is the caller's promise that no two windows overlap,
    which only the derivative of mul with respect to the updates needs (as JAX's)."""

    @staticmethod
    def infer(operand, indices, updates, update_window_dims, inserted_window_dims, scatter_dims_to_operand_dims,
              operand_batching_dims, scatter_indices_batching_dims, combiner, mode, unique_indices):
        if updates.dtype != operand.dtype:
            raise TypeError(f"updates dtype {updates.dtype.name} differs from operand dtype {operand.dtype.name}")
        updates_rank = len(update_window_dims) + indices.ndim - 1
        if updates.ndim != updates_rank:
            raise TypeError(f"updates of shape {list(updates.shape)} must have {updates_rank} dimensions "
                            f"for indices {list(indices.shape)} and update_window_dims {list(update_window_dims)}")
        _check_dimension_numbers(operand, indices, update_window_dims, updates_rank, inserted_window_dims,
                                 scatter_dims_to_operand_dims, operand_batching_dims, scatter_indices_batching_dims,
                                 ("update_window_dims", "inserted_window_dims", "scatter_dims_to_operand_dims",
                                  "scatter_indices_batching_dims"))
        window_dims = _window_operand_dims(operand.ndim, inserted_window_dims, operand_batching_dims)
        if any(updates.shape[u] > operand.shape[d] for u, d in zip(update_window_dims, window_dims, strict=True)):
            raise TypeError(f"update windows of updates {list(updates.shape)} (dimensions "
                            f"{list(update_window_dims)}) do not fit in shape {list(operand.shape)}")
        scatter_shape = tuple(s for d, s in enumerate(updates.shape) if d not in update_window_dims)
        if scatter_shape != indices.shape[:-1]:
            raise TypeError(f"updates {list(updates.shape)} outside update_window_dims {list(update_window_dims)} "
                            f"must match the batch shape {list(indices.shape[:-1])} of indices")
        if combiner not in COMBINERS:
            raise TypeError(f"combiner must be one of {', '.join(COMBINERS)}, got {combiner!r}")
        if combiner in ("min", "max") and is_complex(operand.dtype):
            raise TypeError(f"combiner {combiner} does not accept {operand.dtype.name}")
        _check_mode(mode)
        return operand


def _lower_scatter(node, operand, indices, updates):
    p = node.params
    operand_type, indices_type, updates_type = node.in_types
    if 0 in updates_type.shape or 0 in operand_type.shape:  # nothing to update (nothing in range to clamp to)
        return [operand]
    scatter_dims = [d for d in range(updates_type.ndim) if d not in p["update_window_dims"]]
    window_dims = _window_operand_dims(operand_type.ndim, p["inserted_window_dims"], p["operand_batching_dims"])
    window_sizes = [1] * operand_type.ndim
    for d, u in zip(window_dims, p["update_window_dims"], strict=True):
        window_sizes[d] = updates_type.shape[u]
    combine = (lambda old, new: new) if p["combiner"] == "set" else (
        lambda old, new: COMBINE[p["combiner"]](operand_type.dtype, old, new))

    # One loop over the update elements in row-major order, carrying the result. It
    # starts from a copy: bufferization would otherwise update the operand's buffer in
    # place, even a function argument's (the caller's array). The copy reads with
    # tensor.extract so that canonicalization does not fold it away as an identity.
    copy = indexed(operand_type, [], lambda idx: tensor.extract(operand, idx))
    count = int(np.prod(updates_type.shape))
    loop = scf.ForOp(index(0), index(count), index(1), [copy])
    with ir.InsertionPoint(loop.body):
        rest, position_in_updates = loop.induction_variable, []
        for size in reversed(updates_type.shape):
            position_in_updates.insert(0, arith.remui(rest, index(size)))
            rest = arith.divui(rest, index(size))
        window = [index(0)] * operand_type.ndim
        for d, u in zip(window_dims, p["update_window_dims"], strict=True):
            window[d] = position_in_updates[u]
        position, in_range = _locate(
            operand_type.shape, window_sizes, indices, indices_type.dtype,
            [position_in_updates[d] for d in scatter_dims], window, p["scatter_dims_to_operand_dims"],
            p["operand_batching_dims"], p["scatter_indices_batching_dims"], "clip" if p["mode"] == "clip" else "fill")
        result = loop.inner_iter_args[0]
        old = tensor.extract(result, position)
        new = combine(old, tensor.extract(updates, position_in_updates))
        if in_range is not None:  # a dropped update writes back the old value
            new = arith.select(in_range, new, old)
        scf.YieldOp([tensor.insert(new, result, position)])
    return [loop.results[0]]


rules.lowering[ScatterOp.OPERATION_NAME] = _lower_scatter


# ----------------------------------------------------------------------------- JVP rules

deflinear(GatherOp, linear=(0,))  # as JAX's: neither the indices nor the fill value have a tangent


_scatter_linear = linear_jvp(ScatterOp, linear=(0, 2))


def _inverse_gather(node):
    """The params of the gather that reads the windows a scatter writes (JAX's)."""
    p = node.params
    operand, _, updates = node.in_types
    window = iter(p["update_window_dims"])
    sizes = tuple(1 if d in p["inserted_window_dims"] or d in p["operand_batching_dims"]
                  else updates.shape[next(window)] for d in range(operand.ndim))
    return dict(offset_dims=p["update_window_dims"], collapsed_slice_dims=p["inserted_window_dims"],
                start_index_map=p["scatter_dims_to_operand_dims"], operand_batching_dims=p["operand_batching_dims"],
                start_indices_batching_dims=p["scatter_indices_batching_dims"], slice_sizes=sizes, mode=p["mode"])


def _windows(node, value, indices):
    """The windows of `value` (operand-shaped) the scatter of `node` writes, updates-shaped."""
    return ops.gather(value, indices, zeros(ShapedType((), type_of(value).dtype)), **_inverse_gather(node))


def _scatter_add(node, operand, indices, updates):
    return ops.scatter(operand, indices, updates, **{**node.params, "combiner": "add"})


MUL_UPDATES_ERROR = "scatter_mul gradients are only implemented if `unique_indices=True`"


def _scatter_mul_jvp(node, primals, tangents):
    """JAX's: linear in the operand (scaled by the updates where they land); with respect
    to the updates, operand times their tangents scattered, for unique indices only."""
    (operand, indices, updates), (t_operand, _, t_updates) = primals, tangents
    (out,) = build(ScatterOp, list(primals), **node.params)
    tangent = None if t_operand is None else ops.scatter(t_operand, indices, updates, **node.params)
    if t_updates is not None:
        if not node.params["unique_indices"]:
            raise NotImplementedError(MUL_UPDATES_ERROR)
        spread = _scatter_add(node, zeros(type_of(operand)), indices, t_updates)
        tangent = add_tangents(tangent, ops.mul(operand, spread))
    return [out], [tangent]


def _scatter_extremal_jvp(node, primals, tangents):
    """JAX's for min and max: an element several updates (and maybe the operand) tie for
    gets the average of their tangents."""
    (operand, indices, updates), (t_operand, _, t_updates) = primals, tangents
    (out,) = build(ScatterOp, list(primals), **node.params)
    t_operand, t_updates = instantiate(t_operand, type_of(operand)), instantiate(t_updates, type_of(updates))
    initial, target = _windows(node, operand, indices), _windows(node, out, indices)
    successful = ops.compare(updates, target, direction="EQ")
    retained = ops.compare(initial, target, direction="EQ")
    ones, no = full_like(updates, 1), zeros(type_of(updates))
    num_updates = _windows(
        node, _scatter_add(node, zeros(type_of(operand)), indices, ops.select(successful, ones, no)), indices)
    num_refs = _windows(node, _scatter_add(node, zeros(type_of(operand)), indices, ones), indices)
    shared = ops.div(ones, ops.add(num_updates, ones))
    updates_coef = ops.select(successful, ops.select(retained, shared, ops.div(ones, num_updates)), no)
    operand_coef = ops.div(ops.add(full_like(updates, -1), ops.select(retained, shared, no)), num_refs)
    tangent_updates = ops.add(ops.mul(_windows(node, t_operand, indices), operand_coef),
                              ops.mul(t_updates, updates_coef))
    return [out], [_scatter_add(node, t_operand, indices, tangent_updates)]


SCATTER_JVPS = {"set": _scatter_linear, "add": _scatter_linear, "mul": _scatter_mul_jvp,
                "min": _scatter_extremal_jvp, "max": _scatter_extremal_jvp}
rules.jvp[ScatterOp.OPERATION_NAME] = lambda node, primals, tangents: SCATTER_JVPS[node.params["combiner"]](
    node, primals, tangents)


# ----------------------------------------------------------------------------- transpose rules (JAX's)


def _transpose_gather(node, cts, operands, linear):
    """A gather's cotangent scatters (adds) back into zeros of the operand's shape."""
    (ct,), (_, indices, _) = cts, operands
    p = node.params
    t_operand = ops.scatter(zeros(node.in_types[0]), indices, ct,
                            update_window_dims=p["offset_dims"], inserted_window_dims=p["collapsed_slice_dims"],
                            scatter_dims_to_operand_dims=p["start_index_map"],
                            operand_batching_dims=p["operand_batching_dims"],
                            scatter_indices_batching_dims=p["start_indices_batching_dims"], combiner="add",
                            mode=p["mode"], unique_indices=False)
    return [t_operand, None, None]


def _transpose_scatter(node, cts, operands, linear):
    """JAX's. set and add: the updates' cotangent gathers from the result's (for set, to
    the updates that land only, unless the indices are promised unique); the operand's
    is the result's, less (for set) the overwritten windows. mul, linear in the operand
    for updates that are not (its JVP's): the result's cotangent scaled by the updates
    where they land; linear in the updates, for unique indices, the result's cotangent
    times the operand, gathered. min and max are not linear."""
    (ct,), (operand, indices, updates) = cts, operands
    p = node.params
    if p["combiner"] in ("min", "max") or p["combiner"] == "mul" and linear[0] and linear[2]:
        raise NotImplementedError(f"mirax.scatter with combiner {p['combiner']!r} is not linear in "
                                  f"{'its operand and updates' if p['combiner'] == 'mul' else 'its operands'}")
    t_operand = t_updates = None
    if linear[0]:
        t_operand = ct if p["combiner"] == "add" else ops.scatter(
            ct, indices, updates if p["combiner"] == "mul" else zeros(node.in_types[2]), **p)
    if linear[2]:
        if p["combiner"] == "mul" and not p["unique_indices"]:
            raise NotImplementedError(MUL_UPDATES_ERROR)
        t_updates = _windows(node, ops.mul(ct, operand) if p["combiner"] == "mul" else ct, indices)
        if p["combiner"] == "set" and not p["unique_indices"]:  # an overwritten update has no effect
            t_updates = ops.select(_winners(node, indices), t_updates, zeros(type_of(t_updates)))
    return [t_operand, None, t_updates]


def _winners(node, indices):
    """Which elements of a set scatter's updates land in its result: where windows
    overlap, the last written (in the updates' row-major order, as the lowering writes)
    wins. Found as JAX's scatter JVP does: an id per window, scattered, gathered back
    and compared (a dropped window gathers the fill 0, no id)."""
    p = node.params
    operand, _, updates = node.in_types
    scatter_dims = tuple(d for d in range(updates.ndim) if d not in p["update_window_dims"])
    scatter_shape = tuple(updates.shape[d] for d in scatter_dims)
    count = int(np.prod(scatter_shape))
    dtype = np.dtype(np.int32 if count < 2 ** 31 - 1 else np.int64)
    ids = ops.iota(dtype=dtype, shape=(count,), dimension=0)
    ids = ops.reshape(ops.add(ids, full_like(ids, 1)), new_sizes=scatter_shape)
    ids = ops.broadcast_in_dim(ids, shape=updates.shape, broadcast_dimensions=scatter_dims)
    scattered = ops.scatter(zeros(ShapedType(operand.shape, dtype)), indices, ids, **p)
    return ops.compare(_windows(node, scattered, indices), ids, direction="EQ")


rules.transpose[GatherOp.OPERATION_NAME] = _transpose_gather
rules.transpose[ScatterOp.OPERATION_NAME] = _transpose_scatter


# ----------------------------------------------------------------------------- batching rules (JAX's)
#
# The batch folds into the dimension numbers, as in JAX's rules, but where it already is
# (JAX moves it to the front first): operand and indices both batched, it is a new
# batching dimension pair; only the operand, one more window dimension spanning the
# whole batch; only the indices, one more of their batch dimensions. What moves is an
# indices batch dimension in the index-vector position (last), and a scatter's updates
# batched where their windows or index positions do not line up with the batch.

GATHER_DIMENSIONS = ("offset_dims", "collapsed_slice_dims", "start_index_map", "operand_batching_dims",
                     "start_indices_batching_dims")
SCATTER_DIMENSIONS = ("update_window_dims", "inserted_window_dims", "scatter_dims_to_operand_dims",
                      "operand_batching_dims", "scatter_indices_batching_dims")


def _slots(dims, k, rank):
    """Where a new dimension can go in a value of `rank` dimensions so that it comes k-th
    among `dims` (increasing dimensions of that value)."""
    return range(dims[k - 1] + 1 if k else 0, (dims[k] if k < len(dims) else rank) + 1)


def _batch_indices(indices, bdim):
    """Batched indices whose index vectors stay last."""
    last = type_of(indices).ndim - 1
    return (move_axis(indices, last, last - 1), last - 1) if bdim == last else (indices, bdim)


def _batch_dimension_numbers(names, params, operand_rank, out_rank, a, b, at):
    """`params` with the dimension numbers `names` (gather's or scatter's, in the order
    of GATHER_DIMENSIONS) for an operand batched along `a` and indices along `b` (None:
    not batched; b is not the index-vector dimension), and the batch dimension of the
    result (gather) or updates (scatter), of `out_rank` dimensions unbatched: `at` if
    that is one of the places it can go, else the first."""
    window, collapsed, index_map, operand_batching, indices_batching = (params[n] for n in names)
    if b is None:  # one more window dimension, where the operand's batch is among them
        k = sum(d < a for d in _window_operand_dims(operand_rank, collapsed, operand_batching))
        slots = _slots(window, k, out_rank)
    else:  # one more batch dimension of the indices, where it is among them
        slots = _slots([d for d in range(out_rank) if d not in window], b, out_rank)
    at = at if at in slots else slots[0]
    window = shifted(window, at)
    if a is not None:
        collapsed, index_map, operand_batching = (shifted(d, a) for d in (collapsed, index_map, operand_batching))
    if b is None:
        window = tuple(sorted(window + (at,)))
    else:
        indices_batching = shifted(indices_batching, b)
        if a is not None:  # a new pair; operand_batching_dims stay increasing
            pairs = sorted(zip(operand_batching + (a,), indices_batching + (b,), strict=True))
            operand_batching, indices_batching = (tuple(dims) for dims in zip(*pairs, strict=True))
    new = dict(zip(names, (window, collapsed, index_map, operand_batching, indices_batching), strict=True))
    return {**params, **new}, at


def _gather(node, operand, indices, fill_value, a, b, size):
    """The gather of `node` on an operand and indices batched along `a` and `b` (None:
    not batched) and an unbatched fill value, and the result's batch dimension."""
    if a is None and b is None:
        return ops.gather(operand, indices, fill_value, **node.params), None
    if b is not None:
        indices, b = _batch_indices(indices, b)
    params, bdim = _batch_dimension_numbers(GATHER_DIMENSIONS, node.params, node.in_types[0].ndim,
                                            node.out_types[0].ndim, a, b, None)
    if a is not None:  # the whole batch, or one element of it beside each index vector
        sizes = list(params["slice_sizes"])
        sizes.insert(a, size if b is None else min(size, 1))
        params["slice_sizes"] = tuple(sizes)
    return ops.gather(operand, indices, fill_value, **params), bdim


def _batch_gather(node, operands, dims, size):
    """A batched fill value (a static param in JAX, so not JAX's) is read in mode "fill"
    only: the gather takes a fill of zero, and a gather of True (False out of range)
    selects the batched fill value in."""
    (operand, indices, fill_value), (a, b, f) = operands, dims
    if f is None:
        out, bdim = _gather(node, operand, indices, fill_value, a, b, size)
        return [out], [bdim]
    out, bdim = _gather(node, operand, indices, zeros(ShapedType((), node.in_types[0].dtype)), a, b, size)
    if node.params["mode"] != "fill":
        return [out], [bdim]
    trues = full(ShapedType(node.in_types[0].shape, np.dtype(np.bool_)), True)
    in_range, range_bdim = _gather(node, trues, indices, full(ShapedType((), np.dtype(np.bool_)), False), None, b, size)
    at = 0 if bdim is None else bdim
    out, in_range = batch_at(out, bdim, size, at), batch_at(in_range, range_bdim, size, at)
    fills = ops.broadcast_in_dim(fill_value, shape=type_of(out).shape, broadcast_dimensions=(at,))
    return [ops.select(in_range, out, fills)], [at]


def _batch_scatter(node, operands, dims, size):
    """The result is batched, so the operand is (broadcast if it was not), and so are
    the updates, whose windows write it; the indices stay as they are. An unbatched
    operand is broadcast where batched updates can stay as they are."""
    (operand, indices, updates), (a, b, u) = operands, dims
    p, rank = node.params, node.in_types[0].ndim
    if a is None:
        a = 0
        if b is None and u is not None:  # the batch is a window dimension: the same one of both
            window = _window_operand_dims(rank, p["inserted_window_dims"], p["operand_batching_dims"])
            a = _slots(window, sum(d < u for d in p["update_window_dims"]), rank)[0]
        operand = broadcast_batch(operand, size, a)
    if b is not None:
        indices, b = _batch_indices(indices, b)
    params, at = _batch_dimension_numbers(SCATTER_DIMENSIONS, p, rank, node.in_types[2].ndim, a, b, u)
    return [ops.scatter(operand, indices, batch_at(updates, u, size, at), **params)], [a]


rules.batching[GatherOp.OPERATION_NAME] = _batch_gather
rules.batching[ScatterOp.OPERATION_NAME] = _batch_scatter
