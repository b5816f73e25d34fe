"""The GPU pipeline on any machine: a table of programs (every op family, a derivative,
a batched function) compiled to PTX for the default chip (sm_90) with
`jit(f, backend="gpu").lower(...)`, and some for every chip a device may ask for, and
`ptxas` (from the pinned nvidia-cuda-nvcc wheel) must assemble each. No GPU is needed;
running the kernels is test_gpu_runtime.py's part."""
import functools
import importlib.util
import os
import re
import subprocess

import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import lax
from mirax.api import Jitted
from mirax.mlir import ir
from mirax.mlir_context import context
from mirax.passes.gpu_pipeline import CHIPS, DEFAULT_CHIP, lower_to_gpu_stage
from mirax.passes.pipelines import lower_to_linalg


@functools.cache
def ptxas():
    """The path of ptxas from the nvidia-cuda-nvcc wheel, or None."""
    spec = importlib.util.find_spec("nvidia.cu13")
    if spec is None:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "bin", "ptxas")
    return path if os.access(path, os.X_OK) else None


needs_ptxas = pytest.mark.skipif(ptxas() is None, reason="ptxas not found: install the test extras "
                                                          "(the nvidia-cuda-nvcc wheel carries it)")

rng = np.random.default_rng(0)
M = rng.standard_normal((8, 300)).astype(np.float32)
V = rng.standard_normal(300).astype(np.float32)
S = rng.standard_normal((16, 16)).astype(np.float32)
L = rng.standard_normal((128, 300)).astype(np.float32)
I = rng.integers(-5, 5, (8, 300)).astype(np.int32)
KEY = mirax.random.PRNGKey(0)


def _mlp_loss(w, x):
    return jnp.mean((jnp.tanh(x @ w) - 1.0) ** 2)


# name: (function, arguments, the fewest kernels it needs)
PROGRAMS = {
    "elementwise_chain": (lambda x: jnp.tanh(x * 2 + 1) * jnp.exp(x) - jnp.log(jnp.abs(x) + 1) / jnp.sin(x), (M,)),
    "libdevice_math": (lambda x: lax.erf(x) + jnp.log1p(jnp.abs(x)) + jnp.power(jnp.abs(x), 0.3) + jnp.arctan2(x, 2.0),
                       (M,)),
    "broadcast": (lambda x, v: x * v + v[0], (M, V)),
    "integer_ops": (lambda i: (i * 3 // 2) % 7 + (i >> 1) + jnp.where(i > 0, i, -i), (I,)),
    "float16_bfloat16": (lambda x: (x.astype(jnp.bfloat16) * 2).astype(jnp.float32) + (x.astype(jnp.float16) + 1),
                         (M,)),
    "complex": (lambda x: jnp.abs(jnp.exp(1j * x) * (x + 2j)), (M,)),
    "sum_rows": (lambda x: jnp.sum(x * x, axis=1), (M,)),
    "sum_all": (lambda x: jnp.sum(x), (M,)),
    "sum_all_split": (lambda x: (jnp.sum(jnp.abs(x)), jnp.min(x, axis=1)[:2], jnp.max(x[:100].T, axis=1)), (L,)),
    "max_columns": (lambda x: jnp.max(x, axis=0), (M,)),
    "integer_sum": (lambda i: jnp.sum(i, axis=1), (I,)),
    "any_all": (lambda x: (jnp.any(x > 2, axis=1), jnp.all(x > -3)), (M,)),
    "argmax": (lambda x: jnp.argmax(x, axis=1), (M,)),
    "cumsum": (lambda x: jnp.cumsum(x, axis=1), (M,)),
    "mean_var": (lambda x: (jnp.mean(x, axis=0), jnp.var(x)), (M,)),
    "matvec": (lambda x, v: x @ v, (M, V)),
    "matmul": (lambda a: a @ a.T + 1, (S,)),
    "einsum_batched": (lambda a: jnp.einsum("bij,bjk->bik", a.reshape(4, 8, 8)[:, :4], a.reshape(4, 8, 8)), (S,)),
    "shape_ops": (lambda x: jnp.concatenate([x.T[:10].reshape(-1), x[::2, 5]]).reshape(4, -1), (M,)),
    "gather": (lambda x, i: x[i[:, 0] % 8, 3], (M, I)),
    "scatter_update": (lambda x, v: x.at[2].set(v).at[:, 7].add(1.0), (M, V)),
    "sort": (lambda v: jnp.sort(v), (V,)),
    "fori_loop": (lambda v: lax.fori_loop(0, 5, lambda i, c: c * 0.5 + jnp.sin(c), v), (V,)),
    "cond": (lambda v: lax.cond(v[0] > 0, jnp.sin, jnp.cos, v), (V,)),
    "random": (lambda k: mirax.random.normal(k, (64, 8)), (KEY,)),
    "grad": (mirax.grad(_mlp_loss), (S, S)),
    "hessian_vector": (lambda x: mirax.jvp(mirax.grad(lambda y: jnp.sum(jnp.sin(y) ** 2)), (x,), (x,))[1], (V,)),
    "vmap": (mirax.vmap(lambda a, b: jnp.dot(jnp.tanh(a), b)), (S, S)),
    "vmap_grad": (mirax.vmap(mirax.grad(lambda w, x: jnp.sum(jnp.tanh(w * x))), in_axes=(None, 0)), (V, M)),
}


def _ptx(name):
    fn, args = PROGRAMS[name]
    return mirax.jit(fn, backend="gpu").lower(*args).as_text("ptx")


def _assemble(ptx, chip, path):
    assert f".target {chip}" in ptx
    assert re.search(r"\.entry \w+", ptx), "no kernel"
    path.write_text(ptx)
    done = subprocess.run([ptxas(), f"-arch={chip}", str(path), "-o", str(path.with_suffix(".cubin"))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@needs_ptxas
@pytest.mark.parametrize("name", PROGRAMS)
def test_ptxas_accepts(name, tmp_path):
    _assemble(_ptx(name), DEFAULT_CHIP, tmp_path / f"{name}.ptx")


@needs_ptxas
@pytest.mark.parametrize("chip", CHIPS)
@pytest.mark.parametrize("name", ["float16_bfloat16", "sum_all_split", "matmul", "libdevice_math"])
def test_ptxas_accepts_every_chip(name, chip, tmp_path):
    """The chips a device's compute capability picks (gpu_pipeline.chip_for): each
    program's PTX for it, with half and bfloat16 arithmetic, tree reductions, shared
    memory and libdevice, assembles for it."""
    fn, args = PROGRAMS[name]
    with context():
        module = ir.Module.parse(Jitted(fn)._specialize(args, {})[0].trace.text)
        lower_to_linalg(module)
        ptx = lower_to_gpu_stage(module, "ptx", chip)
    _assemble(ptx, chip, tmp_path / f"{name}.ptx")


def test_ptx_does_not_depend_on_earlier_compilations():
    """NVPTX numbers call sites from a counter global to the process; the pipeline
    renumbers them, so a program's PTX (and "llvm" stage) is the same whatever was
    compiled before it (test_pipeline_replay failed depending on test order)."""
    def ptx():
        return mirax.jit(lambda x: -jnp.sin(x), backend="gpu").lower(np.ones(4, np.float32)).as_text("ptx")

    first = ptx()
    mirax.jit(lambda x: jnp.cos(x) * jnp.sin(x), backend="gpu").lower(np.ones(3, np.float32)).as_text("ptx")
    assert "callseq" in first and ptx() == first
