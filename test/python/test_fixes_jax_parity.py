"""Discrepancies with JAX found and fixed, each checked against JAX itself: lax.abs's
dtypes, the errors of host callbacks, einsum's size-1 dimensions under repeated
indices."""
import jax
import jax.experimental
import numpy as np
import pytest

import mirax
import mirax.experimental


def raised(f):
    """The class name and message of what f() raises (the source line mirax appends dropped)."""
    try:
        f()
    except Exception as err:  # noqa: BLE001
        return type(err).__name__, str(err).split("\n  at ")[0]
    return None


@pytest.mark.parametrize("dtype", [np.uint8, np.uint32, np.bool_])
def test_lax_abs_refuses_unsigned_and_bool(dtype):
    x = np.ones(2, dtype)
    assert raised(lambda: mirax.lax.abs(x)) == raised(lambda: jax.lax.abs(x))
    np.testing.assert_array_equal(mirax.numpy.abs(x), jax.numpy.abs(x))  # jnp.abs takes them


def _failing(lib, kind):
    def bad(x):
        raise ZeroDivisionError("no")

    out = lib.ShapeDtypeStruct((), np.float32)
    if kind == "pure":
        return lambda x: lib.pure_callback(bad, out, x)
    if kind == "io":
        return lambda x: (lib.experimental.io_callback(bad, out, x), x)[1]
    return lambda x: (lib.debug.callback(bad, x), x)[1]


@pytest.mark.parametrize("kind", ["pure", "io", "debug"])
@pytest.mark.parametrize("jitted", [False, True])
def test_callback_errors_are_runtime_errors(kind, jitted):
    """JAX's JaxRuntimeError with XLA's message: a traceback down to the callback's line
    (the frames differ: the libraries' own) and the exception; eager debug callbacks
    raise the exception itself."""
    got = []
    for lib in (jax, mirax):
        f = _failing(lib, kind)
        with pytest.raises(Exception) as info:
            np.asarray((lib.jit(f) if jitted else f)(np.float32(1)))
        message = str(info.value)
        got.append((type(info.value).__name__, isinstance(info.value, RuntimeError), message.split("\n")[0],
                    message.split("\n")[-1], "in bad\n" in message))
    assert got[1] == got[0]


@pytest.mark.parametrize("spec, shapes", [
    ("ii->", [(2, 1)]), ("ii->i", [(1, 3)]), ("iii->i", [(2, 1, 2)]), ("bii->b", [(2, 1, 3)]),
    ("ii,i->", [(2, 1), (2,)]), ("ii,i->i", [(1, 1), (3,)]), ("ij,jj->i", [(2, 3), (1, 3)]),
    ("ij,jk->ik", [(2, 3), (1, 2)]),
])
def test_einsum_size_one_dimensions(spec, shapes):
    xs = [np.arange(np.prod(s), dtype=np.float32).reshape(s) + 2 for s in shapes]
    want = jax.numpy.einsum(spec, *xs)
    got = mirax.numpy.einsum(spec, *xs)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _kinds(tree, lib):
    """Each leaf's dtype (float0 included) and shape."""
    return lib.tree_util.tree_map(lambda a: (str(np.asarray(a).dtype), np.shape(a)), tree)


def _int_out(x):
    return (x * 2).astype(np.int32)


@pytest.mark.parametrize("case", [
    lambda lib: lib.jvp(lambda x: (x * 2, _int_out(x), x > 0), (1.5,), (1.0,)),
    lambda lib: lib.jvp(lambda n, x: n * x, (np.int32(3), 2.0), (np.zeros((), lib.dtypes.float0), 1.0)),
    lambda lib: lib.jvp(lib.jit(_int_out), (np.ones(2, np.float32),), (np.ones(2, np.float32),)),
    lambda lib: lib.linearize(lambda x: (x * 2, _int_out(x)), 1.5)[1](1.0),
    lambda lib: lib.linearize(lambda n, x: n * x, np.int32(2), 1.5)[1](np.zeros((), lib.dtypes.float0), 1.0),
    lambda lib: lib.vjp(lambda n, x: n * x, np.int32(3), 2.0)[1](1.0),
    lambda lib: lib.vjp(_int_out, 1.5)[1](np.zeros((), lib.dtypes.float0)),
    lambda lib: lib.grad(lambda n, x: n * x, argnums=(0, 1), allow_int=True)(np.int32(3), 2.0),
    lambda lib: lib.jacrev(lambda n: n * 2.0, allow_int=True)(np.int32(3)),
    lambda lib: lib.jacfwd(_int_out)(1.5),
])
def test_integer_tangents_are_float0(case):
    """Tangents and cotangents of integer and bool values are float0 arrays, as JAX's
    (the Jacobians keep integer zeros, as JAX's)."""
    assert _kinds(case(mirax), mirax) == _kinds(case(jax), jax)


