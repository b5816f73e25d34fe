"""mirax's LU-and-Cholesky linear algebra (the mirax.cholesky, mirax.triangular_solve
and mirax.lu ops of dialect/linear_algebra.py; lax.linalg, numpy.linalg's cholesky, solve,
inv, det and slogdet, scipy.linalg's solve_triangular, cho_factor, cho_solve and
lu_factor): values against NumPy in every dtype, derivatives against JAX and against
finite differences (check_grads, forward and reverse, to order 2), vmap against a
Python loop and jax.vmap, and bad input. Sizes past one block (64 rows) exercise the
blocked lowerings' matmuls."""
import functools
import itertools

import jax
import jax.numpy as jjnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest
from jax.lax import linalg as jax_linalg

import mirax
import mirax.numpy as jnp
import mirax.scipy.linalg as msl
from mirax.lax import linalg as lax_linalg
from mirax.test_util import check_grads
import linalg_cases
from linalg_cases import adjoint, close
from oracle import check_vmap, rand

dtype = linalg_cases.dtype  # the fixture: every dtype the ops take


def positive_definite(shape, dtype, seed=0):
    a = rand(shape, dtype, seed)
    return (a @ adjoint(a) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def well_conditioned(shape, dtype, seed=0):
    """A random matrix with a dominant diagonal: its triangles and LU factors are tame."""
    return (rand(shape, dtype, seed) + 2 * shape[-1] ** 0.5 * np.eye(*shape[-2:])).astype(dtype)


# ----------------------------------------------------------------------------- values against NumPy


@pytest.mark.parametrize("shape", [(3, 3), (2, 70, 70)], ids=["3x3", "batch_of_70x70"])
def test_cholesky_matches_numpy(dtype, shape):
    a = positive_definite(shape, dtype)
    close(jnp.linalg.cholesky(a), np.linalg.cholesky(a), dtype, 10)
    close(jnp.linalg.cholesky(a, upper=True), adjoint(np.linalg.cholesky(a)), dtype, 10)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (5, 3), (130, 130)], ids=str)
def test_lu_matches_jax_and_reconstructs(dtype, shape):
    a = rand(shape, dtype)
    lu, pivots, permutation = lax_linalg.lu(a)
    want = jax_linalg.lu(a)
    close(lu, want[0], dtype, 100)
    np.testing.assert_array_equal(pivots, want[1])
    np.testing.assert_array_equal(permutation, want[2])
    m, n = shape[-2:]
    k = min(m, n)
    lower = (np.tril(np.asarray(lu)[..., :, :k], -1) + np.eye(m, k)).astype(dtype)
    upper = np.triu(np.asarray(lu)[..., :k, :])
    close(lower @ upper, np.take_along_axis(a, np.asarray(permutation)[..., None], axis=-2), dtype, 100)


@pytest.mark.parametrize("left_side", [True, False], ids=["left", "right"])
def test_triangular_solve_every_option_matches_jax(left_side):
    """The 16 combinations of lower, transpose_a, conjugate_a and unit_diagonal on each
    side, on a batch of complex matrices, in one program."""
    options = list(itertools.product([False, True], repeat=4))
    a = well_conditioned((2, 5, 5), np.complex64)
    b = rand((2, 5, 3) if left_side else (2, 3, 5), np.complex64, seed=1)
    names = ("lower", "transpose_a", "conjugate_a", "unit_diagonal")

    def solves(linalg, a, b):
        return [linalg.triangular_solve(a, b, left_side=left_side, **dict(zip(names, o, strict=True)))
                for o in options]

    got = mirax.jit(lambda a, b: solves(lax_linalg, a, b))(a, b)
    for g, w in zip(got, jax.jit(lambda a, b: solves(jax_linalg, a, b))(a, b), strict=True):
        close(g, w, np.complex64, 10)


