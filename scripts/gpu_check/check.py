"""The GPU check: mirax's GPU programs against its CPU results, in one command sized for
the device machine (README.md, "Checking on a GPU"). Only the standard library here:
the steps run in subprocesses, with the bundle's packages (build.py) on their path.

  python3 scripts/gpu_check/check.py                    on the device (carry .gpu_bundle/carry)
  .venv/bin/python scripts/gpu_check/check.py --mode record    here, by build.py: records the PTX
  .venv/bin/python scripts/gpu_check/check.py --mode dry-run   here: everything but CUDA

Steps (each a subprocess with a time limit, its output in OUT/<step>.log):
  ops    test_gpu_ptx.py's program table: each program jitted for the GPU and for the CPU,
         the results compared as test_gpu_runtime.py does (rtol 2e-5, atol 1e-5)
  tests  pytest test/python/test_gpu_runtime.py (its fake driver's tests, and its program table
         on the GPU: without one, on hooks.py's fake, which the CPU computes)
  seeds  pytest test/python/test_notebook_*.py under MIRAX_PLATFORM=gpu: the seeds' programs
         print the seeds' outputs, the seeds' functions match JAX (the oracle on the CPU)
  bench  benchmarks/run.py --quick under MIRAX_PLATFORM=gpu: each row's mirax result checked
         against NumPy's (a wrong one is reported), and its time
Modes (hooks.py): device (the GPU; PTX from the cache), record (no GPU: programs compiled as
for the device, computed on the CPU, their PTX recorded into --ptx), dry-run (as record, the
PTX from the cache only: a miss fails).
"""
import argparse
import concurrent.futures
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUNDLE = os.path.join(REPO, ".gpu_bundle", "carry")
STEPS = ("ops", "tests", "seeds", "bench")
BENCH_GROUPS = "dispatch,elementwise,reduction,matmul,mlp"  # used when benchmarks/run.py has no "gpu" group
# Seconds for each step on the device (the whole check must end within 4 minutes);
# elsewhere (the CPU computes every GPU program as well) ten times more.
LIMITS = {"ops": 60, "tests": 60, "seeds": 90, "bench": 90}
DEVICE_BUDGET = 230


def mirax_sources():
    """The SHA-256 of python/mirax's sources: the PTX cache is valid for these only."""
    digest = hashlib.sha256()
    package = os.path.join(REPO, "python", "mirax")
    for path in sorted(glob.glob(os.path.join(package, "**", "*.py"), recursive=True)):
        with open(path, "rb") as f:
            digest.update(os.path.relpath(path, package).encode() + b"\0" + f.read() + b"\0")
    return digest.hexdigest()


# ----------------------------------------------------------------------------- the op table (in a subprocess)


