"""NumPy indexing: x[idx], indexed updates (x.at[idx].set(v), ...), take, repeat, where and index helpers.

As in JAX (`_rewriting_take`, `_index_to_gather`): basic indexing (ints, slices, None,
Ellipsis) lowers to dynamic_slice, slice, rev and reshape; advanced indexing (integer
arrays, concrete boolean masks) lowers to one gather whose indices the whole index
describes; indexed updates are scatters over the same description. Out-of-bounds
indices clamp in gathers and are dropped in scatters (JAX's defaults); negative
indices count from the end.
"""
import operator
import warnings
from typing import NamedTuple

import numpy as np

from mirax import dtypes, lax
from mirax.core import Tracer, is_array, to_array, with_source
from mirax.errors import ConcretizationTypeError, NonConcreteBooleanIndexError

from ._creation import array, asarray, ones_like
from ._reductions import cumsum as _cumsum, sum as _sum
from ._shape import _arraylike, _user_stacklevel, ravel, stack
from ._ufuncs import clip, divide, power, remainder, where as _where
from ._util import broadcast_to_shape, canonicalize_axis, check_arraylike, promote_dtypes


# ----------------------------------------------------------------------------- parsing an index


class _Index(NamedTuple):
    """An index resolved against a shape: one entry per dimension of `shape` (plus None
    entries), each ("none", None), ("slice", slice), ("int", scalar) or ("array", ints)."""

    entries: list
    shape: tuple  # the indexed array's shape, with a size-1 dimension per scalar boolean
    bool_dims: tuple  # the dimensions inserted for scalar booleans (NumPy: x[True] is x[None])
    contiguous: bool  # whether the advanced indices (ints, arrays) are adjacent (NumPy's placement rule)
    # Whether the index has no boolean and no integer array of rank 1 or more: ints and
    # slices name each element once, so JAX's scatters promise unique indices (which
    # scatter multiply's gradient in the values needs); JAX counts scalar booleans as arrays.
    unique: bool


def _as_tuple(index):
    if isinstance(index, tuple):
        return index
    if isinstance(index, list):  # JAX's rule (jax-ml/jax#4564)
        fix = "arr[tuple(seq)]" if any(i is None or i is Ellipsis or isinstance(i, (slice, list, tuple))
                                       or np.ndim(i) for i in index) else "arr[array(seq)]"
        raise TypeError(with_source(
            f"Using a non-tuple sequence for multidimensional indexing is not allowed; use `{fix}` instead of "
            f"`arr[seq]`. See https://github.com/jax-ml/jax/issues/4564 for more information."))
    return (index,)


def _kind(i):
    """What an index element is: none, ellipsis, slice, int (a scalar), array (integers) or bool."""
    if i is None:
        return "none", None
    if i is Ellipsis:
        return "ellipsis", None
    if isinstance(i, slice):
        return "slice", i
    if isinstance(i, (list, tuple)):
        i = array(i) if i else np.zeros(0, np.int32)  # [] would be float
    if isinstance(i, str):
        raise TypeError(with_source(f"JAX does not support string indexing; got idx={i!r}"))
    if isinstance(i, (bool, int, float, complex, np.generic)) or is_array(i) or isinstance(i, np.ndarray):
        dtype = np.result_type(i) if not is_array(i) else i.aval.dtype
        if dtype == np.bool_:
            return "bool", i
        if dtypes.is_integer(dtype):
            return ("int" if np.ndim(i) == 0 else "array"), i
        raise TypeError(with_source(f"Indexer must have integer or boolean type, got indexer with type {dtype}"))
    raise IndexError(with_source(
        f"only integers, slices (`:`), ellipsis (`...`), newaxis (`None`) and integer or boolean arrays are valid "
        f"indices. Got {i!r}"))


