"""Set operations by JAX's algorithms: unique (and the array API's unique_*), isin,
union1d, intersect1d, setdiff1d, setxor1d. Without `size` the result's length depends
on the values, which must then be concrete (eager); with `size` they trace, padded
with fill_value."""
import math
import operator
from typing import NamedTuple

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array, with_source

from . import _ufuncs as ufuncs
from ._concrete import concrete
from ._creation import arange, asarray, full, full_like, ones, zeros
from ._indexing import nonzero
from ._reductions import any as _any, cumsum, diff
from ._shape import append, concatenate, moveaxis, ravel
from ._sorting import lexsort, searchsorted, sort
from ._util import canonicalize_axis, check_arraylike, promote_dtypes

UNIQUE_SIZE_HINT = ("To make jnp.unique() compatible with JIT and other transforms, you can specify a concrete value "
                    "for the size argument, which will determine the output size.")


def _in1d(ar1, ar2, invert, method="auto", assume_unique=False):
    check_arraylike("in1d", ar1, ar2)
    arr1, arr2 = (ravel(x) for x in promote_dtypes(ar1, ar2))
    if arr1.size == 0 or arr2.size == 0:
        return (ones if invert else zeros)(arr1.shape, dtype=bool)
    if method in ("auto", "compare_all"):
        if invert:
            return (arr1[:, None] != arr2[None, :]).all(-1)
        return (arr1[:, None] == arr2[None, :]).any(-1)
    if method == "binary_search":
        arr2 = lax.sort(arr2)
        ind = searchsorted(arr2, arr1)
        return arr1 != arr2[ind] if invert else arr1 == arr2[ind]
    if method == "sort":
        if assume_unique:
            ind_out = slice(None)
        else:
            arr1, ind_out = unique(arr1, size=arr1.size, return_inverse=True, fill_value=arr2.max())
        aux, ind = lax.sort((concatenate([arr1, arr2]), arange(arr1.size + arr2.size)), num_keys=1)
        if invert:
            return ones(arr1.shape, bool).at[ind[:-1]].set(aux[1:] != aux[:-1], mode="drop")[ind_out]
        return zeros(arr1.shape, bool).at[ind[:-1]].set(aux[1:] == aux[:-1], mode="drop")[ind_out]
    raise ValueError(with_source(f"method={method!r} is not implemented; options are 'compare_all', 'binary_search', "
                                 "'sort', and 'auto'"))


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    check_arraylike("isin", element, test_elements)
    return _in1d(element, test_elements, invert, method, assume_unique).reshape(np.shape(element))


def _unique_sorted_mask(ar, axis, equal_nan):
    """The slices of ar along axis sorted (lexicographically), the mask of those that
    differ from their predecessor, and the sorting permutation."""
    aux = moveaxis(ar, axis, 0)
    if dtypes.is_complex(aux.dtype):
        aux = ufuncs.where(ufuncs.isnan(aux), ufuncs._const(aux, np.nan), aux)
    size, *out_shape = aux.shape
    if math.prod(out_shape) == 0:
        size, perm = 1, zeros(1, dtype=dtypes.default_int_dtype())
    else:
        perm = lexsort(aux.reshape(size, math.prod(out_shape)).T[::-1])
    aux = aux[perm]
    if aux.size:
        if equal_nan and (dtypes.is_float(aux.dtype) or dtypes.is_complex(aux.dtype)):
            def neq(x, y):
                return lax.ne(x, y) & ~(ufuncs.isnan(x) & ufuncs.isnan(y))
        else:
            neq = lax.ne
        mask = ones(size, dtype=bool).at[1:].set(_any(neq(aux[1:], aux[:-1]), tuple(range(1, aux.ndim))))
    else:
        mask = zeros(size, dtype=bool)
    return aux, mask, perm


