"""dot_general: contraction of two operands of one dtype over paired dimensions.

Result dimensions are ordered as XLA's: the batch dimensions, then lhs's free
(neither batch nor contracting) dimensions, then rhs's. Bool contracts as the or of
ands; half-precision floats accumulate in f32. Mixed dtypes and
preferred_element_type are the lax wrapper's business (it converts the operands).

Forms that a linalg named op expresses exactly lower to it (matmul, batch_matmul,
matvec, vecmat, dot, ...), since later tiling and vectorization passes target those;
every other form is a linalg.generic with one loop per batch, free and contracting
dimension, the contracting ones reductions.
"""
import numpy as np

from mirax.mlir import ir, linalg

from . import rules
from .base import MiraxOp, build, ints, op_class
from .batching import shifted
from .elementwise import BINARY, convert_scalar
from .lowering import PARALLEL, REDUCTION, generic, reshape, transpose
from .reduction import accumulator_dtype, convert_tensor, filled
from .types import ShapedType, is_bool
from .values import add_tangents, apply, type_of

DIMENSION_PARAMS = ("lhs_contracting_dimensions", "rhs_contracting_dimensions",
                    "lhs_batch_dimensions", "rhs_batch_dimensions")


def _free(x, contracting, batch):
    return [d for d in range(x.ndim) if d not in contracting and d not in batch]


def _check_dims(side, x, contracting, batch):
    dims = list(contracting) + list(batch)
    if any(not 0 <= d < x.ndim for d in dims) or len(set(dims)) != len(dims):
        raise TypeError(f"{side} contracting dimensions {list(contracting)} and batch dimensions {list(batch)} "
                        f"must be distinct dimensions of shape {list(x.shape)}")


