"""Pytree utilities: a pure-Python implementation of ``jax.tree_util``.

A *pytree* is a nested structure of container nodes (tuples, lists, dicts,
``None``, namedtuples, ``OrderedDict``, ``defaultdict``, :class:`Partial` and
user-registered types) whose non-container elements are *leaves*.  Flattening
a pytree yields a flat list of leaves and a :class:`PyTreeDef` describing the
structure; the semantics (leaf order, dict key sorting, ``None`` handling,
``repr`` of tree definitions, key paths) follow JAX.

Only the standard library is used.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import functools
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, TypeVar

__all__ = [
    "PyTreeDef",
    "tree_flatten",
    "tree_unflatten",
    "tree_leaves",
    "tree_structure",
    "tree_map",
    "tree_all",
    "tree_reduce",
    "tree_transpose",
    "tree_broadcast",
    "tree_reduce_associative",
    "default_registry",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "is_tree_node",
    "register_dataclass",
    "register_static",
    "treedef_is_leaf",
    "treedef_children",
    "treedef_tuple",
    "all_leaves",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "tree_flatten_with_path",
    "tree_leaves_with_path",
    "tree_map_with_path",
    "keystr",
    "SequenceKey",
    "DictKey",
    "GetAttrKey",
    "FlattenedIndexKey",
    "Partial",
    "flatten_prefix",
]


# ---------------------------------------------------------------------------
# Key path entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceKey:
    """Key of a child of a sequence node (tuple, list): ``[idx]``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclass(frozen=True)
class DictKey:
    """Key of a child of a mapping node: ``[key]``."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclass(frozen=True)
class GetAttrKey:
    """Key of an attribute child (namedtuple fields): ``.name``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclass(frozen=True)
class FlattenedIndexKey:
    """Position of a child of a custom node registered without keys."""

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry = TypeVar("KeyEntry", bound=Any)  # JAX's: a key path's entry
KeyPath = tuple


