"""lax.while_loop as a construct: a declared function (carry..., cond closure...,
body closure...) -> carry..., naming its condition (carry..., closure...) -> tensor<i1>
(`mirax.while_cond`) and its body (carry..., closure...) -> carry... (`mirax.while_body`).
Its JVP is a loop carrying tangents too (`mirax.while_jvp_of`), which mirax-linearize
partially evaluates; reverse mode is refused, as JAX refuses it; mirax-to-linalg
lowers it to scf.while."""
from mirax.mlir import func, ir, scf, tensor

from .. import ops, rules
from ..batching import batch_at
from ..dependence import depends
from ..ir_util import add_body, declare, define, function_type, functions, mark_derived
from ..transformations import (ACTIVE, NOT_BATCHED, WHILE_BODY, WHILE_COND, WHILE_JVP_OF, batched_type, declare_jvp,
                               declare_vmap, spell_axes)
from ..types import is_complex, is_float
from ..values import instantiate, type_of


class While:
    """A declared while loop's functions and how its args split, read once."""

    def __init__(self, table, loop):
        self.function = loop
        self.cond, self.body = (table[loop.attributes[key].value] for key in (WHILE_COND, WHILE_BODY))
        self.num_carry = len(function_type(loop).results)
        self.num_cond_closure = len(function_type(self.cond).inputs) - self.num_carry

    def split(self, values):
        """carry, the condition's closure, the body's: a list of the loop's args (or of
        flags for them)."""
        k, c = self.num_carry, self.num_cond_closure
        return values[:k], values[k:k + c], values[k + c:]


def broadcast_to(pred, shaped):
    """A (size,) predicate repeated over the rest of a value batched along 0."""
    return ops.broadcast_in_dim(pred, shape=tuple(shaped.shape), broadcast_dimensions=(0,))


