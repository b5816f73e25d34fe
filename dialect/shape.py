"""Ops that move elements without computing on them: broadcast, reshape, transpose."""
import numpy as np

from mirax.mlir import arith, ir, linalg, tensor

from . import rules
from .base import MiraxOp, ints
from .lowering import empty, generic, identity_map
from .types import ShapedType


class BroadcastInDimOp(MiraxOp, name="broadcast_in_dim", operands=("operand",),
                       params={"shape": ints, "broadcast_dimensions": ints}):
    """Operand dimension i becomes result dimension broadcast_dimensions[i] (same size,
    or size 1 to be repeated); other result dimensions repeat the operand."""

    @staticmethod
    def infer(x, shape, broadcast_dimensions):
        dims = broadcast_dimensions
        if len(dims) != x.ndim:
            raise TypeError(f"broadcast_dimensions {list(dims)} must have one entry per operand dimension "
                            f"of shape {list(x.shape)}")
        if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
            raise TypeError(f"broadcast_dimensions {list(dims)} must be increasing and within rank {len(shape)}")
        for size, d in zip(x.shape, dims, strict=True):
            if size not in (1, shape[d]):
                raise TypeError(f"cannot broadcast shape {list(x.shape)} to {list(shape)} "
                                f"along dimensions {list(dims)}")
        return ShapedType(tuple(shape), x.dtype)


def _lower_broadcast_in_dim(node, x):
    (out,) = node.out_types
    rank = len(out.shape)
    exprs = [
        ir.AffineConstantExpr.get(0) if size == 1 and out.shape[d] != 1 else ir.AffineDimExpr.get(d)
        for size, d in zip(node.in_types[0].shape, node.params["broadcast_dimensions"], strict=True)
    ]
    maps = [ir.AffineMap.get(rank, 0, exprs), identity_map(rank)]
    return generic(node.out_types, [x], maps, lambda v, _: [v])


rules.lowering[BroadcastInDimOp.OPERATION_NAME] = _lower_broadcast_in_dim


class ReshapeOp(MiraxOp, name="reshape", operands=("operand",), params={"new_sizes": ints}):
    """The same elements in row-major order, in a new shape of the same size."""

    @staticmethod
    def infer(x, new_sizes):
        if any(s < 0 for s in new_sizes) or int(np.prod(new_sizes)) != int(np.prod(x.shape)):
            raise TypeError(f"cannot reshape {list(x.shape)} to {list(new_sizes)}: sizes differ")
        return ShapedType(tuple(new_sizes), x.dtype)


def _lower_reshape(node, x):
    (out,) = node.out_types
    index = ir.IndexType.get()
    shape_type = ir.RankedTensorType.get([len(out.shape)], index)
    shape = arith.ConstantOp(shape_type, ir.DenseElementsAttr.get(np.array(out.shape, np.int64), type=shape_type))
    return [tensor.ReshapeOp(empty(out).type, x, shape.result).result]


rules.lowering[ReshapeOp.OPERATION_NAME] = _lower_reshape


class TransposeOp(MiraxOp, name="transpose", operands=("operand",), params={"permutation": ints}):
    """Result dimension i is operand dimension permutation[i]."""

    @staticmethod
    def infer(x, permutation):
        if sorted(permutation) != list(range(x.ndim)):
            raise TypeError(f"permutation {list(permutation)} is not a permutation of the "
                            f"{x.ndim} dimensions of shape {list(x.shape)}")
        return ShapedType(tuple(x.shape[p] for p in permutation), x.dtype)


rules.lowering[TransposeOp.OPERATION_NAME] = lambda node, x: [
    linalg.transpose(x, outs=[empty(node.out_types[0])], permutation=list(node.params["permutation"]))
]
