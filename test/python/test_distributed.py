"""mirax.distributed, meshes, shard_map and the collectives across processes: the script
mpi/collectives.py launched under the venv's `mpiexec` with 1 and 2 processes, and
mpi/mesh2d.py (a 2x2 mesh) with 4 (and mpi/dying_rank.py: a process that dies ends the
job), each
launch running every check once (compiles and MPICH's busy-polling processes are the
cost), each rank writing one line per check to a file of its own, which the tests read. With 2 processes
it also runs JAX's multi-process CPU backend (jax.distributed over mpi4py) on the same
programs. A launch that outlives its timeout is killed with its process group: a test
never hangs."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "mpi"
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def run(processes, script, out_dir, *args, timeout=90):
    """Run `script` under `mpiexec -n processes` with `out_dir` for its ranks' files;
    its exit status and output. On a timeout the whole process group (mpiexec, its
    proxy and the ranks) is killed and the test fails."""
    command = [str(MPIEXEC), "-n", str(processes), sys.executable, str(SCRIPTS / script), str(processes),
               str(out_dir), *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            pytest.fail(f"mpiexec -n {processes} {script} timed out after {timeout} s:\n{out[-4000:]}")
    return proc.returncode, out


def launch(processes, script, out_dir, *args):
    """Run `script` (see run), which must succeed, its ranks writing their checks'
    outcomes to `out_dir`: {rank: {check: "ok" or the failure}}."""
    returncode, out = run(processes, script, out_dir, *args)
    assert returncode == 0, f"mpiexec -n {processes} {script} exited with {returncode}:\n{out[-4000:]}"
    checks = {}
    for rank in range(processes):
        lines = (out_dir / f"rank{rank}.txt").read_text().splitlines()
        assert lines and lines[-1] == "done", f"rank {rank} did not finish:\n{lines[-5:]}\n{out[-4000:]}"
        checks[rank] = dict(line.split("\t", 1) for line in lines[:-1])
    return checks


@pytest.fixture(scope="module", params=[1, 2], ids=["n1", "n2"])
def collectives(request, tmp_path_factory):
    processes = request.param
    out_dir = tmp_path_factory.mktemp(f"collectives{processes}")
    return processes, launch(processes, "collectives.py", out_dir, *(["--jax"] if processes > 1 else []))


# What every launch checks; the second launch (2 processes) also compares with JAX.
COLLECTIVES = ("psum", "pmean", "pmax", "pmin int32", "all_gather", "all_gather tiled axis 1", "psum_scatter tiled",
               "psum_scatter", "axis_index", "axis_size", "all_gather bool", "pmin bool", "ppermute ring",
               "ppermute gathered", "all_to_all tiled", "all_to_all")
CHECKS = [
    "initialize checks num_processes against MPI", "process_index is MPI's rank", "initialize twice", "devices",
    "OpenMP threads: a share of the cores per process",
    "arrays live on the local device",
    *(f"{name} {mode}" for mode in ("eager", "jit", "vmap") for name in COLLECTIVES),
    "vmap of all_gather inside shard_map", "vmap of psum_scatter inside shard_map",
    "lax.axis_size",
    *(f"data-parallel gradient w{i} check_vma={v} {mode}" for v in (True, False) for mode in ("eager", "jit")
      for i in (1, 2)),
    "check_grads through all_to_all, ppermute, all_gather, psum_scatter, psum",
    "process_allgather", "process_allgather of a scalar", "process_allgather tiled", "broadcast_one_to_all",
    "broadcast_one_to_all from the last process", "sync_global_devices",
    "make_array_from_process_local_data PartitionSpec('i',)",
    "make_array_from_process_local_data PartitionSpec(None, 'i')",
    "pmap psum", "pmap in_axes None out_axes 1", "pmap static_broadcasted_argnums", "pmap data-parallel gradient w1",
    "pmap data-parallel gradient w2", "grad of a pmapped function", "pmap of a mapped axis longer than the devices",
    "device_put with a NamedSharding", "device_put replicated", "a plain Array's shard",
    "jit with shardings: data-parallel gradient w1", "jit with shardings: data-parallel gradient w2",
    "jit with shardings: matmul contracting over the split dimension", "jit with shardings: matmul split by rows",
    "jit with shardings through the persistent cache, keyed by its shardings",
    "jit with a PartitionSpec as in_shardings", "reshard without a context mesh", "smap without a context mesh",
    "set_mesh inside jit", "smap of a tuple of axis names", "reshard with a PartitionSpec under set_mesh",
    "jit with a PartitionSpec under set_mesh", "smap", "smap in_axes 1 out_axes None",
    "shard_map over the context mesh", "grad of smap", "set_mesh as a setter", "set_mesh(None)",
    "pcast of a varying value", "psum outside shard_map", "psum over an unknown axis",
    "mesh larger than the processes",
]
MORE_CHECKS_WITH_2 = [
    "mesh smaller than the processes", "programs that differ across processes", "pmap psum as JAX's",
    "pmap in_axes None out_axes 1 as JAX's", "pmap static_broadcasted_argnums as JAX's",
    "pmap data-parallel gradient w1 as JAX's", "device_put with a NamedSharding as JAX's",
    "jit with shardings: data-parallel gradient w1 as JAX's", "jit with shardings of NumPy inputs",
    "jit with shardings of NumPy inputs: JAX's message",
    "varying output with a replicated out_spec",
    "sync_global_devices with different names", "process_allgather as JAX's", "broadcast_one_to_all as JAX's",
    *(f"{name} as JAX's" for name in ("psum", "pmean", "pmax", "pmin int32", "all_gather", "all_gather tiled axis 1",
                                      "axis_size", "all_gather bool", "pmin bool", "ppermute gathered",
                                      "all_to_all tiled", "all_to_all")),
    "data-parallel gradient w1 as JAX's", "data-parallel gradient w2 as JAX's",
    "gradient of replicated w through a scan as JAX's", "gradient of replicated v through a scan as JAX's",
    "mesh larger than the processes: JAX's message", "varying output with a replicated out_spec: JAX's first line",
    "jit with a PartitionSpec as in_shardings: JAX's message", "smap without a context mesh: JAX's message",
    "smap as JAX's", "smap in_axes 1 out_axes None as JAX's",
]


def test_every_rank_passes_every_check(collectives):
    processes, checks = collectives
    expected = CHECKS + (MORE_CHECKS_WITH_2 if processes > 1 else [])
    for rank, found in checks.items():
        assert sorted(found) == sorted(expected), f"rank {rank} ran {sorted(set(found) ^ set(expected))} differently"
        failed = {name: outcome for name, outcome in found.items() if outcome != "ok"}
        assert not failed, f"rank {rank} of {processes}: {failed}"


MESH_2D_CHECKS = [
    "psum over j", "psum over i", "psum over both", "all_gather over both", "axis_index over both", "axis_index j",
    "2100 psums over j", "blocks of a split over i", "ppermute along j", "ppermute along i, one pair",
    "ppermute along both", "communicators split once", "data-parallel gradient over both axes",
    "jit with shardings: data-parallel gradient over 4 processes",
]


def test_2x2_mesh_on_4_processes(tmp_path):
    for rank, found in launch(4, "mesh2d.py", tmp_path).items():
        assert sorted(found) == sorted(MESH_2D_CHECKS), f"rank {rank} ran {sorted(set(found) ^ set(MESH_2D_CHECKS))}"
        failed = {name: outcome for name, outcome in found.items() if outcome != "ok"}
        assert not failed, f"rank {rank} of 4: {failed}"


def test_a_dying_process_ends_the_job(tmp_path):
    """Process 1 raises while process 0 waits for it in a psum: the job ends with an
    error (mpiexec's status), promptly, and process 0 never returns from the psum."""
    returncode, out = run(2, "dying_rank.py", tmp_path, timeout=60)
    assert returncode != 0, out[-4000:]
    assert "RuntimeError: process 1 fails" in out, out[-4000:]
    assert (tmp_path / "rank0.txt").read_text().splitlines() == ["waiting"]
