"""Custom derivative rules as constructs (mirax.custom_jvp, mirax.custom_vjp). They ride
on the function a call of the custom function calls (dialect/transformations.py):
`mirax.jvp_rule` names its JVP, (primals..., tangents..., closure...) -> (outputs...,
output tangents...); `mirax.vjp_fwd` its forward pass, (primals..., closure...) ->
(outputs..., residuals...), and `mirax.vjp_bwd` its backward pass, (residuals..., output
cotangents...) -> primal cotangents. The function keeps its body, which every pass but
mirax-jvp reads as any function's: its JVP calls the rules instead, and the linear part
of a custom_vjp function is a bodiless function (`mirax.custom_lin_of`) that
mirax-transpose transposes by the backward pass."""
from mirax.mlir import func, ir

from . import rules
from .dependence import depends
from .ir_util import add_body, declare, function_type, functions
from .transformations import (CUSTOM_LIN_OF, JVP_RULE, NOT_BATCHED, NUM_PRIMALS, VJP_BWD, VJP_FWD, batch_call,
                              batched_type, declare_vmap)
from .types import shaped_type
from .values import instantiate, sum_over, type_of


class _CustomRules(rules.Construct):
    """What custom_jvp and custom_vjp functions share: their rules differentiate only
    their primals, not their closure, and their batched version keeps them, batched."""

    kind: str

    def jvp(self, module, op, function, in_primals, in_tangents):
        """The rule's outputs and output tangents, given the primals and their tangents
        (zeros instantiated, as JAX's rules receive them)."""
        num_primals = ir.IntegerAttr(function.attributes[NUM_PRIMALS]).value
        if any(t is not None for t in in_tangents[num_primals:]):
            raise ValueError(f"mirax-jvp: @{function.attributes['sym_name'].value} ({self.kind}) is differentiated "
                             f"with respect to a value it closes over; its rule only differentiates with respect "
                             f"to its explicit arguments")
        primals, closure = in_primals[:num_primals], in_primals[num_primals:]
        tangents = [instantiate(t, type_of(p)) for t, p in zip(in_tangents[:num_primals], primals, strict=True)]
        return self.rule_jvp(module, op, function, primals, tangents, closure)

    def batch(self, module, op, function, operands, dims, size):
        """The batched function, its rules batched alike (`batch_rules`)."""
        out_batched = depends(functions(module), function, [d is not None for d in dims])
        results, result_dims, symbol = batch_call(module, op, function, operands, dims, out_batched, size)
        batched = functions(module)[symbol]
        if NUM_PRIMALS not in batched.attributes:  # its rules not yet batched
            batched.attributes[NUM_PRIMALS] = function.attributes[NUM_PRIMALS]
            self.batch_rules(module, function, batched, [NOT_BATCHED if d is None else d for d in dims],
                             [0 if b else NOT_BATCHED for b in out_batched], size)
        return results, result_dims


class CustomJvpRules(_CustomRules):
    attribute = JVP_RULE
    kind = "custom_jvp"

    def rule_jvp(self, module, op, function, primals, tangents, closure):
        num_results = len(op.results)
        rule = func.CallOp(list(op.results.types) * 2, function.attributes[JVP_RULE].value,
                           primals + tangents + closure)
        return list(rule.results)[:num_results], list(rule.results)[num_results:]

    def batch_rules(self, module, function, batched, in_axes, out_axes, size):
        """The JVP rule's tangents are batched as their primals."""
        num_primals = ir.IntegerAttr(function.attributes[NUM_PRIMALS]).value
        rule = functions(module)[function.attributes[JVP_RULE].value]
        symbol = declare_vmap(module, rule, in_axes[:num_primals] + in_axes, out_axes + out_axes, size)  # closure last
        batched.attributes[JVP_RULE] = ir.FlatSymbolRefAttr.get(symbol)


