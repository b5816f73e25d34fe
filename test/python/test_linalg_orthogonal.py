"""mirax.numpy.linalg's orthogonal factorizations (qr, eigh, eigvalsh; the mirax.qr and
mirax.eigh ops of dialect/orthogonal.py) and norm: values against NumPy in every
dtype, derivatives against JAX and against finite differences (check_grads, forward
and reverse, to order 2), vmap against a Python loop and jax.vmap, and bad input.

Eigenvectors are unique only up to a phase per column, so they are compared through
what does not depend on it (v diag(w) v^H, |v^H v_numpy|), and differentiated
through gauge-invariant functions, as JAX's own tests do. QR follows LAPACK's sign
convention, so q and r compare directly."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.test_util import check_grads
import linalg_cases
from linalg_cases import WIDE, adjoint, close
from oracle import check_vmap, rand

dtype = linalg_cases.dtype  # the fixture: every dtype the ops take


def hermitian(shape, dtype, seed=0):
    a = rand(shape, dtype, seed)
    return ((a + adjoint(a)) / 2).astype(dtype)


# ----------------------------------------------------------------------------- values against NumPy


@pytest.mark.parametrize("shape, mode", [((4, 3), "complete"), ((3, 5), "reduced"), ((2, 4, 3), "reduced")])
def test_qr_matches_numpy(dtype, shape, mode):
    a = rand(shape, dtype)
    q, r = jnp.linalg.qr(a, mode)
    q_want, r_want = np.linalg.qr(a, mode)
    close(q, q_want, dtype, 10)
    close(r, r_want, dtype, 10)
    close(np.asarray(q) @ np.asarray(r), a, dtype, 10)
    k = q.shape[-1]
    close(adjoint(np.asarray(q)) @ np.asarray(q), np.broadcast_to(np.eye(k, dtype=dtype), q.shape[:-2] + (k, k)), dtype,
          10)
    if mode == "reduced":
        close(jnp.linalg.qr(a, "r"), r_want, dtype, 10)


@pytest.mark.parametrize("shape", [(5, 5), (2, 3, 3)])
def test_eigh_matches_numpy(dtype, shape):
    a = hermitian(shape, dtype)
    w, v = jnp.linalg.eigh(a)
    w_want, v_want = np.linalg.eigh(a)
    close(w, w_want, dtype, 10)
    v = np.asarray(v)
    assert v.dtype == dtype
    close(v * np.asarray(w)[..., None, :] @ adjoint(v), a, dtype, 10)
    close(adjoint(v) @ v, np.broadcast_to(np.eye(shape[-1], dtype=dtype), v.shape), dtype, 10)
    # Each column is NumPy's eigenvector up to a phase (the eigenvalues are distinct).
    overlap = np.abs(np.sum(np.conj(v) * v_want, axis=-2))
    close(overlap, np.ones_like(overlap), dtype, 100)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle_without_symmetrizing(uplo):
    a = hermitian((4, 4), np.complex64, seed=1)
    ignored = np.triu_indices(4, 1) if uplo == "L" else np.tril_indices(4, -1)
    garbage = a.copy()
    garbage[ignored] = 100 + 7j
    got = jnp.linalg.eigvalsh(garbage, uplo, symmetrize_input=False)
    close(got, np.linalg.eigvalsh(a), np.dtype(np.complex64), 10)


NORMS = [  # (shape, ord, axis, keepdims)
    ((3, 4), None, None, False), ((2, 3, 4), None, None, True),
    *(((3, 4), ord, 1, False) for ord in (None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf)),
    ((3, 4), 2, -2, True),
    *(((2, 3, 4), ord, (1, 2), False) for ord in (None, "fro", 1, -1, 2, -2, np.inf, -np.inf, "nuc")),
    *(((2, 3, 4), ord, (2, 0), True) for ord in (1, np.inf, "nuc")),
    ((4, 3), 2, None, False), ((5,), np.inf, None, False),
]


@pytest.mark.parametrize("dtype_", [np.float32, np.complex64], ids=["float32", "complex64"])
def test_norm_matches_numpy(dtype_):
    inputs = {shape: rand(shape, dtype_, seed=len(shape)) for shape, *_ in NORMS}
    norms = mirax.jit(lambda inputs: [jnp.linalg.norm(inputs[shape], *rest) for shape, *rest in NORMS])(inputs)
    for got, (shape, ord, axis, keepdims) in zip(norms, NORMS, strict=True):
        want = np.linalg.norm(inputs[shape], ord, axis, keepdims)
        assert got.dtype == np.float32 and got.shape == want.shape, (ord, axis, got.dtype, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"ord={ord} axis={axis}")


def test_integer_input_promotes_like_jax():
    a = np.array([[2, 1], [1, 3]], np.int32)
    for fn in (lambda m, x: m.linalg.eigvalsh(x), lambda m, x: m.linalg.qr(x)[1], lambda m, x: m.linalg.norm(x, 2)):
        got, want = fn(jnp, a), fn(jjnp, a)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5)


# ----------------------------------------------------------------------------- derivatives


def eigh_invariants(m, a):
    """Gauge-invariant functions of eigh(a): the eigenvalues, and a weighted sum of
    projections onto the eigenvectors, v diag(c) v^H."""
    w, v = m.linalg.eigh(a)
    c = m.arange(1.0, a.shape[-1] + 1)
    return w, (v * c) @ m.conj(m.swapaxes(v, -1, -2))


@pytest.mark.parametrize("dtype_", [np.float32, np.complex64], ids=["float32", "complex64"])
def test_eigh_grad_matches_jax(dtype_):
    a = hermitian((4, 4), dtype_)
    weights = rand((4, 4), np.float32, seed=2)

    def loss(m, a):
        w, projection = eigh_invariants(m, a)
        return m.sum(w * m.arange(4.0)) + m.sum(m.real(projection) * weights)

    got = mirax.jit(mirax.grad(lambda a: loss(jnp, a)))(a)
    want = jax.grad(lambda a: loss(jjnp, a))(a)
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)


def realified(f):
    """f of one complex array as a function of its real and imaginary parts, returning
    the real and imaginary parts of its outputs: check_grads' reverse-mode check takes
    complex functions without JAX's conjugations, so it is given real ones."""

    def g(re, im):
        outs = f(mirax.lax.complex(re, im))
        return [part for out in outs
                for part in ((jnp.real(out), jnp.imag(out)) if np.iscomplexobj(out) else (out,))]

    return g


