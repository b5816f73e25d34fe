"""mirax-expand-math: float32 exp, log, tanh, sin and cos as polynomial
approximations in arith, so that the loops computing them vectorize (LLVM lowers
these math ops to scalar libm calls, which stop its loop vectorizer). XLA:CPU does
the same for exp, log and tanh.

The approximations are the classic Cephes ones, with Cody-Waite range reduction
and fused multiply-adds. Each stays within 2 ulp of the correctly rounded result
(on all 2**32 float32 inputs: at most 1.01 ulp for exp, 0.83 log, 1.53 sin, 1.52
cos; test/python/test_expand_math.py keeps a sample) and keeps libm's special
values: inf, nan, signed zeros, subnormal inputs and results. tanh is XLA:CPU's,
bit for bit, so that results match JAX's. sin and
cos reduce arguments up to 71476 (NumPy's bound for the same reduction); larger
ones, rare in practice, go to libm.

exp, log and tanh (approximations.py) outside long loops become calls of the kernel
library's compiled functions (kernel_library.py), declared with vector variants of 8
and 16 lanes (LLVM's vector function ABI) that the loop vectorizer calls instead: a
program carries no copy of their code to compile (the 50-op benchmark's 10 tanh and
10 exp on 1,000 elements: 101 -> 37 ms to compile). In loops of 2^14 iterations or
more, with the option `library=0` (the GPU pipeline's: kernels cannot call host
code), and always for sin and cos, each op becomes a call of a private function
holding its approximation, built once per module and always inlined by LLVM. Runs on
scalar f32 code (after linalg is lowered to loops); f64 keeps libm. Uses math.fma:
math-expand-ops must not expand fma after it.
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.mlir import arith, func, ir, math, scf

from .approximations import expand_exp, expand_log, expand_tanh, f32, i32, polynomial, round_to_int
from .ir_queries import body_runs
from .kernel_library import MATH_FUNCTIONS, VECTOR_WIDTHS as LIBRARY_WIDTHS, math_symbol, math_variant_symbol

# Cody-Waite split of pi/2 and the sin/cos polynomials on [-pi/4, pi/4] (as NumPy's SIMD sin/cos).
PIO2_HIGH = float.fromhex("0x1.921fb0p+00")
PIO2_MEDIUM = float.fromhex("0x1.5110b4p-22")
PIO2_LOW = float.fromhex("0x1.846988p-48")
MAX_REDUCED = 71476.0625
SIN_POLY = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]
COS_POLY = [float.fromhex("0x1.98e616p-16"), float.fromhex("-0x1.6c06dcp-10"), float.fromhex("0x1.55553cp-05"),
            -0.5, 1.0]


def _sin_cos(x, function):
    float32, int32 = ir.F32Type.get(), ir.IntegerType.get_signless(32)
    # Reduced on |x| (cos is even, sin odd: its sign comes back from x at the end, so
    # that sin(-0) = -0): |x| = q pi/2 + r with |r| <= pi/4.
    ax = math.absf(x)
    q_float, q = round_to_int(arith.mulf(ax, f32(2.0 / np.pi)))
    r = math.fma(q_float, f32(-PIO2_HIGH), ax)
    r = math.fma(q_float, f32(-PIO2_MEDIUM), r)
    r = math.fma(q_float, f32(-PIO2_LOW), r)
    r2 = arith.mulf(r, r)
    sin_r = math.fma(arith.mulf(polynomial(r2, SIN_POLY), r2), r, r)
    cos_r = polynomial(r2, COS_POLY)
    # Quadrant q (+1 for cos): odd quadrants take cos(r), quadrants 2 and 3 negate.
    if function == "cos":
        q = arith.addi(q, i32(1))
    use_cos = arith.cmpi(arith.CmpIPredicate.ne, arith.andi(q, i32(1)), i32(0))
    value = arith.select(use_cos, cos_r, sin_r)
    sign = arith.shli(arith.andi(q, i32(2)), i32(30))
    if function == "sin":
        sign = arith.xori(sign, arith.andi(arith.bitcast(int32, x), i32(-(2**31))))
    value = arith.bitcast(float32, arith.xori(arith.bitcast(int32, value), sign))
    # Arguments too large for the reduction: libm, out of line (see LIBM_FALLBACK).
    too_large = arith.cmpf(arith.CmpFPredicate.OGT, ax, f32(MAX_REDUCED))
    branch = scf.IfOp(too_large, [float32], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp(func.CallOp([float32], _fallback_name(function), [x]).results)
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([value])
    return branch.result


def expand_sin(x):
    return _sin_cos(x, "sin")


def expand_cos(x):
    return _sin_cos(x, "cos")


# The libm fallback of sin and cos: a scalar function that LLVM may not inline (an
# inlined call to the speculatable llvm.sin would be hoisted out of its branch and
# scalarize the loop), declaring masked vector variants (LLVM's vector function ABI,
# as vector math libraries do) so that the loop vectorizer keeps the rare call in a
# vectorized loop: each variant calls libm only when some lane of its mask is set.
VECTOR_WIDTHS = (4, 8, 16)
LIBM_FALLBACK = """
func.func private @{name}(%x: f32) -> f32 attributes {{llvm.no_inline,
    llvm.passthrough = [["vector-function-abi-variant", "{variants}"]]}} {{
  %y = math.{function} %x : f32
  return %y : f32
}}
"""
LIBM_FALLBACK_VARIANT = """
func.func private @{name}_v{width}(%x: vector<{width}xf32>, %mask: vector<{width}xi1>) -> vector<{width}xf32>
    attributes {{llvm.no_inline}} {{
  %any = vector.reduction <or>, %mask : vector<{width}xi1> into i1
  %y = scf.if %any -> vector<{width}xf32> {{
    %all = math.{function} %x : vector<{width}xf32>
    %some = arith.select %mask, %all, %x : vector<{width}xi1>, vector<{width}xf32>
    scf.yield %some : vector<{width}xf32>
  }} else {{
    scf.yield %x : vector<{width}xf32>
  }}
  return %y : vector<{width}xf32>
}}
"""


def _fallback_name(function):
    return f"__mirax_libm_{function}f"


def _fallback(function):
    """The text of `function`'s ("sin" or "cos") libm fallback and its vector variants."""
    name = _fallback_name(function)
    variants = ",".join(f"_ZGV_LLVM_M{w}v_{name}({name}_v{w})" for w in VECTOR_WIDTHS)
    text = LIBM_FALLBACK.format(name=name, function=function, variants=variants)
    return text + "".join(LIBM_FALLBACK_VARIANT.format(name=name, function=function, width=w) for w in VECTOR_WIDTHS)


