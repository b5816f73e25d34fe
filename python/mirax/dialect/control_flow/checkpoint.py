"""mirax.checkpoint (jax.checkpoint, jax.remat) as a construct: a declared function
args... -> outputs... naming its body (`mirax.checkpoint_body`), args... -> outputs....
Its JVP is the checkpoint and its tangent part (`mirax.checkpoint_tangent_of`), a
checkpoint of the body's tangents, which transposes into a checkpoint of the body's
VJP (`mirax.checkpoint_differentiated`): the backward pass recomputes the body's forward
from the args, which are all it saves. mirax-to-linalg gives it a call of its body; in
a differentiated checkpoint with `mirax.checkpoint_prevent_cse` that call is
`no_inline`, so that the inliner and CSE do not merge the recomputation with the
forward pass (JAX's remat puts an optimization barrier there)."""
from mirax.mlir import func, ir

from .. import rules
from ..dependence import depends
from ..ir_util import add_body, declare, function_type, functions, mark_derived
from ..transformations import (ACTIVE, CHECKPOINT_BODY, CHECKPOINT_DIFFERENTIATED, CHECKPOINT_PREVENT_CSE,
                               CHECKPOINT_TANGENT_OF, NOT_BATCHED, batched_type, declare_vmap, spell_axes)
from ..types import shaped_type
from ..values import instantiate
from . import wrappers


def body_of(checkpoint):
    return checkpoint.attributes[CHECKPOINT_BODY].value


def _declare(module, checkpoint, symbol, ftype, body, **extra):
    """A checkpoint of @body named `symbol`, preventing CSE and differentiated as
    `checkpoint` is."""
    attributes = {CHECKPOINT_BODY: ir.FlatSymbolRefAttr.get(body), **extra}
    for flag in (CHECKPOINT_PREVENT_CSE, CHECKPOINT_DIFFERENTIATED):
        if flag in checkpoint.attributes:
            attributes[flag] = ir.UnitAttr.get()
    return declare(module, symbol, ftype, checkpoint.location, attributes)


class CheckpointRules(rules.Construct):
    attribute = CHECKPOINT_BODY

    def callees(self, checkpoint):
        return {body_of(checkpoint)}

    def depends(self, table, checkpoint, inputs):
        return depends(table, table[body_of(checkpoint)], inputs)

    def jvp(self, module, op, checkpoint, in_primals, in_tangents):
        """The checkpoint itself, and the tangent part: a checkpoint of the body's
        tangents (recomputing the primal they need from the args), linear in the
        tangents, which mirax-linearize keeps apart."""
        name = checkpoint.attributes["sym_name"].value
        types = list(op.results.types)
        outputs = list(func.CallOp(types, name, in_primals).results)
        active = [i for i, t in enumerate(in_tangents) if t is not None]
        tangents = [in_tangents[i] for i in active]
        inputs = [v.type for v in in_primals + tangents]
        body = wrappers.tangents(module, functions(module)[body_of(checkpoint)], active, checkpoint.location)
        symbol = _declare(module, checkpoint, f"{name}_tangent_{'_'.join(map(str, active))}",
                          ir.FunctionType.get(inputs, types), body,
                          **{CHECKPOINT_TANGENT_OF: ir.FlatSymbolRefAttr.get(name),
                             ACTIVE: ir.DenseI64ArrayAttr.get(active)})
        return outputs, list(func.CallOp(types, symbol, in_primals + tangents).results)

    def transpose(self, module, op, tangent, cts, operands):
        """A checkpoint's tangent part (args..., tangents...) transposes into a
        checkpoint of the body's VJP at the args: the recomputation."""
        if CHECKPOINT_TANGENT_OF not in tangent.attributes:
            raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")
        table = functions(module)
        checkpoint = table[tangent.attributes[CHECKPOINT_TANGENT_OF].value]
        active = list(ir.DenseI64ArrayAttr(tangent.attributes[ACTIVE]))
        ftype = function_type(checkpoint)
        args = operands[:len(ftype.inputs)]
        cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
        inputs = [v.type for v in args + cts]
        results = [ftype.inputs[i] for i in active]
        body = wrappers.cotangents(module, table[body_of(checkpoint)], active, checkpoint.location)
        symbol = _declare(module, checkpoint,
                          f"{checkpoint.attributes['sym_name'].value}_transpose_{'_'.join(map(str, active))}",
                          ir.FunctionType.get(inputs, results), body,
                          **{CHECKPOINT_DIFFERENTIATED: ir.UnitAttr.get()})
        grads = func.CallOp(results, symbol, args + cts).results
        return [None] * len(args) + list(grads)

    def batch(self, module, op, checkpoint, operands, dims, size):
        """A checkpoint of the batched body, its outputs batched along 0 where they
        depend on a batched arg."""
        table = functions(module)
        in_axes = [NOT_BATCHED if d is None else d for d in dims]
        batched_outputs = self.depends(table, checkpoint, [d is not None for d in dims])
        out_axes = [0 if flag else NOT_BATCHED for flag in batched_outputs]
        batched = declare_vmap(module, table[body_of(checkpoint)], in_axes, out_axes, size)
        types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
        symbol = _declare(module, checkpoint, f"{checkpoint.attributes['sym_name'].value}_vmap{size}_in_"
                          f"{spell_axes(in_axes)}_out_{spell_axes(out_axes)}",
                          ir.FunctionType.get([v.type for v in operands], types), batched)
        return list(func.CallOp(types, symbol, operands).results), [None if a == NOT_BATCHED else 0 for a in out_axes]

    def lower(self, module, checkpoint):
        """A call of the body, kept out of the inliner in a recomputation where CSE is
        prevented (elsewhere inlined: fusion reaches across it)."""
        flags = (CHECKPOINT_BODY, CHECKPOINT_PREVENT_CSE, CHECKPOINT_DIFFERENTIATED, CHECKPOINT_TANGENT_OF, ACTIVE)
        block = add_body(checkpoint)
        with ir.InsertionPoint(block), checkpoint.location:
            call = func.CallOp(list(function_type(checkpoint).results), body_of(checkpoint), list(block.arguments))
            call.no_inline = all(a in checkpoint.attributes for a in flags[1:3])
            func.ReturnOp(list(call.results))
        mark_derived(checkpoint, *(a for a in flags if a in checkpoint.attributes))


rules.register(CheckpointRules())