def _parse(shape, index):
    kinds = [_kind(i) for i in _as_tuple(index)]
    if sum(kind == "ellipsis" for kind, _ in kinds) > 1:
        raise IndexError(with_source("an index can only have a single ellipsis ('...')"))
    consumed = sum(np.ndim(i) if kind == "bool" else kind in ("slice", "int", "array") for kind, i in kinds)
    if consumed > len(shape):
        raise IndexError(with_source(
            f"Too many indices: array is {len(shape)}-dimensional, but {consumed} were indexed"))
    entries, bool_dims = [], []
    advanced_flags = []  # per index element (a mask: per dimension), whether it is an advanced index, as JAX counts
    new_shape = list(shape)
    axis = 0  # the axis of `new_shape` the next entry indexes
    for kind, i in kinds:
        if kind == "bool":
            if isinstance(i, Tracer):
                raise NonConcreteBooleanIndexError(i)
            mask = np.asarray(i)
            if mask.ndim == 0:  # a new size-1 axis, then all of it (True) or none of it (False)
                new_shape.insert(axis, 1)
                bool_dims.append(axis)
                positions = [np.arange(int(mask), dtype=np.int32)]
                advanced_flags.append(False)
            elif mask.shape != tuple(new_shape[axis: axis + mask.ndim]):
                raise IndexError(with_source(
                    f"boolean index did not match shape of indexed array: got {mask.shape}, expected "
                    f"{tuple(new_shape[axis: axis + mask.ndim])}"))
            else:
                positions = [p.astype(np.int32) for p in np.nonzero(mask)]
                advanced_flags += [True] * mask.ndim
            entries += [("array", p) for p in positions]
            axis += len(positions)
        elif kind == "ellipsis":
            advanced_flags.append(False)
            entries += [("slice", slice(None))] * (len(shape) - consumed)
            axis += len(shape) - consumed
        else:
            advanced_flags.append(kind in ("int", "array"))
            entries.append((kind, i))
            axis += kind != "none"
    entries += [("slice", slice(None))] * (len(new_shape) - axis)
    contiguous = bool(np.all(np.diff(np.flatnonzero(advanced_flags)) == 1))
    unique = not any(kind == "bool" or kind == "array" and np.ndim(i) > 0 for kind, i in kinds)
    return _Index(entries, tuple(new_shape), tuple(bool_dims), contiguous, unique)


def _static_slice(s, size):
    """(start, step, count) of a slice with static bounds over an axis of `size`."""
    for bound in (s.start, s.stop, s.step):
        if isinstance(bound, Tracer):
            raise IndexError(with_source(f"Slice entries must be static integers. Got {s}"))
    start, stop, step = (None if b is None else operator.index(b) for b in (s.start, s.stop, s.step))
    start, stop, step = slice(start, stop, step).indices(size)
    return start, step, len(range(start, stop, step))


# ----------------------------------------------------------------------------- x[idx]


def _getitem(x, index):
    return _rewriting_take(to_array(x), index)


def _rewriting_take(x, index, mode=None, fill_value=None):
    """x[index]: slices when the index is basic, else a gather (`mode` says how it treats
    out-of-bounds indices: by default clamped, and dropped by its transpose, as JAX's
    PROMISE_IN_BOUNDS; 'fill' gives fill_value)."""
    parsed = _parse(x.aval.shape, index)
    has_arrays = any(kind == "array" for kind, _ in parsed.entries)
    fills = mode is not None and lax.GatherScatterMode.from_any(mode) == lax.GatherScatterMode.FILL_OR_DROP
    if not has_arrays and not fills:
        return _basic_take(x, parsed.entries)
    if parsed.bool_dims:
        x = lax.expand_dims(x, parsed.bool_dims)
    indexer = _index_to_gather(parsed)
    if 0 in indexer.slice_shape:
        return lax.broadcast_in_dim(lax.convert_element_type(0, x.aval.dtype, x.aval.weak_type),
                                    indexer.slice_shape, ())
    out = lax.gather(x, indexer.indices, indexer.dnums, indexer.slice_sizes,
                     mode=mode, fill_value=fill_value)
    return lax.reshape(out, indexer.slice_shape)  # inserts the None dimensions


