"""mirax-matmul-calls (passes/mirax_matmul_calls.py) and the kernel library's matmul
(passes/kernel_library.py): f32 matmuls under 2^24 flops and every f64 matmul call the
library's compiled kernel, checked against NumPy in float64 on shapes that exercise
its tiles (rows in tiles of 8, 4 and 1; the last panel of columns masked), blocks of
K, offsets and strides; the call is in the compiled program and nothing else is."""
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.passes import kernel_library

# (m, k, n) that dot.py lowers to a linalg.matmul: f32 with M a multiple of 4 (other
# f32 products are fused multiply-add loops), f64 with K up to 256 (longer ones sum
# blocks in a generic); neither M nor N 1 (matrix-vector products).
SHAPES = {
    np.float32: [
        (4, 1, 2),
        (8, 3, 16),  # one tile of 8 rows, one whole panel
        (12, 7, 33),  # tiles of 8 and 4 rows; two whole panels and a masked one
        (44, 9, 17),  # five tiles of 8 rows, one of 4
        (16, 32, 64),  # the small MLP's layer
        (4, 700, 5),  # K in blocks of 256 (two whole, one partial), each summed from zero
        (20, 4100, 3),  # K past dot.py's chunk of 4096: a call per chunk
    ],
    np.float64: [
        (2, 1, 2),
        (3, 5, 7),  # three tiles of 1 row
        (13, 7, 33),  # tiles of 8, 4 and 1 rows
        (16, 32, 64),
        (9, 256, 17),
    ],
}


@pytest.mark.parametrize("dtype, m, k, n", [(dtype, *shape) for dtype, shapes in SHAPES.items() for shape in shapes])
def test_matmul(dtype, m, k, n, x64):
    rng = np.random.default_rng(m * k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    f = mirax.jit(jnp.dot)
    symbol = kernel_library.matmul_symbol("f32" if dtype == np.float32 else "f64")
    assert f"llvm.call @{symbol}(" in f.lower(a, b).as_text("llvm")
    got = np.asarray(f(a, b))
    want = a.astype(np.float64) @ b.astype(np.float64)
    tolerance = (1e-5 if dtype == np.float32 else 1e-13) * np.sqrt(k)
    np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    assert got.dtype == dtype


def test_operands_at_offsets_and_strides():
    """Slices of larger arrays reach the kernel as they are (offset and row stride), and
    its product lands in a slice of a larger result."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((20, 40), np.float32), rng.standard_normal((40, 50), np.float32)

    def f(a, b):
        out = jnp.zeros((30, 60), jnp.float32)
        return out.at[4:14, 1:21].set(a[2:12, 3:33] @ b[1:31, 5:25])

    want = np.zeros((30, 60))
    want[4:14, 1:21] = a[2:12, 3:33].astype(np.float64) @ b[1:31, 5:25]
    np.testing.assert_allclose(np.asarray(mirax.jit(f)(a, b)), want, rtol=1e-5, atol=1e-5)


TRANSPOSED = {
    "A": lambda x, y: x.T @ y,
    "B": lambda x, y: x @ y.T,
    "both": lambda x, y: x.T @ y.T,
}


@pytest.mark.parametrize("which", TRANSPOSED)
@pytest.mark.parametrize("dtype, m, k, n", [(np.float32, 64, 16, 8), (np.float32, 12, 7, 33),
                                             (np.float32, 16, 8, 64), (np.float64, 13, 7, 33),
                                             (np.float64, 16, 200, 5)])
def test_transposed_operands_are_read_in_place(which, dtype, m, k, n, x64):
    """x.T @ y and x @ y.T (a layer's gradients' products): the kernel reads the operand
    through swapped strides (copying a B whose columns are not adjacent), also at an
    offset and a row stride (a slice), and no transpose is compiled."""
    rng = np.random.default_rng(m + k + n)
    a_shape = (k, m) if which in ("A", "both") else (m, k)
    b_shape = (n, k) if which in ("B", "both") else (k, n)
    x = rng.standard_normal((a_shape[0] + 3, a_shape[1] + 2)).astype(dtype)
    y = rng.standard_normal((b_shape[0] + 1, b_shape[1] + 4)).astype(dtype)
    product = TRANSPOSED[which]
    for f, args in ((product, (x[:a_shape[0], :a_shape[1]], y[:b_shape[0], :b_shape[1]])),
                    (lambda x, y: product(x[3:, 1:-1], y[1:, 2:-2]), (x, y))):
        compiled = mirax.jit(f)
        llvm = compiled.lower(*args).as_text("llvm")
        assert "llvm.call @mirax_matmul_f" in llvm and "shufflevector" not in llvm
        got = np.asarray(compiled(*args))
        want = f(*(a.astype(np.float64) for a in args))
        tolerance = (1e-5 if dtype == np.float32 else 1e-13) * np.sqrt(k)
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
        assert got.dtype == dtype


def test_a_large_transposed_b_is_transposed_by_the_program():
    """B^T of more than FOLDED_B elements: the program's own tiled transpose, not a copy
    in the kernel (mirax-vectorize-matmul)."""
    from mirax.passes.mirax_vectorize_matmul import FOLDED_B
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 128), np.float32), rng.standard_normal((FOLDED_B // 64, 128), np.float32)
    compiled = mirax.jit(lambda x, y: x @ y.T)
    assert "shufflevector" in compiled.lower(x, y).as_text("llvm")
    np.testing.assert_allclose(np.asarray(compiled(x, y)), x.astype(np.float64) @ y.T, rtol=1e-5, atol=1e-5)


def test_gradient_and_batch_through_calls():
    """A gradient (products of transposed operands) and a vmap of a small MLP layer
    against JAX."""
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(9)
    w, x = rng.standard_normal((32, 24), np.float32), rng.standard_normal((5, 16, 32), np.float32)

    def loss(np_, w, x):
        return np_.sum(np_.tanh(x @ w) @ w.T)

    got = mirax.jit(mirax.vmap(mirax.grad(lambda w, x: loss(jnp, w, x)), in_axes=(None, 0)))(w, x)
    want = jax.vmap(jax.grad(lambda w, x: loss(jax.numpy, w, x)), in_axes=(None, 0))(w, x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=2e-5)


def test_large_f32_matmuls_stay_packed():
    """2^24 flops and more: mirax-vectorize-matmul's packed product, on threads."""
    a, b = np.ones((256, 256), np.float32), np.ones((256, 128), np.float32)
    text = mirax.jit(jnp.dot).lower(a, b).as_text("llvm")
    assert "mirax_matmul_f32" not in text and "omp." in text
    np.testing.assert_array_equal(np.asarray(mirax.jit(jnp.dot)(a, b)), np.full((256, 128), 256.0, np.float32))
