"""mirax.checkpoint (jax.checkpoint, jax.remat) as a construct: a declared function
args... -> outputs... naming its body (`mirax.checkpoint_body`), args... -> outputs....
Its JVP is the checkpoint and its tangent part (`mirax.checkpoint_tangent_of`), a
checkpoint of the body's tangents, which transposes into a checkpoint of the body's
VJP (`mirax.checkpoint_differentiated`): the backward pass recomputes the body's forward
from the args, which are all it saves. mirax-to-linalg gives it a call of its body; in
a differentiated checkpoint with `mirax.checkpoint_prevent_cse` that call is
`no_inline`, so that the inliner and CSE do not merge the recomputation with the
forward pass (JAX's remat puts an optimization barrier there).

A checkpoint with `mirax.checkpoint_saveable` (a policy: {dots = "nothing", "dots" or
"dots_with_no_batch_dims", names = [...], names_but}) saves the results of its body's
dot_generals (those without batch dimensions) and of its checkpoint_name ops of the
names given (with `names_but`: of the other names) besides its args: its JVP computes
them with the outputs (a copy of the body returning them too), and its tangent part is
that of a checkpoint of the body taking them as args (`<body>_using_saved`), where each
such op is a custom_jvp function whose value is the saved one and whose JVP is the op's:
the backward pass recomputes the rest from the args and the saved values, not those ops.

`mirax.checkpoint_name` (jax.ad_checkpoint.checkpoint_name) is the identity op that
names a value for those policies."""
from mirax.mlir import func, ir

from .. import rules
from ..base import MiraxOp, build, string
from ..dependence import depends
from ..elementwise import elementwise_op
from ..ir_util import add_body, declare, define, function_type, functions, inline_calls, mark_derived
from ..jvp import defjvp_rule
from ..transformations import (ACTIVE, CHECKPOINT_BODY, CHECKPOINT_DIFFERENTIATED, CHECKPOINT_PREVENT_CSE,
                               CHECKPOINT_TANGENT_OF, JVP_RULE, NOT_BATCHED, NUM_PRIMALS, batched_type, declare_vmap,
                               spell_axes)
from ..types import shaped_type
from ..values import add_tangents, instantiate
from . import wrappers

CHECKPOINT_SAVEABLE = "mirax.checkpoint_saveable"


@elementwise_op(lower=lambda node, x: [x])
class CheckpointNameOp(MiraxOp, name="checkpoint_name", operands=("operand",), params={"name": string}):
    """The operand itself, named for the policies of the checkpoints around it."""

    infer = staticmethod(lambda x, name: x)


def _name_jvp(node, primals, tangents):
    """As JAX's: the primal named, the tangent not (no policy saves tangents; so no
    transpose rule either, as JAX's)."""
    return build(CheckpointNameOp, list(primals), **node.params), list(tangents)


defjvp_rule(CheckpointNameOp, _name_jvp)


def body_of(checkpoint):
    return checkpoint.attributes[CHECKPOINT_BODY].value


def _declare(module, checkpoint, symbol, ftype, body, **extra):
    """A checkpoint of @body named `symbol`, preventing CSE and differentiated as
    `checkpoint` is."""
    attributes = {CHECKPOINT_BODY: ir.FlatSymbolRefAttr.get(body), **extra}
    for flag in (CHECKPOINT_PREVENT_CSE, CHECKPOINT_DIFFERENTIATED, CHECKPOINT_SAVEABLE):
        if flag in checkpoint.attributes:
            attributes[flag] = checkpoint.attributes[flag]
    return declare(module, symbol, ftype, checkpoint.location, attributes)


def _saveable(module, checkpoint):
    """The positions in the checkpoint's body (its calls inlined) of the ops whose
    results its policy saves."""
    if CHECKPOINT_SAVEABLE not in checkpoint.attributes:
        return set()
    policy = ir.DictAttr(checkpoint.attributes[CHECKPOINT_SAVEABLE])
    dots = ir.StringAttr(policy["dots"]).value
    names = {ir.StringAttr(name).value for name in ir.ArrayAttr(policy["names"])}
    names_but = "names_but" in policy

    def saves(op):
        if op.operation.name == CheckpointNameOp.OPERATION_NAME:
            return (ir.StringAttr(op.attributes["name"]).value in names) != names_but
        return op.operation.name == "mirax.dot_general" and (dots == "dots" or (
            dots == "dots_with_no_batch_dims" and not len(ir.DenseI64ArrayAttr(op.attributes["lhs_batch_dimensions"]))))

    table = functions(module)
    body = table[body_of(checkpoint)]
    if not body.regions[0].blocks:  # a transformation of a body not derived yet (vmap's): nothing saved
        return set()
    # The calls of plain functions (nested jits), not of constructs nor custom rules.
    inline_calls(module, body, lambda calls: [call for call in calls if not any(
        a.startswith("mirax.") for a in table[call.attributes["callee"].value].attributes)])
    return {i for i, op in enumerate(body.regions[0].blocks[0].operations) if saves(op)}


def _copy(op, operands):
    """A copy of the region-free `op` at the current insertion point, on `operands`."""
    return ir.Operation.create(op.operation.name, results=list(op.results.types), operands=operands,
                               attributes={a: op.operation.attributes[a] for a in op.operation.attributes})


