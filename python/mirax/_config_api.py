"""jax's top-level configuration context managers and device queries.

The context managers are JAX's `State` objects: `mirax.enable_x64(True)` is a context
manager (and a decorator) that sets its option for the current thread only, restoring
it on exit; `mirax.enable_x64.value` reads it. `enable_x64` and `disable_jit` are
mirax.config's `jax_enable_x64` and `jax_disable_jit` (the x64 flag is part of jit's
cache key, as in JAX). Under `disable_jit()`, `jit(f)(*args)` is `f(*args)` and
lax's scans, while loops and conds run as Python loops and branches, as in JAX: each
operation runs eagerly on concrete values, and Python side effects happen every call.

Options that change only what JAX logs or how fast it runs are accepted and change
nothing in mirax:

- `log_compiles`, `explain_cache_misses`: mirax logs no compilations;
- `default_matmul_precision`: mirax's CPU matmuls compute in their dtype's full
  precision at every setting, as XLA's CPU backend does;
- `check_tracer_leaks` (`checking_leaks()`): mirax raises UnexpectedTracerError when a
  leaked tracer is used, at every setting; a leak that is never used is not reported;
- `named_scope`/`named_call` (mirax._transform_extras): mirax keeps no name stack;
- `enable_checks`: mirax verifies every program it compiles at every setting;
- `softmax_custom_jvp`: mirax's softmax has its custom_jvp rule at every setting;
- `thread_guard`: it guards multi-process operations, and mirax runs in one process;
- `jax2tf_associative_scan_reductions` (only jax2tf reads it) and
  `remove_size_one_mesh_axis_from_type` (mirax's types have no mesh axes).

Options whose other values mirax cannot honour raise NotImplementedError when set to
them: `numpy_rank_promotion` other than 'allow', the transfer guards other than 'allow',
and `default_device` of a platform other than the default one; `default_prng_impl` other
than 'threefry2x32', `legacy_prng_key` other than 'allow', `array_garbage_collection_guard`
other than 'allow', `debug_key_reuse`, `enable_custom_prng` and `no_execution` set, and
`allow_f16_reductions` unset. `no_tracing` is JAX's: a jit-compiled function that must
trace raises RuntimeError.

`debug_nans`/`debug_infs` are JAX's (core.check_special): an eager op or an eager
transformation whose output has a NaN (an inf) raises FloatingPointError naming it; a
jitted function's reruns de-optimized to find the op, as JAX's.

The devices: one CPU per process (or the GPU, where it is the default platform); one
process, index 0, unless mirax.distributed.initialize found several under mpiexec.
"""
import contextlib
import functools
import threading
import warnings

from mirax import platforms
from mirax.config import UNSET, config

__all__ = [
    "check_tracer_leaks", "checking_leaks", "debug_infs", "debug_nans", "default_device", "default_matmul_precision",
    "device_count", "disable_jit", "enable_x64", "explain_cache_misses", "host_count", "host_id", "host_ids",
    "local_device_count", "local_devices", "log_compiles", "numpy_dtype_promotion", "numpy_rank_promotion",
    "process_count", "process_index", "process_indices", "threefry_partitionable", "transfer_guard", "transfer_guard_device_to_device",
    "transfer_guard_device_to_host", "transfer_guard_host_to_device",
    "allow_f16_reductions", "array_garbage_collection_guard", "debug_key_reuse", "default_prng_impl", "enable_checks",
    "enable_custom_prng", "jax2tf_associative_scan_reductions", "legacy_prng_key", "no_execution", "no_tracing",
    "remove_size_one_mesh_axis_from_type", "softmax_custom_jvp", "thread_guard", "make_user_context",
]


class _NoDefault:
    def __repr__(self):
        return "<jax._src.config.NoDefault object>"


_NO_DEFAULT = _NoDefault()


class _LocalFlags(threading.local):
    def __init__(self):
        self.values = {}


_GLOBAL = {}  # the values of the options mirax.config does not hold


def _in_config(name):
    try:
        config.read(name)
    except KeyError:
        return False
    return True
