"""jax's smaller top-level names (issue 18): the configuration options, version and
print_environment_info, live_arrays, make_array_from_*, dlpack and typing, each
compared with JAX's behaviour (values, dtypes, errors)."""
import importlib.metadata

import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

# ----------------------------------------------------------------------------- configuration options

# name -> (values accepted and honoured, values refused with NotImplementedError)
OPTIONS = {
    "enable_checks": ([True, False], []),
    "debug_key_reuse": ([False], [True]),
    "default_prng_impl": (["threefry2x32"], ["rbg", "philox4x32"]),
    "legacy_prng_key": (["allow"], ["warn", "error"]),
    "enable_custom_prng": ([False], [True]),
    "softmax_custom_jvp": ([True, False], []),
    "no_tracing": ([True, False], []),
    "no_execution": ([False], [True]),
    "thread_guard": ([True, False], []),
    "array_garbage_collection_guard": ([None, "allow"], ["log", "fatal"]),
    "jax2tf_associative_scan_reductions": ([True, False], []),
    "remove_size_one_mesh_axis_from_type": ([True, False], []),
    "allow_f16_reductions": ([True], [False]),
}


@pytest.mark.parametrize("name", OPTIONS)
def test_option_defaults_names_and_accepted_values(name):
    mine, theirs = getattr(mirax, name), getattr(jax, name)
    assert mine.value == theirs.value and mine.name == theirs.name
    for value in OPTIONS[name][0]:
        with mine(value), theirs(value):
            assert mine.value == theirs.value == value
        assert mine.value == theirs.value
    decorated = mine(OPTIONS[name][0][-1])(lambda: mine.value)
    assert decorated() == OPTIONS[name][0][-1]


@pytest.mark.parametrize("name", OPTIONS)
def test_option_refusals_and_invalid_values(name):
    mine, theirs = getattr(mirax, name), getattr(jax, name)
    for value in OPTIONS[name][1]:
        with pytest.raises(NotImplementedError, match=f"mirax does not support {mine.name}={value!r}"):
            mine(value)
    for bad in ("bogus", None) if not isinstance(theirs.value, bool) else ():
        try:
            theirs(bad)
        except Exception as want:  # noqa: BLE001 (JAX's class and message, whatever they are)
            with pytest.raises(type(want), match=str(want).replace("[", r"\[").replace("(", r"\(")):
                mine(bad)
        else:
            assert mine(bad).new_val == bad
    if isinstance(theirs.value, bool):  # a bool option's context manager sets True by default
        assert theirs().new_val is True
        if True in OPTIONS[name][0]:
            assert mine().new_val is True
        else:
            with pytest.raises(NotImplementedError):
                mine()
    else:
        for lib in (jax, mirax):
            with pytest.raises(TypeError, match="requires an argument"):
                getattr(lib, name)()


def test_no_tracing_refuses_to_trace_as_jax():
    errors = []
    for lib in (jax, mirax):
        f = lib.jit(lambda x: x + 1)  # the same source line in both
        f(1.0)
        with lib.no_tracing():
            assert float(f(2.0)) == 3.0  # traced already
            with pytest.raises(RuntimeError) as info:
                f(np.ones(2, np.float32))
        errors.append(str(info.value))
        assert f(np.ones(2, np.float32)).shape == (2,)
    assert errors[1] == errors[0] and "'no_tracing' is set" in errors[0]


# ----------------------------------------------------------------------------- version and environment


def test_version():
    assert mirax.__version__ == mirax.version.__version__ == importlib.metadata.version("mirax")
    assert mirax.__version_info__ == tuple(int(p) for p in mirax.__version__.split(".")[:3])
    assert isinstance(jax.__version__, str) and isinstance(jax.__version_info__, tuple)


