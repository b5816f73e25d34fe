"""The transformation protocol: how the API asks the passes for a transformed or
control-flow function, and what a pass reads back. It lives in the dialect layer
because both sides speak it, and neither may import the other's internals.

A transformed function is a private function declared with an attribute naming the
function it transforms (`mirax.jvp_of`, `mirax.vjp_of`, `mirax.transpose_of`,
`mirax.vmap_of`); its pass derives the body. Transformations nest, so a declaration is
derived once the function it names has a body free of pending declarations:
innermost first, to a fixed point. Every `declare_*` here declares through
ir_util.declare, once per symbol. Forward mode itself, `derive_jvp`, is here too:
mirax-jvp runs it, and mirax-linearize starts from it."""
from mirax.mlir import func, ir

from . import rules
from .base import node_of
from .ir_util import add_body, declare, function_type, functions, mark_derived, rebuild
from .types import ShapedType, shaped_type, tensor_type
from .values import instantiate

# The four transformations, each with the attributes its declaration carries.
JVP_OF = "mirax.jvp_of"
VJP_OF = "mirax.vjp_of"
TRANSPOSE_OF = "mirax.transpose_of"
VMAP_OF = "mirax.vmap_of"
TRANSFORMS = (JVP_OF, VJP_OF, TRANSPOSE_OF, VMAP_OF)
ACTIVE = "mirax.active"  # the arguments a JVP or VJP differentiates
LINEAR = "mirax.linear"  # the arguments a transposed function is linear in
IN_AXES = "mirax.in_axes"
OUT_AXES = "mirax.out_axes"
AXIS_SIZE = "mirax.axis_size"
NOT_BATCHED = -1  # an in_axes/out_axes entry: no batch dimension

# Custom derivative rules (mirax.custom_jvp, mirax.custom_vjp) ride on the function a
# call of the custom function calls: `mirax.jvp_rule` names its JVP, (primals...,
# tangents..., closure...) -> (outputs..., output tangents...); `mirax.vjp_fwd` its
# forward pass, (primals..., closure...) -> (outputs..., residuals...), and
# `mirax.vjp_bwd` its backward pass, (residuals..., output cotangents...) -> primal
# cotangents; `mirax.num_primals` says how many arguments are primals (the rest are
# the closure, which is not differentiated). mirax-jvp calls the rules in place of
# the function; mirax-transpose calls the backward pass for the function
# `mirax.custom_lin_of` a custom_vjp function, declared by mirax-jvp for its linear part
# (their rules: dialect/custom_rules.py).
JVP_RULE = "mirax.jvp_rule"
# A function computed by Python at run time (a custom_vjp backward pass outside jit,
# run eagerly on concrete arrays as JAX runs it): bodiless, naming the host symbol the
# runtime registers; mirax-to-linalg gives it a body calling that symbol on buffers.
HOST_CALLBACK = "mirax.host_callback"
# A user's callback (mirax.pure_callback, experimental.io_callback, debug.callback and
# debug.print): a host callback, naming its host symbol, with the rules of
# dialect/callback.py (a debug callback's JVP calls it on the primals, a batched one
# calls a batched host function).
CALLBACK = "mirax.callback"
VJP_FWD = "mirax.vjp_fwd"
VJP_BWD = "mirax.vjp_bwd"
NUM_PRIMALS = "mirax.num_primals"
CUSTOM_LIN_OF = "mirax.custom_lin_of"