_LOCAL = _LocalFlags()


class State:
    """A configuration option as JAX's: calling it with a value gives a context manager
    setting it in this thread; `.value` reads it."""

    def __init__(self, name, default, help, parser, default_context_manager_value=_NO_DEFAULT, check=None):
        self._name = name
        self.__name__ = name[4:] if name.startswith("jax_") else name
        self.__doc__ = f"Context manager for `{name}` config option.\n\n{help}"
        self._parser, self._check = parser, check
        self._default_context_manager_value = default_context_manager_value
        self._in_config = _in_config(name)  # mirax.config holds it: the compiler reads it there
        if not self._in_config:
            _GLOBAL[name] = default

    @property
    def name(self):
        return self._name

    @property
    def value(self):
        if self._in_config:
            return config.read(self._name)
        return _LOCAL.values.get(self._name, _GLOBAL[self._name])

    def __bool__(self):
        raise TypeError(f"bool() not supported for instances of type '{type(self).__name__}' "
                        f"(did you mean to use '{type(self).__name__}.value' instead?)")

    def __call__(self, new_val=_NO_DEFAULT):
        return StateContextManager(self, new_val)

    def _swap_local(self, value):
        if self._in_config:
            return config.swap_local(self._name, value)
        previous = _LOCAL.values.get(self._name, UNSET)
        _LOCAL.values[self._name] = value
        return previous

    def _set_local(self, value):
        if self._in_config:
            config.set_local(self._name, value)
        elif value is UNSET:
            _LOCAL.values.pop(self._name, None)
        else:
            _LOCAL.values[self._name] = value


class StateContextManager:
    """`with state(value):` sets the option in this thread; also a decorator."""

    __slots__ = ("state", "new_val", "prev")

    def __init__(self, state, new_val):
        self.state = state
        if new_val is _NO_DEFAULT:
            if state._default_context_manager_value is _NO_DEFAULT:
                raise TypeError(f"Context manager for {state.__name__} config option requires an argument "
                                f"representing the new value for the config option.")
            new_val = state._default_context_manager_value
        self.new_val = state._parser(new_val)
        if state._check is not None:
            state._check(self.new_val)

    def __enter__(self):
        self.prev = self.state._swap_local(self.new_val)

    def __exit__(self, exc_type, exc_value, traceback):
        self.state._set_local(self.prev)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with StateContextManager(self.state, self.new_val):
                return func(*args, **kwargs)

        return wrapper


def _bool_state(name, default, help, check=None):
    return State(name, default, help, bool, default_context_manager_value=True, check=check)


def _enum_parser(values, optional):
    def parser(new_val):
        if (new_val is not None or not optional) and (type(new_val) is not str or new_val not in values):
            what = "None or in" if optional else "in"
            raise ValueError(f"new enum value must be {what} {values}, got {new_val} of type {type(new_val)}.")
        return new_val

    return parser


def _refuse(option, honoured, why):
    def check(value):
        if value not in honoured:
            raise NotImplementedError(f"mirax does not support {option}={value!r}: {why}")

    return check


enable_x64 = _bool_state("jax_enable_x64", False, "Enable 64-bit types to be used")
threefry_partitionable = _bool_state(
    "jax_threefry_partitionable", True, "Enables internal threefry PRNG implementation changes that render it "
    "automatically partitionable in some cases.")
_disable_jit = _bool_state("jax_disable_jit", False, "Disable JIT compilation and just call original Python.")


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """Run jit-compiled functions, and lax's loops and conds, as plain Python in this
    dynamic context, as jax.disable_jit: each operation runs eagerly."""
    with _disable_jit(disable):
        yield


log_compiles = _bool_state(
    "jax_log_compiles", False, "Log a message each time `jit` or `pmap` compiles an XLA computation. (mirax logs "
    "nothing: accepted for JAX's programs.)")
explain_cache_misses = _bool_state(
    "jax_explain_cache_misses", False, "Each time there is a miss on one of the main caches (e.g. the tracing "
    "cache), log an explanation. (mirax logs nothing: accepted for JAX's programs.)")
