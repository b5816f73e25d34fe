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
from oracle import ROUNDING, check, rand


BF16 = jnp.bfloat16
TOLERANCE = {**ROUNDING, "V2": 2e-2}  # bfloat16's dtype.str is '<V2'


def _weak(x):
    return x.aval.weak_type if hasattr(x, "aval") else getattr(x, "weak_type", False)


def compare(fn, inputs, jit=True, eager=False, tolerance=TOLERANCE):
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
case("fmax", lambda m, x, y: (m.fmax(x, y), m.fmin(x, y), m.fmax(x, 1.0)), rand((6,), nans=True), rand((6,), seed=1,
     nans=True)[::-1].copy())
case("modf", lambda m, x: m.modf(x * 3), x)
case("gcd", lambda m, x, y: (m.gcd(x, y), m.lcm(x, y), m.gcd(x, 6)), np.array([12, 0, -8, 7, 0], np.int32),
     np.array([18, 5, 12, 0, 0], np.int32))
case("nan_to_num", lambda m, x: (m.nan_to_num(x), m.nan_to_num(x, nan=1.0, posinf=2.0)), np.array([1., np.nan,
     np.inf, -np.inf], np.float32))
case("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), x, x.T[:3, :4] if False else x[::-1].copy())
case("spacing", lambda m, x: m.spacing(x), x)
case("frexp", lambda m, x, e: (m.frexp(x), m.ldexp(x, e), m.ldexp(x, 2), m.frexp(x.astype(np.float16)), m.frexp(e)),
     np.array([0., 1., -3.5, 1e-30, np.inf, np.nan, 1e30, 0.1, -0.], np.float32),
     np.array([0, 3, -2, 130, 1, 2, -200, 5, 1], np.int32))  # no subnormals: XLA's CPU flushes them
case("iscomplex", lambda m, x: (m.iscomplex(x), m.isreal(x), m.iscomplex(x * 1j)), x)
case("sort_complex", lambda m, x: m.sort_complex(x), v)
case("rot90", lambda m, x: (m.rot90(x), m.rot90(x, 2), m.rot90(x, -1, (1, 0))), x)
case("rollaxis", lambda m, x: m.rollaxis(x[None], 2), x)
case("splits", lambda m, x: (m.hsplit(x, 2), m.vsplit(x, 3), m.dsplit(x[..., None].repeat(2, -1), 2)), x)
case("block", lambda m, x: m.block([[x, x], [x, x]]), x)
case("diagflat", lambda m, v: (m.diagflat(v), m.diagflat(v, 2), m.diagflat(v, -1)), v)
case("diag_indices_from", lambda m, x: m.diag_indices_from(x[:3, :3]), x)
case("tril_indices_from", lambda m, x: (m.tril_indices_from(x), m.triu_indices_from(x, 1),
                                        m.mask_indices(3, m.triu, 1, size=3)), x)
case("fill_diagonal", lambda m, x: (m.fill_diagonal(x, 5., inplace=False), m.fill_diagonal(x, x[0, :2],
     inplace=False)), x)
case("choose", lambda m, a: m.choose(a, [a * 10, a * 100, a * 1000], mode="clip"), np.array([0, 1, 2, 3], np.int32))
case("compress", lambda m, x: m.compress(np.array([True, False, True]), x, axis=0, size=3, fill_value=7), x)
case("extract", lambda m, x: m.extract(x > 0, x, size=5), x)
case("delete", lambda m, x: (m.delete(x, 1, axis=1), m.delete(x, np.array([0, 2]), axis=1,
     assume_unique_indices=True), m.delete(x, slice(0, 2), axis=0)), x)
case("insert", lambda m, x: (m.insert(x, 1, 5.0, axis=1), m.insert(x, np.array([0, 2]), x[:, :2], axis=1),
     m.insert(x, 2, 9.0)), x)
case("place", lambda m, x: m.place(x, x > 0, np.array([1., 2.]), inplace=False), x)
case("put", lambda m, x: (m.put(x, np.array([0, 5]), np.array([9., 8.]), inplace=False), m.put(x, np.array([20]), 1.,
     mode="wrap", inplace=False)), x)
case("put_along_axis", lambda m, x: m.put_along_axis(x, np.array([[0], [1], [2]]), 9., axis=1, inplace=False), x)
case("resize", lambda m, x: (m.resize(x, (5, 3)), m.resize(x, 2)), x)
case("array_equiv", lambda m, x: (m.array_equiv(x, x), m.array_equiv(x, x[0])), x)
case("ravel_multi_index", lambda m, a: (m.ravel_multi_index((a, a), (4, 5), mode="clip"), m.unravel_index(a * 3, (2,
     3))), np.array([0, 1, 3, 7], np.int32))
case("unique_size", lambda m, a: (m.unique(a, size=6, fill_value=-1), m.unique(a, return_index=True,
     return_inverse=True, return_counts=True, size=5)), vi)
case("isin", lambda m, a: (m.isin(a, np.array([1, 5])), m.isin(a, np.array([1, 5]), invert=True), m.isin(a,
     np.array([1, 5]), method="sort")), vi)
case("setops_size", lambda m, a: (m.union1d(a, a + 1, size=8), m.intersect1d(a, a + 1, size=3), m.setdiff1d(a,
     np.array([1]), size=4), m.setxor1d(a, np.array([1, 7]), size=5)), vi)
case("cov", lambda m, x: (m.cov(x), m.cov(x, rowvar=False), m.cov(x, bias=True), m.cov(x[0], x[1]), m.corrcoef(x)), x)
case("cov_w", lambda m, x: m.cov(x, fweights=np.array([1, 2, 1, 1]), aweights=np.array([.5, 1., 1., 2.],
     np.float32)), x)
case("bincount", lambda m, a: (m.bincount(a, length=7), m.bincount(a, weights=a * 0.5, length=4)), vi)
case("digitize", lambda m, x: (m.digitize(x, np.array([-1., 0., 1.], np.float32)), m.digitize(x, np.array([1., 0.,
     -1.], np.float32), right=True)), x)
case("histogram", lambda m, x: (m.histogram(x, 4), m.histogram(x, np.array([-2., 0., 2.], np.float32), density=True),
     m.histogram_bin_edges(x, 3, range=(0, 1))), x)
case("histogram2d", lambda m, x: m.histogram2d(x[0], x[1], bins=3), x)
case("histogramdd", lambda m, x: m.histogramdd(x.T, bins=2), x)
case("interp", lambda m, x, xp: (m.interp(x, xp, xp ** 2), m.interp(x, xp, xp, left=-1., right="extrapolate"),
     m.interp(x, xp, xp, period=2.)), x, np.array([-1., 0., .5, 2.], np.float32))
case("ediff1d", lambda m, x: (m.ediff1d(x), m.ediff1d(x, to_end=np.array([1., 2.]), to_begin=0)), x)
case("gradient", lambda m, x: (m.gradient(x), m.gradient(x, 2.0, axis=1), m.gradient(x[0], np.array([0., 1., 3., 4.],
     np.float32))), x)
case("trapezoid", lambda m, x: (m.trapezoid(x), m.trapezoid(x, dx=.5, axis=0), m.trapezoid(x, x=np.array([0., 1., 3.,
     4.], np.float32))), x)
case("cross", lambda m, x: (m.cross(x[:, :3], x[:, 1:]), m.cross(x[:2, :2], x[1:, :2]), m.cross(x[:, :3], x[:, :2])), x)
case("quantile", lambda m, x: (m.quantile(x, 0.3), m.quantile(x, np.array([0.1, .5], np.float32), axis=1),
     m.quantile(x, .5, axis=0, keepdims=True, method="nearest"), m.percentile(x, 40., axis=(0, 1), method="lower"),
     m.median(x)), x)
case("nanquantile", lambda m, x: (m.nanquantile(x, 0.3), m.nanquantile(x, np.array([0.1, .5], np.float32), axis=1),
     m.nanpercentile(x, 50., axis=0, keepdims=True), m.nanmedian(x, axis=1)), rand((3, 4), nans=True))
case("nanvar", lambda m, x: (m.nanvar(x), m.nanvar(x, axis=1, ddof=1), m.nanstd(x, axis=0, keepdims=True)), rand((3,
     4), nans=True))
case("nanargmax", lambda m, x: (m.nanargmax(x), m.nanargmax(x, axis=1), m.nanargmin(x, axis=0, keepdims=True)),
     rand((3, 4), nans=True))
case("unwrap", lambda m, x: (m.unwrap(x * 5), m.unwrap(x * 5, axis=0, period=3.)), x)
case("meshgrid", lambda m, v: (m.meshgrid(v, v[:3]), m.meshgrid(v, v[:3], indexing="ij", sparse=True)), v)
case("mgrid", lambda m: (m.mgrid[0:4, 1:3], m.ogrid[0:3, 0:1:3j], m.mgrid[0:5:2], m.r_[1:4, 7, np.array([2, 3])],
     m.c_[np.array([1, 2]), np.array([3, 4])], m.r_["0,2", np.array([1, 2])]))
case("logspace", lambda m, v: (m.logspace(0., 2., 5), m.logspace(v[:2], 2., 4, base=2., axis=1), m.geomspace(1.,
     1000., 4), m.geomspace(-1., -8., 4, endpoint=False, dtype=np.float32)), v)
case("windows", lambda m, b: (m.bartlett(5), m.blackman(4), m.hamming(1), m.hanning(0), m.hanning(6), m.kaiser(5, 3.),
                              m.kaiser(4, b), m.kaiser(1, 2.), m.i0(np.array([0., 1., -3.5, 10.])), m.i0(2)),
     np.float32(1.5))
case("convolve", lambda m, a, b: (m.convolve(a, b), m.convolve(a, b, "same"), m.convolve(b, a, "valid"),
     m.correlate(a, b), m.correlate(b, a, "full"), m.correlate(a, b, "same")), v, v[:3])
case("convolve_int", lambda m, a, b: (m.convolve(a, b), m.convolve(a, b, preferred_element_type=np.int32)), vi, vi[:2])
case("poly", lambda m, v: (m.poly(v[:3]), m.polyadd(v, v[:2]), m.polysub(v[:2], v), m.polymul(v, v[:3]), m.polyval(v,
     2.), m.polyval(v, v[:3]), m.polyder(v, 2), m.polyint(v), m.polyint(v, 2, k=np.array([1., 2.], np.float32)),
     m.polydiv(v, v[:2]), m.vander(v[:3]), m.vander(v[:3], 4, increasing=True)), v)
case("polyval_int", lambda m, p: (m.polyval(p, 2), m.polyval(p, np.int32(3))), vi)
case("vectorize", lambda m, x: (m.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(x, x[0]),
     m.vectorize(lambda a: a * 2)(x)), x)
case("apply", lambda m, x: (m.apply_along_axis(lambda v: v.sum(), 1, x), m.apply_along_axis(lambda v: v[::-1], 0, x),
     m.apply_over_axes(m.sum, x, (0, 1))), x)
case("piecewise", lambda m, x: m.piecewise(x, [x < 0, x > 1], [lambda x: -x, 7., 0.5]), x)
case("fromfunction", lambda m: m.fromfunction(lambda i, j: i + 2 * j, (2, 3)))

x = rand((3, 3)); b = rand((2, 3, 3), seed=1); v = rand((3,), seed=2); xi = rand((3, 3), np.int32)
case("linalg_cross", lambda m, a, b: (m.linalg.cross(a, b), m.linalg.cross(a.T, b.T, axis=0)), x, x[::-1].copy())
case("linalg_matrix_power", lambda m, a, b: (m.linalg.matrix_power(a, 0), m.linalg.matrix_power(a, 3),
     m.linalg.matrix_power(b, 5), m.linalg.matrix_power(a, -2)), x + 3 * np.eye(3, dtype=np.float32), b)
case("linalg_matrix_power_int", lambda m, a: (m.linalg.matrix_power(a, 2), m.linalg.matrix_power(a, 6)), xi)
case("linalg_multi_dot", lambda m, a, v: (m.linalg.multi_dot([a, a, a]), m.linalg.multi_dot([v, a, a, v]),
     m.linalg.multi_dot([a, v])), x, v)
case("linalg_outer", lambda m, v: (m.linalg.outer(v, v[:2]), m.linalg.tensordot(v, v, axes=1), m.linalg.vecdot(v,
     v)), v)
case("linalg_vector_norm", lambda m, a: (m.linalg.vector_norm(a), m.linalg.vector_norm(a, axis=1, ord=1),
     m.linalg.vector_norm(a, ord=np.inf, keepdims=True), m.linalg.vector_norm(a, axis=(0, 1), ord=0),
     m.linalg.vector_norm(a, ord=3)), x)
case("linalg_vector_norm_int", lambda m, a: (m.linalg.vector_norm(a), m.linalg.vector_norm(a, ord=np.inf),
     m.linalg.vector_norm(a, ord=1, axis=0)), xi)
case("linalg_matrix_norm", lambda m, a: (m.linalg.matrix_norm(a), m.linalg.matrix_norm(a, ord=1),
     m.linalg.matrix_norm(a, ord=-np.inf, keepdims=True)), b)
case("linalg_tensorinv", lambda m, a: m.linalg.tensorinv(a, ind=1), x + 3 * np.eye(3, dtype=np.float32))
case("linalg_tensorinv2", lambda m, a: m.linalg.tensorinv(a.reshape(2, 2, 4), ind=2), rand((16,), seed=3) + np.eye(4,
     dtype=np.float32).ravel() * 4)
case("linalg_tensorsolve", lambda m, a, c: m.linalg.tensorsolve(a.reshape(2, 2, 4), c), rand((16,),
     seed=3) + np.eye(4, dtype=np.float32).ravel() * 4, rand((2, 2), seed=4))
case("linalg_matrix_transpose", lambda m, a: m.linalg.matrix_transpose(a), b)
x = rand((3, 5)); xi = rand((3, 5), np.int32)
case("flatnonzero", lambda m, a: (m.flatnonzero(a, size=8), m.flatnonzero(a, size=4, fill_value=-1)), xi)
case("packbits", lambda m, a: (m.packbits(a), m.packbits(a > 0, axis=1), m.packbits(a, axis=0, bitorder="little")), xi)
case("unpackbits", lambda m, a: (m.unpackbits(a), m.unpackbits(a, axis=1, count=3), m.unpackbits(a, axis=0, count=20,
     bitorder="little")), np.array([[1, 255, 7], [128, 0, 33]], np.uint8))
case("partition", lambda m, a: (m.partition(a, 2), m.partition(a, 1, axis=0), m.argpartition(a, 2), m.argpartition(a,
     -1, axis=0)), x)
case("partition_int", lambda m, a: (m.partition(a, 2), m.argpartition(a, 3)), xi)
case("bitwise_count", lambda m, a: (m.bitwise_count(a), m.bitwise_count(a.astype(np.uint8)), m.bitwise_count(a > 0),
     m.bitwise_count(np.array([-2**31], np.int32))), xi)

# Dtypes (bool, int, bfloat16), empty and 0-d operands, Python scalars (weak types).
x = rand((3, 4)); xi = rand((3, 4), np.int32); e = np.zeros((0,), np.float32); ei = np.zeros((0,), np.int32)
s0 = np.float32(0.7)
case("bf16", lambda m, x: (m.fmax(x, 0.5), m.nanvar(x, axis=0), m.quantile(x, .5, axis=1), m.cov(x), m.trapezoid(x),
                           m.logaddexp2(x, x), m.vecdot(x, x), m.cross(x[:, :3], x[:, 1:]), m.gradient(x, axis=0),
                           m.nan_to_num(x), m.spacing(x), m.modf(x)), x.astype(BF16))
case("ints", lambda m, a: (m.cov(a), m.quantile(a, 0.5), m.percentile(a, 30, axis=0), m.gradient(a, axis=1),
                           m.trapezoid(a), m.cross(a[:, :3], a[:, 1:]), m.histogram(a, 3),
                           m.digitize(a, np.array([0, 2])),
                           m.convolve(a[0], a[1]), m.ediff1d(a), m.polyval(a[0], 2), m.nanargmax(a, 0), m.nanvar(a),
                           m.rot90(a), m.unwrap(a), m.fmin(a, 1), m.vecdot(a, a), m.isin(a, a[0])), xi)
case("bools", lambda m, a: (m.bincount(a[0], length=3), m.isin(a, True), m.packbits(a), m.cumsum(m.unique(a, size=2)),
                            m.delete(a, 0, axis=0), m.insert(a, 1, False, axis=1), m.rot90(a), m.flatnonzero(a, size=3),
                            m.nanargmin(a), m.concat([a, a]), m.matrix_transpose(a)), xi > 0)
case("empty", lambda m, e, ei: (m.unique(e, size=2, fill_value=0.), m.bincount(ei, length=3), m.isin(e, e),
                                m.histogram(e, bins=2, range=(0., 1.)), m.ediff1d(e), m.polyval(e, 2.),
                                m.vecdot(e, e), m.linalg.vector_norm(e), m.diagflat(e), m.cov(e), m.nanvar(e),
                                m.setdiff1d(ei, ei, size=2), m.union1d(ei, ei + 1, size=1, fill_value=3),
                                m.insert(e, 0, 1.), m.delete(e, np.zeros(0, np.int32), assume_unique_indices=True),
                                m.quantile(m.ones((2, 0)), .5, axis=0), m.unstack(e[:, None])), e, ei)
case("zero_d", lambda m, s: (m.nan_to_num(s), m.fmax(s, 1.0), m.fmax(1.0, 2.0), m.atan2(1.0, s), m.logaddexp2(1.0, 2.0),
                             m.polyval(np.array([1., 2.], np.float32), 2.0), m.polyval(np.array([1, 2]), 3.0),
                             m.interp(s, np.array([0., 1.], np.float32), np.array([1., 3.], np.float32)),
                             m.isin(s, np.array([0.7], np.float32)), m.unravel_index(np.int32(5), (2, 3)),
                             m.quantile(s, .5),
                             m.nanmedian(s), m.copy(s), m.astype(s, np.int32), m.modf(2.5), m.gcd(12, 18),
                             m.spacing(1.0), m.bitwise_left_shift(1, 3), m.cross(np.ones(3), 2.0 * np.ones(3))), s0)


# The eager runs compile op by op: a few rows only.
EAGER = {"astype", "fmax", "rot90", "vecdot"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_jax(name):
    fn, inputs, kw = CASES[name]
    compare(fn, inputs, **kw, eager=name in EAGER)


# ----------------------------------------------------------------------------- results sized by the values (eager)


def eager_calls(m, a, b):
    """Functions whose result's size depends on the values: without size= they need
    concrete operands, as in JAX."""
    return [m.unique(a, return_index=True, return_inverse=True, return_counts=True), tuple(m.unique_all(a)),
            m.setdiff1d(a, b), m.union1d(a, b), m.setxor1d(a, b),
            m.intersect1d(a, b, return_indices=True), m.bincount(a, minlength=9), m.compress(a > 1, a),
            m.delete(a, np.array([0, 2])), m.trim_zeros(np.array([0, 0, 1, 2, 0])),
            m.choose(np.array([0, 1, 1]), [a[:3], b[:3]])]


def test_eager_sized_by_values():
    a, b = np.array([3, 1, 2, 3, 1, 5], np.int32), np.array([1, 4, 5, 7, 3, 0, 2], np.int32)
    compare(eager_calls, [a, b], jit=False, eager=True)


def test_unique_floats_nan_eager():
    x = np.array([1., np.nan, 2., np.nan, 1.], np.float32)
    compare(lambda m, x: (m.unique(x), m.unique_values(x)), [x],
            jit=False, eager=True)


@pytest.mark.parametrize("fn", [lambda m, x: m.unique(x), lambda m, x: m.setdiff1d(x, x), lambda m, x: m.bincount(x),
                                lambda m, x: m.compress(x > 0, x)], ids=["unique", "setdiff1d", "bincount", "compress"])
def test_sized_by_values_under_jit(fn):
    """Without size=, a traced operand raises JAX's ConcretizationTypeError."""
    x = np.array([1, 2, 2], np.int32)
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda x: fn(jjnp, x))(x)
    with pytest.raises(mirax.ConcretizationTypeError):
        mirax.jit(lambda x: fn(jnp, x))(x)


# ----------------------------------------------------------------------------- derivatives, vmap


GRADS = {
    "statistics": lambda m, x, y: (m.cov(x), m.corrcoef(x, y), m.quantile(x, np.array([0.3, 0.5]), axis=1),
                                   m.nanvar(x, axis=0), m.nanpercentile(x, 40.), m.gradient(x), m.trapezoid(x, y),
                                   m.cross(x[:, :3], y[:, 2:]), m.ediff1d(x)),
    "interpolation": lambda m, x, y: (m.interp(x[0] * 0.9, np.array([-3., -1., 0., 0.5, 2.]), y[0]),
                                      m.polyval(x[0], y[1]), m.convolve(x[0], y[1, :3]),
                                      m.correlate(x[1], y[0], "same"),
                                      m.polymul(x[0], y[0]), m.polyder(x[1], 2), m.polyint(y[1])),
    "elementwise": lambda m, x, y: (m.logaddexp2(x, y), m.fmax(x, y), m.fmin(x, y), m.vecdot(x, y), m.matvec(x, y[0]),
                                    m.modf(x * 3)[0], m.nan_to_num(x), m.unwrap(x * 4), m.frexp(x)[0], m.ldexp(x, 3),
                                    m.i0(x)),
    "arrays": lambda m, x, y: (m.rot90(x), m.block([[x, y]]), m.diagflat(x[0]), m.insert(x, 1, y[0], axis=0),
                               m.delete(x, 1, axis=1), m.put(x, np.array([1, 3]), y[0, :2], inplace=False),
                               m.compress(np.array([True, False, True]), x, axis=0, size=2),
                               m.unique(x[0], size=5, fill_value=0.),
                               m.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(x, y),
                               m.apply_along_axis(lambda r: r * r.sum(), 1, x),
                               m.piecewise(x, [x < 0], [lambda t: t ** 2, lambda t: t])),
    "linalg": lambda m, x, y: (m.linalg.matrix_power(x[:, :3] + 3 * np.eye(3), -2), m.linalg.multi_dot([x, y.T, x]),
                               m.linalg.vector_norm(x, ord=3, axis=0), m.linalg.matrix_norm(x, ord=1),
                               m.linalg.tensorsolve(x[:, :3] + 3 * np.eye(3), y[:, 0]),
                               m.linalg.tensorinv(x[:, :3] + 3 * np.eye(3), ind=1)),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_check_grads(name, x64):
    """Forward mode against finite differences, reverse against forward, in float64."""
    x, y = rand((3, 5), np.float64, seed=5), rand((3, 5), np.float64, seed=6)
    check_grads(mirax.jit(lambda a, b: GRADS[name](jnp, a, b)), (x, y), order=1, atol=1e-5, rtol=1e-5)


VMAPS = {
    "statistics": (lambda m, x, y: (m.cov(x), m.quantile(x, 0.3), m.nanvar(x, axis=1), m.interp(y, m.sort(x[0]), x[1]),
                                    m.histogram(x, 3, range=(-1., 1.)), m.bincount(m.abs(x[0]).astype(int), length=4),
                                    m.gradient(x, axis=1), m.trapezoid(x), m.cross(x[:, :3], x[:, 2:]))),
    "arrays": (lambda m, x, y: (m.unique(x.astype(int), size=4, fill_value=-1), m.isin(y, x),
                                m.insert(x, 1, y[0], axis=1), m.polyval(x[0], y), m.convolve(x[0], y[:2]),
                                m.linalg.matrix_power(x[:, :2], 3))),
}


@pytest.mark.parametrize("name", sorted(VMAPS))
def test_vmap(name):
    """mirax.jit(mirax.vmap(f)) against a loop of mirax.jit(f) over the rows (one
    compile, where oracle.check_vmap's eager loop compiles op by op) and jax.vmap(f)."""
    x, y = rand((4, 2, 5), seed=7), rand((4, 4), seed=8)

    def ours(*xs):
        return VMAPS[name](jnp, *xs)

    got = mirax.jit(mirax.vmap(ours))(x, y)
    want = jax.vmap(lambda *xs: VMAPS[name](jjnp, *xs))(x, y)
    rows = [mirax.jit(ours)(x[i], y[i]) for i in range(x.shape[0])]
    loop = jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(r) for r in leaves]), *rows)
    check(jax.tree_util.tree_map(np.asarray, tuple(got)), tuple(want), "vmap vs jax", TOLERANCE)
    check(jax.tree_util.tree_map(np.asarray, tuple(got)), tuple(loop), "vmap vs loop", TOLERANCE)


