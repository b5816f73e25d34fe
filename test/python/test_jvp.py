"""Forward mode (mirax.jvp over the mirax-jvp pass): every op family's JVP rule
against jax.jvp and central finite differences, eagerly, under jit, and nested to
second order."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp

# (name, fn(np_module, x, y), input domain): x and y are float32 arrays of shape (2, 3).
CASES = [
    ("add_sub", lambda m, x, y: x + y - 2.0 * y, "any"),
    ("mul_div", lambda m, x, y: x * y / (1.5 + y * y), "any"),
    ("exp_log", lambda m, x, y: m.exp(x) + m.log(y), "positive"),
    ("expm1_log1p_exp2", lambda m, x, y: m.expm1(x) * m.log1p(y) + m.exp2(x), "positive"),
    ("sqrt_rsqrt_cbrt", lambda m, x, y: m.sqrt(x) + 1 / m.sqrt(y) + m.cbrt(x), "positive"),
    ("trig", lambda m, x, y: m.sin(x) * m.cos(y) + m.tan(x / 4), "any"),
    ("inverse_trig", lambda m, x, y: m.arcsin(x / 4) + m.arccos(y / 4) + m.arctan(x), "any"),
    ("hyperbolic", lambda m, x, y: m.sinh(x) + m.cosh(y) + m.tanh(x * y), "any"),
    ("inverse_hyperbolic", lambda m, x, y: m.arcsinh(x) + m.arccosh(y + 1.5) + m.arctanh(x / 4), "positive"),
    ("logistic_erf", lambda m, x, y: jax.nn.sigmoid(x) if m is jjnp else mirax.nn.sigmoid(x), "any"),
    ("erf", lambda m, x, y: (jax.scipy.special.erf if m is jjnp else mirax.scipy.special.erf)(x) * y, "any"),
    ("pow", lambda m, x, y: x**y + x**3 + y**-2, "positive"),
    ("abs_max_min", lambda m, x, y: m.abs(x) + m.maximum(x, y) * m.minimum(x, 2.0 * y), "any"),
    ("atan2_rem", lambda m, x, y: m.arctan2(x, y) + m.fmod(x, y + 3.0), "positive"),
    ("where_clip", lambda m, x, y: m.where(x > y, x * x, y) + m.clip(x, -0.5, 0.5), "any"),
    ("reductions", lambda m, x, y: m.sum(x * y, axis=0) + m.max(x, axis=1).sum() + m.min(y), "any"),
    ("mean_var", lambda m, x, y: m.mean(x * y) + m.var(x, axis=1).sum(), "any"),
    ("shapes", lambda m, x, y: m.concatenate([x.T.reshape(-1), m.flip(y[:, 1:], 0).ravel(),
                                              m.pad(x, 1)[0]]), "any"),
    ("indexing", lambda m, x, y: x[1, ::-1] * y[:, 0].sum() + x[m.array([1, 0])][0] + x.at[0, 1].set(y[1, 2])[0], "any"),
    ("dot", lambda m, x, y: m.dot(x, y.T) + m.einsum("ij,ij->i", x, y)[:, None], "any"),
    ("cumsum_convert", lambda m, x, y: m.cumsum(x, axis=1) + y.astype(m.float16).astype(m.float32), "any"),
    ("complex_parts", lambda m, x, y: m.real((x + 1j * y) * (x - 2j)) + m.imag(m.conj(x + 1j * y) ** 2), "any"),
]


def inputs(domain, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 2, 3)).astype(np.float32)
    if domain == "positive":
        x, y = np.abs(x) + 0.2, np.abs(y) + 0.2
    tx, ty = rng.normal(size=(2, 2, 3)).astype(np.float32)
    return (x, y), (tx, ty)


def both(fn):
    return (lambda x, y: fn(jnp, x, y)), (lambda x, y: fn(jjnp, x, y))


def assert_close(got, want, rtol=2e-5, atol=2e-5):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


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
    out, tangent, aux = mirax.jvp(f, (params, jnp.array(4)), ({"w": 1.0, "b": 0.5}, jnp.array(0)), has_aux=True)
    assert float(out["out"]) == 72.0 and float(tangent["out"]) == 9.0 * 4 + 2 * 2.0 * 3.0 * 0.5 * 4
    assert int(aux) == 5


def test_bad_input():
    with pytest.raises(TypeError, match="tuple or a list"):
        mirax.jvp(jnp.sin, 1.0, 1.0)
    with pytest.raises(TypeError, match="same tree structure"):
        mirax.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        mirax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(2),))
    with pytest.raises(TypeError, match="dtypes must be equal"):
        mirax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(3, jnp.float16),))
