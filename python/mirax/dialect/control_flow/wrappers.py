"""What the constructs' JVP and transpose rules share: a function's tangents (its
JVP's second half), which a construct's tangent part calls in place of the function,
and its cotangents (its VJP's second half), which the tangent part's transpose calls
(cond's branches, checkpoint's body)."""
from mirax.mlir import func

from ..ir_util import define, function_type, functions
from ..transformations import declare_jvp, declare_vjp


def _second_half(module, transformed, num_first, symbol, location):
    """@symbol: the `transformed` function's results after the first `num_first`."""
    ftype = function_type(functions(module)[transformed])
    results = list(ftype.results)
    return define(module, symbol, list(ftype.inputs), results[num_first:], location,
                  lambda args: list(func.CallOp(results, transformed, args).results)[num_first:])


def tangents(module, function, active, location):
    """@<jvp>_tangent(args..., tangents of `active`...) -> output tangents."""
    jvp = declare_jvp(module, function, active)
    return _second_half(module, jvp, len(function_type(function).results), f"{jvp}_tangent", location)


def cotangents(module, function, active, location):
    """@<vjp>_cotangent(args..., output cotangents...) -> cotangents of `active`."""
    vjp = declare_vjp(module, function, active)
    return _second_half(module, vjp, len(function_type(function).results), f"{vjp}_cotangent", location)
