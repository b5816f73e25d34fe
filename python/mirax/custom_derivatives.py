"""custom_jvp and custom_vjp: Python functions with derivative rules of their own, as JAX's.

Where no differentiation applies to a call (outside any transformation, or under jit
or vmap alone: core.current_level() is 0), the function runs, or is traced, as it is.
Where one does, its rules are traced instead, one level down, so that a rule that
calls the function applies again at every higher order; the call's callee is then a
function computing the primal outputs through the rule, carrying the rules as
attributes (dialect/transformations.py) that mirax-jvp and mirax-transpose use in place
of its body. A custom_vjp's backward pass is traced only when a VJP is requested, as
JAX calls it only then.
"""
import ctypes
import functools
import inspect
import itertools

import numpy as np

from mirax import runtime
from mirax.mlir_context import context
from mirax.core import Array, Trace, Tracer, current_level, current_trace, to_array, with_source, zeros
from mirax.dtypes import is_complex, is_float
from mirax.dialect import tensor_type
from mirax.dialect.ir_util import declare, functions
from mirax.dialect.transformations import HOST_CALLBACK, JVP_RULE, NUM_PRIMALS, VJP_BWD, VJP_FWD, VMAP_OF
from mirax.mlir import ir
from mirax.tree_util import keystr, tree_flatten, tree_flatten_with_path, tree_map, tree_unflatten

BWD_PENDING = "mirax.vjp_bwd_pending"  # a key of _BACKWARD_PASSES: traced on demand


def _resolve_kwargs(fun, args, kwargs):
    """fun's arguments as positions, defaults filled in (rules take them that way)."""
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(with_source(str(err))) from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(with_source("keyword arguments could not be resolved to positions"))
    return bound.args


class _CustomFunction:
    """What custom_jvp and custom_vjp share: the function and its nondiff_argnums."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.name = getattr(fun, "__name__", "fun")

    def __getattr__(self, name):
        """The wrapped function's attributes, as JAX's forward_attr: a custom_vjp of a
        custom_vmap function takes the latter's def_vmap."""
        if name == "__wrapped__":
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)

    def __call__(self, *args, **kwargs):
        """The function itself where no differentiation applies; its rules where one does."""
        args = _resolve_kwargs(self.fun, args, kwargs)
        if not self._has_rules():
            raise AttributeError(f"No {self.KIND} defined for custom_{self.KIND.lower()} function {self.name} using "
                                 f"def{self.KIND.lower()}.")
        level = current_level()
        if level == 0:
            return self.fun(*args)
        return self._call_rules(args, level)

    def _split(self, args):
        """The nondiff arguments (Python values, in order) and the other arguments:
        their leaves as arrays, and their tree."""
        for i in self.nondiff_argnums:
            if any(isinstance(x, Tracer) for x in tree_flatten(args[i])[0]):
                raise TypeError(with_source(
                    f"{self.name}: argument {i} is listed in nondiff_argnums but is a traced array; nondiff_argnums "
                    f"are for Python values the rules receive as they are (functions, numbers, strings). Pass "
                    f"arrays as ordinary arguments."))
        static = [args[i] for i in self.nondiff_argnums]
        leaves, tree = tree_flatten(tuple(a for i, a in enumerate(args) if i not in self.nondiff_argnums))
        return static, [to_array(x) for x in leaves], tree


def _known(leaves):
    """The leaves' concrete values where the current trace knows them (outside jit)."""
    trace = current_trace()
    if not trace.concrete:
        return None
    return [x if isinstance(x, Array) else x.concrete for x in leaves]


def _trace(fun, in_avals, name, concrete, level, embed_arrays=False):
    """fun(*inputs) -> list of outputs, traced at `level`; the finished Trace and the
    output tracers (which carry concrete values where known)."""
    with Trace(in_avals, name, concrete, level, embed_arrays) as trace:
        outs = [to_array(x) for x in fun(*trace.invars)]
    return trace.finish(outs), outs


def _through(rule, in_avals, num_outputs, name, level, attributes, extra_inputs):
    """The function that computes a custom function's outputs through its traced
    `rule` (the first `num_outputs` results of rule(inputs..., extra_inputs(...)...)),
    carrying `attributes` (name -> a function of the rule's symbol in its module)."""
    with Trace(in_avals, name, None, level) as body:
        outs = body.call(rule, list(body.invars) + extra_inputs())[:num_outputs]
        symbol = rule.symbol
        with context():
            for key, value in attributes(symbol).items():
                body.func.attributes[key] = value
    return body.finish(outs)


def _i64(value):
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)


