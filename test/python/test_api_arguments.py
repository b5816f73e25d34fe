"""How the transformations take their arguments, against JAX: vmap passes unmapped
non-array arguments through unchanged, jit compares pytree aux data by equality,
jit's keywords are checked (misspelt, out of range, unknown names) with JAX's errors,
and no keyword of the API is accepted and ignored."""
import inspect

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check

BACKENDS = {"jax": (jax, jjnp), "mirax": (mirax, mjnp)}


def outcome(build):
    """build(module, numpy module) for JAX and mirax: ('ok', value) or ('raised', error)."""
    results = {}
    for name, modules in BACKENDS.items():
        try:
            results[name] = ("ok", build(*modules))
        except Exception as err:  # noqa: BLE001  (the error is what is compared)
            results[name] = ("raised", err)
    return results["jax"], results["mirax"]


def first_line(err):
    return str(err).splitlines()[0] if str(err) else ""


def same(build):
    """Both return equal values, or both raise the same class with the same first line."""
    (jax_kind, want), (mirax_kind, got) = outcome(build)
    assert jax_kind == mirax_kind, (want, got)
    if jax_kind == "ok":
        check(got, want)
    else:
        assert type(got).__name__ == type(want).__name__, (got, want)
        assert first_line(got) == first_line(want), (got, want)


# ----------------------------------------------------------------------------- item 13: vmap in_axes=None


def test_vmap_of_grad_of_jit_with_a_static_argument():
    def build(t, np_):
        f = t.jit(lambda x, n: x ** n, static_argnums=1)
        return t.vmap(t.grad(f), in_axes=(0, None))(np_.arange(3.0), 3)

    same(build)


class Opaque:
    scale = 2.0

    def __repr__(self):  # the same test id in every pytest-xdist worker
        return "Opaque()"


@pytest.mark.parametrize("value", [3, 2.5, True, "abc", Opaque(), np.float32(1.5), np.ones(3, np.float32),
                                   (2, "s"), {"k": 4}], ids=repr)
def test_vmap_passes_unmapped_non_arrays_through_unchanged(value):
    def build(t, np_):
        seen = []

        def fun(x, v):
            seen.append(type(v))
            return x * 2.0

        out = t.vmap(fun, in_axes=(0, None))(np_.arange(3.0), value)
        return out, seen

    (_, (want, want_seen)), (_, (got, got_seen)) = outcome(build)
    check(got, want)
    assert got_seen == want_seen == [type(value)]


@pytest.mark.parametrize("value", [3, 2.5, True, np.float32(1.5), None], ids=repr)
def test_vmap_returns_unmapped_python_values_as_jax(value):
    same(lambda t, np_: t.vmap(lambda x, v: (x + 1.0, v), in_axes=(0, None))(np_.arange(3.0), value))


@pytest.mark.parametrize("value", ["abc", Opaque()], ids=["str", "object"])
def test_vmap_refuses_a_non_array_output_or_mapped_argument(value):
    for build in (lambda t, np_: t.vmap(lambda x, v: v, in_axes=(0, None))(np_.arange(3.0), value),
                  lambda t, np_: t.vmap(lambda x, v: x, in_axes=(0, 0))(np_.arange(3.0), value)):
        (_, want), (_, got) = outcome(build)
        assert type(want) is type(got) is TypeError, (want, got)
        for err in (want, got):
            assert all(part in str(err) for part in (repr(value), str(type(value)), "is not a valid JAX type")), err


def test_vmap_unmapped_object_used_inside():
    same(lambda t, np_: t.vmap(lambda x, o: x * o.scale, in_axes=(0, None))(np_.arange(3.0), Opaque()))


# ----------------------------------------------------------------------------- item 15: aux data by equality


def _register(tree_util):
    class Node:
        def __init__(self, x, meta):
            self.x, self.meta = x, meta

    tree_util.register_pytree_node(Node, lambda n: ((n.x,), n.meta), lambda meta, ch: Node(ch[0], meta))
    return Node


NODES = {"jax": _register(jax.tree_util), "mirax": _register(mirax.tree_util)}


def node(t, x, meta):
    return NODES["jax" if t is jax else "mirax"](x, meta)


