"""Checks of the mirax declarations in hand-written IR, which mirax-opt runs on its
input before any pass: a transformation's declaration (`mirax.jvp_of`, `vjp_of`,
`transpose_of`, `vmap_of`), a declared loop, cond, scan, checkpoint or shard_map and a custom
rule must name functions of the module, carry their attributes with the right kinds and values, and
have the type their pass derives a body for. The passes themselves trust the
declarations the mirax API makes; here a broken one becomes an error at its
function, instead of a Python exception deep in a pass.

The types follow the declare_* functions (dialect/transformations.py):
  jvp_of @f, active A:      (ins, ins[A]) -> (outs, outs)
  vjp_of @f, active A:      (ins, outs) -> (outs, ins[A])
  transpose_of @f, linear L: (ins[not L], outs) -> ins[L]
  vmap_of @f, in_axes I, out_axes O, axis_size n: each type batched at its axis (-1: not)
"""
import math

from mirax.dialect.control_flow import shard_map
from mirax.dialect.dependence import callees
from mirax.dialect.ir_util import body, function_type
from mirax.dialect.transformations import (ACTIVE, AXIS_SIZE, CHECKPOINT_BODY, CHECKPOINT_DIFFERENTIATED,
                                           CHECKPOINT_PREVENT_CSE, CHECKPOINT_TANGENT_OF, COND_BRANCHES, CUSTOM_LIN_OF,
                                           HOST_CALLBACK, IN_AXES, JVP_OF, JVP_RULE, LINEAR, NOT_BATCHED, NUM_PRIMALS,
                                           OUT_AXES, SCAN_BODY, SCAN_LENGTH, SCAN_NUM_CARRY, SCAN_NUM_XS, SCAN_REVERSE,
                                           TRANSPOSE_OF, VJP_BWD, VJP_FWD, VJP_OF, VMAP_OF, WHILE_BODY, WHILE_COND,
                                           batched_type, jvp_type, transpose_type, vjp_type)
from mirax.dialect.types import ShapedType
from mirax.mlir import ir

TRANSFORMS = {JVP_OF: ACTIVE, VJP_OF: ACTIVE, TRANSPOSE_OF: LINEAR, VMAP_OF: None}


class Invalid(Exception):
    """A broken declaration: the message of an error at its function."""


def check(module):
    """(function, message) for each broken declaration of `module` (a builtin.module
    operation), at most one per function."""
    table = {op.attributes["sym_name"].value: op for op in body(module).operations
             if op.operation.name == "func.func"}
    errors = []
    for function in table.values():
        try:
            _check_function(table, function)
        except Invalid as err:
            errors.append((function, f"'func.func' op {err}"))
    return errors


def _check_function(table, function):
    transforms = [name for name in TRANSFORMS if name in function.attributes]
    if len(transforms) > 1:
        raise Invalid(f"declares more than one transformation: {', '.join(transforms)}")
    if transforms:
        _check_transform(table, function, transforms[0])
    if WHILE_COND in function.attributes or WHILE_BODY in function.attributes:
        _check_while(table, function)
    if COND_BRANCHES in function.attributes:
        _check_cond(table, function)
    if SCAN_BODY in function.attributes:
        _check_scan(table, function)
    if CHECKPOINT_BODY in function.attributes:
        _check_checkpoint(table, function)
    if shard_map.BODY in function.attributes:
        _check_shard_map(table, function)
    if JVP_RULE in function.attributes or VJP_FWD in function.attributes or VJP_BWD in function.attributes:
        _check_custom_rules(table, function)
    if HOST_CALLBACK in function.attributes:
        _attribute(function, HOST_CALLBACK, ir.StringAttr, "a string")
    if CUSTOM_LIN_OF in function.attributes:
        _callee(table, function, CUSTOM_LIN_OF)


# ----------------------------------------------------------------------------- attributes


def _attribute(function, name, kind, described):
    if name not in function.attributes:
        raise Invalid(f"needs a '{name}' attribute ({described})")
    attr = function.attributes[name]
    if not isinstance(attr, kind):
        raise Invalid(f"attribute '{name}' must be {described}, got {attr}")
    return attr


def _callee(table, function, name):
    """The function the symbol attribute `name` of `function` names."""
    symbol = _attribute(function, name, ir.FlatSymbolRefAttr, "a symbol such as @f").value
    if symbol not in table:
        raise Invalid(f"attribute '{name}' names @{symbol}, which is not a function of the module")
    return table[symbol]


