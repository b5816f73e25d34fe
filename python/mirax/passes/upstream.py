"""Running upstream MLIR passes on a module, for the passes and pipelines that use some."""
from mirax.mlir import passmanager


def run_upstream(module, pipeline, verify_each=True):
    """Run the pass pipeline text `pipeline` (on builtin.module) on `module` in place,
    verifying the module after each pass unless not `verify_each`: jit's pipelines
    verify once at their end (after every pass, verifying doubled the upstream passes'
    time), mirax-opt after every pass."""
    manager = passmanager.PassManager.parse(pipeline)
    manager.enable_verifier(verify_each)
    manager.run(module)
