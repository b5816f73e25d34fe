"""lax.while_loop and lax.fori_loop (python/mirax/lax/_control_flow.py): against
jax.lax's, eagerly, under jit, batched by vmap (a batched condition and an
unbatched one), and differentiated in forward mode; reverse mode raises JAX's
error; bad loops raise clear errors."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check, ROUNDING


def loops(np_, lax):
    """A table of loop programs, written once against (numpy, lax) modules."""

    def halve_until_small(x):  # data-dependent trip count, a pytree carry
        return lax.while_loop(lambda c: np_.max(np_.abs(c["x"])) > 0.1,
                              lambda c: {"x": c["x"] * 0.5, "n": c["n"] + 1}, {"x": x, "n": 0})

    def closure(x, y):  # closes over y in both functions
        return lax.while_loop(lambda c: c[0] < y[0] * 10, lambda c: (c[0] + y[1], c[1] * np_.cos(c[0])), (0.0 * y[0], x))

    def power(x, n):
        return lax.fori_loop(0, n, lambda i, c: c * x + i, np_.ones_like(x))

    def static_power(x):
        return lax.fori_loop(1, 4, lambda i, c: c * np_.sin(x) * i, x)

    return {"halve_until_small": halve_until_small, "closure": closure, "power": power, "static_power": static_power}


ARGS = {
    "halve_until_small": (np.array([3.0, -1.5, 0.25], np.float32),),
    "closure": (np.array([0.5, 1.5], np.float32), np.array([0.4, 0.15], np.float32)),
    "power": (np.array([1.5, -0.5], np.float32), np.int32(4)),
    "static_power": (np.array([0.3, 1.1], np.float32),),
}


def run(name, jit):
    args = ARGS[name]
    mine = loops(mjnp, mirax.lax)[name]
    got = (mirax.jit(mine) if jit else mine)(*args)
    want = jax.jit(loops(jjnp, jax.lax)[name])(*args)
    jax.tree_util.tree_map(lambda g, w: check(g, w, name, ROUNDING), got, want)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("name", sorted(ARGS))
def test_loop(name, jit):
    run(name, jit)


def test_vmap_with_a_batched_condition():
    """Each lane stops on its own: finished lanes keep their values while others run."""
    xs = np.array([[3.0, -1.5, 0.25], [0.05, 0.0, 0.01], [40.0, 1.0, 2.0]], np.float32)
    got = mirax.jit(mirax.vmap(loops(mjnp, mirax.lax)["halve_until_small"]))(xs)
    want = jax.vmap(loops(jjnp, jax.lax)["halve_until_small"])(xs)
    jax.tree_util.tree_map(lambda g, w: check(g, w), got, want)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0)])
def test_vmap_of_fori_loop_batched_bound_or_values(in_axes):
    xs = np.array([[1.5, -0.5], [0.5, 2.0], [1.0, 1.0]], np.float32)
    ns = np.array([0, 3, 5], np.int32)
    args = (xs if in_axes[0] == 0 else xs[0], ns if in_axes[1] == 0 else ns[1])
    got = mirax.vmap(loops(mjnp, mirax.lax)["power"], in_axes=in_axes)(*args)
    want = jax.vmap(loops(jjnp, jax.lax)["power"], in_axes=in_axes)(*args)
    check(got, want, str(in_axes), ROUNDING)


def test_vmap_of_closure_batched_in_the_condition_only():
    xs = np.array([0.5, 1.5], np.float32)
    ys = np.array([[0.4, 0.15], [0.2, 0.15], [0.9, 0.15]], np.float32)
    got = mirax.vmap(loops(mjnp, mirax.lax)["closure"], in_axes=(None, 0))(xs, ys)
    want = jax.vmap(loops(jjnp, jax.lax)["closure"], in_axes=(None, 0))(xs, ys)
    jax.tree_util.tree_map(lambda g, w: check(g, w, "", ROUNDING), got, want)


@pytest.mark.parametrize("name", ["closure", "static_power"])
def test_forward_mode(name):
    args = ARGS[name]
    tangents = tuple(np.linspace(0.5, 1.5, a.size).astype(np.float32).reshape(a.shape) for a in args)
    got = mirax.jvp(loops(mjnp, mirax.lax)[name], args, tangents)
    want = jax.jvp(loops(jjnp, jax.lax)[name], args, tangents)
    jax.tree_util.tree_map(lambda g, w: check(g, w, name, ROUNDING), got, want)
    got = mirax.jacfwd(loops(mjnp, mirax.lax)[name])(*args)
    want = jax.jacfwd(loops(jjnp, jax.lax)[name])(*args)
    jax.tree_util.tree_map(lambda g, w: check(g, w, name, ROUNDING), got, want)


def test_forward_mode_matches_finite_differences(x64):
    f = loops(mjnp, mirax.lax)["static_power"]
    x = np.array([0.3, 1.1], np.float64)
    _, tangent = mirax.jvp(f, (x,), (np.ones(2),))
    eps = 1e-6
    np.testing.assert_allclose(tangent, (np.asarray(f(x + eps)) - np.asarray(f(x - eps))) / (2 * eps), rtol=1e-6)


def test_reverse_mode_raises_jaxs_error():
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for lax.while_loop"):
        mirax.grad(lambda x: mirax.lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x))(1.0)


def test_cond_must_return_a_boolean_scalar():
    with pytest.raises(TypeError, match=r"cond_fun must return a boolean scalar, but got output type\(s\) \['f32\[\]'\]"):
        mirax.lax.while_loop(lambda c: c * 1.0, lambda c: c, 1.0)


def test_body_must_keep_the_carry_type():
    with pytest.raises(TypeError, match="body_fun output and input must have identical types"):
        mirax.lax.while_loop(lambda c: c < 3, lambda c: mjnp.ones(2), 1.0)


# ----------------------------------------------------------------------------- cond and switch


def conds(np_, lax):
    def two_branches(x, y):  # a pytree of outputs, closures in one branch only
        scale = np_.arange(2.0) + 1
        return lax.cond(np_.sum(x) > 0, lambda a, b: (np_.sin(a) * b * scale, a * 2.0),
                        lambda a, b: (a * b * b, np_.exp(a)), x, y)

    def three_branches(i, x):
        return lax.switch(i, [lambda v: v * v, lambda v: np_.cos(v), lambda v: -v], x)

    return two_branches, three_branches


X = np.array([0.5, -1.5], np.float32)
Y = np.array([2.0, 3.0], np.float32)


def both_ways(build, *args):
    got = build(mirax, mjnp, mirax.lax)(*args)
    want = build(jax, jjnp, jax.lax)(*args)
    jax.tree_util.tree_map(lambda g, w: check(g, w, "", ROUNDING), got, want)


@pytest.mark.parametrize("x", [X, -X])
@pytest.mark.parametrize("transform", ["plain", "jit", "jvp", "grad", "jacrev", "jacfwd"])
def test_cond(x, transform):
    def build(t, np_, lax):
        f = conds(np_, lax)[0]
        return {
            "plain": f,
            "jit": t.jit(f),
            "jvp": lambda x, y: t.jvp(f, (x, y), (np.ones(2, np.float32), np.ones(2, np.float32) * 0.5)),
            "grad": t.grad(lambda x, y: sum(v.sum() for v in f(x, y)), argnums=(0, 1)),
            "jacrev": t.jacrev(f, argnums=(0, 1)),
            "jacfwd": t.jacfwd(f, argnums=(0, 1)),
        }[transform]

    both_ways(build, x, Y)


@pytest.mark.parametrize("index", [-1, 0, 1, 2, 5])
def test_switch_clamps_its_index(index):
    both_ways(lambda t, np_, lax: lambda x: (conds(np_, lax)[1](index, x),
                                             t.grad(lambda v: conds(np_, lax)[1](index, v).sum())(x)), X)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0)])
def test_vmap_of_cond(in_axes):
    xs = np.array([[0.5, 1.0], [-0.5, -1.0], [2.0, -3.0]], np.float32)
    args = [xs if a == 0 else X for a in in_axes]
    both_ways(lambda t, np_, lax: t.vmap(conds(np_, lax)[0], in_axes=in_axes), *args)


def test_vmap_of_switch_with_a_batched_index():
    both_ways(lambda t, np_, lax: t.vmap(conds(np_, lax)[1]), np.array([0, 1, 2, 7], np.int32),
              np.arange(4, dtype=np.float32))


def test_grad_of_vmap_and_vmap_of_grad_of_cond():
    xs = np.array([[0.5, 1.0], [-0.5, -1.0], [2.0, -3.0]], np.float32)

    def build(t, np_, lax):
        f = lambda x, y: sum(v.sum() for v in conds(np_, lax)[0](x, y))  # noqa: E731
        return lambda xs: (t.grad(lambda xs: t.vmap(f, in_axes=(0, None))(xs, Y).sum())(xs),
                           t.vmap(t.grad(f), in_axes=(0, None))(xs, Y))

    both_ways(build, xs)


def test_cond_branches_must_agree():
    with pytest.raises(TypeError, match="true_fun and false_fun outputs must have identical types"):
        mirax.lax.cond(True, lambda x: x, lambda x: (x, x), 1.0)
    with pytest.raises(TypeError, match="branch 0 and branch 1 outputs must have identical types"):
        mirax.lax.switch(0, [lambda x: x, lambda x: mjnp.ones(3)], 1.0)


def test_switch_index_must_be_a_scalar_integer():
    with pytest.raises(TypeError, match=r"switch index must be a scalar integer, got f32\[\]"):
        mirax.lax.switch(1.0, [lambda x: x, lambda x: x], 1.0)


# ----------------------------------------------------------------------------- scan, map, fori_loop by scan


def rnn(np_, lax, reverse=False):
    """A scan with a pytree carry (one part integer), xs, a closure and pytree ys."""

    def f(h0, xs, w):
        def step(carry, x):
            h, n = carry
            h = np_.tanh(h * w + x["a"]) + x["b"]
            return (h, n + 1), {"h": h * 2.0, "s": np_.sum(h)}

        (h, n), ys = lax.scan(step, (h0, 0), xs, reverse=reverse)
        return h, n, ys

    return f


H0 = np.array([0.1, -0.2], np.float32)
XS = {"a": np.arange(10, dtype=np.float32).reshape(5, 2) / 10, "b": np.linspace(-1, 1, 5, dtype=np.float32)[:, None]
      * np.ones(2, np.float32)}
W = np.array([0.5, 1.5], np.float32)


def _loss(np_, lax, reverse):
    def loss(h0, xs, w):
        h, _, ys = rnn(np_, lax, reverse)(h0, xs, w)
        return (h * h).sum() + (ys["h"] ** 2).sum() + ys["s"].sum()

    return loss


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("transform", ["plain", "jit", "jvp", "grad", "jacrev", "hessian"])
def test_scan(reverse, transform):
    def build(t, np_, lax):
        f, loss = rnn(np_, lax, reverse), _loss(np_, lax, reverse)
        tangents = (np.ones(2, np.float32), jax.tree_util.tree_map(lambda x: np.full_like(x, 0.5), XS),
                    np.full(2, 0.1, np.float32))
        return {
            "plain": f,
            "jit": t.jit(f),
            "jvp": lambda *args: t.jvp(lambda *a: f(*a)[0], args, tangents),
            "grad": t.grad(loss, argnums=(0, 1, 2)),
            "jacrev": t.jacrev(lambda *a: f(*a)[2]["s"], argnums=(0, 2)),
            "hessian": lambda h0, xs, w: t.hessian(lambda w: loss(h0, xs, w))(w),
        }[transform]

    both_ways(build, H0, XS, W)


@pytest.mark.parametrize("in_axes", [(0, None, None), (None, 1, None), (None, None, 0), (0, 0, 0)])
def test_vmap_of_scan(in_axes):
    batch = 3
    args = [np.stack([H0 * (i + 1) for i in range(batch)]) if in_axes[0] == 0 else H0,
            jax.tree_util.tree_map(lambda x: np.stack([x + i for i in range(batch)], in_axes[1]), XS)
            if in_axes[1] is not None else XS,
            np.stack([W * (i + 1) for i in range(batch)]) if in_axes[2] == 0 else W]
    both_ways(lambda t, np_, lax: t.vmap(rnn(np_, lax), in_axes=in_axes), *args)


def test_grad_of_vmap_of_scan():
    hs = np.stack([H0, H0 * 2, H0 * 3])
    both_ways(lambda t, np_, lax: t.grad(lambda hs, w: t.vmap(_loss(np_, lax, False), in_axes=(0, None, None))(
        hs, XS, w).sum(), argnums=(0, 1)), hs, W)


def test_scan_without_xs_and_map():
    both_ways(lambda t, np_, lax: lambda x: (lax.scan(lambda c, _: (c * 1.5, c), x, None, length=4),
                                             lax.map(lambda r: np_.sin(r).sum(), x[None] * np_.ones((3, 1)))), H0)


def test_fori_loop_with_static_bounds_is_reverse_differentiable():
    both_ways(lambda t, np_, lax: t.grad(lambda x: lax.fori_loop(1, 4, lambda i, c: c * np_.sin(x) * i, x).sum()), X)


def test_fori_loop_bound_computed_from_a_concrete_array_under_grad():
    """The bound is concrete outside jit even after ops and a dtype conversion that only
    changes its weak type (the fuzzer found the conversion dropping the concrete value)."""
    def program(t, lax, np_):
        return t.grad(lambda c, n: lax.fori_loop(0, np_.clip(n, 0, 3), lambda i, c: c * c * 0.25 - 0.5, c))

    want = program(jax, jax.lax, jjnp)(-0.75, jjnp.array(1))
    check(program(mirax, mirax.lax, mjnp)(-0.75, mjnp.array(1)), want)


def test_scan_errors():
    with pytest.raises(TypeError, match="scan body function carry input and carry output must have equal types"):
        mirax.lax.scan(lambda c, x: (c.astype(np.int32), x), 1.0, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="scan got `length` argument of 4 which disagrees with leading axis sizes"):
        mirax.lax.scan(lambda c, x: (c, x), 1.0, np.ones(3, np.float32), length=4)
    with pytest.raises(ValueError, match="scan got no values to scan over and `length` not provided"):
        mirax.lax.scan(lambda c, x: (c, x), 1.0, None)


# ----------------------------------------------------------------------------- custom_root


def roots(np_, lax, has_aux=False):
    """sqrt(x**3) as the root of y**2 - x**3 by Newton's method, differentiated implicitly."""

    def newton(f, y0):
        def step(y):
            return y - f(y) / ((f(y + 1e-3) - f(y - 1e-3)) / 2e-3)

        y = lax.while_loop(lambda y: np_.abs(f(y)) > 1e-5, step, y0)
        return (y, y * 0 + 7.0) if has_aux else y

    def sqrt_cubed(x):
        return lax.custom_root(lambda y: y ** 2 - x ** 3, 1.0, newton, lambda g, y: y / g(1.0), has_aux=has_aux)

    return sqrt_cubed


