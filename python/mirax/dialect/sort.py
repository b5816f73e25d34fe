"""sort: a key and values of its shape, permuted together into the key's order along
one dimension (so argsort is sort(keys, iota)).

The order is NumPy's and JAX's: NaNs sort to the end and equal one another, -0.0
equals 0.0, complex numbers order by real then imaginary part, False before True.

Operands are (key, *values), results (sorted key, *sorted values). The values share
one dtype: the IRDL verifier gives every value of a variadic group one type. A sort
by several keys or of values of several dtypes is several of these ops (lax.sort),
which agree because the sort is stable.

The lowering is a bottom-up merge sort in scf loops: O(n log n) comparisons, and
stable whatever `is_stable` says (a right element moves ahead of a left one only
when strictly less). Its ceil(log2 n) passes are unrolled at compile time; pass w
merges runs of width w of every row from one set of tensors into the next.
"""
from typing import Any, Sequence

import numpy as np

from mirax.mlir import arith, complex_d, ext, tensor

from . import ops, rules
from .base import MiraxOp, bool_, int_
from .batching import batch_along
from .lowering import empty, for_each_row, for_loop, index
from .scalar import compare
from .types import ShapedType, is_complex, is_float
from .values import type_of, zeros


class _KeyAndValues(MiraxOp):
    """Operand and result fields ahead of SortOp's own variadic group of values:
    (key, *values) -> (sorted key, *sorted values)."""

    key: ext.Operand[Any]
    sorted_key: ext.Result[Any]
    sorted_values: Sequence[ext.Result[Any]]


class SortOp(_KeyAndValues, name="sort", variadic=True, results=0,
             params={"dimension": int_, "is_stable": bool_}):
    """(key, *values) permuted along `dimension` into the order of key; the values
    have key's shape and share one dtype."""

    @staticmethod
    def infer(key, *values, dimension, is_stable):
        if any(v.shape != key.shape for v in values):
            raise TypeError("requires values of the key's shape, got " +
                            ", ".join(str(list(x.shape)) for x in (key, *values)))
        if len({v.dtype for v in values}) > 1:
            raise TypeError("requires values of one dtype, got " + ", ".join(v.dtype.name for v in values))
        if not 0 <= dimension < key.ndim:
            raise TypeError(f"dimension {dimension} is out of range for shape {list(key.shape)}")
        return (key, *values)


def _less(dtype, a, b):
    """a < b in the sort order."""
    if is_complex(dtype):
        part = dtype.type(0).real.dtype
        re_a, re_b = complex_d.re(a), complex_d.re(b)
        re_less, re_greater = _less(part, re_a, re_b), _less(part, re_b, re_a)
        re_equal = arith.cmpi(arith.CmpIPredicate.eq, re_less, re_greater)  # neither is less
        return arith.ori(re_less, arith.andi(re_equal, _less(part, complex_d.im(a), complex_d.im(b))))
    if is_float(dtype):
        a_number = arith.cmpf(arith.CmpFPredicate.ORD, a, a)
        b_nan = arith.cmpf(arith.CmpFPredicate.UNO, b, b)
        return arith.ori(arith.cmpf(arith.CmpFPredicate.OLT, a, b), arith.andi(a_number, b_nan))
    return compare(dtype, a, b, "LT")


def _lower_sort(node, *operands):
    shape, key_dtype = node.in_types[0]
    dimension = node.params["dimension"]
    n = shape[dimension]
    if n <= 1 or 0 in shape:
        return list(operands)

    def merge_pass(sources, width):
        """Each pair of sorted runs [lo, lo+w), [lo+w, lo+2w) of every row, merged into new tensors."""

        def per_row(at, *dests):
            def per_run(c, *dests):
                lo = arith.muli(c, index(2 * width))
                mid = arith.minui(arith.addi(lo, index(width)), index(n))
                hi = arith.minui(arith.addi(lo, index(2 * width)), index(n))
                last_left, last_right = arith.subi(mid, index(1)), arith.subi(hi, index(1))

                def per_element(k, i, j, *dests):
                    # Reads stay in bounds; a run that is used up is never taken.
                    left = [tensor.extract(s, at(arith.minui(i, last_left))) for s in sources]
                    right = [tensor.extract(s, at(arith.minui(j, last_right))) for s in sources]
                    left_done = arith.cmpi(arith.CmpIPredicate.uge, i, mid)
                    right_open = arith.cmpi(arith.CmpIPredicate.ult, j, hi)
                    take_right = arith.andi(right_open, arith.ori(left_done, _less(key_dtype, right[0], left[0])))
                    dests = [tensor.insert(arith.select(take_right, r, l), dest, at(k))
                             for l, r, dest in zip(left, right, dests, strict=True)]
                    step = arith.select(take_right, index(1), index(0))
                    return [arith.subi(arith.addi(i, index(1)), step), arith.addi(j, step), *dests]

                return for_loop(lo, hi, [lo, mid, *dests], per_element)[2:]

            runs = -(-n // (2 * width))
            return for_loop(index(0), index(runs), dests, per_run)

        return for_each_row(shape, dimension, [empty(t) for t in node.in_types], per_row)

    values, width = list(operands), 1
    while width < n:
        values, width = merge_pass(values, width), 2 * width
    return values


rules.lowering[SortOp.OPERATION_NAME] = _lower_sort

rules.batching[SortOp.OPERATION_NAME] = batch_along(SortOp, "dimension")


def _sort_jvp(node, primals, tangents):
    """Each tangent permuted as its operand is: the permutation is the sort of an iota
    by the same key (stable, so ties keep their order), applied with a gather."""
    results = ops.sort(*primals, **node.params)
    if all(t is None for t in tangents):
        return results, [None] * len(results)
    shaped, dimension = type_of(primals[0]), node.params["dimension"]
    iota = ops.iota(dtype=np.dtype(np.int32), shape=shaped.shape, dimension=dimension)
    _, permutation = ops.sort(primals[0], iota, **node.params)
    indices = ops.reshape(permutation, new_sizes=shaped.shape + (1,))
    others = tuple(d for d in range(shaped.ndim) if d != dimension)

    def permuted(t):
        return ops.gather(t, indices, zeros(ShapedType((), type_of(t).dtype)), offset_dims=(),
                          collapsed_slice_dims=(dimension,), start_index_map=(dimension,), operand_batching_dims=others,
                          start_indices_batching_dims=others, slice_sizes=(1,) * shaped.ndim, mode="clip")

    return results, [None if t is None else permuted(t) for t in tangents]


rules.jvp[SortOp.OPERATION_NAME] = _sort_jvp