def test_jit_with_dict_aux_data_traces_once_per_equal_aux():
    def build(t, np_):
        traces = []

        @t.jit
        def f(p):
            traces.append(1)
            return p.x * p.meta["scale"]

        outs = [f(node(t, np_.ones(2), {"scale": s, "tags": ["a"]})) for s in (2.0, 2.0, 3.0)]
        return outs, len(traces)

    (_, (want, want_traces)), (_, (got, got_traces)) = outcome(build)
    check(got, want)
    assert got_traces == want_traces == 2


@pytest.mark.parametrize("meta_a, meta_b", [({"a": 1}, {"a": 1}), ({"a": 1}, {"a": 2}), ([1, 2], [1, 2]),
                                            ([1], (1,)), (np.ones(1), np.ones(1))], ids=repr)
def test_treedef_equality_and_hash_with_unhashable_aux(meta_a, meta_b):
    def build(t, np_):
        a, b = (t.tree_util.tree_structure(node(t, 1.0, m)) for m in (meta_a, meta_b))
        return a == b, hash(a) == hash(b)

    (_, want), (_, got) = outcome(build)
    assert got == want


def test_aux_data_whose_equality_raises():
    def build(t, np_):
        a, b = (t.tree_util.tree_structure(node(t, 1.0, np.ones(2))) for _ in range(2))
        return a == b

    same(build)


# ----------------------------------------------------------------------------- item 17: jit's keywords


def f2(x, n):
    return x * len(range(n))


def posonly(x, /, n):
    return x * n


def varargs(x, *rest):
    return x * len(rest)


JIT_DEFINITIONS = {
    "misspelt static_argnum": lambda t: t.jit(f2, static_argnum=1),
    "abstracted_axes (not in JAX 0.10)": lambda t: t.jit(f2, abstracted_axes=({0: "n"},)),
    "static_argnums out of range": lambda t: t.jit(f2, static_argnums=5),
    "negative static_argnums out of range": lambda t: t.jit(f2, static_argnums=(0, -3)),
    "unknown static_argnames": lambda t: t.jit(f2, static_argnames=("n", "m")),
    "positional-only static_argnames": lambda t: t.jit(posonly, static_argnames="x"),
    "static_argnums not ints": lambda t: t.jit(f2, static_argnums="1"),
    "static_argnums a float": lambda t: t.jit(f2, static_argnums=1.0),
    "static_argnames an int": lambda t: t.jit(f2, static_argnames=1),
    "static_argnames holding an int": lambda t: t.jit(f2, static_argnames=["n", 1]),
    "donate_argnums out of range": lambda t: t.jit(f2, donate_argnums=2),
    "unknown donate_argnames": lambda t: t.jit(f2, donate_argnames="q"),
    "static and donated": lambda t: t.jit(f2, static_argnums=1, donate_argnums=1),
    "device and backend": lambda t: t.jit(f2, device=t.devices()[0], backend="cpu"),
    "not callable": lambda t: t.jit(3),
    "make_jaxpr static_argnums out of range": lambda t: t.make_jaxpr(f2, static_argnums=2)(1.0, 2),
    "grad reduce_axes": lambda t: t.grad(f2, reduce_axes=("i",)),
    "value_and_grad reduce_axes": lambda t: t.value_and_grad(f2, reduce_axes=("i",)),
    "vjp reduce_axes": lambda t: t.vjp(lambda x: 2.0 * x, 1.0, reduce_axes=("i",)),
    "linear_transpose reduce_axes": lambda t: t.linear_transpose(lambda x: 2.0 * x, 1.0, reduce_axes=("i",)),
    "grad of a non-callable": lambda t: t.grad(3),
    "vmap of a non-callable": lambda t: t.vmap(3),
    "jacrev of a non-callable": lambda t: t.jacrev(3),
    "jacfwd of a non-callable": lambda t: t.jacfwd(3),
}


@pytest.mark.parametrize("name", JIT_DEFINITIONS)
def test_bad_arguments_raise_as_jax(name):
    (jax_kind, want), (mirax_kind, got) = outcome(lambda t, np_: JIT_DEFINITIONS[name](t))
    assert jax_kind == mirax_kind == "raised", (want, got)
    assert type(got) is type(want), (got, want)
    assert first_line(got) == first_line(want), (got, want)


