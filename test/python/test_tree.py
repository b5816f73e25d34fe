"""mirax.tree, the rest of mirax.tree_util and mirax.flatten_util.ravel_pytree, against
JAX's on a table of pytrees: values, structures, key paths and error messages."""
import collections
import dataclasses
import operator

import jax
import jax.flatten_util
import jax.numpy as jjnp
import jax.tree_util as jtu
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
import mirax.tree_util as mtu
from mirax.flatten_util import ravel_pytree

P = collections.namedtuple("P", ["x", "y"])


class Pair:
    """A custom node registered with keys; its aux data is its tag."""

    def __init__(self, a, b, tag="t"):
        self.a, self.b, self.tag = a, b, tag

    def __repr__(self):
        return f"Pair({self.a!r}, {self.b!r}, {self.tag!r})"


class Bag:
    """A custom node registered without keys (its paths are flat indices)."""

    def __init__(self, *items):
        self.items = items

    def __repr__(self):
        return f"Bag{self.items!r}"


@dataclasses.dataclass
class Params:
    w: object
    b: object
    name: str = jax.tree.static(default="p")


@dataclasses.dataclass
class Explicit:
    x: object
    k: int


class Static(str):
    pass


for tu in (jtu, mtu):
    tu.register_pytree_with_keys(
        Pair, lambda p, tu=tu: (((tu.GetAttrKey("a"), p.a), (tu.GetAttrKey("b"), p.b)), p.tag),
        lambda tag, ch: Pair(*ch, tag=tag))
    tu.register_pytree_node(Bag, lambda g: (g.items, None), lambda _, ch: Bag(*ch))
    tu.register_dataclass(Params)
    tu.register_dataclass(Explicit, data_fields=["x"], meta_fields=["k"])
    tu.register_static(Static)

TREES = {
    "leaf": 1,
    "none": None,
    "empty": [(), [], {}],
    "nested": (1, {"b": [2, 3], "a": 4}),
    "dict_of_dicts": {"z": 1, "a": (None, 2), "c": {"y": 3, "b": 4}},
    "nones": [None, (None, 1), {"a": None}],
    "namedtuple": P(1, (2, P(3, None))),
    "ordereddict": collections.OrderedDict([("b", 1), ("a", [2, 3])]),
    "defaultdict": collections.defaultdict(list, {"b": 1, "a": (2,)}),
    "custom_keys": [Pair(1, Pair(2, 3, "in")), Pair(None, 4)],
    "custom_flat": {"g": Bag(1, (2, 3))},
    "dataclass": [Params(1, {"u": 2}, "q"), Explicit((3, 4), 5)],
    "static": [Static("s"), 1, (Static("t"),)],
    "arrays": {"w": np.ones((2, 3), np.float32), "b": np.float32(2.5), "n": [np.int32(3)]},
}
IDS = list(TREES)


def reprs(xs):
    return [repr(x) for x in xs]


@pytest.mark.parametrize("name", IDS)
def test_flatten_structure_leaves(name):
    tree = TREES[name]
    (ml, md), (jl, jd) = mirax.tree.flatten(tree), jax.tree.flatten(tree)
    assert reprs(ml) == reprs(jl) and repr(md) == repr(jd)
    assert reprs(mirax.tree.leaves(tree)) == reprs(jax.tree.leaves(tree))
    assert repr(mirax.tree.structure(tree)) == repr(jax.tree.structure(tree))
    new = list(range(md.num_leaves))
    assert repr(mirax.tree.unflatten(md, new)) == repr(jax.tree.unflatten(jd, new))


@pytest.mark.parametrize("name", IDS)
def test_paths(name):
    tree = TREES[name]
    (mp, md), (jp, jd) = mirax.tree.flatten_with_path(tree), jax.tree.flatten_with_path(tree)
    assert repr(mp) == repr(jp) and repr(md) == repr(jd)
    assert repr(mirax.tree.leaves_with_path(tree)) == repr(jax.tree.leaves_with_path(tree))
    for kw in ({}, {"simple": True, "separator": "/"}):
        assert [mtu.keystr(p, **kw) for p, _ in mp] == [jtu.keystr(p, **kw) for p, _ in jp]
    show = lambda p, x: f"{jtu.keystr(p)}={x!r}"
    assert repr(mirax.tree.map_with_path(show, tree)) == repr(jax.tree.map_with_path(show, tree))


