"""mirax.custom_batching.custom_vmap as a construct: a declared function args... ->
outputs... naming its body (`mirax.custom_vmap_body`, the function itself) and its
batching rule (`mirax.custom_vmap_rule`, a key of RULES). The rule is Python, so
mirax-vmap's batch rule here asks the API layer to trace it, on the operands batched
along 0 (JAX's `custom_vmap_batching`), into the module: a call of that trace replaces
the construct. Its JVP is JAX's `custom_vmap_jvp`: a custom_vmap of the body's JVP whose
rule is the JVP of the user's rule (RULES[key].jvp()); reverse mode stops at it, as in
JAX. mirax-to-linalg gives it a call of its body: unbatched, the function runs."""
from mirax.mlir import func, ir

from .. import rules
from ..batching import batch_at
from ..ir_util import add_body, declare, function_type, functions, mark_derived
from ..transformations import declare_jvp
from ..types import shaped_type
from ..values import instantiate

CUSTOM_VMAP_BODY = "mirax.custom_vmap_body"
CUSTOM_VMAP_RULE = "mirax.custom_vmap_rule"

# Rule key -> the rule, made by mirax.custom_batching (the API layer, which traces
# Python): `batch(module, in_batched, size) -> (symbol, out_batched)` traces it into
# `module` on operands batched along 0 where `in_batched` says; `jvp()` is the key of
# its JVP's rule; `differentiated` says whether it is one.
RULES = {}


def body_of(custom):
    return custom.attributes[CUSTOM_VMAP_BODY].value


def rule_of(custom):
    return RULES[ir.StringAttr(custom.attributes[CUSTOM_VMAP_RULE]).value]


def declare_custom_vmap(module, symbol, ftype, body, key, location):
    """A custom_vmap of @body with the rule `key`, named `symbol`."""
    return declare(module, symbol, ftype, location, {CUSTOM_VMAP_BODY: ir.FlatSymbolRefAttr.get(body),
                                                     CUSTOM_VMAP_RULE: ir.StringAttr.get(key)})


class CustomVmapRules(rules.Construct):
    attribute = CUSTOM_VMAP_RULE

    def callees(self, custom):
        return {body_of(custom)}

    def depends(self, table, custom, inputs):
        """Every output, where any input is batched (or differentiated): the rule decides
        which outputs it batches, and one it leaves unbatched is broadcast."""
        return [any(inputs)] * len(function_type(custom).results)

    def jvp(self, module, op, custom, in_primals, in_tangents):
        """A custom_vmap of the body's JVP (every tangent instantiated, as JAX's) whose
        rule is the JVP of the rule."""
        tangents = [instantiate(t, shaped_type(p.type)) for t, p in zip(in_tangents, in_primals, strict=True)]
        body = functions(module)[body_of(custom)]
        jvp = declare_jvp(module, body, list(range(len(in_primals))))
        name = custom.attributes["sym_name"].value
        symbol = declare_custom_vmap(module, f"{name}_jvp", function_type(functions(module)[jvp]), jvp,
                                     rule_of(custom).jvp(), custom.location)
        outs = list(func.CallOp(list(op.results.types) * 2, symbol, in_primals + tangents).results)
        return outs[:len(op.results)], outs[len(op.results):]

    def partial_eval(self, module, op, custom):
        """JAX's refusal: its JVP computes outputs and tangents together, inseparably."""
        if rule_of(custom).differentiated:
            raise ValueError("Linearization failed to produce known values for all output primals. This is typically "
                             "caused by attempting to differentiate a function uses an operation that does not "
                             "support reverse-mode autodiff.")

    def batch(self, module, op, custom, operands, dims, size):
        """A call of the rule traced on the operands batched along 0 where they are."""
        symbol, out_batched = rule_of(custom).batch(module, [d is not None for d in dims], size)
        operands = [x if d is None else batch_at(x, d, size, 0) for x, d in zip(operands, dims, strict=True)]
        call = func.CallOp(list(function_type(functions(module)[symbol]).results), symbol, operands)
        return list(call.results), [0 if b else None for b in out_batched]

    def lower(self, module, custom):
        block = add_body(custom)
        with ir.InsertionPoint(block), custom.location:
            call = func.CallOp(list(function_type(custom).results), body_of(custom), list(block.arguments))
            func.ReturnOp(list(call.results))
        mark_derived(custom, CUSTOM_VMAP_BODY, CUSTOM_VMAP_RULE)


rules.register(CustomVmapRules())
