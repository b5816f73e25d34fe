"""mirax.pmap, as JAX 0.10's jax.pmap: a jit of a shard_map (check_vma=False) over a
one-axis mesh of every process's device. Under mpiexec each process passes its own data,
whose mapped axis is as long as its local devices (one CPU device each), and gets its own
results back; collectives over `axis_name` span the processes.

The shard_map takes global values: each process's argument is its data placed at its
block of zeros (so the block it is given is its own, and the cotangent of its data is
that block's), and each mapped output is its block of the gathered result."""
import functools

import numpy as np

from mirax import lax, platforms
from mirax._shard_map import shard_map
from mirax.api import check_callable, jit
from mirax.core import to_array
from mirax.sharding import Mesh, PartitionSpec
from mirax.tree_util import flatten_prefix, tree_flatten, tree_map, tree_unflatten

__all__ = ["pmap"]


def _index_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _spec(axis_name, axis):
    return PartitionSpec() if axis is None else PartitionSpec(*[None] * axis, axis_name)


def pmap(fun, axis_name=None, *, in_axes=0, out_axes=0, static_broadcasted_argnums=(), devices=None, backend=None,
         axis_size=None, donate_argnums=()):
    """`fun` mapped over the processes (one CPU device each), as jax.pmap. Donated
    arguments (donate_argnums) are a permission JAX's CPU backend may use: mirax keeps
    their buffers, which changes no result."""
    check_callable(fun)
    axis_name = "_internal_pmap_axis_name" if axis_name is None else axis_name
    static = _index_tuple(static_broadcasted_argnums)
    _index_tuple(donate_argnums)  # JAX's checks of the argument's type
    for what, axes in (("in_axes", in_axes), ("out_axes", out_axes)):
        if not all(type(a) is int for a in tree_flatten(axes)[0]):
            raise TypeError(f"pmap {what} must be an int, None, or (nested) container with those types as leaves, "
                            f"but got {axes}.")
    if backend is not None and platforms.platform(backend) != "cpu":
        raise NotImplementedError(f"mirax.pmap runs on the CPU (one device per MPI process), got backend={backend!r}")
    if devices is not None:
        if not devices:
            raise ValueError("'devices' argument to pmap must be non-empty, or None.")
        if list(devices) != platforms.devices("cpu"):
            raise NotImplementedError("mirax.pmap: devices= must be every process's device, in process order")
    cache = {}

    @functools.wraps(fun)
    def mapped(*args, **kwargs):
        if static and max(static) >= len(args):
            raise ValueError(f"pmapped function has static_broadcasted_argnums={static} but was called with only "
                             f"{len(args)} positional argument{'s' if len(args) > 1 else ''}. All static broadcasted "
                             f"arguments must be passed positionally.")
        dynamic = [i for i in range(len(args)) if i not in static]
        dyn_in_axes = tuple(in_axes[i] for i in dynamic) if static and isinstance(in_axes, tuple) else in_axes
        leaves, tree = tree_flatten(([args[i] for i in dynamic] if static else list(args), kwargs))
        axes = tuple(flatten_prefix((list(dyn_in_axes) if isinstance(dyn_in_axes, tuple) else dyn_in_axes, 0),
                                    tree, name="pmap in_axes"))
        leaves = [to_array(x) for x in leaves]
        mapped_sizes = [x.aval.shape[a] for x, a in zip(leaves, axes, strict=True) if a is not None]
        if not mapped_sizes:
            raise ValueError("pmap requires at least one argument with a mapped axis.")
        index, count = platforms.processes()
        if count == 1 and axis_size is not None and axis_size != mapped_sizes[0]:
            raise ValueError(f"Specified axis_size {axis_size} doesn't match received axis_size {mapped_sizes[0]}.")
        if mapped_sizes[0] != 1:
            raise ValueError(f"mirax.pmap: the mapped axis has size {mapped_sizes[0]} on this process, which has 1 "
                             f"device (one CPU device per process: under mpiexec -n N each process passes its own "
                             f"slice of size 1, and the axis spans the N processes)")
        if axis_size is not None and axis_size != count:
            raise ValueError(f"Specified axis_size {axis_size} doesn't match the {count} processes' devices.")
        statics = tuple((i, args[i]) for i in static)
        key = (tree, axes, statics)
        if key not in cache:
            cache[key] = jit(_program(fun, axis_name, tree, axes, out_axes, dict(statics), index, count))
        return cache[key](*leaves)

    return mapped


def _program(fun, axis_name, tree, axes, out_axes, statics, index, count):
    """(this process's flat arguments...) -> its results: the shard_map over all
    processes' devices (see the module's docstring)."""
    mesh = Mesh(platforms.devices("cpu"), (axis_name,))
    out_specs = tree_map(functools.partial(_spec, axis_name), out_axes, is_leaf=lambda a: a is None)

    def body(*blocks):
        blocks = [x if a is None else lax.squeeze(x, [a]) for x, a in zip(blocks, axes, strict=True)]
        dyn_args, kwargs = tree_unflatten(tree, blocks)
        dynamic = iter(dyn_args)
        args = [statics[i] if i in statics else next(dynamic) for i in range(len(dyn_args) + len(statics))]
        out = fun(*args, **kwargs)
        outs, out_tree = tree_flatten(out)
        outs = [y if a is None else lax.expand_dims(y, [a]) for y, a in zip(
            outs, flatten_prefix(out_axes, out_tree, name="pmap out_axes"), strict=True)]
        return tree_unflatten(out_tree, outs)

    mapped = shard_map(body, mesh=mesh, in_specs=tuple(_spec(axis_name, a) for a in axes), out_specs=out_specs,
                       check_vma=False)

    def program(*leaves):
        placed = [x if a is None else lax.pad(x, np.zeros((), x.dtype), [
            (index, count - 1 - index, 0) if d == a else (0, 0, 0) for d in range(x.ndim)])
            for x, a in zip(leaves, axes, strict=True)]
        out = mapped(*placed)
        outs, out_tree = tree_flatten(out)
        outs = [y if a is None else lax.index_in_dim(y, index, a) for y, a in zip(
            outs, flatten_prefix(out_axes, out_tree, name="pmap out_axes"), strict=True)]
        return tree_unflatten(out_tree, outs)

    return program
