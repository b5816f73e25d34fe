"""The kernels mirax-gpu-kernels builds, run without a GPU: each gpu.launch becomes
loops over its blocks and threads, compiled for the CPU, and the results must match the
CPU backend's. A tree reduction runs with one thread per block (gpu.all_reduce of one
thread is its operand): that checks everything but the block-wide combination, which is
upstream's lowering of gpu.all_reduce. Kernels whose threads synchronize (gpu.barrier:
shared-memory matmul tiles) run with tiles of one element."""
import contextlib

import numpy as np
import pytest

import mirax
from mirax import runtime
from mirax.mlir_context import context
from mirax.api import Jitted
from mirax.mlir import arith, ir, scf
from mirax.passes import gpu_pipeline, mirax_gpu_kernels
from mirax.passes.ir_queries import ops_named
from mirax.passes.pipelines import CPU_LOOPS_TO_LLVM, lower_to_linalg, run
from test_gpu_ptx import PROGRAMS


def _constant(value):
    return ir.IntegerAttr(ir.Attribute.parse(str(value.owner.attributes["value"]))).value


def _sequentialize(launch):
    """Replace a gpu.launch by loops over its blocks and their threads, a tree reduction
    by one thread per block. Threads synchronize only with themselves: a kernel with
    barriers must have one thread per block."""
    body = launch.regions[0].blocks[0]
    reductions, barriers = ops_named(launch, "gpu.all_reduce"), ops_named(launch, "gpu.barrier")
    index = ir.IndexType.get()
    sizes = [launch.gridSizeX, launch.gridSizeY, launch.gridSizeZ, launch.blockSizeX, launch.blockSizeY,
             launch.blockSizeZ]
    assert all(_constant(s) == 1 for s in sizes[4:]), "1-D blocks"
    assert not barriers or _constant(sizes[3]) == 1, "a kernel with barriers needs one thread per block"
    with contextlib.ExitStack() as inside:
        inside.enter_context(ir.InsertionPoint(launch))
        inside.enter_context(launch.location)
        zero, one = arith.constant(index, 0), arith.constant(index, 1)
        if reductions:
            sizes[3] = one
        loops = []
        for size in sizes[:4]:  # over blocks along x, y, z, then threads
            loops.append(scf.ForOp(zero, size, one))
            with ir.InsertionPoint(loops[-1].body):
                end = scf.YieldOp([])
            inside.enter_context(ir.InsertionPoint(end))
    ivs = [loop.induction_variable for loop in loops]
    for argument, value in zip(body.arguments, ivs[:3] + [ivs[3], zero, zero] + sizes, strict=True):
        argument.replace_all_uses_with(value)
    for reduction in reductions:
        reduction.result.replace_all_uses_with(reduction.operands[0])
    for op in reductions + barriers:
        op.operation.erase()
    *ops, terminator = body.operations
    for op in ops:
        op.move_before(end)
    launch.operation.erase()


def _emulated_lowering(module):
    kernels = gpu_pipeline.KERNEL_STAGES.index("mirax-gpu-unified-memory")
    run(module.operation, gpu_pipeline.KERNEL_STAGES[:kernels])
    for launch in ops_named(module, "gpu.launch"):
        _sequentialize(launch)
    # The tiles in a block's shared memory become plain globals.
    plain = ir.Module.parse(str(module).replace(", #gpu.address_space<workgroup>", ""))
    for op in list(module.body.operations):
        op.operation.erase()
    for op in list(plain.body.operations):
        module.body.append(op.detach_from_parent())
    run(module.operation, [CPU_LOOPS_TO_LLVM])


class Emulated(runtime.Executable):
    lower = staticmethod(_emulated_lowering)


def _check_emulated(name):
    fn, args = PROGRAMS[name]
    traced, leaves = Jitted(fn)._specialize(args, {})
    with context():
        module = ir.Module.parse(traced.trace.text)
    inputs = leaves + traced.trace.constvars
    got = Emulated(module, "main", len(inputs), traced.trace.out_avals)(inputs)
    want = mirax.tree_util.tree_leaves(mirax.jit(fn)(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), rtol=2e-5, atol=1e-5)


