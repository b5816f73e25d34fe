"""Values made from nothing: constants and iota."""
import numpy as np

from mirax.mlir import arith, ir, linalg

from . import rules
from .scalar import convert_scalar
from .base import MiraxOp, dtype_, elements, int_, ints
from .jvp import defzero
from .lowering import generic, identity_map, scalar_type
from .types import ShapedType, is_bool, is_float, is_unsigned, signless, tensor_type


class ConstantOp(MiraxOp, name="constant", params={"value": elements}):
    """A tensor given by a dense elements attribute. Not complex: the Python bindings
    cannot read complex attributes back, so complex constants are `mirax.complex`
    of two real constants."""

    @staticmethod
    def infer(value):
        if value.dtype.kind == "c":
            raise TypeError("complex constants are written as mirax.complex of two real constants")
        return ShapedType(value.shape, value.dtype)


def _lower_constant(node):
    value = node.params["value"]
    if is_unsigned(value.dtype):  # signless storage of the same bits
        value = value.view(value.dtype.str.replace("u", "i"))
    type_ = signless(tensor_type(ShapedType(value.shape, value.dtype)))
    return [arith.ConstantOp(type_, ir.DenseElementsAttr.get(np.asarray(value, order="C"), type=type_)).result]


rules.lowering[ConstantOp.OPERATION_NAME] = _lower_constant


class IotaOp(MiraxOp, name="iota", params={"dtype": dtype_, "shape": ints, "dimension": int_}):
    """A tensor of `shape` counting 0, 1, ... along `dimension`."""

    @staticmethod
    def infer(dtype, shape, dimension):
        if not 0 <= dimension < len(shape):
            raise TypeError(f"iota dimension {dimension} is out of range for shape {list(shape)}")
        if is_bool(dtype):
            raise TypeError("iota does not produce bool")
        return ShapedType(tuple(shape), np.dtype(dtype))


def _lower_iota(node):
    (out,) = node.out_types
    dimension = node.params["dimension"]

    def body(_):
        index = linalg.IndexOp(dimension).result
        as_int = arith.index_cast(ir.IntegerType.get_signless(64), index)
        if is_float(out.dtype) or out.dtype.kind == "c":
            return [convert_scalar(np.int64, out.dtype, as_int)]
        width = 8 * out.dtype.itemsize
        return [as_int if width == 64 else arith.trunci(scalar_type(out.dtype), as_int)]

    return generic(node.out_types, [], [identity_map(len(out.shape))], body)


rules.lowering[IotaOp.OPERATION_NAME] = _lower_iota

defzero(ConstantOp)
defzero(IotaOp)
