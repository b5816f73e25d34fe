"""Transformations: jit (and the compiled-function values it makes), make_jaxpr."""
import functools
import inspect

from mirax import platforms, runtime
from mirax.core import Array, Trace, Tracer, current_level, current_trace, is_array, to_array, with_source
from mirax.mlir import ir
from mirax.passes.gpu_pipeline import STAGES as GPU_STAGES, lower_to_gpu_stage
from mirax.passes.pipelines import lower_to_linalg, lower_to_llvm
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten

from .jaxpr import Jaxpr


class TracedFunction:
    """A Python function traced for some input avals: a value that runs when called
    with Arrays and emits a call when called inside another trace."""

    def __init__(self, trace, out_tree, backend=None):
        self.trace = trace
        self.out_tree = out_tree
        self.backend = backend  # None: the default backend when first run
        self._executable = None

    def call_flat(self, args):
        enclosing = current_trace()
        if enclosing is not None:
            return enclosing.call(self.trace, args)
        if self._executable is None:
            self._executable = runtime.compile(
                self.trace.text, "main", len(args) + len(self.trace.constvars), self.trace.out_avals, self.backend)
        outs = self._executable(list(args) + self.trace.constvars)
        return [Array(o, a.weak_type) for o, a in zip(outs, self.trace.out_avals, strict=True)]

    def __call__(self, *args):
        return tree_unflatten(self.out_tree, self.call_flat(list(args)))


def trace_flat(fun, in_tree, in_avals, name, concrete=None, differentiated=False, backend=None):
    """Trace `fun` on abstract inputs (that also carry the Arrays `concrete`, if given);
    its outputs must be a pytree of arrays. A function traced to be `differentiated`
    is one level deeper than the enclosing trace; it runs on `backend` (None: the default)."""
    with Trace(in_avals, name, concrete, current_level() + differentiated) as trace:
        args, kwargs = tree_unflatten(in_tree, trace.invars)
        out = fun(*args, **kwargs)
    leaves, out_tree = tree_flatten(out)
    for leaf in leaves:
        if not (is_array(leaf) or isinstance(leaf, (bool, int, float, complex))):
            raise TypeError(with_source(
                f"Value {leaf!r} with type {type(leaf)} is not a valid JAX type: {name} must return arrays "
                f"(or pytrees of arrays)"))
    trace.finish([to_array(x) for x in leaves])
    return TracedFunction(trace, out_tree, backend)


def call_transformation(declare, callee, args, extra, active, out_avals, prepare=None):
    """Call a transformation of a finished Trace: emitted into the enclosing trace, or
    traced into a function of its own, compiled (once per program) and run now."""
    enclosing = current_trace()
    if enclosing is not None:
        return enclosing.call_transformed(declare, callee, args, extra, active, out_avals, prepare)
    inputs = list(args) + list(extra)
    with Trace([x.aval for x in inputs], callee.name) as trace:
        trace.runs_now = True
        outs = trace.call_transformed(declare, callee, trace.invars[: len(args)], trace.invars[len(args):],
                                      active, out_avals, prepare)
    trace.finish(outs)
    executable = runtime.compile(trace.text, "main", len(trace.invars) + len(trace.constvars), trace.out_avals)
    results = executable(inputs + trace.constvars)
    return [Array(r, a.weak_type) for r, a in zip(results, trace.out_avals, strict=True)]


def _flatten_args(fun_name, args, kwargs):
    leaves, in_tree = tree_flatten((args, kwargs))
    try:
        leaves = [to_array(x) for x in leaves]
    except TypeError:
        bad = next(x for x in leaves if not _array_like(x))
        raise TypeError(with_source(
            f"Argument {bad!r} of type {type(bad)} is not a valid JAX type (in a call of {fun_name})")) from None
    return leaves, in_tree


def _array_like(x):
    try:
        to_array(x)
        return True
    except TypeError:
        return False


