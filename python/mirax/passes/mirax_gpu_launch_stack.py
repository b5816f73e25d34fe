"""mirax-gpu-launch-stack: kernel launches' argument arrays leave the stack after each launch."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir, llvm_d

from .ir_queries import ops_named


@dataclass(frozen=True)
class MiraxGpuLaunchStack:
    """Each kernel launch's argument arrays leave the stack after the launch: every
    gpu.launch_func of the LLVM-dialect host code is put between an llvm.intr.stacksave
    and an llvm.intr.stackrestore.

    The translation of gpu.launch_func (MLIR's SelectObjectAttr) allocates the
    kernel's argument arrays (a struct of the arguments, an array of pointers to them)
    with allocas at the launch, so they are not in the IR to move anywhere before. An
    alloca outside the entry block is dynamic: its stack is given back only by the
    function's return, so a launch in a while loop's body grew the stack by the size of
    its arrays (a few hundred bytes) each iteration until the process crashed (SIGSEGV)
    on running out of stack. Saving the stack pointer before the launch and restoring it after
    frees them: the launch is the arrays' only reader (mgpuLaunchKernel is synchronous,
    and cuLaunchKernel copies the arguments anyway), and nothing else the translation
    puts between the two outlives the launch. (Simpler than the alternatives: a
    memref.alloca_scope has to be made before gpu-to-llvm and lowers to the same pair,
    and a host function per launch would add a call and a function per launch.) Launches
    in the entry block are wrapped too, where it costs nothing: their allocas stay static."""

    name: ClassVar[str] = "mirax-gpu-launch-stack"
    summary: ClassVar[str] = "Free each gpu.launch_func's argument arrays after it (llvm.intr.stacksave/stackrestore)"

    def __call__(self, module):
        pointer = ir.Type.parse("!llvm.ptr")
        for launch in ops_named(module, "gpu.launch_func"):
            with ir.InsertionPoint(launch), launch.location:
                saved = llvm_d.intr_stacksave(pointer)
                restore = llvm_d.StackRestoreOp(saved)
            launch.move_before(restore)
