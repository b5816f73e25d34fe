"""mirax-fuse-elementwise: elementwise fusion that recomputes cheap values.

linalg-fuse-elementwise-ops fuses a producer into its consumer only when the
consumer is its one use, so a broadcast or an `x - mean` that several consumers read
(a normalization's gradient reads each three times) is written out whole and read
back by each. XLA instead recomputes cheap elementwise ops in every fusion that reads
them. This pass does the same: a cheap producer (all loops parallel, a few arithmetic
ops without transcendental functions, no operand larger than its result) with several
linalg.generic consumers in its block, and no other readers, gets a copy per consumer,
and upstream fusion then fuses each copy into its consumer. Reading a producer's operands instead of
its result never moves more bytes. Rounds until no copy is made: fusing copies
into consumers makes new consumers of their own producers. Copies left unread
after fusion are erased.

Large 2-D f32 transposes stay out of fusion (a linalg.transpose while it runs): fused
into their consumer, its loops read the operand a column at a time, one element per
cache line (1024x1024 f32: `a.T * 2` 1.65 ms, `(a + a.T) / 2` 1.66); on their own,
mirax-vectorize-matmul copies them in 8x8 vector tiles and the consumer reads rows
(0.56 and 0.60 ms; attention's gradient 2.43 -> 1.99 ms of CPU).
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.dialect.lowering import transpose
from mirax.dialect.types import shaped_type
from mirax.mlir import ir, linalg

from .ir_queries import is_tileable_transpose, ops_named, reductions
from .upstream import run_upstream

# Body ops a recomputed producer may hold: a few cycles each.
CHEAP = frozenset({
    "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.negf", "arith.maximumf", "arith.minimumf",
    "arith.addi", "arith.subi", "arith.muli", "arith.andi", "arith.ori", "arith.xori", "arith.select",
    "arith.cmpf", "arith.cmpi", "arith.extf", "arith.truncf", "arith.sitofp", "arith.uitofp", "arith.extsi",
    "arith.extui", "arith.trunci", "arith.constant", "linalg.index", "linalg.yield",
})
MAX_ROUNDS = 8
# The most ops a recomputed producer's body may hold, and a consumer's once a copy is
# fused into it: recomputing without a bound unfolds a DAG whose values are each read
# twice (threefry's rounds) into a tree, exponentially.
MAX_BODY = 8
MAX_FUSED = 32
# Smaller results (scalars, short vectors) cost nothing to write out and read back.
MIN_ELEMENTS = 4096
FUSE = "builtin.module(func.func(linalg-fuse-elementwise-ops))"
# Transposes of at least this many elements are not fused (the module's docstring).
MIN_TRANSPOSED = 1 << 14
HELD = "mirax.held_transpose"


def _elements(value):
    return int(np.prod(ir.RankedTensorType(value.type).shape, dtype=np.int64))


def _cheap(op):
    """Whether the linalg.generic `op` is worth recomputing rather than storing."""
    if len(op.results) != 1:
        return False
    if any(reductions(op)):
        return False
    if not all(isinstance(v.type, ir.RankedTensorType) and v.type.has_static_shape for v in op.operands):
        return False
    inputs = list(op.operands)[:-1]
    if any(_elements(v) > _elements(op.results[0]) for v in inputs):
        return False
    body = op.regions[0].blocks[0].operations
    return len(body) <= MAX_BODY + 1 and all(inner.name in CHEAP for inner in body)


def _duplicate(op):
    """Give each linalg.generic consumer of `op` in its block but the first its own
    copy; whether any copy was made. Only where each consumer reads `op` once (upstream
    fusion wants a copy's one use) and `op` is large enough for its bytes to matter."""
    if not _cheap(op) or _elements(op.results[0]) < MIN_ELEMENTS:
        return False
    uses = list(op.results[0].uses)
    if any(use.owner.name != "linalg.generic" or use.owner.operation.parent != op.parent
           or use.operand_number >= len(use.owner.inputs) for use in uses):
        return False
    owners = [use.owner.operation for use in uses]
    if len(set(owners)) != len(owners) or len(uses) < 2:
        return False
    size = len(op.regions[0].blocks[0].operations)
    if any(len(owner.regions[0].blocks[0].operations) + size > MAX_FUSED for owner in owners):
        return False
    for use in uses[1:]:
        copy = op.clone(ir.InsertionPoint(op))
        use.owner.operands[use.operand_number] = copy.results[0]
    return True


@dataclass(frozen=True)
class MiraxFuseElementwise:
    name: ClassVar[str] = "mirax-fuse-elementwise"
    summary: ClassVar[str] = "Fuse elementwise linalg ops, recomputing cheap ones in each consumer that reads them"

    def __call__(self, module):
        for op in ops_named(module, "linalg.generic"):
            if is_tileable_transpose(op) and _elements(op.results[0]) >= MIN_TRANSPOSED:
                _hold(op)
        for _ in range(MAX_ROUNDS):
            copied = [_duplicate(op) for op in ops_named(module, "linalg.generic")]
            run_upstream(module, FUSE, verify_each=False)
            if not any(copied):
                break
        for op in ops_named(module, "linalg.generic"):
            if _cheap(op) and not list(op.results[0].uses):
                op.erase()
        for op in ops_named(module, "linalg.transpose"):
            if HELD in op.attributes:
                _release(op)


def _hold(op):
    """The transpose generic `op` as a linalg.transpose, which elementwise fusion leaves."""
    with ir.InsertionPoint(op), op.location:
        held = linalg.transpose(op.operands[0], outs=[op.operands[1]], permutation=[1, 0])
    held.attributes[HELD] = ir.UnitAttr.get()
    op.results[0].replace_all_uses_with(held.results[0])
    op.erase()


def _release(op):
    """A held linalg.transpose as the generic again (what mirax-vectorize-matmul tiles)."""
    source = op.operands[0]
    with ir.InsertionPoint(op), op.location:
        copied = transpose(source, shaped_type(source.type), (1, 0))
    op.results[0].replace_all_uses_with(copied)
    op.erase()
