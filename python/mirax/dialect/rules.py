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

- `constructs[attribute]` is a construct: a declared function that stands for control
  flow (dialect/control_flow/), custom derivative rules (custom_rules.py) or a host
  callback (host_callback.py), recognized by `attribute` on the function a func.call
  calls. A construct is a `Construct` with the rules it has (None: a pass treats the
  call as any call, or raises where it has no such treatment):

  - `callees(function) -> symbols` of the functions it calls (a declared function's
    completeness is theirs; without the rule: the calls of its body);
  - `depends(table, function, inputs) -> flags`: which results depend on the flagged
    inputs (without it: through its body);
  - `jvp(module, op, function, primals, tangents) -> (primals_out, tangents_out)`;
  - `partial_eval(module, op, function)`: mirax-linearize's, on a call of it in the
    JVP, before the primal and linear computations are split;
  - `transpose(module, op, function, cotangents, operands) -> cotangents`, as an op's;
  - `batch(module, op, function, operands, dims, size) -> (results, dims_out)`, as an op's;
  - `expand(module, function)`, `lower(module, function)`: mirax-to-linalg gives the
    function its body, in mirax ops before the ops are lowered, or after.

  `construct_of(function)` looks one up; why constructs are functions, not ops: the
  README's design notes.

The tables are `Table`s, which know whether a rule has been replaced since it was
registered (a test's monkeypatch): the persistent compilation cache keys programs by
their mirax text, which only says what the code is while every rule is the one its
source defines."""
from typing import Any, NamedTuple


class Table(dict):
    """A dict of rules that tracks, across all Tables, the entries now holding something
    other than what was first registered under their key (`edited()`)."""

    _first = {}  # (table id, key) -> the value first registered
    _replaced = set()  # (table id, key) of the entries that hold another value now

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.update(*args, **kwargs)

    def __setitem__(self, key, value):
        entry = (id(self), key)
        if self._first.setdefault(entry, value) is value:
            self._replaced.discard(entry)
        else:
            self._replaced.add(entry)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._replaced.add((id(self), key))
        super().__delitem__(key)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    @staticmethod
    def edited():
        """Whether some Table's entry holds another value than it was registered with."""
        return bool(Table._replaced)


lowering = Table()
jvp = Table()
transpose = Table()
batching = Table()
constructs = Table()


class Construct:
    """A construct's rules (see `constructs`); a subclass defines those it has."""

    attribute: str
    callees = depends = jvp = partial_eval = transpose = batch = expand = lower = None


def register(construct):
    constructs[construct.attribute] = construct


def construct_of(function):
    """The construct `function` (a func.func) is, or None."""
    return next((c for attribute, c in constructs.items() if attribute in function.attributes), None)


class Node(NamedTuple):
    """What a rule sees of one op besides its operand values."""

    name: str
    params: dict
    in_types: tuple  # ShapedType per operand
    out_types: tuple  # ShapedType per result
    location: Any = None
