"""dot_general (dialect/dot.py) through mirax.lax on concrete arrays, against a NumPy
einsum reference (itself checked against jax.lax.dot_general's dimension numbers),
and the lowering's choice of linalg named ops for the forms they express.

Inputs are `core.Array(np_array)`, so 64-bit dtypes reach the op without x64.
"""
import re
import string

import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
from mirax import lax
from mirax.core import Array, Aval, Trace, bind
from mirax.dialect.dot import DotGeneralOp
from mirax.mlir import ir
from mirax.passes.pipelines import lower_to_linalg
from mirax.mlir_context import context

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
I8, I32, I64, U8, BOOL = (np.dtype(t) for t in (np.int8, np.int32, np.int64, np.uint8, np.bool_))
C64 = np.dtype(np.complex64)

# Relative tolerance (of the sum of |products|) of a result rounded once to its dtype.
TOL = {F16: 2e-3, BF16: 1.6e-2, F32: 1e-5, F64: 1e-12, C64: 1e-5}

# (lhs shape, rhs shape, ((lhs contracting, rhs contracting), (lhs batch, rhs batch)), linalg op or None)
# (lhs shape, rhs shape, dimension numbers, the linalg op f32 lowers to)
CASES = [
    ((4, 4), (4, 5), (((1,), (0,)), ((), ())), "linalg.matmul"),
    ((3, 4), (4, 5), (((1,), (0,)), ((), ())), "linalg.generic"),  # M not packed: fused multiply-adds
    ((2, 4, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,))), "linalg.generic"),
    ((4, 4), (4,), (((1,), (0,)), ((), ())), "linalg.generic"),  # matrix-vector
    ((4,), (4, 5), (((0,), (0,)), ((), ())), "linalg.generic"),  # vector-matrix
    ((6,), (6,), (((0,), (0,)), ((), ())), "linalg.generic"),
    ((2, 3, 4), (2, 4), (((2,), (1,)), ((0,), (0,))), "linalg.generic"),
    ((2, 4), (2, 4, 5), (((1,), (1,)), ((0,), (0,))), "linalg.generic"),
    ((4, 4), (4, 5), (((0,), (0,)), ((), ())), "linalg.matmul"),  # lhs transposed
    ((3, 2, 4), (5, 4, 2), (((2,), (1,)), ((1,), (2,))), "linalg.generic"),  # batch dimensions not leading
    ((2, 4, 4), (4, 4, 5), (((1, 2), (1, 0)), ((), ())), "linalg.generic"),  # two contracting dimensions
    ((3,), (5,), (((), ()), ((), ())), "linalg.generic"),  # outer product
    ((), (), (((), ()), ((), ())), "linalg.generic"),  # rank 0
    ((), (2, 3), (((), ()), ((), ())), "linalg.generic"),
    ((4, 0), (0, 5), (((1,), (0,)), ((), ())), "linalg.generic"),  # empty contraction: zeros
    ((0, 4), (4, 5), (((1,), (0,)), ((), ())), "linalg.generic"),  # empty result
]


