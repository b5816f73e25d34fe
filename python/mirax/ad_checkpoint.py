"""checkpoint (remat), as jax.checkpoint: the function's values, but reverse mode saves
only its inputs and recomputes its forward pass in the backward pass.

The function is traced once into a body of its own, and the checkpoint is a call of a
declared function naming it (dialect/transformations.py `mirax.checkpoint_body`),
whose rules (dialect/control_flow/checkpoint.py) differentiate it by the body's JVP and
VJP at its inputs and batch it into a checkpoint of the batched body. A policy saving
dots marks the declaration with the dots it saves (`mirax.checkpoint_saveable`)."""
import functools
import types

from mirax.core import current_trace, to_array
from mirax.dialect import tensor_type
from mirax.dialect.control_flow.checkpoint import CHECKPOINT_SAVEABLE
from mirax.dialect.ir_util import declare
from mirax.dialect.transformations import CHECKPOINT_BODY, CHECKPOINT_PREVENT_CSE
from mirax.lax._control_flow import _run_now, _trace
from mirax.mlir import ir
from mirax.tree_util import tree_flatten, tree_unflatten

__all__ = ["checkpoint", "checkpoint_policies", "remat"]


# What each policy saves, each saving what those before it save.
_SAVES = ("nothing", "dots_with_no_batch_dims", "dots", "everything")


def _policy(saves):
    def policy(fun):
        fun.saves = saves
        return fun
    return policy


def _is_dot(prim):
    return getattr(prim, "name", prim) == "dot_general"


@_policy("everything")
def everything_saveable(*_, **__):
    """Save every residual: a plain call, as if checkpoint were not used."""
    return True


@_policy("nothing")
def nothing_saveable(*_, **__):
    """Save none: recompute everything (the default, policy=None)."""
    return False


@_policy("dots")
def dots_saveable(prim, *_, **__):
    """Save the results of dot_generals (matrix products); recompute the rest."""
    return _is_dot(prim)


@_policy("dots_with_no_batch_dims")
def dots_with_no_batch_dims_saveable(prim, *_, **params):
    """Save the results of dot_generals without batch dimensions; recompute the rest."""
    (_, _), (lhs_batch, rhs_batch) = params.get("dimension_numbers", ((), ((), ())))
    return _is_dot(prim) and not lhs_batch and not rhs_batch


def save_from_both_policies(policy_1, policy_2):
    """Save what either policy saves."""
    saves = max(_saves(policy_1), _saves(policy_2), key=_SAVES.index)
    return _policy(saves)(lambda *args, **params: policy_1(*args, **params) or policy_2(*args, **params))


def _names_policy(name):
    def make(*names):
        raise NotImplementedError(f"checkpoint_policies.{name}: mirax has no checkpoint_name, so no policy by "
                                  f"names; use dots_saveable, dots_with_no_batch_dims_saveable, everything_saveable "
                                  f"or nothing_saveable")
    make.__name__ = name
    return make


def _offload_policy(name):
    def make(*_, **__):
        raise NotImplementedError(f"checkpoint_policies.{name}: mirax does not offload residuals (its arrays live in "
                                  f"one memory); use dots_with_no_batch_dims_saveable to save them")
    make.__name__ = name
    return make


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable, nothing_saveable=nothing_saveable, dots_saveable=dots_saveable,
    checkpoint_dots=dots_saveable, dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_from_both_policies=save_from_both_policies,
    **{name: _names_policy(name) for name in ("save_only_these_names", "save_any_names_but_these",
                                               "save_anything_except_these_names")},
    **{name: _offload_policy(name) for name in ("offload_dot_with_no_batch_dims",
                                                 "save_and_offload_only_these_names")})