def _integer(function, name, minimum=0):
    value = _attribute(function, name, ir.IntegerAttr, "an integer").value
    if value < minimum:
        raise Invalid(f"attribute '{name}' must be at least {minimum}, got {value}")
    return value


def _positions(function, name, count, of):
    """The increasing argument numbers below `count` that the array<i64> `name` holds."""
    values = list(_attribute(function, name, ir.DenseI64ArrayAttr, "an array<i64>"))
    if any(not 0 <= v < count for v in values) or values != sorted(set(values)):
        raise Invalid(f"attribute '{name}' must hold increasing argument numbers of @{of}, which takes {count} "
                      f"arguments; got {values}")
    return values


def _name(function):
    return function.attributes["sym_name"].value


def _signature(inputs, results):
    return str(ir.FunctionType.get(list(inputs), list(results)))


def _check_type(function, inputs, results, what):
    ftype = function_type(function)
    if list(ftype.inputs) != list(inputs) or list(ftype.results) != list(results):
        raise Invalid(f"@{_name(function)} has type {ftype}, but {what} must have type {_signature(inputs, results)}")


# ----------------------------------------------------------------------------- transformations


def _check_transform(table, decl, attr):
    callee = _callee(table, decl, attr)
    seen = {_name(decl)}
    link = callee
    while link is not None:  # a chain of declarations must end at a function
        if _name(link) in seen:
            raise Invalid(f"attribute '{attr}' makes @{_name(decl)} a transformation of itself")
        seen.add(_name(link))
        names = [a for a in TRANSFORMS if a in link.attributes and isinstance(link.attributes[a], ir.FlatSymbolRefAttr)]
        link = table.get(link.attributes[names[0]].value) if names else None
    if decl.regions[0].blocks:
        raise Invalid(f"declared with '{attr}' must have no body (its pass derives it)")
    missing = _bodiless(table, callee, set())
    if missing is not None:
        via = "" if missing is callee else f", which calls @{_name(missing)}"
        raise Invalid(f"attribute '{attr}' names @{_name(callee)}{via}, which has no body to transform")
    ftype = function_type(callee)
    ins, outs = list(ftype.inputs), list(ftype.results)
    f = _name(callee)
    if attr == VMAP_OF:
        _check_vmap(decl, f, ins, outs)
        return
    positions = _positions(decl, TRANSFORMS[attr], len(ins), f)
    chosen = [ins[i] for i in positions]
    for i, t in zip(positions, chosen, strict=True):  # as the API declares them: only inexact values have tangents
        if not isinstance(ir.RankedTensorType(t).element_type, (ir.FloatType, ir.ComplexType)):
            raise Invalid(f"attribute '{TRANSFORMS[attr]}' names argument {i} of @{f}, of type {t}: only float and "
                          f"complex arguments have tangents")
    # The types the passes' declare_* give these declarations, from the same functions.
    derived, what = {JVP_OF: (jvp_type, f"the JVP of @{f} with {ACTIVE}"),
                     VJP_OF: (vjp_type, f"the VJP of @{f} with {ACTIVE}"),
                     TRANSPOSE_OF: (transpose_type, f"the transpose of @{f} with {LINEAR}")}[attr]
    expected = derived(ftype, positions)
    _check_type(decl, expected.inputs, expected.results, f"{what} = {positions}")


def _bodiless(table, function, seen):
    """A function that `function` is or calls (transitively) with no body and no mirax
    declaration to derive or lower one, if any: a transformation of it never becomes ready."""
    if any(a.startswith("mirax.") for a in function.attributes):
        return None  # declared: its own pass, or mirax-to-linalg, gives it a body
    if not function.regions[0].blocks:
        return function
    seen.add(_name(function))
    for name in callees(function):
        if name in table and name not in seen:
            missing = _bodiless(table, table[name], seen)
            if missing is not None:
                return missing
    return None


