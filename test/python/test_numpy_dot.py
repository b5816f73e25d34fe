"""mirax.numpy's products (numpy/_dot.py: dot, vdot, matmul, tensordot, inner, outer,
kron, einsum) and matrix helpers (numpy/_matrix.py: tri, tril, triu, diag, diagonal,
trace) against jax.numpy, the oracle, and NumPy, eagerly and under mirax.jit.

A case is a function of the numpy module (mirax.numpy or jax.numpy) and its input
arrays returning a list of results; each list is one jitted program.
"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from oracle import assert_close, check_vmap, rand
from oracle import run_both as oracle_run_both


# Contractions sum in another order than XLA: looser for float16, tighter for float32.
DOT_ROUNDING = {"f2": 1e-2, "f4": 1e-5, "c8": 1e-5, "f8": 1e-12, "c16": 1e-12}


def run_both(fn, inputs, jit):
    oracle_run_both(fn, inputs, jit, tolerance=DOT_ROUNDING)


# ----------------------------------------------------------------------------- products

# (name, input shapes, fn(np_module, *arrays))
CASES = [
    ("dot", [(3,), (3,), (2, 3), (3, 4)], lambda m, v, w, a, b: [
        m.dot(v, w), m.dot(a, v), m.dot(v, b), m.dot(a, b), m.dot(v[0], a), m.dot(a, w[1])]),
    ("dot_nd", [(2, 3, 4), (5, 4, 6), (4,)], lambda m, a, b, v: [m.dot(a, b), m.dot(a, v), m.dot(v, b)]),
    ("vdot", [(2, 3), (3, 2)], lambda m, a, b: [m.vdot(a, b), m.vdot(a[0], b[:, 0])]),
    ("matmul", [(2, 3), (3, 4), (3,)], lambda m, a, b, v: [
        m.matmul(a, b), m.matmul(a, v), m.matmul(v, b), m.matmul(v, v), a @ b]),
    ("matmul_batch", [(2, 1, 3, 4), (5, 4, 2), (4,), (1, 4, 3)], lambda m, a, b, v, c: [
        m.matmul(a, b), m.matmul(a, v), m.matmul(v, b), m.matmul(c, a), m.matmul(c[0].T, c), m.matmul(a[0], b)]),
    ("tensordot", [(2, 3, 4), (3, 4, 5), (4, 3, 2)], lambda m, a, b, c: [
        m.tensordot(a, b), m.tensordot(a, b, 0), m.tensordot(a, c, 1), m.tensordot(a, c, ((1, 2), (1, 0))),
        m.tensordot(a, c, (-1, 0)), m.tensordot(a, c, [[0], [2]])]),
    ("inner_outer_kron", [(2, 3), (4, 3), ()], lambda m, a, b, s: [
        m.inner(a, b), m.inner(a[0], b[1]), m.inner(s, a), m.outer(a, b), m.outer(a[0], s), m.kron(a, b),
        m.kron(a[0], b), m.kron(s, a)]),
    ("empty", [(0, 3), (3, 0), (2, 0, 4)], lambda m, a, b, c: [
        m.dot(a, m.ones((3, 2), a.dtype)), m.dot(b, m.ones((0, 2), a.dtype)),
        m.matmul(c, m.ones((4, 5), a.dtype)), m.matmul(m.ones((2, 5, 0), a.dtype), c), m.einsum("ij,jk", b, a),
        m.tensordot(a, a, ((0,), (0,))), m.outer(a, b), m.einsum("ijk->", c)]),
    ("einsum", [(2, 3), (3, 4), (4, 5), (3, 3), (2, 3, 4), (3,)], lambda m, a, b, c, s, t, v: [
        m.einsum("ij,jk->ik", a, b), m.einsum("ij,jk", a, b), m.einsum("ij,jk,kl->il", a, b, c),
        m.einsum("ii", s), m.einsum("ii->i", s), m.einsum("ij->ji", a), m.einsum("ij->", a), m.einsum("i,i", v, v),
        m.einsum("i,j->ij", v, v), m.einsum("ijk->kji", t), m.einsum("ijk,jk->i", t, b), m.einsum("bij,jk->bik", t, c),
        m.einsum("ij,ij->ij", a, a), m.einsum("ij,ij", a, a), m.einsum("ij, jk -> ki", a, b),
        m.einsum(",i->i", v[0], v),
        m.einsum("iij->j", m.stack([s, s], -1)), m.einsum("ijk,ikj->", m.stack([s, s]), m.stack([s, s])),
        m.einsum("ab,cd", a, c), m.einsum("ij,kj->ik", a, a), m.einsum("ii->", s), m.einsum("Ab,bC", a, b)]),
    ("einsum_ellipsis", [(2, 1, 3, 4), (5, 4, 2), (2, 3), (3,)], lambda m, a, b, c, v: [
        m.einsum("...ij,...jk->...ik", a, b), m.einsum("...,...", c, v), m.einsum("i...->...", c),
        m.einsum("...j,j", c, v), m.einsum("...i", c), m.einsum("ij...,j->...i", a[0], v), m.einsum("...", c)]),
]

DTYPES = ["bool", "uint8", "int8", "int32", "float16", "float32", "complex64"]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_products(case, jit):
    _, shapes, fn = case
    run_both(fn, [rand(s, seed=i) for i, s in enumerate(shapes)], jit)


def products_dtypes(m, a, b, c, v):
    out = [m.dot(a, b), m.matmul(c, b), m.matmul(v, b), m.vdot(a, a), m.tensordot(a, b, 1), m.inner(a, a),
           m.outer(v, v), m.einsum("ij,jk->ki", a, b), m.einsum("ii", b[:, :3]), m.einsum("bij,jk->bik", c, b),
           m.einsum("ij,ij->i", a, a)]
    return out if a.dtype == np.bool_ else out + [m.kron(a, v)]  # JAX's kron multiplies with lax.mul: no bools


@pytest.mark.parametrize("dtype", DTYPES)
def test_products_dtypes(dtype):
    run_both(products_dtypes, [rand(s, dtype, seed=i) for i, s in enumerate([(2, 3), (3, 4), (2, 2, 3), (3,)])],
             jit=True)


def mixed_dtypes(m, i8, f16, u8, f32):
    return [
        m.dot(i8, f16), m.matmul(u8, i8), m.dot(i8, i8, preferred_element_type=np.int32), m.matmul(i8, f32),
        m.einsum("ij,jk", i8, f16, preferred_element_type=np.float32), m.dot(f32, 2),
        m.tensordot(f16, f16.T, preferred_element_type=np.float32),
        m.einsum("ij->i", i8, preferred_element_type=np.float32),
        m.inner(u8, u8, preferred_element_type=np.float32),
    ]


def test_mixed_dtypes_and_preferred_element_type():
    run_both(mixed_dtypes, [rand((3, 3), np.int8), rand((3, 3), np.float16, seed=1), rand((3, 3), np.uint8, seed=2),
                            rand((3, 3), seed=3)], jit=False)


def test_x64_products(x64):
    run_both(lambda m, a, b, c: [m.dot(a, b), m.matmul(a, c), m.einsum("ij,jk", a, c), m.dot(b, b), m.vdot(c, c)],
             [rand((3, 4), np.float64), rand((4,), np.int64, seed=1), rand((4, 2), np.complex128, seed=2)],
             jit=True)


def test_products_match_numpy():
    a, b = rand((2, 3, 4)), rand((4, 5), seed=1)
    for fn in (lambda m: m.matmul(a, b), lambda m: m.kron(a[0], b), lambda m: m.einsum("ijk,kl->li", a, b),
               lambda m: m.tensordot(a, b, 1), lambda m: m.diagonal(a, 1, 2, 1), lambda m: m.trace(a, -1)):
        np.testing.assert_allclose(np.asarray(fn(jnp)), fn(np), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):  # as NumPy (JAX fails in its transpose with a TypeError)
        jnp.diagonal(a, 0, 1, 1)


# ----------------------------------------------------------------------------- long products, transposed operands

# K above K_BLOCK (dialect/dot.py): blocked products, the matrix of a matrix-vector one
# read in place however it is laid out, a transpose of it folded into the product.
def transposed_products(m, a, v, b, w):
    return [m.dot(a.T, v), m.dot(v, a), m.dot(a.T, a[:, :4]), m.matmul(m.swapaxes(b, 1, 2), w[..., None]),
            m.einsum("bkf,bk->fb", b, w), m.einsum("kbf,bk->bf", m.transpose(b, (1, 0, 2)), w),
            m.dot(m.transpose(b, (2, 0, 1)).reshape(5, -1), m.ravel(w))]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_transposed_products(jit):
    run_both(transposed_products, [rand((300, 6)), rand((300,), seed=1), rand((2, 300, 5), seed=2),
                                   rand((2, 300), seed=3)], jit)


@pytest.mark.parametrize("in_axes", [(0, 0), (1, 0), (2, 1), (None, 1), (1, None)])
def test_transposed_matrix_vector_vmap(in_axes):
    """vmap of a.T @ v (K = 300) batches the matrix at any axis: the product reads it in place."""
    shapes = [(300, 6), (300,)]
    inputs = [rand(s[:a] + (3,) + s[a:] if a is not None else s, seed=i)
              for i, (s, a) in enumerate(zip(shapes, in_axes, strict=True))]
    check_vmap(lambda m, a, v: m.dot(a.T, v), inputs, in_axes, jax_modules=(jjnp,), mirax_modules=(jnp,),
               tolerance=DOT_ROUNDING)


def test_transposed_matrix_vector_grad():
    def loss(m, a, v):
        return m.sum(m.dot(a.T, v) ** 2)

    a, v = rand((300, 6)), rand((300,), seed=1)
    want = jax.jit(jax.grad(lambda a, v: loss(jjnp, a, v), argnums=(0, 1)))(a, v)
    assert_close(mirax.jit(mirax.grad(lambda a, v: loss(jnp, a, v), argnums=(0, 1)))(a, v), want)


# ----------------------------------------------------------------------------- matrix helpers


def matrix_helpers(m, x, v, t):
    out = [m.tri(3), m.tri(2, 4, -1, dtype=np.int32), m.tri(3, 2, 5, dtype=bool), m.diagonal(t, 1, 0, 2),
           m.diagonal(t, -1, -1, 0), m.trace(t, 0, 1, 2), m.trace(t, 1, -1, 0, dtype=np.float16), m.diag(x.T, 2),
           m.tril(t, -1), m.triu(t, 2), x.diagonal(), x.trace()]
    for k in (-5, -1, 0, 2, 6):
        out += [m.tril(x, k), m.triu(x, k), m.diagonal(x, k), m.trace(x, k), m.diag(x, k), m.diag(v, k)]
    return out


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_matrix_helpers(jit):
    run_both(matrix_helpers, [rand((4, 5)), rand((3,), seed=1), rand((2, 3, 4), seed=2)], jit)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "float16", "complex64"])
def test_matrix_helpers_dtypes(dtype):
    run_both(lambda m, x, v: [m.tril(x), m.triu(x, 1), m.diagonal(x, -1), m.trace(x), m.diag(v, -1), m.diag(x, 1),
                              m.trace(x, dtype=m.promote_types(x.dtype, m.float32))],
             [rand((3, 4), dtype), rand((3,), dtype, seed=1)], jit=True)


def test_matrix_helpers_empty():
    run_both(lambda m, x, v: [m.tril(x), m.triu(x), m.diagonal(x), m.trace(x), m.diag(v), m.diag(x, -3), m.tri(0, 3)],
             [rand((0, 3)), rand((0,))], jit=False)


# ----------------------------------------------------------------------------- errors


def test_dot_shape_error_names_shapes_and_source_line():
    with pytest.raises(TypeError) as info:
        jnp.dot(jnp.ones((2, 3)), jnp.ones((4, 5)))
    message = str(info.value)
    assert "2, 3" in message and "4, 5" in message and "test_numpy_dot.py" in message
    with pytest.raises(TypeError, match="test_numpy_dot.py"):
        mirax.jit(lambda a, b: a @ b)(jnp.ones((2, 3)), jnp.ones((2, 3)))


@pytest.mark.parametrize("fn, error", [
    (lambda m: m.dot(m.ones(3), m.ones(4)), TypeError),
    (lambda m: m.matmul(m.ones((2, 3)), m.ones((4, 2))), TypeError),
    (lambda m: m.matmul(m.ones((2, 2, 3)), m.ones((3, 3, 2))), ValueError),
    (lambda m: m.matmul(m.ones(()), m.ones(3)), ValueError),
    (lambda m: m.tensordot(m.ones((2, 3)), m.ones((3, 2)), 3), TypeError),
    (lambda m: m.tensordot(m.ones((2, 3)), m.ones((3, 2)), ((0, 1), (1,))), TypeError),
    (lambda m: m.tensordot(m.ones((2, 3)), m.ones((3, 2)), (0, 2)), ValueError),
    (lambda m: m.tensordot(m.ones((2, 3)), m.ones((3, 2)), "x"), TypeError),
    (lambda m: m.einsum("ij,jk", m.ones((2, 3)), m.ones((4, 4))), ValueError),
    (lambda m: m.einsum("ij,jk->il", m.ones((2, 3)), m.ones((3, 4))), ValueError),
    (lambda m: m.einsum("ij", m.ones((2, 3, 4))), ValueError),
    (lambda m: m.einsum("ij,jk", m.ones((2, 3))), ValueError),
    (lambda m: m.einsum("ii", m.ones((2, 3))), ValueError),
    (lambda m: m.einsum("ij->ii", m.ones((2, 2))), ValueError),
    (lambda m: m.tril(m.ones(3)), ValueError),
    (lambda m: m.diagonal(m.ones(3)), ValueError),
    (lambda m: m.diag(m.ones((2, 2, 2))), ValueError),
    (lambda m: m.trace(m.ones((2, 2)), 0, 0, 2), ValueError),
    (lambda m: m.dot([1, 2], [1, 2]), TypeError),
], ids=lambda x: "" if isinstance(x, type) else None)
def test_errors_like_jax(fn, error):
    with pytest.raises(error):
        fn(jjnp)
    with pytest.raises(error):
        fn(jnp)
