"""mirax-early-deallocs: each buffer freed right after its last use."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir

from .ir_queries import ops_named


def _in_block(op, block):
    """`op`, or the ancestor of `op` that is in `block`; None if it is not inside `block`."""
    while op.name != "func.func":  # (a function's buffers are used in it alone)
        if op.block == block:
            return op
        op = op.parent.operation
    return None


def _last_use(buffer, dealloc, order):
    """The last op of the dealloc's block that reads or writes `buffer` or a value that may
    alias it (any memref an op makes from it: views, casts, loop results), None if some
    use is outside the block. `order`: the block's ops' positions."""
    block, last, pending, seen = dealloc.block, None, [buffer], set()
    while pending:
        value = pending.pop()
        for use in value.uses:
            user = use.owner.operation
            if user == dealloc:
                continue
            at = _in_block(user, block)
            if at is None:
                return None
            if last is None or order[at] > order[last]:
                last = at
            for result in user.results:
                if isinstance(result.type, ir.MemRefType) and result not in seen:
                    seen.add(result)
                    pending.append(result)
    return last


@dataclass(frozen=True)
class MiraxEarlyDeallocs:
    """The ownership-based buffer deallocation frees a block's buffers at the block's
    end, so every temporary of a program lives until it returns: jit(grad) of a deep
    network held all its activations' and gradients' temporaries at once (peak memory
    several times JAX's), and no freed block was reused while still in cache. This pass
    moves each unconditional memref.dealloc up to right after the last op in its block
    that uses the buffer or anything that may alias it (nested uses count for the op
    holding them)."""

    name: ClassVar[str] = "mirax-early-deallocs"
    summary: ClassVar[str] = "Move each memref.dealloc to right after the last use of its buffer (or its aliases)"

    def __call__(self, module):
        deallocs = [op.operation for op in ops_named(module, "memref.dealloc")]
        orders = {}  # block -> its ops' positions, taken before any dealloc moves
        for dealloc in deallocs:
            if dealloc.block not in orders:
                orders[dealloc.block] = {op.operation: i for i, op in enumerate(dealloc.block.operations)}
        for dealloc in deallocs:
            last = _last_use(dealloc.operands[0], dealloc, orders[dealloc.block])
            # (A use by the terminator: a value the conservative alias walk reached is
            # yielded; the dealloc stays where it is, before the terminator.)
            if last is not None and orders[dealloc.block][last] < orders[dealloc.block][dealloc]:
                dealloc.move_after(last)
