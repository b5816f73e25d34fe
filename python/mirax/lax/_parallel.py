"""Collectives over named mesh axes, as jax.lax's: psum, pmean, pmax, pmin, all_gather,
psum_scatter, ppermute, all_to_all, axis_index, axis_size and pcast. They work inside mirax.shard_map, which
binds its mesh's axis names while it traces its function (`bound_axes`); elsewhere an
axis name is unbound (JAX's NameError). Each binds an op of dialect/collectives.py,
which carries the mesh; under check_vma=True psum binds psum_invariant, as JAX's."""
import contextlib
import math
import threading
from typing import NamedTuple

import numpy as np

from mirax.core import Aval, Tracer, bind, to_array, with_source, zeros
from mirax.dialect.collectives import (AllGatherOp, AxisIndexOp, PmaxOp, PminOp, PpermuteOp, PsumInvariantOp,
                                       PsumOp, PsumScatterOp, PvaryOp)
from mirax.tree_util import tree_map

from ._elementwise import convert_element_type
from ._shape import dynamic_slice_in_dim, dynamic_update_slice_in_dim, expand_dims, squeeze

__all__ = ["all_gather", "all_to_all", "axis_index", "axis_size", "pcast", "pmax", "pmean", "pmin", "ppermute", "psum",
           "psum_scatter"]


class Frame(NamedTuple):
    """The axes a shard_map binds: its mesh's names and sizes, and its check_vma."""

    mesh_axes: tuple
    mesh_shape: tuple
    check_vma: bool


_state = threading.local()


@contextlib.contextmanager
def bound_axes(mesh_axes, mesh_shape, check_vma):
    """Bind the mesh's axis names while shard_map traces its function."""
    previous = getattr(_state, "frame", None)
    if previous is not None:
        raise NotImplementedError("mirax.shard_map inside another shard_map's function is not supported")
    _state.frame = Frame(tuple(mesh_axes), tuple(mesh_shape), check_vma)
    try:
        yield
    finally:
        _state.frame = previous


def _axes(axis_name):
    return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _frame(axes, api_name):
    """The binding frame of `axes`; JAX's NameError for an unbound one."""
    frame = getattr(_state, "frame", None)
    for name in axes:
        if isinstance(name, int):
            raise NotImplementedError(f"{api_name}: positional (integer) axes are not supported; use named axes")
        if frame is None or name not in frame.mesh_axes:
            raise NameError(with_source(f"unbound axis name: {name}"))
    return frame


def _params(frame, axes):
    return {"axes": axes, "mesh_axes": frame.mesh_axes, "mesh_shape": frame.mesh_shape}


def _size(frame, axes):
    sizes = dict(zip(frame.mesh_axes, frame.mesh_shape, strict=True))
    return math.prod(sizes[a] for a in axes)


def _no_groups(axis_index_groups, api_name):
    if axis_index_groups is not None:
        raise NotImplementedError(f"{api_name}: axis_index_groups is not supported")


def _collective(op_cls, x, axes, frame, **params):
    """`op_cls` on `x`; booleans (which MPI has no datatype for) summed as int32, as
    JAX's psum sums them, and otherwise moved as bytes and kept boolean."""
    x = to_array(x)
    if x.aval.dtype != np.bool_:
        return bind(op_cls, x, **_params(frame, axes), **params)[0]
    if op_cls in (PsumOp, PsumInvariantOp, PsumScatterOp):
        return bind(op_cls, convert_element_type(x, np.int32), **_params(frame, axes), **params)[0]
    out = bind(op_cls, convert_element_type(x, np.uint8), **_params(frame, axes), **params)[0]
    return convert_element_type(out, np.bool_)


def psum(x, axis_name, *, axis_index_groups=None):
    """The sum of `x` (a pytree) over the processes along `axis_name`. A value that is
    not traced (a constant) is the same everywhere: it is multiplied by the axis size."""
    _no_groups(axis_index_groups, "psum")
    axes = _axes(axis_name)
    frame = _frame(axes, "psum")
    if not axes:
        return x
    op_cls = PsumInvariantOp if frame.check_vma else PsumOp

    def leaf(v):
        if not isinstance(v, Tracer):
            return to_array(v) * _size(frame, axes)
        return _collective(op_cls, v, axes, frame)

    return tree_map(leaf, x)


def pmean(x, axis_name, *, axis_index_groups=None):
    """The mean of `x` (a pytree) over the processes along `axis_name`."""
    total = psum(x, axis_name, axis_index_groups=axis_index_groups)
    n = _size(_frame(_axes(axis_name), "pmean"), _axes(axis_name))
    return tree_map(lambda v: v / n, total)


def _extremum(op_cls, api_name):
    def reduce(x, axis_name, *, axis_index_groups=None):
        _no_groups(axis_index_groups, api_name)
        axes = _axes(axis_name)
        frame = _frame(axes, api_name)
        return tree_map(lambda v: _collective(op_cls, v, axes, frame), x) if axes else x

    reduce.__name__ = api_name
    reduce.__doc__ = f"The elementwise {api_name[1:]}imum of `x` (a pytree) over the processes along `axis_name`."
    return reduce


