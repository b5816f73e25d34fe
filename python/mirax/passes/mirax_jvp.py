"""mirax-jvp: forward-mode differentiation. Derives the body of every function
declared as the JVP of another,

    func.func private @f_jvp(primals..., tangents...) -> (outputs..., output tangents...)
        attributes {mirax.jvp_of = @f, mirax.active = array<i64: ...>}

from @f's body, op by op, with each op's JVP rule (dialect/rules.py `jvp`). Only the
arguments listed in `mirax.active` have tangents; the others are symbolic zeros, as
is every tangent no rule needs to materialize. A call inside @f becomes a call of the
JVP of its callee, declared here and derived in turn; transformed functions nest
(the JVP of a JVP), so a declaration is derived once the function it differentiates
has a body free of pending declarations: innermost first, to a fixed point.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import node_of, rules
from mirax.dialect.types import is_complex, is_float, shaped_type
from mirax.dialect.values import instantiate, type_of
from mirax.dialect.ir_util import add_body, cut, declare, define, function_type, functions, mark_derived, rebuild
from mirax.dialect.transformations import (ACTIVE, COND_BRANCHES, COND_TANGENT_OF, CUSTOM_LIN_OF, JVP_OF, JVP_RULE,
                                           NUM_PRIMALS, SCAN_BODY, SCAN_BODY_NUM_XS, SCAN_TANGENT_OF, Scan, VJP_FWD,
                                           WHILE_BODY, WHILE_COND, WHILE_JVP_OF, While, branch_list, branches,
                                           declare_jvp, scan_attributes, split_positions, stacked_type)
from mirax.mlir import func, ir

from .dependence import derive_ready, scan_depends, while_depends



def derive_jvp(module, decl):
    """Derive the body of a ready JVP declaration."""
    _derive(module, decl, functions(module)[decl.attributes[JVP_OF].value])


def _derive(module, decl, callee):
    active = list(ir.DenseI64ArrayAttr(decl.attributes[ACTIVE]))
    block = add_body(decl)
    args = list(block.arguments)
    callee_block = callee.regions[0].blocks[0]
    primals = dict(zip(callee_block.arguments, args[: len(callee_block.arguments)], strict=True))
    tangents = {callee_block.arguments[i]: t for i, t in zip(active, args[len(callee_block.arguments):], strict=True)}
    with ir.InsertionPoint(block):
        for op in callee_block.operations:
            with op.location:
                _differentiate(module, op, primals, tangents)
    mark_derived(decl, JVP_OF, ACTIVE)


def _differentiate(module, op, primals, tangents):
    """Emit `op` on primal values and its tangents, recording both for its results."""
    name = op.operation.name
    in_primals = [primals[v] for v in op.operation.operands]
    in_tangents = [tangents.get(v) for v in op.operation.operands]
    if name == "func.return":
        outs = [tangents.get(v) for v in op.operation.operands]
        func.ReturnOp(in_primals + [instantiate(t, shaped_type(p.type)) for t, p in zip(outs, in_primals, strict=True)])
        return
    if name == "func.call":
        out_primals, out_tangents = _call_jvp(module, op, in_primals, in_tangents)
    elif all(t is None for t in in_tangents):  # nothing to differentiate (integers, say): no rule needed
        out_primals, out_tangents = list(rebuild(op, primals).results), [None] * len(op.results)
    else:
        rule = rules.jvp.get(name)
        if rule is None:
            raise NotImplementedError(f"mirax-jvp: no JVP rule for {name}")
        out_primals, out_tangents = rule(node_of(op), in_primals, in_tangents)
    for result, p, t in zip(op.results, out_primals, out_tangents, strict=True):
        primals[result] = p
        if t is not None:
            tangents[result] = t


def _call_jvp(module, op, in_primals, in_tangents):
    """A call becomes a call of its callee's JVP, for the operands that have tangents."""
    callee = functions(module)[op.attributes["callee"].value]
    active = [i for i, t in enumerate(in_tangents) if t is not None]
    num_results = len(op.results)
    if not active:
        call = func.CallOp(list(op.results.types), op.attributes["callee"].value, in_primals)
        return list(call.results), [None] * num_results
    if JVP_RULE in callee.attributes or VJP_FWD in callee.attributes:
        return _call_custom(module, op, callee, in_primals, in_tangents)
    if WHILE_COND in callee.attributes:
        return _while_jvp(module, op, callee, in_primals, in_tangents)
    if COND_BRANCHES in callee.attributes:
        return _cond_jvp(module, op, callee, in_primals, in_tangents)
    if SCAN_BODY in callee.attributes:
        return _scan_jvp(module, op, callee, in_primals, in_tangents)
    symbol = declare_jvp(module, callee, active)
    result_types = list(op.results.types) * 2
    call = func.CallOp(result_types, symbol, in_primals + [in_tangents[i] for i in active])
    return list(call.results)[:num_results], list(call.results)[num_results:]


