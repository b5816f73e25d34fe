"""``jax.tree``: the pytree functions of :mod:`mirax.tree_util` under short names."""

import dataclasses

from mirax.tree_util import tree_all as all  # noqa: A004  (JAX's names)
from mirax.tree_util import tree_broadcast as broadcast
from mirax.tree_util import tree_flatten as flatten
from mirax.tree_util import tree_flatten_with_path as flatten_with_path
from mirax.tree_util import tree_leaves as leaves
from mirax.tree_util import tree_leaves_with_path as leaves_with_path
from mirax.tree_util import tree_map as map  # noqa: A004
from mirax.tree_util import tree_map_with_path as map_with_path
from mirax.tree_util import tree_reduce as reduce
from mirax.tree_util import tree_reduce_associative as reduce_associative
from mirax.tree_util import tree_structure as structure
from mirax.tree_util import tree_transpose as transpose
from mirax.tree_util import tree_unflatten as unflatten

__all__ = ["all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path",
           "map", "map_with_path", "reduce", "reduce_associative", "static", "structure",
           "transpose", "unflatten"]


def static(**kwargs):
    """A ``dataclasses.field`` marked static for :func:`mirax.tree_util.register_dataclass`."""
    metadata = {"static": True, **(kwargs.pop("metadata", {}) or {})}
    return dataclasses.field(metadata=metadata, **kwargs)