@pytest.mark.parametrize("m, n", [(4, 2), (150, 48)], ids=["small", "three_blocks"])
def test_solve_triangular_matches_numpy(dtype, m, n):
    a = well_conditioned((m, m), dtype)
    b = rand((m, n), dtype, seed=1)
    close(msl.solve_triangular(a, b, lower=True), np.linalg.solve(np.tril(a), b), dtype, 100)
    unit = (rand((m, m), dtype, seed=2) / m + 100 * np.eye(m)).astype(dtype)  # its diagonal is not read
    close(msl.solve_triangular(unit, b[:, 0], trans="C", unit_diagonal=True),
          np.linalg.solve(adjoint(np.triu(unit, 1) + np.eye(m, dtype=dtype)), b[:, 0]), dtype, 100)


@pytest.mark.parametrize("dtype_", [np.float32, np.complex128], ids=["float32", "complex128"])
def test_tiled_lowerings_at_awkward_sizes_match_numpy(x64, dtype_):
    """Sizes that pad the last tile, contractions of five tiles and more (a matmul over
    four, then one), right-hand sides past one block of columns (256 + 44), wide and
    tall LU (pivots found among a's own rows, not the padding's)."""
    n = 300
    a = positive_definite((n, n), dtype_)
    close(jnp.linalg.cholesky(a), np.linalg.cholesky(a), dtype_, 100)
    t = well_conditioned((n, n), dtype_)
    b = rand((n, 300), dtype_, seed=1)
    for lower, trans in itertools.product([True, False], [0, 2]):
        tri = np.tril(t) if lower else np.triu(t)
        want = np.linalg.solve(adjoint(tri) if trans else tri, b)
        close(msl.solve_triangular(t, b, lower=lower, trans=trans), want, dtype_, 100)
    right = lax_linalg.triangular_solve(t, b[:7], left_side=False, lower=True)
    close(right, b[:7] @ np.linalg.inv(np.tril(t)), dtype_, 100)
    for shape in [(n, n), (70, 200), (200, 70)]:
        m = rand(shape, dtype_, seed=2)
        lu, pivots, permutation = lax_linalg.lu(m)
        want = jax_linalg.lu(m)
        close(lu, want[0], dtype_, 100)
        np.testing.assert_array_equal(pivots, want[1])
        np.testing.assert_array_equal(permutation, want[2])
    close(jnp.linalg.solve(t, b), np.linalg.solve(t, b), dtype_, 100)


def test_solve_inv_det_slogdet_match_numpy(dtype):
    a = well_conditioned((2, 5, 5), dtype)
    b = rand((2, 5, 3), dtype, seed=1)
    close(jnp.linalg.solve(a, b), np.linalg.solve(a, b), dtype, 10)
    close(jnp.linalg.solve(a, b[0, :, 0]), np.linalg.solve(a, b[0, :, 0:1])[..., 0], dtype, 10)
    close(jnp.linalg.solve(a[0], b), np.linalg.solve(a[0], b), dtype, 10)  # a's batch broadcast to b's
    close(jnp.linalg.inv(a), np.linalg.inv(a), dtype, 10)
    for n in (1, 2, 3, 5):  # formulas for 1 (slogdet), 2 and 3 (det); LU beyond
        sign, logabsdet = jnp.linalg.slogdet(a[:, :n, :n])
        sign_want, logabsdet_want = np.linalg.slogdet(a[:, :n, :n])
        close(sign, sign_want, dtype, 10)
        close(logabsdet, logabsdet_want, dtype, 10)
        close(jnp.linalg.det(a[:, :n, :n]), np.linalg.det(a[:, :n, :n]), dtype, 10)


