"""Printing options, files and buffers: NumPy's functions where JAX re-exports them, and
JAX's wrappers converting NumPy's results to arrays."""
import numpy as np
from numpy import array_repr, array_str, save, savez  # noqa: F401  (NumPy's own, as jax.numpy's)

from mirax import dtypes

from ._creation import asarray


def get_printoptions():
    return np.get_printoptions()


def printoptions(*args, **kwargs):
    return np.printoptions(*args, **kwargs)


def set_printoptions(*args, **kwargs):
    return np.set_printoptions(*args, **kwargs)


def load(file, *args, **kwargs):
    """np.load, arrays converted (bfloat16 saved by NumPy as raw 2-byte voids restored)."""
    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray):
        if out.dtype == "V2":
            out = out.view(dtypes.bfloat16)
        try:
            out = asarray(out)
        except (TypeError, AssertionError):
            pass
    return out


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return asarray(np.frombuffer(buffer=buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    return asarray(np.fromstring(string=string, dtype=dtype, count=count, sep=sep))


def _impure(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(
            f"jnp.{name}() is not implemented because it may be non-pure and thus unsafe for use with JIT and other "
            f"JAX transformations. Consider using jnp.asarray(np.{name}(...)) instead, although care should be taken "
            f"if np.{name} is used within a jax transformations because of its potential side-effect of consuming the "
            f"{'file' if name == 'fromfile' else 'iterable'} object; for more information see "
            "https://docs.jax.dev/en/latest/notebooks/Common_Gotchas_in_JAX.html#pure-functions")

    fn.__name__ = fn.__qualname__ = name
    return fn


fromfile = _impure("fromfile")
fromiter = _impure("fromiter")

__all__ = ["array_repr", "array_str", "frombuffer", "fromfile", "fromiter", "fromstring", "get_printoptions", "load",
           "printoptions", "save", "savez", "set_printoptions"]