def einsum_reference(lhs, rhs, dimension_numbers):
    """dot_general as np.einsum: letters for batch, then free, then contracting dimensions."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter(string.ascii_letters)
    lhs_sub, rhs_sub = [None] * lhs.ndim, [None] * rhs.ndim
    for l_dims, r_dims in ((lb, rb), (lc, rc)):
        for l, r in zip(l_dims, r_dims, strict=True):
            lhs_sub[l] = rhs_sub[r] = next(letters)
    lhs_free = [d for d in range(lhs.ndim) if lhs_sub[d] is None]
    rhs_free = [d for d in range(rhs.ndim) if rhs_sub[d] is None]
    for subs, free in ((lhs_sub, lhs_free), (rhs_sub, rhs_free)):
        for d in free:
            subs[d] = next(letters)
    out = [lhs_sub[d] for d in lb] + [lhs_sub[d] for d in lhs_free] + [rhs_sub[d] for d in rhs_free]
    return np.einsum(f"{''.join(lhs_sub)},{''.join(rhs_sub)}->{''.join(out)}", lhs, rhs)


def values(shape, dtype, rng):
    if dtype == BOOL:
        return rng.random(shape) < 0.3
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -20, 20, shape).astype(dtype)
    x = rng.uniform(-2, 2, shape)
    if dtype.kind == "c":
        x = x + 1j * rng.uniform(-2, 2, shape)
    return x.astype(dtype)


def reference(lhs, rhs, dimension_numbers):
    """The exact result, and the scale of its rounding error (sum of |products|)."""
    dtype = lhs.dtype
    if dtype == BOOL:
        return einsum_reference(lhs.astype(np.int64), rhs.astype(np.int64), dimension_numbers) > 0, None
    if dtype.kind in "iu":  # int64 arithmetic wraps like the dtype's once cast back
        return einsum_reference(lhs.astype(np.int64), rhs.astype(np.int64), dimension_numbers).astype(dtype), None
    wide = np.complex128 if dtype.kind == "c" else np.float64
    lhs, rhs = lhs.astype(wide), rhs.astype(wide)
    return einsum_reference(lhs, rhs, dimension_numbers), einsum_reference(np.abs(lhs), np.abs(rhs), dimension_numbers)


def check(got, want, scale, dtype):
    got = got._value
    assert got.dtype == dtype and got.shape == want.shape, (got.dtype, got.shape, want.shape)
    if scale is None:
        np.testing.assert_array_equal(got, want)
    else:
        wide = np.complex128 if dtype.kind == "c" else np.float64
        assert (np.abs(got.astype(wide) - want) <= TOL[dtype] * scale + 1e-30).all(), (got, want)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_reference_matches_jax(case):
    """The einsum reference reads dimension numbers as jax.lax.dot_general does."""
    lhs_shape, rhs_shape, dims, _ = CASES[case]
    rng = np.random.default_rng(case)
    lhs, rhs = values(lhs_shape, F32, rng), values(rhs_shape, F32, rng)
    np.testing.assert_allclose(einsum_reference(lhs, rhs, dims), np.asarray(jlax.dot_general(lhs, rhs, dims)),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_dot_general_float32(case):
    lhs_shape, rhs_shape, dims, _ = CASES[case]
    rng = np.random.default_rng(case)
    lhs, rhs = values(lhs_shape, F32, rng), values(rhs_shape, F32, rng)
    check(lax.dot_general(Array(lhs), Array(rhs), dims), *reference(lhs, rhs, dims), F32)


# Per dtype: the named-op forms and the generic one (batch dimensions not leading).
DTYPE_CASES = [0, 1, 2, 8]


@pytest.mark.parametrize("dtype", [F16, BF16, I32, U8, BOOL, C64, F64, I64, I8], ids=str)
def test_dot_general_dtypes(dtype):
    rng = np.random.default_rng(7)
    for case in DTYPE_CASES:
        lhs_shape, rhs_shape, dims, _ = CASES[case]
        lhs, rhs = values(lhs_shape, dtype, rng), values(rhs_shape, dtype, rng)
        check(lax.dot_general(Array(lhs), Array(rhs), dims), *reference(lhs, rhs, dims), dtype)


def test_half_precision_accumulates_wide():
    """A long f16 dot product does not stall at 2048, as in JAX."""
    ones = np.ones(3000, np.float16)
    assert lax.dot(Array(ones), Array(ones))._value == np.float16(jlax.dot(ones, ones))


def _linalg_text(lhs_shape, rhs_shape, dtype, dimensions):
    """The linalg-stage text of a dot_general of operands of `dtype` with `dimensions`
    ((lhs contracting, rhs contracting), (lhs batch, rhs batch))."""
    (lc, rc), (lb, rb) = dimensions
    with Trace([Aval(lhs_shape, dtype), Aval(rhs_shape, dtype)]) as trace:
        outs = bind(DotGeneralOp, *trace.invars, lhs_contracting_dimensions=lc, rhs_contracting_dimensions=rc,
                    lhs_batch_dimensions=lb, rhs_batch_dimensions=rb)
    trace.finish(outs)
    with context():
        module = ir.Module.parse(trace.text)
        lower_to_linalg(module)
        return str(module)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_lowering_forms(case):
    """f32: the matrix products mirax-vectorize-matmul packs are a linalg.matmul of
    transposed, flattened operands, as XLA does; the rest one linalg.generic reading the
    operands as they are (no transposes), summing by fused multiply-adds in order (as
    XLA:CPU's small dots) where it does not reassociate. Bool always takes the generic
    path."""
    lhs_shape, rhs_shape, dimensions, named = CASES[case]
    for dtype, want in ((F32, named), (BOOL, "linalg.generic")):
        text = _linalg_text(lhs_shape, rhs_shape, dtype, dimensions)
        assert f"{want} " in text and ("linalg.matmul " in text) == (want == "linalg.matmul"), text
        if want == "linalg.generic":
            assert text.count("linalg.generic") == 1, text


def test_lax_dot_and_batch_matmul():
    rng = np.random.default_rng(3)
    a, b, v = values((3, 4), F32, rng), values((4, 2), F32, rng), values((4,), F32, rng)
    np.testing.assert_allclose(lax.dot(Array(a), Array(b))._value, a @ b, rtol=1e-5)
    np.testing.assert_allclose(lax.dot(Array(a), Array(v))._value, a @ v, rtol=1e-5)
    np.testing.assert_allclose(lax.dot(Array(v), Array(v))._value, v @ v, rtol=1e-5)
    x, y = values((2, 3, 3, 4), F32, rng), values((2, 3, 4, 5), F32, rng)
    np.testing.assert_allclose(lax.batch_matmul(Array(x), Array(y))._value, x @ y, rtol=1e-5)
    with pytest.raises(ValueError, match="dimension_numbers must be given"):
        lax.dot(Array(x), Array(y))
    with pytest.raises(ValueError, match="batch_matmul requires arrays of one rank"):
        lax.batch_matmul(Array(a), Array(x))


def test_promotion_and_preferred_element_type():
    """Mixed dtypes promote as JAX's; preferred_element_type widens the accumulation."""
    rng = np.random.default_rng(4)
    a, b = values((3, 4), F32, rng), values((4, 2), I32, rng)
    out = lax.dot(Array(a), Array(b))
    assert out._value.dtype == jlax.dot(a, b).dtype == F32
    np.testing.assert_allclose(out._value, a @ b, rtol=1e-5)
    big = np.full((2, 50), 100, np.int8)  # products overflow int8, their sums int16
    out = lax.dot(Array(big), Array(big.T.copy()), preferred_element_type=np.int32)
    assert out._value.dtype == I32
    np.testing.assert_array_equal(out._value, np.asarray(jlax.dot(big, big.T, preferred_element_type=np.int32)))
    h = values((3, 4), F16, rng)
    out = lax.dot(Array(h), Array(h.T.copy()), preferred_element_type=np.float32)
    assert out._value.dtype == F32
    np.testing.assert_allclose(out._value, h.astype(F64) @ h.T.astype(F64), rtol=1e-6)
    bools = values((3, 4), BOOL, rng)
    out = lax.dot(Array(bools), Array(bools.T.copy()), preferred_element_type=np.int32)
    np.testing.assert_array_equal(out._value, bools.astype(np.int32) @ bools.T.astype(np.int32))


def test_under_jit():
    rng = np.random.default_rng(5)
    a, b = values((2, 3, 4), F32, rng), values((2, 4, 5), F32, rng)
    f = mirax.jit(lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))))
    np.testing.assert_allclose(f(a, b)._value, a @ b, rtol=1e-5)


