"""The Schur form and what is built on it or beside it (dialect/eigen.py's schur,
hessenberg and householder_product ops; lax.linalg's tridiagonal, tridiagonal_solve,
lu_pivots_to_permutation, symmetric_product, cholesky_update and ormqr;
scipy.linalg's schur, rsf2csf, sqrtm, funm, solve_sylvester and hessenberg) against
JAX, eagerly, under jit, differentiated and under vmap where JAX supports it.

A Schur form is unique only up to the order of the eigenvalues on its diagonal and
the phases of the Schur vectors (and, for a normal matrix's 2x2 blocks, a rotation):
mirax runs LAPACK's algorithms for real matrices (gehrd, then dlahqr), whose t and z
equal JAX's to rounding on small matrices; the others are checked by reconstruction
and structure. The functions built of many small operations run under jit (eagerly,
each would be a compilation)."""
import jax
import jax.numpy as jjnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
import mirax.scipy.linalg as msl
from mirax import lax
from mirax.test_util import check_grads
from oracle import rand


def close(got, want, atol=1e-4):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_allclose(got, want, atol=atol, rtol=atol)


SCHUR_CASES = [  # (matrix, whether t and z equal JAX's in the real Schur form)
    (rand((1, 1)), True),
    (np.array([[0, -1], [1, 0]], np.float32), True),
    (rand((4, 4)), True),
    (rand((5, 5), np.complex64, seed=1), False),
    (np.roll(np.eye(6, dtype=np.float32), 1, 0), False),  # normal: its 2x2 blocks' vectors are free
    (rand((16, 16), seed=2), False),
    (rand((2, 3, 3), seed=3), True),
]


@pytest.mark.parametrize("case", range(len(SCHUR_CASES)))
@pytest.mark.parametrize("output", ["real", "complex"])
def test_schur_matches_jax(case, output):
    a, same = SCHUR_CASES[case]
    t, z = msl.schur(a, output)
    t_want, z_want = jsl.schur(a, output)
    assert (t.dtype, t.shape, z.dtype) == (t_want.dtype, t_want.shape, z_want.dtype)
    t, z = np.asarray(t), np.asarray(z)
    zh = np.conj(np.swapaxes(z, -1, -2))
    np.testing.assert_allclose(z @ t @ zh, a, atol=1e-5 * a.shape[-1])
    np.testing.assert_allclose(zh @ z, np.broadcast_to(np.eye(a.shape[-1]), a.shape), atol=1e-5)
    # triangular, or quasi-triangular with standardized 2x2 blocks
    assert np.all(np.tril(t, -2) == 0)
    sub = np.diagonal(t, -1, -2, -1)
    if np.iscomplexobj(t):
        assert np.all(sub == 0)
    else:
        assert np.all(sub[..., 1:][sub[..., :-1] != 0] == 0)  # no two in a row
        blocks = np.nonzero(sub)
        for *b, i in zip(*blocks, strict=True):
            m = t[tuple(b)]
            assert m[i, i] == m[i + 1, i + 1] and m[i, i + 1] * m[i + 1, i] < 0
    if same and output == "real":
        close(t, t_want)
        close(z, z_want)


def test_schur_under_jit_without_vectors():
    a = rand((5, 5), seed=4)
    (t,) = mirax.jit(lambda a: lax.linalg.schur(a, compute_schur_vectors=False))(a)
    close(t, lax.linalg.schur(a)[0], 1e-6)
    with pytest.raises(NotImplementedError, match="The sort feature of LAPACK's gees routine is not implemented."):
        lax.linalg.schur(a, sort_eig_vals=True)
    with pytest.raises(ValueError, match="Expected 'output' to be either 'real' or 'complex'"):
        msl.schur(a, "other")


def test_rsf2csf_sqrtm_funm_match_jax():
    a = rand((4, 4), seed=5)
    spd = (a @ a.T + np.eye(4)).astype(np.float32)

    def run(sl, np_, a, spd):
        return (*sl.rsf2csf(*sl.schur(a)), sl.sqrtm(spd), *sl.funm(spd, np_.sin, disp=False))

    got = mirax.jit(lambda a, spd: run(msl, jnp, a, spd))(a, spd)
    want = jax.jit(lambda a, spd: run(jsl, jjnp, a, spd))(a, spd)
    for g, w in zip(got, want, strict=True):
        close(g, w, 2e-4)
    with pytest.raises(NotImplementedError, match="Blocked version is not implemented yet."):
        msl.sqrtm(spd, blocksize=2)


def test_solve_sylvester_matches_jax():
    a, b, c = rand((4, 4), seed=7) + 4 * np.eye(4, dtype=np.float32), rand((3, 3), seed=8), rand((4, 3), seed=9)
    both = lambda sl: lambda a, b, c: [sl.solve_sylvester(a, b, c, method=m) for m in ("schur", "eigen")]  # noqa: E731
    solve = mirax.jit(both(msl))
    for x, want in zip(solve(a, b, c), jax.jit(both(jsl))(a, b, c), strict=True):
        close(x, want, 2e-4)
        np.testing.assert_allclose(a @ np.asarray(x) + np.asarray(x) @ b, c, atol=2e-4)
    singular = solve(np.eye(4, dtype=np.float32), -np.eye(3, dtype=np.float32), c)  # eigenvalues summing to 0
    assert np.isnan(np.asarray(singular)).all()
    with pytest.raises(ValueError, match="Unrecognized method other"):
        msl.solve_sylvester(a, b, c, method="other")


