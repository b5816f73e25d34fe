"""custom_vmap and sequential_vmap, as jax.custom_batching: a function with a batching
rule of its own, rule(axis_size, in_batched, *args) -> (out, out_batched).

A call traces the function into a body of its own and emits a call of a declared
function naming it and its rule (dialect/control_flow/custom_vmap.py); outside any
trace the function simply runs. mirax-vmap batches the call by tracing the rule, on
the operands batched along 0, into the program being compiled (`_Rule.batch`): the
rule runs when the batched program is first compiled, on traced values (JAX runs it
when vmap traces, on concrete arrays outside jit). A JVP of the call is a custom_vmap
of the function's JVP whose rule is the rule's JVP (`_JvpRule`, JAX's
`custom_vmap_jvp`); reverse mode refuses it, as JAX's."""
import functools
import itertools
import operator

from mirax.ad import jvp
from mirax.core import Aval, Trace, current_level, current_trace, to_array, with_source
from mirax.custom_derivatives import _known, _resolve_kwargs, _trace
from mirax.dialect import tensor_type
from mirax.dialect.control_flow.custom_vmap import RULES, declare_custom_vmap
from mirax.dialect.ir_util import body, functions
from mirax.lax import map as lax_map
from mirax.mlir import ir
from mirax.mlir_context import context
from mirax.tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten
from mirax.vmapping import vmap

__all__ = ["custom_vmap", "sequential_vmap"]

_KEYS = itertools.count()


def _rule_name(rule):
    return getattr(rule, "__name__", "<unnamed rule>")


def _check_trees(rule, original_out_tree, out_tree, out_batched_tree):
    """JAX's check_vmap_rule_trees."""
    if out_tree != out_batched_tree:
        raise ValueError(with_source(
            f"structure of output value and output batching specification returned by custom vmap rule "
            f"({_rule_name(rule)}) do not match.\nOutput values: {out_tree}\nBatching spec: {out_batched_tree}"))
    if out_tree != original_out_tree:
        raise ValueError(with_source(
            f"structure of output returned by custom vmap rule ({_rule_name(rule)}) does not match that of original "
            f"custom-vmapped function.\nOriginal output: {original_out_tree}\nRule output: {out_tree}"))


def _call_rule(rule, out_tree, axis_size, in_batched, args):
    """rule(axis_size, in_batched, *args), its trees checked: (out, out_batched)."""
    out, out_batched = rule(axis_size, list(in_batched), *args)
    _check_trees(rule, out_tree, tree_structure(out), tree_structure(out_batched))
    return out, out_batched


