"""Tracing Python into the mirax dialect.

A `Trace` is a func.func being built. Inside one, array operations (`bind`) append
mirax ops and return `Tracer`s: values carrying an abstract value (`Aval`: shape,
dtype, weak type) and their ir.Value. Outside any trace, `bind` runs the single op
eagerly: it traces it into a one-op function, compiles that once per op, params
and input types, and calls it, so eager and compiled code compute the same values.

Values from outside a trace (concrete Arrays, tracers of an enclosing trace) are
lifted in: scalars become constants, everything else becomes an extra argument of
the function (a "constvar"), passed by the caller.
"""
import contextlib
import functools
import hashlib
import os
import sys
import threading
from typing import NamedTuple

import numpy as np

from mirax import dtypes, platforms
from mirax.config import config
from mirax.errors import (
    ConcretizationTypeError, TracerArrayConversionError, TracerBoolConversionError, TracerIntegerConversionError,
    UnexpectedTracerError, shaped_str)
from mirax.dialect import MiraxOp, ShapedType, build, tensor_type
from mirax.dialect.base import as_tuple
from mirax.dialect import values
from mirax.dialect.shape import BroadcastInDimOp
from mirax.mlir import func, ir

from . import runtime
from .mlir_context import context

# ----------------------------------------------------------------------------- abstract values


class Aval(NamedTuple):
    shape: tuple
    dtype: np.dtype
    weak_type: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def shaped(self):
        return ShapedType(self.shape, self.dtype)

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __str__(self):
        return self.str_short()


class ShapedArray(Aval):
    """An array's abstract type, as jax.core.ShapedArray: core.Aval (shape, dtype, weak
    type) printed as JAX prints it."""

    __slots__ = ()

    def str_short(self, short_dtypes=False, mesh_axis_types=False):
        return super().str_short() if short_dtypes else \
            f"{self.dtype.name}[{','.join(map(str, self.shape))}]"

    def __str__(self):
        return ("~" if self.weak_type else "") + self.str_short()

    def __repr__(self):
        return f"ShapedArray({self.str_short()}{', weak_type=True' if self.weak_type else ''})"

    def __eq__(self, other):  # not equal to a plain Aval (a tuple) of the same fields
        return type(other) is ShapedArray and tuple.__eq__(self, other)

    def __hash__(self):
        return tuple.__hash__(self)


# ----------------------------------------------------------------------------- errors and source lines

_PACKAGE_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (sys.modules["mirax"], sys.modules["mirax.dialect"], sys.modules["mirax.passes"])
)


def user_frame():
    """The innermost stack frame outside mirax: the user's line that caused an op."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame = frame.f_back
    return frame


def user_source():
    frame = user_frame()
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"


def with_source(message):
    """An error message that ends with the user's source line."""
    return f"{message}\n  at {user_source()}"


# ----------------------------------------------------------------------------- jax_debug_nans, jax_debug_infs


class _DebugChecks:
    """`on` while jax_debug_nans or jax_debug_infs may be set in some thread: until
    then, eager ops and jitted calls pay nothing for them."""

    on = False


debug_checks = _DebugChecks()


def _debug_flags_changed():
    debug_checks.on = config.may_differ("jax_debug_nans", False) or config.may_differ("jax_debug_infs", False)


config.listen("jax_debug_nans", _debug_flags_changed)
config.listen("jax_debug_infs", _debug_flags_changed)


def special_value(outputs):
    """'nan' or 'inf' where an output (a NumPy array) has a value this thread's
    jax_debug_nans or jax_debug_infs looks for, in JAX's order; else None."""
    nans, infs = config.read("jax_debug_nans"), config.read("jax_debug_infs")
    for out in outputs:
        if dtypes.is_float(out.dtype) or dtypes.is_complex(out.dtype):
            if nans and np.isnan(out).any():
                return "nan"
            if infs and np.isinf(out).any():
                return "inf"
    return None


def check_special(name, outputs):
    """JAX's FloatingPointError naming `name` where an output has such a value."""
    kind = special_value(outputs)
    if kind is not None:
        raise FloatingPointError(f"invalid value ({kind}) encountered in {name}")


DEOPTIMIZED_RERUN = "Invalid nan value encountered in the output of a jax.jit function. Calling the de-optimized version."


def jitted_in_jax(fun):
    """`fun`, which JAX's jax.numpy runs under jit: where jax_debug_nans (infs) raises
    in it outside any trace, it says first what JAX's jit says when it reruns the
    function de-optimized to find the op (mirax checks each eager op as it runs)."""

    @functools.wraps(fun)
    def checked(*args, **kwargs):
        if not debug_checks.on or current_trace() is not None:
            return fun(*args, **kwargs)
        try:
            return fun(*args, **kwargs)
        except FloatingPointError:
            print(DEOPTIMIZED_RERUN)
            raise

    return checked


# ----------------------------------------------------------------------------- concrete arrays


