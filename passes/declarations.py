"""What the transformation passes share. A transformed function is a private
function declared with an attribute naming the function it transforms
(`mirax.jvp_of`, `mirax.vjp_of`, `mirax.transpose_of`, `mirax.vmap_of`); its pass derives the body.
Transformations nest, so a declaration is derived once the function it names has
a body free of pending declarations: innermost first, to a fixed point."""
from mirax.dialect.types import ShapedType, shaped_type, tensor_type
from mirax.mlir import func, ir

# Custom derivative rules (mirax.custom_jvp, mirax.custom_vjp) ride on the function a
# call of the custom function calls: `mirax.jvp_rule` names its JVP, (primals...,
# tangents..., closure...) -> (outputs..., output tangents...); `mirax.vjp_fwd` its
# forward pass, (primals..., closure...) -> (outputs..., residuals...), and
# `mirax.vjp_bwd` its backward pass, (residuals..., output cotangents...) -> primal
# cotangents; `mirax.num_primals` says how many arguments are primals (the rest are
# the closure, which is not differentiated). mirax-jvp calls the rules in place of
# the function; mirax-transpose calls the backward pass for the function
# `mirax.custom_lin_of` a custom_vjp function, declared by mirax-jvp for its linear part.
JVP_RULE = "mirax.jvp_rule"
# A function computed by Python at run time (a custom_vjp backward pass outside jit,
# run eagerly on concrete arrays as JAX runs it): bodiless, naming the host symbol the
# runtime registers; mirax-to-linalg gives it a body calling that symbol on buffers.
HOST_CALLBACK = "mirax.host_callback"
VJP_FWD = "mirax.vjp_fwd"
VJP_BWD = "mirax.vjp_bwd"
NUM_PRIMALS = "mirax.num_primals"
CUSTOM_LIN_OF = "mirax.custom_lin_of"

# lax.while_loop is a declared function too, (carry..., cond closure..., body closure...)
# -> carry..., naming its condition (carry..., closure...) -> tensor<i1> and its body
# (carry..., closure...) -> carry...: an op could not carry mixed operand types (IRDL).
# Passes treat a call of it as a call; mirax-to-linalg gives it an scf.while body.
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
# `mirax.scan_tangent_of` marks the tangent part of a scan's JVP (see mirax-jvp), which
# mirax-transpose turns into a reverse scan of the body's VJP.
SCAN_BODY = "mirax.scan_body"
SCAN_LENGTH = "mirax.scan_length"
SCAN_REVERSE = "mirax.scan_reverse"
SCAN_NUM_CARRY = "mirax.scan_num_carry"
SCAN_NUM_XS = "mirax.scan_num_xs"
SCAN_TANGENT_OF = "mirax.scan_tangent_of"
SCAN_BODY_NUM_XS = "mirax.scan_body_num_xs"  # on a tangent part: how many xs the body takes

TRANSFORMS = ("mirax.jvp_of", "mirax.vjp_of", "mirax.transpose_of", "mirax.vmap_of")


def body(module):
    """The block of a builtin.module operation."""
    return module.regions[0].blocks[0]


def functions(module):
    return {op.attributes["sym_name"].value: op for op in body(module).operations if op.operation.name == "func.func"}


def transformed(function):
    """The function a declaration transforms, by name; None for other functions."""
    for attr in TRANSFORMS:
        if attr in function.attributes:
            return function.attributes[attr].value
    return None


def ready(module, kind):
    """The declarations of `kind` (an attribute of TRANSFORMS) whose function is
    complete: it has a body, and so does every function it calls, transitively. Also
    whether any declaration is pending at all."""
    table = functions(module)
    pending = any(transformed(f) is not None for f in table.values())
    found = [f for f in table.values() if kind in f.attributes and _complete(table, f.attributes[kind].value, set())]
    return found, pending


def derive_ready(module, kind, derive):
    """Call `derive(module, declaration)` on each ready declaration of `kind` until none is
    ready (deriving one can make others ready)."""
    while True:
        found, _ = ready(module, kind)
        if not found:
            return
        for decl in found:
            derive(module, decl)


