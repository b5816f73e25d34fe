"""mirax.image against jax.image: resize and scale_and_translate for each method, up-
and downsampling, with and without antialiasing, over dtypes; eagerly, under jit, grad
(against JAX's gradients) and vmap (against a loop)."""
import jax
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

from oracle import rand

METHODS = ["nearest", "linear", "lanczos3", "lanczos5", "cubic", "cubic-pytorch", "area"]
SHAPES = [((5, 7, 3), (8, 4, 3), METHODS), ((4, 4), (1, 9), ("nearest", "lanczos5")), ((3, 2), (0, 2), ("linear",))]
TOL = {"float16": 2e-3, "bfloat16": 2e-2, "float32": 2e-6, "float64": 1e-12}


def assert_close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    tol = TOL.get(str(want.dtype), 0)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)


def every_method(lib, fun, methods=METHODS):
    """fun(lib, method, antialias) for each method, antialiased, and without antialiasing
    for the linear kernel and PyTorch's cubic (whose edge padding comes only then), in one
    program (the other kernels differ from the linear one in the kernel only)."""
    return [fun(lib, method, antialias) for method in methods for antialias in (True, False)
            if antialias or method in ("linear", "cubic-pytorch")]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_resize_every_method_under_jit(shapes):
    x = rand(shapes[0], seed=1)
    resize = lambda lib, method, antialias: lambda x: lib.image.resize(x, shapes[1], method, antialias)  # noqa: E731
    want = jax.jit(lambda x: every_method(jax, lambda *a: resize(*a)(x), shapes[2]))(x)
    got = mirax.jit(lambda x: every_method(mirax, lambda *a: resize(*a)(x), shapes[2]))(x)
    for g, w in zip(got, want, strict=True):
        assert_close(g, w)


@pytest.mark.parametrize("method", ["nearest", "linear"])
def test_resize_eager(method):
    x = rand((5, 7), seed=2)
    assert_close(mirax.image.resize(x, (3, 9), method), jax.image.resize(x, (3, 9), method))


def test_resize_dtypes():
    inputs = [rand((4, 6), dtype, seed=3) for dtype in ("int32", "uint8", "bool", "float16", jax.numpy.bfloat16)]
    program = lambda lib: lambda xs: [lib.image.resize(x, (7, 3), method)  # noqa: E731
                                      for x in xs for method in ("nearest", "linear")[:1 + (x.dtype != bool)]]
    for g, w in zip(mirax.jit(program(mirax))(inputs), jax.jit(program(jax))(inputs), strict=True):
        assert_close(g, w)


def test_resize_float64(x64):
    x = rand((4, 6), np.float64)
    program = lambda lib: lambda x: [lib.image.resize(x, (7, 3), m) for m in ("linear", "lanczos3")]  # noqa: E731
    for g, w in zip(mirax.jit(program(mirax))(x), jax.jit(program(jax))(x), strict=True):
        assert_close(g, w)


SCALES = [  # (input shape, output shape, spatial dims, scale, translation, methods)
    ((6, 5), (9, 4), (0, 1), [1.5, 0.8], [0.0, 0.5], METHODS[1:]),
    ((2, 8, 3), (2, 5, 3), (1,), [0.5], [1.25], ("linear", "area")),
    ((7,), (7,), (-1,), [2.0], [-3.0], ("cubic-pytorch",)),
]


@pytest.mark.parametrize("case", SCALES, ids=str)
def test_scale_and_translate_every_method(case):
    in_shape, out_shape, dims, scale, translation, methods = case
    scale, translation = np.array(scale, np.float32), np.array(translation, np.float32)
    x = rand(in_shape, seed=1)
    program = lambda lib: lambda x: every_method(lib, lambda lib, method, antialias: (  # noqa: E731
        lib.image.scale_and_translate(x, out_shape, dims, scale, translation, method, antialias)), methods)
    for g, w in zip(mirax.jit(program(mirax))(x), jax.jit(program(jax))(x), strict=True):
        assert_close(g, w)


def test_grad():
    x, s = rand((5, 4), seed=2), np.array([0.7, 1.4], np.float32)
    t = np.array([0.25, -0.5], np.float32)
    loss = lambda lib: lambda x, s: sum((lib.image.scale_and_translate(x, (3, 6), (0, 1), s, t, method) ** 2).sum()  # noqa
                                        for method in ("linear", "cubic-pytorch"))
    got = mirax.jit(mirax.grad(loss(mirax), (0, 1)))(x, s)
    want = jax.jit(jax.grad(loss(jax), (0, 1)))(x, s)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5)


def test_vmap_matches_a_loop():
    xs, scales = rand((3, 5, 4), seed=4), rand((3, 2), seed=5) ** 2 + 0.5
    resize = lambda x: [mirax.image.resize(x, (7, 2), "nearest")]  # noqa: E731
    st = lambda x, s: mirax.image.scale_and_translate(x, (6, 3), (0, 1), s, np.zeros(2, np.float32),  # noqa: E731
                                                      "linear")
    got = mirax.jit(mirax.vmap(lambda x, s: (*resize(x), st(x, s))))(xs, scales)
    loop = mirax.jit(lambda xs, ss: [mjnp.stack(r) for r in zip(*[(*resize(x), st(x, s)) for x, s in zip(xs, ss)])])
    for g, w in zip(got, loop(xs, scales), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


ERRORS = [
    lambda lib: lib.image.resize(np.ones((2, 2)), (3,), "linear"),
    lambda lib: lib.image.resize(np.ones((2, 2)), (3, 3), "bogus"),
    lambda lib: lib.image.scale_and_translate(np.ones((2, 2)), (3, 3), (0,), np.ones(1), np.zeros(1), "nearest"),
]


@pytest.mark.parametrize("program", ERRORS)
def test_errors_as_jax(program):
    with pytest.raises(Exception) as want:
        program(jax)
    with pytest.raises(type(want.value)) as got:
        program(mirax)
    assert str(got.value) == str(want.value)


def test_resize_method_enum():
    assert [m.name for m in mirax.image.ResizeMethod] == [m.name for m in jax.image.ResizeMethod]
    assert [m.value for m in mirax.image.ResizeMethod] == [m.value for m in jax.image.ResizeMethod]
    for name in ("bilinear", "tricubic", "bicubic-pytorch", "triangle", "area"):
        assert mirax.image.ResizeMethod.from_string(name).name == jax.image.ResizeMethod.from_string(name).name
    assert_close(mirax.image.resize(rand((3, 3)), (5, 5), mirax.image.ResizeMethod.LINEAR),
                 jax.image.resize(rand((3, 3)), (5, 5), jax.image.ResizeMethod.LINEAR))
