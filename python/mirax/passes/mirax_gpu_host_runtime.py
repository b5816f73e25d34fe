"""mirax-gpu-host-runtime: the GPU runtime functions that need no Python, defined in the host code."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir

# The runtime functions gpu-to-llvm's code calls that need no Python, defined in the
# host code (the translation's calls find them): every launch goes to the default
# stream and synchronizes in mgpuLaunchKernel, which finds the kernel from the name
# mgpuModuleGetFunction passes on, and the executable unloads its module (a global
# destructor calling Python could run after the interpreter's finalization).
HOST_RUNTIME = """
llvm.func internal @mgpuStreamCreate() -> !llvm.ptr {
  %0 = llvm.mlir.zero : !llvm.ptr
  llvm.return %0 : !llvm.ptr
}
llvm.func internal @mgpuStreamSynchronize(%stream: !llvm.ptr) {
  llvm.return
}
llvm.func internal @mgpuStreamDestroy(%stream: !llvm.ptr) {
  llvm.return
}
llvm.func internal @mgpuModuleUnload(%module: !llvm.ptr) {
  llvm.return
}
llvm.func internal @mgpuModuleGetFunction(%module: !llvm.ptr, %name: !llvm.ptr) -> !llvm.ptr {
  llvm.return %name : !llvm.ptr
}
"""


@dataclass(frozen=True)
class MiraxGpuHostRuntime:
    name: ClassVar[str] = "mirax-gpu-host-runtime"
    summary: ClassVar[str] = "Define the GPU runtime functions that need no Python in the host code (LLVM dialect)"

    def __call__(self, module):
        if not any(op.operation.name == "gpu.binary" for op in module.regions[0].blocks[0].operations):
            return
        body = module.regions[0].blocks[0]
        functions = ir.Module.parse(HOST_RUNTIME)  # (alive while its ops move: they die with it)
        for op in list(functions.body.operations):
            body.append(op.detach_from_parent())
