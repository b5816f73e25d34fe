"""The one registry of mirax's passes and named pipelines, which mirax-opt, the
runtime and `Lowered.as_text` all run: a pipeline is a list of registered pass names,
pipeline names and upstream pipeline texts, so what `jit` compiles `mirax-opt` replays
(`mirax-opt in.mlir --mirax-cpu-pipeline` on a program's "mirax" stage prints its
"llvm" stage). mirax-derive, which composes the four derivations, is here too: no
pass imports another."""
import dataclasses
import re
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.dependence import ready
from mirax.dialect.rules import Table
from mirax.dialect.transformations import JVP_OF, TRANSFORMS

from .mirax_check_custom_vjp import MiraxCheckCustomVjp
from .mirax_check_runtime_calls import MiraxCheckRuntimeCalls
from .mirax_distinct_results import MiraxDistinctResults
from .mirax_early_deallocs import MiraxEarlyDeallocs
from .mirax_expand_math import MiraxExpandMath
from .mirax_fuse_elementwise import MiraxFuseElementwise
from .mirax_gpu_kernels import MiraxGpuKernels
from .mirax_gpu_unified_memory import MiraxGpuUnifiedMemory
from .mirax_jvp import MiraxJvp
from .mirax_linearize import MiraxLinearize
from .mirax_matmul_calls import MiraxMatmulCalls
from .mirax_mpi_to_llvm import MiraxMpiToLlvm
from .mirax_parallelize import MiraxParallelize
from .mirax_read_only_arguments import MiraxReadOnlyArguments
from .mirax_shard_partition import MiraxShardPartition
from .mirax_shard_to_mpi import MiraxShardToMpi
from .mirax_short_loops import MiraxShortLoops
from .mirax_simplify import MiraxSimplify
from .mirax_strided_copies import MiraxStridedCopies
from .mirax_to_linalg import MiraxToLinalg
from .mirax_transpose import MiraxTranspose
from .mirax_vectorize_matmul import MiraxVectorizeMatmul
from .mirax_vmap import MiraxVmap
from .upstream import run_upstream

# A transformation of a transformed function waits for its body: each round derives
# what is ready, innermost first, until nothing is declared.
DERIVATIONS = (MiraxJvp(), MiraxLinearize(), MiraxTranspose(), MiraxVmap())


@dataclass(frozen=True)
class MiraxDerive:
    name: ClassVar[str] = "mirax-derive"
    summary: ClassVar[str] = "Derive every transformed function (jvp, linearize, transpose, vmap) to a fixed point"

    def __call__(self, module):
        while True:
            for derive in DERIVATIONS:
                derive(module)
            _, pending = ready(module, JVP_OF)
            if not pending:
                return
            if not any(ready(module, kind)[0] for kind in TRANSFORMS):
                raise ValueError("transformed functions wait on each other; none can be derived")


# Passes by flag name; gpu_pipeline.py adds its own. (Tables, as the rules are: a pass
# replaced at run time turns the persistent cache's mirax-text keys off, runtime.py.)
PASSES = Table({p.name: p for p in (
    MiraxDerive(), MiraxJvp(), MiraxLinearize(), MiraxTranspose(), MiraxVmap(), MiraxSimplify(), MiraxCheckCustomVjp(),
    MiraxToLinalg(), MiraxReadOnlyArguments(), MiraxFuseElementwise(), MiraxVectorizeMatmul(), MiraxParallelize(),
    MiraxDistinctResults(), MiraxEarlyDeallocs(), MiraxStridedCopies(), MiraxExpandMath(), MiraxCheckRuntimeCalls(),
    MiraxGpuKernels(), MiraxGpuUnifiedMemory(), MiraxShardPartition(), MiraxShardToMpi(), MiraxMpiToLlvm(),
    MiraxShortLoops(), MiraxMatmulCalls())})


@dataclass(frozen=True)
class Pipeline:
    """A named pipeline: registered pass names, pipeline names and upstream pipeline
    texts, run in order."""

    name: str
    summary: str
    elements: tuple


PIPELINES = Table()  # by name


def register(*pipelines):
    for pipeline in pipelines:
        PIPELINES[pipeline.name] = pipeline