def _basic_take(x, entries):
    """x[ints, slices, None]: one dynamic_slice of the window the ints and slices span
    (indices as operands, so that eager x[i] compiles once for every i), a strided slice
    of it, reversal for negative steps, and a reshape that drops the int dimensions and
    inserts the None ones."""
    shape = x.aval.shape
    starts, sizes, strides, reversed_dims, out_shape = [], [], [], [], []
    for kind, i in entries:
        if kind == "none":
            out_shape.append(1)
            continue
        axis, size = len(starts), shape[len(starts)]
        if kind == "int":
            starts.append(_scalar_start(i, axis, size))
            sizes.append(1)
            strides.append(1)
            continue
        start, step, count = _static_slice(i, size)
        lowest = start if step > 0 else start + step * (count - 1)
        starts.append(np.int32(lowest if count else 0))
        sizes.append((count - 1) * abs(step) + 1 if count else 0)
        strides.append(abs(step))
        if step < 0 and count > 1:
            reversed_dims.append(axis)
        out_shape.append(count)
    if any(kind == "int" for kind, _ in entries) or tuple(sizes) != shape:
        x = lax.dynamic_slice(x, starts, sizes)
    if any(s > 1 for s in strides):
        x = lax.slice(x, [0] * len(sizes), sizes, strides)
    if reversed_dims:
        x = lax.rev(x, reversed_dims)
    return lax.reshape(x, out_shape)


def _scalar_start(i, axis, size):
    """An int index as a dynamic_slice start (int32): negative counts from the end, and a
    static one is clamped into range as dynamic_slice would."""
    if size == 0:
        raise IndexError(with_source(f"index is out of bounds for axis {axis} with size 0"))
    if isinstance(i, Tracer):
        return lax.convert_element_type(i, np.int32)
    i = operator.index(i)
    return np.int32(min(max(i + size if i < 0 else i, 0), size - 1))


# ----------------------------------------------------------------------------- the gather indexer


class _GatherIndexer(NamedTuple):
    indices: object  # int32 array (NumPy when static): batch shape + (number of indexed dimensions,)
    dnums: lax.GatherDimensionNumbers
    slice_sizes: tuple
    slice_shape: tuple  # the shape of x[idx] (None dimensions included)
    newaxis_dims: tuple  # the None dimensions in slice_shape


def _index_to_gather(parsed):
    """The gather computing x[idx] (x of shape parsed.shape). Ints and integer arrays
    broadcast together into one block of batch dimensions, placed where the advanced
    indices are when they are adjacent, else first (NumPy's rule); a unit-step slice is
    a window at a start index, any other slice a batch dimension of its own positions."""
    shape, entries = parsed.shape, parsed.entries
    axes = np.cumsum([kind != "none" for kind, _ in entries]) - 1  # the axis each entry indexes
    advanced = [p for p, (kind, _) in enumerate(entries) if kind in ("int", "array")]
    arrays = [_normalize(entries[p][1], shape[axes[p]]) for p in advanced]
    batch = tuple(int(d) for d in np.broadcast_shapes(*(a.shape for a in arrays)))
    arrays = [np.broadcast_to(a, batch) if isinstance(a, np.ndarray) else broadcast_to_shape(a, batch)
              for a in arrays]
    block_position = (advanced[0] if parsed.contiguous else 0) if advanced else None

    columns = []  # (int32 index array, its first batch dimension)
    batch_shape, offset_dims, collapsed, start_index_map, slice_sizes = [], [], [], [], []
    slice_shape, newaxis_dims = [], []
    out_axis = 0  # the gather's output axis (None dimensions excluded)
    for position, (kind, i) in enumerate(entries):
        if position == block_position:
            columns += [(a, len(batch_shape)) for a in arrays]
            start_index_map += [int(axes[p]) for p in advanced]
            collapsed += [int(axes[p]) for p in advanced]
            batch_shape += batch
            slice_shape += batch
            out_axis += len(batch)
        axis = int(axes[position])
        if kind in ("int", "array"):
            slice_sizes.append(1)
        elif kind == "none":
            newaxis_dims.append(len(slice_shape))
            slice_shape.append(1)
        else:
            start, step, count = _static_slice(i, shape[axis])
            slice_shape.append(count)
            if step == 1:
                if count != shape[axis]:
                    columns.append((np.int32(start), len(batch_shape)))
                    start_index_map.append(axis)
                slice_sizes.append(count)
                offset_dims.append(out_axis)
            else:
                columns.append((np.arange(start, start + step * count, step, dtype=np.int32), len(batch_shape)))
                batch_shape.append(count)
                start_index_map.append(axis)
                collapsed.append(axis)
                slice_sizes.append(1)
            out_axis += 1
    dnums = lax.GatherDimensionNumbers(offset_dims=tuple(offset_dims), collapsed_slice_dims=tuple(sorted(collapsed)),
                                       start_index_map=tuple(start_index_map))
    return _GatherIndexer(_stack_columns(columns, tuple(batch_shape)), dnums, tuple(slice_sizes),
                          tuple(slice_shape), tuple(newaxis_dims))


