"""Python callbacks from traced programs, as jax._src.callback's: `pure_callback`,
`io_callback` (mirax.experimental) and the debug callback under debug.print and
debug.callback. Outside any trace the callback runs now; in a trace it becomes a call
of a callback construct (dialect/callback.py), and the program calls it back at run
time through its host symbol, on the buffers' values, in program order."""
import itertools
import logging
import traceback

import numpy as np

from mirax import dtypes, runtime
from mirax.core import Array, Aval, Tracer, current_trace, to_array
from mirax.errors import JaxRuntimeError
from mirax.dialect import tensor_type
from mirax.dialect.callback import CALLBACKS, VMAP_METHODS
from mirax.dialect.ir_util import declare
from mirax.dialect.transformations import CALLBACK
from mirax.mlir import ir
from mirax.tree_util import tree_flatten, tree_leaves, tree_unflatten

__all__ = ["ShapeDtypeStruct", "io_callback", "pure_callback"]

_IDS = itertools.count()
_FAILED = {"pure": "jax.pure_callback failed", "io": "jax.io_callback failed", "debug": "jax.debug.callback failed"}
logger = logging.getLogger(__name__)


def _runtime_error(kind, err):
    """JAX's error for `err`, raised by a callback (or its results' check) when the
    program ran it: logged as JAX logs it, and XLA's message with the Python stack down to
    where it was raised, outermost first and without source lines (as nanobind formats
    it). Built in the except clause, while the stack is live."""
    logger.error(_FAILED[kind], exc_info=err)
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    frames = "".join(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
                     for frame in traceback.extract_stack(tb.tb_frame))
    return JaxRuntimeError(f"INTERNAL: CpuCallback error calling callback: Traceback (most recent call last):\n"
                           f"{frames}{type(err).__name__}: {err}")


