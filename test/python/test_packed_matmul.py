"""mirax-vectorize-matmul's packed products (f32 matmuls of 2^24 flops and more) checked
against NumPy in float64: 8- and 4-row register tiles, C written in place or through
panels (N not a multiple of 16), and transposed operands read in place (x.T @ y, x @ y.T:
a layer's gradients' products), also as slices of larger arrays."""
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp

PRODUCTS = {
    "plain": lambda x, y: x @ y,
    "A": lambda x, y: x.T @ y,
    "B": lambda x, y: x @ y.T,
    "both": lambda x, y: x.T @ y.T,
}


@pytest.mark.parametrize("which", PRODUCTS)
@pytest.mark.parametrize("m, k, n", [
    (256, 256, 128),  # 8-row tiles, 2 x 2 blocks on threads
    (260, 256, 128),  # M a multiple of 4, not 8: 4-row tiles
    (128, 512, 512),  # blocks of columns on threads, each packing its panels
    (256, 264, 136),  # N padded to whole panels (C through panels; B^T transposed by the program)
    (256, 260, 128),  # K not a multiple of 8: B^T transposed by the program
])
def test_packed_products(which, m, k, n):
    rng = np.random.default_rng(m + k + n)
    a_shape = (k, m) if which in ("A", "both") else (m, k)
    b_shape = (n, k) if which in ("B", "both") else (k, n)
    x, y = rng.standard_normal(a_shape, np.float32), rng.standard_normal(b_shape, np.float32)
    product = PRODUCTS[which]
    compiled = mirax.jit(product)
    assert "mirax_matmul_f32" not in compiled.lower(x, y).as_text("llvm")
    got = np.asarray(compiled(x, y))
    want = product(x.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-5 * np.sqrt(k), atol=1e-5 * np.sqrt(k))
    assert got.dtype == np.float32


@pytest.mark.parametrize("which", ["A", "B", "both"])
def test_transposed_slices(which):
    """Transposed operands that are slices of larger arrays (an offset and a row stride)."""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((259, 262), np.float32), rng.standard_normal((257, 260), np.float32)
    product = PRODUCTS[which]

    def f(x, y):
        return product(x[3:, 2:-4], y[1:, 2:-2])

    got = np.asarray(mirax.jit(f)(x, y))
    np.testing.assert_allclose(got, f(x.astype(np.float64), y.astype(np.float64)), rtol=1e-4, atol=1e-4)


def test_mlp_gradient_against_jax():
    """jit(grad) of a 784-512-512-10 MLP (x^T g and g W^T products, packed) against JAX."""
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(0)
    sizes = (784, 512, 512, 10)
    params = [(0.05 * rng.standard_normal((a, b), np.float32), 0.1 * rng.standard_normal(b, np.float32))
              for a, b in zip(sizes[:-1], sizes[1:])]
    x, y = rng.standard_normal((128, 784), np.float32), rng.standard_normal((128, 10), np.float32)

    def loss(np_, params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np_.tanh(np_.dot(h, w) + b)
        w, b = params[-1]
        return np_.mean((np_.dot(h, w) + b - y) ** 2)

    got = mirax.jit(mirax.grad(lambda p, x, y: loss(jnp, p, x, y)))(params, x, y)
    want = jax.jit(jax.grad(lambda p, x, y: loss(jax.numpy, p, x, y)))(params, x, y)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-4, atol=2e-6)
