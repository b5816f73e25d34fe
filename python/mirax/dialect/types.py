"""Element types and tensor types: NumPy dtypes on the Python side, MLIR types in the IR.

Signed integers are signless (`i32`), unsigned ones carry their signedness (`ui32`),
booleans are `i1`, as in StableHLO; lowering erases signedness (see
mirax-to-linalg) once each op has chosen its signed or unsigned arithmetic.
"""
from typing import NamedTuple

import ml_dtypes
import numpy as np

from mirax.mlir import ir

_DTYPE_TO_MLIR = {
    np.dtype(np.bool_): "i1",
    np.dtype(np.int8): "i8",
    np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "ui8",
    np.dtype(np.uint16): "ui16",
    np.dtype(np.uint32): "ui32",
    np.dtype(np.uint64): "ui64",
    np.dtype(ml_dtypes.bfloat16): "bf16",
    np.dtype(np.float16): "f16",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.complex64): "complex<f32>",
    np.dtype(np.complex128): "complex<f64>",
}
_MLIR_TO_DTYPE = {name: dtype for dtype, name in _DTYPE_TO_MLIR.items()}
SUPPORTED_DTYPES = tuple(_DTYPE_TO_MLIR)


class ShapedType(NamedTuple):
    """What an op's rules see of a value: its shape and NumPy dtype."""

    shape: tuple
    dtype: np.dtype

    @property
    def ndim(self):
        return len(self.shape)

    def __str__(self):
        return f"{self.dtype.name}{list(self.shape)}"


def element_type(dtype):
    try:
        return ir.Type.parse(_DTYPE_TO_MLIR[np.dtype(dtype)])
    except KeyError:
        raise TypeError(f"mirax has no MLIR element type for dtype {np.dtype(dtype).name}") from None


def dtype_of(element):
    try:
        return _MLIR_TO_DTYPE[str(element)]
    except KeyError:
        raise TypeError(f"element type {element} is not a mirax element type") from None


def tensor_type(shaped):
    return ir.RankedTensorType.get(list(shaped.shape), element_type(shaped.dtype))


def shaped_type(mlir_type):
    """The ShapedType of a ranked tensor type; TypeError for anything else."""
    if not isinstance(mlir_type, ir.RankedTensorType):
        raise TypeError(f"expected a ranked tensor, got {mlir_type}")
    if not mlir_type.has_static_shape:
        raise TypeError(f"expected a static shape, got {mlir_type}")
    return ShapedType(tuple(mlir_type.shape), dtype_of(mlir_type.element_type))


def signless(mlir_type):
    """The same type with integer signedness erased: what arith and linalg compute on."""
    if isinstance(mlir_type, ir.RankedTensorType):
        return ir.RankedTensorType.get(mlir_type.shape, signless(mlir_type.element_type), loc=ir.Location.unknown())
    if isinstance(mlir_type, ir.IntegerType) and not mlir_type.is_signless:
        return ir.IntegerType.get_signless(mlir_type.width)
    return mlir_type


def is_float(dtype):
    return np.dtype(dtype).kind == "f" or np.dtype(dtype) == ml_dtypes.bfloat16


def is_complex(dtype):
    return np.dtype(dtype).kind == "c"


def is_unsigned(dtype):
    return np.dtype(dtype).kind == "u"


def is_bool(dtype):
    return np.dtype(dtype) == np.bool_


def is_integer(dtype):
    return np.dtype(dtype).kind in "iu"
