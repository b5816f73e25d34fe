"""mirax-vmap: vectorization. Derives the body of every function declared as the
batched version of another,

    func.func private @f_vmap(inputs...) -> (outputs...)
        attributes {mirax.vmap_of = @f, mirax.axis_size = 8 : i64,
                    mirax.in_axes = array<i64: 0, -1>, mirax.out_axes = array<i64: 1>}

where input i carries a batch dimension of `axis_size` elements at position
in_axes[i] of @f's input type (-1: not batched, the type unchanged), and output j
at out_axes[j] (-1: the output must not depend on a batched input). Each op of @f
becomes its batched form by the op's batching rule (dialect/rules.py `batching`);
values that depend on no batched input stay unbatched, and a batch dimension moves
only when a rule needs it elsewhere. A call becomes a call of its callee's batched
version, declared here and derived in turn; transformations nest, innermost first.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import node_of, rules
from mirax.dialect.batching import batch_at, move_axis
from mirax.dialect.base import op_class
from mirax.dialect.values import apply, full, sum_over, type_of
from mirax.dialect.ir_util import add_body, declare, define, function_type, functions, mark_derived, rebuild
from mirax.dialect.transformations import (AXIS_SIZE, COND_BRANCHES, IN_AXES, JVP_RULE, NOT_BATCHED, NUM_PRIMALS,
                                           OUT_AXES, SCAN_BODY, Scan, VJP_BWD, VJP_FWD, VMAP_OF, WHILE_BODY,
                                           WHILE_COND, While, batched_type, branch_list, branches, declare_vmap,
                                           scan_attributes, spell_axes)
from mirax.mlir import func, ir

from .dependence import cond_depends, depends, derive_ready, scan_depends, while_depends


def _derive(module, decl):
    callee = functions(module)[decl.attributes[VMAP_OF].value]
    in_axes = list(ir.DenseI64ArrayAttr(decl.attributes[IN_AXES]))
    out_axes = list(ir.DenseI64ArrayAttr(decl.attributes[OUT_AXES]))
    size = ir.IntegerAttr(decl.attributes[AXIS_SIZE]).value
    block = add_body(decl)
    callee_block = callee.regions[0].blocks[0]
    values = {arg: (value, None if axis == NOT_BATCHED else axis)
              for arg, value, axis in zip(callee_block.arguments, block.arguments, in_axes, strict=True)}
    with ir.InsertionPoint(block):
        for op in callee_block.operations:
            with op.location:
                if op.operation.name == "func.return":
                    func.ReturnOp([_output(*values[v], axis, size, decl)
                                   for v, axis in zip(op.operands, out_axes, strict=True)])
                    continue
                operands, dims = zip(*(values[v] for v in op.operands)) if op.operands else ((), ())
                results, result_dims = _batch(module, op, list(operands), list(dims), size)
                values.update(zip(op.results, zip(results, result_dims, strict=True), strict=True))
    mark_derived(decl, VMAP_OF, IN_AXES, OUT_AXES, AXIS_SIZE)


def _output(value, bdim, axis, size, decl):
    if axis != NOT_BATCHED:
        return batch_at(value, bdim, size, axis)
    if bdim is not None:
        raise ValueError(f"vmap has mapped output but out_axes is None: @{decl.attributes['sym_name'].value} "
                         f"has an output batched along its dimension {bdim}, but its out_axes entry is -1")
    return value


def _batch(module, op, operands, dims, size):
    """`op` on batched operands: the results and their batch dimensions."""
    if all(d is None for d in dims):  # nothing batched flows in: the op as it was
        clone = rebuild(op, dict(zip(op.operands, operands, strict=True)))
        return list(clone.results), [None] * len(op.results)
    name = op.operation.name
    if name == "func.call":
        table = functions(module)
        callee = table[op.attributes["callee"].value]
        if WHILE_COND in callee.attributes:
            return _batch_while(module, op, callee, operands, dims, size)
        if COND_BRANCHES in callee.attributes:
            return _batch_cond(module, op, callee, operands, dims, size)
        if SCAN_BODY in callee.attributes:
            return _batch_scan(module, op, callee, operands, dims, size)
        in_axes = [NOT_BATCHED if d is None else d for d in dims]
        out_axes = [0 if batched else NOT_BATCHED for batched in depends(table, callee, [d is not None for d in dims])]
        symbol = declare_vmap(module, callee, in_axes, out_axes, size)
        _batch_custom_rules(module, callee, functions(module)[symbol], in_axes, out_axes, size)
        types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
        results = func.CallOp(types, symbol, operands).results
        return list(results), [None if a == NOT_BATCHED else a for a in out_axes]
    rule = rules.batching.get(name)
    if rule is None:
        raise NotImplementedError(f"mirax-vmap: no batching rule for {name}")
    return rule(node_of(op), operands, dims, size)


def _batch_custom_rules(module, callee, batched, in_axes, out_axes, size):
    """The batched version of a custom_jvp or custom_vjp function keeps its rules,
    batched alike: the JVP rule's tangents are batched as their primals; the forward
    pass's residuals wherever they depend on batched inputs; the backward pass's
    cotangents as the outputs, and it returns each primal's cotangent batched as the
    primal, summed over the batch for a primal that is not batched."""
    if NUM_PRIMALS not in callee.attributes or NUM_PRIMALS in batched.attributes:
        return
    table = functions(module)
    num_primals = ir.IntegerAttr(callee.attributes[NUM_PRIMALS]).value
    batched.attributes[NUM_PRIMALS] = callee.attributes[NUM_PRIMALS]
    if JVP_RULE in callee.attributes:
        rule = table[callee.attributes[JVP_RULE].value]
        primal_axes = in_axes[:num_primals]
        symbol = declare_vmap(module, rule, primal_axes + in_axes, out_axes + out_axes, size)  # closure last
        batched.attributes[JVP_RULE] = ir.FlatSymbolRefAttr.get(symbol)
        return
    fwd = table[callee.attributes[VJP_FWD].value]
    flags = [a != NOT_BATCHED for a in in_axes]
    residual_axes = [0 if b else NOT_BATCHED for b in depends(table, fwd, flags)[len(out_axes):]]
    symbol = declare_vmap(module, fwd, in_axes, out_axes + residual_axes, size)
    batched.attributes[VJP_FWD] = ir.FlatSymbolRefAttr.get(symbol)
    if VJP_BWD in callee.attributes:
        bwd = table[callee.attributes[VJP_BWD].value]
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


def _batch_while(module, op, loop, operands, dims, size):
    """A while loop with batched operands: carries batched along 0 where their values
    can differ between lanes (a fixed point through the body). A batched condition
    keeps the loop running while any lane's holds, and lanes whose condition fails
    keep their carries (all carries are then batched)."""
    table = functions(module)
    parts = While(table, loop)
    carry_dims, cond_dims, body_dims = parts.split(dims)
    batched = while_depends(table, loop, [d is not None for d in dims])
    (pred_batched,) = depends(table, parts.cond, batched + [d is not None for d in cond_dims])
    carry, cond_closure, body_closure = parts.split(operands)
    carry = [batch_at(x, d, size, 0) if b else x for x, d, b in zip(carry, carry_dims, batched, strict=True)]
    carry_axes = [0 if b else NOT_BATCHED for b in batched]
    axes = lambda ds: [NOT_BATCHED if d is None else d for d in ds]  # noqa: E731
    cond_symbol = declare_vmap(module, parts.cond, carry_axes + axes(cond_dims), [0 if pred_batched else NOT_BATCHED],
                               size)
    body_symbol = declare_vmap(module, parts.body, carry_axes + axes(body_dims), carry_axes, size)
    types = [batched_type(t, a, size) for t, a in zip(op.results.types, carry_axes, strict=True)]
    name = f"{loop.attributes['sym_name'].value}_vmap{size}_in_{spell_axes(carry_axes + axes(cond_dims + body_dims))}"
    if pred_batched:  # the body also needs the condition's closure
        cond_symbol, body_symbol = _any_lane(module, cond_symbol, name), _masked(module, cond_symbol, body_symbol, name)
        body_closure = cond_closure + body_closure
    closure = cond_closure + body_closure
    ftype = ir.FunctionType.get(types + [v.type for v in closure], types)
    symbol = declare(module, name, ftype, loop.location, {WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol),
                                                          WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})
    results = func.CallOp(types, symbol, carry + closure).results
    return list(results), [0 if b else None for b in batched]


def _batch_cond(module, op, cond, operands, dims, size):
    """A cond with batched operands: with an unbatched index, a cond of the batched
    branches (outputs batched along 0 where any branch's depends on a batched arg);
    with a batched index, every batched branch, each lane's result selected by its
    index, as JAX does."""
    table = functions(module)
    index_dim, arg_dims = dims[0], dims[1:]
    in_axes = [NOT_BATCHED if d is None else d for d in arg_dims]
    flags = cond_depends(table, cond, [d is not None for d in dims])
    out_axes = [0 if flag else NOT_BATCHED for flag in flags]
    batched = [declare_vmap(module, table[symbol], in_axes, out_axes, size) for symbol in branches(cond)]
    types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
    if index_dim is None:
        ftype = ir.FunctionType.get([operands[0].type] + [v.type for v in operands[1:]], types)
        symbol = declare(module, f"{cond.attributes['sym_name'].value}_vmap{size}_in_{spell_axes(in_axes)}", ftype,
                         cond.location, {COND_BRANCHES: branch_list(batched)})
        return list(func.CallOp(types, symbol, operands).results), [None if a == NOT_BATCHED else 0 for a in out_axes]
    index = batch_at(operands[0], index_dim, size, 0)
    results = [list(func.CallOp(types, symbol, operands[1:]).results) for symbol in batched]
    chosen = results[-1]
    for k in range(len(results) - 2, -1, -1):
        is_k = apply(op_class("mirax.compare"), index, full(type_of(index), k), direction="EQ")
        chosen = [apply(op_class("mirax.select"), broadcast_to(is_k, type_of(r)), r, c)
                  for r, c in zip(results[k], chosen, strict=True)]
    return chosen, [0] * len(chosen)


def _batch_scan(module, op, function, operands, dims, size):
    """A scan with batched operands: a scan of the batched body, carries batched along
    0 where they can differ between lanes (a fixed point through the body), xs with
    their batch right after the scanned axis (so each x is batched along 0), and ys
    batched along 1 where the body's ys are."""
    table = functions(module)
    scan = Scan(table, function)
    flags = scan_depends(table, function, [d is not None for d in dims])
    carry_flags, y_flags = flags[:scan.num_carry], flags[scan.num_carry:]
    carry, xs, closure = scan.split(operands)
    carry_dims, xs_dims, closure_dims = scan.split(dims)
    carry = [batch_at(v, d, size, 0) if f else v for v, d, f in zip(carry, carry_dims, carry_flags, strict=True)]
    xs = [v if d is None else move_axis(v, d, 1) for v, d in zip(xs, xs_dims, strict=True)]
    axes = lambda bools: [0 if b else NOT_BATCHED for b in bools]  # noqa: E731
    in_axes = (axes(carry_flags) + axes([d is not None for d in xs_dims])
               + [NOT_BATCHED if d is None else d for d in closure_dims])
    body = declare_vmap(module, scan.body, in_axes, axes(carry_flags) + axes(y_flags), size)
    y_axes = [1 if f else NOT_BATCHED for f in y_flags]
    types = [batched_type(t, a, size) for t, a in zip(op.results.types, axes(carry_flags) + y_axes, strict=True)]
    name = f"{function.attributes['sym_name'].value}_vmap{size}_in_{spell_axes(in_axes)}"
    symbol = declare(module, name, ir.FunctionType.get([v.type for v in carry + xs + closure], types), function.location,
                     scan_attributes(body, scan.length, scan.reverse, scan.num_carry, scan.num_xs))
    results = func.CallOp(types, symbol, carry + xs + closure).results
    return list(results), [None if a == NOT_BATCHED else a for a in axes(carry_flags) + y_axes]


def _any_lane(module, cond_symbol, name):
    """(carry..., closure...) -> whether the batched condition holds for any lane."""
    cond = functions(module)[cond_symbol]
    ftype = function_type(cond)
    return define(module, f"{name}_cond", list(ftype.inputs), [ir.RankedTensorType.get([], ir.IntegerType.get_signless(1))],
                    cond.location, lambda args: [apply(op_class("mirax.reduce_or"), func.CallOp(
                        list(ftype.results), cond_symbol, args).results[0], axes=(0,))])


def _masked(module, cond_symbol, body_symbol, name):
    """(carry..., condition closure..., body closure...) -> the body's carries for the
    lanes whose condition holds, the carries as they were for the others."""
    cond_type, body_type = function_type(functions(module)[cond_symbol]), function_type(functions(module)[body_symbol])
    count = len(body_type.results)
    num_cond_closure = len(cond_type.inputs) - count

    def build(args):
        carry, cond_closure, body_closure = args[:count], args[count:count + num_cond_closure], args[count + num_cond_closure:]
        (pred,) = func.CallOp(list(cond_type.results), cond_symbol, carry + cond_closure).results
        stepped = func.CallOp(list(body_type.results), body_symbol, carry + body_closure).results
        return [apply(op_class("mirax.select"), broadcast_to(pred, type_of(new)), new, old)
                for new, old in zip(stepped, carry, strict=True)]

    inputs = list(body_type.results) + list(cond_type.inputs)[count:] + list(body_type.inputs)[count:]
    return define(module, f"{name}_body", inputs, list(body_type.results), functions(module)[body_symbol].location,
                    build)


def broadcast_to(pred, shaped):
    """A (size,) predicate repeated over the rest of a value batched along 0."""
    return apply(op_class("mirax.broadcast_in_dim"), pred, shape=tuple(shaped.shape), broadcast_dimensions=(0,))


@dataclass(frozen=True)
class MiraxVmap:
    name: ClassVar[str] = "mirax-vmap"
    summary: ClassVar[str] = "Derive the bodies of functions declared as batched versions of others (vectorization)"

    def __call__(self, module):
        derive_ready(module, VMAP_OF, _derive)