def _complete(table, name, seen):
    function = table[name]
    if CUSTOM_LIN_OF in function.attributes or HOST_CALLBACK in function.attributes:  # no body, by design
        return True
    declared = any(key in function.attributes for key in (WHILE_COND, COND_BRANCHES, SCAN_BODY))
    if not declared and (transformed(function) is not None or not function.regions[0].blocks):
        return False
    seen.add(name)
    return all(callee in seen or _complete(table, callee, seen) for callee in callees(table, function))


def callees(table, function):
    """The functions `function` calls: those of its calls, a while loop's condition and
    body, or a cond's branches."""
    if WHILE_COND in function.attributes:
        return {function.attributes[WHILE_COND].value, function.attributes[WHILE_BODY].value}
    if COND_BRANCHES in function.attributes:
        return set(branches(function))
    if SCAN_BODY in function.attributes:
        return {function.attributes[SCAN_BODY].value}
    return {op.attributes["callee"].value for op in function.regions[0].blocks[0].operations
            if op.operation.name == "func.call"}


def branches(cond):
    """The symbols of a cond's branches, in index order."""
    return [ir.FlatSymbolRefAttr(a).value for a in ir.ArrayAttr(cond.attributes[COND_BRANCHES])]


def branch_list(symbols):
    return ir.ArrayAttr.get([ir.FlatSymbolRefAttr.get(s) for s in symbols])


def declare(module, symbol, ftype, location, attributes):
    """Declare the private function `symbol` of `ftype` with `attributes`, unless it exists."""
    table = ir.SymbolTable(module)
    if symbol in table:
        existing = table[symbol]  # pending (its attributes) or derived (a body), unless the input took the name
        pending = all(name in existing.attributes and existing.attributes[name] == value
                      for name, value in attributes.items())
        if function_type(existing) != ftype or not (pending or existing.regions[0].blocks):
            raise ValueError(f"@{symbol} is taken by a function that is not the declaration of type {ftype} a pass "
                             f"makes under that name; rename it")
        return symbol
    with ir.InsertionPoint(body(module)), location:
        decl = func.FuncOp(symbol, ftype, visibility="private")
    for name, value in attributes.items():
        decl.attributes[name] = value
    table.insert(decl.operation)
    return symbol


def function_type(function):
    return ir.FunctionType(ir.TypeAttr(function.attributes["function_type"]).value)


def add_body(decl):
    """Give a declaration its entry block; the block."""
    with decl.location:
        return decl.regions[0].blocks.append(*function_type(decl).inputs)


def mark_derived(decl, *attributes):
    for name in attributes:
        del decl.attributes[name]


def rebuild(op, env):
    """A copy of a region-free op at the current insertion point, its operands mapped by `env`."""
    return ir.Operation.create(
        op.operation.name,
        results=list(op.results.types),
        operands=[env[v] for v in op.operands],
        attributes={name: op.operation.attributes[name] for name in op.operation.attributes},
    )


def linear_values(block, tangents):
    """The values of `block` computed from `tangents` (those included)."""
    linear = set(tangents)
    for op in block.operations:
        if any(v in linear for v in op.operands):
            linear.update(op.results)
    return linear


def depends(table, function, inputs):
    """Which results of `function` (which has a body) depend on the inputs flagged in
    `inputs` (batched ones for mirax-vmap, ones with tangents for mirax-jvp)."""
    block = function.regions[0].blocks[0]
    flagged = {arg for arg, flag in zip(block.arguments, inputs, strict=True) if flag}
    for op in block.operations:
        operands = [v in flagged for v in op.operands]
        if op.operation.name == "func.return":
            return operands
        if op.operation.name == "func.call":
            callee = table[op.attributes["callee"].value]
            if WHILE_COND in callee.attributes:
                results = while_depends(table, callee, operands)
            elif COND_BRANCHES in callee.attributes:
                results = cond_depends(table, callee, operands)
            elif SCAN_BODY in callee.attributes:
                results = scan_depends(table, callee, operands)
            else:
                results = depends(table, callee, operands)
        else:
            results = [any(operands)] * len(op.results)
        flagged.update(r for r, flag in zip(op.results, results, strict=True) if flag)
    raise AssertionError("a function body ends with func.return")


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


