"""Functions of functions, by vmap as JAX's: vectorize (generalized ufuncs with a
signature), apply_along_axis, apply_over_axes, piecewise, fromfunction."""
import functools
import re

import numpy as np

from mirax import lax
from mirax.core import to_array, with_source
from mirax.vmapping import vmap

from ._creation import arange, array, asarray, zeros_like
from ._reductions import argmax, cumsum
from ._shape import concatenate, expand_dims, squeeze
from ._util import broadcast_shapes, canonicalize_axis, check_arraylike

_DIMENSION_NAME = r"\w+"
_CORE_DIMENSION_LIST = "(?:{0:}(?:,{0:})*)?".format(_DIMENSION_NAME)
_ARGUMENT = rf"\({_CORE_DIMENSION_LIST}\)"
_ARGUMENT_LIST = "{0:}(?:,{0:})*".format(_ARGUMENT)
_SIGNATURE = "^{0:}->{0:}$".format(_ARGUMENT_LIST)


def _parse_gufunc_signature(signature):
    """Input and output core dimensions of a signature such as '(m,n),(n,p)->(m,p)'."""
    if not re.match(_SIGNATURE, signature):
        raise ValueError(with_source(f"not a valid gufunc signature: {signature}"))
    return ([tuple(re.findall(_DIMENSION_NAME, arg)) for arg in re.findall(_ARGUMENT, arg_list)]
            for arg_list in signature.split("->"))


def _update_dim_sizes(dim_sizes, shape, core_dims, error_context, *, is_input):
    n = len(core_dims)
    if is_input and len(shape) < n:
        raise ValueError(with_source(f"input with shape {shape!r} does not have enough dimensions for all core "
                                     f"dimensions {core_dims!r} {error_context}"))
    if not is_input and len(shape) != n:
        raise ValueError(with_source(f"output shape {shape!r} does not match core dimensions {core_dims!r} "
                                     f"{error_context}"))
    for dim, size in zip(core_dims, shape[len(shape) - n:], strict=True):
        if dim not in dim_sizes:
            dim_sizes[dim] = size
        elif size != dim_sizes[dim]:
            raise ValueError(with_source(f"inconsistent size for core dimension {dim!r}: {size!r} vs "
                                         f"{dim_sizes[dim]!r} {error_context}"))


def _check_output_dims(func, dim_sizes, expected, error_context):
    def wrapped(*args):
        out = func(*args)
        out_shapes = [np.shape(o) for o in (out if isinstance(out, tuple) else [out])]
        if len(expected) > 1 and not isinstance(out, tuple):
            raise TypeError(with_source(f"output must be a tuple when multiple outputs are expected, got: {out!r}\n"
                                        f"{error_context}"))
        if len(out_shapes) != len(expected):
            raise TypeError(with_source(f"wrong number of output arguments: expected {len(expected)!r}, got "
                                        f"{len(out_shapes)!r} {error_context}"))
        sizes = dict(dim_sizes)
        for shape, core_dims in zip(out_shapes, expected, strict=True):
            _update_dim_sizes(sizes, shape, core_dims, error_context, is_input=False)
        return out

    return wrapped


