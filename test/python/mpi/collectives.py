"""Run by test_distributed.py as `mpiexec -n N python collectives.py N OUT [--jax]`:
mirax.distributed, meshes, shard_map and the collectives, each checked against its
single-process definition computed with NumPy, and (with --jax) against JAX's
multi-process run of the same programs. Every rank writes one line per check ("name<tab>ok"
or "name<tab>FAIL why") to OUT/rank<R>.txt (the ranks' standard outputs interleave), then
"done"."""
import functools
import os
import sys
import traceback

import numpy as np

import mirax
import mirax.numpy as jnp
from mirax import P, lax
from mirax.test_util import check_grads

WITH_JAX = "--jax" in sys.argv


def report(name, ok, detail=""):
    LOG.write(f"{name}\t{'ok' if ok else 'FAIL ' + repr(detail)}\n")
    LOG.flush()


def close(name, got, want, tol=1e-5):
    got, want = np.asarray(got), np.asarray(want)
    ok = got.shape == want.shape and got.dtype == want.dtype and np.allclose(got, want, rtol=tol, atol=tol)
    report(name, ok, f"got {got.dtype}{got.shape} {got.ravel()[:8]}, want {want.dtype}{want.shape} "
                     f"{want.ravel()[:8]}")


def raises(name, fn, exc, message):
    try:
        fn()
    except exc as err:
        report(name, message in str(err), f"message {str(err)[:300]!r} lacks {message!r}")
        return str(err)
    except Exception as err:  # noqa: BLE001 - reported
        report(name, False, f"raised {type(err).__name__}: {err}")
    else:
        report(name, False, f"did not raise {exc.__name__}")
    return None


# ----------------------------------------------------------------------------- processes and devices

SIZE = int(sys.argv[1])
LOG = open(os.path.join(sys.argv[2], f"rank{os.environ['PMI_RANK']}.txt"), "w")  # noqa: SIM115 - the run's log
PRESET_THREADS = os.environ.get("OMP_NUM_THREADS")
try:
    mirax.distributed.initialize(num_processes=SIZE + 1)
except ValueError as err:
    mismatch = str(err)
else:
    mismatch = None
mirax.distributed.initialize(num_processes=SIZE)
RANK = mirax.process_index()
report("process_index is MPI's rank", RANK == int(os.environ["PMI_RANK"]))
report("initialize checks num_processes against MPI", mismatch is not None and "num_processes" in mismatch)
raises("initialize twice", mirax.distributed.initialize, RuntimeError, "should only be called once")
report("devices", mirax.process_count() == SIZE and mirax.device_count() == SIZE
       and [d.id for d in mirax.devices()] == list(range(SIZE)) and mirax.local_device_count() == 1
       and mirax.local_devices()[0].id == RANK and mirax.devices()[RANK].process_index == RANK
       and mirax.local_devices(process_index=0)[0].id == 0, f"{mirax.devices()} {mirax.local_devices()}")
