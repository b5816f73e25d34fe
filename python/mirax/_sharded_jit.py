"""jit(f, in_shardings=, out_shardings=) over the processes (one CPU device each), through
MLIR's sharding-propagation and shard-partition: the program's linalg stage, inlined into
one function, gets each argument annotated as replicated (every process holds the global
value, as mirax's arrays are) and then as its in_sharding for its users; each result as
its out_sharding and then as replicated for the return. Propagation gives every op a
sharding; partitioning makes each process compute its part, with the collectives the
shardings imply (a slice of a split argument, an all_reduce of a contraction over a
split dimension, an all_gather of a split result), lowered to MPI as shard_map's are.
The results are global values laid out as out_shardings says (PlacedArrays).

Supported: NamedShardings over a mesh of every process's device with one axis of more
than one device, at the top level (not under another transformation), of programs
without collectives of their own; an op that MLIR cannot partition is a
NotImplementedError naming it. As JAX's, NumPy inputs split over several processes are
a ValueError (pass Arrays: device_put with the sharding). The gradient of a data-parallel
loss comes out with its forward pass partitioned and its backward pass, where
propagation picks replicated shardings, computed on gathered values: right, not yet
data-parallel throughout."""
import re

import numpy as np

from mirax import distributed, platforms, runtime
from mirax._array_sharding import PlacedArray
from mirax._shard_map import check_mesh
from mirax import api
from mirax.core import Array, current_trace
from mirax.mlir import ir, passmanager
from mirax.mlir_context import context
from mirax.sharding import NamedSharding, PartitionSpec
from mirax.tree_util import flatten_prefix, tree_flatten, tree_unflatten

__all__ = ["PartitionedJitted"]

GRID = "mirax_partition_mesh"


def _check_types(shardings, what):
    for s in tree_flatten(shardings, is_leaf=lambda x: x is None or isinstance(x, PartitionSpec))[0]:
        if s is not None and not isinstance(s, NamedSharding):
            raise NotImplementedError(f"mirax.jit: {what} entries must be NamedShardings or None (a PartitionSpec "
                                      f"needs JAX's context mesh), got {s!r}")


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
        in_shardings = [None] * len(leaves) if self._in_shardings is None else flatten_prefix(
            self._in_shardings, dynamic, name="jit in_shardings")
        out_shardings = [None] * len(trace.out_avals) if self._out_shardings is None else flatten_prefix(
            self._out_shardings, traced.out_tree, name="jit out_shardings")
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
            specs = ([_split_axes(s, x.aval.ndim) for x, s in zip(leaves, in_shardings, strict=True)]
                     + [None] * len(trace.constvars),  # closed-over values: replicated
                     [_split_axes(s, a.ndim) for a, s in zip(trace.out_avals, out_shardings, strict=True)])
            meshes = {s.mesh.devices.shape for s in in_shardings + out_shardings if s is not None}
            shape = meshes.pop() if meshes else (platforms.processes()[1],)
            executable = self._executables[key] = _PartitionedExecutable(
                runtime.copy(trace.module), len(leaves) + len(trace.constvars), trace.out_avals, specs, shape)
        outs = executable(list(leaves) + trace.constvars)
        return tree_unflatten(traced.out_tree, [
            Array(o, a.weak_type) if s is None else PlacedArray(o, a.weak_type, s)
            for o, a, s in zip(outs, trace.out_avals, out_shardings, strict=True)])


def _split_axes(sharding, ndim):
    """The shard dialect's split_axes of a NamedSharding (per dimension, the indices of
    the mesh axes it is split over); None for None."""
    if sharding is None:
        return None
    names = sharding.mesh.axis_names
    return [[names.index(a) for a in axes] for axes in sharding._splits(ndim)]


