"""mirax.checkpoint / remat (python/mirax/ad_checkpoint.py, the construct in
dialect/control_flow/checkpoint.py): against jax.checkpoint, eagerly and under jit,
differentiated in both modes to order 2, batched by vmap (against a loop); the
recomputation survives compilation; the policies saving dots save them (the backward
pass recomputes the rest, not the dots); unsupported policies and bad static_argnums
raise."""
import functools

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from mirax.test_util import check_grads
from oracle import ROUNDING, check

TOLERANCE = {"f4": 2e-5}


def programs(api, np_):
    """A table of programs with checkpoints, written once against (jax-like, numpy) modules."""
    lax = api.lax

    @api.checkpoint
    def layer(W, b, x):
        return np_.tanh(x @ W + b)

    def mlp(W, b, x):  # a checkpointed layer between computations that need its outputs
        return np_.sum(np_.sin(layer(W, b, x)) ** 2)

    def scan_inside(x):
        return np_.sum(api.checkpoint(lambda x: lax.scan(lambda c, v: (c * np_.sin(v) + v, c * v), 1.0, x)[1])(x) ** 2)

    def cond_inside(x, y):  # the checkpoint also closes over y
        inner = api.checkpoint(lambda x: lax.cond(x[0] > 0, lambda v: np_.sin(v) * y, lambda v: np_.cos(v) + y, x))
        return np_.sum(np_.exp(inner(x)))

    def nested(x):
        return np_.sum(api.checkpoint(lambda x: api.checkpoint(np_.sin)(x) * np_.exp(x))(x) ** 2)

    @functools.partial(api.checkpoint, static_argnums=(1,))
    def power(x, n):  # Python control flow on the static argument
        return x ** n if n > 1 else -x

    def static(x):
        return np_.sum(power(x, 3) * power(x, 1))

    def pytrees(x):  # a dict in, keyword arguments, a tuple out
        a, b = api.checkpoint(lambda d, *, k: (np_.sin(d["u"]) * k, np_.cos(d["v"])))({"u": x, "v": 2 * x}, k=x)
        return np_.sum(a * b)

    step = api.checkpoint(lambda c, v: np_.tanh(c * v + np_.sin(c)))

    def in_scan(xs):  # each step checkpointed, remat's common use
        return np_.sum(lax.scan(lambda c, v: (step(c, v), c), np_.ones(3), xs)[1] ** 2)

    return {"mlp": mlp, "scan_inside": scan_inside, "in_scan": in_scan, "cond_inside": cond_inside, "nested": nested,
            "static": static, "pytrees": pytrees}


rng = np.random.default_rng(0)
ARGS = {
    "mlp": (rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32),
            rng.normal(size=(2, 3)).astype(np.float32)),
    "scan_inside": (rng.normal(size=4).astype(np.float32),),
    "in_scan": (rng.normal(size=(5, 3)).astype(np.float32),),
    "cond_inside": (rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)),
    "nested": (rng.normal(size=3).astype(np.float32),),
    "static": (rng.normal(size=3).astype(np.float32),),
    "pytrees": (rng.normal(size=3).astype(np.float32),),
}
MIRAX, JAX = programs(mirax, mjnp), programs(jax, jjnp)


@pytest.mark.parametrize("name", ARGS)
def test_values_and_gradients(name):
    args = ARGS[name]
    argnums = tuple(range(len(args)))
    check(MIRAX[name](*args), JAX[name](*args), name, TOLERANCE)
    want = jax.grad(JAX[name], argnums)(*args)
    check(mirax.grad(MIRAX[name], argnums)(*args), want, name, TOLERANCE)
    check(mirax.jit(mirax.grad(MIRAX[name], argnums))(*args), want, name, TOLERANCE)


@pytest.mark.parametrize("name", ["mlp", "cond_inside", "static", "in_scan"])
def test_second_order(name):
    check_grads(MIRAX[name], ARGS[name], order=2, atol=2e-2, rtol=2e-2)


def test_jacobians_vjp_jvp():
    """jacrev, jacfwd, hessian, vjp and jvp of a vector function with a checkpoint."""
    x = ARGS["nested"][0]
    m = lambda x: mirax.checkpoint(lambda x: mjnp.sin(x) * mjnp.exp(x[::-1]))(x) ** 2  # noqa: E731
    j = lambda x: jax.checkpoint(lambda x: jjnp.sin(x) * jjnp.exp(x[::-1]))(x) ** 2  # noqa: E731
    for transform in (jax.jacrev, jax.jacfwd, jax.hessian):
        mine = getattr(mirax, transform.__name__)
        check(mine(m)(x), transform(j)(x), transform.__name__, TOLERANCE)
    check(mirax.jit(mirax.hessian(m))(x), jax.hessian(j)(x), "jit(hessian)", TOLERANCE)
    out, pullback = mirax.vjp(m, x)
    want_out, want_pullback = jax.vjp(j, x)
    check(out, want_out, "vjp", TOLERANCE)
    check(pullback(np.ones(3, np.float32)), want_pullback(np.ones(3, np.float32)), "vjp", TOLERANCE)
    check(mirax.jvp(m, (x,), (x,)), jax.jvp(j, (x,), (x,)), "jvp", TOLERANCE)