def test_det_and_slogdet_of_singular_matrices():
    a = np.array([[[1, 2, 3], [2, 4, 6], [0, 1, 1]], [[0, 0, 0], [1, 2, 3], [4, 5, 6]]], np.float32)
    a4 = np.zeros((4, 4), np.float32)
    close(jnp.linalg.det(a4), np.float32(0), np.float32)
    sign, logabsdet = jnp.linalg.slogdet(a)
    close(sign, np.zeros(2, np.float32), np.float32)
    np.testing.assert_array_equal(logabsdet, [-np.inf, -np.inf])


def test_scipy_cholesky_family_matches_numpy(dtype):
    a = positive_definite((2, 4, 4), dtype)
    b = rand((4, 2), dtype, seed=1)
    for lower in (True, False):
        c, flag = msl.cho_factor(a, lower=lower)
        factor = np.linalg.cholesky(a)
        close(c, factor if lower else adjoint(factor), dtype, 10)
        assert flag is lower
        close(msl.cho_solve((c, lower), b), np.linalg.solve(a, b), dtype, 100)
    lu, pivots = msl.lu_factor(a)
    want = jsl.lu_factor(a)
    close(lu, want[0], dtype, 10)
    np.testing.assert_array_equal(pivots, want[1])


def test_not_positive_definite_gives_nans_as_jax():
    """JAX's result where LAPACK reports failure: NaNs in the lower triangle, zeros above,
    for the failing matrix of a batch only."""
    a = np.array([[[1, 2], [2, 1]], [[2, 1], [1, 2]], [[1, 0], [0, -1]]], np.float32)
    got = np.asarray(jnp.linalg.cholesky(a))
    np.testing.assert_array_equal(got, jjnp.linalg.cholesky(a))
    assert np.isnan(got[0]).sum() == 3 and np.isnan(got[2]).sum() == 3 and not np.isnan(got[1]).any()
    big = -positive_definite((70, 70), np.float32)
    assert np.isnan(np.asarray(mirax.jit(jnp.linalg.cholesky)(big))[np.tril_indices(70)]).all()


# ----------------------------------------------------------------------------- derivatives


class Modules:
    """mirax.numpy or jax.numpy (m.linalg is numpy.linalg) with its lax.linalg beside it
    (m.lax_linalg), for the losses below."""

    def __init__(self, numpy, lax_linalg):
        self.numpy, self.lax_linalg = numpy, lax_linalg

    def __getattr__(self, name):
        return getattr(self.numpy, name)


MIRAX, JAX = Modules(jnp, lax_linalg), Modules(jjnp, jax_linalg)


# Real-valued losses, for complex inputs too.


def cholesky_loss(m, a):
    return m.sum(m.abs(m.sin(m.linalg.cholesky(a))) ** 2)


def solve_loss(m, a, b):
    return m.sum(m.abs(m.cos(m.linalg.solve(a, b))))


def det_loss(m, a):
    return m.abs(m.linalg.det(a)) + m.linalg.slogdet(a)[1] + m.sum(m.abs(m.linalg.inv(a)) ** 2)


def triangular_loss(m, a, b):
    x = m.lax_linalg.triangular_solve(a, b, left_side=True, lower=True)
    y = m.lax_linalg.triangular_solve(a, m.swapaxes(x, -1, -2), left_side=False, lower=False, transpose_a=True,
                                      conjugate_a=True)
    return m.sum(m.abs(y) ** 2)


def lu_loss(m, a):
    return m.sum(m.abs(m.lax_linalg.lu(a)[0]) ** 2)


@pytest.mark.parametrize("dtype_", [np.float32, np.complex64], ids=["float32", "complex64"])
def test_grads_match_jax(dtype_):
    """JAX's gradients (of real losses: conjugated cotangents for complex inputs)."""
    a, b = positive_definite((2, 4, 4), dtype_), rand((2, 4, 3), dtype_, seed=1)
    w = well_conditioned((4, 4), dtype_, seed=2)
    for loss, args in [(cholesky_loss, (a,)), (solve_loss, (w, b)), (det_loss, (w,)), (triangular_loss, (w, b[0])),
                       (lu_loss, (w[:3],))]:
        argnums = tuple(range(len(args)))
        got = mirax.jit(mirax.grad(functools.partial(loss, MIRAX), argnums=argnums))(*args)
        want = jax.jit(jax.grad(functools.partial(loss, JAX), argnums=argnums))(*args)
        for g, w_ in zip(got, want, strict=True):
            close(g, w_, np.dtype(dtype_), 50)


