"""checkpoint (remat), as jax.checkpoint: the function's values, but reverse mode saves
only its inputs and recomputes its forward pass in the backward pass.

The function is traced once into a body of its own, and the checkpoint is a call of a
declared function naming it (dialect/transformations.py `mirax.checkpoint_body`),
whose rules (dialect/control_flow/checkpoint.py) differentiate it by the body's JVP and
VJP at its inputs and batch it into a checkpoint of the batched body. A policy saving
dots or values named by checkpoint_name (an identity op, `mirax.checkpoint_name`) marks
the declaration with what it saves (`mirax.checkpoint_saveable`)."""
import functools
import types
import zlib
from typing import NamedTuple

from mirax.core import bind, current_trace, to_array
from mirax.dialect import tensor_type
from mirax.dialect.control_flow.checkpoint import CHECKPOINT_SAVEABLE, CheckpointNameOp
from mirax.dialect.ir_util import declare
from mirax.dialect.transformations import CHECKPOINT_BODY, CHECKPOINT_PREVENT_CSE
from mirax.lax._control_flow import _run_now, _trace
from mirax.mlir import ir
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "remat"]


def checkpoint_name(x, name):
    """x (a pytree of arrays) named `name` for the policies of checkpoint_policies: the
    identity, as jax.ad_checkpoint.checkpoint_name."""
    if not isinstance(name, str):  # (JAX's takes any hashable name; mirax's IR keeps strings)
        raise TypeError(f"checkpoint_name: the name must be a str, got {name!r}")

    def named(leaf):
        (out,) = bind(CheckpointNameOp, to_array(leaf), name=name)
        return out

    return tree_map(named, x)


# What each policy saves of the ops, each saving what those before it save.
_SAVES = ("nothing", "dots_with_no_batch_dims", "dots", "everything")


class _Saves(NamedTuple):
    """What a policy saves: the ops of `dots` (one of _SAVES), and the values named by
    checkpoint_name with the `names` or, with `names_but`, with the other names."""
    dots: str = "nothing"
    names: frozenset = frozenset()
    names_but: bool = False

    def __or__(self, other):
        """What either saves."""
        dots = max(self.dots, other.dots, key=_SAVES.index)
        (some, some_but), (more, more_but) = sorted([self[1:], other[1:]], key=lambda names: names[1])
        if not more_but:
            return _Saves(dots, some | more)
        # All names but `more`'s, and those of `some`: all names but `more`'s not in `some`
        # (or, `some` also all but its own, but those in both).
        return _Saves(dots, some & more if some_but else more - some, True)


def _policy(saves):
    def policy(fun):
        fun.saves = saves
        return fun
    return policy


def _is_dot(prim):
    return getattr(prim, "name", prim) == "dot_general"


def _is_name(prim):
    return getattr(prim, "name", prim) == "name"


@_policy(_Saves("everything"))
def everything_saveable(*_, **__):
    """Save every residual: a plain call, as if checkpoint were not used."""
    return True


@_policy(_Saves())
def nothing_saveable(*_, **__):
    """Save none: recompute everything (the default, policy=None)."""
    return False


@_policy(_Saves("dots"))
def dots_saveable(prim, *_, **__):
    """Save the results of dot_generals (matrix products); recompute the rest."""
    return _is_dot(prim)


@_policy(_Saves("dots_with_no_batch_dims"))
def dots_with_no_batch_dims_saveable(prim, *_, **params):
    """Save the results of dot_generals without batch dimensions; recompute the rest."""
    (_, _), (lhs_batch, rhs_batch) = params.get("dimension_numbers", ((), ((), ())))
    return _is_dot(prim) and not lhs_batch and not rhs_batch


def save_from_both_policies(policy_1, policy_2):
    """Save what either policy saves."""
    return _policy(_saves(policy_1) | _saves(policy_2))(
        lambda *args, **params: policy_1(*args, **params) or policy_2(*args, **params))


def save_only_these_names(*names_which_can_be_saved):
    """Save only named values, and only among the names given."""
    names = frozenset(names_which_can_be_saved)
    return _policy(_Saves(names=names))(lambda prim, *_, **params: _is_name(prim) and params["name"] in names)


def save_any_names_but_these(*names_not_to_save):
    """Save only named values, excluding the names given."""
    names = frozenset(names_not_to_save)
    return _policy(_Saves(names=names, names_but=True))(
        lambda prim, *_, **params: _is_name(prim) and params["name"] not in names)


def save_anything_except_these_names(*names_not_to_save):
    """Save anything: JAX 0.10's policy saves even the names given."""
    return _policy(_Saves("everything"))(lambda *_, **__: True)


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
    save_from_both_policies=save_from_both_policies, save_only_these_names=save_only_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_anything_except_these_names=save_anything_except_these_names,
    **{name: _offload_policy(name) for name in ("offload_dot_with_no_batch_dims",
                                                 "save_and_offload_only_these_names")})


def _saves(policy):
    """What `policy` saves (a _Saves), or NotImplementedError for a policy of the user's."""
    if policy is None:
        return _Saves()
    saves = getattr(policy, "saves", None)
    if saves is None:
        raise NotImplementedError(f"checkpoint: policy {getattr(policy, '__name__', policy)!r} is not supported; "
                                  f"mirax supports None and checkpoint_policies' nothing_saveable, "
                                  f"everything_saveable, dots_saveable, dots_with_no_batch_dims_saveable, the "
                                  f"policies by names and their save_from_both_policies")
    return saves


def _attribute(saves):
    """The declaration's `mirax.checkpoint_saveable` (dialect/control_flow/checkpoint.py)."""
    attributes = {"dots": ir.StringAttr.get(saves.dots),
                  "names": ir.ArrayAttr.get([ir.StringAttr.get(name) for name in sorted(saves.names)])}
    if saves.names_but:
        attributes["names_but"] = ir.UnitAttr.get()
    return ir.DictAttr.get(attributes)


def _spelling(saves):
    """What the declaration's name says of `saves` (its names, of any characters, as a digest)."""
    if saves == _Saves():
        return ""
    if not (saves.names or saves.names_but):
        return f"_saving_{saves.dots}"
    digest = zlib.crc32("\0".join(sorted(saves.names)).encode())
    return f"_saving_{saves.dots}_names{'_but' if saves.names_but else ''}_{digest:08x}"


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=(), static_argnames=()):
    """`fun`, recomputed rather than saved for reverse-mode differentiation, as
    jax.checkpoint. `static_argnums` are Python values baked into the trace; with
    `prevent_cse` the recomputation survives compilation (its call is not inlined, so
    CSE cannot merge it with the forward pass); policies: those of `checkpoint_policies`
    that save nothing, everything, the dots' results or named values (`_saves`)."""
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
        if saves.dots == "everything":  # nothing to recompute: a plain call
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
                if saves != _Saves():
                    attributes[CHECKPOINT_SAVEABLE] = _attribute(saves)
                return declare(module, f"checkpoint_{symbol}{'' if prevent_cse else '_cse'}{_spelling(saves)}", ftype,
                               ir.Location.unknown(), attributes)

            outs = current_trace().call_declared([traced], declare_checkpoint, operands, traced.out_avals)
            return tree_unflatten(out_tree, outs)

        dynamic = ([a for i, a in enumerate(args) if i not in static], kwargs)
        # Traced abstractly even when run now, as JAX's (Python control flow needs static_argnums).
        return call(dynamic) if current_trace() is not None else _run_now(call, dynamic, "checkpoint")

    return fun_remat


remat = checkpoint