class Array(runtime.Buffer):
    """A concrete array on the CPU: an immutable, C-contiguous NumPy buffer."""

    # `aval` is an attribute, made once: an eager op reads it a few dozen times
    # (promotion, broadcasting, bind).
    __slots__ = ("weak_type", "aval", "__weakref__")
    __array_priority__ = 100

    def __init__(self, value, weak_type=False):
        self._value = value
        self.weak_type = weak_type
        self._pointer = None
        self.aval = Aval(value.shape, value.dtype, weak_type)

    @property
    def device(self):
        """Where the buffer is: the CPU, or the GPU for unified memory."""
        return platforms.device_of(self._value)

    def devices(self):
        return {self.device}

    def __array__(self, dtype=None, copy=None):
        if copy or (dtype is not None and np.dtype(dtype) != self._value.dtype):
            if copy is False:
                raise ValueError("converting to another dtype needs a copy")
            return self._value.astype(self._value.dtype if dtype is None else dtype)  # a writable copy
        # Without a copy, a read-only view, as JAX's: the buffer is immutable, shared
        # with other Arrays and with compiled programs that captured it.
        view = self._value.view()
        view.flags.writeable = False
        return view

    def __repr__(self):
        dtype = f"dtype={self._value.dtype.name}" + (", weak_type=True" if self.weak_type else "")
        if self._value.size == 0 and self._value.ndim > 0:
            body = f"[], shape={self._value.shape}"
        else:
            body = np.array2string(self._value, prefix="Array(", suffix=",", separator=", ")
        return f"Array({body}, {dtype})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value.item() if self._value.ndim == 0 else self._value, spec)

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return self._value.tolist()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The buffer shared through DLPack (NumPy's), as a jax.Array's."""
        return self._value.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return self._value.__dlpack_device__()

    def block_until_ready(self):
        return self

    def copy(self):
        return Array(self._value.copy(), self.weak_type)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (Array, (self._value, self.weak_type))

    def _scalar(self, convert):
        if self._value.ndim:
            raise TypeError(f"Only scalar arrays can be converted to Python scalars; got arr.ndim={self._value.ndim}")
        return convert(self._value.item())

    def __bool__(self):
        _check_bool_conversion(self._value.size)
        return bool(self._value)

    def __int__(self):
        return self._scalar(int)

    def __float__(self):
        return self._scalar(float)

    def __complex__(self):
        return self._scalar(complex)

    def __index__(self):
        _check_integer_conversion(self.aval)
        return int(self._value)


def _check_bool_conversion(size):
    """JAX's errors for the truth value of an array that is not one element."""
    if size == 0:
        raise ValueError("The truth value of an empty array is ambiguous. Use `array.size > 0` to check that an "
                         "array is not empty.")
    if size > 1:
        raise ValueError("The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()")


def _check_integer_conversion(aval):
    if aval.shape or not dtypes.is_integer(aval.dtype):
        raise TypeError("Only integer scalar arrays can be converted to a scalar index.")


class Tracer:
    """A value inside a trace: its ir.Value and abstract value, and its concrete value
    (an Array) where the trace knows it: outside jit, a transformation traces its
    function on concrete inputs, so Python control flow on values works there."""

    __slots__ = ("_trace", "value", "aval", "concrete")
    __array_priority__ = 100

    def __init__(self, trace, value, aval, concrete=None):
        self._trace = trace
        self.value = value
        self.aval = aval
        self.concrete = concrete

    def _error_repr(self):
        return f"traced array with shape {shaped_str(self.aval)}"

    def _origin_msg(self):
        return f"\n  at {user_source()}"

    def concrete_or_error(self, context):
        """The concrete value, or JAX's ConcretizationTypeError with `context`."""
        if self.concrete is None:
            raise ConcretizationTypeError(self, context)
        return self.concrete

    def _conversion_error(self, convert):
        """As JAX, float() and complex() of any tracer (int() of one without a concrete
        value) is an error: under differentiation it would cut the derivative."""
        if self.aval.ndim:
            raise TypeError(f"Only scalar arrays can be converted to Python scalars; got arr.ndim={self.aval.ndim}")
        return ConcretizationTypeError(
            self, f"The problem arose with the `{convert.__name__}` function. If trying to convert the data type of "
                  f"a value, try using `x.astype({convert.__name__})` or `jnp.array(x, {convert.__name__})` instead.")

    def __bool__(self):
        if self.concrete is None:
            _check_bool_conversion(self.aval.size)
            raise TracerBoolConversionError(self)
        return bool(self.concrete)

    def __int__(self):
        if self.concrete is None:
            raise self._conversion_error(int)
        return int(self.concrete)

    def __float__(self):
        raise self._conversion_error(float)

    def __complex__(self):
        raise self._conversion_error(complex)

    def __index__(self):
        if self.concrete is None:
            _check_integer_conversion(self.aval)
            raise TracerIntegerConversionError(self)
        return self.concrete.__index__()

    def __array__(self, dtype=None, copy=None):
        if self.concrete is None:
            raise TracerArrayConversionError(self)
        return self.concrete.__array__(dtype, copy)

    def item(self, *args):
        return self.concrete_or_error("This occurred in the item() method of jax.Array").item(*args)

    def tolist(self):
        raise ConcretizationTypeError(self, f"The tolist() method was called on {self._error_repr()}.")

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>"


# ----------------------------------------------------------------------------- mutable array references


class Ref:
    """A mutable array reference (jax.Ref), made by mirax.ref.new_ref; mirax.ref gives
    it its indexing. Functional underneath: outside traces it holds an Array, which a
    write replaces; a trace that reads a Ref from outside takes its value as an extra
    argument (the Ref itself is the constvar, read when the program is called), and
    one that writes it keeps the new value in `Trace.refs` and returns its final value
    as an extra output (`Trace.ref_writes`), which whoever calls the program writes back:
    the executable's caller (`Trace.compile`) or an enclosing trace (`Trace.call`)."""

    __slots__ = ("_array", "_aval", "_home", "__weakref__")

    def __init__(self, value, home):
        self._array = value  # outside traces (home None): an Array; None once freed
        self._aval = value.aval
        self._home = home  # the trace it was made in, whose function keeps its value; None: outside

    @property
    def aval(self):
        return self._aval

    @property
    def concrete(self):
        """Its value where a trace lifts it in, if known (an enclosing trace's values are not)."""
        return self._array if self._home is None else None

    @property
    def pointer(self):  # as a constvar of a program being called: its value now
        return self._outside().pointer

    @property
    def _value(self):
        return self._outside()._value

    def _outside(self):
        if self._array is None:
            raise ValueError(with_source("this Ref was freed by free_ref"))
        if self._home is not None:
            raise UnexpectedTracerError(with_source(
                f"a Ref made inside a transformation ({self._home.name}) was used after it finished"))
        return self._array

    def _read(self):
        """Its value now: in the current trace, or outside."""
        trace = current_trace()
        if trace is None:
            return self._outside()
        written = trace.refs.get(id(self))
        return written[1] if written is not None else trace.lift(self)

    def _write(self, value):
        """Make `value` (an Array, or a Tracer of the current trace) its value."""
        trace = current_trace()
        if trace is None:
            self._outside()
            self._array = value
            return
        trace.write_ref(self, trace.lift(value))


# ----------------------------------------------------------------------------- traces

class _ThreadState(threading.local):
    """Each thread traces on its own: ops bound in one thread never reach another's trace."""

    def __init__(self):
        self.trace_stack = []
        self.compile_time_eval = False  # ops on concrete inputs run eagerly inside traces too


_state = _ThreadState()
# Traces open in all threads: while there are none, no thread has a trace, and the
# thread-local stack (~100 ns a look) is not read: a compiled call looks twice.
_open_traces = 0
_open_traces_lock = threading.Lock()


def current_trace():
    if not _open_traces:
        return None
    stack = _state.trace_stack
    return stack[-1] if stack else None


@contextlib.contextmanager
def compile_time_eval():
    """Inside it, an op whose inputs are all concrete Arrays runs eagerly even inside a
    trace (jit), its result a concrete Array, as under jax.ensure_compile_time_eval."""
    previous, _state.compile_time_eval = _state.compile_time_eval, True
    try:
        yield
    finally:
        _state.compile_time_eval = previous


def current_level():
    """How many differentiations will apply to what is traced now: 0 outside any trace
    and under jit or vmap alone, one more inside each jvp, vjp or grad. Custom
    derivative rules (custom_derivatives.py) are traced only where it is positive."""
    if not _open_traces:
        return 0
    stack = _state.trace_stack
    return stack[-1].level if stack else 0


class Trace:
    """A func.func named `main` in a module of its own, built op by op."""

    def __init__(self, in_avals, name="main", concrete=None, level=None, embed_arrays=False):
        """A trace over inputs of `in_avals`; with `concrete` (an Array per input, or
        None for inputs without a known value) every op on known values also runs on
        them while it is traced. `level` defaults to the enclosing trace's. Arrays from
        outside become extra arguments, or constants in the IR if `embed_arrays`."""
        self.name = name
        self.level = current_level() if level is None else level
        self.embed_arrays = embed_arrays
        self.runs_now = False  # a wrapper compiled and run as soon as it is traced (not under jit)
        with context(), ir.Location.unknown():
            self.module = ir.Module.create()
            with ir.InsertionPoint(self.module.body):
                self.func = func.FuncOp("main", ([tensor_type(a.shaped) for a in in_avals], []))
            self.block = self.func.add_entry_block()
        self.concrete = concrete is not None
        values_in = concrete if self.concrete else [None] * len(in_avals)
        self.invars = [Tracer(self, arg, a, v)
                       for arg, a, v in zip(self.block.arguments, in_avals, values_in, strict=True)]
        self.constvars = []  # outer values passed as extra trailing arguments
        self._lifted = {}  # id(outer value) -> (outer value, Tracer)
        self._callees = set()
        self.refs = {}  # id(Ref) -> (Ref, its value here): Refs made or written in this trace
        self.ref_writes = []  # Refs from outside written here, whose final values it returns
        self.alive = True
        # checkify's automatic checks: called with each op bound in this trace; nested
        # traces inherit it, so that checkify sees (and refuses) the ops it cannot reach.
        self.on_bind = getattr(current_trace(), "on_bind", None)

    def __enter__(self):
        global _open_traces
        with _open_traces_lock:
            _open_traces += 1
        _state.trace_stack.append(self)
        return self

    def __exit__(self, *exc):
        global _open_traces
        closed = _state.trace_stack.pop()
        with _open_traces_lock:
            _open_traces -= 1
        assert closed is self

    def emit(self, op_cls, operands, out_avals, params):
        with context(), _location(), ir.InsertionPoint(self.block):
            results = build(op_cls, [x.value for x in operands], [a.shaped for a in out_avals], **params)
        return [Tracer(self, r, a) for r, a in zip(results, out_avals, strict=True)]

    def lift(self, x):
        """This trace's Tracer for `x`: a Tracer of this trace, or an outer value lifted in."""
        if isinstance(x, Tracer) and x._trace is self:
            return x
        written = self.refs.get(id(x))
        if written is not None:  # a Ref made or written here: its value now
            return written[1]
        if isinstance(x, Tracer) and not x._trace.alive:
            raise UnexpectedTracerError(
                with_source(
                    f"Encountered an unexpected tracer {x!r}: a value traced inside a transformation "
                    f"(jit, grad, vmap, ...) that has finished was used outside it. Return it from the "
                    f"transformed function instead of storing it."
                )
            )
        seen = self._lifted.get(id(x))
        if seen is not None:
            return seen[1]
        if isinstance(x, Array) and (x._value.ndim == 0 or self.embed_arrays):
            lifted = self._constant(x)
        else:
            with context(), ir.Location.unknown():
                arg = self.block.add_argument(tensor_type(x.aval.shaped), ir.Location.unknown())
            outer_value = x if isinstance(x, Array) else x.concrete
            lifted = Tracer(self, arg, x.aval, outer_value if self.concrete else None)
            self.constvars.append(x)
        self._lifted[id(x)] = (x, lifted)
        return lifted

    def write_ref(self, ref, value):
        """`value` (a Tracer of this trace) is now `ref`'s value here."""
        if ref._home is not self and id(ref) not in self.refs:
            self.ref_writes.append(ref)
        self.refs[id(ref)] = (ref, value)

    def bind_ref(self, ref, value):
        """`value` is `ref`'s value here, which this trace's caller threads (a loop's
        carry): a write here is not one to return."""
        self.refs[id(ref)] = (ref, self.lift(value))

    def _constant(self, x):
        """An Array as a constant in the IR."""
        with context(), _location(), ir.InsertionPoint(self.block):
            return Tracer(self, values.scalar(x._value), x.aval, x if self.concrete else None)

    def _import(self, callee):
        """Clone a finished Trace's functions into this module, once; its main's symbol."""
        symbol = callee.symbol
        if symbol not in self._callees:
            self._callees.add(symbol)
            with ir.InsertionPoint(self.module.body):
                for op in callee.module.body.operations:
                    name = op.attributes["sym_name"].value
                    if name != "main" and name in self._callees:
                        continue
                    clone = op.clone()
                    if name == "main":
                        clone.attributes["sym_name"] = ir.StringAttr.get(symbol)
                        clone.attributes["sym_visibility"] = ir.StringAttr.get("private")
                    else:
                        self._callees.add(name)
        return symbol

    def _emit_call(self, symbol, args, out_avals):
        operands = [self.lift(x).value for x in args]
        with ir.InsertionPoint(self.block):
            call = func.CallOp([tensor_type(a.shaped) for a in out_avals], symbol, operands)
        return [Tracer(self, r, a) for r, a in zip(call.results, out_avals, strict=True)]

    def call(self, callee, args, constvars=None):
        """Emit a call of a finished Trace (`callee`) with this trace's Tracers; its
        closed-over values are `constvars` where given (closure conversion), else its own."""
        with context(), _location():
            symbol = self._import(callee)
            consts = callee.constvars if constvars is None else constvars
            written = getattr(callee, "ref_writes", ())  # a Trace's; an exported program writes none
            outs = self._emit_call(symbol, list(args) + list(consts),
                                   callee.out_avals + [ref.aval for ref in written])
        for ref, value in zip(written, outs[len(callee.out_avals):], strict=True):
            self.write_ref(ref, value)
        return outs[:len(callee.out_avals)]

    def call_transformed(self, declare, callee, args, extra, active, out_avals, prepare=None, writes_refs=False):
        """Emit a call of a transformation of a finished Trace: `declare(module, function,
        active)` declares it (mirax-jvp's declare_jvp, mirax-linearize's declare_vjp);
        its operands are the callee's, then `extra` (tangents, cotangents). `prepare(trace)`
        runs first, once the callee is in this trace's module. Only a caller that
        `writes_refs` (the values among `out_avals`) may transform a callee writing Refs."""
        if not writes_refs:
            _check_no_ref_writes(callee)
        with context(), _location():
            symbol = self._import(callee)
            if prepare is not None:
                prepare(self)
            callee_func = ir.SymbolTable(self.module.operation)[symbol]
            transformed = declare(self.module.operation, callee_func, list(active))
            self._callees.add(transformed)
            operands = list(args) + list(callee.constvars) + list(extra)
            return self._emit_call(transformed, operands, out_avals)

    def call_declared(self, callees, declare, operands, out_avals):
        """Emit a call of a function that `declare(module, symbols)` declares in terms of
        finished Traces `callees` (imported here; `symbols` are their names)."""
        for callee in callees:
            _check_no_ref_writes(callee)
        with context(), _location():
            symbols = [self._import(callee) for callee in callees]
            symbol = declare(self.module.operation, symbols)
            self._callees.add(symbol)
            return self._emit_call(symbol, operands, out_avals)

    def finish(self, outputs):
        """Return `outputs` (Tracers of this trace, or values to lift) and seal the function."""
        outs = [self.lift(x) for x in outputs]
        written = [self.refs[id(ref)][1] for ref in self.ref_writes]  # returned after the outputs
        with context(), ir.Location.unknown():
            with ir.InsertionPoint(self.block):
                func.ReturnOp([x.value for x in outs + written])
            arg_types = [a.type for a in self.block.arguments]
            self.func.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get(arg_types, [x.value.type for x in outs + written])
            )
            # (Printed as verified: each op was as it was built; str() would verify the
            # module again, most of a cached program's time to print it.)
            self.text = self.module.operation.get_asm(assume_verified=True)
        self.out_avals = [x.aval for x in outs]
        self.alive = False
        digest = hashlib.sha1(self.text.encode()).hexdigest()[:10]
        self.symbol = f"{_symbol_safe(self.name)}_{digest}"
        return self

    def compile(self, backend=None, opt_level=2):
        """The finished program compiled for `backend` (None: the default backend) at
        LLVM's `opt_level` (runtime.compile): an executable of runtime.Buffers (the
        inputs, then the constvars) returning NumPy arrays. The GPU's runtime is loaded
        first for the GPU (it loads the GPU compiler, so only then)."""
        if platforms.platform(backend or platforms.default_backend()) == "gpu":
            import mirax.gpu_runtime  # noqa: F401, PLC0415 - registers the GPU's executables
        executable = runtime.compile(self.module, self.text, "main", len(self.invars) + len(self.constvars),
                                     self.out_avals + [ref.aval for ref in self.ref_writes], backend, opt_level)
        if not self.ref_writes:
            return executable
        num_outputs = len(self.out_avals)

        def writing_refs(inputs):
            """The program's outputs; the Refs it writes take their final values."""
            outs = executable(inputs)
            for ref, out in zip(self.ref_writes, outs[num_outputs:], strict=True):
                ref._outside()
                ref._array = Array(out, ref.aval.weak_type)
            return outs[:num_outputs]
        return writing_refs

    def run(self, inputs):
        """The finished program compiled for the default backend and run now on `inputs`
        (Arrays; its constvars are passed after them): its outputs, as Arrays."""
        outs = self.compile()(list(inputs) + self.constvars)
        if debug_checks.on:
            check_special(self.name, outs)
        return [Array(o, a.weak_type) for o, a in zip(outs, self.out_avals, strict=True)]


