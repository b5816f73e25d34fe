"""The rule tables, one per way of reading a program, keyed by op name ("mirax.add").

Every rule in a table has the same signature:

- `lowering[name](node, *operands) -> list[ir.Value]` emits linalg/tensor/arith/math/
  complex code for one op at the current insertion point; `node` is a `Node`
  (the op's params and operand/result ShapedTypes), `operands` are the converted
  (signless) values.

The autodiff and vmap issues add `jvp`, `transpose` and `batching` tables here.
"""
from typing import Any, NamedTuple

lowering = {}


class Node(NamedTuple):
    """What a rule sees of one op besides its operand values."""

    name: str
    params: dict
    in_types: tuple  # ShapedType per operand
    out_types: tuple  # ShapedType per result
    location: Any = None