def check_grads_of(f, a, order):
    """check_grads of f at a, jitted (one compile per transformation, instead of one per
    op of the concrete tracing outside jit)."""
    if np.iscomplexobj(a):
        check_grads(mirax.jit(realified(f)), (a.real, a.imag), order=order)
    else:
        check_grads(mirax.jit(f), (a,), order=order)


@pytest.mark.parametrize("dtype_", WIDE, ids=["float64", "complex128"])
def test_eigh_derivatives_numerically(x64, dtype_):
    check_grads_of(lambda a: eigh_invariants(jnp, a), hermitian((3, 3), dtype_), order=2)


def test_eigh_jvp_of_eigenvectors_matches_jax(x64):
    """dv itself (not only gauge-invariant functions of it), for a real matrix whose
    eigenvectors agree with JAX's in sign."""
    a, t = hermitian((4, 4), np.float64), hermitian((4, 4), np.float64, seed=3)
    (w, v), (dw, dv) = mirax.jit(lambda a, t: mirax.jvp(jnp.linalg.eigh, (a,), (t,)))(a, t)
    (w_want, v_want), (dw_want, dv_want) = jax.jvp(lambda a: jjnp.linalg.eigh(a), (a,), (t,))
    signs = np.sign(np.sum(np.asarray(v) * np.asarray(v_want), axis=0))
    np.testing.assert_allclose(dw, dw_want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(dv) * signs, dv_want, rtol=1e-9, atol=1e-9)


QR_CASES = [((4, 3), "reduced"), ((3, 5), "reduced"), ((5, 3), "complete"), ((2, 3, 3), "complete")]


@pytest.mark.parametrize("shape, mode", QR_CASES, ids=[f"{s}-{m}" for s, m in QR_CASES])
@pytest.mark.parametrize("dtype_", WIDE, ids=["float64", "complex128"])
def test_qr_jvp_matches_jax(x64, dtype_, shape, mode):
    a, t = rand(shape, dtype_), rand(shape, dtype_, seed=1)
    _, (dq, dr) = mirax.jit(lambda a, t: mirax.jvp(lambda a: jnp.linalg.qr(a, mode), (a,), (t,)))(a, t)
    _, (dq_want, dr_want) = jax.jvp(lambda a: jjnp.linalg.qr(a, mode), (a,), (t,))
    np.testing.assert_allclose(dq, dq_want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dr, dr_want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype_, shape, mode, order", [
    (np.complex128, (4, 3), "reduced", 2), (np.float64, (4, 3), "reduced", 1),
    *((dtype_, shape, mode, 1) for dtype_ in WIDE for shape, mode in (((2, 3), "reduced"), ((3, 2), "complete"))),
])
def test_qr_derivatives_numerically(x64, dtype_, shape, mode, order):
    check_grads_of(lambda a: jnp.linalg.qr(a, mode), rand(shape, dtype_), order=order)


