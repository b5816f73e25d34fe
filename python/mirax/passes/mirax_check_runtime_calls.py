"""mirax-check-runtime-calls: the JIT's missing runtime functions refused at compile time."""
from dataclasses import dataclass
from typing import ClassVar

# Functions the ExecutionEngine finds in the process (libc, libm); anything else that
# the lowering calls would be an unresolved symbol and crash the JIT.
RUNTIME_LIBRARY = ("memrefCopy", "_mlir_memref_to_llvm_alloc", "mlirAsyncRuntime")


@dataclass(frozen=True)
class MiraxCheckRuntimeCalls:
    """Refuse a program that calls into MLIR's runtime libraries, which the JIT lacks
    (a strided buffer copy, for one): an error here instead of a crash when run."""

    name: ClassVar[str] = "mirax-check-runtime-calls"
    summary: ClassVar[str] = "Refuse LLVM-dialect code calling MLIR's runtime libraries, which mirax's CPU JIT lacks"

    def __call__(self, module):
        for op in module.regions[0].blocks[0].operations:
            if op.operation.name == "llvm.func" and not op.regions[0].blocks:
                name = op.attributes["sym_name"].value
                if name.startswith(RUNTIME_LIBRARY):
                    raise NotImplementedError(f"the compiled program calls {name} from MLIR's runtime library, which "
                                              f"mirax's CPU JIT does not load; please report the program")
