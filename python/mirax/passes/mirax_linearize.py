"""mirax-linearize: reverse mode, first half. Derives the body of every function
declared as the VJP of another,

    func.func private @f_vjp(primals..., output cotangents...) -> (outputs..., input cotangents...)
        attributes {mirax.vjp_of = @f, mirax.active = array<i64: ...>}

as JAX does: forward mode, then partial evaluation, then transposition. The JVP of
@f (mirax-jvp's rules) is derived and its calls inlined; its ops split into the
primal computation (no tangent among their operands), which the VJP computes
directly, and the linear tangent computation, which becomes @f_vjp_linear
(residuals, tangents) -> output tangents, keeping only what the output tangents need
(a while loop's JVP leaves its primal carries to the loop itself, as JAX's partial
evaluation does): dead code never reaches the transpose. The VJP's cotangents come
from that function's transpose, declared here (`mirax.transpose_of`) and derived by
mirax-transpose.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.ir_util import (add_body, declare, function_type, functions, inline_calls, linear_values,
                                   mark_derived, rebuild)
from mirax.dialect.transformations import ACTIVE, VJP_OF, WHILE_COND, WHILE_JVP_OF, declare_jvp, declare_transpose
from mirax.mlir import func, ir

from .dependence import derive_ready
from .mirax_jvp import MiraxJvp  # reverse mode starts from forward mode


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
    MiraxJvp()(module)  # derives it and the JVPs of whatever it calls
    jvp = _copy_function(module, functions(module)[jvp_symbol], f"{decl.attributes['sym_name'].value}_jvp_inlined")
    jvp_block = jvp.regions[0].blocks[0]
    primal_args = list(jvp_block.arguments)[:num_inputs]
    tangent_args = list(jvp_block.arguments)[num_inputs:]
    inline_linear_calls(module, jvp, tangent_args)
    _split_loops(module, jvp_block)

    linear = linear_values(jvp_block, tangent_args)
    ret = list(jvp_block.operations)[-1]
    outputs = list(ret.operands)[:num_outputs]
    out_tangents = list(ret.operands)[num_outputs:]
    primal_ops, linear_ops = [], []
    for op in list(jvp_block.operations)[:-1]:
        (linear_ops if any(v in linear for v in op.operands) else primal_ops).append(op)
    linear_ops = _live(linear_ops, out_tangents)
    table = functions(module)
    if any(op.operation.name == "func.call" and WHILE_COND in table[op.attributes["callee"].value].attributes
           for op in linear_ops):  # its tangents step with the primal carries: no linear function of them alone
        raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
                         "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.")
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


def _split_loops(module, block):
    """Partial evaluation of the JVPs of while loops, as JAX's: the primal carries come
    from the primal loop, so the JVP loop, which recomputes them, serves only the
    tangents and is dead code where nothing needs them."""
    table = functions(module)
    for op in list(block.operations):
        loop = table[op.attributes["callee"].value] if op.operation.name == "func.call" else None
        if loop is None or WHILE_JVP_OF not in loop.attributes:
            continue
        primal = table[loop.attributes[WHILE_JVP_OF].value]
        primal_type = function_type(primal)
        count, num_tangents = len(primal_type.results), len(ir.DenseI64ArrayAttr(loop.attributes[ACTIVE]))
        operands = list(op.operands)  # carries, their tangents, the closures, their tangents
        closures = operands[count + num_tangents:count + num_tangents + len(primal_type.inputs) - count]
        with ir.InsertionPoint(op), op.location:
            call = func.CallOp(list(primal_type.results), primal.attributes["sym_name"].value,
                               operands[:count] + closures)
        for old, new in zip(list(op.results)[:count], call.results, strict=True):
            old.replace_all_uses_with(new)


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