def _normalize(i, size):
    """An integer index as int32 with negative values counting from the end. Static
    indices stay NumPy arrays, clipped to [-1, size] (out of bounds stays out of bounds)."""
    if isinstance(i, Tracer):
        if not dtypes.is_unsigned(i.aval.dtype):
            i = lax.select(lax.lt(i, lax.convert_element_type(0, i.aval.dtype)),
                           lax.add(i, lax.convert_element_type(size, i.aval.dtype)), i)
        return lax.convert_element_type(i, np.int32)
    i = np.asarray(i).astype(np.int64)
    return np.asarray(np.clip(np.where(i < 0, i + size, i), -1, size), np.int32)  # 0-d: an array, not a scalar


def _stack_columns(columns, batch_shape):
    """The gather's index array: each column broadcast into batch_shape (its dimensions
    from its first batch dimension on), stacked along a new last dimension."""
    if not columns:
        return np.zeros((0,), np.int32)

    def dims(a, first):
        return tuple(range(first, first + np.ndim(a)))

    if not any(isinstance(a, Tracer) for a, _ in columns):  # static: build it with NumPy
        return np.stack([
            np.broadcast_to(np.reshape(a, [batch_shape[d] if d in dims(a, first) else 1
                                           for d in range(len(batch_shape))]), batch_shape)
            for a, first in columns], -1)
    return lax.concatenate([lax.broadcast_in_dim(to_array(a), batch_shape + (1,), dims(a, first))
                            for a, first in columns], len(batch_shape))


# ----------------------------------------------------------------------------- x.at[idx]


def _scatter_update(x, index, values, scatter_op, mode=None, unique_indices=False):
    """x with `scatter_op` applied at x[index] with `values` (broadcast to x[index]'s shape),
    computed in the promoted dtype of x and values and returned in x's dtype."""
    x = to_array(x)
    if isinstance(values, int) and dtypes.is_integer(x.aval.dtype) and \
            np.iinfo(x.aval.dtype).min <= values <= np.iinfo(x.aval.dtype).max:
        values = np.asarray(values, x.aval.dtype)
    values = asarray(values)
    dtype, weak_type = x.aval.dtype, x.aval.weak_type
    if dtypes.result_type(x, values) != dtype:
        warnings.warn(f"scatter inputs have incompatible types: cannot safely cast value from dtype="
                      f"{values.aval.dtype} to dtype={dtype}. In future JAX releases this will result in an error.",
                      FutureWarning, stacklevel=_user_stacklevel())
    parsed = _parse(x.aval.shape, index)
    indexer = _index_to_gather(parsed)
    if 0 in indexer.slice_shape:
        return x
    operand, values = promote_dtypes(x, values)
    if parsed.bool_dims:
        operand = lax.expand_dims(operand, parsed.bool_dims)
    if values.aval.ndim > len(indexer.slice_shape) or any(
            v not in (1, s) for v, s in zip(values.aval.shape[::-1], indexer.slice_shape[::-1])):
        raise ValueError(with_source(f"Incompatible shapes for broadcasting: {values.aval.shape} and requested "
                                     f"shape {indexer.slice_shape}"))
    values = broadcast_to_shape(values, indexer.slice_shape)
    values = lax.reshape(values, [s for d, s in enumerate(indexer.slice_shape) if d not in indexer.newaxis_dims])
    dnums = lax.ScatterDimensionNumbers(update_window_dims=indexer.dnums.offset_dims,
                                        inserted_window_dims=indexer.dnums.collapsed_slice_dims,
                                        scatter_dims_to_operand_dims=indexer.dnums.start_index_map)
    out = scatter_op(operand, indexer.indices, values, dnums, mode=mode, unique_indices=unique_indices or parsed.unique)
    if parsed.bool_dims:
        out = lax.squeeze(out, parsed.bool_dims)
    return lax.convert_element_type(out, dtype, weak_type)


