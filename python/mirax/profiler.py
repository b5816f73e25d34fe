"""jax.profiler: a trace of what mirax compiles and runs, as Chrome trace events.

`trace(log_dir)` (or `start_trace`/`stop_trace`) records a span for every program
mirax compiles ("compile <name>": tracing is done, lowering to machine code is the
span), every compiled call ("<name>": a jitted function, a transformation run now,
or an eager op such as "mirax.add", whose first call compiles it), and every
`TraceAnnotation`, `StepTraceAnnotation` or `annotate_function` span, each on the
thread that ran it. `stop_trace` writes them as trace-event JSON to
`log_dir/plugins/profile/<run>/<host>.trace.json.gz`, where TensorBoard's profile
plugin looks (JAX writes XSpace protobufs there), and with
`create_perfetto_trace=True` to `perfetto_trace.json.gz` beside it, which
ui.perfetto.dev and chrome://tracing open. mirax runs synchronously, so a span is the
call's whole time. The hooks are installed only while a trace runs (wrapping
core's and api's compile and call paths), so that calls cost nothing more otherwise.

`device_memory_profile` is a pprof profile (gzipped profile.proto, as JAX's) of the live
Arrays: one sample per Array (its count and bytes), whose single location names its type,
mirax recording no allocation sites (JAX's samples carry the Python stack that made
each buffer). The profiler server (TensorBoard's remote capture) needs XLA's profiler;
start_server and stop_server raise NotImplementedError."""
import contextlib
import datetime
import functools
import gzip
import json
import os
import pathlib
import socket
import threading
import time

from mirax import api, core, runtime
from mirax._arrays import live_arrays
from mirax.errors import shaped_str
from mirax.version import __version__

__all__ = ["StepTraceAnnotation", "TraceAnnotation", "annotate_function", "device_memory_profile",
           "save_device_memory_profile", "start_server", "start_trace", "stop_server", "stop_trace", "trace"]


class _Session:
    """The running trace: its directory and the events recorded so far."""

    def __init__(self, log_dir, create_perfetto_trace):
        self.log_dir, self.create_perfetto_trace = str(log_dir), create_perfetto_trace
        self.events = []
        self.start = time.perf_counter()

    def span(self, name, start, end, args=None):
        event = {"name": name, "ph": "X", "pid": os.getpid(), "tid": threading.get_ident(),
                 "ts": (start - self.start) * 1e6, "dur": (end - start) * 1e6}
        if args:
            event["args"] = {k: str(v) for k, v in args.items()}
        self.events.append(event)  # list.append is atomic: threads record concurrently


_lock = threading.Lock()
_session = None
_originals = {}  # (owner, attribute) -> what the hooks replaced


def _timed(name_of):
    """A wrapper of `fn` recording a span named name_of(*args) around each call while a
    trace runs (None: no span)."""
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            session, name = _session, name_of(*args)
            if session is None or name is None:
                return fn(*args, **kwargs)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                session.span(name, start, time.perf_counter())
        return timed
    return wrap


def _compiled(fn):
    """Trace.compile with a span when it compiles (not when the executable is cached)."""
    @functools.wraps(fn)
    def compile_(trace, *args, **kwargs):
        session, compiles, start = _session, runtime.stats["compiles"], time.perf_counter()
        result = fn(trace, *args, **kwargs)
        if session is not None and runtime.stats["compiles"] > compiles:
            session.span(f"compile {trace.name}", start, time.perf_counter())
        return result
    return compile_


_HOOKS = {
    (core.Trace, "compile"): _compiled,
    (core.Trace, "run"): _timed(lambda trace, inputs: trace.name),
    (core, "_eager"): _timed(lambda op_cls, *_: op_cls.OPERATION_NAME),
    # a jitted function's call, when it runs (inside a trace it only emits a call)
    (api.TracedFunction, "call_flat"): _timed(
        lambda traced, args: traced.trace.name if core.current_trace() is None else None),
}


def start_trace(log_dir, create_perfetto_link=False, create_perfetto_trace=False, profiler_options=None):
    """Start recording (see the module's docstring); one trace at a time, as JAX."""
    global _session
    if create_perfetto_link:
        raise NotImplementedError("mirax.profiler does not serve traces to ui.perfetto.dev "
                                  "(create_perfetto_link=True): use create_perfetto_trace=True and open the "
                                  "perfetto_trace.json.gz it writes there")
    if profiler_options is not None:
        raise NotImplementedError("mirax.profiler takes no profiler_options (XLA's ProfileOptions)")
    with _lock:
        if _session is not None:
            raise RuntimeError("Profile has already been started. Only one profile may be run at a time.")
        for (owner, attribute), hook in _HOOKS.items():
            _originals[owner, attribute] = getattr(owner, attribute)
            setattr(owner, attribute, hook(_originals[owner, attribute]))
        _session = _Session(log_dir, create_perfetto_trace)


