"""mirax-matmul-calls: f32 and f64 linalg.matmul ops on buffers become calls to the
kernel library's matmul (kernel_library.py), which the runtime compiles once per
process: a small matmul then costs a call to compile, not a loop nest of its own.

Runs after bufferization, on the matmuls mirax-vectorize-matmul left (the f32 ones
too small to pay for packing and threads, and every f64 one, which would otherwise
be scalar loops summing in order). A matmul qualifies when its operands are of one
element type, with static shapes, C row-major (unit innermost stride; any offset and
row stride, which the call passes), A and B of any strides (which the call passes),
and its indexing maps are linalg.matmul's own or read A or B transposed (C[m, n] +=
A[k, m] B[n, k]: the call passes the strides swapped; mirax-vectorize-matmul folds
transposes into the matmuls it leaves to this pass).
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import arith, func, ir, llvm_d, memref

from .ir_queries import ops_named, transposed_operands
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
            transposed = transposed_operands(op)
            with ir.InsertionPoint(op), op.location:
                arguments = []
                for operand, swapped in zip(op.operands, (*transposed, False), strict=True):
                    pointer, offset, *strides = _base_offset_strides(operand)
                    arguments += [pointer, offset, *(strides[::-1] if swapped else strides)]
                del arguments[-1]  # C's columns are adjacent
                (m, k), n = _rows_columns(op.operands[0], transposed[0]), _rows_columns(op.operands[1], transposed[1])[1]
                arguments += [arith.constant(ir.IndexType.get(), size) for size in (m, n, k)]
                func.call([], symbol, arguments)
            op.erase()
            called.add(symbol)
        with ir.InsertionPoint.at_block_begin(module.regions[0].blocks[0]), ir.Location.unknown():
            index = ir.IndexType.get()
            for symbol in sorted(called):
                declaration = func.FuncOp(symbol, ([_pointer(), index, index, index] * 2 + [_pointer(), index, index]
                                                   + [index] * 3, []))
                declaration.sym_visibility = ir.StringAttr.get("private")


def _kernel(op):
    """The library's kernel for the linalg.matmul `op`, or None when it does not qualify."""
    types = [operand.type for operand in op.operands]
    if not all(isinstance(t, ir.MemRefType) for t in types) or transposed_operands(op) is None:
        return None
    types = [ir.MemRefType(t) for t in types]
    if len({str(t.element_type) for t in types}) != 1 or not all(t.has_static_shape for t in types) \
            or not _row_major(types[2]):
        return None
    return matmul_symbol(str(types[0].element_type))


def _rows_columns(operand, transposed):
    """The (rows, columns) of the matrix a matmul reads from the buffer `operand`."""
    shape = ir.MemRefType(operand.type).shape
    return shape[::-1] if transposed else shape


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