def _call(body, leaves, known_outs):
    """Call `body` from the current trace; outputs carry `known_outs`' concrete values."""
    outs = current_trace().call(body, leaves)
    for out, known in zip(outs, known_outs, strict=True):
        out.concrete = known.concrete
    return outs


def _check_pair(pair, what):
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise TypeError(with_source(what + f", but got {pair}."))
    return pair


def _inexact(dtype):
    return is_float(dtype) or is_complex(dtype)


def _check_rule_tangents(primals, tangents):
    """JAX's check of a custom_jvp rule's output tangents (an integer output's tangent
    may have any dtype: mirax has no float0)."""
    def expected(p):
        return jax_type(p) if _inexact(p.dtype) else f"float0[{','.join(map(str, p.shape))}]"

    wrong = [(p, t) for p, t in zip(primals, tangents, strict=True)
             if p.shape != t.shape or (_inexact(p.dtype) and p.dtype != t.dtype)]
    if not wrong:
        return
    if len(primals) == 1:
        [(p, t)] = wrong
        raise TypeError(with_source(
            f"Custom JVP rule must produce primal and tangent outputs with corresponding shapes and dtypes. "
            f"Expected {expected(p)} (tangent type of {jax_type(p)}) but got {jax_type(t)}."))
    raise TypeError(with_source(
        "Custom JVP rule must produce primal and tangent outputs with corresponding shapes and dtypes, but got:\n"
        + "\n".join(f"  primal {jax_type(p)} with tangent {jax_type(t)}, expecting tangent {expected(p)}"
                    for p, t in wrong)))


class custom_jvp(_CustomFunction):  # noqa: N801 (JAX's name)
    """A function with a custom JVP rule, as jax.custom_jvp:

        @custom_jvp
        def f(x): ...
        @f.defjvp
        def f_jvp(primals, tangents): return f(*primals), tangent_out
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp, symbolic_zeros=False):
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument, jvp(tangent, primal_out, *primals), or None for an
        argument with a zero tangent contribution; the contributions add up."""

        def jvp(primals, tangents):
            primal_out = self(*primals)
            parts = [rule(t, primal_out, *primals) for rule, t in zip(jvps, tangents, strict=True) if rule is not None]
            if not parts:
                return primal_out, tree_map(lambda x: zeros(to_array(x).aval), primal_out)
            return primal_out, functools.reduce(lambda a, b: tree_map(lambda x, y: x + y, a, b), parts)

        self.defjvp(jvp)

    KIND = "JVP"

    def _has_rules(self):
        return self.jvp is not None

    def _call_rules(self, args, level):
        static, leaves, tree = self._split(args)
        count, avals = len(leaves), [x.aval for x in leaves]
        out_trees = []

        def rule(*inputs):
            primals, tangents = tree_unflatten(tree, inputs[:count]), tree_unflatten(tree, inputs[count:])
            rule_name = getattr(self.jvp, "__name__", "jvp")
            out, tangent_out = _check_pair(self.jvp(*static, primals, tangents), (
                f"Custom JVP rule {rule_name} for function {self.name} must produce a pair (list or tuple of length "
                f"two) representing primal and tangent outputs"))
            outs, out_tree = tree_flatten(out)
            tangent_outs, tangent_tree = tree_flatten(tangent_out)
            if out_tree != tangent_tree:
                raise TypeError(with_source(
                    f"Custom JVP rule {rule_name} for function {self.name} must produce primal and tangent outputs "
                    f"with equal container (pytree) structures, but got {out_tree} and {tangent_tree} respectively."))
            outs, tangent_outs = [to_array(x) for x in outs], [to_array(t) for t in tangent_outs]
            _check_rule_tangents([o.aval for o in outs], [t.aval for t in tangent_outs])
            out_trees.append(out_tree)
            return outs + tangent_outs

        known = _known(leaves)
        rule_trace, rule_outs = _trace(rule, avals + avals, f"{self.name}_jvp_rule",
                                       None if known is None else known + [None] * count, level - 1)
        num_outputs = len(rule_outs) // 2

        body = _through(rule_trace, avals, num_outputs, self.name, level - 1,
                        lambda symbol: {JVP_RULE: ir.FlatSymbolRefAttr.get(symbol), NUM_PRIMALS: _i64(count)},
                        lambda: [zeros(a._replace(weak_type=False)) for a in avals])
        return tree_unflatten(out_trees[0], _call(body, leaves, rule_outs[:num_outputs]))


