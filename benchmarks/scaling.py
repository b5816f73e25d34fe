"""Scaling across processes (MPI), mirax next to JAX's multi-process CPU run:

- the data-parallel training step of examples/data_parallel.py (its MLP, jit of
  value_and_grad of a shard_map with pmean) with a fixed batch per process and one core
  per process (one OpenMP thread for mirax, one XLA thread for JAX: weak scaling keeps
  each process's work and resources fixed), at 1 and 2 processes: the weak-scaling
  efficiency is the time per step at 1 over that at 2;
- a psum of 4 MB (2^20 float32) under jit(shard_map) against mpi4py's Allreduce (MPICH's
  MPI_Allreduce) of the same buffer into a new one (as the psum's result is): the
  fraction of its bandwidth is Allreduce's time over the psum's.

    .venv/bin/python benchmarks/scaling.py     # launches the runs below, prints the table
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/scaling.py --worker mirax   # one run

Each (framework, process count) runs `--launches` times; each launch times `--rounds`
rounds (all processes start a round together, after a barrier) and reports its median;
the table shows the median over launches, with the median of the 1-minute load
averages at their starts, and the load average before and after the whole run.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"
PSUM_ELEMENTS = 1 << 20  # 4 MB of float32


def _example():
    spec = importlib.util.spec_from_file_location("data_parallel", ROOT / "examples" / "data_parallel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(comm, rounds, fn):
    """The median over `rounds` of fn's time, every process starting each round together."""
    times = []
    for _ in range(rounds):
        comm.Barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker(backend, batch, steps, rounds):
    """Run under mpiexec: rank 0 prints one JSON line of this launch's medians."""
    from mpi4py import MPI  # noqa: PLC0415 - only under mpiexec

    comm = MPI.COMM_WORLD
    jax, step, params, xs, ys = _example().training(backend, steps + 1, batch)
    sync = (lambda x: x) if backend == "mirax" else (lambda x: jax.block_until_ready(x))
    state = {"params": sync(step(params, xs[0], ys[0])[1])}  # compiles

    def train():
        for i in range(1, steps + 1):
            state["params"] = step(state["params"], xs[i], ys[i])[1]
        sync(state["params"])

    per_step = _timed(comm, rounds, train) / steps
    processes = comm.Get_size()
    P = jax.sharding.PartitionSpec
    mesh = jax.make_mesh((processes,), ("i",), axis_types=(jax.sharding.AxisType.Auto,))
    buffer = np.arange(PSUM_ELEMENTS, dtype=np.float32)
    # Every process psums its own 4 MB buffer, an array made once (a NumPy argument would be
    # copied into one at every call). mirax: passed as the shard_map's argument with
    # in_specs=P() and check_vma=False, so that each process's block is its own buffer (as
    # multihost_utils does); JAX: each process's block of a global array made from them.
    if backend == "mirax":
        psum = jax.jit(jax.shard_map(lambda a: jax.lax.psum(a, "i"), mesh=mesh, in_specs=P(), out_specs=P(),
                                     check_vma=False))
        argument = jax.device_put(buffer)
    else:
        psum = jax.jit(jax.shard_map(lambda a: jax.lax.psum(a, "i"), mesh=mesh, in_specs=P("i"), out_specs=P()))
        argument = jax.make_array_from_process_local_data(jax.sharding.NamedSharding(mesh, P("i")), buffer)
    if not np.array_equal(np.asarray(sync(psum(argument))), buffer * processes):
        raise AssertionError("the psum's result is wrong")
    calls = 10

    def psums():
        for _ in range(calls):
            sync(psum(argument))  # each result freed before the next, as each Allreduce's

    def allreduces():
        for _ in range(calls):
            comm.Allreduce(buffer, np.empty_like(buffer), op=MPI.SUM)  # into a new buffer, as the psum's result

    # Rounds of each in turn, so that load changes hit both alike.
    rounds_of = {"psum": [], "allreduce": []}
    for _ in range(rounds):
        rounds_of["psum"].append(_timed(comm, 1, psums))
        rounds_of["allreduce"].append(_timed(comm, 1, allreduces))
    psum_time, allreduce = (statistics.median(rounds_of[k]) for k in ("psum", "allreduce"))
    psum_time /= calls
    if comm.Get_rank() == 0:
        print(json.dumps({"backend": backend, "processes": processes, "step_ms": per_step * 1e3,
                          "psum_ms": psum_time * 1e3, "allreduce_ms": allreduce / calls * 1e3}), flush=True)


def launch(backend, processes, args):
    """One launch's medians, with the 1-minute load average when it started."""
    load = os.getloadavg()[0]
    command = [str(MPIEXEC), "-n", str(processes), sys.executable, __file__, "--worker", backend, "--batch",
               str(args.batch), "--steps", str(args.steps), "--rounds", str(args.rounds)]
    env = dict(os.environ, OMP_NUM_THREADS="1",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, env=env)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(command)} failed ({out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    return {**json.loads(lines[-1]), "load": load}


def main(args):
    load_before = os.getloadavg()
    results = {}
    for _ in range(args.launches):  # interleaved, so that load changes hit all alike
        for backend in args.backends:
            for processes in (1, 2):
                results.setdefault((backend, processes), []).append(launch(backend, processes, args))
    load_after = os.getloadavg()
    print(f"per-process batch {args.batch}, {args.steps} steps x {args.rounds} rounds per launch, "
          f"{args.launches} launches (medians); load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
          f"({os.cpu_count()} cores)")
    print(f"{'':8} {'n':>2} {'step ms':>9} {'weak eff.':>9} {'psum 4MB ms':>12} {'Allreduce ms':>13} "
          f"{'psum/Allreduce bw':>18} {'load':>5}")
    for backend in args.backends:
        medians = {n: {k: statistics.median(r[k] for r in results[backend, n]) for k in
                       ("step_ms", "psum_ms", "allreduce_ms", "load")} for n in (1, 2)}
        for n in (1, 2):
            m = medians[n]
            efficiency = medians[1]["step_ms"] / m["step_ms"]
            fraction = f"{m['allreduce_ms'] / m['psum_ms']:.0%}" if n > 1 else "-"  # one process: no exchange
            print(f"{backend:8} {n:>2} {m['step_ms']:>9.2f} {efficiency:>9.0%} {m['psum_ms']:>12.2f} "
                  f"{m['allreduce_ms']:>13.2f} {fraction:>18} {m['load']:>5.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=["mirax", "jax"], help="run one launch's measurements (under mpiexec)")
    parser.add_argument("--backends", nargs="+", default=["mirax", "jax"], choices=["mirax", "jax"])
    parser.add_argument("--batch", type=int, default=1024, help="examples per process and step")
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--launches", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.batch, args.steps, args.rounds)
    else:
        main(args)