def while_depends(table, loop, inputs, through_cond=True):
    """Which carries of a while loop depend on the flagged inputs (carries, then the
    condition's and the body's closures): through the body, to a fixed point, and all
    of them where the condition does (unless not `through_cond`: tangents, as the
    condition's value has no derivative)."""
    loop = While(table, loop)
    carry, cond_closure, body_closure = loop.split(inputs)
    while True:
        grown = [a or b for a, b in zip(carry, depends(table, loop.body, carry + body_closure), strict=True)]
        if grown == carry:
            break
        carry = grown
    return [True] * loop.num_carry if through_cond and depends(table, loop.cond, carry + cond_closure)[0] else carry


def define(module, symbol, inputs, results, location, build):
    """A private function @symbol(inputs) -> results whose body `build(arguments)` emits,
    returning its results."""
    declare(module, symbol, ir.FunctionType.get(inputs, results), location, {})
    function = functions(module)[symbol]
    block = add_body(function)
    with ir.InsertionPoint(block), location:
        func.ReturnOp(build(list(block.arguments)))
    return symbol


def cond_depends(table, cond, inputs):
    """Which outputs of a cond depend on the flagged inputs (index, args...): any
    branch's, or all of them where the index does."""
    if inputs[0]:
        return [True] * len(function_type(cond).results)
    per_branch = [depends(table, table[symbol], inputs[1:]) for symbol in branches(cond)]
    return [any(flags) for flags in zip(*per_branch, strict=True)]


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


def cut(values, *sizes):
    """`values` cut into consecutive pieces of `sizes`, then the rest."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(values[start:start + size])
        start += size
    return pieces + [values[start:]]


def split_positions(positions, num_carry, num_xs):
    """Positions among a scan body's args (carry, x, closure) as three lists, the x
    and closure ones counted within their group."""
    return ([i for i in positions if i < num_carry],
            [i - num_carry for i in positions if num_carry <= i < num_carry + num_xs],
            [i - num_carry - num_xs for i in positions if i >= num_carry + num_xs])


def scan_attributes(body, length, reverse, num_carry, num_xs, **extra):
    i64 = ir.IntegerType.get_signless(64)
    return {SCAN_BODY: ir.FlatSymbolRefAttr.get(body), SCAN_LENGTH: ir.IntegerAttr.get(i64, length),
            SCAN_REVERSE: ir.BoolAttr.get(reverse), SCAN_NUM_CARRY: ir.IntegerAttr.get(i64, num_carry),
            SCAN_NUM_XS: ir.IntegerAttr.get(i64, num_xs), **extra}


def scan_depends(table, scan, inputs):
    """Which outputs of a scan (carries, then ys) depend on the flagged args: the
    carries to a fixed point through the body, the ys on what the body's read."""
    scan = Scan(table, scan)
    carry, xs, closure = scan.split(inputs)
    while True:
        outputs = depends(table, scan.body, carry + xs + closure)
        grown = [a or b for a, b in zip(carry, outputs[:scan.num_carry], strict=True)]
        if grown == carry:
            return outputs
        carry = grown


def inline_calls(module, function, select=lambda calls: calls):
    """Replace the calls in `function` that `select(calls)` picks (of those whose
    callee has a body: declared loops, conds and scans and custom_vjp's linear part
    stay calls) by the callee's body, until it picks none."""
    table = functions(module)
    block = function.regions[0].blocks[0]
    while True:
        calls = select([op for op in block.operations if op.operation.name == "func.call"
                        and table[op.attributes["callee"].value].regions[0].blocks])
        if not calls:
            return
        for call in calls:
            callee_block = table[call.attributes["callee"].value].regions[0].blocks[0]
            env = dict(zip(callee_block.arguments, call.operands, strict=True))
            with ir.InsertionPoint(call), call.location:
                for op in callee_block.operations:
                    if op.operation.name == "func.return":
                        for result, value in zip(call.results, op.operands, strict=True):
                            result.replace_all_uses_with(env[value])
                        continue
                    clone = rebuild(op, env)
                    env.update(zip(op.results, clone.results, strict=True))
            call.operation.erase()
