"""Reverse mode (grad, value_and_grad, vjp over mirax-linearize and mirax-transpose):
every op family's JVP and transpose rules against jax.grad, higher orders, pytrees,
jit, and JAX's errors for bad input."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from ad_cases import CASES, inputs
from oracle import assert_close


@pytest.mark.parametrize("name, fn, domain", CASES, ids=[c[0] for c in CASES])
def test_grad_matches_jax(name, fn, domain):
    (x, y), _ = inputs(domain)
    out_size = np.size(jax.eval_shape(lambda a, b: fn(jjnp, a, b), x, y))
    weights = np.linspace(0.5, 1.5, out_size, dtype=np.float32)

    def loss(m):
        return lambda a, b: m.sum(fn(m, a, b).reshape(-1) * weights)

    got = mirax.grad(loss(jnp), argnums=(0, 1))(x, y)
    want = jax.grad(loss(jjnp), argnums=(0, 1))(x, y)
    assert_close(got, want)


def test_value_and_grad_jit_and_pytrees():
    def loss(params, x):
        return jnp.sum(jnp.tanh(jnp.dot(x, params["W"]) + params["b"]) ** 2)

    def jax_loss(params, x):
        return jjnp.sum(jjnp.tanh(jjnp.dot(x, params["W"]) + params["b"]) ** 2)

    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)).astype(np.float32), "b": rng.normal(size=(2,)).astype(np.float32)}
    x = rng.normal(size=(4, 3)).astype(np.float32)
    want = jax.value_and_grad(jax_loss)(params, x)
    assert_close(mirax.value_and_grad(loss)(params, x), want)
    assert_close(mirax.jit(mirax.value_and_grad(loss))(params, x), want)
    assert_close(mirax.grad(mirax.jit(loss))(params, x), want[1])


def test_higher_order():
    def f(x):
        return jnp.sin(x) * jnp.exp(x / 2)

    def jf(x):
        return jjnp.sin(x) * jjnp.exp(x / 2)

    d, jd = f, jf
    for _ in range(4):
        d, jd = mirax.grad(d), jax.grad(jd)
        assert_close(d(0.7), jd(0.7), rtol=1e-4)


def test_forward_over_reverse_and_reverse_over_forward():
    def f(x):
        return jnp.sum(jnp.tanh(x) ** 2)

    def jf(x):
        return jjnp.sum(jjnp.tanh(x) ** 2)

    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    v = np.ones((2, 3), np.float32)
    fwd_rev = mirax.jvp(mirax.grad(f), (x,), (v,))[1]
    rev_fwd = mirax.grad(lambda x: mirax.jvp(f, (x,), (v,))[1])(x)
    want = jax.jvp(jax.grad(jf), (x,), (v,))[1]
    assert_close(fwd_rev, want, rtol=1e-4)
    assert_close(rev_fwd, want, rtol=1e-4)


def test_vjp():
    x = np.array([0.5, 1.0, 2.0], np.float32)
    out, f_vjp = mirax.vjp(lambda a: jnp.sin(a) * a, x)
    want_out, jax_vjp = jax.vjp(lambda a: jjnp.sin(a) * a, x)
    ct = np.array([1.0, -2.0, 0.5], np.float32)
    assert_close(out, want_out)
    assert_close(f_vjp(ct), jax_vjp(ct))
    assert_close(mirax.jit(f_vjp)(ct), jax_vjp(ct))


def test_has_aux_and_integer_arguments():
    def f(x, n):
        return jnp.sum(x * n), {"n": n}

    g, aux = mirax.grad(f, has_aux=True)(jnp.ones(3), jnp.array(2))
    assert_close(g, np.full(3, 2.0, np.float32))
    assert int(aux["n"]) == 2
    assert_close(mirax.grad(lambda x, n: x * n)(2.0, 3), jax.grad(lambda x, n: x * n)(2.0, 3))


def test_bad_input():
    with pytest.raises(TypeError, match="only defined for scalar-output functions. Output had shape: \\(3,\\)"):
        mirax.grad(jnp.sin)(jnp.ones(3))
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs .* but got int32"):
        mirax.grad(lambda x: x * 2.0)(jnp.array(3))
    with pytest.raises(TypeError, match="argnums=\\(2,\\) requires at least 3 positional arguments"):
        mirax.grad(lambda x: x, argnums=(2,))(1.0)
    with pytest.raises(TypeError, match="has_aux=True requires fun to return a pair"):
        mirax.grad(lambda x: x * 2.0, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="real-valued outputs"):
        mirax.grad(lambda x: x * 1j)(1.0)


Z, ZS = np.complex64(3 + 4j), np.array([1 + 2j, 3 - 1j], np.complex64)
COMPLEX_JACOBIANS = {  # name: (transform, options, function of the numpy module, argument)
    "jacfwd holomorphic C->C": ("jacfwd", {"holomorphic": True}, lambda m: m.sin, Z),
    "jacrev holomorphic C->C": ("jacrev", {"holomorphic": True}, lambda m: m.sin, Z),
    "jacfwd holomorphic vector": ("jacfwd", {"holomorphic": True}, lambda m: lambda v: v * v[::-1], ZS),
    "jacrev holomorphic vector": ("jacrev", {"holomorphic": True}, lambda m: lambda v: v * v[::-1], ZS),
    "hessian holomorphic": ("hessian", {"holomorphic": True}, lambda m: lambda v: m.sum(v ** 3), ZS),
    "jacrev C->R": ("jacrev", {}, lambda m: lambda v: m.abs(v) ** 2, ZS),
    "jacfwd R->C": ("jacfwd", {}, lambda m: lambda x: m.exp(1j * x), np.float32(0.5)),
    "grad holomorphic C->C": ("grad", {"holomorphic": True}, lambda m: lambda z: z * m.conj(z) + z, Z),
    # JAX's TypeErrors:
    "jacfwd C->C": ("jacfwd", {}, lambda m: m.sin, Z),
    "jacrev C->C": ("jacrev", {}, lambda m: m.sin, Z),
    "jacrev R->C": ("jacrev", {}, lambda m: lambda x: m.exp(1j * x), np.float32(0.5)),
    "jacfwd holomorphic, real input": ("jacfwd", {"holomorphic": True}, lambda m: m.sin, np.float32(0.5)),
    "jacfwd holomorphic, real output": ("jacfwd", {"holomorphic": True}, lambda m: m.abs, Z),
    "jacrev holomorphic, real input": ("jacrev", {"holomorphic": True}, lambda m: m.sin, np.float32(0.5)),
    "jacrev holomorphic, real output": ("jacrev", {"holomorphic": True}, lambda m: m.abs, Z),
    "grad holomorphic, real input": ("grad", {"holomorphic": True}, lambda m: m.sin, np.float32(0.5)),
    "grad holomorphic, real output": ("grad", {"holomorphic": True}, lambda m: m.abs, Z),
    "jacrev integer input": ("jacrev", {}, lambda m: lambda n: n * 2.0, np.int32(3)),
    "grad integer output": ("grad", {}, lambda m: lambda x: m.floor(x).astype(m.int32), np.float32(0.5)),
}


@pytest.mark.parametrize("name", COMPLEX_JACOBIANS)
def test_complex_jacobians_and_dtype_errors_as_jax(name):
    """Each case gives JAX's values, or raises JAX's TypeError with JAX's message."""
    transform, options, fn, x = COMPLEX_JACOBIANS[name]

    def outcome(lib, numpy):
        try:
            return getattr(lib, transform)(fn(numpy), **options)(x), None
        except TypeError as error:
            return None, str(error)

    (got, got_error), (want, want_error) = outcome(mirax, jnp), outcome(jax, jjnp)
    if want_error is None:
        assert got_error is None, got_error
        assert_close(got, want, rtol=1e-6, atol=1e-5)
    else:
        assert got_error is not None and got_error.startswith(want_error), (got_error, want_error)


