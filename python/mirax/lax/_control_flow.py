"""Loops: while_loop and fori_loop, as jax.lax's.

The condition and the body are traced once into functions of their own, and the
loop is a call of a declared function naming them (passes/declarations.py:
`mirax.while_cond`, `mirax.while_body`) that mirax-to-linalg gives an scf.while
body; mirax-vmap batches it (a batched condition keeps looping until every lane is
done, finished lanes keeping their values)."""
from mirax import dtypes
from mirax.core import Aval, Trace, current_trace, to_array, with_source
from mirax.dialect import tensor_type
from mirax.mlir import ir
from mirax.passes.declarations import WHILE_BODY, WHILE_COND, declare
from mirax.tree_util import tree_flatten, tree_unflatten

__all__ = ["fori_loop", "while_loop"]


def _trace(fun, tree, avals, name):
    with Trace(avals, name) as trace:
        out = fun(tree_unflatten(tree, trace.invars))
    leaves, out_tree = tree_flatten(out)
    trace.finish([to_array(x) for x in leaves])
    return trace, out_tree


def _types(avals):
    return [a.str_short() for a in avals]


def while_loop(cond_fun, body_fun, init_val):
    """body_fun applied to init_val while cond_fun of it is true, as jax.lax.while_loop:
    the carry keeps its pytree structure, shapes and dtypes."""
    if current_trace() is None:  # traced and compiled like any program, then run
        from mirax.api import jit

        return jit(lambda init: while_loop(cond_fun, body_fun, init))(init_val)
    leaves, tree = tree_flatten(init_val)
    leaves = [to_array(x) for x in leaves]
    avals = [Aval(x.aval.shape, x.aval.dtype, x.aval.weak_type) for x in leaves]
    cond, cond_tree = _trace(cond_fun, tree, avals, getattr(cond_fun, "__name__", "cond"))
    if cond_tree.num_leaves != 1 or cond.out_avals[0].shape != () or cond.out_avals[0].dtype != dtypes.dtype(bool):
        raise TypeError(with_source(
            f"cond_fun must return a boolean scalar, but got output type(s) {_types(cond.out_avals)}."))
    body, body_tree = _trace(body_fun, tree, avals, getattr(body_fun, "__name__", "body"))
    if body_tree != tree or [(a.shape, a.dtype) for a in body.out_avals] != [(a.shape, a.dtype) for a in avals]:
        raise TypeError(with_source(
            f"body_fun output and input must have identical types, got\n  output {body_tree} of "
            f"{_types(body.out_avals)}\n  input {tree} of {_types(avals)}."))

    operands = leaves + list(cond.constvars) + list(body.constvars)

    def declare_loop(module, symbols):
        cond_symbol, body_symbol = symbols
        carry = [tensor_type(a.shaped) for a in avals]
        ftype = ir.FunctionType.get(carry + [tensor_type(x.aval.shaped) for x in operands[len(avals):]], carry)
        return declare(module, f"while_{cond_symbol}_{body_symbol}", ftype, ir.Location.unknown(), {
            WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol), WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})

    outs = current_trace().call_declared([cond, body], declare_loop, operands, avals)
    return tree_unflatten(tree, outs)


def fori_loop(lower, upper, body_fun, init_val):
    """body_fun(i, val) for i from lower to upper, as jax.lax.fori_loop (forward only for now)."""
    from mirax import lax

    lower, upper = to_array(lower), to_array(upper)
    (lower, upper) = (lax.convert_element_type(x, dtypes.canonicalize_dtype(
        dtypes.result_type(lower, upper))) for x in (lower, upper))

    def cond(carry):
        i, upper_, _ = carry
        return lax.lt(i, upper_)

    def body(carry):
        i, upper_, val = carry
        return lax.add(i, lax.convert_element_type(1, i.dtype)), upper_, body_fun(i, val)

    return while_loop(cond, body, (lower, upper, init_val))[2]
