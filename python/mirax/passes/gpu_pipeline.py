"""The GPU pipeline: linalg on tensors -> kernels in the GPU dialect -> NVVM -> PTX, and
the host code around the kernels -> LLVM dialect calling the GPU runtime.

The LLVM in the MLIR wheel has no NVPTX backend (gpu-module-to-binary fails), so the
kernels' NVVM module is translated to LLVM IR here and llvmlite's NVPTX backend emits
the PTX, with libdevice linked in for the math functions mirax-expand-math leaves (f32
exp, log, tanh, sin and cos are its polynomials, as on the CPU, so both agree). The PTX
goes back into the module as a gpu.binary: its launches become calls of the `mgpu*`
runtime functions (python/mirax/gpu_runtime.py implements them over the CUDA driver,
mirax-gpu-host-runtime the trivial ones in the host code itself).

The PTX is for the chip of the gpu.module's #nvvm.target: the device's when a program
is compiled to run (gpu_runtime passes chip_for(its compute capability)), DEFAULT_CHIP
when it is compiled without one (Lowered.as_text, mirax-opt, the ptxas tests).
"""
import functools
import re
from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path

import ml_dtypes
import numpy as np

from mirax.mlir import gpu, ir, llvm_d

from .mirax_gpu_host_runtime import MiraxGpuHostRuntime
from .mirax_gpu_launch_stack import MiraxGpuLaunchStack
from .mirax_gpu_stop_loops import MiraxGpuStopLoops
from .pipelines import BUFFERIZE, CPU_FUSION, CPU_LOOPS_TO_LLVM, PASSES, Pipeline, register, run

# The chips the PTX may target: those of PTX ISA 8.0 (CUDA 12.0 and later drivers load
# it) from Turing on. A newer device runs the newest's PTX, which its driver compiles.
CHIPS = ("sm_75", "sm_80", "sm_86", "sm_89", "sm_90")
DEFAULT_CHIP = "sm_90"  # without a device (H100)
PTX_FEATURES = "+ptx80"
KERNELS = "mirax_kernels"  # the one GPU module holding every kernel of a program

GPU_OUTLINE = "gpu-kernel-outlining,symbol-dce,canonicalize,cse"
KERNEL_STAGES = ("mirax-read-only-arguments", CPU_FUSION, "mirax-distinct-results", BUFFERIZE, "mirax-gpu-kernels",
                 "mirax-expand-math{library=0}", "mirax-gpu-unified-memory", "mirax-gpu-stop-loops", GPU_OUTLINE,
                 "mirax-one-gpu-module")
# Kernels to NVVM and LLVM: math ops with no NVVM lowering call libdevice (__nv_*).
NVVM_STAGE = ("gpu.module(lower-affine,convert-complex-to-standard,convert-scf-to-cf,convert-gpu-to-nvvm,"
              "convert-complex-to-llvm,canonicalize,cse,reconcile-unrealized-casts)")
# Host code to LLVM as on the CPU; launches and unified allocations become runtime calls.
HOST_TO_LLVM = CPU_LOOPS_TO_LLVM.replace("reconcile-unrealized-casts", "gpu-to-llvm,reconcile-unrealized-casts")


def chip_for(major, minor):
    """The chip to emit PTX for on a device of compute capability major.minor: the
    newest of CHIPS it runs."""
    fitting = [chip for chip in CHIPS if int(chip[3:]) <= major * 10 + minor]
    if not fitting:
        raise NotImplementedError(f"the GPU backend needs a device of compute capability 7.5 or newer (PTX for "
                                  f"{CHIPS[0]}); this one's is {major}.{minor}")
    return fitting[-1]


def _target(chip):
    return ir.Attribute.parse(f'#nvvm.target<O = 3, chip = "{chip}">')


def _chip(kernels):
    """The chip of a gpu.module's target (#nvvm.target leaves out its default, sm_75)."""
    found = re.search(r'chip = "(\w+)"', str(kernels.attributes["targets"][0]))
    return found[1] if found else "sm_75"


def _gpu_modules(module):
    return [op for op in module.regions[0].blocks[0].operations if op.operation.name == "gpu.module"]


@dataclass(frozen=True)
class MiraxOneGpuModule:
    """Move every outlined kernel into one GPU module (one PTX to compile and load per
    program), each kernel named after the module outlining made for it, keeping one copy
    of the functions and globals the kernels share."""

    name: ClassVar[str] = "mirax-one-gpu-module"
    summary: ClassVar[str] = "Move every outlined kernel into one gpu.module (one PTX per program)"

    def __call__(self, module):
        modules = _gpu_modules(module)
        if modules:
            _merge(module, modules)


