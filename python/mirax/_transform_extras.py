"""jax's smaller top-level transformations and utilities: eval_shape, jacobian,
custom_gradient, closure_convert, named_call/named_scope, ensure_compile_time_eval,
typeof, block_until_ready, device_get and float0.

- `eval_shape(fun, *args)` traces fun on the arguments' shapes and dtypes (Arrays,
  NumPy values, Python scalars, ShapeDtypeStructs or anything with `.shape` and
  `.dtype`), compiling and running nothing, and returns ShapeDtypeStructs.
- `custom_gradient(fun)`, fun returning (value, rule), is a custom_vjp whose forward
  pass traces rule on the value's cotangent types and keeps what rule closes over as the
  residuals, as JAX's.
- `closure_convert(fun, *example_args)` traces fun on the examples' types and hoists the
  traced values it closes over (those a differentiation may perturb) into arguments.
- `named_call`/`named_scope` only name ops in JAX's compiled programs' metadata: mirax
  keeps no name stack, so they call the function / run the block unchanged.
- `ensure_compile_time_eval()`: inside it, operations on concrete values run eagerly
  even under jit, giving concrete Arrays, as in JAX.
"""
import contextlib
import functools

import numpy as np

from mirax import core
from mirax.ad import jacrev
from mirax.api import array_like, check_callable, trace_flat
from mirax.callback import ShapeDtypeStruct
from mirax.core import Array, ShapedArray, Trace, Tracer, current_level, current_trace, to_array, with_source
from mirax.custom_derivatives import custom_vjp
from mirax.dtypes import canonicalize_dtype, float0, is_complex, is_float
from mirax.ref import AbstractRef
from mirax.tree_util import (register_pytree_node_class, tree_flatten, tree_leaves, tree_map, tree_unflatten,
                             treedef_is_leaf)

__all__ = ["block_until_ready", "closure_convert", "copy_to_host_async", "custom_gradient", "device_get",
           "effects_barrier", "ensure_compile_time_eval",
           "eval_shape", "float0", "jacobian", "named_call", "named_scope", "typeof", "ShapedArray"]



def typeof(x):
    """x's abstract type (a ShapedArray; a Ref's AbstractRef), as jax.typeof."""
    if isinstance(x, core.Ref):
        return AbstractRef(typeof(x._read()))
    try:
        aval = to_array(x).aval
    except TypeError:
        raise TypeError(f"Argument '{x}' of type {type(x)} is not a valid JAX type") from None
    return ShapedArray(aval.shape, aval.dtype, aval.weak_type)


def block_until_ready(x):
    """x, once its arrays are computed (mirax's calls return once they are), as jax.block_until_ready."""
    for leaf in tree_leaves(x):
        block = getattr(leaf, "block_until_ready", None)
        if block is not None:
            block()
    return x


def effects_barrier():
    """Wait until functions called so far have finished their side effects, as
    jax.effects_barrier: mirax's calls return only once they have."""


def copy_to_host_async(x):
    """x, as jax.copy_to_host_async: mirax's arrays are on the host already (GPU arrays in
    unified memory, which the host reads directly)."""
    return x


def device_get(x):
    """x with its arrays as NumPy arrays on the host, as jax.device_get; other leaves
    (Python scalars, tracers) as they are."""
    def get(leaf):
        if isinstance(leaf, (Tracer, np.ndarray, np.generic)) or not hasattr(leaf, "__array__"):
            return leaf
        return np.asarray(leaf)

    return tree_map(get, x)


def jacobian(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """jacrev(fun, ...), as jax.jacobian."""
    return jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic, allow_int=allow_int)


# ----------------------------------------------------------------------------- eval_shape


