"""ad_checkpoint.checkpoint_name and the checkpoint policies by names
(python/mirax/ad_checkpoint.py, the op in dialect/control_flow/checkpoint.py): against
JAX's, values and derivatives of checkpoints saving named values; checkpoint_name alone
is the identity, also transformed; the named values saved are not recomputed."""
import jax
import jax.ad_checkpoint
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.ad_checkpoint
import mirax.numpy as mjnp
from oracle import ROUNDING, check

X = np.linspace(0.1, 1.2, 6, dtype=np.float32).reshape(2, 3)
W = np.linspace(-1.0, 1.0, 9, dtype=np.float32).reshape(3, 3)


def _layer(api, np_):
    """A function naming a dot ("dot") and the values after it ("a", in a nested jit, and "b")."""
    name = api.ad_checkpoint.checkpoint_name

    def f(x):
        d = name(x @ W, "dot")
        a = api.jit(lambda d: name(np_.sin(d), "a"))(d)
        b = name(np_.cos(a) * x, "b")
        return np_.sum(np_.tanh(b) * a)

    return f


POLICIES = {
    "only_a_and_a_name_not_there": lambda p: p.save_only_these_names("a", "c"),
    "any_but_a": lambda p: p.save_any_names_but_these("a"),
    "anything_except_a": lambda p: p.save_anything_except_these_names("a"),
    "dots_or_b": lambda p: p.save_from_both_policies(p.dots_saveable, p.save_only_these_names("b")),
    "any_but_a_or_only_a": lambda p: p.save_from_both_policies(p.save_any_names_but_these("a"),
                                                               p.save_only_these_names("a")),
}


@pytest.mark.parametrize("policy", POLICIES)
def test_policies_by_names_as_jax(policy):
    """Values, gradients (under jit), a JVP and a Hessian, as jax.checkpoint's."""
    want, got = (api.checkpoint(_layer(api, np_), policy=POLICIES[policy](api.checkpoint_policies))
                 for api, np_ in ((jax, jjnp), (mirax, mjnp)))
    check(got(X), want(X), "value", ROUNDING)
    check(mirax.jit(mirax.grad(got))(X), jax.grad(want)(X), "grad", ROUNDING)
    tangent = np.ones_like(X)
    check(mirax.jvp(got, (X,), (tangent,)), jax.jvp(want, (X,), (tangent,)), "jvp", ROUNDING)
    check(mirax.hessian(got)(X), jax.hessian(want)(X), "hessian", ROUNDING)
    xs = np.stack([X, -X])
    check(mirax.vmap(mirax.grad(got))(xs), jax.vmap(jax.grad(want))(xs), "vmap", ROUNDING)


def test_checkpoint_name_is_the_identity():
    name = mirax.ad_checkpoint.checkpoint_name
    tree = {"x": X, "y": (np.int32(3), 1.5)}
    check(name(tree, "t")["x"], X)
    check(list(name(tree, "t")["y"]), [jjnp.asarray(v) for v in jax.ad_checkpoint.checkpoint_name(tree, "t")["y"]])
    check(mirax.vmap(lambda x: name(x * 2, "a"))(X), X * 2)
    f = _layer(mirax, mjnp)  # named values outside any checkpoint
    want = _layer(jax, jjnp)
    check(mirax.jit(f)(X), want(X), "jit", ROUNDING)
    check(mirax.grad(f)(X), jax.grad(want)(X), "grad", ROUNDING)
    check(mirax.vmap(mirax.grad(f))(np.stack([X, -X])), jax.vmap(jax.grad(want))(np.stack([X, -X])), "vmap",
          ROUNDING)
    with pytest.raises(TypeError, match="checkpoint_name: the name must be a str, got 3"):
        name(X, 3)


def _sines(policy):
    """How many sines and cosines jit(grad(f)) computes, f (which names a sine "a")
    checkpointed with `policy` (None: not checkpointed)."""
    def f(x):
        return mjnp.sum(mjnp.cos(mirax.ad_checkpoint.checkpoint_name(mjnp.sin(x), "a")) * x)

    if policy is not None:
        f = mirax.checkpoint(f, policy=policy)
    text = mirax.jit(mirax.grad(f)).lower(X).as_text("linalg")
    return text.count("math.sin"), text.count("math.cos")


def test_named_values_saved_are_not_recomputed():
    policies = mirax.checkpoint_policies
    plain, nothing = _sines(None), _sines(policies.nothing_saveable)
    # The backward pass recomputes the named sine and the cosine of it, or only the cosine.
    assert nothing == (plain[0] + 1, plain[1] + 1)
    for saving in (policies.save_only_these_names("a"), policies.save_any_names_but_these("b"),
                   policies.save_from_both_policies(policies.nothing_saveable, policies.save_only_these_names("a"))):
        assert _sines(saving) == (plain[0], plain[1] + 1)
    for not_saving in (policies.save_only_these_names("b"), policies.save_any_names_but_these("a")):
        assert _sines(not_saving) == nothing
    assert _sines(policies.save_anything_except_these_names("a")) == plain  # saves everything, as JAX 0.10's
