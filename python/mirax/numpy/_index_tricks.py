"""Grids and ranges: meshgrid, the index objects mgrid, ogrid, r_ and c_ (s_ and
index_exp are NumPy's), logspace and geomspace, as JAX's."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import Tracer, with_source

from . import _ufuncs as ufuncs
from ._creation import arange, array, linspace
from ._shape import concatenate, expand_dims, stack, transpose
from ._util import canonicalize_axis, check_arraylike, promote_dtypes

s_ = np.s_
index_exp = np.index_exp


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    check_arraylike("meshgrid", *xi)
    args = [array(x, copy=False) for x in xi]
    if not copy:
        raise ValueError(with_source("jax.numpy.meshgrid only supports copy=True"))
    if indexing not in ("xy", "ij"):
        raise ValueError(with_source(f"Valid values for indexing are 'xy' and 'ij', got {indexing}"))
    if any(a.ndim != 1 for a in args):
        raise ValueError(with_source(f"Arguments to jax.numpy.meshgrid must be 1D, got shapes "
                                     f"{[a.shape for a in args]}"))
    if indexing == "xy" and len(args) >= 2:
        args[0], args[1] = args[1], args[0]
    shape = [1 if sparse else a.shape[0] for a in args]
    output = [lax.broadcast_in_dim(a, [*shape[:i], a.shape[0], *shape[i + 1:]] if sparse else shape, (i,))
              for i, a in enumerate(args)]
    if indexing == "xy" and len(args) >= 2:
        output[0], output[1] = output[1], output[0]
    return output


def _grid_from_slice(s, op_name):
    for bound in (s.start, s.stop, s.step):
        if isinstance(bound, Tracer):
            raise TypeError(with_source(f"jnp.{op_name}'s slice bounds must be concrete values, got a traced value"))
    start, stop, step = s.start or 0, s.stop, s.step or 1
    if np.iscomplex(step):
        return linspace(start, stop, int(abs(step)))
    return arange(start, stop, step)


class _Mgrid:
    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_from_slice(key, "mgrid")
        output = meshgrid(*promote_dtypes(*(_grid_from_slice(k, "mgrid") for k in key)), indexing="ij")
        return stack(output, 0) if output else arange(0)


class _Ogrid:
    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_from_slice(key, "ogrid")
        return meshgrid(*promote_dtypes(*(_grid_from_slice(k, "ogrid") for k in key)), indexing="ij", sparse=True)


mgrid = _Mgrid()
ogrid = _Ogrid()


class _AxisConcat:
    """NumPy's r_ and c_: slices become ranges, arrays are brought to ndmin dimensions
    and joined along axis; a leading string directive sets 'axis,ndmin,trans1d' or
    asks for a row ('r') or column ('c') matrix."""

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        params = [self.axis, self.ndmin, self.trans1d, -1]
        directive = key[0]
        if isinstance(directive, str):
            key = key[1:]
            if directive == "r":
                params[-1] = 0
            elif directive == "c":
                params[-1] = 1
            else:
                vec = directive.split(",")
                vec = vec + params[len(vec):] if len(vec) < 4 else vec[:3] + [params[-1]]
                try:
                    params = [int(v) for v in vec]
                except ValueError as err:
                    raise ValueError(with_source(f"could not understand directive {directive!r}")) from err
        axis, ndmin, trans1d, matrix = params
        output = []
        for item in key:
            if isinstance(item, slice):
                obj, item_ndim = _grid_from_slice(item, self.op_name), 0
            elif isinstance(item, str):
                raise ValueError(with_source("string directive must be placed at the beginning"))
            else:
                obj = array(item, copy=False)
                item_ndim = obj.ndim
            obj = array(obj, copy=False, ndmin=ndmin)
            if trans1d != -1 and ndmin - item_ndim > 0:
                order = tuple(range(ndmin))
                shifts = ndmin - abs(ndmin + trans1d + 1) % ndmin
                obj = transpose(obj, order[shifts:] + order[:shifts])
            output.append(obj)
        res = concatenate(tuple(output), axis=axis)
        return expand_dims(res, matrix) if matrix != -1 and res.ndim == 1 else res

    def __len__(self):
        return 0


class RClass(_AxisConcat):
    axis, ndmin, trans1d, op_name = 0, 1, -1, "r_"


class CClass(_AxisConcat):
    axis, ndmin, trans1d, op_name = -1, 2, 0, "c_"


r_ = RClass()
c_ = CClass()


def _space_dtypes(start, stop, dtype):
    dtype = dtypes.to_inexact_dtype(dtypes.result_type(start, stop)) if dtype is None \
        else dtypes.canonicalize_dtype(dtype)
    return dtype, dtypes.to_inexact_dtype(dtype)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop)."""
    num, axis = operator.index(num), operator.index(axis)
    dtype, computation_dtype = _space_dtypes(start, stop, dtype)
    check_arraylike("logspace", start, stop)
    start, stop = array(start).astype(computation_dtype), array(stop).astype(computation_dtype)
    lin = linspace(start, stop, num, endpoint=endpoint, axis=axis)
    return lax.convert_element_type(ufuncs.power(base, lin), dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Values evenly spaced on a log scale from start to stop (of one sign)."""
    num, axis = operator.index(num), operator.index(axis)
    dtype, computation_dtype = _space_dtypes(start, stop, dtype)
    check_arraylike("geomspace", start, stop)
    start, stop = array(start).astype(computation_dtype), array(stop).astype(computation_dtype)
    sign = ufuncs.sign(start)
    res = sign * logspace(ufuncs.log10(start / sign), ufuncs.log10(stop / sign), num, endpoint=endpoint, base=10.0,
                          dtype=computation_dtype, axis=0)
    axis = canonicalize_axis(axis, res.ndim)
    if axis != 0:
        res = lax.transpose(res, (*range(1, axis + 1), 0, *range(axis + 1, res.ndim)))
    return lax.convert_element_type(res, dtype)


__all__ = ["c_", "geomspace", "index_exp", "logspace", "meshgrid", "mgrid", "ogrid", "r_", "s_"]
