"""Ops that move elements without computing on them: broadcast, reshape, transpose,
slices (static and dynamic), concatenate, pad, rev."""
import numpy as np

from mirax.mlir import arith, ir, linalg, tensor

from . import ops, rules
from .base import MiraxOp, int_, ints
from .batching import batch_at, first_bdim, inserted, move_axis, shifted
from .jvp import deflinear
from .lowering import clamp, clamp_index, constant, empty, generic, identity_map, index, indexed, reshape, transpose
from .types import ShapedType, is_integer
from .values import full, scalar, sum_over, type_of, zeros


class BroadcastInDimOp(MiraxOp, name="broadcast_in_dim", operands=("operand",),
                       params={"shape": ints, "broadcast_dimensions": ints}):
    """Operand dimension i becomes result dimension broadcast_dimensions[i] (same size,
    or size 1 to be repeated); other result dimensions repeat the operand."""

    @staticmethod
    def infer(x, shape, broadcast_dimensions):
        dims = broadcast_dimensions
        if len(dims) != x.ndim:
            raise TypeError(f"broadcast_dimensions {list(dims)} must have one entry per operand dimension "
                            f"of shape {list(x.shape)}")
        if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
            raise TypeError(f"broadcast_dimensions {list(dims)} must be increasing and within rank {len(shape)}")
        for size, d in zip(x.shape, dims, strict=True):
            if size not in (1, shape[d]):
                raise TypeError(f"cannot broadcast shape {list(x.shape)} to {list(shape)} "
                                f"along dimensions {list(dims)}")
        return ShapedType(tuple(shape), x.dtype)


def _lower_broadcast_in_dim(node, x):
    (out,) = node.out_types
    rank = len(out.shape)
    exprs = [
        ir.AffineConstantExpr.get(0) if size == 1 and out.shape[d] != 1 else ir.AffineDimExpr.get(d)
        for size, d in zip(node.in_types[0].shape, node.params["broadcast_dimensions"], strict=True)
    ]
    maps = [ir.AffineMap.get(rank, 0, exprs), identity_map(rank)]
    return generic(node.out_types, [x], maps, lambda v, _: [v])


rules.lowering[BroadcastInDimOp.OPERATION_NAME] = _lower_broadcast_in_dim


class ReshapeOp(MiraxOp, name="reshape", operands=("operand",), params={"new_sizes": ints}):
    """The same elements in row-major order, in a new shape of the same size."""

    @staticmethod
    def infer(x, new_sizes):
        if any(s < 0 for s in new_sizes) or int(np.prod(new_sizes)) != int(np.prod(x.shape)):
            raise TypeError(f"cannot reshape {list(x.shape)} to {list(new_sizes)}: sizes differ")
        return ShapedType(tuple(new_sizes), x.dtype)


rules.lowering[ReshapeOp.OPERATION_NAME] = lambda node, x: [reshape(x, node.out_types[0])]


class TransposeOp(MiraxOp, name="transpose", operands=("operand",), params={"permutation": ints}):
    """Result dimension i is operand dimension permutation[i]."""

    @staticmethod
    def infer(x, permutation):
        if sorted(permutation) != list(range(x.ndim)):
            raise TypeError(f"permutation {list(permutation)} is not a permutation of the "
                            f"{x.ndim} dimensions of shape {list(x.shape)}")
        return ShapedType(tuple(x.shape[p] for p in permutation), x.dtype)


rules.lowering[TransposeOp.OPERATION_NAME] = lambda node, x: [
    transpose(x, node.in_types[0], node.params["permutation"])
]


# ----------------------------------------------------------------------------- slicing
# Results are computed element by element (linalg.generic, reading with tensor.extract
# where positions are dynamic) rather than as tensor slices: bufferized slices become
# strided memref.copy calls, which need a runtime library the CPU JIT lacks.


def _dims(name, values, x):
    if len(values) != x.ndim:
        raise TypeError(f"{name} {list(values)} must have one entry per dimension of shape {list(x.shape)}")