class Jitted:
    """What `jit(fun)` returns: traces once per input structure, avals and static
    arguments, compiles once per traced program."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), backend=None):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._backend = None if backend is None else platforms.platform(backend)
        self._name = getattr(fun, "__name__", "fun")
        static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        static_argnames = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        try:
            parameters = inspect.signature(fun).parameters.values()
        except (TypeError, ValueError):
            parameters = []
        # Static arguments may be named by position or name; each implies the other for
        # parameters that can be passed either way, as in JAX.
        positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self._static_argnums = set(static_argnums) | {positional.index(n) for n in static_argnames if n in positional}
        self._static_argnames = set(static_argnames) | {positional[i] for i in static_argnums if i < len(positional)}
        self._cache = {}
        self._positional_cache = {}  # the common call: positional Arrays only

    def _specialize(self, args, kwargs):
        """The TracedFunction for these arguments (traced on a cache miss) and the array leaves."""
        static_args = {i: args[i] for i in self._static_argnums if i < len(args)}
        static_kwargs = {k: v for k, v in kwargs.items() if k in self._static_argnames}
        dynamic_args = tuple(a for i, a in enumerate(args) if i not in static_args)
        dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in static_kwargs}
        leaves, in_tree = _flatten_args(self._name, dynamic_args, dynamic_kwargs)
        key = (current_level(), in_tree, tuple(sorted(static_args.items())), tuple(sorted(static_kwargs.items())),
               tuple(x.aval for x in leaves))
        try:
            traced = self._cache.get(key)
        except TypeError:
            raise ValueError(with_source(
                f"Non-hashable static arguments are not supported: {static_args or static_kwargs!r}")) from None
        if traced is None:

            def flat_fun(*dyn, **dyn_kwargs):
                rest = iter(dyn)
                full = [static_args[i] if i in static_args else next(rest) for i in range(len(args))]
                return self._fun(*full, **dyn_kwargs, **static_kwargs)

            traced = trace_flat(flat_fun, in_tree, [x.aval for x in leaves], self._name, backend=self._backend)
            if not any(isinstance(c, Tracer) for c in traced.trace.constvars):
                self._cache[key] = traced
        return traced, leaves

    def __call__(self, *args, **kwargs):
        if not kwargs and not self._static_argnums:
            key = (current_level(),) + tuple(
                (x._value.shape, x._value.dtype, x.weak_type) if type(x) is Array else None for x in args)
            traced = self._positional_cache.get(key)
            if traced is not None:
                return tree_unflatten(traced.out_tree, traced.call_flat(args))
        traced, leaves = self._specialize(args, kwargs)
        if not kwargs and not self._static_argnums and all(type(x) is Array for x in args):
            self._positional_cache[key] = traced
        return tree_unflatten(traced.out_tree, traced.call_flat(leaves))

    def lower(self, *args, **kwargs):
        traced, _ = self._specialize(args, kwargs)
        return Lowered(traced.trace.text, self._backend or platforms.configured_platform())

    def __get__(self, instance, owner):
        return self if instance is None else functools.partial(self, instance)


def jit(fun=None, *, static_argnums=(), static_argnames=(), backend=None, **options):
    """Compile `fun`: trace it to the mirax dialect once per input types, lower it to
    LLVM once per program, and call the compiled code, on `backend` ('cpu' or 'gpu';
    by default the default backend)."""
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames, backend=backend,
                             **options)
    return Jitted(fun, static_argnums, static_argnames, backend)


class Lowered:
    """A traced program, printable at each stage of its lowering for its backend. Every
    stage can be printed without the backend's device: the GPU's PTX on any machine."""

    STAGES = {"cpu": ("mirax", "linalg", "llvm"), "gpu": ("mirax", "linalg", *GPU_STAGES)}

    def __init__(self, text, backend="cpu"):
        self._text = text
        self._backend = backend

    def as_text(self, stage="mirax"):
        stages = self.STAGES[self._backend]
        if stage not in stages:
            raise ValueError(f"unknown stage {stage!r} for the {self._backend} backend; "
                             f"stages are {', '.join(stages)}")
        if stage == "mirax":
            return self._text
        with runtime.context():
            module = ir.Module.parse(self._text)
            lower_to_linalg(module)
            if stage == "linalg":
                return str(module)
            if self._backend == "cpu":
                lower_to_llvm(module)
                return str(module)
            ptx = lower_to_gpu_stage(module, stage)
            return ptx if stage == "ptx" else str(module)


def device_put(x, device=None):
    """The arrays of `x` (a pytree) on `device` (by default the default backend's):
    copies of those that are elsewhere."""
    device = device or platforms.devices()[0]

    def put(leaf):
        array = to_array(leaf)
        if isinstance(array, Tracer):
            return array
        return Array(platforms.put(array._value, device), array.weak_type)

    return tree_map(put, x)


def make_jaxpr(fun, static_argnums=()):
    """A function returning `fun`'s traced program, printed in JAX's jaxpr notation."""
    jitted = Jitted(fun, static_argnums)

    @functools.wraps(fun)
    def make(*args, **kwargs):
        traced, _ = jitted._specialize(args, kwargs)
        return Jaxpr(traced.trace)

    return make
