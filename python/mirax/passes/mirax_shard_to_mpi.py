"""mirax-shard-to-mpi: the shard dialect's collectives (dialect/collectives.py) to MPI calls."""
import re
import zlib
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.collectives import GROUP
from mirax.dialect.ir_util import body, declare
from mirax.mlir import arith, func, ir, passmanager

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
    communicator after."""

    name: ClassVar[str] = "mirax-shard-to-mpi"
    summary: ClassVar[str] = "Lower shard-dialect collectives to the mpi dialect (convert-shard-to-mpi), grids erased"

    def __call__(self, module):
        grids = [op for op in body(module).operations if op.operation.name == "shard.grid"]
        if not grids:
            return
        passmanager.PassManager.parse("builtin.module(convert-shard-to-mpi)").run(module)
        splits = []
        module.walk(lambda op: (splits.append(op) if op.name == "mpi.comm_split" else None, ir.WalkResult.ADVANCE)[1])
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
        for grid in grids:
            grid.operation.erase()
        module.attributes[MPI] = ir.UnitAttr.get()