# ----------------------------------------------------------------------------- polyfit, roots, roll by a traced shift


FIT_X = np.linspace(-1, 2, 9).astype(np.float32)
FIT_Y = (FIT_X ** 3 - 2 * FIT_X + 1 + 0.01 * np.sin(7 * FIT_X)).astype(np.float32)


@pytest.mark.parametrize("kw", [{}, {"full": True}, {"cov": True}, {"cov": "unscaled"},
                                {"w": np.linspace(0.5, 1.5, 9).astype(np.float32)}, {"rcond": 1e-3}], ids=str)
def test_polyfit(kw):
    for y in (FIT_Y, np.stack([FIT_Y, 2 * FIT_Y], 1)):  # one right-hand side or two
        compare(lambda m, x, y: m.polyfit(x, y, 3, **kw), (FIT_X, y), eager=True, tolerance={"f4": 1e-4})


def test_polyfit_derivatives_and_vmap(x64):
    x, y = FIT_X.astype(np.float64), FIT_Y.astype(np.float64)
    check_grads(lambda y, w: jnp.polyfit(x, y, 2, w=w), (y, np.linspace(0.5, 1.5, 9)), order=2, atol=1e-5, rtol=1e-5)
    ys = np.stack([y, y ** 2, -y])
    got = mirax.vmap(lambda y: jnp.polyfit(x, y, 3))(ys)
    check(got, jax.vmap(lambda y: jjnp.polyfit(x, y, 3))(ys), "vmap", {"f8": 1e-10})
    check(got, np.stack([jnp.polyfit(x, y, 3) for y in ys]), "loop", {"f8": 1e-12})


