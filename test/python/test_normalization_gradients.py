"""Normalizations' and softmax cross-entropy's gradients (row reductions, divisions by a
per-row scale, whose derivative is JAX's -t x y^-2) against JAX, on row counts that cut
into mirax-parallelize's blocks evenly and not, and bit for bit equal to the same
programs on one thread (OMP_NUM_THREADS=1 in a subprocess)."""
import os
import pickle
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jjnp
import numpy as np

import mirax
import mirax.numpy as jnp

PROGRAMS = textwrap.dedent("""
    import functools
    import numpy as np

    def programs(m, np_, nn):
        def layer_norm(x, gain, bias, ct):
            mean = np_.mean(x, axis=-1, keepdims=True)
            var = np_.var(x, axis=-1, keepdims=True)
            return np_.sum(((x - mean) / np_.sqrt(var + 1e-5) * gain + bias) * ct)

        def rms_norm(x, ct):
            return np_.sum(x / np_.sqrt(np_.mean(x * x, axis=-1, keepdims=True) + 1e-6) * ct)

        def cross_entropy(logits, labels):
            return -np_.mean(np_.sum(nn.log_softmax(logits) * labels, axis=-1))

        return {
            "layer norm, x": (m.grad(layer_norm), ((2048, 512), (512,), (512,), (2048, 512))),
            "layer norm, all": (m.grad(layer_norm, argnums=(0, 1, 2)), ((1000, 300), (300,), (300,), (1000, 300))),
            "layer norm, odd rows": (m.grad(layer_norm), ((263, 1024), (1024,), (1024,), (263, 1024))),
            "layer norm, long rows": (m.grad(layer_norm), ((64, 8192), (8192,), (8192,), (64, 8192))),
            "rms norm": (m.grad(rms_norm), ((4096, 96), (4096, 96))),
            "cross-entropy": (m.grad(cross_entropy), ((512, 1000), (512, 1000))),
        }

    def inputs(shapes, seed):
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s).astype(np.float32) for s in shapes]
    """)
namespace = {}
exec(PROGRAMS, namespace)  # noqa: S102 - the same text runs in the one-thread subprocess

ONE_THREAD = PROGRAMS + textwrap.dedent("""
    import pickle, sys
    import jax, mirax, mirax.numpy as jnp, mirax.nn
    results = {name: [np.asarray(r) for r in jax.tree_util.tree_leaves(mirax.jit(fn)(*inputs(shapes, i)))]
               for i, (name, (fn, shapes)) in enumerate(programs(mirax, jnp, mirax.nn).items())}
    sys.stdout.buffer.write(pickle.dumps(results))
    """)


def test_normalizations_against_jax_and_one_thread():
    got = {name: [np.asarray(r) for r in jax.tree_util.tree_leaves(mirax.jit(fn)(*namespace["inputs"](shapes, i)))]
           for i, (name, (fn, shapes)) in enumerate(namespace["programs"](mirax, jnp, mirax.nn).items())}
    for i, (name, (fn, shapes)) in enumerate(namespace["programs"](jax, jjnp, jax.nn).items()):
        want = jax.tree_util.tree_leaves(jax.jit(fn)(*namespace["inputs"](shapes, i)))
        for g, w in zip(got[name], want, strict=True):
            np.testing.assert_allclose(g, np.asarray(w), rtol=2e-4, atol=2e-4 * float(np.abs(w).max()), err_msg=name)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", ONE_THREAD], env=env, capture_output=True, timeout=600, check=True)
    one_thread = pickle.loads(out.stdout)
    for name, results in got.items():
        for g, o in zip(results, one_thread[name], strict=True):
            np.testing.assert_array_equal(g, o, err_msg=name)



def test_division_derivative_as_jax():
    """d(x / y)/dy is JAX's -t x y^-2 (y^-2 once per row of a broadcast y): the same
    numbers as JAX's, infinities where y^-2 overflows included."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 32)).astype(np.float32)
    y = rng.uniform(0.5, 2.0, (64, 1)).astype(np.float32)
    y[0, 0] = 1e-30  # y^-2 overflows, as in JAX

    w = rng.standard_normal((64, 32)).astype(np.float32)

    def f(np_):
        return lambda x, y: np_.sum(np_.tanh(x / y + 0.5) * w)

    for argnums in (0, 1):
        got = mirax.jit(mirax.grad(f(jnp), argnums=argnums))(x, y)
        want = jax.jit(jax.grad(f(jjnp), argnums=argnums))(x, y)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-6, atol=1e-6)
