"""mirax next to JAX and NumPy: jit dispatch, a fused elementwise chain, matmul,
random normals and compile time. Run `.venv/bin/python benchmarks/run.py` (or
`make bench`); `--quick` for a fast smoke run. benchmarks/README.md explains each row.

Every row times its three contenders interleaved, one run of each per round, so
that load from other processes hits all of them alike; the reported time is the
median over the rounds, after warm-up calls. A row that cannot run says why.
"""
import argparse
import datetime
import functools
import importlib
import itertools
import os
import platform
import statistics
import sys
import time

# OpenBLAS's idle threads spin for about 2^28 cycles after each NumPy call (its
# default): on this 2-core machine they took a core from the contender timed next
# (a 512 matmul: mirax 3.2 ms, JAX 2.6 ms with them spinning; 1.6 and 1.55 ms
# without). 2^4 cycles: they sleep at once, as mirax's (1 ms) and XLA's soon do.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402 (after the variable OpenBLAS reads when loaded)

import mirax
import mirax.numpy as mnp

try:
    import jax
    import jax.numpy as jnp
except ImportError as err:  # the JAX column is then n/a
    jax = jnp = None
    JAX_MISSING = f"jax not importable: {err}"


class Skip(Exception):
    """A contender or row that cannot run; the message says why."""


# ----------------------------------------------------------------------------- the programs


def elementwise_chain(xp, x):
    """8 elementwise ops, 3 of them transcendental: the same code for every xp."""
    y = xp.sin(x) * 2.0 + 1.0
    y = xp.tanh(y) * x
    return xp.exp(y * -0.5) - x


def fifty_ops(xp, x, c):
    """50 elementwise ops (10 rounds of 5); `c` makes each compiled program distinct."""
    for _ in range(10):
        x = xp.tanh(x * c + 1.0)
        x = xp.exp(x) - x
    return x


# ----------------------------------------------------------------------------- contenders


def jax_jit(fun):
    if jax is None:
        raise Skip(JAX_MISSING)
    compiled = jax.jit(fun)
    return lambda *args: jax.block_until_ready(compiled(*args))


def to_mirax(*arrays):
    return [mnp.asarray(a) for a in arrays]


def to_jax(*arrays):
    if jax is None:
        raise Skip(JAX_MISSING)
    return [jax.device_put(a) for a in arrays]


# ----------------------------------------------------------------------------- timing


def interleaved(contenders, rounds, calls_per_round=1):
    """Median seconds per call of each contender {name: (fn, args)}, warmed up
    before. The contenders alternate within every round, each timed after a call of
    its own, untimed, in which the other's idle threads stop spinning (mirax's for 1
    ms, XLA's a while) and its data returns to the caches."""
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (fn, args) in contenders.items():
            fn(*args)
            start = time.perf_counter()
            for _ in range(calls_per_round):
                fn(*args)
            times[name].append((time.perf_counter() - start) / calls_per_round)
    return {name: statistics.median(t) for name, t in times.items()}


def row(name, contenders, rounds, calls_per_round=1, check=None, reference="NumPy", work=None):
    """Time a row. `contenders` maps mirax/JAX/NumPy to a thunk building (fn, args),
    so that building one (e.g. importing JAX) can fail on its own. Results (pytrees of
    arrays) are compared leaf by leaf with the `reference` contender's by
    `check(result, reference)` when given. `work` is ("bytes" or "flops", count): the
    table then shows the fraction of the machine's peak mirax's time reaches."""
    ready, skipped = {}, {}
    for who, build in contenders.items():
        try:
            fn, args = build()
            result = fn(*args)  # warm-up: compiles
            fn(*args)
            ready[who] = (fn, args, result)
        except Skip as err:
            skipped[who] = str(err)
        except Exception as err:  # noqa: BLE001 - a broken contender is reported, not fatal
            skipped[who] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    if check and reference in ready:
        expected = mirax.tree_util.tree_leaves(ready[reference][2])
        for who in ("mirax", "JAX"):
            if who != reference and who in ready and not all(
                    check(np.asarray(got), np.asarray(want))
                    for got, want in zip(mirax.tree_util.tree_leaves(ready[who][2]), expected, strict=True)):
                skipped[who] = f"wrong result (differs from {reference})"
                del ready[who]
    times = interleaved({who: (fn, args) for who, (fn, args, _) in ready.items()}, rounds, calls_per_round)
    return name, times, skipped, work


