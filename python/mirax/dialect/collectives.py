"""Collectives over the named axes of a mesh, per process (inside shard_map): psum,
pmax, pmin, all_gather, psum_scatter, ppermute, axis_index, and the varying-type casts
of JAX's check_vma mode.

Each op names the mesh axes it works over (`axes`) and carries the mesh's axis names
and sizes (`mesh_axes`, `mesh_shape`), which its type rule and lowering need. Two sums,
as JAX's: `psum` (check_vma=False) transposes into itself, while `psum_invariant`
(check_vma=True: its result is the same on every process) transposes into `pvary`, the
cast of a value known to be the same everywhere to one that varies, an identity on
values whose transpose is psum_invariant. all_gather and psum_scatter transpose into
each other, ppermute into the inverse permutation. They lower to MLIR's shard dialect
on a `shard.grid` of the mesh's shape (one per shape, added to the module), which
convert-shard-to-mpi (mirax-shard-to-mpi) turns into MPI calls: an axis of the mesh is
an axis of MPI's world, processes in row-major order; ppermute, which upstream cannot
lower, calls the runtime's MPI_Sendrecv."""
import math

import numpy as np

from mirax.mlir import arith, bufferization, func, ir, memref, tensor

from . import rules
from .base import Codec, MiraxOp, bool_, int_, ints
from .ir_util import declare
from .batching import defelementwise
from .jvp import deflinear2, defnondiff, defzero
from .lowering import generic, identity_map, reshape, transpose
from .ops import build
from .types import ShapedType

names = Codec(lambda v: ir.ArrayAttr.get([ir.StringAttr.get(str(n)) for n in v]),
              lambda a: tuple(ir.StringAttr(n).value for n in ir.ArrayAttr(a)))
MESH = {"axes": names, "mesh_axes": names, "mesh_shape": ints}
# What MLIR's MPI lowering has a datatype for.
DTYPES = tuple(np.dtype(d) for d in ("float32", "float64", "int32", "int64", "int8", "int16", "uint8", "uint16",
                                     "uint32", "uint64"))


def axis_size(axes, mesh_axes, mesh_shape):
    """The number of processes along `axes` of the mesh."""
    sizes = dict(zip(mesh_axes, mesh_shape, strict=True))
    return int(np.prod([sizes[a] for a in axes], dtype=np.int64))


def _check(name, x, axes, mesh_axes, mesh_shape):
    if not axes or len(set(axes)) != len(axes) or not set(axes) <= set(mesh_axes):
        raise TypeError(f"{name} works over distinct axes of the mesh {list(mesh_axes)}, got {list(axes)}")
    if len(mesh_axes) != len(mesh_shape):
        raise TypeError(f"mesh axes {list(mesh_axes)} and mesh shape {list(mesh_shape)} differ in length")
    if x is not None and x.dtype not in DTYPES:
        raise TypeError(f"{name} does not accept {x.dtype.name} operands (MPI's lowering takes "
                        f"{', '.join(d.name for d in DTYPES)})")


def _same_type(name):
    def infer(x, axes, mesh_axes, mesh_shape):
        _check(name, x, axes, mesh_axes, mesh_shape)
        return x

    return staticmethod(infer)


class PsumOp(MiraxOp, name="psum", operands=("x",), params=MESH):
    infer = _same_type("psum")


class PsumInvariantOp(MiraxOp, name="psum_invariant", operands=("x",), params=MESH):
    infer = _same_type("psum")


class PvaryOp(MiraxOp, name="pvary", operands=("x",), params=MESH):
    """A cast, no communication: any dtype."""

    @staticmethod
    def infer(x, axes, mesh_axes, mesh_shape):
        _check("pvary", None, axes, mesh_axes, mesh_shape)
        return x


class PmaxOp(MiraxOp, name="pmax", operands=("x",), params=MESH):
    infer = _same_type("pmax")