def op_table(names, out):
    """Each program of test_gpu_ptx.PROGRAMS on the GPU and the CPU; OUT/ops.json."""
    sys.path.insert(0, os.path.join(REPO, "test", "python"))
    import numpy as np  # noqa: PLC0415

    import mirax  # noqa: PLC0415
    from mirax import cuda  # noqa: PLC0415
    from test_gpu_ptx import PROGRAMS  # noqa: PLC0415

    import ml_dtypes  # noqa: PLC0415
    import torch_mlir  # noqa: PLC0415
    driver = cuda.driver()
    print(f"device: {driver.device_name}, compute capability {getattr(driver, 'compute_capability', '?')}")
    print(f"python {sys.version.split()[0]} ({sys.executable}); numpy {np.__version__} ({np.__file__}); "
          f"ml_dtypes {ml_dtypes.__version__}; torch_mlir from {list(torch_mlir.__path__)[0]}; "
          f"mirax from {os.path.dirname(mirax.__file__)}", flush=True)
    results = []
    for name in names or PROGRAMS:
        entry = PROGRAMS[name]
        fn, args = entry[0], entry[1]
        result = {"name": name}
        try:
            start = time.perf_counter()
            gpu_fn = mirax.jit(fn, backend="gpu")
            got = mirax.tree_util.tree_leaves(gpu_fn(*args))
            result["first_call_s"] = time.perf_counter() - start
            start = time.perf_counter()
            gpu_fn(*args)
            result["call_s"] = time.perf_counter() - start
            want = mirax.tree_util.tree_leaves(mirax.jit(fn, backend="cpu")(*args))
            errors = []
            for g, w in zip(got, want, strict=True):
                if g.device.platform != "gpu":
                    raise AssertionError(f"a result is on {g.device}, not the GPU")
                g64, w64 = np.asarray(g, np.float64), np.asarray(w, np.float64)
                errors.append(float(np.max(np.abs(g64 - w64), initial=0.0)))
                np.testing.assert_allclose(g64, w64, rtol=2e-5, atol=1e-5)
            result.update(status="match", max_abs_error=max(errors, default=0.0))
        except AssertionError as err:
            result.update(status="differs", detail=str(err).strip()[:2000])
        except Exception as err:  # noqa: BLE001 - reported per program
            result.update(status="error", detail=f"{type(err).__name__}: {str(err).strip()[:2000]}")
        line = f"{name}: {result['status']}"
        if "call_s" in result:
            line += f" (first call {result['first_call_s']:.2f} s, then {result['call_s'] * 1e3:.2f} ms)"
        print(line + (f"\n  {result['detail']}" if "detail" in result else ""), flush=True)
        results.append(result)
    with open(os.path.join(out, "ops.json"), "w") as f:
        json.dump(results, f, indent=1)


# ----------------------------------------------------------------------------- the steps


def run_step(name, command, env, out, limit):
    """Run `command`, its output to OUT/<name>.log and to our output; (exit code or
    'timeout', seconds, its output)."""
    print(f"\n=== {name}: {' '.join(command)} (limit {limit:.0f} s)", flush=True)
    start = time.perf_counter()
    log_path = os.path.join(out, f"{name}.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the step's process group: pytest's workers, seeds' programs
            process.wait()
            code = "timeout"
    seconds = time.perf_counter() - start
    with open(log_path, errors="replace") as f:
        text = f.read()
    tail = text[-3000:] if code != 0 else "\n".join(text.rstrip().splitlines()[-3:])
    print(tail, flush=True)
    return code, seconds, text


def pytest_counts(text):
    """pytest's closing line ('3 passed, 1 failed in 2.0s'), or None."""
    lines = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed|error|skipped)", line)]
    return re.sub(r"^=+ | =+$", "", lines[-1]).strip() if lines else None


def bench_summary(text):
    """(rows, rows whose mirax contender was skipped or wrong, the table's lines)."""
    table = [line for line in text.splitlines() if line.startswith("| ")]
    rows = table[2:]
    notes = [line.strip() for line in text.splitlines() if ": mirax skipped: " in line]
    return rows, notes, table


def collect_stats(directory):
    total = {"hits": 0, "misses": 0, "recorded": 0, "fallback_errors": 0, "processes": 0}
    missed = []
    for path in glob.glob(os.path.join(directory, "*.json")):
        with open(path) as f:
            data = json.load(f)
        total["processes"] += 1
        for k in ("hits", "misses", "recorded", "fallback_errors"):
            total[k] += data.get(k, 0)
        missed += [(k, err, data.get("argv")) for k, err in data.get("missed", [])]
    return total, missed


# ----------------------------------------------------------------------------- the bundle


