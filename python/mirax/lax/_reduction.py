"""lax's reductions, argmax/argmin, cumulative ops and sort over the dialect's ops.

Axes are taken as given: like XLA (and jax.lax), the ops reject negative axes,
except sort's `dimension`, which jax.lax.sort normalizes.
"""
from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect import reduction as ops
from mirax.dialect.sort import SortOp


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


__all__ = [
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or", "argmax", "argmin",
    "cumsum", "cumprod", "cummax", "cummin", "sort", "sort_key_val",
]