check_tracer_leaks = _bool_state(
    "jax_check_tracer_leaks", False, "Turn on checking for leaked tracers as soon as a trace completes. (mirax "
    "raises UnexpectedTracerError when a leaked tracer is used, whatever the setting.)")


def checking_leaks():
    """check_tracer_leaks(True), as jax.checking_leaks."""
    return check_tracer_leaks(True)


debug_nans = _bool_state("jax_debug_nans", False, "Add nan checks to every operation.")
debug_infs = _bool_state("jax_debug_infs", False, "Add inf checks to every operation.")

_PRECISIONS = ["default", "high", "highest", "bfloat16", "tensorfloat32", "float32", "ANY_F8_ANY_F8_F32",
               "ANY_F8_ANY_F8_F32_FAST_ACCUM", "ANY_F8_ANY_F8_ANY", "ANY_F8_ANY_F8_ANY_FAST_ACCUM", "F16_F16_F16",
               "F16_F16_F32", "BF16_BF16_BF16", "BF16_BF16_F32", "BF16_BF16_F32_X3", "BF16_BF16_F32_X6",
               "BF16_BF16_F32_X9", "TF32_TF32_F32", "TF32_TF32_F32_X3", "F32_F32_F32", "F64_F64_F64"]
default_matmul_precision = State(
    "jax_default_matmul_precision", None, "Control the default matmul and conv precision for 32bit inputs. (mirax's "
    "CPU matmuls are exact in their dtype at every setting, as XLA's CPU backend.)",
    _enum_parser(_PRECISIONS, optional=True))
numpy_rank_promotion = State(
    "jax_numpy_rank_promotion", "allow", "Control NumPy-style automatic rank promotion broadcasting. (mirax allows "
    "it only: 'warn' and 'raise' raise NotImplementedError.)", _enum_parser(["allow", "warn", "raise"], False),
    check=_refuse("jax_numpy_rank_promotion", ("allow",), "mirax always broadcasts ranks as NumPy does"))


def _dtype_promotion(new_val):
    if new_val not in ("standard", "strict"):
        raise ValueError(f"{new_val!r} is not a valid NumpyDtypePromotion")
    return new_val


numpy_dtype_promotion = State(
    "jax_numpy_dtype_promotion", "standard", "Specify the rules used for implicit type promotion in operations "
    "between arrays.", _dtype_promotion)


def _device_parser(new_val):
    if new_val is None or isinstance(new_val, (str, platforms.Device)):
        return new_val
    raise ValueError(f"jax.default_device must be passed either a Device object (e.g. `jax.devices('cpu')[0]`) or "
                     f"a platform name string like 'cpu' or 'gpu', got: {new_val}")


def _check_device(new_val):
    if new_val is None:
        return
    name = new_val if isinstance(new_val, str) else new_val.platform
    if platforms.platform(name) != platforms.configured_platform():
        raise NotImplementedError(f"mirax does not support jax_default_device={new_val!r}: computations run on the "
                                  f"default platform ({platforms.configured_platform()!r}); set jax_platform_name "
                                  f"or pass jit(..., backend=...) instead")


default_device = State(
    "jax_default_device", None, "Configure the default device for JAX operations. (mirax has one device per "
    "platform: the default platform's is the only one accepted.)", _device_parser, check=_check_device)

_GUARD_LEVELS = ["allow", "log", "disallow", "log_explicit", "disallow_explicit"]


def _guard(name, help):
    return State(name, None, help + " (mirax does not guard transfers: only 'allow' is accepted.)",
                 _enum_parser(_GUARD_LEVELS, optional=True),
                 check=_refuse(name, (None, "allow"), "mirax does not guard transfers"))


transfer_guard_host_to_device = _guard("jax_transfer_guard_host_to_device",
                                       "Select the transfer guard level for host-to-device transfers.")
transfer_guard_device_to_device = _guard("jax_transfer_guard_device_to_device",
                                         "Select the transfer guard level for device-to-device transfers.")
