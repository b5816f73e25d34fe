"""The pass pipelines from the mirax dialect down to the LLVM dialect."""
from mirax.dialect.ir_util import functions
from mirax.dialect.transformations import CUSTOM_LIN_OF, TRANSFORMS
from mirax.mlir import func, ir, linalg, passmanager, tensor

from .mirax_expand_math import MiraxExpandMath
from .dependence import ready
from .mirax_jvp import MiraxJvp
from .mirax_linearize import MiraxLinearize
from .mirax_simplify import MiraxSimplify
from .mirax_transpose import MiraxTranspose
from .mirax_to_linalg import MiraxToLinalg
from .mirax_vectorize_matmul import MiraxVectorizeMatmul
from .mirax_vmap import MiraxVmap

# linalg on tensors -> LLVM dialect for the CPU: stages of upstream passes (pipeline
# text) and mirax passes between them. Elementwise chains fuse into one
# linalg.generic; its loops are left for LLVM's vectorizer at -O3 (the ExecutionEngine
# targets the host CPU, AVX2/AVX-512 included), which is why mirax-expand-math turns
# f32 exp/log/tanh/sin/cos into arith polynomials instead of libm calls. Matmuls are
# tiled and vectorized explicitly (mirax-vectorize-matmul).
CPU_FUSION = ",".join([
    # One function: fusion reaches across what were calls (a derived VJP, its transpose,
    # a batched version), and no result is copied out of a callee's buffer into its caller's.
    "inline",
    "symbol-dce",
    "canonicalize",
    "linalg-fuse-elementwise-ops",
])
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
    BUFFERIZE,
    "func.func(convert-linalg-to-loops)",
    # Parallel blocks of a matmul (mirax-vectorize-matmul's scf.forall) run on OpenMP
    # threads; canonicalize inlines the alloca scopes the conversion wraps their bodies
    # in, which hold no allocas and would not survive convert-scf-to-cf.
    "scf-forall-to-parallel",
    "convert-scf-to-openmp",
    "canonicalize",
])
CPU_LOOPS_TO_LLVM = ",".join([
    # n-D vector transfers unrolled into 1-D ones, not staged through an alloca: the
    # allocas would land in the function's frame, shared by the OpenMP threads.
    "convert-vector-to-scf{full-unroll=true}",
    "convert-scf-to-cf",
    "convert-vector-to-llvm",
    "expand-strided-metadata",
    "lower-affine",
    "convert-complex-to-standard",
    # Only ops that nothing below lowers (not fma: mirax-expand-math's approximations need
    # fused multiply-adds). The other expansions are naive formulas, ulps to orders of
    # magnitude off (tanh, sinh, asinh, exp2, pow) or wrong for -0 and large values (ceil,
    # round); LLVM intrinsics and libm compute those ops correctly.
    "math-expand-ops{ops=ctlz,fpowi,clampf}",
    # log1p from libm: the approximation is log(1 + x), inaccurate near 0.
    "convert-math-to-llvm{approximate-log1p=false}",
    "convert-math-to-libm",
    "finalize-memref-to-llvm",
    "convert-complex-to-llvm",
    "arith-emulate-unsupported-floats{source-types=bf16 target-type=f32}",
    "arith-expand{include-bf16=true}",
    "convert-arith-to-llvm",
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}",
    "convert-cf-to-llvm",
    "convert-openmp-to-llvm",
    "convert-ub-to-llvm",  # poison padding of vector transfers
    "reconcile-unrealized-casts",
])


def expand_transformations(module):
    """Derive every transformed function (JVPs, VJPs, transposes, batched versions),
    innermost first."""
    while True:
        for transform in (MiraxJvp(), MiraxLinearize(), MiraxTranspose(), MiraxVmap()):
            transform(module)
        _, pending = ready(module, "mirax.jvp_of")
        if not pending:
            return
        if not any(ready(module, kind)[0] for kind in TRANSFORMS):
            raise ValueError("transformed functions wait on each other; none can be derived")


def lower_to_linalg(module):
    """mirax -> linalg, in place: transformations expanded, then each op lowered."""
    expand_transformations(module.operation)
    MiraxSimplify()(module.operation)
    for function in functions(module.operation).values():
        if CUSTOM_LIN_OF in function.attributes:  # still called after simplification: forward mode needs it
            raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")
    MiraxToLinalg()(module.operation)
    passmanager.PassManager.parse("builtin.module(canonicalize)").run(module.operation)


BARE_POINTERS = "{use-bare-ptr-memref-call-conv=1}"


def _distinct_results(module):
    """A function returning one tensor twice returns a copy the second time:
    buffer-results-to-out-params needs a buffer per result. A stage right before
    bufferization: inlining and canonicalization merge equal values, and
    linalg-fuse-elementwise-ops would fold a copy of a constant (and crashes on a 0-d
    linalg.copy of one: hessian(jnp.floor) segfaulted)."""
    for function in module.regions[0].blocks[0].operations:
        if function.operation.name != "func.func" or not function.regions[0].blocks:
            continue
        ret = list(function.regions[0].blocks[0].operations)[-1]
        seen, operands = set(), list(ret.operands)
        for i, value in enumerate(operands):
            if value in seen:
                with ir.InsertionPoint(ret), ret.location:
                    shaped = ir.RankedTensorType(value.type)
                    empty = tensor.EmptyOp(shaped.shape, shaped.element_type).result
                    operands[i] = linalg.copy(value, outs=[empty])
            seen.add(value)
        if operands != list(ret.operands):
            with ir.InsertionPoint(ret), ret.location:
                func.ReturnOp(operands)
            ret.operation.erase()


CPU_PIPELINE = (CPU_FUSION, MiraxVectorizeMatmul(), _distinct_results, CPU_TO_LOOPS, MiraxExpandMath(),
                CPU_LOOPS_TO_LLVM)


def lower_to_llvm(module, bare_pointers=True):
    """linalg -> LLVM dialect, in place. Functions take bare pointers to their buffers,
    or memref descriptors when `bare_pointers` is false (needed for zero-size buffers,
    which the bare-pointer convention rejects)."""
    for stage in CPU_PIPELINE:
        if isinstance(stage, str):
            pipeline = stage if bare_pointers else stage.replace(BARE_POINTERS, "")
            passmanager.PassManager.parse(f"builtin.module({pipeline})").run(module.operation)
        else:
            stage(module.operation)
    _check_runtime_calls(module)


# Functions the ExecutionEngine finds in the process (libc, libm); anything else that
# the lowering calls would be an unresolved symbol and crash the JIT.
RUNTIME_LIBRARY = ("memrefCopy", "_mlir_memref_to_llvm_alloc", "mlirAsyncRuntime")


def _check_runtime_calls(module):
    """Refuse a program that calls into MLIR's runtime libraries, which the JIT lacks
    (a strided buffer copy, for one): an error here instead of a crash when run."""
    for op in module.body.operations:
        if op.operation.name == "llvm.func" and not op.regions[0].blocks:
            name = op.attributes["sym_name"].value
            if name.startswith(RUNTIME_LIBRARY):
                raise NotImplementedError(f"the compiled program calls {name} from MLIR's runtime library, which "
                                          f"mirax's CPU JIT does not load; please report the program")
