"""mirax-distinct-results: a buffer per function result."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import func, ir, linalg, tensor


@dataclass(frozen=True)
class MiraxDistinctResults:
    """A function returning one tensor twice returns a copy the second time:
    buffer-results-to-out-params needs a buffer per result. A stage right before
    bufferization: inlining and canonicalization merge equal values, and
    linalg-fuse-elementwise-ops would fold a copy of a constant (and crashes on a 0-d
    linalg.copy of one: hessian(jnp.floor) segfaulted)."""

    name: ClassVar[str] = "mirax-distinct-results"
    summary: ClassVar[str] = "Return a copy of a tensor a function returns more than once (a buffer per result)"

    def __call__(self, module):
        for function in module.regions[0].blocks[0].operations:
            if function.operation.name != "func.func" or not function.regions[0].blocks:
                continue
            ret = list(function.regions[0].blocks[0].operations)[-1]
            seen, operands = set(), list(ret.operands)
            for i, value in enumerate(operands):
                if value in seen:
                    with ir.InsertionPoint(ret), ret.location:
                        shaped = ir.RankedTensorType(value.type)
                        empty = tensor.EmptyOp(shaped.shape, shaped.element_type).result
                        operands[i] = linalg.copy(value, outs=[empty])
                seen.add(value)
            if operands != list(ret.operands):
                with ir.InsertionPoint(ret), ret.location:
                    func.ReturnOp(operands)
                ret.operation.erase()
