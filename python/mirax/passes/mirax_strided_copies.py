"""mirax-strided-copies: copies between strided views as loops."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir, linalg

from .ir_queries import ops_named


def _contiguous(memref):
    """Whether `memref` is one run of memory, as MLIR's memref.copy lowering decides
    (isStaticShapeAndContiguousRowMajor): canonical inner strides, then sizes of 1."""
    if not memref.has_static_shape:
        return False
    strides, _ = memref.get_strides_and_offset()
    run, d = 1, memref.rank - 1
    while d >= 0 and strides[d] == run:
        run *= memref.shape[d]
        d -= 1
    return all(size == 1 for size in memref.shape[:d + 1])


@dataclass(frozen=True)
class MiraxStridedCopies:
    """A memref.copy between contiguous buffers or views becomes a memcpy; any other
    (into a strided window of a buffer: a dynamic_update_slice done in place, as a
    scan's stacked outputs) a call to MLIR's runtime library, which the CPU JIT does
    not load. Those become linalg.copy, loops."""

    name: ClassVar[str] = "mirax-strided-copies"
    summary: ClassVar[str] = "Turn memref.copy ops on strided views into linalg.copy (loops, not a runtime call)"

    def __call__(self, module):
        for op in ops_named(module, "memref.copy"):
            source, target = (ir.MemRefType(v.type) for v in op.operands)
            if _contiguous(source) and _contiguous(target):
                continue
            with ir.InsertionPoint(op), op.location:
                linalg.copy(op.operands[0], outs=[op.operands[1]])
            op.erase()