def _check_no_ref_writes(callee):
    if getattr(callee, "ref_writes", ()):
        raise NotImplementedError(with_source(
            f"{callee.name} writes a Ref it did not make ({callee.ref_writes[0].aval.str_short()}): mirax threads "
            f"writes of outer Refs through jit, calls, grad, jvp, vjp, linearize and lax's control flow, not through "
            f"checkpoint, custom derivative or batching rules; make the Ref inside, or write it outside"))


def _symbol_safe(name):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "fn"


def _location():
    frame = user_frame()
    if frame is None:
        return ir.Location.unknown()
    return ir.Location.file(frame.f_code.co_filename, frame.f_lineno, 0)


# ----------------------------------------------------------------------------- binding ops

# (op, weak_type, params, input avals) -> (executable, output avals): a repeated eager op
# skips type inference and tracing.
_eager_cache = runtime.LRUCache(runtime.MAX_EXECUTABLES)


def bind(op_cls: type[MiraxOp], *args, weak_type=None, **params):
    """Apply a mirax op to Arrays or Tracers: staged into the current trace, or run eagerly.

    The result is weakly typed when `weak_type` says so, by default when every input is.
    """
    in_avals = [x.aval for x in args]
    trace = current_trace()
    if trace is None or (_state.compile_time_eval and not any(isinstance(x, Tracer) for x in args)):
        return _eager(op_cls, args, in_avals, weak_type, params)
    out_avals = _out_avals(op_cls, in_avals, weak_type, params)
    operands = [trace.lift(x) for x in args]
    results = trace.emit(op_cls, operands, out_avals, params)
    if trace.concrete and all(x.concrete is not None for x in operands):
        values_out = _eager(op_cls, [x.concrete for x in operands], in_avals, weak_type, params)
        for result, value in zip(results, values_out, strict=True):
            result.concrete = value
    if trace.on_bind is not None:
        trace.on_bind(op_cls, operands, results, params)
    return results