class _Rule:
    """The rule of one custom_vmap call site: `rule(axis_size, in_batched, args, out_tree)`
    -> (out, out_batched), `args` a pytree `in_tree` of leaves `in_avals` (the function's
    arguments, then its closure), its outputs `out_avals` of the tree `out_tree`."""

    def __init__(self, name, rule, in_tree, in_avals, out_tree, out_avals, level, differentiated=False):
        self.name, self.rule, self.in_tree, self.in_avals = name, rule, in_tree, in_avals
        self.out_tree, self.out_avals, self.level = out_tree, out_avals, level
        self.differentiated = differentiated
        self.key = f"{name}_custom_vmap_{next(_KEYS)}"
        self.batched = {}  # (in_batched, size) -> (finished Trace, out_batched)
        self.jvp_key = None
        RULES[self.key] = self

    def batch(self, module, in_batched, size):
        """The rule traced on operands batched along 0 where `in_batched`, inserted in
        `module` (once): its symbol there, and which outputs it batches."""
        in_batched = tuple(in_batched)
        if (in_batched, size) not in self.batched:
            self.batched[in_batched, size] = self._trace(in_batched, size)
        trace, out_batched = self.batched[in_batched, size]
        symbol = f"{self.key}_vmap{size}_{''.join('b' if b else 'n' for b in in_batched)}"
        if symbol not in functions(module):
            with context(), ir.InsertionPoint(body(module)):
                for op in trace.module.body.operations:
                    name = op.attributes["sym_name"].value
                    if name == "main":
                        clone = op.clone()
                        clone.attributes["sym_name"] = ir.StringAttr.get(symbol)
                        clone.attributes["sym_visibility"] = ir.StringAttr.get("private")
                    elif name not in functions(module):
                        op.clone()
        return symbol, out_batched

    def _trace(self, in_batched, size):
        avals = [Aval((size, *a.shape), a.dtype, a.weak_type) if b else a
                 for a, b in zip(self.in_avals, in_batched, strict=True)]
        with Trace(avals, f"{self.name}_vmap_rule", None, self.level, embed_arrays=True) as trace:
            out, out_batched = self.rule(size, tree_unflatten(self.in_tree, in_batched),
                                         tree_unflatten(self.in_tree, trace.invars), self.out_tree)
            outs = [to_array(x) for x in tree_flatten(out)[0]]
            out_batched = [bool(b) for b in tree_flatten(out_batched)[0]]
        for x, a, b in zip(outs, self.out_avals, out_batched, strict=True):
            expected = Aval((size, *a.shape) if b else a.shape, a.dtype)
            if x.aval.shape != expected.shape or x.aval.dtype != a.dtype:
                raise ValueError(with_source(
                    f"custom vmap rule ({_rule_name(self.rule)}) of {self.name} returned an output of type "
                    f"{x.aval.str_short()} {'batched' if b else 'unbatched'}, where the function's output of type "
                    f"{a.str_short()} is of type {expected.str_short()}"))
        trace.finish(outs)
        if trace.constvars:
            raise NotImplementedError(with_source(
                f"custom vmap rule ({_rule_name(self.rule)}) of {self.name} closes over a traced value; mirax traces "
                f"the rule where that value is gone: pass it as an argument"))
        return trace, out_batched

    def jvp(self):
        """The key of this rule's JVP (over the primals and tangents of every operand)."""
        if self.jvp_key is None:
            def pair(tree):
                return tree_structure((tree_unflatten(tree, [0] * tree.num_leaves),) * 2)

            self.jvp_key = _Rule(self.name, _JvpRule(self), pair(self.in_tree), self.in_avals * 2,
                                 pair(self.out_tree), self.out_avals * 2, max(self.level - 1, 0), True).key
        return self.jvp_key


class _JvpRule:
    """The JVP of a rule, as JAX's jvp_of_rule_rule: the rule on the operands batched as
    primals and as tangents, differentiated, and mapped by vmap over the batch of those
    batched as only one of the two."""

    def __init__(self, inner):
        self.inner = inner
        self.__name__ = _rule_name(inner.rule)

    def __call__(self, axis_size, in_batched, args, out_tree):
        inner = self.inner
        (primals, tangents), (ps_batched, ts_batched) = args, in_batched
        mutual = tree_map(operator.and_, ps_batched, ts_batched)
        extra_ps = tree_map(lambda p, t: 0 if p and not t else None, ps_batched, ts_batched)
        extra_ts = tree_map(lambda p, t: 0 if t and not p else None, ps_batched, ts_batched)
        stored = []

        def to_jvp(*primals):
            out, out_batched = inner.rule(axis_size, mutual, primals, inner.out_tree)
            stored.append(out_batched)
            return out

        def differentiated(primals, tangents):
            return jvp(to_jvp, primals, tangents)

        # mirax's vmap takes its out_axes up front: every output of the extra map is batched.
        extra = any(a is not None for a in tree_flatten((extra_ps, extra_ts), is_leaf=lambda x: x is None)[0])
        if extra:
            outs = vmap(differentiated, in_axes=(extra_ps, extra_ts), axis_size=axis_size)(primals, tangents)
        else:
            outs = differentiated(primals, tangents)
        out_batched = tree_map(lambda b: bool(b) or extra, stored[0])
        return outs, (out_batched, out_batched)