class WhileRules(rules.Construct):
    attribute = WHILE_COND

    def callees(self, loop):
        return {loop.attributes[WHILE_COND].value, loop.attributes[WHILE_BODY].value}

    def depends(self, table, loop, inputs, through_cond=True):
        """Which carries depend on the flagged inputs (carries, then the condition's and
        the body's closures): through the body, to a fixed point, and all of them where
        the condition does (unless not `through_cond`: tangents, as the condition's
        value has no derivative)."""
        loop = While(table, loop)
        carry, cond_closure, body_closure = loop.split(inputs)
        while True:
            grown = [a or b for a, b in zip(carry, depends(table, loop.body, carry + body_closure), strict=True)]
            if grown == carry:
                break
            carry = grown
        if through_cond and depends(table, loop.cond, carry + cond_closure)[0]:
            return [True] * loop.num_carry
        return carry

    def jvp(self, module, op, loop, in_primals, in_tangents):
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
        active = [i for i, flag in enumerate(self.depends(table, loop, flags, through_cond=False))
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
        cond_symbol = define(module, f"{name}_cond", loop_carry + cond_closure_types,
                             list(function_type(cond).results), loop.location, lambda args: list(func.CallOp(
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

    def partial_eval(self, module, op, loop):
        """As JAX's: the primal carries of a loop's JVP come from the primal loop, so the
        JVP loop, which recomputes them, serves only the tangents and is dead code where
        nothing needs them."""
        if WHILE_JVP_OF not in loop.attributes:
            return
        primal = functions(module)[loop.attributes[WHILE_JVP_OF].value]
        primal_type = function_type(primal)
        count, num_tangents = len(primal_type.results), len(ir.DenseI64ArrayAttr(loop.attributes[ACTIVE]))
        operands = list(op.operands)  # carries, their tangents, the closures, their tangents
        closures = operands[count + num_tangents:count + num_tangents + len(primal_type.inputs) - count]
        with ir.InsertionPoint(op), op.location:
            call = func.CallOp(list(primal_type.results), primal.attributes["sym_name"].value,
                               operands[:count] + closures)
        for old, new in zip(list(op.results)[:count], call.results, strict=True):
            old.replace_all_uses_with(new)

    def transpose(self, module, op, loop, cotangents, operands):
        """A loop's tangents step with its primal carries: no linear function of them alone."""
        raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
                         "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.")

    def batch(self, module, op, loop, operands, dims, size):
        """Carries batched along 0 where their values can differ between lanes (a fixed
        point through the body). A batched condition keeps the loop running while any
        lane's holds, and lanes whose condition fails keep their carries (all carries
        are then batched)."""
        table = functions(module)
        parts = While(table, loop)
        carry_dims, cond_dims, body_dims = parts.split(dims)
        batched = self.depends(table, loop, [d is not None for d in dims])
        (pred_batched,) = depends(table, parts.cond, batched + [d is not None for d in cond_dims])
        carry, cond_closure, body_closure = parts.split(operands)
        carry = [batch_at(x, d, size, 0) if b else x for x, d, b in zip(carry, carry_dims, batched, strict=True)]
        carry_axes = [0 if b else NOT_BATCHED for b in batched]
        axes = lambda ds: [NOT_BATCHED if d is None else d for d in ds]  # noqa: E731
        cond_symbol = declare_vmap(module, parts.cond, carry_axes + axes(cond_dims),
                                   [0 if pred_batched else NOT_BATCHED], size)
        body_symbol = declare_vmap(module, parts.body, carry_axes + axes(body_dims), carry_axes, size)
        types = [batched_type(t, a, size) for t, a in zip(op.results.types, carry_axes, strict=True)]
        name = (f"{loop.attributes['sym_name'].value}_vmap{size}_in_"
                f"{spell_axes(carry_axes + axes(cond_dims + body_dims))}")
        if pred_batched:  # the body also needs the condition's closure
            cond_symbol, body_symbol = (_any_lane(module, cond_symbol, name),
                                        _masked(module, cond_symbol, body_symbol, name))
            body_closure = cond_closure + body_closure
        closure = cond_closure + body_closure
        ftype = ir.FunctionType.get(types + [v.type for v in closure], types)
        symbol = declare(module, name, ftype, loop.location, {WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol),
                                                              WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})
        results = func.CallOp(types, symbol, carry + closure).results
        return list(results), [0 if b else None for b in batched]

    def lower(self, module, loop):
        """An scf.while whose condition and body call the loop's functions, which pass
        their closures."""
        parts = While(functions(module), loop)
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


def _any_lane(module, cond_symbol, name):
    """(carry..., closure...) -> whether the batched condition holds for any lane."""
    cond = functions(module)[cond_symbol]
    ftype = function_type(cond)
    return define(module, f"{name}_cond", list(ftype.inputs),
                  [ir.RankedTensorType.get([], ir.IntegerType.get_signless(1))], cond.location,
                  lambda args: [ops.reduce_or(func.CallOp(
                      list(ftype.results), cond_symbol, args).results[0], axes=(0,))])


def _masked(module, cond_symbol, body_symbol, name):
    """(carry..., condition closure..., body closure...) -> the body's carries for the
    lanes whose condition holds, the carries as they were for the others."""
    cond_type, body_type = function_type(functions(module)[cond_symbol]), function_type(functions(module)[body_symbol])
    count = len(body_type.results)
    num_cond_closure = len(cond_type.inputs) - count

    def build(args):
        carry, cond_closure = args[:count], args[count:count + num_cond_closure]
        body_closure = args[count + num_cond_closure:]
        (pred,) = func.CallOp(list(cond_type.results), cond_symbol, carry + cond_closure).results
        stepped = func.CallOp(list(body_type.results), body_symbol, carry + body_closure).results
        return [ops.select(broadcast_to(pred, type_of(new)), new, old)
                for new, old in zip(stepped, carry, strict=True)]

    inputs = list(body_type.results) + list(cond_type.inputs)[count:] + list(body_type.inputs)[count:]
    return define(module, f"{name}_body", inputs, list(body_type.results), functions(module)[body_symbol].location,
                  build)


rules.register(WhileRules())
