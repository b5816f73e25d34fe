"""Transformations: jit (and the compiled-function values it makes), make_jaxpr, and
what the others share: tracing a function of pytrees, calling a transformation of
a trace, forward mode (jvp without has_aux)."""
import functools
import inspect
import operator
import threading
import weakref

from mirax import core, dtypes, platforms, sharding, stages
from mirax._array_sharding import put_sharded
from mirax.config import config
from mirax._config_api import no_tracing, user_context_values
from mirax.core import Array, Trace, Tracer, current_level, current_trace, to_array, with_source
from mirax.errors import shaped_str
from mirax.dialect.dependence import depends
from mirax.dialect.ir_util import functions
from mirax.dialect.transformations import declare_jvp
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten

from .jaxpr import ClosedJaxpr


class TracedFunction:
    """A Python function traced for some input avals: a value that runs when called
    with Arrays and emits a call when called inside another trace."""

    def __init__(self, trace, in_tree, out_tree, backend=None):
        self.trace = trace
        self.in_tree, self.out_tree = in_tree, out_tree
        self.backend = backend  # None: the default backend when first run
        self._executable = None

    def executable(self):
        """The program compiled for its backend, once."""
        if self._executable is None:
            self._executable = self.trace.compile(self.backend)
        return self._executable

    def call_flat(self, args):
        enclosing = current_trace()
        if enclosing is not None:
            return enclosing.call(self.trace, args)
        outs = self.executable()(list(args) + self.trace.constvars)
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
        if isinstance(leaf, core.Ref):
            raise ValueError(with_source(
                f"function {name} traced for jit returned a mutable array reference of type "
                f"Ref{{{shaped_str(leaf.aval)}}}, but mutable array references cannot be returned."))
        if not array_like(leaf):
            raise TypeError(with_source(
                f"Value {leaf!r} with type {type(leaf)} is not a valid JAX type: {name} must return arrays "
                f"(or pytrees of arrays)"))
    trace.finish([to_array(x) for x in leaves])
    return TracedFunction(trace, in_tree, out_tree, backend)


def call_transformation(declare, callee, args, extra, active, out_avals, prepare=None, writes_refs=False):
    """Call a transformation of a finished Trace: emitted into the enclosing trace, or
    traced into a function of its own, compiled (once per program) and run now."""
    enclosing = current_trace()
    if enclosing is not None:
        return enclosing.call_transformed(declare, callee, args, extra, active, out_avals, prepare, writes_refs)
    inputs = list(args) + list(extra)
    with Trace([x.aval for x in inputs], callee.name) as trace:
        trace.runs_now = True
        outs = trace.call_transformed(declare, callee, trace.invars[: len(args)], trace.invars[len(args):],
                                      active, out_avals, prepare, writes_refs)
    return trace.finish(outs).run(inputs)


def concrete_values(leaves):
    """Outside jit, the inputs' concrete values, so that tracing can branch on them: the
    leaves themselves, or inside another derivative's trace (grad of grad) the values its
    tracers carry, as JAX's nested tracers keep their inputs concrete."""
    values = [x if isinstance(x, Array) else getattr(x, "concrete", None) for x in leaves]
    return values if all(v is not None for v in values) else None


def inexact(aval):
    return dtypes.is_float(aval.dtype) or dtypes.is_complex(aval.dtype)


