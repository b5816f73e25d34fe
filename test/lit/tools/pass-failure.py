# RUN: %PYTHON %s 2>&1 | FileCheck %s
"""A mirax pass that raises is reported as a one-line error located at the op it
was working on, and mirax-opt exits with status 1 (no traceback)."""
import io
import sys
from dataclasses import dataclass

from mirax.mlir import ir
from mirax.passes import ALL_PASSES
from mirax.tools import mirax_opt

SOURCE = """\
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "mirax.neg"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
"""


@dataclass(frozen=True)
class RaiseInLoop:
    name: str = "test-raise-in-loop"
    summary: str = "Raise on the first mirax op, found by a Python loop"

    def __call__(self, module):
        for op in module.regions[0].blocks[0].operations[0].regions[0].blocks[0].operations:
            if op.name.startswith("mirax."):
                raise KeyError(op.name)


@dataclass(frozen=True)
class RaiseInWalk:
    name: str = "test-raise-in-walk"
    summary: str = "Raise on the first mirax op, found by Operation.walk"

    def __call__(self, module):
        def visit(op):
            if op.name.startswith("mirax."):
                raise ValueError(f"cannot handle {op.name}")
            return ir.WalkResult.ADVANCE

        module.walk(visit)


def run(*flags):
    sys.stdin = io.TextIOWrapper(io.BytesIO(SOURCE.encode()))
    print("exit status", mirax_opt.main(list(flags)), flush=True)


for broken in (RaiseInLoop(), RaiseInWalk()):
    ALL_PASSES[broken.name] = broken

# The error is located at the op held by the failing code.
# CHECK: <stdin>:2:8: error: test-raise-in-loop failed: KeyError: 'mirax.neg'
# CHECK-NEXT: exit status 1
run("--canonicalize", "--test-raise-in-loop")

# An error raised in an MLIR callback loses its frames: it is located at the
# module, and its message is the original error's.
# CHECK: <stdin>{{.*}}: error: test-raise-in-walk failed: ValueError: cannot handle mirax.neg
# CHECK-NEXT: exit status 1
run("--pass-pipeline=builtin.module(test-raise-in-walk,cse)")

# CHECK-NOT: Traceback
