"""mirax-shard-to-mpi: the shard dialect's collectives (dialect/collectives.py) to MPI calls."""
import itertools
import math
import re
import zlib
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.collectives import GROUP
from mirax.dialect.ir_util import body, declare
from mirax.mlir import arith, func, ir, passmanager, tensor

from .ir_queries import ops_named

MPI = "mirax.mpi"  # on a module with MPI ops left for mirax-mpi-to-llvm
COMM_SPLIT = "mirax_mpi_comm_split"  # (group, color, key) -> communicator: the runtime's (mirax.distributed)


@dataclass(frozen=True)
class MiraxShardToMpi:
    """Upstream's convert-shard-to-mpi on a module with shard grids, then the grids
    erased (the LLVM translator does not know them). A collective over some of a
    grid's axes runs on a communicator that upstream splits from MPI's world on every
    call and never frees (MPICH aborts after ~2,000 calls): each split becomes a call of
    the runtime's @mirax_mpi_comm_split, which splits once per group of axes (named by
    the collective's location, dialect/collectives.py) and returns the same
    communicator after. All_reduces of a block that can wait for each other (no use of
    one comes before the next, once the plain ops computing from it move after it) are
    one, of their operands flattened and concatenated, where the last was: a
    data-parallel step's loss and gradients in one MPI call, whose latency (a meeting of
    the processes) is much of a small step's time. Upstream's all_reduce copies its
    operand into the result's buffer and reduces that buffer in place, passed as both
    buffers (which MPI forbids: aliased arguments): the reduction reads the operand
    instead, the copy is dropped."""

    name: ClassVar[str] = "mirax-shard-to-mpi"
    summary: ClassVar[str] = "Lower shard-dialect collectives to the mpi dialect (convert-shard-to-mpi), grids erased"

    def __call__(self, module):
        grids = [op for op in body(module).operations if op.operation.name == "shard.grid"]
        if not grids:
            return
        _combine_all_reduces(module)
        passmanager.PassManager.parse("builtin.module(convert-shard-to-mpi)").run(module)
        splits = ops_named(module, "mpi.comm_split")
        i64, i32 = ir.IntegerType.get_signless(64), ir.IntegerType.get_signless(32)
        if splits:
            declare(module, COMM_SPLIT, ir.FunctionType.get([i64, i32, i32], [i64]), ir.Location.unknown(), {})
        for split in splits:
            found = re.search(rf'"({GROUP}:[^"]+)"', str(split.location))
            if found is None:
                raise ValueError(f"mirax-shard-to-mpi: an MPI communicator split at {split.location} has no "
                                 f"{GROUP} location naming its processes")
            with ir.InsertionPoint(split), split.location:
                group = arith.constant(i64, zlib.crc32(found.group(1).encode()))
                handle = func.CallOp([i64], COMM_SPLIT, [group, split.operands[1], split.operands[2]]).result
                comm = ir.Operation.create("builtin.unrealized_conversion_cast", results=[split.results[0].type],
                                           operands=[handle]).result
            split.results[0].replace_all_uses_with(comm)
            split.erase()
        _reduce_from_operands(module)
        for grid in grids:
            grid.operation.erase()
        module.attributes[MPI] = ir.UnitAttr.get()


def _reduce_from_operands(module):
    """mpi.allreduce(%buffer, %buffer) after linalg.copy(%operand -> %buffer) becomes
    mpi.allreduce(%operand, %buffer), where both have the same (contiguous) type."""
    for reduction in ops_named(module, "mpi.allreduce"):
        send, receive = reduction.operands[0], reduction.operands[1]
        if send != receive:
            continue
        copies = [use.owner for use in receive.uses if use.owner.name == "linalg.copy"
                  and use.owner.operands[1] == receive]
        if len(copies) != 1 or copies[0].operands[0].type != receive.type:
            continue
        reduction.operands[0] = copies[0].operands[0]
        copies[0].erase()


def _combine_all_reduces(module):
    """Each run of all_reduces in a block (same grid, axes, reduction and element type)
    whose results no op uses before the run's last as one all_reduce there."""
    runs = {}  # (block, kind) -> the open run
    done = []
    for op in ops_named(module, "shard.all_reduce"):
        if op.operands[0].type != op.result.type:
            continue
        kind = (op.operation.block, *(str(op.attributes[a]) for a in ("grid", "grid_axes", "reduction")),
                str(op.result.type.element_type))
        run = runs.setdefault(kind, [])
        if not all(_sink(member, op) for member in run):
            done.append(run)
            run = runs[kind] = []
        run.append(op)
    for run in done + list(runs.values()):
        if len(run) > 1:
            _combine(run)


def _sink(reduction, op):
    """Whether every use of the all_reduce `reduction` comes after `op` once the ops
    between them that compute from its result (a loss's pmean: its division by the
    process count) are moved after `op`, and then moves them: those holding no
    collective or call, whose results only they or ops after `op` use."""
    block = op.operation.block
    between = list(block.operations)
    between = between[between.index(reduction.operation) + 1:between.index(op.operation)]
    moved, found = [], [reduction.result]
    for candidate in between:
        if any(_ancestor(use.owner, block) == candidate for value in found for use in value.uses):
            if candidate.name.startswith("shard.") or candidate.name == "func.call":
                return False
            moved.append(candidate)
            found.extend(candidate.results)
    for value in found:
        for use in value.uses:
            user = _ancestor(use.owner, block)
            if user not in moved and not op.operation.is_before_in_block(user):
                return False
    anchor = op.operation
    for candidate in moved:
        candidate.move_after(anchor)
        anchor = candidate
    return True


def _ancestor(user, block):
    """`user`, or the op of `block` that holds it."""
    user = user.operation
    while user.block != block:
        user = user.parent
    return user


def _combine(run):
    sizes = [math.prod(op.result.type.shape) for op in run]
    offsets = list(itertools.accumulate([0, *sizes[:-1]]))
    dtype = run[0].result.type.element_type
    with ir.InsertionPoint(run[-1]), ir.Location.unknown():
        combined = tensor.empty([sum(sizes)], dtype)
        for offset, size, op in zip(offsets, sizes, run, strict=True):
            combined = tensor.insert_slice(_flat(op.operands[0], size), combined, [], [], [], [offset], [size], [1])
        total = ir.Operation.create("shard.all_reduce", results=[combined.type], operands=[combined], attributes={
            a: run[0].attributes[a] for a in ("grid", "grid_axes", "reduction")}, loc=run[-1].location).result
        for offset, size, op in zip(offsets, sizes, run, strict=True):
            part = tensor.extract_slice(ir.RankedTensorType.get([size], dtype), total, [], [], [], [offset], [size],
                                        [1])
            op.result.replace_all_uses_with(_unflat(part, op.result.type))
    for op in run:
        op.erase()


def _flat(value, size):
    """`value` as a 1-D tensor of `size` elements (a view)."""
    rank = value.type.rank
    flat = ir.RankedTensorType.get([size], value.type.element_type)
    if rank == 0:
        return tensor.expand_shape(flat, value, ir.ArrayAttr.get([]), [], [size])
    return value if rank == 1 else tensor.collapse_shape(flat, value, _one_group(rank))


def _unflat(value, type_):
    """The 1-D `value` as a tensor of `type_` (a view)."""
    if type_.rank == 0:
        return tensor.collapse_shape(type_, value, ir.ArrayAttr.get([]))
    return value if type_.rank == 1 else tensor.expand_shape(type_, value, _one_group(type_.rank), [],
                                                              list(type_.shape))


def _one_group(rank):
    """The reassociation of `rank` dimensions into one."""
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d) for d in range(rank)])])