# ----------------------------------------------------------------------------- Hessenberg and Householder


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_hessenberg_matches_jax(dtype):
    a = rand((2, 5, 5), dtype, seed=10)
    for got, want in zip(lax.linalg.hessenberg(a), jax.lax.linalg.hessenberg(a), strict=True):
        close(got, want, 1e-5)
    hessenberg = lambda sl: lambda a: sl.hessenberg(a, calc_q=True)  # noqa: E731
    for got, want in zip(mirax.jit(hessenberg(msl))(a), jsl.hessenberg(a, calc_q=True), strict=True):
        close(got, want, 1e-5)


def test_householder_product_matches_jax():
    qr, taus = jjnp.linalg.qr(rand((5, 3), seed=21), mode="raw")
    close(lax.linalg.householder_product(np.asarray(qr).T, np.asarray(taus)),
          jax.lax.linalg.householder_product(qr.T, taus), 1e-5)


@pytest.mark.parametrize("lower", [True, False])
def test_tridiagonal_matches_jax(lower):
    a = rand((5, 5), np.complex64, seed=11)
    hermitian = a + np.conj(a.T)
    for got, want in zip(lax.linalg.tridiagonal(hermitian, lower=lower),
                         jax.lax.linalg.tridiagonal(hermitian, lower=lower), strict=True):
        close(got, want, 1e-5)


# ----------------------------------------------------------------------------- solves and updates


def test_tridiagonal_solve_values_grads_and_vmap():
    dl, d, du = rand((3, 6), seed=12), rand((3, 6), seed=13) + 4, rand((3, 6), seed=14)
    b = rand((3, 6, 2), seed=15)
    want = jax.lax.linalg.tridiagonal_solve(dl, d, du, b)
    close(mirax.vmap(lax.linalg.tridiagonal_solve)(dl, d, du, b), want, 1e-5)
    check_grads(lambda d, b: lax.linalg.tridiagonal_solve(dl[0], d, du[0], b), (d[0], b[0]), order=1,
                modes=("rev",), atol=1e-2, rtol=1e-2)
    with pytest.raises(TypeError, match="requires that all diagonal arguments have the same shape."):
        lax.linalg.tridiagonal_solve(dl[0], d[0], du[0, :5], b[0])
    with pytest.raises(NotImplementedError, match="perturb_singular=True is not supported"):
        lax.linalg.tridiagonal_solve(dl[0], d[0], du[0], b[0], perturb_singular=True)


def test_lu_pivots_to_permutation_and_lu_solve():
    pivots = np.array([[2, 2, 3], [1, 4, 4]], np.int32)
    close(lax.linalg.lu_pivots_to_permutation(pivots, 6), jax.lax.linalg.lu_pivots_to_permutation(pivots, 6))
    with pytest.raises(ValueError, match="Output permutation size 2 has to exceed the trailing dimension"):
        lax.linalg.lu_pivots_to_permutation(pivots, 2)
    a, b = rand((4, 4), seed=16), rand((4, 2), seed=17)
    close(mirax.jit(lambda a, b: msl.lu_solve(msl.lu_factor(a), b, 2))(a, b), jsl.lu_solve(jsl.lu_factor(a), b, 2))


def test_symmetric_product_cholesky_update_ormqr():
    a, c, m = rand((2, 3, 4), seed=18), rand((2, 3, 3), seed=19), rand((4, 4), seed=20)
    r = np.linalg.cholesky(m @ m.T + np.eye(4)).T.astype(np.float32)
    h, taus = jjnp.linalg.qr(m[:, :3], mode="raw")
    h, taus = np.asarray(h).T, np.asarray(taus)

    def run(linalg, a, c, r, w, h, taus, m):
        return (linalg.symmetric_product(a, c, alpha=2., beta=0.5, symmetrize_output=True),
                linalg.cholesky_update(r, w), linalg.ormqr(h, taus, m), linalg.ormqr(h, taus, m.T, left=False,
                                                                                   transpose=True))

    args = (a, c, r, m[0], h, taus, m)
    for got, want in zip(mirax.jit(lambda *x: run(lax.linalg, *x))(*args), run(jax.lax.linalg, *args), strict=True):
        close(got, want, 1e-5)


def test_qdwh_matches_jax():
    x = rand((5, 3), np.complex64, seed=22)
    for got, want in zip(mirax.jit(lax.linalg.qdwh)(x), jax.lax.linalg.qdwh(x), strict=True):
        close(got, want, 1e-5)
    with pytest.raises(ValueError, match="The input matrix of shape M x N must have M >= N."):
        lax.linalg.qdwh(x.T)