def test_jacobians_and_hessian_match_jax():
    def predict(m, W, b, x):
        return 0.5 * (m.tanh((m.dot(x, W) + b) / 2) + 1)

    rng = np.random.default_rng(1)
    W, b, x = rng.normal(size=3).astype(np.float32), np.float32(0.3), rng.normal(size=(4, 3)).astype(np.float32)
    for mine, theirs in ((mirax.jacfwd, jax.jacfwd), (mirax.jacrev, jax.jacrev)):
        assert_close(mine(lambda w: predict(jnp, w, b, x))(W), theirs(lambda w: predict(jjnp, w, b, x))(W))
        got = mine(lambda p, x: predict(jnp, p["W"], p["b"], x))({"W": W, "b": b}, x)
        want = theirs(lambda p, x: predict(jjnp, p["W"], p["b"], x))({"W": W, "b": b}, x)
        assert_close(got, want)
    assert_close(mirax.hessian(lambda w: jnp.sum(predict(jnp, w, b, x) ** 2))(W),
                 jax.hessian(lambda w: jjnp.sum(predict(jjnp, w, b, x) ** 2))(W), rtol=1e-4)
    assert_close(mirax.jacfwd(lambda a, c: a * c, argnums=(0, 1))(W, W),
                 jax.jacfwd(lambda a, c: a * c, argnums=(0, 1))(W, W))


