"""jax's top-level names that a single-process CPU program uses (mirax._config_api,
mirax._transform_extras): each program runs with jax and with mirax, and their
results (values, dtypes, weak types, printing, errors) are compared."""
import threading
import warnings

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

BOTH = [(jax, jjnp), (mirax, mjnp)]


def both(program):
    """program(jax, jax.numpy) and program(mirax, mirax.numpy)."""
    return program(jax, jjnp), program(mirax, mjnp)


def assert_same(expected, got, rtol=1e-6):
    e_leaves, e_tree = jax.tree_util.tree_flatten(expected)
    g_leaves, g_tree = jax.tree_util.tree_flatten(got)
    assert str(e_tree) == str(g_tree)
    for e, g in zip(e_leaves, g_leaves, strict=True):
        if isinstance(e, (jax.Array, np.ndarray)):
            assert np.asarray(g).dtype == np.asarray(e).dtype, (e, g)
            assert getattr(g, "weak_type", False) == getattr(e, "weak_type", False), (e, g)
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=1e-6)
        else:
            assert type(g) is type(e) and g == e, (e, g)


def test_names_exist_with_jax_signatures():
    import inspect
    for name in ["eval_shape", "jacobian", "block_until_ready", "device_get", "devices", "local_devices",
                 "device_count", "local_device_count", "process_index", "process_count", "process_indices",
                 "host_id", "host_count", "host_ids", "disable_jit", "custom_gradient", "closure_convert",
                 "named_call", "named_scope", "typeof", "effects_barrier", "copy_to_host_async",
                 "ensure_compile_time_eval"]:
        assert (list(inspect.signature(getattr(mirax, name)).parameters)
                == list(inspect.signature(getattr(jax, name)).parameters)), name


# ----------------------------------------------------------------------------- eval_shape


def test_eval_shape_of_pytrees_dtypes_and_weak_types():
    def program(jx, jnp):
        return [
            str(jx.eval_shape(lambda x, y: {"s": x + y, "n": None, "i": 1}, np.ones(3, np.int64), 2.0)),
            str(jx.eval_shape(lambda x: x, jx.ShapeDtypeStruct((2,), np.float64))),
            str(jx.eval_shape(lambda x: (x.sum(), x.astype(jnp.int8), x[None] * 2),
                              jx.ShapeDtypeStruct((2, 3), np.float32, weak_type=True))),
            str(jx.eval_shape(lambda a, *, b: [jnp.dot(a, b), a.T], jnp.ones((2, 3)), b=np.ones((3, 4), np.int32))),
        ]

    expected, got = both(program)
    assert got == expected


def test_eval_shape_takes_duck_typed_shapes_runs_nothing_and_returns_shape_dtype_structs():
    class Spec:
        shape, dtype = (4,), np.float32

    calls = []

    def f(x):
        calls.append(1)
        return x * 2

    out = mirax.eval_shape(f, Spec())
    assert isinstance(out, mirax.ShapeDtypeStruct) and str(out) == str(jax.eval_shape(f, Spec()))
    assert len(calls) == 2  # traced once by each


def test_eval_shape_errors():
    for jx in (jax, mirax):
        with pytest.raises(TypeError, match="Expected a callable value, got 1"):
            jx.eval_shape(1, 1.0)
        with pytest.raises(TypeError, match="Error interpreting argument to .* as an abstract array"):
            jx.eval_shape(lambda x: x, "s")
        with pytest.raises(TypeError, match="not a valid JAX type"):
            jx.eval_shape(lambda x: "s", 1.0)


# ----------------------------------------------------------------------------- jacobian, typeof, utilities


def test_jacobian_is_jacrev():
    def program(jx, jnp):
        return (jx.jacobian(lambda x: jnp.sin(x) * x[0])(jnp.arange(3.0)),
                jx.jacobian(lambda x, y: {"p": x * y}, argnums=(0, 1))(2.0, jnp.ones(2)),
                jx.jacobian(lambda x: (x ** 2, x), has_aux=True)(jnp.ones(2)))

    assert_same(*both(program))


def test_typeof_and_float0():
    for x in (np.ones(3, np.float32), 1.0, np.float64(2), np.ones((2, 2), np.int8), True):
        assert repr(mirax.typeof(x)) == repr(jax.typeof(x)) and str(mirax.typeof(x)) == str(jax.typeof(x))
    assert mirax.typeof(mjnp.ones(3)) == mirax.typeof(np.ones(3, np.float32))
    assert mirax.typeof(mjnp.ones(3)).str_short(short_dtypes=True) == jax.typeof(jjnp.ones(3)).str_short(True)
    with pytest.raises(TypeError, match=r"Argument 'a' of type <class 'str'> is not a valid JAX type"):
        mirax.typeof("a")
    assert mirax.float0 == jax.float0 and repr(mirax.float0) == repr(jax.float0)