def _out_avals(op_cls, in_avals, weak_type, params):
    try:
        out_types = as_tuple(op_cls.infer(*(a.shaped for a in in_avals), **params))
    except TypeError as err:
        shapes = ", ".join(a.str_short() for a in in_avals)
        raise TypeError(with_source(f"{op_cls.OPERATION_NAME.split('.', 1)[1]} of {shapes or 'no operands'}: {err}")) \
            from None
    if weak_type is None:
        weak_type = bool(in_avals) and all(a.weak_type for a in in_avals)
    return [Aval(t.shape, t.dtype, weak_type) for t in out_types]


def zeros(aval):
    """Zeros of `aval`, weakly typed if it is: the value of a symbolic zero tangent or
    cotangent (custom derivative rules receive and may return those)."""
    zero = Array(np.zeros((), aval.dtype), aval.weak_type)
    if not aval.shape:
        return zero
    (out,) = bind(BroadcastInDimOp, zero, shape=aval.shape, broadcast_dimensions=())
    return out


def clear_caches():
    """Forget every compiled program: the eager ops' and the runtime's."""
    _eager_cache.clear()
    _plans.clear()
    runtime.clear_caches()


# Eager ops compile in two tiers. An op at a new shape is compiled by LLVM at -O0, in
# about a third of -O2's time (the latency row's 12 ops at a new n: 583 -> 250 ms of
# CPU), and its code runs slower (a 64x64 tanh: 7 us of its 22): once it has been
# called on TIER_UP_ELEMENTS elements in all (calls times its largest operand or
# result), the slower runs have cost about what -O2's compile does and it is compiled
# again at -O2, as jit's code is. Ops whose work grows faster than their operands
# (contractions, factorizations: a 64x64 matmul ran ten times slower) and ops that
# large from the start go to -O2 at once.
TIER_UP_ELEMENTS = 1 << 20


