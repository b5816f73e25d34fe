"""dot_general: contraction of two operands of one dtype over paired dimensions.

Result dimensions are ordered as XLA's: the batch dimensions, then lhs's free
(neither batch nor contracting) dimensions, then rhs's. Bool contracts as the or of
ands; half-precision floats accumulate in f32. Mixed dtypes and
preferred_element_type are the lax wrapper's business (it converts the operands).

f32 products that are matrix products in XLA's layout (no batch dimensions; the
operands transposed to (free, contracting) and (contracting, free), M a multiple of
4, N above 1) lower to linalg.matmul, which mirax-vectorize-matmul packs. Float
contractions longer than K_BLOCK otherwise sum blocks of K from zero and fold the
blocks' sums as a tree (see K_BLOCK). Matrix-vector products (M or N 1, batched or
not: what vmap makes of a dot) and bool products are one linalg.generic reading the
operands in their own layouts, the innermost loop walking the larger operand's
contiguous dimension; the other f32 products one linalg.generic too, looping as
linalg.matmul does; the rest a (batched) linalg.matmul of the transposed operands.
The f32 sums of these generics in order are fused multiply-adds, as XLA:CPU's small
dots: the same roundings, and an overflowing product makes an infinity, not inf - inf.

Longer float matrix-vector products whose matrix holds its batch, free and
contracting dimensions each together, in any order (A x, x A, and what vmap makes of
them), read it in place too, in its own order, in blocks of K_BLOCK
(_blocked_matvec). Contracting its rows (A x), a block of a row is a sum LLVM
reassociates into vector accumulators, except f32 ones laid out (batch?, free,
contracting) on the CPU, which passes/matvec.py computes walking 4 runs of rows side
by side, each row's block by fused multiply-adds into 16 lanes from zero, the lanes
then added as a tree. Contracting its columns (x A), the rows of a block are summed
into a vector of results in order, by fused multiply-adds for f32.

A transpose feeding a matrix-vector product is folded into its dimension numbers as
the product is lowered (as XLA's transpose folding), where the result keeps its
layout: the loop orders above then read the matrix as it is (jnp.dot(a.T, x) reads a
by rows, as jnp.dot(x, a)). Matrix products are left as they are: they transpose
their operands anyway, and the transpose may have other readers.
"""
import numpy as np

from mirax.mlir import arith, ir, linalg, math, tensor

from . import ops, rules, scalar
from .base import MiraxOp, ints
from .batching import shifted
from .jvp import defbilinear
from .ops import build
from .lowering import (PARALLEL, REDUCTION, elementwise, empty, filled, for_loop, generic, index, reshape, slice_along,
                       transpose)
from .reduction import accumulator_dtype, combined, convert_tensor, tree_reduce
from .scalar import convert_scalar
from .types import ShapedType, is_bool, is_complex, is_float
from .values import type_of

DIMENSION_PARAMS = ("lhs_contracting_dimensions", "rhs_contracting_dimensions",
                    "lhs_batch_dimensions", "rhs_batch_dimensions")


def _free(x, contracting, batch):
    return [d for d in range(x.ndim) if d not in contracting and d not in batch]


def _check_dims(side, x, contracting, batch):
    dims = list(contracting) + list(batch)
    if any(not 0 <= d < x.ndim for d in dims) or len(set(dims)) != len(dims):
        raise TypeError(f"{side} contracting dimensions {list(contracting)} and batch dimensions {list(batch)} "
                        f"must be distinct dimensions of shape {list(x.shape)}")


