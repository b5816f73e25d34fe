"""The tracing core, jit and its caches, make_jaxpr, Array printing and promotion,
checked against JAX."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import runtime


def test_jit_runs_and_matches_numpy():
    f = mirax.jit(lambda x, y: jnp.tanh(x) * 2.0 + y)
    x = np.linspace(-2, 2, 7, dtype=np.float32)
    np.testing.assert_allclose(f(x, 1.5), np.tanh(x) * 2 + 1.5, rtol=1e-6)


def test_jit_second_call_compiles_nothing():
    f = mirax.jit(lambda x: jnp.exp(x) - 1.0)
    x = jnp.array([1.0, 2.0, 3.0])
    y = x + 1  # same avals, different values
    f(x)
    before = runtime.stats["compiles"]
    for _ in range(3):
        f(x)
    f(y)
    assert runtime.stats["compiles"] == before


def test_jit_retraces_for_new_shapes_and_dtypes():
    traces = []

    def f(x):
        traces.append(x.shape)
        return x * 2

    g = mirax.jit(f)
    g(jnp.ones(3))
    g(jnp.ones(3))
    g(jnp.ones(4))
    g(jnp.ones(4, dtype=jnp.int32))
    assert traces == [(3,), (4,), (4,)]


def test_identical_programs_share_one_compile():
    x = jnp.ones(5)
    mirax.jit(lambda x: jnp.sin(x) * 3.0)(x)
    before = runtime.stats["compiles"]
    mirax.jit(lambda y: jnp.sin(y) * 3.0)(x)  # another function, the same program
    assert runtime.stats["compiles"] == before


def test_eager_ops_compile_again_optimized_once_used(monkeypatch):
    """An eager op's first code is LLVM's -O0, compiled again at -O2 once it has run on
    TIER_UP_ELEMENTS elements in all, and only then; a matmul starts at -O2."""
    from mirax import core  # noqa: PLC0415

    monkeypatch.setattr(core, "TIER_UP_ELEMENTS", 3 * 17)  # three calls on 17 elements
    levels = []
    compile_ = core.Trace.compile

    def recorded(trace, backend=None, opt_level=2):
        if "mirax.cos" in trace.text or "mirax.dot_general" in trace.text:
            levels.append(opt_level)
        return compile_(trace, backend, opt_level)

    monkeypatch.setattr(core.Trace, "compile", recorded)
    mirax.clear_caches()
    x = jnp.asarray(np.linspace(-3, 3, 17, dtype=np.float32))
    for _ in range(5):
        np.testing.assert_allclose(jnp.cos(x), np.cos(np.asarray(x)), rtol=1e-6)
    assert levels == [0, 2]
    levels.clear()
    jnp.ones((3, 5)) @ jnp.ones((5, 2))
    assert levels == [2]


def test_eager_matches_compiled():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)

    def f(x):
        return jnp.log1p(jnp.exp(jnp.sin(x) * 2.0)) / (1.0 + jnp.abs(x))

    np.testing.assert_array_equal(np.asarray(f(jnp.asarray(x))), np.asarray(mirax.jit(f)(x)))


def test_static_argnums_and_argnames():
    def f(x, n, *, mode):
        return x * n if mode == "mul" else x + n

    g = mirax.jit(f, static_argnums=1, static_argnames="mode")
    assert float(g(jnp.array(2.0), 3, mode="mul")) == 6.0
    assert float(g(jnp.array(2.0), 3, mode="add")) == 5.0


def test_pytrees_in_and_out():
    @mirax.jit
    def f(params, xs):
        return {"sum": params["w"] * xs[0] + params["b"], "pair": (xs[1], xs[0])}

    out = f({"w": jnp.array(2.0), "b": jnp.array(1.0)}, [jnp.array(3.0), jnp.array(4.0)])
    assert float(out["sum"]) == 7.0
    assert [float(v) for v in out["pair"]] == [4.0, 3.0]


def test_closed_over_array_becomes_an_argument():
    big = jnp.arange(6.0)
    f = mirax.jit(lambda x: x * big)
    np.testing.assert_array_equal(f(jnp.ones(6)), np.arange(6.0))
    assert "mirax.constant" not in f.lower(jnp.ones(6)).as_text("mirax")


def test_nested_jit_calls():
    inner = mirax.jit(lambda x: jnp.sin(x) + 1.0)
    outer = mirax.jit(lambda x: inner(x) * inner(x * 2.0))
    x = np.array([0.5, 1.0], np.float32)
    np.testing.assert_allclose(outer(x), (np.sin(x) + 1) * (np.sin(2 * x) + 1), rtol=1e-6)
    assert "call @" in outer.lower(x).as_text("mirax")


def test_lower_shows_every_stage():
    lowered = mirax.jit(lambda x: jnp.exp(x) * 2.0).lower(jnp.ones(3))
    assert "mirax.exp" in lowered.as_text("mirax")
    assert "linalg.generic" in lowered.as_text("linalg")
    assert "llvm.func" in lowered.as_text("llvm")
    with pytest.raises(ValueError, match="unknown stage"):
        lowered.as_text("ptx")


@pytest.mark.parametrize(
    "fn, args",
    [
        (lambda x: jnp.exp(x), (1.0,)),
        (lambda x: jnp.sin(x) * 2, (1.0,)),
        (lambda x, y: jnp.tanh(x) + x * y, (np.ones(3, np.float32), np.ones(3, np.float32))),
    ],
)
def test_make_jaxpr_matches_jax_notation(fn, args):
    """Where mirax's program is JAX's (no implicit scalar broadcasting), the text is too."""
    mine = str(mirax.make_jaxpr(fn)(*args))
    jax_fn = lambda *a: fn.__code__ and eval_with(jjnp, fn, *a)  # noqa: E731
    theirs = str(jax.make_jaxpr(jax_fn)(*args))
    assert mine == theirs


def test_make_jaxpr_of_a_transformed_function_shows_the_derived_program():
    """The seed's make_jaxpr(grad(log1pexp))(100.): the derivative's exp, add, div, mul
    (JAX also prints the primal's unused log; mirax's simplification drops it)."""
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    assert str(mirax.make_jaxpr(mirax.grad(log1pexp))(100.)) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = exp a\n"
        "    c:f32[] = add 1.0:f32[] b\n"
        "    d:f32[] = div 1.0:f32[] c\n"
        "    e:f32[] = mul d b\n"
        "  in (e,) }")


def eval_with(module, fn, *args):
    """Run `fn` with `jnp` bound to another numpy module (JAX's, for the oracle)."""
    import types

    g = dict(fn.__globals__, jnp=module)
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)(*args)


