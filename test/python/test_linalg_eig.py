"""General eigenproblems (the mirax.eig op of dialect/eigen.py): lax.linalg.eig,
jnp.linalg.eig and eigvals against JAX on a table of matrices, eagerly and under jit;
derivatives (eigvals by check_grads and against JAX, eig's eigenvector JVP against
JAX), vmap against a loop, and JAX's refusals.

JAX does not sort the eigenvalues, and the Schur forms behind them need not list them
in one order: they are matched one to one before comparing. Eigenvectors are checked
by what defines them (a v = v diag(w), vl^H a = diag(w) vl^H) and by LAPACK's
normalization (unit 2-norm, largest component real), and a real matrix's right ones
against JAX's (mirax balances the matrix and chooses signs as dgeev does; where
dgeev's choice hinges on a rounding-sized real part, it may still differ)."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import lax
from mirax.test_util import check_grads
from oracle import rand


def _orthogonal(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


CASES = {  # name: matrix (float32 or complex64), the table every test below draws from
    "1x1": rand((1, 1)),
    "2x2 rotation": np.array([[0, -1], [1, 0]], np.float32),  # eigenvalues +-i
    "3x3 real": rand((3, 3), seed=1),
    "5x5 complex": rand((5, 5), np.complex64, seed=2),
    "16x16 real": rand((16, 16), seed=3),
    "repeated": (_orthogonal(4, 4) @ np.diag([1., 1, 2, 2]) @ _orthogonal(4, 4).T).astype(np.float32),
    "diagonal": np.diag([3., -1, 2]).astype(np.float32),
    "upper triangular": np.triu(rand((4, 4), seed=5)),
    "permutation": np.roll(np.eye(6, dtype=np.float32), 1, 0),  # the 6th roots of unity
    "nilpotent": np.eye(4, k=1, dtype=np.float32),  # defective: parallel eigenvectors
    "lower triangular": np.tril(rand((4, 4), seed=12)),  # balancing permutes it
    "badly scaled": (np.diag([1, 1e3, 1e-3, 1e2]) @ rand((4, 4), seed=13) @ np.diag([1, 1e-3, 1e3, 1e-2])).astype(
        np.float32),  # balancing scales it back
    "batched": rand((2, 3, 3), np.complex64, seed=6),
}


def _matching(w, want):
    """The permutation of `want` [..., n] nearest to w, per batch element."""
    w, want = np.asarray(w), np.asarray(want)
    order = np.empty(w.shape, int)
    for b in np.ndindex(w.shape[:-1]):
        left = list(range(w.shape[-1]))
        for i, x in enumerate(w[b]):
            j = min(left, key=lambda j: abs(want[b][j] - x))
            order[b][i] = j
            left.remove(j)
    return order


def _check_vectors(a, w, v, left=False, tol=2e-5):
    """v's columns are unit eigenvectors of a (left ones: v^H a = diag(w) v^H) with
    their largest component real."""
    a, w, v = np.asarray(a), np.asarray(w), np.asarray(v)
    scale = max(1, np.abs(a).max())
    if left:
        residual = np.conj(np.swapaxes(v, -1, -2)) @ a - w[..., :, None] * np.conj(np.swapaxes(v, -1, -2))
    else:
        residual = a @ v - v * w[..., None, :]
    assert np.abs(residual).max() <= 20 * tol * scale * a.shape[-1]
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=10 * tol)
    largest = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], -2)
    np.testing.assert_allclose(largest.imag, 0, atol=10 * tol)


def _check_eig(a, w, vl, vr, want_w, tol=2e-5):
    assert w.dtype == want_w.dtype and w.shape == want_w.shape
    order = _matching(w, want_w)
    scale = max(1, np.abs(np.asarray(a)).max())
    # A defective eigenvalue moves by eps^(1/multiplicity) under rounding.
    defective = np.allclose(np.asarray(a), np.triu(np.asarray(a), 1)) and not np.allclose(np.asarray(a), 0)
    np.testing.assert_allclose(np.asarray(w), np.take_along_axis(np.asarray(want_w), order, -1),
                               atol=(1e-3 if defective else 50 * tol) * scale)
    _check_vectors(a, w, vr, tol=tol)
    _check_vectors(a, w, vl, left=True, tol=tol)


@pytest.mark.parametrize("name", list(CASES))
def test_eig_matches_jax(name):
    a = CASES[name]
    w, vl, vr = lax.linalg.eig(a)
    _check_eig(a, w, vl, vr, jjnp.linalg.eigvals(a))
    if np.isrealobj(a):  # exact conjugate pairs, real eigenvalues exactly real, as LAPACK's
        w = np.asarray(w)
        assert set(np.round(w[np.abs(w.imag) > 0], 4)) == set(np.round(np.conj(w[np.abs(w.imag) > 0]), 4))
        assert np.all(np.asarray(vr)[..., w.imag == 0].imag == 0)


@pytest.mark.parametrize("name", ["3x3 real", "5x5 complex"])
def test_eig_under_jit_and_numpy_names(name):
    a = CASES[name]
    w, v = mirax.jit(jnp.linalg.eig)(a)
    want = jjnp.linalg.eigvals(a)
    _check_vectors(a, w, v)
    got = mirax.jit(jnp.linalg.eigvals)(a)
    np.testing.assert_allclose(np.asarray(got), np.take_along_axis(np.asarray(want), _matching(got, want), -1),
                               atol=1e-4)
    if np.isrealobj(a):  # JAX's eigenvectors, signs included
        v_want = np.take_along_axis(np.asarray(jjnp.linalg.eig(a)[1]), _matching(w, want)[..., None, :], -1)
        np.testing.assert_allclose(np.asarray(v), v_want, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_eig_64_bit(x64, dtype):
    a = rand((5, 5), dtype, seed=7)
    w, vl, vr = lax.linalg.eig(a)
    assert w.dtype == np.complex128
    _check_eig(a, w, vl, vr, jjnp.linalg.eigvals(a), tol=1e-12)


def test_eig_promotes_integers_and_poisons_nans():
    a = np.array([[2, 1], [0, 3]], np.int32)
    w = jnp.linalg.eigvals(a)
    assert w.dtype == np.complex64
    np.testing.assert_allclose(np.sort_complex(np.asarray(w)), [2, 3])
    w, v = jnp.linalg.eig(np.array([[1, np.nan], [0, 1]], np.float32))
    assert np.isnan(np.asarray(w)).all() and np.isnan(np.asarray(v)).all()
    w = jnp.linalg.eigvals(np.diag([1e30, -2e30]).astype(np.float32) + 1e29)  # no overflow in the reflectors
    np.testing.assert_allclose(np.sort(np.asarray(w).real), np.sort(np.linalg.eigvals(
        np.diag([1e30, -2e30]) + 1e29).real), rtol=1e-5)


# ----------------------------------------------------------------------------- derivatives


def _separated(n, dtype, seed):
    """A matrix with well-separated eigenvalues 1..n (complex for complex dtypes)."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n, n)) + np.eye(n) * 3
    values = np.arange(1, n + 1) * (1 + 0.5j if np.dtype(dtype).kind == "c" else 1)
    return (s @ np.diag(values) @ np.linalg.inv(s)).astype(dtype)


