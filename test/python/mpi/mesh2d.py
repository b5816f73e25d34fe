"""Run by test_distributed.py as `mpiexec -n 4 python mesh2d.py 4 OUT`: collectives over
one axis and both axes of a 2x2 mesh (sub-communicators of MPI's world, each split once
however many calls use it), blocks split over two axes, a 2-D data-parallel gradient, and one by jit with
shardings over the 4 processes.
Each rank writes its checks' outcomes to OUT/rank<R>.txt, as collectives.py."""
import os
import sys
import traceback

import numpy as np

import mirax
import mirax.numpy as jnp
from mirax import P, lax

LOG = open(os.path.join(sys.argv[2], f"rank{os.environ['PMI_RANK']}.txt"), "w")  # noqa: SIM115 - the run's log


def report(name, ok, detail=""):
    LOG.write(f"{name}\t{'ok' if ok else 'FAIL ' + repr(detail)}\n")
    LOG.flush()


def close(name, got, want, tol=1e-5):
    got, want = np.asarray(got), np.asarray(want)
    report(name, got.shape == want.shape and np.allclose(got, want, rtol=tol, atol=tol),
           f"got {got.shape} {got.ravel()[:8]}, want {want.shape} {want.ravel()[:8]}")


mirax.distributed.initialize()
mesh = mirax.make_mesh((2, 2), ("i", "j"))
x = np.arange(4 * 2 * 3, dtype=np.float32).reshape(4 * 2, 3) - 7
rows = np.split(x, 2)  # split over "i" only
tiles = np.split(x, 4)  # split over ("i", "j"): process (i, j) holds tile 2 * i + j
CALLS = 2100  # more than the ~2,045 communicators MPICH allows: a split per call would abort


def body(a, b):
    # b is this process's tile; a its half of the rows (the same for both processes of a row of the mesh).
    repeated = lax.fori_loop(0, CALLS, lambda k, c: lax.psum(c, "j") / 2, b)
    return (lax.psum(b, "j"), lax.psum(b, "i"), lax.psum(b, ("i", "j")), lax.all_gather(b, ("i", "j"), tiled=True),
            lax.axis_index(("i", "j"))[None], lax.axis_index("j")[None], repeated, a * 1,
            lax.ppermute(b, "j", [(0, 1), (1, 0)]), lax.ppermute(b, "i", [(0, 1)]),
            lax.ppermute(b, ("i", "j"), [(k, (k + 1) % 4) for k in range(4)]))


try:
    out = mirax.jit(mirax.shard_map(body, mesh=mesh, in_specs=(P("i"), P(("i", "j"))), check_vma=False,
                                    out_specs=(P("i"), P("j"), P(), P(), P(("i", "j")), P("j"), P(("i", "j")),
                                               P("i"), *[P(("i", "j"))] * 3)))(x, x)
    t = tiles
    close("psum over j", out[0], np.concatenate([t[0] + t[1], t[2] + t[3]]))
    close("psum over i", out[1], np.concatenate([t[0] + t[2], t[1] + t[3]]))
    close("psum over both", out[2], sum(t))
    close("all_gather over both", out[3], x)
    close("axis_index over both", out[4], np.arange(4, dtype=np.int32))
    close("axis_index j", out[5], np.arange(2, dtype=np.int32))
    close(f"{CALLS} psums over j", out[6], np.concatenate([(t[0] + t[1]) / 2] * 2 + [(t[2] + t[3]) / 2] * 2))
    close("blocks of a split over i", out[7], x)
    zero = np.zeros_like(t[0])
    close("ppermute along j", out[8], np.concatenate([t[1], t[0], t[3], t[2]]))
    close("ppermute along i, one pair", out[9], np.concatenate([zero, zero, t[0], t[1]]))
    close("ppermute along both", out[10], np.concatenate([t[3], t[0], t[1], t[2]]))
    # One split of MPI's world per group of axes ("i", "j"), however many calls.
    report("communicators split once", len(mirax.distributed._communicators) == 2,
           str(mirax.distributed._communicators))
except Exception:  # noqa: BLE001 - reported
    report("2x2 collectives", False, traceback.format_exc())

rng = np.random.default_rng(1)
w = rng.standard_normal((3, 2)).astype(np.float32)
y = rng.standard_normal((8, 2)).astype(np.float32)


def loss(w, xs, ys):
    return jnp.mean((jnp.tanh(xs @ w) - ys) ** 2)


def sharded_loss(w, xs, ys):
    return mirax.shard_map(lambda w, a, b: lax.pmean(loss(w, a, b), ("i", "j")), mesh=mesh,
                           in_specs=(P(), P(("i", "j")), P(("i", "j"))), out_specs=P())(w, xs, ys)


close("data-parallel gradient over both axes", mirax.jit(mirax.grad(sharded_loss))(w, x, y), mirax.grad(loss)(w, x, y))
# jit with shardings over the 4 processes on one axis: the batch's 2 rows each
line = mirax.make_mesh((4,), ("b",))
replicated, batch = mirax.sharding.NamedSharding(line, P()), mirax.sharding.NamedSharding(line, P("b"))
close("jit with shardings: data-parallel gradient over 4 processes",
      mirax.jit(mirax.grad(loss), in_shardings=(replicated, batch, batch), out_shardings=replicated)(
          w, mirax.device_put(x, batch), mirax.device_put(y, batch)), mirax.grad(loss)(w, x, y))
LOG.write("done\n")
LOG.close()