def _copy_body(body, args, replace):
    """The results of `body` emitted on `args`: its op at position i gives the results
    `replace(i, op, operands)` gives, or where that is None those of a copy of it."""
    block = body.regions[0].blocks[0]
    env = dict(zip(block.arguments, args, strict=True))
    for i, op in enumerate(block.operations):
        operands = [env[v] for v in op.operands]
        if op.operation.name == "func.return":
            return operands
        results = replace(i, op, operands) or list(_copy(op, operands).results)
        env.update(zip(op.results, results, strict=True))
    raise AssertionError("a function without func.return")


def _saved_value(module, op, symbol):
    """@symbol(operands..., saved) -> saved, a custom_jvp function whose JVP is that of
    `op` (a dot_general or a checkpoint_name)."""
    result = op.results[0].type
    inputs = [v.type for v in op.operands] + [result]

    def rule(args):
        if op.operation.name == CheckpointNameOp.OPERATION_NAME:
            _, saved, x_dot, _ = args
            return [saved, x_dot]
        lhs, rhs, saved, lhs_dot, rhs_dot, _ = args
        return [saved, add_tangents(_copy(op, [lhs_dot, rhs]).results[0], _copy(op, [lhs, rhs_dot]).results[0])]

    jvp = define(module, f"{symbol}_jvp", inputs * 2, [result] * 2, op.location, rule)
    define(module, symbol, inputs, [result], op.location, lambda args: [args[-1]])
    function = functions(module)[symbol]
    function.attributes[JVP_RULE] = ir.FlatSymbolRefAttr.get(jvp)
    function.attributes[NUM_PRIMALS] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), len(inputs))
    return symbol


def _saving(module, checkpoint, positions, in_primals, types):
    """The checkpoint's outputs and saved values, computed now (by a copy of its body
    returning both), and the checkpoint of its body using the saved values, which
    takes them as args after its own (see the module's docstring)."""
    name = body_of(checkpoint)
    body = functions(module)[name]
    saving_tag = "_".join(map(str, sorted(positions)))
    ops = list(body.regions[0].blocks[0].operations)
    saved_types = [ops[i].results[0].type for i in sorted(positions)]
    inputs = [v.type for v in in_primals]

    def computing(args):
        saved = []

        def keep(i, op, operands):
            if i in positions:
                saved.append(_copy(op, operands).results[0])
                return saved[-1:]
            return None

        return _copy_body(body, args, keep) + saved

    def using(args):
        saved = iter(args[len(inputs):])

        def use(i, op, operands):
            if i in positions:
                callee = _saved_value(module, op, f"{name}_saved_{i}")
                return list(func.CallOp([op.results[0].type], callee, operands + [next(saved)]).results)
            return None

        return _copy_body(body, args[:len(inputs)], use)

    saving = define(module, f"{name}_saving_{saving_tag}", inputs, types + saved_types, checkpoint.location,
                    computing)
    results = list(func.CallOp(types + saved_types, saving, in_primals).results)
    uses = define(module, f"{name}_using_saved_{saving_tag}", inputs + saved_types, types, checkpoint.location, using)
    target = _declare(module, checkpoint, f"{checkpoint.attributes['sym_name'].value}_using_saved",
                      ir.FunctionType.get(inputs + saved_types, types), uses)
    return results[:len(types)], results[len(types):], functions(module)[target]


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
        types = list(op.results.types)
        positions = _saveable(module, checkpoint)
        if positions:
            outputs, saved, checkpoint = _saving(module, checkpoint, positions, in_primals, types)
        else:
            outputs, saved = list(func.CallOp(types, checkpoint.attributes["sym_name"].value, in_primals).results), []
        name = checkpoint.attributes["sym_name"].value
        active = [i for i, t in enumerate(in_tangents) if t is not None]
        args = in_primals + saved + [in_tangents[i] for i in active]
        body = wrappers.tangents(module, functions(module)[body_of(checkpoint)], active, checkpoint.location)
        symbol = _declare(module, checkpoint, f"{name}_tangent_{'_'.join(map(str, active))}",
                          ir.FunctionType.get([v.type for v in args], types), body,
                          **{CHECKPOINT_TANGENT_OF: ir.FlatSymbolRefAttr.get(name),
                             ACTIVE: ir.DenseI64ArrayAttr.get(active)})
        return outputs, list(func.CallOp(types, symbol, args).results)

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
        flags = (CHECKPOINT_BODY, CHECKPOINT_PREVENT_CSE, CHECKPOINT_DIFFERENTIATED, CHECKPOINT_TANGENT_OF, ACTIVE,
                 CHECKPOINT_SAVEABLE)
        block = add_body(checkpoint)
        with ir.InsertionPoint(block), checkpoint.location:
            call = func.CallOp(list(function_type(checkpoint).results), body_of(checkpoint), list(block.arguments))
            call.no_inline = all(a in checkpoint.attributes for a in flags[1:3])
            func.ReturnOp(list(call.results))
        mark_derived(checkpoint, *(a for a in flags if a in checkpoint.attributes))


rules.register(CheckpointRules())
