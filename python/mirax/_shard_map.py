"""mirax.shard_map, as jax.shard_map: `f` run by every process of the mesh on its block
of each argument (split as `in_specs` says), its outputs put together as `out_specs` says.

Values are global, as JAX's: every process passes the whole arguments and gets the
whole outputs (a split output is gathered from every process's block). `f` is traced
once into a body of its own with the mesh's axis names bound (lax/_parallel.py), and
the shard_map is a call of a declared function naming it
(dialect/control_flow/shard_map.py), whose rules differentiate it and give it its
per-process body; collectives lower to MPI, so a mesh must hold every process's device,
in process order (under `mpiexec -n N` after mirax.distributed.initialize(), N of them;
otherwise one).

check_vma=True (JAX's default) types each value of the body by the mesh axes it varies
over: arguments vary over the axes their spec names, axis_index over its axis, psum,
pmax and pmin results over none of the axes they reduce; other values over their
operands' axes together. Where a value meets one that varies over more axes it is cast
by an explicit pvary, which transposes into a psum: the gradient of a replicated input
is summed over the processes, as JAX's. An output must not vary over an axis its spec
does not name (JAX's error). The types stop at calls: a call (jit, a control-flow
construct, a custom rule) on values of different types gets its operands cast to their
common type, and its results have it; a call of a VJP (grad inside `f`) on such values,
and collectives inside called functions, are refused, where JAX's types would differ."""
import functools
import hashlib
import math

import numpy as np

from mirax import distributed, platforms
from mirax.api import arguments_to_arrays, check_callable
from mirax.core import Aval, Trace, current_trace, to_array, with_source
from mirax.dialect import build, tensor_type
from mirax.dialect.collectives import (AllGatherOp, AxisIndexOp, PmaxOp, PminOp, PpermuteOp, PsumInvariantOp,
                                       PsumScatterOp, PvaryOp)
from mirax.dialect.control_flow.shard_map import block_type, declare_shard_map
from mirax.dialect.shape import BroadcastInDimOp
from mirax.dialect.ir_util import functions
from mirax.dialect.transformations import CUSTOM_LIN_OF, TRANSPOSE_OF, VJP_BWD, VJP_FWD, VJP_OF
from mirax.lax._control_flow import _run_now
from mirax.lax._parallel import bound_axes, pcast
from mirax.mlir import ir
from mirax.mlir_context import context
from mirax.sharding import Mesh, PartitionSpec, context_mesh
from mirax.tree_util import flatten_prefix, tree_flatten, tree_leaves, tree_map, tree_unflatten

__all__ = ["across_processes", "check_mesh", "normalized_spec", "shard_map", "smap"]

REDUCING = {op.OPERATION_NAME for op in (PsumInvariantOp, PmaxOp, PminOp)}
COLLECTIVES = REDUCING | {op.OPERATION_NAME for op in (AllGatherOp, PsumScatterOp, PpermuteOp, AxisIndexOp, PvaryOp)}
SUMS_COTANGENTS = (VJP_OF, TRANSPOSE_OF, VJP_FWD, VJP_BWD, CUSTOM_LIN_OF)  # calls whose types JAX's would differ


class _Infer:
    def __repr__(self):
        return "Infer"


Infer = _Infer()


def shard_map(f=None, /, *, out_specs, in_specs=Infer, mesh=None, axis_names=frozenset(), check_vma=True):
    """`f` mapped over the blocks of its arguments on `mesh`'s processes (by default
    set_mesh's when called), as jax.shard_map; usable as a decorator (`f` omitted)."""
    if f is None:
        return functools.partial(shard_map, out_specs=out_specs, in_specs=in_specs, mesh=mesh, axis_names=axis_names,
                                 check_vma=check_vma)
    check_callable(f)
    if mesh is not None:
        _check_manual(mesh, axis_names)
    if not isinstance(check_vma, bool):
        raise TypeError(f"check_vma must be a bool, got {check_vma!r}")
    name = getattr(f, "__name__", "f")

    @functools.wraps(f)
    def mapped(*args):
        on = mesh if mesh is not None else _context_mesh(axis_names)
        if in_specs is Infer:
            raise NotImplementedError("mirax.shard_map needs in_specs= (inferring them from the arguments' "
                                      "shardings is not supported)")
        check_mesh(on)
        distributed.libmpi()  # compiled collectives call it
        leaves, in_tree = tree_flatten(args)
        leaves = arguments_to_arrays(name, leaves)
        prefix = tuple(in_specs) if isinstance(in_specs, list) else in_specs
        specs = [normalized_spec(s, x.aval.shape, on, "in_specs", i) for i, (s, x) in enumerate(zip(
            flatten_prefix(prefix, args, name="shard_map in_specs"), leaves, strict=True))]
        if any(s is None for s in specs):
            raise NotImplementedError("mirax.shard_map: an in_specs entry of None is not supported; use P()")
        for x, spec in zip(leaves, specs, strict=True):
            _check_divisible(name, on, x.aval, spec)

        def call(operands):
            return _call(f, name, on, operands, in_tree, specs, out_specs, check_vma)

        return call(leaves) if current_trace() is not None else _run_now(call, leaves, "shard_map")

    return mapped