@pytest.mark.parametrize("name", IDS)
def test_map_reduce_all(name):
    tree = TREES[name]
    f = lambda x: (type(x).__name__, repr(x))
    assert repr(mirax.tree.map(f, tree)) == repr(jax.tree.map(f, tree))
    assert repr(mirax.tree.map(f, tree, is_leaf=lambda x: x is None)) == repr(jax.tree.map(
        f, tree, is_leaf=lambda x: x is None))
    add = lambda a, b: f"({a}+{b})"
    assert mirax.tree.reduce(add, tree, "i") == jax.tree.reduce(add, tree, "i")
    assert mirax.tree.reduce_associative(add, tree, identity="e") == \
        jax.tree.reduce_associative(add, tree, identity="e")
    assert outcome(lambda: mirax.tree.all(tree)) == outcome(lambda: jax.tree.all(tree))


def test_is_leaf_takes_path():
    tree = {"a": [1, 2], "b": (3, [4])}
    stop = lambda p, x: len(p) == 1 and isinstance(x, list)
    for fm, fj in ((mirax.tree.flatten_with_path, jax.tree.flatten_with_path),
                   (mirax.tree.leaves_with_path, jax.tree.leaves_with_path)):
        assert repr(fm(tree, stop, is_leaf_takes_path=True)) == repr(fj(tree, stop, is_leaf_takes_path=True))
    show = lambda p, x: jtu.keystr(p)
    assert mirax.tree.map_with_path(show, tree, is_leaf=stop, is_leaf_takes_path=True) == \
        jax.tree.map_with_path(show, tree, is_leaf=stop, is_leaf_takes_path=True)


def test_map_several_trees_and_prefix():
    t1, t2 = [1, {"a": 2}], [[3, 4], {"a": (5, 6)}]
    pair = lambda a, b: (a, b)
    assert mirax.tree.map(pair, t1, t2) == jax.tree.map(pair, t1, t2)
    assert mirax.tree.broadcast(t1, t2) == jax.tree.broadcast(t1, t2)
    assert mirax.tree.broadcast([1, None], [(2, 3), (4, 5)], is_leaf=lambda x: x is None) == \
        jax.tree.broadcast([1, None], [(2, 3), (4, 5)], is_leaf=lambda x: x is None)


@pytest.mark.parametrize("name", IDS)
def test_treedef_walk_and_rebuild(name):
    (ml, md), (jl, jd) = mirax.tree.flatten(TREES[name]), jax.tree.flatten(TREES[name])
    node = lambda children, aux: ("node", children, repr(aux))
    assert mirax.tree.structure(TREES[name]).walk(node, repr, ml) == jd.walk(node, repr, jl)

    def rebuild(tu, td):
        data = td.node_data()
        return td.from_node_data_and_children(tu.default_registry, data, [rebuild(tu, c) for c in td.children()])
    assert repr(rebuild(mtu, md)) == repr(rebuild(jtu, jd)) == repr(jd)
    assert rebuild(mtu, md) == md


def test_transpose():
    tree = [(1, 2), (3, 4), (5, 6)]
    outer, inner = [0, 0, 0], (0, 0)
    got = mirax.tree.transpose(mirax.tree.structure(outer), mirax.tree.structure(inner), tree)
    assert got == jax.tree.transpose(jax.tree.structure(outer), jax.tree.structure(inner), tree)
    assert mirax.tree.transpose(mirax.tree.structure(outer), None, tree) == got


MISMATCHES = [
    ([1, 2], [1, 2, 3]),
    ((1, 2), [1, 2]),
    ({"a": 1}, {"b": 1}),
    ({"a": (1, 2)}, {"a": (1,)}),
    ([1, [2]], [1, 2]),
    ([1, None], [1, 2]),
    (P(1, 2), (1, 2)),
    (Pair(1, 2, "x"), Pair(1, 2, "y")),
    ([Bag(1, 2)], [Bag(1)]),
    (Params(1, 2, "a"), Params(1, 2, "b")),
    (collections.OrderedDict(a=1, b=2), collections.OrderedDict(b=2, a=1)),
    ({"k": [Pair(1, (2, 3))]}, {"k": [Pair(1, (2, 3, 4))]}),
]


def outcome(f):
    """f()'s value's repr, or the class and message of what it raised."""
    try:
        return repr(f())
    except Exception as e:  # noqa: BLE001  (compared with JAX's)
        return type(e), str(e)


def raised(f):
    with pytest.raises(Exception) as info:
        f()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("t1, t2", MISMATCHES)
