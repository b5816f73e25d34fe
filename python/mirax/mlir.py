"""The one door to MLIR's Python bindings: every other module imports from here.

The official `mlir` package is preferred where installed; otherwise the copy of
upstream MLIR's bindings carried by the `torch-mlir` wheel pinned in pyproject.toml.
"""
try:  # pragma: no cover - depends on what is installed
    from mlir import ir, passmanager, rewrite
    from mlir.dialects import arith, bufferization, complex as complex_d, ext, func, linalg, math, memref, scf, tensor
    from mlir.dialects import affine, gpu, vector
    from mlir.dialects import llvm as llvm_d
    from mlir.execution_engine import ExecutionEngine
    from mlir.runtime import get_ranked_memref_descriptor
except ImportError:
    from torch_mlir import ir, passmanager, rewrite
    from torch_mlir.dialects import arith, bufferization, complex as complex_d, ext, func, linalg, math, memref, scf
    from torch_mlir.dialects import affine, gpu, tensor, vector
    from torch_mlir.dialects import llvm as llvm_d
    from torch_mlir.execution_engine import ExecutionEngine
    from torch_mlir.runtime import get_ranked_memref_descriptor


def _declare_mirax_dialect_module():
    """The bindings import `<search prefix>.mirax` for the ops of the mirax dialect they
    wrap, and remember only successful imports: without a module there, building or
    verifying each mirax op tried the import again (~14 file system lookups, a third
    of the time of a small vjp_fun call). An empty module answers it once for all."""
    import sys
    import types

    for prefix in ir._globals.dialect_search_modules:
        sys.modules.setdefault(f"{prefix}.mirax", types.ModuleType(f"{prefix}.mirax"))


_declare_mirax_dialect_module()

__all__ = [
    "ir", "passmanager", "rewrite", "affine", "arith", "bufferization", "complex_d", "ext", "func", "gpu", "linalg",
    "math", "memref", "scf", "tensor", "vector", "llvm_d", "ExecutionEngine", "get_ranked_memref_descriptor",
]