def _unique(ar, axis, return_index=False, return_inverse=False, return_counts=False, equal_nan=True, size=None,
            fill_value=None, return_true_size=False):
    int_ = dtypes.default_int_dtype()
    axis = canonicalize_axis(axis, ar.ndim)
    if ar.shape[axis] == 0 and size and fill_value is None:
        raise ValueError(with_source("jnp.unique: for zero-sized input with nonzero size argument, fill_value must be "
                                     "specified"))
    aux, mask, perm = _unique_sorted_mask(ar, axis, equal_nan)
    if size is None:
        ind = to_array(np.nonzero(concrete(mask, "The error arose in jnp.unique(). " + UNIQUE_SIZE_HINT))[0]
                       .astype(int_))
    else:
        ind = nonzero(mask, size=size)[0]
    result = aux[ind] if aux.size else aux
    if size is not None and fill_value is not None:
        fill_value = asarray(fill_value).astype(result.dtype)
        if result.shape[0]:
            valid = lax.expand_dims(arange(size) < mask.sum(), tuple(range(1, result.ndim)))
            result = ufuncs.where(valid, result, fill_value)
        else:
            result = full_like(result, fill_value, shape=(size, *result.shape[1:]))
    ret = (moveaxis(result, 0, axis),)
    if return_index:
        ret += (perm[ind] if aux.size else perm,)
    if return_inverse:
        if aux.size:
            inv_idx = zeros(mask.shape, dtype=int_).at[perm].set(cumsum(mask) - 1)
        else:
            inv_idx = zeros(ar.shape[axis], dtype=int_)
        ret += (inv_idx,)
    if return_counts:
        if aux.size:
            if size is None:
                idx = append(ind, mask.size)
            else:
                idx = nonzero(mask, size=size + 1)[0]
                idx = idx.at[1:].set(ufuncs.where(idx[1:], idx[1:], mask.size))
            ret += (diff(idx),)
        elif ar.shape[axis]:
            ret += (full((1,), ar.shape[axis], dtype=int_),)
        else:
            ret += (zeros(0, dtype=int_),)
    if return_true_size:
        ret += (mask.sum(),)
    return ret[0] if len(ret) == 1 else ret


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True,
           size=None, fill_value=None, sorted=True):  # noqa: A002
    """The sorted unique elements (or slices along `axis`) of ar, with the indices of
    their first occurrences, the inverse indices and the counts when asked."""
    check_arraylike("unique", ar)
    if not sorted:
        raise NotImplementedError("jnp.unique: sorted=False is not supported")
    arr = to_array(ar)
    if size is None:
        arr = to_array(concrete(arr, "The error arose for the first argument of jnp.unique(). " + UNIQUE_SIZE_HINT))
    else:
        size = operator.index(size)
    shape = arr.shape
    if axis is None:
        axis_int, arr = 0, ravel(arr)
    else:
        axis_int = canonicalize_axis(axis, arr.ndim)
    result = _unique(arr, axis_int, return_index, return_inverse, return_counts, equal_nan=equal_nan, size=size,
                     fill_value=fill_value)
    if return_inverse and axis is None:
        i = 2 if return_index else 1
        result = (*result[:i], result[i].reshape(shape), *result[i + 1:])
    return result


class _UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class _UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class _UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_all", x)
    return _UniqueAllResult(*unique(x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False,
                                    size=size, fill_value=fill_value))