class DotGeneralOp(MiraxOp, name="dot_general", superlinear=True, operands=("lhs", "rhs"),
                   params={name: ints for name in DIMENSION_PARAMS}):
    """sum over k of lhs[b, m, k] * rhs[b, k, n], for the batch (b), free (m, n) and
    contracting (k) dimensions named by the params."""

    @staticmethod
    def infer(lhs, rhs, lhs_contracting_dimensions, rhs_contracting_dimensions,
              lhs_batch_dimensions, rhs_batch_dimensions):
        lc, rc, lb, rb = lhs_contracting_dimensions, rhs_contracting_dimensions, lhs_batch_dimensions, \
            rhs_batch_dimensions
        if lhs.dtype != rhs.dtype:
            raise TypeError(f"requires operands of one dtype, got {lhs.dtype.name}, {rhs.dtype.name}")
        _check_dims("lhs", lhs, lc, lb)
        _check_dims("rhs", rhs, rc, rb)
        for kind, l_dims, r_dims in (("contracting", lc, rc), ("batch", lb, rb)):
            l_sizes, r_sizes = [lhs.shape[d] for d in l_dims], [rhs.shape[d] for d in r_dims]
            if l_sizes != r_sizes:
                raise TypeError(f"{kind} dimensions must have the same sizes, got lhs shape {list(lhs.shape)} "
                                f"dimensions {list(l_dims)} and rhs shape {list(rhs.shape)} dimensions {list(r_dims)}")
        shape = [lhs.shape[d] for d in lb]
        shape += [lhs.shape[d] for d in _free(lhs, lc, lb)] + [rhs.shape[d] for d in _free(rhs, rc, rb)]
        return ShapedType(tuple(shape), lhs.dtype)


def _generic_dot(lhs_type, rhs_type, acc, params, lhs, rhs, streaming=False):
    """Loops (batch..., lhs free..., rhs free..., contracting...); the result takes the
    first three groups. Without contracting dimensions, each element is one product.
    `streaming` reorders the loops so that the innermost one walks the larger operand's
    last dimension (contiguous): a contracting one is a float sum LLVM may reassociate
    into vector accumulators (at most K_BLOCK long, as a block of a longer one), a free
    one is summed into in order, a vector of results at a time."""
    lc, rc, lb, rb = (params[name] for name in DIMENSION_PARAMS)
    lf, rf = _free(lhs_type, lc, lb), _free(rhs_type, rc, rb)
    loops = len(lb) + len(lf) + len(rf) + len(lc)
    free_start = {"lhs": len(lb), "rhs": len(lb) + len(lf)}

    def logical(x, side, contracting, batch, free, d):
        if d in batch:
            return batch.index(d)
        if d in contracting:
            return loops - len(contracting) + contracting.index(d)
        return free_start[side] + free.index(d)

    sides = ((lhs_type, "lhs", lc, lb, lf), (rhs_type, "rhs", rc, rb, rf))
    order = list(range(loops))  # position of each loop in the nest, outermost first
    reassociate = False
    if streaming:
        big = max(sides, key=lambda side: int(np.prod(side[0].shape, dtype=np.int64)))
        innermost = logical(*big, big[0].ndim - 1)
        contracting = list(range(loops - len(lc), loops))
        reassociate = innermost in contracting and is_float(acc.dtype)
        nest = [d for d in range(loops) if d not in contracting and d != innermost] \
            + [d for d in contracting if d != innermost] + [innermost]
        order = [nest.index(d) for d in range(loops)]

    def operand_map(x, side, contracting, batch, free):
        return ir.AffineMap.get(loops, 0, [ir.AffineDimExpr.get(order[logical(x, side, contracting, batch, free, d)])
                                           for d in range(x.ndim)])

    out_map = ir.AffineMap.get(loops, 0, [ir.AffineDimExpr.get(order[i]) for i in range(loops - len(lc))])
    maps = [operand_map(*sides[0]), operand_map(*sides[1]), out_map]
    iterators = [None] * loops
    for d in range(loops):
        iterators[order[d]] = PARALLEL if d < loops - len(lc) else REDUCTION
    add, mul = scalar.add, scalar.mul  # or and and for bool
    fused = lc and not reassociate and _fma(lhs_type.dtype, acc.dtype)

    def body(a, b, total):
        if fused:
            return [math.fma(a, b, total)]
        a, b = (convert_scalar(lhs_type.dtype, acc.dtype, v) for v in (a, b))
        product = mul(acc.dtype, a, b)
        return [combined(acc.dtype, total, product, add, reassociate) if lc else product]

    return generic([acc], [lhs, rhs], maps, body, iterators, inits=[filled(acc, 0)] if lc else None)[0]


# A float contraction longer than K_BLOCK is cut into blocks of K_BLOCK, each summed
# from zero, and the blocks' sums are folded as a tree (reduction.tree_reduce), so
# that its rounding error grows like log K, not K (one accumulator: a K=65536 product
# off by 9e-6). The f32 matmuls that mirax-vectorize-matmul packs do the same in its
# register tiles, which start each block of K_BLOCK from zero.
K_BLOCK = 256
# A packed matmul adds its blocks' sums into C in order; a longer contraction than
# K_CHUNK is cut into matmuls of K_CHUNK whose products are added as a tree.
K_CHUNK = 16 * K_BLOCK
# mirax-vectorize-matmul packs f32 matmuls whose M is a whole number of its register
# tiles' rows.
REGISTER_ROWS = 4


