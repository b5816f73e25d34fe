"""Programs large enough for mirax-parallelize's OpenMP blocks (elementwise chains,
row and column reductions, matrix-vector products, normalizations' and softmax
cross-entropy's gradients, per-example TD gradients, a scan's stacked outputs) against JAX, and bit for bit equal to the same
programs run on one thread (OMP_NUM_THREADS=1 in a subprocess): only parallel loops are
cut, so no sum changes its order."""
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
    import numpy as np

    def programs(m, np_):
        def chain(x):
            return np_.exp(np_.tanh(np_.sin(x) * 2 + 1) * x * -0.5) - x

        def layer_norm(x, ct):
            mean = np_.mean(x, axis=-1, keepdims=True)
            return np_.sum((x - mean) / np_.sqrt(np_.var(x, axis=-1, keepdims=True) + 1e-5) * ct)

        def td(theta, s, r, s_next):
            return -0.5 * (m.lax.stop_gradient(r + np_.dot(theta, s_next)) - np_.dot(theta, s)) ** 2

        def stacked(h, xs):
            return m.lax.scan(lambda h, x: (np_.tanh(h * 0.9 + x), h), h, xs)[1].sum()

        def affine_layer_norm(x, gain, bias, ct):  # divisions by a per-row scale: d(x/y)/dy = -t x y^-2
            mean = np_.mean(x, axis=-1, keepdims=True)
            var = np_.var(x, axis=-1, keepdims=True)
            return np_.sum(((x - mean) / np_.sqrt(var + 1e-5) * gain + bias) * ct)

        def rms_norm(x, ct):
            return np_.sum(x / np_.sqrt(np_.mean(x * x, axis=-1, keepdims=True) + 1e-6) * ct)

        def cross_entropy(logits, labels):
            return -np_.mean(np_.sum(m.nn.log_softmax(logits) * labels, axis=-1))

        return {
            "chain": (chain, ((1 << 18,),)),
            "rows and columns": (lambda x: (x.sum(1), x.sum(0), np_.max(x, 0)), ((512, 1024),)),
            "matrix-vector": (lambda a, v: (a @ v, v @ a), ((1024, 1024), (1024,))),
            "batched matrix-vector": (lambda a, v: np_.einsum("bij,bj->bi", a, v), ((8, 512, 512), (8, 512))),
            "layer norm gradient": (m.grad(layer_norm), ((1024, 256), (1024, 256))),
            "per-example TD gradients": (m.vmap(m.grad(td), in_axes=(None, 0, 0, 0)),
                                         ((256,), (2048, 256), (2048,), (2048, 256))),
            "scan gradient": (m.grad(stacked), ((64, 64), (300, 64, 64))),
            # row counts that cut into the blocks evenly and not, long rows
            "layer norm, all": (m.grad(affine_layer_norm, argnums=(0, 1, 2)),
                                ((1000, 300), (300,), (300,), (1000, 300))),
            "layer norm, odd rows": (m.grad(affine_layer_norm), ((263, 1024), (1024,), (1024,), (263, 1024))),
            "layer norm, long rows": (m.grad(affine_layer_norm), ((64, 8192), (8192,), (8192,), (64, 8192))),
            "rms norm": (m.grad(rms_norm), ((4096, 96), (4096, 96))),
            "cross-entropy": (m.grad(cross_entropy), ((512, 1000), (512, 1000))),
        }

    def inputs(shapes, seed):
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s).astype(np.float32) for s in shapes]
    """)
namespace = {}
exec(PROGRAMS, namespace)  # noqa: S102 - the same text runs in the one-thread subprocess


def mirax_results():
    return {name: [np.asarray(r) for r in jax.tree_util.tree_leaves(mirax.jit(fn)(*namespace["inputs"](shapes, i)))]
            for i, (name, (fn, shapes)) in enumerate(namespace["programs"](mirax, jnp).items())}


ONE_THREAD = PROGRAMS + textwrap.dedent("""
    import pickle, sys
    import jax, mirax, mirax.numpy as jnp, mirax.nn
    results = {name: [np.asarray(r) for r in jax.tree_util.tree_leaves(mirax.jit(fn)(*inputs(shapes, i)))]
               for i, (name, (fn, shapes)) in enumerate(programs(mirax, jnp).items())}
    sys.stdout.buffer.write(pickle.dumps(results))
    """)


def test_threaded_kernels_against_jax_and_one_thread():
    got = mirax_results()
    for i, (name, (fn, shapes)) in enumerate(namespace["programs"](jax, jjnp).items()):
        want = jax.tree_util.tree_leaves(jax.jit(fn)(*namespace["inputs"](shapes, i)))
        for g, w in zip(got[name], want, strict=True):
            np.testing.assert_allclose(g, np.asarray(w), rtol=2e-4, atol=2e-4 * float(np.abs(w).max()), err_msg=name)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", ONE_THREAD], env=env, capture_output=True, timeout=600, check=True)
    one_thread = pickle.loads(out.stdout)
    for name, results in got.items():
        for g, o in zip(results, one_thread[name], strict=True):
            np.testing.assert_array_equal(g, o, err_msg=name)