class _EagerOp:
    """An op's executable for one signature, compiled again at -O2 once its -O0 code has
    run on TIER_UP_ELEMENTS elements (`elements` per call; None: -O2 from the start)."""

    __slots__ = ("out_avals", "executable", "_addressed", "_trace", "_elements", "_budget")

    def __init__(self, trace, out_avals, elements):
        # the results' avals as Array() would make them of the NumPy buffers
        self.out_avals = [Aval(tuple(int(n) for n in a.shape), np.dtype(a.dtype), a.weak_type) for a in out_avals]
        self._use(trace.compile(opt_level=2 if elements is None else 0))
        self._trace = None if elements is None else trace  # (to compile it again)
        self._elements, self._budget = elements, TIER_UP_ELEMENTS

    def _use(self, executable):
        self.executable = executable
        # the CPU's executables also give their outputs' addresses, which the results keep
        self._addressed = executable.call_addressed if type(executable).__call__ is runtime.Executable.__call__ \
            else None

    def __call__(self, args):
        """The results (Arrays) of the op on `args`."""
        if self._trace is not None:
            self._budget -= self._elements
            if self._budget <= 0:
                self._use(self._trace.compile(opt_level=2))
                self._trace = None
        results = []
        if self._addressed is not None:
            values, pointers = self._addressed(args)
            for value, aval, pointer in zip(values, self.out_avals, pointers):  # (a loop: cheaper than a comprehension)
                results.append(_array(value, aval, pointer))
        else:
            for value, aval in zip(self.executable(args), self.out_avals):
                results.append(_array(value, aval, None))
        return results