class SliceOp(MiraxOp, name="slice", operands=("operand",),
              params={"start_indices": ints, "limit_indices": ints, "strides": ints}):
    """operand[start:limit:stride] in every dimension (static bounds)."""

    @staticmethod
    def infer(x, start_indices, limit_indices, strides):
        for name, values in (("start_indices", start_indices), ("limit_indices", limit_indices),
                             ("strides", strides)):
            _dims(name, values, x)
        for start, limit, size in zip(start_indices, limit_indices, x.shape, strict=True):
            if not 0 <= start <= limit <= size:
                raise TypeError(f"slice [{list(start_indices)}, {list(limit_indices)}) is out of range "
                                f"for shape {list(x.shape)}")
        if any(s < 1 for s in strides):
            raise TypeError(f"strides {list(strides)} must be positive")
        shape = tuple(-(-(limit - start) // stride)
                      for start, limit, stride in zip(start_indices, limit_indices, strides, strict=True))
        return ShapedType(shape, x.dtype)


def _lower_slice(node, x):
    starts, strides = node.params["start_indices"], node.params["strides"]
    return [indexed(node.out_types[0], [], lambda idx: tensor.extract(x, [
        arith.addi(arith.muli(i, index(stride)), index(start))
        for i, start, stride in zip(idx, starts, strides, strict=True)]))]


rules.lowering[SliceOp.OPERATION_NAME] = _lower_slice


def _check_indices(x, indices):
    if len(indices) != x.ndim:
        raise TypeError(f"requires one start index per dimension of shape {list(x.shape)}, got {len(indices)}")
    for index in indices:
        if index.ndim != 0 or not is_integer(index.dtype):
            raise TypeError(f"start indices must be 0-d integers, got {index}")
    if len({index.dtype for index in indices}) > 1:
        raise TypeError("start indices must have one dtype, got " + ", ".join(str(i) for i in indices))


def _window_starts(node, indices, shape, sizes):
    """The clamped starts (index values) of a window of `sizes` in `shape`."""
    return [
        clamp_index(t.dtype, tensor.extract(i, []), dim - size)
        for i, t, dim, size in zip(indices, node.in_types[: len(indices)], shape, sizes, strict=True)
    ]


# The start indices form the variadic operand group, which MiraxOp places before the
# named operands; the IRDL verifier gives one type to all values of a variadic group,
# so the indices share one dtype.


class DynamicSliceOp(MiraxOp, name="dynamic_slice", variadic=True, operands=("operand",),
                     params={"slice_sizes": ints}):
    """Operands (*start_indices, operand): the window of `slice_sizes` starting at the
    0-d integer start indices, each clamped so that the window fits."""

    @staticmethod
    def infer(*types, slice_sizes):
        *indices, x = types
        _check_indices(x, indices)
        _dims("slice_sizes", slice_sizes, x)
        if any(not 0 <= s <= d for s, d in zip(slice_sizes, x.shape, strict=True)):
            raise TypeError(f"slice_sizes {list(slice_sizes)} do not fit in shape {list(x.shape)}")
        return ShapedType(tuple(slice_sizes), x.dtype)


def _lower_dynamic_slice(node, *operands):
    """A view of the window (a scan's step reading its row of xs copies nothing)."""
    *indices, x = operands
    sizes = node.params["slice_sizes"]
    if not sizes:
        return [x]
    starts = _window_starts(node, indices, node.in_types[-1].shape, sizes)
    return [tensor.extract_slice(ir.RankedTensorType.get(list(sizes), x.type.element_type), x, starts, [], [],
                                 [ir.ShapedType.get_dynamic_stride_or_offset()] * len(sizes), list(sizes),
                                 [1] * len(sizes))]


rules.lowering[DynamicSliceOp.OPERATION_NAME] = _lower_dynamic_slice


class DynamicUpdateSliceOp(MiraxOp, name="dynamic_update_slice", variadic=True, operands=("operand", "update")):
    """Operands (*start_indices, operand, update): operand with the window at the start
    indices (clamped so that it fits) replaced by update."""

    @staticmethod
    def infer(*types):
        *indices, x, update = types
        _check_indices(x, indices)
        if update.dtype != x.dtype:
            raise TypeError(f"update dtype {update.dtype.name} differs from operand dtype {x.dtype.name}")
        if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape, strict=True)):
            raise TypeError(f"update of shape {list(update.shape)} does not fit in shape {list(x.shape)}")
        return x


