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
