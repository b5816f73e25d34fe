"""mirax-shard-to-mpi: the shard dialect's collectives (dialect/collectives.py) to MPI calls."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.ir_util import body
from mirax.mlir import ir, passmanager

MPI = "mirax.mpi"  # on a module with MPI ops left for mirax-mpi-to-llvm


@dataclass(frozen=True)
class MiraxShardToMpi:
    """Upstream's convert-shard-to-mpi on a module with shard grids, then the grids
    erased (the LLVM translator does not know them). A collective over part of a
    multi-axis grid is refused: upstream splits MPI's world for it on every call and
    never frees the communicator (MPICH aborts after ~2,000 calls)."""

    name: ClassVar[str] = "mirax-shard-to-mpi"
    summary: ClassVar[str] = "Lower shard-dialect collectives to the mpi dialect (convert-shard-to-mpi), grids erased"

    def __call__(self, module):
        grids = [op for op in body(module).operations if op.operation.name == "shard.grid"]
        if not grids:
            return
        passmanager.PassManager.parse("builtin.module(convert-shard-to-mpi)").run(module)
        splits = []
        module.walk(lambda op: (splits.append(op) if op.name == "mpi.comm_split" else None, ir.WalkResult.ADVANCE)[1])
        if splits:
            raise NotImplementedError("a collective over some of the axes of a multi-axis mesh is not supported yet "
                                      "(MLIR's lowering creates an MPI communicator per call and leaks it)")
        for grid in grids:
            grid.operation.erase()
        module.attributes[MPI] = ir.UnitAttr.get()
