"""lax's gather and scatter, with jax.lax's dimension-number classes and modes."""
import enum
from typing import NamedTuple

import numpy as np

from mirax import dtypes
from mirax.core import bind, is_array, to_array, with_source
from mirax.dialect.guards import DerivativeGuardOp
from mirax.dialect.indexing import GatherOp, ScatterOp

from ._elementwise import add, broadcast_in_dim, convert_element_type, lt, neg, refuse_bool, rem, select
from ._shape import concatenate, expand_dims


class GatherDimensionNumbers(NamedTuple):
    """How gather's operand, start indices and result dimensions correspond (XLA's
    GatherDimensionNumbers; the index vectors are the last dimension of the indices)."""

    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    """How scatter's operand, indices and updates dimensions correspond (XLA's
    ScatterDimensionNumbers; the index vectors are the last dimension of the indices)."""

    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


class GatherScatterMode(enum.Enum):
    """What gather and scatter do with start indices that put a window out of range:
    CLIP clamps the window into range; FILL_OR_DROP gathers fill values and drops
    scattered windows; PROMISE_IN_BOUNDS leaves it to the implementation, which clamps
    gathers and drops scatters, as XLA does. The default (mode None) is
    PROMISE_IN_BOUNDS for gather and FILL_OR_DROP for scatter, as in jax.lax."""

    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()

    @staticmethod
    def from_any(s):
        if isinstance(s, GatherScatterMode):
            return s
        if s == "clip":
            return GatherScatterMode.CLIP
        if s is None or s in ("fill", "drop"):
            return GatherScatterMode.FILL_OR_DROP
        if s == "promise_in_bounds":
            return GatherScatterMode.PROMISE_IN_BOUNDS
        raise ValueError(f'Unknown gather mode "{s}"')


_DIALECT_MODES = {GatherScatterMode.CLIP: "clip", GatherScatterMode.FILL_OR_DROP: "fill",
                  GatherScatterMode.PROMISE_IN_BOUNDS: "promise_in_bounds"}


def _ints(values):
    return tuple(int(v) for v in values)


def _default_fill(dtype):
    """jax.lax.gather's fill for out-of-range windows: NaN, or the integer extreme
    furthest from typical values, or True."""
    if dtypes.is_float(dtype) or dtypes.is_complex(dtype):
        return np.nan
    if dtypes.is_unsigned(dtype):
        return np.iinfo(dtype).max
    if dtypes.is_integer(dtype):
        return np.iinfo(dtype).min
    return True


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    operand, start_indices = to_array(operand), to_array(start_indices)
    dtype = operand.aval.dtype
    # As in jax.lax, gather's default mode is PROMISE_IN_BOUNDS (which clamps, and whose
    # transpose drops).
    mode = GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else GatherScatterMode.from_any(mode)
    fill = mode == GatherScatterMode.FILL_OR_DROP
    if not fill:
        fill_value = 0  # unused outside mode "fill"
    elif fill_value is None:
        fill_value = _default_fill(dtype)
    dn = dimension_numbers
    (out,) = bind(
        GatherOp, operand, start_indices, convert_element_type(to_array(fill_value, dtype), dtype),
        offset_dims=_ints(dn.offset_dims), collapsed_slice_dims=_ints(dn.collapsed_slice_dims),
        start_index_map=_ints(dn.start_index_map), operand_batching_dims=_ints(dn.operand_batching_dims),
        start_indices_batching_dims=_ints(dn.start_indices_batching_dims), slice_sizes=_ints(slice_sizes),
        mode=_DIALECT_MODES[mode], weak_type=operand.aval.weak_type,
    )
    return out