# A share of the cores for each process's OpenMP threads, unless the launch set it.
shared = str(max(1, len(os.sched_getaffinity(0)) // SIZE)) if SIZE > 1 else None
report("OpenMP threads: a share of the cores per process", os.environ.get("OMP_NUM_THREADS") == (
    PRESET_THREADS or shared), f"{os.environ.get('OMP_NUM_THREADS')} {PRESET_THREADS} {shared}")
report("arrays live on the local device", mirax.numpy.ones(2).device == mirax.local_devices()[0])

# ----------------------------------------------------------------------------- collectives vs NumPy

mesh = mirax.make_mesh((SIZE,), ("i",))
n = SIZE
x = np.arange(2 * n * 3, dtype=np.float32).reshape(2 * n, 3) * np.float32(0.5) - 1
blocks = np.split(x, n)  # what each process holds of an argument split over "i"
k = np.arange(n * n * 2 * 3, dtype=np.int32).reshape(n * n * 2, 3) % 7 - 3  # int data; blocks of n * 2 rows
k_blocks = np.split(k, n)


def collectives(lax, a, b):
    """The collectives of `lax` (mirax's or JAX's) on a float and an int block."""
    return (lax.psum(a, "i"), lax.pmean(a, "i"), lax.pmax(a, "i"), lax.pmin(b, "i"),
            lax.all_gather(a, "i"), lax.all_gather(a, "i", axis=1, tiled=True),
            lax.psum_scatter(b, "i", tiled=True), lax.psum_scatter(a[:n], "i"),
            lax.axis_index("i")[None], lax.psum(1, "i") + 0 * lax.axis_index("i"), lax.all_gather(a > 0, "i"),
            lax.pmin(a > 0, "i"), lax.ppermute(a, "i", RING), lax.all_gather(lax.ppermute(b, "i", RING), "i"),
            lax.all_gather(lax.all_to_all(b, "i", 0, 1, tiled=True), "i"),
            lax.all_gather(lax.all_to_all(a[:n], "i", 0, 1), "i"))


RING = [(k, (k + 1) % n) for k in range(n)]
SPECS = dict(in_specs=(P("i"), P("i")), out_specs=(P(), P(), P(), P(), P(), P(), P("i"), P("i"), P("i"), P(), P(),
                                                    P(), P("i"), P(), P(), P()))
expected = (sum(blocks), sum(blocks) / n, np.maximum.reduce(blocks), np.minimum.reduce(k_blocks), np.stack(blocks),
            np.concatenate(blocks, axis=1), sum(k_blocks), sum(b[:n] for b in blocks).reshape(-1),
            np.arange(n, dtype=np.int32), np.int32(n), np.stack([b > 0 for b in blocks]),
            np.logical_and.reduce([b > 0 for b in blocks]),
            np.concatenate([blocks[(r - 1) % n] for r in range(n)]),
            np.stack([k_blocks[(r - 1) % n] for r in range(n)]),
            np.stack([np.concatenate([np.split(kb, n)[r] for kb in k_blocks], axis=1) for r in range(n)]),
            np.stack([np.stack([b[r] for b in blocks], axis=1) for r in range(n)]))
NAMES = ("psum", "pmean", "pmax", "pmin int32", "all_gather", "all_gather tiled axis 1", "psum_scatter tiled",
         "psum_scatter", "axis_index", "axis_size", "all_gather bool", "pmin bool", "ppermute ring",
         "ppermute gathered", "all_to_all tiled", "all_to_all")
for mode, fn in (("eager", lambda f: f), ("jit", mirax.jit)):
    try:
        got = fn(mirax.shard_map(functools.partial(collectives, lax), mesh=mesh, check_vma=False, **SPECS))(x, k)
        for name, g, want in zip(NAMES, got, expected, strict=True):
            close(f"{name} {mode}", g, want)
    except Exception:  # noqa: BLE001 - reported
        report(f"collectives {mode}", False, traceback.format_exc())
try:  # vmap of a shard_map: a shard_map of the batched body, against a loop
    mapped = mirax.shard_map(functools.partial(collectives, lax), mesh=mesh, check_vma=False, **SPECS)
    xs, ks = np.stack([x, 2 * x, x - 1]), np.stack([k, k + 1, 2 * k])
    loop = [mapped(a, b) for a, b in zip(xs, ks, strict=True)]
    for i, (name, g) in enumerate(zip(NAMES, mirax.vmap(mapped)(xs, ks), strict=True)):
        close(f"{name} vmap", g, np.stack([np.asarray(out[i]) for out in loop]))
except Exception:  # noqa: BLE001 - reported
    report("collectives vmap", False, traceback.format_exc())
close("vmap of all_gather inside shard_map", mirax.shard_map(
    lambda a: mirax.vmap(lambda r: lax.all_gather(r, "i"))(a), mesh=mesh, in_specs=P("i"), out_specs=P(),
    check_vma=False)(x), np.stack(blocks, axis=1))
close("vmap of psum_scatter inside shard_map", mirax.shard_map(
    lambda a: mirax.vmap(lambda c: lax.psum_scatter(c, "i", tiled=True), in_axes=1, out_axes=1)(a), mesh=mesh,
    in_specs=P("i"), out_specs=P("i"), check_vma=False)(k), sum(k_blocks))
report("lax.axis_size", mirax.shard_map(lambda a: a * lax.axis_size("i"), mesh=mesh, in_specs=P(), out_specs=P())(
    np.float32(1)) == n)

# ----------------------------------------------------------------------------- derivatives

rng = np.random.default_rng(0)
params = (rng.standard_normal((3, 5)).astype(np.float32), rng.standard_normal((5, 2)).astype(np.float32))
data = rng.standard_normal((4 * n, 3)).astype(np.float32), rng.standard_normal((4 * n, 2)).astype(np.float32)


def mlp_loss(p, xs, ys):
    w1, w2 = p
    return jnp.mean((jnp.tanh(xs @ w1) @ w2 - ys) ** 2)


full_batch = mirax.grad(mlp_loss)(params, *data)
for check_vma in (True, False):
    def loss(p, xs, ys):
        return mirax.shard_map(lambda p, a, b: lax.pmean(mlp_loss(p, a, b), "i"), mesh=mesh,
                               in_specs=(P(), P("i"), P("i")), out_specs=P(), check_vma=check_vma)(p, xs, ys)

    for mode, fn in (("eager", lambda f: f), ("jit", mirax.jit)):
        grads = fn(mirax.grad(loss))(params, *data)
        for i, (g, want) in enumerate(zip(grads, full_batch, strict=True)):
            close(f"data-parallel gradient w{i + 1} check_vma={check_vma} {mode}", g, want, 1e-5)


def scan_loss(J, lax, shard_map, P, mesh):
    """A loss whose replicated w and v meet split data inside a scan (check_vma types the
    carry), and reach the output on a path of their own too (not summed over processes)."""
    def body(w, v, a):
        carry = lax.pcast(J.zeros(3), "i", to="varying")
        c, ys = lax.scan(lambda c, row: (J.tanh(c * w + row * v), c.sum() * w), carry, a)
        return lax.psum(J.sum(c) + J.sum(ys), "i") + w * J.sum(v)

    return lambda w, v, a: shard_map(body, mesh=mesh, in_specs=(P(), P(), P("i")), out_specs=P())(w, v, a)


scan_args = (np.float32(0.8), np.full(3, 0.3, np.float32), x / 7)
scan_grads = mirax.grad(scan_loss(jnp, lax, mirax.shard_map, P, mesh), argnums=(0, 1))(*scan_args)
raises("pcast of a varying value", lambda: mirax.shard_map(lambda a: lax.pcast(a, "i", to="varying"), mesh=mesh,
                                                          in_specs=P("i"), out_specs=P("i"))(x), ValueError,
       "Unsupported pcast from=varying, to='varying'")


def through_collectives(a, w):
    """Gradients flow through all_to_all, ppermute, all_gather, psum_scatter and psum, into a replicated w."""
    def body(a, w):
        g = lax.all_gather(lax.ppermute(jnp.sin(lax.all_to_all(a, "i", 0, 0, tiled=True)) * w, "i", RING), "i",
                           tiled=True)
        return lax.psum(jnp.sum(lax.psum_scatter(g * g, "i", tiled=True) ** 2), "i")
    return mirax.shard_map(body, mesh=mesh, in_specs=(P("i"), P()), out_specs=P())(a, w)


try:
    check_grads(through_collectives, (x, np.float32(0.7)), order=1, modes=("fwd", "rev"))
    report("check_grads through all_to_all, ppermute, all_gather, psum_scatter, psum", True)
except Exception:  # noqa: BLE001 - reported
    report("check_grads through all_to_all, ppermute, all_gather, psum_scatter, psum", False, traceback.format_exc())

# ----------------------------------------------------------------------------- multihost_utils

from mirax.experimental import multihost_utils  # noqa: E402

mine = {"a": np.full((2,), RANK, np.float32), "b": np.int32(10 * RANK + 1)}
gathered = multihost_utils.process_allgather(mine)
close("process_allgather", gathered["a"], np.stack([np.full((2,), r, np.float32) for r in range(n)]))
close("process_allgather of a scalar", gathered["b"], np.array([10 * r + 1 for r in range(n)], np.int32))
close("process_allgather tiled", multihost_utils.process_allgather(mine["a"], tiled=True),
      np.concatenate([np.full((2,), r, np.float32) for r in range(n)]))
close("broadcast_one_to_all", multihost_utils.broadcast_one_to_all(mine)["a"], np.zeros(2, np.float32))
close("broadcast_one_to_all from the last process", multihost_utils.broadcast_one_to_all(
    np.full((3,), RANK + 0.5, np.float32), is_source=RANK == n - 1), np.full((3,), n - 0.5, np.float32))
multihost_utils.sync_global_devices("checkpoint")
report("sync_global_devices", True)
if n > 1:
    raises("sync_global_devices with different names", lambda: multihost_utils.sync_global_devices(f"step {RANK}"),
           AssertionError, f"sync_global_devices name mismatch ('step {RANK}')")

local = np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * RANK  # this process's block
for spec, axis in ((P("i"), 0), (P(None, "i"), 1)):
    close(f"make_array_from_process_local_data {spec}", mirax.make_array_from_process_local_data(
        mirax.sharding.NamedSharding(mesh, spec), local),
        np.concatenate([np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * r for r in range(n)], axis=axis))

# ----------------------------------------------------------------------------- pmap, device_put with a sharding

mine_x = blocks[RANK][None]  # pmap: each process passes its own slice of the mapped axis (one device each)


def pmap_programs(pmap, lax, J):
    """pmaps of mirax or JAX: a psum, unmapped and moved axes, a static argument, and the
    data-parallel gradient (pmean of each process's)."""
    return (pmap(lambda a: a / (lax.psum(a * a, "i") + 1), "i")(mine_x),
            pmap(lambda a, w: a * w, "i", in_axes=(0, None), out_axes=1)(mine_x, np.float32(2)),
            pmap(lambda a, k: a * k + lax.axis_index("i"), "i", static_broadcasted_argnums=1)(mine_x, 3),
            pmap(lambda p, a, b: lax.pmean(J.grad(lambda p: J.numpy.mean(
                (J.numpy.tanh(a @ p[0]) @ p[1] - b) ** 2))(p), "i"), "i", in_axes=(None, 0, 0))(
                params, *(np.split(d, n)[RANK][None] for d in data)))


total = sum(blocks)
pmapped = pmap_programs(mirax.pmap, lax, mirax)
close("pmap psum", pmapped[0], (blocks[RANK] / (sum(b * b for b in blocks) + 1))[None])
close("pmap in_axes None out_axes 1", pmapped[1], (blocks[RANK] * 2)[:, None])
close("pmap static_broadcasted_argnums", pmapped[2], (blocks[RANK] * 3 + RANK)[None])
for i, (g, want) in enumerate(zip(pmapped[3], full_batch, strict=True)):
    close(f"pmap data-parallel gradient w{i + 1}", g[0], want)
close("grad of a pmapped function", mirax.grad(lambda a: mirax.pmap(lambda z: jnp.sin(z) * lax.psum(z, "i"), "i")(
    a).sum())(mine_x), (np.cos(blocks[RANK]) * total + sum(np.sin(b) for b in blocks))[None], 1e-4)
raises("pmap of a mapped axis longer than the devices", lambda: mirax.pmap(lambda a: a)(x), ValueError,
       "the mapped axis has size")

sharded = mirax.device_put(x, mirax.sharding.NamedSharding(mesh, P("i")))
(shard,) = sharded.addressable_shards
report("device_put with a NamedSharding", np.array_equal(np.asarray(sharded), x) and
       sharded.sharding == mirax.sharding.NamedSharding(mesh, P("i")) and shard.device == mirax.local_devices()[0]
       and np.array_equal(np.asarray(shard.data), blocks[RANK]) and shard.replica_id == 0
       and sharded.is_fully_addressable == (n == 1), f"{sharded.sharding} {shard}")
(whole,) = mirax.device_put(x, mirax.sharding.NamedSharding(mesh, P())).addressable_shards
report("device_put replicated", np.array_equal(np.asarray(whole.data), x) and whole.index == (slice(None),) * 2
       and whole.replica_id == RANK, repr(whole))
(plain,) = jnp.asarray(x).addressable_shards
report("a plain Array's shard", jnp.asarray(x).is_fully_addressable and plain.device == mirax.local_devices()[0]
       and np.array_equal(np.asarray(plain.data), x), repr(plain))
# jit with shardings: partitioned by MLIR's sharding-propagation and shard-partition
NS = mirax.sharding.NamedSharding
rep, split = NS(mesh, P()), NS(mesh, P("i"))
on_mesh = [mirax.device_put(d, split) for d in data]  # Arrays: NumPy inputs split over processes are JAX's error
sharded_grad = mirax.jit(mirax.grad(mlp_loss), in_shardings=(rep, split, split), out_shardings=rep)(params, *on_mesh)
for i, (g, want) in enumerate(zip(sharded_grad, full_batch, strict=True)):
    close(f"jit with shardings: data-parallel gradient w{i + 1}", g, want)
a_mat = data[0].T.copy()  # 3 x 4n
b_mat = np.arange(4 * n * 6, dtype=np.float32).reshape(4 * n, 6) / 10
product = mirax.jit(lambda a, b: a @ b, in_shardings=(NS(mesh, P(None, "i")), split), out_shardings=rep)(
    mirax.device_put(a_mat, NS(mesh, P(None, "i"))), mirax.device_put(b_mat, split))
close("jit with shardings: matmul contracting over the split dimension", product, a_mat @ b_mat, 1e-4)
rows = mirax.jit(lambda a, b: a @ b, in_shardings=(split, rep), out_shardings=split)(jnp.asarray(b_mat), b_mat.T)
(row_shard,) = rows.addressable_shards
report("jit with shardings: matmul split by rows", np.allclose(np.asarray(rows), b_mat @ b_mat.T, rtol=1e-5)
       and rows.sharding == split and np.allclose(np.asarray(row_shard.data), np.split(b_mat @ b_mat.T, n)[RANK],
                                                  rtol=1e-5), repr(row_shard))
# Through the persistent cache (a directory of this process's), the shardings in its key:
# the same function split and replicated is two programs, each loaded back after the
# in-memory caches are cleared.
mirax.config.update("mirax_compilation_cache_dir", os.path.join(sys.argv[2], f"cache{RANK}"))
x_split = mirax.device_put(x, split)


def cached_runs():
    return [mirax.jit(lambda a: jnp.sum(jnp.sin(a) ** 2), in_shardings=s, out_shardings=rep)(a)
            for s, a in ((split, x_split), (rep, x))]


first, loads = cached_runs(), mirax.runtime.stats["cache_loads"]
mirax.clear_caches()
again = cached_runs()
report("jit with shardings through the persistent cache, keyed by its shardings",
       mirax.runtime.stats["cache_loads"] == loads + 2 and all(np.allclose(v, np.sum(np.sin(x) ** 2), rtol=1e-5)
                                                                  for v in first + again), mirax.runtime.stats)
mirax.config.update("mirax_compilation_cache_dir", None)
no_mesh = raises("jit with a PartitionSpec as in_shardings", lambda: mirax.jit(lambda a: a, in_shardings=P("i"))(
    x), RuntimeError, "jit requires a non-empty mesh in context if you are passing `PartitionSpec`s to in_shardings")
# set_mesh: a PartitionSpec stands for a NamedSharding over the context mesh; shard_map and smap take it
raises("reshard without a context mesh", lambda: mirax.reshard(x, P("i")), ValueError,
       "Using PartitionSpec when you are not under a mesh context is not allowed")
no_context = raises("smap without a context mesh", lambda: mirax.smap(lambda a: a, out_axes=0, axis_name="i")(x),
                    ValueError, "The context mesh cannot be empty")
raises("set_mesh inside jit", lambda: mirax.jit(lambda a: mirax.set_mesh(mesh))(x), ValueError,
       "`set_mesh` can only be used outside of `jax.jit`")
raises("smap of a tuple of axis names", lambda: mirax.smap(lambda a: a, out_axes=0, axis_name=("i",)), TypeError,
       "smap axis_name should be a `str`")


def smapped(smap, lax, a, b, c):
    """smap's programs (mirax's or JAX's): a split over its rows, b replicated, c split
    over its columns."""
    return (smap(lambda u, v: u * 2 + lax.axis_index("i") + v[0], in_axes=(0, None), out_axes=0, axis_name="i")(a, b),
            smap(lambda u: lax.psum(u, "i"), in_axes=1, out_axes=None, axis_name="i")(c))


with mirax.set_mesh(mesh):
    resharded = mirax.reshard(x, P("i"))
    (block,) = resharded.addressable_shards
    report("reshard with a PartitionSpec under set_mesh", resharded.sharding == split and np.array_equal(
        np.asarray(block.data), blocks[RANK]) and np.array_equal(np.asarray(resharded), x), repr(block))
    close("jit with a PartitionSpec under set_mesh", mirax.jit(lambda a: a @ a.T, in_shardings=P("i"),
                                                              out_shardings=P())(resharded), x @ x.T, 1e-5)
    by_smap = smapped(mirax.smap, lax, x, x, x.T.copy())
    close("smap", by_smap[0], np.concatenate([blocks[i] * 2 + i + x[0] for i in range(n)]))
    close("smap in_axes 1 out_axes None", by_smap[1], sum(np.split(x.T, n, axis=1)))
    close("shard_map over the context mesh", mirax.shard_map(lambda a: lax.psum(a, "i"), in_specs=P("i"),
                                                             out_specs=P())(x), sum(blocks))
    close("grad of smap", mirax.jit(mirax.grad(lambda a: mirax.smap(
        lambda u: lax.psum(jnp.sum(u * u), "i"), in_axes=0, out_axes=None, axis_name="i")(a)))(x), 2 * x)
mirax.set_mesh(mesh)
report("set_mesh as a setter", mirax.sharding.context_mesh() is mesh)
mirax.set_mesh(None)
report("set_mesh(None)", mirax.sharding.context_mesh() is None)
if n > 1:
    numpy_split = raises("jit with shardings of NumPy inputs", lambda: mirax.jit(
        lambda a: a, in_shardings=split)(x), ValueError, "Passing non-trivial shardings for numpy inputs")
    raises("programs that differ across processes", lambda: mirax.shard_map(
        lambda a: lax.psum(a, "i"), mesh=mesh, in_specs=P("i"), out_specs=P())(np.ones(n * (RANK + 1), np.float32)),
        RuntimeError, "the processes run different programs at shard_map")

# ----------------------------------------------------------------------------- errors

raises("psum outside shard_map", lambda: lax.psum(x, "i"), NameError, "unbound axis name: i")
raises("psum over an unknown axis", lambda: mirax.shard_map(lambda a: lax.psum(a, "j"), mesh=mesh, in_specs=P("i"),
                                                            out_specs=P())(x), NameError, "unbound axis name: j")
too_big = raises("mesh larger than the processes", lambda: mirax.make_mesh((n + 1,), ("i",)), ValueError,
                 f"Number of devices {n} must be >= the product of mesh_shape ({n + 1},)")
if n > 1:
    raises("mesh smaller than the processes", lambda: mirax.shard_map(
        lambda a: a, mesh=mirax.make_mesh((1,), ("i",)), in_specs=P(), out_specs=P())(x), ValueError,
        f"the mesh has 1 devices but there are {n} processes")
replicated = raises("varying output with a replicated out_spec", lambda: mirax.shard_map(
    lambda a: a * 2, mesh=mesh, in_specs=P("i"), out_specs=P())(x), ValueError,
    "out_specs which require replication which can't be statically inferred") if n > 1 else None

# ----------------------------------------------------------------------------- JAX's multi-process run

if WITH_JAX:
    import jax
    from jax.sharding import AxisType

    jax.distributed.initialize(cluster_detection_method="mpi4py")
    jmesh = jax.make_mesh((n,), ("i",), axis_types=(AxisType.Auto,))
    jlax = jax.lax
    got = jax.jit(jax.shard_map(functools.partial(collectives, jlax), mesh=jmesh, check_vma=False,
                                in_specs=(jax.P("i"), jax.P("i")),
                                out_specs=tuple(jax.P(*s) for s in SPECS["out_specs"])))(x, k)
    for i, spec in enumerate(SPECS["out_specs"]):
        if spec == P():  # replicated: every process can read JAX's result
            close(f"{NAMES[i]} as JAX's", expected[i], np.asarray(got[i]))
    jloss = jax.shard_map(lambda p, a, b: jlax.pmean(
        jax.numpy.mean((jax.numpy.tanh(a @ p[0]) @ p[1] - b) ** 2), "i"), mesh=jmesh,
        in_specs=(jax.P(), jax.P("i"), jax.P("i")), out_specs=jax.P())
    for i, g in enumerate(jax.jit(jax.grad(lambda p, a, b: jloss(p, a, b)))(params, *data)):
        close(f"data-parallel gradient w{i + 1} as JAX's", full_batch[i], np.asarray(g), 1e-5)
    from jax.experimental import multihost_utils as jax_multihost  # noqa: PLC0415 - with JAX only

    theirs = pmap_programs(jax.pmap, jlax, jax)
    close("pmap psum as JAX's", pmapped[0], np.asarray(theirs[0]))
    close("pmap in_axes None out_axes 1 as JAX's", pmapped[1], np.asarray(theirs[1]))
    close("pmap static_broadcasted_argnums as JAX's", pmapped[2], np.asarray(theirs[2]))
    close("pmap data-parallel gradient w1 as JAX's", pmapped[3][0], np.asarray(theirs[3][0]), 1e-5)
    theirs = jax.jit(jax.grad(lambda p, a, b: jax.numpy.mean((jax.numpy.tanh(a @ p[0]) @ p[1] - b) ** 2)),
                     in_shardings=(jax.NamedSharding(jmesh, jax.P()), *[jax.NamedSharding(jmesh, jax.P("i"))] * 2),
                     out_shardings=jax.NamedSharding(jmesh, jax.P()))(
        params, *[jax.device_put(d, jax.NamedSharding(jmesh, jax.P("i"))) for d in data])
    close("jit with shardings: data-parallel gradient w1 as JAX's", sharded_grad[0], np.asarray(theirs[0]), 1e-5)
    try:
        jax.jit(lambda a: a, in_shardings=jax.NamedSharding(jmesh, jax.P("i")))(x)
        raise AssertionError("no error")
    except Exception as err:  # noqa: BLE001 - reported
        report("jit with shardings of NumPy inputs: JAX's message", type(err) is ValueError and str(err) == numpy_split,
               f"{type(err).__name__}: {err}")
    (their_shard,) = jax.device_put(x, jax.NamedSharding(jmesh, jax.P("i"))).addressable_shards
    report("device_put with a NamedSharding as JAX's", their_shard.index == shard.index and np.array_equal(
        np.asarray(their_shard.data), np.asarray(shard.data)), f"{their_shard.index} vs {shard.index}")
    for name, got in (("process_allgather", jax_multihost.process_allgather(mine)["a"]),
                      ("broadcast_one_to_all", jax_multihost.broadcast_one_to_all(mine)["a"])):
        close(f"{name} as JAX's", (gathered if name == "process_allgather" else
                                   multihost_utils.broadcast_one_to_all(mine))["a"], np.asarray(got))
    theirs = jax.jit(jax.grad(scan_loss(jax.numpy, jlax, jax.shard_map, jax.P, jmesh), argnums=(0, 1)))(*scan_args)
    for name, g, want in zip(("w", "v"), scan_grads, theirs, strict=True):
        close(f"gradient of replicated {name} through a scan as JAX's", g, np.asarray(want), 1e-5)
    try:
        jax.make_mesh((n + 1,), ("i",))
        raise AssertionError("no error")
    except Exception as err:  # noqa: BLE001 - reported
        report("mesh larger than the processes: JAX's message", type(err) is ValueError and str(err) == too_big,
               f"{type(err).__name__}: {err} vs {too_big}")
    try:
        jax.shard_map(lambda a: a * 2, mesh=jmesh, in_specs=jax.P("i"), out_specs=jax.P())(x)
        raise AssertionError("no error")
    except Exception as err:  # noqa: BLE001 - reported
        theirs, ours = (m.split("\n")[0].split("' was given ")[-1] for m in (str(err), replicated))
        report("varying output with a replicated out_spec: JAX's first line", type(err) is ValueError and
               theirs == ours, f"{type(err).__name__}: {theirs!r}")
    for name, call, ours in (("jit with a PartitionSpec as in_shardings", lambda: jax.jit(
            lambda a: a, in_shardings=jax.P("i"))(x), no_mesh), ("smap without a context mesh", lambda: jax.smap(
                lambda a: a, out_axes=0, axis_name="i")(x), no_context)):
        try:
            call()
            raise AssertionError("no error")
        except Exception as err:  # noqa: BLE001 - reported
            report(f"{name}: JAX's message", str(err) == ours, f"{type(err).__name__}: {err}")
    with jax.set_mesh(jax.make_mesh((n,), ("i",))):  # Explicit axes: JAX's smap wants its input split as in_axes
        theirs = smapped(jax.smap, jlax, *(jax.reshard(a, s) for a, s in (
            (x, jax.P("i")), (x, jax.P()), (x.T.copy(), jax.P(None, "i")))))
    close("smap as JAX's", by_smap[0], np.asarray(jax_multihost.process_allgather(theirs[0], tiled=True)))
    close("smap in_axes 1 out_axes None as JAX's", by_smap[1], np.asarray(theirs[1]))
LOG.write("done\n")
LOG.close()
