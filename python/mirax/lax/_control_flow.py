"""Control flow: while_loop, fori_loop, cond and switch, as jax.lax's.

The condition and the body of a loop, or the branches of a cond, are traced once into
functions of their own, and the construct is a call of a declared function naming
them (passes/declarations.py: `mirax.while_cond`/`mirax.while_body`,
`mirax.cond_branches`), which mirax-to-linalg gives an scf.while or scf.if body. The
passes transform these calls: mirax-vmap batches a loop (a batched condition keeps
looping until every lane is done, finished lanes keeping their values) and a cond (a
batched index selects among every branch's results); mirax-jvp differentiates both,
and a cond's tangent part transposes into a cond of its branches' VJPs."""
import numpy as np

from mirax import dtypes
from mirax.core import Aval, Trace, current_trace, to_array, with_source
from mirax.dialect import tensor_type
from mirax.mlir import func, ir
from mirax.passes.declarations import COND_BRANCHES, WHILE_BODY, WHILE_COND, branch_list, declare, define
from mirax.tree_util import tree_flatten, tree_unflatten

__all__ = ["cond", "fori_loop", "switch", "while_loop"]


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


def switch(index, branches, *operands):
    """branches[index](*operands), index clamped into range, as jax.lax.switch: every
    branch is traced, and their outputs must agree in structure, shapes and dtypes."""
    from mirax import lax

    branches = list(branches)
    if not branches:
        raise ValueError(with_source("Empty branch sequence"))
    index = to_array(index)
    if index.aval.shape != () or not dtypes.is_integer(index.aval.dtype):
        raise TypeError(with_source(f"switch index must be a scalar integer, got {index.aval.str_short()}"))
    if len(branches) == 1:
        return branches[0](*operands)
    return _switch(lax.clamp(np.int32(0), lax.convert_element_type(index, np.int32), np.int32(len(branches) - 1)),
                   branches, operands, "branch 0 and branch {i} outputs")


def cond(pred, true_fun, false_fun, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), as jax.lax.cond: both
    branches are traced, and their outputs must agree."""
    from mirax import lax

    pred = to_array(pred)
    if pred.aval.shape != ():
        raise TypeError(with_source(f"Pred must be a scalar, got {pred.aval.str_short()}"))
    if pred.aval.dtype != dtypes.dtype(bool):
        pred = lax.ne(pred, lax.convert_element_type(0, pred.aval.dtype))
    return _switch(lax.convert_element_type(pred, np.int32), [false_fun, true_fun], operands,
                   "true_fun and false_fun outputs")


def _switch(index, branches, operands, what):
    if current_trace() is None:
        from mirax.api import jit

        return jit(lambda i, ops: _switch(i, branches, ops, what))(index, operands)
    leaves, tree = tree_flatten(operands)
    leaves = [to_array(x) for x in leaves]
    avals = [Aval(x.aval.shape, x.aval.dtype, x.aval.weak_type) for x in leaves]
    traced = [_trace(lambda ops, b=b: b(*ops), tree, avals, getattr(b, "__name__", "branch")) for b in branches]
    (first, first_tree), types = traced[0], [(a.shape, a.dtype) for a in traced[0][0].out_avals]
    for i, (trace, out_tree) in enumerate(traced[1:], 1):
        if out_tree != first_tree or [(a.shape, a.dtype) for a in trace.out_avals] != types:
            raise TypeError(with_source(
                f"{what.format(i=i)} must have identical types, got\n  {first_tree} of {_types(first.out_avals)}\n"
                f"  {out_tree} of {_types(trace.out_avals)}."))
    closures = [list(trace.constvars) for trace, _ in traced]
    args = leaves + [c for closure in closures for c in closure]

    def declare_cond(module, symbols):
        arg_types = [tensor_type(x.aval.shaped) for x in args]
        out_types = [tensor_type(a.shaped) for a in first.out_avals]
        wrappers, start = [], len(leaves)
        for symbol, closure in zip(symbols, closures, strict=True):
            # Every branch takes all the args: its operands and its own closure among them.
            own = list(range(len(leaves))) + list(range(start, start + len(closure)))
            wrappers.append(define(module, f"{symbol}_of_all", arg_types, out_types, ir.Location.unknown(),
                                   lambda a, symbol=symbol, own=own: list(func.CallOp(
                                       out_types, symbol, [a[k] for k in own]).results)))
            start += len(closure)
        ftype = ir.FunctionType.get([tensor_type(index.aval.shaped)] + arg_types, out_types)
        return declare(module, f"cond_{'_'.join(symbols)}", ftype, ir.Location.unknown(),
                       {COND_BRANCHES: branch_list(wrappers)})

    outs = current_trace().call_declared([trace for trace, _ in traced], declare_cond, [index] + args,
                                         list(first.out_avals))
    return tree_unflatten(first_tree, outs)