def test_vmap_against_a_loop():
    xs = rng.normal(size=(4, 3)).astype(np.float32)
    per_example = mirax.jit(mirax.vmap(mirax.grad(MIRAX["cond_inside"]), in_axes=(0, None)))
    y = ARGS["cond_inside"][1]
    check(per_example(xs, y), np.stack([jax.grad(JAX["cond_inside"])(x, y) for x in xs]), "vmap(grad)", ROUNDING)
    check(mirax.vmap(MIRAX["nested"])(xs), np.stack([JAX["nested"](x) for x in xs]), "vmap", ROUNDING)


def _exps(prevent_cse, policy=None):
    """How many exps jit(grad(f)) computes after compilation, f needing the checkpointed
    exp in its forward pass and its derivative in the backward pass."""
    inner = mirax.checkpoint(lambda x: mjnp.exp(x) * 2.0, prevent_cse=prevent_cse, policy=policy)
    f = lambda x: mjnp.sum(mjnp.sin(inner(x)))  # noqa: E731
    x = np.linspace(-1, 1, 5).astype(np.float32)
    g = mirax.jit(mirax.grad(f))
    check(g(x), jax.grad(lambda x: jjnp.sum(jjnp.sin(jax.checkpoint(lambda x: jjnp.exp(x) * 2.0)(x))))(x), "grad",
          TOLERANCE)
    text = g.lower(x).as_text("llvm")
    return text.count("call @mirax_expf(") + text.count("call @__mirax_expf(")  # the library's, or inlined


def test_recomputation_survives_compilation():
    """With prevent_cse the backward pass computes exp again; without, inlining and CSE
    merge it with the forward pass's, as when everything is saved. Only the
    recomputation's call is kept from the inliner: elsewhere fusion reaches across."""
    f = lambda x: mjnp.sum(mjnp.sin(mirax.checkpoint(mjnp.exp)(x)))  # noqa: E731
    x = np.ones(3, np.float32)
    assert mirax.jit(f).lower(x).as_text("linalg").count("no_inline") == 0
    assert mirax.jit(mirax.grad(f)).lower(x).as_text("linalg").count("no_inline") == 1
    assert _exps(prevent_cse=True) == 2
    assert _exps(prevent_cse=False) == 1
    assert _exps(prevent_cse=True, policy=mirax.checkpoint_policies.everything_saveable) == 1


def test_api_names():
    assert mirax.remat is mirax.checkpoint is mirax.ad_checkpoint.checkpoint
    names = {n for n in vars(mirax.checkpoint_policies) if not n.startswith("_")}
    assert names == {n for n in vars(jax.checkpoint_policies) if not n.startswith("_")}
    policies = mirax.checkpoint_policies
    assert policies.checkpoint_dots is policies.dots_saveable  # as JAX's aliases
    assert policies.checkpoint_dots_with_no_batch_dims is policies.dots_with_no_batch_dims_saveable
    check(mirax.checkpoint(mjnp.sin, policy=mirax.checkpoint_policies.nothing_saveable)(1.0), jjnp.sin(1.0), "",
          TOLERANCE)


def _layers(api, np_):
    """Two layers of sin(W @ x), then a product of batched matrices (a dot with batch
    dimensions), inside a nested jit."""
    batched = api.jit(lambda b: np_.einsum("bij,bjk->bik", b, b))

    def f(w1, w2, x, b):
        y = np_.sin(np_.dot(w2, np_.sin(np_.dot(w1, x))))
        return np_.tanh(batched(b)).sum() * np_.dot(y, y)
    return f


_RNG = np.random.default_rng(0)
LAYER_ARGS = [_RNG.normal(size=shape).astype(np.float32) for shape in ((5, 4), (6, 5), (4,), (2, 3, 3))]