def _lower_dynamic_update_slice(node, *operands):
    """The update copied into the window of the operand (a view): in place when the
    operand is not read afterwards, as a scan's stacked outputs, so that each step of a
    scan writes one row, not the whole stack. (A linalg.copy into the view, not a
    memref.copy, which the CPU JIT cannot run on strided views.)"""
    *indices, x, update = operands
    sizes = node.in_types[-1].shape
    if 0 in sizes:
        return [x]
    if not sizes:
        return [update]
    starts = _window_starts(node, indices, node.in_types[-2].shape, sizes)
    window = ([], [], [ir.ShapedType.get_dynamic_stride_or_offset()] * len(sizes), list(sizes), [1] * len(sizes))
    view = tensor.extract_slice(ir.RankedTensorType.get(list(sizes), update.type.element_type), x, starts, *window)
    return [tensor.insert_slice(linalg.copy(update, outs=[view]), x, starts, *window)]


rules.lowering[DynamicUpdateSliceOp.OPERATION_NAME] = _lower_dynamic_update_slice


class ConcatenateOp(MiraxOp, name="concatenate", operands=("lhs", "rhs"), params={"dimension": int_}):
    """lhs and rhs joined along `dimension`; their other dimensions agree. (Binary: the
    IRDL verifier gives all values of a variadic operand group one type.)"""

    @staticmethod
    def infer(lhs, rhs, dimension):
        if not 0 <= dimension < lhs.ndim:
            raise TypeError(f"dimension {dimension} is out of range for shape {list(lhs.shape)}")
        if lhs.dtype != rhs.dtype:
            raise TypeError(f"requires operands of one dtype, got {lhs.dtype.name}, {rhs.dtype.name}")
        others = lambda x: x.shape[:dimension] + x.shape[dimension + 1:]
        if lhs.ndim != rhs.ndim or others(lhs) != others(rhs):
            raise TypeError(f"cannot concatenate shapes {list(lhs.shape)} and {list(rhs.shape)} "
                            f"along dimension {dimension}")
        size = lhs.shape[dimension] + rhs.shape[dimension]
        return ShapedType(lhs.shape[:dimension] + (size,) + lhs.shape[dimension + 1:], lhs.dtype)


def _lower_concatenate(node, lhs, rhs):
    (out,) = node.out_types
    dimension = node.params["dimension"]
    split = node.in_types[0].shape[dimension]
    if 0 in out.shape:
        return [empty(out)]
    if split in (0, out.shape[dimension]):  # one side is empty
        return [lhs if split else rhs]

    def body(idx):
        # Positions before `split` read lhs, the others rhs at position - split.
        position = idx[dimension]
        at = lambda p, size: idx[:dimension] + [clamp(p, 0, size - 1)] + idx[dimension + 1:]
        in_rhs = arith.subi(position, index(split))
        return arith.select(arith.cmpi(arith.CmpIPredicate.slt, position, index(split)),
                            tensor.extract(lhs, at(position, split)),
                            tensor.extract(rhs, at(in_rhs, out.shape[dimension] - split)))

    return [indexed(out, [], body)]


rules.lowering[ConcatenateOp.OPERATION_NAME] = _lower_concatenate


