"""mirax-to-linalg: every mirax op to linalg/tensor/arith/math/complex, through
dialect conversion, one conversion pattern per op around its lowering rule.

The type converter erases integer signedness (ui32 -> i32): each rule reads
signedness from the op's own types and computes on signless values, which is
what arith and linalg accept. Function signatures, returns and calls are
converted the same way. Declared scans first become while loops; declared while loops
and conds then get their scf bodies.
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.dialect import Mirax, node_of, op_class, rules
from mirax.dialect.types import ShapedType, shaped_type, signless, tensor_type
from mirax.dialect.values import apply, full, scalar
from mirax.dialect.ir_util import add_body, declare, define, function_type, functions, mark_derived
from mirax.dialect.transformations import (COND_BRANCHES, HOST_CALLBACK, SCAN_BODY, SCAN_LENGTH, SCAN_NUM_CARRY,
                                           SCAN_NUM_XS, SCAN_REVERSE, Scan, WHILE_BODY, WHILE_COND, While, branches)
from mirax.mlir import arith, bufferization, func, ir, memref, rewrite, scf, tensor



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


def _expand_scans(module):
    """Give each declared scan its body: a declared while loop over (step, carry...,
    ys...), reading x[i] and writing y[i] with dynamic slices (i counting down for a
    reverse scan), which _build_loops then lowers with the others."""
    table = functions(module)
    for function in list(table.values()):
        if SCAN_BODY not in function.attributes:
            continue
        with function.location:
            _expand_scan(module, Scan(table, function))


def _expand_scan(module, scan):
    """One scan's body (see _expand_scans)."""
    function = scan.function
    name = function.attributes["sym_name"].value
    types = function_type(function)
    carry_types = list(types.results)[:scan.num_carry]
    ys_types = list(types.results)[scan.num_carry:]
    step_type = _scalar_tensor(np.int32)
    loop_carry = [step_type] + carry_types + ys_types
    closure_types = list(types.inputs)[scan.num_carry:]
    location = function.location

    def position(step):
        """The row a step reads and writes."""
        if not scan.reverse:
            return step
        return apply(op_class("mirax.sub"), scalar(np.int32(scan.length - 1)), step)

    def cond(args):
        return [apply(op_class("mirax.compare"), args[0], scalar(np.int32(scan.length)), direction="LT")]

    def step(args):
        count = 1 + scan.num_carry + len(ys_types)
        i, carry, ys = args[0], args[1:1 + scan.num_carry], args[1 + scan.num_carry:count]
        xs, closure = args[count:count + scan.num_xs], args[count + scan.num_xs:]
        row = position(i)
        x = [_row(v, row) for v in xs]
        outs = list(func.CallOp(list(function_type(scan.body).results), scan.body.attributes["sym_name"].value,
                                carry + x + closure).results)
        ys = [_write_row(y, out, row) for y, out in zip(ys, outs[scan.num_carry:], strict=True)]
        return [apply(op_class("mirax.add"), i, scalar(np.int32(1)))] + outs[:scan.num_carry] + ys

    if scan.length == 0:  # no step runs (and no row could be read): the carry as given, no ys
        block = add_body(function)
        with ir.InsertionPoint(block), location:
            func.ReturnOp(list(block.arguments)[:scan.num_carry] + [full(shaped_type(t), 0) for t in ys_types])
        mark_derived(function, SCAN_BODY, SCAN_LENGTH, SCAN_REVERSE, SCAN_NUM_CARRY, SCAN_NUM_XS)
        return
    cond_symbol = define(module, f"{name}_cond", loop_carry + closure_types,
                         [_scalar_tensor(np.bool_)], location, cond)
    body_symbol = define(module, f"{name}_step", loop_carry + closure_types, loop_carry, location, step)
    # The condition's closure, then the body's: both take all of it.
    loop = declare(module, f"{name}_loop", ir.FunctionType.get(loop_carry + closure_types * 2, loop_carry), location,
                   {WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol),
                    WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})
    block = add_body(function)
    args = list(block.arguments)
    with ir.InsertionPoint(block), location:
        zeros = [full(shaped_type(t), 0) for t in ys_types]
        results = func.CallOp(loop_carry, loop, [scalar(np.int32(0))] + args[:scan.num_carry] + zeros +
                              args[scan.num_carry:] * 2).results
        func.ReturnOp(list(results)[1:])
    mark_derived(function, SCAN_BODY, SCAN_LENGTH, SCAN_REVERSE, SCAN_NUM_CARRY, SCAN_NUM_XS)


