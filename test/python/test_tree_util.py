"""Tests for mirax.tree_util, checked against jax.tree_util where possible."""

import collections
import functools
import operator

import numpy as np
import pytest

import jax.tree_util as jtu

from mirax import tree_util as mtu


# ---------------------------------------------------------------------------
# Test trees.  Each entry is a function of the tree_util module so that
# Partial (a distinct class per implementation) can be built for both.
# ---------------------------------------------------------------------------

P = collections.namedtuple("P", ["x", "y"])
Empty = collections.namedtuple("Empty", [])


class Point:
    """Custom node with static metadata ``tag``."""

    def __init__(self, x, y, tag=None):
        self.x, self.y, self.tag = x, y, tag

    def tree_flatten(self):
        return (self.x, self.y), self.tag

    @classmethod
    def tree_unflatten(cls, tag, children):
        return cls(*children, tag=tag)


# Register the same class with both implementations.
mtu.register_pytree_node_class(Point)
jtu.register_pytree_node_class(Point)


class Box:
    """Custom node registered with register_pytree_node (non-class API)."""

    def __init__(self, value, label):
        self.value, self.label = value, label


def _box_flatten(b):
    return [b.value], (b.label, 3)


def _box_unflatten(aux, children):
    return Box(children[0], aux[0])


mtu.register_pytree_node(Box, _box_flatten, _box_unflatten)
jtu.register_pytree_node(Box, _box_flatten, _box_unflatten)

ARR = np.arange(6.0).reshape(2, 3)
SCALAR = np.float32(2.5)
INT32 = np.int32(3)
ZERO_D = np.zeros(())

TREES = {
    "int": lambda tu: 1,
    "none": lambda tu: None,
    "ndarray": lambda tu: ARR,
    "empty_tuple": lambda tu: (),
    "empty_list": lambda tu: [],
    "empty_dict": lambda tu: {},
    "singleton_tuple": lambda tu: (1,),
    "list": lambda tu: [1, 2.0, "s"],
    "nested": lambda tu: (1, {"b": [2, 3], "a": 4}),
    "unsorted_dict": lambda tu: {"z": 1, "a": (None, 2), "m": [], "c": {"y": 3, "b": 4}},
    "int_keys": lambda tu: {3: "c", 1: "a", 2: "b"},
    "nones": lambda tu: [None, (None, 1), {"a": None}],
    "namedtuple": lambda tu: P(1, (2, P(3, None))),
    "empty_namedtuple": lambda tu: [Empty(), 1],
    "ordereddict": lambda tu: collections.OrderedDict([("b", 1), ("a", [2, 3])]),
    "defaultdict": lambda tu: collections.defaultdict(list, {"b": 1, "a": (2,)}),
    "custom": lambda tu: Point(1, [2, 3]),
    "custom_aux": lambda tu: [Point(Point(1, 2, "in"), None, tag="out"), Box(4, "bx")],
    "arrays": lambda tu: {"w": ARR, "b": SCALAR, "n": [INT32, ZERO_D]},
    "partial": lambda tu: tu.Partial(operator.add, 1, (2, 3)),
    "partial_kw": lambda tu: [tu.Partial(max, 1, key=None)],
    "deep": lambda tu: [[[[[(1,)]]]], {"k": [{"j": (2, [3])}]}],
}
TREE_IDS = list(TREES)


def both(name):
    return TREES[name](mtu), TREES[name](jtu)


def same_leaves(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


# ---------------------------------------------------------------------------
# Flatten / unflatten / structure against JAX
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TREE_IDS)
def test_flatten_matches_jax(name):
    mtree, jtree = both(name)
    mleaves, mdef = mtu.tree_flatten(mtree)
    jleaves, jdef = jtu.tree_flatten(jtree)
    # Leaves: the same objects in the same order.
    assert len(mleaves) == len(jleaves)
    for a, b in zip(mleaves, jleaves):
        assert a is b
    assert repr(mdef) == repr(jdef)
    assert str(mdef) == repr(mdef)
    assert mdef.num_leaves == jdef.num_leaves
    assert mdef.num_nodes == jdef.num_nodes
    assert mtu.treedef_is_leaf(mdef) == jtu.treedef_is_leaf(jdef)
    assert [repr(c) for c in mdef.children()] == [repr(c) for c in jdef.children()]
    assert same_leaves(mtu.tree_leaves(mtree), mleaves)
    assert mtu.tree_structure(mtree) == mdef


