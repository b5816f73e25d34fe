"""mirax-parallelize: large linalg.generic ops run on OpenMP threads.

A linalg.generic on static tensors at a function's top level (not in a loop: a scan's body
runs many times on small data) whose iteration space has at least THREADED_ITERATIONS
points is cut into BLOCKS blocks along its outermost parallel dimension long enough
(an scf.forall, as mirax-vectorize-matmul's threaded matmuls), which the CPU pipeline
runs on OpenMP threads (scf-forall-to-parallel, convert-scf-to-openmp). Only parallel
dimensions are cut: every element is computed by the same operations in the same
order as on one thread, so results are bit for bit the same. Elementwise chains,
reductions' windows (a tree's first level) and matrix-vector products are memory-bound
or nearly so: one core reaches about half of this machine's bandwidth.

Matrix-vector products' generics marked by dot_general's lowering (dot.MATVEC_MARK)
become matvec.vectorized_matvec's loops of vector ops first, when the generic would have
been cut in an scf.forall of BLOCKS iterations that take chunks of its rows one at a
time (not fixed blocks: a thread slowed by another process does fewer), else on one
thread.
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.dialect.dot import MATVEC_MARK
from mirax.mlir import ir

from .ir_queries import loop_extents, ops_named, reductions
from .matvec import vectorized_matvec
from .transform_script import apply_script

# About 50 us of one core's work for an elementwise op: waking the other threads
# (a few us) is then paid back.
THREADED_ITERATIONS = 1 << 17
# Blocks per op: a constant, not the core count, so that the compiled code does not
# depend on the machine (as mirax-vectorize-matmul's COLUMN_BLOCKS); 8 share out
# evenly on 1, 2, 4 or 8 threads.
BLOCKS = 8
MARK = "mirax.thread_blocks"

SEQUENCE = """
module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{{tilings}
    transform.yield
  }}
}}
"""
TILING = """
    %op{i} = transform.structured.match attributes {{{mark} = array<i64: {blocks}>}} in %root
      : (!transform.any_op) -> !transform.any_op
    %tiled{i}, %forall{i} = transform.structured.tile_using_forall %op{i} num_threads [{blocks}]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op)"""


def _blocks(op):
    """num_threads for tile_using_forall (BLOCKS on one parallel dimension, 0 on the
    others), or None when the linalg.generic `op` stays on one thread."""
    if op.operation.parent.name != "func.func":
        return None
    loops = loop_extents(op)
    if loops is None or int(np.prod(loops, dtype=np.int64)) < THREADED_ITERATIONS:
        return None
    long_enough = [d for d, reduction in enumerate(reductions(op)) if not reduction and loops[d] >= BLOCKS]
    if not long_enough:
        return None
    blocks = [0] * len(loops)
    blocks[long_enough[0]] = BLOCKS
    return blocks


@dataclass(frozen=True)
class MiraxParallelize:
    name: ClassVar[str] = "mirax-parallelize"
    summary: ClassVar[str] = "Cut large linalg.generic ops at a function's top level into blocks on OpenMP threads"

    def __call__(self, module):
        for op in ops_named(module, "linalg.generic"):
            if MATVEC_MARK in op.attributes:
                del op.attributes[MATVEC_MARK]
                vectorized_matvec(op, BLOCKS if _blocks(op) is not None else 1)
        distinct = []
        for op in ops_named(module, "linalg.generic"):
            blocks = _blocks(op)
            if blocks is not None:
                op.attributes[MARK] = ir.Attribute.parse(f"array<i64: {_listed(blocks)}>")
                if blocks not in distinct:
                    distinct.append(blocks)
        if not distinct:
            return
        apply_script(module, SEQUENCE.format(tilings="".join(
            TILING.format(i=i, mark=MARK, blocks=_listed(b)) for i, b in enumerate(distinct))))
        for op in ops_named(module, "linalg.generic"):  # the tiled ops keep the mark
            if MARK in op.attributes:
                del op.attributes[MARK]


def _listed(blocks):
    return ", ".join(map(str, blocks))
