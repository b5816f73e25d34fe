"""Reductions: reduce_* over axes, argmax/argmin, and the cumulative (scan) ops.

A reduce_* op folds the elements along `axes` with its binary op (the elementwise
scalar rule of add, mul, max, min, and, or), starting from that op's identity. It
lowers to a linalg.generic with reduction iterators over a linalg.fill'ed init;
float sums and products to a tree of such generics (tree_reduce), so that rounding
errors grow like log n. Float max/min propagate NaN, as XLA's. argmax/argmin are the
same kind of generic, carrying the best value and its index. The cumulative ops are
scalar scf loops, by blocks for float sums and products. Half-precision floats
accumulate in f32 and round once at the end, so long sums do not stall at 2048
(JAX's results agree).

Axes are non-negative, as in XLA; the helpers at the top (accumulation, tree_reduce) serve
dot.py too.
"""
import numpy as np

from mirax.mlir import arith, ir, linalg, tensor

from . import ops, rules, scalar
from .base import MiraxOp, bool_, dtype_, int_, ints
from .batching import batch_along, shifted
from .elementwise import MaxOp, MinOp, MulOp
from .jvp import defjvp_rule, deflinear2, defzero
from .ops import build
from .scalar import INTEGRAL, NUMBER, ORDERED, compare, convert_scalar
from .lowering import (PARALLEL, REDUCTION, constant, elementwise, empty, filled, for_each_row, for_loop, generic,
                       identity_map, index, scalar_type, slice_along)
from .types import ShapedType, is_bool, is_complex, is_float, is_integer
from .values import type_of, zeros

# ----------------------------------------------------------------------------- helpers shared by the families


def accumulator_dtype(dtype):
    """The dtype a reduction accumulates in: f32 for half-precision floats, else the dtype."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if is_float(dtype) and dtype.itemsize == 2 else dtype


def convert_tensor(value, shaped, dtype):
    """`value`, a tensor of ShapedType `shaped`, converted elementwise to `dtype`."""
    if shaped.dtype == np.dtype(dtype):
        return value
    (out,) = elementwise([ShapedType(shaped.shape, np.dtype(dtype))], [value],
                         lambda v: convert_scalar(shaped.dtype, dtype, v))
    return out


def check_kind(x, allowed, name):
    if scalar.kind(x.dtype) not in allowed:
        raise TypeError(f"{name} does not accept {x.dtype.name} operands (it takes {', '.join(allowed)})")


def check_axes(x, axes):
    """`axes` must be distinct dimensions of `x`, given as non-negative numbers (as in XLA)."""
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise TypeError(f"axes {list(axes)} must be distinct dimensions in [0, {x.ndim}) of shape {list(x.shape)}")


def _drop(shape, axes):
    return tuple(s for d, s in enumerate(shape) if d not in axes)


def _reduction_maps(rank, axes, num_outputs):
    """The input's identity map, then a map dropping `axes` per output, and the iterators."""
    kept = ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(d) for d in range(rank) if d not in axes])
    iterators = [REDUCTION if d in axes else PARALLEL for d in range(rank)]
    return [identity_map(rank)] + [kept] * num_outputs, iterators


# ----------------------------------------------------------------------------- reduce_*


def _lowest(dtype):
    if is_float(dtype) or is_complex(dtype):  # complex: -inf + 0j, JAX's identity
        return -np.inf
    return False if is_bool(dtype) else np.iinfo(dtype).min


def _highest(dtype):
    if is_float(dtype) or is_complex(dtype):
        return np.inf
    return True if is_bool(dtype) else np.iinfo(dtype).max


def _zero(dtype):
    return 0


def _one(dtype):
    return 1


def _all_ones(dtype):
    return True if is_bool(dtype) else -1


def _reduce_infer(name, kinds):
    def infer(x, axes):
        check_kind(x, kinds, f"reduce_{name}")
        check_axes(x, axes)
        return ShapedType(_drop(x.shape, axes), x.dtype)

    return staticmethod(infer)