def test_qr_grad_matches_jax_complex64():
    a = rand((4, 3), np.complex64)
    weights = rand((4, 3), np.complex64, seed=1)

    def loss(m, a):
        q, r = m.linalg.qr(a)
        return m.sum(m.real(q * weights)) + m.sum(m.abs(r) ** 2)

    got = mirax.jit(mirax.grad(lambda a: loss(jnp, a)))(a)
    want = jax.grad(lambda a: loss(jjnp, a))(a)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ord, axis", [(None, None), ("fro", (0, 1)), (2, (0, 1)), ("nuc", (0, 1)), (-2, (0, 1)),
                                       (1, (0, 1)), (np.inf, 1), (3, 1)])
def test_norm_grad_matches_jax(ord, axis):
    x = rand((3, 4), np.float32)
    got = mirax.jit(mirax.grad(lambda x: jnp.sum(jnp.linalg.norm(x, ord, axis))))(x)
    want = jax.grad(lambda x: jjnp.sum(jjnp.linalg.norm(x, ord, axis)))(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_norm_grad_complex(x64):
    z = rand((3, 3), np.complex128)
    for ord in ("fro", 2, "nuc"):
        got = mirax.jit(mirax.grad(lambda z: jnp.linalg.norm(z, ord)))(z)
        want = jax.grad(lambda z: jjnp.linalg.norm(z, ord))(z)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8, err_msg=str(ord))


# ----------------------------------------------------------------------------- vmap


def test_qr_vmap():
    """The batch axis in the middle: moved to the front, ahead of the matrices'."""
    x = rand((4, 2, 3), np.float32)
    check_vmap(lambda lax, x: lax.linalg.qr(x, full_matrices=False), [x], in_axes=1, out_axes=(0, 2))


def test_eigh_vmap():
    """Eigenvalues and the phase-free |v|^2 against jax.vmap; the eigenvectors
    themselves against a loop of mirax's own (the same algorithm, the same signs)."""
    x = np.moveaxis(hermitian((4, 3, 3), np.complex64), 0, 1)  # batched along axis 1

    def invariants(lax, x):
        v, w = lax.linalg.eigh(x)
        return w, lax.real(v * lax.conj(v))

    check_vmap(invariants, [x], in_axes=1, tolerance={"f4": 1e-4})
    v = mirax.jit(mirax.vmap(lambda x: jnp.linalg.eigh(x).eigenvectors, in_axes=1))(x)
    loop = np.stack([np.asarray(jnp.linalg.eigh(x[:, i]).eigenvectors) for i in range(4)])
    np.testing.assert_allclose(v, loop, rtol=1e-6, atol=1e-6)


def test_per_example_gradients():
    """jit(vmap(grad)) of a loss through eigh and qr, against jax's."""
    xs = hermitian((3, 3, 3), np.float32)

    def loss(m, x):
        w, _ = m.linalg.eigh(x)
        _, r = m.linalg.qr(x)
        return m.sum(w ** 2) + m.sum(r * r)

    got = mirax.jit(mirax.vmap(mirax.grad(lambda x: loss(jnp, x))))(xs)
    want = jax.vmap(jax.grad(lambda x: loss(jjnp, x)))(xs)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- bad input


def test_bad_input():
    with pytest.raises(ValueError, match=r"must have shape \[\.\.\., n, n\], got shape \(2, 3\)"):
        jnp.linalg.eigh(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="UPLO must be one of None, 'L', or 'U', got X"):
        jnp.linalg.eigh(np.eye(2), UPLO="X")
    with pytest.raises(TypeError, match=r"requires matrices \(rank >= 2\), got shape \[3\]"):
        jnp.linalg.qr(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="got int32"):
        mirax.lax.linalg.qr(np.ones((2, 2), np.int32))
    with pytest.raises(ValueError, match="Unsupported QR decomposition mode 'bad'"):
        jnp.linalg.qr(np.eye(2), "bad")
    with pytest.raises(ValueError, match="Invalid order 'bad' for matrix norm"):
        jnp.linalg.norm(np.eye(2), "bad")
    with pytest.raises(ValueError, match="Improper number of axes for norm"):
        jnp.linalg.norm(np.ones((2, 2, 2)), 2, axis=(0, 1, 2))