def _simple_entrystr(key: Any) -> str:
    if isinstance(key, SequenceKey):
        return str(key.idx)
    if isinstance(key, DictKey):
        return str(key.key)
    if isinstance(key, GetAttrKey):
        return str(key.name)
    if isinstance(key, FlattenedIndexKey):
        return str(key.key)
    return str(key)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Pretty-prints a key path, e.g. ``[0]['a'].x``."""
    str_fn = _simple_entrystr if simple else str
    return separator.join(map(str_fn, keys))


# ---------------------------------------------------------------------------
# Node registry
# ---------------------------------------------------------------------------


class _NodeKind:
    """How to flatten/unflatten one node type.

    ``flatten(x) -> (children, aux)``; ``unflatten(aux, children) -> x``;
    ``flatten_with_keys(x) -> ([(key, child), ...], aux)`` or None;
    ``child_keys(aux, n) -> [key, ...]`` gives keys from the structure alone
    (used for paths in error messages and with-path flattening fallbacks).
    ``style`` selects the repr: "tuple", "list", "dict", "none", "custom".
    """

    __slots__ = ("type", "flatten", "unflatten", "flatten_with_keys",
                 "child_keys", "style", "label")

    def __init__(self, type_, flatten, unflatten, *, flatten_with_keys=None,
                 child_keys=None, style="custom", label=None):
        self.type = type_
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys
        self.child_keys = child_keys or (
            lambda aux, n: [FlattenedIndexKey(i) for i in range(n)])
        self.style = style
        self.label = label if label is not None else type_.__name__


_registry: dict[type, _NodeKind] = {}
_namedtuple_kinds: dict[type, _NodeKind] = {}


def _sorted_keys(d) -> list:
    try:
        return sorted(d)
    except TypeError as e:
        raise ValueError(
            "Comparator raised exception while sorting pytree dictionary keys."
        ) from e


def _seq_keys(aux, n):
    return [SequenceKey(i) for i in range(n)]


def _dict_flatten(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], tuple(keys)


def _ordereddict_flatten(d):
    keys = tuple(d.keys())
    return [d[k] for k in keys], keys


def _defaultdict_flatten(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, tuple(keys))


def _register_builtin(kind: _NodeKind) -> None:
    _registry[kind.type] = kind


_register_builtin(_NodeKind(
    tuple, lambda t: (t, None), lambda aux, ch: tuple(ch),
    child_keys=_seq_keys, style="tuple"))
_register_builtin(_NodeKind(
    list, lambda l: (l, None), lambda aux, ch: list(ch),
    child_keys=_seq_keys, style="list"))
_register_builtin(_NodeKind(
    dict, _dict_flatten, lambda keys, ch: dict(zip(keys, ch)),
    child_keys=lambda keys, n: [DictKey(k) for k in keys], style="dict"))
_register_builtin(_NodeKind(
    type(None), lambda _: ((), None), lambda aux, ch: None, style="none"))
_register_builtin(_NodeKind(
    collections.OrderedDict, _ordereddict_flatten,
    lambda keys, ch: collections.OrderedDict(zip(keys, ch)),
    child_keys=lambda keys, n: [DictKey(k) for k in keys]))
_register_builtin(_NodeKind(
    collections.defaultdict, _defaultdict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch)),
    child_keys=lambda aux, n: [DictKey(k) for k in aux[1]]))


def _namedtuple_kind(cls: type) -> _NodeKind:
    kind = _namedtuple_kinds.get(cls)
    if kind is None:
        kind = _NodeKind(
            cls, lambda t: (tuple(t), None), lambda aux, ch: cls(*ch),
            child_keys=lambda aux, n: [GetAttrKey(f) for f in cls._fields],
            label=f"namedtuple[{cls.__name__}]")
        _namedtuple_kinds[cls] = kind
    return kind


def _kind_of_type(t: type) -> _NodeKind | None:
    """Returns the node kind of type ``t``, or None if its values are leaves."""
    kind = _registry.get(t)
    if kind is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        kind = _namedtuple_kind(t)
    return kind


def _lookup(x) -> _NodeKind | None:
    """Returns the node kind of ``x``, or None if ``x`` is a leaf."""
    return _kind_of_type(type(x))


def is_tree_node(typ: type) -> bool:
    """True if ``typ`` is a registered node type (built-in, custom or a namedtuple)."""
    return _kind_of_type(typ) is not None


def _check_unregistered(nodetype: type) -> None:
    if nodetype in _registry:
        raise ValueError(
            f"Duplicate custom PyTreeDef type registration for {nodetype}.")


def register_pytree_node(nodetype: type, flatten_func: Callable,
                         unflatten_func: Callable,
                         flatten_with_keys_func: Callable | None = None) -> None:
    """Registers ``nodetype`` as a pytree node.

    ``flatten_func(x) -> (children, aux_data)`` and
    ``unflatten_func(aux_data, children) -> x``; ``aux_data`` must be hashable
    and comparable with ``==``.  ``flatten_with_keys_func(x) ->
    ([(key, child), ...], aux_data)`` optionally provides key paths.
    """
    _check_unregistered(nodetype)
    _registry[nodetype] = _NodeKind(
        nodetype, flatten_func, unflatten_func,
        flatten_with_keys=flatten_with_keys_func)


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable,
                              unflatten_func: Callable,
                              flatten_func: Callable | None = None) -> None:
    """Registers ``nodetype`` with a key-aware flatten function."""
    if flatten_func is None:
        def flatten_func(x):
            key_children, aux = flatten_with_keys(x)
            return [c for _, c in key_children], aux
    register_pytree_node(nodetype, flatten_func, unflatten_func,
                         flatten_with_keys)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: registers ``cls`` via its ``tree_flatten`` method and
    ``tree_unflatten`` classmethod."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: like :func:`register_pytree_node_class` but uses the
    ``tree_flatten_with_keys`` method for key paths."""
    flatten_func = (
        (lambda x: x.tree_flatten()) if hasattr(cls, "tree_flatten") else None)
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(),
                              cls.tree_unflatten, flatten_func)
    return cls