def _context_mesh(axis_names):
    """set_mesh's mesh, as JAX's shard_map takes it when called without one."""
    mesh = context_mesh()
    if mesh is None:
        raise ValueError("The context mesh cannot be empty. Use `jax.set_mesh(mesh)` to enter into a mesh context")
    _check_manual(mesh, axis_names)
    return mesh


def _check_manual(mesh, axis_names):
    if not isinstance(mesh, Mesh):
        raise TypeError(f"shard_map requires a `jax.sharding.Mesh` instance for its second argument, but got {mesh} "
                        f"of type {type(mesh)}.")
    if axis_names and set(axis_names) != set(mesh.axis_names):
        raise NotImplementedError(f"mirax.shard_map: axis_names={set(axis_names)} leaves mesh axes automatic, which "
                                  f"is not supported (all of {mesh.axis_names} are manual)")


def smap(f=None, /, *, in_axes=Infer, out_axes, axis_name):
    """jax.smap: shard_map over the context mesh's axis `axis_name` (set_mesh), each
    argument split along its in_axes dimension (None: replicated, as vmap's in_axes),
    each result gathered along its out_axes one (None: replicated); usable as a
    decorator (`f` omitted). Only over a mesh of that one axis: mirax's shard_map makes
    every mesh axis manual."""
    if f is None:
        return functools.partial(smap, in_axes=in_axes, out_axes=out_axes, axis_name=axis_name)
    if isinstance(axis_name, list | tuple):
        raise TypeError(f"smap axis_name should be a `str` or a `Hashable`, but got {axis_name}")
    if in_axes is not None and in_axes is not Infer and not isinstance(in_axes, int | tuple):
        raise TypeError("smap in_axes must be an int, None, jax.sharding.Infer, or a tuple of entries corresponding "
                        f"to the positional arguments passed to the function, but got {in_axes}.")
    if in_axes is not Infer and not all(isinstance(a, int) for a in tree_leaves(in_axes)):
        raise TypeError("smap in_axes must be an int, None, jax.sharding.Infer, or (nested) container with those "
                        f"types as leaves, but got {in_axes}.")
    if not all(isinstance(a, int) for a in tree_leaves(out_axes)):
        raise TypeError("smap out_axes must be an int, None, or (nested) container with those types as leaves, but "
                        f"got {out_axes}.")

    def spec(axis):  # as JAX's _axes_to_pspec
        return PartitionSpec() if axis is None else PartitionSpec(*[None] * axis, axis_name)

    in_specs = in_axes if in_axes is Infer else tree_map(spec, in_axes, is_leaf=lambda a: a is None)
    return shard_map(f, mesh=None, in_specs=in_specs, out_specs=tree_map(spec, out_axes, is_leaf=lambda a: a is None),
                     axis_names={axis_name})


def check_mesh(mesh):
    """A mesh of every process's device, in process order, on the CPU; else the error."""
    count = platforms.processes()[1]
    if platforms.default_backend() != "cpu":
        raise NotImplementedError("mirax.shard_map runs on the CPU (one device per MPI process)")
    if mesh.size != count:
        raise ValueError(f"mirax.shard_map: the mesh has {mesh.size} devices but there are {count} processes (one "
                         f"CPU device each); run under `mpiexec -n {mesh.size}` and call "
                         f"mirax.distributed.initialize() first" if count == 1 else
                         f"mirax.shard_map: the mesh has {mesh.size} devices but there are {count} processes (one "
                         f"CPU device each): a mesh must hold every process's device")
    if [d.process_index for d in mesh.devices.flat] != list(range(count)):
        raise NotImplementedError(f"mirax.shard_map: the mesh's devices must be in process order (MPI ranks), got "
                                  f"{[d.id for d in mesh.devices.flat]}")


