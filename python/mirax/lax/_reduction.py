"""lax's reductions, argmax/argmin, cumulative ops and sort over the dialect's ops.

Axes are taken as given: like XLA (and jax.lax), the ops reject negative axes,
except sort's `dimension`, which jax.lax.sort normalizes.
"""
import math
import operator

import numpy as np

from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect import reduction as ops
from mirax.dialect.sort import SortOp

from ._elementwise import neg
from ._shape import _axis, broadcasted_iota, rev, slice_in_dim


def _reducer(op_cls):
    def fn(operand, axes):
        (out,) = bind(op_cls, to_array(operand), axes=tuple(int(a) for a in axes))
        return out

    fn.__name__ = op_cls.OPERATION_NAME.split(".")[1]
    return fn


reduce_sum = _reducer(ops.ReduceSumOp)
reduce_prod = _reducer(ops.ReduceProdOp)
reduce_max = _reducer(ops.ReduceMaxOp)
reduce_min = _reducer(ops.ReduceMinOp)
reduce_and = _reducer(ops.ReduceAndOp)
reduce_or = _reducer(ops.ReduceOrOp)


def _arg(op_cls):
    def fn(operand, axis, index_dtype):
        (out,) = bind(op_cls, to_array(operand), axes=(int(axis),),
                      index_dtype=dtypes.canonicalize_dtype(index_dtype), weak_type=False)
        return out

    fn.__name__ = op_cls.OPERATION_NAME.split(".")[1]
    return fn


argmax = _arg(ops.ArgmaxOp)
argmin = _arg(ops.ArgminOp)


def _cumulative(op_cls):
    def fn(operand, axis=0, reverse=False):
        (out,) = bind(op_cls, to_array(operand), axis=int(axis), reverse=bool(reverse))
        return out

    fn.__name__ = op_cls.OPERATION_NAME.split(".")[1]
    return fn


cumsum = _cumulative(ops.CumsumOp)
cumprod = _cumulative(ops.CumprodOp)
cummax = _cumulative(ops.CummaxOp)
cummin = _cumulative(ops.CumminOp)


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sorts `operand` along `dimension`; a sequence of arrays is sorted together,
    in the lexicographic order of its first `num_keys` arrays (NaNs last)."""
    single = not isinstance(operand, (list, tuple))
    arrays = [to_array(x) for x in ([operand] if single else operand)]
    if not 1 <= num_keys <= len(arrays):
        raise ValueError(with_source(f"num_keys={num_keys} must be between 1 and the number of operands "
                                     f"({len(arrays)})"))
    ndim = arrays[0].aval.ndim
    dimension = int(dimension) + ndim if -ndim <= dimension < 0 else int(dimension)
    # Stable sorts by each key, the least significant first, give the lexicographic order.
    for k in reversed(range(num_keys)):
        arrays = _sort_by(arrays, k, dimension, is_stable or num_keys > 1)
    return arrays[0] if single else tuple(arrays)


def _sort_by(arrays, k, dimension, is_stable):
    """`arrays` permuted into the order of arrays[k]: one sort op per dtype among the
    others (an op's values share one dtype), each permuting them the same way."""
    by_dtype = {}
    for i, x in enumerate(arrays):
        if i != k:
            by_dtype.setdefault(x.aval.dtype, []).append(i)
    out = list(arrays)
    for positions in list(by_dtype.values()) or [[]]:
        out[k], *values = bind(SortOp, arrays[k], *(arrays[i] for i in positions), dimension=dimension,
                               is_stable=bool(is_stable))
        for i, value in zip(positions, values, strict=True):
            out[i] = value
    return out


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """`keys` sorted along `dimension`, and `values` permuted the same way."""
    return sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)


def _sorted_with_positions(operand, axis, descending):
    """operand sorted along `axis` (descending: NaNs first, else last) and the positions
    the values came from, ties in position order: a stable sort of (value, position),
    or of (value, -position) reversed."""
    positions = broadcasted_iota(np.int32, operand.aval.shape, axis)
    if not descending:
        return sort((operand, positions), dimension=axis, num_keys=2)
    values, negated = sort((operand, neg(positions)), dimension=axis, num_keys=2)
    return rev(values, (axis,)), neg(rev(negated, (axis,)))


def top_k(operand, k, *, axis=-1):
    """The k largest values along `axis` in descending order (NaNs largest; ties in
    position order), and their positions as int32 (jax.lax.top_k)."""
    operand, k = to_array(operand), operator.index(k)
    if k < 0:
        raise ValueError(with_source(f"k argument to top_k must be nonnegative, got {k}"))
    shape = operand.aval.shape
    axis = _axis(axis, len(shape))
    if k > shape[axis]:
        raise ValueError(with_source(f"k argument to top_k must be no larger than size along axis; got k={k} with "
                                     f"shape={list(shape)} and axis={axis}"))
    return [slice_in_dim(x, 0, k, axis=axis) for x in _sorted_with_positions(operand, axis, descending=True)]


def _approx_output_size(size, rank, k, recall_target, aggregate_to_topk, size_override):
    """XLA's ApproxTopKReductionOutputSize: k, or how many elements the approximate
    reduction keeps along the reduced dimension."""
    if aggregate_to_topk:
        return k
    tiling = 1024 if rank == 1 else 128
    if size <= tiling:
        return size
    if 0 <= size_override < size:
        raise ValueError(with_source(f"reduction_input_size_override: {size_override} should be greater equals to "
                                     f"operands[reduction_dim]: {size}"))
    logical = size_override if size_override >= 0 else size
    chunks = -(-size // tiling)
    if k == 1:
        return tiling
    windows = min(max(int((1.0 - k) / math.log(recall_target)), tiling), size)
    log2_reduction = (logical // windows).bit_length() - 1 if logical // windows else 0
    if log2_reduction == 0:
        return size
    log2_reduction = min(log2_reduction, (size // tiling - 1).bit_length() if size // tiling else 0)
    return -(-chunks // (1 << log2_reduction)) * tiling


def _approx_k(is_max_k):
    def fn(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
           aggregate_to_topk=True):
        operand, k = to_array(operand), operator.index(k)
        shape = operand.aval.shape
        if k <= 0:
            raise ValueError(with_source(f"k must be positive, got {k}"))
        if not shape:
            raise TypeError(with_source(f"approx_top_k operand must have >= 1 dimension, got {shape}"))
        axis = _axis(reduction_dimension, len(shape))
        if shape[axis] < k:
            raise ValueError(with_source(f"k must be smaller than the size of reduction_dim {shape[axis]}, got {k}"))
        if not dtypes.is_float(operand.aval.dtype):
            raise ValueError(with_source("operand must be a floating type"))
        size = _approx_output_size(shape[axis], len(shape), k, recall_target, aggregate_to_topk,
                                   reduction_input_size_override)
        return [slice_in_dim(x, 0, size, axis=axis) for x in _sorted_with_positions(operand, axis, is_max_k)]

    fn.__name__ = "approx_max_k" if is_max_k else "approx_min_k"
    fn.__doc__ = (f"The {'largest' if is_max_k else 'smallest'} k values along reduction_dimension and their "
                  f"positions (jax.lax.{fn.__name__}): exact on the CPU, as XLA's fallback (a sort); with "
                  f"aggregate_to_topk=False, as many of them as XLA's approximate reduction keeps.")
    return fn


approx_max_k = _approx_k(True)
approx_min_k = _approx_k(False)


__all__ = [
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or", "argmax", "argmin",
    "cumsum", "cumprod", "cummax", "cummin", "sort", "sort_key_val", "top_k", "approx_max_k", "approx_min_k",
]