class ShapeDtypeStruct:
    """A result's shape and dtype, as jax.ShapeDtypeStruct (no sharding)."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, *, sharding=None, weak_type=False):
        if sharding is not None:
            raise NotImplementedError("ShapeDtypeStruct's sharding: mirax has no shardings")
        self.shape, self.dtype, self.weak_type = tuple(shape), np.dtype(dtype), weak_type

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype, self.weak_type) == (
            other.shape, other.dtype, other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


class Callback:
    """`fn(*arrays) -> arrays` on NumPy arrays of `in_avals` giving `out_avals`, as the
    host function compiled programs call by `symbol` (dialect/callback.py `CALLBACKS`
    holds it for the construct's rules). Under vmap's sequential methods it runs once
    per batch element of each of `levels` ((batched flags, size), innermost vmap first),
    the innermost vmap's elements in the outermost loop, as JAX's nested unrolling."""

    def __init__(self, fn, in_avals, out_avals, kind, ordered=False, vmap_method=None, levels=()):
        self.fn, self.in_avals, self.out_avals = fn, list(in_avals), list(out_avals)
        self.kind, self.ordered, self.vmap_method, self.levels = kind, ordered, vmap_method, levels
        self.host_in_avals, self.host_out_avals = self.in_avals, self.out_avals
        for batched, size in levels:
            self.host_in_avals = [a._replace(shape=(size, *a.shape)) if b else a
                                  for a, b in zip(self.host_in_avals, batched, strict=True)]
            self.host_out_avals = [a._replace(shape=(size, *a.shape)) for a in self.host_out_avals]
        self.symbol = f"mirax_callback_{next(_IDS)}"
        runtime.host_function(self.symbol, self._run, len(self.host_in_avals) + len(self.host_out_avals))
        CALLBACKS[self.symbol] = self

    def _run(self, *addresses):
        """The host function: the inputs' values copied out of the program's buffers, the
        outputs written into the buffers it allocated for them."""
        num_in = len(self.host_in_avals)
        inputs = [runtime.view(address, a.shape, a.dtype).copy()
                  for address, a in zip(addresses[:num_in], self.host_in_avals, strict=True)]
        try:
            outputs = self._apply(inputs)
        except Exception as err:
            raise _runtime_error(self.kind, err) from None
        for address, out, aval in zip(addresses[num_in:], outputs, self.host_out_avals, strict=True):
            if aval.size:
                runtime.view(address, aval.shape, aval.dtype)[...] = out

    def _apply(self, inputs):
        """The outputs on inputs of the host avals."""
        if not self.levels:
            return checked_outputs(self.fn(*inputs), self.out_avals)
        outputs = [np.zeros(a.shape, a.dtype) for a in self.host_out_avals]
        for index in itertools.product(*[range(size) for _, size in self.levels]):
            args = []
            for arg, k in zip(inputs, itertools.count()):
                for (batched, _), i in reversed(list(zip(self.levels, index, strict=True))):  # outermost first
                    arg = arg[i] if batched[k] else arg
                args.append(arg)
            for out, value in zip(outputs, checked_outputs(self.fn(*args), self.out_avals), strict=True):
                out[index[::-1]] = value
        return outputs

    def batched(self, method, batched, size):
        """The host symbol of this callback on operands batched along 0 where `batched`
        (unbatched ones broadcast or given a size-1 dimension first where `method` says),
        giving results batched along 0: once per batch element for the sequential
        methods, else one call on the batched operands (mirax-vmap, through the construct)."""
        if method in ("sequential", "sequential_unrolled"):
            return Callback(self.fn, self.in_avals, self.out_avals, self.kind, self.ordered, self.vmap_method,
                            (*self.levels, (batched, size))).symbol
        in_avals = [a._replace(shape=(size, *a.shape)) if b or method == "broadcast_all"
                    else a._replace(shape=(1, *a.shape)) if method == "expand_dims" else a
                    for a, b in zip(self.host_in_avals, batched, strict=True)]
        out_avals = [a._replace(shape=(size, *a.shape)) for a in self.host_out_avals]
        # The function itself on the batched operands (a pure_callback's vmap method is
        # the same at every level, so it has no sequential levels).
        return Callback(self.fn, in_avals, out_avals, self.kind, self.ordered, self.vmap_method).symbol


def checked_outputs(outputs, avals):
    """A callback's outputs as NumPy arrays of `avals`, with JAX's errors where they are not."""
    outputs = list(outputs)
    if len(outputs) != len(avals):
        raise RuntimeError(f"Mismatched number of outputs from callback. Expected: {len(avals)}, "
                           f"Actual: {len(outputs)}")
    checked = []
    for i, (out, aval) in enumerate(zip(outputs, avals, strict=True)):
        out = np.asarray(out)
        if out.shape != aval.shape:
            raise RuntimeError(f"Incorrect output shape for return value #{i}: Expected: {aval.shape}, "
                               f"Actual: {out.shape}")
        if dtypes.canonicalize_dtype(out.dtype) != aval.dtype:
            raise RuntimeError(f"Incorrect output dtype for return value #{i}: Expected: {aval.dtype}, "
                               f"Actual: {out.dtype}")
        checked.append(out.astype(aval.dtype, copy=False))
    return checked


_REUSED = {}  # what a callback does (a hashable key) and its avals -> the Callback, reused


def call(fn, args, out_avals, kind, ordered=False, vmap_method=None, key=None):
    """`fn(*values) -> arrays` on `args` (Arrays or Tracers): run now on the Arrays
    outside any trace, else staged into the current trace as a callback construct, run
    on NumPy arrays (JAX's callbacks see no weak types there); the results as Arrays or
    Tracers of `out_avals`. `key` says what `fn` does: a trace with a callback that does
    the same on the same avals calls the same host symbol, so that its program is the
    same text, which compiles once (a function differentiated outside jit is traced at
    each call)."""
    trace = current_trace()
    if trace is None:
        # JAX runs pure and io callbacks through a compiled program even here (its
        # errors wrapped), debug callbacks directly.
        try:
            outs = checked_outputs(fn(*args), out_avals)
        except Exception as err:
            if kind == "debug":
                raise
            raise _runtime_error(kind, err) from None
        return [Array(o, a.weak_type) for o, a in zip(outs, out_avals, strict=True)]
    in_avals = [a.aval for a in args]
    key = (key, tuple(in_avals), tuple(out_avals), kind, ordered, vmap_method)
    try:
        callback = _REUSED.get(key)
    except TypeError:  # an unhashable static argument: a callback of its own
        key = callback = None
    if callback is None:
        callback = Callback(fn, in_avals, out_avals, kind, ordered, vmap_method)
        if key is not None:
            _REUSED[key] = callback

    def declare_call(module, _):
        ftype = ir.FunctionType.get([tensor_type(a.aval.shaped) for a in args],
                                    [tensor_type(a.shaped) for a in out_avals])
        return declare(module, f"{callback.symbol}_call", ftype, ir.Location.unknown(),
                       {CALLBACK: ir.StringAttr.get(callback.symbol)})

    return trace.call_declared([], declare_call, list(args), out_avals)


def _result_avals(result_shape_dtypes):
    leaves, tree = tree_flatten(result_shape_dtypes)
    return [Aval(tuple(s.shape), dtypes.canonicalize_dtype(s.dtype)) for s in leaves], tree


def is_array_like(x):
    """Whether a callback's argument leaf is an array, passed through the program (JAX's
    test: whether it has an abstract value)."""
    return isinstance(x, (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex))


def _callback(name, callback, result_shape_dtypes, args, kwargs, kind, **options):
    """pure_callback's and io_callback's: `callback(*args, **kwargs)` on Arrays, its
    results checked against `result_shape_dtypes`."""
    flat, in_tree = tree_flatten((args, kwargs))
    for position, x in enumerate(flat):
        if not is_array_like(x):
            raise TypeError(f"Error interpreting argument to {name} as a JAX value. The problematic value is of "
                            f"type {type(x)} and was passed to {name} at position {position}.\n")
    out_avals, out_tree = _result_avals(result_shape_dtypes)

    def fn(*values):
        call_args, call_kwargs = tree_unflatten(in_tree, [to_array(v) for v in values])
        return tree_leaves(callback(*call_args, **call_kwargs))

    key = (name, callback, in_tree, out_tree)
    return tree_unflatten(out_tree, call(fn, [to_array(x) for x in flat], out_avals, kind, key=key, **options))


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None, **kwargs):
    """Call the pure Python function `callback` on Arrays from traced code, as
    jax.pure_callback: not differentiable; batched as `vmap_method` says."""
    if sharding is not None:
        raise NotImplementedError("pure_callback's sharding: mirax has no shardings")
    if vmap_method not in (*VMAP_METHODS, None):
        raise ValueError(f"vmap_method must be on of the allowed methods {[*VMAP_METHODS, None]}, "
                         f"but got: {vmap_method}")
    return _callback("pure_callback", callback, result_shape_dtypes, args, kwargs, "pure", vmap_method=vmap_method)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """Call the impure Python function `callback` on Arrays from traced code, as
    jax.experimental.io_callback: not differentiable; batched sequentially unless
    `ordered`. Calls run in program order whether `ordered` or not."""
    if sharding is not None:
        raise NotImplementedError("io_callback's sharding: mirax has no shardings")
    return _callback("io_callback", callback, result_shape_dtypes, args, kwargs, "io", ordered=ordered,
                     vmap_method="sequential")