@pytest.mark.parametrize(
    "make",
    [
        lambda np_: np_.array(1.0),
        lambda np_: np_.array([1, 2]),
        lambda np_: np_.array(2.0) * 1,
        lambda np_: np_.zeros((2, 0)),
        lambda np_: np_.array([[1.5, 2], [3, 4]]),
        lambda np_: np_.array([True, False]),
        lambda np_: np_.array([1.0, 2.0]) + 1,
        lambda np_: np_.array(3, dtype=np_.uint8),
        lambda np_: np_.array([1 + 2j, 3j]),
    ],
)
def test_repr_and_str_match_jax(make):
    assert repr(make(jnp)) == repr(make(jjnp))
    assert str(make(jnp)) == str(make(jjnp))


PROMOTION_CASES = [
    lambda np_: np_.array([1, 2], np_.int8) + 1,
    lambda np_: np_.array([1, 2], np_.int8) + 1.5,
    lambda np_: np_.array([1.0], np_.float16) * 2,
    lambda np_: np_.array([1, 2], np_.uint8) + np_.array([1], np_.int8),
    lambda np_: np_.array([1.0], np_.bfloat16) + np_.array([1.0], np_.float16),
    lambda np_: np_.array([True]) + np_.array([True]),
    lambda np_: np_.array([1, 2]) / 2,
    lambda np_: np_.array([1, 2], np_.int32) // 2,
    lambda np_: 2.0 ** np_.array([1, 2]),
    lambda np_: np_.array([1.0]) + 1j,
    lambda np_: -np_.array(3),
    lambda np_: np_.array([1, 2]) < 1.5,
]


@pytest.mark.parametrize("case", PROMOTION_CASES)
def test_dtypes_and_weak_types_match_jax(case):
    mine, theirs = case(jnp), case(jjnp)
    assert mine.dtype == theirs.dtype
    assert mine.weak_type == theirs.weak_type
    np.testing.assert_allclose(np.asarray(mine, np.complex128), np.asarray(theirs, np.complex128), rtol=1e-6)