@pytest.mark.parametrize("name", TREE_IDS)
def test_roundtrip(name):
    tree = TREES[name](mtu)
    leaves, treedef = mtu.tree_flatten(tree)
    rebuilt = mtu.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(tree)
    leaves2, treedef2 = mtu.tree_flatten(rebuilt)
    assert treedef2 == treedef
    assert hash(treedef2) == hash(treedef)
    assert same_leaves(leaves2, leaves)
    # Unflatten with fresh leaves, compare with JAX doing the same.
    jtree = TREES[name](jtu)
    new = list(range(treedef.num_leaves))
    m = mtu.tree_unflatten(treedef, new)
    j = jtu.tree_unflatten(jtu.tree_structure(jtree), new)
    assert mtu.tree_leaves(m) == jtu.tree_leaves(j) == new


def test_roundtrip_container_types():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    out = mtu.tree_unflatten(*reversed(mtu.tree_flatten(od)))
    assert isinstance(out, collections.OrderedDict) and list(out) == ["b", "a"]
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    out = mtu.tree_map(lambda x: x * 10, dd)
    assert isinstance(out, collections.defaultdict)
    assert out.default_factory is list and dict(out) == {"a": 20, "b": 10}
    out = mtu.tree_map(lambda x: x + 1, P(1, 2))
    assert type(out) is P and out == P(2, 3)
    out = mtu.tree_map(lambda x: x + 1, Point(1, 2, tag="t"))
    assert isinstance(out, Point) and (out.x, out.y, out.tag) == (2, 3, "t")
    assert mtu.tree_map(lambda x: x, {"b": 1, "a": 2}) == {"a": 2, "b": 1}


@pytest.mark.parametrize(
    "tree, expected",
    [
        ((1, {"a": 2, "b": [3, 4]}), "PyTreeDef((*, {'a': *, 'b': [*, *]}))"),
        (None, "PyTreeDef(None)"),
        (5, "PyTreeDef(*)"),
        ((1,), "PyTreeDef((*,))"),
        (Point(1, 2), "PyTreeDef(CustomNode(Point[None], [*, *]))"),
        (Point((), 2, tag="t"), "PyTreeDef(CustomNode(Point[t], [(), *]))"),
        (P(1, None), "PyTreeDef(CustomNode(namedtuple[P], [*, None]))"),
        (collections.OrderedDict(b=1, a=2),
         "PyTreeDef(CustomNode(OrderedDict[('b', 'a')], [*, *]))"),
        (collections.defaultdict(int, b=1, a=2),
         "PyTreeDef(CustomNode(defaultdict[(<class 'int'>, ('a', 'b'))], [*, *]))"),
    ],
)
def test_repr(tree, expected):
    assert repr(mtu.tree_structure(tree)) == expected
    assert repr(jtu.tree_structure(tree)) == expected


def test_partial_repr():
    m = mtu.tree_structure(mtu.Partial(print, 1, a=2))
    j = jtu.tree_structure(jtu.Partial(print, 1, a=2))
    assert repr(m) == repr(j) == (
        "PyTreeDef(CustomNode(Partial[<built-in function print>], [(*,), {'a': *}]))")