@pytest.mark.parametrize("lhs_shape,rhs_shape,dims,message", [
    ((3,), (4,), (((0,), (0,)), ((), ())),
     r"contracting dimensions must have the same sizes, got lhs shape \[3\] dimensions \[0\] and rhs shape \[4\]"),
    ((2, 3), (5, 3), (((1,), (1,)), ((0,), (0,))), r"batch dimensions must have the same sizes, got lhs shape \[2, 3\]"),
    ((2, 3), (3, 2), (((1,), (0,)), ((1,), (1,))), r"lhs contracting dimensions \[1\] and batch dimensions \[1\] must be"),
    ((2, 3), (3, 2), (((2,), (0,)), ((), ())), r"lhs contracting dimensions \[2\] .* of shape \[2, 3\]"),
    ((2, 3), (3, 2), (((1,), (-1,)), ((), ())), r"rhs contracting dimensions \[-1\]"),
])
def test_dot_general_errors(lhs_shape, rhs_shape, dims, message):
    with pytest.raises(TypeError, match=message):
        lax.dot_general(Array(np.zeros(lhs_shape, np.float32)), Array(np.zeros(rhs_shape, np.float32)), dims)


def test_mismatch_error_names_both_shapes():
    with pytest.raises(TypeError) as info:
        lax.dot_general(Array(np.zeros((2, 3), np.float32)), Array(np.zeros((4, 5), np.float32)),
                        (((1,), (0,)), ((), ())))
    assert "f32[2,3]" in str(info.value) and "f32[4,5]" in str(info.value)


