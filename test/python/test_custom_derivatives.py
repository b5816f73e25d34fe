"""custom_jvp and custom_vjp (python/mirax/custom_derivatives.py) against JAX's: the
rules apply under every differentiation and composition, and only there; keyword
arguments, defaults, pytrees, nondiff_argnums; and the errors for malformed rules."""
import functools

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check, ROUNDING


def definitions(t, np_):
    """The same custom functions for (mirax, mirax.numpy) and (jax, jax.numpy)."""

    @t.custom_jvp
    def softclip(x, lo=-1.0, scale=2.0):  # keyword arguments and defaults are mapped to positions
        return lo + scale * np_.tanh(x)

    @softclip.defjvp
    def softclip_jvp(primals, tangents):
        x, lo, scale = primals
        tx, tlo, tscale = tangents
        y = softclip(x, lo, scale=scale)
        return y, tlo + scale * (1 - np_.tanh(x) ** 2) * tx + np_.tanh(x) * tscale

    @t.custom_jvp
    def two_rules(x, y):
        return x * np_.exp(y)

    two_rules.defjvps(lambda tx, ans, x, y: tx * np_.exp(y), None)  # y's tangent ignored on purpose

    @t.custom_vjp
    def scaled(x, w):
        return {"out": x * w, "aux": np_.sum(x)}

    def scaled_fwd(x, w):
        return scaled(x, w), (x, w)

    def scaled_bwd(res, g):
        x, w = res
        return (g["out"] * w + g["aux"], g["out"] * x * 3.0)  # w's cotangent scaled on purpose

    scaled.defvjp(scaled_fwd, scaled_bwd)

    @functools.partial(t.custom_vjp, nondiff_argnums=(1,))
    def apply_fn(x, fn):
        return fn(x)

    apply_fn.defvjp(lambda x, fn: (fn(x), x), lambda fn, x, g: (g * 10.0,))

    return {
        "softclip": lambda x, lo: softclip(x, lo),
        "softclip keyword": lambda x, lo: softclip(x, lo=lo, scale=0.5),
        "defjvps with None": lambda x, y: two_rules(x, y),
        "custom_vjp pytree output": lambda x, w: scaled(x, w)["out"].sum() + scaled(x, w)["aux"] * 2,
        "custom_vjp nondiff function": lambda x, w: apply_fn(x * w, np_.sin).sum(),
    }


ARGS = (np.array([0.3, -1.2, 2.0], np.float32), np.array([0.5, 0.25, -1.0], np.float32))
NAMES = list(definitions(mirax, mjnp))


def both(name, transform):
    got = transform(mirax)(definitions(mirax, mjnp)[name])(*ARGS)
    want = transform(jax)(definitions(jax, jjnp)[name])(*ARGS)
    jax.tree_util.tree_map(lambda g, w: check(g, w, name, ROUNDING), got, want)


TRANSFORMS = {
    "plain": lambda t: lambda f: f,
    "jit": lambda t: t.jit,
    "vmap": lambda t: t.vmap,
    "grad": lambda t: lambda f: t.grad(lambda *a: f(*a).sum(), argnums=(0, 1)),
    "jit(grad)": lambda t: lambda f: t.jit(t.grad(lambda *a: f(*a).sum(), argnums=(0, 1))),
    "vmap(grad)": lambda t: lambda f: t.vmap(t.grad(lambda *a: f(*a).sum(), argnums=(0, 1))),
    "grad(vmap)": lambda t: lambda f: t.grad(lambda *a: t.vmap(f)(*a).sum(), argnums=(0, 1)),
    "jacfwd": lambda t: lambda f: t.jacfwd(f, argnums=(0, 1)),
    "jacrev": lambda t: lambda f: t.jacrev(f, argnums=(0, 1)),
}
FORWARD = {"jacfwd"}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("name", NAMES)
def test_custom_function_matches_jax(name, transform):
    if transform in FORWARD and "custom_vjp" in name:
        return  # forward mode of a custom_vjp function is an error: test_jvp_of_custom_vjp_raises
    both(name, TRANSFORMS[transform])