def test_jvps_match_jax():
    """Forward mode, tangents of every output (lu's, cholesky's, the solves')."""
    a, t = positive_definite((4, 4), np.float32), rand((4, 4), np.float32, seed=3)
    b, tb = rand((4, 2), np.float32, seed=4), rand((4, 2), np.float32, seed=5)
    for fn, jfn, primals, tangents in [
        (lax_linalg.cholesky, jax_linalg.cholesky, (a,), (t,)),
        (lambda a: lax_linalg.lu(a)[0], lambda a: jax_linalg.lu(a)[0], (a[:, :3],), (t[:, :3],)),
        (lambda a: lax_linalg.lu(a)[0], lambda a: jax_linalg.lu(a)[0], (a[:3],), (t[:3],)),
        (jnp.linalg.solve, jjnp.linalg.solve, (a, b), (t, tb)),
        (jnp.linalg.det, jjnp.linalg.det, (a,), (t,)),
        (lambda a, b: lax_linalg.triangular_solve(a, b, left_side=True, transpose_a=True),
         lambda a, b: jax_linalg.triangular_solve(a, b, left_side=True, transpose_a=True), (a, b), (t, tb)),
    ]:
        got = mirax.jit(lambda p, t: mirax.jvp(fn, p, t))(primals, tangents)
        want = jax.jit(lambda p, t: jax.jvp(jfn, p, t))(primals, tangents)
        close(got[1], want[1], np.float32, 50)


def realified(f):
    """f of complex arrays as a function of their real and imaginary parts, returning
    real outputs: check_grads' reverse-mode check takes complex functions without JAX's
    conjugations, so it is given real ones."""

    def g(*parts):
        args = [mirax.lax.complex(re, im) for re, im in zip(parts[::2], parts[1::2], strict=True)]
        out = f(*args)
        return (jnp.real(out), jnp.imag(out)) if np.iscomplexobj(out) else out

    return g


def check_grads_of(f, args, order):
    """check_grads of f (jitted: one compile per transformation) at args."""
    if np.iscomplexobj(args[0]):
        check_grads(mirax.jit(realified(f)), [p for a in args for p in (a.real, a.imag)], order=order)
    else:
        check_grads(mirax.jit(f), args, order=order)


# name -> (function, its arguments given a dtype, dtype, order): second order for the ops'
# own rules, first order for what numpy.linalg composes of them (and JAX compares above).
NUMERIC = {
    "cholesky": (jnp.linalg.cholesky, lambda d: (positive_definite((3, 3), d),), np.complex128, 2),
    "triangular_solve": (functools.partial(triangular_loss, MIRAX),
                         lambda d: (well_conditioned((3, 3), d), rand((3, 2), d, seed=1)), np.float64, 2),
    "lu": (lambda a: lax_linalg.lu(a)[0], lambda d: (well_conditioned((3, 4), d),), np.float64, 2),
    "solve": (jnp.linalg.solve, lambda d: (well_conditioned((3, 3), d), rand((3, 2), d, seed=1)), np.complex128, 1),
    "det_slogdet": (lambda a: jnp.linalg.det(a) + jnp.linalg.slogdet(a)[1],
                    lambda d: (well_conditioned((4, 4), d),), np.float64, 1),
}


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_derivatives_numerically(x64, name):
    fn, args, dtype_, order = NUMERIC[name]
    check_grads_of(fn, args(dtype_), order)


