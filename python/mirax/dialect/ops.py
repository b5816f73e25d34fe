"""Builders: one function per mirax op, named after it, that emits the op at the current
insertion point and returns its result, or the list of its results for an op with
several:

    ops.add(x, y)
    ops.dot_general(x, y, lhs_contracting_dimensions=(1,), ...)
    q, r = ops.qr(x, full_matrices=False)

Operands are ir.Values, params Python values; result types come from the op's own
type rule. Rule code builds ops only through these. Each builder is defined here when
its op class is (MiraxOp.__init_subclass__ calls `define`), so `ops.<name>` exists once
the op's family module is imported (`mirax.dialect` imports them all). An op whose
name is a Python keyword has a trailing underscore: `ops.and_`, `ops.or_`, `ops.not_`.
"""
import keyword
import sys

from mirax.mlir import ir

from .types import ShapedType, shaped_type, tensor_type


def as_tuple(types):
    return types if isinstance(types, tuple) and not isinstance(types, ShapedType) else (types,)


def build(op_cls, operands, result_types=None, **params):
    """Create `op_cls` at the current insertion point and return its results.

    Result types are inferred unless given (callers that already know them skip
    the inference). Params are Python values, encoded by the op's codecs.
    """
    if result_types is None:
        result_types = as_tuple(op_cls.infer(*(shaped_type(v.type) for v in operands), **params))
    attributes = {name: op_cls.params[name].encode(value) for name, value in params.items()}
    op = ir.Operation.create(
        op_cls.OPERATION_NAME,
        results=[tensor_type(t) for t in result_types],
        operands=list(operands),
        attributes=attributes,
    )
    return list(op.results)


def builder_name(op_name):
    """The builder's name for an op name ("mirax.and" -> "and_")."""
    name = op_name.split(".", 1)[1]
    return name + "_" if keyword.iskeyword(name) else name


def define(op_cls):
    """Add the builder of `op_cls` to this module."""
    name = builder_name(op_cls.OPERATION_NAME)
    module = sys.modules[__name__]
    if hasattr(module, name):
        raise TypeError(f"ops.{name} is already defined: op names must differ from this module's names")
    single = op_cls.num_results == 1

    def builder(*operands, **params):
        results = build(op_cls, operands, **params)
        return results[0] if single else results

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = op_cls.__doc__
    setattr(module, name, builder)
