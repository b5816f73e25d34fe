"""mirax.test_util.check_grads, as jax.test_util's: derivatives checked numerically,
forward mode against central finite differences and reverse mode against forward
mode (<ct, J t> = <J^T ct, t>), recursively to `order`."""
import numpy as np

from mirax import ad, dtypes
from mirax.core import to_array
from mirax.tree_util import tree_flatten, tree_map

# By precision: complex values use their parts' dtype's entry.
DEFAULT_EPS = {np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-5}
DEFAULT_TOL = {np.dtype(np.float32): 2e-2, np.dtype(np.float64): 1e-5}


def _random_like(rng, tree):
    def draw(x):
        x = np.asarray(x)
        value = rng.standard_normal(x.shape)
        if dtypes.is_complex(x.dtype):
            value = value + 1j * rng.standard_normal(x.shape)
        return value.astype(x.dtype)

    return tree_map(draw, tree)


def _inner(a, b):
    return sum(float(np.real(np.vdot(np.asarray(x, np.complex128), np.asarray(y, np.complex128))))
               for x, y in zip(tree_flatten(a)[0], tree_flatten(b)[0], strict=True))


def _tolerance(args, atol, rtol, table):
    dtype = np.result_type(*(np.asarray(x).dtype for x in tree_flatten(args)[0]))
    default = table.get(np.zeros((), dtype).real.dtype, table[np.dtype(np.float32)])
    return atol if atol is not None else default, rtol if rtol is not None else default


def check_jvp(f, args, atol=None, rtol=None, eps=None, rng=None):
    rng = rng or np.random.default_rng(0)
    tangents = _random_like(rng, args)
    atol, rtol = _tolerance(args, atol, rtol, DEFAULT_TOL)
    eps = eps or _tolerance(args, None, None, DEFAULT_EPS)[0]
    shifted = lambda sign: f(*tree_map(lambda x, t: to_array(np.asarray(x) + sign * eps * t), args, tangents))  # noqa: E731
    numeric = tree_map(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * eps), shifted(1), shifted(-1))
    _, tangent_out = ad.jvp(f, tuple(args), tuple(tangents))
    for got, want in zip(tree_flatten(tangent_out)[0], tree_flatten(numeric)[0], strict=True):
        np.testing.assert_allclose(np.asarray(got), want, atol=atol, rtol=rtol, err_msg="JVP vs finite differences")


def check_vjp(f, args, atol=None, rtol=None, rng=None):
    rng = rng or np.random.default_rng(1)
    tangents = _random_like(rng, args)
    out, tangent_out = ad.jvp(f, tuple(args), tuple(tangents))
    cotangent = _random_like(rng, out)
    _, f_vjp = ad.vjp(f, *args)
    atol, rtol = _tolerance(args, atol, rtol, DEFAULT_TOL)
    forward = _inner(cotangent, tangent_out)
    # JAX's convention: the VJP of conj(ct) is conj(ct)^T J, unconjugated, so that
    # Re<ct, J t> = Re<conj(vjp(conj(ct))), t> (both sides are Re<ct, J t> for real f).
    reverse = _inner(tree_map(np.conj, f_vjp(tree_map(np.conj, cotangent))), tangents)
    np.testing.assert_allclose(reverse, forward, atol=atol, rtol=rtol, err_msg="VJP vs JVP")


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check f's derivatives at args to `order`, in forward ("fwd") and reverse ("rev") mode."""
    args = tuple(tree_map(to_array, tuple(args)))
    if "fwd" in modes:
        check_jvp(f, args, atol, rtol, eps)
    if "rev" in modes:
        check_vjp(f, args, atol, rtol)
    if order > 1:
        rng = np.random.default_rng(order)
        if "fwd" in modes:
            tangents = _random_like(rng, args)
            check_grads(lambda *a: ad.jvp(f, a, tangents)[1], args, order - 1, ("fwd",), atol, rtol, eps)
        if "rev" in modes:
            cotangent = _random_like(rng, f(*args))
            check_grads(lambda *a: ad.vjp(f, *a)[1](cotangent), args, order - 1, ("rev",), atol, rtol, eps)
