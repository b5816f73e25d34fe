"""mirax.scipy.linalg against jax.scipy.linalg: the special-matrix constructors, the
wrappers over numpy.linalg and lax.linalg (det, inv, solve, lu, lu_solve, qr,
qr_multiply, eigh, svd), expm and expm_frechet, eigh_tridiagonal's eigenvalues,
hessenberg and polar: values and dtypes (float32 and complex64, float64 under x64),
eagerly and under jit (most cases in one program per dtype: each compile costs
seconds), derivatives (against JAX's and check_grads), vmap against a Python loop,
and JAX's errors.

Tolerances (relative and absolute, oracle.check): float32 4e-5 and float64 1e-11 for
factorizations and solves computed in another order than LAPACK's; the constructors
are exact but for those built through exp(lgamma) (pascal, invhilbert)."""
import functools
import warnings

import jax
import jax.numpy as jjnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
import mirax.scipy.linalg as msl
from mirax.test_util import check_grads
from oracle import check, check_vmap, rand

TOLERANCE = {"f4": 4e-5, "c8": 4e-5, "f8": 1e-11, "c16": 1e-11}


def results(module, name, args, kwargs):
    """module.name(*args, **kwargs), or the exception it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return getattr(module, name)(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 (compared with JAX's below)
        return e


def same_as_jax(name, *args, tolerance=TOLERANCE, **kwargs):
    """msl.name against jsl.name: equal values, shapes and dtypes, or the same exception
    class and message (the message's first line: mirax adds the user's source line)."""
    want, got = results(jsl, name, args, kwargs), results(msl, name, args, kwargs)
    if isinstance(want, Exception):
        assert type(got) is type(want), (name, got, want)
        assert str(got).split("\n")[0] == str(want).split("\n")[0], (name, got, want)
        return
    assert not isinstance(got, Exception), (name, got)
    check(jax.tree.map(np.asarray, got), jax.tree.map(np.asarray, want), name, tolerance)


# ----------------------------------------------------------------------------- the constructors

I32, F32, C64 = np.array([1, -2, 3], np.int32), np.array([np.inf, 1.5, -2.0]), np.array([1 + 1j, 2, -3j], np.complex64)
BATCH = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)

CONSTRUCTORS = [  # (name, args, kwargs) against JAX: each constructor's dtypes, batches and edges
    ("toeplitz", (F32, np.array([5.0, np.nan])), {}),  # a non-finite entry spreads NaNs, as JAX's
    ("toeplitz", (C64,), {}), ("toeplitz", (BATCH, np.ones((4, 1, 2))), {}),
    ("toeplitz", (I32, np.array([True, False, True])), {}), ("toeplitz", (np.zeros((2, 0)),), {}),
    ("hankel", (C64, F32), {}), ("hankel", (BATCH, np.arange(4.0)), {}), ("circulant", (BATCH,), {}),
    ("leslie", (np.ones((2, 3), np.int32), np.ones(2, np.float32)), {}), ("companion", (I32,), {}),
    ("fiedler", (C64,), {}),
    *[("fiedler_companion", (a,), {}) for a in (np.array([2.0]), np.array([2.0, 3.0]), np.arange(1, 8))],
    *[("convolution_matrix", args, {}) for args in [(I32, 5, "same"), (I32, 2, "valid"), (BATCH, 4, "same"),
                                                    (C64, 2)]],
    ("hilbert", (0,), {}), ("hilbert", (4,), {}), ("invhilbert", (4,), {}),
    *[(name, (4, kind), {}) for name in ("pascal", "invpascal") for kind in (None, "lower", "upper")],
    ("helmert", (4,), {"full": True}), ("hadamard", (4,), {}), ("hadamard", (2,), {"dtype": complex}),
    ("dft", (0,), {}), ("dft", (5, "sqrtn"), {}), ("dft", (4, "n"), {}), ("dft", (3,), {"dtype": np.complex64}),
    ("block_diag", (), {}), ("block_diag", (1, np.array([2.0, 3.0]), np.ones((2, 2), np.int32)), {}),
    ("block_diag", (np.ones((0, 2)), np.ones((1, 0)), C64), {}),
]
CONSTRUCTORS_64 = [("toeplitz", (F32,), {}), ("hankel", (I32, F32), {}), ("companion", (I32,), {}),
                   ("fiedler_companion", (np.arange(1, 7),), {}), ("convolution_matrix", (I32, 3), {}),
                   ("hilbert", (4,), {}), ("invhilbert", (4,), {}), ("pascal", (5,), {}), ("invpascal", (5,), {}),
                   ("helmert", (4, True), {}), ("hadamard", (4,), {}), ("dft", (3, "sqrtn"), {}),
                   ("block_diag", (1, F32), {})]
CONSTRUCTOR_ERRORS = [
    ("hankel", (3,), {}), ("hankel", (I32, 3), {}), ("leslie", (I32[:1], np.zeros(0)), {}),
    ("leslie", (I32, I32[:1]), {}), ("companion", (I32[:1],), {}), ("fiedler_companion", (np.zeros(0),), {}),
    ("convolution_matrix", (I32, 0), {}), ("convolution_matrix", (3, 2), {}),
    ("convolution_matrix", (np.zeros(0), 2), {}), ("convolution_matrix", (I32, 2, "x"), {}),
    ("pascal", (3, "x"), {}), ("invpascal", (3, "x"), {}), ("helmert", (0,), {}), ("hadamard", (0,), {}),
    ("hadamard", (3,), {}), ("dft", (3, "x"), {}), ("dft", (3,), {"dtype": np.float32}),
]


def constructed(sl, cases):
    """The results of the cases, with sl jax.scipy.linalg or mirax.scipy.linalg."""
    return [getattr(sl, name)(*args, **kwargs) for name, args, kwargs in cases]


@pytest.mark.parametrize("bits", [32, 64])
def test_constructors_match_jax(request, bits):
    """Every case in one program under jit (the 64-bit defaults: hilbert's floats,
    hadamard's ints, dft's complex; pascal stays float32, as JAX's); a few eagerly."""
    if bits == 64:
        request.getfixturevalue("x64")
    cases = CONSTRUCTORS if bits == 32 else CONSTRUCTORS_64
    want = jax.jit(lambda: constructed(jsl, cases))()
    check(mirax.jit(lambda: constructed(msl, cases))(), want, "constructors", TOLERANCE)
    for name, args, kwargs in cases[::8]:
        same_as_jax(name, *args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs", CONSTRUCTOR_ERRORS, ids=lambda v: v if isinstance(v, str) else "")
def test_constructors_refuse_as_jax(name, args, kwargs):
    same_as_jax(name, *args, **kwargs)


def test_constructors_refuse_lists_and_3d_blocks():
    for fn in (msl.toeplitz, msl.hankel, msl.circulant, msl.companion, msl.fiedler, msl.fiedler_companion):
        with pytest.raises(TypeError, match="requires ndarray or scalar arguments, got <class 'list'> at position 0"):
            fn([1, 2])
    with pytest.raises(ValueError, match="(?s)must have at most 2 dimensions, got .* at argument 1"):
        msl.block_diag(np.ones(2), np.ones((2, 2, 2)))


def test_constructors_under_jit():
    """One program of the constructors that take arrays (sizes and modes static)."""
    def constructors(sl, c, r, a):
        return (sl.toeplitz(c, r), sl.toeplitz(c), sl.hankel(c, r), sl.circulant(c), sl.leslie(c, r[:2]),
                sl.companion(a), sl.fiedler(c), sl.fiedler_companion(a), sl.convolution_matrix(c, 4, "same"),
                sl.block_diag(c, r[:, None], a[:2, None] * a[None, :2]))

    args = (rand(3, np.complex64), rand(4, np.complex64, seed=1), rand(5, np.float32, seed=2))
    got = mirax.jit(functools.partial(constructors, msl))(*args)
    check(got, jax.jit(functools.partial(constructors, jsl))(*args), "constructors", TOLERANCE)


def test_constructors_vmap_matches_loop():
    def constructors(sl, c, r, a):
        return sl.toeplitz(c, r), sl.hankel(c, r), sl.companion(a), sl.fiedler_companion(a), sl.leslie(r, c)

    check_vmap(constructors, [rand((3, 4)), rand((5, 3), seed=1), rand((3, 4), seed=2)], (0, 1, 0),
               jax_modules=(jsl,), mirax_modules=(msl,), tolerance=TOLERANCE)


def test_constructors_derivatives(x64):
    def constructors(c, r):
        return msl.toeplitz(c, r) ** 2 + msl.hankel(r, c) * c[0], msl.companion(c) + msl.fiedler_companion(r)

    check_grads(mirax.jit(constructors), (rand(4, np.float64) + 3, rand(4, np.float64, seed=1) + 3), order=1)


# ----------------------------------------------------------------------------- the wrappers


def well_conditioned(shape, dtype, seed=0):
    return (rand(shape, dtype, seed) + 2 * shape[-1] ** 0.5 * np.eye(*shape[-2:])).astype(dtype)


def positive_definite(shape, dtype, seed=0):
    a = rand(shape, dtype, seed)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


@pytest.fixture(params=[np.float32, np.complex64, np.float64], ids=lambda d: np.dtype(d).name)
def dtype(request):
    if request.param == np.float64:
        request.getfixturevalue("x64")
    return np.dtype(request.param)


def wrapper_cases(dtype):
    """(name, args, kwargs) of the wrappers over numpy.linalg and lax.linalg: their
    shapes, batches, options and promotions."""
    a, p = well_conditioned((2, 4, 4), dtype), positive_definite((2, 4, 4), dtype)
    b = rand((2, 4, 3), dtype, seed=1)
    lu_and_piv = jsl.lu_factor(a)
    return [
        *[("lu_solve", (lu_and_piv, b), {"trans": trans}) for trans in (0, 1, 2)],
        ("lu_solve", (lu_and_piv, b[:, :, 0]), {"trans": 2}),  # a batch of vectors (deprecated)
        ("lu_solve", ((lu_and_piv[0][0], lu_and_piv[1][0]), b[0, :, 0]), {}),
        ("solve", (p, b), {}), ("solve", (p[0], b), {"assume_a": "sym"}), ("solve", (p, b), {"assume_a": "pos"}),
        ("solve", (p[0], b[0, :, 0]), {"assume_a": "pos", "lower": True}),
        ("solve", (p, b[:, :, 0]), {"assume_a": "pos"}),  # (a batch of vectors: an error for "gen")
        ("det", (a,), {}), ("inv", (a,), {}), ("det", (np.arange(9).reshape(3, 3),), {}),
        ("eigh", (p,), {"eigvals_only": True}),
        ("lu", (a[0, :, :2],), {}), ("lu", (a[0, :2],), {"permute_l": True}), ("lu", (np.zeros((0, 0)),), {}),
        ("qr", (a[0, :, :2],), {}), ("qr", (b[:, :2, :2],), {"mode": "r"}), ("qr", (a[0, :2],), {"mode": "economic"}),
        ("qr_multiply", (a[0, :, :2], b[0, :2]), {"mode": "left"}),
        ("qr_multiply", (a[0, :2], b[0, :2, 0]), {"mode": "left", "conjugate": True}),
        ("qr_multiply", (b[:, :2, :2], b[:, 1:3, 1:3]), {"conjugate": True}),
        ("qr_multiply", (a[0, :, :2], b[0, :, 0]), {}),
    ]


def test_wrappers_match_jax(dtype):
    """Every case in one program under jit, a few eagerly; eigh's eigenvectors up to a
    phase each."""
    cases = wrapper_cases(dtype)
    if dtype != np.float32:  # half of them in each other dtype (each costs seconds of compile)
        cases = cases[dtype.kind == "c"::2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        want = jax.jit(lambda: constructed(jsl, cases))()
        got = mirax.jit(lambda: constructed(msl, cases))()
    check(got, want, "wrappers", {k: 10 * t for k, t in TOLERANCE.items()})
    for name, args, kwargs in cases[::8]:
        same_as_jax(name, *args, **kwargs)
    p = positive_definite((2, 4, 4), dtype)
    for lower in (True, False):
        w, v = msl.eigh(p, lower=lower)
        w_want, v_want = jsl.eigh(p, lower=lower)
        check(w, w_want, "eigenvalues", TOLERANCE)
        phases = np.sum(np.conj(v_want) * np.asarray(v), axis=-2, keepdims=True)
        check(np.abs(phases), np.ones_like(np.abs(phases)), "phases", TOLERANCE)
        check(np.asarray(v), v_want * phases, "eigenvectors", {k: 10 * t for k, t in TOLERANCE.items()})


def test_positive_definite_solve_derivatives_match_jax():
    """JAX's custom_linear_solve rule: the whole of a's tangent (not the triangle that
    the factor reads), for a and b, forward and reverse."""
    p, b = positive_definite((3, 3), np.float32), rand((3, 2), np.float32, seed=1)
    t, tb = rand((3, 3), np.float32, seed=2), rand((3, 2), np.float32, seed=3)
    for lower in (False, True):
        def loss(sl, a, b):
            return (sl.solve(a, b, assume_a="pos", lower=lower) ** 2).sum()

        got = mirax.jit(mirax.grad(functools.partial(loss, msl), argnums=(0, 1)))(p, b)
        check(got, jax.grad(functools.partial(loss, jsl), argnums=(0, 1))(p, b), "grad", TOLERANCE)
        got = mirax.jvp(lambda a, b: msl.solve(a, b, assume_a="pos", lower=lower), (p, b), (t, tb))
        check(got, jax.jvp(lambda a, b: jsl.solve(a, b, assume_a="pos", lower=lower), (p, b), (t, tb)), "jvp",
              TOLERANCE)


def test_wrapper_derivatives(x64):
    p, b = positive_definite((3, 3), np.float64), rand((3, 2), np.float64, seed=1)
    # (symmetric perturbations: the value reads one triangle, the rule the whole tangent)
    check_grads(mirax.jit(lambda a, b: msl.solve(a + a.T, b, assume_a="pos")), (p / 2, b), order=1)
    check_grads(mirax.jit(lambda a, b: msl.lu_solve(msl.lu_factor(a), b, trans=2)), (p, b), order=1)
    check_grads(mirax.jit(lambda a: msl.det(a) + msl.inv(a)), (p,), order=1)


def test_wrappers_vmap_matches_loop():
    a, p = well_conditioned((3, 4, 4), np.float32), positive_definite((3, 4, 4), np.float32)
    b = rand((4, 3, 2), np.float32, seed=1)
    check_vmap(lambda sl, a, b: sl.solve(a, b, assume_a="pos"), [p, b], (0, 1), jax_modules=(jsl,),
               mirax_modules=(msl,), tolerance=TOLERANCE)
    check_vmap(lambda sl, a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1), [a, b[:, 0]], (0, None), jax_modules=(jsl,),
               mirax_modules=(msl,), tolerance=TOLERANCE)
    check_vmap(lambda sl, a, c: sl.qr_multiply(a, c), [a, b[..., 0]], (0, 1), jax_modules=(jsl,),
               mirax_modules=(msl,), tolerance=TOLERANCE)


def test_wrappers_refuse_as_jax():
    a = positive_definite((3, 3), np.float32)
    for name, args, kwargs in [
        ("lu_solve", (jsl.lu_factor(a), a), {"trans": 3}), ("solve", (a, a), {"assume_a": "x"}),
        ("solve", (a[None], np.ones((3, 4))), {"assume_a": "pos"}), ("solve", (a[None], np.ones((1, 3))), {}),
        ("solve", (a, np.ones((2, 3, 1))), {"assume_a": "pos"}), ("qr", (a,), {"mode": "x"}),
        ("qr_multiply", (a, a), {"mode": "x"}), ("qr_multiply", (a[:, :2], a), {"mode": "left"}),
        ("qr_multiply", (a, a[:2, :2]), {}), ("eigh", (a, a), {}), ("eigh", (a,), {"type": 2}),
        ("eigh", (a,), {"eigvals": (0, 1)}), ("lu", (a[None],), {}), ("lu", (a[None],), {"permute_l": True}),
    ]:
        same_as_jax(name, *args, **kwargs)
    with pytest.raises(NotImplementedError, match="pivoting=True is not supported"):
        msl.qr(a, pivoting=True)
    with pytest.raises(NotImplementedError, match="pivoting=True is not supported"):
        msl.qr_multiply(a, a, pivoting=True)


def test_batched_vector_solves_warn_as_jax():
    lu_and_piv, b = msl.lu_factor(well_conditioned((2, 3, 3), np.float32)), rand((2, 3), np.float32)
    with pytest.warns(FutureWarning, match="lu_solve: batched 1D solves"):
        msl.lu_solve(lu_and_piv, b)


# ----------------------------------------------------------------------------- expm


def scaled(dtype, norms, n=3, seed=0):
    """Matrices of 1-norm `norms`: each Padé degree, squarings, and overflow."""
    a = rand((len(norms), n, n), dtype, seed)
    return (a / np.abs(a).sum(-2).max(-1)[:, None, None] * np.asarray(norms)[:, None, None]).astype(dtype)


# (Where exp overflows, mirax's squarings may meet inf - inf and give NaNs where JAX's give infs.)
NORMS = {"f": [1e-3, 0.1, 0.6, 1.5, 3.0, 50.0, 80.0], "d": [1e-3, 0.1, 0.6, 1.5, 3.0, 50.0, 700.0]}


def test_expm_matches_jax(dtype):
    a = scaled(dtype, NORMS[dtype.char.lower()] if dtype.kind == "f" else NORMS["f"])
    expm = mirax.jit(msl.expm)
    check(expm(a), jsl.expm(a), "expm", {k: 10 * t for k, t in TOLERANCE.items()})
    triangular = np.triu(a[:4])
    check(mirax.jit(functools.partial(msl.expm, upper_triangular=True))(triangular),
          jsl.expm(triangular, upper_triangular=True), "upper_triangular", TOLERANCE)


def test_expm_eagerly_and_its_edges():
    same_as_jax("expm", np.array([[1.0, 2.0], [-0.5, 0.25]]))
    same_as_jax("expm", np.array([[1, 2], [0, 3]]), upper_triangular=True)  # integers promote
    same_as_jax("expm", 100 * np.ones((2, 2), np.float32), max_squarings=2)  # NaNs past max_squarings
    same_as_jax("expm", np.zeros((0, 0), np.float32))
    for bad in (np.ones((2, 3)), np.ones(3), np.ones((2, 2), np.float16)):
        same_as_jax("expm", bad)


def test_expm_frechet_matches_jax():
    a, e = scaled(np.complex64, [0.5, 5.0]), rand((2, 3, 3), np.complex64, seed=1)
    want = jsl.expm_frechet(a, e)
    check(mirax.jit(msl.expm_frechet)(a, e), want, "expm_frechet", TOLERANCE)
    check(msl.expm_frechet(a[0], e[0], compute_expm=False), want[1][0], "expm_frechet", TOLERANCE)
    for args in [(np.ones((2, 3)), np.ones((2, 3))), (np.eye(2), np.ones(2)), (np.eye(2), np.eye(3))]:
        same_as_jax("expm_frechet", *args)


def test_expm_derivatives(x64):
    """The highest Padé degree, with squarings."""
    check_grads(mirax.jit(msl.expm), (scaled(np.float64, [40.0])[0],), order=1)


def test_expm_vmap_matches_loop():
    a = np.moveaxis(scaled(np.float32, [0.2, 1.0, 30.0]), 0, 2)
    check_vmap(lambda sl, a: sl.expm(a), [a], 2, jax_modules=(jsl,), mirax_modules=(msl,),
               tolerance={"f4": 2e-4})


# ----------------------------------------------------------------------------- eigh_tridiagonal and hessenberg


def tridiagonal_cases(dtype):
    """(d, e, kwargs): sizes 0 to 12, a zero off-diagonal (a split), a repeated
    eigenvalue, an index range with a tolerance (complex e for complex dtypes)."""
    cases = []
    for n in (0, 1, 5, 12):
        d = rand(n, dtype, seed=n)
        cases.append((d, rand(max(n - 1, 0), dtype, seed=n + 1), {}))
    d = np.array([1, 2, 2, 2, -1], dtype)
    cases += [(d, np.array([0.5, 0, 0, 1e-3], dtype), {}),
              (d, np.ones(4, dtype), {"select": "i", "select_range": (1, 3), "tol": 0.1})]
    return cases


def test_eigh_tridiagonal_matches_jax(dtype):
    """Every case in one program under jit, one eagerly; the bisection is JAX's, step
    for step, so the eigenvalues agree to the last bits."""
    cases = tridiagonal_cases(dtype)

    def eigenvalues(sl):
        return [sl.eigh_tridiagonal(d, e, eigvals_only=True, **kwargs) for d, e, kwargs in cases]

    check(mirax.jit(lambda: eigenvalues(msl))(), jax.jit(lambda: eigenvalues(jsl))(), "eigh_tridiagonal", TOLERANCE)
    d, e, _ = cases[2]
    same_as_jax("eigh_tridiagonal", d, e, eigvals_only=True)


def test_eigh_tridiagonal_vmap_matches_loop():
    check_vmap(lambda sl, d, e: sl.eigh_tridiagonal(d, e, eigvals_only=True), [rand((3, 4)), rand((3, 3), seed=1)],
               0, jax_modules=(jsl,), mirax_modules=(msl,), tolerance=TOLERANCE)


def test_eigh_tridiagonal_refuses_as_jax():
    d, e = np.ones(3, np.float32), np.ones(2, np.float32)
    for args, kwargs in [((d, e.astype(np.complex64)), {}), ((d.astype(np.int32), e.astype(np.int32)), {}),
                         ((d, e), {"select": "i"}), ((d, e), {"select": "i", "select_range": (2, 1)}),
                         ((d, e), {"select": "v"}), ((d, e), {"select": "x"})]:
        same_as_jax("eigh_tridiagonal", *args, eigvals_only=True, **kwargs)
    with pytest.raises(NotImplementedError, match="eigenvectors"):
        msl.eigh_tridiagonal(d, e)


def test_hessenberg_matches_jax(dtype):
    """LAPACK's reflections: h and q agree with JAX's to rounding (complex subdiagonals
    made real; a column already reduced left alone); h = q^H a q."""
    a = rand((2, 4, 4), dtype)
    reduced = np.triu(rand((3, 3), dtype, seed=1), -1)
    reduced[2, 1] = 0
    cases = [(a,), (a[0, :1, :1],), (np.zeros((0, 0), dtype),), (reduced,)]

    def reductions(sl):
        return [sl.hessenberg(x, calc_q=True) for x, in cases]

    got, want = mirax.jit(lambda: reductions(msl))(), jax.jit(lambda: reductions(jsl))()
    check(got, want, "hessenberg", {k: 10 * t for k, t in TOLERANCE.items()})
    h, q = (np.asarray(x) for x in got[0])
    check(np.conj(np.swapaxes(q, -1, -2)) @ a @ q, h, "q^H a q", {k: 10 * t for k, t in TOLERANCE.items()})
    same_as_jax("hessenberg", a[0, :2, :2])
    for bad in (np.ones((3, 3), np.int32), np.ones((2, 3), np.float32), np.ones(3, np.float32)):
        same_as_jax("hessenberg", bad)


def test_hessenberg_vmap_matches_loop():
    check_vmap(lambda sl, a: sl.hessenberg(a, calc_q=True), [rand((3, 3, 2), np.complex64)], 2,
               jax_modules=(jsl,), mirax_modules=(msl,), tolerance={"c8": 1e-5})


# ----------------------------------------------------------------------------- polar and svd


def test_polar_matches_jax(dtype):
    """QDWH (JAX's steps: a tall matrix for 'right', a wide one for 'left') and the SVD's
    (any shape), batched, in one program; u p = a (right) or p u = a (left)."""
    a = rand((2, 5, 3), dtype)
    cases = [(a, "right", "qdwh"), (np.swapaxes(a[0], 0, 1), "left", "qdwh"), (a, "left", "svd")]
    cases = cases if dtype == np.float32 else cases[::2]  # (each case costs seconds of compile)

    def decompositions(sl):
        return [sl.polar(x, side, method=method) for x, side, method in cases]

    loose = {k: 10 * t for k, t in TOLERANCE.items()}
    got = mirax.jit(lambda: decompositions(msl))()
    check(got, jax.jit(lambda: decompositions(jsl))(), "polar", loose)
    u, p = (np.asarray(x) for x in got[0])
    check(u @ p, a, "u p", loose)
    u, p = (np.asarray(x) for x in got[-1])
    check(p @ u, a, "p u", loose)
    same_as_jax("polar", a[0, :1, :1], method="svd", tolerance=loose)


def test_polar_refuses_as_jax():
    a = np.ones((3, 3), np.float32)
    for args, kwargs in [((a, "left"), {}), ((a[:2], "right"), {}), ((a, "x"), {}), ((a[0],), {}),
                         ((a,), {"method": "x"})]:
        same_as_jax("polar", *args, **kwargs)


def test_svd_matches_jax(dtype):
    """Singular values as JAX's; singular vectors up to a phase each (u s vh = a)."""
    a = rand((2, 4, 3), dtype)
    same_as_jax("svd", a, compute_uv=False)
    same_as_jax("svd", np.arange(6).reshape(2, 3), compute_uv=False)  # integers promote
    for full_matrices in (True, False):
        u, s, vh = (np.asarray(x) for x in mirax.jit(functools.partial(msl.svd, full_matrices=full_matrices))(a))
        want = jsl.svd(a, full_matrices=full_matrices)
        assert [x.shape for x in (u, s, vh)] == [x.shape for x in want]
        check(s, want[1], "s", TOLERANCE)
        check((u[..., :3] * s[..., None, :]) @ vh[..., :3, :], a, "u s vh", {k: 10 * t for k, t in TOLERANCE.items()})