def unpack(archive, destination):
    """The bundle's site (site.tar.xz) unpacked into `destination` once per archive."""
    stamp = f"{os.path.getsize(archive)} {os.path.getmtime(archive)}"
    stamp_path = os.path.join(destination, ".unpacked")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        return os.path.join(destination, "site")
    shutil.rmtree(destination, ignore_errors=True)
    os.makedirs(destination)
    start = time.perf_counter()
    with tarfile.open(archive, "r:xz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(destination, filter="data")
        else:
            tar.extractall(destination)  # noqa: S202 - our own archive
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(f"unpacked {os.path.relpath(archive, REPO)} in {time.perf_counter() - start:.1f} s", flush=True)
    return os.path.join(destination, "site")


def write_cache(record_dir, path, steps):
    """Merge the recorded PTX (one JSON line per program and process) into the cache file."""
    ptx, conflicts = {}, 0
    for name in glob.glob(os.path.join(record_dir, "*.jsonl")):
        with open(name) as f:
            for line in f:
                entry = json.loads(line)
                if ptx.setdefault(entry["key"], entry["ptx"]) != entry["ptx"]:
                    conflicts += 1
    manifest = {"mirax_sources": mirax_sources(), "python": sys.version.split()[0], "steps": steps,
                "created": time.strftime("%Y-%m-%d %H:%M:%S"), "entries": len(ptx), "conflicts": conflicts}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with lzma.open(path + ".tmp", "wt", preset=9) as f:
        json.dump({"manifest": manifest, "ptx": ptx}, f)
    os.replace(path + ".tmp", path)
    return ptx, manifest


def find_ptxas():
    try:
        import importlib.util  # noqa: PLC0415
        spec = importlib.util.find_spec("nvidia.cu13")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        path = os.path.join(spec.submodule_search_locations[0], "bin", "ptxas")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("ptxas") or next((p for p in glob.glob("/usr/local/cuda*/bin/ptxas") if os.access(p, os.X_OK)),
                                         None)


def assemble_all(ptx_by_key, ptxas):
    """ptxas on each distinct PTX, for the chip it names; the failures' messages."""
    def assemble(text):
        chip = re.search(r"^\.target (sm_\w+)", text, re.M)
        with tempfile.TemporaryDirectory() as scratch:
            source = os.path.join(scratch, "kernels.ptx")
            with open(source, "w") as f:
                f.write(text)
            done = subprocess.run([ptxas, f"-arch={chip[1] if chip else 'sm_90'}", source, "-o",
                                   os.path.join(scratch, "kernels.cubin")], capture_output=True, text=True)
        return None if done.returncode == 0 else done.stderr.strip()[:500]

    texts = sorted({t for t in ptx_by_key.values() if t})
    with concurrent.futures.ThreadPoolExecutor(max(1, min(8, os.cpu_count() or 1))) as pool:
        return len(texts), [e for e in pool.map(assemble, texts) if e]


# ----------------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("device", "dry-run", "record"), default="device")
    parser.add_argument("--out", default=os.environ.get("OUT") or os.path.join(tempfile.gettempdir(),
                                                                               "mirax_gpu_check"),
                        help="where the logs and summary.txt go (default: $OUT, the device tool's)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--programs", help="ops: only these programs of the table (comma-separated)")
    parser.add_argument("--bundle", default=BUNDLE, help="build.py's output (site.tar.xz, ptx.json.xz, libdevice)")
    parser.add_argument("--site", help="an unpacked site to put first on the path (default: the bundle's site.tar.xz, "
                                       "unpacked, on the device; none elsewhere)")
    parser.add_argument("--ptx", help="the PTX cache (default: BUNDLE/ptx.json.xz)")
    parser.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1), help="pytest-xdist workers for seeds")
    parser.add_argument("--bench-groups", help=f"benchmarks/run.py's groups (default: its 'gpu' group if it has one, "
                                               f"else {BENCH_GROUPS})")
    parser.add_argument("--no-ptxas", action="store_true", help="record: do not assemble the recorded PTX")
    parser.add_argument("--op-table", action="store_true", help=argparse.SUPPRESS)  # the ops step's subprocess
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.op_table:
        return op_table(args.programs.split(",") if args.programs else None, args.out)

    started = time.perf_counter()
    steps = [s for s in args.steps.split(",") if s]
    if unknown := set(steps) - set(STEPS):
        parser.error(f"unknown steps {sorted(unknown)}")
    ptx_path = args.ptx or os.path.join(args.bundle, "ptx.json.xz")
    scratch = tempfile.mkdtemp(prefix="mirax_gpu_check_")
    env = dict(os.environ, MIRAX_GPU_CHECK=args.mode, MIRAX_GPU_CHECK_STATS=os.path.join(scratch, "stats"),
               MIRAX_CACHE_DIR="", PYTHONUNBUFFERED="1", JAX_PLATFORMS="cpu", XLA_PYTHON_CLIENT_PREALLOCATE="false",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # (the machine's other pytest plugins stay out)
    env.pop("MIRAX_PLATFORM", None)
    header = [f"mirax GPU check, mode {args.mode}, {time.strftime('%Y-%m-%d %H:%M:%S')}"]
    site = args.site
    if args.mode == "device":
        if sys.version_info[:2] != (3, 12):
            header.append(f"WARNING: the bundle is built for Python 3.12; this is {sys.version.split()[0]}")
        if site is None:
            site = unpack(os.path.join(args.bundle, "site.tar.xz"), os.path.join(tempfile.gettempdir(),
                                                                                 "mirax_gpu_check_bundle"))
        libdevice = os.path.join(site, "mirax_gpu_check_data", "libdevice.10.bc")
        env["MIRAX_GPU_CHECK_LIBDEVICE"] = libdevice
    if args.mode == "record":
        env["MIRAX_GPU_CHECK_RECORD"] = os.path.join(scratch, "record")
    else:
        if not os.path.exists(ptx_path):
            parser.error(f"no PTX cache at {ptx_path}: build it here with `make gpu-check-bundle`")
        with lzma.open(ptx_path, "rt") as f:
            manifest = json.load(f)["manifest"]
        env["MIRAX_GPU_CHECK_PTX"] = ptx_path
        fresh = manifest.get("mirax_sources") == mirax_sources()
        header.append(f"PTX cache: {manifest.get('entries')} programs recorded {manifest.get('created')}"
                      + ("" if fresh else " for OTHER mirax sources than these (stale: misses compile with this "
                                          "machine's llvmlite, if any; rerun `make gpu-check-bundle`)"))
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(HERE, "site")] + ([site] if site else [])
                                        + [os.path.join(REPO, "python")]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    scale = 1 if args.mode == "device" else 10
    python = sys.executable
    results = {}

    def limit(step):
        left = DEVICE_BUDGET - (time.perf_counter() - started) if args.mode == "device" else float("inf")
        return max(5, min(LIMITS[step] * scale, left))

    for step in steps:
        step_env = dict(env)
        if step == "ops":
            command = [python, os.path.abspath(__file__), "--op-table", "--out", args.out]
            if args.programs:
                command += ["--programs", args.programs]
        elif step == "tests":
            command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=short",
                       "test/python/test_gpu_runtime.py"]
        elif step == "seeds":
            step_env["MIRAX_PLATFORM"] = "gpu"
            command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=short"]
            if args.jobs > 1 and importable(python, "xdist", step_env):
                command += ["-p", "xdist.plugin", "-n", str(args.jobs)]
            command += sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "test", "python",
                                                                                      "test_notebook_*.py")))
        else:
            step_env["MIRAX_PLATFORM"] = "gpu"
            if args.mode == "device":
                del step_env["JAX_PLATFORMS"]  # the JAX column: JAX on the GPU, where the machine's JAX can
            else:
                step_env["MIRAX_GPU_CHECK_NO_JAX"] = "1"  # JAX here would time the CPU
            with open(os.path.join(REPO, "benchmarks", "run.py")) as f:
                has_gpu_group = re.search(r'^\s*"gpu":', f.read(), re.M) is not None
            groups = args.bench_groups or ("gpu" if has_gpu_group else BENCH_GROUPS)
            command = [python, "benchmarks/run.py", "--quick", "--only", groups]
        results[step] = run_step(step, command, step_env, args.out, limit(step))

    # ----- the summary
    lines, ok = header, True

    def last_line(text):  # of a step that failed before its summary
        return next((f"         {line.strip()}" for line in reversed(text.splitlines()) if line.strip()), "")

    stats, missed = collect_stats(env["MIRAX_GPU_CHECK_STATS"])
    if "ops" in results:
        code, seconds, text = results["ops"]
        try:
            with open(os.path.join(args.out, "ops.json")) as f:
                table = json.load(f)
        except (OSError, ValueError):
            table = []
        device = next((line for line in text.splitlines() if line.startswith("device: ")), "device: ?")
        lines.insert(1, device)
        counts = {s: sum(r["status"] == s for r in table) for s in ("match", "differs", "error")}
        bad = [r for r in table if r["status"] != "match"]
        ok &= code == 0 and not bad and bool(table)
        lines.append(f"ops    {len(table)} programs: {counts['match']} match the CPU, {counts['differs']} differ, "
                     f"{counts['error']} fail{'' if code == 0 else f' (exit {code})'}  [{seconds:.0f} s]")
        lines += [f"         {r['name']}: {r['status']}: {(r.get('detail') or '').partition(chr(10))[0]}" for r in bad]
        if not table:
            lines.append(last_line(text))
    for step in ("tests", "seeds"):
        if step in results:
            code, seconds, text = results[step]
            ok &= code == 0
            lines.append(f"{step:6} {pytest_counts(text) or 'no pytest summary'}"
                         f"{'' if code == 0 else f' (exit {code})'}  [{seconds:.0f} s]")
            lines += [f"         {line}" for line in text.splitlines() if line.startswith(("FAILED ", "ERROR "))][:15]
            if pytest_counts(text) is None:
                lines.append(last_line(text))
    if "bench" in results:
        code, seconds, text = results["bench"]
        rows, notes, table = bench_summary(text)
        ok &= code == 0 and not notes and bool(rows)
        lines.append(f"bench  {len(rows)} rows, mirax skipped or wrong in {len(notes)}"
                     f"{'' if code == 0 else f' (exit {code})'}  [{seconds:.0f} s]")
        lines += [f"         {line}" for line in notes] + [f"  {line}" for line in table]
        if not rows:
            lines.append(last_line(text))
    lines.append(f"PTX    {stats['recorded']} compiled and recorded, {stats['hits']} from the cache, "
                 f"{stats['misses']} missed ({stats['fallback_errors']} failed to compile there), "
                 f"in {stats['processes']} processes")
    lines += [f"         missed {k[:16]} in {' '.join(argv or [])}{': ' + err if err else ''}"
              for k, err, argv in missed[:5]]
    if args.mode == "dry-run":
        ok &= stats["misses"] == 0
    if args.mode == "record":
        ptx, manifest = write_cache(env["MIRAX_GPU_CHECK_RECORD"], ptx_path, steps)
        size = os.path.getsize(ptx_path)
        conflicts = manifest["conflicts"]
        lines.append(f"cache  {len(ptx)} programs' PTX ({sum(map(len, ptx.values())) / 1e6:.1f} MB) -> "
                     f"{ptx_path} ({size / 1e6:.2f} MB)"
                     + (f", {conflicts} keys with two PTX (nondeterministic!)" if conflicts else ""))
        ok &= manifest["conflicts"] == 0
        ptxas = None if args.no_ptxas else find_ptxas()
        if ptxas:
            count, failures = assemble_all(ptx, ptxas)
            ok &= not failures
            lines.append(f"ptxas  {count} distinct PTX assembled, {len(failures)} rejected")
            lines += [f"         {f.splitlines()[0]}" for f in failures[:5]]
        elif not args.no_ptxas:
            lines.append("ptxas  not found: the recorded PTX was not assembled")
    lines.append(f"{'PASSED' if ok else 'FAILED'} in {time.perf_counter() - started:.0f} s")
    summary = "\n".join(lines)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    print("\n" + summary)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


def importable(python, module, env):
    return subprocess.run([python, "-c", f"import {module}"], env=dict(env, MIRAX_GPU_CHECK=""),
                          capture_output=True).returncode == 0


if __name__ == "__main__":
    sys.exit(main())
