"""Differentiation: the API over the mirax-jvp pass (and, as reverse mode lands, the
linearize and transpose passes). Tracing only records which function is
differentiated; the passes derive the derivative code."""
from mirax import dtypes, runtime
from mirax.api import trace_flat
from mirax.core import Array, Trace, current_trace, to_array, with_source
from mirax.tree_util import tree_flatten, tree_unflatten


def _name(fun):
    return getattr(fun, "__name__", "fun")


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents), as
    jax.jvp: primals and tangents are tuples (or lists) of pytrees of one structure."""
    for what, value in (("primal", primals), ("tangent", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(with_source(
                f"{what} arguments to jvp must be a tuple or a list; found {type(value).__name__}."))
    flat_primals, tree = tree_flatten((tuple(primals), {}))
    flat_tangents, tangent_tree = tree_flatten((tuple(tangents), {}))
    if tree != tangent_tree:
        raise TypeError(with_source(
            f"primal and tangent arguments to jvp must have the same tree structure; got {tree} and {tangent_tree}."))
    flat_primals = [to_array(x) for x in flat_primals]
    flat_tangents = [to_array(t) for t in flat_tangents]
    for p, t in zip(flat_primals, flat_tangents, strict=True):
        _check_tangent(p.aval, t.aval)
    active = [i for i, p in enumerate(flat_primals) if dtypes.is_float(p.aval.dtype) or dtypes.is_complex(p.aval.dtype)]

    def flat_fun(*args):
        out = fun(*args)
        if not has_aux:
            return out
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(with_source("jvp with has_aux=True requires fun to return a pair (output, aux)"))
        return out

    traced = trace_flat(flat_fun, tree, [p.aval for p in flat_primals], _name(fun))
    outs = _call_jvp(traced.trace, flat_primals, [flat_tangents[i] for i in active], active)
    num_outs = len(traced.trace.out_avals)
    out_primals = tree_unflatten(traced.out_tree, outs[:num_outs])
    out_tangents = tree_unflatten(traced.out_tree, outs[num_outs:])
    if has_aux:
        (out, aux), (out_tangent, _) = out_primals, out_tangents
        return out, out_tangent, aux
    return out_primals, out_tangents


def _check_tangent(primal, tangent):
    if primal.shape != tangent.shape:
        raise ValueError(with_source(
            f"jvp called with different primal and tangent shapes; got primal shape {primal.shape} and "
            f"tangent shape {tangent.shape}"))
    inexact = dtypes.is_float(primal.dtype) or dtypes.is_complex(primal.dtype)
    if inexact and primal.dtype != tangent.dtype:
        raise TypeError(with_source(
            f"primal and tangent arguments to jvp do not match; dtypes must be equal. Got primal dtype "
            f"{primal.dtype.name} and tangent dtype {tangent.dtype.name}."))


def _call_jvp(callee, primals, tangents, active):
    """The JVP of a finished Trace: emitted into the enclosing trace, or run now."""
    enclosing = current_trace()
    if enclosing is not None:
        return enclosing.call_jvp(callee, primals, tangents, active)
    with Trace([x.aval for x in primals + tangents], callee.name) as trace:
        args = trace.invars
        outs = trace.call_jvp(callee, args[: len(primals)], args[len(primals):], active)
    trace.finish(outs)
    executable = runtime.compile(trace.text, "main", len(trace.invars) + len(trace.constvars), trace.out_avals)
    results = executable(list(primals) + list(tangents) + trace.constvars)
    return [Array(r, a.weak_type) for r, a in zip(results, trace.out_avals, strict=True)]