def _call_custom(module, op, callee, in_primals, in_tangents):
    """A call of a custom_jvp function calls its rule on the primals and their tangents
    (zeros instantiated, as JAX's rules receive them); a call of a custom_vjp function
    calls its forward pass, and its output tangents come from a declared linear
    function of the residuals and tangents, which mirax-transpose transposes by the
    backward pass (forward mode alone cannot evaluate it)."""
    name = callee.attributes["sym_name"].value
    num_primals = ir.IntegerAttr(callee.attributes[NUM_PRIMALS]).value
    if any(t is not None for t in in_tangents[num_primals:]):
        kind = "custom_jvp" if JVP_RULE in callee.attributes else "custom_vjp"
        raise ValueError(f"mirax-jvp: @{name} ({kind}) is differentiated with respect to a value it closes over; "
                         f"its rule only differentiates with respect to its explicit arguments")
    primals, closure = in_primals[:num_primals], in_primals[num_primals:]
    tangents = [instantiate(t, type_of(p)) for t, p in zip(in_tangents[:num_primals], primals, strict=True)]
    num_results = len(op.results)
    if JVP_RULE in callee.attributes:
        rule = func.CallOp(list(op.results.types) * 2, callee.attributes[JVP_RULE].value, primals + tangents + closure)
        return list(rule.results)[:num_results], list(rule.results)[num_results:]
    fwd_symbol = callee.attributes[VJP_FWD].value
    fwd = func.CallOp(list(function_type(functions(module)[fwd_symbol]).results), fwd_symbol, primals + closure)
    outputs, residuals = list(fwd.results)[:num_results], list(fwd.results)[num_results:]
    lin_type = ir.FunctionType.get([r.type for r in residuals] + [t.type for t in tangents], list(op.results.types))
    lin = declare(module, f"{name}_custom_lin", lin_type, callee.location,
                  {CUSTOM_LIN_OF: ir.FlatSymbolRefAttr.get(name)})
    return outputs, list(func.CallOp(list(op.results.types), lin, residuals + tangents).results)