ROOTS = [np.array(p, np.float32) for p in
         ([1, -3, 2], [0, 0, 1, -3, 2], [2, 0, 1], [0, 0], [5], [1, 2, 3, 4, 5], [1, 0, 0])] + [np.array([3, 2, 1])]


@pytest.mark.parametrize("p", ROOTS, ids=lambda p: str(p.tolist()))
def test_roots(p):
    """Eagerly (leading zeros stripped) and under jit with strip_zeros=False (a NaN root
    for each), in any order: the eigenvalues' order is LAPACK's in JAX."""
    compare(lambda m, p: m.sort_complex(m.roots(p)), (p,), jit=False, eager=True, tolerance={"c8": 1e-4})
    compare(lambda m, p: m.sort_complex(m.roots(p, strip_zeros=False)), (p,), tolerance={"c8": 1e-4})
    compare(lambda m, a: m.poly(a), (np.array([[1.0, 2.0], [3.0, 4.0]], np.float32),), eager=True)
    if p.size > 1:  # (a constant has no roots to count)
        with pytest.raises(mirax.errors.ConcretizationTypeError, match="pass strip_zeros=False"):
            mirax.jit(jnp.roots)(p)


@pytest.mark.parametrize("shift, axis", [(2, 1), (-7, 0), (np.array([1, 2]), (0, 1)), (3, (0, 1)),
                                         (np.array([1, -1]), 1), (5, None)], ids=str)
