"""The SVD (the mirax.svd op of dialect/orthogonal.py) and what numpy.linalg builds on
it: svd, svdvals, pinv, lstsq, matrix_rank, cond, and norm's ord 2/-2/'nuc'. Values
against JAX in every dtype, eagerly and under jit; derivatives against JAX and finite
differences (check_grads); vmap against a Python loop; JAX's errors.

Singular vectors are unique only up to a phase per pair (u_j, v_j), and mirax's
(one-sided Jacobi) need not pick LAPACK's, so U and Vh are compared through what does
not depend on it: the reconstruction U diag(S) Vh, |U^H U - I|, and u diag(c) vh for
distinct singular values; singular values, pinv and lstsq compare directly."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.test_util import check_grads
import linalg_cases
from linalg_cases import adjoint, close
from oracle import rand

dtype = linalg_cases.dtype  # the fixture: float32, complex64, float64, complex128


def with_singular_values(shape, s, dtype, seed=0):
    """A random matrix [..., m, n] with singular values s (k = min(m, n) of them)."""
    m, n = shape[-2:]
    q1 = np.linalg.qr(rand(shape[:-2] + (m, m), dtype, seed))[0]
    q2 = np.linalg.qr(rand(shape[:-2] + (n, n), dtype, seed + 1))[0]
    k = min(m, n)
    return ((q1[..., :, :k] * np.asarray(s, np.float64)) @ q2[..., :k, :]).astype(dtype)


def cases(dtype):
    """Named matrices: square and rank-deficient (a repeated zero singular value), tall,
    wide and batched, 1x1. (Each shape compiles its own loops: few of them. Rows of 8
    and more take the vectorized loops of real dtypes, with a remainder.)"""
    return {"rank2": with_singular_values((4, 4), [3, 1, 0, 0], dtype, 6), "tall": rand((11, 9), dtype, 2),
            "wide": rand((2, 3, 10), dtype, 3), "1x1": rand((1, 1), dtype, 5)}


def svds(m, inputs):
    """Each case's full SVD (of the non-square ones), reduced SVD and singular values."""
    return {name: ([m.linalg.svd(a, full) for full in ((True, False) if a.shape[-1] != a.shape[-2] else (False,))],
                   m.linalg.svdvals(a)) for name, a in inputs.items()}