# Control flow is declared functions too, each a construct with its rules in
# dialect/control_flow/ (an op could not carry mixed operand types, IRDL).
# lax.while_loop: (carry..., cond closure..., body closure...) -> carry..., naming its
# condition (carry..., closure...) -> tensor<i1> and its body (carry..., closure...) ->
# carry...; mirax-to-linalg gives it an scf.while body.
WHILE_COND = "mirax.while_cond"
WHILE_BODY = "mirax.while_body"
# A loop mirax-jvp made, carrying the loop it names' carries, then the tangents of the
# carries `mirax.active`: mirax-linearize splits the primal loop off it.
WHILE_JVP_OF = "mirax.while_jvp_of"
# lax.cond and lax.switch: (index: tensor<i32>, args...) -> outputs..., naming its
# branches, each args... -> outputs...; the index is in range (the API clamps it).
# `mirax.cond_tangent_of` marks the tangent part of a cond's JVP (its branches the
# branches' tangents, args... then the active args' tangents), which mirax-transpose
# transposes by a cond of the branches' VJPs.
COND_BRANCHES = "mirax.cond_branches"
COND_TANGENT_OF = "mirax.cond_tangent_of"
# lax.scan: (carry..., xs..., closure...) -> (carry..., ys...), naming its body
# (carry..., x..., closure...) -> (carry..., y...) applied `mirax.scan_length` times,
# forward or in reverse; `mirax.scan_num_carry` and `mirax.scan_num_xs` split the args.
# `mirax.scan_tangent_of` marks the tangent part of a scan's JVP (control_flow/scan.py), which
# mirax-transpose turns into a reverse scan of the body's VJP.
SCAN_BODY = "mirax.scan_body"
SCAN_LENGTH = "mirax.scan_length"
SCAN_REVERSE = "mirax.scan_reverse"
SCAN_NUM_CARRY = "mirax.scan_num_carry"
SCAN_NUM_XS = "mirax.scan_num_xs"
SCAN_TANGENT_OF = "mirax.scan_tangent_of"
SCAN_BODY_NUM_XS = "mirax.scan_body_num_xs"  # on a tangent part: how many xs the body takes
# mirax.checkpoint: args... -> outputs..., naming its body args... -> outputs....
# `mirax.checkpoint_tangent_of` marks the tangent part of its JVP
# (control_flow/checkpoint.py), which mirax-transpose turns into a checkpoint of the
# body's VJP, `mirax.checkpoint_differentiated` (JAX's remat `differentiated`): a
# recomputation, whose lowered call is kept out of the inliner under
# `mirax.checkpoint_prevent_cse`, so that it survives CSE.
CHECKPOINT_BODY = "mirax.checkpoint_body"
CHECKPOINT_DIFFERENTIATED = "mirax.checkpoint_differentiated"
CHECKPOINT_PREVENT_CSE = "mirax.checkpoint_prevent_cse"
CHECKPOINT_TANGENT_OF = "mirax.checkpoint_tangent_of"


def _spell_active(active):
    return "_".join(map(str, active)) or "none"


def jvp_type(ftype, active):
    """The type of the JVP of a function of type `ftype` with tangents for `active`:
    (inputs, their tangents) -> (results, their tangents)."""
    inputs, results = list(ftype.inputs), list(ftype.results)
    return ir.FunctionType.get(inputs + [inputs[i] for i in active], results + results)


def vjp_type(ftype, active):
    """(inputs, cotangents of the results) -> (results, cotangents of `active`)."""
    inputs, results = list(ftype.inputs), list(ftype.results)
    return ir.FunctionType.get(inputs + results, results + [inputs[i] for i in active])


def transpose_type(ftype, linear):
    """(the nonlinear inputs, cotangents of the results) -> cotangents of `linear`."""
    inputs, results = list(ftype.inputs), list(ftype.results)
    nonlinear = [t for i, t in enumerate(inputs) if i not in linear]
    return ir.FunctionType.get(nonlinear + results, [inputs[i] for i in linear])


def declare_jvp(module, callee, active):
    """The symbol of @callee's JVP with tangents for the arguments `active`, declared in
    `module` (a builtin.module operation) once per callee and active set."""
    name = callee.attributes["sym_name"].value
    return declare(module, f"{name}_jvp_{_spell_active(active)}", jvp_type(function_type(callee), active),
                   callee.location, {
        JVP_OF: ir.FlatSymbolRefAttr.get(name), ACTIVE: ir.DenseI64ArrayAttr.get(list(active))})