def test_roll_by_a_traced_shift(shift, axis):
    compare(lambda m, a, s: m.roll(a, s, axis), (x, np.asarray(shift, np.int32)))
    shifts = np.array([0, 1, -6, 5], np.int32)
    got = mirax.vmap(lambda s: jnp.roll(x, s, 1))(shifts)
    check(got, jax.vmap(lambda s: jjnp.roll(x, s, 1))(shifts), "vmap")
    check(got, np.stack([np.roll(x, s, 1) for s in shifts]), "loop")


# ----------------------------------------------------------------------------- errors


ERRORS = [
    (lambda m: m.unstack(np.float32(1)), ValueError, "axis 0 is out of bounds for array of dimension 0"),
    (lambda m: m.vecdot(np.ones(3), np.ones(4)), ValueError, "axes must match"),
    (lambda m: m.matrix_transpose(np.ones(3)), ValueError, "at least two-dimensional"),
    (lambda m: m.gcd(1.0, 2.0), ValueError, "must be integers"),
    (lambda m: m.spacing(np.ones(2, np.complex64)), ValueError, "not defined for complex"),
    (lambda m: m.rot90(np.ones(3)), ValueError, "ndim at least two"),
    (lambda m: m.rot90(np.ones((2, 2)), axes=(1, 1)), ValueError, "Axes must be different"),
    (lambda m: m.fill_diagonal(np.ones((2, 2)), 1.), NotImplementedError, "inplace=False"),
    (lambda m: m.put(np.ones(2), 0, 1.), ValueError, "cannot modify arrays in-place"),
    (lambda m: m.choose(np.array([0, 3]), [np.ones(2), np.ones(2)]), ValueError, "invalid entry in choice array"),
    (lambda m: m.block([(np.ones(2),)]), ValueError, "does not allow tuples"),
    (lambda m: m.block([[np.ones(2)], np.ones(2)]), ValueError, "Mismatched list depths"),
    (lambda m: m.array_equiv(np.ones((3, 4)), np.ones((2, 4))), TypeError, None),
    (lambda m: m.unique(np.zeros(0), size=2), ValueError, "fill_value must be specified"),
    (lambda m: m.isin(np.ones(2), np.ones(2), method="fast"), ValueError, "is not implemented"),
    (lambda m: m.cov(np.ones((2, 2, 2))), ValueError, "m has more than 2 dimensions"),
    (lambda m: m.bincount(np.ones(3)), TypeError, "must have an integer type"),
    (lambda m: m.histogram_bin_edges(np.ones(3), "auto"), NotImplementedError, "string values for `bins`"),
    (lambda m: m.histogram(np.ones(3), "auto"), TypeError, None),
    (lambda m: m.interp(np.ones(2), np.ones(3), np.ones(2)), ValueError, "equal size"),
    (lambda m: m.gradient(np.ones(1)), ValueError, "at least 2 elements"),
    (lambda m: m.gradient(np.ones(3), edge_order=2), NotImplementedError, "edge_order"),
    (lambda m: m.trapezoid(np.zeros(0)), IndexError, None),
    (lambda m: m.cross(np.ones(4), np.ones(3)), ValueError, "either 2 or 3"),
    (lambda m: m.quantile(np.ones(3), 0.5, method="cubic"), ValueError, "method can only be"),
    (lambda m: m.quantile(np.ones(3, np.complex64), 0.5), ValueError, "does not support complex"),
    (lambda m: m.convolve(np.ones((2, 2)), np.ones(2)), ValueError, "only support 1-dimensional"),
    (lambda m: m.convolve(np.ones(3), np.ones(2), mode="other"), ValueError, "mode must be one of"),
    (lambda m: m.polyder(np.ones(3), -1), ValueError, "Order of derivative must be positive"),
    (lambda m: m.roots(np.ones((2, 2))), ValueError, "Input must be a rank-1 array"),
    (lambda m: m.polyfit(np.ones((2, 2)), np.ones(2), 1), TypeError, "expected 1D vector for x"),
    (lambda m: m.polyfit(np.ones(3), np.ones(3), -1), ValueError, "expected deg >= 0"),
    (lambda m: m.polyfit(np.ones(3), np.ones(3), 3, cov=True), ValueError, "must exceed order"),
    (lambda m: m.polyfit(np.ones(3), np.ones(4), 1), TypeError, "expected x and y to have same length"),
    (lambda m: m.polyfit(np.ones(3), np.ones(3), 1, w=np.ones(2)), TypeError, "w and y to have the same length"),
    (lambda m: m.roll(np.ones(3), m.ones((2, 2), int), 0), ValueError, "must be scalars or 1D arrays"),
    (lambda m: m.vectorize(lambda a: a, signature="(n)->")(np.ones(2)), ValueError, "not a valid gufunc signature"),
    (lambda m: m.vectorize(lambda a, b: a, signature="(n),(n)->(n)")(np.ones(2), np.ones(3)), ValueError,
     "inconsistent size for core dimension"),
    (lambda m: m.piecewise(np.ones(2), [np.ones(2, bool)], []), ValueError, "functions are expected"),
    (lambda m: m.meshgrid(np.ones((2, 2))), ValueError, "must be 1D"),
    (lambda m: m.r_["x", np.ones(2)], ValueError, "could not understand directive"),
    (lambda m: m.packbits(np.ones(3)), TypeError, "integer or boolean"),
    (lambda m: m.fromiter(iter([1])), NotImplementedError, "non-pure"),
    (lambda m: m.isdtype(np.float32, "floating-ish"), ValueError, "Unrecognized kind"),
    (lambda m: m.linalg.matrix_power(np.ones((2, 3)), 2), TypeError, "must be square"),
    (lambda m: m.linalg.multi_dot([np.ones(2), np.ones((2, 2, 2))]), ValueError, "must all be two-dimensional"),
    (lambda m: m.linalg.outer(np.ones((2, 2)), np.ones(2)), ValueError, "one-dimensional"),
    (lambda m: m.linalg.cross(np.ones(2), np.ones(2)), ValueError, "3-dimensional vectors"),
    (lambda m: m.linalg.vector_norm(np.ones(2), ord="inf"), ValueError, "Invalid order 'inf' for vector norm"),
    (lambda m: m.linalg.tensorinv(np.ones((2, 3))), ValueError, "tensorinv is only possible"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, error, match = ERRORS[i]
    raises(fn, error, match)


def test_scalar_predicates_and_reexports():
    for value in (1, 1.5, 2j, np.float32(1), np.ones(2), np.ones(()), "a", None, [1]):
        for name in ("iscomplexobj", "isrealobj", "isscalar", "iterable"):
            assert getattr(jnp, name)(value) == getattr(jjnp, name)(value), (name, value)
    assert jnp.isscalar(jnp.ones(())) and not jnp.isscalar(jnp.ones(2))
    for kind in ("bool", "integral", "real floating", "numeric", np.int32, ("complex floating", np.int8)):
        for dtype in (np.bool_, np.int8, np.uint32, np.float32, BF16, np.complex64):
            assert jnp.isdtype(dtype, kind) == jjnp.isdtype(dtype, kind), (dtype, kind)
    assert jnp.can_cast(np.int8, np.int32) and jnp.ComplexWarning is jjnp.ComplexWarning
    assert jnp.s_[1:2] == jjnp.s_[1:2] and jnp.index_exp[1] == jjnp.index_exp[1]
