"""Dependence analysis the transformation passes and the constructs share: which
declarations are ready to derive (their function and everything it calls have
bodies), and which results of a function depend on which of its inputs, through
calls and constructs (each construct's `callees` and `depends` rules, rules.py)."""
from .ir_util import function_type, functions
from .rules import construct_of
from .transformations import transformed


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
    """Whether @name has a body (or is a construct, bodiless by design) and so does
    every function it calls, transitively."""
    function = table[name]
    construct = construct_of(function)
    declared = construct is not None and construct.callees is not None
    if not declared and (transformed(function) is not None or not function.regions[0].blocks):
        return False
    seen.add(name)
    return all(callee in seen or _complete(table, callee, seen) for callee in callees(function))


def callees(function):
    """The symbols of the functions `function` calls: a construct's (its `callees`
    rule), or those its body's calls name."""
    construct = construct_of(function)
    if construct is not None and construct.callees is not None:
        return construct.callees(function)
    return {op.attributes["callee"].value for op in function.regions[0].blocks[0].operations
            if op.operation.name == "func.call"}


def depends(table, function, inputs):
    """Which results of `function` depend on the inputs flagged in `inputs` (batched
    ones for mirax-vmap, ones with tangents for mirax-jvp): through its body, or by
    its construct's `depends` rule."""
    construct = construct_of(function)
    if construct is not None and construct.depends is not None:
        return construct.depends(table, function, inputs)
    if not function.regions[0].blocks:  # a transformation not derived yet: every result, to be safe
        return [any(inputs)] * len(function_type(function).results)
    block = function.regions[0].blocks[0]
    flagged = {arg for arg, flag in zip(block.arguments, inputs, strict=True) if flag}
    for op in block.operations:
        operands = [v in flagged for v in op.operands]
        if op.operation.name == "func.return":
            return operands
        if op.operation.name == "func.call":
            results = depends(table, table[op.attributes["callee"].value], operands)
        else:
            results = [any(operands)] * len(op.results)
        flagged.update(r for r, flag in zip(op.results, results, strict=True) if flag)
    raise AssertionError("a function body ends with func.return")