def _check_vmap(decl, f, ins, outs):
    in_axes = list(_attribute(decl, IN_AXES, ir.DenseI64ArrayAttr, "an array<i64>"))
    out_axes = list(_attribute(decl, OUT_AXES, ir.DenseI64ArrayAttr, "an array<i64>"))
    size = _integer(decl, AXIS_SIZE)
    batched = []
    for name, axes, types, what in ((IN_AXES, in_axes, ins, "arguments"), (OUT_AXES, out_axes, outs, "results")):
        if len(axes) != len(types):
            raise Invalid(f"attribute '{name}' must hold one axis per {what[:-1]} of @{f}, which has "
                          f"{len(types)} {what}; got {axes}")
        for axis, t in zip(axes, types, strict=True):
            if axis != NOT_BATCHED and not 0 <= axis <= ir.RankedTensorType(t).rank:
                raise Invalid(f"attribute '{name}' holds axis {axis}, out of range for {t} (-1: not batched)")
        batched.append([batched_type(t, a, size) for a, t in zip(axes, types, strict=True)])
    _check_type(decl, *batched, f"@{f} batched with {IN_AXES} = {in_axes}, {OUT_AXES} = {out_axes}, "
                                f"{AXIS_SIZE} = {size}")


# ----------------------------------------------------------------------------- loops, conds, scans, rules


def _check_while(table, loop):
    cond, body_ = _callee(table, loop, WHILE_COND), _callee(table, loop, WHILE_BODY)
    carry = list(function_type(loop).results)
    k = len(carry)
    cond_ins, body_ins = list(function_type(cond).inputs), list(function_type(body_).inputs)
    _check_type(cond, carry + cond_ins[k:], [ir.RankedTensorType.get([], ir.IntegerType.get_signless(1))],
                f"the condition of @{_name(loop)}, (carry..., closure...) -> tensor<i1>,")
    _check_type(body_, carry + body_ins[k:], carry, f"the body of @{_name(loop)}, (carry..., closure...) -> carry...,")
    _check_type(loop, carry + cond_ins[k:] + body_ins[k:], carry,
                f"a loop of @{_name(cond)} and @{_name(body_)}, (carry..., their closures...) -> carry...,")


def _check_cond(table, cond):
    branches = _attribute(cond, COND_BRANCHES, ir.ArrayAttr, "an array of symbols")
    ftype = function_type(cond)
    ins, outs = list(ftype.inputs), list(ftype.results)
    index = ir.RankedTensorType.get([], ir.IntegerType.get_signless(32))
    if not ins or ins[0] != index:
        raise Invalid(f"declared with '{COND_BRANCHES}' must take a tensor<i32> index first, has type {ftype}")
    for symbol in branches:
        if not isinstance(symbol, ir.FlatSymbolRefAttr) or symbol.value not in table:
            raise Invalid(f"attribute '{COND_BRANCHES}' must name functions of the module, got {symbol}")
        _check_type(table[symbol.value], ins[1:], outs, f"a branch of @{_name(cond)}")


def _check_checkpoint(table, checkpoint):
    ftype = function_type(checkpoint)
    _check_type(_callee(table, checkpoint, CHECKPOINT_BODY), ftype.inputs, ftype.results,
                f"the body of @{_name(checkpoint)}")
    for flag in (CHECKPOINT_PREVENT_CSE, CHECKPOINT_DIFFERENTIATED):
        if flag in checkpoint.attributes:
            _attribute(checkpoint, flag, ir.UnitAttr, "a unit attribute")
    if CHECKPOINT_TANGENT_OF in checkpoint.attributes:
        _callee(table, checkpoint, CHECKPOINT_TANGENT_OF)
        _attribute(checkpoint, ACTIVE, ir.DenseI64ArrayAttr, "an array<i64>")