def forward(fun, primals, tangents, name, write_refs=True):
    """(fun(*primals), its derivative along tangents): jax.jvp without has_aux (which
    mirax.ad's jvp adds), here below lax, whose custom_root differentiates with it.
    Without `write_refs`, the Refs fun writes keep their values (linearize's JVP
    recomputes a forward pass that has run)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(with_source(
            f"primal and tangent arguments to jax.jvp must be tuples or lists; found {type(primals).__name__} and "
            f"{type(tangents).__name__}."))
    primal_tree, tangent_tree = tree_flatten(primals)[1], tree_flatten(tangents)[1]
    if primal_tree != tangent_tree:
        raise TypeError(with_source(
            f"primal and tangent arguments to jax.jvp must have the same tree structure; primals have tree "
            f"structure {primal_tree} whereas tangents have tree structure {tangent_tree}."))
    flat_primals, tree = tree_flatten((tuple(primals), {}))
    flat_tangents = tree_flatten((tuple(tangents), {}))[0]
    flat_primals = [to_array(x) for x in flat_primals]
    flat_tangents = [to_array(t) for t in flat_tangents]
    for p, t in zip(flat_primals, flat_tangents, strict=True):
        _check_tangent(p.aval, t.aval)
    active = [i for i, p in enumerate(flat_primals) if inexact(p.aval)]
    traced = trace_flat(fun, tree, [p.aval for p in flat_primals], name, concrete_values(flat_primals),
                        differentiated=True)
    refs = traced.trace.ref_writes  # returned after the outputs, their tangents dropped
    check_refs_not_differentiated(traced.trace, active)
    num_outputs = len(traced.trace.out_avals)
    out_avals = list(traced.trace.out_avals) + [ref.aval for ref in refs]
    outs = call_transformation(declare_jvp, traced.trace, flat_primals, [flat_tangents[i] for i in active], active,
                               out_avals * 2, writes_refs=True)
    for ref, value in zip(refs, outs[num_outputs:len(out_avals)], strict=True) if write_refs else ():
        ref._write(value)
    return (tree_unflatten(traced.out_tree, outs[:num_outputs]),
            tree_unflatten(traced.out_tree, outs[len(out_avals):len(out_avals) + num_outputs]))


def check_refs_not_differentiated(trace, differentiated):
    """JAX's error for a Ref from outside written (in `trace`) with a value that depends
    on the arguments `differentiated`; one that does not is written, as in JAX."""
    if not trace.ref_writes:
        return
    flags = [k in differentiated for k in range(len(trace.invars))] + [False] * len(trace.constvars)
    written = depends(functions(trace.module.operation), trace.func, flags)[len(trace.out_avals):]
    for ref, differentiated_value in zip(trace.ref_writes, written, strict=True):
        if differentiated_value:
            raise Exception(with_source(  # noqa: TRY002 (JAX's class)
                f"performing a set/swap operation with a differentiated value on a non-differentiated array "
                f"reference of type Ref{{{shaped_str(ref.aval)}}}. Move the array reference to be an argument of the "
                f"differentiated function?"))


def _check_tangent(primal, tangent):
    """JAX's checks of a tangent given to jvp, in its order (an integer primal's tangent
    may have any dtype: mirax has no float0)."""
    if inexact(primal) and primal.dtype != tangent.dtype:
        raise TypeError(with_source(
            f"primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in case of int/bool "
            f"primal dtype the tangent dtype must be float0.Got primal dtype {primal.dtype.name} and so expected "
            f"tangent dtype {primal.dtype.name}, but got tangent dtype {tangent.dtype.name} instead."))
    if primal.shape != tangent.shape:
        raise ValueError(with_source(
            f"jvp called with different primal and tangent shapes;Got primal shape {primal.shape} and "
            f"tangent shape as {tangent.shape}"))


def arguments_to_arrays(fun_name, leaves, convert=to_array):
    """The argument `leaves` of a call of fun_name as arrays (or what `convert` makes of
    them: values with an aval), or JAX's TypeError."""
    try:
        return [convert(x) for x in leaves]
    except TypeError:
        bad = next(x for x in leaves if not array_like(x))
        raise TypeError(with_source(
            f"Argument {bad!r} of type {type(bad)} is not a valid JAX type (in a call of {fun_name})")) from None


def array_like(x):
    """Whether x converts to an Array (a valid JAX type)."""
    try:
        to_array(x)
        return True
    except TypeError:
        return False


