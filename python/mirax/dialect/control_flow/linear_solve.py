"""lax.custom_linear_solve's linear part as a construct: a declared function
(b..., solve closure..., transpose closure...) -> (x..., aux...) naming its solve
(`mirax.linear_solve`, (b..., solve closure...) -> (x..., aux...)) and, where the user
gave one, its transpose solve (`mirax.linear_solve_transpose`, (x..., transpose
closure...) -> (b..., aux...)); `mirax.linear_solve_closures` counts both closures.
It is linear in b and nothing else: its JVP is itself on b's tangents (JAX's implicit
differentiation treats the solves as exact; the API adds the matvec's part), and it
transposes into the construct of the transpose solve, so that reverse mode never
differentiates either solve (one may be a while loop). mirax-to-linalg gives it a
call of its solve."""
from mirax.mlir import func, ir

from .. import rules
from ..batching import batch_at
from ..ir_util import add_body, declare, function_type, functions, mark_derived
from ..transformations import NOT_BATCHED, batched_type, declare_vmap, spell_axes
from ..types import shaped_type
from ..values import instantiate

LINEAR_SOLVE = "mirax.linear_solve"
LINEAR_SOLVE_TRANSPOSE = "mirax.linear_solve_transpose"
LINEAR_SOLVE_CLOSURES = "mirax.linear_solve_closures"


def declare_linear_solve(module, symbol, ftype, solve, transpose, closures, location):
    """A linear solve by @solve, transposed by @transpose (None: none), named `symbol`."""
    attributes = {LINEAR_SOLVE: ir.FlatSymbolRefAttr.get(solve),
                  LINEAR_SOLVE_CLOSURES: ir.DenseI64ArrayAttr.get(list(closures))}
    if transpose is not None:
        attributes[LINEAR_SOLVE_TRANSPOSE] = ir.FlatSymbolRefAttr.get(transpose)
    return declare(module, symbol, ftype, location, attributes)


def _parts(solve):
    """The solve's symbols (the transpose's or None) and the closures' lengths."""
    attributes = solve.attributes
    transpose = attributes[LINEAR_SOLVE_TRANSPOSE].value if LINEAR_SOLVE_TRANSPOSE in attributes else None
    return attributes[LINEAR_SOLVE].value, transpose, list(ir.DenseI64ArrayAttr(attributes[LINEAR_SOLVE_CLOSURES]))


class LinearSolveRules(rules.Construct):
    attribute = LINEAR_SOLVE

    def callees(self, solve):
        return {s for s in _parts(solve)[:2] if s is not None}

    def depends(self, table, solve, inputs):
        return [any(inputs)] * len(function_type(solve).results)

    def jvp(self, module, op, solve, in_primals, in_tangents):
        """The solve, and the solve of b's tangents; aux has none. The construct does not
        know the matvec, so it refuses what would need its derivative: the tangent of
        a solve's closure (which holds the matrix), at second order."""
        types = list(op.results.types)
        outputs = list(func.CallOp(types, solve.attributes["sym_name"].value, in_primals).results)
        num_b = len(in_primals) - sum(_parts(solve)[2])
        if any(t is not None for t in in_tangents[num_b:]):
            raise NotImplementedError("custom_linear_solve: derivatives of second or higher order with respect to "
                                      "the values its solve closes over")
        if all(t is None for t in in_tangents[:num_b]):
            return outputs, [None] * len(types)
        b_tangents = [instantiate(t, shaped_type(p.type))
                      for t, p in zip(in_tangents[:num_b], in_primals[:num_b], strict=True)]
        x_tangents = func.CallOp(types, solve.attributes["sym_name"].value, b_tangents + in_primals[num_b:]).results
        return outputs, list(x_tangents)[:num_b] + [None] * (len(types) - num_b)

    def transpose(self, module, op, solve, cts, operands):
        """b's cotangents: the transpose solve of x's (aux has none, as in JAX)."""
        symbol, transpose, (num_solve, num_transpose) = _parts(solve)
        if transpose is None:
            raise TypeError("transpose_solve required for backwards mode automatic differentiation of "
                            "custom_linear_solve")
        num_b = len(operands) - num_solve - num_transpose
        solve_closure, transpose_closure = operands[num_b:num_b + num_solve], operands[num_b + num_solve:]
        x_cts = [instantiate(ct, shaped_type(r.type))
                 for ct, r in zip(cts[:num_b], list(op.results)[:num_b], strict=True)]
        inputs = x_cts + transpose_closure + solve_closure
        results = list(function_type(functions(module)[transpose]).results)
        name = declare_linear_solve(module, f"{solve.attributes['sym_name'].value}_transpose",
                                    ir.FunctionType.get([v.type for v in inputs], results), transpose, symbol,
                                    [num_transpose, num_solve], solve.location)
        b_cts = list(func.CallOp(results, name, inputs).results)[:num_b]
        return b_cts + [None] * (num_solve + num_transpose)

    def batch(self, module, op, solve, operands, dims, size):
        """The solve of the batched solves, b and every output batched along 0 (so that
        the batched solve and transpose solve map the same types)."""
        table = functions(module)
        symbol, transpose, closures = _parts(solve)
        num_b = len(operands) - sum(closures)
        operands = [batch_at(x, d, size, 0) for x, d in zip(operands[:num_b], dims, strict=False)] + operands[num_b:]
        axes = [NOT_BATCHED if d is None else d for d in dims[num_b:]]
        solve_axes, transpose_axes = axes[:closures[0]], axes[closures[0]:]

        def batched(function, closure_axes):
            out_axes = [0] * len(function_type(table[function]).results)
            return declare_vmap(module, table[function], [0] * num_b + closure_axes, out_axes, size)

        types = [batched_type(t, 0, size) for t in op.results.types]
        name = declare_linear_solve(
            module, f"{solve.attributes['sym_name'].value}_vmap{size}_{spell_axes([0] * num_b + axes)}",
            ir.FunctionType.get([v.type for v in operands], types), batched(symbol, solve_axes),
            None if transpose is None else batched(transpose, transpose_axes), closures, solve.location)
        return list(func.CallOp(types, name, operands).results), [0] * len(types)

    def lower(self, module, solve):
        symbol, transpose, closures = _parts(solve)
        block = add_body(solve)
        arguments = list(block.arguments)
        with ir.InsertionPoint(block), solve.location:
            call = func.CallOp(list(function_type(solve).results), symbol, arguments[:len(arguments) - closures[1]])
            func.ReturnOp(list(call.results))
        mark_derived(solve, *(a for a in (LINEAR_SOLVE, LINEAR_SOLVE_TRANSPOSE, LINEAR_SOLVE_CLOSURES)
                              if a in solve.attributes))


rules.register(LinearSolveRules())
