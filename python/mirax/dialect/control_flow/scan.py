"""lax.scan as a construct: a declared function (carry..., xs..., closure...) ->
(carry..., ys...), naming its body (carry..., x..., closure...) -> (carry..., y...)
(`mirax.scan_body`) applied `mirax.scan_length` times, forward or in reverse;
`mirax.scan_num_carry` and `mirax.scan_num_xs` split the args. Its JVP is the scan,
also stacking the carry each step starts from, and its tangent part
(`mirax.scan_tangent_of`), which transposes into a reverse scan of the body's VJP;
mirax-to-linalg expands it into a while loop."""
import numpy as np

from mirax.mlir import func, ir

from .. import ops, rules
from ..batching import batch_at
from ..composites import move_axis
from ..dependence import depends
from ..ir_util import add_body, cut, declare, define, function_type, functions, mark_derived
from ..transformations import (ACTIVE, NOT_BATCHED, SCAN_BODY, SCAN_BODY_NUM_XS, SCAN_LENGTH, SCAN_NUM_CARRY,
                               SCAN_NUM_XS, SCAN_REVERSE, SCAN_TANGENT_OF, WHILE_BODY, WHILE_COND, batched_type,
                               declare_jvp, declare_vjp, declare_vmap, scan_attributes, spell_axes)
from ..types import ShapedType, shaped_type, tensor_type
from ..values import add_tangents, full, instantiate, scalar, type_of, zeros


class Scan:
    """A declared scan's attributes, read once."""

    def __init__(self, table, scan):
        self.function = scan
        self.body = table[scan.attributes[SCAN_BODY].value]
        self.length = ir.IntegerAttr(scan.attributes[SCAN_LENGTH]).value
        self.reverse = ir.BoolAttr(scan.attributes[SCAN_REVERSE]).value
        self.num_carry = ir.IntegerAttr(scan.attributes[SCAN_NUM_CARRY]).value
        self.num_xs = ir.IntegerAttr(scan.attributes[SCAN_NUM_XS]).value

    def split(self, values):
        """carry, xs, closure: a list of the scan's args (or of flags for them)."""
        k, n = self.num_carry, self.num_xs
        return values[:k], values[k:k + n], values[k + n:]


def stacked_type(type_, length):
    """`type_` (a tensor type) with a leading dimension of `length`: a scan's stacked values."""
    shaped = shaped_type(type_)
    return tensor_type(ShapedType((length,) + tuple(shaped.shape), shaped.dtype))


def split_positions(positions, num_carry, num_xs):
    """Positions among a scan body's args (carry, x, closure) as three lists, the x
    and closure ones counted within their group."""
    return ([i for i in positions if i < num_carry],
            [i - num_carry for i in positions if num_carry <= i < num_carry + num_xs],
            [i - num_carry - num_xs for i in positions if i >= num_carry + num_xs])