class _IndexUpdateHelper:
    """What x.at is: x.at[idx] gives an _IndexUpdateRef."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """x.at[idx]: pure versions of x[idx] = v, x[idx] += v, ... (out-of-bounds updates are
    dropped unless mode='clip'; repeated indices all apply, for add, mul, min and max)."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return _rewriting_take(to_array(self.array), self.index, mode, fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, lax.scatter, mode, unique_indices)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, lax.scatter_add, mode, unique_indices)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, lax.neg(asarray(values)), lax.scatter_add, mode,
                               unique_indices)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, lax.scatter_mul, mode, unique_indices)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        # as JAX: x / (1 at unindexed places, the product of the values at indexed ones)
        return divide(self.array, _scatter_update(ones_like(self.array), self.index, values, lax.scatter_mul, mode,
                                                  unique_indices))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return power(self.array, _scatter_update(ones_like(self.array), self.index, values, lax.scatter_mul, mode,
                                                 unique_indices))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):  # noqa: A003
        return _scatter_update(self.array, self.index, values, lax.scatter_min, mode, unique_indices)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):  # noqa: A003
        return _scatter_update(self.array, self.index, values, lax.scatter_max, mode, unique_indices)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """The unary func applied at x[idx], once per time an element is indexed (ufunc.at)."""
        def scatter_apply(x, indices, updates, dnums, **kwargs):
            return lax.scatter_apply(x, indices, func, dnums, update_shape=updates.aval.shape, **kwargs)

        x = to_array(self.array)
        return _scatter_update(x, self.index, lax.convert_element_type(0, x.aval.dtype, x.aval.weak_type),
                               scatter_apply, mode, unique_indices)


