"""custom_linear_solve, as jax.lax's: x = solve(matvec, b), differentiated implicitly
(matvec(x) = b gives x' = solve(matvec, b' - matvec'(x))) instead of through the
solve. matvec, solve and transpose_solve are traced once, closure-converted: a
custom_jvp function of their closed-over values and b computes x by the solve, and its
JVP rule solves for the tangent with the construct of dialect/control_flow/linear_solve.py,
which reverse mode transposes into transpose_solve(vecmat, .), vecmat being matvec's
transpose (its VJP)."""
from mirax.api import forward
from mirax.core import current_trace, to_array, with_source, zeros
from mirax.custom_derivatives import custom_jvp, trace_backward_passes
from mirax.dialect import tensor_type
from mirax.dialect.control_flow.linear_solve import declare_linear_solve
from mirax.dialect.transformations import declare_vjp
from mirax.mlir import ir
from mirax.tree_util import tree_flatten, tree_unflatten

from ._control_flow import _run_now, _trace

__all__ = ["custom_linear_solve"]


def _checked(fun, name, tree, avals, has_aux):
    """fun's trace and output structure, its output (the first of a pair with
    `has_aux`) checked to have b's structure and shapes, as JAX checks it."""
    trace, full_tree = _trace(fun, tree, avals, getattr(fun, "__name__", name))
    out_tree = full_tree
    if has_aux:
        children = out_tree.children()
        if len(children) != 2:
            raise ValueError(with_source(
                f"{name}() produced a pytree with structure {out_tree}, but a pytree tuple with auxiliary output was "
                f"expected because has_aux was set to True."))
        out_tree = children[0]
    if out_tree != tree:
        raise TypeError(with_source(f"{name}() output pytree structure must match b, got {out_tree} and {tree}."))
    shapes = [a.shape for a in trace.out_avals[:len(avals)]]
    if shapes != [a.shape for a in avals]:
        raise ValueError(with_source(
            f"{name}() output shapes must match b, got {shapes} and {[a.shape for a in avals]}"))
    return trace, full_tree


def _call(trace, leaves, consts):
    return current_trace().call(trace, leaves, consts)


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False, has_aux=False):
    """solve(matvec, b), a solution of matvec(x) = b (with solve's aux if `has_aux`),
    differentiated implicitly, as jax.lax.custom_linear_solve: reverse mode needs
    `transpose_solve(vecmat, x)` (solve itself where `symmetric`)."""
    if current_trace() is None:  # traced into a program of its own, as JAX binds its primitive
        return _run_now(lambda b: custom_linear_solve(matvec, b, solve, transpose_solve, symmetric, has_aux), b,
                        "custom_linear_solve")
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    b_leaves, tree = tree_flatten(b)
    b_leaves = [to_array(x) for x in b_leaves]
    avals = [x.aval for x in b_leaves]
    num_b = len(avals)
    matvec_trace, _ = _checked(matvec, "matvec", tree, avals, False)
    solve_trace, out_tree = _checked(lambda b: solve(matvec, b), "solve", tree, avals, has_aux)
    transpose_trace = None
    if transpose_solve is not None:
        def vecmat(x):
            """matvec's transpose: its VJP at zero."""
            cts = [to_array(c) for c in tree_flatten(x)[0]]
            outs = current_trace().call_transformed(declare_vjp, matvec_trace, [zeros(a) for a in avals], cts,
                                                    range(num_b), avals * 2, trace_backward_passes)
            return tree_unflatten(tree, outs[num_b:])

        transpose_trace, _ = _checked(lambda x: transpose_solve(matvec if symmetric else vecmat, x),
                                      "transpose_solve", tree, avals, has_aux)

    @custom_jvp
    def solved(matvec_consts, solve_consts, transpose_consts, b):
        return _call(solve_trace, b, solve_consts)

    @solved.defjvp
    def solved_jvp(primals, tangents):
        """x' = solve(b' - matvec'(x)), matvec' differentiating what matvec closes over."""
        matvec_consts, solve_consts, transpose_consts, _ = primals
        outs = solved(*primals)
        _, matvec_dot = forward(lambda c: _call(matvec_trace, outs[:num_b], c), (matvec_consts,), (tangents[0],),
                                "matvec")
        rhs = [t - m for t, m in zip(tangents[3], matvec_dot, strict=True)]
        x_dot = current_trace().call_declared(
            [solve_trace] + ([transpose_trace] if transpose_trace else []),
            lambda module, symbols: declare_linear_solve(
                module, f"linear_solve_{symbols[0]}", ir.FunctionType.get(
                    [tensor_type(v.aval.shaped) for v in rhs + solve_consts + transpose_consts],
                    [tensor_type(a.shaped) for a in solve_trace.out_avals]),
                symbols[0], symbols[1] if len(symbols) > 1 else None, [len(solve_consts), len(transpose_consts)],
                ir.Location.unknown()),
            rhs + solve_consts + transpose_consts, solve_trace.out_avals)
        return outs, x_dot[:num_b] + [zeros(o.aval) for o in outs[num_b:]]

    outs = solved(list(matvec_trace.constvars), list(solve_trace.constvars),
                  [] if transpose_trace is None else list(transpose_trace.constvars), b_leaves)
    return tree_unflatten(out_tree, outs)
