"""The mirax dialect and the base class of its ops.

An op declares its operands, its attributes ("params", each with a codec between
a Python value and an MLIR attribute) and a type rule `infer(*operand_types,
**params)` over ShapedTypes. The same rule verifies parsed IR and gives the
result types when code builds the op, so the two never disagree.
"""
from typing import Any, NamedTuple, Sequence

import numpy as np

from mirax.mlir import ext, ir

from . import ops
from .ops import as_tuple, build  # noqa: F401  (importable from here, as before)
from .rules import Node
from .types import ShapedType, dtype_of, element_type, shaped_type, tensor_type


class Mirax(ext.Dialect, name="mirax"):
    pass


class Codec(NamedTuple):
    """How one kind of param is stored as an MLIR attribute."""

    encode: Any
    decode: Any


ints = Codec(
    lambda v: ir.DenseI64ArrayAttr.get([int(i) for i in v]),
    lambda a: tuple(ir.DenseI64ArrayAttr(a)),
)
int_ = Codec(
    lambda v: ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(v)),
    lambda a: ir.IntegerAttr(a).value,
)
string = Codec(ir.StringAttr.get, lambda a: ir.StringAttr(a).value)
bool_ = Codec(ir.BoolAttr.get, lambda a: ir.BoolAttr(a).value)

dtype_ = Codec(lambda d: ir.TypeAttr.get(element_type(d)), lambda a: dtype_of(ir.TypeAttr(a).value))

def _encode_dense(value):
    value = np.asarray(value, order="C")
    return ir.DenseElementsAttr.get(value, type=tensor_type(ShapedType(value.shape, value.dtype)))


def _decode_dense(attr):
    attr = ir.DenseElementsAttr(attr)
    type_ = shaped_type(attr.type)
    try:
        return np.frombuffer(bytes(memoryview(attr)), dtype=type_.dtype).reshape(type_.shape).copy()
    except BufferError:  # bf16 and complex have no buffer view; their splats have a value
        if not attr.is_splat:
            raise TypeError(f"only splat {type_.dtype.name} constants are supported") from None
        value = attr.get_splat_value()
        scalar = complex(value[0].value, value[1].value) if type_.dtype.kind == "c" else value.value
        return np.full(type_.shape, scalar, type_.dtype)


elements = Codec(_encode_dense, _decode_dense)


class MiraxOp(Mirax.Operation):
    """Base of every mirax op. Subclasses are declared as

        class AddOp(MiraxOp, name="add", operands=("lhs", "rhs")):
            infer = staticmethod(same_type)

    with `params={"axes": ints}` for attributes, `variadic=True` for an op
    taking any number of operands and `superlinear=True` for one whose work grows
    faster than its operands (contractions, factorizations: eager ops compile it
    optimized at once).
    """

    params = {}
    superlinear = False

    def __init_subclass__(cls, *, operands=(), variadic=False, params=None, results=1, superlinear=False, **kwargs):
        if "name" in kwargs:
            cls.params = dict(params or {})
            cls.superlinear = superlinear
            cls.num_results = results
            cls.num_operands = None if variadic else len(operands)
            notes = {}
            if variadic:
                notes["inputs"] = Sequence[ext.Operand[Any]]
            for name in operands:
                notes[name] = ext.Operand[Any]
            for name in cls.params:
                notes[name] = Any
            for i in range(results):
                notes["result" if results == 1 else f"result{i}"] = ext.Result[Any]
            cls.__annotations__ = notes
        kwargs.setdefault("traits", [ext.Pure])
        super().__init_subclass__(**kwargs)
        if "name" in kwargs:
            ops.define(cls)

    @staticmethod
    def infer(*operand_types, **params):
        raise NotImplementedError

    def param_values(self):
        attrs = self.operation.attributes
        out = {}
        for name, codec in self.params.items():
            if name not in attrs:
                raise TypeError(f"requires attribute '{name}'")
            try:
                out[name] = codec.decode(attrs[name])
            except (ValueError, TypeError) as err:
                raise TypeError(f"attribute '{name}' cannot be read: {err}") from None
        return out

    def verify_invariants(self):
        with self.operation.context, self.location:
            return self._verify()

    def _verify(self):
        count = len(self.operation.operands)
        if self.num_operands is not None and count != self.num_operands:
            self.location.emit_error(f"'{self.OPERATION_NAME}' op expects {self.num_operands} operands, got {count}")
            return False
        try:
            operand_types = [shaped_type(v.type) for v in self.operation.operands]
            inferred = as_tuple(self.infer(*operand_types, **self.param_values()))
            declared = tuple(shaped_type(r.type) for r in self.operation.results)
        except (TypeError, ValueError) as err:
            self.location.emit_error(f"'{self.OPERATION_NAME}' op {err}")
            return False
        if inferred != declared:
            want = ", ".join(str(tensor_type(t)) for t in inferred)
            got = ", ".join(str(tensor_type(t)) for t in declared)
            self.location.emit_error(
                f"'{self.OPERATION_NAME}' op result type {got} does not match the inferred type {want}"
            )
            return False
        return True


def node_of(op):
    """What a rule sees of `op` besides its operand values (a rules.Node)."""
    operation = op.operation
    return Node(
        operation.name,
        params_of(op),
        tuple(shaped_type(v.type) for v in operation.operands),
        tuple(shaped_type(r.type) for r in operation.results),
        op.location,
    )


def params_of(op):
    """The Python params of a generic ir.Operation or OpView of a mirax op."""
    return op.opview.param_values() if isinstance(op, ir.Operation) else op.param_values()