def _eager(op_cls, args, in_avals, weak_type, params):
    for x in args:
        if isinstance(x, Tracer):  # a tracer outside its trace
            Trace([]).lift(x)
    key = (op_cls, weak_type, _hashable(params), tuple(in_avals))
    op = _eager_cache.get(key)
    if op is None:
        out_avals = _out_avals(op_cls, in_avals, weak_type, params)
        with Trace([Aval(a.shape, a.dtype) for a in in_avals]) as trace:
            outs = trace.emit(op_cls, trace.invars, out_avals, params)
        trace.finish(outs)
        elements = max([1] + [int(np.prod(a.shape, dtype=np.int64)) for a in in_avals + out_avals])
        tiered = not op_cls.superlinear and elements < TIER_UP_ELEMENTS
        op = _eager_cache[key] = _EagerOp(trace, out_avals, elements if tiered else None)
    results = op(args)
    if debug_checks.on:
        check_special(op_cls.OPERATION_NAME.split(".", 1)[1], [r._value for r in results])
    if _recordings and _recording.steps is not None:
        _recording.steps.append((op, args, results))
    return results


def _array(value, aval, pointer):
    """An Array of `value` (a fresh NumPy buffer, at address `pointer` where known) whose
    aval, `aval`, is known: Array() without building the aval again."""
    array = _new_array(Array)
    array._value = value
    array._pointer = pointer
    array.weak_type = aval.weak_type
    array.aval = aval
    return array


