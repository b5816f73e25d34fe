"""lit configuration of mirax's FileCheck tests: .mlir files run through mirax-opt,
.py files print IR built with the Python bindings. Run with `make lit`."""
import os
import shutil
import sys

import lit.formats

config.name = "mirax"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.excludes = ["lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

# The tools come from the environment lit runs in (the project's venv).
bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([bin_dir, config.environment.get("PATH", "")])
# The package of the checkout these tests belong to, whichever checkout the venv's
# editable install points at (a git worktree shares one venv).
config.environment["PYTHONPATH"] = os.path.join(os.path.dirname(os.path.dirname(config.test_source_root)), "python")


def tool(name):
    path = shutil.which(name, path=config.environment["PATH"])
    if path is None:
        lit_config.fatal(f"{name} not found next to {sys.executable}: install the project with its test extras")
    return path


# Whole words only, so that file names such as mirax-opt.mlir stay as they are.
config.substitutions.append(("%PYTHON", sys.executable))
config.substitutions.append((r"(?<![\w./-])mirax-opt(?![\w.-])", tool("mirax-opt")))
config.substitutions.append((r"(?<![\w./-])FileCheck(?![\w.-])", tool("filecheck")))
