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

from mirax.dialect import node_of, rules
from mirax.dialect.types import shaped_type
from mirax.dialect.values import add_tangents, instantiate
from mirax.mlir import func, ir

from .declarations import (COND_BRANCHES, COND_TANGENT_OF, CUSTOM_LIN_OF, VJP_BWD, add_body, branch_list, branches, declare, define,
                           derive_ready, function_type, functions, linear_values, mark_derived)
from .mirax_jvp import ACTIVE

TRANSPOSE_OF = "mirax.transpose_of"
LINEAR = "mirax.linear"


def declare_transpose(module, linear_fn, linear):
    """The symbol of the transpose of `linear_fn` in its arguments `linear`, declared once."""
    name = linear_fn.attributes["sym_name"].value
    symbol = f"{name}_transpose"
    ftype = function_type(linear_fn)
    inputs, results = list(ftype.inputs), list(ftype.results)
    nonlinear = [t for i, t in enumerate(inputs) if i not in linear]
    transpose_type = ir.FunctionType.get(nonlinear + results, [inputs[i] for i in linear])
    return declare(module, symbol, transpose_type, linear_fn.location, {
        TRANSPOSE_OF: ir.FlatSymbolRefAttr.get(name), LINEAR: ir.DenseI64ArrayAttr.get(list(linear))})


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
    cotangents = {}
    with ir.InsertionPoint(block), decl.location:
        for value, ct in zip(ret.operands, args[len(nonlinear_args):], strict=True):
            if value in linear:
                cotangents[value] = add_tangents(cotangents.get(value), ct)
        for op in reversed(ops[:-1]):
            if not any(v in linear for v in op.operands):
                raise ValueError(f"mirax-transpose: {op.operation.name} in @{linear_fn.attributes['sym_name'].value} "
                                 f"reads no linear value; a linear function computes only on its linear arguments")
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
    linear part of a custom_vjp function or of a cond."""
    callee = functions(module)[op.attributes["callee"].value]
    if CUSTOM_LIN_OF in callee.attributes:
        return _transpose_custom_lin(module, op, callee, cts, operands)
    if COND_TANGENT_OF in callee.attributes:
        return _transpose_cond_tangent(module, op, callee, cts, operands)
    raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")


def _transpose_cond_tangent(module, op, tangent_cond, cts, operands):
    """A cond's tangent part (index, args..., tangents...) transposes into a cond of the
    branches' VJPs on the same index and args, giving the tangents' cotangents."""
    from .mirax_linearize import declare_vjp  # mirax-linearize builds on this pass

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
    name: str = "mirax-transpose"
    summary: str = "Derive the bodies of functions declared as transposes of linear functions"

    def __call__(self, module, pass_=None):
        derive_ready(module, TRANSPOSE_OF, _derive)