def normalized_spec(spec, shape, mesh, what="sharding", position=0):
    """A spec as per-dimension tuples of axis names (None stays None), checked against
    the rank of `shape` and the mesh."""
    if spec is None:
        return None
    if not isinstance(spec, PartitionSpec):
        raise TypeError(f"shard_map {what} entries must be PartitionSpecs (mirax.P), got {spec!r}")
    if len(spec) > len(shape):
        raise ValueError(f"shard_map applied to the function was given {what}[{position}] of {spec!r} with length "
                         f"{len(spec)}, but the value has rank {len(shape)} (shape {tuple(shape)})")
    axes = [() if p is None else (p,) if isinstance(p, str) else tuple(p) for p in spec]
    named = [a for dim in axes for a in dim]
    for a in named:
        if a not in mesh.axis_names:
            raise ValueError(f"Resource axis: {a} of {spec!r} is not found in mesh: {tuple(mesh.axis_names)}.")
    if len(set(named)) != len(named):
        raise ValueError(f"shard_map {what}[{position}] {spec!r} names a mesh axis more than once")
    return tuple(axes) + ((),) * (len(shape) - len(axes))


def _check_divisible(name, mesh, aval, spec):
    sizes = mesh.shape
    for d, axes in enumerate(spec):
        n = math.prod(sizes[a] for a in axes)
        if aval.shape[d] % n:
            raise ValueError(
                f"shard_map applied to the function '{name}' was given argument arrays with axis sizes that are not "
                f"evenly divisible by the corresponding mesh axis sizes:\n\nThe mesh given has shape "
                f"{tuple(sizes.values())} with corresponding axis names {mesh.axis_names}.\n\nAn argument of shape "
                f"{aval.shape} has dimension {d} of size {aval.shape[d]} split over {axes} ({n} processes).")


def _call(f, name, mesh, operands, in_tree, specs, out_specs, check_vma):
    leaves = [to_array(x) for x in operands]
    sizes = mesh.shape
    mesh_key = (tuple(mesh.axis_names), tuple(mesh.devices.shape))
    in_avals = [Aval(block_type(x.aval.shaped, s, sizes).shape, x.aval.dtype, x.aval.weak_type)
                for x, s in zip(leaves, specs, strict=True)]
    with Trace(in_avals, name) as trace, bound_axes(*mesh_key, check_vma):
        out = f(*tree_unflatten(in_tree, trace.invars))
        outs, out_tree = tree_flatten(out)
        outs = [trace.lift(to_array(y)) for y in outs]
        given = flatten_prefix(out_specs, out_tree, name="shard_map out_specs")
        o_specs = [normalized_spec(s, y.aval.shape, mesh, "out_specs", i)
                   for i, (s, y) in enumerate(zip(given, outs, strict=True))]
        if any(s is None for s in o_specs):
            raise NotImplementedError("mirax.shard_map: an out_specs entry of None is not supported; use P()")
        if check_vma:
            outs = _typed(trace, specs, outs, o_specs, given, mesh, name)
    trace.finish(outs)
    if platforms.processes()[1] > 1:
        distributed.agree(f"shard_map of {name}", f"{in_avals} {specs} {o_specs} {check_vma} {trace.module}")
    all_specs = specs + [((),) * c.aval.ndim for c in trace.constvars]  # closed-over values: replicated
    out_avals = [Aval(tuple(d * math.prod(sizes[a] for a in axes) for d, axes in zip(y.shape, s, strict=True)),
                      y.dtype, y.weak_type) for y, s in zip(trace.out_avals, o_specs, strict=True)]
    operands = leaves + list(trace.constvars)
    digest = hashlib.sha1(repr((mesh_key, all_specs, o_specs, check_vma)).encode()).hexdigest()[:8]

    def declare(module, symbols):
        (body,) = symbols
        ftype = ir.FunctionType.get([tensor_type(x.aval.shaped) for x in operands],
                                    [tensor_type(a.shaped) for a in out_avals])
        return declare_shard_map(module, f"shard_map_{body}_{digest}", ftype, ir.Location.unknown(), body, mesh_key,
                                 all_specs, o_specs, check_vma)

    results = current_trace().call_declared([trace], declare, operands, out_avals)
    return tree_unflatten(out_tree, results)