EXPANSIONS = {
    "math.exp": expand_exp,
    "math.log": expand_log,
    "math.tanh": expand_tanh,
    "math.sin": expand_sin,
    "math.cos": expand_cos,
}
FALLBACKS = {"math.sin": "sin", "math.cos": "cos"}


def _approximation_name(op_name):
    return f"__mirax_{op_name[len('math.'):]}f"


def _define_approximation(body, op_name):
    """Append to the module `body` a private f32 -> f32 function computing `op_name`'s
    approximation (which LLVM inlines), and its libm fallback if it has one."""
    float32 = ir.F32Type.get()
    with ir.InsertionPoint(body), ir.Location.unknown():
        function = func.FuncOp(_approximation_name(op_name), ir.FunctionType.get([float32], [float32]),
                               visibility="private")
        function.attributes["llvm.always_inline"] = ir.UnitAttr.get()
        entry = function.add_entry_block()
        with ir.InsertionPoint(entry):
            func.ReturnOp([EXPANSIONS[op_name](entry.arguments[0])])
    if op_name in FALLBACKS:
        for op in ir.Module.parse(_fallback(FALLBACKS[op_name])).body.operations:
            body.append(op.detach_from_parent())


# An approximation is a long chain of dependent operations: a loop computing one (or a
# chain of them) is bound by their latency unless LLVM interleaves independent vector
# iterations, which its cost model does not choose with this many live constants.
# Two iterations made the benchmark's elementwise chain 30% faster (and its compile
# 40% slower); four, 40% faster, compiling another 20% slower. Not for loop nests of
# fewer iterations than INTERLEAVED_ITERATIONS, which take microseconds either way:
# the 50-op chain on 1,000 elements compiled in 130 ms interleaved, 112 ms not.
LOOP_ANNOTATION = "#llvm.loop_annotation<interleave = #llvm.loop_interleave<count = 2>>"
INTERLEAVED_ITERATIONS = 1 << 14


def _long_loop(op):
    """The innermost scf.for around `op` when the nest of loops around it is not known
    to run fewer than INTERLEAVED_ITERATIONS times, else None."""
    parent = op.parent
    while parent is not None and parent.name != "scf.for":
        parent = parent.parent
    if parent is None or body_runs(parent, INTERLEAVED_ITERATIONS) < INTERLEAVED_ITERATIONS:
        return None
    return parent


def _interleave(loop):
    """Ask LLVM to interleave `loop` (scf-to-cf and cf-to-llvm carry the
    `loop_annotation` to the loop's branch)."""
    if "loop_annotation" not in loop.attributes:
        loop.attributes["loop_annotation"] = ir.Attribute.parse(LOOP_ANNOTATION)