def check_svd(got, a, want_s, dtype, full_matrices):
    u, s, vh = (np.asarray(x) for x in got)
    real = np.finfo(dtype).dtype
    m, n = a.shape[-2:]
    k = min(m, n)
    assert (u.shape, s.shape, vh.shape) == (a.shape[:-2] + (m, m if full_matrices else k), a.shape[:-2] + (k,),
                                            a.shape[:-2] + (n if full_matrices else k, n))
    assert (u.dtype, s.dtype, vh.dtype) == (dtype, real, dtype)
    scale = max(1.0, float(np.max(want_s, initial=0)))
    close(s, want_s, dtype, 10 * scale)
    assert np.all(np.diff(s, axis=-1) <= 0)  # descending
    close((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, dtype, 10 * scale)
    for unitary in (adjoint(u) @ u, vh @ adjoint(vh)):
        close(unitary, np.broadcast_to(np.eye(unitary.shape[-1], dtype=dtype), unitary.shape), dtype, 10)


def test_svd_matches_jax(dtype):
    """Under jit in every dtype; eagerly (the same op, compiled alone) in one."""
    inputs = cases(dtype)
    want = svds(jjnp, inputs)
    results = [mirax.jit(lambda inputs: svds(jnp, inputs))(inputs)]
    if dtype == np.float32:
        results.append(svds(jnp, {"tall": inputs["tall"]}))
    for got in results:
        for name, (usvs, s) in got.items():
            a, (usvs_want, s_want) = inputs[name], want[name]
            for usv, full in zip(usvs, (True, False) if len(usvs) == 2 else (False,), strict=True):
                assert type(usv).__name__ == "SVDResult" and usv._fields == ("U", "S", "Vh")
                check_svd(usv, a, np.asarray(s_want), dtype, full)
            close(s, s_want, dtype, 10 * max(1.0, float(np.max(s_want))))


@pytest.mark.parametrize("dtype_", [np.float32, np.float64])
def test_bidiagonal_svd_matches_jax(x64, dtype_):
    """Real matrices of 32 rows and columns and more take Golub-Kahan's bidiagonalization
    and QR (the cases above, Jacobi): tall, wide and batched, rank-deficient (zeros on
    the bidiagonal to chase out) and zero."""
    inputs = {"tall": rand((40, 33), dtype_, 7), "wide": rand((2, 32, 45), dtype_, 8),
              "rank3": with_singular_values((36, 36), [5, 2, 1] + [0] * 33, dtype_, 9),
              "zero": np.zeros((32, 32), dtype_)}
    want = svds(jjnp, inputs)
    for name, (usvs, s) in mirax.jit(lambda inputs: svds(jnp, inputs))(inputs).items():
        a, (usvs_want, s_want) = inputs[name], want[name]
        for usv, full in zip(usvs, (True, False) if len(usvs) == 2 else (False,), strict=True):
            check_svd(usv, a, np.asarray(s_want), np.dtype(dtype_), full)
        close(s, s_want, dtype_, 10 * max(1.0, float(np.max(s_want))))


def test_bidiagonal_small_singular_values_keep_their_digits():
    """Golub-Kahan's QR deflates relative to the neighbouring entries of B (as LAPACK):
    singular values down to 1e-6 of the largest in float32 to ~eps / 1e-6, as JAX's."""
    s = np.logspace(0, -6, 48)
    a = with_singular_values((48, 48), s, np.float64, seed=4).astype(np.float32)
    want = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    np.testing.assert_allclose(jnp.linalg.svdvals(a), want, rtol=2e-2)


def test_ill_conditioned_singular_values_keep_their_digits(x64):
    """The smallest singular value 1e-12 of the largest: through the Gram matrix (its
    square, 1e-24) it would drown in rounding, the SVD gets it to ~eps / 1e-12."""
    s = [1, 1e-4, 1e-8, 1e-12]
    a = with_singular_values((4, 4), s, np.float64, seed=3)
    want = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(jnp.linalg.svdvals(a), want, rtol=1e-3)
    np.testing.assert_allclose(jnp.linalg.norm(a, -2), want[-1], rtol=1e-3)
    np.testing.assert_allclose(jnp.linalg.cond(a), want[0] / want[-1], rtol=1e-3)


def test_huge_and_tiny_matrices_are_scaled():
    """float32 entries of 1e30 (squares overflow) and 1e-30 (squares underflow): the
    op scales the matrix by its largest magnitude first."""
    for a in (rand((11, 9), np.float32, 2), rand((33, 32), np.float32, 2)):  # Jacobi's, Golub-Kahan's
        for scale in (1e30, 1e-30):
            want = np.linalg.svd(a.astype(np.float64) * scale, compute_uv=False)
            np.testing.assert_allclose(jnp.linalg.svdvals((a * scale).astype(np.float32)), want, rtol=1e-5)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_of_empty_matrices_is_jaxs(shape, full_matrices):
    a = np.zeros(shape, np.float32)
    want = jjnp.linalg.svd(a, full_matrices)
    for got in (jnp.linalg.svd(a, full_matrices), mirax.jit(lambda a: jnp.linalg.svd(a, full_matrices))(a)):
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_svd_of_nonfinite_matrices_is_nan(bad):
    a = rand((2, 3, 3), np.complex64)
    a[1, 0, 2] = bad  # the other matrix of the batch keeps its SVD
    u, s, vh = jnp.linalg.svd(a)
    assert np.isnan(np.asarray(s[1])).all() and np.isnan(np.asarray(u[1])).all() and np.isnan(np.asarray(vh[1])).all()
    check_svd((u[0], s[0], vh[0]), a[0], np.linalg.svd(a[0], compute_uv=False), np.dtype(np.complex64), True)
    assert np.isnan(np.asarray(jnp.linalg.svdvals(a[1]))).all()
    a = rand((2, 33, 32), np.float32)  # Golub-Kahan's
    a[1, 3, 0] = bad
    u, s, vh = jnp.linalg.svd(a)
    assert np.isnan(np.asarray(s[1])).all() and np.isnan(np.asarray(u[1])).all() and np.isnan(np.asarray(vh[1])).all()
    check_svd((u[0], s[0], vh[0]), a[0], np.linalg.svd(a[0], compute_uv=False), np.dtype(np.float32), True)


def test_svd_hermitian():
    """The Hermitian SVD comes from eigh: |eigenvalues| descending, the signs in vh."""
    a = rand((2, 4, 4), np.complex64)
    a = (a + adjoint(a)) / 2
    a[0] = -a[0] @ a[0]  # negative semidefinite: every sign negative
    u, s, vh = jnp.linalg.svd(a, hermitian=True)
    check_svd((u, s, vh), a, np.asarray(jjnp.linalg.svd(a, hermitian=True).S), np.dtype(np.complex64), True)
    close(jnp.linalg.svd(a, compute_uv=False, hermitian=True), jjnp.linalg.svd(a, compute_uv=False), np.complex64, 10)


def test_integer_input_promotes_like_jax():
    a = np.array([[2, 1], [1, 3], [0, 1]], np.int32)
    for fn in (lambda m: m.linalg.svd(a).S, lambda m: m.linalg.pinv(a), lambda m: m.linalg.lstsq(a, a[:, 0])[0],
               lambda m: m.linalg.matrix_rank(a), lambda m: m.linalg.cond(a)):
        got, want = fn(jnp), fn(jjnp)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- pinv, lstsq, matrix_rank, cond


CONDS = (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf)


def derived(m, inputs):
    """pinv, lstsq, matrix_rank and cond of the cases."""
    rank2, tall, wide = inputs["rank2"], inputs["tall"], inputs["wide"]
    return {
        "pinv": [m.linalg.pinv(a) for a in (rank2, tall)],
        "lstsq": [m.linalg.lstsq(rank2, tall[:4, 0]), m.linalg.lstsq(wide[0], tall[:3, :2])],
        "matrix_rank": m.linalg.matrix_rank(rank2),
        "cond": [m.linalg.cond(wide[..., :3], p) for p in CONDS],
        "singular": m.linalg.cond(rank2),
    }


@pytest.mark.parametrize("dtype", [np.float32], ids=["float32"], indirect=True)
def test_derived_functions_match_jax(dtype):
    """Under jit, in float32: the functions are dtype-generic compositions of ops that
    test_svd_matches_jax and their own tests check in every dtype."""
    inputs = cases(dtype)
    got, want = mirax.jit(lambda inputs: derived(jnp, inputs))(inputs), derived(jjnp, inputs)
    singular = got.pop("singular"), want.pop("singular")
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        close(g, w, dtype if np.asarray(w).dtype.kind == "c" else np.finfo(dtype).dtype, 100)
    # Singular: inf, or a huge ratio of rounding errors, as JAX's.
    assert all(np.asarray(cond) > 1e6 for cond in singular)


def test_pinv_options():
    a = with_singular_values((3, 4), [1, 1e-1, 1e-3], np.float32)
    for kwargs in ({"rtol": 1e-2}, {"rcond": 1e-2}, {"rtol": np.array(0.5, np.float32)}, {"rtol": 1e-5}):
        np.testing.assert_allclose(jnp.linalg.pinv(a, **kwargs), jjnp.linalg.pinv(a, **kwargs), rtol=1e-3, atol=1e-3,
                                   err_msg=str(kwargs))
    h = a @ a.T
    np.testing.assert_allclose(jnp.linalg.pinv(h, hermitian=True), jjnp.linalg.pinv(h, hermitian=True), rtol=1e-3)
    empty = jnp.linalg.pinv(np.zeros((2, 0, 3), np.float32))
    assert empty.shape == (2, 3, 0) and empty.dtype == np.float32
    with pytest.raises(ValueError, match="pinv: only one of rtol and rcond may be specified."):
        jnp.linalg.pinv(a, rtol=1e-3, rcond=1e-3)


def test_lstsq_options_and_errors():
    a, b = with_singular_values((4, 3), [1, 1e-2, 1e-4], np.float32), rand((4,), np.float32)
    for rcond in (None, 1e-3, -1.0):
        for got, want in zip(jnp.linalg.lstsq(a, b, rcond), jjnp.linalg.lstsq(a, b, rcond), strict=True):
            np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3, err_msg=str(rcond))
    for a, b in ((a, b), (a[:3], b[:3]), (a[:2], b[:2]), (with_singular_values((4, 3), [1, 1, 0], np.float32), b)):
        for got, want in zip(jnp.linalg.lstsq(a, b, numpy_resid=True), jjnp.linalg.lstsq(a, b, numpy_resid=True),
                             strict=True):  # resid empty unless a is tall and of full rank
            assert (got.shape, got.dtype) == (want.shape, want.dtype)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    empty = np.zeros((0, 3)), np.zeros(0)
    for got, want in zip(jnp.linalg.lstsq(*empty), jjnp.linalg.lstsq(*empty), strict=True):
        assert (got.shape, got.dtype) == (want.shape, want.dtype)
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="Leading dimensions of input arrays must match"):
        jnp.linalg.lstsq(a, np.ones(3))
    with pytest.raises(TypeError, match="3-dimensional array given. Array must be two-dimensional"):
        jnp.linalg.lstsq(np.ones((4, 4, 3)), np.ones(4))
    with pytest.raises(TypeError, match="3-dimensional array given. Array must be one or two-dimensional"):
        jnp.linalg.lstsq(a, np.ones((4, 1, 1)))


