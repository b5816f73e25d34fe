"""mirax-short-loops: LLVM does not unroll the loops whose bodies run fewer than
SHORT times in all (their trip counts times those of the loops around them).

Unrolling is where LLVM spends much of a small program's compile (short loops fully
unrolled, the copies vectorized and cleaned up again), to save nanoseconds: without
it, LLVM compiled the small MLP's gradient (batch 16, 32-64-64-8) in 142 ms of CPU
instead of 178, and a sum or var of 10^7 elements in 2/3 of the time, each running
as fast as before. Longer loops are left to LLVM's choice: without unrolling, the
elementwise chain and column sums ran 10-15% slower. Runs after mirax-expand-math,
whose interleaving of long loops it leaves alone."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir

from .ir_queries import body_runs

SHORT = 1 << 14
NO_UNROLL = "#llvm.loop_annotation<unroll = <disable = true>>"


@dataclass(frozen=True)
class MiraxShortLoops:
    name: ClassVar[str] = "mirax-short-loops"
    summary: ClassVar[str] = "Keep LLVM from unrolling loops whose bodies run fewer than 2^14 times in all"

    def __call__(self, module):
        short = []

        def collect(op):
            if op.name == "scf.for" and "loop_annotation" not in op.attributes and body_runs(op, SHORT) < SHORT:
                short.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        for loop in short:
            loop.attributes["loop_annotation"] = ir.Attribute.parse(NO_UNROLL)