@pytest.mark.parametrize("case", [
    lambda lib: lib.jvp(lambda n: n * 2, (np.int32(1),), (np.int32(0),)),
    lambda lib: lib.jvp(lambda x: x * 2, (1.5,), (np.zeros((), lib.dtypes.float0),)),
    lambda lib: lib.linearize(lambda n, x: n * x, np.int32(2), 1.5)[1](np.int32(0), 1.0),
    lambda lib: lib.vjp(lambda x: x * 2, np.float32(1.5))[1](np.zeros((), lib.dtypes.float0)),
    lambda lib: lib.vjp(_int_out, 1.5)[1](np.zeros((3,), lib.dtypes.float0)),
    lambda lib: lib.grad(lambda n: n * 2.0)(np.int32(3)),
])
def test_integer_tangent_errors(case):
    assert raised(lambda: case(mirax)) == raised(lambda: case(jax))


def test_float32_products_that_overflow_are_infinite():
    """XLA:CPU's small f32 dots sum by fused multiply-adds: a product that overflows
    stays infinite where a separate add would give inf - inf (NaN), as in expm's squarings."""
    a, b = np.array([[1e20, 1e20]] * 3, np.float32), np.array([[1e20] * 5, [-1e20] * 5], np.float32)
    for f in (lambda lib: lib.numpy.matmul(a, b), lambda lib: lib.numpy.matmul(a[:2], b[:, :2]),
              lambda lib: lib.vmap(lib.numpy.matmul)(np.stack([a] * 2), np.stack([b] * 2))):
        np.testing.assert_array_equal(np.asarray(f(mirax)), np.asarray(f(jax)))
    big = np.array([[190, 6], [-42, -130]], np.float32)  # JAX: -inf where inf - inf would make NaN
    np.testing.assert_array_equal(np.asarray(mirax.scipy.linalg.expm(big)), np.asarray(jax.scipy.linalg.expm(big)))


@pytest.mark.parametrize("name", ["gumbel_r", "gumbel_l"])
def test_gumbel_at_infinities(name):
    """JAX's values (op by op, as mirax computes them eagerly) at +-inf, NaN and large x."""
    import jax.scipy.stats  # noqa: F401 (the submodule)
    import mirax.scipy.stats  # noqa: F401
    x = np.array([-np.inf, np.inf, np.nan, -1e30, 1e30, -50, 50, 0], np.float32)
    for fn in ["logpdf", "pdf", "logcdf", "cdf", "sf", "logsf"]:
        want = getattr(getattr(jax.scipy.stats, name), fn)(x, 1.0, 2.0)
        got = getattr(getattr(mirax.scipy.stats, name), fn)(x, 1.0, 2.0)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, err_msg=fn)


def test_integer_tangents_inside_traces():
    """Inside jit or vmap the tangent of an integer output is zeros of its dtype (mirax's
    traced functions return arrays; JAX's is float0 of the same shape)."""
    for case in (lambda lib: lib.vmap(lambda x: lib.jvp(_int_out, (x,), (x,))[1])(np.ones(3, np.float32)),
                 lambda lib: lib.jit(lib.grad(lambda n, x: n * x, allow_int=True))(np.int32(2), np.float32(3))):
        got, want = case(mirax), case(jax)
        assert np.shape(got) == np.shape(want) and not np.asarray(got).any()