def test_mismatch_errors(t1, t2):
    f = lambda *xs: xs
    assert raised(lambda: mirax.tree.map(f, t1, t2)) == raised(lambda: jax.tree.map(f, t1, t2))
    assert raised(lambda: mirax.tree.map_with_path(f, t1, t2)) == \
        raised(lambda: jax.tree.map_with_path(f, t1, t2))
    assert raised(lambda: mirax.tree.broadcast(t1, t2)) == raised(lambda: jax.tree.broadcast(t1, t2))


FLATTEN_UP_TO = [
    ([1, 2], (1, 2)), ((1, 2), [1, 2]), ((1, 2), (1, 2, 3)), ([1, 2], [1]), ({"a": 1}, {"b": 1}),
    ({"a": 1}, {"a": 1, "b": 2}), (None, 1), ([None], [1]), (P(1, 2), (1, 2)), (P(1, 2), P(1, [2])),
    (Pair(1, 2, "x"), Pair(1, 2, "y")), (Pair(1, 2), 1), ([1, [2]], [1, 2]),
    (collections.OrderedDict(a=1, b=2), collections.OrderedDict(b=1, a=2)),
    (collections.OrderedDict(a=1), {"a": 1}), ({"a": 1}, collections.defaultdict(list, {"a": 1})), ((1,), 5),
]


@pytest.mark.parametrize("prefix, tree", FLATTEN_UP_TO)
def test_flatten_up_to(prefix, tree):
    assert outcome(lambda: mirax.tree.structure(prefix).flatten_up_to(tree)) == \
        outcome(lambda: jax.tree.structure(prefix).flatten_up_to(tree))


def test_unflatten_errors():
    for leaves in ([1], [1, 2, 3]):
        assert raised(lambda: mirax.tree.unflatten(mirax.tree.structure([0, 0]), leaves)) == \
            raised(lambda: jax.tree.unflatten(jax.tree.structure([0, 0]), leaves))


def test_reduce_errors():
    assert raised(lambda: mirax.tree.reduce_associative(operator.add, [])) == \
        raised(lambda: jax.tree.reduce_associative(operator.add, []))
    assert raised(lambda: mirax.tree.reduce(operator.add, [])) == \
        raised(lambda: jax.tree.reduce(operator.add, []))


@pytest.mark.parametrize("name", IDS)
def test_one_level(name):
    tree = TREES[name]
    if not jtu.is_tree_node(type(tree)):
        assert not mtu.is_tree_node(type(tree))
        assert raised(lambda: mtu.flatten_one_level(tree)) == raised(lambda: jtu.flatten_one_level(tree))
        return
    assert mtu.is_tree_node(type(tree))
    (mc, ma), (jc, ja) = mtu.flatten_one_level(tree), jtu.flatten_one_level(tree)
    assert reprs(mc) == reprs(jc) and repr(ma) == repr(ja)  # children: any sequence
    (mk, ma), (jk, ja) = mtu.flatten_one_level_with_keys(tree), jtu.flatten_one_level_with_keys(tree)
    if isinstance(tree, P):
        # jaxlib 0.10 keys every field of a namedtuple with the first field's name
        # here; mirax names each field, as both do in tree_flatten_with_path.
        jk = [(jtu.GetAttrKey(f), x) for f, (_, x) in zip(P._fields, jk, strict=True)]
    assert repr(list(mk)) == repr(list(jk)) and repr(ma) == repr(ja)


def test_is_tree_node():
    for t in (list, tuple, dict, type(None), P, Pair, Bag, Params, Static, collections.OrderedDict,
              int, str, np.ndarray, object):
        assert mtu.is_tree_node(t) == jtu.is_tree_node(t), t


def test_default_registry():
    tree = {"a": [1, Pair(2, 3)]}
    m, j = mtu.default_registry, jtu.default_registry
    assert repr(m.flatten(tree)) == repr(j.flatten(tree))
    assert repr(m.flatten(tree, lambda x: isinstance(x, list))) == \
        repr(j.flatten(tree, lambda x: isinstance(x, list)))
    stop = lambda p, x: len(p) == 2
    assert repr(m.flatten_with_path(tree, stop)) == repr(j.flatten_with_path(tree, stop))
    (mc, ma), (jc, ja) = m.flatten_one_level(tree), j.flatten_one_level(tree)
    assert repr(list(mc)) == repr(list(jc)) and ma == ja
    assert m.is_node(dict) and not m.is_node(int)


