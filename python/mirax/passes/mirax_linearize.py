"""mirax-linearize: reverse mode, first half. Derives the body of every function
declared as the VJP of another,

    func.func private @f_vjp(primals..., output cotangents...) -> (outputs..., input cotangents...)
        attributes {mirax.vjp_of = @f, mirax.active = array<i64: ...>}

as JAX does: forward mode, then partial evaluation, then transposition. The JVP of
@f is derived as mirax-jvp derives it (dialect/transformations.py `derive_jvp`) and
its calls inlined; each construct's partial evaluation runs on it (a while loop's JVP
leaves its primal carries to the loop itself, as JAX's); its ops then split into the
primal computation (no tangent among their operands), which the VJP computes
directly, and the linear tangent computation, which becomes @f_vjp_linear
(residuals, tangents) -> output tangents, keeping only what the output tangents
need: dead code never reaches the transpose. The VJP's cotangents come
from that function's transpose, declared here (`mirax.transpose_of`) and derived by
mirax-transpose.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.dependence import derive_ready
from mirax.dialect.ir_util import (add_body, declare, function_type, functions, inline_calls, linear_values,
                                   mark_derived, rebuild)
from mirax.dialect.rules import construct_of
from mirax.dialect.transformations import ACTIVE, JVP_OF, VJP_OF, declare_jvp, declare_transpose, derive_jvp
from mirax.mlir import func, ir


def inline_linear_calls(module, function, tangents):
    """Replace each call in `function` that reads a tangent (a value computed from
    `tangents`) by the callee's body, until none is left, so that every op is either
    primal or linear. Calls of the primal computation stay calls: their callees may
    carry custom derivative rules for an enclosing differentiation."""
    block = function.regions[0].blocks[0]

    def reading_tangents(calls):
        linear = linear_values(block, tangents)
        return [call for call in calls if any(v in linear for v in call.operands)]

    inline_calls(module, function, reading_tangents)


def _derive(module, decl):
    callee = functions(module)[decl.attributes[VJP_OF].value]
    active = list(ir.DenseI64ArrayAttr(decl.attributes[ACTIVE]))
    num_inputs = len(function_type(callee).inputs)
    num_outputs = len(function_type(callee).results)

    jvp_symbol = declare_jvp(module, callee, active)
    derive_ready(module, JVP_OF, derive_jvp)  # it and the JVPs of whatever it calls, as mirax-jvp
    jvp = _copy_function(module, functions(module)[jvp_symbol], f"{decl.attributes['sym_name'].value}_jvp_inlined")
    jvp_block = jvp.regions[0].blocks[0]
    primal_args = list(jvp_block.arguments)[:num_inputs]
    tangent_args = list(jvp_block.arguments)[num_inputs:]
    inline_linear_calls(module, jvp, tangent_args)
    _partial_eval(module, jvp_block)

    linear = linear_values(jvp_block, tangent_args)
    ret = list(jvp_block.operations)[-1]
    outputs = list(ret.operands)[:num_outputs]
    out_tangents = list(ret.operands)[num_outputs:]
    primal_ops, linear_ops = [], []
    for op in list(jvp_block.operations)[:-1]:
        (linear_ops if any(v in linear for v in op.operands) else primal_ops).append(op)
    linear_ops = _live(linear_ops, out_tangents)
    # Residuals: primal values the linear part reads, and output tangents that are not
    # linear at all (zeros), which the linear function passes through.
    residuals = []
    for op in linear_ops:
        residuals.extend(v for v in op.operands if v not in linear and v not in residuals)
    residuals.extend(v for v in out_tangents if v not in linear and v not in residuals)

    linear_symbol = _linear_function(module, decl, residuals, tangent_args, linear_ops, out_tangents)
    linear_fn = functions(module)[linear_symbol]
    transpose_symbol = declare_transpose(module, linear_fn, list(range(len(residuals), len(residuals) + len(tangent_args))))

    block = add_body(decl)
    args = list(block.arguments)
    env = dict(zip(primal_args, args[:num_inputs], strict=True))
    cotangents = args[num_inputs:]
    with ir.InsertionPoint(block), decl.location:
        for op in primal_ops:
            clone = rebuild(op, env)
            env.update(zip(op.results, clone.results, strict=True))
        transposed = func.CallOp([t.type for t in tangent_args], transpose_symbol,
                                 [env[v] for v in residuals] + cotangents)
        func.ReturnOp([env[v] for v in outputs] + list(transposed.results))
    jvp.operation.erase()
    mark_derived(decl, VJP_OF, ACTIVE)


def _partial_eval(module, block):
    """Each construct's partial evaluation, on its calls in the JVP (rules.py
    `constructs`): a while loop's JVP leaves its primal carries to the primal loop."""
    table = functions(module)
    for op in list(block.operations):
        callee = table[op.attributes["callee"].value] if op.operation.name == "func.call" else None
        construct = construct_of(callee) if callee is not None else None
        if construct is not None and construct.partial_eval is not None:
            construct.partial_eval(module, op, callee)


def _live(linear_ops, out_tangents):
    """The linear ops the output tangents need, in order: dead code never reaches the
    transpose (an unused while loop would stop reverse mode)."""
    live, kept = set(out_tangents), []
    for op in reversed(linear_ops):
        if any(r in live for r in op.results):
            kept.append(op)
            live.update(op.operands)
    return kept[::-1]


def _copy_function(module, function, symbol):
    """A private copy of a function with a body, named `symbol`."""
    with ir.InsertionPoint(functions(module)[function.attributes["sym_name"].value]):
        copy = function.operation.clone()
    copy.attributes["sym_name"] = ir.StringAttr.get(symbol)
    return copy.opview


def _linear_function(module, decl, residuals, tangent_args, linear_ops, out_tangents):
    """@<vjp>_linear(residuals..., tangents...) -> output tangents: the linear part."""
    symbol = f"{decl.attributes['sym_name'].value}_linear"
    ftype = ir.FunctionType.get([v.type for v in residuals + tangent_args], [v.type for v in out_tangents])
    declare(module, symbol, ftype, decl.location, {})
    linear_fn = functions(module)[symbol]
    block = add_body(linear_fn)
    env = dict(zip(residuals + tangent_args, block.arguments, strict=True))
    with ir.InsertionPoint(block), decl.location:
        for op in linear_ops:
            clone = rebuild(op, env)
            env.update(zip(op.results, clone.results, strict=True))
        func.ReturnOp([env[v] for v in out_tangents])
    return symbol


@dataclass(frozen=True)
class MiraxLinearize:
    name: ClassVar[str] = "mirax-linearize"
    summary: ClassVar[str] = "Derive functions declared as VJPs: JVP, partial evaluation, and a transpose to derive"

    def __call__(self, module):
        derive_ready(module, VJP_OF, _derive)
