"""mirax-read-only-arguments: the entry's arguments are the caller's arrays."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import ir


def _visibility(function):
    attr = function.attributes["sym_visibility"] if "sym_visibility" in function.attributes else None
    return "public" if attr is None else ir.StringAttr(attr).value


@dataclass(frozen=True)
class MiraxReadOnlyArguments:
    """Bufferization may write into a function's arguments where nothing reads them
    later; a public function's (the program's entry) are the caller's arrays, which
    must never change."""

    name: ClassVar[str] = "mirax-read-only-arguments"
    summary: ClassVar[str] = "Mark public functions' arguments not writable by bufferization (the caller's arrays)"

    def __call__(self, module):
        for function in module.regions[0].blocks[0].operations:
            if function.operation.name != "func.func" or _visibility(function) != "public":
                continue
            count = len(ir.FunctionType(ir.TypeAttr(function.attributes["function_type"]).value).inputs)
            read_only = ir.DictAttr.get({"bufferization.writable": ir.BoolAttr.get(False)})
            function.attributes["arg_attrs"] = ir.ArrayAttr.get([read_only] * count)
