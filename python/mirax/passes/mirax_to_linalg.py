"""mirax-to-linalg: every mirax op to linalg/tensor/arith/math/complex, through
dialect conversion, one conversion pattern per op around its lowering rule.

The type converter erases integer signedness (ui32 -> i32): each rule reads
signedness from the op's own types and computes on signless values, which is
what arith and linalg accept. Function signatures, returns and calls are
converted the same way. Constructs get their bodies by their rules (dialect/rules.py
`constructs`): declared scans first become while loops, in mirax ops; declared while
loops and conds then get scf bodies, host callbacks a call of their host symbol.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import Mirax, node_of, rules
from mirax.dialect.ir_util import functions
from mirax.dialect.rules import construct_of
from mirax.dialect.types import signless
from mirax.mlir import func, ir, rewrite


def _lower(op, adaptor, converter, rewriter):
    node = node_of(op)
    with rewriter.ip, op.location:
        results = rules.lowering[node.name](node, *adaptor.operands)
    rewriter.replace_op(op, results)


def _lower_return(op, adaptor, converter, rewriter):
    with rewriter.ip, op.location:
        func.ReturnOp(list(adaptor.operands))
    rewriter.erase_op(op)


def _lower_call(op, adaptor, converter, rewriter):
    with rewriter.ip, op.location:
        call = func.CallOp([signless(r.type) for r in op.operation.results], op.attributes["callee"].value,
                           list(adaptor.operands))
    rewriter.replace_op(op, call.results)


def _retype_signatures(module):
    """Erase signedness from every function's signature (declarations included)."""
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name != "func.func":
            continue
        if op.regions[0].blocks:
            for arg in op.regions[0].blocks[0].arguments:
                arg.set_type(signless(arg.type))
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        op.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([signless(t) for t in ftype.inputs], [signless(t) for t in ftype.results])
        )


def _erase_identity_casts(module):
    """The conversion left casts from unsigned block arguments; retyped, they cast a
    type to itself."""
    casts = []

    def collect(op):
        if op.name == "builtin.unrealized_conversion_cast" and len(op.operands) == 1 and len(op.results) == 1:
            if op.operands[0].type == op.results[0].type:
                casts.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(collect)
    for cast in casts:
        cast.results[0].replace_all_uses_with(cast.operands[0])
        cast.erase()


def _give_bodies(module, stage):
    """Give each construct (dialect/rules.py `constructs`) with a rule for `stage`
    ("expand": in mirax ops, before they are lowered; "lower": after) its body."""
    for function in list(functions(module).values()):
        construct = construct_of(function)
        rule = getattr(construct, stage, None)
        if rule is not None:
            rule(module, function)


@dataclass(frozen=True)
class MiraxToLinalg:
    name: ClassVar[str] = "mirax-to-linalg"
    summary: ClassVar[str] = "Lower mirax ops to linalg, tensor, arith, math and complex; declared loops, conds and scans to scf"

    def __call__(self, module):
        _give_bodies(module, "expand")
        converter = rewrite.TypeConverter()
        converter.add_conversion(signless)
        patterns = rewrite.RewritePatternSet()
        for op_cls in Mirax.operations:
            patterns.add_conversion(op_cls, _lower, converter)
        patterns.add_conversion(func.ReturnOp, _lower_return, converter)
        patterns.add_conversion(func.CallOp, _lower_call, converter)
        target = rewrite.ConversionTarget()
        target.add_legal_dialect("linalg", "tensor", "arith", "math", "complex", "scf")
        target.add_illegal_dialect(Mirax.DIALECT_NAMESPACE)
        config = rewrite.ConversionConfig()
        config.build_materializations = False
        rewrite.apply_partial_conversion(module, target, patterns.freeze(), config)
        _retype_signatures(module)
        _erase_identity_casts(module)
        _give_bodies(module, "lower")
