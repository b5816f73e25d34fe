"""mirax-matmul-calls: f32 and f64 linalg.matmul ops on buffers become calls to the
kernel library's matmul (kernel_library.py), which the runtime compiles once per
process: a small matmul then costs a call to compile, not a loop nest of its own.

Runs after bufferization, on the matmuls mirax-vectorize-matmul left (the f32 ones
too small to pay for packing and threads, and every f64 one, which would otherwise
be scalar loops summing in order). A matmul qualifies when its operands are of one
element type, with static shapes, B and C row-major (unit innermost stride; any
offset and row stride, which the call passes), A of any strides, and its indexing
maps are linalg.matmul's own or read A transposed (C[m, n] += A[k, m] B[k, n]: the
call passes A's strides swapped; mirax-vectorize-matmul folds transposes of A into
the matmuls it leaves to this pass).
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import arith, func, ir, llvm_d, memref

from .ir_queries import has_matmul_maps, has_transposed_a_maps, ops_named
from .kernel_library import matmul_symbol


@dataclass(frozen=True)
class MiraxMatmulCalls:
    name: ClassVar[str] = "mirax-matmul-calls"
    summary: ClassVar[str] = "Replace f32/f64 linalg.matmul on buffers by calls to the runtime library's matmul kernel"

    def __call__(self, module):
        called = set()
        for op in ops_named(module, "linalg.matmul"):
            symbol = _kernel(op)
            if symbol is None:
                continue
            transposed = has_transposed_a_maps(op)
            with ir.InsertionPoint(op), op.location:
                pointer, offset, *strides = _base_offset_strides(op.operands[0])
                arguments = [pointer, offset, *(strides[::-1] if transposed else strides)]
                for operand in op.operands[1:]:
                    arguments += _base_offset_strides(operand)[:3]
                n, a_shape = ir.MemRefType(op.operands[1].type).shape[1], ir.MemRefType(op.operands[0].type).shape
                m, k = a_shape[::-1] if transposed else a_shape
                arguments += [arith.constant(ir.IndexType.get(), size) for size in (m, n, k)]
                func.call([], symbol, arguments)
            op.erase()
            called.add(symbol)
        with ir.InsertionPoint.at_block_begin(module.regions[0].blocks[0]), ir.Location.unknown():
            index = ir.IndexType.get()
            for symbol in sorted(called):
                declaration = func.FuncOp(symbol, ([_pointer(), index, index, index] + [_pointer(), index, index] * 2
                                                   + [index] * 3, []))
                declaration.sym_visibility = ir.StringAttr.get("private")


def _kernel(op):
    """The library's kernel for the linalg.matmul `op`, or None when it does not qualify."""
    types = [operand.type for operand in op.operands]
    if not all(isinstance(t, ir.MemRefType) for t in types) or not (has_matmul_maps(op) or has_transposed_a_maps(op)):
        return None
    types = [ir.MemRefType(t) for t in types]
    if len({str(t.element_type) for t in types}) != 1 or not all(t.has_static_shape for t in types) \
            or not all(_row_major(t) for t in types[1:]):
        return None
    return matmul_symbol(str(types[0].element_type))


def _row_major(memref_type):
    """Whether the rows of `memref_type` (2-D) are contiguous."""
    strides, _ = memref_type.get_strides_and_offset()
    return strides[-1] == 1


def _pointer():
    return ir.Type.parse("!llvm.ptr")


def _base_offset_strides(buffer):
    """[the aligned pointer of the 2-D `buffer`, its offset, its row stride, its column
    stride], in elements. The pointer goes as an !llvm.ptr, not a memref, so that the
    call is the same whatever calling convention the function-to-LLVM conversion uses
    for memrefs."""
    _, offset, _, _, stride, column_stride = memref.ExtractStridedMetadataOp(buffer).results
    address = arith.index_cast(ir.IntegerType.get_signless(64), memref.extract_aligned_pointer_as_index(buffer))
    return [llvm_d.inttoptr(_pointer(), address), offset, stride, column_stride]
