"""What the transformation passes share. A transformed function is a private
function declared with an attribute naming the function it transforms
(`mirax.jvp_of`, `mirax.vjp_of`, `mirax.transpose_of`, `mirax.vmap_of`); its pass derives the body.
Transformations nest, so a declaration is derived once the function it names has
a body free of pending declarations: innermost first, to a fixed point."""
from mirax.mlir import func, ir

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
    if transformed(function) is not None or not function.regions[0].blocks:
        return False
    seen.add(name)
    calls = {op.attributes["callee"].value for op in function.regions[0].blocks[0].operations
             if op.operation.name == "func.call"}
    return all(callee in seen or _complete(table, callee, seen) for callee in calls)


def declare(module, symbol, ftype, location, attributes):
    """Declare the private function `symbol` of `ftype` with `attributes`, unless it exists."""
    table = ir.SymbolTable(module)
    if symbol in table:
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