def register_static(cls: type) -> type:
    """Registers ``cls`` as a node with no children: its instances are aux data."""
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def register_dataclass(nodetype: type, data_fields=None, meta_fields=None,
                       drop_fields=()) -> type:
    """Registers a dataclass-like ``nodetype``: ``data_fields`` are its children
    (keyed ``.name``), ``meta_fields`` its aux data; for a dataclass they default
    to its fields, those with ``metadata={'static': True}`` being meta fields."""
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError(
                "register_dataclass: data_fields and meta_fields must both be "
                f"specified when either is specified. Got {data_fields=} "
                f"{meta_fields=}.")
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                "register_dataclass: data_fields and meta_fields are required "
                f"when nodetype is not a dataclass. Got {nodetype=}.")
        fields = dataclasses.fields(nodetype)
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    # Tuples: the closures below must not see later changes to the caller's lists.
    meta_fields, data_fields = tuple(meta_fields), tuple(data_fields)
    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init}
        init_fields.difference_update(drop_fields)
        if {*meta_fields, *data_fields} != init_fields:
            msg = ("data_fields and meta_fields must include all dataclass "
                   "fields with ``init=True`` and only them.")
            if missing := init_fields - {*meta_fields, *data_fields}:
                msg += (f" Missing fields: {missing}. Add them to drop_fields "
                        "to suppress this error.")
            if unexpected := {*meta_fields, *data_fields} - init_fields:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)
    if overlap := set(data_fields) & set(meta_fields):
        raise ValueError("data_fields and meta_fields must not overlap. "
                         f"Overlapping fields: {overlap}.")

    def flatten_with_keys(x):
        return ([(GetAttrKey(n), getattr(x, n)) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        return nodetype(**dict(zip(meta_fields, meta, strict=True)),
                        **dict(zip(data_fields, data, strict=True)))

    register_pytree_with_keys(nodetype, flatten_with_keys, unflatten)
    return nodetype


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------


def _aux_eq(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception as e:  # e.g. ambiguous array comparisons: JAX's error
        raise ValueError(
            "Exception raised while checking equality of metadata fields of "
            "pytree. Make sure that metadata fields are hashable and have "
            "simple equality semantics. (Note: arrays cannot be passed as "
            "metadata fields!)") from e


class PyTreeDef:
    """Immutable description of a pytree's structure (a tree of node kinds
    with ``*`` in place of leaves).  Hashable and comparable with ``==``."""

    __slots__ = ("_kind", "_aux", "_children", "num_leaves", "num_nodes",
                 "_hash")

    def __init__(self, kind: _NodeKind | None, aux: Any,
                 children: tuple[PyTreeDef, ...]):
        self._kind = kind  # None for a leaf
        self._aux = aux
        self._children = children
        if kind is None:
            self.num_leaves = 1
            self.num_nodes = 1
        else:
            self.num_leaves = sum(c.num_leaves for c in children)
            self.num_nodes = 1 + sum(c.num_nodes for c in children)
        self._hash = None

    # -- structure queries -------------------------------------------------

    def children(self) -> list[PyTreeDef]:
        return list(self._children)

    def node_data(self):
        """``(node_type, aux_data)`` of the root node, or None for a leaf."""
        if self._kind is None:
            return None
        aux = self._aux
        if self._kind.type is dict:
            aux = list(aux)
        return (self._kind.type, aux)

    def from_node_data_and_children(self, registry, node_data, children) -> PyTreeDef:
        """The treedef with root ``node_data`` (as :meth:`node_data` gives it, None
        for a leaf) and subtrees ``children``; ``registry`` is ``default_registry``."""
        if node_data is None:
            return _LEAF
        node_type, aux = node_data
        kind = _kind_of_type(node_type)
        return PyTreeDef(kind, tuple(aux) if node_type is dict else aux, tuple(children))

    def walk(self, f_node, f_leaf, leaves):
        """``f_leaf`` (None: identity) on each of ``leaves`` in its place, and
        ``f_node(results of the children, aux data)`` at each node, bottom up."""
        it = iter(leaves)

        def go(td):
            if td._kind is None:
                x = next(it)
                return x if f_leaf is None else f_leaf(x)
            return f_node(tuple(go(c) for c in td._children), _one_level_aux(td._kind, td.node_data()[1]))
        return go(self)

    def _child_keys(self) -> list:
        return list(self._kind.child_keys(self._aux, len(self._children)))

    # -- unflattening ------------------------------------------------------

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Builds a pytree with this structure from a flat list of leaves."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            if len(leaves) < self.num_leaves:
                raise ValueError(
                    f"Too few leaves for PyTreeDef; expected {self.num_leaves},"
                    f" got {len(leaves)}")
            raise ValueError(
                f"Too many leaves for PyTreeDef; expected {self.num_leaves}.")
        return self._build(iter(leaves))

    def _build(self, it):
        if self._kind is None:
            return next(it)
        children = tuple(c._build(it) for c in self._children)
        return self._kind.unflatten(self._aux, children)

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flattens ``tree`` up to this structure: returns one subtree of
        ``tree`` for each leaf of ``self``.  Raises ValueError if ``self`` is
        not a prefix of ``tree``'s structure."""
        out: list[Any] = []
        try:
            _up_to(self, tree, (), out, full_is_def=False)
        except _Mismatch as m:
            raise ValueError(m.jax_message() or
                             f"Tree structure mismatch at key path {m.where()}: {m.detail}."
                             f"\n  expected structure: {self}"
                             f"\n  got structure:      {tree_structure(tree)}") from None
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """Replaces every leaf of ``self`` with ``inner``."""
        if self._kind is None:
            return inner
        return PyTreeDef(self._kind, self._aux,
                         tuple(c.compose(inner) for c in self._children))

    # -- comparison / hashing ----------------------------------------------

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if (self._kind is None) != (other._kind is None):
            return False
        if self._kind is not None and self._kind.type is not other._kind.type:
            return False
        return (self.num_nodes == other.num_nodes
                and len(self._children) == len(other._children)
                and _aux_eq(self._aux, other._aux)
                and all(a == b for a, b in zip(self._children, other._children)))

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # As JAX's, the hash leaves out the aux data, which is compared by
        # equality only: aux data need not be hashable (a dict, a list).
        if self._hash is None:
            ty = None if self._kind is None else self._kind.type
            self._hash = hash((ty, self._children))
        return self._hash

    # -- printing ------------------------------------------------------------

    def _str(self) -> str:
        kind = self._kind
        if kind is None:
            return "*"
        ch = [c._str() for c in self._children]
        style = kind.style
        if style == "tuple":
            return "(" + ", ".join(ch) + ("," if len(ch) == 1 else "") + ")"
        if style == "list":
            return "[" + ", ".join(ch) + "]"
        if style == "dict":
            return "{" + ", ".join(
                f"{k!r}: {c}" for k, c in zip(self._aux, ch)) + "}"
        if style == "none":
            return "None"
        if kind.label.startswith("namedtuple["):
            head = kind.label
        else:
            head = f"{kind.label}[{self._aux}]"
        return f"CustomNode({head}, [{', '.join(ch)}])"

    def __repr__(self) -> str:
        return f"PyTreeDef({self._str()})"

    __str__ = __repr__


_LEAF = PyTreeDef(None, None, ())


def _node_desc(kind: _NodeKind, aux: Any, n: int) -> str:
    """Human-readable description of one node, for error messages."""
    if kind.style == "none":
        return "None"
    if kind.style in ("tuple", "list"):
        return f"a {kind.type.__name__} of length {n}"
    if kind.style == "dict":
        return f"a dict with keys {list(aux)!r}"
    return f"a {kind.label} node with {n} children and aux data {aux!r}"


class _Mismatch(Exception):
    def __init__(self, path, detail, td=None, full=None, aux=None):
        super().__init__(detail)
        self.path = path
        self.detail = detail
        # The node expected there, the subtree found and its aux data.
        self.td, self.full, self.aux = td, full, aux

    def jax_message(self) -> str | None:
        """jaxlib's flatten_up_to message for a value's mismatch, where it has one."""
        kind, full = self.td._kind, self.full
        arity = len(self.td._children)
        if kind.style in ("tuple", "list"):
            if type(full) is not kind.type:
                return f"Expected {kind.type.__name__}, got {full!r}."
            return (f"{kind.type.__name__.capitalize()} arity mismatch: {len(full)} != {arity}; "
                    f"{kind.type.__name__}: {full!r}.")
        if kind.style == "dict":
            if type(full) is not dict:
                return f"Expected dict, got {full!r}."
            return (f"Dict key mismatch; expected keys: {list(self.td._aux)!r}; "
                    f"present keys: {_sorted_keys(full)!r}.")
        if kind.style == "none":
            return (f"Expected None, got {full!r}.\n\nIn previous releases of JAX, flatten-up-to used to "
                    "consider None to be a tree-prefix of non-None values. To obtain the previous behavior, "
                    "you can usually write:\n  jax.tree.map(lambda x, y: None if x is None else f(x, y), a, b, "
                    "is_leaf=lambda x: x is None)")
        if kind is _namedtuple_kinds.get(kind.type):
            return f"Expected named tuple, got {full!r}." if type(full) is not kind.type else None
        if type(full) is not kind.type:
            return f"Custom node type mismatch: expected type: {kind.type}, value: {full!r}."
        if not _aux_eq(self.aux, self.td._aux):
            return f"Mismatch custom node data: {self.td._aux!r} != {self.aux!r}; value: {full!r}."
        return None

    def where(self) -> str:
        return keystr(self.path) or "<root>"


def _up_to(td: PyTreeDef, full: Any, path: tuple, out: list,
           full_is_def: bool) -> None:
    """Walks ``td`` and ``full`` in parallel, appending to ``out`` the
    subtree of ``full`` (a value, or a PyTreeDef when ``full_is_def``) found
    at each leaf of ``td``.  Raises _Mismatch if ``td`` is not a prefix."""
    if td._kind is None:
        out.append(full)
        return
    if full_is_def:
        kind, aux, children = full._kind, full._aux, full._children
    else:
        kind = _lookup(full)
        if kind is None:
            aux, children = None, ()
        else:
            children, aux = kind.flatten(full)
            children = tuple(children)
    if (kind is None or kind.type is not td._kind.type
            or len(children) != len(td._children)
            or not _aux_eq(aux, td._aux)):
        if kind is None:
            got = ("a leaf" if full_is_def
                   else f"a leaf of type {type(full).__name__}")
        else:
            got = _node_desc(kind, aux, len(children))
        want = _node_desc(td._kind, td._aux, len(td._children))
        raise _Mismatch(path, f"expected {want}, got {got}", td, full, aux)
    for key, sub_td, sub in zip(td._child_keys(), td._children, children,
                                strict=True):
        _up_to(sub_td, sub, path + (key,), out, full_is_def)


# ---------------------------------------------------------------------------
# Flattening
# ---------------------------------------------------------------------------


def _flatten(x, is_leaf, leaves: list) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    kind = _lookup(x)
    if kind is None:
        leaves.append(x)
        return _LEAF
    children, aux = kind.flatten(x)
    return PyTreeDef(kind, aux,
                     tuple(_flatten(c, is_leaf, leaves) for c in children))


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    """Flattens a pytree into ``(leaves, treedef)``.

    ``is_leaf(x)`` returning True stops the traversal at ``x`` (which becomes
    a leaf), including for ``None``.
    """
    leaves: list[Any] = []
    treedef = _flatten(tree, is_leaf, leaves)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Reconstructs a pytree from a treedef and a flat list of leaves."""
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                ) -> list[Any]:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                   ) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def all_leaves(iterable: Iterable[Any],
               is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every element of ``iterable`` is a leaf."""
    if is_leaf is None:
        return all(_lookup(x) is None for x in iterable)
    return all(tree_structure(x, is_leaf) == _LEAF for x in iterable)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True if ``treedef`` has a single node (a leaf, or e.g. ``None``)."""
    return treedef.num_nodes == 1


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The treedef of a tuple whose children have the given treedefs."""
    return PyTreeDef(_registry[tuple], None, tuple(treedefs))


def _node_kind(tree: Any) -> _NodeKind:
    kind = _lookup(tree)
    if kind is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return kind


def _one_level_aux(kind: _NodeKind, aux: Any) -> Any:
    # A namedtuple's aux data is its class here, as JAX's, though its treedef has none.
    return kind.type if kind is _namedtuple_kinds.get(kind.type) else aux


def flatten_one_level(tree: Any) -> tuple[Iterable[Any], Hashable]:
    """``(children, aux_data)`` of the node ``tree``."""
    kind = _node_kind(tree)
    children, aux = kind.flatten(tree)
    return children, _one_level_aux(kind, aux)


def _keyed_children(kind: _NodeKind, tree: Any) -> tuple[list[tuple[Any, Any]], Any]:
    """``([(key, child), ...], aux_data)`` of ``tree``, a node of ``kind``."""
    if kind.flatten_with_keys is not None:
        key_children, aux = kind.flatten_with_keys(tree)
        return list(key_children), aux
    children, aux = kind.flatten(tree)
    children = list(children)
    return list(zip(kind.child_keys(aux, len(children)), children, strict=True)), aux


def flatten_one_level_with_keys(tree: Any) -> tuple[list[tuple[Any, Any]], Hashable]:
    """``([(key, child), ...], aux_data)`` of the node ``tree``."""
    kind = _node_kind(tree)
    key_children, aux = _keyed_children(kind, tree)
    return key_children, _one_level_aux(kind, aux)


def _prefix_error(key_path: tuple, prefix_tree: Any, full_tree: Any,
                  is_leaf: Callable[[Any], bool] | None = None):
    """Yields, for the first place where ``prefix_tree`` is not a prefix of
    ``full_tree``, a function of the tree's name making JAX's ValueError."""
    if tree_structure(prefix_tree, is_leaf) == _LEAF:
        return  # a leaf is a prefix of any tree
    if type(prefix_tree) != type(full_tree):
        yield lambda name: ValueError(
            "pytree structure error: different types at key path\n"
            f"    {name}{keystr(key_path)}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {type(prefix_tree)}\n"
            f"but at the same key path the full pytree has a subtree of different type\n"
            f"    {type(full_tree)}.")
        return
    prefix_children, prefix_meta = flatten_one_level(prefix_tree)
    full_children, full_meta = flatten_one_level(full_tree)
    prefix_children, full_children = tuple(prefix_children), tuple(full_children)
    prefix_keys = [k for k, _ in flatten_one_level_with_keys(prefix_tree)[0]]
    full_keys = [k for k, _ in flatten_one_level_with_keys(full_tree)[0]]
    if isinstance(prefix_tree, (list, tuple)):
        if len(prefix_tree) != len(full_tree):
            ty = type(prefix_tree).__name__
            yield lambda name: ValueError(
                f"pytree structure error: different lengths of {ty} at key path\n"
                f"    {name}{keystr(key_path)}\n"
                f"At that key path, the prefix pytree {name} has a subtree of type "
                f"{ty} of length {len(prefix_tree)}, but the full pytree "
                f"has a subtree of the same type but of length {len(full_tree)}.")
            return
    elif len(prefix_children) != len(full_children):
        try:
            diff = set(prefix_keys).symmetric_difference(set(full_keys))
        except TypeError:  # unhashable keys
            diff = None
        yield lambda name: ValueError(
            "pytree structure error: different numbers of pytree children at key path\n"
            f"    {name}{keystr(key_path)}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {type(prefix_tree)}\n"
            f"with {len(prefix_children)} child keys\n"
            f"    {' '.join(str(k.key) for k in prefix_keys)}\n"
            f"but at the same key path the full pytree has a subtree of the same "
            f"type but with {len(full_children)} child keys\n"
            f"    {' '.join(str(k.key) for k in full_keys)}\n"
            + ("" if diff is None else
               f"so the symmetric difference on key sets is\n"
               f"    {' '.join(str(k.key) for k in diff)}"))
        return
    if not _aux_eq(prefix_meta, full_meta):
        prefix_str, full_str = str(prefix_meta), str(full_meta)
        meta_diff = textwrap.indent("\n".join(difflib.ndiff(
            prefix_str.splitlines(), full_str.splitlines())), prefix="    ")
        yield lambda name: ValueError(
            "pytree structure error: different pytree metadata at key path\n"
            f"    {name}{keystr(key_path)}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {type(prefix_tree)}\n"
            f"with metadata\n"
            f"    {prefix_str}\n"
            f"but at the same key path the full pytree has a subtree of the same "
            f"type but with metadata\n"
            f"    {full_str}\n"
            f"so the diff in the metadata at these pytree nodes is\n"
            f"{meta_diff}")
        return
    # As JAX's, is_leaf applies at the root only.
    for k, t1, t2 in zip(prefix_keys, prefix_children, full_children, strict=True):
        yield from _prefix_error((*key_path, k), t1, t2)


def _flatten_rest(treedef: PyTreeDef, tree: Any, rest: tuple, name: str,
                  is_leaf: Callable[[Any], bool] | None) -> list[list[Any]]:
    """For each tree of ``rest``, its subtrees at the leaves of ``treedef``
    (the structure of ``tree``), raising JAX's error naming ``name``."""
    out = []
    for r in rest:
        subs: list[Any] = []
        try:
            _up_to(treedef, r, (), subs, full_is_def=False)
        except _Mismatch as m:
            err = next(_prefix_error((), tree, r, is_leaf), None)
            if err is not None:
                raise err(name) from None
            raise ValueError(  # is_leaf stopped at a node _prefix_error walks
                f"Tree structure mismatch at key path {m.where()}: {m.detail}."
                f"\n  expected structure: {treedef}"
                f"\n  got structure:      {tree_structure(r)}") from None
        out.append(subs)
    return out


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Maps ``f`` over the leaves of ``tree`` (and corresponding subtrees of
    ``rest``, which must have ``tree``'s structure, or have it as a prefix).
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves_ = [leaves] + _flatten_rest(treedef, tree, rest, "tree_map tree", is_leaf)
    return treedef.unflatten(f(*xs) for xs in zip(*all_leaves_, strict=True))


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None
             ) -> bool:
    return all(tree_leaves(tree, is_leaf))


class _NoInitializer:
    def __repr__(self):
        return "<no initializer>"


_NO_INIT = _NoInitializer()


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any,
                initializer: Any = _NO_INIT,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INIT:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation: Callable[[Any, Any], Any], tree: Any, *,
                            identity: Any = _NO_INIT,
                            is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Reduces the leaves pairwise, as a balanced tree of ``operation`` calls."""
    def reduce(seq):
        if not seq:
            if identity is _NO_INIT:
                raise TypeError("Must specify identity for parallel reduction of empty sequence.")
            return identity
        if len(seq) == 1:
            return seq[0]
        return operation(reduce(seq[:len(seq) // 2]), reduce(seq[len(seq) // 2:]))
    return reduce(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turns an outer-of-inner pytree into an inner-of-outer pytree."""
    flat, treedef = tree_flatten(pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = tree_structure(outer_treedef.flatten_up_to(
            pytree_to_transpose)[0])
    inner_size = inner_treedef.num_leaves
    outer_size = outer_treedef.num_leaves
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(f"Mismatch\n{treedef}\n != \n{expected}")
    lol = [flat[i * inner_size:(i + 1) * inner_size] for i in range(outer_size)]
    subtrees = [outer_treedef.unflatten(col) for col in zip(*lol, strict=True)]
    return inner_treedef.unflatten(subtrees)


def tree_broadcast(prefix_tree: Any, full_tree: Any,
                   is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Broadcasts the leaves of ``prefix_tree`` over ``full_tree``'s structure.
    """
    leaves, prefix_def = tree_flatten(prefix_tree, is_leaf)
    # As JAX's, the error ignores is_leaf.
    subs = _flatten_rest(prefix_def, prefix_tree, (full_tree,),
                         "broadcast_prefix prefix_tree", None)[0]
    out = []
    for x, sub in zip(leaves, subs, strict=True):
        out.extend([x] * tree_structure(sub).num_leaves)
    return tree_structure(full_tree).unflatten(out)


# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------


def _flatten_with_path(x, is_leaf, path, out: list) -> PyTreeDef:
    if (is_leaf is not None and is_leaf(path, x)) or _lookup(x) is None:
        out.append((path, x))
        return _LEAF
    kind = _lookup(x)
    key_children, aux = _keyed_children(kind, x)
    return PyTreeDef(kind, aux, tuple(
        _flatten_with_path(c, is_leaf, path + (k,), out) for k, c in key_children))


def tree_flatten_with_path(tree: Any,
                           is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False,
                           ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Like :func:`tree_flatten`, but each leaf comes with its key path;
    ``is_leaf(path, x)`` if ``is_leaf_takes_path``, else ``is_leaf(x)``."""
    if is_leaf is not None and not is_leaf_takes_path:
        is_leaf = functools.partial(lambda f, _, x: f(x), is_leaf)
    out: list[tuple[KeyPath, Any]] = []
    treedef = _flatten_with_path(tree, is_leaf, (), out)
    return out, treedef


def tree_leaves_with_path(tree: Any,
                          is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False,
                          ) -> list[tuple[KeyPath, Any]]:
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """Like :func:`tree_map`, but ``f(path, *leaves)`` also gets the path."""
    path_leaves, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    paths = [p for p, _ in path_leaves]
    leaves = [x for _, x in path_leaves]
    rest_leaves = _flatten_rest(treedef, tree, rest, "tree_map_with_path tree", is_leaf)
    return treedef.unflatten(
        f(*xs) for xs in zip(paths, leaves, *rest_leaves, strict=True))


class _Registry:
    """``default_registry``: the one registry, with the methods of JAX's."""

    flatten = staticmethod(lambda tree, leaf_predicate=None: tree_flatten(tree, leaf_predicate))
    flatten_one_level = staticmethod(flatten_one_level)
    flatten_one_level_with_keys = staticmethod(flatten_one_level_with_keys)
    is_node = staticmethod(is_tree_node)
    register_node = staticmethod(register_pytree_node)

    @staticmethod
    def flatten_with_path(tree, leaf_predicate=None):
        return tree_flatten_with_path(tree, leaf_predicate, is_leaf_takes_path=True)

    @staticmethod
    def register_dataclass_node(type, data_fields, meta_fields):
        register_dataclass(type, data_fields, meta_fields)


default_registry = _Registry()


# ---------------------------------------------------------------------------
# Prefix trees (vmap in_axes and friends)
# ---------------------------------------------------------------------------


def flatten_prefix(prefix_tree: Any, full_tree: Any, *,
                   name: str = "prefix tree") -> list[Any]:
    """Broadcasts a prefix tree against a full tree.

    Returns a flat list with one entry per leaf of ``full_tree``: the prefix
    leaf governing that leaf.  In ``prefix_tree`` ``None`` is a leaf value
    (as for vmap's ``in_axes``); a prefix leaf applies to the whole subtree of
    ``full_tree`` at its position.  ``full_tree`` may also be given as a
    :class:`PyTreeDef`.  Raises ValueError if ``prefix_tree`` is not a tree
    prefix of ``full_tree``; ``name`` names the prefix in the message.
    """
    leaves, prefix_def = tree_flatten(prefix_tree, is_leaf=lambda x: x is None)
    full_is_def = isinstance(full_tree, PyTreeDef)
    subs: list[Any] = []
    try:
        _up_to(prefix_def, full_tree, (), subs, full_is_def)
    except _Mismatch as m:
        full_def = full_tree if full_is_def else tree_structure(full_tree)
        raise ValueError(
            f"{name} must be a tree prefix of the corresponding value, got "
            f"{name} {prefix_tree!r} for value tree {full_def} (mismatch at "
            f"key path {m.where()}: {m.detail}).") from None
    out: list[Any] = []
    for x, sub in zip(leaves, subs, strict=True):
        n = sub.num_leaves if full_is_def else tree_structure(sub).num_leaves
        out.extend([x] * n)
    return out


# ---------------------------------------------------------------------------
# Partial
# ---------------------------------------------------------------------------


class _HashableCallableShim:
    """Delegates ``__call__``, ``__hash__`` and ``__eq__`` to another callable.

    Used to stop ``functools.partial`` from merging a wrapped partial's
    arguments into a :class:`Partial`'s (they must stay static)."""

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, *args, **kw):
        return self.fun(*args, **kw)

    def __hash__(self):
        return hash(self.fun)

    def __eq__(self, other):
        if isinstance(other, _HashableCallableShim):
            return self.fun == other.fun
        return self.fun == other

    def __repr__(self):
        return f"_HashableCallableShim({self.fun!r})"


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree: its children are the bound
    positional arguments (a tuple) and keywords (a dict); the function is
    static auxiliary data."""

    def __new__(klass, func, *args, **kw):
        if isinstance(func, functools.partial):
            original = func
            func = _HashableCallableShim(original)
            out = super().__new__(klass, func, *args, **kw)
            func.func = original.func
            func.args = original.args
            func.keywords = original.keywords
            return out
        return super().__new__(klass, func, *args, **kw)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)
