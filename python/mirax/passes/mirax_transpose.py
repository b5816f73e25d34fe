"""mirax-transpose: reverse mode, second half. Derives the body of every function
declared as the transpose of a linear function,

    func.func private @g_transpose(nonlinear args..., result cotangents...) -> (linear arg cotangents...)
        attributes {mirax.transpose_of = @g, mirax.linear = array<i64: ...>}

where @g is linear in the arguments listed in `mirax.linear` (mirax-linearize
makes such functions from JVPs). @g's ops run backwards, each through its transpose
rule (dialect/rules.py `transpose`), cotangents adding up where a value is used
twice; a value no cotangent reaches stays a symbolic zero.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import node_of, rules
from mirax.dialect.types import shaped_type
from mirax.dialect.values import add_tangents, instantiate, zeros
from mirax.dialect.ir_util import add_body, cut, declare, define, function_type, functions, linear_values, mark_derived
from mirax.dialect.transformations import (ACTIVE, COND_BRANCHES, COND_TANGENT_OF, CUSTOM_LIN_OF, LINEAR,
                                           SCAN_BODY_NUM_XS, SCAN_TANGENT_OF, Scan, TRANSPOSE_OF, VJP_BWD, branch_list,
                                           branches, declare_vjp, scan_attributes, split_positions, stacked_type)
from mirax.mlir import func, ir

from .dependence import derive_ready



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
    """The calls a linear function keeps (mirax-linearize inlines the others): the
    linear part of a custom_vjp function, of a cond or of a scan."""
    callee = functions(module)[op.attributes["callee"].value]
    if CUSTOM_LIN_OF in callee.attributes:
        return _transpose_custom_lin(module, op, callee, cts, operands)
    if COND_TANGENT_OF in callee.attributes:
        return _transpose_cond_tangent(module, op, callee, cts, operands)
    if SCAN_TANGENT_OF in callee.attributes:
        return _transpose_scan_tangent(module, op, callee, cts, operands)
    raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")


def _transpose_cond_tangent(module, op, tangent_cond, cts, operands):
    """A cond's tangent part (index, args..., tangents...) transposes into a cond of the
    branches' VJPs on the same index and args, giving the tangents' cotangents."""
    table = functions(module)
    cond = table[tangent_cond.attributes[COND_TANGENT_OF].value]
    active = list(ir.DenseI64ArrayAttr(tangent_cond.attributes[ACTIVE]))
    num_args = len(function_type(cond).inputs) - 1
    index, args = operands[0], operands[1:1 + num_args]
    cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
    inputs = [v.type for v in args + cts]
    results = [function_type(cond).inputs[1 + i] for i in active]
    wrappers = []
    for symbol in branches(cond):
        vjp = declare_vjp(module, table[symbol], active)
        outputs = len(function_type(cond).results)
        wrappers.append(define(module, f"{vjp}_cotangent", inputs, results, cond.location,
                               lambda a, vjp=vjp: list(func.CallOp(
                                   list(function_type(cond).results) + results, vjp, a).results)[outputs:]))
    name = f"{cond.attributes['sym_name'].value}_transpose_{'_'.join(map(str, active))}"
    symbol = declare(module, name, ir.FunctionType.get([index.type] + inputs, results), cond.location,
                     {COND_BRANCHES: branch_list(wrappers)})
    grads = func.CallOp(results, symbol, [index] + args + cts).results
    return [None] * (1 + num_args) + list(grads)


def _transpose_scan_tangent(module, op, tangent_scan, cts, operands):
    """A scan's tangent part (see mirax-jvp) transposes into the reverse scan of the
    body's VJP at each step's saved carry and x: it carries the carries' cotangents
    and sums the closure's, and stacks the xs' cotangents."""
    table = functions(module)
    scan = Scan(table, tangent_scan)
    body = table[tangent_scan.attributes[SCAN_TANGENT_OF].value]
    active = list(ir.DenseI64ArrayAttr(tangent_scan.attributes[ACTIVE]))
    body_type = function_type(body)
    num_active_carry = scan.num_carry
    num_ys = len(op.results) - num_active_carry
    k = len(body_type.results) - num_ys
    num_body_xs = ir.IntegerAttr(tangent_scan.attributes[SCAN_BODY_NUM_XS]).value
    # The tangent scan's xs are (saved carries, xs, active xs' tangents); its closure is
    # (closure, active closure tangents).
    active_carry, active_x, active_closure = split_positions(active, k, num_body_xs)
    num_closure = len(body_type.inputs) - k - num_body_xs
    _, carries, xs, _, closure, _ = cut(operands, num_active_carry, k, num_body_xs, len(active_x), num_closure)
    cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
    closure_types = list(body_type.inputs)[k + num_body_xs:]
    accumulators = [zeros(shaped_type(closure_types[j])) for j in active_closure]
    vjp = declare_vjp(module, body, active)
    carry_types, y_types = list(body_type.results)[:k], list(body_type.results)[k:]
    input_types = list(body_type.inputs)

    def step(a):
        ct_carry, acc, carry, x, ct_y, cl = cut(a, num_active_carry, len(active_closure), k, num_body_xs, num_ys)
        given = dict(zip(active_carry, ct_carry, strict=True))
        ct_out = [given[i] if i in given else zeros(shaped_type(t)) for i, t in enumerate(carry_types)] + ct_y
        grads = list(func.CallOp(carry_types + y_types + [input_types[i] for i in active], vjp,
                                 carry + x + cl + ct_out).results)[k + num_ys:]
        grad_carry, grad_x, grad_closure = cut(grads, len(active_carry), len(active_x))
        return grad_carry + [add_tangents(s, g) for s, g in zip(acc, grad_closure, strict=True)] + grad_x

    step_inputs = ([carry_types[i] for i in active_carry] + [closure_types[j] for j in active_closure] + carry_types
                   + input_types[k:k + num_body_xs] + y_types + closure_types)
    step_results = ([carry_types[i] for i in active_carry] + [closure_types[j] for j in active_closure]
                    + [input_types[k + j] for j in active_x])
    step_symbol = define(module, f"{vjp}_step", step_inputs, step_results, tangent_scan.location, step)
    ct_carry, ct_y = cts[:num_active_carry], cts[num_active_carry:]
    scan_operands = ct_carry + accumulators + carries + xs + ct_y + closure
    results = ([v.type for v in ct_carry] + [closure_types[j] for j in active_closure]
               + [stacked_type(input_types[k + j], scan.length) for j in active_x])
    name = f"{tangent_scan.attributes['sym_name'].value}_transpose"
    symbol = declare(module, name, ir.FunctionType.get([v.type for v in scan_operands], results),
                     tangent_scan.location, scan_attributes(step_symbol, scan.length, not scan.reverse,
                                                            num_active_carry + len(active_closure),
                                                            k + num_body_xs + num_ys))
    grads = list(func.CallOp(results, symbol, scan_operands).results)
    ct_init, ct_closure, ct_xs = cut(grads, num_active_carry, len(active_closure))
    return ct_init + [None] * (k + num_body_xs) + ct_xs + [None] * num_closure + ct_closure


def _transpose_custom_lin(module, op, callee, cts, operands):
    """The linear part of a custom_vjp function (residuals, tangents) -> output tangents
    transposes by the function's backward pass (residuals, cotangents) -> cotangents."""
    table = functions(module)
    custom = table[callee.attributes[CUSTOM_LIN_OF].value]
    if VJP_BWD not in custom.attributes:
        raise ValueError(f"mirax-transpose: the custom_vjp function @{custom.attributes['sym_name'].value} "
                         f"has no backward pass")
    bwd = table[custom.attributes[VJP_BWD].value]
    num_residuals = len(operands) - len(function_type(bwd).results)  # then one tangent per primal
    residuals = operands[:num_residuals]
    cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
    grads = func.CallOp(list(function_type(bwd).results), custom.attributes[VJP_BWD].value, residuals + cts)
    return [None] * num_residuals + list(grads.results)


@dataclass(frozen=True)
class MiraxTranspose:
    name: ClassVar[str] = "mirax-transpose"
    summary: ClassVar[str] = "Derive the bodies of functions declared as transposes of linear functions"

    def __call__(self, module):
        derive_ready(module, TRANSPOSE_OF, _derive)
