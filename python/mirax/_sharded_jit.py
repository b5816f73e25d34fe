"""jit(f, in_shardings=, out_shardings=) over the processes (one CPU device each): the
program's @main carries the shardings (its mirax.shardings attribute, so that the
compilation caches' keys hold them) for mirax-shard-partition, which partitions its
linalg stage through MLIR's sharding-propagation and shard-partition: each process
computes its part (a data-parallel gradient on its shards, summed by one all_reduce),
with the collectives the shardings imply lowered to MPI as shard_map's are. The results
are global values laid out as out_shardings says (PlacedArrays).

Supported: NamedShardings (or PartitionSpecs under set_mesh) over a mesh of every
process's device with one axis of more than one device, at the top level (not under
another transformation), of programs without collectives of their own; an op that MLIR cannot partition is a
NotImplementedError naming it. As JAX's, NumPy inputs split over several processes are
a ValueError (pass Arrays: device_put with the sharding)."""
import numpy as np

from mirax import distributed, platforms, runtime
from mirax._array_sharding import PlacedArray
from mirax._shard_map import check_mesh
from mirax import api
from mirax.core import Array, current_trace
from mirax.mlir import ir
from mirax.mlir_context import context
from mirax.passes.mirax_shard_partition import SHARDINGS
from mirax.sharding import NamedSharding, PartitionSpec, context_mesh, named
from mirax.tree_util import flatten_prefix, tree_flatten, tree_unflatten

__all__ = ["PartitionedJitted"]


def _check_types(shardings, what):
    for s in tree_flatten(shardings, is_leaf=lambda x: x is None or isinstance(x, PartitionSpec))[0]:
        if s is not None and not isinstance(s, NamedSharding | PartitionSpec):
            raise NotImplementedError(f"mirax.jit: {what} entries must be NamedShardings, PartitionSpecs (under "
                                      f"set_mesh) or None, got {s!r}")


def _named(sharding, what):
    """A PartitionSpec as a NamedSharding over set_mesh's mesh (JAX's error without one)."""
    if isinstance(sharding, PartitionSpec) and context_mesh() is None:
        raise RuntimeError(f"jit requires a non-empty mesh in context if you are passing `PartitionSpec`s to {what}. "
                           "You can define a context mesh via `jax.set_mesh(mesh)`. Alternatively, provide "
                           f"`Sharding`s to {what} and then the mesh context manager is not required.")
    return named(sharding)


def _check(shardings, what):
    for s in shardings:
        if s is not None:
            check_mesh(s.mesh)
            if sum(size > 1 for size in s.mesh.devices.shape) > 1:
                raise NotImplementedError(f"mirax.jit: {what} over a mesh with more than one axis of several "
                                          f"devices ({s.mesh}) is not supported")


class PartitionedJitted(api.Jitted):
    """What jit returns given in_shardings or out_shardings (see the module's docstring)."""

    def __init__(self, fun, in_shardings, out_shardings, **kwargs):
        _check_types(in_shardings, "in_shardings")
        _check_types(out_shardings, "out_shardings")
        super().__init__(fun, **kwargs)
        self._in_shardings, self._out_shardings = in_shardings, out_shardings
        self._executables = {}

    def __call__(self, *args, **kwargs):
        if current_trace() is not None:
            raise NotImplementedError("mirax.jit with in_shardings/out_shardings inside another transformation (jit, "
                                      "grad, vmap, ...) is not supported")
        if kwargs and self._in_shardings is not None:
            raise NotImplementedError("mirax.jit with in_shardings: pass the arguments positionally")
        distributed.libmpi()  # the partitioned program's collectives call it
        traced, leaves = self._specialize(args, kwargs)
        trace = traced.trace
        if trace.ref_writes:
            raise NotImplementedError("mirax.jit with in_shardings/out_shardings of a function writing Refs")
        n = len(args)
        dynamic = tuple(a for i, a in enumerate(args) if i not in {i % n for i in self._static_argnums if -n <= i < n})
        in_shardings = [None] * len(leaves) if self._in_shardings is None else [_named(s, "in_shardings") for s in flatten_prefix(
            self._in_shardings, dynamic, name="jit in_shardings")]
        out_shardings = [None] * len(trace.out_avals) if self._out_shardings is None else [
            _named(s, "out_shardings") for s in flatten_prefix(self._out_shardings, traced.out_tree,
                                                               name="jit out_shardings")]
        _check(in_shardings, "in_shardings")
        given, _ = tree_flatten(dynamic)
        for x, s in zip(given, in_shardings, strict=True):
            if s is not None and not s.is_fully_replicated and platforms.processes()[1] > 1 and not isinstance(
                    x, Array):
                raise ValueError(
                    "Passing non-trivial shardings for numpy inputs is not allowed. To fix this error, either specify "
                    "a replicated sharding explicitly or use `jax.make_array_from_process_local_data(...)` to convert "
                    "your host local numpy inputs to a jax.Array which you can pass to jit. If the numpy input is the "
                    "same on each process, then you can use `jax.make_array_from_callback(...) to create a "
                    "`jax.Array` which you can pass to jit. Got arg type: "
                    f"{np.result_type(x).name}[{','.join(map(str, np.shape(x)))}]")
        _check(out_shardings, "out_shardings")
        for x, s in zip(leaves, in_shardings, strict=True):
            if s is not None:
                s.shard_shape(x.aval.shape)  # JAX's error for a dimension the mesh does not divide
        for aval, s in zip(trace.out_avals, out_shardings, strict=True):
            if s is not None:
                s.shard_shape(aval.shape)
        key = (trace.text, tuple(in_shardings), tuple(out_shardings))
        executable = self._executables.get(key)
        if executable is None:
            meshes = {s.mesh.devices.shape for s in in_shardings + out_shardings if s is not None}
            with context():
                module = runtime.copy(trace.module)
                main = next(op for op in module.body.operations if op.attributes["sym_name"].value == "main")
                main.attributes[SHARDINGS] = shardings = ir.DictAttr.get({
                    "grid": ir.DenseI64ArrayAttr.get(list(meshes.pop() if meshes else (platforms.processes()[1],))),
                    "in_shardings": _split_axes([x.aval.ndim for x in leaves] + [0] * len(trace.constvars),
                                                in_shardings + [None] * len(trace.constvars)),  # closed over: unset
                    "out_shardings": _split_axes([a.ndim for a in trace.out_avals], out_shardings)})
            executable = self._executables[key] = runtime.compile(
                module, f"{trace.text}\n{shardings}", "main", len(leaves) + len(trace.constvars), trace.out_avals)
        outs = executable(list(leaves) + trace.constvars)
        return tree_unflatten(traced.out_tree, [
            Array(o, a.weak_type) if s is None else PlacedArray(o, a.weak_type, s)
            for o, a, s in zip(outs, trace.out_avals, out_shardings, strict=True)])


def _split_axes(ndims, shardings):
    """An ArrayAttr of the shard dialect's split_axes of each NamedSharding of a value
    of ndims dimensions (per dimension, the indices of the mesh axes it is split
    over); unit for None."""
    attributes = []
    for ndim, sharding in zip(ndims, shardings, strict=True):
        if sharding is None:
            attributes.append(ir.UnitAttr.get())
        else:
            names = sharding.mesh.axis_names
            axes = [[names.index(a) for a in split] for split in sharding._splits(ndim)]
            attributes.append(ir.Attribute.parse(f"#shard<axisarray{axes or [[]]}>"))
    return ir.ArrayAttr.get(attributes)


api.WITH_SHARDINGS.append(PartitionedJitted)
