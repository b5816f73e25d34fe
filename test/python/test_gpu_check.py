"""The GPU device check (scripts/gpu_check) without a GPU: its record mode compiles a
program for the GPU as the device would and records the PTX, its dry run replays it from
that cache (a program missing from it fails), and the bundle's site, when built here,
imports mirax's packages from itself. Nothing is downloaded."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "scripts", "gpu_check", "check.py")
SITE = os.path.join(REPO, ".gpu_bundle", "py3.11", "site")


def check(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRAX_GPU_CHECK", "MIRAX_PLATFORM"))}
    return subprocess.run([sys.executable, CHECK, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_record_then_dry_run(tmp_path):
    ptx = str(tmp_path / "ptx.json.xz")
    recorded = check("--mode", "record", "--steps", "ops", "--programs", "elementwise_chain", "--no-ptxas",
                     "--ptx", ptx, "--out", str(tmp_path / "record"))
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "1 compiled and recorded" in recorded.stdout and os.path.exists(ptx)
    replayed = check("--mode", "dry-run", "--steps", "ops", "--programs", "elementwise_chain,sum_rows", "--ptx", ptx,
                     "--out", str(tmp_path / "dry"))
    summary = (tmp_path / "dry" / "summary.txt").read_text()
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "fake GPU" in summary and "2 programs: 1 match the CPU, 0 differ, 1 fail" in summary, summary
    assert "sum_rows: error: LookupError: scripts/gpu_check: no PTX recorded" in summary, summary
    assert "1 from the cache, 1 missed" in summary and summary.rstrip().splitlines()[-1].startswith("FAILED")


@pytest.mark.skipif(not os.path.isdir(SITE), reason="the bundle's site for this Python is not built: "
                                                     "`.venv/bin/python scripts/gpu_check/build.py --python 3.11 "
                                                     "--site-only` (make gpu-check-dry-run) builds it")
def test_the_bundles_site_holds_what_mirax_imports():
    program = ("import importlib.metadata, ml_dtypes, numpy, torch_mlir, mirax\n"
               "from mirax import runtime\n"
               "runtime._load_openmp()\n"
               "print(mirax.jit(lambda x: x * 2 + 1)(numpy.arange(3.0, dtype=numpy.float32)))\n"
               "for module in (numpy, ml_dtypes, torch_mlir):\n"
               "    print(list(module.__path__)[0])\n"
               "print(importlib.metadata.distribution('intel-openmp').locate_file(''))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SITE, os.path.join(REPO, "python")]), MIRAX_CACHE_DIR="")
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[1. 3. 5.]"
    assert all(line.startswith(SITE) for line in lines[1:]), done.stdout
