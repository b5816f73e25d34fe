"""Weak types through control flow (python/mirax/lax/_control_flow.py): fori_loop,
while_loop, scan, cond and switch against jax.lax's on a table of carries that start
weakly typed (Python scalars) or strongly typed, bodies that add weak or strong values
(or change the carry's dtype, which JAX answers by promoting a weak initial value),
eagerly, under jit, grad, jvp and vmap, comparing values, dtypes and weak types.

JAX's rules (jax/_src/lax/control_flow/loops.py, conditionals.py): a loop's carries
come out with the body's output types (`body_jaxpr.out_avals`), after a weakly typed
initial value whose dtype or shape the body changes is converted to the promoted dtype
(strongly typed) and the body traced again (`_promote_weak_typed_input`); a cond's
results have branch 0's types; fori_loop with static bounds scans from the Python int
`int(lower)` (a weakly typed index), and with traced bounds converts a bound only where
the two dtypes differ."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

INITS = {"weak": lambda: 1.0, "strong": lambda: np.float32(1.0)}
ADDS = {"weak": 0.5, "strong": np.float32(0.5), "none": None}


def _step(x, add):
    """The body's update of a float carry: c * x (+ add)."""
    return (lambda c: c * x) if add is None else (lambda c: c * x + add)


def float_programs(t, np_, lax, init, add):
    """Programs of a float scalar x returning a float scalar, each a carry that starts
    at `init` and a body that multiplies by x and adds `add`."""
    del t, np_

    def fori_static(x):
        g = _step(x, add)
        return lax.fori_loop(0, 3, lambda i, c: g(c), init())

    def fori_strong_bounds(x):
        g = _step(x, add)
        return lax.fori_loop(np.int32(0), np.int32(3), lambda i, c: g(c), init())

    def while_(x):
        g = _step(x, add)
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, g(c[1])), (0, init()))[1]

    def scan_carry(x):
        g = _step(x, add)
        return lax.scan(lambda c, _: (g(c), None), init(), None, length=3)[0]

    def scan_ys(x):
        g = _step(x, add)
        return lax.scan(lambda c, _: (g(c), g(c)), init(), None, length=3)

    def scan_xs(x):
        g = _step(x, add)
        return lax.scan(lambda c, y: (g(c) + y, c), init(), np.arange(3, dtype=np.float32))

    def cond_true_changes(x):  # branch 0 (false_fun) keeps the carry's type
        return lax.cond(x > 0, _step(x, add), lambda c: c * x, init())

    def cond_false_changes(x):  # branch 0 is the one that adds
        return lax.cond(x > 0, lambda c: c * x, _step(x, add), init())

    def switch(x):
        return lax.switch(1, [_step(x, add), lambda c: c * x, lambda c: c - x], init())

    return {f.__name__: f for f in
            [fori_static, fori_strong_bounds, while_, scan_carry, scan_ys, scan_xs, cond_true_changes,
             cond_false_changes, switch]}


def traced_bound_programs(t, np_, lax, init, add):
    """fori_loop with a trip count computed from x, traced under jit and vmap."""
    del t

    def fori_traced(x):
        g = _step(x, add)
        n = (x * 0).astype(np_.int32) + 3
        return lax.fori_loop(0, n, lambda i, c: g(c), init())

    def fori_traced_strong_lower(x):
        g = _step(x, add)
        n = (x * 0).astype(np_.int32) + 3
        return lax.fori_loop(np.int32(0), n, lambda i, c: g(c), init())

    return {f.__name__: f for f in [fori_traced, fori_traced_strong_lower]}