def test_print_environment_info(capsys, monkeypatch):
    monkeypatch.setenv("MIRAX_PLATFORM", "cpu")
    info = mirax.print_environment_info(return_string=True)
    lines = info.splitlines()
    assert lines[0] == f"mirax:  {mirax.__version__}" and lines[2] == f"numpy:  {np.__version__}"
    assert lines[1].startswith("MLIR:   ") and "MIRAX_PLATFORM=cpu" in lines
    jax_lines = jax.print_environment_info(return_string=True).splitlines()
    for key in ("python:", "process_count:", "platform:"):
        assert [x for x in lines if x.startswith(key)] == [x for x in jax_lines if x.startswith(key)]
    assert [x for x in lines if x.startswith("device info:")][0] == "device info: cpu-1, 1 local devices"
    assert mirax.print_environment_info() is None
    assert capsys.readouterr().out == info + "\n"


# ----------------------------------------------------------------------------- arrays


def test_live_arrays():
    for lib, np_ in ((jax, jjnp), (mirax, mjnp)):
        x = np_.arange(5.0) * 2
        y = np_.ones(3)
        live = lib.live_arrays()
        assert type(live) is list and any(a is x for a in live) and any(a is y for a in live)
        ident = id(y)
        del y, live
        assert not any(id(a) == ident for a in lib.live_arrays())
        assert any(a is x for a in lib.live_arrays("cpu"))


class OneDevice:
    """A sharding placing a whole array on mirax's device (mirax has no Sharding classes yet)."""
    device_set = frozenset(mirax.devices()[:1])


class TwoDevices:
    device_set = frozenset(["a", "b"])


@pytest.mark.parametrize("data", [np.arange(6.0).reshape(2, 3), np.arange(4, dtype=np.int64),
                                  np.array(True), np.ones((2, 1, 2), np.float16)], ids=str)
def test_make_array_from(data):
    single = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    indices = []
    cases = [
        (lambda lib, s: lib.make_array_from_callback(data.shape, s, lambda i: indices.append(i) or data[i])),
        (lambda lib, s: lib.make_array_from_single_device_arrays(data.shape, s, [lib.numpy.asarray(data)])),
        (lambda lib, s: lib.make_array_from_process_local_data(s, data)),
        (lambda lib, s: lib.make_array_from_process_local_data(s, data, data.shape)),
    ]
    for make in cases:
        want, got = make(jax, single), make(mirax, OneDevice())
        assert (got.dtype, got.shape, got.weak_type) == (want.dtype, want.shape, want.weak_type)
        np.testing.assert_array_equal(got, want)
        with pytest.raises(NotImplementedError, match="a sharding over 2 devices is not supported"):
            make(mirax, TwoDevices())
    assert indices[0] == indices[1] == (slice(None),) * data.ndim


def test_make_array_shape_mismatch():
    single = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    for lib, sharding in ((jax, single), (mirax, OneDevice())):
        with pytest.raises(ValueError, match=r"Expected shard shape \(2, 3\) doesn't match the single device array "
                                             r"shape \(3, 3\)"):
            lib.make_array_from_callback((2, 3), sharding, lambda i: np.ones((3, 3)))


# ----------------------------------------------------------------------------- dlpack and typing

DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32, np.float16, ml_dtypes.bfloat16, np.float32,
          np.float64, np.complex64, np.complex128, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_from_dlpack(dtype):
    source = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    assert mirax.dlpack.is_supported_dtype(dtype) == jax.dlpack.is_supported_dtype(dtype)
    if dtype == ml_dtypes.bfloat16:  # NumPy's DLPack has no bfloat16
        for lib in (jax, mirax):
            with pytest.raises(BufferError, match="DLPack only supports signed/unsigned integers, float and complex"):
                lib.dlpack.from_dlpack(source)
        return
    want, got = jax.dlpack.from_dlpack(source), mirax.dlpack.from_dlpack(source)
    assert (got.dtype, got.shape, got.weak_type) == (want.dtype, want.shape, want.weak_type)
    np.testing.assert_array_equal(got, want)
    source[0, 0] = 1  # mirax copies (JAX's may alias the source): later writes to the source do not show
    assert got[0, 0] == 0
    assert mirax.numpy.from_dlpack is mirax.dlpack.from_dlpack  # one function serves both names


