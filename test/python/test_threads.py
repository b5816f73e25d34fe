"""Threads: compiled calls, eager ops, tracing, new compilations and host callbacks from
8 threads at once give exactly the single-threaded results (and JAX's, within rounding)."""
import subprocess
import sys
import textwrap
import threading

import jax
import jax.numpy as jjnp
import numpy as np

import mirax
import mirax.numpy as jnp
from oracle import ROUNDING, check, rand

THREADS = 8
ROUNDS = 3
X = [rand((6, 5), seed=t) for t in range(THREADS)]
Y = rand((5, 7), seed=100)
W = rand((5,), seed=101)


def programs(m, np_):
    """name -> fn(thread, round) computing with `m` (mirax or jax) and its numpy."""
    shared = m.jit(lambda x, y: np_.tanh(x @ y).sum(0) + 1.0)  # one executable, called by every thread

    return {
        "compiled": lambda t, r: shared(X[t], Y),
        "eager": lambda t, r: np_.sin(np_.asarray(X[t])) * 2.0 + np_.cumsum(np_.asarray(X[t]), axis=1),
        # A new function each call: traced in the thread, its program compiled once.
        "traced": lambda t, r: m.jit(lambda x: np_.exp(x) * (t + 1.0) - x[0])(X[t]),
        "grad": lambda t, r: m.grad(lambda w: np_.sum(np_.tanh(np_.asarray(X[t]) @ w)))(W),
        "jvp": lambda t, r: m.jvp(lambda x: np_.sin(x) * x, (X[t],), (X[(t + 1) % THREADS],)),
        "vmap": lambda t, r: m.vmap(lambda row: np_.dot(row, row) + np_.max(row))(X[t]),
        "scan": lambda t, r: m.lax.scan(lambda c, x: (c * 0.5 + x, c), np_.zeros(5), np_.asarray(X[t]))[0],
    }


def run_threads(work):
    """work(t) in THREADS threads started together; the results, or the first error."""
    barrier = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def run(t):
        try:
            barrier.wait()
            results[t] = work(t)
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    if errors:
        raise errors[0]
    return results


def test_mixed_work_from_threads_matches_single_thread():
    ops = programs(mirax, jnp)
    expected = {name: [op(t, 0) for t in range(THREADS)] for name, op in ops.items()}  # single-threaded

    def work(t):
        out = []
        for r in range(ROUNDS):
            for name, op in ops.items():
                out.append((name, op(t, r)))
            # New shapes: a new trace and compile in each thread, of a program exact in floats.
            shape = (3 + t, 2 + r)
            fresh = mirax.jit(lambda x: jnp.sum(x * x, axis=0) + x.shape[0])
            out.append(("fresh", shape, fresh(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))))
        return out

    for t, out in enumerate(run_threads(work)):
        for entry in out:
            if entry[0] == "fresh":
                _, shape, got = entry
                x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
                check(got, (x * x).sum(0) + np.float32(shape[0]))
            else:
                name, got = entry
                mirax.tree_util.tree_map(check, got, expected[name][t])  # exactly

    jax_ops = programs(jax, jjnp)
    for name in ops:
        for t in range(THREADS):
            jax.tree_util.tree_map(lambda g, w: check(g, w, tolerance={"f4": 1e-5}), expected[name][t],
                                   jax_ops[name](t, 0))


def test_host_callback_errors_stay_in_their_thread():
    """A custom_vjp's bwd runs as a host callback inside compiled code; its exception is
    raised by the call that ran it, in its thread, and nowhere else."""

    @mirax.custom_vjp
    def f(x):
        return jnp.sin(x)

    def bwd(c, g):
        if float(g.sum()) < 0:
            raise ValueError("negative cotangent")
        return (c * g,)

    f.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), bwd)

    def work(t):
        sign = -1.0 if t % 2 else 1.0  # odd threads' bwd raises
        out = []
        for _ in range(2):  # each call compiles a program (the callback is per call site)
            try:
                out.append(mirax.grad(lambda x: sign * f(x).sum())(X[t]))
            except ValueError as err:
                out.append(str(err))
        return out

    for t, out in enumerate(run_threads(work)):
        for got in out:
            if t % 2:
                assert got == "negative cotangent"
            else:
                check(got, jax.grad(lambda x: jjnp.sin(x).sum())(X[t]), tolerance=ROUNDING)


def test_first_use_from_threads_at_once():
    """The context, the OpenMP runtime and the allocator are set up on first use: four
    threads starting at once in a fresh process must all get the right result."""
    script = textwrap.dedent("""
        import threading
        import numpy as np
        import mirax, mirax.numpy as jnp
        barrier, out = threading.Barrier(4), {}
        def run(t):
            barrier.wait()
            out[t] = np.asarray(mirax.jit(lambda x: x * 2.0 + t)(jnp.arange(3.0)))
        threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        for t in range(4):
            np.testing.assert_array_equal(out[t], np.arange(3.0) * 2 + t)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
