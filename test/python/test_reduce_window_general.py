"""lax.reduce_window and lax.reduce with general computations (lax/_windowed.py's fold),
and lax.reduce_xor, against JAX: values and dtypes over a table of windows, eagerly
and under jit; pytrees of operands; forward mode against jax.jvp and the reverse mode
and init-value tangents JAX refuses; lax.reduce's derivatives (check_grads and
jax.grad); vmap against a loop. The computations are order-independent but not
monoids (XLA folds padded windows in an order of its own)."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax import lax as jlax

import mirax
import mirax.numpy as mjnp
from mirax import lax
from mirax.test_util import check_grads
from oracle import ROUNDING, check, check_vmap, rand


def sum_of_squares(a, b):
    return a + b * b


def argmax_pair(module):
    """The fold to the (value, index) of the larger value: a pytree of two operands."""
    def fold(a, b):
        pick = a[0] >= b[0]
        return module.select(pick, a[0], b[0]), module.select(pick, a[1], b[1])

    return fold


# (shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)
CASES = [
    ((6,), (3,), (1,), "VALID", None, None),
    ((5, 6), (2, 3), (1, 2), "SAME", None, None),
    ((4, 5), (2, 2), (1, 2), ((1, 0), (0, 1)), (1, 2), (2, 1)),
    ((4, 4), (2, 2), (1, 1), ((-1, 1), (0, -1)), (2, 1), None),  # negative padding, base dilation
    ((2, 3), (3, 3), (1, 1), "VALID", None, None),  # no window fits
]


def windowed(module, x, init, computation, case):
    return module.reduce_window(x, init, computation, *case[1:])


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_reduce_window_values(jit):
    """A fold that is not a monoid, add from a nonzero init value (JAX's general path too),
    and a pytree of two operands; values and dtypes (f32, int32, strong types)."""
    wrap = mirax.jit if jit else (lambda f: f)
    for case in CASES[2:3] if jit else CASES[::3]:
        x, i = rand(case[0], np.float32, seed=1), rand(case[0], np.int32, seed=2)
        idx = np.arange(x.size, dtype=np.int32).reshape(x.shape)
        want = jax.jit(lambda x, i, idx: (windowed(jlax, x, 0.0, sum_of_squares, case),
                                          windowed(jlax, i, np.int32(1), jlax.add, case),
                                          windowed(jlax, (x, idx), (-np.inf, np.int32(-1)), argmax_pair(jlax), case)))(
            x, i, idx)
        got = wrap(lambda x, i, idx: (windowed(lax, x, 0.0, sum_of_squares, case),
                                      windowed(lax, i, np.int32(1), lax.add, case),
                                      windowed(lax, (x, idx), (-np.inf, np.int32(-1)), argmax_pair(lax), case)))(
            mjnp.asarray(x), mjnp.asarray(i), mjnp.asarray(idx))
        check(got, want, str(case), ROUNDING)
        assert not got[0].weak_type


def test_reduce_window_derivatives():
    """Forward mode as JAX's; reverse mode and init-value tangents refused as JAX refuses them."""
    case = CASES[2]
    x, t = rand(case[0], np.float32, seed=3), rand(case[0], np.float32, seed=4)
    want = jax.jvp(lambda x: windowed(jlax, x, 0.0, sum_of_squares, case), (x,), (t,))
    got = mirax.jvp(lambda x: windowed(lax, x, 0.0, sum_of_squares, case), (mjnp.asarray(x),), (mjnp.asarray(t),))
    check(got, want, tolerance=ROUNDING)
    for fn, args in ((lambda m, x: m.grad(lambda x: windowed(m.lax, x, 0.0, sum_of_squares, case).sum())(x), (x,)),
                     (lambda m, i: m.jvp(lambda i: windowed(m.lax, x, i, sum_of_squares, case), (i,), (1.0,)), (1.0,))):
        with pytest.raises(Exception) as want:
            fn(jax, *args)
        with pytest.raises(want.type) as got:
            fn(mirax, *args)
        assert str(want.value) in str(got.value)


def test_reduce_window_vmap():
    case = CASES[2]
    xs = rand((3,) + case[0], np.float32, seed=5)
    check_vmap(lambda lax, x: windowed(lax, x, 0.0, sum_of_squares, case), (xs,), 0)


# ----------------------------------------------------------------------------- lax.reduce

REDUCE_CASES = [((3, 4), (1,)), ((2, 3, 4), (0, 2)), ((3, 4), ()), ((0, 3), (0,))]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_reduce_values(jit):
    """General folds over a table of axes; weak types as JAX's (operand and init both weak)."""
    wrap = mirax.jit if jit else (lambda f: f)
    for shape, axes in REDUCE_CASES[jit::2]:
        x, idx = rand(shape, np.float32, seed=6), np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)

        def f(module, x, idx):
            return (module.reduce(x, 0.0, sum_of_squares, axes),
                    module.reduce(idx, np.int32(5), module.add, axes),
                    module.reduce((x, idx), (-np.inf, np.int32(-1)), argmax_pair(module), axes),
                    module.reduce_xor(idx, axes), module.reduce_xor(idx > 3, axes))

        want = jax.jit(lambda x, idx: f(jlax, x, idx))(x, idx)
        check(wrap(lambda x, idx: f(lax, x, idx))(mjnp.asarray(x), mjnp.asarray(idx)), want, str(shape), ROUNDING)
    got, want = lax.reduce(2.0, 1.0, sum_of_squares, ()), jlax.reduce(2.0, 1.0, sum_of_squares, ())
    check(got, want)
    assert got.weak_type == want.weak_type