class CustomVjpRules(_CustomRules):
    attribute = VJP_FWD
    kind = "custom_vjp"

    def rule_jvp(self, module, op, function, primals, tangents, closure):
        """The forward pass's outputs; their tangents come from a declared linear
        function of the residuals and tangents, which mirax-transpose transposes by the
        backward pass (forward mode alone cannot evaluate it)."""
        num_results = len(op.results)
        fwd_symbol = function.attributes[VJP_FWD].value
        fwd = func.CallOp(list(function_type(functions(module)[fwd_symbol]).results), fwd_symbol, primals + closure)
        outputs, residuals = list(fwd.results)[:num_results], list(fwd.results)[num_results:]
        name = function.attributes["sym_name"].value
        lin_type = ir.FunctionType.get([r.type for r in residuals] + [t.type for t in tangents],
                                       list(op.results.types))
        lin = declare(module, f"{name}_custom_lin", lin_type, function.location,
                      {CUSTOM_LIN_OF: ir.FlatSymbolRefAttr.get(name)})
        return outputs, list(func.CallOp(list(op.results.types), lin, residuals + tangents).results)

    def batch_rules(self, module, function, batched, in_axes, out_axes, size):
        """The forward pass's residuals are batched wherever they depend on batched
        inputs; the backward pass's cotangents as the outputs, and it returns each
        primal's cotangent batched as the primal (see _batched_bwd)."""
        table = functions(module)
        num_primals = ir.IntegerAttr(function.attributes[NUM_PRIMALS]).value
        fwd = table[function.attributes[VJP_FWD].value]
        flags = [a != NOT_BATCHED for a in in_axes]
        residual_axes = [0 if b else NOT_BATCHED for b in depends(table, fwd, flags)[len(out_axes):]]
        symbol = declare_vmap(module, fwd, in_axes, out_axes + residual_axes, size)
        batched.attributes[VJP_FWD] = ir.FlatSymbolRefAttr.get(symbol)
        if VJP_BWD in function.attributes:
            bwd = table[function.attributes[VJP_BWD].value]
            batched.attributes[VJP_BWD] = ir.FlatSymbolRefAttr.get(
                _batched_bwd(module, batched, bwd, residual_axes + list(out_axes), in_axes[:num_primals], size))


def _batched_bwd(module, batched, bwd, axes, primal_axes, size):
    """@bwd batched along `axes` (residuals, cotangents), wrapped to return each
    primal's cotangent batched along `primal_axes`: summed over the batch where the
    primal is not batched but its cotangent is."""
    dependent = depends(functions(module), bwd, [a != NOT_BATCHED for a in axes])
    inner_axes = [0 if d and a == NOT_BATCHED else a for d, a in zip(dependent, primal_axes, strict=True)]
    inner = declare_vmap(module, bwd, axes, inner_axes, size)
    inner_type = function_type(functions(module)[inner])
    symbol = f"{batched.attributes['sym_name'].value}_bwd"
    declare(module, symbol, ir.FunctionType.get(
        list(inner_type.inputs), [batched_type(t, a, size) for t, a in zip(function_type(bwd).results, primal_axes,
                                                                            strict=True)]), bwd.location, {})
    wrapper = functions(module)[symbol]
    block = add_body(wrapper)
    with ir.InsertionPoint(block), bwd.location:
        grads = func.CallOp(list(inner_type.results), inner, list(block.arguments)).results
        func.ReturnOp([sum_over(g, [0]) if inner_axis != axis else g
                       for g, inner_axis, axis in zip(grads, inner_axes, primal_axes, strict=True)])
    return symbol


class CustomLinRules(rules.Construct):
    """The linear part of a custom_vjp function, (residuals..., tangents...) -> output
    tangents: bodiless by design."""

    attribute = CUSTOM_LIN_OF

    def callees(self, lin):
        return set()

    def transpose(self, module, op, lin, cts, operands):
        """The backward pass, (residuals..., cotangents...) -> the tangents' cotangents."""
        table = functions(module)
        custom = table[lin.attributes[CUSTOM_LIN_OF].value]
        if VJP_BWD not in custom.attributes:
            raise ValueError(f"mirax-transpose: the custom_vjp function @{custom.attributes['sym_name'].value} "
                             f"has no backward pass")
        bwd = table[custom.attributes[VJP_BWD].value]
        num_residuals = len(operands) - len(function_type(bwd).results)  # then one tangent per primal
        residuals = operands[:num_residuals]
        cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
        grads = func.CallOp(list(function_type(bwd).results), custom.attributes[VJP_BWD].value, residuals + cts)
        return [None] * num_residuals + list(grads.results)


rules.register(CustomJvpRules())
rules.register(CustomVjpRules())
rules.register(CustomLinRules())
