"""The runner: cases in a worker subprocess, crashes and hangs recorded, failures
minimized into reproducers, a summary by class. It imports neither mirax nor JAX.

    python test/fuzz/run.py --n 1000 --seed 0      (or: make fuzz N=1000 SEED=0)
"""
import copy
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter

from .known import known_item
from .program import VMAPPED, reproducer

TEST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TEST_DIR)
# The classes that fail (compare.py's three, and the worker dying or not answering).
FAILURES = ("wrong", "mirax-raises", "jax-raises", "crash", "hang")


class Died(Exception):
    """The worker crashed (a signal or an exit) or was killed after the timeout."""

    def __init__(self, cls, detail):
        super().__init__(detail)
        self.cls, self.detail = cls, detail


class Worker:
    """One worker process, restarted after a crash or a hang, and every `recycle`
    cases (compile caches grow with every new program; a restart also picks up the
    working tree's current mirax)."""

    def __init__(self, recycle=100):
        self.proc, self.count, self.recycle = None, 0, recycle
        self.pending = b""  # bytes read from the worker past the last answer line
        self.log = tempfile.TemporaryFile()

    def start(self):
        env = dict(os.environ, PYTHONPATH=TEST_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
                   # XLA's LLVM optimizations only slow the oracle's compiles down (IEEE
                   # semantics either way): JAX's side then costs a fifth of a case.
                   XLA_FLAGS=os.environ.get("XLA_FLAGS", "--xla_backend_optimization_level=0"))
        self.log.seek(0)
        self.log.truncate()
        self.proc = subprocess.Popen([sys.executable, "-c", "from fuzz.worker import main; main()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
                                     cwd=ROOT, start_new_session=True)
        self.count = 0
        self.pending = b""

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def _tail(self, size=1500):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def _read(self, timeout):
        """The next answer line. The pipe is read with os.read into `self.pending`, not
        with readline: a buffered readline can take the program line and the result line
        together, and select on the emptied pipe would then wait for the result it
        already holds (a false hang whenever the runner is descheduled while the worker
        answers both)."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:  # the stacks it is stuck in (worker.py prints them on SIGUSR1), then kill it
                os.kill(self.proc.pid, signal.SIGUSR1)
                time.sleep(2)
                stacks = self._tail(6000)
                self.stop()
                raise Died("hang", f"no answer within {timeout} s; the worker's stacks:\n{stacks}")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self.proc.wait()
                tail = self._tail()
                self.proc = None
                what = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
                raise Died("crash", f"worker died: {what}\n{tail}")
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return json.loads(line)

    def request(self, msg, timeout, on_program=None):
        """Send one request; the answer's result. `on_program` receives the generated
        program before it runs. A worker dying or hanging while JAX runs the program is
        JAX's failure ("jax-crash", "jax-hang": XLA aborts on some programs), not
        mirax's."""
        fresh = self.proc is None or self.count >= self.recycle
        if fresh:
            self.stop()
            self.start()
        self.count += 1
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:  # it died already, having said what it ran: _read finds out
            pass
        # The first answer also waits for the imports (a fresh worker) or the generation.
        running = None
        try:
            answer = self._read(timeout + 60 * fresh + 60 * ("case" in msg))
            if "program" in answer:
                on_program(answer["program"])
                answer = self._read(timeout)
            while "running" in answer:
                running = answer["running"]
                answer = self._read(timeout)
        except Died as e:
            raise Died(f"jax-{e.cls}", e.detail) if running == "jax" else e
        return answer["result"]


def _ref_count(program):
    n = len(program["inputs"])
    used = {program["out"]}
    for op in program["ops"]:
        used.update(op["args"])
    return n, used


def _drop_op(program, k, replacement):
    """The program without op k, its uses reading variable `replacement` instead."""
    p = copy.deepcopy(program)
    n = len(p["inputs"])
    var = n + k

    def remap(a):
        return replacement if a == var else a - 1 if a > var else a
    del p["ops"][k]
    for op in p["ops"]:
        op["args"] = [remap(a) for a in op["args"]]
    p["out"] = remap(p["out"])
    return p


def _drop_input(program, i):
    p = copy.deepcopy(program)
    del p["inputs"][i]
    for op in p["ops"]:
        op["args"] = [a - 1 if a > i else a for a in op["args"]]
    p["out"] = p["out"] - 1 if p["out"] > i else p["out"]
    p["diff"] = [d - 1 if d > i else d for d in p["diff"] if d != i]
    return p


def _avals(program):
    return [(s["shape"], s["dtype"]) for s in program["inputs"]] + [(op["shape"], op["dtype"]) for op in program["ops"]]


SIMPLER_STACKS = {
    "jit": ["none"], "vmap": ["none"], "grad": ["none"], "jvp": ["none"], "vjp": ["none"],
    "jacfwd": ["grad", "jvp"], "jacrev": ["grad", "vjp"], "hessian": ["grad(grad)", "grad"], "grad(grad)": ["grad"],
    "jit(vmap(grad))": ["grad", "vmap", "jit"], "vmap(jacfwd)": ["jacfwd", "vmap"],
    "jit(hessian)": ["hessian", "jit", "grad"],
}


def _candidates(p):
    """Smaller variants of the program, the most reducing first."""
    n = len(p["inputs"])
    avals = _avals(p)
    for stack in SIMPLER_STACKS.get(p["stack"], []):
        if stack in VMAPPED or p["stack"] not in VMAPPED:
            yield dict(p, stack=stack, diff=p["diff"] if stack not in ("none", "jit", "vmap") else [])
        else:
            yield dict(p, stack=stack, diff=p["diff"] if stack not in ("none", "jit", "vmap") else [],
                       batch=p["batch"])
    # Cut the program at an earlier variable, or drop an op.
    for j in range(p["out"] - 1, -1, -1):
        yield dict(p, out=j)
    _, used = _ref_count(p)
    for k in range(len(p["ops"]) - 1, -1, -1):
        var = n + k
        if var not in used:
            yield _drop_op(p, k, 0)
            continue
        for r in dict.fromkeys(p["ops"][k]["args"] + list(range(var))):
            if r < var and avals[r] == avals[var]:
                yield _drop_op(p, k, r)
    for i in range(n - 1, -1, -1):
        if i not in used and (not p["diff"] or p["diff"] != [i]):
            yield _drop_input(p, i)
    if len(p["diff"]) > 1:
        for d in p["diff"]:
            yield dict(p, diff=[x for x in p["diff"] if x != d])
    if p.get("batch") and p["batch"] > 1:
        yield dict(p, batch=1)
    for i, spec in enumerate(p["inputs"]):
        for d, size in enumerate(spec["shape"]):
            for smaller in dict.fromkeys([1, size // 2, size - 1]):
                if 0 < smaller < size:
                    q = copy.deepcopy(p)
                    q["inputs"][i]["shape"][d] = smaller
                    yield q
    if p["x64"]:
        yield dict(p, x64=False)


def minimize(worker, program, cls, timeout, budget_s=120, max_tries=150):
    """Greedy reduction: the first smaller variant that fails in the same class
    replaces the program, until none does (or the budget is spent)."""
    start, tries = time.time(), 0
    progress = True
    while progress and tries < max_tries and time.time() - start < budget_s:
        progress = False
        for cand in _candidates(program):
            if tries >= max_tries or time.time() - start >= budget_s:
                break
            tries += 1
            if _outcome(worker, cand, timeout)[0] == cls:
                program, progress = cand, True
                break
    return program


def _outcome(worker, program, timeout):
    try:
        return worker.request({"run": program}, timeout)
    except Died as e:
        return [e.cls, e.detail, "", ""]


def run(n, seed, start=0, timeout=60, out_dir=None, minimize_budget_s=120, max_minimized=40, log=print):
    """Cases (seed, start) ... (seed, start + n - 1); returns (counts by class, the
    reports of the distinct failures: dicts with the reproducer)."""
    worker = Worker()
    counts, reports, seen = Counter(), [], {}
    t0 = time.time()
    try:
        for index in range(start, start + n):
            current = {}
            for _ in range(2):  # a worker that dies before the program exists is retried once
                try:
                    result = worker.request({"case": [seed, index]}, timeout,
                                            on_program=lambda p: current.update(program=p))
                except Died as e:
                    result = [e.cls, e.detail, "", ""]
                if "program" in current:
                    break
            cls = result[0]
            program = current.get("program")
            if program is None:  # the worker cannot start or generate: not a case's outcome
                cls = "worker-failed"
                log(f"case {seed}/{index}: the worker failed before running it: {result[1][-500:]}")
            if cls in FAILURES and program is not None:
                sig = _signature(cls, program, result)
                if sig not in seen:
                    small, res = program, result
                    if len(reports) < max_minimized:
                        small = minimize(worker, program, cls, timeout, minimize_budget_s)
                        res = _outcome(worker, small, timeout)
                        if res[0] != cls:  # flaky: keep the original
                            small, res = program, result
                    entry = known_item(small, cls, res[3]) or {}
                    report = {"class": cls, "known": entry.get("item"), "jax_defect": entry.get("jax_defect", False),
                              "program": small, "original": [seed, index],
                              "detail": res[1], "jax": res[2], "mirax": res[3]}
                    report["reproducer"] = reproducer(small, _note(report))
                    reports.append(report)
                    seen[sig] = report
                rep = seen[sig]
                rep["cases"] = rep.get("cases", 0) + 1
                if rep["known"]:
                    cls = "jax-wrong" if rep["jax_defect"] else "known"
                log(f"case {seed}/{index} [{program['stack']}]: {cls}")
            counts[cls] += 1
            if (index - start + 1) % 50 == 0:
                log(f"{index - start + 1} cases, {time.time() - t0:.0f} s: {dict(counts)}")
                if out_dir:
                    write(out_dir, counts, reports)  # so far, readable while it runs
    finally:
        worker.stop()
    if out_dir:
        write(out_dir, counts, reports)
    return counts, reports


def _signature(cls, program, result):
    """Failures with one signature are taken for one defect (minimized once): the
    error message without its numbers and where it was raised, when mirax raises;
    else the ops and stack."""
    if cls == "mirax-raises":  # the message and the innermost mirax line that raised
        frames = re.findall(r'File "[^"]*/(mirax/[^"]+|dialect/[^"]+|passes/[^"]+)", line (\d+)', result[1])
        return cls, re.sub(r"[\d(),\[\] ]+", " ", result[3])[:200], tuple(frames[-1:])
    return cls, program["stack"], tuple(sorted({op["name"] for op in program["ops"]}))


def _note(report):
    lines = [f"class: {report['class']}" + (f" (known: {report['known']})" if report["known"] else ""),
             f"jax:   {report['jax']}", f"mirax: {report['mirax']}"]
    if report["detail"]:
        lines += ["detail:"] + report["detail"].splitlines()[-8:]
    return "\n".join(lines)


def write(out_dir, counts, reports):
    os.makedirs(out_dir, exist_ok=True)
    for k, r in enumerate(reports):
        with open(os.path.join(out_dir, f"{k:03d}-{r['class']}.py"), "w") as f:
            f.write(r["reproducer"])
        with open(os.path.join(out_dir, f"{k:03d}-{r['class']}.json"), "w") as f:
            json.dump(r, f, indent=1)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(summary(counts, reports))


def summary(counts, reports):
    lines = ["cases by class: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))]
    for r in reports:
        lines += ["", "=" * 78, f"# {r.get('cases', 1)} case(s) with this signature, first {r['original']}",
                  r["reproducer"]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--out", default=os.path.join(ROOT, ".fuzz"))
    args = ap.parse_args(argv)
    counts, reports = run(args.n, args.seed, args.start, args.timeout, args.out)
    print(summary(counts, reports))
    print(f"reproducers and summary under {args.out}")
    return 1 if any(not r["known"] for r in reports) else 0