pmax = _extremum(PmaxOp, "pmax")
pmin = _extremum(PminOp, "pmin")


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False, to="varying"):
    """Every process's `x` (a pytree) along `axis_name`, stacked along a new dimension
    `axis` (concatenated along `axis` if `tiled`)."""
    _no_groups(axis_index_groups, "all_gather")
    if to != "varying":
        raise NotImplementedError(f"all_gather: to={to!r} is not supported (only 'varying')")
    axes = _axes(axis_name)
    frame = _frame(axes, "all_gather")

    def leaf(v):
        v = to_array(v)
        ndim = v.aval.ndim + (not tiled)
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
        return _collective(AllGatherOp, v, axes, frame, axis=axis % ndim, tiled=bool(tiled))

    return tree_map(leaf, x) if axes else x


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """psum of `x` (a pytree) along `axis_name`, each process keeping its block of
    `scatter_dimension` (its index along the axis; with `tiled` False that dimension,
    of the axis's size, is dropped)."""
    _no_groups(axis_index_groups, "psum_scatter")
    axes = _axes(axis_name)
    frame = _frame(axes, "psum_scatter")

    def leaf(v):
        v = to_array(v)
        if not -v.aval.ndim <= scatter_dimension < v.aval.ndim:
            raise ValueError(f"scatter_dimension {scatter_dimension} is out of bounds for array of dimension "
                             f"{v.aval.ndim}")
        return _collective(PsumScatterOp, v, axes, frame, scatter_dimension=scatter_dimension % v.aval.ndim,
                           tiled=bool(tiled))

    return tree_map(leaf, x)


def ppermute(x, axis_name, perm):
    """Each process's `x` (a pytree) sent along `axis_name` as `perm` (pairs of source
    and destination indices along it) says; a process no source sends to gets zeros."""
    axes = _axes(axis_name)
    frame = _frame(axes, "ppermute")
    n = _size(frame, axes)
    pairs = [(int(s) % n, int(d) % n) for s, d in perm]
    sources, destinations = zip(*pairs) if pairs else ((), ())
    if len(set(sources)) != len(sources) or len(set(destinations)) != len(destinations):
        raise ValueError(f"ppermute sources and destinations must be unique, got {perm}.")
    flat = tuple(i for pair in pairs for i in pair)
    return tree_map(lambda v: _collective(PpermuteOp, v, axes, frame, perm=flat), x)


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """Each process's `x` (a pytree) cut along `split_axis` into a chunk per process
    along `axis_name` (with `tiled` False, that dimension's size is the axis's and it is
    dropped), chunk k sent to process k, and the chunks received put together along
    `concat_axis` in the order of their senders (with `tiled` False, a new dimension):
    the other processes' chunks arrive by one ppermute per shift."""
    _no_groups(axis_index_groups, "all_to_all")
    axes = _axes(axis_name)
    frame = _frame(axes, "all_to_all")
    n = _size(frame, axes)
    me = axis_index(axes)

    def leaf(v):
        v = to_array(v)
        split = split_axis % v.aval.ndim
        if tiled and v.aval.shape[split] % n:
            raise ValueError(f"The size of all_to_all split_axis ({v.aval.shape[split]}) has to be divisible by the "
                             f"size of the named axis {axis_name} ({n})")
        if not tiled and v.aval.shape[split] != n:
            raise ValueError(f"all_to_all requires the size of the mapped axis axis_name to equal x.shape[split_axis], "
                             f"but they are {n} and {v.aval.shape[split]} respectively.")
        size = v.aval.shape[split] // n
        pieces = []
        for shift in range(n):  # to the process `shift` further along, from the one `shift` before
            chunk = dynamic_slice_in_dim(v, (me + shift) % n * size, size, split)
            if not tiled:
                chunk = squeeze(chunk, (split,))
            if shift:
                chunk = ppermute(chunk, axes, [(k, (k + shift) % n) for k in range(n)])
            pieces.append(chunk if tiled else expand_dims(chunk, (concat_axis % (chunk.aval.ndim + 1),)))
        concat = concat_axis % pieces[0].aval.ndim
        shape = list(pieces[0].aval.shape)
        shape[concat] *= n
        out = zeros(Aval(tuple(shape), pieces[0].aval.dtype))
        for shift, piece in enumerate(pieces):
            out = dynamic_update_slice_in_dim(out, piece, (me - shift) % n * piece.aval.shape[concat], concat)
        return out

    return tree_map(leaf, x)


def axis_index(axis_name):
    """This process's index along `axis_name` (row-major over a tuple of axes), int32."""
    axes = _axes(axis_name)
    return bind(AxisIndexOp, **_params(_frame(axes, "axis_index"), axes))[0]


def axis_size(axis_name):
    """The number of processes along `axis_name` (a Python int)."""
    axes = _axes(axis_name)
    return _size(_frame(axes, "axis_size"), axes)


def pcast(x, axis_name, *, to):
    """`x` (a pytree), the same on every process along `axis_name`, typed as varying over
    it (`to="varying"`, check_vma=True; without it, `x` itself), as JAX's."""
    if isinstance(axis_name, (set, frozenset)):
        raise TypeError(f"{axis_name=} must be a tuple or a str. Got {axis_name}")
    axes = _axes(axis_name)
    if not axes:
        return x
    if to not in ("unreduced", "reduced", "varying"):
        raise ValueError(f"Got unexpected `to` value. Allowed `to` values are: {{'unreduced', 'reduced', 'varying'}}")
    if to != "varying":
        raise NotImplementedError(f"pcast to={to!r}: mirax has no reduced or unreduced types")
    frame = _frame(axes, "pcast")
    if not frame.check_vma:
        return x
    return tree_map(lambda v: _collective(PvaryOp, v, axes, frame), x)