def close(rtol, atol=0.0):
    return lambda result, reference: np.allclose(result, reference, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- rows


def dispatch_row(rounds):
    x = np.arange(4, dtype=np.float32)
    add = lambda a, b: a + b  # noqa: E731
    return row("jit dispatch: 4-element f32 add", {
        "mirax": lambda: (mirax.jit(add), to_mirax(x, x)),
        "JAX": lambda: (jax_jit(add), to_jax(x, x)),
        "NumPy": lambda: (add, (x, x)),
    }, rounds, calls_per_round=200, check=close(0))


def chain_row(size, rounds):
    x = np.random.default_rng(0).uniform(-3, 3, size).astype(np.float32)
    return row(f"elementwise chain, 8 ops, {size:,} f32", {
        "mirax": lambda: (mirax.jit(functools.partial(elementwise_chain, mnp)), to_mirax(x)),
        "JAX": lambda: (jax_jit(functools.partial(elementwise_chain, jnp)), to_jax(x)),
        "NumPy": lambda: (functools.partial(elementwise_chain, np), (x,)),
    }, rounds, check=close(1e-5, 1e-5))


REDUCTIONS = {  # name: the same function for every xp
    "sum": lambda xp, x: xp.sum(x),
    "mean": lambda xp, x: xp.mean(x),
    "var": lambda xp, x: xp.var(x),
    "row sums": lambda xp, x: xp.sum(x.reshape(1000, -1), axis=1),
    "column sums": lambda xp, x: xp.sum(x.reshape(-1, 1000), axis=0),
    "dot": lambda xp, x: xp.dot(x, x),
    "cumsum": lambda xp, x: xp.cumsum(x),
}


def reduction_row(what, size, rounds):
    """A float32 reduction of `size` elements under jit (REDUCTIONS)."""
    x = np.random.default_rng(0).standard_normal(size, dtype=np.float32)
    fn = REDUCTIONS[what]
    return row(f"reduction: {what}, {size:,} f32", {
        "mirax": lambda: (mirax.jit(functools.partial(fn, mnp)), to_mirax(x)),
        "JAX": lambda: (jax_jit(functools.partial(fn, jnp)), to_jax(x)),
        "NumPy": lambda: (functools.partial(fn, np), (x,)),
    }, rounds, check=lambda got, want: np.allclose(got, want, rtol=1e-3, atol=1e-4 * np.abs(want).max()))


def matmul_row(n, rounds):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))

    def mirax_dot():
        if not hasattr(mnp, "dot"):
            raise Skip("mirax.numpy.dot is missing")
        return mirax.jit(mnp.dot), to_mirax(a, b)

    return row(f"matmul {n}x{n} f32 (dot under jit)", {
        "mirax": mirax_dot,
        "JAX": lambda: (jax_jit(lambda x, y: jnp.dot(x, y)), to_jax(a, b)),
        "NumPy": lambda: (np.dot, (a, b)),
    }, rounds, check=close(1e-3, 1e-3 * np.sqrt(n)))


def normal_row(size, rounds):
    """random.normal(key, (size,)) under jit, with the default threefry layout: mirax
    must draw JAX's numbers bit for bit. NumPy's column is its own generator
    (default_rng's ziggurat), for scale only."""
    def mirax_normal():
        return mirax.jit(lambda key: mirax.random.normal(key, (size,))), (mirax.random.key(0),)

    def jax_normal():
        return jax_jit(lambda key: jax.random.normal(key, (size,))), (jax.random.key(0),)

    rng = np.random.default_rng(0)
    return row(f"random.normal, {size:,} f32 (jit)", {
        "mirax": mirax_normal,
        "JAX": jax_normal,
        "NumPy": lambda: (functools.partial(rng.standard_normal, size, np.float32), ()),
    }, rounds, check=close(0), reference="JAX")


def mlp_loss(xp, params, x, y):
    """The 3-layer MLP of the autodiff issue: tanh hidden layers, squared error."""
    h = x
    for W, b in params[:-1]:
        h = xp.tanh(xp.dot(h, W) + b)
    W, b = params[-1]
    return xp.mean((xp.dot(h, W) + b - y) ** 2)


