"""Run by test_distributed.py as `mpiexec -n 2 python dying_rank.py 2 OUT`: process 1
dies of an exception while process 0 waits for it in a psum; mirax.distributed makes
the whole job end (exit status 1, and mpiexec kills the rest) instead of process 0 waiting forever. Process 0 writes
"waiting" to OUT/rank0.txt before the psum, and "returned" if it ever comes back."""
import os
import sys
import time

import numpy as np

import mirax
from mirax import P, lax

mirax.distributed.initialize()
mesh = mirax.make_mesh((2,), ("i",))
psum = mirax.jit(mirax.shard_map(lambda a: lax.psum(a, "i"), mesh=mesh, in_specs=P("i"), out_specs=P()))
psum(np.ones(2, np.float32))  # both processes compiled and reached the collective once
log_path = os.path.join(sys.argv[2], "rank0.txt")
if mirax.process_index() == 1:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (os.path.exists(log_path) and open(log_path).read()):  # noqa: SIM115
        time.sleep(0.01)  # until process 0 is about to wait in the psum
    raise RuntimeError("process 1 fails")
with open(log_path, "w") as log:
    log.write("waiting\n")
    log.flush()
    psum(np.ones(2, np.float32))
    log.write("returned\n")