def check_callable(fun):
    """JAX's TypeError for a transformation of something that is not a function."""
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun}")
    if inspect.isgeneratorfunction(fun):
        raise TypeError(f"Expected a function, got a generator function: {fun}")


def _index_tuple(x):
    try:
        return (operator.index(x),)
    except TypeError:
        return tuple(map(operator.index, x))


def _str_tuple(x):
    names = (x,) if isinstance(x, str) else tuple(x)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"argument is not a string: {name}")
    return names


def _resolve_argnums(signature, argnums, argnames, what):
    """jit's `what`_argnums and `what`_argnames ('static' or 'donate') as JAX resolves
    them: when only one is given, the other names the same parameters that can be passed
    either way; both are checked against fun's signature (where it has one)."""
    if signature is None:
        return (() if argnums is None else _index_tuple(argnums)), (() if argnames is None else _str_tuple(argnames))
    params = list(signature.parameters.values())
    either_way = [(i, p.name) for i, p in enumerate(params) if p.kind is p.POSITIONAL_OR_KEYWORD]
    if argnums is None and argnames is None:
        return (), ()
    if argnums is None:
        argnames = _str_tuple(argnames)
        argnums = tuple(i for i, name in either_way if name in argnames)
    elif argnames is None:
        argnums = _index_tuple(argnums)
        argnames = tuple(name for i, name in either_way if i in argnums)
    else:
        argnums, argnames = _index_tuple(argnums), _str_tuple(argnames)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if argnums and not any(p.kind is p.VAR_POSITIONAL for p in params):
        if -min(argnums) > len(positional) or max(argnums) >= len(positional):
            raise ValueError(f"Jitted function has {what}_argnums={argnums}, "
                             f"but only accepts {len(positional)} positional arguments.")
    positional_only = {p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL)}
    if invalid := positional_only & set(argnames):
        raise ValueError(f"Jitted function has invalid argnames {invalid} in {what}_argnames. "
                         f"These are positional-only")
    keywords = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if not any(p.kind is p.VAR_KEYWORD for p in params) and (invalid := set(argnames) - keywords):
        raise ValueError(f"Jitted function has invalid argnames {invalid} in {what}_argnames. "
                         f"Function does not take these args.")
    return argnums, argnames


def _check_static_hashable(value):
    try:
        hash(value)
    except TypeError as err:
        raise ValueError(with_source(
            f"Non-hashable static arguments are not supported. An error occurred while trying to hash an object "
            f"of type {type(value)}, {value!r}. The error was:\n{type(err).__name__}: {err}\n")) from None
    # As JAX, static arguments match by type too: 1, 1.0 and True trace differently.
    return type(value), value


def clear_caches():
    """Forget every traced and compiled program, as jax.clear_caches: each jit-compiled
    function's traces and executables, the eager ops' and the runtime's."""
    with _trace_caches_lock:
        caches = list(_all_trace_caches)
    for cache in caches:
        cache.traces.clear()
        cache.positional.clear()
    core.clear_caches()


def _config_key():
    """The flags that change what a function traces to, for jit's caches (as JAX's jit key),
    and the user contexts' values."""
    return config.read("jax_enable_x64"), config.read("jax_threefry_partitionable"), user_context_values()


class _Uncached(dict):
    """A jitted function's positional cache while jax_debug_nans or jax_debug_infs may
    be on (every call then checks its outputs) or the dtype promotion may be strict: it
    keeps nothing, so that the common call's key needs neither flag."""

    def __setitem__(self, key, value):
        pass


def _uncached():
    return core.debug_checks.on or config.may_differ("jax_numpy_dtype_promotion", "standard")


def _flags_changed():
    uncached = _uncached()
    with _trace_caches_lock:
        caches = list(_all_trace_caches)
    for cache in caches:
        if uncached != isinstance(cache.positional, _Uncached):
            cache.positional = _Uncached() if uncached else {}


