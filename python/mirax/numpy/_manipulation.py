"""More ways to rearrange and edit arrays, as JAX's: rotating, splitting, blocks,
diagonals, choosing, deleting and inserting, putting, resizing, index conversions."""
import math
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import is_array, to_array, with_source

from . import _ufuncs as ufuncs
from ._concrete import concrete
from ._creation import arange, array, asarray, full, ones, zeros, zeros_like
from ._indexing import diag_indices, indices, nonzero, tril_indices, triu_indices
from ._reductions import all as _all, sum as _sum
from ._shape import (_split, _static_ints, broadcast_arrays, broadcast_shapes, broadcast_to, concatenate,
                     flip, moveaxis, pad, ravel, reshape, swapaxes, tile, transpose)
from ._sorting import argsort, sort
from ._util import canonicalize_axes, canonicalize_axis, check_arraylike


def rot90(m, k=1, axes=(0, 1)):
    check_arraylike("rot90", m)
    m = to_array(m)
    if m.aval.ndim < 2:
        raise ValueError(with_source(f"rot90 requires its first argument to have ndim at least two, but got first "
                                     f"argument of shape {m.aval.shape}, which has ndim {m.aval.ndim}"))
    ax1, ax2 = (canonicalize_axis(a, m.aval.ndim) for a in axes)
    if ax1 == ax2:
        raise ValueError(with_source("Axes must be different"))
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax1), ax2)
    perm = list(range(m.aval.ndim))
    perm[ax1], perm[ax2] = perm[ax2], perm[ax1]
    return transpose(flip(m, ax2), perm) if k == 1 else flip(transpose(m, perm), ax2)


def rollaxis(a, axis, start=0):
    check_arraylike("rollaxis", a)
    a = to_array(a)
    ndim = a.aval.ndim
    axis, start = canonicalize_axis(axis, ndim), operator.index(start)
    if not -ndim <= start <= ndim:
        raise ValueError(with_source(f"start={start} must satisfy {-ndim}<=start<={ndim}"))
    start = start + ndim if start < 0 else start
    return moveaxis(a, axis, start - 1 if start > axis else start)


def hsplit(ary, indices_or_sections):
    check_arraylike("hsplit", ary)
    return _split("hsplit", ary, indices_or_sections, 0 if np.ndim(ary) == 1 else 1, equal=True)


def vsplit(ary, indices_or_sections):
    return _split("vsplit", ary, indices_or_sections, 0, equal=True)


def dsplit(ary, indices_or_sections):
    return _split("dsplit", ary, indices_or_sections, 2, equal=True)


def block(arrays):
    """Nested lists of arrays joined: the innermost lists along the last axis, each
    enclosing level along the axis before."""
    return _block(arrays)[0]


def _block(xs):
    if isinstance(xs, tuple):
        raise ValueError(with_source(f"jax.numpy.block does not allow tuples, got {xs}"))
    if not isinstance(xs, list):
        return asarray(xs), 1
    if not xs:
        raise ValueError(with_source("jax.numpy.block does not allow empty list arguments"))
    blocks, depths = zip(*(_block(x) for x in xs), strict=True)
    if any(d != depths[0] for d in depths[1:]):
        raise ValueError(with_source("Mismatched list depths in jax.numpy.block"))
    rank = max(depths[0], max(x.ndim for x in blocks))
    blocks = [reshape(x, (1,) * (rank - x.ndim) + x.shape) for x in blocks]
    return concatenate(blocks, axis=-depths[0]), depths[0] + 1


def diagflat(v, k=0):
    """A square matrix with v flattened on its k-th diagonal."""
    check_arraylike("diagflat", v)
    v = ravel(v)
    n = v.size + abs(k)
    i = arange(0, n - abs(k))
    flat = i + k + i * n if k >= 0 else i + (i - k) * n
    return zeros(n * n, dtype=v.dtype).at[flat].set(v).reshape(n, n)


def diag_indices_from(arr):
    check_arraylike("diag_indices_from", arr)
    shape = np.shape(arr)
    if len(shape) < 2:
        raise ValueError(with_source("input array must be at least 2-d"))
    if len(set(shape)) != 1:
        raise ValueError(with_source("All dimensions of input must be of equal length"))
    return diag_indices(shape[0], ndim=len(shape))


