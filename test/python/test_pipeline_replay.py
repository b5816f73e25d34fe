"""What jit compiles, mirax-opt replays: `mirax-opt --mirax-cpu-pipeline` (and
`--mirax-gpu-pipeline`) on a program's "mirax" stage prints exactly its "llvm" stage, so
a miscompile seen under jit can be reproduced, bisected and reduced with mirax-opt
alone. The real command runs once per backend, on every program of the table
(`--split-input-file`)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import lax

MIRAX_OPT = os.path.join(os.path.dirname(sys.executable), "mirax-opt")
SPLIT = "// -----"

X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4)
W = np.linspace(-0.5, 0.5, 20, dtype=np.float32).reshape(4, 5)
SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], np.float32)


def _mlp_loss(params, x):
    (w1, b1), (w2, b2) = params
    hidden = jnp.tanh(x @ w1 + b1)
    return jnp.mean((hidden @ w2 + b2) ** 2)


@mirax.custom_jvp
def _softplus(x):
    return jnp.log1p(jnp.exp(x))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus(x), t * mirax.nn.sigmoid(x)


@mirax.custom_vjp
def _clip_gradient(x):
    return x


_clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -0.1, 0.1),))


def _cumsum_scan(xs):
    return lax.scan(lambda carry, x: (carry + x, carry * x), jnp.zeros(4, xs.dtype), xs)


PROGRAMS = {
    "elementwise": (lambda x: jnp.sin(x) * jnp.exp(x) + jnp.abs(x) ** 1.5, (X,)),
    "two equal results": (lambda x: (x * 2, x * 2), (X,)),
    "reductions": (lambda x: (jnp.sum(x, axis=0), jnp.max(x), jnp.argmin(x, axis=1), jnp.var(x)), (X,)),
    "matmul": (lambda x, w: x @ w, (X, W)),
    "mlp grad": (mirax.grad(_mlp_loss), (((W, W[0]), (W.T, W.T[0])), X)),
    "vmap": (mirax.vmap(lambda row, w: jnp.tanh(row @ w), in_axes=(0, None)), (X, W)),
    "scan and its grad": (mirax.value_and_grad(lambda xs: jnp.sum(_cumsum_scan(xs)[1])), (X,)),
    "while": (lambda x: lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1.5), (0, x))[1], (X,)),
    "cond grad": (mirax.grad(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x)), (np.float32(0.3),)),
    "custom_jvp grad": (mirax.grad(lambda x: jnp.sum(_softplus(x))), (X,)),
    "custom_vjp grad": (mirax.grad(lambda x: jnp.sum(_clip_gradient(x) ** 2)), (X,)),
    "linalg": (lambda a: (jnp.linalg.cholesky(a), jnp.linalg.solve(a, a[0])), (SPD,)),
    "random": (lambda key: mirax.random.normal(key, (3, 2)), (mirax.random.PRNGKey(0),)),
    "scatter and gather": (lambda x, i: (x.at[i].add(1.0), x[i, ::-1]), (X, np.array([2, 0], np.int32))),
}


PIPELINE = {"cpu": "--mirax-cpu-pipeline", "gpu": "--mirax-gpu-pipeline"}


@pytest.fixture(scope="module", params=PIPELINE)
def replayed(request):
    """For a backend, each program's "llvm" stage and what mirax-opt made of its
    "mirax" stage. (The GPU's stages need no GPU: llvmlite compiles the PTX.)"""
    stages = {}
    for name, (fn, args) in PROGRAMS.items():
        lowered = mirax.jit(fn, backend=request.param).lower(*args)
        stages[name] = (lowered.as_text("mirax"), lowered.as_text("llvm"))
    source = f"\n{SPLIT}\n".join(mirax_text for mirax_text, _ in stages.values())
    done = subprocess.run([MIRAX_OPT, "-", "--split-input-file", PIPELINE[request.param]], input=source,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.split(f"\n{SPLIT}\n")
    assert len(outputs) == len(stages)
    return {name: (llvm_text, output) for (name, (_, llvm_text)), output in zip(stages.items(), outputs, strict=True)}


@pytest.mark.parametrize("name", PROGRAMS)
def test_mirax_opt_replays_jit(replayed, name):
    llvm_text, output = replayed[name]
    assert "llvm.func" in llvm_text
    assert output == llvm_text


def test_help_lists_the_pipelines():
    done = subprocess.run([MIRAX_OPT, "--help"], capture_output=True, text=True, check=True)
    for flag in ("--mirax-derive", "--mirax-cpu-pipeline", "--mirax-gpu-pipeline"):
        (line,) = [line for line in done.stdout.splitlines() if line.split()[:1] == [flag]]
        assert len(line.split()) > 2  # a description follows the flag

