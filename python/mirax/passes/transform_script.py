"""Running a transform-dialect script on a module (the passes that tile through one)."""
from mirax.mlir import ir

from .upstream import run_upstream


def apply_script(module, script):
    """Run `script`, the text of a module holding @__transform_main, on `module`."""
    parsed = ir.Module.parse(script)  # alive until the sequence is erased
    sequence = parsed.body.operations[0].detach_from_parent()
    module.regions[0].blocks[0].append(sequence)
    module.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
    try:
        run_upstream(module, "builtin.module(transform-interpreter)", verify_each=False)
    finally:
        sequence.erase()
        del module.attributes["transform.with_named_sequence"]