def _scalar_tensor(dtype):
    """tensor<dtype> (0-d)."""
    return tensor_type(ShapedType((), np.dtype(dtype)))


def _row(value, row):
    """value[row] (row: a 0-d int32 value)."""
    shaped = shaped_type(value.type)
    starts = [row] + [scalar(np.int32(0))] * (shaped.ndim - 1)
    window = apply(op_class("mirax.dynamic_slice"), *starts, value, slice_sizes=(1,) + tuple(shaped.shape[1:]))
    return apply(op_class("mirax.reshape"), window, new_sizes=tuple(shaped.shape[1:]))


def _write_row(value, row_value, row):
    """value with value[row] = row_value."""
    shaped = shaped_type(value.type)
    starts = [row] + [scalar(np.int32(0))] * (shaped.ndim - 1)
    update = apply(op_class("mirax.reshape"), row_value, new_sizes=(1,) + tuple(shaped.shape[1:]))
    return apply(op_class("mirax.dynamic_update_slice"), *starts, value, update)


def _build_loops(module):
    """Give each declared while loop (dialect/transformations.py) its body: an scf.while
    whose condition and body call the loop's functions, which pass their closures."""
    table = functions(module)
    for loop in table.values():
        if WHILE_COND not in loop.attributes:
            continue
        parts = While(table, loop)
        cond, body = parts.cond, parts.body
        block = add_body(loop)
        types = list(function_type(loop).results)
        carry, cond_closure, body_closure = parts.split(list(block.arguments))
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


def _build_host_calls(module):
    """Give each host-callback function (dialect/transformations.py) its body: its tensors
    as buffers, result buffers allocated, and a call of the host symbol on them all
    (inputs, then results to fill), which the runtime registers."""
    table = functions(module)
    for function in list(table.values()):
        if HOST_CALLBACK not in function.attributes:
            continue
        host = ir.StringAttr(function.attributes[HOST_CALLBACK]).value
        ftype = function_type(function)
        with function.location:
            declare(module, host, ir.FunctionType.get([buffer(t) for t in list(ftype.inputs) + list(ftype.results)], []),
                    function.location, {})
            block = add_body(function)
            with ir.InsertionPoint(block):
                inputs = [bufferization.ToBufferOp(buffer(a.type), a, read_only=True).result for a in block.arguments]
                outputs = [memref.AllocOp(buffer(t), [], []).result for t in ftype.results]
                func.CallOp([], host, inputs + outputs)
                func.ReturnOp([bufferization.ToTensorOp(t, out, restrict=True, writable=True).result
                               for t, out in zip(ftype.results, outputs, strict=True)])
        mark_derived(function, HOST_CALLBACK)


def buffer(tensor_type):
    """The identity-layout memref type of a tensor type."""
    shaped = ir.RankedTensorType(tensor_type)
    return ir.MemRefType.get(shaped.shape, shaped.element_type)


def _build_conds(module):
    """Give each declared cond (dialect/transformations.py) its body: scf.ifs on the index
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
    name: ClassVar[str] = "mirax-to-linalg"
    summary: ClassVar[str] = "Lower mirax ops to linalg, tensor, arith, math and complex; declared loops, conds and scans to scf"

    def __call__(self, module):
        _expand_scans(module)
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
        _build_host_calls(module)