def _saves(policy):
    """What `policy` saves (one of _SAVES), or NotImplementedError for a policy of the user's."""
    if policy is None:
        return "nothing"
    saves = getattr(policy, "saves", None)
    if saves is None:
        raise NotImplementedError(f"checkpoint: policy {getattr(policy, '__name__', policy)!r} is not supported; "
                                  f"mirax supports None and checkpoint_policies' nothing_saveable, "
                                  f"everything_saveable, dots_saveable, dots_with_no_batch_dims_saveable and "
                                  f"their save_from_both_policies")
    return saves


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=(), static_argnames=()):
    """`fun`, recomputed rather than saved for reverse-mode differentiation, as
    jax.checkpoint. `static_argnums` are Python values baked into the trace; with
    `prevent_cse` the recomputation survives compilation (its call is not inlined, so
    CSE cannot merge it with the forward pass); policies: those of `checkpoint_policies`
    that save nothing, everything or the dots' results (`_saves`)."""
    saves = _saves(policy)
    if static_argnames:
        raise NotImplementedError("checkpoint: static_argnames is not supported; use static_argnums")
    if not isinstance(prevent_cse, bool):
        raise NotImplementedError(f"checkpoint: prevent_cse must be a bool (per-argument prevent_cse is not "
                                  f"supported), got {prevent_cse!r}")
    if type(static_argnums) is int:
        static_argnums = (static_argnums,)

    @functools.wraps(fun)
    def fun_remat(*args, **kwargs):  # JAX's checks of static_argnums, at the call as JAX's
        if not (type(static_argnums) is tuple and all(type(d) is int for d in static_argnums)):
            raise TypeError("the `static_argnums` argument to `jax.checkpoint` / `jax.remat` must be an int, tuple "
                            f"of ints or, bool, but got value {static_argnums}")
        if not all(-len(args) <= d < len(args) for d in static_argnums):
            raise ValueError("the `static_argnums` argument to `jax.checkpoint` / `jax.remat` can only take integer "
                             "values greater than or equal to `-len(args)` and less than `len(args)`, but got "
                             f"{static_argnums}, while `len(args)` = {len(args)}")
        if saves == "everything":  # nothing to recompute: a plain call
            return fun(*args, **kwargs)
        static = {d % len(args) for d in static_argnums}

        def call(dynamic):
            """The checkpoint's call on the dynamic arguments, ([positional...], {keyword: ...})."""
            leaves, tree = tree_flatten(dynamic)
            leaves = [to_array(x) for x in leaves]

            def body(inputs):
                positional, keywords = iter(inputs[0]), inputs[1]
                return fun(*(args[i] if i in static else next(positional) for i in range(len(args))), **keywords)

            traced, out_tree = _trace(body, tree, [x.aval for x in leaves], getattr(fun, "__name__", "fun"))
            operands = leaves + list(traced.constvars)

            def declare_checkpoint(module, symbols):
                (symbol,) = symbols
                ftype = ir.FunctionType.get([tensor_type(x.aval.shaped) for x in operands],
                                            [tensor_type(a.shaped) for a in traced.out_avals])
                attributes = {CHECKPOINT_BODY: ir.FlatSymbolRefAttr.get(symbol)}
                if prevent_cse:
                    attributes[CHECKPOINT_PREVENT_CSE] = ir.UnitAttr.get()
                if saves != "nothing":
                    attributes[CHECKPOINT_SAVEABLE] = ir.StringAttr.get(saves)
                return declare(module, f"checkpoint_{symbol}{'' if prevent_cse else '_cse'}"
                               f"{'' if saves == 'nothing' else '_saving_' + saves}", ftype, ir.Location.unknown(),
                               attributes)

            outs = current_trace().call_declared([traced], declare_checkpoint, operands, traced.out_avals)
            return tree_unflatten(out_tree, outs)

        dynamic = ([a for i, a in enumerate(args) if i not in static], kwargs)
        # Traced abstractly even when run now, as JAX's (Python control flow needs static_argnums).
        return call(dynamic) if current_trace() is not None else _run_now(call, dynamic, "checkpoint")

    return fun_remat


remat = checkpoint