def mlp_rows(rounds, quick):
    """jit(grad(loss)) of a 784-512-512-10 MLP on a batch of 128, and its forward pass
    alone (mirax's gradient over forward ratio is printed under the table)."""
    sizes = (784, 64, 64, 10) if quick else (784, 512, 512, 10)
    rng = np.random.default_rng(0)
    params = [(0.05 * rng.standard_normal((a, b), dtype=np.float32), np.zeros(b, np.float32))
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((128, sizes[0]), dtype=np.float32)
    y = rng.standard_normal((128, sizes[-1]), dtype=np.float32)
    jax_params = jax.tree_util.tree_map(jnp.asarray, params) if jax else None
    rows = []
    for what, transform in (("grad", lambda f: f), ("forward", None)):
        def mirax_fn(transform=transform):
            loss = functools.partial(mlp_loss, mnp)
            return mirax.jit(mirax.grad(loss) if transform else loss), (params, *to_mirax(x, y))

        def jax_fn(transform=transform):
            loss = functools.partial(mlp_loss, jnp)
            return jax_jit(jax.grad(loss) if transform else loss), (jax_params, *to_jax(x, y))

        name = f"MLP {'-'.join(map(str, sizes))} batch 128: jit({'grad' if transform else 'loss'})"
        rows.append(row(name, {"mirax": mirax_fn, "JAX": jax_fn}, rounds,
                        check=None if transform else close(1e-4, 1e-5)))
    return rows


def conv_rows(rounds, quick):
    """A 3x3 convolution (SAME, NCHW/OIHW) of a 128x32x28x28 float32 batch with 32
    filters: forward, its gradients with respect to the input and to the kernel; 2x2
    max pooling (stride 2) forward and backward; and jit(grad) of the loss of
    examples/cnn.py's network on a batch of 128."""
    n, c, size = (8, 8, 14) if quick else (128, 32, 28)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = 0.1 * rng.standard_normal((c, c, 3, 3), dtype=np.float32)
    conv_out = rng.standard_normal((n, c, size, size), dtype=np.float32)
    pool_out = rng.standard_normal((n, c, size // 2, size // 2), dtype=np.float32)

    def programs(t):
        conv = lambda x, w: t.lax.conv_general_dilated(x, w, (1, 1), "SAME")  # noqa: E731
        pool = lambda x: t.lax.reduce_window(x, -np.inf, t.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")  # noqa: E731
        return {
            "conv 3x3 forward": (conv, (x, w)),
            "conv 3x3 gradient (input)": (t.grad(lambda x, w, g: (conv(x, w) * g).sum()), (x, w, conv_out)),
            "conv 3x3 gradient (kernel)": (t.grad(lambda x, w, g: (conv(x, w) * g).sum(), 1), (x, w, conv_out)),
            "max pool 2x2 forward": (pool, (x,)),
            "max pool 2x2 backward": (t.grad(lambda x, g: (pool(x) * g).sum()), (x, pool_out)),
        }

    rows = []
    for what in programs(mirax):
        def mirax_fn(what=what):
            fn, args = programs(mirax)[what]
            return mirax.jit(fn), to_mirax(*args)

        def jax_fn(what=what):
            fn, args = programs(jax)[what]
            return jax_jit(fn), to_jax(*args)

        rows.append(row(f"{what}: {n}x{c}x{size}x{size} f32", {"mirax": mirax_fn, "JAX": jax_fn}, rounds,
                        check=close(2e-3, 2e-3), reference="JAX"))
    rows.append(cnn_row(rounds, quick))
    return rows


def cnn_row(rounds, quick):
    """jit(grad) of examples/cnn.py's loss (two 3x3 convolutions with ReLU and max
    pooling, two dense layers) on a batch of 128 16x16 images."""
    batch = 16 if quick else 128
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, 16, 16, 1), dtype=np.float32)
    labels = rng.integers(0, 4, batch)

    def build(t):
        stax = importlib.import_module(f"{t.__name__}.example_libraries.stax")
        init, predict = stax.serial(
            stax.Conv(8, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
            stax.Conv(16, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
            stax.Flatten, stax.Dense(64), stax.Relu, stax.Dense(4), stax.LogSoftmax)
        _, params = init(t.random.PRNGKey(0), (-1, 16, 16, 1))
        targets = t.nn.one_hot(labels, 4)

        def loss(params, images):
            return -(predict(params, images) * targets).sum(-1).mean()
        return t.grad(loss), params

    def mirax_fn():
        grad, params = build(mirax)
        return mirax.jit(grad), (params, *to_mirax(images))

    def jax_fn():
        grad, params = build(jax)
        return jax_jit(grad), (params, *to_jax(images))

    return row(f"CNN of examples/cnn.py batch {batch}: jit(grad)", {"mirax": mirax_fn, "JAX": jax_fn}, rounds)


def per_example_row(batch, rounds, quick):
    """Per-example gradients, jit(vmap(grad(loss), in_axes=(None, 0, 0))), of a small
    MLP's loss on one example, over a batch: the seeds' flagship composition."""
    sizes = (32, 32, 10)
    rng = np.random.default_rng(1)
    params = [(0.1 * rng.standard_normal((a, b), dtype=np.float32), np.zeros(b, np.float32))
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.standard_normal((batch, sizes[-1]), dtype=np.float32)

    def build(xp, transforms, params, x, y):
        loss = functools.partial(mlp_loss, xp)
        return transforms.jit(transforms.vmap(transforms.grad(loss), in_axes=(None, 0, 0))), (params, x, y)

    def jax_build():
        return build(jnp, jax, jax.tree_util.tree_map(jnp.asarray, params), *to_jax(x, y))

    return row(f"per-example grads: jit(vmap(grad)), MLP 32-32-10, batch {batch:,}", {
        "mirax": lambda: build(mnp, mirax, params, *to_mirax(x, y)),
        "JAX": lambda: (lambda fn, args: (lambda *a: jax.block_until_ready(fn(*a)), args))(*jax_build()),
    }, rounds, check=lambda got, want: True)


def mjp_rows(rounds):
    """The seed's matrix-Jacobian products: vmap(vjp_fun)(M) against a Python loop of
    vjp_fun over M's 128 rows (mirax's speedup is printed under the table)."""
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal(3, dtype=np.float32), np.float32(0.3)
    inputs = rng.standard_normal((4, 3), dtype=np.float32)
    M = rng.standard_normal((128, 4), dtype=np.float32)

    def mjp(xp, transforms, vectorized):
        f = lambda W: 0.5 * (xp.tanh((xp.dot(inputs, W) + b) / 2) + 1)  # noqa: E731 (the seed's predict)

        def run(W, M):
            y, vjp_fun = transforms.vjp(f, W)
            if vectorized:
                return transforms.vmap(vjp_fun)(M)[0]
            return xp.stack([vjp_fun(m)[0] for m in M])
        return run

    rows = []
    for vectorized in (True, False):
        jax_fn = lambda vectorized=vectorized: (mjp(jnp, jax, vectorized), to_jax(W, M))  # noqa: E731
        rows.append(row(f"matrix-Jacobian product, 128 rows: {'vmap(vjp_fun)' if vectorized else 'Python loop'}", {
            "mirax": lambda vectorized=vectorized: (mjp(mnp, mirax, vectorized), to_mirax(W, M)),
            "JAX": jax_fn if jax else lambda: (_ for _ in ()).throw(Skip(JAX_MISSING)),
        }, rounds if vectorized else max(3, rounds // 4), check=close(1e-5, 1e-6), reference="JAX"))
    return rows


# ----------------------------------------------------------------------------- workloads (issue 22)


def td_loss(xp, stop_gradient, theta, s_tm1, r_t, s_t):
    """The seeds' TD(0) loss of a linear value function."""
    v_tm1 = xp.dot(theta, s_tm1)
    target = r_t + xp.dot(theta, s_t)
    return -0.5 * (stop_gradient(target) - v_tm1) ** 2


def rnn_loss(xp, lax, params, xs):
    """A tanh RNN over xs [steps, batch, in] through lax.scan; squared final state."""
    W, U, b = params

    def step(h, x):
        h = xp.tanh(xp.dot(h, W) + xp.dot(x, U) + b)
        return h, h
    h, hs = lax.scan(step, xp.zeros((xs.shape[1], W.shape[0]), xs.dtype), xs)
    return xp.mean(hs ** 2)


def cross_entropy(xp, nn, logits, labels):
    return -xp.mean(xp.sum(nn.log_softmax(logits) * labels, axis=-1))


def layer_norm(xp, x, gain, bias, ct):
    mean = xp.mean(x, axis=-1, keepdims=True)
    var = xp.var(x, axis=-1, keepdims=True)
    return xp.sum(((x - mean) / xp.sqrt(var + 1e-5) * gain + bias) * ct)


def attention(xp, nn, q, k, v, ct):
    """Single-head attention softmax(q k^T / sqrt(d)) v, contracted with a cotangent."""
    scores = xp.dot(q, k.T) / np.float32(np.sqrt(q.shape[-1]))
    return xp.sum(xp.dot(nn.softmax(scores, axis=-1), v) * ct)


def workload_rows(rounds, quick):
    """What users write: per-example TD gradients, an RNN through scan, softmax
    cross-entropy, layer norm, attention and matrix-vector products (each its
    gradient under jit where it has one), with the bytes moved or flops done that
    the fraction of the machine's peak is computed from."""
    rng = np.random.default_rng(6)
    f32 = lambda *shape, scale=1.0: (scale * rng.standard_normal(shape)).astype(np.float32)  # noqa: E731
    scale = 8 if quick else 1
    batch, features = 4096 // scale, 256
    steps, hidden, rnn_batch = 200 // scale, 64, 32
    n_ln, n_attn, n_mv = 4096 // scale, 512 // scale, 4096 // scale
    # name -> (arguments, work: bytes the program must read or write at least, or flops)
    data = {
        f"per-example TD grads: jit(vmap(grad)), {batch:,}x{features}": (
            (f32(features), f32(batch, features), f32(batch), f32(batch, features)),
            ("bytes", 4 * 3 * batch * features)),
        f"RNN jit(grad) through scan, {steps} steps, hidden {hidden}, batch {rnn_batch}": (
            ((f32(hidden, hidden, scale=0.1), f32(hidden, hidden, scale=0.1), f32(hidden)),
             f32(steps, rnn_batch, hidden)),
            ("flops", 3 * steps * 2 * 2 * rnn_batch * hidden * hidden)),
        "softmax cross-entropy jit(grad), 1024x1000": (
            (f32(1024, 1000), np.eye(1000, dtype=np.float32)[rng.integers(0, 1000, 1024)]),
            ("bytes", 4 * 3 * 1024 * 1000)),
        f"layer norm jit(grad), {n_ln}x1024": (
            (f32(n_ln, 1024), f32(1024), f32(1024), f32(n_ln, 1024)),
            ("bytes", 4 * 3 * n_ln * 1024)),
        f"attention jit(grad), sequence {n_attn}, width 64": (
            (f32(n_attn, 64), f32(n_attn, 64), f32(n_attn, 64), f32(n_attn, 64)),
            ("flops", 3 * 2 * 2 * n_attn * n_attn * 64)),
        f"matrix-vector {n_mv}x{n_mv} f32 (jit)": (
            (f32(n_mv, n_mv), f32(n_mv)), ("bytes", 4 * n_mv * n_mv)),
        f"transposed matrix-vector dot(a.T, x) {n_mv}x{n_mv} f32 (jit)": (
            (f32(n_mv, n_mv), f32(n_mv)), ("bytes", 4 * n_mv * n_mv)),
        f"batched matrix-vector 16x{n_mv}x{n_mv} f32 (jit)": (
            (f32(16, n_mv, n_mv), f32(16, n_mv)), ("bytes", 4 * 16 * n_mv * n_mv)),
    }

    def programs(t, xp):
        return dict(zip(data, (
            t.vmap(t.grad(functools.partial(td_loss, xp, t.lax.stop_gradient)), in_axes=(None, 0, 0, 0)),
            t.grad(functools.partial(rnn_loss, xp, t.lax)),
            t.grad(functools.partial(cross_entropy, xp, t.nn)),
            t.grad(functools.partial(layer_norm, xp)),
            t.grad(functools.partial(attention, xp, t.nn), argnums=(0, 1, 2)),
            lambda a, x: xp.dot(a, x),
            lambda a, x: xp.dot(a.T, x),
            lambda a, x: xp.einsum("bij,bj->bi", a, x),
        ), strict=True))

    rows = []
    for what, (args, work) in data.items():
        def mirax_fn(what=what, args=args):
            return mirax.jit(programs(mirax, mnp)[what]), mirax.tree_util.tree_map(mnp.asarray, args)

        def jax_fn(what=what, args=args):
            if jax is None:
                raise Skip(JAX_MISSING)
            return jax_jit(programs(jax, jnp)[what]), jax.tree_util.tree_map(jnp.asarray, args)

        rows.append(row(what, {"mirax": mirax_fn, "JAX": jax_fn}, rounds, check=close(2e-3, 2e-4),
                        reference="JAX", work=work))
    return rows


def compile_row(rounds):
    """First call of a fresh jit of a 50-op function: trace, lower, LLVM, run once on
    1000 elements. Every round compiles a program with a new constant, so no cache
    of either framework can answer it."""
    x = np.linspace(-1, 1, 1000, dtype=np.float32)
    constants = (0.5 + 1e-4 * i for i in itertools.count())

    def first_call(jit, xp, array):
        return jit(functools.partial(fifty_ops, xp, c=next(constants)))(array)

    return row("compile: first call of a 50-op jit", {
        "mirax": lambda: (functools.partial(first_call, mirax.jit, mnp), to_mirax(x)),
        "JAX": lambda: (functools.partial(first_call, jax_jit, jnp), to_jax(x)),
    }, rounds)


def cached_compile_rows(rounds):
    """The first calls of the 50-op jit and of the small MLP's jit(grad) (the latency
    row's) when mirax's persistent cache holds the program, as in a second process
    (the in-memory caches are cleared every round), beside JAX's first calls with its
    default configuration (its persistent cache off)."""
    x = np.linspace(-1, 1, 1000, dtype=np.float32)
    params, a, b = small_mlp(np.random.default_rng(7))

    def fifty(jit, xp, clear, array):
        clear()
        return jit(functools.partial(fifty_ops, xp, c=0.5))(array)

    def mlp_grad(jit, grad, xp, clear, params, a, b):
        clear()
        return jit(grad(functools.partial(mlp_loss, xp)))(params, a, b)

    def jax_params():
        return jax.tree_util.tree_map(jnp.asarray, params)

    return [row("compile: the 50-op jit, the program in mirax's disk cache", {
        "mirax": lambda: (functools.partial(fifty, mirax.jit, mnp, mirax.clear_caches), to_mirax(x)),
        "JAX": lambda: (functools.partial(fifty, jax_jit, jnp, jax.clear_caches), to_jax(x)),
    }, rounds), row("compile: the MLP's jit(grad), the program in mirax's disk cache", {
        "mirax": lambda: (functools.partial(mlp_grad, mirax.jit, mirax.grad, mnp, mirax.clear_caches),
                          (params, *to_mirax(a, b))),
        "JAX": lambda: (functools.partial(mlp_grad, jax_jit, jax.grad, jnp, jax.clear_caches),
                        (jax_params(), *to_jax(a, b))),
    }, rounds)]


def small_mlp(rng):
    sizes = (32, 64, 64, 8)
    params = [(0.1 * rng.standard_normal((a, b), dtype=np.float32), np.zeros(b, np.float32))
              for a, b in zip(sizes[:-1], sizes[1:])]
    return params, rng.standard_normal((16, 32), dtype=np.float32), rng.standard_normal((16, 8), dtype=np.float32)


def twelve_ops(xp, x, y):
    """12 small ops, each dispatched on its own outside jit."""
    a = xp.tanh(x) * y + x
    e = xp.matmul(xp.exp(a), y)
    h = xp.maximum(e / (xp.sum(e) + 1.0), x) - y
    return xp.sqrt(xp.abs(h - xp.mean(h)))


def latency_rows(rounds):
    """What a notebook waits for: the first call of a fresh jit(grad) of a small MLP
    (a new constant every round, so no in-memory cache answers; run with an empty
    MIRAX_CACHE_DIR), and 12 eager ops on n x n float32, at a new n every round (64,
    65, ...) and again on 64x64 (JAX's: each op dispatched, the last result awaited)."""
    params, x, y = small_mlp(np.random.default_rng(7))
    constants = (1 + 1e-4 * i for i in itertools.count())

    def first_grad(jit, grad, xp, params, x, y):
        c = next(constants)
        return jit(grad(lambda p, a, b: mlp_loss(xp, p, a * c, b)))(params, x, y)

    def jax_params():
        return jax.tree_util.tree_map(jnp.asarray, params)

    rng = np.random.default_rng(8)
    arrays = [[rng.standard_normal((n, n), dtype=np.float32) for _ in range(2)] for n in range(64, 100)]

    def eager(xp, new_shape):
        if xp is None:
            raise Skip(JAX_MISSING)
        pairs = [[xp.asarray(a) for a in pair] for pair in (arrays if new_shape else arrays[:1])]
        fresh = iter(pairs)

        def twelve():
            out = twelve_ops(xp, *(next(fresh) if new_shape else pairs[0]))
            return out if xp is mnp else out.block_until_ready()
        return twelve, ()

    return [row("latency: first call of a fresh jit(grad), MLP 32-64-64-8 batch 16", {
        "mirax": lambda: (functools.partial(first_grad, mirax.jit, mirax.grad, mnp), (params, *to_mirax(x, y))),
        "JAX": lambda: (functools.partial(first_grad, jax_jit, jax.grad, jnp), (jax_params(), *to_jax(x, y))),
    }, min(rounds, 5))] + [row(f"latency: 12 eager ops, n x n f32, {what}", {
        "mirax": lambda new_shape=new_shape: eager(mnp, new_shape),
        "JAX": lambda new_shape=new_shape: eager(jnp, new_shape),
    }, min(rounds, 5) if new_shape else rounds) for what, new_shape in (("first call at a new n", True),
                                                                        ("again at n = 64", False))]


def linalg_rows(n, rounds):
    """cholesky and solve of an n x n float32 positive-definite matrix (solve with n
    right-hand sides) under jit, and jit(grad) of the sum of their results in the
    matrix. NumPy (LAPACK) has no gradient; those rows compare with JAX."""
    rng = np.random.default_rng(3)
    r = rng.standard_normal((n, n), dtype=np.float32)
    a = (r @ r.T / n + np.eye(n, dtype=np.float32)).astype(np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)

    def programs(xp):
        def grad_of(f):
            return lambda a, *rest: xp.sum(f(a, *rest))
        return {"cholesky": (xp.linalg.cholesky, (a,)), "solve": (xp.linalg.solve, (a, b)),
                "grad cholesky": (grad_of(xp.linalg.cholesky), (a,)), "grad solve": (grad_of(xp.linalg.solve), (a, b))}

    rows = []
    for what in ("cholesky", "solve", "grad cholesky", "grad solve"):
        def mirax_fn(what=what):
            fn, args = programs(mnp)[what]
            return mirax.jit(mirax.grad(fn) if what.startswith("grad") else fn), to_mirax(*args)

        def jax_fn(what=what):
            fn, args = programs(jnp)[what] if jax else (None, ())
            return jax_jit(jax.grad(fn) if what.startswith("grad") else fn), to_jax(*args)

        contenders = {"mirax": mirax_fn, "JAX": jax_fn}
        if not what.startswith("grad"):
            contenders["NumPy"] = lambda what=what: programs(np)[what]
        rows.append(row(f"{what} {n}x{n} f32 (jit)", contenders, rounds,
                        check=close(2e-3, 2e-3), reference="NumPy" if "NumPy" in contenders else "JAX"))
    if n >= 1024:  # compile time, which grew with n while the blocked lowerings were unrolled
        rows += [fresh_compile_row(f"compile: jit(cholesky) {n}x{n} f32", "cholesky", a, rounds),
                 fresh_compile_row(f"compile: jit(solve) {n}x{n} f32", "solve", a, rounds, b)]
    return rows


def fresh_compile_row(name, function, a, rounds, *rest):
    """Lowering and compiling jit(linalg.`function`) of `a` times a new constant every
    round (a program no cache holds), and of `rest`, nothing run, mirax against JAX."""
    constants = (1 + 1e-4 * i for i in itertools.count())

    def compile_once(jit, xp, array, *others):
        c = next(constants)
        return jit(lambda a, *r: getattr(xp.linalg, function)(a * c, *r)).lower(array, *others).compile()

    def jax_compile():
        args = to_jax(a, *rest)  # Skip without JAX
        return functools.partial(compile_once, jax.jit, jnp), args

    return row(name, {
        "mirax": lambda: (functools.partial(compile_once, mirax.jit, mnp), to_mirax(a, *rest)),
        "JAX": jax_compile,
    }, rounds)


def svd_rows(n, rounds):
    """jnp.linalg.svd of an n x n float32 matrix under jit (checked through its
    reconstruction u diag(s) vh), against JAX and NumPy (LAPACK's gesdd), and the
    compile time of jit(svd) (lower and compile, nothing run) against JAX's, of a new
    program every round (the svd of a times a new constant) that no cache holds."""
    a = np.random.default_rng(5).standard_normal((n, n), dtype=np.float32)

    def reconstructed(xp):
        def fn(a):
            u, s, vh = xp.linalg.svd(a)
            return (u * s) @ vh
        return fn

    return [row(f"svd {n}x{n} f32 (jit)", {
        "mirax": lambda: (mirax.jit(reconstructed(mnp)), to_mirax(a)),
        "JAX": lambda: (jax_jit(reconstructed(jnp)), to_jax(a)),
        "NumPy": lambda: (reconstructed(np), (a,)),
    }, rounds, check=close(1e-3, 1e-3)), fresh_compile_row(f"compile: jit(svd) {n}x{n} f32", "svd", a, rounds)]


def eig_rows(n, rounds):
    """jnp.linalg.eig of an n x n float32 matrix under jit (eigenvalues and right
    eigenvectors; checked through the sorted eigenvalues), against JAX and NumPy
    (LAPACK's geev), and the compile time of jit(eig) against JAX's, a new program
    every round."""
    a = np.random.default_rng(6).standard_normal((n, n), dtype=np.float32)

    def eigenvalues(xp):
        def fn(a):
            w, v = xp.linalg.eig(a)
            return xp.sort_complex(w), v
        return fn

    def check(result, reference):  # the eigenvalues; eigenvectors are defined up to a phase
        return result.shape != (n,) or np.allclose(result, reference, rtol=1e-3, atol=1e-3)

    return [row(f"eig {n}x{n} f32 (jit)", {
        "mirax": lambda: (mirax.jit(eigenvalues(mnp)), to_mirax(a)),
        "JAX": lambda: (jax_jit(eigenvalues(jnp)), to_jax(a)),
        "NumPy": lambda: (eigenvalues(np), (a,)),
    }, rounds, check=check), fresh_compile_row(f"compile: jit(eig) {n}x{n} f32", "eig", a, rounds)]


def fft_rows(n, rounds):
    """jnp.fft.fft of a complex64 [n, n] along its last axis and rfft2 of a float32
    [n, n], under jit, against JAX (DUCC) and NumPy (pocketfft, in float64)."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(np.complex64)
    r = rng.standard_normal((n, n), dtype=np.float32)
    rows = []
    for what, arg in (("fft", x), ("rfft2", r)):
        contenders = {
            "mirax": lambda what=what, arg=arg: (mirax.jit(getattr(mnp.fft, what)), to_mirax(arg)),
            "JAX": lambda what=what, arg=arg: (jax_jit(getattr(jnp.fft, what) if jax else None), to_jax(arg)),
            "NumPy": lambda what=what, arg=arg: (getattr(np.fft, what), (arg,)),
        }
        dtype = "c64" if what == "fft" else "f32"
        rows.append(row(f"{what} {n}x{n} {dtype} (jit)", contenders, rounds, check=close(1e-3, 1e-2 * np.sqrt(n)),
                        reference="JAX"))
    return rows


def _thread_cpu_ticks():
    """CPU time (clock ticks) of each thread of this process, from /proc."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        ticks[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def jax_threads(size):
    """The share of CPU time each thread took while JAX ran the elementwise chain (the
    busiest first, threads under 5% left out): counted per thread, so that load from
    other processes does not skew it as wall time would."""
    if jax is None or not os.path.isdir("/proc/self/task"):
        return None
    fn = jax_jit(functools.partial(elementwise_chain, jnp))
    x = to_jax(np.random.default_rng(0).uniform(-3, 3, size).astype(np.float32))[0]
    fn(x)
    before, start = _thread_cpu_ticks(), time.perf_counter()
    while time.perf_counter() - start < 1.0:  # clock ticks are 10 ms: run long enough
        fn(x)
    after = _thread_cpu_ticks()
    used = [after[t] - before.get(t, 0) for t in after]
    total = sum(used) or 1
    return sorted((u / total for u in used if u / total >= 0.05), reverse=True)


# ----------------------------------------------------------------------------- table


def fmt_time(seconds):
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


def machine_peaks():
    """The machine's memory bandwidth and float32 FMA rate as measured here, on all
    cores: NumPy copying 256 MB arrays on one thread per core (bytes read + written per
    second), and OpenBLAS's 4096x4096 sgemm (NumPy's dot). Best of 3."""
    import concurrent.futures
    cores = os.cpu_count()
    src, dst = np.ones((cores, 2**26), np.float32), np.empty((cores, 2**26), np.float32)
    a = np.ones((4096, 4096), np.float32)

    def best(fn):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)
    with concurrent.futures.ThreadPoolExecutor(cores) as pool:
        copy = best(lambda: list(pool.map(lambda i: np.copyto(dst[i], src[i]), range(cores))))
    return {"bytes": 2 * src.nbytes / copy, "flops": 2 * 4096**3 / best(lambda: a @ a)}


def print_table(rows):
    header = ("benchmark", "mirax", "JAX", "NumPy", "mirax/JAX", "mirax/NumPy", "mirax of peak")
    peaks = machine_peaks() if any(work for *_, work in rows) else {}
    lines, notes = [], []
    for name, times, skipped, work in rows:
        m, j, n = (times.get(k) for k in ("mirax", "JAX", "NumPy"))
        peak = f"{work[1] / m / peaks[work[0]]:.0%} {'BW' if work[0] == 'bytes' else 'FMA'}" if work and m else ""
        lines.append((name, fmt_time(m), fmt_time(j), fmt_time(n), fmt_ratio(m, j), fmt_ratio(m, n), peak))
        notes += [f"{name}: {who} skipped: {why}" for who, why in skipped.items()]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths)] + lines:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
    for note in notes:
        print(f"  {note}")
    if peaks:
        print(f"\npeaks measured now: memory bandwidth {peaks['bytes'] / 1e9:.1f} GB/s (NumPy copies, a thread "
              f"per core), float32 FMA {peaks['flops'] / 1e9:.0f} GFLOP/s (OpenBLAS sgemm 4096, NumPy's dot)")


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = f"Python {platform.python_version()}, NumPy {np.__version__}"
    if jax is not None:
        versions += f", jax {jax.__version__}"
    return f"{cpu}, {os.cpu_count()} cores; {versions}"


# Groups of rows, in the table's order: group -> (rounds, quick) -> rows.
GROUPS = {
    "dispatch": lambda rounds, quick: [dispatch_row(rounds)],
    "elementwise": lambda rounds, quick: [chain_row(size, rounds) for size in ((10**5,) if quick else (10**6, 10**7))],
    "reduction": lambda rounds, quick: [reduction_row(what, 10**5 if quick else 10**7, rounds) for what in REDUCTIONS],
    "matmul": lambda rounds, quick: [matmul_row(n, rounds if n <= 512 else 5) for n in ((128,) if quick else (512, 2048))],
    "random": lambda rounds, quick: [normal_row(10**5 if quick else 10**7, rounds)],
    "linalg": lambda rounds, quick: [r for n in ((64,) if quick else (256, 1024))
                                     for r in linalg_rows(n, rounds if n <= 256 else 5)],
    "svd": lambda rounds, quick: [r for n in ((64,) if quick else (256, 1024))
                                  for r in svd_rows(n, rounds if n <= 256 else 1)],
    "eig": lambda rounds, quick: eig_rows(64 if quick else 256, rounds),
    "fft": lambda rounds, quick: fft_rows(128 if quick else 1024, rounds),
    "mlp": lambda rounds, quick: mlp_rows(rounds, quick),
    "conv": lambda rounds, quick: conv_rows(rounds, quick),
    "per-example": lambda rounds, quick: [per_example_row(256 if quick else 4096, rounds, quick)],
    "mjp": lambda rounds, quick: mjp_rows(rounds),
    "workloads": lambda rounds, quick: workload_rows(rounds, quick),
    "compile": lambda rounds, quick: [compile_row(rounds if quick else 5),
                                      *cached_compile_rows(rounds if quick else 5)],
    "latency": lambda rounds, quick: latency_rows(rounds),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds: a smoke run")
    parser.add_argument("--only", help="comma-separated groups of rows to run, of: " + ", ".join(GROUPS))
    args = parser.parse_args(argv)
    quick, only = args.quick, args.only.split(",") if args.only else list(GROUPS)
    if unknown := set(only) - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; the groups are {', '.join(GROUPS)}")
    rounds = 3 if quick else 21
    print(f"{datetime.date.today()} | {machine()}{' | --quick' if quick else ''}\n")
    started = time.perf_counter()
    rows = {group: GROUPS[group](rounds, quick) for group in only}
    print_table([r for group in rows.values() for r in group])
    if "mjp" in rows and all(r[1].get("mirax") for r in rows["mjp"]):
        vectorized, loop = (r[1]["mirax"] for r in rows["mjp"])
        print(f"\nmirax's vmapped matrix-Jacobian product is {loop / vectorized:.0f}x faster than its Python loop")
    size = 10**6 if quick else 10**7
    shares = jax_threads(size) if "elementwise" in rows else None
    if shares is not None:
        print(f"\nJAX's threads on the {size:,}-element chain: {len(shares)} busy, "
              f"sharing its CPU time {' / '.join(f'{share:.0%}' for share in shares)}")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
