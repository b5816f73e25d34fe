"""mirax-shard-to-mpi: the shard dialect's collectives (dialect/collectives.py) to MPI calls."""
import re
import zlib
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.collectives import GROUP
from mirax.dialect.ir_util import body, declare
from mirax.mlir import arith, func, ir, passmanager

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
    communicator after. Upstream's all_reduce copies its operand into the result's buffer
    and reduces that buffer in place, passed as both buffers (which MPI forbids: aliased
    arguments): the reduction reads the operand instead, the copy is dropped."""

    name: ClassVar[str] = "mirax-shard-to-mpi"
    summary: ClassVar[str] = "Lower shard-dialect collectives to the mpi dialect (convert-shard-to-mpi), grids erased"

    def __call__(self, module):
        grids = [op for op in body(module).operations if op.operation.name == "shard.grid"]
        if not grids:
            return
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