config.listen("jax_debug_nans", _flags_changed)
config.listen("jax_debug_infs", _flags_changed)
config.listen("jax_numpy_dtype_promotion", _flags_changed)


class _TraceCache:
    """A function's traces (with their executables) under one set of jit options, shared
    by every jit of that function, as JAX's cache is keyed on the function object: a
    second `jit(f)` reuses the first one's traces, so a global f reads is not read again."""

    def __init__(self):
        self.traces = {}
        self.positional = _Uncached() if _uncached() else {}  # the common call: positional Arrays


_trace_caches = weakref.WeakKeyDictionary()  # function -> {jit options: _TraceCache}
_all_trace_caches = weakref.WeakSet()  # for clear_caches and the flags' listeners
_trace_caches_lock = threading.Lock()


def _trace_cache(fun, options):
    """The _TraceCache of `fun` under jit `options`; a function that cannot be weakly
    referenced or hashed gets one of its own."""
    with _trace_caches_lock:
        try:
            by_options = _trace_caches.setdefault(fun, {})
        except TypeError:
            by_options = {}
        cache = by_options.get(options)
        if cache is None:
            cache = by_options[options] = _TraceCache()
            _all_trace_caches.add(cache)
        return cache


class _Inlining(threading.local):
    depth = 0  # while positive, a jitted function called with tracers runs in the caller's trace


inlining = _Inlining()