def test_dlpack_exchange_and_errors():
    x = mjnp.arange(6.0).reshape(2, 3) + 1
    np.testing.assert_array_equal(np.from_dlpack(x), np.asarray(x))
    np.testing.assert_array_equal(jax.dlpack.from_dlpack(x), np.asarray(x))  # mirax to JAX
    assert x.__dlpack_device__() == jjnp.ones(1).__dlpack_device__()
    np.testing.assert_array_equal(mirax.dlpack.from_dlpack(jjnp.arange(3)), np.arange(3))  # JAX to mirax
    for bad in ([1, 2], 3.0):
        with pytest.raises(TypeError) as want:
            jax.dlpack.from_dlpack(bad)
        with pytest.raises(TypeError, match=str(want.value)):
            mirax.dlpack.from_dlpack(bad)
    for dtype in ("float8_e4m3fn", "int4", "str", "object"):
        assert mirax.dlpack.is_supported_dtype(dtype) == jax.dlpack.is_supported_dtype(dtype)
    for lib in (jax, mirax):
        with pytest.raises(TypeError, match="Expected a string or dtype-like object; got dtype=None"):
            lib.dlpack.is_supported_dtype(None)
    with pytest.raises(NotImplementedError, match="copy=False"):
        mirax.dlpack.from_dlpack(np.ones(2), copy=False)


def test_typing():
    assert sorted(n for n in dir(mirax.typing) if n[0] != "_" and n in dir(jax.typing)) == ["ArrayLike", "DTypeLike"]
    values = [np.ones(2), np.float32(1), np.bool_(True), 1, 2.5, True, 1j, [1, 2], (1,), "a", None, np.dtype("f4")]
    for value in values:
        assert isinstance(value, mirax.typing.ArrayLike) == isinstance(value, jax.typing.ArrayLike), value
    assert isinstance(mjnp.ones(2), mirax.typing.ArrayLike) and isinstance(jjnp.ones(2), jax.typing.ArrayLike)
    seen = []
    mirax.jit(lambda x: seen.append(isinstance(x, mirax.typing.ArrayLike)) or x)(1.0)
    mirax.vmap(lambda x: seen.append(isinstance(x, mirax.typing.ArrayLike)) or x)(np.ones(2))
    assert seen == [True, True]


# ----------------------------------------------------------------------------- fwd_and_bwd

FWD_BWD = [  # (the function, of a numpy module; argnums, has_aux, arguments)
    (lambda np_: lambda x, W: np_.tanh(x @ W), 1, False,
     (np.ones((2, 3), np.float32), np.full((3, 2), 0.5, np.float32))),
    (lambda np_: lambda x, W: (x * W).sum(), (0, 1), False, (np.arange(3.0, dtype=np.float32), np.ones(3, np.float32))),
    (lambda np_: lambda x, n: (x ** 2 * n, {"aux": x + 1}), (0,), True, (np.float32(3.0), np.float32(2.0))),
]


@pytest.mark.parametrize("jitted", [True, False])
@pytest.mark.parametrize("fun, argnums, has_aux, args", FWD_BWD)
def test_fwd_and_bwd(fun, argnums, has_aux, args, jitted):
    def run(lib, np_):
        traces = []

        def f(*a):
            traces.append(1)
            return fun(np_)(*a)
        fwd, bwd = lib.fwd_and_bwd(f, argnums, has_aux=has_aux, jitted=jitted)
        results = []
        for scale in (1.0, 2.0):
            out = fwd(*(np.asarray(a) * np.float32(scale) for a in args))
            cotangent = lib.tree.map(np_.ones_like, out[0])
            results.append((out[0], out[2] if has_aux else None, bwd(out[1], cotangent)))
        return results, len(traces)
    (want, jax_traces), (got, mirax_traces) = run(jax, jjnp), run(mirax, mjnp)
    assert mirax_traces == jax_traces == (1 if jitted else 2)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert (np.asarray(g).dtype, np.shape(g)) == (np.asarray(w).dtype, np.shape(w))
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-7)