class custom_vjp(_CustomFunction):  # noqa: N801 (JAX's name)
    """A function with a custom VJP, as jax.custom_vjp: f.defvjp(fwd, bwd) with
    fwd(*args) -> (output, residuals) and bwd(*nondiff_args, residuals, output
    cotangent) -> a tuple of cotangents, one per argument (None for a zero one)."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros=False, optimize_remat=False):
        self.fwd, self.bwd = fwd, bwd

    KIND = "VJP"

    def _has_rules(self):
        return self.fwd is not None

    def _call_rules(self, args, level):
        static, leaves, tree = self._split(args)
        avals = [x.aval for x in leaves]
        trees = {}
        fwd_name = getattr(self.fwd, "__name__", "fwd")

        def fwd(*inputs):
            dynamic = iter(tree_unflatten(tree, inputs))
            full = [static[self.nondiff_argnums.index(i)] if i in self.nondiff_argnums else next(dynamic)
                    for i in range(len(args))]
            out, residuals = _check_pair(self.fwd(*full), (
                f"Custom VJP fwd rule {fwd_name} for function {self.name} must produce a pair (list or tuple of "
                f"length two) where the first element represents the primal output and the second element "
                f"represents residuals"))
            outs, trees["out"] = tree_flatten(out)
            residual_leaves, trees["residuals"] = tree_flatten(residuals)
            return outs + residual_leaves

        known = _known(leaves)
        fwd_trace, fwd_outs = _trace(fwd, avals, f"{self.name}_fwd", known, level - 1)
        num_outputs = trees["out"].num_leaves
        outs, residuals = fwd_outs[:num_outputs], fwd_outs[num_outputs:]
        key = f"{self.name}_{next(_KEYS)}"
        _BACKWARD_PASSES[key] = _BackwardPass(
            self, static, tree, avals, trees["out"], [o.aval for o in outs], trees["residuals"],
            [r.aval for r in residuals], None if known is None else [r.concrete for r in residuals], level - 1)
        body = _through(fwd_trace, avals, num_outputs, self.name, level - 1, lambda symbol: {
            VJP_FWD: ir.FlatSymbolRefAttr.get(symbol), NUM_PRIMALS: _i64(len(leaves)),
            BWD_PENDING: ir.StringAttr.get(key)}, list)
        return tree_unflatten(trees["out"], _call(body, leaves, outs))


class _BackwardPass:
    """A custom_vjp call's backward pass, made when a VJP of the call is requested:
    traced into the program, or, in a program run right away that nothing
    differentiates further, a host function running bwd eagerly on the concrete
    residuals and cotangents, as JAX runs it outside jit (a debugger in bwd sees values)."""

    def __init__(self, custom, static, tree, avals, out_tree, out_avals, residual_tree, residual_avals, known,
                 level):
        self.custom, self.static, self.tree, self.avals = custom, static, tree, avals
        self.out_tree, self.out_avals = out_tree, out_avals
        self.residual_tree, self.residual_avals, self.known, self.level = residual_tree, residual_avals, known, level
        self.traced = None

    def cotangents(self, inputs):
        """bwd on (residuals..., output cotangents...) leaves: the cotangent of every
        argument leaf, checked against the arguments' structure, None made zeros."""
        custom = self.custom
        bwd_name = getattr(custom.bwd, "__name__", "bwd")
        num_residuals = len(self.residual_avals)
        arg_trees = self.tree.children()
        residuals = tree_unflatten(self.residual_tree, inputs[:num_residuals])
        cotangents = tree_unflatten(self.out_tree, inputs[num_residuals:])
        grads = custom.bwd(*self.static, residuals, cotangents)
        if not isinstance(grads, tuple) or len(grads) != len(arg_trees):
            raise TypeError(with_source(
                f"Custom VJP bwd rule must produce an output with the same container (pytree) structure as "
                f"the args tuple of the primal function, and in particular must produce a tuple of length "
                f"equal to the number of arguments to the primal function, but got bwd output structure "
                f"{tree_flatten(grads)[1]} for primal input structure {self.tree}."))
        flat = []
        for grad, arg_tree in zip(grads, arg_trees, strict=True):
            if grad is None:
                flat += [None] * arg_tree.num_leaves
                continue
            grad_leaves, grad_tree = tree_flatten(grad)
            if grad_tree != arg_tree:
                raise TypeError(with_source(
                    f"Custom VJP bwd rule {bwd_name} for function {custom.name} must produce cotangents with the "
                    f"structure of the primal arguments, but got {grad_tree} for an argument of structure "
                    f"{arg_tree}."))
            flat += grad_leaves
        paths = [path for path, _ in tree_flatten_with_path(tree_unflatten(self.tree, range(len(self.avals))))[0]]
        return [zeros(a._replace(weak_type=False)) if g is None else _as_cotangent(g, a, path)
                for g, a, path in zip(flat, self.avals, paths, strict=True)]

    def trace(self):
        """The backward pass traced as a function (residuals..., cotangents...) -> cotangents."""
        if self.traced is None:
            known = None if self.known is None else self.known + [None] * len(self.out_avals)
            trace, _ = _trace(lambda *inputs: self.cotangents(list(inputs)), self.residual_avals + self.out_avals,
                              f"{self.custom.name}_bwd", known, self.level, embed_arrays=True)
            if trace.constvars:
                raise TypeError(with_source(
                    f"Custom VJP bwd rule {getattr(self.custom.bwd, '__name__', 'bwd')} for function "
                    f"{self.custom.name} closes over a traced array; pass it through the residuals instead."))
            self.traced = trace
        return self.traced

    def runs_on_host(self, trace):
        """Whether to run bwd as a host function in `trace`'s program: one run right
        away that nothing differentiates further nor batches (mirax-vmap needs it traced)."""
        avals = self.residual_avals + self.out_avals + self.avals
        batched = any(VMAP_OF in f.attributes for f in functions(trace.module.operation).values())
        return trace.runs_now and self.level == 0 and not batched and all(a.size for a in avals)

    def host_function(self, symbol):
        """Register the host function `symbol`: bwd on arrays made from the program's
        buffers (inputs, then the cotangents to fill)."""
        in_avals = self.residual_avals + self.out_avals

        def run(*addresses):
            inputs = [Array(_buffer(address, aval).copy(), aval.weak_type)
                      for address, aval in zip(addresses[:len(in_avals)], in_avals, strict=True)]
            grads = self.cotangents(inputs)
            for address, grad, aval in zip(addresses[len(in_avals):], grads, self.avals, strict=True):
                _buffer(address, aval)[...] = np.asarray(grad)

        runtime.host_function(symbol, run, len(in_avals) + len(self.avals))