def _triangle_indices_from(fn_name, triangle_indices):
    def fn(arr, k=0):
        if not hasattr(arr, "shape"):
            check_arraylike(fn_name, arr)
        shape = np.shape(arr)
        if len(shape) != 2:
            raise ValueError(with_source("Only 2-D inputs are accepted"))
        return triangle_indices(shape[0], k=k, m=shape[1])

    fn.__name__ = fn.__qualname__ = fn_name
    return fn


tril_indices_from = _triangle_indices_from("tril_indices_from", tril_indices)
triu_indices_from = _triangle_indices_from("triu_indices_from", triu_indices)


def mask_indices(n, mask_func, k=0, *, size=None):
    return nonzero(mask_func(ones((n, n)), k), size=size)


def _tile_to_size(arr, size):
    if arr.size < size:
        arr = tile(arr, int(np.ceil(size / arr.size)))
    return arr[:size] if arr.size > size else arr


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    if inplace:
        raise NotImplementedError("JAX arrays are immutable, must use inplace=False")
    if wrap:
        raise NotImplementedError("wrap=True is not implemented, must use wrap=False")
    check_arraylike("fill_diagonal", a, val)
    a, val = to_array(a), to_array(val)
    if a.ndim < 2:
        raise ValueError(with_source("array must be at least 2-d"))
    if a.ndim > 2 and not all(n == a.shape[0] for n in a.shape[1:]):
        raise ValueError(with_source("All dimensions of input must be of equal length"))
    n = min(a.shape)
    return a.at[diag_indices(n, a.ndim)].set(val if val.ndim == 0 else _tile_to_size(ravel(val), n))