def _reduce(x, x_type, axes, acc, combine, identity, reassociate=False):
    """One linalg.generic folding `x` (of ShapedType `x_type`, read as dtype `acc`)
    over `axes` in order; with `reassociate`, LLVM may reorder the float combines
    (vector accumulators). Returns the result and its ShapedType."""
    out = ShapedType(_drop(x_type.shape, axes), acc)
    maps, iterators = _reduction_maps(x_type.ndim, axes, 1)

    def body(v, total):
        return [combined(acc, total, convert_scalar(x_type.dtype, acc, v), combine, reassociate)]

    (result,) = generic([out], [x], maps, body, iterators, inits=[filled(out, identity(acc))])
    return result, out


def combined(acc, total, v, combine, reassociate):
    """combine(acc, total, v), which LLVM may reassociate (a float one) if `reassociate`."""
    result = combine(acc, total, v)
    if reassociate:
        result.owner.attributes["fastmath"] = ir.Attribute.parse("#arith.fastmath<reassoc>")
    return result


# Float sums and products are trees, so that their rounding error grows like log n
# rather than n (a single f32 accumulator stops growing at 2^24), as XLA's reduce-
# window rewrite: an axis is cut into windows, each window folded on its own, and the
# windows' results folded the same way until one window is left. A contiguous axis
# (nothing but unit dimensions after it) has windows of 128 that LLVM vectorizes into
# vector accumulators (reassociation within a window: 4-8 elements per accumulator);
# any other axis has windows of 32 folded in order, vectorized across the dimensions
# after it. The last levels, too few elements to vectorize, fold windows of 4 to 16;
# up to 16 elements are folded in order.
ROW_WINDOW = 128
COLUMN_WINDOW = 32
LAST_WINDOW = 16


def _window(n, largest, smallest):
    """The largest window from `largest` down to `smallest` that divides `n` (no tail),
    else `largest`."""
    return next((w for w in range(largest, smallest - 1, -1) if n % w == 0), largest)


def _fold_windows(x, x_type, axis, window, acc, combine, identity, reassociate):
    """`x` folded over each whole window of `axis`: that dimension becomes the number of
    windows. The generic reads `x` through the map i -> window * g + w, not through a
    reshape, so that an elementwise producer fuses into it (a reshape stops fusion
    when the producer broadcasts); an unread (window,) operand gives the w loop its
    bound."""
    windows = x_type.shape[axis] // window
    rank = x_type.ndim + 1
    dims = [ir.AffineDimExpr.get(d) for d in range(rank)]
    position = dims[axis] * window + dims[axis + 1]
    read = ir.AffineMap.get(rank, 0, dims[:axis] + [position] + dims[axis + 2:])
    bound = ir.AffineMap.get(rank, 0, [dims[axis + 1]])
    kept = ir.AffineMap.get(rank, 0, dims[:axis + 1] + dims[axis + 2:])
    out = ShapedType(x_type.shape[:axis] + (windows,) + x_type.shape[axis + 1:], acc)
    iterators = [REDUCTION if d == axis + 1 else PARALLEL for d in range(rank)]

    def body(v, _, total):
        return [combined(acc, total, convert_scalar(x_type.dtype, acc, v), combine, reassociate)]

    unread = empty(ShapedType((window,), np.dtype(np.int8)))
    (result,) = generic([out], [x, unread], [read, bound, kept], body, iterators, inits=[filled(out, identity(acc))])
    return result, out


def _tree_reduce_axis(x, x_type, axis, acc, combine, identity):
    contiguous = all(s == 1 for s in x_type.shape[axis + 1:])
    reassociate = contiguous and is_float(acc)
    n = x_type.shape[axis]
    if n <= LAST_WINDOW:
        return _reduce(x, x_type, (axis,), acc, combine, identity, reassociate)
    largest = ROW_WINDOW if contiguous else COLUMN_WINDOW
    window = _window(n, largest, 8) if n > largest else _window(n, LAST_WINDOW, 4)
    partial, partial_type = _fold_windows(x, x_type, axis, window, acc, combine, identity, reassociate)
    result, result_type = _tree_reduce_axis(partial, partial_type, axis, acc, combine, identity)
    whole = n // window * window
    if whole < n:  # the tail, shorter than a window
        tail, _ = _reduce(slice_along(x, x_type, axis, whole, n), x_type, (axis,), acc, combine, identity, reassociate)
        (result,) = elementwise([result_type], [result, tail], lambda a, b: combine(acc, a, b))
    return result, result_type