def expand(elements):
    """`elements` with every pipeline name replaced by its elements, recursively."""
    out = []
    for element in elements:
        pipeline = PIPELINES.get(element)
        out.extend(expand(pipeline.elements) if pipeline else [element])
    return out


def with_options(pass_, options):
    """The mirax pass `pass_` with `options` ('{called-flops=0}') set: its dataclass
    fields, named in kebab case, of their fields' types (a bool as 0 or 1)."""
    fields = {field.name.replace("_", "-"): field for field in dataclasses.fields(pass_)}
    values = {}
    for option in options.strip("{}").split():
        key, _, value = option.partition("=")
        if key not in fields:
            names = ", ".join(fields) or "none"
            raise ValueError(f"mirax pass '{pass_.name}' has no option '{key}' (its options: {names})")
        try:
            kind = fields[key].type
            values[fields[key].name] = bool(int(value)) if kind is bool else kind(value)
        except ValueError:
            kind = fields[key].type.__name__
            raise ValueError(f"mirax pass '{pass_.name}': option '{key}' takes a{'n' * (kind[0] in 'aeiou')} {kind}, "
                             f"not '{value}'") from None
    return dataclasses.replace(pass_, **values)


def run(module, elements, verify_each=True):
    """Run a pipeline on `module` (the builtin.module operation), in place: mirax passes
    called as they are, so that their errors (a TypeError of a jvp of a custom_vjp)
    reach the user unchanged; consecutive upstream elements in one PassManager, which
    verifies the module after each of its passes unless not `verify_each`."""
    upstream = []

    def flush():
        if upstream:
            run_upstream(module, f"builtin.module({','.join(upstream)})", verify_each)
            upstream.clear()

    for element in expand(elements):
        name = re.match(r"[^{(]*", element)[0]
        pass_ = PASSES.get(name)
        if pass_ is not None and element != name:
            pass_ = with_options(pass_, element[len(name):])
        if pass_ is None:
            upstream.append(element)
        else:
            flush()
            pass_(module)
    flush()


# linalg on tensors -> LLVM dialect for the CPU: stages of upstream passes (pipeline
# text) and mirax passes between them. Elementwise chains fuse into one
# linalg.generic; its loops are left for LLVM's vectorizer at -O3 (the ExecutionEngine
# targets the host CPU, AVX2/AVX-512 included), which is why mirax-expand-math turns
# f32 exp/log/tanh/sin/cos into arith polynomials instead of libm calls. Matmuls are
# tiled and vectorized explicitly (mirax-vectorize-matmul).
CPU_FUSION = "mirax-cpu-fusion"
# One function: fusion reaches across what were calls (a derived VJP, its transpose,
# a batched version), and no result is copied out of a callee's buffer into its caller's.
register(Pipeline(CPU_FUSION, "Inline every call, then fuse elementwise linalg ops (the CPU and GPU pipelines)",
                  ("inline,symbol-dce,canonicalize", "mirax-fuse-elementwise")))
# Tensors to buffers, results as out-parameters (the CPU and GPU pipelines share it).
BUFFERIZE = ",".join([
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops unknown-type-conversion=identity-layout-map}",
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
    "buffer-deallocation-pipeline",
    # Deallocating loop-carried buffers calls a helper taking dynamically sized memrefs,
    # which the bare-pointer calling convention cannot lower: inline it.
    "inline",
    "symbol-dce",
])
CPU_TO_LOOPS = ",".join([
    "func.func(convert-linalg-to-loops)",
    # Parallel blocks of a matmul (mirax-vectorize-matmul's scf.forall) run on OpenMP
    # threads; canonicalize inlines the alloca scopes the conversion wraps their bodies
    # in, which hold no allocas and would not survive convert-scf-to-cf.
    "scf-forall-to-parallel",
    "convert-scf-to-openmp",
    "canonicalize",
])
CPU_LOOPS_TO_LLVM = ",".join([
    # Ops on scalars and vectors first, while the IR is small (unrolling the vector
    # transfers and lowering memrefs to descriptors multiply it by eight):
    "convert-complex-to-standard",
    # Only ops that nothing below lowers (not fma: mirax-expand-math's approximations need
    # fused multiply-adds). The other expansions are naive formulas, ulps to orders of
    # magnitude off (tanh, sinh, asinh, exp2, pow) or wrong for -0 and large values (ceil,
    # round); LLVM intrinsics and libm compute those ops correctly.
    "math-expand-ops{ops=ctlz,fpowi,clampf}",
    # log1p from libm: the approximation is log(1 + x), inaccurate near 0.
    "convert-math-to-llvm{approximate-log1p=false}",
    "convert-math-to-libm",
    "arith-emulate-unsupported-floats{source-types=bf16 target-type=f32}",
    "arith-expand{include-bf16=true}",
    # n-D vector transfers unrolled into 1-D ones, not staged through an alloca: the
    # allocas would land in the function's frame, shared by the OpenMP threads.
    "convert-vector-to-scf{full-unroll=true}",
    "convert-scf-to-cf",
    # (its own pass: it also lowers transfers and shape casts before converting)
    "convert-vector-to-llvm",
    "expand-strided-metadata",
    "lower-affine",
    # Then the other dialects' conversions to LLVM in one walk (a pass per dialect cost
    # 5 ms each on an MLP's gradient), but functions', whose bare-pointer convention
    # takes an option, and OpenMP's, which needs its regions' types converted first.
    "convert-to-llvm{filter-dialects=memref,arith,cf,ub,complex,math}",
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}",
    "convert-openmp-to-llvm",
    "reconcile-unrealized-casts",
])