def _apply_excluded(func, excluded, args, kwargs):
    """func with the positional and keyword arguments in `excluded` bound (not vectorized)."""
    if not excluded:
        return func, args, kwargs
    dynamic_args = [arg for i, arg in enumerate(args) if i not in excluded]
    dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in excluded}
    static_args = [(i, args[i]) for i in sorted(e for e in excluded if isinstance(e, int)) if i < len(args)]
    static_kwargs = {k: v for k, v in kwargs.items() if k in excluded}

    def new_func(*args, **kwargs):
        args = list(args)
        for i, arg in static_args:
            args.insert(i, arg)
        return func(*args, **kwargs, **static_kwargs)

    return new_func, dynamic_args, dynamic_kwargs


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """pyfunc mapped over its arguments' leading (non-core) dimensions, broadcast
    together, by one vmap per dimension (JAX's jnp.vectorize)."""
    if any(not isinstance(e, (str, int)) for e in excluded):
        raise TypeError(f"jax.numpy.vectorize can only exclude integer or string arguments, but excluded={excluded!r}")
    if any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"excluded={excluded!r} contains negative numbers")

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        error_context = f"on vectorized function with excluded={excluded!r} and signature={signature!r}"
        func, args, kwargs = _apply_excluded(pyfunc, excluded, args, kwargs)
        if signature is not None:
            input_core_dims, output_core_dims = _parse_gufunc_signature(signature)
        else:
            input_core_dims, output_core_dims = [()] * len(args), None
        none_args = {i for i, arg in enumerate(args) if arg is None}
        if none_args:
            if any(input_core_dims[i] != () for i in none_args):
                raise ValueError(with_source(f"Cannot pass None at locations {none_args} with "
                                             f"signature={signature!r}"))
            func, args, _ = _apply_excluded(func, none_args, args, {})
            input_core_dims = [d for i, d in enumerate(input_core_dims) if i not in none_args]
        args = tuple(asarray(a) for a in args)
        if len(args) != len(input_core_dims):
            raise TypeError(with_source(f"wrong number of positional arguments: expected {len(input_core_dims)!r}, "
                                        f"got {len(args)!r} {error_context}"))
        dim_sizes = {}
        for arg, core_dims in zip(args, input_core_dims, strict=True):
            _update_dim_sizes(dim_sizes, arg.shape, core_dims, error_context, is_input=True)
        broadcast_shape = broadcast_shapes("vectorize", *(a.shape[:a.ndim - len(c)]
                                                          for a, c in zip(args, input_core_dims, strict=True)))
        if output_core_dims is not None:
            func = _check_output_dims(func, dim_sizes, output_core_dims, error_context)
        squeezed_args, rev_filled_shapes = [], []
        for arg, core_dims in zip(args, input_core_dims, strict=True):
            noncore_shape = arg.shape[:arg.ndim - len(core_dims)]
            rev_filled_shapes.append(((1,) * (len(broadcast_shape) - len(noncore_shape)) + noncore_shape)[::-1])
            squeezed_args.append(squeeze(arg, axis=tuple(i for i, n in enumerate(noncore_shape) if n == 1)))
        dims_to_expand = []
        for negdim, axis_sizes in enumerate(zip(*rev_filled_shapes, strict=True)):
            in_axes = tuple(None if n == 1 else 0 for n in axis_sizes)
            if all(a is None for a in in_axes):
                dims_to_expand.append(len(broadcast_shape) - 1 - negdim)
            else:
                func = vmap(func, in_axes)
        result = func(*squeezed_args)
        if not dims_to_expand:
            return result
        if isinstance(result, tuple):
            return tuple(expand_dims(r, axis=dims_to_expand) for r in result)
        return expand_dims(result, axis=dims_to_expand)

    return wrapped


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    check_arraylike("apply_along_axis", arr)
    ndim = np.ndim(arr)
    axis = canonicalize_axis(axis, ndim)

    def func(a):
        return func1d(a, *args, **kwargs)

    for i in range(1, ndim - axis):
        func = vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = vmap(func, in_axes=0, out_axes=0)
    return func(to_array(arr))


def apply_over_axes(func, a, axes):
    check_arraylike("apply_over_axes", a)
    a = to_array(a)
    for axis in axes:
        b = func(a, axis)
        if b.ndim == a.ndim:
            a = b
        elif b.ndim == a.ndim - 1:
            a = expand_dims(b, axis)
        else:
            raise ValueError(with_source("function is not returning an array of the correct shape"))
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """funclist[i](x) (or the constant funclist[i]) where condlist[i] is the first true
    condition, the extra function (or 0) where none is; one lax.switch per element."""
    check_arraylike("piecewise", x)
    x = to_array(x)
    nc, nf = len(condlist), len(funclist)
    if nf == nc + 1:
        funclist = funclist[-1:] + funclist[:-1]
    elif nf == nc:
        funclist = [0] + list(funclist)
    else:
        raise ValueError(with_source(f"with {nc} condition(s), either {nc} or {nc + 1} functions are expected; got "
                                     f"{nf}"))
    condlist = asarray(condlist, dtype=bool)
    indices = argmax(cumsum(concatenate([zeros_like(condlist[:1]), condlist], 0), 0), 0)
    dtype = x.dtype

    def branch(f):
        if callable(f):
            return lambda x: f(x, *args, **kw).astype(dtype)
        return lambda x: array(f, dtype=dtype)

    return vectorize(lax.switch, excluded=(1,))(indices, [branch(f) for f in funclist], x)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """function(i0, i1, ...) of the index grids of `shape`, each index mapped by vmap."""
    shape = tuple(int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    for i in range(len(shape)):
        in_axes = [0 if i == j else None for j in range(len(shape))]
        function = vmap(function, in_axes=tuple(in_axes[::-1]))
    return function(*(arange(s, dtype=dtype) for s in shape), **kwargs)


__all__ = ["apply_along_axis", "apply_over_axes", "fromfunction", "piecewise", "vectorize"]