class DotGeneralOp(MiraxOp, name="dot_general", operands=("lhs", "rhs"),
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


# (lhs rank, rhs rank, lhs contracting, rhs contracting, lhs batch, rhs batch) -> named op
NAMED = {
    (2, 2, (1,), (0,), (), ()): linalg.matmul,
    (3, 3, (2,), (1,), (0,), (0,)): linalg.batch_matmul,
    (2, 1, (1,), (0,), (), ()): linalg.matvec,
    (1, 2, (0,), (0,), (), ()): linalg.vecmat,
    (1, 1, (0,), (0,), (), ()): linalg.dot,
    (3, 2, (2,), (1,), (0,), (0,)): linalg.batch_matvec,
    (2, 3, (1,), (1,), (0,), (0,)): linalg.batch_vecmat,
}


def _generic_dot(lhs_type, rhs_type, acc, params, lhs, rhs):
    """Loops (batch..., lhs free..., rhs free..., contracting...); the result takes the
    first three groups. Without contracting dimensions, each element is one product."""
    lc, rc, lb, rb = (params[name] for name in DIMENSION_PARAMS)
    lf, rf = _free(lhs_type, lc, lb), _free(rhs_type, rc, rb)
    loops = len(lb) + len(lf) + len(rf) + len(lc)
    free_start = {"lhs": len(lb), "rhs": len(lb) + len(lf)}

    def operand_map(x, side, contracting, batch, free):
        def loop(d):
            if d in batch:
                return batch.index(d)
            if d in contracting:
                return loops - len(contracting) + contracting.index(d)
            return free_start[side] + free.index(d)

        return ir.AffineMap.get(loops, 0, [ir.AffineDimExpr.get(loop(d)) for d in range(x.ndim)])

    out_map = ir.AffineMap.get(loops, 0, [ir.AffineDimExpr.get(i) for i in range(loops - len(lc))])
    maps = [operand_map(lhs_type, "lhs", lc, lb, lf), operand_map(rhs_type, "rhs", rc, rb, rf), out_map]
    iterators = [PARALLEL] * (loops - len(lc)) + [REDUCTION] * len(lc)
    add, mul = BINARY["add"][1], BINARY["mul"][1]  # or and and for bool

    def body(a, b, total):
        a, b = (convert_scalar(lhs_type.dtype, acc.dtype, v) for v in (a, b))
        product = mul(acc.dtype, a, b)
        return [add(acc.dtype, total, product) if lc else product]

    return generic([acc], [lhs, rhs], maps, body, iterators, inits=[filled(acc, 0)] if lc else None)[0]


def _as_matmul(node, lhs, rhs):
    """Any dot_general as XLA does it: operands transposed to (batch, free, contracting)
    and (batch, contracting, free), flattened to a (batched) matmul, the product
    reshaped back. The named matmul is what mirax-vectorize-matmul makes fast."""
    lhs_type, rhs_type = node.in_types
    (out,) = node.out_types
    lc, rc, lb, rb = (node.params[name] for name in DIMENSION_PARAMS)
    lf, rf = _free(lhs_type, lc, lb), _free(rhs_type, rc, rb)
    size = lambda x, dims: int(np.prod([x.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch, m, k, n = size(lhs_type, lb), size(lhs_type, lf), size(lhs_type, lc), size(rhs_type, rf)
    lead = (batch,) if lb else ()
    a = reshape(transpose(lhs, lhs_type, list(lb) + lf + list(lc)), ShapedType(lead + (m, k), lhs_type.dtype))
    b = reshape(transpose(rhs, rhs_type, list(rb) + list(rc) + rf), ShapedType(lead + (k, n), rhs_type.dtype))
    acc = ShapedType(lead + (m, n), accumulator_dtype(out.dtype))
    product = (linalg.batch_matmul if lb else linalg.matmul)(a, b, outs=[filled(acc, 0)])
    return reshape(convert_tensor(product, acc, out.dtype), out)


def _lower_dot_general(node, lhs, rhs):
    lhs_type, rhs_type = node.in_types
    (out,) = node.out_types
    form = (lhs_type.ndim, rhs_type.ndim) + tuple(tuple(node.params[name]) for name in DIMENSION_PARAMS)
    named = NAMED.get(form)
    if is_bool(out.dtype) or not node.params["lhs_contracting_dimensions"]:
        # The named ops add bools as xor; outer products (per-example gradients of dense
        # layers) are one loop nest of products, which fuses and vectorizes, in the
        # result's own layout.
        acc = ShapedType(out.shape, accumulator_dtype(out.dtype))
        return [convert_tensor(_generic_dot(lhs_type, rhs_type, acc, node.params, lhs, rhs), acc, out.dtype)]
    if named is None:
        return [_as_matmul(node, lhs, rhs)]
    acc = ShapedType(out.shape, accumulator_dtype(out.dtype))
    result = named(lhs, rhs, outs=[filled(acc, 0)])  # they cast the operands to the accumulator type
    return [convert_tensor(result, acc, out.dtype)]


rules.lowering[DotGeneralOp.OPERATION_NAME] = _lower_dot_general


# ----------------------------------------------------------------------------- JVP rule: bilinear


def _dot_general_jvp(node, primals, tangents):
    lhs, rhs = primals
    t_lhs, t_rhs = tangents
    (result,) = build(DotGeneralOp, [lhs, rhs], **node.params)
    tangent = None
    if t_lhs is not None:
        tangent = add_tangents(tangent, build(DotGeneralOp, [t_lhs, rhs], **node.params)[0])
    if t_rhs is not None:
        tangent = add_tangents(tangent, build(DotGeneralOp, [lhs, t_rhs], **node.params)[0])
    return [result], [tangent]


rules.jvp[DotGeneralOp.OPERATION_NAME] = _dot_general_jvp


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
    return apply(op_class("mirax.transpose"), product, permutation=tuple(int(a) for a in out_axes))


def _transpose_dot_general(node, cts, operands, linear):
    (ct,), (lhs, rhs) = cts, node.in_types
    p = node.params
    lc, rc = p["lhs_contracting_dimensions"], p["rhs_contracting_dimensions"]
    lb, rb = p["lhs_batch_dimensions"], p["rhs_batch_dimensions"]
    if all(linear):
        raise TypeError("mirax.dot_general is not linear in both operands at once: it cannot be transposed")
    if linear[0]:
        return [_transpose_lhs(ct, lhs, rhs, operands[1], lc, rc, lb, rb), None]
    return [None, _transpose_lhs(ct, rhs, lhs, operands[0], rc, lc, rb, lb, swap_ans=True)]


rules.transpose[DotGeneralOp.OPERATION_NAME] = _transpose_dot_general


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
