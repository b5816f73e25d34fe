"""Imported at the start of every Python process whose PYTHONPATH holds this folder (the
device check's, scripts/gpu_check/check.py): installs hooks.py's when MIRAX_GPU_CHECK is
set, then the sitecustomize this one hides, if any."""
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))


def _chain():
    """Run the sitecustomize later on the path (the distribution's), which this one shadows."""
    for entry in sys.path:
        path = os.path.join(entry or ".", "sitecustomize.py")
        if os.path.abspath(entry or ".") != _here and os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("_sitecustomize_chained", path)
            try:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            except Exception:  # noqa: BLE001, S110 - as site.py, which ignores a failing one
                pass
            return


_chain()
if os.environ.get("MIRAX_GPU_CHECK"):
    _spec = importlib.util.spec_from_file_location("mirax_gpu_check_hooks", os.path.join(os.path.dirname(_here),
                                                                                       "hooks.py"))
    hooks = sys.modules["mirax_gpu_check_hooks"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(hooks)
    hooks.install(os.environ["MIRAX_GPU_CHECK"])