def test_eigvals_derivatives():
    """Numerically on a complex matrix; a real one's gradient against JAX's."""
    check_grads(jnp.linalg.eigvals, (_separated(3, np.complex64, 8),), order=1, modes=("rev",), atol=5e-2,
                rtol=5e-2)
    a = _separated(3, np.float32, 8)
    loss, loss_jax = (lambda a: (jnp.abs(jnp.linalg.eigvals(a)) ** 2).sum(),
                      lambda a: (jjnp.abs(jjnp.linalg.eigvals(a)) ** 2).sum())
    np.testing.assert_allclose(np.asarray(mirax.grad(loss)(a)), np.asarray(jax.grad(loss_jax)(a)), rtol=1e-4,
                               atol=1e-4)


def test_eigenvector_jvp_matches_jax():
    dtype = np.float32
    a, da = _separated(3, dtype, 9), rand((3, 3), dtype, seed=10)
    eig = lambda lib: lambda a: lib.eig(a, enable_eigvec_derivs=True)  # noqa: E731
    (w, vl, vr), (dw, dvl, dvr) = mirax.jvp(eig(lax.linalg), (a,), (da,))
    (w_j, vl_j, vr_j), (dw_j, dvl_j, dvr_j) = jax.jvp(eig(jax.lax.linalg), (a,), (da,))
    order = _matching(w, w_j)
    np.testing.assert_allclose(np.asarray(dw), np.asarray(dw_j)[order], atol=1e-4)
    for v, dv, v_j, dv_j in ((vl, dvl, vl_j, dvl_j), (vr, dvr, vr_j, dvr_j)):
        v_j, dv_j = np.asarray(v_j)[:, order], np.asarray(dv_j)[:, order]
        # each column's phase (a sign for real a) relative to JAX's, the same for v and dv
        phase = np.sum(np.conj(v_j) * np.asarray(v), axis=0)
        np.testing.assert_allclose(np.abs(phase), 1, atol=1e-4)
        np.testing.assert_allclose(np.asarray(v), v_j * phase, atol=1e-4)
        np.testing.assert_allclose(np.asarray(dv), dv_j * phase, atol=2e-3)


def test_eigenvector_derivatives_refused_without_opt_in():
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs=True"):
        mirax.jvp(lambda a: jnp.linalg.eig(a)[1], (CASES["3x3 real"],), (CASES["3x3 real"],))


def test_eig_vmap_matches_loop():
    a = CASES["batched"]  # the programs of test_eig_matches_jax's cases (a batch costs a compilation)
    got = mirax.vmap(lax.linalg.eig, in_axes=0)(a)
    for i, x in enumerate(a):
        want = lax.linalg.eig(x)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(np.asarray(g)[i], np.asarray(w))


def test_eig_refusals_as_jax():
    with pytest.raises(ValueError, match=r"The input to eig must be a square matrix. Got shape \(2, 3\)."):
        lax.linalg.eig(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"Input 0 to eig must have rank at least 2, but got shape=\(3,\)"):
        lax.linalg.eig(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="eig does not accept dtype int32 at position 0"):
        lax.linalg.eig(np.ones((2, 2), np.int32))
    with pytest.raises(ValueError, match="Only the lapack implementation is supported on CPU."):
        lax.linalg.eig(np.eye(2, dtype=np.float32), implementation=lax.linalg.EigImplementation.MAGMA)
    outs = lax.linalg.eig(np.eye(2, dtype=np.float32), compute_left_eigenvectors=False,
                          compute_right_eigenvectors=False)
    assert len(outs) == 1