@pytest.mark.parametrize("policy", ["dots_saveable", "dots_with_no_batch_dims_saveable"])
def test_policies_saving_dots_as_jax(policy):
    """Values, gradients (under jit), a JVP and a Hessian, as jax.checkpoint's."""
    want, got = (api.checkpoint(_layers(api, np_), policy=getattr(api.checkpoint_policies, policy))
                 for api, np_ in ((jax, jjnp), (mirax, mjnp)))
    argnums = (0, 1, 2, 3)
    check(got(*LAYER_ARGS), want(*LAYER_ARGS), "value", ROUNDING)
    check(mirax.jit(mirax.grad(got, argnums))(*LAYER_ARGS), jax.grad(want, argnums)(*LAYER_ARGS), "grad", ROUNDING)
    w1, w2, x, b = LAYER_ARGS
    tangent = np.ones(4, np.float32)
    check(mirax.jvp(lambda x: got(w1, w2, x, b), (x,), (tangent,)),
          jax.jvp(lambda x: want(w1, w2, x, b), (x,), (tangent,)), "jvp", ROUNDING)
    check(mirax.hessian(lambda x: got(w1, w2, x, b))(x), jax.hessian(lambda x: want(w1, w2, x, b))(x), "hessian",
          ROUNDING)


def _computed(policy):
    """How many dots (linalg.generics reducing products) and sines jit(grad(f))
    computes, f checkpointed with `policy` (None: not checkpointed)."""
    f = _layers(mirax, mjnp)
    if policy is not None:
        f = mirax.checkpoint(f, policy=policy)
    text = mirax.jit(mirax.grad(f, (0, 1, 2, 3))).lower(*LAYER_ARGS).as_text("linalg")
    bodies = [generic.split("linalg.yield")[0] for generic in text.split("linalg.generic")[1:]]
    dots = sum('"reduction"' in body and ("arith.mulf" in body or "math.fma" in body) for body in bodies)
    return dots, text.count("math.sin")


def test_policies_save_the_dots_and_recompute_the_rest():
    policies = mirax.checkpoint_policies
    plain, nothing, dots, unbatched_dots = map(_computed, (None, policies.nothing_saveable, policies.dots_saveable,
                                                           policies.dots_with_no_batch_dims_saveable))
    assert nothing[1] == dots[1] == unbatched_dots[1] == 2 * plain[1]  # the sines recomputed
    # The four dots recomputed, or the one with batch dimensions, or none.
    assert nothing[0] == plain[0] + 4 and unbatched_dots[0] == plain[0] + 1 and dots[0] == plain[0]
    assert _computed(policies.save_from_both_policies(policies.dots_with_no_batch_dims_saveable,
                                                      policies.dots_saveable)) == dots
    assert _computed(policies.save_from_both_policies(policies.nothing_saveable, policies.everything_saveable)) \
        == plain


def test_unhashable_static_argument():
    """JAX accepts an unhashable static argument (keyed by identity): so does mirax."""
    f = lambda x, ns: x * sum(ns)  # noqa: E731
    check(mirax.grad(mirax.checkpoint(f, static_argnums=1))(2.0, [1.0, 2.0]),
          jax.grad(jax.checkpoint(f, static_argnums=1))(2.0, [1.0, 2.0]))


def test_traced_abstractly():
    """Python control flow on a dynamic argument raises, eagerly too, as in JAX."""
    f = lambda x: x if x > 0 else -x  # noqa: E731
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.checkpoint(f)(1.0)
    with pytest.raises(mirax.ConcretizationTypeError):
        mirax.checkpoint(f)(1.0)


def _raises(make, args, error):
    for api in (jax, mirax):
        with pytest.raises(error) as info:
            make(api)(*args)
        yield str(info.value)


def test_bad_static_argnums_raise_jax_errors():
    for make, args, error in [(lambda api: api.checkpoint(mjnp.sin, static_argnums=2), (1.0,), ValueError),
                              (lambda api: api.checkpoint(mjnp.sin, static_argnums=[0]), (1.0,), TypeError)]:
        want, got = _raises(make, args, error)
        assert got == want


def test_unsupported_arguments_are_refused():
    with pytest.raises(NotImplementedError, match="policy DotsSaveable"):
        mirax.checkpoint(mjnp.sin, policy=jax.checkpoint_policies.dots_saveable)
    with pytest.raises(NotImplementedError, match="policy 'save_nothing_but_x'"):
        def save_nothing_but_x(prim, *_, **__):
            return False
        mirax.checkpoint(mjnp.sin, policy=save_nothing_but_x)
    with pytest.raises(NotImplementedError, match="offload_dot_with_no_batch_dims: mirax does not offload"):
        mirax.checkpoint_policies.offload_dot_with_no_batch_dims("device", "pinned_host")
    with pytest.raises(NotImplementedError, match="static_argnames"):
        mirax.checkpoint(mjnp.sin, static_argnames=("x",))
    with pytest.raises(NotImplementedError, match="prevent_cse"):
        mirax.checkpoint(mjnp.sin, prevent_cse=(True,))
