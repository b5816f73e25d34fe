"""lax.reduce_window (dialect/windowed.py: reduce_window with the monoids add, max, min
and mul; select_and_gather_add and select_and_scatter_add, of which the max/min
derivatives are made) against JAX: values over a table of windows, strides,
paddings and dilations in f32, int32 and bf16, eagerly and under jit; derivatives
against finite differences (check_grads, forward and reverse, to order 2) and, at
ties, exactly against jax.grad; vmap against a loop and jax.vmap; pooling as
stax and flax do it; bad input against JAX's errors. And lax.reduce's monoids. (General
computations: test_reduce_window_general.py.)"""
import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
import mirax.numpy as mjnp
from mirax import lax
from mirax.test_util import check_grads
from oracle import ROUNDING, assert_close, check, check_vmap, rand

BF16 = np.dtype(ml_dtypes.bfloat16)
# XLA orders some windows' float sums and products its own way (see dialect/windowed.py).
SUM_TOLERANCE = {**ROUNDING, "V2": 1e-2}  # bf16's dtype.str is '<V2'

# (shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)
CASES = [
    ((6,), (2,), (1,), "VALID", None, None),
    ((7,), (3,), (2,), "SAME", None, None),
    ((5, 6), (2, 3), (1, 2), "VALID", None, None),
    ((5, 6), (2, 2), (2, 1), "SAME", None, None),
    ((4, 5), (3, 2), (1, 1), ((1, 2), (0, 1)), (2, 1), (1, 2)),
    ((4, 5), (2, 2), (2, 2), "SAME_LOWER", None, (2, 1)),
    ((3, 4, 5), (1, 2, 3), (1, 1, 2), ((0, 0), (1, 0), (2, 1)), (1, 2, 1), None),
    ((4, 4), (2, 2), (1, 1), ((-1, 0), (0, -1)), None, None),  # negative padding drops elements
    ((2, 3), (3, 3), (1, 1), "VALID", None, None),  # no window fits: an empty result
    ((0, 3), (1, 2), None, "VALID", None, None),  # an empty operand
    ((), (), (), "VALID", None, None),
]
IDENTITY = {
    "add": lambda dtype: 0,
    "mul": lambda dtype: 1,
    "max": lambda dtype: np.iinfo(dtype).min if dtype.kind == "i" else -np.inf,
    "min": lambda dtype: np.iinfo(dtype).max if dtype.kind == "i" else np.inf,
}


def tied(shape, dtype, seed=0):
    """Small integers (as `dtype`): many ties among a window's elements."""
    return np.random.default_rng(seed).integers(-2, 3, shape).astype(dtype)


def windowed(module, monoid, x, case, dtype):
    _, *args = case
    return module.reduce_window(x, np.asarray(IDENTITY[monoid](dtype), dtype)[()], getattr(module, monoid), *args)


@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.int32), BF16], ids=str)
@pytest.mark.parametrize("monoid", ["add", "max", "min", "mul"])
def test_values(monoid, dtype):
    """Eagerly, every case, on inputs with ties; against jax.lax.reduce_window (jitted: JAX's eager
    reduce_window of a non-monoid init would run the same XLA program)."""
    cases = CASES if dtype == np.float32 else CASES[2:5] + CASES[8:9]
    for case in cases:
        x = tied(case[0], dtype)
        want = jax.jit(lambda x: windowed(jlax, monoid, x, case, dtype))(x)
        got = windowed(lax, monoid, mjnp.asarray(x), case, dtype)
        check(got, want, str(case), SUM_TOLERANCE if monoid in ("add", "mul") else None)


def test_under_jit():
    """The four monoids in one program, a float sum with NaNs among them."""
    x = rand((5, 6), np.float32, seed=1, nans=True)

    def f(module, x):
        return tuple(windowed(module, monoid, x, case, np.dtype(np.float32))
                     for monoid in ("add", "max", "min", "mul") for case in (CASES[3], CASES[4]))

    check(mirax.jit(lambda x: f(lax, x))(mjnp.asarray(x)), jax.jit(lambda x: f(jlax, x))(x), tolerance=ROUNDING)