class Jitted:
    """What `jit(fun)` returns: traces once per input structure, avals and static
    arguments, compiles once per traced program."""

    def __init__(self, fun, static_argnums=None, static_argnames=None, backend=None, donate_argnums=None,
                 donate_argnames=None):
        check_callable(fun)
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._backend = None if backend is None else platforms.platform(backend)
        self._name = getattr(fun, "__name__", "fun")
        try:
            signature = inspect.signature(fun)
        except (TypeError, ValueError):
            signature = None
        self._signature = signature
        self._static_argnums, self._static_argnames = _resolve_argnums(
            signature, static_argnums, static_argnames, "static")
        donate_argnums, donate_argnames = _resolve_argnums(signature, donate_argnums, donate_argnames, "donate")
        if both := set(self._static_argnames) & set(donate_argnames):
            raise ValueError(f"static_argnames and donate_argnames cannot intersect. Argument names {both} appear "
                             f"in both static_argnames and donate_argnames")
        if donate_argnums or donate_argnames:
            raise NotImplementedError(
                "mirax.jit does not support donate_argnums/donate_argnames: buffers are never donated")
        self._caches = _trace_cache(fun, (self._static_argnums, self._static_argnames, self._backend))

    def _specialize(self, args, kwargs, convert=to_array):
        """The TracedFunction for these arguments (traced on a cache miss) and the array
        leaves (what `convert` makes of them)."""
        n = len(args)  # a negative static_argnum counts from the end of this call's arguments, as in JAX
        static_args = {i % n: args[i] for i in self._static_argnums if -n <= i < n}
        static_kwargs = {k: v for k, v in kwargs.items() if k in self._static_argnames}
        dynamic_args = tuple(a for i, a in enumerate(args) if i not in static_args)
        dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in static_kwargs}
        all_leaves, in_tree = tree_flatten((dynamic_args, dynamic_kwargs))
        # Ref arguments reach the function as they are, as closed-over Refs do (core.Ref):
        # a trace per Ref object, which reads and writes it when called.
        refs = {i: x for i, x in enumerate(all_leaves) if isinstance(x, core.Ref)}
        leaves = arguments_to_arrays(self._name, [x for i, x in enumerate(all_leaves) if i not in refs], convert)
        key = (current_level(), _config_key(), config.read("jax_numpy_dtype_promotion"), in_tree,  # see _Uncached
               tuple(sorted((i, _check_static_hashable(v)) for i, v in static_args.items())),
               tuple(sorted((k, _check_static_hashable(v)) for k, v in static_kwargs.items())),
               tuple(x.aval for x in leaves), tuple((i, id(r)) for i, r in refs.items()))
        traced = self._caches.traces.get(key)
        if traced is None:
            if no_tracing.value:
                code = getattr(self._fun, "__code__", None)
                where = f" at {code.co_filename}:{code.co_firstlineno}" if code else ""
                raise RuntimeError(f"re-tracing function {self._name}{where} for `jit`, but 'no_tracing' is set")

            def flat_fun(*arrays):
                rest_arrays = iter(arrays)
                dyn, dyn_kwargs = tree_unflatten(in_tree, [refs[i] if i in refs else next(rest_arrays)
                                                           for i in range(len(all_leaves))])
                rest = iter(dyn)
                full = [static_args[i] if i in static_args else next(rest) for i in range(len(args))]
                return self._fun(*full, **dyn_kwargs, **static_kwargs)

            traced = trace_flat(flat_fun, tree_flatten((tuple(range(len(leaves))), {}))[1], [x.aval for x in leaves],
                                self._name, backend=self._backend)
            traced.in_tree = in_tree  # the arguments', for stages
            if not any(isinstance(c, Tracer) for c in traced.trace.constvars):
                self._caches.traces[key] = traced
        return traced, leaves

    def __call__(self, *args, **kwargs):
        if config.read("jax_disable_jit"):  # as JAX: the function itself, on the arguments as they are
            return self._fun(*args, **kwargs)
        positional = not kwargs and not self._static_argnums
        if positional:
            key = (current_level(), _config_key()) + tuple(
                (x._value.shape, x._value.dtype, x.weak_type) if type(x) is Array else None for x in args)
            traced = self._caches.positional.get(key)
            if traced is not None:
                return tree_unflatten(traced.out_tree, traced.call_flat(args))
        if inlining.depth:  # checkify traces the jitted functions it calls into its own trace
            return self._fun(*args, **kwargs)
        traced, leaves = self._specialize(args, kwargs)
        if positional and all(type(x) is Array for x in args):
            self._caches.positional[key] = traced
        outs = traced.call_flat(leaves)
        if core.debug_checks.on and current_trace() is None:
            self._check_special(outs, args, kwargs)
        return tree_unflatten(traced.out_tree, outs)

    def _check_special(self, outs, args, kwargs):
        """jax_debug_nans/jax_debug_infs, as JAX: a NaN (inf) in the outputs reruns the
        function de-optimized (op by op), whose op making it raises FloatingPointError."""
        kind = core.special_value([x._value for x in outs])
        if kind is None:
            return
        print(core.DEOPTIMIZED_RERUN)
        self._fun(*args, **kwargs)
        raise FloatingPointError(
            f"{(f'jit({self._name})', kind)}. Because jax_config.debug_nans.value and/or config.jax_debug_infs is "
            "set, the de-optimized function (i.e., the function as if the `jit` decorator were removed) was called "
            "in an attempt to get a more precise error message. However, the de-optimized function did not produce "
            "invalid values during its execution. This behavior can result from `jit` optimizations causing the "
            "invalid value to be produced. It may also arise from having nan/inf literals as inputs or outputs, "
            "like `jax.jit(lambda ...: jax.numpy.nan)(...)`. \n\nIt may be possible to avoid the invalid value by "
            "removing the `jit` decorator, at the cost of losing optimizations. \n\nIf you see this error, "
            "consider opening a bug report at https://github.com/jax-ml/jax.")

    def trace(self, *args, **kwargs):
        """The function traced for these arguments (or ShapeDtypeStructs standing for them): a stages.Traced."""
        traced, _ = self._specialize(args, kwargs, stages.abstract_or_array)
        names = stages.arg_names(self._signature, args, kwargs, self._static_argnums, self._static_argnames)
        return stages.Traced(traced, names, self._name, self._backend or platforms.configured_platform())

    def lower(self, *args, **kwargs):
        return self.trace(*args, **kwargs).lower()

    def __get__(self, instance, owner):
        return self if instance is None else functools.partial(self, instance)