def test_treedef_equality_and_hash():
    a = mtu.tree_structure({"a": 1, "b": (2, 3)})
    b = mtu.tree_structure({"b": ("x", "y"), "a": 5})
    assert a == b and hash(a) == hash(b)
    assert a != mtu.tree_structure({"a": 1, "b": [2, 3]})
    assert a != mtu.tree_structure({"a": 1, "c": (2, 3)})
    assert mtu.tree_structure(Point(1, 2, "p")) != mtu.tree_structure(Point(1, 2, "q"))
    assert mtu.tree_structure(P(1, 2)) != mtu.tree_structure((1, 2))
    assert mtu.tree_structure(None) != mtu.tree_structure(1)
    assert mtu.tree_structure([]) != mtu.tree_structure(())
    assert len({a, b, mtu.tree_structure(1), mtu.tree_structure(2)}) == 2
    assert a != "PyTreeDef({'a': *, 'b': (*, *)})"


def test_treedef_queries():
    td = mtu.tree_structure((1, {"b": [2, 3], "a": 4}))
    jd = jtu.tree_structure((1, {"b": [2, 3], "a": 4}))
    assert (td.num_leaves, td.num_nodes) == (jd.num_leaves, jd.num_nodes) == (4, 7)
    assert [repr(c) for c in mtu.treedef_children(td)] == [
        "PyTreeDef(*)", "PyTreeDef({'a': *, 'b': [*, *]})"]
    assert mtu.treedef_is_leaf(mtu.tree_structure(1))
    assert mtu.treedef_is_leaf(mtu.tree_structure(None))  # one node, as JAX
    assert not mtu.treedef_is_leaf(td)
    assert mtu.tree_structure(None).num_leaves == 0
    assert mtu.tree_structure(1).children() == []
    for tree in [(1, 2), {"b": 1, "a": 2}, None, 3, P(1, 2),
                 collections.OrderedDict(b=1)]:
        assert mtu.tree_structure(tree).node_data() == jtu.tree_structure(tree).node_data()
    tt = mtu.treedef_tuple([mtu.tree_structure(1), mtu.tree_structure([1, 2])])
    assert tt == mtu.tree_structure((0, [0, 0]))


def test_unsortable_dict_keys():
    with pytest.raises(ValueError, match="sorting"):
        mtu.tree_flatten({1: 1, "a": 2})


# ---------------------------------------------------------------------------
# Error cases
# ---------------------------------------------------------------------------


def test_unflatten_wrong_leaf_count():
    td = mtu.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match="expected 3, got 2"):
        mtu.tree_unflatten(td, [1, 2])
    with pytest.raises(ValueError, match=r"^Too many leaves for PyTreeDef; expected 3\.$"):  # JAX's
        td.unflatten([1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"^Too many leaves for PyTreeDef; expected 0\.$"):
        mtu.tree_unflatten(mtu.tree_structure(None), [1])
    # JAX raises ValueError too.
    with pytest.raises(ValueError):
        jtu.tree_unflatten(jtu.tree_structure((1, [2, 3])), [1, 2])


MISMATCHES = [
    ((1, 2), (1, 2, 3)),           # length
    ((1, 2), [1, 2]),              # node type
    ({"a": 1}, {"b": 1}),          # dict keys
    ((None, 1), (1, 1)),           # None vs leaf
    ((1, (2, 3)), (1, 2)),         # node vs leaf
    (P(1, 2), (1, 2)),             # namedtuple vs tuple
    (Point(1, 2, "a"), Point(1, 2, "b")),  # custom aux data
    (collections.OrderedDict(a=1, b=2), collections.OrderedDict(b=2, a=1)),
]


@pytest.mark.parametrize("t1, t2", MISMATCHES)
def test_tree_map_mismatch(t1, t2):
    f = lambda *xs: xs
    with pytest.raises(ValueError) as m_err:
        mtu.tree_map(f, t1, t2)
    with pytest.raises(ValueError) as j_err:
        jtu.tree_map(f, t1, t2)
    assert str(m_err.value) == str(j_err.value)


def test_tree_map_mismatch_key_path():
    with pytest.raises(ValueError, match=r"\['a'\]\[1\]"):
        mtu.tree_map(lambda a, b: a, {"a": (1, [2])}, {"a": (1, (2,))})


# ---------------------------------------------------------------------------
# tree_map and friends
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TREE_IDS)
def test_tree_map_matches_jax(name):
    mtree, jtree = both(name)
    f = lambda x: [type(x).__name__]  # a list leaf-marker: a subtree of 1 leaf
    m = mtu.tree_map(f, mtree)
    j = jtu.tree_map(f, jtree)
    assert repr(mtu.tree_structure(m)) == repr(jtu.tree_structure(j))
    assert mtu.tree_leaves(m) == jtu.tree_leaves(j)
    # Two trees of identical structure: f sees corresponding leaves.
    pairs = mtu.tree_map(lambda a, b: [a is b], mtree, mtree)
    assert all(mtu.tree_leaves(pairs))
    assert mtu.tree_structure(pairs) == mtu.tree_structure(m)


