"""An MLP trained data-parallel across processes: every process runs this same program
under MPI, computes the gradient of its block of each batch inside `shard_map`, and
`pmean` averages the processes' gradients, so that every process takes the same step
as one process would on the whole batch. The data are generated (no download): a
regression of y = sin(3 x . w) + noise.

    .venv/bin/mpiexec -n 2 .venv/bin/python examples/data_parallel.py              # with mirax
    .venv/bin/mpiexec -n 2 .venv/bin/python examples/data_parallel.py --with jax   # the same program under JAX

Each process holds `--batch` examples of every step's batch (the global batch is
that times the number of processes). Process 0 prints the loss and the time per step.
"""
import argparse
import importlib
import time

import numpy as np

FEATURES, HIDDEN = 16, 64


def training(backend, steps, batch, learning_rate=0.1):
    """(the framework's module, the jitted training step, the initial parameters, `steps`
    batches of inputs and targets), after `initialize()`: what main runs, and what
    benchmarks/scaling.py times."""
    jax = importlib.import_module(backend)
    jnp = importlib.import_module(f"{backend}.numpy")
    sharding = importlib.import_module(f"{backend}.sharding")
    P = sharding.PartitionSpec
    if backend == "jax":
        jax.distributed.initialize(cluster_detection_method="mpi4py")
    else:
        jax.distributed.initialize()
    processes = jax.process_count()
    mesh = jax.make_mesh((processes,), ("batch",), axis_types=(sharding.AxisType.Auto,))

    rng = np.random.default_rng(0)  # every process draws the same data and initial parameters
    w_true = rng.standard_normal(FEATURES).astype(np.float32)
    xs = rng.standard_normal((steps, batch * processes, FEATURES)).astype(np.float32)
    ys = (np.sin(3 * xs @ w_true / np.sqrt(FEATURES)) + 0.1 * rng.standard_normal(xs.shape[:2]))[..., None]
    ys = ys.astype(np.float32)
    params = [(rng.standard_normal((FEATURES, HIDDEN)) / np.sqrt(FEATURES)).astype(np.float32),
              np.zeros(HIDDEN, np.float32),
              (rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32),
              np.zeros(1, np.float32)]

    def local_loss(params, x, y):
        w1, b1, w2, b2 = params
        return jnp.mean((jnp.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2)

    def loss(params, x, y):
        # Each process's block of x and y (split over "batch"); params are replicated.
        return jax.shard_map(lambda p, a, b: jax.lax.pmean(local_loss(p, a, b), "batch"), mesh=mesh,
                             in_specs=(P(), P("batch"), P("batch")), out_specs=P())(params, x, y)

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return value, [p - learning_rate * g for p, g in zip(params, grads, strict=True)]

    return jax, step, params, xs, ys


def main(backend, steps, batch):
    jax, step, params, xs, ys = training(backend, steps, batch)
    value, params = step(params, xs[0], ys[0])  # compiles
    start = time.perf_counter()
    for i in range(1, steps):
        value, params = step(params, xs[i], ys[i])
        if jax.process_index() == 0 and (i % (steps // 5) == 0 or i == steps - 1):
            print(f"step {i:4d}  loss {float(value):.4f}", flush=True)
    per_step = (time.perf_counter() - start) / (steps - 1)
    if jax.process_index() == 0:
        print(f"{backend}: {jax.process_count()} process(es), {batch} examples each, {per_step * 1e3:.2f} ms per step")
    return float(value)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--with", dest="backend", default="mirax", choices=["mirax", "jax"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64, help="examples per process and step")
    args = parser.parse_args()
    main(args.backend, args.steps, args.batch)