def test_python_scalar_init_values():
    """JAX recognizes a monoid by its init value compared with the init's own dtype's
    identity: -inf (a weak float) is max's identity for an int32 operand too."""
    x = tied((4, 5), np.int32)
    for init, module_fn in ((-np.inf, "max"), (0.0, "add"), (np.inf, "min")):
        want = jlax.reduce_window(x, init, getattr(jlax, module_fn), (2, 2), (1, 1), "SAME")
        check(lax.reduce_window(mjnp.asarray(x), init, getattr(lax, module_fn), (2, 2), (1, 1), "SAME"), want)


# ----------------------------------------------------------------------------- derivatives

GRAD_CASES = [CASES[1], CASES[3], CASES[4], CASES[6]]


@pytest.mark.parametrize("monoid", ["add", "max", "min"])
def test_check_grads(monoid):
    """Forward and reverse mode to order 2 against finite differences, on distinct values
    (max/min are smooth there); select_and_gather_add's VJP refuses window dilation, as JAX's."""
    f32 = np.dtype(np.float32)
    for case in GRAD_CASES:
        if monoid != "add" and case[5] is not None:
            continue
        x = rand(case[0], f32, seed=2)
        check_grads(mirax.jit(lambda x: windowed(lax, monoid, x, case, f32)), (x,), order=2, rtol=2e-2, atol=2e-2)


def test_mul_derivatives():
    """JAX's forward mode of a general reduce_window (mul), batched too; its reverse mode
    fails, as JAX's; mirax does not take its second-order derivatives, which JAX does."""
    f32 = np.dtype(np.float32)
    x, t = rand((4, 5), f32, seed=3), rand((4, 5), f32, seed=4)
    for case in (CASES[4], CASES[5]):
        want = jax.jvp(lambda x: windowed(jlax, "mul", x, case, f32), (x,), (t,))
        got = mirax.jvp(lambda x: windowed(lax, "mul", x, case, f32), (mjnp.asarray(x),), (mjnp.asarray(t),))
        assert_close(got, want)
    xs, ts = rand((3, 4, 5), f32, seed=5), rand((3, 4, 5), f32, seed=6)
    got = mirax.jit(mirax.vmap(lambda x, t: mirax.jvp(lambda x: windowed(lax, "mul", x, CASES[4], f32), (x,), (t,))[1]))(
        mjnp.asarray(xs), mjnp.asarray(ts))
    want = jax.vmap(lambda x, t: jax.jvp(lambda x: windowed(jlax, "mul", x, CASES[4], f32), (x,), (t,))[1])(xs, ts)
    assert_close(got, want)
    with pytest.raises(NotImplementedError, match="second-order derivatives of reduce_window with lax.mul"):
        mirax.jvp(lambda x: mirax.jvp(lambda x: windowed(lax, "mul", x, CASES[4], f32), (x,), (x,))[1],
                  (mjnp.asarray(x),), (mjnp.asarray(t),))
    message = "Linearization failed to produce known values for all output primals"
    with pytest.raises(ValueError, match=message):
        jax.grad(lambda x: windowed(jlax, "mul", x, CASES[4], f32).sum())(x)
    with pytest.raises(ValueError, match=message):
        mirax.grad(lambda x: windowed(lax, "mul", x, CASES[4], f32).sum())(mjnp.asarray(x))


# No window dilation: select_and_gather_add's VJP refuses it, as JAX's.
TIES = [CASES[1], CASES[6], ((3, 5), (2, 3), (1, 1), ((1, 1), (2, 2)), (2, 1), None)]


@pytest.mark.parametrize("monoid", ["max", "min"])
def test_derivatives_at_ties(monoid):
    """At ties the tangent and the cotangent go to the window's first chosen element, and
    padding (the identity) can be chosen: exactly jax.jvp's and jax.grad's, to order 2."""
    f32 = np.dtype(np.float32)
    for case in TIES:
        x = tied(case[0], f32, seed=5)
        x.reshape(-1)[::4] = -np.inf if monoid == "max" else np.inf  # windows of padding and infinities
        t = rand(case[0], f32, seed=6)
        out_shape = jax.eval_shape(lambda x: windowed(jlax, monoid, x, case, f32), x).shape
        weights = rand(out_shape, f32, seed=7)

        def loss(module, x):
            return (windowed(module, monoid, x, case, f32) * weights).sum()

        for got, want in (
            (mirax.jit(lambda x, t: mirax.jvp(lambda x: windowed(lax, monoid, x, case, f32), (x,), (t,)))(
                mjnp.asarray(x), mjnp.asarray(t)),
             jax.jvp(lambda x: windowed(jlax, monoid, x, case, f32), (x,), (t,))),
            (mirax.jit(mirax.grad(lambda x: loss(lax, x)))(mjnp.asarray(x)), jax.grad(lambda x: loss(jlax, x))(x)),
            (mirax.jit(lambda x, t: mirax.jvp(mirax.grad(lambda x: loss(lax, x)), (x,), (t,)))(
                mjnp.asarray(x), mjnp.asarray(t)),
             jax.jvp(jax.grad(lambda x: loss(jlax, x)), (x,), (t,))),
        ):
            check(got[1] if isinstance(got, tuple) else got, want[1] if isinstance(want, tuple) else want, str(case))