def test_stop_gradient():
    def f(m, lax, x):
        return m.sum(x * lax.stop_gradient(m.sin(x)) + x**2)

    x = np.array([0.3, -1.2], np.float32)
    assert_close(mirax.grad(lambda v: f(jnp, mirax.lax, v))(x), jax.grad(lambda v: f(jjnp, jax.lax, v))(x))


def test_python_control_flow_on_concrete_values_outside_jit():
    def f(x):
        if x > 0:
            return jnp.sin(x) * x
        return x**2

    assert_close(mirax.grad(f)(1.5), jax.grad(lambda x: jjnp.sin(x) * x)(1.5))
    assert_close(mirax.grad(f)(-2.0), jax.grad(lambda x: x**2)(-2.0))
    assert_close(mirax.jvp(f, (1.5,), (1.0,)), jax.jvp(lambda x: jjnp.sin(x) * x, (1.5,), (1.0,)))
    with pytest.raises(mirax.ConcretizationTypeError, match="test_grad.py"):
        mirax.jit(mirax.grad(f))(1.5)


@pytest.mark.parametrize("name, fn, domain", CASES, ids=[c[0] for c in CASES])
def test_check_grads_to_second_order(name, fn, domain, x64):
    """Every family's rules, numerically, in float64: forward mode against finite
    differences, reverse against forward, each to order 2."""
    (x, y), _ = inputs(domain)
    x, y = x.astype(np.float64), y.astype(np.float64)
    # A round trip through float16 rounds tangents and cotangents to 3 digits and makes
    # finite differences meaningless: reverse against forward only, to float16's precision.
    modes, tol = (("rev",), 1e-2) if name == "cumsum_convert" else (("fwd", "rev"), 1e-4)
    mirax.test_util.check_grads(lambda a, b: fn(jnp, a, b), (x, y), order=2, modes=modes, atol=tol, rtol=tol)


def test_check_grads_catches_a_wrong_rule():
    from mirax.dialect import rules
    from mirax.dialect.elementwise import SinOp

    original = rules.jvp[SinOp.OPERATION_NAME]
    rules.jvp[SinOp.OPERATION_NAME] = rules.jvp["mirax.cos"]  # the derivative of cos, not of sin
    mirax.core.clear_caches()  # programs compiled with the right rule, by the tests before
    try:
        with pytest.raises(AssertionError, match="JVP vs finite differences"):
            mirax.test_util.check_grads(jnp.sin, (np.array([0.3, 1.1], np.float32),), order=1, modes=("fwd",))
    finally:
        rules.jvp[SinOp.OPERATION_NAME] = original
        mirax.core.clear_caches()  # programs compiled with the wrong rule


def test_linearize_and_linear_transpose():
    x = np.array([0.5, 1.0], np.float32)
    out, f_jvp = mirax.linearize(jnp.sin, x)
    assert_close(out, np.sin(x))
    assert_close(f_jvp(np.ones(2, np.float32)), jax.linearize(jjnp.sin, x)[1](np.ones(2, np.float32)))
    transpose = mirax.linear_transpose(lambda v: 3.0 * v, x)
    assert_close(transpose(np.ones(2, np.float32)), jax.linear_transpose(lambda v: 3.0 * v, x)(np.ones(2, np.float32)))
