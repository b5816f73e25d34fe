"""mirax.custom_batching (custom_vmap, sequential_vmap; the construct in
dialect/control_flow/custom_vmap.py) against jax.custom_batching: the function runs
unbatched, the rule under vmap (nested, under jit, with pytrees and unbatched
arguments), JVPs differentiate function and rule together, reverse mode of the
function refuses as JAX's, and the rule's structure errors are JAX's."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp


def programs(jx, jnp, log):
    """name -> a thunk, written once against (jax-like, numpy) modules; `log` records
    what the rules see."""
    cb = jx.custom_batching

    @cb.custom_vmap
    def f(x, y):
        return x + y

    @f.def_vmap
    def f_rule(axis_size, in_batched, xs, ys):
        log.append((axis_size, in_batched, jnp.shape(xs), jnp.shape(ys)))
        return xs * ys, True

    @jx.custom_vjp
    @cb.custom_vmap
    def g(x, y):  # JAX's documented custom_vjp of a custom_vmap function
        return jnp.sin(x) * y

    @g.def_vmap
    def g_rule(axis_size, in_batched, xs, ys):
        return jnp.cos(xs) * ys, True

    g.defvjp(lambda x, y: (g(x, y), (jnp.cos(x), jnp.sin(x), y)),
             lambda res, ct: (res[0] * ct * res[2], res[1] * ct))

    @cb.sequential_vmap
    def s(x):
        return jnp.sin(x) + 1

    @cb.custom_vmap
    def p(d, z):  # pytrees in and out; an output the rule leaves unbatched
        return {"a": d["u"] * z, "b": d["v"].sum() + z}

    @p.def_vmap
    def p_rule(n, in_batched, d, z):
        log.append((n, in_batched))
        a = d["u"] * (z[:, None] if in_batched[1] else z)
        return {"a": a, "b": d["v"].sum() + 7.0}, {"a": in_batched[0]["u"] or in_batched[1], "b": False}

    x, y = jnp.arange(3.0), jnp.arange(1.0, 4.0)
    d = {"u": jnp.arange(6.0).reshape(2, 3), "v": jnp.ones((3, 2))}
    return {
        "unbatched": lambda: f(x, y),
        "jit unbatched": lambda: jx.jit(f)(x, y),
        "vmap": lambda: jx.vmap(f)(x, y),
        "vmap unbatched arg": lambda: jx.vmap(f, (0, None))(x, 2.0),
        "jit vmap": lambda: jx.jit(jx.vmap(f, (None, 0)))(2.0, y),
        "vmap vmap": lambda: jx.vmap(jx.vmap(f), (None, 0))(x[None], y[:, None]),
        "jvp": lambda: jx.jvp(f, (x, y), (y, x)),
        "jvp vmap": lambda: jx.jvp(jx.vmap(f), (x, y), (y, x)),
        "vmap jvp": lambda: jx.vmap(lambda a, b: jx.jvp(f, (a, b), (b, a)))(x, y),
        "vmap jvp extra": lambda: jx.vmap(lambda a: jx.jvp(f, (a, 2.0), (jnp.ones(()), 3.0)))(x),
        "grad vmap": lambda: jx.grad(lambda a: jx.vmap(f)(a, jnp.sin(a)).sum())(x),
        "custom_vjp vmap": lambda: jx.vmap(g)(x, y),
        "custom_vjp grad": lambda: jx.grad(g)(0.5, 2.0),
        "sequential": lambda: jx.jit(jx.vmap(s))(x),
        "sequential jvp": lambda: jx.jvp(jx.vmap(s), (x,), (y,)),
        "pytrees": lambda: jx.vmap(p, in_axes=({"u": 1, "v": None}, None))(d, 2.0),
        "pytrees both": lambda: jx.vmap(p, in_axes=({"u": 1, "v": None}, 0))(d, x),
        "pytrees nested": lambda: jx.vmap(jx.vmap(p, ({"u": 0, "v": None}, None)), (None, 0))(d, y[:2]),
    }


CASES = list(programs(jax, jjnp, []))


@pytest.mark.parametrize("name", CASES)
def test_against_jax(name):
    expected_log, got_log = [], []
    expected = programs(jax, jjnp, expected_log)[name]()
    got = programs(mirax, mjnp, got_log)[name]()
    e_leaves, e_tree = jax.tree_util.tree_flatten(expected)
    g_leaves, g_tree = jax.tree_util.tree_flatten(got)
    assert str(e_tree) == str(g_tree)
    for e, g in zip(e_leaves, g_leaves, strict=True):
        assert np.asarray(g).shape == np.asarray(e).shape
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-6, atol=1e-6)
    # The rules see what JAX's see (mirax traces a rule once per batching it compiles).
    assert sorted(set(map(str, got_log))) == sorted(set(map(str, expected_log)))


def errors(jx, jnp):
    @jx.custom_batching.custom_vmap
    def h(x):
        return x

    def wrong_structure(axis_size, in_batched, xs):
        return (xs, xs), True

    def wrong_spec(axis_size, in_batched, xs):
        return xs, (True, True)

    def wrong_out(axis_size, in_batched, xs):
        return [xs], [True]

    outcomes = []
    for rule in (wrong_structure, wrong_spec, wrong_out):
        h.def_vmap(rule)
        with pytest.raises(ValueError) as info:
            jx.vmap(h)(jnp.arange(3.0))
        outcomes.append(str(info.value).split("\n  at ")[0])
    with pytest.raises(ValueError) as info:  # reverse mode of the function itself
        jx.grad(h)(1.0)
    outcomes.append(str(info.value))
    bare = jx.custom_batching.custom_vmap(lambda x: x)
    with pytest.raises(AttributeError) as info:
        bare(1.0)
    outcomes.append(str(info.value))
    return outcomes


def test_errors_as_jax():
    assert errors(mirax, mjnp) == errors(jax, jjnp)


def test_rule_output_of_the_wrong_shape_is_refused():
    @mirax.custom_batching.custom_vmap
    def h(x):
        return x

    h.def_vmap(lambda axis_size, in_batched, xs: (xs[0], True))
    with pytest.raises(ValueError, match=r"returned an output of type f32\[\] batched, where the function's output "
                                         r"of type f32\[\] is of type f32\[3\]"):
        mirax.vmap(h)(mjnp.arange(3.0))