JIT_CALLS = {
    "negative static_argnums": lambda t, x: t.jit(f2, static_argnums=-1)(x, 3),
    "static_argnums beyond the arguments of *args": lambda t, x: t.jit(varargs, static_argnums=4)(x, 1, 2),
    "static_argnames passed by position": lambda t, x: t.jit(f2, static_argnames="n")(x, 3),
    "static_argnums passed by name": lambda t, x: t.jit(f2, static_argnums=1)(x, n=3),
    "static_argnames with **kwargs": lambda t, x: t.jit(lambda x, **kw: x * kw["m"], static_argnames="m")(x, m=2),
    "static_argnums and argnames both given (no inference)":
        lambda t, x: t.jit(lambda x, n, m: x * n * len(range(m)), static_argnums=2, static_argnames="n")(x, 2.0, 3),
    "keep_unused": lambda t, x: t.jit(lambda x, unused: x + 1.0, keep_unused=True)(x, x),
    "inline": lambda t, x: t.jit(lambda y: t.jit(lambda z: z + 1.0, inline=True)(y) * 2.0)(x),
    "device": lambda t, x: t.jit(lambda y: y * 2.0, device=t.devices()[0])(x),
    "in_shardings None": lambda t, x: t.jit(lambda y: y * 2.0, in_shardings=None, out_shardings=None)(x),
    "empty compiler_options": lambda t, x: t.jit(lambda y: y * 2.0, compiler_options={})(x),
    "decorator with keywords": lambda t, x: t.jit(static_argnums=1)(f2)(x, 2),
    "unhashable static argument": lambda t, x: t.jit(f2, static_argnums=1)(x, [2]),
    "unhashable static keyword": lambda t, x: t.jit(f2, static_argnames="n")(x, n=[2]),
    "linearize has_aux": lambda t, x: t.linearize(lambda y: (y * y, y + 1.0), x, has_aux=True)[::2],
    "vmap axis_name": lambda t, x: t.vmap(lambda y: y * 2.0, axis_name="i")(x),
    "vmap spmd_axis_name": lambda t, x: t.vmap(lambda y: y * 2.0, spmd_axis_name="d")(x),
}


@pytest.mark.parametrize("name", JIT_CALLS)
def test_accepted_arguments_work_as_jax(name):
    same(lambda t, np_: JIT_CALLS[name](t, np_.arange(3.0)))


def test_static_arguments_match_by_type():
    """1, 1.0 and True are equal and hash alike, but trace differently (JAX compares types)."""

    def build(t, np_):
        f = t.jit(lambda x, n: x * n, static_argnums=1)
        x = np_.arange(3)
        return [f(x, 1), f(x, 1.0), f(x, True)]

    same(build)


UNSUPPORTED = {
    "donate_argnums": lambda: mirax.jit(lambda x: x + 1.0, donate_argnums=0),
    "donate_argnames": lambda: mirax.jit(lambda x: x + 1.0, donate_argnames="x"),
    "in_shardings": lambda: mirax.jit(lambda x: x, in_shardings=object()),
    "out_shardings": lambda: mirax.jit(lambda x: x, out_shardings=object()),
    "compiler_options": lambda: mirax.jit(lambda x: x, compiler_options={"xla_cpu_enable_fast_math": True}),
    "sum_match": lambda: mirax.vmap(lambda x: x.sum(), out_axes=None, sum_match=True),
    "return_shape": lambda: mirax.make_jaxpr(lambda x: x, return_shape=True),
    "donate": lambda: mirax.device_put(mjnp.ones(2), donate=True),
    "src": lambda: mirax.device_put(mjnp.ones(2), src=mirax.devices()[0]),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_arguments_raise_naming_them(name):
    """What mirax does not do (JAX does) raises NotImplementedError, never runs as if not given."""
    with pytest.raises(NotImplementedError, match=name.split("_arg")[0]):
        UNSUPPORTED[name]()


@pytest.mark.parametrize("name", ["jit", "grad", "value_and_grad", "vmap", "jvp", "vjp", "jacfwd", "jacrev",
                                  "hessian", "linearize", "linear_transpose", "make_jaxpr", "device_put"])
def test_signatures_take_jax_keywords(name):
    """Every keyword JAX's function takes, mirax's takes (to use it or refuse it), and no other."""

    def names(fun):
        return [p.name for p in inspect.signature(fun).parameters.values()]

    assert names(getattr(mirax, name)) == names(getattr(jax, name))
