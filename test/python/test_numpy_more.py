"""mirax.numpy's less common functions (the _array_api, _elementwise, _manipulation,
_set_ops, _statistics, _polynomial, _windows and _functional modules) against
jax.numpy, the oracle: values, shapes, dtypes and weak types, eagerly and under jit,
derivatives of the differentiable ones, vmap of some, and errors of invalid calls."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.test_util import check_grads
from oracle import ROUNDING, check, check_vmap, rand


def _weak(x):
    return x.aval.weak_type if hasattr(x, "aval") else getattr(x, "weak_type", False)


def compare(fn, inputs, jit=True, eager=False, tolerance=ROUNDING):
    """fn(numpy_module, *inputs) by mirax (under jit, and eagerly if asked) against JAX's
    (under jax.jit, eagerly where jit is off): structure, shapes, dtypes, values and weak types."""
    want = (jax.jit(lambda *xs: fn(jjnp, *xs)) if jit else lambda *xs: fn(jjnp, *xs))(*inputs)
    for run in ([lambda f, *xs: f(*xs)] if eager else []) + ([lambda f, *xs: mirax.jit(f)(*xs)] if jit else []):
        got = run(lambda *xs: fn(jnp, *xs), *[jnp.asarray(x) for x in inputs])
        got_leaves, want_leaves = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
        assert len(got_leaves) == len(want_leaves), (got, want)
        for g, w in zip(got_leaves, want_leaves, strict=True):
            check(g, w, getattr(fn, "__name__", ""), tolerance)
            assert _weak(g) == _weak(w), ("weak type", _weak(g), _weak(w))


def raises(fn, error, match=None):
    """fn(jax.numpy) and fn(mirax.numpy) raise the same error class (and message part)."""
    with pytest.raises(error, match=match):
        fn(jjnp)
    with pytest.raises(error, match=match):
        fn(jnp)


F32, I32 = np.float32, np.int32


# ----------------------------------------------------------------------------- each function against JAX's

CASES = {}


def case(name, fn, *inputs, **kw):
    """A row of the table: fn(numpy_module, *inputs) returning a pytree of results."""
    CASES[name] = (fn, inputs, kw)


x = rand((3, 4)); xi = rand((3, 4), np.int32); v = rand((5,)); vi = np.array([3, 1, 2, 3, 1, 5], np.int32)
case("acos", lambda m, x: m.acos(x / 4), x)
case("atan2", lambda m, x, y: m.atan2(x, y), x, x + 1)
case("concat", lambda m, x: m.concat([x, x], axis=1), x)
case("concat_none", lambda m, x: m.concat([x, x], axis=None), x)
case("permute_dims", lambda m, x: m.permute_dims(x, (1, 0)), x)
case("astype", lambda m, x: (m.astype(x, np.int32), m.astype(x, None), m.astype(2.0, np.float32)), x)
case("shifts", lambda m, x: (m.bitwise_left_shift(x, 2), m.bitwise_right_shift(x, 1), m.bitwise_left_shift(x, x)), xi)
case("matrix_transpose", lambda m, x: m.matrix_transpose(x[None]), x)
case("vecdot", lambda m, x, y: (m.vecdot(x, y), m.vecdot(x, y[0], axis=-1), m.vecdot(x.T, y.T, axis=0)), x, x + 1)
case("matvec", lambda m, x, v: (m.matvec(x, v[:4]), m.vecmat(v[:3], x)), x, v)
case("unstack", lambda m, x: (m.unstack(x), m.unstack(x, axis=1)), x)
case("copy", lambda m, x: m.copy(x), x)
case("fmax", lambda m, x, y: (m.fmax(x, y), m.fmin(x, y), m.fmax(x, 1.0)), rand((6,), nans=True), rand((6,), seed=1, nans=True)[::-1].copy())
case("modf", lambda m, x: m.modf(x * 3), x)
case("gcd", lambda m, x, y: (m.gcd(x, y), m.lcm(x, y), m.gcd(x, 6)), np.array([12, 0, -8, 7, 0], np.int32), np.array([18, 5, 12, 0, 0], np.int32))
case("nan_to_num", lambda m, x: (m.nan_to_num(x), m.nan_to_num(x, nan=1.0, posinf=2.0)), np.array([1., np.nan, np.inf, -np.inf], np.float32))
case("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), x, x.T[:3, :4] if False else x[::-1].copy())
case("spacing", lambda m, x: m.spacing(x), x)
case("iscomplex", lambda m, x: (m.iscomplex(x), m.isreal(x), m.iscomplex(x * 1j)), x)
case("sort_complex", lambda m, x: m.sort_complex(x), v)
case("rot90", lambda m, x: (m.rot90(x), m.rot90(x, 2), m.rot90(x, -1, (1, 0))), x)
case("rollaxis", lambda m, x: m.rollaxis(x[None], 2), x)
case("splits", lambda m, x: (m.hsplit(x, 2), m.vsplit(x, 3), m.dsplit(x[..., None].repeat(2, -1), 2)), x)
case("block", lambda m, x: m.block([[x, x], [x, x]]), x)
case("diagflat", lambda m, v: (m.diagflat(v), m.diagflat(v, 2), m.diagflat(v, -1)), v)
case("diag_indices_from", lambda m, x: m.diag_indices_from(x[:3, :3]), x)
case("tril_indices_from", lambda m, x: (m.tril_indices_from(x), m.triu_indices_from(x, 1)), x)
case("fill_diagonal", lambda m, x: (m.fill_diagonal(x, 5., inplace=False), m.fill_diagonal(x, x[0, :2], inplace=False)), x)
case("choose", lambda m, a: m.choose(a, [a * 10, a * 100, a * 1000], mode="clip"), np.array([0, 1, 2, 3], np.int32))
case("compress", lambda m, x: m.compress(np.array([True, False, True]), x, axis=0, size=3, fill_value=7), x)
case("extract", lambda m, x: m.extract(x > 0, x, size=5), x)
case("delete", lambda m, x: (m.delete(x, 1, axis=1), m.delete(x, np.array([0, 2]), axis=1, assume_unique_indices=True), m.delete(x, slice(0, 2), axis=0)), x)
case("insert", lambda m, x: (m.insert(x, 1, 5.0, axis=1), m.insert(x, np.array([0, 2]), x[:, :2], axis=1), m.insert(x, 2, 9.0)), x)
case("place", lambda m, x: m.place(x, x > 0, np.array([1., 2.]), inplace=False), x)
case("put", lambda m, x: (m.put(x, np.array([0, 5]), np.array([9., 8.]), inplace=False), m.put(x, np.array([20]), 1., mode="wrap", inplace=False)), x)
case("put_along_axis", lambda m, x: m.put_along_axis(x, np.array([[0], [1], [2]]), 9., axis=1, inplace=False), x)
case("resize", lambda m, x: (m.resize(x, (5, 3)), m.resize(x, 2)), x)
case("array_equiv", lambda m, x: (m.array_equiv(x, x), m.array_equiv(x, x[0])), x)
case("ravel_multi_index", lambda m, a: (m.ravel_multi_index((a, a), (4, 5), mode="clip"), m.unravel_index(a * 3, (2, 3))), np.array([0, 1, 3, 7], np.int32))
case("unique_size", lambda m, a: (m.unique(a, size=6, fill_value=-1), m.unique(a, return_index=True, return_inverse=True, return_counts=True, size=5)), vi)
case("isin", lambda m, a: (m.isin(a, np.array([1, 5])), m.isin(a, np.array([1, 5]), invert=True), m.isin(a, np.array([1, 5]), method="sort")), vi)
case("setops_size", lambda m, a: (m.union1d(a, a + 1, size=8), m.intersect1d(a, a + 1, size=3), m.setdiff1d(a, np.array([1]), size=4), m.setxor1d(a, np.array([1, 7]), size=5)), vi)
case("cov", lambda m, x: (m.cov(x), m.cov(x, rowvar=False), m.cov(x, bias=True), m.cov(x[0], x[1]), m.corrcoef(x)), x)
case("cov_w", lambda m, x: m.cov(x, fweights=np.array([1, 2, 1, 1]), aweights=np.array([.5, 1., 1., 2.], np.float32)), x)
case("bincount", lambda m, a: (m.bincount(a, length=7), m.bincount(a, weights=a * 0.5, length=4)), vi)
case("digitize", lambda m, x: (m.digitize(x, np.array([-1., 0., 1.], np.float32)), m.digitize(x, np.array([1., 0., -1.], np.float32), right=True)), x)
case("histogram", lambda m, x: (m.histogram(x, 4), m.histogram(x, np.array([-2., 0., 2.], np.float32), density=True), m.histogram_bin_edges(x, 3, range=(0, 1))), x)
case("histogram2d", lambda m, x: m.histogram2d(x[0], x[1], bins=3), x)
case("histogramdd", lambda m, x: m.histogramdd(x.T, bins=2), x)
case("interp", lambda m, x, xp: (m.interp(x, xp, xp ** 2), m.interp(x, xp, xp, left=-1., right="extrapolate"), m.interp(x, xp, xp, period=2.)), x, np.array([-1., 0., .5, 2.], np.float32))
case("ediff1d", lambda m, x: (m.ediff1d(x), m.ediff1d(x, to_end=np.array([1., 2.]), to_begin=0)), x)
case("gradient", lambda m, x: (m.gradient(x), m.gradient(x, 2.0, axis=1), m.gradient(x[0], np.array([0., 1., 3., 4.], np.float32))), x)
case("trapezoid", lambda m, x: (m.trapezoid(x), m.trapezoid(x, dx=.5, axis=0), m.trapezoid(x, x=np.array([0., 1., 3., 4.], np.float32))), x)
case("cross", lambda m, x: (m.cross(x[:, :3], x[:, 1:]), m.cross(x[:2, :2], x[1:, :2]), m.cross(x[:, :3], x[:, :2])), x)
case("quantile", lambda m, x: (m.quantile(x, 0.3), m.quantile(x, np.array([0.1, .5], np.float32), axis=1), m.quantile(x, .5, axis=0, keepdims=True, method="nearest"), m.percentile(x, 40., axis=(0, 1), method="lower"), m.median(x)), x)
case("nanquantile", lambda m, x: (m.nanquantile(x, 0.3), m.nanquantile(x, np.array([0.1, .5], np.float32), axis=1), m.nanpercentile(x, 50., axis=0, keepdims=True), m.nanmedian(x, axis=1)), rand((3, 4), nans=True))
case("nanvar", lambda m, x: (m.nanvar(x), m.nanvar(x, axis=1, ddof=1), m.nanstd(x, axis=0, keepdims=True)), rand((3, 4), nans=True))
case("nanargmax", lambda m, x: (m.nanargmax(x), m.nanargmax(x, axis=1), m.nanargmin(x, axis=0, keepdims=True)), rand((3, 4), nans=True))
case("unwrap", lambda m, x: (m.unwrap(x * 5), m.unwrap(x * 5, axis=0, period=3.)), x)
case("meshgrid", lambda m, v: (m.meshgrid(v, v[:3]), m.meshgrid(v, v[:3], indexing="ij", sparse=True)), v)
case("mgrid", lambda m: (m.mgrid[0:4, 1:3], m.ogrid[0:3, 0:1:3j], m.mgrid[0:5:2], m.r_[1:4, 7, np.array([2, 3])], m.c_[np.array([1, 2]), np.array([3, 4])], m.r_["0,2", np.array([1, 2])]))
case("logspace", lambda m, v: (m.logspace(0., 2., 5), m.logspace(v[:2], 2., 4, base=2., axis=1), m.geomspace(1., 1000., 4), m.geomspace(-1., -8., 4, endpoint=False, dtype=np.float32)), v)
case("windows", lambda m: (m.bartlett(5), m.blackman(4), m.hamming(1), m.hanning(0), m.hanning(6)))
case("convolve", lambda m, a, b: (m.convolve(a, b), m.convolve(a, b, "same"), m.convolve(b, a, "valid"), m.correlate(a, b), m.correlate(b, a, "full"), m.correlate(a, b, "same")), v, v[:3])
case("convolve_int", lambda m, a, b: (m.convolve(a, b), m.convolve(a, b, preferred_element_type=np.int32)), vi, vi[:2])
case("poly", lambda m, v: (m.poly(v[:3]), m.polyadd(v, v[:2]), m.polysub(v[:2], v), m.polymul(v, v[:3]), m.polyval(v, 2.), m.polyval(v, v[:3]), m.polyder(v, 2), m.polyint(v), m.polyint(v, 2, k=np.array([1., 2.], np.float32)), m.polydiv(v, v[:2]), m.vander(v[:3]), m.vander(v[:3], 4, increasing=True)), v)
case("polyval_int", lambda m, p: (m.polyval(p, 2), m.polyval(p, np.int32(3))), vi)
case("vectorize", lambda m, x: (m.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(x, x[0]), m.vectorize(lambda a: a * 2)(x)), x)
case("apply", lambda m, x: (m.apply_along_axis(lambda v: v.sum(), 1, x), m.apply_along_axis(lambda v: v[::-1], 0, x), m.apply_over_axes(m.sum, x, (0, 1))), x)
case("piecewise", lambda m, x: m.piecewise(x, [x < 0, x > 1], [lambda x: -x, 7., 0.5]), x)
case("fromfunction", lambda m: m.fromfunction(lambda i, j: i + 2 * j, (2, 3)))

x = rand((3, 3)); b = rand((2, 3, 3), seed=1); v = rand((3,), seed=2); xi = rand((3, 3), np.int32)
case("linalg_cross", lambda m, a, b: (m.linalg.cross(a, b), m.linalg.cross(a.T, b.T, axis=0)), x, x[::-1].copy())
case("linalg_matrix_power", lambda m, a, b: (m.linalg.matrix_power(a, 0), m.linalg.matrix_power(a, 3), m.linalg.matrix_power(b, 5), m.linalg.matrix_power(a, -2)), x + 3 * np.eye(3, dtype=np.float32), b)
case("linalg_matrix_power_int", lambda m, a: (m.linalg.matrix_power(a, 2), m.linalg.matrix_power(a, 6)), xi)
case("linalg_multi_dot", lambda m, a, v: (m.linalg.multi_dot([a, a, a]), m.linalg.multi_dot([v, a, a, v]), m.linalg.multi_dot([a, v])), x, v)
case("linalg_outer", lambda m, v: (m.linalg.outer(v, v[:2]), m.linalg.tensordot(v, v, axes=1), m.linalg.vecdot(v, v)), v)
case("linalg_vector_norm", lambda m, a: (m.linalg.vector_norm(a), m.linalg.vector_norm(a, axis=1, ord=1), m.linalg.vector_norm(a, ord=np.inf, keepdims=True), m.linalg.vector_norm(a, axis=(0, 1), ord=0), m.linalg.vector_norm(a, ord=3)), x)
case("linalg_vector_norm_int", lambda m, a: (m.linalg.vector_norm(a), m.linalg.vector_norm(a, ord=np.inf), m.linalg.vector_norm(a, ord=1, axis=0)), xi)
case("linalg_matrix_norm", lambda m, a: (m.linalg.matrix_norm(a), m.linalg.matrix_norm(a, ord=1), m.linalg.matrix_norm(a, ord=-np.inf, keepdims=True)), b)
case("linalg_tensorinv", lambda m, a: m.linalg.tensorinv(a, ind=1), x + 3 * np.eye(3, dtype=np.float32))
case("linalg_tensorinv2", lambda m, a: m.linalg.tensorinv(a.reshape(2, 2, 4), ind=2), rand((16,), seed=3) + np.eye(4, dtype=np.float32).ravel() * 4)
case("linalg_tensorsolve", lambda m, a, c: m.linalg.tensorsolve(a.reshape(2, 2, 4), c), rand((16,), seed=3) + np.eye(4, dtype=np.float32).ravel() * 4, rand((2, 2), seed=4))
case("linalg_matrix_transpose", lambda m, a: m.linalg.matrix_transpose(a), b)
x = rand((3, 5)); xi = rand((3, 5), np.int32)
case("flatnonzero", lambda m, a: (m.flatnonzero(a, size=8), m.flatnonzero(a, size=4, fill_value=-1)), xi)
case("packbits", lambda m, a: (m.packbits(a), m.packbits(a > 0, axis=1), m.packbits(a, axis=0, bitorder="little")), xi)
case("unpackbits", lambda m, a: (m.unpackbits(a), m.unpackbits(a, axis=1, count=3), m.unpackbits(a, axis=0, count=20, bitorder="little")), np.array([[1, 255, 7], [128, 0, 33]], np.uint8))
case("partition", lambda m, a: (m.partition(a, 2), m.partition(a, 1, axis=0), m.argpartition(a, 2), m.argpartition(a, -1, axis=0)), x)
case("partition_int", lambda m, a: (m.partition(a, 2), m.argpartition(a, 3)), xi)
case("bitwise_count", lambda m, a: (m.bitwise_count(a), m.bitwise_count(a.astype(np.uint8)), m.bitwise_count(a > 0), m.bitwise_count(np.array([-2**31], np.int32))), xi)


# The eager runs compile op by op: a few rows only.
EAGER = {"astype", "cov", "fmax", "histogram", "insert", "interp", "linalg_matrix_power", "quantile", "rot90",
         "unique_size", "vecdot"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_jax(name):
    fn, inputs, kw = CASES[name]
    compare(fn, inputs, **kw, eager=name in EAGER)