def test_block_until_ready_device_get_and_barriers():
    tree = [mjnp.ones(2), 3, "s"]
    assert mirax.block_until_ready(tree) is tree and mirax.copy_to_host_async(tree) is tree
    assert mirax.effects_barrier() is None
    expected = jax.device_get({"a": jjnp.ones(2), "b": 1, "c": np.ones(2)})
    got = mirax.device_get({"a": mjnp.ones(2), "b": 1, "c": np.ones(2)})
    assert_same(expected, got)
    assert type(got["a"]) is np.ndarray and not got["a"].flags.writeable


def test_devices_as_a_jax_cpu_run_reports():
    for name in ("device_count", "local_device_count", "process_index", "process_count", "process_indices",
                 "default_backend"):
        assert getattr(mirax, name)() == getattr(jax, name)(), name
    assert repr(mirax.devices()) == repr(jax.devices()) == repr(mirax.local_devices()) == repr(jax.local_devices())
    device = mirax.devices()[0]
    assert isinstance(device, mirax.Device)
    assert (device.platform, device.id, device.device_kind) == (jax.devices()[0].platform, 0, "cpu")
    for jx in (jax, mirax):
        with pytest.raises(ValueError, match="Unknown process_index 1"):
            jx.local_devices(1)
    for name in ("host_id", "host_count", "host_ids"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            expected = getattr(jax, name)()
            got = getattr(mirax, name)()
        assert got == expected and str(caught[0].message) == str(caught[1].message), name


# ----------------------------------------------------------------------------- context managers


def test_enable_x64_switches_dtypes_inside_and_restores_after():
    def program(jx, jnp):
        f = jx.jit(lambda x: x + jnp.arange(3))
        out = [f(jnp.ones(3, jnp.int32)), jx.enable_x64.value]
        with jx.enable_x64():
            out += [jnp.arange(3), jnp.ones(2) * 2, f(jnp.ones(3, jnp.int32)), jx.enable_x64.value]
            with jx.enable_x64(False):
                out += [jnp.arange(3), f(jnp.ones(3, jnp.int32))]
        out += [jnp.arange(3), f(jnp.ones(3, jnp.int32)), jx.enable_x64.value]
        return out

    assert_same(*both(program))


def test_enable_x64_is_a_decorator_and_thread_local():
    @mirax.enable_x64(True)
    def inside():
        seen = []
        thread = threading.Thread(target=lambda: seen.append(mjnp.zeros(1).dtype))
        thread.start()
        thread.join()
        return mjnp.zeros(1).dtype, seen[0]

    assert inside() == (np.float64, np.float32)
    assert mjnp.zeros(1).dtype == np.float32
    with pytest.raises(TypeError, match=r"bool\(\) not supported for instances of type 'State'"):
        bool(mirax.enable_x64)


def test_disable_jit_runs_eagerly_with_side_effects_every_call():
    def program(jx, jnp):
        log = []

        @jx.jit
        def f(x, scale=2):
            try:
                value = np.asarray(x).tolist()
            except TypeError:  # traced
                value = "traced"
            kind = "traced" if value == "traced" else "Array" if isinstance(x, jx.Array) else type(x).__name__
            log.append(("f", kind, value))
            return x * scale

        def body(c, x):
            log.append(("body", float(c), float(x)))
            return c + x, c * x

        with jx.disable_jit():
            out = [f(1), f(jnp.arange(3)), f(jnp.arange(3)), jx.lax.scan(body, 0.0, jnp.arange(3.0)),
                   jx.lax.scan(body, 0.0, jnp.arange(3.0), reverse=True),
                   jx.lax.cond(True, lambda x: (log.append(("true", float(x))), x)[1], lambda x: -x, 1.0),
                   jx.lax.while_loop(lambda c: (log.append(("cond", int(c))), c < 2)[1], lambda c: c + 1, 0),
                   jx.lax.fori_loop(0, 3, lambda i, c: c + i, 0), jx.lax.fori_loop(0, 0, lambda i, c: c + i, 0),
                   jx.lax.map(lambda x: x * 2, jnp.arange(3.0)),
                   jx.vmap(lambda x: jx.lax.while_loop(lambda c: c < x, lambda c: c + 1, 0.0))(jnp.arange(3.0)),
                   jx.grad(lambda x: jx.lax.scan(lambda c, _: (c * x, None), 1.0, None, length=3)[0])(2.0)]
        out.append(f(jnp.arange(3)))  # compiled again: traced once more, with a tracer
        return out, log

    (expected, expected_log), (got, got_log) = both(program)
    assert_same(expected, got)
    assert got_log == expected_log
    for jx in (jax, mirax):
        with jx.disable_jit(), pytest.raises(ValueError, match="zero-length scan is not supported in disable_jit"):
            jx.lax.scan(lambda c, x: (c, x), 0.0, np.zeros(0, np.float32))


def test_ensure_compile_time_eval_gives_concrete_values_under_jit():
    def program(jx, jnp):
        @jx.jit
        def f(x):
            with jx.ensure_compile_time_eval():
                y = jnp.sin(jnp.arange(3.0)).sum()
                n = int(jnp.arange(4).sum())  # concrete: a Python int
            return x * y + n

        return f(1.0)

    assert_same(*both(program))


def test_config_context_managers_accepted_values_and_refusals():
    accepted = [("default_matmul_precision", ("highest",)), ("default_matmul_precision", (None,)),
                ("log_compiles", ()), ("explain_cache_misses", (True,)), ("check_tracer_leaks", ()),
                ("checking_leaks", ()), ("debug_nans", (False,)), ("debug_infs", (False,)), ("debug_nans", ()),
                ("debug_infs", (True,)),
                ("numpy_rank_promotion", ("allow",)), ("numpy_dtype_promotion", ("standard",)),
                ("numpy_dtype_promotion", ("strict",)),
                ("transfer_guard", ("allow",)), ("default_device", ("cpu",)),
                ("default_device", (jax.devices()[0],)), ("threefry_partitionable", (True,))]
    for name, args in accepted:
        mirax_args = tuple(mirax.devices()[0] if isinstance(a, jax.Device) else a for a in args)
        with getattr(mirax, name)(*mirax_args), getattr(jax, name)(*args):
            state = getattr(mirax, name)
            if hasattr(state, "value"):
                expected = getattr(jax, name).value
                expected = getattr(expected, "value", expected)  # numpy_dtype_promotion's enum
                assert state.value == (mirax_args[0] if name == "default_device" else expected), name
            assert mjnp.dot(mjnp.ones((2, 2)), mjnp.ones(2)).tolist() == [2.0, 2.0]
    refused = [("numpy_rank_promotion", ("raise",)),
               ("numpy_rank_promotion", ("warn",)),
               ("transfer_guard", ("disallow",)), ("transfer_guard_host_to_device", ("log",))]
    for name, args in refused:
        with pytest.raises(NotImplementedError, match=name if name != "transfer_guard" else "transfer_guard"):
            with getattr(mirax, name)(*args):
                pass
    for jx in (jax, mirax):  # JAX's parse errors
        with pytest.raises(ValueError, match=r"new enum value must be in \['allow', 'warn', 'raise'\]"):
            jx.numpy_rank_promotion("bogus")
        with pytest.raises(ValueError, match="new enum value must be None or in"):
            jx.default_matmul_precision("bogus")
        with pytest.raises(TypeError, match="requires an argument representing the new value"):
            jx.default_matmul_precision()
        with pytest.raises(ValueError, match="jax.default_device must be passed either a Device object"):
            jx.default_device(3)
    assert mirax.default_matmul_precision.value is None and mirax.debug_nans.value is False


# ----------------------------------------------------------------------------- custom_gradient, closure_convert


def test_custom_gradient_values_and_grads():
    def program(jx, jnp):
        @jx.custom_gradient
        def f(x):
            return x ** 2, lambda g: (g * 10 * x,)

        @jx.custom_gradient
        def h(x, y):
            z = x * y
            return z, lambda g: (g * y * 2, g * jnp.sin(x) * 3)

        @jx.custom_gradient
        def clip(x):
            return x, lambda g: jnp.clip(g, -1, 1)  # one argument: the cotangent alone

        return (f(3.0), jx.grad(f)(3.0), jx.jit(jx.grad(f))(3.0), jx.grad(lambda x: f(jnp.sin(x)))(1.0),
                jx.grad(h, argnums=(0, 1))(2.0, 5.0), jx.vmap(jx.grad(h))(jnp.arange(3.0), jnp.ones(3)),
                jx.grad(lambda x: 5 * clip(x))(2.0), jx.grad(jx.grad(lambda x: f(x) * x))(2.0),
                jx.value_and_grad(lambda v: jnp.sum(h(v, v * 2)))(jnp.arange(3.0)))

    assert_same(*both(program), rtol=1e-5)


def test_closure_convert_hoists_traced_values():
    def program(jx, jnp):
        def outer(c):
            def fn(x):
                return jnp.sin(x * c) + jnp.ones(2)

            converted, hoisted = jx.closure_convert(fn, 1.0)
            return converted(2.0, *hoisted), len(hoisted)

        return (outer(3.0), jx.grad(lambda c: outer(c)[0].sum())(3.0), jx.jit(lambda c: outer(c)[0])(3.0))

    assert_same(*both(program))
    converted, _ = mirax.closure_convert(lambda x: x, (1.0, 2.0))
    with pytest.raises(TypeError, match="must have the same Pytree structure as the example arguments"):
        converted(1.0)


def test_named_call_and_named_scope():
    def program(jx, jnp):
        double = jx.named_call(lambda x: x * 2, name="double")
        with jx.named_scope("outer"):
            return double(3.0), jx.jit(jx.named_call(jnp.sin))(1.0), double.__name__

    assert_same(*both(program))
    with pytest.raises(TypeError, match="named_scope name argument must be a string."):
        with mirax.named_scope(3):
            pass
