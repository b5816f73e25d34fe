"""mirax-gpu-unified-memory: the buffers host code allocates become unified (managed)
memory, `gpu.alloc host_shared`, which kernels and host code both read and write.

Host code stays where mirax's lowering puts it: loops and conditions around kernels,
scalar reads of results (a while loop's condition), a scatter's sequential loop. With
every buffer in unified memory (the runtime allocates arguments and results there too)
and each launch synchronous, all of it is correct without copies between host and
device. Buffers inside kernels (none today) are left alone.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import gpu, ir


@dataclass(frozen=True)
class MiraxGpuUnifiedMemory:
    name: ClassVar[str] = "mirax-gpu-unified-memory"
    summary: ClassVar[str] = "Allocate host code's buffers in unified memory (gpu.alloc host_shared)"

    def __call__(self, module):
        found = []

        def collect(op):
            if op.name == "gpu.launch":
                return ir.WalkResult.SKIP
            if op.name in ("memref.alloc", "memref.dealloc"):
                found.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        for op in found:
            with ir.InsertionPoint(op), op.location:
                if op.name == "memref.alloc":
                    view = op.opview
                    alloc = gpu.AllocOp(op.result.type, None, [], view.dynamicSizes, view.symbolOperands,
                                        hostShared=True)
                    op.result.replace_all_uses_with(alloc.memref)
                else:
                    gpu.DeallocOp(None, [], op.operands[0])
            op.erase()