def test_fwd_and_bwd_compiles_once_and_errors():
    from mirax import runtime
    fwd, bwd = mirax.fwd_and_bwd(lambda x, W: mjnp.sin(x @ W), argnums=(0, 1))
    x = np.ones((2, 2), np.float32)
    bwd(fwd(x, x)[1], x)
    before = runtime.stats["compiles"]
    for _ in range(3):
        bwd(fwd(x, x + 1)[1], x)
    assert runtime.stats["compiles"] == before
    for lib in (jax, mirax):
        with pytest.raises(ValueError, match=r"but got value 3 for len\(args\) == 1"):
            lib.fwd_and_bwd(lambda x: x, argnums=3)[0](1.0)
        with pytest.raises(TypeError, match="'float' object is not iterable"):
            lib.fwd_and_bwd(lambda x: x, argnums=1.5)


# ----------------------------------------------------------------------------- monitoring


def test_monitoring_dispatches_recorded_events_as_jax():
    heard = {}
    for lib in (jax, mirax):
        calls = heard[lib] = []
        listeners = [
            (lib.monitoring.register_event_listener, lib.monitoring.unregister_event_listener,
             lambda event, **kw: calls.append(("event", event, kw))),
            (lib.monitoring.register_event_duration_secs_listener, lib.monitoring.unregister_event_duration_listener,
             lambda event, duration, **kw: calls.append(("duration", event, duration, kw))),
            (lib.monitoring.register_event_time_span_listener, lib.monitoring.unregister_event_time_span_listener,
             lambda event, start, end, **kw: calls.append(("span", event, start, end, kw))),
            (lib.monitoring.register_scalar_listener, lib.monitoring.unregister_scalar_listener,
             lambda event, value, **kw: calls.append(("scalar", event, value, kw))),
        ]
        for register, _, listener in listeners:
            register(listener)
        lib.monitoring.record_event("/test/event", run=1)
        lib.monitoring.record_event_duration_secs("/test/duration", 0.5, kind="a")
        lib.monitoring.record_event_time_span("/test/span", 1.0, 2.5)
        lib.monitoring.record_scalar("/test/scalar", 7, unit="s")
        for _, unregister, listener in listeners:
            unregister(listener)
            with pytest.raises(AssertionError):
                unregister(listener)
        lib.monitoring.record_event("/test/unheard")
    assert heard[mirax] == [c for c in heard[jax] if c[1].startswith("/test/")]
    assert len(heard[mirax]) == 4
    mirax.monitoring.register_event_listener(print)
    mirax.monitoring.clear_event_listeners()
    with pytest.raises(AssertionError):
        mirax.monitoring.unregister_event_listener(print)
    assert sorted(n for n in dir(jax.monitoring) if not n.startswith("_")) == sorted(mirax.monitoring.__all__)


def test_make_user_context_keys_jit_caches_as_jax():
    counts = {}
    for lib in (jax, mirax):
        traces = counts[lib] = []
        f = lib.jit(lambda x: traces.append(context.value) or x * 2)
        context = lib.make_user_context(default_value=None)
        f(1.0)
        f(1.0)
        with context(1):
            assert context.value == 1
            f(1.0)
        with context(2):
            f(1.0)
            f(1.0)
        with context(1):
            f(1.0)
        assert context.value is None and context.get_global() is None
        context.set_global("g")
        assert context.value == "g"
        f(1.0)
        context.set_global(None)
    assert counts[mirax] == counts[jax] == [None, 1, 2, "g"]


def test_signatures_as_jax():
    import inspect
    for name in ["print_environment_info", "live_arrays", "make_array_from_callback", "make_user_context",
                 "make_array_from_single_device_arrays", "make_array_from_process_local_data", "fwd_and_bwd"]:
        assert (list(inspect.signature(getattr(mirax, name)).parameters)
                == list(inspect.signature(getattr(jax, name)).parameters)), name
    for module, names in ((mirax.ops, mirax.ops.__all__), (mirax.monitoring, mirax.monitoring.__all__),
                          (mirax.dlpack, mirax.dlpack.__all__), (mirax.image, mirax.image.__all__)):
        theirs = getattr(jax, module.__name__.split(".")[1])
        for name in names:
            if inspect.isfunction(getattr(module, name)):
                assert (list(inspect.signature(getattr(module, name)).parameters)
                        == list(inspect.signature(getattr(theirs, name)).parameters)), name