def test_tree_map_multiple_and_prefix():
    a = (1, {"x": 2, "y": 3})
    b = (10, {"y": 30, "x": 20})
    assert mtu.tree_map(lambda *xs: sum(xs), a, b, b) == jtu.tree_map(lambda *xs: sum(xs), a, b, b)
    # The first tree may be a prefix of the others (subtrees are passed).
    t = (1, 2)
    r = ((3, 4), {"x": 5})
    assert mtu.tree_map(lambda x, y: (x, y), t, r) == jtu.tree_map(lambda x, y: (x, y), t, r)
    assert mtu.tree_map(lambda x, y: (x, y), t, (None, 5)) == ((1, None), (2, 5))
    # None in the first tree is an empty node, not a leaf.
    assert mtu.tree_map(lambda x: x + 1, [1, None, 2]) == [2, None, 3]
    assert mtu.tree_map(lambda x, y: x + y, [1, None], [1, None]) == [2, None]


def test_is_leaf():
    tree = [(1, 2), {"a": (3,), "b": None}, None]
    is_tuple = lambda x: isinstance(x, tuple)
    m_leaves, m_def = mtu.tree_flatten(tree, is_leaf=is_tuple)
    j_leaves, j_def = jtu.tree_flatten(tree, is_leaf=is_tuple)
    assert m_leaves == j_leaves == [(1, 2), (3,)]
    assert repr(m_def) == repr(j_def)
    is_none = lambda x: x is None
    assert mtu.tree_leaves(tree, is_leaf=is_none) == jtu.tree_leaves(tree, is_leaf=is_none)
    assert mtu.tree_leaves(tree, is_leaf=is_none) == [1, 2, 3, None, None]
    assert mtu.tree_structure(tree, is_leaf=is_tuple) == m_def
    # The root can be a leaf.
    assert mtu.tree_leaves(tree, is_leaf=lambda x: True) == [tree]
    # tree_map with is_leaf.
    out = mtu.tree_map(lambda t: len(t), tree, is_leaf=is_tuple)
    assert out == jtu.tree_map(lambda t: len(t), tree, is_leaf=is_tuple)
    out = mtu.tree_map(lambda x: x is None, tree, is_leaf=is_none)
    assert out == [(False, False), {"a": (False,), "b": True}, True]


def test_all_reduce():
    assert mtu.tree_all([1, (True, {"a": 2})])
    assert not mtu.tree_all([1, (0, {"a": 2})])
    assert mtu.tree_all([]) and mtu.tree_all(None)
    assert mtu.tree_all([None, 1])
    assert mtu.tree_reduce(operator.add, [1, (2, 3)]) == 6
    assert mtu.tree_reduce(operator.add, [1, (2, 3)], 10) == 16
    assert mtu.tree_reduce(operator.add, [], 0) == 0
    with pytest.raises(TypeError):
        mtu.tree_reduce(operator.add, [])
    assert mtu.tree_reduce(lambda a, b: a + [b], [(1,), [(2,)]], [],
                           is_leaf=lambda x: isinstance(x, tuple)) == [(1,), (2,)]


