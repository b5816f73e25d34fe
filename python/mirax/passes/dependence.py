"""Dependence analysis the transformation passes share: which declarations are ready
to derive (their function and everything it calls have bodies), and which results of
a function depend on which of its inputs, through calls and declared control flow."""
from mirax.dialect.ir_util import functions, function_type
from mirax.dialect.transformations import (COND_BRANCHES, CUSTOM_LIN_OF, HOST_CALLBACK, SCAN_BODY, WHILE_BODY,
                                           WHILE_COND, Scan, While, branches, transformed)


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


def cond_depends(table, cond, inputs):
    """Which outputs of a cond depend on the flagged inputs (index, args...): any
    branch's, or all of them where the index does."""
    if inputs[0]:
        return [True] * len(function_type(cond).results)
    per_branch = [depends(table, table[symbol], inputs[1:]) for symbol in branches(cond)]
    return [any(flags) for flags in zip(*per_branch, strict=True)]


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
