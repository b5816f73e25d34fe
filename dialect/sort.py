"""sort: operands of one shape sorted together along one dimension.

The order is lexicographic over the first `num_keys` operands; the others follow
their keys' permutation (so argsort is sort(keys, iota)). Within one key, as in
NumPy and JAX: NaNs sort to the end and equal one another, -0.0 equals 0.0, complex
numbers order by real then imaginary part, False before True.

The lowering is a bottom-up merge sort in scf loops: O(n log n) comparisons, always
stable (a right element moves ahead of a left one only when strictly smaller), so
`is_stable` holds whatever its value. ceil(log2 n) passes, unrolled at compile time,
each merge runs of width w from one buffer into the next.
"""
from typing import Any, Sequence

from mirax.mlir import arith, complex_d, ext, tensor

from . import rules
from .base import MiraxOp, bool_, int_
from .elementwise import _compare
from .lowering import empty
from .reduction import for_each_row, for_loop, index
from .types import is_complex, is_float


class _VariadicResults(MiraxOp):
    """A base giving its ops any number of results (base.MiraxOp declares a fixed
    count); the op's type rule returns one ShapedType per result."""

    outputs: Sequence[ext.Result[Any]]


class SortOp(_VariadicResults, name="sort", variadic=True, results=0,
             params={"dimension": int_, "is_stable": bool_, "num_keys": int_}):
    """The operands, of one shape, permuted along `dimension` into the lexicographic
    order of the first `num_keys` of them."""

    @staticmethod
    def infer(*operands, dimension, is_stable, num_keys):
        if not operands:
            raise TypeError("requires at least one operand")
        if len({x.shape for x in operands}) > 1:
            raise TypeError("requires operands of one shape, got " + ", ".join(str(list(x.shape)) for x in operands))
        if not 1 <= num_keys <= len(operands):
            raise TypeError(f"num_keys must be between 1 and the number of operands ({len(operands)}), got {num_keys}")
        if not 0 <= dimension < operands[0].ndim:
            raise TypeError(f"dimension {dimension} is out of range for shape {list(operands[0].shape)}")
        return tuple(operands)


def _less(dtype, a, b):
    """a < b in the sort order: NaN after every number, complex by (real, imaginary)."""
    if is_complex(dtype):
        part = dtype.type(0).real.dtype
        ra, rb, ia, ib = complex_d.re(a), complex_d.re(b), complex_d.im(a), complex_d.im(b)
        return _lexicographic([(part, ra, rb), (part, ia, ib)])
    if is_float(dtype):
        a_number = arith.cmpf(arith.CmpFPredicate.ORD, a, a)
        b_nan = arith.cmpf(arith.CmpFPredicate.UNO, b, b)
        return arith.ori(arith.cmpf(arith.CmpFPredicate.OLT, a, b), arith.andi(a_number, b_nan))
    return _compare(dtype, a, b, "LT")


def _lexicographic(keys):
    """a < b over (dtype, a_key, b_key) triples, the first key most significant."""
    dtype, a, b = keys[0]
    less = _less(dtype, a, b)
    if len(keys) == 1:
        return less
    equal = arith.cmpi(arith.CmpIPredicate.eq, less, _less(dtype, b, a))  # neither is less
    return arith.ori(less, arith.andi(equal, _lexicographic(keys[1:])))


def _lower_sort(node, *operands):
    shape = node.in_types[0].shape
    dimension, num_keys = node.params["dimension"], node.params["num_keys"]
    n = shape[dimension]
    if n <= 1 or 0 in shape:
        return list(operands)
    dtypes = [t.dtype for t in node.in_types]

    def merge_pass(sources, width):
        """Merge each pair of sorted runs [lo, lo+w), [lo+w, lo+2w) of `sources` into new tensors."""

        def per_row(at, *dests):
            def per_run(c, *dests):
                lo = arith.muli(c, index(2 * width))
                mid = arith.minui(arith.addi(lo, index(width)), index(n))
                hi = arith.minui(arith.addi(lo, index(2 * width)), index(n))
                last_left, last_right = arith.subi(mid, index(1)), arith.subi(hi, index(1))

                def per_element(k, i, j, *dests):
                    # Read within bounds; a run that is used up is never taken.
                    left = [tensor.extract(s, at(arith.minui(i, last_left))) for s in sources]
                    right = [tensor.extract(s, at(arith.minui(j, last_right))) for s in sources]
                    right_less = _lexicographic(list(zip(dtypes, right, left, strict=True))[:num_keys])
                    left_done = arith.cmpi(arith.CmpIPredicate.uge, i, mid)
                    right_open = arith.cmpi(arith.CmpIPredicate.ult, j, hi)
                    take_right = arith.andi(right_open, arith.ori(left_done, right_less))
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