def _abstract(leaf, path):
    """The aval of an eval_shape argument leaf (canonicalized as JAX does)."""
    if not isinstance(leaf, (Array, Tracer, np.ndarray, np.generic)) and hasattr(leaf, "shape") and \
            hasattr(leaf, "dtype"):
        return core.Aval(tuple(leaf.shape), canonicalize_dtype(leaf.dtype), bool(getattr(leaf, "weak_type", False)))
    try:
        return to_array(leaf).aval
    except TypeError:
        raise TypeError(f"Error interpreting argument to {path} as an abstract array. The problematic value is of "
                        f"type {type(leaf)}.") from None


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes (ShapeDtypeStructs, in fun's output structure) of
    fun(*args, **kwargs), found by tracing fun without running anything, as jax.eval_shape."""
    check_callable(fun)
    leaves, in_tree = tree_flatten((args, kwargs))
    avals = [_abstract(leaf, fun) for leaf in leaves]
    traced = trace_flat(fun, in_tree, avals, getattr(fun, "__name__", "fun"))
    return tree_unflatten(traced.out_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                                            for a in traced.trace.out_avals])


# ----------------------------------------------------------------------------- traced functions run again


def _run(trace, leaves, consts):
    """A finished Trace applied to `leaves` with `consts` as its closed-over values:
    called from the current trace, or compiled and run now."""
    leaves = [to_array(x) for x in leaves]
    if current_trace() is not None:
        return current_trace().call(trace, leaves, list(consts))
    outs = trace.compile()(leaves + list(consts))
    return [Array(o, a.weak_type) for o, a in zip(outs, trace.out_avals, strict=True)]


def _trace(fun, tree, avals, name):
    """fun traced on `avals` (the leaves of its argument tuple, of structure `tree`):
    the finished Trace and its output structure."""
    with Trace(avals, name) as trace:
        out = fun(*tree_unflatten(tree, trace.invars))
    out_leaves, out_tree = tree_flatten(out)
    try:
        out_leaves = [to_array(x) for x in out_leaves]
    except TypeError:
        bad = next(x for x in out_leaves if not core.is_array(x) and not array_like(x))
        raise TypeError(with_source(f"{name} returned a value of type {type(bad)}, which is not a valid JAX type")) \
            from None
    return trace.finish(out_leaves), out_tree


# ----------------------------------------------------------------------------- custom_gradient


@register_pytree_node_class
class _Residuals:
    """custom_gradient's residuals: the traced gradient rule (static) and the values it closes over."""

    def __init__(self, rule, in_tree, out_tree, consts):
        self.rule, self.in_tree, self.out_tree, self.consts = rule, in_tree, out_tree, consts

    def tree_flatten(self):
        return self.consts, (self.rule, self.in_tree, self.out_tree)

    @classmethod
    def tree_unflatten(cls, aux, consts):
        return cls(*aux, list(consts))


def custom_gradient(fun):
    """A function with the gradient rule it returns, as jax.custom_gradient: fun(*args)
    returns (value, rule), rule(cotangent of value) the cotangents of the arguments."""

    @custom_vjp
    def wrapped_fun(*args, **kwargs):
        ans, _ = fun(*args, **kwargs)
        return ans

    def fwd(*args, **kwargs):
        ans, rule = fun(*args, **kwargs)
        ans_leaves, out_tree = tree_flatten((ans,))
        avals = [to_array(x).aval for x in ans_leaves]
        traced, in_tree = _trace(rule, out_tree, avals, getattr(rule, "__name__", "rule"))
        return ans, _Residuals(traced, in_tree, out_tree, list(traced.constvars))

    def bwd(res, cts):
        cts_leaves, out_tree = tree_flatten((cts,))
        if out_tree != res.out_tree:
            raise TypeError(f"{res.out_tree}\n!=\n{out_tree}")
        cts_out = tree_unflatten(res.in_tree, _run(res.rule, cts_leaves, res.consts))
        return (cts_out,) if treedef_is_leaf(res.in_tree) else cts_out

    wrapped_fun.defvjp(fwd, bwd)
    return wrapped_fun


# ----------------------------------------------------------------------------- closure_convert


def _maybe_perturbed(x):
    """Whether a closed-over value may carry a tangent (JAX's heuristic): a traced value,
    except a non-float one under jit alone."""
    return isinstance(x, Tracer) and (current_level() > 0 or is_float(x.aval.dtype) or is_complex(x.aval.dtype))


def closure_convert(fun, *example_args):
    """(converted, hoisted) as jax.closure_convert: `converted(*args, *hoisted)` is
    fun(*args) for arguments of the examples' types, the traced values fun closes over
    (that a differentiation may perturb) passed explicitly as `hoisted`."""
    leaves, in_tree = tree_flatten(example_args)
    avals = [to_array(x).aval for x in leaves]
    traced, out_tree = _trace(fun, in_tree, avals, getattr(fun, "__name__", "fun"))
    consts = list(traced.constvars)
    perturbed = [_maybe_perturbed(c) for c in consts]
    hoisted = [c for c, p in zip(consts, perturbed, strict=True) if p]

    def converted_fun(*args_hconsts):
        num_args = len(args_hconsts) - len(hoisted)
        args, const_args = args_hconsts[:num_args], iter(args_hconsts[num_args:])
        all_args, in_tree2 = tree_flatten(tuple(args))
        if in_tree != in_tree2:
            raise TypeError(f"The inputs to the closure produced by closure_convert must have the same Pytree "
                            f"structure as the example arguments passed when closure_convert was called. Expected "
                            f"{in_tree}, but got {in_tree2}")
        merged = [next(const_args) if p else c for c, p in zip(consts, perturbed, strict=True)]
        return tree_unflatten(out_tree, _run(traced, all_args, merged))

    return converted_fun, hoisted


# ----------------------------------------------------------------------------- names and evaluation contexts


@contextlib.contextmanager
def named_scope(name):
    """A named scope for the ops traced inside, as jax.named_scope (mirax keeps no name stack)."""
    if not isinstance(name, str):
        raise TypeError("named_scope name argument must be a string.")
    yield


def named_call(fun, *, name=None):
    """fun, its ops in a named scope (by default fun's name), as jax.named_call."""
    if name is None:
        name = fun.__name__

    @functools.wraps(fun)
    def named(*args, **kwargs):
        with named_scope(name):
            return fun(*args, **kwargs)

    return named


def ensure_compile_time_eval():
    """A context in which operations on concrete values run eagerly, under jit too, as
    jax.ensure_compile_time_eval."""
    return core.compile_time_eval()