# What LLVM must know of the library's functions to call their vector variants from a
# vectorized loop: they touch no memory and return.
PURE = ("#llvm.memory_effects<other = none, argMem = none, inaccessibleMem = none, errnoMem = none, "
        "targetMem0 = none, targetMem1 = none>")
LIBRARY_FUNCTION = """
func.func private @{name}(f32) -> f32 attributes {{llvm.memory_effects = {pure},
    llvm.passthrough = ["nounwind", "willreturn", ["vector-function-abi-variant", "{variants}"]]}}
"""
LIBRARY_VARIANT = """
llvm.func @{name}(vector<{width}xf32>) -> vector<{width}xf32> attributes {{memory_effects = {pure},
    passthrough = ["nounwind", "willreturn"]}}
"""
# LLVM drops declarations nothing calls before its loop vectorizer would call them:
# the variants are kept in llvm.compiler.used.
COMPILER_USED = """
llvm.mlir.global appending @llvm.compiler.used() {{addr_space = 0 : i32, section = "llvm.metadata"}}
    : !llvm.array<{count} x ptr> {{
  %array0 = llvm.mlir.undef : !llvm.array<{count} x ptr>
{elements}
  llvm.return %array{count} : !llvm.array<{count} x ptr>
}}
"""


def _declare_library(body, functions):
    """Declare in the module `body` the kernel library's `functions` ("tanh") and their
    vector variants, which llvm.compiler.used keeps."""
    text, kept = [], []
    for function in functions:
        name = math_symbol(function)
        variants = [math_variant_symbol(function, width) for width in LIBRARY_WIDTHS]
        mappings = ",".join(f"_ZGV_LLVM_N{width}v_{name}({variant})"
                            for width, variant in zip(LIBRARY_WIDTHS, variants, strict=True))
        text.append(LIBRARY_FUNCTION.format(name=name, pure=PURE, variants=mappings))
        text += [LIBRARY_VARIANT.format(name=variant, width=width, pure=PURE)
                 for width, variant in zip(LIBRARY_WIDTHS, variants, strict=True)]
        kept += variants
    elements = "\n".join(f"  %f{i} = llvm.mlir.addressof @{symbol} : !llvm.ptr\n"
                         f"  %array{i + 1} = llvm.insertvalue %f{i}, %array{i}[{i}] : !llvm.array<{len(kept)} x ptr>"
                         for i, symbol in enumerate(kept))
    text.append(COMPILER_USED.format(count=len(kept), elements=elements))
    for op in ir.Module.parse("".join(text)).body.operations:
        body.append(op.detach_from_parent())


@dataclass(frozen=True)
class MiraxExpandMath:
    name: ClassVar[str] = "mirax-expand-math"
    summary: ClassVar[str] = "Expand scalar f32 exp, log, tanh, sin, cos into vectorizable polynomial approximations"
    library: bool = True  # an option: False (the GPU's kernels) builds every approximation into the module

    def _callee(self, op, loop):
        """What `op` calls: the library's function, unless it runs in a long loop (where
        the inlined approximation, vectorized with the code around it, saves the calls'
        time: 10 tanh and 10 exp on 2^20 elements ran 25% slower through the library)."""
        function = op.name[len("math."):]
        if self.library and loop is None and function in MATH_FUNCTIONS:
            return math_symbol(function)
        return _approximation_name(op.name)

    def __call__(self, module):
        fallbacks = {_fallback_name(f) for f in FALLBACKS.values()}
        targets = []

        def collect(op):
            if op.name == "func.func" and op.attributes["sym_name"].value in fallbacks:
                return ir.WalkResult.SKIP  # the fallbacks keep their libm calls
            if op.name in EXPANSIONS and isinstance(op.operands[0].type, ir.F32Type):
                targets.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect, ir.WalkOrder.PRE_ORDER)
        body = module.regions[0].blocks[0]
        defined = {op.attributes["sym_name"].value for op in body.operations if "sym_name" in op.attributes}
        loops = [_long_loop(op) for op in targets]
        callees = [self._callee(op, loop) for op, loop in zip(targets, loops, strict=True)]
        library = []
        for op, callee in sorted({(op.name, callee) for op, callee in zip(targets, callees, strict=True)}):
            if callee in defined:
                continue
            if callee == _approximation_name(op):
                _define_approximation(body, op)
            else:
                library.append(op[len("math."):])
        if library:
            _declare_library(body, library)
        float32 = ir.F32Type.get()
        for op, loop, callee in zip(targets, loops, callees, strict=True):
            if loop is not None:
                _interleave(loop)
            with ir.InsertionPoint(op), op.location:
                call = func.CallOp([float32], callee, [op.operands[0]])
            op.result.replace_all_uses_with(call.result)
            op.erase()