# mirax -> linalg on tensors: derivations, then each op lowered.
TO_LINALG = ("mirax-derive", "mirax-simplify", "mirax-check-custom-vjp", "mirax-to-linalg", "canonicalize")
# A jit with shardings is partitioned first (mirax-shard-partition). Loop-invariant
# code motion after packing: a scan's body packs the weights it multiplies by once,
# before the loop, not at every step. Collectives (shard ops) become MPI calls on
# tensors, before bufferization; their MPI ops reach LLVM last, before the casts are
# reconciled (both only where there are some).
LINALG_TO_LLVM = ("mirax-shard-partition", "mirax-read-only-arguments", CPU_FUSION, "mirax-vectorize-matmul",
                  "loop-invariant-code-motion", "mirax-parallelize", "mirax-distinct-results", "mirax-shard-to-mpi",
                  BUFFERIZE, "mirax-early-deallocs", "mirax-strided-copies", "mirax-matmul-calls", CPU_TO_LOOPS,
                  "mirax-expand-math",
                  "mirax-short-loops",
                  CPU_LOOPS_TO_LLVM.removesuffix(",reconcile-unrealized-casts"), "mirax-mpi-to-llvm",
                  "reconcile-unrealized-casts", "mirax-check-runtime-calls")
register(
    Pipeline("mirax-lower-to-linalg", "mirax dialect to linalg on tensors, as jit does (the \"linalg\" stage)",
             TO_LINALG),
    Pipeline("mirax-linalg-to-llvm", "CPU pipeline: linalg on tensors to the LLVM dialect", LINALG_TO_LLVM),
    Pipeline("mirax-cpu-pipeline", "mirax dialect to the LLVM dialect for the CPU, exactly as jit does",
             ("mirax-lower-to-linalg", "mirax-linalg-to-llvm")),
)


# jit's own pipelines verify the module once, at their end, not after each pass (an
# MLP's gradient: linalg to LLVM in 74 ms against 143; upstream.run_upstream).
def lower_to_linalg(module):
    """mirax -> linalg, in place."""
    run(module.operation, ["mirax-lower-to-linalg"], verify_each=False)
    module.operation.verify()


BARE_POINTERS = "{use-bare-ptr-memref-call-conv=1}"


def lower_kernel_library(module):
    """kernel_library.py's module -> LLVM dialect, in place, its functions taking bare
    pointers to their buffers as programs' calls pass them."""
    run(module.operation, ["canonicalize", CPU_LOOPS_TO_LLVM], verify_each=False)
    module.operation.verify()


def lower_to_llvm(module, bare_pointers=True):
    """linalg -> LLVM dialect, in place. Functions take bare pointers to their buffers,
    or memref descriptors when `bare_pointers` is false (needed for zero-size buffers,
    which the bare-pointer convention rejects)."""
    elements = expand(["mirax-linalg-to-llvm"])
    run(module.operation, elements if bare_pointers else [e.replace(BARE_POINTERS, "") for e in elements],
        verify_each=False)
    module.operation.verify()