def _while_jvp(module, op, loop, in_primals, in_tangents):
    """A while loop carrying tangents too: those of the carries that can have one (a
    fixed point through the body), stepped by the body's JVP; the condition reads
    the primal carries."""
    table = functions(module)
    parts = While(table, loop)
    cond, body, count = parts.cond, parts.body, parts.num_carry
    carry_tangents, cond_closure_tangents, body_closure_tangents = parts.split(in_tangents)
    # The condition's value has no derivative: its closure's tangents do not matter,
    # and neither do integer carries' (JAX's float0 zeros).
    flags = [t is not None for t in carry_tangents + [None] * len(cond_closure_tangents) + body_closure_tangents]
    carry, cond_closure, body_closure = parts.split(in_primals)
    active = [i for i, flag in enumerate(while_depends(table, loop, flags, through_cond=False))
              if flag and (is_float(type_of(carry[i]).dtype) or is_complex(type_of(carry[i]).dtype))]
    closure_active = [j for j, t in enumerate(body_closure_tangents) if t is not None]
    body_jvp = declare_jvp(module, body, active + [count + j for j in closure_active])
    carry_types = [v.type for v in carry]
    tangents = [instantiate(carry_tangents[i], type_of(carry[i])) for i in active]
    closure_tangents = [body_closure_tangents[j] for j in closure_active]
    name = f"{loop.attributes['sym_name'].value}_jvp_{'_'.join(map(str, active))}"
    loop_carry = carry_types + [t.type for t in tangents]

    def step(args):
        primal, tangent = args[:count], args[count:count + len(active)]
        rest = args[count + len(active):]
        closure_, closure_tangent = rest[:len(body_closure)], rest[len(body_closure):]
        outs = func.CallOp(carry_types * 2, body_jvp, primal + closure_ + tangent + closure_tangent).results
        return list(outs)[:count] + [outs[count + i] for i in active]

    body_symbol = define(module, f"{name}_body", loop_carry + [v.type for v in body_closure + closure_tangents],
                         loop_carry, loop.location, step)
    cond_closure_types = list(function_type(cond).inputs)[count:]
    cond_symbol = define(module, f"{name}_cond", loop_carry + cond_closure_types, list(function_type(cond).results),
                         loop.location, lambda args: list(func.CallOp(
                             list(function_type(cond).results), cond.attributes["sym_name"].value,
                             args[:count] + args[count + len(active):]).results))
    operands = carry + tangents + cond_closure + body_closure + closure_tangents
    symbol = declare(module, name, ir.FunctionType.get([v.type for v in operands], loop_carry), loop.location, {
        WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol), WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol),
        WHILE_JVP_OF: ir.FlatSymbolRefAttr.get(loop.attributes["sym_name"].value),
        ACTIVE: ir.DenseI64ArrayAttr.get(active)})
    results = list(func.CallOp(loop_carry, symbol, operands).results)
    out_tangents = [None] * count
    for i, t in zip(active, results[count:], strict=True):
        out_tangents[i] = t
    return results[:count], out_tangents


def _cond_jvp(module, op, cond, in_primals, in_tangents):
    """A cond's JVP as two conds on the same index: the cond itself, and the tangent
    part, whose branches are the branches' tangents (recomputing what they need of the
    primal from the args): linear in the tangents, which mirax-linearize keeps apart
    and mirax-transpose turns into a cond of the branches' VJPs."""
    name = cond.attributes["sym_name"].value
    types = list(op.results.types)
    outputs = list(func.CallOp(types, name, in_primals).results)
    args, arg_tangents = in_primals[1:], in_tangents[1:]
    active = [i for i, t in enumerate(arg_tangents) if t is not None]
    tangents = [arg_tangents[i] for i in active]
    inputs = [v.type for v in args + tangents]
    table = functions(module)
    wrappers = []
    for symbol in branches(cond):
        branch_jvp = declare_jvp(module, table[symbol], active)
        wrappers.append(define(module, f"{branch_jvp}_tangent", inputs, types, cond.location,
                               lambda a, branch_jvp=branch_jvp: list(func.CallOp(types * 2, branch_jvp, a).results)[
                                   len(types):]))
    symbol = declare(module, f"{name}_tangent_{'_'.join(map(str, active))}",
                     ir.FunctionType.get([in_primals[0].type] + inputs, types), cond.location,
                     {COND_BRANCHES: branch_list(wrappers), COND_TANGENT_OF: ir.FlatSymbolRefAttr.get(name),
                      ACTIVE: ir.DenseI64ArrayAttr.get(active)})
    return outputs, list(func.CallOp(types, symbol, [in_primals[0]] + args + tangents).results)