def test_seed_complex_cholesky_gradient_matches_jax():
    """The first seed's program (test_notebook_complex_derivatives runs it as written), against JAX."""
    a = np.array([[5., 2 + 3j, 5j], [2 - 3j, 7., 1 + 7j], [-5j, 1 - 7j, 12.]], np.complex64)

    def f(module, x):
        lower = module.linalg.cholesky(x)
        return module.sum((lower - module.sin(lower)) ** 2)

    got = mirax.grad(lambda x: f(jnp, x), holomorphic=True)(a)
    close(got, jax.grad(lambda x: f(jjnp, x), holomorphic=True)(a), np.complex64, 20)


# ----------------------------------------------------------------------------- vmap


def test_vmap_matches_loop_and_jax():
    a = positive_definite((3, 4, 4), np.float32)
    b = rand((4, 3, 2), np.float32, seed=1)
    check_vmap(lambda m, a: m.linalg.cholesky(a), [np.moveaxis(a, 0, 1)], in_axes=1, out_axes=-1,
               jax_modules=(jjnp,), mirax_modules=(jnp,))
    check_vmap(lambda m, a, b: m.linalg.solve(a, b), [a, b], in_axes=(0, 1), jax_modules=(jjnp,),
               mirax_modules=(jnp,), tolerance={"f4": 1e-5})
    check_vmap(lambda m, a: m.linalg.det(a), [a], in_axes=0, jax_modules=(jjnp,), mirax_modules=(jnp,),
               tolerance={"f4": 1e-4})
    check_vmap(lambda linalg, a: linalg.lu(a), [np.moveaxis(a, 0, 2)], in_axes=2, jax_modules=(jax_linalg,),
               mirax_modules=(lax_linalg,), tolerance={"f4": 1e-6})
    for in_axes in [(None, 1), (0, None), (0, 1)]:
        check_vmap(lambda linalg, a, b: linalg.triangular_solve(a, b, left_side=True, lower=True),
                   [a[0] if in_axes[0] is None else a, b[:, 0] if in_axes[1] is None else b], in_axes=in_axes,
                   jax_modules=(jax_linalg,), mirax_modules=(lax_linalg,), tolerance={"f4": 1e-5})


def test_vmap_of_grad_matches_jax():
    a = positive_definite((3, 4, 4), np.float32)
    got = mirax.jit(mirax.vmap(mirax.grad(functools.partial(cholesky_loss, MIRAX))))(a)
    close(got, jax.vmap(jax.grad(functools.partial(cholesky_loss, JAX)))(a), np.float32, 10)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match=r"square matrix. Got shape \(3, 4\)"):
        jnp.linalg.cholesky(np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"rank at least 2, but got shape \(3,\)"):
        lax_linalg.cholesky(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"\(2, 3, 3\) and \(4, 3, 3\)"):
        lax_linalg.triangular_solve(np.ones((2, 3, 3)), np.ones((4, 3, 3)), left_side=True)
    with pytest.raises(ValueError, match=r"\(3, 3\) and \(2, 4\)"):
        lax_linalg.triangular_solve(np.ones((3, 3)), np.ones((2, 4)), left_side=True)
    with pytest.raises(ValueError, match=r"batch shapes .*\(2,\), \(4,\)"):
        jnp.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ValueError, match=r"a.shape=\(3, 3\) and b.shape=\(4,\)"):
        jnp.linalg.solve(np.ones((3, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"shape \[\.\.\., n, n\], got \(2, 3\)"):
        jnp.linalg.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \[\.\.\., n, n\], got \(2, 3\)"):
        jnp.linalg.det(np.ones((2, 3)))
    with pytest.raises(TypeError, match="requires float32, float64, complex64 or complex128 matrices, got int32"):
        lax_linalg.lu(np.ones((3, 3), np.int32))
    with pytest.raises(ValueError, match="Invalid 'trans' value 3"):
        msl.solve_triangular(np.eye(2), np.ones(2), trans=3)