def _typed(trace, specs, outs, out_specs, given, mesh, name):
    """check_vma's types (see the module's docstring): pvary casts inserted into the
    traced body where values of different types meet, and before outputs split over
    axes they do not vary over; JAX's error for an output varying over an axis its
    spec does not name. Returns the outputs."""
    block = trace.block
    vma = {}
    for i, arg in enumerate(block.arguments):  # the arguments, then closed-over values (replicated)
        vma[arg] = frozenset(a for axes in specs[i] for a in axes) if i < len(specs) else frozenset()
    with context(), ir.Location.unknown():
        for function in functions(trace.module.operation).values():
            if function.attributes["sym_name"].value != "main" and _has_collectives(function):
                raise NotImplementedError(with_source(
                    "mirax.shard_map with check_vma=True: collectives inside a function called by the mapped "
                    "function (jit, grad, control flow) are not supported; pass check_vma=False"))
        for op in list(block.operations):
            kind = op.operation.name
            operands = list(op.operands)
            if kind == PvaryOp.OPERATION_NAME:  # the user's pcast(..., to="varying")
                axes = frozenset(ir.StringAttr(a).value for a in ir.ArrayAttr(op.attributes["axes"]))
                if vma[operands[0]] & axes:
                    raise ValueError(with_source("Unsupported pcast from=varying, to='varying'"))
                out = vma[operands[0]] | axes
            elif kind in COLLECTIVES and kind != AxisIndexOp.OPERATION_NAME:
                axes = frozenset(ir.StringAttr(a).value for a in ir.ArrayAttr(op.attributes["axes"]))
                have = _cast(op, 0, vma, vma[operands[0]] | axes, mesh)
                out = have - axes if kind in REDUCING else have
            elif kind == AxisIndexOp.OPERATION_NAME:
                out = frozenset(ir.StringAttr(a).value for a in ir.ArrayAttr(op.attributes["axes"]))
            else:
                out = frozenset().union(*(vma[v] for v in operands))
                if kind == "func.call" and any(vma[v] != out for v in operands):
                    callee = functions(trace.module.operation)[op.attributes["callee"].value]
                    if any(a in callee.attributes for a in SUMS_COTANGENTS):
                        raise NotImplementedError(with_source(
                            "mirax.shard_map with check_vma=True: a derivative (grad, vjp) or custom_vjp inside the "
                            "mapped function of values that vary over different mesh axes is not supported; take it "
                            "outside shard_map, or pass check_vma=False"))
                for i, v in enumerate(operands):
                    _cast(op, i, vma, out, mesh)
            for result in op.results:
                vma[result] = out
    typed = []
    for y, spec, user_spec in zip(outs, out_specs, given, strict=True):
        named = frozenset(a for axes in spec for a in axes)
        have = vma.get(y.value, frozenset())
        if have - named:
            raise ValueError(with_source(
                f"shard_map applied to the function '{name}' was given out_specs which require replication which "
                f"can't be statically inferred given the mesh:\n\nThe mesh given has shape "
                f"{tuple(mesh.shape.values())} with corresponding axis names {mesh.axis_names}.\n\nout_specs is "
                f"{user_spec} which implies that "
                f"the corresponding output value is replicated across mesh axes {sorted(have - named)}, but it varies "
                f"over them\n\nCheck if these output values are meant to be replicated over those mesh axes. If not, "
                f"consider revising the corresponding out_specs entries. If so, consider disabling the check by "
                f"passing the check_vma=False argument to `jax.shard_map`."))
        missing = tuple(a for a in mesh.axis_names if a in named - have)
        if missing:
            y = pcast(y, missing, to="varying")
        typed.append(y)
    return typed


def _has_collectives(function):
    found = []
    function.walk(lambda op: (found.append(op) if op.name in COLLECTIVES else None, ir.WalkResult.ADVANCE)[1])
    return bool(found)


def _cast(op, position, vma, want, mesh):
    """Cast `op`'s operand at `position` by pvary to vary over `want` (a superset of its
    axes); its axes after. A broadcast operand (a bias added to a batch) is cast before
    a broadcast of its own: pvary transposes into a psum, of the small value rather
    than of the broadcast one (a 64-vector, not the batch's 1024x64)."""
    value = op.operands[position]
    missing = tuple(a for a in mesh.axis_names if a in want - vma[value])
    if missing:
        source = value.owner
        broadcast = isinstance(source, ir.OpView) and source.operation.name == BroadcastInDimOp.OPERATION_NAME
        with ir.InsertionPoint(op):
            (cast,) = build(PvaryOp, [source.operands[0] if broadcast else value], axes=missing,
                            mesh_axes=tuple(mesh.axis_names), mesh_shape=tuple(mesh.devices.shape))
            if broadcast:
                copy = source.operation.clone()
                copy.operands[0] = cast
                cast = copy.results[0]
        op.operands[position] = cast
        vma[cast] = want
    return want


def across_processes(combine, local):
    """combine(this process's `local`, a NumPy array) inside a shard_map over all
    processes, whose collectives over the axis "processes" combine the processes'
    arrays; a NumPy array. Every process passes its own array repeated as the global
    argument, so that its block is its own."""
    processes = platforms.processes()[1]
    repeated = np.broadcast_to(local[None], (processes,) + local.shape)
    mesh = Mesh(np.array(platforms.devices(), dtype=object), ("processes",))
    return np.asarray(shard_map(lambda block: combine(block[0]), mesh=mesh, in_specs=PartitionSpec("processes"),
                                out_specs=PartitionSpec(), check_vma=False)(repeated))