transfer_guard_device_to_host = _guard("jax_transfer_guard_device_to_host",
                                       "Select the transfer guard level for device-to-host transfers.")
_transfer_guard = _guard("jax_transfer_guard", "Select the transfer guard level for all transfers.")


@contextlib.contextmanager
def transfer_guard(new_val: str):
    """All four transfer guards set to `new_val` in this dynamic context, as jax.transfer_guard."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(transfer_guard_host_to_device(new_val))
        stack.enter_context(transfer_guard_device_to_device(new_val))
        stack.enter_context(transfer_guard_device_to_host(new_val))
        stack.enter_context(_transfer_guard(new_val))
        yield


# ----------------------------------------------------------------------------- options mirax honours in part

enable_checks = _bool_state(
    "jax_enable_checks", False, "Turn on invariant checking for JAX internals. Makes things slower. (mirax verifies "
    "every program it compiles at every setting.)")
debug_key_reuse = _bool_state(
    "jax_debug_key_reuse", False, "Turn on experimental key reuse checking. (mirax does not check key reuse: True "
    "raises NotImplementedError.)",
    check=_refuse("jax_debug_key_reuse", (False,), "mirax does not check PRNG key reuse"))
default_prng_impl = State(
    "jax_default_prng_impl", "threefry2x32", "Select the default PRNG implementation, used when one is not "
    "explicitly provided at seeding time. (mirax has threefry2x32 only.)",
    _enum_parser(["threefry2x32", "threefry4x32", "rbg", "unsafe_rbg", "philox2x32", "philox4x32"], False),
    check=_refuse("jax_default_prng_impl", ("threefry2x32",), "mirax's PRNG is threefry2x32"))


def _legacy_prng_key(new_val):
    if not isinstance(new_val, str):
        raise TypeError(f"new enum value must be an instance of <enum 'LegacyPrngKeyState'>, got {new_val} of type "
                        f"{type(new_val)}.")
    if new_val not in ("allow", "warn", "error"):
        raise ValueError(f"{new_val!r} is not a valid LegacyPrngKeyState")
    return new_val


legacy_prng_key = State(
    "jax_legacy_prng_key", "allow", "Specify the behavior when raw PRNG keys are passed to jax.random APIs. (mirax "
    "allows them: 'warn' and 'error' raise NotImplementedError.)", _legacy_prng_key,
    check=_refuse("jax_legacy_prng_key", ("allow",), "mirax accepts raw PRNG keys"))
enable_custom_prng = _bool_state(
    "jax_enable_custom_prng", False, "Enables an internal upgrade that allows one to define custom pseudo-random "
    "number generator implementations. (mirax has none: True raises NotImplementedError.)",
    check=_refuse("jax_enable_custom_prng", (False,), "mirax has no custom PRNG implementations"))
softmax_custom_jvp = _bool_state(
    "jax_softmax_custom_jvp", False, "Use a new custom_jvp rule for jax.nn.softmax. (mirax's softmax has its "
    "custom_jvp rule at every setting: its derivatives are the same function either way.)")
no_tracing = _bool_state("jax_no_tracing", False, "Disallow tracing for JIT compilation.")
no_execution = _bool_state(
    "jax_no_execution", False, "Disallow JAX executions. (mirax does not check it: True raises "
    "NotImplementedError.)", check=_refuse("jax_no_execution", (False,), "mirax does not guard executions"))
thread_guard = _bool_state(
    "jax_thread_guard", False, "If True, an error will be raised at runtime if a multi-process JAX operation is "
    "called from a thread other than the one in which the thread guard was set. (mirax runs in one process: no "
    "operation is multi-process.)")
array_garbage_collection_guard = State(
    "jax_array_garbage_collection_guard", None, "Select garbage collection guard level for ``jax.Array`` objects. "
    "(mirax does not guard it: only 'allow' is accepted.)", _enum_parser(["allow", "log", "fatal"], optional=True),
    check=_refuse("jax_array_garbage_collection_guard", (None, "allow"),
                  "mirax does not watch arrays freed by the garbage collector"))
jax2tf_associative_scan_reductions = _bool_state(
    "jax2tf_associative_scan_reductions", False, "JAX has two separate lowering rules for the cumulative reduction "
    "primitives; only jax2tf reads this option, and mirax has no jax2tf.")
remove_size_one_mesh_axis_from_type = _bool_state(
    "jax_remove_size_one_mesh_axis_from_type", False, "Removes mesh axes of size 1 from ShapedArray.sharding and "
    "vma. (mirax's types carry no mesh axes.)")
allow_f16_reductions = _bool_state(
    "jax_allow_f16_reductions", True, "If False, `reduce_sum` on `f16` or `bf16` inputs will raise an error. "
    "(mirax reduces them: False raises NotImplementedError.)",
    check=_refuse("jax_allow_f16_reductions", (True,), "mirax always reduces float16 and bfloat16"))


# ----------------------------------------------------------------------------- user contexts

USER_CONTEXTS = []  # every make_user_context's, whose values key jit's caches


class UserConfig:
    """A value of the user's that jit's caches are keyed by, as JAX's make_user_context:
    `with context(value):` sets it in this thread."""

    def __init__(self, default_value):
        self._state = State(f"user_context_{len(USER_CONTEXTS)}", default_value, "A user context.", lambda v: v)
        USER_CONTEXTS.append(self)

    @property
    def value(self):
        return self._state.value

    def get_global(self):
        return _GLOBAL[self._state.name]

    def set_global(self, new_value):
        _GLOBAL[self._state.name] = new_value

    def __call__(self, new_value):
        return StateContextManager(self._state, new_value)


def make_user_context(default_value=None):
    """A context whose value jit-compiled functions are traced and compiled for: when it
    changes, they trace again, as jax.make_user_context."""
    return UserConfig(default_value)


def user_context_values():
    """The user contexts' values, for jit's cache key (nothing where there are none)."""
    return tuple(context.value for context in USER_CONTEXTS) if USER_CONTEXTS else ()


# ----------------------------------------------------------------------------- devices of one process


def device_count(backend=None):
    """The number of devices of `backend` (default: the default backend's), of every process."""
    return len(platforms.devices(backend))


def local_device_count(backend=None):
    """The number of this process's devices."""
    return len(platforms.local_devices(backend))


def process_index(backend=None):
    """This process's index (0 unless mirax.distributed.initialize says otherwise)."""
    platforms.devices(backend)  # an unknown or missing backend fails as in devices()
    return platforms.processes()[0]


def process_count(backend=None):
    """The number of processes (1 unless mirax.distributed.initialize says otherwise)."""
    platforms.devices(backend)
    return platforms.processes()[1]


def process_indices(backend=None):
    return list(range(process_count(backend)))


def local_devices(process_index=None, backend=None, host_id=None):
    """The devices of process `process_index` (default: this one, the only one)."""
    if host_id is not None:
        warnings.warn("The argument to jax.local_devices has been renamed from `host_id` to `process_index`. This "
                      "alias will eventually be removed; please update your code.", stacklevel=2)
        process_index = host_id
    if process_index is None:
        return platforms.local_devices(backend)
    if not 0 <= process_index < process_count(backend):
        raise ValueError(f"Unknown process_index {process_index}")
    return [d for d in platforms.devices(backend) if d.process_index == process_index]


def host_id(backend=None):
    warnings.warn("jax.process_index has been renamed to jax.process_index. This alias will eventually be removed; "
                  "please update your code.", stacklevel=2)
    return process_index(backend)


def host_count(backend=None):
    warnings.warn("jax.process_count has been renamed to jax.process_count. This alias will eventually be removed; "
                  "please update your code.", stacklevel=2)
    return process_count(backend)


def host_ids(backend=None):
    warnings.warn("jax.process_indexs has been renamed to jax.process_indices. This alias will eventually be "
                  "removed; please update your code.", stacklevel=2)
    return process_indices(backend)