def _scatter(combiner):
    def scatter(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
        operand, scatter_indices, updates = to_array(operand), to_array(scatter_indices), to_array(updates)
        if combiner in ("add", "mul"):
            refuse_bool(combiner, operand)
        if updates.aval.weak_type:  # Python scalars take the operand's dtype
            updates = convert_element_type(updates, operand.aval.dtype)
        dn = dimension_numbers
        (out,) = bind(
            ScatterOp, operand, scatter_indices, updates,
            update_window_dims=_ints(dn.update_window_dims), inserted_window_dims=_ints(dn.inserted_window_dims),
            scatter_dims_to_operand_dims=_ints(dn.scatter_dims_to_operand_dims),
            operand_batching_dims=_ints(dn.operand_batching_dims),
            scatter_indices_batching_dims=_ints(dn.scatter_indices_batching_dims),
            combiner=combiner, mode=_DIALECT_MODES[GatherScatterMode.from_any(mode)], unique_indices=bool(unique_indices),
            weak_type=operand.aval.weak_type,
        )
        return out

    scatter.__name__ = "scatter" if combiner == "set" else f"scatter_{combiner}"
    return scatter


scatter = _scatter("set")
scatter_add = _scatter("add")
scatter_mul = _scatter("mul")
scatter_min = _scatter("min")
scatter_max = _scatter("max")


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with `updates` subtracted at the windows `scatter_indices` select: a
    scatter_add of the negated updates (the same values, bits and derivatives)."""
    refuse_bool("sub", operand)
    updates = to_array(updates)
    if updates.aval.weak_type:  # a Python scalar takes the operand's dtype before it is negated
        updates = convert_element_type(updates, to_array(operand).aval.dtype)
    return scatter_add(operand, scatter_indices, neg(updates), dimension_numbers, indices_are_sorted=indices_are_sorted,
                       unique_indices=unique_indices, mode=mode)


def index_take(src, idxs, axes):
    """src[idxs[0], idxs[1], ...] along `axes`, the indices wrapped modulo those sizes
    (jax.lax.index_take: a gather)."""
    src = to_array(src)
    indices = concatenate([expand_dims(to_array(i), (1,)) for i in idxs], 1)
    sizes = np.array([src.aval.shape[ax] for ax in axes], dtype=indices.aval.dtype)
    sizes = broadcast_in_dim(to_array(sizes), indices.aval.shape, (indices.aval.ndim - 1,))
    wrapped = rem(indices, sizes)
    indices = select(lt(wrapped, 0), add(wrapped, sizes), wrapped)  # a floor modulo, as JAX's %
    slice_sizes = [1 if d in axes else size for d, size in enumerate(src.aval.shape)]
    dnums = GatherDimensionNumbers(offset_dims=tuple(range(1, src.aval.ndim - indices.aval.shape[1] + 1)),
                                   collapsed_slice_dims=tuple(axes), start_index_map=tuple(axes))
    return gather(src, indices, dnums, slice_sizes)


def scatter_apply(operand, scatter_indices, func, dimension_numbers, *, update_shape=(), indices_are_sorted=False,
                  unique_indices=False, mode=None):
    """operand with the unary `func` applied to each element that windows of
    `update_shape` at `scatter_indices` cover, once per window covering it, as
    jax.lax.scatter_apply (XLA's scatter with func as its update computation): func maps
    a 0-d value of operand's dtype to one. Each round applies func elementwise and keeps
    it where an element has rounds left; as JAX's, it is not differentiable."""
    from mirax.vmapping import vmap

    from ._control_flow import fori_loop
    from ._elementwise import gt
    from ._reduction import reduce_max
    from ._shape import broadcast_in_dim, reshape

    operand = to_array(operand)
    shape, dtype, size = operand.aval.shape, operand.aval.dtype, operand.aval.size
    (x,) = bind(DerivativeGuardOp, operand, refuse="tangent", error="NotImplementedError",
                message="scatter_apply JVP not implemented")
    if size == 0:
        return x

    def ints(shape, fill):
        return broadcast_in_dim(convert_element_type(fill, np.int32), shape, ())

    counts = scatter_add(ints(shape, 0), scatter_indices, ints(tuple(update_shape), 1), dimension_numbers,
                         indices_are_sorted=indices_are_sorted, unique_indices=unique_indices, mode=mode)

    def elementwise(x):
        y = vmap(func)(reshape(x, (size,)))
        if not is_array(y) or (y.aval.shape, y.aval.dtype) != ((size,), dtype):
            got = f"{y.aval.dtype.name}{list(y.aval.shape[1:])}" if is_array(y) else type(y).__name__
            raise ValueError(with_source(f"scatter_apply's func must map a 0-d {dtype.name} value to a 0-d "
                                         f"{dtype.name} value, got {got}"))
        return reshape(y, shape)

    def round_(k, x):
        return select(gt(counts, broadcast_in_dim(k, shape, ())), elementwise(x), x)

    return fori_loop(0, reduce_max(counts, tuple(range(len(shape)))), round_, x)


__all__ = [
    "GatherDimensionNumbers", "ScatterDimensionNumbers", "GatherScatterMode", "gather", "scatter", "scatter_add",
    "scatter_apply", "scatter_mul", "scatter_min", "scatter_max", "scatter_sub", "index_take",
]