def _merge(module, modules):
    kernels = ir.Operation.parse(f'gpu.module @{KERNELS} [{_target(DEFAULT_CHIP)}] {{\n}}')
    module.regions[0].blocks[0].append(kernels)
    body = kernels.regions[0].blocks[0]
    names = set()
    for outlined in modules:
        for op in list(outlined.regions[0].blocks[0].operations):
            if "kernel" in op.attributes:
                op.attributes["sym_name"] = outlined.attributes["sym_name"]
            name = op.attributes["sym_name"].value
            if name not in names:
                names.add(name)
                body.append(op.detach_from_parent())
        outlined.operation.erase()

    def retarget(op):
        if op.name == "gpu.launch_func":
            outlined = ir.SymbolRefAttr(op.attributes["kernel"]).value[0]
            op.attributes["kernel"] = ir.SymbolRefAttr.get([KERNELS, outlined])
        return ir.WalkResult.ADVANCE

    module.walk(retarget)


def lower_to_gpu(module, chip=DEFAULT_CHIP):
    """linalg on tensors -> kernels (gpu.func in one gpu.module, for `chip`) and host
    code launching them, in place."""
    run(module.operation, ["mirax-linalg-to-gpu"])
    for kernels in _gpu_modules(module.operation):
        kernels.attributes["targets"] = ir.ArrayAttr.get([_target(chip)])


@functools.cache
def _libdevice():
    import nvidia.cu13  # the nvidia-nvvm wheel  # noqa: PLC0415

    return (Path(nvidia.cu13.__path__[0]) / "nvvm" / "libdevice" / "libdevice.10.bc").read_bytes()


@functools.cache
def _target_machine(chip):
    import llvmlite.binding as llvm  # noqa: PLC0415

    if chip not in CHIPS:  # (LLVM would abort the process on a chip PTX 8.0 lacks)
        raise ValueError(f"the GPU backend emits PTX for {', '.join(CHIPS)}, not {chip}")
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm.Target.from_triple("nvptx64-nvidia-cuda").create_target_machine(cpu=chip, features=PTX_FEATURES, opt=3)


# MLIR's LLVM (24) spells float constants in ways llvmlite's (22) does not parse: the
# bits of the constant's type (f0x3FB8AA3B), inf and nan, and float decimals that are
# not exact doubles. The older spelling: doubles and floats (widened exactly) as the
# double's bits, 0x3FF7154760000000; halves 0xH<bits>, bfloats 0xR<bits>. A literal's
# type is the last type named before it on its line.
_TYPE_OR_FLOAT = re.compile(r"\b(half|bfloat|float|double)\b"
                            r"|(?<![\w.%@$\"-])([-+]?)(f0x[0-9A-Fa-f]+|inf|nan|qnan|\d+\.\d+(?:e[-+]?\d+)?)(?![\w.])")
_FLOAT_TYPES = {"half": np.float16, "bfloat": ml_dtypes.bfloat16, "float": np.float32, "double": np.float64}
_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _older_float(kind, sign, literal):
    dtype = np.dtype(_FLOAT_TYPES[kind])
    if literal.startswith("f0x"):
        value = np.array(int(literal[3:], 16), _BITS[dtype.itemsize]).view(dtype)
    else:
        value = np.array(float(literal.replace("qnan", "nan")), dtype)
    if sign == "-":
        value = -value
    if kind in ("half", "bfloat"):
        return f"0x{'H' if kind == 'half' else 'R'}{int(value.view(np.uint16)):04X}"
    return f"0x{int(np.float64(value).view(np.uint64)):016X}"


def _older_float_syntax(llvm_ir):
    lines = []
    for line in llvm_ir.split("\n"):
        kind = None

        def respell(match):
            nonlocal kind
            if match[1]:
                kind = match[1]
                return match[0]
            if kind is None or (kind == "double" and not match[3].startswith(("f0x", "inf", "nan", "qnan"))):
                return match[0]
            return _older_float(kind, match[2], match[3])

        lines.append(_TYPE_OR_FLOAT.sub(respell, line))
    return "\n".join(lines)