def stop_trace():
    """Stop recording and write the trace; RuntimeError if none was started, as JAX."""
    global _session
    with _lock:
        session = _session
        if session is None:
            raise RuntimeError("No profile started")
        _session = None
        for (owner, attribute), original in _originals.items():
            setattr(owner, attribute, original)
        _originals.clear()
        run = pathlib.Path(session.log_dir) / "plugins" / "profile" / datetime.datetime.now().strftime(
            "%Y_%m_%d_%H_%M_%S")
        run.mkdir(parents=True, exist_ok=True)
        events = {"displayTimeUnit": "ms", "traceEvents": session.events}
        with gzip.open(run / f"{socket.gethostname()}.trace.json.gz", "wt") as f:
            json.dump({**events, "metadata": {"mirax_version": __version__}}, f)
        if session.create_perfetto_trace:
            with gzip.open(run / "perfetto_trace.json.gz", "wt") as f:
                json.dump(events, f)


@contextlib.contextmanager
def trace(log_dir, create_perfetto_link=False, create_perfetto_trace=False, profiler_options=None):
    """start_trace(...) for the duration of the block, then stop_trace()."""
    start_trace(log_dir, create_perfetto_link, create_perfetto_trace, profiler_options)
    try:
        yield
    finally:
        stop_trace()


class TraceAnnotation:
    """A span named `name` around the block, when a trace runs; keyword arguments are
    the event's args."""

    def __init__(self, name, **kwargs):
        self.name, self.kwargs = name, kwargs

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        session = _session
        if session is not None:
            session.span(self.name, self.start, time.perf_counter(), self.kwargs)


class StepTraceAnnotation(TraceAnnotation):
    """A TraceAnnotation of one step (pass `step_num=...`)."""


def annotate_function(func, name=None, **decorator_kwargs):
    """`func`, each call a TraceAnnotation named after it (or `name`)."""
    name = name or getattr(func, "__qualname__", None) or func.__name__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with TraceAnnotation(name, **decorator_kwargs):
            return func(*args, **kwargs)
    return wrapper


def _no_xla_profiler(what):
    raise NotImplementedError(f"mirax.profiler.{what} needs XLA's profiler, which mirax does not have: "
                              f"mirax.profiler.trace records compile and execute spans instead")


def device_memory_profile(backend=None):
    """The live Arrays on `backend`'s device as a gzipped pprof profile (see above)."""
    strings = {"": 0}

    def string(text):
        return strings.setdefault(text, len(strings))

    types = _message(1, _varint_field(1, string("allocations")), _varint_field(2, string("count"))) + _message(
        1, _varint_field(1, string("space")), _varint_field(2, string("bytes")))
    samples, places, kind = [], {}, (string("kind"), string("buffer"))
    for array in live_arrays(backend):
        place = places.setdefault(f"Array {shaped_str(array.aval)}", len(places) + 1)
        samples.append(_message(2, _packed(1, [place]), _packed(2, [1, array._value.nbytes]),
                                _message(3, _varint_field(1, kind[0]), _varint_field(2, kind[1]))))
    locations = b"".join(_message(4, _varint_field(1, i), _message(4, _varint_field(1, i))) for i in places.values())
    names = b"".join(_message(5, _varint_field(1, i), _varint_field(2, string(name))) for name, i in places.items())
    table = b"".join(_field(6, text.encode()) for text in strings)
    return gzip.compress(types + b"".join(samples) + locations + names + table)


def save_device_memory_profile(filename, backend=None):
    """device_memory_profile(backend), written to `filename`."""
    with open(filename, "wb") as f:
        f.write(device_memory_profile(backend))


# protobuf's wire format, what a pprof profile needs of it
def _varint(value):
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _varint_field(number, value):
    return _varint(number << 3) + _varint(value)


def _field(number, payload):  # length-delimited
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _message(number, *parts):
    return _field(number, b"".join(parts))


def _packed(number, values):
    return _field(number, b"".join(map(_varint, values)))


def start_server(port):
    _no_xla_profiler("start_server (TensorBoard's remote capture)")


def stop_server():
    _no_xla_profiler("stop_server (TensorBoard's remote capture)")