# ----------------------------------------------------------------------------- take and friends


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False, indices_are_sorted=False,
         fill_value=None):
    """a's elements at `indices` along `axis` (of the flattened `a` when None). Out of
    bounds: 'fill' (the default, as JAX's) gives fill_value (NaN for floats) and negative
    indices count from the end; 'clip' clamps; 'wrap' takes indices modulo the size."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    check_arraylike("take", a, indices)
    a, indices = to_array(a), to_array(indices)
    if indices.aval.dtype == np.bool_:  # as JAX's: True and False index 1 and 0
        indices = lax.convert_element_type(indices, np.int32)
    if not dtypes.is_integer(indices.aval.dtype):
        raise ValueError(with_source(f"indices must have an integer type, got {indices.aval.dtype}"))
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, a.aval.ndim)
    if mode == "wrap":
        indices, mode = remainder(indices, a.aval.shape[axis]), "clip"
    elif mode == "clip":  # as NumPy's and JAX's take: negative indices clip to 0, they do not wrap
        indices = clip(indices, 0, max(a.aval.shape[axis] - 1, 0))
    elif mode not in (None, "fill"):
        raise ValueError(with_source(f"Invalid mode {mode!r} for take; use 'fill', 'clip' or 'wrap'"))
    return _rewriting_take(a, (slice(None),) * axis + (indices,), mode or "fill", fill_value)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """arr's elements at `indices` along `axis`, the other dimensions matched one to one
    (broadcasting); the flattened array when axis is None."""
    check_arraylike("take_along_axis", arr, indices)
    arr, indices = to_array(arr), to_array(indices)
    if axis is None:
        arr, axis = ravel(arr), 0
        indices = ravel(indices)
    if not dtypes.is_integer(indices.aval.dtype):
        raise TypeError(with_source(f"take_along_axis requires integer indices, got {indices.aval.dtype}"))
    ndim = arr.aval.ndim
    if indices.aval.ndim != ndim:
        raise ValueError(with_source(f"indices and arr must have the same number of dimensions; "
                                     f"{indices.aval.ndim} vs. {ndim}"))
    axis = canonicalize_axis(axis, ndim)
    index = tuple(indices if d == axis else np.arange(n).reshape([n if e == d else 1 for e in range(ndim)])
                  for d, n in enumerate(arr.aval.shape))
    return _rewriting_take(arr, index, mode or "fill", fill_value)


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Each element repeated `repeats` times (an int, or one count per element along
    `axis`). A traced `repeats` needs a static `total_repeat_length`; as in JAX, elements
    past it are dropped and the last element fills the rest."""
    a = _arraylike("repeat", a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, a.aval.ndim)
    length = a.aval.shape[axis]
    if total_repeat_length is None:
        if getattr(repeats, "concrete", True) is None:
            raise ConcretizationTypeError(repeats, (
                "When jit-compiling jnp.repeat, the total number of repeats must be static. To fix this, either "
                "specify a static value for `repeats`, or pass a static value to `total_repeat_length`."))
        counts = np.asarray(repeats)
        if counts.ndim == 0:
            if counts.dtype.kind not in "iub" or counts < 0:  # JAX's broadcast_in_dim refuses these sizes
                raise TypeError(with_source(f"repeat: a scalar repeats must be a nonnegative integer, got {repeats!r}"))
            # (.., n, ..) -> (.., n, 1, ..) -> (.., n, r, ..) -> (.., n*r, ..)
            shape = a.aval.shape
            expanded = lax.expand_dims(a, (axis + 1,))
            repeated = broadcast_to_shape(expanded, shape[: axis + 1] + (int(counts),) + shape[axis + 1:])
            return lax.reshape(repeated, shape[:axis] + (length * int(counts),) + shape[axis + 1:])
        total_repeat_length = int(np.broadcast_to(counts.ravel(), (length,)).sum())
    if total_repeat_length == 0 or length == 0:
        return lax.slice_in_dim(a, 0, 0 if total_repeat_length == 0 else length, axis=axis)
    # JAX's algorithm: a 1 where each element's block starts (blocks past the end are
    # dropped), whose running sum is the element each output position takes.
    counts = broadcast_to_shape(lax.convert_element_type(ravel(repeats), dtypes.default_int_dtype()), (length,))
    starts = _cumsum(lax.concatenate([lax.convert_element_type(np.zeros(1), counts.aval.dtype),
                                      lax.slice_in_dim(counts, 0, length - 1)], 0))
    block_starts = lax.broadcast_in_dim(lax.convert_element_type(0, np.int32), (total_repeat_length,), ())
    return take(a, lax.sub(_cumsum(block_starts.at[starts].add(1)), 1), axis=axis)


