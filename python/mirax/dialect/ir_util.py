"""Utilities on func.func symbols and blocks that the API, the passes and the tools
share: reading a module's functions, declaring and defining private functions,
copying ops and inlining calls. They know nothing of the transformations."""
from mirax.mlir import func, ir


def body(module):
    """The block of a builtin.module operation."""
    return module.regions[0].blocks[0]


def functions(module):
    return {op.attributes["sym_name"].value: op for op in body(module).operations if op.operation.name == "func.func"}


def function_type(function):
    return ir.FunctionType(ir.TypeAttr(function.attributes["function_type"]).value)


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


def add_body(decl):
    """Give a declaration its entry block; the block."""
    with decl.location:
        return decl.regions[0].blocks.append(*function_type(decl).inputs)


def define(module, symbol, inputs, results, location, build):
    """A private function @symbol(inputs) -> results whose body `build(arguments)` emits,
    returning its results; defined once (a construct called twice asks twice)."""
    declare(module, symbol, ir.FunctionType.get(inputs, results), location, {})
    function = functions(module)[symbol]
    if function.regions[0].blocks:
        return symbol
    block = add_body(function)
    with ir.InsertionPoint(block), location:
        func.ReturnOp(build(list(block.arguments)))
    return symbol


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


def cut(values, *sizes):
    """`values` cut into consecutive pieces of `sizes`, then the rest."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(values[start:start + size])
        start += size
    return pieces + [values[start:]]


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
