"""mirax-gpu-unified-memory: every buffer of host code that a kernel may see is in
unified (managed) memory, which kernels and host code both read and write.

- The buffers host code allocates become `gpu.alloc host_shared`.
- A constant global (memref.global) that may reach a kernel through host code (a loop's
  carried buffer, a call's argument; views of globals that kernels read directly were
  cloned into the kernels by mirax-gpu-kernels) is copied once per call, at the
  function's entry, into unified memory, freed at its returns.
- A stack buffer (memref.alloca) that may reach a kernel becomes unified memory freed at
  the function's returns, when it is allocated in the function's entry block; elsewhere
  (in a loop, where each iteration has its own) the pass refuses it.

Host code stays where mirax's lowering puts it: loops and conditions around kernels,
scalar reads of results (a while loop's condition), a scatter's sequential loop. With
every buffer in unified memory (the runtime allocates arguments and results there too)
and each launch synchronous, all of it is correct without copies between host and
device. Buffers inside kernels are left alone.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import gpu, ir, memref

# Ops making a view of their first operand (its buffer): a kernel sees what it sees.
VIEWS = ("memref.subview", "memref.reshape", "memref.expand_shape", "memref.collapse_shape", "memref.cast",
         "memref.reinterpret_cast", "memref.extract_strided_metadata")


def _in_kernel(op):
    while op.name != "func.func":
        if op.name == "gpu.launch":
            return True
        op = op.parent
    return False


def _may_reach_kernel(value):
    """Whether a buffer may reach a kernel: used (directly or through views) by anything
    but host code's loads, stores into it, dims and reshapes' shape operands."""
    for use in value.uses:
        op = use.owner.operation if hasattr(use.owner, "operation") else use.owner
        if _in_kernel(op):
            return True
        if op.name == "memref.load" or op.name == "memref.dim" or (op.name, use.operand_number) in (
                ("memref.store", 1), ("memref.reshape", 1)):
            continue
        if op.name in VIEWS and use.operand_number == 0:
            if any(_may_reach_kernel(r) for r in op.results if isinstance(r.type, ir.MemRefType)):
                return True
            continue
        return True
    return False


def _function(op):
    while op.name != "func.func":
        op = op.parent
    return op


def _in_unified_memory(function, entry_ip, buffer_type, dynamic_sizes=()):
    """A buffer of unified memory allocated at `entry_ip`, freed at `function`'s returns."""
    with entry_ip:
        unified = gpu.AllocOp(buffer_type, None, [], list(dynamic_sizes), [], hostShared=True).memref
    for block in function.regions[0].blocks:
        terminator = block.operations[len(block.operations) - 1]
        if terminator.name == "func.return":
            with ir.InsertionPoint(terminator), terminator.location:
                gpu.DeallocOp(None, [], unified)
    return unified


@dataclass(frozen=True)
class MiraxGpuUnifiedMemory:
    name: ClassVar[str] = "mirax-gpu-unified-memory"
    summary: ClassVar[str] = ("Put host code's buffers that kernels may see in unified memory (gpu.alloc host_shared, "
                              "copies of globals)")

    def __call__(self, module):
        found = []

        def collect(op):
            if op.name == "gpu.launch":
                return ir.WalkResult.SKIP
            if op.name in ("memref.alloc", "memref.dealloc", "memref.alloca", "memref.get_global"):
                found.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect, ir.WalkOrder.PRE_ORDER)  # (SKIP: not into kernels)
        symbols = ir.SymbolTable(module)
        copies = {}  # (function, global) -> its copy in unified memory
        for op in found:
            if op.name in ("memref.alloca", "memref.get_global") and not _may_reach_kernel(op.result):
                continue
            function = _function(op)
            entry = function.regions[0].blocks[0]
            with ir.InsertionPoint(op), op.location:
                if op.name == "memref.alloc":
                    view = op.opview
                    alloc = gpu.AllocOp(op.result.type, None, [], view.dynamicSizes, view.symbolOperands,
                                        hostShared=True)
                    op.result.replace_all_uses_with(alloc.memref)
                elif op.name == "memref.dealloc":
                    gpu.DeallocOp(None, [], op.operands[0])
                elif op.name == "memref.alloca":
                    if op.block != entry:
                        raise NotImplementedError(
                            f"the GPU backend cannot give a kernel a stack buffer allocated in a loop or branch of "
                            f"host code: {op}")
                    op.result.replace_all_uses_with(
                        _in_unified_memory(function, ir.InsertionPoint(op), op.result.type, op.opview.dynamicSizes))
                else:
                    name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
                    if "constant" not in symbols[name].attributes:
                        raise NotImplementedError(f"the GPU backend cannot give a kernel the mutable global @{name}")
                    key = (function, name)
                    if key not in copies:
                        at_entry = ir.InsertionPoint.at_block_begin(entry)
                        with at_entry:
                            original = memref.GetGlobalOp(op.result.type, name).result
                        copies[key] = _in_unified_memory(function, at_entry, op.result.type)
                        with at_entry:
                            memref.CopyOp(original, copies[key])
                    op.result.replace_all_uses_with(copies[key])
            op.erase()