def integer_programs(t, np_, lax, init):
    """Integer carries adding the loop index (the issue's fori_loop)."""
    del t, np_
    int_init = {"weak": lambda: 0, "strong": lambda: np.int32(0)}[init]

    def fori_static(n):
        return lax.fori_loop(0, 5, lambda i, c: c + i, int_init())

    def fori_traced(n):
        return lax.fori_loop(0, n, lambda i, c: c + i, int_init())

    def fori_traced_strong_lower(n):
        return lax.fori_loop(np.int32(0), n, lambda i, c: c + i, int_init())

    def fori_static_strong_bounds(n):
        return lax.fori_loop(np.int32(0), np.int32(5), lambda i, c: c + i, int_init())

    def fori_weak_index_add(n):
        return lax.fori_loop(0, n, lambda i, c: c + 2, int_init())

    def while_(n):
        return lax.while_loop(lambda c: c < n, lambda c: c + 1, int_init())

    def while_strong_add(n):
        return lax.while_loop(lambda c: c < n, lambda c: c + np.int32(1), int_init())

    def scan(n):
        return lax.scan(lambda c, _: (c + 1, c), int_init(), None, length=4)

    return {f.__name__: f for f in
            [fori_static, fori_traced, fori_traced_strong_lower, fori_static_strong_bounds, fori_weak_index_add,
             while_, while_strong_add, scan]}


def promoting_programs(t, np_, lax):
    """A weakly typed initial value whose dtype the body changes: JAX converts it to
    the promoted dtype (strongly typed) and traces the body again."""
    del t

    def fori_static(x):
        return lax.fori_loop(0, 3, lambda i, c: c + x, 0)

    def fori_traced(x):
        return lax.fori_loop(0, (x * 0).astype(np_.int32) + 3, lambda i, c: c * x + 1, 0)

    def while_(x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x + 1), (0, 1))[1]

    def scan(x):
        return lax.scan(lambda c, _: (c * x + 1, c), 1, None, length=3)

    def scan_to_half(x):  # a weak float32 carry the body makes float16
        return lax.scan(lambda c, _: ((c * x).astype(np_.float16), c), 1.0, None, length=3)

    def while_constant_body(x):  # the body ignores its weakly typed carry
        return lax.while_loop(lambda c: c < 3 * x, lambda c: c + x, 0.0)

    def scan_strong_init_weak_body(x):  # the body's result is weak although the carry is not
        return lax.scan(lambda c, _: (2.0, c * x), np.float32(1), None, length=2)

    return {f.__name__: f for f in
            [fori_static, fori_traced, while_, scan, scan_to_half, while_constant_body, scan_strong_init_weak_body]}


def _leaves(tree):
    return jax.tree_util.tree_leaves(tree)


def check_as_jax(got, want, label):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want), (label, got, want)
    for g, w in zip(got, want, strict=True):
        described = (label, repr(g), repr(w))
        assert (np.shape(g), np.asarray(g).dtype) == (np.shape(w), np.asarray(w).dtype), described
        assert getattr(g, "weak_type", None) == getattr(w, "weak_type", None), described
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), rtol=1e-3, err_msg=str(label))


def transformed(t, f, transform):
    return {
        "eager": f,
        "jit": t.jit(f),
        "grad": t.grad(f),
        "jit(grad)": t.jit(t.grad(f)),
        "jvp": lambda x: t.jvp(f, (x,), (np.float32(0.75) if isinstance(x, np.ndarray | np.generic) else 0.75,)),
        "vmap": lambda x: t.vmap(f)(np.array([x, x * 2, -x], np.float32)),
    }[transform]


X_KINDS = {"weak x": 2.0, "strong x": np.float32(2.0)}
FLOAT_NAMES = sorted(float_programs(jax, jjnp, jax.lax, INITS["weak"], None))
REVERSIBLE = {"fori_static", "fori_strong_bounds", "scan_carry", "cond_true_changes", "cond_false_changes", "switch"}


def _skip_vmap_of_weak_x(transform, x):
    """vmap maps over a float32 array made from x (transformed): the weak x's case is
    the strong one's."""
    if transform == "vmap" and x == "weak x":
        pytest.skip("vmap maps over a float32 array whatever x's kind: the same as strong x")


