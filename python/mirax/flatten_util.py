"""``jax.flatten_util``: a pytree of arrays raveled into one 1-D array."""

import functools

import numpy as np

from mirax import dtypes, lax
from mirax.tree_util import tree_flatten

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree):
    """``(flat, unravel)``: the leaves raveled and concatenated in the dtype they
    promote to (an empty float32 array for no leaves), and the function turning such
    an array back into the pytree."""
    leaves, treedef = tree_flatten(pytree)
    flat, unravel_list = _ravel_list(leaves)
    return flat, functools.partial(_unravel_pytree, treedef, unravel_list)


def _unravel_pytree(treedef, unravel_list, flat):
    return treedef.unflatten(unravel_list(flat))


def _ravel_list(leaves):
    if not leaves:
        return lax.reshape(np.zeros(0, np.float32), (0,)), lambda _: []
    from_dtypes = tuple(dtypes.dtype(x) for x in leaves)
    to_dtype = dtypes.result_type(*from_dtypes)
    sizes = tuple(int(np.size(x)) for x in leaves)
    shapes = tuple(np.shape(x) for x in leaves)
    if all(dt == to_dtype for dt in from_dtypes):
        # As JAX's: no conversion, so the unravel function takes any dtype (and the
        # concatenation keeps the leaves' weak type).
        flat = lax.concatenate([lax.reshape(x, (n,)) for x, n in zip(leaves, sizes, strict=True)], 0)
        return flat, functools.partial(_unravel_list, sizes, shapes, None, None)
    flat = lax.concatenate([lax.convert_element_type(x, to_dtype).ravel() for x in leaves], 0)
    return flat, functools.partial(_unravel_list, sizes, shapes, from_dtypes, to_dtype)


def _unravel_list(sizes, shapes, from_dtypes, to_dtype, flat):
    if to_dtype is not None and dtypes.dtype(flat) != to_dtype:
        raise TypeError(f"unravel function given array of dtype {dtypes.dtype(flat)}, "
                        f"but expected dtype {to_dtype}")
    if sum(sizes) != np.shape(flat)[0]:  # lax.split's error, which JAX's raises
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension 0 of the "
                         f"operand shape {list(np.shape(flat))}")
    starts = np.cumsum((0,) + sizes)
    chunks = [lax.slice_in_dim(flat, int(a), int(b)).reshape(shape)
              for a, b, shape in zip(starts[:-1], starts[1:], shapes, strict=True)]
    if from_dtypes is None:
        return chunks
    # A complex array's real part for a real leaf, without convert_element_type's
    # warning, which JAX's unravel does not give either.
    real = dtypes.is_complex(to_dtype)
    return [lax.convert_element_type(lax.real(c) if real and not dtypes.is_complex(dt) else c, dt)
            for c, dt in zip(chunks, from_dtypes, strict=True)]