def _buffer(address, aval):
    """The NumPy view of a buffer of `aval` at `address`."""
    nbytes = aval.size * np.dtype(aval.dtype).itemsize
    return np.frombuffer((ctypes.c_char * nbytes).from_address(address), dtype=aval.dtype).reshape(aval.shape)


def _as_cotangent(grad, aval, path):
    """A bwd rule's output for the argument leaf of `aval` at `path`, in its dtype (JAX
    lets a different dtype through; its shape must be the argument's)."""
    grad = to_array(grad)
    if grad.aval.shape != aval.shape:
        raise ValueError(with_source(
            f"Custom VJP bwd rule must produce an output with the same type as the args tuple of the primal "
            f"function, but at output{keystr(path)} the bwd rule produced an output of type "
            f"{jax_type(grad.aval)} corresponding to an input of type {jax_type(aval)}, so "
            f"{'the dtypes do not match, and ' if grad.aval.dtype != aval.dtype else ''}the shapes do not match"))
    return grad if grad.aval.dtype == aval.dtype else grad.astype(aval.dtype)  # the array's method: lax is above


def jax_type(aval):
    """An aval as JAX's error messages write it: float32[3,1]."""
    return f"{np.dtype(aval.dtype).name}[{','.join(map(str, aval.shape))}]"


_BACKWARD_PASSES = {}  # key -> the _BackwardPass of a custom_vjp call
_KEYS = itertools.count()


def trace_backward_passes(trace):
    """Give every custom_vjp function in `trace`'s module its backward pass (made now,
    once per call site): called before a VJP is declared there."""
    module = trace.module.operation
    for function in functions(module).values():
        if BWD_PENDING not in function.attributes:
            continue
        key = ir.StringAttr(function.attributes[BWD_PENDING]).value
        pending = _BACKWARD_PASSES[key]
        if pending.runs_on_host(trace):
            host = f"mirax_host_{key}"
            pending.host_function(host)
            ftype = ir.FunctionType.get([tensor_type(a.shaped) for a in pending.residual_avals + pending.out_avals],
                                        [tensor_type(a.shaped) for a in pending.avals])
            symbol = declare(module, f"{key}_bwd_on_host", ftype, ir.Location.unknown(),
                             {HOST_CALLBACK: ir.StringAttr.get(host)})
        else:
            symbol = trace._import(pending.trace())
        function.attributes[VJP_BWD] = ir.FlatSymbolRefAttr.get(symbol)
        del function.attributes[BWD_PENDING]
