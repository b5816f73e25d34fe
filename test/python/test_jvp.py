"""Forward mode (mirax.jvp over the mirax-jvp pass): every op family's JVP rule
against jax.jvp and central finite differences, eagerly, under jit, and nested to
second order."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from ad_cases import CASES, both, inputs
from oracle import assert_close


@pytest.mark.parametrize("name, fn, domain", CASES, ids=[c[0] for c in CASES])
def test_jvp_matches_jax(name, fn, domain):
    primals, tangents = inputs(domain)
    mine, theirs = both(fn)
    out, tangent = mirax.jvp(mine, primals, tangents)
    want_out, want_tangent = jax.jvp(theirs, primals, tangents)
    assert_close(out, want_out)
    assert_close(tangent, want_tangent)


@pytest.mark.parametrize("name, fn, domain", CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_jvp_matches_finite_differences(name, fn, domain):
    (x, y), (tx, ty) = inputs(domain)
    mine, _ = both(fn)
    x64, y64, tx64, ty64 = (v.astype(np.float64) for v in (x, y, tx, ty))
    eps = 1e-3
    plus = np.asarray(mine(x64 + eps * tx64, y64 + eps * ty64), np.float64)
    minus = np.asarray(mine(x64 - eps * tx64, y64 - eps * ty64), np.float64)
    _, tangent = mirax.jvp(mine, (x, y), (tx, ty))
    np.testing.assert_allclose(np.asarray(tangent), (plus - minus) / (2 * eps), rtol=2e-2, atol=2e-2)


def test_jvp_under_jit_and_of_jit():
    (x, y), (tx, ty) = inputs("any")
    f = lambda x, y: jnp.tanh(x) * y  # noqa: E731
    want = jax.jvp(lambda x, y: jjnp.tanh(x) * y, (x, y), (tx, ty))
    assert_close(mirax.jit(lambda *a: mirax.jvp(f, a[:2], a[2:]))(x, y, tx, ty)[1], want[1])
    assert_close(mirax.jvp(mirax.jit(f), (x, y), (tx, ty))[1], want[1])


def test_second_order_nested_jvp():
    def d(f):
        return lambda x: mirax.jvp(f, (x,), (jnp.ones_like(x),))[1]

    def jd(f):
        return lambda x: jax.jvp(f, (x,), (jjnp.ones_like(x),))[1]

    x = np.linspace(-2, 2, 5, dtype=np.float32)
    assert_close(d(d(jnp.sin))(x), jd(jd(jjnp.sin))(x))
    assert_close(d(d(lambda v: v**3 * jnp.exp(v)))(x), jd(jd(lambda v: v**3 * jjnp.exp(v)))(x), rtol=1e-4)


def test_pytrees_has_aux_and_integer_inputs():
    def f(params, n):
        return {"out": params["w"] * params["b"] ** 2 * n}, n + 1

    params = {"w": jnp.array(2.0), "b": jnp.array(3.0)}
    int_tangent = np.zeros((), mirax.dtypes.float0)  # as JAX: an integer primal's tangent is float0
    out, tangent, aux = mirax.jvp(f, (params, jnp.array(4)), ({"w": 1.0, "b": 0.5}, int_tangent), has_aux=True)
    assert float(out["out"]) == 72.0 and float(tangent["out"]) == 9.0 * 4 + 2 * 2.0 * 3.0 * 0.5 * 4
    assert int(aux) == 5


def test_bad_input():
    with pytest.raises(TypeError, match="must be tuples or lists"):
        mirax.jvp(jnp.sin, 1.0, 1.0)
    with pytest.raises(TypeError, match="same tree structure"):
        mirax.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        mirax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(2),))
    with pytest.raises(TypeError, match="dtypes must be equal"):
        mirax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(3, jnp.float16),))
