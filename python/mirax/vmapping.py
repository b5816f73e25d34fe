"""vmap: the API over the mirax-vmap pass. Tracing records which function is batched
and along which axes (a call of a declared, batched function); the pass derives the
batched code."""
import functools

from mirax.api import arguments_to_arrays, call_transformation, check_callable, trace_flat
from mirax.core import Aval, is_array, with_source
from mirax.dialect.transformations import NOT_BATCHED, declare_vmap
from mirax.errors import shaped_str
from mirax.tree_util import flatten_prefix, tree_flatten, tree_unflatten


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None, sum_match=False):
    """`fun` mapped over the axes `in_axes` of its arguments, as jax.vmap: one batched
    computation, with the mapped axis of each output at `out_axes`.

    in_axes and out_axes are an int (negative counts from the end), None (not mapped)
    or a pytree prefix of the arguments (of the outputs) holding those; keyword
    arguments are mapped along axis 0. axis_name names the axis for collectives and
    spmd_axis_name for a mesh's sharding, neither of which mirax has: as in JAX
    outside a mesh and without collectives, they change nothing."""
    check_callable(fun)
    if sum_match:
        raise NotImplementedError("mirax.vmap does not support sum_match=True")
    if isinstance(in_axes, list):  # as JAX: a list at the top is a tuple of per-argument axes
        in_axes = tuple(in_axes)
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    name = getattr(fun, "__name__", "fun")

    @functools.wraps(fun)
    def vmap_f(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(with_source(
                f"vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
                f"arguments passed to the function, but got len(in_axes)={len(in_axes)}, len(args)={len(args)}"))
        all_leaves, in_tree = tree_flatten((args, kwargs))
        all_axes = flatten_prefix((in_axes, 0), (args, kwargs), name="vmap in_axes")
        # As JAX, an unmapped argument that is not an array reaches fun unchanged (a
        # jitted function's static argument stays hashable, a string or object stays one).
        fixed = {i: x for i, (x, a) in enumerate(zip(all_leaves, all_axes, strict=True))
                 if a is None and not is_array(x)}
        dynamic = [i for i in range(len(all_leaves)) if i not in fixed]
        leaves = arguments_to_arrays(name, [all_leaves[i] for i in dynamic])
        axes = [_normalize(all_axes[i], x.aval.ndim, "in_axes", x.aval.shape) for i, x in zip(dynamic, leaves)]
        size = _axis_size(leaves, axes, axis_size)
        in_avals = [x.aval if a is None else _drop_axis(x.aval, a) for x, a in zip(leaves, axes, strict=True)]

        def with_fixed(*traced_leaves):
            rest = iter(traced_leaves)
            full = [fixed[i] if i in fixed else next(rest) for i in range(len(all_leaves))]
            inner_args, inner_kwargs = tree_unflatten(in_tree, full)
            return fun(*inner_args, **inner_kwargs)

        traced = trace_flat(with_fixed, tree_flatten((tuple(leaves), {}))[1], in_avals, name)
        for ref in traced.trace.ref_writes:  # JAX refuses any write of an outer Ref under vmap
            raise Exception(with_source(  # noqa: TRY002 (JAX's class)
                f"performing a set/swap operation with vmapped value on an unbatched array reference of type "
                f"Ref{{{shaped_str(ref.aval)}}}. Move the array reference to be an argument to the vmapped "
                f"function?"))
        out_avals = traced.trace.out_avals
        outs_axes = flatten_prefix(out_axes, traced.out_tree, name="vmap out_axes")
        outs_axes = [_normalize(a, aval.ndim + 1, "out_axes", None) for a, aval in zip(outs_axes, out_avals, strict=True)]
        declare = functools.partial(declare_vmap, out_axes=[_spell(a) for a in outs_axes], size=size)
        batched_avals = [aval if a is None else _insert_axis(aval, a, size)
                         for aval, a in zip(out_avals, outs_axes, strict=True)]
        outs = call_transformation(declare, traced.trace, leaves, [], [_spell(a) for a in axes], batched_avals)
        return tree_unflatten(traced.out_tree, outs)

    return vmap_f


def _check_axes_spec(spec, what):
    leaves = tree_flatten(spec, is_leaf=lambda x: x is None)[0]
    if not all(x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in leaves):
        raise TypeError(with_source(
            f"vmap {what} must be an int, None, or (nested) container with those types as leaves, but got {spec!r}."))


def _normalize(axis, rank, what, shape):
    """A nonnegative axis (or None) of a value of `rank`, checked."""
    if axis is None:
        return None
    if not -rank <= axis < rank:
        if what == "in_axes":
            raise ValueError(with_source(
                f"vmap was requested to map its argument along axis {axis}, which implies that its rank should be "
                f"at least {axis + 1 if axis >= 0 else -axis}, but is only {rank} (its shape is {shape})"))
        raise ValueError(with_source(f"vmap out_axes {axis} is out of bounds for an output of rank {rank}"))
    return axis % rank


def _spell(axis):
    return NOT_BATCHED if axis is None else axis


def _axis_size(leaves, axes, axis_size):
    sizes = {x.aval.shape[a] for x, a in zip(leaves, axes, strict=True) if a is not None}
    if axis_size is not None:
        sizes.add(axis_size)
    if not sizes:
        raise ValueError(with_source("vmap must have at least one non-None value in in_axes"))
    if len(sizes) > 1:
        described = "\n".join(f"  * an argument of shape {x.aval.shape} mapped along axis {a} has size {x.aval.shape[a]}"
                              for x, a in zip(leaves, axes, strict=True) if a is not None)
        if axis_size is not None:
            described += f"\n  * axis_size is {axis_size}"
        raise ValueError(with_source(f"vmap got inconsistent sizes for array axes to be mapped:\n{described}"))
    return sizes.pop()


def _drop_axis(aval, axis):
    return Aval(aval.shape[:axis] + aval.shape[axis + 1:], aval.dtype, aval.weak_type)


def _insert_axis(aval, axis, size):
    return Aval(aval.shape[:axis] + (size,) + aval.shape[axis:], aval.dtype, aval.weak_type)