def kernels_to_ptx(module):
    """The PTX of the kernels of an NVVM-stage module ('' when it has none)."""
    import llvmlite.binding as llvm  # noqa: PLC0415

    modules = _gpu_modules(module)
    if not modules:
        return ""
    (kernels,) = modules
    body = kernels.regions[0].blocks[0]
    entries = {op.attributes["sym_name"].value for op in body.operations if "gpu.kernel" in op.attributes}
    text = "\n".join(str(op) for op in body.operations)
    translated = ir.Module.parse(f'module attributes {{llvm.target_triple = "nvptx64-nvidia-cuda"}} {{\n{text}\n}}')
    llvm_ir = llvm.parse_assembly(_older_float_syntax(llvm_d.translate_module_to_llvmir(translated.operation)))
    if any(f.is_declaration and f.name.startswith("__nv_") for f in llvm_ir.functions):
        llvm_ir.link_in(llvm.parse_bitcode(_libdevice()))
    # Everything but the kernels internal: the optimizer drops what they do not call.
    for symbol in list(llvm_ir.functions) + list(llvm_ir.global_variables):
        if not symbol.is_declaration and symbol.name not in entries:
            symbol.linkage = llvm.Linkage.internal
    machine = _target_machine(_chip(kernels))
    llvm_ir.data_layout = str(machine.target_data)
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    builder.getModulePassManager().run(llvm_ir, builder)
    return _renumber_call_sites(machine.emit_assembly(llvm_ir))


_CALL_SITE = re.compile(r"\b(callseq |prototype_)(\d+)")


def _renumber_call_sites(ptx):
    """The PTX with its call sites numbered from 0: NVPTX numbers them from a counter
    global to the process, so the same kernels would print differently after other
    compilations (and mirax-opt would not replay jit's "llvm" stage)."""
    numbers = {}
    return _CALL_SITE.sub(lambda m: m[1] + str(numbers.setdefault(m[2], len(numbers))), ptx)


@dataclass(frozen=True)
class MiraxGpuBinary:
    """The kernels of an NVVM-stage module compiled to PTX (for their target's chip),
    which replaces their gpu.module as a gpu.binary."""

    name: ClassVar[str] = "mirax-gpu-binary"
    summary: ClassVar[str] = "Compile the NVVM kernels to PTX (llvmlite) held by a gpu.binary in place of their module"

    def __call__(self, module):
        ptx = kernels_to_ptx(module)
        for kernels in _gpu_modules(module):
            target = kernels.attributes["targets"][0]
            ptx_object = gpu.ObjectAttr.get(target, gpu.CompilationTarget.Assembly, ptx.encode())
            with ir.InsertionPoint(kernels), kernels.location:
                gpu.BinaryOp(KERNELS, ir.ArrayAttr.get([ptx_object]),
                             offloadingHandler=ir.Attribute.parse("#gpu.select_object<0>"))
            kernels.operation.erase()


PASSES.update({p.name: p for p in (MiraxOneGpuModule(), MiraxGpuBinary(), MiraxGpuStopLoops(), MiraxGpuLaunchStack(),
                                    MiraxGpuHostRuntime())})
register(
    Pipeline("mirax-linalg-to-gpu", "GPU pipeline: linalg on tensors to kernels in the GPU dialect", KERNEL_STAGES),
    Pipeline("mirax-linalg-to-nvvm", "GPU pipeline: linalg on tensors to kernels in the NVVM dialect",
             ("mirax-linalg-to-gpu", NVVM_STAGE)),
    Pipeline("mirax-nvvm-to-llvm", "GPU pipeline: NVVM kernels to PTX, host code to the LLVM dialect",
             ("mirax-gpu-binary", HOST_TO_LLVM, "mirax-gpu-launch-stack", "mirax-gpu-host-runtime")),
    Pipeline("mirax-gpu-pipeline", "mirax dialect to host code in the LLVM dialect launching PTX kernels, as jit does",
             ("mirax-lower-to-linalg", "mirax-linalg-to-nvvm", "mirax-nvvm-to-llvm")),
)

STAGES = ("gpu", "nvvm", "ptx", "llvm")  # what Lowered.as_text shows after "mirax" and "linalg"
# Each stage from linalg on tensors ("ptx" is printed from the "nvvm" module).
# Each stage from the 'gpu' stage ("ptx" is printed from the "nvvm" module).
_FROM_GPU = {"gpu": [], "nvvm": [NVVM_STAGE], "ptx": [NVVM_STAGE], "llvm": [NVVM_STAGE, "mirax-nvvm-to-llvm"]}


def lower_to_gpu_stage(module, stage="llvm", chip=DEFAULT_CHIP):
    """linalg on tensors -> a stage of the GPU pipeline, in place, with PTX for `chip`:
    'gpu' (kernels in the GPU dialect), 'nvvm' (kernels in NVVM), 'ptx' (returns the
    kernels' PTX; the module is left at 'nvvm') or 'llvm' (host code in the LLVM
    dialect, the PTX in a gpu.binary)."""
    lower_to_gpu(module, chip)
    run(module.operation, _FROM_GPU[stage])
    return kernels_to_ptx(module.operation) if stage == "ptx" else None