def tree_reduce(x, x_type, axes, acc, combine, identity):
    """`x` folded over `axes` as a tree (see above), one axis at a time from the last;
    in one generic when they hold a window's worth of elements or fewer."""
    if int(np.prod([x_type.shape[a] for a in axes], dtype=np.int64)) <= LAST_WINDOW:
        return _reduce(x, x_type, axes, acc, combine, identity)
    for axis in sorted(axes, reverse=True):
        x, x_type = _tree_reduce_axis(x, x_type, axis, acc, combine, identity)
    return x, x_type


def _reduce_lowering(combine, identity, tree):
    def lower(node, x):
        (x_type,), (out,) = node.in_types, node.out_types
        acc = accumulator_dtype(out.dtype)
        axes = node.params["axes"]
        if not axes:  # nothing folds: the operand itself (a 0-d generic reading its init would
            return [x]  # also be fused into a consumer's loop by upstream fusion, wrongly; and 0 + -0. is 0.)
        if tree and (is_float(acc) or is_complex(acc)) and axes and 0 not in x_type.shape:
            result, acc_type = tree_reduce(x, x_type, axes, acc, combine, identity)
        else:
            result, acc_type = _reduce(x, x_type, axes, acc, combine, identity)
        return [convert_tensor(result, acc_type, out.dtype)]

    return lower


def _reduce_op(name, kinds, combine, identity):
    """The op reduce_`name` over dtype `kinds`, folding with the scalar rule `combine`
    from `identity(dtype)`; float sums and products as trees."""
    cls = type(f"Reduce{name.capitalize()}Op", (MiraxOp,), {
        "infer": _reduce_infer(name, kinds),
        "__doc__": f"The {name} of the elements along `axes`; the result drops those axes.",
    }, name=f"reduce_{name}", operands=("operand",), params={"axes": ints})
    rules.lowering[cls.OPERATION_NAME] = _reduce_lowering(combine, identity, name in ("sum", "prod"))
    rules.batching[cls.OPERATION_NAME] = _batch_reduction(cls)
    return cls


# ----------------------------------------------------------------------------- argmax, argmin


def _arg_infer(name):
    def infer(x, axes, index_dtype):
        check_kind(x, ("float", "int", "bool"), name)
        if len(axes) != 1:
            raise TypeError(f"{name} takes exactly one axis, got {list(axes)}")
        check_axes(x, axes)
        if x.shape[axes[0]] == 0:
            raise TypeError(f"{name} requires a non-empty reduced dimension, got axis {axes[0]} "
                            f"of shape {list(x.shape)}")
        if not is_integer(index_dtype):
            raise TypeError(f"index_dtype must be an integer type, got {np.dtype(index_dtype).name}")
        return ShapedType(_drop(x.shape, axes), np.dtype(index_dtype))

    return staticmethod(infer)


def _arg_lowering(direction, start):
    """argmax (direction "GT", from the lowest value) or argmin ("LT", from the highest).

    The combine is order-independent: a candidate wins if it is strictly better, or
    equal at a smaller index. NaN beats every number and equals NaN, so the first
    NaN wins, as in jax.lax.argmax. The init (start value, index 0) stands for the
    element at index 0, which is never worse than the start value.
    """

    def lower(node, x):
        (x_type,), (out,) = node.in_types, node.out_types
        (axis,) = node.params["axes"]
        best = ShapedType(out.shape, accumulator_dtype(x_type.dtype))
        maps, iterators = _reduction_maps(x_type.ndim, (axis,), 2)
        index_type = scalar_type(out.dtype)

        def body(v, best_value, best_index):
            v = convert_scalar(x_type.dtype, best.dtype, v)
            i = arith.index_cast(index_type, linalg.IndexOp(axis).result)
            better = compare(best.dtype, v, best_value, direction)
            equal = compare(best.dtype, v, best_value, "EQ")
            if is_float(best.dtype):
                v_nan = arith.cmpf(arith.CmpFPredicate.UNO, v, v)
                best_nan = arith.cmpf(arith.CmpFPredicate.UNO, best_value, best_value)
                best_number = arith.cmpf(arith.CmpFPredicate.ORD, best_value, best_value)
                better = arith.ori(better, arith.andi(v_nan, best_number))
                equal = arith.ori(equal, arith.andi(v_nan, best_nan))
            earlier = arith.cmpi(arith.CmpIPredicate.ult, i, best_index)  # indices are non-negative
            take = arith.ori(better, arith.andi(equal, earlier))
            return [arith.select(take, v, best_value), arith.select(take, i, best_index)]

        inits = [filled(best, start(best.dtype)), filled(out, 0)]
        return [generic([best, out], [x], maps, body, iterators, inits=inits)[1]]

    return lower


