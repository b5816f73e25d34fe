"""mirax-vectorize-matmul (passes/mirax_vectorize_matmul.py): f32 matmuls tiled and
vectorized through the transform dialect, checked against NumPy on shapes that take
the vectorized path (M a multiple of 4, N of 16, any K) and shapes that keep loops."""
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import runtime
from mirax.mlir import ir
from mirax.passes import MiraxVectorizeMatmul


@pytest.mark.parametrize("m, k, n", [
    (4, 1, 16),  # one register tile, K of 1
    (8, 5, 32),  # K not a multiple of any K tile: the whole K at once
    (12, 40, 48),  # M, N, K tiles of 4, 16, 8
    (256, 64, 512),  # several cache tiles in every dimension
    (3, 4, 5),  # not vectorized: plain loops
    (4, 16, 17),
])
def test_matmul(m, k, n):
    rng = np.random.default_rng(m * k * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    got = np.asarray(mirax.jit(jnp.dot)(a, b))
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.sqrt(k))


MATMUL = """
func.func @f(%a: tensor<{m}x{k}x{t}>, %b: tensor<{k}x{n}x{t}>, %c: tensor<{m}x{n}x{t}>) -> tensor<{m}x{n}x{t}> {{
  %0 = linalg.matmul ins(%a, %b : tensor<{m}x{k}x{t}>, tensor<{k}x{n}x{t}>) outs(%c : tensor<{m}x{n}x{t}>)
    -> tensor<{m}x{n}x{t}>
  return %0 : tensor<{m}x{n}x{t}>
}}
"""


@pytest.mark.parametrize("m, k, n, element, vectorized", [
    (8, 8, 32, "f32", True),
    (8, 8, 32, "f64", False),
    (6, 8, 32, "f32", False),
    (8, 8, 24, "f32", False),
])
def test_pass_selects_matmuls(m, k, n, element, vectorized):
    with runtime.context():
        module = ir.Module.parse(MATMUL.format(m=m, k=k, n=n, t=element))
        MiraxVectorizeMatmul()(module.operation)
        module.operation.verify()
        text = str(module)
    assert ("linalg.matmul" not in text) == vectorized
    assert ("vector.fma" in text) == vectorized
    assert "transform." not in text  # the script is gone


def test_pass_reads_loop_sizes_through_indexing_maps():
    """A matmul with a transposed B (8x4 times 32x4 -> 8x32) has loops (8, 32, 4) and is vectorized."""
    with runtime.context():
        module = ir.Module.parse("""
        func.func @f(%a: tensor<8x4xf32>, %b: tensor<32x4xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
          %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                              affine_map<(m, n, k) -> (m, n)>]
            ins(%a, %b : tensor<8x4xf32>, tensor<32x4xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
          return %0 : tensor<8x32xf32>
        }""")
        MiraxVectorizeMatmul()(module.operation)
        module.operation.verify()
        text = str(module)
    assert "linalg.matmul" not in text and "vector.fma" in text