def declare_vjp(module, callee, active):
    """The symbol of @callee's VJP with cotangents for the arguments `active`, declared
    in `module` (a builtin.module operation) once per callee and active set."""
    name = callee.attributes["sym_name"].value
    return declare(module, f"{name}_vjp_{_spell_active(active)}", vjp_type(function_type(callee), active),
                   callee.location, {
        VJP_OF: ir.FlatSymbolRefAttr.get(name), ACTIVE: ir.DenseI64ArrayAttr.get(list(active))})


def declare_transpose(module, linear_fn, linear):
    """The symbol of the transpose of `linear_fn` in its arguments `linear`, declared once."""
    name = linear_fn.attributes["sym_name"].value
    return declare(module, f"{name}_transpose", transpose_type(function_type(linear_fn), linear), linear_fn.location, {
        TRANSPOSE_OF: ir.FlatSymbolRefAttr.get(name), LINEAR: ir.DenseI64ArrayAttr.get(list(linear))})


def batched_type(type_, axis, size):
    """`type_` (an MLIR tensor type) with a dimension of `size` inserted at `axis`."""
    if axis == NOT_BATCHED:
        return type_
    shaped = shaped_type(type_)
    if not 0 <= axis <= shaped.ndim:
        raise ValueError(f"batch axis {axis} out of range for a value of shape {list(shaped.shape)}")
    shape = list(shaped.shape)
    shape.insert(axis, size)
    return tensor_type(ShapedType(tuple(shape), shaped.dtype))


def spell_axes(axes):
    """Batch axes in a symbol name: n for not batched."""
    return "_".join("n" if a == NOT_BATCHED else str(a) for a in axes) or "none"


def declare_vmap(module, callee, in_axes, out_axes, size):
    """The symbol of @callee batched along `in_axes` (NOT_BATCHED for inputs that are
    not) into `out_axes`, `size` elements, declared in `module` once."""
    name = callee.attributes["sym_name"].value
    ftype = function_type(callee)
    inputs, results = list(ftype.inputs), list(ftype.results)
    in_axes = list(in_axes) + [NOT_BATCHED] * (len(inputs) - len(in_axes))  # trailing constants
    symbol = f"{name}_vmap{size}_in_{spell_axes(in_axes)}_out_{spell_axes(out_axes)}"
    vmap_type = ir.FunctionType.get([batched_type(t, a, size) for t, a in zip(inputs, in_axes, strict=True)],
                                    [batched_type(t, a, size) for t, a in zip(results, out_axes, strict=True)])
    return declare(module, symbol, vmap_type, callee.location, {
        VMAP_OF: ir.FlatSymbolRefAttr.get(name),
        IN_AXES: ir.DenseI64ArrayAttr.get(in_axes),
        OUT_AXES: ir.DenseI64ArrayAttr.get(list(out_axes)),
        AXIS_SIZE: ir.IntegerAttr.get(ir.IntegerType.get_signless(64), size),
    })


def transformed(function):
    """The function a declaration transforms, by name; None for other functions."""
    for attr in TRANSFORMS:
        if attr in function.attributes:
            return function.attributes[attr].value
    return None


def branches(cond):
    """The symbols of a cond's branches, in index order."""
    return [ir.FlatSymbolRefAttr(a).value for a in ir.ArrayAttr(cond.attributes[COND_BRANCHES])]


def branch_list(symbols):
    return ir.ArrayAttr.get([ir.FlatSymbolRefAttr.get(s) for s in symbols])