def test_reduce_derivatives():
    """Both modes, the gradient against JAX's, of a monoid that JAX does not
    recognize (JAX differentiates a tree-shaped fold, which agrees with XLA's for monoids);
    init-value tangents refused as JAX's."""
    x = rand((3, 5), np.float32, seed=7)

    def f(module, x):
        return module.reduce(x, 1.0, lambda a, b: a * b, (1,))

    check_grads(mirax.jit(lambda x: f(lax, x)), (x,), order=1, rtol=2e-2, atol=2e-2)
    check(mirax.grad(lambda x: f(lax, x).sum())(mjnp.asarray(x)), jax.grad(lambda x: f(jlax, x).sum())(x),
          tolerance=ROUNDING)
    with pytest.raises(NotImplementedError) as want:
        jax.jvp(lambda i: jlax.reduce(x, i, sum_of_squares, (0,)), (1.0,), (1.0,))
    with pytest.raises(NotImplementedError) as got:
        mirax.jvp(lambda i: lax.reduce(mjnp.asarray(x), i, sum_of_squares, (0,)), (1.0,), (1.0,))
    assert str(want.value) in str(got.value)


def test_reduce_vmap():
    xs = rand((3, 2, 4), np.float32, seed=8)
    check_vmap(lambda lax, x: lax.reduce(x, 0.0, sum_of_squares, (1,)), (xs,), 0)


@pytest.mark.parametrize("call", [
    lambda m, x: m.reduce(x, np.zeros(2, np.float32), sum_of_squares, (0,)),
    lambda m, x: m.reduce(x, np.int32(0), sum_of_squares, (0,)),
    lambda m, x: m.reduce_window(x, np.int32(0), sum_of_squares, (2, 2)),
    lambda m, x: m.reduce_window(x, np.zeros(2, np.float32), sum_of_squares, (2, 2)),
    lambda m, x: m.reduce_window((x, x), (0.0, 0.0), lambda a, b: a[0], (2, 2)),
    lambda m, x: m.reduce_window(x, 0.0, sum_of_squares, (2,)),
    lambda m, x: m.reduce_xor(x, (0,)),
])
def test_errors(call):
    """JAX's error class, and its message within mirax's."""
    x = rand((3, 4), np.float32)
    with pytest.raises(Exception) as want:
        call(jlax, jjnp.asarray(x))
    with pytest.raises(want.type) as got:
        call(lax, mjnp.asarray(x))
    assert str(want.value).split(",")[0] in str(got.value), (str(got.value), str(want.value))