def test_matrix_rank_options():
    a = with_singular_values((2, 5, 3), [1, 1e-3, 1e-9], np.complex64, 2)
    for rtol in (None, 1e-2, np.array([1e-2, 1e-4], np.float32)):
        np.testing.assert_array_equal(jnp.linalg.matrix_rank(a, rtol), jjnp.linalg.matrix_rank(a, rtol))
    np.testing.assert_array_equal(jnp.linalg.matrix_rank(a, tol=1e-5), jjnp.linalg.matrix_rank(a, tol=1e-5))
    for v in (np.array([0.0, 1.0]), np.zeros(3), np.float32(2)):
        got, want = jnp.linalg.matrix_rank(v), jjnp.linalg.matrix_rank(v)
        assert got.dtype == want.dtype and got.shape == want.shape and int(got) == int(want)
    h = with_singular_values((4, 4), [3, 1, 0, 0], np.float32)
    assert jnp.linalg.matrix_rank(h @ h.T, hermitian=True) == 2
    with pytest.raises(ValueError, match="matrix_rank: only one of tol or rtol may be specified."):
        jnp.linalg.matrix_rank(a, 1e-3, tol=1e-3)


def test_cond_of_singular_and_nan_matrices():
    """inf for a singular matrix's NaN, NaN from a NaN matrix (JAX's)."""
    assert np.isnan(np.asarray(jnp.linalg.cond(np.full((2, 2), np.nan, np.float32), 1)))
    assert np.isinf(np.asarray(jnp.linalg.cond(np.zeros((2, 2), np.float32), 1)))


