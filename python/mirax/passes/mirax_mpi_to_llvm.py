"""mirax-mpi-to-llvm: the mpi dialect's ops to LLVM calls of libmpi."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.collectives import SENDRECV
from mirax.dialect.ir_util import body
from mirax.mlir import ir, passmanager

MPI = "mirax.mpi"  # what mirax-shard-to-mpi marks a module with MPI ops with


@dataclass(frozen=True)
class MiraxMpiToLlvm:
    """MPI ops reach LLVM only through the generic convert-to-llvm (run unfiltered, with
    the rest of the module already in LLVM, before reconcile-unrealized-casts); on
    modules mirax-shard-to-mpi marked, so that the others pay nothing. The runtime's
    exchange, declared per buffer type (@mirax_mpi_sendrecv_<type>: ppermute's lowering),
    takes pointers now: one declaration, of the symbol the runtime registers."""

    name: ClassVar[str] = "mirax-mpi-to-llvm"
    summary: ClassVar[str] = "Lower mpi-dialect ops to LLVM calls (convert-to-llvm) in a module that has them"

    def __call__(self, module):
        if MPI not in module.attributes:
            return
        passmanager.PassManager.parse("builtin.module(convert-to-llvm)").run(module)
        del module.attributes[MPI]
        typed = [op for op in body(module).operations if op.operation.name == "llvm.func"
                 and op.attributes["sym_name"].value.startswith(f"{SENDRECV}_")]
        for i, declaration in enumerate(typed):
            if str(declaration.attributes["function_type"]) != "!llvm.func<void (ptr, ptr, i64, i32, i32)>":
                raise NotImplementedError("ppermute in a program with zero-size arrays at its boundary (whose buffers "
                                          "are passed as descriptors) is not supported")
            ir.SymbolTable.replace_all_symbol_uses(declaration.attributes["sym_name"].value, SENDRECV, module)
            if i:
                declaration.operation.erase()
            else:
                ir.SymbolTable.set_symbol_name(declaration, SENDRECV)