_UNSPECIFIED = object()  # jit's in_shardings and out_shardings when not given
WITH_SHARDINGS = []  # what jit returns given shardings: _sharded_jit.PartitionedJitted, registered on its import


def jit(fun=None, /, *, in_shardings=_UNSPECIFIED, out_shardings=_UNSPECIFIED, static_argnums=None,
        static_argnames=None, donate_argnums=None, donate_argnames=None, keep_unused=False, device=None,
        backend=None, inline=False, compiler_options=None):
    """Compile `fun`: trace it to the mirax dialect once per input types, lower it to
    LLVM once per program, and call the compiled code, on `backend` ('cpu' or 'gpu';
    by default the default backend) or `device`'s platform.

    jax.jit's other arguments: keep_unused and inline are hints mirax may follow
    (unused arguments are kept, calls of jitted functions stay calls); shardings are
    partitioned as _sharded_jit.py says; compiler options and donation raise
    NotImplementedError."""
    kwargs = dict(in_shardings=in_shardings, out_shardings=out_shardings, static_argnums=static_argnums,
                  static_argnames=static_argnames, donate_argnums=donate_argnums, donate_argnames=donate_argnames,
                  keep_unused=keep_unused, device=device, backend=backend, inline=inline,
                  compiler_options=compiler_options)
    if fun is None:
        return lambda f: jit(f, **kwargs)
    shardings = [None if kwargs[name] is _UNSPECIFIED else kwargs[name] for name in ("in_shardings", "out_shardings")]
    if compiler_options:
        raise NotImplementedError(f"mirax.jit does not support compiler_options (XLA's): got {compiler_options!r}")
    if device is not None:
        if backend is not None:
            raise ValueError(f"can't specify both a device and a backend for jit, got {device=} and {backend=}")
        backend = device.platform
    if shardings != [None, None]:
        if backend not in (None, "cpu"):
            raise NotImplementedError("mirax.jit with in_shardings/out_shardings runs on the CPU (its processes)")
        return WITH_SHARDINGS[0](fun, *shardings, static_argnums=static_argnums, static_argnames=static_argnames,
                                 donate_argnums=donate_argnums, donate_argnames=donate_argnames)
    return Jitted(fun, static_argnums, static_argnames, backend, donate_argnums, donate_argnames)


def device_put(x, device=None, *, src=None, donate=False, may_alias=None):
    """The arrays of `x` (a pytree) on `device` (by default the default backend's):
    copies of those that are elsewhere (arrays are immutable: may_alias changes nothing)."""
    if src is not None:
        raise NotImplementedError("mirax.device_put does not support src")
    if donate:
        raise NotImplementedError("mirax.device_put does not support donate=True: buffers are never donated")
    if isinstance(device, sharding.NamedSharding):
        return tree_map(functools.partial(put_sharded, device), x)
    device = device or platforms.local_devices()[0]

    def put(leaf):
        array = to_array(leaf)
        if isinstance(array, Tracer):
            return array
        return Array(platforms.put(array._value, device), array.weak_type)

    return tree_map(put, x)


def make_jaxpr(fun, static_argnums=(), axis_env=None, return_shape=False):
    """A function returning `fun`'s traced program, printed in JAX's jaxpr notation.
    axis_env names axes for collectives, which mirax does not have: nothing can use it."""
    check_callable(fun)
    if return_shape:
        raise NotImplementedError("mirax.make_jaxpr does not support return_shape=True")

    @functools.wraps(fun)
    def make(*args, **kwargs):
        traced, _ = Jitted(fun, static_argnums)._specialize(args, kwargs)  # as JAX, checked when called
        return ClosedJaxpr(traced.trace)

    return make
