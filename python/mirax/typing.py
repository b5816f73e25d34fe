"""jax.typing: annotations for array-like and dtype-like inputs.

`ArrayLike` is what converts to an array implicitly (mirax Arrays and the tracers that
stand for them, NumPy arrays and scalars, Python scalars: not lists or strings), and
works with isinstance; `DTypeLike` is what np.dtype turns into a dtype mirax has."""
from typing import Any, Protocol, Union, runtime_checkable

import numpy as np

from mirax.core import Array, Tracer

__all__ = ["ArrayLike", "DTypeLike"]

ArrayLike = Union[Array, Tracer, np.ndarray, np.bool_, np.number, bool, int, float, complex]
ArrayLike.__doc__ = "Type annotation for JAX array-like objects."


@runtime_checkable
class SupportsDType(Protocol):
    @property
    def dtype(self, /) -> np.dtype: ...


DTypeLike = Union[str, type[Any], np.dtype, SupportsDType]