# Matrix-vector products longer than K_BLOCK, the matrix read in place: (lhs shape, rhs
# shape, dimension numbers, the order of the matrix's batch (b), free (f) and
# contracting (k) dimensions). Rows of the matrix contracted (k last: in 4, 2 or 1 runs
# of rows in vectorized_matvec, with and without a tail of K, runs crossing batches) or
# its columns; big enough ones on threads; batch dimensions anywhere (what vmap makes).
MATVEC_CASES = [
    ((16, 600), (600,), (((1,), (0,)), ((), ())), "fk"),  # 4 runs of 4 rows, a tail of 88
    ((12, 512), (512,), (((1,), (0,)), ((), ())), "fk"),  # 4 runs of 3
    ((6, 300), (300,), (((1,), (0,)), ((), ())), "fk"),  # 2 runs
    ((7, 1000), (1000,), (((1,), (0,)), ((), ())), "fk"),  # 1 run
    ((300,), (40, 300), (((0,), (1,)), ((), ())), "fk"),  # the matrix on the right
    ((256, 1024), (1024,), (((1,), (0,)), ((), ())), "fk"),  # threaded
    ((3, 24, 520), (3, 520), (((2,), (1,)), ((0,), (0,))), "bfk"),  # batched: runs of 18 rows, crossing batches
    ((3, 64, 1024), (3, 1024), (((2,), (1,)), ((0,), (0,))), "bfk"),  # threaded, blocks crossing batches
    ((8, 4, 130), (130, 4), (((1, 2), (1, 0)), ((), ())), "fk"),  # two contracting dimensions, paired out of order
    ((600,), (600, 12), (((0,), (0,)), ((), ())), "kf"),  # columns
    ((1024, 256), (1024,), (((0,), (0,)), ((), ())), "kf"),  # columns, the matrix on the left, threaded
    ((3, 520), (3, 520, 5), (((1,), (1,)), ((0,), (0,))), "bkf"),  # batched columns
    ((600, 3, 5), (600,), (((0,), (0,)), ((), ())), "kf"),  # columns, two free dimensions
    ((24, 3, 520), (3, 520), (((2,), (1,)), ((1,), (0,))), "fbk"),  # batched rows, the batch in the middle
    ((64, 520, 3), (520, 3), (((1,), (0,)), ((2,), (1,))), "fkb"),  # the batch last
    ((520, 3, 24), (3, 520), (((0,), (1,)), ((1,), (0,))), "kbf"),  # batched columns, the batch in the middle
    ((3, 520), (520, 24, 3), (((1,), (0,)), ((0,), (2,))), "kfb"),  # the batch last, the matrix on the right
]


@pytest.mark.parametrize("case", range(len(MATVEC_CASES)))
@pytest.mark.parametrize("dtype", [F32, F64, BF16, C64], ids=str)
def test_long_matrix_vector_products(case, dtype):
    lhs_shape, rhs_shape, dims, _ = MATVEC_CASES[case]
    rng = np.random.default_rng(case)
    lhs, rhs = values(lhs_shape, dtype, rng), values(rhs_shape, dtype, rng)
    check(lax.dot_general(Array(lhs), Array(rhs), dims), *reference(lhs, rhs, dims), dtype)
    if dtype == F32:
        f = mirax.jit(lambda x, y: lax.dot_general(x, y, dims))
        check(f(lhs, rhs), *reference(lhs, rhs, dims), dtype)