def scan_attributes(body, length, reverse, num_carry, num_xs, **extra):
    i64 = ir.IntegerType.get_signless(64)
    return {SCAN_BODY: ir.FlatSymbolRefAttr.get(body), SCAN_LENGTH: ir.IntegerAttr.get(i64, length),
            SCAN_REVERSE: ir.BoolAttr.get(reverse), SCAN_NUM_CARRY: ir.IntegerAttr.get(i64, num_carry),
            SCAN_NUM_XS: ir.IntegerAttr.get(i64, num_xs), **extra}


def derive_jvp(module, decl):
    """Derive the body of a ready JVP declaration (`mirax.jvp_of`) from its function's
    body, op by op: each op by its JVP rule (rules.py `jvp`), a call of a construct by
    the construct's, another call as a call of its callee's JVP, declared here.
    mirax-jvp derives every JVP this way, and mirax-linearize the JVPs it starts from."""
    callee = functions(module)[decl.attributes[JVP_OF].value]
    active = list(ir.DenseI64ArrayAttr(decl.attributes[ACTIVE]))
    block = add_body(decl)
    args = list(block.arguments)
    callee_block = callee.regions[0].blocks[0]
    primals = dict(zip(callee_block.arguments, args[: len(callee_block.arguments)], strict=True))
    tangents = {callee_block.arguments[i]: t for i, t in zip(active, args[len(callee_block.arguments):], strict=True)}
    with ir.InsertionPoint(block):
        for op in callee_block.operations:
            with op.location:
                _differentiate(module, op, primals, tangents)
    mark_derived(decl, JVP_OF, ACTIVE)


def _differentiate(module, op, primals, tangents):
    """Emit `op` on primal values and its tangents, recording both for its results
    (no tangent: a symbolic zero)."""
    in_primals = [primals[v] for v in op.operands]
    in_tangents = [tangents.get(v) for v in op.operands]
    if op.operation.name == "func.return":
        func.ReturnOp(in_primals + [instantiate(t, shaped_type(p.type))
                                    for t, p in zip(in_tangents, in_primals, strict=True)])
        return
    if all(t is None for t in in_tangents):  # nothing to differentiate (integers, say): no rule needed
        out_primals, out_tangents = list(rebuild(op, primals).results), [None] * len(op.results)
    elif op.operation.name == "func.call":
        callee = functions(module)[op.attributes["callee"].value]
        construct = rules.construct_of(callee)
        rule = construct.jvp if construct is not None and construct.jvp is not None else _call_jvp
        out_primals, out_tangents = rule(module, op, callee, in_primals, in_tangents)
    else:
        rule = rules.jvp.get(op.operation.name)
        if rule is None:
            raise NotImplementedError(f"mirax-jvp: no JVP rule for {op.operation.name}")
        out_primals, out_tangents = rule(node_of(op), in_primals, in_tangents)
    for result, p, t in zip(op.results, out_primals, out_tangents, strict=True):
        primals[result] = p
        if t is not None:
            tangents[result] = t


def _call_jvp(module, op, callee, in_primals, in_tangents):
    """A call becomes a call of its callee's JVP, for the operands that have tangents."""
    active = [i for i, t in enumerate(in_tangents) if t is not None]
    symbol = declare_jvp(module, callee, active)
    num_results = len(op.results)
    call = func.CallOp(list(op.results.types) * 2, symbol, in_primals + [in_tangents[i] for i in active])
    return list(call.results)[:num_results], list(call.results)[num_results:]


def batch_call(module, op, callee, operands, dims, out_batched, size):
    """`op`, a call of @callee, as a call of @callee's batched version (declared here)
    on `operands` batched along `dims` (None: not batched), its results batched along 0
    where `out_batched`: the results, their batch dimensions and the batched symbol."""
    in_axes = [NOT_BATCHED if d is None else d for d in dims]
    out_axes = [0 if b else NOT_BATCHED for b in out_batched]
    symbol = declare_vmap(module, callee, in_axes, out_axes, size)
    types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
    results = func.CallOp(types, symbol, operands).results
    return list(results), [0 if b else None for b in out_batched], symbol