class PminOp(MiraxOp, name="pmin", operands=("x",), params=MESH):
    infer = _same_type("pmin")


class AllGatherOp(MiraxOp, name="all_gather", operands=("x",), params={**MESH, "axis": int_, "tiled": bool_}):
    @staticmethod
    def infer(x, axes, mesh_axes, mesh_shape, axis, tiled):
        _check("all_gather", x, axes, mesh_axes, mesh_shape)
        n = axis_size(axes, mesh_axes, mesh_shape)
        if not 0 <= axis < x.ndim + (not tiled):
            raise TypeError(f"all_gather's axis {axis} is out of range for shape {list(x.shape)}")
        shape = list(x.shape)
        if tiled:
            shape[axis] *= n
        else:
            shape.insert(axis, n)
        return ShapedType(tuple(shape), x.dtype)


class PsumScatterOp(MiraxOp, name="psum_scatter", operands=("x",),
                    params={**MESH, "scatter_dimension": int_, "tiled": bool_}):
    @staticmethod
    def infer(x, axes, mesh_axes, mesh_shape, scatter_dimension, tiled):
        _check("psum_scatter", x, axes, mesh_axes, mesh_shape)
        n = axis_size(axes, mesh_axes, mesh_shape)
        if not 0 <= scatter_dimension < x.ndim:
            raise TypeError(f"psum_scatter's scatter_dimension {scatter_dimension} is out of range for shape "
                            f"{list(x.shape)}")
        size = x.shape[scatter_dimension]
        shape = list(x.shape)
        if tiled:
            if size % n:
                raise ValueError(f"tiled reduce_scatter operand scatter dimension size {size} must be divisible by "
                                 f"shard_count {n}")
            shape[scatter_dimension] = size // n
        else:
            if size != n:
                raise ValueError(f"reduce_scatter operand scatter dimension size {size} must match shard count {n}")
            del shape[scatter_dimension]
        return ShapedType(tuple(shape), x.dtype)


class AxisIndexOp(MiraxOp, name="axis_index", params=MESH):
    """This process's index along `axes` (row-major over several), an int32 scalar."""

    @staticmethod
    def infer(axes, mesh_axes, mesh_shape):
        _check("axis_index", None, axes, mesh_axes, mesh_shape)
        return ShapedType((), np.dtype(np.int32))


class PpermuteOp(MiraxOp, name="ppermute", operands=("x",), params={**MESH, "perm": ints}):
    """Each source's `x` sent to its destination (`perm`: the (source, destination)
    pairs of indices along `axes`, flattened); a process no source sends to gets zeros."""

    @staticmethod
    def infer(x, axes, mesh_axes, mesh_shape, perm):
        _check("ppermute", x, axes, mesh_axes, mesh_shape)
        n = axis_size(axes, mesh_axes, mesh_shape)
        sources, destinations = perm[0::2], perm[1::2]
        if len(perm) % 2 or not all(0 <= i < n for i in perm):
            raise TypeError(f"ppermute's perm {list(perm)} must be (source, destination) pairs in [0, {n})")
        if len(set(sources)) != len(sources) or len(set(destinations)) != len(destinations):
            raise TypeError(f"ppermute sources and destinations must be unique, got {list(perm)}")
        return x


# ----------------------------------------------------------------------------- derivatives


def _mesh(params):
    return {k: params[k] for k in MESH}


def _inverse(perm):
    """A ppermute's pairs, each destination sending back to its source."""
    return tuple(i for source, destination in zip(perm[0::2], perm[1::2], strict=True) for i in (destination, source))


def _transpose_into(op_cls, **renamed):
    """The transpose rule of a linear collective: `op_cls` on the cotangent, with the
    op's params, some renamed (new name: old name)."""

    def rule(node, cts, operands, linear):
        (ct,) = cts
        if ct is None:
            return [None]
        params = {**_mesh(node.params), **{new: node.params[old] for new, old in renamed.items()}}
        return build(op_cls, [ct], **params)

    return rule