def nonzero(a, *, size=None, fill_value=None):
    """The indices of a's nonzero elements, one array per dimension, by JAX's algorithm:
    the running count of nonzeros, histogrammed into `size` bins and summed up again,
    is the flat index of each; past the count, indices are padded with fill_value (0 by
    default). `size` must be given under jit, where the count is not known."""
    check_arraylike("nonzero", a)
    a = to_array(a)
    if a.aval.ndim == 0:
        raise ValueError(with_source("Calling nonzero on 0d arrays is not allowed. Use jnp.atleast_1d(scalar) "
                                     "instead."))
    mask = a if a.aval.dtype == np.bool_ else lax.ne(a, lax.convert_element_type(0, a.aval.dtype))
    count = _sum(mask)
    if size is None:
        if isinstance(count, Tracer) and count.concrete is None:
            raise ConcretizationTypeError(count, "The size argument of jnp.nonzero must be statically specified to "
                                          "use jnp.nonzero within JAX transformations.")
        size = int(count)
    size = operator.index(size)
    int_ = dtypes.default_int_dtype()
    if a.aval.size == 0 or size == 0:
        return tuple(lax.broadcast_in_dim(lax.convert_element_type(0, int_), (size,), ()) for _ in a.aval.shape)
    bins = lax.broadcast_in_dim(lax.convert_element_type(0, int_), (size,), ())
    flat_indices = _cumsum(bins.at[_cumsum(mask)].add(1, mode="drop"))
    strides = np.cumprod(a.aval.shape[::-1])[::-1] // a.aval.shape
    out = [remainder(lax.div(flat_indices, lax.convert_element_type(int(stride), int_)), dim)
           for stride, dim in zip(strides, a.aval.shape)]
    if fill_value is not None:
        fills = fill_value if isinstance(fill_value, tuple) else (fill_value,) * a.aval.ndim
        if len(fills) != a.aval.ndim or any(np.shape(v) != () for v in fills):
            raise ValueError(with_source(f"fill_value must be a scalar or a tuple of length {a.aval.ndim}; got "
                                         f"{fill_value}"))
        padding = lax.ge(lax.iota(int_, size), lax.convert_element_type(count, int_))
        out = [_where(padding, v, entry) for v, entry in zip(fills, out)]
    return tuple(out)


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """where(c, x, y) chooses elementwise; where(c) is nonzero(c, size=, fill_value=)."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jax.numpy.where")
    if size is not None or fill_value is not None:
        raise ValueError("size and fill_value arguments cannot be used in three-term where function.")
    return _where(condition, x, y)


def argwhere(a, *, size=None, fill_value=None):
    a = to_array(a)
    if a.aval.ndim == 0:
        count = int(bool(np.asarray(a))) if size is None else size
        return to_array(np.zeros((count, 0), dtypes.default_int_dtype()))
    return stack(nonzero(a, size=size, fill_value=fill_value), -1)


def indices(dimensions, dtype=None, sparse=False):
    """Index grids: indices(dims)[k] holds each element's index along dimension k."""
    dtype = dtypes.canonicalize_dtype(dtype or dtypes.default_int_dtype())
    dimensions = tuple(operator.index(d) for d in dimensions)
    if sparse:
        return tuple(lax.broadcasted_iota(dtype, [n if e == d else 1 for e, _ in enumerate(dimensions)], d)
                     for d, n in enumerate(dimensions))
    return stack([lax.broadcasted_iota(dtype, dimensions, d) for d in range(len(dimensions))]) if dimensions \
        else to_array(np.zeros((0,), dtype))


def ix_(*args):
    """Open meshes from 1-d integer sequences: ix_(a, b) gives (a[:, None], b[None, :])."""
    check_arraylike("ix_", *args)
    arrays = [to_array(a) for a in args]
    for a in arrays:
        if a.aval.ndim != 1:
            raise ValueError(with_source(f"Arguments to jax.numpy.ix_ must be 1-dimensional, got shape {a.aval.shape}"))
        if a.aval.dtype == np.bool_:
            raise NotImplementedError("Boolean arguments to jax.numpy.ix_ are not implemented")
    return tuple(lax.reshape(a, [a.aval.size if e == d else 1 for e in range(len(arrays))])
                 for d, a in enumerate(arrays))


def diag_indices(n, ndim=2):
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0 or ndim < 0:
        raise ValueError(with_source(f"n and ndim argument to diag_indices must be nonnegative, got {n} and {ndim}"))
    return (lax.iota(dtypes.default_int_dtype(), n),) * ndim


def _triangle(np_fn):
    def fn(n, k=0, m=None):
        n, k, m = operator.index(n), operator.index(k), None if m is None else operator.index(m)
        return tuple(to_array(i.astype(dtypes.default_int_dtype())) for i in np_fn(n, k, m))

    fn.__name__ = fn.__qualname__ = np_fn.__name__
    return fn


tril_indices = _triangle(np.tril_indices)
triu_indices = _triangle(np.triu_indices)


def select(condlist, choicelist, default=0):
    """The choice of the first true condition, elementwise (default where none is); the
    choices and default promote together, and conditions count by their truth, as JAX's."""
    if len(condlist) != len(choicelist):
        raise ValueError(with_source(f"condlist must have length equal to choicelist ({len(condlist)} vs "
                                     f"{len(choicelist)})"))
    if len(condlist) == 0:
        raise ValueError(with_source("condlist must be non-empty"))
    check_arraylike("select", *condlist, *choicelist, default)
    out, *choices = promote_dtypes(default, *choicelist)
    for condition, choice in zip(reversed(list(condlist)), reversed(choices), strict=True):
        out = _where(condition, choice, out)
    return out


__all__ = ["argwhere", "diag_indices", "indices", "ix_", "nonzero", "repeat", "select", "take", "take_along_axis",
           "tril_indices", "triu_indices", "where"]
