"""debug.print, debug.callback, pure_callback and experimental.io_callback against
JAX's: what is printed (both print with Python, on sys.stdout, at run time from
compiled code), the values, the calls the callbacks see, and the errors, eagerly and
under jit, vmap, grad and the loops."""
import logging

import jax
import jax.experimental
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.experimental
import mirax.numpy as mjnp

BOTH = [(jax, jjnp, jax.experimental), (mirax, mjnp, mirax.experimental)]


def printed(capsys, program):
    """What `program(jax, jnp)` prints, run by JAX and by mirax (which must agree), and
    its results."""
    outputs, results = [], []
    for lib, jnp, _ in BOTH:
        results.append(program(lib, jnp))
        outputs.append(capsys.readouterr().out)
    assert outputs[1] == outputs[0]
    assert outputs[0]  # the program printed something
    return results


def same(got, want):
    assert repr(got) == repr(want)


def f_print(lib, jnp):
    def f(x):
        lib.debug.print("x={x} sum={}", jnp.sum(x), x=x)
        return x * 2
    return f


PROGRAMS = {
    "eager": lambda lib, jnp: f_print(lib, jnp)(jnp.arange(3.0)),
    "jit": lambda lib, jnp: lib.jit(f_print(lib, jnp))(jnp.arange(3.0)),
    "vmap": lambda lib, jnp: lib.vmap(f_print(lib, jnp))(jnp.arange(3.0)),
    "jit_vmap": lambda lib, jnp: lib.jit(lib.vmap(f_print(lib, jnp)))(jnp.arange(6.0).reshape(2, 3)),
    "vmap_vmap": lambda lib, jnp: lib.vmap(lib.vmap(f_print(lib, jnp)))(jnp.arange(4.0).reshape(2, 2)),
    "vmap_in_axes": lambda lib, jnp: lib.vmap(lambda x, y: lib.debug.print("{} {}", x, y), in_axes=(1, None))(
        jnp.arange(6).reshape(2, 3), 7),
    "grad": lambda lib, jnp: lib.grad(lambda x: jnp.sum(f_print(lib, jnp)(x)))(jnp.arange(3.0)),
    "jit_grad": lambda lib, jnp: lib.jit(lib.grad(lambda x: jnp.sum(f_print(lib, jnp)(x))))(jnp.arange(3.0)),
    "jvp": lambda lib, jnp: lib.jvp(f_print(lib, jnp), (jnp.arange(3.0),), (jnp.ones(3),)),
    "vmap_grad": lambda lib, jnp: lib.vmap(lib.grad(lambda x: f_print(lib, jnp)(x)))(jnp.arange(2.0)),
    "scan": lambda lib, jnp: lib.lax.scan(
        lambda c, x: (lib.debug.print("c={c} x={x}", c=c, x=x), (c + x, c))[1], 0.0, jnp.arange(3.0)),
    "jit_scan": lambda lib, jnp: lib.jit(lambda xs: lib.lax.scan(
        lambda c, x: (lib.debug.print("c={c} x={x}", c=c, x=x), (c + x, c))[1], 0.0, xs))(jnp.arange(3.0)),
    # Under differentiation a callback in a loop body or branch runs in the primal
    # computation only, not again in the tangent part or the backward pass.
    "grad_scan": lambda lib, jnp: lib.grad(lambda c: lib.lax.scan(
        lambda c, x: (lib.debug.print("c={c} x={x}", c=c, x=x), (c * x, c))[1], c, jnp.arange(1.0, 3.0))[0])(jnp.float32(1.0)),
    "jit_grad_scan": lambda lib, jnp: lib.jit(lib.grad(lambda c: lib.lax.scan(
        lambda c, x: (lib.debug.print("c={c} x={x}", c=c, x=x), (c * x, c))[1], c, jnp.arange(1.0, 3.0))[0]))(jnp.float32(1.0)),
    "jvp_scan": lambda lib, jnp: lib.jvp(lambda c: lib.lax.scan(
        lambda c, x: (lib.debug.print("c={c} x={x}", c=c, x=x), (c * x, c))[1], c, jnp.arange(1.0, 3.0))[0],
        (1.0,), (1.0,)),
    "grad_fori_loop": lambda lib, jnp: lib.grad(lambda x: lib.lax.fori_loop(
        0, 2, lambda i, c: (lib.debug.print("f {} {}", i, c), c * 2)[1], x))(1.0),
    "jit_grad_cond": lambda lib, jnp: lib.jit(lib.grad(lambda x: lib.lax.cond(
        x > 0, lambda x: (lib.debug.print("branch {}", x), x * x)[1], lambda x: -x, x)))(2.0),
    "jvp_while_loop": lambda lib, jnp: lib.jvp(lambda x: lib.lax.while_loop(
        lambda c: c < 3, lambda c: (lib.debug.print("w {}", c), c + 1.0)[1], x), (0.0,), (1.0,)),
    "grad_checkpoint": lambda lib, jnp: lib.grad(lib.checkpoint(
        lambda x: (lib.debug.print("recomputed {}", x), jnp.sin(x))[1]))(1.0),
    "grad_grad": lambda lib, jnp: lib.grad(lib.grad(lambda x: (lib.debug.print("gg {}", x), x ** 3)[1]))(2.0),
    "fori_loop": lambda lib, jnp: lib.jit(lambda n: lib.lax.fori_loop(
        0, 3, lambda i, c: (lib.debug.print("i={} c={}", i, c), c + i * n)[1], jnp.int32(0)))(2),
    "while_loop": lambda lib, jnp: lib.jit(lambda: lib.lax.while_loop(
        lambda c: c < 3, lambda c: (lib.debug.print("w={}", c), c + 1)[1], 0))(),
    "cond": lambda lib, jnp: lib.jit(lambda p, x: lib.lax.cond(
        p, lambda x: (lib.debug.print("yes {}", x), x)[1], lambda x: (lib.debug.print("no {}", x), -x)[1], x))(
        False, 2.0),
    "no_arguments": lambda lib, jnp: lib.jit(lambda x: (lib.debug.print("hello"), x)[1])(1),
    "no_placeholders": lambda lib, jnp: lib.jit(lambda x: lib.debug.print("x is", x, x + 1, skip_format_check=True))(jnp.ones(2)),
    "format_spec": lambda lib, jnp: lib.jit(lambda x: lib.debug.print("{x:.3f} {y} {}", 3, x=x, y=(x, [x])))(
        1.0),
    "dtypes": lambda lib, jnp: lib.jit(lambda x: lib.debug.print("{} {} {} {}", x, x > 1, x.astype(jnp.bfloat16),
                                                                 x * 1j))(jnp.arange(3)),
    "pytree_eager": lambda lib, jnp: lib.debug.print("{}", {"a": jnp.ones(2), "b": 1, "c": "s"}),
    "ordered": lambda lib, jnp: lib.jit(lambda x: [lib.debug.print("{} {}", i, x, ordered=True) for i in range(3)])(
        1.0),
    "two_call_form": lambda lib, jnp: lib.jit(lambda x: lib.debug.print(ordered=True)("two {}", x))(1.0),
    # Unordered callbacks run in program order in mirax; JAX may reorder them.
    "order_with_callbacks": lambda lib, jnp: lib.jit(lambda x: (
        lib.debug.print("first {}", x, ordered=True),
        lib.debug.callback(lambda v: print("second", v), x * 2, ordered=True),
        lib.debug.print("third {}", x * 3, ordered=True)))(1.0),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_debug_print(capsys, name):
    want, got = printed(capsys, PROGRAMS[name])
    same(got, want)


def test_custom_vjp_rules(capsys):
    def program(lib, jnp):
        @lib.custom_vjp
        def g(x):
            return x * 2
        g.defvjp(lambda x: (lib.debug.print("fwd {}", x), (x * 2, x))[1],
                 lambda r, ct: (lib.debug.print("bwd {} {}", r, ct), (ct * 2,))[1])
        return lib.jit(lib.grad(g))(3.0), lib.grad(g)(4.0)
    want, got = printed(capsys, program)
    same(got, want)


def test_print_options(capsys):
    def program(lib, jnp):
        with np.printoptions(precision=2):
            f = lib.jit(lambda x: lib.debug.print("{}", x / 3))
            return f(jnp.arange(3.0))
    printed(capsys, program)


def raised(f):
    with pytest.raises(Exception) as info:
        f()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("fmt, args, kwargs", [
    ("{} {}", (1.0,), {}),
    ("{}", (1.0, 2.0), {}),
    ("{x}", (), {"x": 1.0, "y": 2.0}),
    ("{x}", (), {}),
])
def test_print_format_errors(fmt, args, kwargs):
    assert raised(lambda: mirax.debug.print(fmt, *args, **kwargs)) == raised(lambda: jax.debug.print(fmt, *args, **kwargs))
    assert raised(lambda: mirax.jit(lambda: mirax.debug.print(fmt, *args, **kwargs))()) == \
        raised(lambda: jax.jit(lambda: jax.debug.print(fmt, *args, **kwargs))())


def test_two_call_form_errors():
    assert raised(lambda: mirax.debug.print(ordered=True, x=1)) == raised(lambda: jax.debug.print(ordered=True, x=1))
    assert raised(lambda: mirax.debug.callback(None, 1)) == raised(lambda: jax.debug.callback(None, 1))
    assert raised(lambda: mirax.debug.callback(3)) == raised(lambda: jax.debug.callback(3))


def test_debug_callback_arguments():
    """What the callback sees: Arrays for array leaves (weakly typed only eagerly, as
    JAX's), other leaves as they are, keyword arguments."""
    seen = {}

    def program(lib, jnp, staged):
        calls = seen.setdefault(lib.__name__, [])

        def record(a, tree, *, k, name):
            calls.append(repr((a, tree, k, name, type(a).__name__ == "Array" or type(a).__name__ == "ArrayImpl")))

        def f(x):
            lib.debug.callback(record, x, {"t": (x * 2, None), "s": 3}, k=jnp.arange(2), name="label")
        return lib.jit(f)(jnp.float32(1.5)) if staged else f(1.5)

    for staged in (False, True):
        for lib, jnp, _ in BOTH:
            assert program(lib, jnp, staged) is None
    assert seen["mirax"] == seen["jax"]


def f_pure(lib, np_fn=np.sin):
    return lambda x: lib.pure_callback(lambda a: np_fn(np.asarray(a)), lib.ShapeDtypeStruct(x.shape, x.dtype), x)


@pytest.mark.parametrize("wrap", ["eager", "jit"])
def test_pure_callback_values(wrap):
    results = []
    for lib, jnp, _ in BOTH:
        def f(x, y):
            out = lib.pure_callback(lambda a, b: {"s": np.asarray(a) + b["y"], "l": [np.cos(a)]},
                                    {"s": lib.ShapeDtypeStruct((3,), jnp.float32),
                                     "l": [lib.ShapeDtypeStruct((3,), jnp.float32)]}, x, {"y": y})
            return out["s"] * 2, out["l"][0]
        results.append((lib.jit(f) if wrap == "jit" else f)(jnp.arange(3.0), 1.0))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
    same([r.dtype for r in results[1]], [r.dtype for r in results[0]])


@pytest.mark.parametrize("method", ["sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                                    "legacy_vectorized"])
def test_pure_callback_vmap_methods(method):
    """The shapes each method's callback sees, and the values."""
    seen, results = {}, []
    for lib, jnp, _ in BOTH:
        shapes = seen.setdefault(lib.__name__, [])

        def callback(a, b):
            shapes.append((np.shape(a), np.shape(b)))
            return np.asarray(a) + np.asarray(b)

        f = lambda x, y: lib.pure_callback(callback, lib.ShapeDtypeStruct(x.shape, x.dtype), x, y,
                                           vmap_method=method)
        results.append(lib.jit(lib.vmap(f, in_axes=(1, None)))(jnp.arange(6.0).reshape(3, 2), jnp.ones(3)))
    assert seen["mirax"] == seen["jax"]
    same(results[1], results[0])


def test_pure_callback_errors():
    for m, j in [
        (lambda: mirax.grad(f_pure(mirax))(1.0), lambda: jax.grad(f_pure(jax))(1.0)),
        (lambda: mirax.jit(mirax.grad(f_pure(mirax)))(1.0), lambda: jax.jit(jax.grad(f_pure(jax)))(1.0)),
        (lambda: mirax.vmap(f_pure(mirax))(mjnp.ones(2)), lambda: jax.vmap(f_pure(jax))(jjnp.ones(2))),
        (lambda: mirax.pure_callback(np.sin, mirax.ShapeDtypeStruct((), np.float32), 1.0, vmap_method="foo"),
         lambda: jax.pure_callback(np.sin, jax.ShapeDtypeStruct((), np.float32), 1.0, vmap_method="foo")),
        (lambda: mirax.pure_callback(np.sin, mirax.ShapeDtypeStruct((), np.float32), 1.0, {"k": "s"}),
         lambda: jax.pure_callback(np.sin, jax.ShapeDtypeStruct((), np.float32), 1.0, {"k": "s"})),
        (lambda: mirax.experimental.io_callback(np.sin, None, [1, object]),
         lambda: jax.experimental.io_callback(np.sin, None, [1, object])),
    ]:
        assert raised(m) == raised(j)


@pytest.mark.parametrize("wrong, message", [
    (lambda a: np.ones(3, np.float32), "Incorrect output shape for return value #0: Expected: (), Actual: (3,)"),
    (lambda a: np.ones((), np.int32), "Incorrect output dtype for return value #0: Expected: float32, Actual: int32"),
    (lambda a: (a, a), "Mismatched number of outputs from callback. Expected: 1, Actual: 2"),
])
def test_pure_callback_wrong_results(wrong, message):
    """JAX's runtime error (a RuntimeError) ends with the message mirax raises."""
    for lib, _, _ in BOTH:
        f = lib.jit(lambda x: lib.pure_callback(wrong, lib.ShapeDtypeStruct((), np.float32), x))
        with pytest.raises(RuntimeError) as info:
            f(1.0)
        assert str(info.value).endswith(message)


def test_io_callback_order_and_values(capsys):
    def program(lib, jnp, experimental):
        def log(tag):
            return lambda v: (print(tag, v), np.asarray(v) + 1)[1]

        def f(x):
            y = experimental.io_callback(log("a"), lib.ShapeDtypeStruct((), jnp.float32), x, ordered=True)
            lib.debug.print("between {}", y)
            return experimental.io_callback(log("b"), lib.ShapeDtypeStruct((), jnp.float32), y * 2)
        return f(1.0), lib.jit(f)(2.0), lib.jit(lib.vmap(lambda x: experimental.io_callback(
            log("v"), lib.ShapeDtypeStruct((), jnp.float32), x)))(jnp.arange(2.0))

    outputs, results = [], []
    for lib, jnp, experimental in BOTH:
        results.append(program(lib, jnp, experimental))
        outputs.append(capsys.readouterr().out)
    assert outputs[1] == outputs[0]
    same(results[1], results[0])


def test_io_callback_errors():
    cb = lambda lib, exp, ordered: lambda x: exp.io_callback(lambda a: a, lib.ShapeDtypeStruct((), np.float32), x,
                                                             ordered=ordered)
    for (m, j) in [
        (lambda: mirax.grad(cb(mirax, mirax.experimental, False))(1.0),
         lambda: jax.grad(cb(jax, jax.experimental, False))(1.0)),
        (lambda: mirax.vmap(cb(mirax, mirax.experimental, True))(mjnp.ones(2)),
         lambda: jax.vmap(cb(jax, jax.experimental, True))(jjnp.ones(2))),
    ]:
        assert raised(m) == raised(j)


def test_unsupported():
    with pytest.raises(NotImplementedError, match="breakpoint"):
        mirax.debug.breakpoint()
    with pytest.raises(NotImplementedError, match="partitioned"):
        mirax.debug.print("{}", 1, partitioned=True)


def test_same_callback_same_program():
    """Two traces of a function with the same callbacks are the same program, which
    compiles once (a function differentiated outside jit is traced at each call)."""
    def f(x):
        mirax.debug.print("x={}", x)
        return mirax.pure_callback(np.sin, mirax.ShapeDtypeStruct((), np.float32), x)

    def g(x):
        mirax.debug.print("other x={}", x)
        return mirax.pure_callback(np.sin, mirax.ShapeDtypeStruct((), np.float32), x)

    text = lambda fn, x: mirax.jit(fn).lower(x).as_text("mirax")
    assert text(f, 1.0) == text(f, 2.0)
    assert text(f, 1.0) != text(g, 1.0)
    assert text(f, 1.0) != text(f, np.int32(1))


def test_debug_log(caplog):
    """debug.log: INFO records from the caller's line, JAX's by its debugging module's
    logger, mirax's by mirax.debug's."""
    caplog.set_level(logging.INFO)
    records = []
    for lib, jnp, _ in BOTH:
        caplog.clear()
        lib.jit(lambda x: lib.debug.log("jit {x}", x=x))(2.0), lib.debug.log("eager {}", jnp.ones(2))
        records.append([(r.levelname, r.getMessage(), r.filename, r.lineno) for r in caplog.records
                        if r.name in ("jax._src.debugging", "mirax.debug")])
    assert records[1] == records[0] and len(records[0]) == 2