class PadOp(MiraxOp, name="pad", operands=("operand", "padding_value"),
            params={"edge_padding_low": ints, "edge_padding_high": ints, "interior_padding": ints}):
    """operand with interior_padding values between neighbouring elements and
    edge_padding_low/high values before/after each dimension; negative edge
    padding removes elements instead, as lax.pad."""

    @staticmethod
    def infer(x, value, edge_padding_low, edge_padding_high, interior_padding):
        if value.ndim != 0 or value.dtype != x.dtype:
            raise TypeError(f"padding value must be a 0-d {x.dtype.name}, got {value}")
        for name, values in (("edge_padding_low", edge_padding_low), ("edge_padding_high", edge_padding_high),
                             ("interior_padding", interior_padding)):
            _dims(name, values, x)
        if any(i < 0 for i in interior_padding):
            raise TypeError(f"interior_padding {list(interior_padding)} must be non-negative")
        shape = tuple(low + high + size + max(size - 1, 0) * interior for size, low, high, interior in zip(
            x.shape, edge_padding_low, edge_padding_high, interior_padding, strict=True))
        if any(s < 0 for s in shape):
            raise TypeError(f"padding {[list(p) for p in zip(edge_padding_low, edge_padding_high, interior_padding)]} "
                            f"of shape {list(x.shape)} gives a negative size")
        return ShapedType(shape, x.dtype)


def _lower_pad(node, x, value):
    (out,) = node.out_types
    shape = node.in_types[0].shape
    padding = tuple(zip(node.params["edge_padding_low"], node.params["interior_padding"], strict=True))
    fill = tensor.extract(value, [])
    if 0 in shape:
        return [indexed(out, [], lambda idx: fill)]

    def body(idx):
        # Operand element j lands at low + j * step.
        inside, at = constant(np.bool_, True), []
        for i, size, (low, interior) in zip(idx, shape, padding, strict=True):
            step = index(interior + 1)
            shifted = arith.subi(i, index(low))
            j = arith.divsi(shifted, step)
            fits = arith.andi(
                arith.cmpi(arith.CmpIPredicate.eq, arith.remsi(shifted, step), index(0)),
                arith.cmpi(arith.CmpIPredicate.ult, j, index(size)),
            )
            inside = arith.andi(inside, fits)
            at.append(clamp(j, 0, size - 1))
        return arith.select(inside, tensor.extract(x, at), fill)

    return [indexed(out, [], body)]


rules.lowering[PadOp.OPERATION_NAME] = _lower_pad