deflinear2(PsumOp, _transpose_into(PsumOp))
deflinear2(PsumInvariantOp, _transpose_into(PvaryOp))
deflinear2(PvaryOp, _transpose_into(PsumInvariantOp))
deflinear2(AllGatherOp, _transpose_into(PsumScatterOp, scatter_dimension="axis", tiled="tiled"))
deflinear2(PsumScatterOp, _transpose_into(AllGatherOp, axis="scatter_dimension", tiled="tiled"))
deflinear2(PpermuteOp, lambda node, cts, operands, linear: [None] if cts[0] is None else build(
    PpermuteOp, [cts[0]], **{**node.params, "perm": _inverse(node.params["perm"])}))
defnondiff(PmaxOp)
defnondiff(PminOp)
defzero(AxisIndexOp)
for _op in (PsumOp, PsumInvariantOp, PvaryOp, PmaxOp, PminOp, PpermuteOp):
    defelementwise(_op)  # per batch element the same collective: it works elementwise across processes


def _batch_all_gather(node, operands, dims, size):
    """The gathered dimension numbered past the batch dimension `d`; a new (untiled)
    one before `d` moves it."""
    (x,), (d,) = operands, dims
    axis, tiled = node.params["axis"], node.params["tiled"]
    if d <= axis:
        axis += 1
    elif not tiled:
        d += 1
    return build(AllGatherOp, [x], **{**node.params, "axis": axis}), [d]


def _batch_psum_scatter(node, operands, dims, size):
    """The scattered dimension numbered past the batch dimension `d`; one dropped
    (untiled) before `d` moves it."""
    (x,), (d,) = operands, dims
    dim, tiled = node.params["scatter_dimension"], node.params["tiled"]
    if d <= dim:
        dim += 1
    elif not tiled:
        d -= 1
    return build(PsumScatterOp, [x], **{**node.params, "scatter_dimension": dim}), [d]


rules.batching[AllGatherOp.OPERATION_NAME] = _batch_all_gather
rules.batching[PsumScatterOp.OPERATION_NAME] = _batch_psum_scatter


# ----------------------------------------------------------------------------- lowering to the shard dialect


def _module():
    """The builtin.module the current insertion point is in."""
    op = ir.InsertionPoint.current.block.owner
    while op.name != "builtin.module":
        op = op.parent
    return op


def grid(mesh_shape):
    """The symbol of the module's shard.grid of `mesh_shape`, added the first time."""
    op = _module()
    symbol = "mirax_mesh_" + "x".join(map(str, mesh_shape))
    if symbol not in ir.SymbolTable(op):
        block = op.regions[0].blocks[0]
        shape = ir.DenseI64ArrayAttr.get(list(mesh_shape))
        with ir.InsertionPoint.at_block_begin(block), ir.Location.unknown():
            ir.Operation.create("shard.grid", attributes={"sym_name": ir.StringAttr.get(symbol), "shape": shape})
    return ir.FlatSymbolRefAttr.get(symbol)


def _grid_attributes(params):
    return {"grid": grid(params["mesh_shape"]),
            "grid_axes": ir.DenseI16ArrayAttr.get([params["mesh_axes"].index(a) for a in params["axes"]])}


GROUP = "mirax_group"  # names the location of a collective over some of the mesh's axes


def _shard_op(name, result_type, x, params, **attributes):
    """A shard collective. One over some of the mesh's axes is located at a name saying
    which (the MPI communicator of its processes, created by a split of MPI's world,
    is looked up by it: mirax-shard-to-mpi)."""
    location = None
    if set(params["axes"]) != set(params["mesh_axes"]):
        group = f"{GROUP}:{'x'.join(map(str, params['mesh_shape']))}:{','.join(params['axes'])}"
        location = ir.Location.name(f"{group}:{','.join(params['mesh_axes'])}", childLoc=ir.Location.current)
    return ir.Operation.create(f"shard.{name}", results=[result_type], operands=[x], loc=location,
                               attributes={**_grid_attributes(params), **attributes}).result