@pytest.mark.parametrize("transform", ["plain", "grad", "jit(grad)", "jvp", "vmap(grad)", "grad(grad)"])
def test_custom_root(transform):
    def build(t, np_, lax):
        f = roots(np_, lax)
        return {"plain": f, "grad": t.grad(f), "jit(grad)": t.jit(t.grad(f)), "jvp": lambda x: t.jvp(f, (x,), (0.5,)),
                "vmap(grad)": lambda x: t.vmap(t.grad(f))(np_.stack([x, x * 2, x * 3])),
                "grad(grad)": t.grad(t.grad(f))}[transform]

    both_ways(build, np.float32(2.0))


def test_custom_root_with_aux():
    both_ways(lambda t, np_, lax: lambda x: (roots(np_, lax, True)(x), t.grad(lambda x: roots(np_, lax, True)(x)[0])(x)),
              np.float32(2.0))


def test_scan_of_length_zero_and_carry_weak_types_as_jax():
    def build(t, np_, lax):
        return lambda xs: (lax.scan(lambda c, x: (c + x, x * 2), 0.0, xs),
                           t.grad(lambda w: lax.fori_loop(0, 0, lambda i, c: c * w, w))(2.0))

    both_ways(build, np.zeros((0,), np.float32))
    got = mirax.lax.scan(lambda c, x: (c + x, x), 0.0, mjnp.ones(2))[0]
    want = jax.lax.scan(lambda c, x: (c + x, x), 0.0, jjnp.ones(2))[0]
    assert repr(got) == repr(want)