def choose(a, choices, out=None, mode="raise"):
    """choices[a] elementwise, a broadcast with the choices; mode='raise' needs a concrete a."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.choose is not supported.")
    check_arraylike("choose", a, *choices)
    a, choices = to_array(a), [to_array(c) for c in choices]
    if not dtypes.is_integer(a.dtype):
        raise ValueError(with_source("`a` array must be integer typed"))
    n = len(choices)
    if mode == "raise":
        values = concrete(a, "The error occurred because jnp.choose was jit-compiled with mode='raise'. Use "
                             "mode='wrap' or mode='clip' instead.")
        if np.any((values < 0) | (values >= n)):
            raise ValueError(with_source("invalid entry in choice array"))
    elif mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = ufuncs.clip(a, 0, n - 1)
    else:
        raise ValueError(with_source(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'"))
    a, *choices = broadcast_arrays(a, *choices)
    return array(choices)[(a,) + indices(a.shape, sparse=True)]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of a along `axis` where condition is true; with `size`, that many, the
    rest fill_value (traceable); without, the condition must be concrete."""
    check_arraylike("compress", condition, a, fill_value)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.compress is not supported.")
    condition, arr = lax.convert_element_type(to_array(condition), np.bool_), to_array(a)
    if condition.ndim != 1:
        raise ValueError(with_source("condition must be a 1D array"))
    if axis is None:
        axis, arr = 0, ravel(arr)
    else:
        arr = moveaxis(arr, axis, 0)
    condition, extra = condition[:arr.shape[0]], condition[arr.shape[0]:]
    arr = arr[:condition.shape[0]]
    if size is None:
        if np.any(concrete(extra, "compress's condition must be concrete without a size argument.")):
            raise ValueError(with_source("condition contains entries that are out of bounds"))
        result = arr[concrete(condition, "The size argument of jnp.compress must be statically specified to use "
                                         "jnp.compress within JAX transformations.")]
    elif not 0 <= size <= arr.shape[0]:
        raise ValueError(with_source(f"size must be positive and not greater than the size of the array axis; got "
                                     f"size={size} for a.shape[axis]={arr.shape[0]}"))
    else:
        mask = reshape(condition, condition.shape + (1,) * (arr.ndim - 1))
        arr = ufuncs.where(mask, arr, array(fill_value, dtype=arr.dtype))
        result = arr[argsort(condition, stable=True, descending=True)][:size]
    return moveaxis(result, 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    check_arraylike("extreact", condition, arr, fill_value)  # JAX's spelling
    return compress(ravel(condition), ravel(arr), size=size, fill_value=fill_value)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """arr without the entries `obj` (an index, a slice, indices or a boolean mask) along
    `axis`; the indices must be concrete unless assume_unique_indices."""
    check_arraylike("delete", arr)
    a = to_array(arr)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    before = (slice(None),) * axis
    if isinstance(obj, (int, np.integer)):
        obj = canonicalize_axis(obj, a.shape[axis])
        return concatenate([a[before + (slice(0, obj),)], a[before + (slice(obj + 1, None),)]], axis=axis)
    if isinstance(obj, slice):
        obj, assume_unique_indices = arange(a.shape[axis])[obj], True
    check_arraylike("delete", a, obj)
    if dtypes.is_integer(dtypes.dtype(obj)) and assume_unique_indices:
        obj = ravel(obj)
        obj = ufuncs.clip(ufuncs.where(obj < 0, obj + a.shape[axis], obj), 0, a.shape[axis])
        obj = sort(obj) - arange(obj.size, dtype=obj.dtype)
        i = arange(a.shape[axis] - obj.size, dtype=obj.dtype)
        i = i + _sum(i[None, :] >= obj[:, None], 0, dtype=i.dtype)
        return a[before + (i,)]
    obj = concrete(obj, "'obj' array argument of jnp.delete()")
    if dtypes.is_integer(obj.dtype):
        mask = np.ones(a.shape[axis], dtype=bool)
        mask[obj] = False
    elif obj.dtype == bool:
        if obj.shape != (a.shape[axis],):
            raise ValueError(with_source("np.delete(arr, obj): for boolean indices, obj must be one-dimensional with "
                                         "length matching specified axis."))
        mask = ~obj
    else:
        raise ValueError(with_source(f"np.delete(arr, obj): got obj.dtype={obj.dtype}; must be integer or bool."))
    return a[before + (mask,)]


def insert(arr, obj, values, axis=None):
    """arr with `values` inserted before the indices `obj` along `axis`, as JAX's (traceable)."""
    check_arraylike("insert", arr, 0 if isinstance(obj, slice) else obj, values)
    a = to_array(arr)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    idx = arange(*obj.indices(a.shape[axis])) if isinstance(obj, slice) else asarray(obj)
    if idx.ndim > 1:
        raise ValueError(with_source(f"jnp.insert(): obj must be a slice, a one-dimensional array, or a scalar; got "
                                     f"{obj}"))
    if not dtypes.is_integer(idx.dtype):
        if idx.size == 0 and not is_array(obj):
            idx = idx.astype(dtypes.default_int_dtype())
        else:
            raise ValueError(with_source(f"jnp.insert(): index array must be integer typed; got {obj}"))
    values = array(values, dtype=a.dtype, ndmin=a.ndim)
    if idx.size == 1:
        index = ravel(idx)[0]
        if idx.ndim == 0:
            values = moveaxis(values, 0, axis)
        idx = full(values.shape[axis], index)
    n_input = a.shape[axis]
    n_insert = broadcast_shapes(idx.shape, (values.shape[axis],))[0]
    out_shape = list(a.shape)
    out_shape[axis] += n_insert
    out = zeros_like(a, shape=tuple(out_shape))
    idx = ufuncs.clip(ufuncs.where(idx < 0, idx + n_input, idx), 0, n_input)
    values_ind = idx.at[argsort(idx)].add(arange(n_insert, dtype=idx.dtype))
    arr_mask = ones(n_input + n_insert, dtype=bool).at[values_ind].set(False)
    arr_ind = nonzero(arr_mask, size=n_input)[0]
    before = (slice(None),) * axis
    return out.at[before + (values_ind,)].set(values).at[before + (arr_ind,)].set(a)


def _immutable(fn_name, inplace):
    if inplace:
        raise ValueError(with_source(f"jax.numpy.{fn_name} cannot modify arrays in-place, because JAX arrays are "
                                     "immutable. Pass inplace=False to instead return an updated array."))


def place(arr, mask, vals, *, inplace=True):
    """arr with its entries where mask is true set to vals in order (repeated as needed)."""
    check_arraylike("place", arr, mask, vals)
    data, mask, vals = to_array(arr), to_array(mask), ravel(vals)
    _immutable("place", inplace)
    if data.size != mask.size:
        raise ValueError(with_source("place: arr and mask must be the same size"))
    if not vals.size:
        raise ValueError(with_source("Cannot place values from an empty array"))
    if not data.size:
        return data
    idx = nonzero(ravel(mask), size=mask.size, fill_value=mask.size)[0]
    return ravel(data).at[idx].set(_tile_to_size(vals, idx.size), mode="drop").reshape(data.shape)


def put(a, ind, v, mode=None, *, inplace=True):
    """a with the flat entries `ind` set to v (repeated as needed)."""
    _immutable("put", inplace)
    check_arraylike("put", a, ind, v)
    arr, ind, v = to_array(a), ravel(ind), ravel(v)
    if not arr.size or not ind.size or not v.size:
        return arr
    v = _tile_to_size(v, ind.size)
    if mode is None:
        scatter_mode = "drop"
    elif mode == "clip":
        ind, scatter_mode = ufuncs.clip(ind, 0, arr.size - 1), "promise_in_bounds"
    elif mode == "wrap":
        ind, scatter_mode = ind % arr.size, "promise_in_bounds"
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.put is not supported.")
    else:
        raise ValueError(with_source(f"mode should be one of 'wrap' or 'clip'; got mode={mode!r}"))
    return arr.at[unravel_index(ind, arr.shape)].set(v, mode=scatter_mode)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    _immutable("put_along_axis", inplace)
    check_arraylike("put_along_axis", arr, indices, values)
    arr, idx, values = to_array(arr), to_array(indices), to_array(values)
    shape = arr.shape
    if axis is None:
        arr, axis = ravel(arr), 0
    if arr.ndim != idx.ndim:
        raise ValueError(with_source(f"put_along_axis arguments 'arr' and 'indices' must have same ndim. Got "
                                     f"arr.ndim={arr.ndim} and indices.ndim={idx.ndim}."))
    try:
        values = broadcast_to(values, idx.shape)
    except (ValueError, TypeError):
        raise ValueError(with_source(f"put_along_axis argument 'values' must be broadcastable to 'indices'. Got "
                                     f"values.shape={values.shape} and indices.shape={idx.shape}.")) from None
    axis = canonicalize_axis(axis, arr.ndim)
    # Along `axis` the given indices; along the others, each position's own index (broadcast).
    grid = tuple(idx if d == axis else lax.broadcasted_iota(dtypes.default_int_dtype(), idx.shape, d)
                 for d in range(arr.ndim))
    return arr.at[grid].set(values, mode=mode).reshape(shape)


def resize(a, new_shape):
    check_arraylike("resize", a)
    new_shape = _static_ints("resize", (new_shape,) if np.ndim(new_shape) == 0 else new_shape)
    if any(n < 0 for n in new_shape):
        raise ValueError(with_source("all elements of `new_shape` must be non-negative"))
    arr = ravel(a)
    new_size = math.prod(new_shape)
    if arr.size == 0 or new_size == 0:
        return zeros_like(arr, shape=new_shape)
    return reshape(tile(arr, -(-new_size // arr.size))[:new_size], new_shape)


def trim_zeros(filt, trim="fb", axis=None):
    """filt without its leading ('f') and trailing ('b') zeros along `axis` (every axis
    by default); filt must be concrete."""
    check_arraylike("trim_zeros", filt)
    values = concrete(filt, "Error arose in the `filt` argument of trim_zeros()")
    axes = set(canonicalize_axes(axis, values.ndim))
    trim = trim.lower()
    if not axes or ("f" not in trim and "b" not in trim):
        return to_array(filt)

    def bounds(ax):
        if ax not in axes:
            return slice(None)
        mask = values.any(axis=tuple(i for i in range(values.ndim) if i != ax))
        if not mask.any():
            return slice(0, 0)
        start = int(mask.argmax()) if "f" in trim else None
        stop = values.shape[ax] - int(mask[::-1].argmax()) if "b" in trim else None
        return slice(start, stop)

    return to_array(filt)[tuple(bounds(ax) for ax in range(values.ndim))]


def array_equiv(a1, a2):
    """Whether a1 and a2 are equal everywhere, broadcast together (JAX's catches only a
    ValueError, so shapes that do not broadcast raise its TypeError)."""
    a1, a2 = asarray(a1), asarray(a2)
    try:
        eq = ufuncs.equal(a1, a2)
    except ValueError:
        return array(False)
    return _all(eq)


def ravel_multi_index(multi_index, dims, mode="raise", order="C", *, dtype=None):
    if len(multi_index) != len(dims):
        raise ValueError(with_source(f"len(multi_index)={len(multi_index)} != len(dims)={len(dims)}"))
    dims = tuple(operator.index(d) for d in dims)
    check_arraylike("ravel_multi_index", *multi_index)
    multi_index = [to_array(i) for i in multi_index]
    dtype = (dtypes.result_type(int, *multi_index) if dtype is None
             else dtypes.canonicalize_dtype(dtype))
    if not dtypes.is_integer(dtype):
        raise ValueError(with_source(f"dtype={dtype!r} is not an integer type."))
    if math.prod(dims) - 1 > np.iinfo(dtype).max:
        raise ValueError(with_source(
            f"jnp.ravel_multi_index: dtype={dtype!r} not large enough to hold flattened index for dims={dims!r}. Use "
            "the dtype argument to pass a suitable dtype (e.g. dtype=np.min_scalar_type(prod(dims)))."))
    for index in multi_index:
        if mode == "raise":
            concrete(index, "The error occurred because ravel_multi_index was jit-compiled with mode='raise'. Use "
                            "mode='wrap' or mode='clip' instead.")
        if not dtypes.is_integer(index.dtype):
            raise TypeError(with_source("only int indices permitted"))
    if mode == "raise":
        if any(np.any((np.asarray(i) < 0) | (np.asarray(i) >= d)) for i, d in zip(multi_index, dims, strict=True)):
            raise ValueError(with_source("invalid entry in coordinates array"))
    elif mode == "clip":
        multi_index = [ufuncs.clip(i, 0, d - 1) for i, d in zip(multi_index, dims, strict=True)]
    elif mode == "wrap":
        multi_index = [i % d for i, d in zip(multi_index, dims, strict=True)]
    elif mode != "ignore":
        raise ValueError(with_source(f"invalid mode={mode!r}. Expected 'raise', 'wrap', 'clip', or 'ignore'."))
    if order == "F":
        strides = np.cumprod((1,) + dims[:-1])
    elif order == "C":
        strides = np.cumprod((1,) + dims[1:][::-1])[::-1]
    else:
        raise ValueError(with_source(f"invalid order={order!r}. Expected 'C' or 'F'"))
    result = array(0, dtype=dtype)
    for i, s in zip(multi_index, strides, strict=True):
        result = result + i.astype(dtype) * int(s)
    return result


def unravel_index(indices, shape):
    """The coordinates in `shape` of flat indices; out-of-bounds ones are clipped, as JAX's."""
    check_arraylike("unravel_index", indices)
    idx = to_array(indices)
    shape = list(shape) if np.ndim(shape) else [shape]
    if any(np.ndim(s) != 0 for s in shape):
        raise ValueError(with_source("unravel_index: shape should be a scalar or 1D sequence."))
    out = [0] * len(shape)
    for i, s in reversed(list(enumerate(shape))):
        idx, out[i] = ufuncs.divmod(idx, s)
    oob_pos = idx > 0
    oob_neg = asarray(False) if dtypes.is_unsigned(idx.dtype) else idx < -1
    return tuple(ufuncs.where(oob_pos, s - 1, ufuncs.where(oob_neg, 0, i)) for s, i in zip(shape, out, strict=True))


def flatnonzero(a, *, size=None, fill_value=None):
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def packbits(a, axis=None, bitorder="big"):
    """The truth of a's elements, eight to a uint8, along axis (flattened by default)."""
    check_arraylike("packbits", a)
    arr = to_array(a)
    if not (dtypes.is_integer(arr.dtype) or arr.dtype == np.bool_):
        raise TypeError(with_source("Expected an input array of integer or boolean data type"))
    if bitorder not in ("little", "big"):
        raise ValueError(with_source("'order' must be either 'little' or 'big'"))
    arr = lax.ne(arr, lax.convert_element_type(0, arr.dtype)).astype(np.uint8)
    bits = arange(8, dtype=np.uint8)
    if bitorder == "big":
        bits = bits[::-1]
    if axis is None:
        arr, axis = ravel(arr), 0
    arr = swapaxes(arr, axis, -1)
    if arr.shape[-1] % 8:
        arr = lax.pad(arr, np.uint8(0), (arr.ndim - 1) * [(0, 0, 0)] + [(0, 8 - arr.shape[-1] % 8, 0)])
    arr = arr.reshape(arr.shape[:-1] + (arr.shape[-1] // 8, 8))
    packed = (arr << reshape(bits, (1,) * (arr.ndim - 1) + (8,))).sum(-1).astype(np.uint8)
    return swapaxes(packed, axis, -1)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    check_arraylike("unpackbits", a)
    arr = to_array(a)
    if arr.dtype != np.uint8:
        raise TypeError(with_source("Expected an input array of unsigned byte data type"))
    if bitorder not in ("little", "big"):
        raise ValueError(with_source("'order' must be either 'little' or 'big'"))
    bits = asarray(1) << arange(8, dtype=np.uint8)
    if bitorder == "big":
        bits = bits[::-1]
    if axis is None:
        arr, axis = ravel(arr), 0
    arr = swapaxes(arr, axis, -1)
    unpacked = (arr[..., None] & reshape(bits, (1,) * arr.ndim + (8,)) > 0).astype(np.uint8)
    unpacked = unpacked.reshape(unpacked.shape[:-2] + (-1,))
    if count is not None:
        if count > unpacked.shape[-1]:
            unpacked = pad(unpacked, [(0, 0)] * (unpacked.ndim - 1) + [(0, count - unpacked.shape[-1])])
        else:
            unpacked = unpacked[..., :count]
    return swapaxes(unpacked, axis, -1)


def _partition_args(fn_name, a, kth, axis):
    check_arraylike(fn_name, a)
    arr = to_array(a)
    if dtypes.is_complex(arr.dtype):
        raise NotImplementedError(f"jnp.{fn_name} for complex dtype is not implemented.")
    axis = canonicalize_axis(axis, arr.ndim)
    return swapaxes(arr, axis, -1), canonicalize_axis(kth, arr.shape[axis]), axis


def partition(a, kth, axis=-1):
    """JAX's partition: the kth + 1 smallest values in ascending order, then the others
    in descending order (JAX's two top_k; here one sort, the tail reversed)."""
    arr, kth, axis = _partition_args("partition", a, kth, axis)
    ordered = lax.sort(arr)
    out = lax.concatenate([ordered[..., :kth + 1], ordered[..., kth + 1:][..., ::-1]], arr.ndim - 1)
    return swapaxes(out, -1, axis)


def argpartition(a, kth, axis=-1):
    """JAX's argpartition: the indices of the kth + 1 smallest values in ascending order
    (ties by index), then the other indices in increasing order, as its top_k gives them."""
    arr, kth, axis = _partition_args("partition", a, kth, axis)  # JAX's name
    order = argsort(arr, stable=True)
    out = lax.concatenate([order[..., :kth + 1], lax.sort(order[..., kth + 1:])], arr.ndim - 1)
    return swapaxes(out, -1, axis)


__all__ = ["argpartition", "array_equiv", "block", "choose", "compress", "delete", "diag_indices_from", "diagflat",
           "dsplit", "extract", "fill_diagonal", "flatnonzero", "hsplit", "insert", "mask_indices", "packbits",
           "partition", "place", "put", "put_along_axis", "ravel_multi_index", "resize", "rollaxis", "rot90",
           "tril_indices_from", "triu_indices_from", "trim_zeros", "unpackbits", "unravel_index", "vsplit"]