def test_tree_transpose():
    outer = [0, 0, 0]
    inner = {"a": 0, "b": (0, 0)}
    tree = [{"a": i, "b": (10 * i, 100 * i)} for i in range(3)]
    m = mtu.tree_transpose(mtu.tree_structure(outer), mtu.tree_structure(inner), tree)
    j = jtu.tree_transpose(jtu.tree_structure(outer), jtu.tree_structure(inner), tree)
    assert m == j == {"a": [0, 1, 2], "b": ([0, 10, 20], [0, 100, 200])}
    with pytest.raises(TypeError):
        mtu.tree_transpose(mtu.tree_structure(outer), mtu.tree_structure((0, 0)), tree)


def test_tree_broadcast_and_flatten_up_to():
    assert mtu.tree_broadcast((1, 2), ((0, 0), [0])) == jtu.tree_broadcast((1, 2), ((0, 0), [0]))
    td = mtu.tree_structure((0, 0))
    assert td.flatten_up_to((1, [2, 3])) == [1, [2, 3]]
    with pytest.raises(ValueError, match=r"^Expected tuple, got \[1, 2\]\.$"):  # JAX's
        td.flatten_up_to([1, 2])


def test_all_leaves():
    assert mtu.all_leaves([1, "a", ARR])
    assert not mtu.all_leaves([1, (2,)])
    assert not mtu.all_leaves([None])
    assert mtu.all_leaves([(1,)], is_leaf=lambda x: isinstance(x, tuple))


# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TREE_IDS)
def test_flatten_with_path_matches_jax(name):
    mtree, jtree = both(name)
    m, mdef = mtu.tree_flatten_with_path(mtree)
    j, jdef = jtu.tree_flatten_with_path(jtree)
    assert [repr(p) for p, _ in m] == [repr(p) for p, _ in j]
    assert [mtu.keystr(p) for p, _ in m] == [jtu.keystr(p) for p, _ in j]
    assert [mtu.keystr(p, simple=True, separator="/") for p, _ in m] == \
        [jtu.keystr(p, simple=True, separator="/") for p, _ in j]
    assert same_leaves([x for _, x in m], mtu.tree_leaves(mtree))
    assert mdef == mtu.tree_structure(mtree)
    assert [repr(p) for p, _ in mtu.tree_leaves_with_path(mtree)] == [repr(p) for p, _ in m]


def test_key_types():
    for k in ["SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey"]:
        arg = "x" if k in ("DictKey", "GetAttrKey") else 1
        mk, jk = getattr(mtu, k)(arg), getattr(jtu, k)(arg)
        assert repr(mk) == repr(jk)
        assert str(mk) == str(jk)
        assert mk == getattr(mtu, k)(arg) and hash(mk) == hash(getattr(mtu, k)(arg))
    assert mtu.SequenceKey(1) != mtu.FlattenedIndexKey(1)
    path = (mtu.SequenceKey(2), mtu.DictKey("a"), mtu.GetAttrKey("x"))
    assert mtu.keystr(path) == "[2]['a'].x"
    assert mtu.keystr(path, simple=True, separator="/") == "2/a/x"


def test_tree_map_with_path():
    tree = {"b": [1, 2], "a": P(3, 4)}
    f = lambda p, x, y: (mtu.keystr(p), x + y)
    g = lambda p, x, y: (jtu.keystr(p), x + y)
    m = mtu.tree_map_with_path(f, tree, tree)
    assert m == jtu.tree_map_with_path(g, tree, tree)
    assert m["a"].x == ("['a'].x", 6)


def test_register_with_keys():
    class KV:
        def __init__(self, k, v):
            self.k, self.v = k, v

    mtu.register_pytree_with_keys(
        KV,
        lambda o: (((mtu.GetAttrKey("k"), o.k), (mtu.GetAttrKey("v"), o.v)), None),
        lambda aux, ch: KV(*ch))
    paths = mtu.tree_leaves_with_path([KV(1, (2,))])
    assert [mtu.keystr(p) for p, _ in paths] == ["[0].k", "[0].v[0]"]
    leaves, td = mtu.tree_flatten(KV(1, 2))
    assert leaves == [1, 2] and isinstance(td.unflatten([3, 4]), KV)


