"""The rule tables, one per way of reading a program, keyed by op name ("mirax.add").

Every rule in a table has the same signature:

- `lowering[name](node, *operands) -> list[ir.Value]` emits linalg/tensor/arith/math/
  complex code for one op at the current insertion point; `node` is a `Node`
  (the op's params and operand/result ShapedTypes), `operands` are the converted
  (signless) values.

- `jvp[name](node, primals, tangents) -> (primals_out, tangents_out)` emits the op on
  its primal values and the tangent of each result (forward mode). A tangent is an
  ir.Value or None, a symbolic zero: rules never materialize zeros they can skip.
  Ops with no derivative (comparisons, integer ops) give None tangents.

- `transpose[name](node, cotangents, operands, linear) -> cotangents` for ops linear in
  the operands where `linear` is true: given a cotangent per result (None: zero) and
  the values of the non-linear operands (None at linear positions), the cotangent of
  each operand (None for non-linear ones and zeros). Reverse mode transposes the
  linear part of a JVP with these.

- `batching[name](node, operands, dims, size) -> (results, dims_out)` emits the op on
  operands with a batch dimension of `size` elements: `dims` gives each operand's
  batch dimension (None: the operand is not batched and keeps its type); the rule
  returns the results and each result's batch dimension (None where unbatched).
  `node` describes the op as it was, without the batch dimension (mirax-vmap).
"""
from typing import Any, NamedTuple

lowering = {}
jvp = {}
transpose = {}
batching = {}


class Node(NamedTuple):
    """What a rule sees of one op besides its operand values."""

    name: str
    params: dict
    in_types: tuple  # ShapedType per operand
    out_types: tuple  # ShapedType per result
    location: Any = None