# ----------------------------------------------------------------------------- vmap


@pytest.mark.parametrize("monoid", ["add", "max"])
def test_vmap(monoid):
    """Each mapped axis gets a window of one element: against a loop and jax.vmap."""
    f32 = np.dtype(np.float32)
    x = tied((3, 4, 5), f32, seed=8)
    case = CASES[4]
    for axis in (0, 1, 2):
        check_vmap(lambda module, x: windowed(module, monoid, x, case, f32), [x], axis, tolerance=SUM_TOLERANCE)


def test_vmap_of_grad():
    """Per-example gradients through max and sum windows (select_and_scatter_add and the
    windowed sum's transpose batched), and vmap over a batched tangent and operand."""
    f32 = np.dtype(np.float32)
    x = tied((3, 4, 5), f32, seed=9)

    def loss(module, x):
        return (windowed(module, "max", x, TIES[2], f32) ** 2).sum() + windowed(module, "add", x, CASES[4], f32).sum()

    got = mirax.jit(mirax.vmap(mirax.grad(lambda x: loss(lax, x)), in_axes=1))(mjnp.asarray(x))
    check(got, jax.vmap(jax.grad(lambda x: loss(jlax, x)), in_axes=1)(x))
    t = rand((5, 3, 4), f32, seed=10)

    def tangent(module, jvp, x, t):
        return jvp(lambda x: windowed(module, "min", x, CASES[3], f32), (x,), (t,))[1]

    got = mirax.vmap(lambda x, t: tangent(lax, mirax.jvp, x, t), in_axes=(2, 0))(mjnp.asarray(x), mjnp.asarray(t))
    check(got, jax.vmap(lambda x, t: tangent(jlax, jax.jvp, x, t), in_axes=(2, 0))(x, t))


# ----------------------------------------------------------------------------- pooling