# ----------------------------------------------------------------------------- cumulative ops


def _cumulative_infer(name, kinds):
    def infer(x, axis, reverse):
        check_kind(x, kinds, name)
        if not 0 <= axis < x.ndim:
            raise TypeError(f"axis {axis} is out of range for shape {list(x.shape)}")
        return x

    return staticmethod(infer)


def _cumulative_lowering(combine, identity):
    """Scalar scf loops: over the rows along the axis, then along each row carrying
    the running total. (Slice-wise steps would copy between strided slices, which
    the CPU pipeline cannot lower without a runtime library.) Float sums and products
    longer than a block run by blocks (_blocked_scan), when `identity` is given."""

    def lower(node, x):
        (x_type,), (out,) = node.in_types, node.out_types
        axis, reverse = node.params["axis"], node.params["reverse"]
        n = out.shape[axis]
        if 0 in out.shape:
            return [x]
        acc = accumulator_dtype(out.dtype)
        if identity is not None and (is_float(acc) or is_complex(acc)) and n > SCAN_BLOCK:
            return [_blocked_scan(x, x_type, out, axis, reverse, combine, identity)]

        def per_row(at, result):
            def read(i):
                return convert_scalar(x_type.dtype, acc, tensor.extract(x, at(i)))

            def write(total, result, i):
                return tensor.insert(convert_scalar(acc, out.dtype, total), result, at(i))

            def step(k, total, result):
                i = arith.subi(index(n - 1), k) if reverse else k
                total = combine(acc, total, read(i))
                return [total, write(total, result, i)]

            first = index(n - 1 if reverse else 0)
            total = read(first)
            return for_loop(index(1), index(n), [total, write(total, result, first)], step)[1:]

        return for_each_row(out.shape, axis, [empty(out)], per_row)

    return lower


# A long float cumsum (cumprod) runs by blocks of SCAN_BLOCK: each block is scanned
# from its start, the blocks' totals are scanned the same way (recursively), and each
# element is combined with the total of the blocks before it; so the rounding error
# grows like the block plus log n, not like n.
SCAN_BLOCK = 32
SCAN_GROUP = 8  # blocks scanned side by side: independent dependency chains, which the CPU overlaps