_new_array = object.__new__


def _hashable(params):
    if not params:  # most elementwise ops': sorting nothing costs half a microsecond
        return ()
    return tuple(sorted((k, v.tobytes() + str(v.dtype).encode() + str(v.shape).encode()
                         if isinstance(v, np.ndarray) else v) for k, v in params.items()))


# ----------------------------------------------------------------------------- replayed eager calls

# A jax.numpy function that JAX runs under jit depends only on its arguments' avals,
# its static arguments and the dtype configuration: called outside traces, it binds
# the same eager ops each time, on its Array arguments, constants it makes (a Python
# scalar converted, a mean's count) and those ops' results. Functions marked with
# `replayed` record the eager ops of a first call of a signature (the arguments' avals,
# the Python scalars' types and values, static arguments) as a plan, and a later call
# of that signature runs the plan's ops (their _EagerOps) on its Arrays: no checking,
# promotion, broadcasting or op lookup again (a 64x64 jnp.tanh at -O2: 8.3 -> 3.9 us
# of CPU). Calls that cannot be keyed (NumPy or Tracer arguments, lists...), calls
# while a trace is open or jax_debug_nans/infs may be on, and calls during a recording
# run the function. Only functions whose every array they bind an op on is an
# argument, a result of one of their ops or a scalar constant of their own should be
# marked: a plan is kept only where the recorded call's are.


class _Recording(threading.local):
    steps = None  # while a replayed function's first call runs in this thread: [(op, args, results)]


_recording = _Recording()
_recordings = 0  # threads recording now, all together: while none, _eager looks no further
_recordings_lock = threading.Lock()
# (function, signature) -> _Plan; the oldest go first past MAX_PLANS (a plan holds its ops'
# executables)
_plans = {}
MAX_PLANS = 512
_PLAN_CONFIG = ("jax_enable_x64", "jax_numpy_dtype_promotion", "jax_platform_name")


class _PlanState:
    usable = True  # False while a thread has its own setting of a _PLAN_CONFIG option
    epoch = 0  # changes with each of their values: a plan recorded across a change is not kept


_plan_state = _PlanState()


def _plan_config_changed():
    _plans.clear()
    _plan_state.epoch += 1
    _plan_state.usable = not any(config.may_differ(name, config.read(name)) for name in _PLAN_CONFIG)


for _name in _PLAN_CONFIG:
    config.listen(_name, _plan_config_changed)


class _Plan:
    """The eager ops of a recorded call: `steps` (op, indices of its operands among the
    values) run in order, each appending its results to the values, which start as the
    call's Arrays, then `constants`; the call's result is values[result]."""

    __slots__ = ("steps", "constants", "result", "single")

    def __init__(self, steps, constants, result, single):
        self.steps, self.constants, self.result = steps, constants, result
        self.single = single  # the one op of a plan binding one op on the call's Arrays, in order, giving its result

    def run(self, arrays):
        op = self.single
        if op is not None:
            return op(arrays)[0]
        values = arrays + self.constants
        for op, operands in self.steps:
            args = []
            for i in operands:
                args.append(values[i])
            values += op(args)
        return values[self.result]


def _make_plan(arrays, steps, result):
    """The plan of a call on `arrays` that bound `steps` (op, args, results) and returned
    `result`; None where the call did anything else (returned no array it got or made,
    or bound an op on an array that is none of those nor a scalar constant it made)."""
    where = {id(x): (0, i) for i, x in enumerate(arrays)}  # id -> (0 argument, 1 constant, 2 result; its number)
    if len(where) != len(arrays):  # one array twice: its uses cannot be told apart
        return None
    buffers = [x._value for x in arrays]
    constants, results, planned = [], 0, []
    for op, args, outs in steps:
        operands = []
        for x in args:
            source = where.get(id(x))
            if source is None:
                # a constant the function made: a scalar with a buffer of its own (not a
                # view of a value, as Array(x._value, weak_type) is)
                if type(x) is not Array or x._value.ndim or any(np.may_share_memory(x._value, b) for b in buffers):
                    return None
                source = where[id(x)] = (1, len(constants))
                constants.append(x)
            operands.append(source)
        planned.append((op, operands))
        for out in outs:
            where[id(out)] = (2, results)
            buffers.append(out._value)
            results += 1
    source = where.get(id(result))
    if source is None or source[0] == 1:
        return None
    offsets = (0, len(arrays), len(arrays) + len(constants))
    steps = tuple((op, tuple(offsets[kind] + i for kind, i in operands)) for op, operands in planned)
    result = offsets[source[0]] + source[1]
    single = None
    if len(steps) == 1 and steps[0][1] == tuple(range(len(arrays))) and result == len(arrays) + len(constants):
        single = steps[0][0]
    return _Plan(steps, constants, result, single)