class _PartitionedExecutable(runtime.Executable):
    """An executable whose linalg stage is partitioned before the CPU pipeline. Never
    through the persistent cache: its key, the linalg stage, does not hold the shardings."""

    def __init__(self, module, num_inputs, out_avals, specs, mesh_shape):
        self._specs, self._mesh_shape = specs, mesh_shape
        runtime._prepare_process()
        super().__init__(module, "main", num_inputs, out_avals, cached=False)

    def lower(self, module):
        _partition(module, *self._specs, self._mesh_shape)
        runtime.lower_to_llvm(module)


def _partition(module, in_specs, out_specs, mesh_shape):
    """Annotate @main (see the module's docstring) and run propagation and partitioning."""
    if any(op.operation.name == "shard.grid" for op in module.body.operations):
        raise NotImplementedError("mirax.jit with in_shardings/out_shardings of a program with collectives "
                                  "(shard_map, pmap) is not supported")
    _fold_identity_reshapes(module.operation)
    passmanager.PassManager.parse("builtin.module(inline,symbol-dce,canonicalize)").run(module.operation)
    main = next(op for op in module.body.operations if op.attributes["sym_name"].value == "main")
    block = main.regions[0].blocks[0]
    with ir.InsertionPoint.at_block_begin(module.body), ir.Location.unknown():
        ir.Operation.create("shard.grid", attributes={"sym_name": ir.StringAttr.get(GRID),
                                                      "shape": ir.DenseI64ArrayAttr.get(list(mesh_shape))})
    with ir.Location.unknown():
        first = block.operations[0]
        for argument, spec in zip(block.arguments, in_specs, strict=True):
            if spec is not None:
                with ir.InsertionPoint(first):
                    replicated = _shard(argument, [], False)
                    wanted = _shard(replicated, spec, True)
                argument.replace_all_uses_except(wanted, replicated.owner.operation)
        terminator = block.operations[len(block.operations) - 1]
        with ir.InsertionPoint(terminator):
            for i, spec in enumerate(out_specs):
                value = terminator.operands[i]
                laid_out = value if spec is None else _shard(value, spec, False)
                terminator.operands[i] = _shard(laid_out, [], True)
    try:
        passmanager.PassManager.parse("builtin.module(func.func(sharding-propagation),func.func(shard-partition),"
                                      "canonicalize)").run(module.operation)
    except ir.MLIRError as err:
        messages = " ".join(d.message for d in err.error_diagnostics) or str(err)
        missing = re.search(r"'([\w.]+)' op sharding interface is not implemented", messages)
        what = f"its {missing.group(1)} ops" if missing else messages[:600]
        raise NotImplementedError(f"mirax.jit with in_shardings/out_shardings: MLIR's shard-partition cannot "
                                  f"partition this program ({what})") from None


def _shard(value, split_axes, for_users):
    """shard.shard of `value` to a sharding over the grid split as `split_axes`."""
    sharding = ir.Operation.create("shard.sharding", results=[ir.Type.parse("!shard.sharding")], attributes={
        "grid": ir.FlatSymbolRefAttr.get(GRID), "operandSegmentSizes": ir.DenseI32ArrayAttr.get([0, 0]),
        "split_axes": ir.Attribute.parse(f"#shard<axisarray{split_axes or [[]]}>"),  # [[]]: replicated
        "static_halo_sizes": ir.DenseI64ArrayAttr.get([]),
        "static_sharded_dims_offsets": ir.DenseI64ArrayAttr.get([])}).result
    attributes = {"annotate_for_users": ir.UnitAttr.get()} if for_users else {}
    return ir.Operation.create("shard.shard", results=[value.type], operands=[value, sharding],
                               attributes=attributes).result


def _fold_identity_reshapes(function):
    """tensor.reshape to its own type (mirax's lowering makes some), which has no
    sharding interface: its operand instead."""
    reshapes = []
    function.walk(lambda op: (reshapes.append(op) if op.name == "tensor.reshape" else None, ir.WalkResult.ADVANCE)[1])
    for op in reshapes:
        if op.operands[0].type == op.results[0].type:
            op.results[0].replace_all_uses_with(op.operands[0])
            op.erase()


api.WITH_SHARDINGS.append(PartitionedJitted)
