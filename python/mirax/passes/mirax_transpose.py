"""mirax-transpose: reverse mode, second half. Derives the body of every function
declared as the transpose of a linear function,

    func.func private @g_transpose(nonlinear args..., result cotangents...) -> (linear arg cotangents...)
        attributes {mirax.transpose_of = @g, mirax.linear = array<i64: ...>}

where @g is linear in the arguments listed in `mirax.linear` (mirax-linearize
makes such functions from JVPs). @g's ops run backwards, each through its transpose
rule (dialect/rules.py `transpose`), cotangents adding up where a value is used
twice; a value no cotangent reaches stays a symbolic zero. A call @g keeps is of a
construct (dialect/rules.py `constructs`), transposed by the construct's rule.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import node_of, rules
from mirax.dialect.dependence import derive_ready
from mirax.dialect.ir_util import add_body, functions, linear_values, mark_derived
from mirax.dialect.rules import construct_of
from mirax.dialect.transformations import LINEAR, TRANSPOSE_OF
from mirax.dialect.types import shaped_type
from mirax.dialect.values import add_tangents, instantiate
from mirax.mlir import func, ir


def _derive(module, decl):
    linear_fn = functions(module)[decl.attributes[TRANSPOSE_OF].value]
    linear_positions = list(ir.DenseI64ArrayAttr(decl.attributes[LINEAR]))
    source = linear_fn.regions[0].blocks[0]
    source_args = list(source.arguments)
    nonlinear_args = [a for i, a in enumerate(source_args) if i not in linear_positions]
    linear = {source_args[i] for i in linear_positions}

    block = add_body(decl)
    args = list(block.arguments)
    values = dict(zip(nonlinear_args, args[: len(nonlinear_args)], strict=True))
    ops = list(source.operations)
    ret = ops[-1]
    linear = linear_values(source, linear)
    for op in ops[:-1]:  # checked before the backward sweep, which reads only arguments as nonlinear operands
        if not any(v in linear for v in op.operands):
            raise ValueError(f"mirax-transpose: {op.operation.name} in @{linear_fn.attributes['sym_name'].value} "
                             f"reads no linear value; a linear function computes only on its linear arguments")
    cotangents = {}
    with ir.InsertionPoint(block), decl.location:
        for value, ct in zip(ret.operands, args[len(nonlinear_args):], strict=True):
            if value in linear:
                cotangents[value] = add_tangents(cotangents.get(value), ct)
        for op in reversed(ops[:-1]):
            cts = [cotangents.pop(r, None) for r in op.results]
            if all(ct is None for ct in cts):
                continue
            is_linear = [v in linear for v in op.operands]
            operands = [None if lin else values[v] for v, lin in zip(op.operands, is_linear, strict=True)]
            with op.location:
                if op.operation.name == "func.call":
                    operand_cts = _transpose_call(module, op, cts, operands)
                else:
                    rule = rules.transpose.get(op.operation.name)
                    if rule is None:
                        raise NotImplementedError(f"mirax-transpose: no transpose rule for {op.operation.name}")
                    operand_cts = rule(node_of(op), cts, operands, is_linear)
            for value, lin, ct in zip(op.operands, is_linear, operand_cts, strict=True):
                if lin and ct is not None:
                    cotangents[value] = add_tangents(cotangents.get(value), ct)
        func.ReturnOp([instantiate(cotangents.get(source_args[i]), shaped_type(source_args[i].type))
                       for i in linear_positions])
    mark_derived(decl, TRANSPOSE_OF, LINEAR)


def _transpose_call(module, op, cts, operands):
    """The calls a linear function keeps (mirax-linearize inlines the others): calls of
    constructs (the linear part of a custom_vjp function, of a cond or of a scan), by
    the construct's transpose rule."""
    callee = functions(module)[op.attributes["callee"].value]
    construct = construct_of(callee)
    if construct is None or construct.transpose is None:
        raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")
    return construct.transpose(module, op, callee, cts, operands)


@dataclass(frozen=True)
class MiraxTranspose:
    name: ClassVar[str] = "mirax-transpose"
    summary: ClassVar[str] = "Derive the bodies of functions declared as transposes of linear functions"

    def __call__(self, module):
        derive_ready(module, TRANSPOSE_OF, _derive)