def _plain(rule, name):
    """A user's rule as _Rule calls it: on (args, closure), the closure unbatched."""
    def call(axis_size, in_batched, args, out_tree):
        (args, closure), (in_batched, closure_batched) = args, in_batched
        if any(closure_batched):
            raise NotImplementedError(with_source(
                f"custom_vmap function {name} closes over a value that vmap batches; pass it as an argument"))
        return _call_rule(rule, out_tree, axis_size, in_batched, args)
    call.__name__ = _rule_name(rule)
    return call


class custom_vmap:  # noqa: N801 (JAX's name)
    """A function with a custom vmap rule, as jax.custom_batching.custom_vmap:

        @custom_vmap
        def f(x, y): ...
        @f.def_vmap
        def f_vmap_rule(axis_size, in_batched, xs, ys): return out, out_batched
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vmap_rule = None
        self._rules = {}  # (rule, in_tree, in_avals, closure) -> _Rule: a retrace reuses its key

    def __getattr__(self, name):  # JAX's forward_attr
        if name == "__wrapped__":
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)

    def def_vmap(self, vmap_rule):
        self.vmap_rule = vmap_rule
        return vmap_rule

    def __call__(self, *args, **kwargs):
        name = getattr(self.fun, "__name__", "fun")
        try:
            args = _resolve_kwargs(self.fun, args, kwargs)
        except TypeError as err:
            raise TypeError(f"The input arguments to the custom_vmap-decorated function {name} could not be resolved "
                            f"to positional-only arguments. Binding failed with the error:\n{err}") from None
        if not self.vmap_rule:
            raise AttributeError(f"No batching rule defined for custom_vmap function {name} using def_vmap.")
        trace = current_trace()
        if trace is None:
            return self.fun(*args)
        leaves, in_tree = tree_flatten(args)
        leaves = [to_array(x) for x in leaves]
        avals = [x.aval for x in leaves]
        outs_tree = []

        def fun(*inputs):
            out, out_tree = tree_flatten(self.fun(*tree_unflatten(in_tree, inputs)))
            outs_tree.append(out_tree)
            return out

        traced, outs = _trace(fun, avals, name, _known(leaves), current_level())
        operands = leaves + list(traced.constvars)
        closure = [x.aval for x in traced.constvars]
        key = (self.vmap_rule, in_tree, tuple(avals), tuple(closure), current_level())
        if key not in self._rules:
            tree = tree_structure((tree_unflatten(in_tree, [0] * len(avals)), [0] * len(closure)))
            self._rules[key] = _Rule(name, _plain(self.vmap_rule, name), tree, avals + closure, outs_tree[0],
                                     traced.out_avals, current_level())
        rule_key = self._rules[key].key

        def declare(module, symbols):
            (symbol,) = symbols
            ftype = ir.FunctionType.get([tensor_type(x.aval.shaped) for x in operands],
                                        [tensor_type(a.shaped) for a in traced.out_avals])
            return declare_custom_vmap(module, rule_key, ftype, symbol, rule_key, ir.Location.unknown())

        results = trace.call_declared([traced], declare, operands, traced.out_avals)
        for result, out in zip(results, outs, strict=True):
            result.concrete = out.concrete
        return tree_unflatten(outs_tree[0], results)


def _tree_split(mask, tree):
    return (tree_map(lambda m, x: x if m else None, mask, tree),
            tree_map(lambda m, x: None if m else x, mask, tree))


def _tree_merge(mask, lhs, rhs):
    return tree_map(lambda m, x, y: x if m else y, mask, lhs, rhs)


def sequential_vmap(f):
    """A custom_vmap whose rule maps `f` over the batch with lax.map, as JAX's."""
    f = custom_vmap(f)

    @f.def_vmap
    def rule(axis_size, in_batched, *args):
        mapped_args, bcast_args = _tree_split(in_batched, list(args))
        out = lax_map(lambda mapped: f(*_tree_merge(in_batched, mapped, bcast_args)), mapped_args)
        return out, tree_map(lambda _: True, out)

    return f