class RevOp(MiraxOp, name="rev", operands=("operand",), params={"dimensions": ints}):
    """operand with the order of elements reversed along `dimensions`."""

    @staticmethod
    def infer(x, dimensions):
        if any(not 0 <= d < x.ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
            raise TypeError(f"dimensions {list(dimensions)} must be distinct dimensions of shape {list(x.shape)}")
        return x


def _lower_rev(node, x):
    (out,) = node.out_types
    rank = len(out.shape)
    exprs = [
        ir.AffineExpr.get_add(ir.AffineConstantExpr.get(size - 1), ir.AffineExpr.get_mul(
            ir.AffineDimExpr.get(d), ir.AffineConstantExpr.get(-1))) if d in node.params["dimensions"]
        else ir.AffineDimExpr.get(d)
        for d, size in enumerate(out.shape)
    ]
    return generic([out], [x], [ir.AffineMap.get(rank, 0, exprs), identity_map(rank)], lambda v, _: [v])


rules.lowering[RevOp.OPERATION_NAME] = _lower_rev


# ----------------------------------------------------------------------------- JVP rules: all linear

for _cls in (BroadcastInDimOp, ReshapeOp, TransposeOp, SliceOp, ConcatenateOp, PadOp, RevOp):
    deflinear(_cls)

# Start indices come first and have no tangents.
deflinear(DynamicSliceOp, linear=(-1,))
deflinear(DynamicUpdateSliceOp, linear=(-2, -1))


# ----------------------------------------------------------------------------- transpose rules


def _transpose_broadcast_in_dim(node, cts, operands, linear):
    (ct,), (x,), (out,) = cts, node.in_types, node.out_types
    dims = node.params["broadcast_dimensions"]
    expanded = [d for d in range(len(out.shape)) if d not in dims]
    expanded += [d for size, d in zip(x.shape, dims, strict=True) if size == 1 and out.shape[d] != 1]
    summed = sum_over(ct, sorted(expanded))
    return [ops.reshape(summed, new_sizes=x.shape)]


def _transpose_transpose(node, cts, operands, linear):
    inverse = [int(i) for i in np.argsort(node.params["permutation"])]
    return [ops.transpose(cts[0], permutation=tuple(inverse))]


def _transpose_slice(node, cts, operands, linear):
    (ct,), (x,), (out,) = cts, node.in_types, node.out_types
    starts, strides = node.params["start_indices"], node.params["strides"]
    if 0 in out.shape:
        return [zeros(x)]
    highs = [size - (start + (n - 1) * stride + 1)
             for size, start, n, stride in zip(x.shape, starts, out.shape, strides, strict=True)]
    zero = scalar(np.zeros((), x.dtype))
    return [ops.pad(ct, zero, edge_padding_low=starts, edge_padding_high=tuple(highs),
                    interior_padding=tuple(s - 1 for s in strides))]


def _transpose_pad(node, cts, operands, linear):
    """JAX's: crop the edge padding, then take every (interior + 1)-th element."""
    (ct,), (x, _) = cts, node.in_types
    low, high = node.params["edge_padding_low"], node.params["edge_padding_high"]
    interior = node.params["interior_padding"]
    zero = scalar(np.zeros((), x.dtype))
    cropped = ops.pad(ct, zero, edge_padding_low=tuple(-v for v in low),
                      edge_padding_high=tuple(-v for v in high), interior_padding=(0,) * x.ndim)
    shape = type_of(cropped).shape
    t_operand = ops.slice(cropped, start_indices=(0,) * x.ndim, limit_indices=shape,
                          strides=tuple(i + 1 for i in interior))
    t_value = None
    if linear[1]:
        all_axes = list(range(x.ndim))
        t_value = ops.sub(sum_over(ct, all_axes), sum_over(t_operand, all_axes))
    return [t_operand if linear[0] else None, t_value]


def _transpose_concatenate(node, cts, operands, linear):
    (ct,), d = cts, node.params["dimension"]
    shape = type_of(ct).shape
    split = node.in_types[0].shape[d]
    parts = []
    for is_linear, start, stop in ((linear[0], 0, split), (linear[1], split, shape[d])):
        if not is_linear:
            parts.append(None)
            continue
        begin, end = [0] * len(shape), list(shape)
        begin[d], end[d] = start, stop
        parts.append(ops.slice(ct, start_indices=tuple(begin), limit_indices=tuple(end),
                               strides=(1,) * len(shape)))
    return parts


def _transpose_dynamic_slice(node, cts, operands, linear):
    (ct,), indices = cts, operands[:-1]
    return [None] * len(indices) + [ops.dynamic_update_slice(*indices, zeros(node.in_types[-1]), ct)]


def _transpose_dynamic_update_slice(node, cts, operands, linear):
    (ct,), indices = cts, operands[:-2]
    update = node.in_types[-1]
    t_operand = ops.dynamic_update_slice(*indices, ct, zeros(update)) if linear[-2] else None
    t_update = ops.dynamic_slice(*indices, ct, slice_sizes=update.shape) if linear[-1] else None
    return [None] * len(indices) + [t_operand, t_update]


rules.transpose[BroadcastInDimOp.OPERATION_NAME] = _transpose_broadcast_in_dim
rules.transpose[ReshapeOp.OPERATION_NAME] = lambda node, cts, operands, linear: [
    ops.reshape(cts[0], new_sizes=node.in_types[0].shape)]
rules.transpose[TransposeOp.OPERATION_NAME] = _transpose_transpose
rules.transpose[SliceOp.OPERATION_NAME] = _transpose_slice
rules.transpose[PadOp.OPERATION_NAME] = _transpose_pad
rules.transpose[ConcatenateOp.OPERATION_NAME] = _transpose_concatenate
rules.transpose[RevOp.OPERATION_NAME] = lambda node, cts, operands, linear: [
    ops.rev(cts[0], dimensions=node.params["dimensions"])]
rules.transpose[DynamicSliceOp.OPERATION_NAME] = _transpose_dynamic_slice
rules.transpose[DynamicUpdateSliceOp.OPERATION_NAME] = _transpose_dynamic_update_slice


# ----------------------------------------------------------------------------- batching rules (JAX's)


def _batch_broadcast_in_dim(node, operands, dims, size):
    """The batch goes right after the result dimension of the operand dimension before
    it, so that broadcast_dimensions stay increasing and nothing moves."""
    (x,), (bdim,), p = operands, dims, node.params
    at = p["broadcast_dimensions"][bdim - 1] + 1 if bdim else 0
    broadcast_dimensions = inserted(shifted(p["broadcast_dimensions"], at), bdim, at)
    return [ops.broadcast_in_dim(x, shape=inserted(p["shape"], at, size),
                                 broadcast_dimensions=broadcast_dimensions)], [at]


def _batch_reshape(node, operands, dims, size):
    """Reshape is row-major, so the batch must be the outermost dimension."""
    (x,), (bdim,) = operands, dims
    return [ops.reshape(move_axis(x, bdim, 0), new_sizes=(size, *node.params["new_sizes"]))], [0]


def _batch_transpose(node, operands, dims, size):
    (x,), (bdim,) = operands, dims
    permutation = inserted(shifted(node.params["permutation"], bdim), bdim, bdim)
    return [ops.transpose(x, permutation=permutation)], [bdim]


def _batch_slice(node, operands, dims, size):
    (x,), (bdim,), p = operands, dims, node.params
    return [ops.slice(x, start_indices=inserted(p["start_indices"], bdim, 0),
                      limit_indices=inserted(p["limit_indices"], bdim, size),
                      strides=inserted(p["strides"], bdim, 1))], [bdim]


def _batch_rev(node, operands, dims, size):
    (x,), (bdim,) = operands, dims
    return [ops.rev(x, dimensions=shifted(node.params["dimensions"], bdim))], [bdim]


def _batch_concatenate(node, operands, dims, size):
    bdim = first_bdim(dims)
    lhs, rhs = (batch_at(x, d, size, bdim) for x, d in zip(operands, dims, strict=True))
    return [ops.concatenate(lhs, rhs, dimension=shifted([node.params["dimension"]], bdim)[0])], [bdim]


def _batch_pad(node, operands, dims, size):
    """A batched padding value (rare) is JAX's way: pad with zeros, then select the
    padding value where a padded mask of trues says the result is padding."""
    (x, value), (x_bdim, value_bdim), p = operands, dims, node.params
    bdim = 0 if x_bdim is None else x_bdim
    x = batch_at(x, x_bdim, size, bdim)
    config = {name: inserted(p[name], bdim, 0) for name in p}
    if value_bdim is None:
        return [ops.pad(x, value, **config)], [bdim]
    shaped = type_of(x)
    padded = ops.pad(x, scalar(np.zeros((), shaped.dtype)), **config)
    mask = ops.pad(full(ShapedType(shaped.shape, np.bool_), True), scalar(np.False_), **config)
    out_shape = type_of(padded).shape
    fill = ops.broadcast_in_dim(value, shape=out_shape, broadcast_dimensions=(bdim,))
    return [ops.select(mask, padded, fill)], [bdim]


def _batched_starts(indices, dims, size):
    """The start indices as one (size, n) array of index vectors, as JAX's
    _batch_dynamic_slice_indices: batched ones (size,) are columns, the others repeat."""
    columns = [ops.broadcast_in_dim(i, shape=(size, 1), broadcast_dimensions=() if d is None else (0,))
               for i, d in zip(indices, dims, strict=True)]
    starts = columns[0]
    for column in columns[1:]:
        starts = ops.concatenate(starts, column, dimension=1)
    return starts


def _start_at_zero(node, indices, bdim):
    """Unbatched start indices of a dynamic (update) slice whose operand is batched at
    bdim: the batch is one more dimension of the window, starting at 0."""
    dtype = node.in_types[0].dtype if indices else np.dtype(np.int32)  # a 0-d operand has no index
    return inserted(indices, bdim, scalar(np.zeros((), dtype)))


def _batch_dynamic_slice(node, operands, dims, size):
    """Batched start indices make a gather (as JAX's rule) whose operand_batching_dims
    pair each batch element with its own index vector; mode "clip" clamps the windows
    into range as dynamic_slice does."""
    *indices, x = operands
    *index_dims, x_dim = dims
    sizes = node.params["slice_sizes"]
    if all(d is None for d in index_dims):
        indices = _start_at_zero(node, indices, x_dim)
        return [ops.dynamic_slice(*indices, x, slice_sizes=inserted(sizes, x_dim, size))], [x_dim]
    window = tuple(range(len(sizes)))
    if x_dim is None:
        dnums = dict(start_index_map=window, operand_batching_dims=(), start_indices_batching_dims=(),
                     slice_sizes=sizes)
    else:  # batch element i of the operand is read at index vector i
        dnums = dict(start_index_map=shifted(window, x_dim), operand_batching_dims=(x_dim,),
                     start_indices_batching_dims=(0,), slice_sizes=inserted(sizes, x_dim, 1))
    out = ops.gather(x, _batched_starts(indices, index_dims, size),
                     scalar(np.zeros((), node.in_types[-1].dtype)), offset_dims=shifted(window, 0),
                     collapsed_slice_dims=(), mode="clip", **dnums)
    return [out], [0]


def _batch_dynamic_update_slice(node, operands, dims, size):
    """Batched start indices make a scatter that sets each batch element's window (as
    JAX's rule), clamped into range (mode "clip") as dynamic_update_slice does."""
    *indices, x, update = operands
    *index_dims, x_dim, update_dim = dims
    if all(d is None for d in index_dims):
        bdim = update_dim if x_dim is None else x_dim
        indices = _start_at_zero(node, indices, bdim)
        x, update = batch_at(x, x_dim, size, bdim), batch_at(update, update_dim, size, bdim)
        return [ops.dynamic_update_slice(*indices, x, update)], [bdim]
    bdim = 0 if x_dim is None else x_dim
    update_bdim = 0 if update_dim is None else update_dim
    ndim = len(indices)
    out = ops.scatter(batch_at(x, x_dim, size, bdim), _batched_starts(indices, index_dims, size),
                      batch_at(update, update_dim, size, update_bdim),
                      update_window_dims=tuple(d for d in range(ndim + 1) if d != update_bdim), inserted_window_dims=(),
                      scatter_dims_to_operand_dims=shifted(range(ndim), bdim), operand_batching_dims=(bdim,),
                      scatter_indices_batching_dims=(0,), combiner="set", mode="clip", unique_indices=False)
    return [out], [bdim]


rules.batching[BroadcastInDimOp.OPERATION_NAME] = _batch_broadcast_in_dim
rules.batching[ReshapeOp.OPERATION_NAME] = _batch_reshape
rules.batching[TransposeOp.OPERATION_NAME] = _batch_transpose
rules.batching[SliceOp.OPERATION_NAME] = _batch_slice
rules.batching[RevOp.OPERATION_NAME] = _batch_rev
rules.batching[ConcatenateOp.OPERATION_NAME] = _batch_concatenate
rules.batching[PadOp.OPERATION_NAME] = _batch_pad
rules.batching[DynamicSliceOp.OPERATION_NAME] = _batch_dynamic_slice
rules.batching[DynamicUpdateSliceOp.OPERATION_NAME] = _batch_dynamic_update_slice