def test_duplicate_registration():
    with pytest.raises(ValueError, match="Duplicate"):
        mtu.register_pytree_node(Point, lambda p: ((), None), lambda a, c: Point(0, 0))
    with pytest.raises(ValueError):
        mtu.register_pytree_node(tuple, lambda t: (t, None), lambda a, c: tuple(c))


def test_unregistered_subclass_is_leaf():
    class D(dict):
        pass

    d = D(a=1)
    assert mtu.tree_leaves(d) == jtu.tree_leaves(d) == [d]


# ---------------------------------------------------------------------------
# Partial
# ---------------------------------------------------------------------------


def test_partial():
    p = mtu.Partial(operator.add, 1)
    assert isinstance(p, functools.partial)
    assert p(2) == 3
    leaves, td = mtu.tree_flatten(p)
    assert leaves == [1]
    q = td.unflatten([10])
    assert isinstance(q, mtu.Partial) and q(2) == 12
    kw = mtu.Partial(lambda x, *, y: x * y, y=3)
    assert mtu.tree_leaves(kw) == [3]
    assert mtu.tree_map(lambda v: v + 1, kw)(2) == 8
    # A wrapped functools.partial keeps its own arguments static.
    inner = functools.partial(lambda a, b, c: a + 10 * b + 100 * c, 1)
    outer = mtu.Partial(inner, 2)
    assert outer(3) == jtu.Partial(inner, 2)(3) == 321
    assert mtu.tree_leaves(outer) == jtu.tree_leaves(jtu.Partial(inner, 2)) == [2]
    assert mtu.tree_structure(outer) == mtu.tree_structure(mtu.Partial(inner, 5))
    assert mtu.tree_structure(p) != mtu.tree_structure(mtu.Partial(operator.mul, 1))


# ---------------------------------------------------------------------------
# flatten_prefix
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix, full, expected",
    [
        (0, (1, 2, [3]), [0, 0, 0]),
        (None, (1, 2), [None, None]),
        ((0, None), ([1, 2], {"a": 3}), [0, 0, None]),
        ((0, None, {"a": 1}), ([1, 2], (3, 4), {"a": (5, None, 6)}), [0, 0, None, None, 1, 1]),
        ({"b": 1, "a": None}, {"a": [1, 2], "b": 3}, [None, None, 1]),
        ((0, 1), (None, 5), [1]),           # full-tree None has no leaves
        ((None, 1), (None, 5), [1]),        # prefix None matches a None subtree
        (P(0, 1), P((1, 2), 3), [0, 0, 1]),
        ([0, 1], [[], 2], [1]),
        (0, (), []),
    ],
)
def test_flatten_prefix(prefix, full, expected):
    assert mtu.flatten_prefix(prefix, full) == expected
    # Also accepts the full tree's PyTreeDef.
    assert mtu.flatten_prefix(prefix, mtu.tree_structure(full)) == expected
    # Same as JAX's broadcasting with None as a leaf of the prefix.
    is_none = lambda x: x is None
    jb = jtu.tree_broadcast(prefix, full, is_leaf=is_none)
    mb = mtu.tree_broadcast(prefix, full, is_leaf=is_none)
    assert mtu.tree_leaves(mb, is_leaf=is_none) == jtu.tree_leaves(jb, is_leaf=is_none)


@pytest.mark.parametrize(
    "prefix, full",
    [
        ((0, 0), (1,)),
        ((0, 0), [1, 2]),
        ({"a": 0}, {"b": 1}),
        ((0, (0, 0)), (1, 2)),
        ((0, None), None),
        ([0], 1),
    ],
)
def test_flatten_prefix_not_prefix(prefix, full):
    with pytest.raises(ValueError, match="must be a tree prefix of"):
        mtu.flatten_prefix(prefix, full)
    with pytest.raises(ValueError, match="must be a tree prefix of"):
        mtu.flatten_prefix(prefix, mtu.tree_structure(full))
    with pytest.raises(ValueError) as err:
        mtu.flatten_prefix(prefix, full, name="vmap in_axes")
    assert "vmap in_axes" in str(err.value)
    assert repr(mtu.tree_structure(full)) in str(err.value)
