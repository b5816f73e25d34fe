"""jax.dlpack: arrays from other libraries through the DLPack protocol (NumPy's
consumer), on the CPU. mirax's arrays own their buffers: from_dlpack copies, and
copy=False, which promises none, is refused. Arrays export themselves (Array.__dlpack__)."""
import numpy as np

from mirax import dtypes
from mirax.core import to_array

__all__ = ["from_dlpack", "is_supported_dtype"]

SUPPORTED_DTYPES = frozenset(np.dtype(d) for d in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float16, dtypes.bfloat16,
    np.float32, np.float64, np.complex64, np.complex128, np.bool_))


def is_supported_dtype(dtype):
    """Whether DLPack exchanges arrays of `dtype` (as jax.dlpack's)."""
    if dtype is None:
        raise TypeError(f"Expected a string or dtype-like object; got {dtype=}")
    return np.dtype(dtype) in SUPPORTED_DTYPES


def from_dlpack(external_array, device=None, copy=None):
    """A mirax Array with the values (and canonical dtype) of `external_array`, any object
    with __dlpack__ and __dlpack_device__ whose buffer is on the CPU, as jax.dlpack.from_dlpack."""
    if not hasattr(external_array, "__dlpack__") or not hasattr(external_array, "__dlpack_device__"):
        raise TypeError("The array passed to from_dlpack must have __dlpack__ and __dlpack_device__ methods.")
    if device is not None:
        raise NotImplementedError("mirax.dlpack.from_dlpack does not support device: arrays arrive on the CPU")
    if copy is False:
        raise NotImplementedError("mirax.dlpack.from_dlpack does not support copy=False: mirax's arrays own their "
                                  "buffers, so it copies")
    return to_array(np.array(np.from_dlpack(external_array), copy=True))