def _fma(dtype, acc):
    """Whether a contraction's generic sums in order by fused multiply-adds: f32 ones, as
    XLA:CPU's small dots (the same roundings; a product that overflows gives XLA's inf
    where a + b * c would be inf - inf). Reassociated (vectorized) sums keep separate
    adds: LLVM would fuse them or not as it vectorizes, and a program's results must
    not change with its thread count."""
    return np.dtype(dtype) == np.float32 and np.dtype(acc) == np.float32


def packed_matmul(m, k, n, dtype):
    """Whether mirax-vectorize-matmul packs an (m, k) x (k, n) linalg.matmul of `dtype`."""
    return np.dtype(dtype) == np.float32 and m % REGISTER_ROWS == 0 and 0 not in (m, k, n)


def _sizes(node):
    """(batch, m, k, n): the products of the batch, lhs free, contracting and rhs free sizes."""
    lhs_type, rhs_type = node.in_types
    lc, rc, lb, rb = (node.params[name] for name in DIMENSION_PARAMS)
    size = lambda x, dims: int(np.prod([x.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    return size(lhs_type, lb), size(lhs_type, _free(lhs_type, lc, lb)), size(lhs_type, lc), \
        size(rhs_type, _free(rhs_type, rc, rb))


def _matmul_operands(node, lhs, rhs):
    """The operands as XLA does any dot_general: transposed to (batch, free, contracting)
    and (batch, contracting, free) and flattened to (batch?, m, k) and (batch?, k, n)
    (no batch dimension without batch dimensions). Returns them, their ShapedTypes and
    the sizes (batch, m, k, n)."""
    lhs_type, rhs_type = node.in_types
    lc, rc, lb, rb = (node.params[name] for name in DIMENSION_PARAMS)
    lf, rf = _free(lhs_type, lc, lb), _free(rhs_type, rc, rb)
    sizes = batch, m, k, n = _sizes(node)
    lead = (batch,) if lb else ()
    a_type, b_type = ShapedType(lead + (m, k), lhs_type.dtype), ShapedType(lead + (k, n), rhs_type.dtype)
    a = reshape(transpose(lhs, lhs_type, list(lb) + lf + list(lc)), a_type)
    b = reshape(transpose(rhs, rhs_type, list(rb) + list(rc) + rf), b_type)
    return a, b, a_type, b_type, sizes


def _as_matmul(node, lhs, rhs):
    """Any dot_general as a (batched) linalg.matmul of the transposed, flattened
    operands, the product reshaped back (without batch dimensions, f32 with M a
    multiple of 4: what mirax-vectorize-matmul packs)."""
    (out,) = node.out_types
    a, b, a_type, _, (_, m, _, n) = _matmul_operands(node, lhs, rhs)
    acc = ShapedType(a_type.shape[:-2] + (m, n), accumulator_dtype(out.dtype))
    product = (linalg.batch_matmul if a_type.ndim == 3 else linalg.matmul)(a, b, outs=[filled(acc, 0)])
    return reshape(convert_tensor(product, acc, out.dtype), out)


def _chunked(node, lhs, rhs):
    """A packed matmul longer than K_CHUNK: an scf.for over the chunks of K (one matmul
    to compile) putting each chunk's product in a stack, the stack folded as a tree."""
    (out,) = node.out_types
    a, b, a_type, b_type, (_, m, k, n) = _matmul_operands(node, lhs, rhs)
    acc = ShapedType((m, n), accumulator_dtype(out.dtype))
    chunks, whole = k // K_CHUNK, k // K_CHUNK * K_CHUNK
    stack_type = ShapedType((chunks + (whole < k), m, n), acc.dtype)
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()

    def chunk(start, size, static_start, stack):
        """The product of the chunk of `size` from `start` (an index value; static_start
        its constant or `dynamic`) put in the stack at chunk start / K_CHUNK."""
        offsets = [start] if static_start == dynamic else []
        a_chunk = tensor.extract_slice(ir.RankedTensorType.get([m, size], a.type.element_type), a, offsets, [], [],
                                       [0, static_start], [m, size], [1, 1])
        b_chunk = tensor.extract_slice(ir.RankedTensorType.get([size, n], b.type.element_type), b, offsets, [], [],
                                       [static_start, 0], [size, n], [1, 1])
        at = [arith.divui(start, index(K_CHUNK))] if static_start == dynamic else []
        position = [dynamic if at else static_start // K_CHUNK, 0, 0], [1, m, n], [1, 1, 1]
        product = linalg.matmul(a_chunk, b_chunk, outs=[filled(acc, 0)])
        return tensor.insert_slice(product, stack, at, [], [], *position)

    (stack,) = for_loop(index(0), index(whole), [empty(stack_type)], lambda start, stack: [
        chunk(start, K_CHUNK, dynamic, stack)], step=K_CHUNK)
    if whole < k:
        stack = chunk(index(whole), k - whole, whole, stack)
    result, _ = tree_reduce(stack, stack_type, (0,), acc.dtype, scalar.add, lambda dtype: 0)
    return reshape(convert_tensor(result, acc, out.dtype), out)


def _blocked(node, lhs, rhs):
    """A float dot_general longer than K_BLOCK: the products of each whole block of K
    summed in a generic with loops (batch?, m, n, block, k), the blocks' sums folded as
    a tree, the tail's sum (K not a multiple of K_BLOCK) added."""
    (out,) = node.out_types
    a, b, a_type, b_type, (_, m, k, n) = _matmul_operands(node, lhs, rhs)
    acc = accumulator_dtype(out.dtype)
    add, mul = scalar.add, scalar.mul
    lead = a_type.ndim - 2
    rank = lead + 4  # (batch?, m, n, block, k)
    d = [ir.AffineDimExpr.get(i) for i in range(rank)]
    at = d[lead + 2] * K_BLOCK + d[lead + 3]
    maps = [ir.AffineMap.get(rank, 0, d[:lead] + [d[lead], at]), ir.AffineMap.get(rank, 0, d[:lead] + [at, d[lead + 1]]),
            ir.AffineMap.get(rank, 0, [d[lead + 3]]), ir.AffineMap.get(rank, 0, d[:lead + 3])]
    blocks = ShapedType(a_type.shape[:lead] + (m, n, k // K_BLOCK), acc)

    def body(x, y, _, total):  # LLVM may vectorize a block's float sum (vector accumulators)
        x, y = (convert_scalar(a_type.dtype, acc, v) for v in (x, y))
        return [combined(acc, total, mul(acc, x, y), add, is_float(acc))]

    unread = empty(ShapedType((K_BLOCK,), np.dtype(np.int8)))  # gives the k loop its bound
    (sums,) = generic([blocks], [a, b, unread], maps, body, [PARALLEL] * (lead + 3) + [REDUCTION],
                      inits=[filled(blocks, 0)])
    result, result_type = tree_reduce(sums, blocks, (lead + 2,), acc, add, lambda dtype: 0)
    whole = k // K_BLOCK * K_BLOCK
    if whole < k:
        tail_types = (ShapedType(a_type.shape[:-1] + (k - whole,), a_type.dtype),
                      ShapedType(b_type.shape[:-2] + (k - whole, n), b_type.dtype))
        params = dict(zip(DIMENSION_PARAMS, ((lead + 1,), (lead,), tuple(range(lead)), tuple(range(lead))), strict=True))
        tail = _generic_dot(*tail_types, ShapedType(result_type.shape, acc), params,
                            slice_along(a, a_type, lead + 1, whole, k), slice_along(b, b_type, lead, whole, k))
        (result,) = elementwise([result_type], [result, tail], lambda x, y: add(acc, x, y))
    return reshape(convert_tensor(result, result_type, out.dtype), out)


# Matrix-vector products' blocks (_blocked_matvec's, f32, contracting the matrix's
# rows) are marked for passes/matvec.py's vectorized_matvec, which mirax-parallelize
# applies on the CPU.
MATVEC_MARK = "mirax.matvec"


def _matvec_operands(node, lhs, rhs):
    """A matrix-vector product (one operand's free dimensions hold one element) whose
    matrix holds its batch ("b"), free ("f") and contracting ("k") dimensions each
    together, the groups in any order (A x is "fk", x A "kf", a vmap over A's second
    axis "fbk"): (groups, matrix, vector, the matrix's ShapedType), the matrix flattened
    to a dimension per group and the vector to (batch?, k); else None (the matrix would
    have to be transposed)."""
    lhs_type, rhs_type = node.in_types
    lc, rc, lb, rb = (node.params[name] for name in DIMENSION_PARAMS)
    batch, m, k, n = _sizes(node)
    if m > 1 and n == 1:
        (big, big_type, bc, bb), (small, small_type, sc, sb) = (lhs, lhs_type, lc, lb), (rhs, rhs_type, rc, rb)
    elif n > 1 and m == 1:
        (big, big_type, bc, bb), (small, small_type, sc, sb) = (rhs, rhs_type, rc, rb), (lhs, lhs_type, lc, lb)
    else:
        return None
    order = sorted(bc)  # the matrix's contracting dimensions in its own order, the vector's paired with them
    small_order = [sc[list(bc).index(d)] for d in order]
    dims = {"b": list(bb), "f": _free(big_type, bc, bb), "k": order}
    groups = "".join(sorted((g for g in dims if dims[g]), key=lambda g: dims[g][0]))
    if [d for g in groups for d in dims[g]] != list(range(big_type.ndim)):
        return None
    sizes = {"b": batch, "f": m * n, "k": k}
    matrix_type = ShapedType(tuple(sizes[g] for g in groups), big_type.dtype)
    vector_type = ShapedType((batch,) * bool(bb) + (k,), small_type.dtype)
    vec = transpose(small, small_type, list(sb) + small_order + _free(small_type, sc, sb))
    return groups, reshape(big, matrix_type), reshape(vec, vector_type), matrix_type


def _blocked_matvec(node, groups, matrix, vec, matrix_type):
    """A float matrix-vector product longer than K_BLOCK, its matrix read in place, once,
    in order: loops over the matrix's `groups` in its own order, k's as (block, k), each
    block of K_BLOCK summed from zero, the blocks' sums folded as a tree
    (reduction.tree_reduce), the tail's sum (K not a multiple of K_BLOCK) added, the
    result (a vector's worth) transposed to (batch, free) where the matrix's are not.
    Contracting its rows (k last), each block of a row is a sum LLVM reassociates into
    vector accumulators, or, f32 laid out (batch?, f, k), marked for vectorized_matvec;
    else every row of the matrix is summed into a vector of results in order (by fused
    multiply-adds for f32, as _generic_dot's)."""
    (out,) = node.out_types
    k = matrix_type.shape[groups.index("k")]
    acc = accumulator_dtype(out.dtype)
    rows = groups.endswith("k")
    fused = not rows and _fma(matrix_type.dtype, acc)

    def body(x, y, _, total):
        if fused:
            return [math.fma(x, y, total)]
        x, y = (convert_scalar(matrix_type.dtype, acc, v) for v in (x, y))
        return [combined(acc, total, scalar.mul(acc, x, y), scalar.add, rows)]

    def sums(start, blocks, size):
        """The sums of `blocks` blocks of `size` from `start` along k, laid out as the
        matrix with k's dimension holding the blocks."""
        rank = len(groups) + 1
        d = [ir.AffineDimExpr.get(i) for i in range(rank)]
        at_k = groups.index("k")
        block, kk = d[at_k], d[at_k + 1]
        loop = dict(zip(groups.replace("k", ""), d[:at_k] + d[at_k + 2:], strict=True))
        at = block * size + kk + start
        maps = [[at if g == "k" else loop[g] for g in groups], [loop[g] for g in "b" if g in groups] + [at], [kk],
                [block if g == "k" else loop[g] for g in groups]]
        iterators = [REDUCTION if i == at_k + 1 else PARALLEL for i in range(rank)]
        shaped = ShapedType(tuple(blocks if g == "k" else size_ for g, size_ in zip(groups, matrix_type.shape)), acc)
        unread = empty(ShapedType((size,), np.dtype(np.int8)))  # gives the k loop its bound
        (result,) = generic([shaped], [matrix, vec, unread], [ir.AffineMap.get(rank, 0, e) for e in maps], body,
                            iterators, inits=[filled(shaped, 0)])
        return result, shaped

    blocks, blocks_type = sums(0, k // K_BLOCK, K_BLOCK)
    if groups in ("fk", "bfk") and np.dtype(matrix_type.dtype) == np.float32 == np.dtype(acc):
        blocks.owner.attributes[MATVEC_MARK] = ir.UnitAttr.get()
    result, result_type = tree_reduce(blocks, blocks_type, (groups.index("k"),), acc, scalar.add, lambda dtype: 0)
    whole = k // K_BLOCK * K_BLOCK
    if whole < k:
        tail, _ = sums(whole, 1, k - whole)
        (result,) = elementwise([result_type], [result, reshape(tail, result_type)], lambda x, y: scalar.add(acc, x, y))
    permutation = [groups.replace("k", "").index(g) for g in "bf" if g in groups]
    result = transpose(result, result_type, permutation)
    result_type = ShapedType(tuple(result_type.shape[p] for p in permutation), acc)
    return reshape(convert_tensor(result, result_type, out.dtype), out)


def _permutation(value):
    """The permutation of the transpose (lowering.transpose's generic) that computes
    `value`, or None."""
    op = value.owner if isinstance(value, ir.OpResult) else None
    if op is None or op.name != "linalg.generic" or len(op.operands) != 2:
        return None
    body = op.regions[0].blocks[0]
    read, write = (ir.AffineMapAttr(m).value for m in op.attributes["indexing_maps"])
    if [list(o.operands) for o in body.operations] != [[body.arguments[0]]] or not read.is_permutation \
            or write != ir.AffineMap.get_identity(write.n_dims):
        return None
    loops = [ir.AffineDimExpr(e).position for e in read.results]  # the result dimension of each operand dimension
    return [loops.index(i) for i in range(len(loops))]


def _fold_transposes(node, operands):
    """The dot_general reading its transposed operands' own operands, its dimension
    numbers renumbered, where that keeps the result's layout (its free dimensions in
    order), as XLA's transpose folding: a matrix-vector product then reads its matrix in
    place by a loop order (jnp.dot(a.T, x) reads a by rows, as jnp.dot(x, a))."""
    params, in_types, operands = dict(node.params), list(node.in_types), list(operands)
    for side, (c, b) in enumerate((DIMENSION_PARAMS[0::2], DIMENSION_PARAMS[1::2])):
        permutation, shaped = _permutation(operands[side]), in_types[side]
        if permutation is None:
            continue
        free = [permutation[d] for d in _free(shaped, params[c], params[b])]
        if free != sorted(free):
            continue
        operands[side] = operands[side].owner.operands[0]
        in_types[side] = ShapedType(tuple(shaped.shape[permutation.index(d)] for d in range(shaped.ndim)), shaped.dtype)
        params[c], params[b] = (tuple(permutation[d] for d in params[name]) for name in (c, b))
    return node._replace(params=params, in_types=tuple(in_types)), operands


def _lower_dot_general(node, lhs, rhs):
    _, m, k, n = _sizes(node)
    if 1 in (m, n):  # the matrix products transpose their operands anyway
        node, (lhs, rhs) = _fold_transposes(node, (lhs, rhs))
    lhs_type, rhs_type = node.in_types
    (out,) = node.out_types
    acc = ShapedType(out.shape, accumulator_dtype(out.dtype))
    if is_bool(out.dtype) or not node.params["lhs_contracting_dimensions"]:
        # Bools contract as the or of ands; outer products (per-example gradients of
        # dense layers) are one loop nest of products, which fuses and vectorizes, in
        # the result's own layout.
        return [convert_tensor(_generic_dot(lhs_type, rhs_type, acc, node.params, lhs, rhs), acc, out.dtype)]
    if not node.params["lhs_batch_dimensions"] and n > 1 and packed_matmul(m, k, n, out.dtype):
        return [_chunked(node, lhs, rhs) if k > K_CHUNK else _as_matmul(node, lhs, rhs)]
    if k > K_BLOCK and (is_float(out.dtype) or is_complex(out.dtype)) and 0 not in out.shape:
        matvec = _matvec_operands(node, lhs, rhs)
        return [_blocked_matvec(node, *matvec) if matvec else _blocked(node, lhs, rhs)]
    if 1 in (m, n):
        # Matrix-vector products, batched ones too (what vmap makes of a dot): the
        # operands as they are, read once, no transposes.
        return [convert_tensor(_generic_dot(lhs_type, rhs_type, acc, node.params, lhs, rhs, streaming=True), acc,
                               out.dtype)]
    if _fma(out.dtype, acc.dtype):  # loops as linalg.matmul's, summing by fused multiply-adds
        return [_generic_dot(lhs_type, rhs_type, acc, node.params, lhs, rhs)]
    return [_as_matmul(node, lhs, rhs)]


rules.lowering[DotGeneralOp.OPERATION_NAME] = _lower_dot_general


# ----------------------------------------------------------------------------- transpose rule (JAX's)


def _ranges_like(*lists):
    start = 0
    for items in lists:
        yield list(range(start, start + len(items)))
        start += len(items)


def _transpose_lhs(ct, x, y, y_value, lc, rc, lb, rb, swap_ans=False):
    """The cotangent of the lhs `x` (a ShapedType) of dot_general(x, y) given the result's."""
    x_kept = _free(x, lc, lb)
    y_kept = _free(y, rc, rb)
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(lb, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(lb, x_kept, y_kept)
    lc_sorted_by_rc = [lc[i] for i in np.argsort(rc)]
    out_axes = np.argsort(list(lb) + x_kept + lc_sorted_by_rc)
    if list(np.argsort(list(lb) + lc_sorted_by_rc + x_kept)) == sorted(out_axes):
        # With the operands swapped, the product comes out in x's layout: no transpose
        # (the weight gradient x^T ct of a dense layer, instead of (ct^T x)^T).
        (product,) = build(DotGeneralOp, [y_value, ct], lhs_contracting_dimensions=tuple(y_kept),
                           rhs_contracting_dimensions=tuple(ans_y), lhs_batch_dimensions=tuple(rb),
                           rhs_batch_dimensions=tuple(ans_batch))
        return product
    (product,) = build(DotGeneralOp, [ct, y_value], lhs_contracting_dimensions=tuple(ans_y),
                       rhs_contracting_dimensions=tuple(y_kept), lhs_batch_dimensions=tuple(ans_batch),
                       rhs_batch_dimensions=tuple(rb))
    if list(out_axes) == sorted(out_axes):
        return product
    return ops.transpose(product, permutation=tuple(int(a) for a in out_axes))


def _dimension_numbers(node):
    return (node.params[name] for name in DIMENSION_PARAMS)


def _transpose_dot_lhs(node, ct, lhs, rhs):
    lc, rc, lb, rb = _dimension_numbers(node)
    return _transpose_lhs(ct, *node.in_types, rhs, lc, rc, lb, rb)


def _transpose_dot_rhs(node, ct, lhs, rhs):
    lc, rc, lb, rb = _dimension_numbers(node)
    return _transpose_lhs(ct, *reversed(node.in_types), lhs, rc, lc, rb, lb, swap_ans=True)


defbilinear(DotGeneralOp, _transpose_dot_lhs, _transpose_dot_rhs)


# ----------------------------------------------------------------------------- batching rule (JAX's)


def _batch_dot_general(node, operands, dims, size):
    """Both operands batched: the batch becomes a new leading batch dimension of the
    dot_general. One batched: its batch dimension becomes one more free dimension of
    that operand, so neither operand is broadcast or moved, and the result is batched
    where that free dimension lands (lhs free dimensions follow the batch dimensions,
    rhs ones the lhs ones)."""
    (lhs, rhs), (l_bdim, r_bdim) = operands, dims
    lhs_type, rhs_type = type_of(lhs), type_of(rhs)
    # Each side's dimension numbers renumbered past its batch dimension; DIMENSION_PARAMS
    # alternate lhs, rhs.
    lc, rc, lb, rb = (ds if bdim is None else shifted(ds, bdim)
                      for ds, bdim in zip((node.params[name] for name in DIMENSION_PARAMS), dims * 2, strict=True))
    lf = _free(lhs_type, lc, lb)
    if r_bdim is None:
        bdim = len(lb) + lf.index(l_bdim)
    elif l_bdim is None:
        bdim = len(lb) + len(lf) + _free(rhs_type, rc, rb).index(r_bdim)
    else:
        lb, rb, bdim = (l_bdim,) + lb, (r_bdim,) + rb, 0
    return build(DotGeneralOp, operands, **dict(zip(DIMENSION_PARAMS, (lc, rc, lb, rb), strict=True))), [bdim]


rules.batching[DotGeneralOp.OPERATION_NAME] = _batch_dot_general