def test_register_dataclass_errors():
    @dataclasses.dataclass
    class D:
        x: int
        y: int

    cases = [
        lambda tu: tu.register_dataclass(D, data_fields=["x"]),
        lambda tu: tu.register_dataclass(Pair),
        lambda tu: tu.register_dataclass(D, data_fields=["x"], meta_fields=[]),
        lambda tu: tu.register_dataclass(D, data_fields=["x", "y", "z"], meta_fields=[]),
        lambda tu: tu.register_dataclass(D, data_fields=["x", "y"], meta_fields=["y"]),
    ]
    for case in cases:
        assert raised(lambda: case(mtu)) == raised(lambda: case(jtu))


def test_dataclass_roundtrip_and_jit():
    p = Params(np.float32(1.0), np.arange(3, dtype=np.float32), "q")
    leaves, treedef = mirax.tree.flatten(p)
    assert mirax.tree.unflatten(treedef, leaves) == p
    f = lambda q: q.w * q.b if q.name == "q" else q.b
    got, want = mirax.jit(f)(p), jax.jit(f)(p)
    np.testing.assert_array_equal(got, want)


def test_partial_pytree():
    for tu, jnp_ in ((mtu, mjnp), (jtu, jjnp)):
        p = tu.Partial(operator.mul, jnp_.float32(2.0))
        leaves, treedef = tu.tree_flatten(p)
        assert len(leaves) == 1 and treedef.unflatten(leaves)(3.0) == 6.0
    got = mirax.jit(lambda p, x: p(x))(mtu.Partial(operator.mul, mjnp.float32(2.0)), 3.0)
    assert repr(got) == repr(jax.jit(lambda p, x: p(x))(jtu.Partial(operator.mul, jjnp.float32(2.0)), 3.0))


RAVEL = {
    "mixed": lambda jnp: [1.0, jnp.arange(2)],
    "weak_ints": lambda jnp: [1, 2],
    "bf16_int8": lambda jnp: [jnp.ones(2, jnp.bfloat16), jnp.ones(1, jnp.int8)],
    "numpy_and_int": lambda jnp: {"a": np.ones(2), "b": 3},
    "empty": lambda jnp: [],
    "shapes": lambda jnp: [jnp.ones((2, 3)), jnp.zeros(())],
    "bool_uint8": lambda jnp: [True, jnp.uint8(3)],
    "complex": lambda jnp: [1j, 2.0, 3],
    "nested": lambda jnp: {"w": [jnp.ones((2, 2)), None], "b": (jnp.float32(0.5),)},
}


@pytest.mark.parametrize("name", list(RAVEL))
def test_ravel_pytree(name):
    mflat, munravel = ravel_pytree(RAVEL[name](mjnp))
    jflat, junravel = jax.flatten_util.ravel_pytree(RAVEL[name](jjnp))
    assert repr(mflat) == repr(jflat)
    assert repr(munravel(mflat)) == repr(junravel(jflat))
    jitted = mirax.jit(lambda t: ravel_pytree(t)[0])(RAVEL[name](mjnp))
    assert repr(jitted) == repr(jax.jit(lambda t: jax.flatten_util.ravel_pytree(t)[0])(RAVEL[name](jjnp)))


def test_unravel_errors():
    _, mu = ravel_pytree([1.0, mjnp.arange(2)])
    _, ju = jax.flatten_util.ravel_pytree([1.0, jjnp.arange(2)])
    assert raised(lambda: mu(mjnp.ones(3, mjnp.int32))) == raised(lambda: ju(jjnp.ones(3, jjnp.int32)))
    _, mu = ravel_pytree([mjnp.ones(2)])
    _, ju = jax.flatten_util.ravel_pytree([jjnp.ones(2)])
    assert repr(mu(mjnp.ones(2, mjnp.int32))) == repr(ju(jjnp.ones(2, jjnp.int32)))  # any dtype
    assert raised(lambda: mu(mjnp.ones(3))) == raised(lambda: ju(jjnp.ones(3)))


def test_grad_through_ravel():
    loss = lambda jnp, rp: lambda t: jnp.sum(rp(t)[0] ** 2)
    t = {"a": np.float32(1.5), "b": np.arange(3, dtype=np.float32)}
    got = mirax.grad(loss(mjnp, ravel_pytree))(t)
    want = jax.grad(loss(jjnp, jax.flatten_util.ravel_pytree))(t)
    assert repr(got) == repr(want)