class ScanRules(rules.Construct):
    attribute = SCAN_BODY

    def callees(self, scan):
        return {scan.attributes[SCAN_BODY].value}

    def depends(self, table, scan, inputs):
        """The carries to a fixed point through the body, the ys on what the body's read."""
        scan = Scan(table, scan)
        carry, xs, closure = scan.split(inputs)
        while True:
            outputs = depends(table, scan.body, carry + xs + closure)
            grown = [a or b for a, b in zip(carry, outputs[:scan.num_carry], strict=True)]
            if grown == carry:
                return outputs
            carry = grown

    def jvp(self, module, op, function, in_primals, in_tangents):
        """Two scans: the scan itself, also stacking the carry each step starts from,
        and the tangent part, a scan over those carries and the xs carrying the active
        carries' tangents, whose body is the tangent of the body's JVP (recomputing what
        it needs of the primal): linear in the tangents."""
        table = functions(module)
        scan = Scan(table, function)
        name = function.attributes["sym_name"].value
        k = scan.num_carry
        flags = self.depends(table, function, [t is not None for t in in_tangents])
        carry_flags = [f or t is not None for f, t in zip(flags[:k], in_tangents[:k], strict=True)]
        _, x_tangents, closure_tangents = scan.split(in_tangents)
        active = ([i for i, f in enumerate(carry_flags) if f]
                  + [k + j for j, t in enumerate(x_tangents) if t is not None]
                  + [k + scan.num_xs + j for j, t in enumerate(closure_tangents) if t is not None])
        carry, xs, closure = scan.split(in_primals)
        body_types = function_type(scan.body)
        carry_types, y_types = list(body_types.results)[:k], list(body_types.results)[k:]
        body_symbol = scan.body.attributes["sym_name"].value

        # The scan, stacking its carries: the body also returns the carry it was given.
        saving = define(module, f"{body_symbol}_saving_carry", list(body_types.inputs),
                        carry_types + y_types + carry_types, function.location,
                        lambda a: list(func.CallOp(carry_types + y_types, body_symbol, a).results) + a[:k])
        stacked_types = [stacked_type(t, scan.length) for t in carry_types]
        results = list(op.results.types)
        primal = declare(module, f"{name}_saving_carry",
                         ir.FunctionType.get([v.type for v in in_primals], results + stacked_types), function.location,
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

        step_inputs = ([t.type for t in tangent_carry] + carry_types + x_slice_types
                       + [x_slice_types[j] for j in active_x] + closure_slice
                       + [closure_slice[j] for j in active_closure])
        step_results = [carry_types[i] for i in active_carry] + y_types
        tangent_body = define(module, f"{body_jvp}_tangent_step", step_inputs, step_results, function.location,
                              tangent_step)
        operands = tangent_carry + carries + xs + tangent_xs + closure + tangent_closure
        tangent_results = [v.type for v in tangent_carry] + results[k:]
        i64 = ir.IntegerType.get_signless(64)
        tangent_scan = declare(module, f"{name}_tangent_{'_'.join(map(str, active))}",
                               ir.FunctionType.get([v.type for v in operands], tangent_results), function.location,
                               scan_attributes(tangent_body, scan.length, scan.reverse, len(active_carry),
                                               k + scan.num_xs + len(active_x),
                                               **{SCAN_TANGENT_OF: ir.FlatSymbolRefAttr.get(body_symbol),
                                                  ACTIVE: ir.DenseI64ArrayAttr.get(active),
                                                  SCAN_BODY_NUM_XS: ir.IntegerAttr.get(i64, scan.num_xs)}))
        tangents = list(func.CallOp(tangent_results, tangent_scan, operands).results)
        out_tangents = [None] * k + tangents[len(active_carry):]
        for i, t in zip(active_carry, tangents[:len(active_carry)], strict=True):
            out_tangents[i] = t
        return outputs, out_tangents

    def transpose(self, module, op, tangent_scan, cts, operands):
        """A scan's tangent part transposes into the reverse scan of the body's VJP at
        each step's saved carry and x: it carries the carries' cotangents and sums the
        closure's, and stacks the xs' cotangents."""
        if SCAN_TANGENT_OF not in tangent_scan.attributes:
            raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")
        table = functions(module)
        scan = Scan(table, tangent_scan)
        body = table[tangent_scan.attributes[SCAN_TANGENT_OF].value]
        active = list(ir.DenseI64ArrayAttr(tangent_scan.attributes[ACTIVE]))
        body_type = function_type(body)
        num_active_carry = scan.num_carry
        num_ys = len(op.results) - num_active_carry
        k = len(body_type.results) - num_ys
        num_body_xs = ir.IntegerAttr(tangent_scan.attributes[SCAN_BODY_NUM_XS]).value
        # The tangent scan's xs are (saved carries, xs, active xs' tangents); its closure
        # is (closure, active closure tangents).
        active_carry, active_x, active_closure = split_positions(active, k, num_body_xs)
        num_closure = len(body_type.inputs) - k - num_body_xs
        _, carries, xs, _, closure, _ = cut(operands, num_active_carry, k, num_body_xs, len(active_x), num_closure)
        cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
        closure_types = list(body_type.inputs)[k + num_body_xs:]
        accumulators = [zeros(shaped_type(closure_types[j])) for j in active_closure]
        vjp = declare_vjp(module, body, active)
        carry_types, y_types = list(body_type.results)[:k], list(body_type.results)[k:]
        input_types = list(body_type.inputs)

        def step(a):
            ct_carry, acc, carry, x, ct_y, cl = cut(a, num_active_carry, len(active_closure), k, num_body_xs, num_ys)
            given = dict(zip(active_carry, ct_carry, strict=True))
            ct_out = [given[i] if i in given else zeros(shaped_type(t)) for i, t in enumerate(carry_types)] + ct_y
            grads = list(func.CallOp(carry_types + y_types + [input_types[i] for i in active], vjp,
                                     carry + x + cl + ct_out).results)[k + num_ys:]
            grad_carry, grad_x, grad_closure = cut(grads, len(active_carry), len(active_x))
            return grad_carry + [add_tangents(s, g) for s, g in zip(acc, grad_closure, strict=True)] + grad_x

        step_inputs = ([carry_types[i] for i in active_carry] + [closure_types[j] for j in active_closure]
                       + carry_types + input_types[k:k + num_body_xs] + y_types + closure_types)
        step_results = ([carry_types[i] for i in active_carry] + [closure_types[j] for j in active_closure]
                        + [input_types[k + j] for j in active_x])
        step_symbol = define(module, f"{vjp}_step", step_inputs, step_results, tangent_scan.location, step)
        ct_carry, ct_y = cts[:num_active_carry], cts[num_active_carry:]
        scan_operands = ct_carry + accumulators + carries + xs + ct_y + closure
        results = ([v.type for v in ct_carry] + [closure_types[j] for j in active_closure]
                   + [stacked_type(input_types[k + j], scan.length) for j in active_x])
        name = f"{tangent_scan.attributes['sym_name'].value}_transpose"
        symbol = declare(module, name, ir.FunctionType.get([v.type for v in scan_operands], results),
                         tangent_scan.location, scan_attributes(step_symbol, scan.length, not scan.reverse,
                                                                num_active_carry + len(active_closure),
                                                                k + num_body_xs + num_ys))
        grads = list(func.CallOp(results, symbol, scan_operands).results)
        ct_init, ct_closure, ct_xs = cut(grads, num_active_carry, len(active_closure))
        return ct_init + [None] * (k + num_body_xs) + ct_xs + [None] * num_closure + ct_closure

    def batch(self, module, op, function, operands, dims, size):
        """A scan of the batched body, carries batched along 0 where they can differ
        between lanes (a fixed point through the body), xs with their batch right after
        the scanned axis (so each x is batched along 0), and ys batched along 1 where
        the body's ys are."""
        table = functions(module)
        scan = Scan(table, function)
        flags = self.depends(table, function, [d is not None for d in dims])
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
        symbol = declare(module, name, ir.FunctionType.get([v.type for v in carry + xs + closure], types),
                         function.location, scan_attributes(body, scan.length, scan.reverse, scan.num_carry,
                                                            scan.num_xs))
        results = func.CallOp(types, symbol, carry + xs + closure).results
        return list(results), [None if a == NOT_BATCHED else a for a in axes(carry_flags) + y_axes]

    def expand(self, module, function):
        """A declared while loop over (step, carry..., ys...), reading x[i] and writing
        y[i] with dynamic slices (i counting down for a reverse scan), which
        mirax-to-linalg then lowers with the other loops."""
        with function.location:
            _expand(module, Scan(functions(module), function))


def _expand(module, scan):
    function = scan.function
    name = function.attributes["sym_name"].value
    types = function_type(function)
    carry_types = list(types.results)[:scan.num_carry]
    ys_types = list(types.results)[scan.num_carry:]
    step_type = _scalar_tensor(np.int32)
    loop_carry = [step_type] + carry_types + ys_types
    closure_types = list(types.inputs)[scan.num_carry:]
    location = function.location

    def position(step):
        """The row a step reads and writes."""
        if not scan.reverse:
            return step
        return ops.sub(scalar(np.int32(scan.length - 1)), step)

    def cond(args):
        return [ops.compare(args[0], scalar(np.int32(scan.length)), direction="LT")]

    def step(args):
        count = 1 + scan.num_carry + len(ys_types)
        i, carry, ys = args[0], args[1:1 + scan.num_carry], args[1 + scan.num_carry:count]
        xs, closure = args[count:count + scan.num_xs], args[count + scan.num_xs:]
        row = position(i)
        x = [_row(v, row) for v in xs]
        outs = list(func.CallOp(list(function_type(scan.body).results), scan.body.attributes["sym_name"].value,
                                carry + x + closure).results)
        ys = [_write_row(y, out, row) for y, out in zip(ys, outs[scan.num_carry:], strict=True)]
        return [ops.add(i, scalar(np.int32(1)))] + outs[:scan.num_carry] + ys

    if scan.length == 0:  # no step runs (and no row could be read): the carry as given, no ys
        block = add_body(function)
        with ir.InsertionPoint(block), location:
            func.ReturnOp(list(block.arguments)[:scan.num_carry] + [full(shaped_type(t), 0) for t in ys_types])
        mark_derived(function, SCAN_BODY, SCAN_LENGTH, SCAN_REVERSE, SCAN_NUM_CARRY, SCAN_NUM_XS)
        return
    cond_symbol = define(module, f"{name}_cond", loop_carry + closure_types,
                         [_scalar_tensor(np.bool_)], location, cond)
    body_symbol = define(module, f"{name}_step", loop_carry + closure_types, loop_carry, location, step)
    # The condition's closure, then the body's: both take all of it.
    loop = declare(module, f"{name}_loop", ir.FunctionType.get(loop_carry + closure_types * 2, loop_carry), location,
                   {WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol),
                    WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})
    block = add_body(function)
    args = list(block.arguments)
    with ir.InsertionPoint(block), location:
        zeros_ = [full(shaped_type(t), 0) for t in ys_types]
        results = func.CallOp(loop_carry, loop, [scalar(np.int32(0))] + args[:scan.num_carry] + zeros_ +
                              args[scan.num_carry:] * 2).results
        func.ReturnOp(list(results)[1:])
    mark_derived(function, SCAN_BODY, SCAN_LENGTH, SCAN_REVERSE, SCAN_NUM_CARRY, SCAN_NUM_XS)


def _scalar_tensor(dtype):
    """tensor<dtype> (0-d)."""
    return tensor_type(ShapedType((), np.dtype(dtype)))


def _row(value, row):
    """value[row] (row: a 0-d int32 value)."""
    shaped = shaped_type(value.type)
    starts = [row] + [scalar(np.int32(0))] * (shaped.ndim - 1)
    window = ops.dynamic_slice(*starts, value, slice_sizes=(1,) + tuple(shaped.shape[1:]))
    return ops.reshape(window, new_sizes=tuple(shaped.shape[1:]))


def _write_row(value, row_value, row):
    """value with value[row] = row_value."""
    shaped = shaped_type(value.type)
    starts = [row] + [scalar(np.int32(0))] * (shaped.ndim - 1)
    update = ops.reshape(row_value, new_sizes=(1,) + tuple(shaped.shape[1:]))
    return ops.dynamic_update_slice(*starts, value, update)


rules.register(ScanRules())