def _tensor_type(value, shaped):
    return ir.RankedTensorType.get(list(shaped.shape), ir.RankedTensorType(value.type).element_type)


def _all_reduce(kind):
    def lower(node, x):
        reduction = ir.Attribute.parse(f"#shard<partial {kind}>")
        return [_shard_op("all_reduce", x.type, x, node.params, reduction=reduction)]

    return lower


def _index_attr(value):
    return ir.IntegerAttr.get(ir.IndexType.get(), value)


def lower_all_gather(node, x):
    """Upstream's tiled all_gather, where it works: along a dimension of more than one
    element. Otherwise (its lowering fails on a dimension of one, an untiled gather
    has one) every process's block is gathered flat (a one-element block twice over:
    the gather takes every other element), stacked along a new first dimension, moved
    to `axis` and, if tiled, merged with the dimension after it."""
    (x_type,), (out,) = node.in_types, node.out_types
    axis, tiled, params = node.params["axis"], node.params["tiled"], node.params
    if tiled and x_type.shape[axis] > 1:
        return [_shard_op("all_gather", _tensor_type(x, out), x, params, gather_axis=_index_attr(axis))]
    n, size = axis_size(params["axes"], params["mesh_axes"], params["mesh_shape"]), math.prod(x_type.shape)
    copies = 2 if size == 1 else 1
    flat = ShapedType((size * copies,), x_type.dtype)
    x = reshape(x, ShapedType((size,), x_type.dtype)) if x_type.shape != (size,) else x
    if copies == 2:
        x = tensor.concat(_tensor_type(x, flat), 0, [x, x])
    gathered = _shard_op("all_gather", _tensor_type(x, ShapedType((n * flat.shape[0],), x_type.dtype)), x, params,
                         gather_axis=_index_attr(0))
    if copies == 2:  # every other element, into a buffer of its own (a strided view would be copied by memrefCopy)
        every_other = ir.AffineMap.get(1, 0, [ir.AffineDimExpr.get(0) * 2])
        (gathered,) = generic([ShapedType((n,), x_type.dtype)], [gathered], [every_other, identity_map(1)],
                              lambda v, _: [v])
    stacked = ShapedType((n,) + x_type.shape, x_type.dtype)
    result = transpose(reshape(gathered, stacked), stacked, list(range(1, axis + 1)) + [0] +
                       list(range(axis + 1, x_type.ndim + 1)))
    return [reshape(result, out) if tiled else result]


def _lower_psum_scatter(node, x):
    (x_type,), (out,) = node.in_types, node.out_types
    dim = node.params["scatter_dimension"]
    tiled_out = out if node.params["tiled"] else ShapedType(out.shape[:dim] + (1,) + out.shape[dim:], out.dtype)
    result = _shard_op("reduce_scatter", _tensor_type(x, tiled_out), x, node.params, scatter_dim=_index_attr(dim),
                       reduction=ir.Attribute.parse("#shard<partial sum>"))
    return [result if node.params["tiled"] else reshape(result, out)]


def process_index(params):
    """This process's index along `params["axes"]` of the mesh (row-major over
    several), an index value."""
    sizes = dict(zip(params["mesh_axes"], params["mesh_shape"], strict=True))
    index_type = ir.IndexType.get()
    grid_attributes = _grid_attributes(params)
    indices = ir.Operation.create("shard.process_multi_index", results=[index_type] * len(params["axes"]),
                                  attributes={"grid": grid_attributes["grid"],
                                              "axes": grid_attributes["grid_axes"]}).results
    linear = indices[0]
    for axis, index in zip(params["axes"][1:], indices[1:], strict=True):
        linear = arith.addi(arith.muli(linear, arith.constant(index_type, sizes[axis])), index)
    return linear


