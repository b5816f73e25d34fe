"""Ahead-of-time lowering and compilation (mirax.stages): each program runs with jax
and with mirax, and their results, metadata (args_info, in_tree, out_info) and errors
(class and message) are compared; the programs of JAX's AOT page run unchanged."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from mirax import runtime

BOTH = [(jax, jjnp), (mirax, mjnp)]


def both(program):
    return program(jax, jjnp), program(mirax, mjnp)


def assert_same(expected, got):
    e_leaves, e_tree = jax.tree_util.tree_flatten(expected)
    g_leaves, g_tree = mirax.tree_util.tree_flatten(got)
    assert str(e_tree) == str(g_tree)
    for e, g in zip(e_leaves, g_leaves, strict=True):
        assert np.asarray(g).dtype == np.asarray(e).dtype, (e, g)
        assert getattr(g, "weak_type", False) == getattr(e, "weak_type", False), (e, g)
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-6)


def error_of(program, lib, np_):
    with pytest.raises(Exception) as info:
        program(lib, np_)
    return type(info.value), str(info.value)


def f(x, y):
    return 2 * x + y


# ----------------------------------------------------------------------------- JAX's AOT page


def test_aot_page_lower_compile_call():
    def program(lib, np_):
        compiled = lib.jit(f).lower(3, 4).compile()
        i32 = lib.ShapeDtypeStruct((), np_.dtype("int32"))
        return (compiled(3, 4), lib.jit(f).lower(i32, i32).compile()(3, 4),
                lib.jit(f, static_argnums=0).lower(7, 8).compile()(5),
                lib.jit(f, static_argnums=0).lower(10, i32).compile()(5))
    assert_same(*both(program))


@pytest.mark.parametrize("args", [(np.arange(3, dtype=np.int32),) * 2, (np.float32(72.0),) * 2,
                                  (np.arange(3, dtype=np.int32), 4)], ids=["shape", "dtype", "one"])
def test_aot_page_mismatched_types(args):
    def program(lib, np_):
        i32 = lib.ShapeDtypeStruct((), np_.dtype("int32"))
        lib.jit(f).lower(i32, i32).compile()(*args)
    expected = error_of(program, jax, jjnp)
    assert expected[0] is TypeError and error_of(program, mirax, mjnp) == expected


def test_aot_page_compiled_functions_cannot_be_transformed():
    def program(lib, transform):
        g_aot = lib.jit(lambda x: x @ np.ones(2, np.float32)).lower(np.ones((3, 2), np.float32)).compile()
        transform(lib, g_aot)(np.ones((4, 3, 2), np.float32))
    prefix = ("Cannot apply JAX transformations to a function lowered and compiled for a particular signature. "
              "Detected argument of Tracer type")
    for transform in (lambda lib, g: lib.vmap(g), lambda lib, g: lib.jit(lib.vmap(g)),
                      lambda lib, g: lib.grad(lambda x: g(x).sum())):
        for lib in (jax, mirax):
            with pytest.raises(TypeError, match=prefix):
                program(lib, transform)


def test_aot_page_cost_analysis_is_none_where_unavailable():
    compiled = mirax.jit(f).lower(3, 4).compile()
    assert compiled.cost_analysis() is None and compiled.memory_analysis() is None
    assert mirax.jit(f).lower(3, 4).cost_analysis() is None


# ----------------------------------------------------------------------------- stages' metadata

def g(x, y):
    return x * 2 + y, {"a": x}


CASES = [  # (function, jit's static_argnums, arguments, keyword arguments)
    (g, (), (1.0, np.ones(3, np.float32)), {}),
    (lambda p, n, *, z: p["a"] * n + z, (1,), ({"a": np.ones(2, np.float32), "b": (1.0, 2)}, 3), {"z": 1.0}),
    (lambda *a, **kw: a[0] + kw["k"], (), (np.ones(2, np.float32), (1.0, 2)), {"k": np.int32(1)}),
    (lambda x: x.sum(0), (), (np.ones((2, 3), np.float32),), {}),
]


@pytest.mark.parametrize("fun, static, args, kwargs", CASES)
def test_stages_metadata_and_call(fun, static, args, kwargs):
    def program(lib, np_):
        traced = lib.jit(fun, static_argnums=static).trace(*args, **kwargs)
        lowered = traced.lower()
        compiled = lowered.compile()
        dynamic = tuple(a for i, a in enumerate(args) if i not in static)
        meta = [repr(stage.args_info) for stage in (traced, lowered, compiled)]
        meta += [str(stage.in_tree) + str(stage.out_tree) for stage in (traced, lowered, compiled)]
        meta += [repr(traced.out_info), repr(traced.in_avals), repr(traced.out_avals), repr(lowered.out_info),
                 repr(jax.tree.map(lambda s: (s.shape, s.dtype), compiled.out_info)), traced.fun_name]
        # JAX's Traced evaluates its jaxpr (an input returned is returned as it is): compare values only
        traced_out = lib.tree.map(np.asarray, traced(*dynamic, **kwargs))
        return meta, compiled(*dynamic, **kwargs), traced_out
    (jax_meta, jax_out, jax_traced), (mirax_meta, mirax_out, mirax_traced) = both(program)
    assert mirax_meta == jax_meta
    assert_same(jax_out, mirax_out)
    jax.tree.map(np.testing.assert_allclose, mirax_traced, jax_traced)


@pytest.mark.parametrize("fun, static, args, kwargs", CASES)
def test_shape_dtype_structs_stand_for_arguments(fun, static, args, kwargs):
    def program(lib, np_):
        structs = lib.tree.map(lambda x: lib.ShapeDtypeStruct(np.shape(x), np.asarray(x).dtype),
                               tuple(a if i not in static else None for i, a in enumerate(args)))
        structs = tuple(a if i in static else s for i, (a, s) in enumerate(zip(args, structs)))
        compiled = lib.jit(fun, static_argnums=static).lower(*structs, **kwargs).compile()
        return compiled(*(a for i, a in enumerate(args) if i not in static), **kwargs)
    assert_same(*both(program))


CALLS = [  # (lowered for, called with): each call mismatches in types or structure
    (((1.0, np.ones(3, np.float32)), {}), ((1.0, np.ones(4, np.float32)), {})),
    (((1.0, np.ones(3, np.float32)), {}), ((1, np.ones(3, np.int32)), {})),
    (((1.0, np.ones(3, np.float32)), {}), (((1.0,), np.ones(3, np.float32)), {})),
    (((1.0, np.ones(3, np.float32)), {}), ((1.0,), {})),
    (((1.0, np.ones(3, np.float32)), {}), ((1.0,), {"y": np.ones(3, np.float32)})),
    (((1.0, {"a": 1.0, "b": 2.0}), {}), ((1.0, {"a": 1.0}), {})),
    (((1.0, [1.0, 2.0]), {}), ((1.0, (1.0, 2.0)), {})),
    (((np.ones(6, np.int32).reshape(2, 3), np.zeros(6, np.float32)), {}),
     ((np.ones(6, np.int32), np.zeros((2, 3), np.int16)), {})),
]


@pytest.mark.parametrize("lowered_for, called_with", CALLS)
def test_mismatched_calls_raise_jax_errors(lowered_for, called_with):
    def program(lib, np_):
        compiled = lib.jit(lambda x, y: (x, y)).lower(*lowered_for[0], **lowered_for[1]).compile()
        compiled(*called_with[0], **called_with[1])
    expected = error_of(program, jax, jjnp)
    assert expected[0] is TypeError and error_of(program, mirax, mjnp) == expected


def test_first_five_mismatches_named_by_pytree_paths():
    def program(lib, np_):
        lowered = lib.jit(lambda p, **kw: p).lower({"a": [np.ones(2, np.float32)] * 4}, k=np.ones(1, np.float32))
        lowered.compile()({"a": [np.ones(3, np.float32)] * 4}, k=np.ones(2, np.float32))
    expected = error_of(program, jax, jjnp)
    assert "The first 5 of 5" in expected[1] and error_of(program, mirax, mjnp) == expected


def test_compiled_inputs_may_be_numpy_and_python_values():
    def program(lib, np_):
        compiled = lib.jit(g).lower(1.0, np_.ones(3)).compile()
        return compiled(np.float32(2.0), np.arange(3, dtype=np.float32)), compiled(3.0, np.ones(3))
    assert_same(*both(program))


def test_compile_compiles_once_and_calls_reuse_it():
    x = np.arange(5, dtype=np.float32)
    lowered = mirax.jit(lambda x: mjnp.sin(x) * 3.0 - 0.25).lower(x)
    before = runtime.stats["compiles"]
    compiled = lowered.compile()
    assert runtime.stats["compiles"] == before + 1
    for _ in range(3):
        np.testing.assert_allclose(compiled(x), np.sin(x) * 3.0 - 0.25, rtol=1e-6)
    assert runtime.stats["compiles"] == before + 1


def test_as_text_stages_and_wrapped_protocol():
    lowered = mirax.jit(lambda x: mjnp.exp(x)).lower(np.ones(3, np.float32))
    assert "mirax.exp" in lowered.as_text() and "linalg.generic" in lowered.as_text("linalg")
    assert lowered.as_text("llvm") == lowered.compile().as_text()
    assert str(lowered.compiler_ir("mirax")) == lowered.as_text("mirax")
    with pytest.raises(ValueError, match="unknown stage 'stablehlo' for the cpu backend"):
        lowered.as_text("stablehlo")
    assert isinstance(mirax.jit(f), mirax.stages.Wrapped) and isinstance(jax.jit(f), jax.stages.Wrapped)
    assert not isinstance(f, mirax.stages.Wrapped)
    assert not callable(lowered)
    assert [n for n in dir(jax.stages) if not n.startswith("_")] == [n for n in mirax.stages.__all__]


def test_unsupported_options_are_refused():
    lowered = mirax.jit(f).lower(1, 2)
    with pytest.raises(NotImplementedError, match="compiler_options"):
        lowered.compile({"xla_cpu_enable_fast_math": True})
    with pytest.raises(NotImplementedError, match="debug_info"):
        lowered.as_text(debug_info=True)
    with pytest.raises(NotImplementedError, match="lowering_platforms"):
        mirax.jit(f).trace(1, 2).lower(lowering_platforms=("cuda",))


def test_jaxpr_of_traced_matches_make_jaxpr():
    fun = lambda x: mjnp.sin(x) * 2.0  # noqa: E731
    x = np.ones(3, np.float32)
    assert str(mirax.jit(fun).trace(x).jaxpr) == str(mirax.make_jaxpr(fun)(x))