def _scan_jvp(module, op, function, in_primals, in_tangents):
    """A scan's JVP as two scans: the scan itself, also stacking the carry each step
    starts from, and the tangent part, a scan over those carries and the xs carrying
    the active carries' tangents, whose body is the tangent of the body's JVP
    (recomputing what it needs of the primal): linear in the tangents, which
    mirax-transpose turns into a reverse scan of the body's VJP."""
    table = functions(module)
    scan = Scan(table, function)
    name = function.attributes["sym_name"].value
    k = scan.num_carry
    flags = scan_depends(table, function, [t is not None for t in in_tangents])
    carry_flags = [f or t is not None for f, t in zip(flags[:k], in_tangents[:k], strict=True)]
    _, x_tangents, closure_tangents = scan.split(in_tangents)
    active = ([i for i, f in enumerate(carry_flags) if f] + [k + j for j, t in enumerate(x_tangents) if t is not None]
              + [k + scan.num_xs + j for j, t in enumerate(closure_tangents) if t is not None])
    carry, xs, closure = scan.split(in_primals)
    body_types = function_type(scan.body)
    carry_types, y_types = list(body_types.results)[:k], list(body_types.results)[k:]
    body_symbol = scan.body.attributes["sym_name"].value

    # The scan, stacking its carries: the body also returns the carry it was given.
    saving = define(module, f"{body_symbol}_saving_carry", list(body_types.inputs), carry_types + y_types + carry_types,
                    function.location, lambda a: list(func.CallOp(carry_types + y_types, body_symbol, a).results)
                    + a[:k])
    stacked_types = [stacked_type(t, scan.length) for t in carry_types]
    results = list(op.results.types)
    primal = declare(module, f"{name}_saving_carry", ir.FunctionType.get([v.type for v in in_primals], results +
                                                                          stacked_types), function.location,
                     scan_attributes(saving, scan.length, scan.reverse, k, scan.num_xs))
    outs = list(func.CallOp(results + stacked_types, primal, in_primals).results)
    outputs, carries = outs[:len(results)], outs[len(results):]

    # The tangent scan: carry = the active carries' tangents; xs = the saved carries,
    # the xs, the active xs' tangents; closure = the closure, its active tangents.
    active_carry, active_x, active_closure = split_positions(active, k, scan.num_xs)
    body_jvp = declare_jvp(module, scan.body, active)
    tangent_carry = [instantiate(in_tangents[i], type_of(carry[i])) for i in active_carry]
    tangent_xs = [x_tangents[j] for j in active_x]
    tangent_closure = [closure_tangents[j] for j in active_closure]
    x_slice_types = list(body_types.inputs)[k:k + scan.num_xs]
    closure_slice = list(body_types.inputs)[k + scan.num_xs:]

    def tangent_step(a):
        tc, c, x, tx, cl, tcl = cut(a, len(active_carry), k, scan.num_xs, len(active_x), len(closure))
        outs = list(func.CallOp(list(body_types.results) * 2, body_jvp, c + x + cl + tc + tx + tcl).results)
        tangents_out = outs[len(body_types.results):]
        return [tangents_out[i] for i in active_carry] + tangents_out[k:]

    step_inputs = ([t.type for t in tangent_carry] + carry_types + x_slice_types + [x_slice_types[j] for j in active_x]
                   + closure_slice + [closure_slice[j] for j in active_closure])
    step_results = [carry_types[i] for i in active_carry] + y_types
    tangent_body = define(module, f"{body_jvp}_tangent_step", step_inputs, step_results, function.location,
                          tangent_step)
    operands = tangent_carry + carries + xs + tangent_xs + closure + tangent_closure
    tangent_results = [v.type for v in tangent_carry] + results[k:]
    tangent_scan = declare(module, f"{name}_tangent_{'_'.join(map(str, active))}",
                           ir.FunctionType.get([v.type for v in operands], tangent_results), function.location,
                           scan_attributes(tangent_body, scan.length, scan.reverse, len(active_carry),
                                           k + scan.num_xs + len(active_x),
                                           **{SCAN_TANGENT_OF: ir.FlatSymbolRefAttr.get(body_symbol),
                                              ACTIVE: ir.DenseI64ArrayAttr.get(active),
                                              SCAN_BODY_NUM_XS: ir.IntegerAttr.get(
                                                  ir.IntegerType.get_signless(64), scan.num_xs)}))
    tangents = list(func.CallOp(tangent_results, tangent_scan, operands).results)
    out_tangents = [None] * k + tangents[len(active_carry):]
    for i, t in zip(active_carry, tangents[:len(active_carry)], strict=True):
        out_tangents[i] = t
    return outputs, out_tangents


@dataclass(frozen=True)
class MiraxJvp:
    name: ClassVar[str] = "mirax-jvp"
    summary: ClassVar[str] = "Derive the bodies of functions declared as JVPs (forward-mode autodiff)"

    def __call__(self, module):
        """Derive every JVP declaration of `module` (the builtin.module operation) that
        is or becomes ready."""
        derive_ready(module, JVP_OF, derive_jvp)
