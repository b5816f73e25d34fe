"""mirax-to-linalg: every mirax op to linalg/tensor/arith/math/complex, through
dialect conversion, one conversion pattern per op around its lowering rule.

The type converter erases integer signedness (ui32 -> i32): each rule reads
signedness from the op's own types and computes on signless values, which is
what arith and linalg accept. Function signatures, returns and calls are
converted the same way. Declared while loops and conds then get their scf bodies.
"""
from dataclasses import dataclass

from mirax.dialect import Mirax, node_of, rules
from mirax.dialect.types import signless
from mirax.mlir import arith, func, ir, rewrite, scf, tensor

from .declarations import (COND_BRANCHES, WHILE_BODY, WHILE_COND, add_body, branches, function_type, functions,
                           mark_derived)


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


def _build_loops(module):
    """Give each declared while loop (passes/declarations.py) its body: an scf.while
    whose condition and body call the loop's functions, which pass their closures."""
    table = functions(module)
    for loop in table.values():
        if WHILE_COND not in loop.attributes:
            continue
        cond, body = (table[loop.attributes[key].value] for key in (WHILE_COND, WHILE_BODY))
        block = add_body(loop)
        types = list(function_type(loop).results)
        carry, closures = list(block.arguments)[: len(types)], list(block.arguments)[len(types):]
        num_cond_closures = len(function_type(cond).inputs) - len(types)
        cond_closure, body_closure = closures[:num_cond_closures], closures[num_cond_closures:]
        with ir.InsertionPoint(block), loop.location:
            while_op = scf.WhileOp(types, carry)
            before = while_op.before.blocks.append(*types)
            with ir.InsertionPoint(before):
                flag = func.CallOp(list(function_type(cond).results), cond.attributes["sym_name"].value,
                                   list(before.arguments) + cond_closure).results[0]
                scf.ConditionOp(tensor.extract(flag, []), list(before.arguments))
            after = while_op.after.blocks.append(*types)
            with ir.InsertionPoint(after):
                step = func.CallOp(types, body.attributes["sym_name"].value, list(after.arguments) + body_closure)
                scf.YieldOp(list(step.results))
            func.ReturnOp(list(while_op.results))
        mark_derived(loop, WHILE_COND, WHILE_BODY)


def _build_conds(module):
    """Give each declared cond (passes/declarations.py) its body: scf.ifs on the index
    choosing the call of one branch."""
    for cond in functions(module).values():
        if COND_BRANCHES not in cond.attributes:
            continue
        symbols = branches(cond)
        block = add_body(cond)
        types = list(function_type(cond).results)
        index, args = block.arguments[0], list(block.arguments)[1:]
        i32 = ir.IntegerType.get_signless(32)

        def choose(k):
            """The results of branch k if the index is k, else of the branches after it."""
            call = lambda symbol: list(func.CallOp(types, symbol, args).results)  # noqa: E731
            if k == len(symbols) - 1:
                return call(symbols[k])
            is_k = arith.cmpi(arith.CmpIPredicate.eq, tensor.extract(index, []), arith.constant(i32, k))
            branch = scf.IfOp(is_k, types, has_else=True)
            with ir.InsertionPoint(branch.then_block):
                scf.YieldOp(call(symbols[k]))
            with ir.InsertionPoint(branch.else_block):
                scf.YieldOp(choose(k + 1))
            return list(branch.results)

        with ir.InsertionPoint(block), cond.location:
            func.ReturnOp(choose(0))
        mark_derived(cond, COND_BRANCHES)


@dataclass(frozen=True)
class MiraxToLinalg:
    name: str = "mirax-to-linalg"
    summary: str = "Lower mirax ops to linalg, tensor, arith, math and complex"

    def __call__(self, module, pass_=None):
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
        _build_loops(module)
        _build_conds(module)