def _check_shard_map(table, decl):
    """The mesh's names and sizes, a spec per argument and result (per dimension, mesh
    axes that divide it, each named once), a body of the blocks' types, unit flags."""
    _attribute(decl, shard_map.MESH_AXES, ir.ArrayAttr, "an array of axis names")
    _attribute(decl, shard_map.MESH_SHAPE, ir.DenseI64ArrayAttr, "an array<i64> of axis sizes")
    for name in (shard_map.IN_SPECS, shard_map.OUT_SPECS):
        _attribute(decl, name, ir.ArrayAttr, "an array of specs")
    try:
        (names, shape), specs = shard_map.mesh_of(decl), shard_map.specs_of(decl)
    except ValueError as err:
        raise Invalid(f"has a malformed mesh or spec ({err}): a spec is [[\"axis\", ...] per dimension]") from None
    if len(names) != len(shape) or len(set(names)) != len(names) or any(n < 1 for n in shape):
        raise Invalid(f"has a mesh of axes {list(names)} and sizes {list(shape)}: one positive size per distinct name")
    sizes = dict(zip(names, shape, strict=True))
    ftype = function_type(decl)
    blocks = []
    for what, types, type_specs in (("argument", ftype.inputs, specs[0]), ("result", ftype.results, specs[1])):
        if len(type_specs) != len(types):
            raise Invalid(f"has {len(type_specs)} {what} specs for {len(types)} {what}s")
        blocks.append([])
        for i, (t, spec) in enumerate(zip(types, type_specs, strict=True)):
            t = ir.RankedTensorType(t)
            axes = [a for dim in spec for a in dim]
            if len(spec) != t.rank or len(set(axes)) != len(axes) or not set(axes) <= set(names):
                raise Invalid(f"{what} {i} of type {t} has spec {spec}: one entry per dimension, naming each axis "
                              f"of the mesh {list(names)} at most once")
            block = shard_map.block_type(ShapedType(tuple(t.shape), None), spec, sizes).shape
            if any(b * math.prod(sizes[a] for a in dim) != d for b, d, dim in zip(block, t.shape, spec, strict=True)):
                raise Invalid(f"{what} {i} of type {t} is not divided evenly by its spec {spec}")
            blocks[-1].append(ir.RankedTensorType.get(list(block), t.element_type))
    _check_type(_callee(table, decl, shard_map.BODY), blocks[0], blocks[1], f"the body of @{_name(decl)}")
    if shard_map.CHECK_VMA in decl.attributes:
        _attribute(decl, shard_map.CHECK_VMA, ir.UnitAttr, "a unit attribute")
    if shard_map.TANGENT_OF in decl.attributes:
        _callee(table, decl, shard_map.TANGENT_OF)
        _attribute(decl, ACTIVE, ir.DenseI64ArrayAttr, "an array<i64>")


def _check_scan(table, scan):
    step = _callee(table, scan, SCAN_BODY)
    length = _integer(scan, SCAN_LENGTH)
    _attribute(scan, SCAN_REVERSE, ir.BoolAttr, "true or false")
    num_carry, num_xs = _integer(scan, SCAN_NUM_CARRY), _integer(scan, SCAN_NUM_XS)
    ftype, step_type = function_type(scan), function_type(step)
    ins, step_outs = list(ftype.inputs), list(step_type.results)
    if num_carry + num_xs > len(ins) or num_carry > len(step_outs):
        raise Invalid(f"takes {len(ins)} arguments, fewer than its {num_carry} carries and {num_xs} xs")

    def stacked(t):
        t = ir.RankedTensorType(t)
        return ir.RankedTensorType.get([length, *t.shape], t.element_type)

    def sliced(t):
        t = ir.RankedTensorType(t)
        if t.rank == 0 or t.shape[0] != length:
            raise Invalid(f"scans along a leading axis of {length}, which its argument {t} does not have")
        return ir.RankedTensorType.get(t.shape[1:], t.element_type)

    carry, xs, closure = ins[:num_carry], ins[num_carry:num_carry + num_xs], ins[num_carry + num_xs:]
    _check_type(step, carry + [sliced(t) for t in xs] + closure, carry + step_outs[num_carry:],
                f"the body of @{_name(scan)}, (carry..., x..., closure...) -> (carry..., y...),")
    _check_type(scan, ins, carry + [stacked(t) for t in step_outs[num_carry:]],
                f"a scan of @{_name(step)} over {length} steps")


def _check_custom_rules(table, function):
    ftype = function_type(function)
    ins, outs = list(ftype.inputs), list(ftype.results)
    num_primals = _integer(function, NUM_PRIMALS)
    if num_primals > len(ins):
        raise Invalid(f"attribute '{NUM_PRIMALS}' is {num_primals}, more than its {len(ins)} arguments")
    primals, closure = ins[:num_primals], ins[num_primals:]
    if JVP_RULE in function.attributes:
        _check_type(_callee(table, function, JVP_RULE), primals + primals + closure, outs + outs,
                    f"the JVP rule of @{_name(function)}, (primals..., tangents..., closure...) -> "
                    f"(outputs..., output tangents...),")
    if VJP_FWD in function.attributes or VJP_BWD in function.attributes:
        fwd, bwd = _callee(table, function, VJP_FWD), _callee(table, function, VJP_BWD)
        residuals = list(function_type(fwd).results)[len(outs):]
        _check_type(fwd, ins, outs + residuals,
                    f"the forward pass of @{_name(function)}, (primals..., closure...) -> (outputs..., residuals...),")
        _check_type(bwd, residuals + outs, primals,
                    f"the backward pass of @{_name(function)}, (residuals..., output cotangents...) -> "
                    f"primal cotangents...,")
