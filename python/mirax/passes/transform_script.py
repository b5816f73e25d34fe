"""Running a transform-dialect script on a module (the passes that tile through one)."""
from mirax.mlir import ir, passmanager


def apply_script(module, script):
    """Run `script`, the text of a module holding @__transform_main, on `module`."""
    parsed = ir.Module.parse(script)  # alive until the sequence is erased
    sequence = parsed.body.operations[0].detach_from_parent()
    module.regions[0].blocks[0].append(sequence)
    module.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
    try:
        manager = passmanager.PassManager.parse("builtin.module(transform-interpreter)")
        manager.enable_verifier(False)  # (jit verifies at its pipelines' end, mirax-opt after each pass)
        manager.run(module)
    finally:
        sequence.erase()
        del module.attributes["transform.with_named_sequence"]