def max_pool(module, x):
    """stax.MaxPool((2, 2), strides=(2, 2)) / flax's max_pool on NHWC."""
    return module.reduce_window(x, -np.inf, module.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def avg_pool(module, x):
    """stax.AvgPool((3, 3), padding='SAME'): the window sums over the window size."""
    return module.reduce_window(x, 0.0, module.add, (1, 3, 3, 1), (1, 1, 1, 1), "SAME") / 9


def test_pooling():
    x = rand((2, 6, 6, 3), np.float32, seed=11)

    def net(module, x):
        return (avg_pool(module, max_pool(module, x)) ** 2).sum()

    check(mirax.jit(lambda x: max_pool(lax, x))(mjnp.asarray(x)), max_pool(jlax, x))
    check(avg_pool(lax, mjnp.asarray(x)), avg_pool(jlax, x), tolerance=ROUNDING)
    assert_close(mirax.jit(mirax.value_and_grad(lambda x: net(lax, x)))(mjnp.asarray(x)),
                 jax.value_and_grad(lambda x: net(jlax, x))(x))


# ----------------------------------------------------------------------------- errors

F = np.zeros((4, 5), np.float32)


@pytest.mark.parametrize("args,kwargs", [
    ((F, 0.0, "add", (2,)), {}),
    ((F, 0.0, "add", (2, 2), (1,)), {}),
    ((F, 0.0, "add", (2, 0)), {}),
    ((F, 0.0, "add", (2, 2), (1, -1)), {}),
    ((F, 0.0, "add", (2, 2)), {"base_dilation": (0, 1)}),
    ((F, 0.0, "add", (2, 2), (1, 1), ((0, 0), (0, 0))), {"window_dilation": (1, 2, 1)}),
    ((F, 0.0, "add", (2, 2), (1, 1), ((0, 0),)), {}),
    ((F, 0.0, "add", (2, 2), (1, 1), "FOO"), {}),
    ((F, 0.0, "add", 2), {}),
    ((np.zeros(3, bool), False, "add", (2,)), {}),
    ((np.zeros(3, np.int32), 1.0, "mul", (2,)), {}),
    ((F, np.ones(2, np.float32), "mul", (2, 2)), {}),
    (((F, F), 0.0, "add", (2, 2)), {}),
    (((), (), "add", ()), {}),
])
def test_errors(args, kwargs):
    """JAX's error class, and its message within mirax's."""
    x, init, name, *rest = args

    def call(module, asarray):
        operand = tuple(asarray(v) for v in x) if isinstance(x, tuple) else asarray(x)
        return module.reduce_window(operand, init, getattr(module, name), *rest, **kwargs)

    with pytest.raises(Exception) as want:
        call(jlax, jjnp.asarray)
    with pytest.raises(want.type) as got:
        call(lax, mjnp.asarray)
    assert str(want.value).strip() in str(got.value), (str(got.value), str(want.value))


def test_window_dilation_vjp_refused_as_jax():
    case = CASES[5]
    f32 = np.dtype(np.float32)
    x = rand(case[0], f32)
    message = r"VJP not implemented for select_and_gather \(MaxPool\) with window dilation, got window_dilation=\(2, 1\)"
    with pytest.raises(NotImplementedError, match=message):
        jax.grad(lambda x: windowed(jlax, "max", x, case, f32).sum())(x)
    with pytest.raises(NotImplementedError, match=message):
        mirax.grad(lambda x: windowed(lax, "max", x, case, f32).sum())(mjnp.asarray(x))


@pytest.mark.parametrize("padding", [((-1, -1), (0, 0)), ((0, -1), (0, 0)), ((0, 0), (1, -2))])
def test_negative_padding_vjp_refused_as_jax(padding):
    """JAX's reverse mode of a window max pads the operand and slices the result back,
    which refuses negative padding."""
    x = rand((4, 5), np.float32)
    with pytest.raises(TypeError) as want:
        jax.grad(lambda x: jlax.reduce_window(x, -np.inf, jlax.max, (2, 2), (1, 2), padding).sum())(x)
    with pytest.raises(TypeError) as got:
        mirax.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 2), padding).sum())(mjnp.asarray(x))
    assert str(want.value) in str(got.value)


def test_reduce_window_shape_tuple():
    for shape, *args in CASES[:7]:
        padding = args[2] if not isinstance(args[2], str) else jlax.padtype_to_pads(shape, args[0], args[1], args[2])
        want = jlax.reduce_window_shape_tuple(shape, args[0], args[1] or (1,) * len(shape), padding, args[3], args[4])
        assert lax.reduce_window_shape_tuple(shape, args[0], args[1] or (1,) * len(shape), padding, args[3],
                                             args[4]) == want


# ----------------------------------------------------------------------------- lax.reduce


@pytest.mark.parametrize("name,init", [("add", 0), ("mul", 1), ("max", -np.inf), ("min", np.iinfo(np.int32).max),
                                       ("bitwise_or", 0), ("bitwise_and", -1)])
def test_reduce_monoids(name, init):
    """JAX's monoids, recognized by the init value against its own dtype's identity: values,
    dtypes and weak types (weak where operand and init value both are)."""
    for x in (tied((3, 4), np.int32), tied((3, 4), np.float32), tied((3, 4), np.int32) > 0, 2):
        try:
            want = jlax.reduce(x, init, getattr(jlax, name), (1,) if np.ndim(x) else ())
        except TypeError:  # a dtype the reduction refuses (its own error)
            continue
        got = lax.reduce(x if np.ndim(x) == 0 else mjnp.asarray(x), init, getattr(lax, name), (1,) if np.ndim(x) else ())
        check(got, want)
        assert got.weak_type == want.weak_type


def test_reduce_errors():
    """(General computations: test_reduce_window_general.py.)"""
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError) as want:
        jlax.reduce((x, x), 0.0, jlax.add, (0,))
    with pytest.raises(ValueError) as got:
        lax.reduce((mjnp.asarray(x), mjnp.asarray(x)), 0.0, lax.add, (0,))
    assert str(want.value) in str(got.value)
