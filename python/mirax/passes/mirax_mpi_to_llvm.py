"""mirax-mpi-to-llvm: the mpi dialect's ops to LLVM calls of libmpi."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import passmanager

MPI = "mirax.mpi"  # what mirax-shard-to-mpi marks a module with MPI ops with


@dataclass(frozen=True)
class MiraxMpiToLlvm:
    """MPI ops reach LLVM only through the generic convert-to-llvm (run unfiltered, with
    the rest of the module already in LLVM, before reconcile-unrealized-casts); on
    modules mirax-shard-to-mpi marked, so that the others pay nothing."""

    name: ClassVar[str] = "mirax-mpi-to-llvm"
    summary: ClassVar[str] = "Lower mpi-dialect ops to LLVM calls (convert-to-llvm) in a module that has them"

    def __call__(self, module):
        if MPI in module.attributes:
            passmanager.PassManager.parse("builtin.module(convert-to-llvm)").run(module)
            del module.attributes[MPI]