def replayed(fun):
    """`fun` (a jax.numpy function returning one array, which JAX runs under jit:
    jitted_in_jax) whose calls outside traces replay the eager ops of an earlier call
    of the same signature."""
    checked = jitted_in_jax(fun)

    @functools.wraps(fun)
    def replaying(*args, **kwargs):
        if debug_checks.on or _open_traces or not _plan_state.usable or _recording.steps is not None:
            return checked(*args, **kwargs)
        arrays = []
        key = _signature(fun, args, kwargs, arrays)
        if key is None:
            return fun(*args, **kwargs)
        plan = _plans.get(key)
        if plan is not None:
            return plan.run(arrays)
        return _record(fun, key, args, kwargs, arrays)

    return replaying


def _record(fun, key, args, kwargs, arrays):
    global _recordings
    epoch = _plan_state.epoch
    steps = _recording.steps = []
    with _recordings_lock:
        _recordings += 1
    try:
        result = fun(*args, **kwargs)
    finally:
        _recording.steps = None
        with _recordings_lock:
            _recordings -= 1
    if type(result) is Array and epoch == _plan_state.epoch:
        plan = _make_plan(arrays, steps, result)
        if plan is not None:
            if len(_plans) >= MAX_PLANS:
                try:
                    del _plans[next(iter(_plans))]
                except (KeyError, RuntimeError, StopIteration):  # another thread's meanwhile
                    pass
            _plans[key] = plan
    return result


def _signature(fun, args, kwargs, arrays):
    """The key of a call's plan: `fun`, its arguments' avals, Python scalars' types and
    values and static arguments; the Arrays among them appended to `arrays`. None for
    calls with anything else."""
    key = [fun]
    for x in args:
        kind = type(x)
        if kind is Array:
            arrays.append(x)
            key.append(x.aval)
        elif kind in _SCALAR_TYPES or x is None:
            if not _keyed_by_value(kind, x):
                return None
            key.append((kind, x))
        else:
            return None
    if kwargs:
        for name, x in kwargs.items():
            kind = type(x)
            if kind is Array:
                arrays.append(x)
                key.append((name, x.aval))
            elif kind in _STATIC_TYPES or x is None:
                if not _keyed_by_value(kind, x):
                    return None
                if kind is tuple and not all(type(i) is int for i in x):
                    return None
                key.append((name, kind, x))
            else:
                return None
    return tuple(key)


_SCALAR_TYPES = frozenset([bool, int, float])
_STATIC_TYPES = _SCALAR_TYPES | {str, tuple}
# Python numbers keyed by value: not float zeros (0.0 == -0.0), NaNs or infinities, nor
# beyond float16's range (where converting one warns, which a replay would not).
_SCALAR_KEYED = 65504


def _keyed_by_value(kind, x):
    """Whether `x`, of type `kind`, can stand in a plan's key as it is."""
    if kind is float:
        return x != 0.0 and -_SCALAR_KEYED < x < _SCALAR_KEYED
    return kind is not int or -_SCALAR_KEYED < x < _SCALAR_KEYED


# ----------------------------------------------------------------------------- Python values in


def to_array(x, dtype=None):
    """An Array or Tracer for `x`: Python scalars are weakly typed, NumPy values strong.

    With `dtype`, Python scalars and NumPy values convert to it (canonicalized).
    """
    if isinstance(x, (Array, Tracer)):
        return x
    if isinstance(x, Ref):
        raise TypeError(with_source(f"a Ref ({x.aval.str_short()}) is not an array: read it with ref[...]"))
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        target = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.dtype(x)
        if isinstance(x, int) and not isinstance(x, bool) and dtypes.is_integer(target):
            info = np.iinfo(target)
            if not info.min <= x <= info.max:
                raise OverflowError(with_source(f"Python int {x} too large to convert to {target.name}"))
        return Array(np.asarray(x, dtype=target), weak_type=dtype is None and not isinstance(x, bool))
    if hasattr(x, "__jax_array__"):
        return to_array(x.__jax_array__(), dtype)
    try:
        value = np.asarray(x)
    except Exception:
        value = None
    if value is None or value.dtype == object:
        raise TypeError(with_source(f"Value {x!r} of type {type(x).__name__} is not a valid mirax array type"))
    try:
        dtypes.canonicalize_dtype(value.dtype)
    except TypeError as err:
        raise TypeError(with_source(str(err))) from None
    target = dtypes.canonicalize_dtype(dtype if dtype is not None else value.dtype)
    return Array(np.array(value, dtype=target, order="C"))


def is_array(x):
    return isinstance(x, (Array, Tracer))