# Programs with matmuls big enough for shared-memory tiles, which synchronize their
# threads: emulated with tiles of one element (one thread per block), which checks the
# kernel's indexing, roles of the operands and bounds, not the threads' cooperation.
TILED = ("matmul", "einsum_batched", "grad", "vmap")


@pytest.mark.parametrize("name", [n for n in PROGRAMS if n not in TILED])
def test_emulated_kernels_match_cpu(name):
    _check_emulated(name)



@pytest.mark.parametrize("name", TILED)
def test_emulated_tiled_matmuls_match_cpu(name, monkeypatch):
    monkeypatch.setattr(mirax_gpu_kernels, "TILE", 1)
    _check_emulated(name)


def _root(value):
    """The op at the root of the chain of views `value` is taken through."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return "an argument"
    return _root(owner.operands[0]) if owner.operation.name in mirax_gpu_kernels.VIEWS[1:] else owner.operation.name


@pytest.mark.parametrize("name", PROGRAMS)
def test_kernels_read_no_host_globals(name):
    """Host globals (constants) are not device memory: a kernel reading one (or a view
    of one) must have it cloned in, which emulation on the CPU would not notice."""
    fn, args = PROGRAMS[name]
    with context():
        module = ir.Module.parse(Jitted(fn)._specialize(args, {})[0].trace.text)
        lower_to_linalg(module)
        gpu_pipeline.lower_to_gpu(module)
        launches = ops_named(module, "gpu.launch_func")
        assert launches
        for launch in launches:
            for value in launch.operands:
                if isinstance(value.type, ir.MemRefType):
                    assert _root(value) != "memref.get_global", f"{launch} reads a global of the host"


def test_tree_reductions_run_whole_warps():
    """gpu.all_reduce shuffles across a warp's 32 lanes: every kernel of the programs
    with one runs blocks of whole warps (test/lit/gpu/kernels.mlir's @sum_all: the
    second stage of a split reduction, combining 16 partial results, too)."""
    reducing = {}
    for name, (fn, args) in PROGRAMS.items():
        with context():
            module = ir.Module.parse(Jitted(fn)._specialize(args, {})[0].trace.text)
            lower_to_linalg(module)
            gpu_pipeline.lower_to_gpu(module)
            kernels = {op.attributes["sym_name"].value: op for op in ops_named(module, "gpu.func")}
            for launch in ops_named(module, "gpu.launch_func"):
                kernel = ir.SymbolRefAttr(launch.attributes["kernel"]).value[-1]
                if ops_named(kernels[kernel], "gpu.all_reduce"):
                    reducing[f"{name}/{kernel}"] = _constant(launch.operands[3])  # threads along x
    assert reducing
    assert all(threads % 32 == 0 for threads in reducing.values()), reducing


HOST_BUFFER_IN_A_LOOP = """
memref.global "private" @counts : memref<4xf32> = dense<0.0>
func.func @f(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %buffer = BUFFER : memref<4xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %buffer[%c0] : memref<4xf32>
      gpu.terminator
    }
  }
  return
}
"""


@pytest.mark.parametrize("buffer, message", [
    ("memref.alloca()", "stack buffer allocated in a loop or branch"),
    ("memref.get_global @counts", "mutable global @counts"),
])
def test_host_buffers_kernels_cannot_see_are_refused(buffer, message):
    """What mirax-gpu-unified-memory cannot put in unified memory for a kernel (a stack
    buffer per iteration of a loop, a global the program may write) is refused, not
    passed to the kernel as a host address."""
    with context():
        module = ir.Module.parse(HOST_BUFFER_IN_A_LOOP.replace("BUFFER", buffer))
        with pytest.raises(NotImplementedError, match=message):
            run(module.operation, ["mirax-gpu-unified-memory"])