def unique_counts(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_counts", x)
    return _UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_inverse", x)
    return _UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_values(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_values", x)
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def _concrete_or_size(fn_name, size, *arrays):
    if size is None:
        for x in arrays:
            concrete(x, f"The error arose in {fn_name}()")
        return None
    return operator.index(size)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    check_arraylike("union1d", ar1, ar2)
    size = _concrete_or_size("union1d", size, ar1, ar2)
    return unique(concatenate((ar1, ar2), axis=None), size=size, fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The unique values of ar1 not in ar2."""
    check_arraylike("setdiff1d", ar1, ar2)
    arr1, arr2 = ravel(ar1), ravel(ar2)
    size = _concrete_or_size("setdiff1d", size, ar1)
    fill_value = full_like(arr1, fill_value=0 if fill_value is None else fill_value, shape=())
    if arr1.size == 0:
        return full_like(arr1, fill_value, shape=size or 0)
    if not assume_unique:
        arr1 = unique(arr1, size=size and arr1.size)
    mask = _in1d(arr1, arr2, invert=True, assume_unique=assume_unique)
    if size is None:
        return arr1[to_array(np.nonzero(np.asarray(mask))[0])]
    if not assume_unique:
        # unique padded arr1 with copies of its first value: those are not results.
        n_unique = arr1.size + 1 - (arr1 == arr1[0]).sum()
        mask = ufuncs.where(arange(arr1.size) < n_unique, mask, False)
    return ufuncs.where(arange(size) < mask.sum(), arr1[nonzero(mask, size=size)[0]], fill_value)


def _padded_results(aux, aux_mask, size, fill_value):
    """The entries of aux where aux_mask is true, `size` of them, then fill_value (the
    results' maximum, then minimum, when None)."""
    num_results = aux_mask.sum()
    if aux.size:
        indices = nonzero(aux_mask, size=size, fill_value=aux.size)[0]
        vals = aux.at[indices].get(mode="fill", fill_value=0)
    else:
        indices, vals = arange(0), zeros(size, aux.dtype)
    valid = arange(vals.size) < num_results
    if fill_value is None:
        vals = ufuncs.where(valid, vals, vals.max())
        return ufuncs.where(valid, vals, vals.min()), indices, num_results
    return ufuncs.where(valid, vals, fill_value), indices, num_results


def _concat_unique(arr1, arr2):
    arr1, num_unique1 = _unique(arr1, axis=0, size=arr1.size, return_true_size=True)
    arr2, num_unique2 = _unique(arr2, axis=0, size=arr2.size, return_true_size=True)
    arr = zeros(arr1.size + arr2.size, dtype=dtypes.result_type(arr1, arr2))
    arr = lax.dynamic_update_slice(arr, arr1, (0,))
    arr = lax.dynamic_update_slice(arr, arr2, (num_unique1,))
    return arr, num_unique1 + num_unique2


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The unique values in exactly one of ar1 and ar2."""
    check_arraylike("setxor1d", ar1, ar2)
    arr1, arr2 = promote_dtypes(ravel(ar1), ravel(ar2))
    if size is not None:
        size = operator.index(size)
        if assume_unique:
            aux = sort(concatenate([arr1, arr2]))
            flag = concatenate((asarray(bool(aux.size)), aux[1:] != aux[:-1], asarray(True)), axis=None)
        else:
            arr, num_unique = _concat_unique(arr1, arr2)
            mask = arange(arr.size + 1) < num_unique + 1
            _, aux = lax.sort((~mask[1:], arr), is_stable=True, num_keys=2)
            flag = mask & concatenate((asarray(bool(aux.size)), aux[1:] != aux[:-1], asarray(False)),
                                      axis=None).at[num_unique].set(True)
        return _padded_results(aux, flag[1:] & flag[:-1], size, fill_value)[0]
    if not assume_unique:
        arr1, arr2 = unique(arr1), unique(arr2)
    aux = concatenate((arr1, arr2))
    if aux.size == 0:
        return aux
    aux = np.sort(concrete(aux, "The error arose in setxor1d()"))
    flag = np.concatenate(([True], aux[1:] != aux[:-1], [True]))
    return to_array(aux[flag[1:] & flag[:-1]])


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """The unique values in both ar1 and ar2, with the indices of their first
    occurrences in each when return_indices."""
    check_arraylike("intersect1d", ar1, ar2)
    arr1, arr2 = (ravel(x) for x in promote_dtypes(ar1, ar2))
    int_ = dtypes.default_int_dtype()
    if size is not None:
        return _intersect1d_size(arr1, arr2, fill_value, assume_unique, operator.index(size), return_indices)
    ind1 = ind2 = arange(0)
    if not assume_unique:
        if return_indices:
            arr1, ind1 = unique(arr1, return_index=True)
            arr2, ind2 = unique(arr2, return_index=True)
        else:
            arr1, arr2 = unique(arr1), unique(arr2)
    arr = concatenate((arr1, arr2))
    aux, aux_sort_indices = lax.sort((arr, lax.iota(int_, arr.size)), num_keys=1)
    mask = to_array(np.nonzero(concrete(aux[1:] == aux[:-1], "The error arose in intersect1d()"))[0].astype(int_))
    int1d = aux[:-1][mask]
    if not return_indices:
        return int1d
    arr1_indices = aux_sort_indices[:-1][mask]
    arr2_indices = aux_sort_indices[1:][mask] - arr1.size
    if not assume_unique:
        arr1_indices, arr2_indices = ind1[arr1_indices], ind2[arr2_indices]
    return int1d, arr1_indices, arr2_indices


def _intersect1d_size(arr1, arr2, fill_value, assume_unique, size, return_indices):
    if assume_unique:
        ind1, num_unique1 = arange(arr1.size), full((), arr1.size)
        ind2 = arange(arr2.size)
        arr = concatenate([arr1, arr2])
        aux, aux_sort_indices = lax.sort((arr, arange(arr.size)), is_stable=True, num_keys=1)
        mask = ones(arr.size, dtype=bool)
    else:
        arr1, ind1, num_unique1 = _unique(arr1, 0, size=arr1.size, return_index=True, return_true_size=True,
                                          fill_value=0)
        arr2, ind2, num_unique2 = _unique(arr2, 0, size=arr2.size, return_index=True, return_true_size=True,
                                          fill_value=0)
        arr = zeros(arr1.size + arr2.size, dtype=dtypes.result_type(arr1, arr2))
        arr = lax.dynamic_update_slice(arr, arr1, (0,))
        arr = lax.dynamic_update_slice(arr, arr2, (num_unique1,))
        mask = arange(arr.size) < num_unique1 + num_unique2
        _, aux, aux_sort_indices = lax.sort((~mask, arr, arange(arr.size)), is_stable=True, num_keys=2)
    vals, val_indices, num_results = _padded_results(aux, (aux[1:] == aux[:-1]) & mask[1:], size, fill_value)
    if not return_indices:
        return vals
    valid = arange(val_indices.size) < num_results
    arr1_indices = aux_sort_indices.at[val_indices].get(mode="fill", fill_value=arr1.size)
    arr1_indices = ufuncs.where(valid, arr1_indices, arr1.size)
    arr2_indices = aux_sort_indices.at[val_indices + 1].get(mode="fill", fill_value=arr2.size) - num_unique1
    arr2_indices = ufuncs.where(valid, arr2_indices, arr2.size)
    if not assume_unique:
        arr1_indices = ind1.at[arr1_indices].get(mode="fill", fill_value=ind1.size)
        arr2_indices = ind2.at[arr2_indices].get(mode="fill", fill_value=ind2.size)
    return vals, arr1_indices, arr2_indices


__all__ = ["intersect1d", "isin", "setdiff1d", "setxor1d", "union1d", "unique", "unique_all", "unique_counts",
           "unique_inverse", "unique_values"]