@pytest.mark.parametrize("transposed", [False, True])
def test_long_matrix_vector_sums_are_blocked(transposed):
    """Positive terms, K = 2^16: summed in one f32 accumulator, as XLA's loop would, the
    result would be off by about 3e-6; in blocks of K_BLOCK whose sums fold as a tree,
    by about 1e-7."""
    rng = np.random.default_rng(0)
    a, x = rng.uniform(0, 1, (8, 1 << 16)).astype(F32), rng.uniform(0, 1, 1 << 16).astype(F32)
    exact = a.astype(F64) @ x.astype(F64)
    if transposed:
        got = mirax.jit(lambda a, x: lax.dot_general(x, a, (((0,), (0,)), ((), ()))))(a.T.copy(), x)
    else:
        got = mirax.jit(lambda a, x: lax.dot_general(a, x, (((1,), (0,)), ((), ()))))(a, x)
    assert np.abs(np.asarray(got, F64) - exact).max() <= 5e-7 * exact.max()


@pytest.mark.parametrize("case", range(len(MATVEC_CASES)))
def test_long_matrix_vector_lowering(case):
    """The matrix is not copied (transposed): the generics read it in place, the blocks'
    one marked for vectorized_matvec when they contract its rows laid out (batch?, free,
    contracting), summing by fused multiply-adds when they contract its columns."""
    lhs_shape, rhs_shape, dimensions, groups = MATVEC_CASES[case]
    text = _linalg_text(lhs_shape, rhs_shape, F32, dimensions)
    matrix = max(int(np.prod(lhs_shape)), int(np.prod(rhs_shape)))
    allocated = [int(np.prod([int(d) for d in shape.split("x")[:-1]]))
                 for shape in re.findall(r"tensor.empty\(\) : tensor<([^>]+)>", text)]
    assert max(allocated) < matrix, text  # no copy of the matrix
    marked, columns = groups in ("fk", "bfk"), not groups.endswith("k")
    assert text.count("mirax.matvec") == marked and ("math.fma" in text) == columns, text
    assert "linalg.transpose" not in text and "linalg.matmul" not in text, text


# A transpose feeding a matrix-vector product folds into its dimension numbers: (lhs
# shape, its permutation, rhs shape, dimension numbers of the transposed lhs, whether
# the lhs is then read in place, not copied).
TRANSPOSED_CASES = [
    ((600, 40), (1, 0), (600,), (((1,), (0,)), ((), ())), True),  # jnp.dot(a.T, x): a read by rows
    ((3, 600, 40), (0, 2, 1), (3, 600), (((2,), (1,)), ((0,), (0,))), True),  # batched
    ((600, 3, 40), (1, 2, 0), (3, 600), (((2,), (1,)), ((0,), (0,))), True),  # the batch in the middle
    ((40, 600), (1, 0), (40, 8), (((1,), (0,)), ((), ())), False),  # a matrix product: kept
    ((2, 3, 600), (1, 0, 2), (600,), (((2,), (0,)), ((), ())), False),  # free dimensions swapped: kept
]


@pytest.mark.parametrize("case", range(len(TRANSPOSED_CASES)))
def test_transposed_operand_folds(case):
    lhs_shape, permutation, rhs_shape, dims, in_place = TRANSPOSED_CASES[case]
    rng = np.random.default_rng(case)
    lhs, rhs = values(lhs_shape, F32, rng), values(rhs_shape, F32, rng)
    f = mirax.jit(lambda x, y: lax.dot_general(lax.transpose(x, permutation), y, dims))
    check(f(lhs, rhs), *reference(np.transpose(lhs, permutation), rhs, dims), F32)
    text = f.lower(lhs, rhs).as_text("linalg")
    allocated = [int(np.prod([int(d) for d in shape.split("x")[:-1]]))
                 for shape in re.findall(r"tensor.empty\(\) : tensor<([^>]+)>", text)]
    assert (max(allocated) < lhs.size) == in_place, text