def _lower_axis_index(node):
    i32 = ir.IntegerType.get_signless(32)
    return [tensor.from_elements(ir.RankedTensorType.get([], i32), [arith.index_cast(i32, process_index(node.params))])]


# (send, receive, bytes, destination, source): the runtime's (mirax.distributed), declared
# per buffer type as SENDRECV_<type>, which mirax-mpi-to-llvm renames once they are pointers.
SENDRECV = "mirax_mpi_sendrecv"


def _lower_ppermute(node, x):
    """Upstream's lowering has no permutation (its `shift` fails): a call of the
    runtime's MPI_Sendrecv on buffers, with this process's destination and source as
    ranks of MPI's world (-1, MPI_PROC_NULL, where it has none), looked up in tables of
    its index along the axes."""
    params, (x_type,) = node.params, node.in_types
    sizes = dict(zip(params["mesh_axes"], params["mesh_shape"], strict=True))
    strides = dict(zip(params["mesh_axes"], np.cumprod((params["mesh_shape"] + (1,))[::-1])[-2::-1], strict=True))
    group = [sizes[a] for a in params["axes"]]
    offset = [sum(int(i) * int(strides[a]) for i, a in zip(np.unravel_index(k, group), params["axes"], strict=True))
              for k in range(math.prod(group))]  # each index's world rank, less that of index 0
    destination, source = [None] * len(offset), [None] * len(offset)
    for s, d in zip(params["perm"][0::2], params["perm"][1::2], strict=True):
        destination[s], source[d] = d, s
    i64, i32, index = ir.IntegerType.get_signless(64), ir.IntegerType.get_signless(32), ir.IndexType.get()
    me = process_index(params)
    rank = ir.Operation.create("shard.process_linear_index", results=[index],
                               attributes={"grid": grid(params["mesh_shape"])}).result
    rank = arith.index_cast(i64, rank)

    def peer(table):
        """The world rank of this process's peer in `table` (None: none), or -1."""
        moves = np.array([-(2**62) if t is None else offset[t] - offset[k] for k, t in enumerate(table)], np.int64)
        constant = arith.constant(ir.RankedTensorType.get([len(moves)], i64), ir.DenseElementsAttr.get(moves))
        move = tensor.extract(constant, [me])
        none = arith.cmpi(arith.CmpIPredicate.eq, move, arith.constant(i64, -(2**62)))
        return arith.trunci(i32, arith.select(none, arith.constant(i64, -1), arith.addi(rank, move)))

    element = ir.RankedTensorType(x.type).element_type
    buffer = ir.MemRefType.get(list(x_type.shape), element)
    symbol = f"{SENDRECV}_{''.join(f'{n}x' for n in x_type.shape)}{element}"
    declare(_module(), symbol, ir.FunctionType.get([buffer, buffer, i64, i32, i32], []), ir.Location.unknown(), {})
    sent = bufferization.ToBufferOp(buffer, x, read_only=True).result
    received = memref.AllocOp(buffer, [], []).result
    size = math.prod(x_type.shape) * x_type.dtype.itemsize
    func.CallOp([], symbol, [sent, received, arith.constant(i64, size), peer(destination), peer(source)])
    return [bufferization.ToTensorOp(x.type, received, restrict=True, writable=True).result]


rules.lowering.update({
    PpermuteOp.OPERATION_NAME: _lower_ppermute,
    PsumOp.OPERATION_NAME: _all_reduce("sum"),
    PsumInvariantOp.OPERATION_NAME: _all_reduce("sum"),
    PmaxOp.OPERATION_NAME: _all_reduce("max"),
    PminOp.OPERATION_NAME: _all_reduce("min"),
    PvaryOp.OPERATION_NAME: lambda node, x: [x],
    AllGatherOp.OPERATION_NAME: lower_all_gather,
    PsumScatterOp.OPERATION_NAME: _lower_psum_scatter,
    AxisIndexOp.OPERATION_NAME: _lower_axis_index,
})