def _by_blocks(n, visit, carried):
    """`carried` through visit(g, count, size, *carried) of the blocks along an axis `n`
    long: blocks g, ..., g + count - 1, each `size` long (constant trip counts)."""
    groups, rest = divmod(n // SCAN_BLOCK, SCAN_GROUP)
    if groups:
        carried = for_loop(index(0), index(groups), carried,
                           lambda g, *c: visit(arith.muli(g, index(SCAN_GROUP)), SCAN_GROUP, SCAN_BLOCK, *c))
    if rest:
        carried = visit(index(groups * SCAN_GROUP), rest, SCAN_BLOCK, *carried)
    if n % SCAN_BLOCK:
        carried = visit(index(n // SCAN_BLOCK), 1, n % SCAN_BLOCK, *carried)
    return carried


def _blocked_scan(x, x_type, out, axis, reverse, combine, identity):
    n = out.shape[axis]
    acc = accumulator_dtype(out.dtype)
    local_type = ShapedType(out.shape, acc)
    totals_type = ShapedType(out.shape[:axis] + (-(-n // SCAN_BLOCK),) + out.shape[axis + 1:], acc)

    def positions(g, count, size, k):
        """Element k's index in each of the blocks g, ..., g + count - 1 (from the block's end in reverse)."""
        return [arith.addi(arith.muli(arith.addi(g, index(j)), index(SCAN_BLOCK)),
                           arith.subi(index(size - 1), k) if reverse else k) for j in range(count)]

    def scan_row(at, local, totals):
        def visit(g, count, size, local, totals):
            def step(k, *carried):
                running, local = list(carried[:-1]), carried[-1]
                for j, i in enumerate(positions(g, count, size, k)):
                    running[j] = combine(acc, running[j], convert_scalar(x_type.dtype, acc, tensor.extract(x, at(i))))
                    local = tensor.insert(running[j], local, at(i))
                return running + [local]

            *running, local = for_loop(index(0), index(size), [constant(acc, identity(acc))] * count + [local], step)
            for j, total in enumerate(running):
                totals = tensor.insert(total, totals, at(arith.addi(g, index(j))))
            return [local, totals]

        return _by_blocks(n, visit, [local, totals])

    local, totals = for_each_row(out.shape, axis, [empty(local_type), empty(totals_type)], scan_row)
    node = rules.Node("", {"axis": axis, "reverse": reverse}, (totals_type,), (totals_type,))
    (inclusive,) = _cumulative_lowering(combine, identity)(node, totals)
    # The total of the blocks before each block (after it, in reverse): the inclusive
    # totals shifted by one.
    blocks = totals_type.shape[axis]
    start, stop = (1, blocks) if reverse else (0, blocks - 1)
    before = _put(slice_along(inclusive, totals_type, axis, start, stop), totals_type, axis, 1 - start,
                  filled(totals_type, identity(acc)))
    in_place = acc == out.dtype  # else each element is read from `local`, written to a new tensor

    def offset_row(at, result):
        def visit(g, count, size, result):
            bases = [tensor.extract(before, at(arith.addi(g, index(j)))) for j in range(count)]

            def step(k, result):
                for base, i in zip(bases, positions(g, count, size, k), strict=True):
                    value = tensor.extract(result if in_place else local, at(i))
                    result = tensor.insert(convert_scalar(acc, out.dtype, combine(acc, base, value)), result, at(i))
                return [result]

            return for_loop(index(0), index(size), [result], step)

        return _by_blocks(n, visit, [result])

    (result,) = for_each_row(out.shape, axis, [local if in_place else empty(out)], offset_row)
    return result


def _put(value, shaped, axis, start, into):
    """`value` copied into `into` (of ShapedType `shaped`) from `start` along `axis`; a
    value without that dimension fills one index of it. (A linalg.copy into the slice:
    a loop, where inserting would copy between strided buffers through the runtime.)"""
    value_type = ir.RankedTensorType(value.type)
    sizes = list(shaped.shape)
    sizes[axis] = value_type.shape[axis] if value_type.rank == shaped.ndim else 1
    offsets = [0] * shaped.ndim
    offsets[axis] = start
    window = offsets, sizes, [1] * shaped.ndim
    copied = linalg.copy(value, outs=[tensor.extract_slice(value_type, into, [], [], [], *window)])
    return tensor.insert_slice(copied, into, [], [], [], *window)


def _cumulative_op(name, kinds, combine, identity=None):
    """The op `name`: running totals along `axis` of the scalar rule `combine` (by
    blocks for float sums and products, from `identity`)."""
    cls = type(f"{name.capitalize()}Op", (MiraxOp,), {
        "infer": _cumulative_infer(name, kinds),
        "__doc__": f"The running {name[3:]} along `axis`, from its end when `reverse`.",
    }, name=name, operands=("operand",), params={"axis": int_, "reverse": bool_})
    rules.lowering[cls.OPERATION_NAME] = _cumulative_lowering(combine, identity)
    rules.batching[cls.OPERATION_NAME] = batch_along(cls, "axis")
    return cls


# ----------------------------------------------------------------------------- JVP rules


def _defchooser_jvp(op_cls):
    """max/min over axes: the tangent averaged over the elements equal to the result (JAX's)."""

    def rule(node, primals, tangents):
        (x,), (t,) = primals, tangents
        axes = node.params["axes"]
        (result,) = build(op_cls, [x], axes=axes)
        if t is None:
            return [result], [None]
        x_type = type_of(x)
        kept = tuple(d for d in range(x_type.ndim) if d not in axes)
        spread = ops.broadcast_in_dim(result, shape=x_type.shape, broadcast_dimensions=kept)
        chosen = ops.convert(ops.compare(x, spread, direction="EQ"), new_dtype=x_type.dtype)
        counts = ops.reduce_sum(chosen, axes=axes)
        total = ops.reduce_sum(ops.mul(t, chosen), axes=axes)
        return [result], [ops.div(total, counts)]

    rules.jvp[op_cls.OPERATION_NAME] = rule
    return op_cls


def _slice(x, axis, start, stop, stride=1):
    """x[start:stop:stride] along `axis` (None stays None: a symbolic zero)."""
    if x is None:
        return None
    shaped = type_of(x)
    starts, limits, strides = [0] * shaped.ndim, list(shaped.shape), [1] * shaped.ndim
    starts[axis], limits[axis], strides[axis] = start, stop, stride
    return ops.slice(x, start_indices=tuple(starts), limit_indices=tuple(limits), strides=tuple(strides))


def _join(a, b, axis):
    return None if a is None or b is None else ops.concatenate(a, b, dimension=axis)


def _interleave(a, b, axis):
    """a[0], b[0], a[1], b[1], ... along `axis` (a as long as b or one longer): each
    padded with zeros between its elements, then added, as JAX's associative_scan."""
    if a is None or b is None:
        return None
    shaped = type_of(a)
    extra = int(shaped.shape[axis] == type_of(b).shape[axis])
    zero = zeros(ShapedType((), shaped.dtype))

    def pad(x, low, high):
        config = [[0] * shaped.ndim for _ in range(3)]
        config[0][axis], config[1][axis], config[2][axis] = low, high, 1
        return ops.pad(x, zero, edge_padding_low=tuple(config[0]), edge_padding_high=tuple(config[1]),
                       interior_padding=tuple(config[2]))

    return (ops.or_ if is_bool(shaped.dtype) else ops.add)(pad(a, 0, extra), pad(b, 1, 1 - extra))


def _defprefix_scan_jvp(op_cls, combine_cls):
    """cumprod/cummax/cummin's JVP as JAX's: the JVP of a parallel prefix scan (as
    jax.lax.associative_scan) whose combining step is `combine_cls`'s own JVP rule, so
    zeros and ties come out as that op's rule has them. The primal is the op's."""
    combine = combine_cls.OPERATION_NAME
    combine_jvp = rules.jvp[combine]

    def pair(a, b):
        node = rules.Node(combine, {}, (type_of(a[0]),) * 2, (type_of(a[0]),))
        (primal,), (tangent,) = combine_jvp(node, [a[0], b[0]], [a[1], b[1]])
        return primal, tangent

    def scan(elems, axis):
        size = type_of(elems[0]).shape[axis]
        if size < 2:
            return elems
        odd = scan(pair(tuple(_slice(e, axis, 0, size - 1, 2) for e in elems),
                        tuple(_slice(e, axis, 1, size, 2) for e in elems)), axis)
        rest = tuple(_slice(e, axis, 2, size, 2) for e in elems)
        if size % 2 == 0:
            even = pair(tuple(_slice(e, axis, 0, type_of(odd[0]).shape[axis] - 1) for e in odd), rest)
        else:
            even = pair(odd, rest)
        even = tuple(_join(_slice(e, axis, 0, 1), r, axis) for e, r in zip(elems, even, strict=True))
        return tuple(_interleave(e, o, axis) for e, o in zip(even, odd, strict=True))

    def rule(node, primals, tangents):
        (x,), (t,) = primals, tangents
        (result,) = build(op_cls, [x], **node.params)
        if t is None:
            return [result], [None]
        axis, reverse = node.params["axis"], node.params["reverse"]
        flip = (lambda v: ops.rev(v, dimensions=(axis,))) if reverse else (lambda v: v)
        _, tangent = scan((flip(x), flip(t)), axis)
        return [result], [flip(tangent)]

    rules.jvp[op_cls.OPERATION_NAME] = rule
    return op_cls


def _reduce_prod_jvp(node, primals, tangents):
    """The product's tangent as the last element of cumprod's (the reduced dimensions
    flattened last): correct where factors are zero, unlike t * prod / x."""
    (x,), (t,) = primals, tangents
    axes = node.params["axes"]
    result = ops.reduce_prod(x, axes=axes)
    if t is None:
        return [result], [None]
    shaped = type_of(x)
    kept = [d for d in range(shaped.ndim) if d not in axes]
    count = int(np.prod([shaped.shape[d] for d in axes], dtype=np.int64))
    if count == 0:
        return [result], [None]
    rows = tuple(shaped.shape[d] for d in kept) + (count,)
    flat = [ops.reshape(ops.transpose(v, permutation=tuple(kept) + tuple(axes)), new_sizes=rows) for v in (x, t)]
    cumprod = rules.Node(CumprodOp.OPERATION_NAME, {"axis": len(kept), "reverse": False}, (), ())
    _, (tangent,) = rules.jvp[CumprodOp.OPERATION_NAME](cumprod, flat[:1], flat[1:])
    last = _slice(tangent, len(kept), count - 1, count)
    return [result], [ops.reshape(last, new_sizes=type_of(result).shape)]


# ----------------------------------------------------------------------------- transpose rules


def _transpose_reduce_sum(node, cts, operands, linear):
    (ct,), (x,) = cts, node.in_types
    kept = tuple(d for d in range(x.ndim) if d not in node.params["axes"])
    return [ops.broadcast_in_dim(ct, shape=x.shape, broadcast_dimensions=kept)]


def _transpose_cumsum(node, cts, operands, linear):
    return [ops.cumsum(cts[0], axis=node.params["axis"], reverse=not node.params["reverse"])]


# ----------------------------------------------------------------------------- batching rules


def _batch_reduction(op_cls):
    """The same axes of every element reduced: the batch dimension stays where it is,
    numbered down by the reduced axes ahead of it."""

    def rule(node, operands, dims, size):
        (x,), (bdim,) = operands, dims
        axes = shifted(node.params["axes"], bdim)
        (out,) = build(op_cls, [x], **{**node.params, "axes": axes})
        return [out], [bdim - sum(a < bdim for a in axes)]

    return rule


# ----------------------------------------------------------------------------- ops

ReduceSumOp = deflinear2(_reduce_op("sum", NUMBER, scalar.add, _zero), _transpose_reduce_sum)
ReduceProdOp = defjvp_rule(_reduce_op("prod", NUMBER, scalar.mul, _one), _reduce_prod_jvp)
# Complex numbers in XLA's order: by real part, then imaginary part.
ReduceMaxOp = _defchooser_jvp(_reduce_op("max", ORDERED + ("complex",), scalar.max_, _lowest))
ReduceMinOp = _defchooser_jvp(_reduce_op("min", ORDERED + ("complex",), scalar.min_, _highest))
ReduceAndOp = defzero(_reduce_op("and", INTEGRAL, scalar.and_, _all_ones))
ReduceOrOp = defzero(_reduce_op("or", INTEGRAL, scalar.or_, _zero))


@defzero
class ArgmaxOp(MiraxOp, name="argmax", operands=("operand",), params={"axes": ints, "index_dtype": dtype_}):
    """The index of the greatest element along the one axis in `axes` (the first one on
    ties; the first NaN if there is one)."""

    infer = _arg_infer("argmax")


@defzero
class ArgminOp(MiraxOp, name="argmin", operands=("operand",), params={"axes": ints, "index_dtype": dtype_}):
    """The index of the least element along the one axis in `axes` (the first one on
    ties; the first NaN if there is one)."""

    infer = _arg_infer("argmin")


rules.lowering[ArgmaxOp.OPERATION_NAME] = _arg_lowering("GT", _lowest)
rules.lowering[ArgminOp.OPERATION_NAME] = _arg_lowering("LT", _highest)
rules.batching[ArgmaxOp.OPERATION_NAME] = _batch_reduction(ArgmaxOp)
rules.batching[ArgminOp.OPERATION_NAME] = _batch_reduction(ArgminOp)

CumsumOp = deflinear2(_cumulative_op("cumsum", NUMBER, scalar.add, _zero), _transpose_cumsum)
CumprodOp = _defprefix_scan_jvp(_cumulative_op("cumprod", NUMBER, scalar.mul, _one), MulOp)
CummaxOp = _defprefix_scan_jvp(_cumulative_op("cummax", ("float", "int"), scalar.max_), MaxOp)
CumminOp = _defprefix_scan_jvp(_cumulative_op("cummin", ("float", "int"), scalar.min_), MinOp)