def both(build, transform, x, label):
    """The program under `transform` at x, by JAX and by mirax: the same result, or the
    same exception type."""
    try:
        want = transformed(jax, build(jax, jjnp, jax.lax), transform)(x)
    except Exception as e:  # noqa: BLE001 (JAX's refusal is the expected outcome)
        with pytest.raises(type(e)):
            transformed(mirax, build(mirax, mjnp, mirax.lax), transform)(x)
        return
    got = transformed(mirax, build(mirax, mjnp, mirax.lax), transform)(x)
    check_as_jax(got, want, label)


@pytest.mark.parametrize("transform", ["eager", "jit", "grad", "jvp", "vmap"])
@pytest.mark.parametrize("x", sorted(X_KINDS))
@pytest.mark.parametrize("add", sorted(ADDS))
@pytest.mark.parametrize("init", sorted(INITS))
@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_float_carry(name, init, add, x, transform):
    if transform == "grad" and name not in REVERSIBLE:
        pytest.skip("reverse mode of a while loop: JAX refuses it (test_control_flow tests the error)")
    _skip_vmap_of_weak_x(transform, x)
    both(lambda t, np_, lax: float_programs(t, np_, lax, INITS[init], ADDS[add])[name], transform, X_KINDS[x],
         (name, init, add, x, transform))


@pytest.mark.parametrize("transform", ["jit", "jvp", "vmap"])
@pytest.mark.parametrize("x", sorted(X_KINDS))
@pytest.mark.parametrize("add", sorted(ADDS))
@pytest.mark.parametrize("init", sorted(INITS))
@pytest.mark.parametrize("name", ["fori_traced", "fori_traced_strong_lower"])
def test_float_carry_traced_bounds(name, init, add, x, transform):
    _skip_vmap_of_weak_x(transform, x)
    both(lambda t, np_, lax: traced_bound_programs(t, np_, lax, INITS[init], ADDS[add])[name], transform,
         X_KINDS[x], (name, init, add, x, transform))


INT_NAMES = sorted(integer_programs(jax, jjnp, jax.lax, "weak"))


@pytest.mark.parametrize("transform", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("n", ["weak n", "strong n"])
@pytest.mark.parametrize("init", sorted(INITS))
@pytest.mark.parametrize("name", INT_NAMES)
def test_integer_carry(name, init, n, transform):
    def run(t):
        f = integer_programs(t, None, t.lax, init)[name]
        n_ = {"weak n": 5, "strong n": np.int32(5)}[n]
        if transform == "vmap":
            return t.vmap(f)(np.array([1, 5, 3], np.int32))
        return (t.jit(f) if transform == "jit" else f)(n_)

    check_as_jax(run(mirax), run(jax), (name, init, n, transform))


PROMOTING = sorted(promoting_programs(jax, jjnp, jax.lax))


@pytest.mark.parametrize("transform", ["eager", "jit", "grad", "jvp", "vmap"])
@pytest.mark.parametrize("x", sorted(X_KINDS))
@pytest.mark.parametrize("name", PROMOTING)
def test_weak_initial_value_promoted(name, x, transform):
    if transform == "grad" and name not in {"fori_static"}:
        pytest.skip("grad needs a scalar output of a scan or static fori_loop")
    _skip_vmap_of_weak_x(transform, x)
    both(lambda t, np_, lax: promoting_programs(t, np_, lax)[name], transform, X_KINDS[x], (name, x, transform))


def test_the_issues_examples():
    """Issue 16's two reports, as JAX computes them."""
    got = mirax.jit(lambda n: mirax.lax.fori_loop(0, n, lambda i, c: c + i, 0))(5)
    want = jax.jit(lambda n: jax.lax.fori_loop(0, n, lambda i, c: c + i, 0))(5)
    check_as_jax(got, want, "fori_loop of a Python int under jit")
    got = mirax.grad(lambda x: mirax.lax.scan(lambda c, _: (c * x, None), 1.0, None, length=3)[0])(2.0)
    want = jax.grad(lambda x: jax.lax.scan(lambda c, _: (c * x, None), 1.0, None, length=3)[0])(2.0)
    check_as_jax(got, want, "grad of a scan whose carry starts at 1.0")