def test_cond_errors():
    with pytest.raises(ValueError, match=r"input array must be at least 2D; got arr.shape=\(3,\)"):
        jnp.linalg.cond(np.ones(3))
    with pytest.raises(ValueError, match=r"input array must not be empty; got arr.shape=\(0, 3\)"):
        jnp.linalg.cond(np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"for p=1, array must be square; got arr.shape=\(2, 3\)"):
        jnp.linalg.cond(np.ones((2, 3)), 1)


# ----------------------------------------------------------------------------- derivatives


def svd_invariants(m, a):
    """Gauge-invariant functions of svd(a) for distinct singular values: s, and
    u diag(c) vh (u_j and v_j change phase together)."""
    u, s, vh = m.linalg.svd(a, full_matrices=False)
    c = m.arange(1.0, s.shape[-1] + 1).astype(u.dtype)
    return s, (u * c) @ vh


@pytest.mark.parametrize("dtype_, shape", [(np.float64, (3, 3)), (np.complex128, (4, 3)), (np.float64, (2, 3, 4)),
                                            (np.float64, (33, 32))])  # the last by Golub-Kahan
def test_svd_jvp_matches_jax(x64, dtype_, shape):
    a, t = rand(shape, dtype_), rand(shape, dtype_, seed=1)
    got = mirax.jit(lambda a, t: mirax.jvp(lambda a: svd_invariants(jnp, a), (a,), (t,)))(a, t)
    want = jax.jvp(lambda a: svd_invariants(jjnp, a), (a,), (t,))
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
    # u and vh themselves, where mirax's phases are JAX's (real, signs matched)
    if dtype_ == np.float64 and shape == (3, 3):
        (u, _, vh), (du, _, dvh) = mirax.jvp(lambda a: jnp.linalg.svd(a), (a,), (t,))
        (u_want, _, _), (du_want, _, dvh_want) = jax.jvp(lambda a: jjnp.linalg.svd(a), (a,), (t,))
        signs = np.sign(np.sum(np.asarray(u) * np.asarray(u_want), axis=0))
        np.testing.assert_allclose(np.asarray(du) * signs, du_want, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(np.asarray(dvh) * signs[:, None], dvh_want, rtol=1e-9, atol=1e-9)


def realified(f):
    """f of one complex array as a function of its real and imaginary parts, returning
    real outputs (check_grads compares real functions)."""

    def g(re, im):
        outs = f(mirax.lax.complex(re, im))
        return [part for out in outs for part in ((jnp.real(out), jnp.imag(out)) if np.iscomplexobj(out) else (out,))]

    return g


def check_grads_of(f, a, order=1):
    if np.iscomplexobj(a):
        check_grads(mirax.jit(realified(f)), (a.real, a.imag), order=order)
    else:
        check_grads(mirax.jit(f), (a,), order=order)


@pytest.mark.parametrize("dtype_, shape", [(np.float64, (4, 3))])
def test_derivatives_numerically(x64, dtype_, shape):
    """svd's (its invariants), svdvals', pinv's and lstsq's, by check_grads."""
    a, b = rand(shape, dtype_), rand(shape[:1] + (2,), dtype_, seed=1)
    check_grads_of(lambda a: [*svd_invariants(jnp, a), jnp.linalg.svdvals(a), jnp.linalg.pinv(a),
                              jnp.linalg.lstsq(a, b)[0]], a)
    t = rand(shape, dtype_, seed=2)
    got = mirax.jit(lambda a, t: mirax.jvp(jnp.linalg.pinv, (a,), (t,)))(a, t)[1]
    np.testing.assert_allclose(got, jax.jvp(jjnp.linalg.pinv, (a,), (t,))[1], rtol=1e-9, atol=1e-9)


def test_svd_second_derivatives_numerically(x64):
    check_grads_of(lambda a: svd_invariants(jnp, a), rand((2, 2), np.float64), order=2)


def test_grads_match_jax_float32():
    """grad of a loss through svdvals, pinv, lstsq and cond."""
    a, b = rand((4, 3), np.float32), rand((4,), np.float32, 1)

    def loss(m, a):
        return (m.sum(m.linalg.svdvals(a) ** 2) + m.sum(m.linalg.pinv(a) * a.T)
                + m.sum(m.linalg.lstsq(a, b)[0]) + m.linalg.cond(a))

    got = mirax.jit(mirax.grad(lambda a: loss(jnp, a)))(a)
    np.testing.assert_allclose(got, jax.grad(lambda a: loss(jjnp, a))(a), rtol=1e-3, atol=1e-3)


def test_full_matrices_jvp_is_refused_as_jax():
    a = rand((3, 2), np.float32)
    with pytest.raises(NotImplementedError, match="Singular value decomposition JVP not implemented for full matrices"):
        mirax.jvp(jnp.linalg.svd, (a,), (a,))
    mirax.jvp(jnp.linalg.svd, (a[:2],), (a[:2],))  # square: full is reduced


# ----------------------------------------------------------------------------- vmap


def test_svd_vmap_matches_a_loop():
    """The batch axis in the middle, moved to the front of the op's batch: the same
    factors as one call per matrix; singular values against jax.vmap."""
    x = rand((3, 4, 2), np.complex64)  # batched along axis 1: 4 matrices 3 x 2
    got = mirax.jit(mirax.vmap(lambda a: jnp.linalg.svd(a), in_axes=1))(x)
    loop = [jnp.linalg.svd(x[:, i]) for i in range(4)]
    for g, *w in zip(got, *loop, strict=True):
        np.testing.assert_allclose(g, np.stack(w), rtol=1e-6, atol=1e-6)
    s = mirax.vmap(lambda a: jnp.linalg.pinv(a), in_axes=1)(x)
    np.testing.assert_allclose(s, jax.vmap(jjnp.linalg.pinv, in_axes=1)(x), rtol=1e-4, atol=1e-4)


def test_per_example_gradients():
    xs = rand((3, 3, 2), np.float32)

    def loss(m, x):
        return m.sum(m.linalg.svdvals(x) ** 3) + m.sum(m.linalg.pinv(x))

    got = mirax.jit(mirax.vmap(mirax.grad(lambda x: loss(jnp, x))))(xs)
    np.testing.assert_allclose(got, jax.vmap(jax.grad(lambda x: loss(jjnp, x)))(xs), rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- lax.linalg.svd and bad input


def test_lax_svd():
    a = rand((3, 2), np.float32)
    u, s, vh = mirax.lax.linalg.svd(a, full_matrices=False)
    check_svd((u, s, vh), a, np.linalg.svd(a, compute_uv=False), np.dtype(np.float32), False)
    close(mirax.lax.linalg.svd(a, compute_uv=False, subset_by_index=(0, 2)), np.linalg.svd(a, compute_uv=False),
          np.float32, 10)
    for algorithm in (None, mirax.lax.linalg.SvdAlgorithm.DEFAULT, mirax.lax.linalg.SvdAlgorithm.QR):
        close(mirax.lax.linalg.svd(a, algorithm=algorithm)[1], s, np.float32)


@pytest.mark.parametrize("call, error, message", [
    (lambda lax: lax.linalg.svd(np.ones(3, np.float32)), TypeError,
     r"Input 0 to svd must have rank at least 2, but got shape=\(3,\)"),
    (lambda lax: lax.linalg.svd(np.ones((2, 2), np.int32)), TypeError,
     "svd does not accept dtype int32 at position 0. Accepted dtypes at position 0 are subtypes of floating, "
     "complexfloating."),
    (lambda lax: lax.linalg.svd(np.ones((3, 2), np.float32), subset_by_index=(0, 1)), ValueError,
     "full_matrices and subset_by_index cannot both be set"),
    (lambda lax: lax.linalg.svd(np.ones((3, 2), np.float32), full_matrices=False, subset_by_index=(0, 1)),
     NotImplementedError, "subset_by_index not implemented for CPU and GPU"),
    (lambda lax: lax.linalg.svd(np.ones((3, 2), np.float32), algorithm=lax.linalg.SvdAlgorithm.JACOBI),
     NotImplementedError, "The SVD Jacobi and Polar algorithms are not implemented on CPU."),
], ids=["rank", "dtype", "subset-full", "subset", "algorithm"])
def test_lax_svd_errors_are_jaxs(call, error, message):
    with pytest.raises(error, match=message):
        call(jax.lax)
    with pytest.raises(error, match=message):
        call(mirax.lax)
