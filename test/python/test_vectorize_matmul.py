"""mirax-vectorize-matmul (passes/mirax_vectorize_matmul.py): f32 matmuls packed,
tiled and vectorized through the transform dialect, checked against NumPy on shapes
that take the vectorized path (M a multiple of 4, any N and K: N padded to whole
panels of 16 columns; on threads when big) and shapes that keep loops; small ones
packed too, through the pass's option (by default they call the kernel library's
matmul: test_matmul_calls.py)."""
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import runtime
from mirax.config import config
from mirax.mlir_context import context
from mirax.mlir import ir
from mirax.passes import MiraxVectorizeMatmul, pipelines


@pytest.fixture
def packed_from_any_size(monkeypatch):
    """jit packing every qualifying matmul (by default, those under 2^24 flops call the
    kernel library's), compiled afresh: no executable from the caches."""
    monkeypatch.setitem(pipelines.PASSES, "mirax-vectorize-matmul", MiraxVectorizeMatmul(called_flops=0))
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", "")
    runtime.clear_caches()
    yield
    runtime.clear_caches()


@pytest.mark.parametrize("m, k, n", [
    (4, 1, 16),  # one register tile, K of 1
    (8, 5, 32),  # one block
    (12, 40, 10),  # one panel, padded from 10 columns
    (4, 16, 17),  # two panels, the second padded from 1 column
    (256, 600, 512),  # threads over 8 blocks of 64 columns; rows in blocks of 128, k in blocks of 200
    (128, 512, 200),  # threads over 13 blocks of 16 columns, N padded to 208
    (3, 4, 5),  # not vectorized: plain loops
])
def test_matmul(m, k, n, packed_from_any_size):
    rng = np.random.default_rng(m * k * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    f = mirax.jit(jnp.dot)
    assert "mirax_matmul_f32" not in f.lower(a, b).as_text("llvm")
    got = np.asarray(f(a, b))
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.sqrt(k))


MATMUL = """
func.func @f(%a: tensor<{m}x{k}x{t}>, %b: tensor<{k}x{n}x{t}>) -> tensor<{m}x{n}x{t}> {{
  %zero = arith.constant 0.0 : {t}
  %e = tensor.empty() : tensor<{m}x{n}x{t}>
  %c = linalg.fill ins(%zero : {t}) outs(%e : tensor<{m}x{n}x{t}>) -> tensor<{m}x{n}x{t}>
  %0 = linalg.matmul ins(%a, %b : tensor<{m}x{k}x{t}>, tensor<{k}x{n}x{t}>) outs(%c : tensor<{m}x{n}x{t}>)
    -> tensor<{m}x{n}x{t}>
  return %0 : tensor<{m}x{n}x{t}>
}}
"""


@pytest.mark.parametrize("m, k, n, element, called_flops, vectorized", [
    (8, 8, 32, "f32", 0, True),
    (8, 8, 32, "f64", 0, False),
    (6, 8, 32, "f32", 0, False),
    (8, 8, 24, "f32", 0, True),
    (8, 8, 10, "f32", 0, True),
    (8, 8, 32, "f32", 8 * 8 * 32 * 2 + 1, False),  # under the option's flops: left to mirax-matmul-calls
    (8, 8, 32, "f32", 8 * 8 * 32 * 2, True),
    (256, 256, 128, "f32", MiraxVectorizeMatmul().called_flops, True),  # the default: 2^24
    (252, 256, 128, "f32", MiraxVectorizeMatmul().called_flops, False),
])
def test_pass_selects_matmuls(m, k, n, element, called_flops, vectorized):
    with context():
        module = ir.Module.parse(MATMUL.format(m=m, k=k, n=n, t=element))
        MiraxVectorizeMatmul(called_flops=called_flops)(module.operation)
        module.operation.verify()
        text = str(module)
    assert ("linalg.matmul" not in text) == vectorized
    assert ("vector.fma" in text) == vectorized
    assert "transform." not in text  # the script is gone


def test_pass_keeps_other_layouts_and_accumulations():
    """A matmul with a transposed B (dot_general's lowering transposes operands into
    plain layouts first) or accumulating into a C it is given keeps its loops."""
    with context():
        module = ir.Module.parse("""
        func.func @f(%a: tensor<8x4xf32>, %b: tensor<32x4xf32>, %c: tensor<8x32xf32>, %d: tensor<4x32xf32>)
            -> (tensor<8x32xf32>, tensor<8x32xf32>) {
          %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                              affine_map<(m, n, k) -> (m, n)>]
            ins(%a, %b : tensor<8x4xf32>, tensor<32x4xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
          %1 = linalg.matmul ins(%a, %d : tensor<8x4xf32>, tensor<4x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
          return %0, %1 : tensor<8x32xf32>, tensor<8x32xf32>
        }""")
        MiraxVectorizeMatmul(called_flops=0)(module.operation)
        module.operation.verify()
        text = str(module)
    assert text.count("linalg.matmul") == 2 and "vector.fma" not in text


@pytest.mark.parametrize("shape", [(16, 16), (16, 32), (64, 24), (128, 784), (8, 300), (0, 8)])
def test_transposes(shape):
    """2-D f32 transposes: one 8x8 tile block (sides up to 64), blocks of up to 64x64,
    sides not multiples of 8 (plain loops) and empty ones."""
    a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(mirax.jit(lambda x: x.T)(a)), a.T)