def test_x64_flag_enables_64_bit_types():
    assert jnp.array(1.0).dtype == np.float32
    mirax.config.update("jax_enable_x64", True)
    try:
        assert jnp.array(1.0).dtype == np.float64
        assert (jnp.ones(2, jnp.int64) + 1).dtype == np.int64
    finally:
        mirax.config.update("jax_enable_x64", False)
    assert jnp.ones(2, jnp.int64).dtype == np.int32


# ----------------------------------------------------------------------------- bad input


def test_binary_shape_mismatch_names_shapes_and_line():
    with pytest.raises(TypeError) as err:
        jnp.add(jnp.ones(3), jnp.ones(4))
    message = str(err.value)
    assert "(3,)" in message and "(4,)" in message and "test_core.py" in message


def test_shape_mismatch_under_jit_names_line():
    f = mirax.jit(lambda x, y: x * y)
    with pytest.raises(TypeError, match=r"\(2, 3\), \(3, 2\)[\s\S]*test_core.py"):
        f(jnp.ones((2, 3)), jnp.ones((3, 2)))


def test_unsupported_dtype_names_itself():
    with pytest.raises(TypeError, match="float128|longdouble"):
        jnp.array(np.ones(2, np.longdouble))
    with pytest.raises(TypeError, match="<U1"):
        jnp.array(np.array(["a"]))


def test_function_returning_non_array():
    with pytest.raises(TypeError, match="not a valid JAX type"):
        mirax.jit(lambda x: "hello")(1.0)


def test_non_array_argument():
    with pytest.raises(TypeError, match="not a valid JAX type"):
        mirax.jit(lambda x: x)("hello")


def test_branch_on_traced_value_under_jit():
    def f(x):
        if x > 0:  # needs a concrete value
            return x
        return -x

    with pytest.raises(mirax.ConcretizationTypeError, match="test_core.py"):
        mirax.jit(f)(1.0)


def test_escaped_tracer():
    leaked = []
    mirax.jit(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(mirax.UnexpectedTracerError, match="unexpected tracer"):
        jnp.sin(leaked[0])


@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose_allclose_array_equal_match_jax(equal_nan):
    a = np.array([1.0, np.inf, np.nan, -np.inf, 1e-9, 2.0, 0.0], np.float32)
    b = np.array([1.0 + 1e-6, np.inf, np.nan, np.inf, 0.0, 2.1, -0.0], np.float32)
    np.testing.assert_array_equal(jnp.isclose(a, b, equal_nan=equal_nan), jjnp.isclose(a, b, equal_nan=equal_nan))
    np.testing.assert_array_equal(jnp.isclose(a, b, rtol=0.1), jjnp.isclose(a, b, rtol=0.1))
    assert bool(jnp.allclose(a[:2], b[:2])) == bool(jjnp.allclose(a[:2], b[:2]))
    assert bool(jnp.array_equal(a, a, equal_nan=equal_nan)) == bool(jjnp.array_equal(a, a, equal_nan=equal_nan))
    np.testing.assert_array_equal(jnp.isclose(np.arange(3), 1), jjnp.isclose(np.arange(3), 1))


def test_one_value_returned_twice():
    """Each result gets its own buffer, also where CSE merges two equal computations."""
    x = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    y = jnp.sin(x)
    outs = mirax.jit(lambda x: (jnp.sin(x), jnp.sin(x), x, x, y))(x)
    for out, want in zip(outs, (np.sin(x), np.sin(x), x, x, np.sin(x)), strict=True):
        np.testing.assert_allclose(out, want, rtol=1e-6)


def test_tracing_and_compiling_import_nothing(monkeypatch):
    """Building and verifying mirax ops finds every module it asks for in sys.modules:
    the bindings' lookup of a Python module for the mirax dialect (mirax.mlir answers
    it) used to fail, and was retried, stat-ing the file system, for every op."""
    import importlib._bootstrap as bootstrap

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    mirax.jit(lambda a: a * 2.0)(x)  # modules imported on first use
    looked_up = []
    find_and_load = bootstrap._find_and_load
    with monkeypatch.context() as patch:
        patch.setattr(bootstrap, "_find_and_load", lambda name, *rest: looked_up.append(name)
                      or find_and_load(name, *rest))
        got = np.asarray(mirax.jit(lambda a: jnp.tanh(a @ a.T + 1.0).sum(axis=0))(x))
    np.testing.assert_allclose(got, np.tanh(x @ x.T + 1.0).sum(axis=0), rtol=1e-6)
    assert looked_up == []
