"""The pass pipelines from the mirax dialect down to the LLVM dialect."""
from mirax.mlir import passmanager

from .mirax_to_linalg import MiraxToLinalg

# linalg on tensors -> LLVM dialect for the CPU. Elementwise chains fuse into one
# linalg.generic; loops are left for LLVM's vectorizer at -O3.
CPU_PIPELINE = ",".join([
    "canonicalize",
    "linalg-fuse-elementwise-ops",
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}",
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
    "buffer-deallocation-pipeline",
    "func.func(convert-linalg-to-loops)",
    "convert-scf-to-cf",
    "expand-strided-metadata",
    "lower-affine",
    "convert-complex-to-standard",
    "math-expand-ops",
    "convert-math-to-llvm",
    "convert-math-to-libm",
    "finalize-memref-to-llvm",
    "convert-complex-to-llvm",
    "arith-emulate-unsupported-floats{source-types=bf16 target-type=f32}",
    "arith-expand{include-bf16=true}",
    "convert-arith-to-llvm",
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}",
    "convert-cf-to-llvm",
    "reconcile-unrealized-casts",
])


def lower_to_linalg(module):
    """mirax -> linalg, in place."""
    MiraxToLinalg()(module.operation)
    passmanager.PassManager.parse("builtin.module(canonicalize)").run(module.operation)


BARE_POINTERS = "{use-bare-ptr-memref-call-conv=1}"


def lower_to_llvm(module, bare_pointers=True):
    """linalg -> LLVM dialect, in place. Functions take bare pointers to their buffers,
    or memref descriptors when `bare_pointers` is false (needed for zero-size buffers,
    which the bare-pointer convention rejects)."""
    pipeline = CPU_PIPELINE if bare_pointers else CPU_PIPELINE.replace(BARE_POINTERS, "")
    passmanager.PassManager.parse(f"builtin.module({pipeline})").run(module.operation)