def test_rules_are_not_run_without_differentiation():
    calls = []

    @mirax.custom_jvp
    def f(x):
        calls.append("f")
        return x * 2

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append("rule")
        return f(primals[0]), tangents[0]

    mirax.jit(f)(1.0)
    mirax.vmap(f)(mjnp.ones(3))
    assert calls == ["f", "f"]
    mirax.grad(f)(1.0)
    assert calls == ["f", "f", "rule", "f"]


def test_jvp_of_custom_vjp_raises():
    @mirax.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: (g,))
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a custom_vjp function."):
        mirax.jvp(f, (1.0,), (1.0,))


def test_rule_with_wrong_pytree_structure():
    @mirax.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: (f(p[0]), (t[0], t[0])))
    with pytest.raises(TypeError, match="must produce primal and tangent outputs with equal container"):
        mirax.grad(f)(1.0)


def test_rule_with_wrong_tangent_dtype_or_shape():
    @mirax.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: (f(p[0]), mjnp.ones(2)))
    with pytest.raises(TypeError, match=r"dtypes. Expected float32\[\] \(tangent type of float32\[\]\) but got float32\[2\]"):
        mirax.jvp(f, (1.0,), (1.0,))


def test_rule_not_returning_a_pair():
    @mirax.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: p[0])
    with pytest.raises(TypeError, match="must produce a pair"):
        mirax.grad(f)(1.0)


def test_nonlinear_rule_cannot_be_transposed():
    @mirax.custom_jvp
    def f(x):
        return mjnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), t[0] * t[0]))
    _, tangent = mirax.jvp(f, (1.0,), (2.0,))
    assert float(tangent) == 4.0  # forward mode just evaluates it
    with pytest.raises(TypeError, match="not linear.*custom JVP rule"):
        mirax.grad(f)(1.0)


def test_bwd_returning_a_bare_array():
    @mirax.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: g)
    with pytest.raises(TypeError, match="Custom VJP bwd rule must produce an output with the same container"):
        mirax.grad(f)(1.0)


def test_bwd_returning_the_wrong_number_of_cotangents():
    @mirax.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g,))
    with pytest.raises(TypeError, match="tuple of length equal to the number of arguments"):
        mirax.grad(f)(1.0, 2.0)


def test_traced_value_in_nondiff_argnums():
    @functools.partial(mirax.custom_jvp, nondiff_argnums=(1,))
    def f(x, n):
        return x * n

    f.defjvp(lambda n, p, t: (f(p[0], n), t[0] * n))
    with pytest.raises(TypeError, match="argument 1 is listed in nondiff_argnums but is a traced array"):
        mirax.grad(lambda x: f(x, x))(1.0)


def test_missing_rules():
    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function g using defjvp."):
        mirax.grad(_named(mirax.custom_jvp, "g"))(1.0)
    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function h using defvjp."):
        mirax.grad(_named(mirax.custom_vjp, "h"))(1.0)


def _named(kind, name):
    def fun(x):
        return x

    fun.__name__ = name
    return kind(fun)


def test_bwd_sees_concrete_cotangents_outside_jit_only():
    """Outside jit the backward pass runs on concrete arrays (Python control flow on
    the cotangent works, as in JAX); under jit it is traced."""
    @mirax.custom_vjp
    def f(x):
        return x * 2

    def bwd(x, g):
        return (g * 2 if g > 0 else g * -1,)

    f.defvjp(lambda x: (f(x), x), bwd)
    assert float(mirax.grad(f)(3.0)) == 2.0
    assert float(mirax.grad(lambda x: -f(x))(3.0)) == 1.0
    with pytest.raises(mirax.ConcretizationTypeError):
        mirax.jit(mirax.grad(f))(3.0)
