"""Issue 16's elementwise and jax.numpy defects, each compared with JAX: values,
dtypes and weak types, eagerly and under jit; gradients with JAX's; refusals by
exception class and message."""
import types

import jax
import jax.numpy as jjnp
import jax.scipy.special as jss
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
import mirax.scipy.special as mss
from oracle import ROUNDING, check

JAX = types.SimpleNamespace(api=jax, np=jjnp, lax=jax.lax, special=jss, nn=jax.nn)
MIRAX = types.SimpleNamespace(api=mirax, np=mjnp, lax=mirax.lax, special=mss, nn=mirax.nn)

I32 = np.array([7, -7, 0, -2147483648, 5], np.int32)
ROWS = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
CONDS = np.array([[True, False, False, False], [False, True, True, False]])
CHOICES = np.array([[10, 20, 30, 40], [1, 2, 3, 4]], np.int32)


def _newton(m, x0, a=2.0):
    """custom_root's solver for x^2 = a."""
    return m.lax.custom_root(lambda x: x * x - a, x0,
                             lambda f, x: m.lax.fori_loop(0, 20, lambda i, x: x - f(x) / (2 * x), x),
                             lambda g, y: y / (2.0 * 1.4142135))


# name: (fn(m, *args), args, rounding tolerance or None for exact)
CASES = {
    # item 2: logaddexp at ties and of weakly typed scalars, softplus of a Python scalar
    "logaddexp grad at a tie": (lambda m: m.api.grad(lambda z: m.np.logaddexp(0.0, z))(0.0), (), None),
    "logaddexp grads": (lambda m, x, y: m.api.grad(lambda a, b: m.np.logaddexp(a, b).sum(), (0, 1))(x, y),
                        (np.array([0.0, 1.0, -np.inf, np.inf, 3.0], np.float32),
                         np.array([0.0, -2.0, -np.inf, 1.0, np.inf], np.float32)), ROUNDING),
    "logaddexp of Python scalars": (lambda m: m.np.logaddexp(0.0, 1.0), (), ROUNDING),
    "logaddexp weak and strong": (lambda m, x: m.np.logaddexp(x, 0.0), (np.array([-1.0, 0.0, 2.0], np.float32),),
                                  ROUNDING),
    "logaddexp of infinities and NaN": (
        lambda m, x, y: m.np.logaddexp(x, y),
        (np.array([np.inf, -np.inf, np.inf, np.nan], np.float32), np.array([np.inf, -np.inf, -np.inf, 0.0],
                                                                            np.float32)), None),
    "logaddexp complex": (lambda m, x: m.np.logaddexp(x, 1 - 2j), (np.array([0.5 + 3j, -1 - 1j], np.complex64),),
                          ROUNDING),
    "softplus of a Python scalar": (lambda m: m.nn.softplus(1.0), (), ROUNDING),
    "softplus grad": (lambda m, x: m.api.grad(lambda x: m.nn.softplus(x).sum())(x),
                      (np.array([-3.0, 0.0, 4.0], np.float32),), ROUNDING),
    # item 4
    "angle of negative reals": (lambda m, x: m.np.angle(x), (np.array([-1.0, 1.0, -0.0, 0.0], np.float32),), None),
    "angle of an int and a float scalar": (lambda m: (m.np.angle(-2), m.np.angle(-2.0), m.np.angle(True)), (), None),
    "angle of float16 and degrees": (lambda m, x: (m.np.angle(x), m.np.angle(x, deg=True)),
                                     (np.array([-1.0, 2.0], np.float16),), None),
    "isposinf/isneginf of bools and ints": (
        lambda m, i: (m.np.isposinf(True), m.np.isneginf(True), m.np.isposinf(i), m.np.isneginf(i)),
        (np.array([2147483647, -2147483648], np.int32),), None),
    "isposinf/isneginf of floats": (lambda m, x: (m.np.isposinf(x), m.np.isneginf(x)),
                                    (np.array([np.inf, -np.inf, 1.0, np.nan], np.float32),), None),
    "clamp grads with min > max": (
        lambda m, lo, x, hi: m.api.grad(lambda lo, x, hi: m.lax.clamp(lo, x, hi).sum(), (0, 1, 2))(lo, x, hi),
        (np.array([2.0, 0.0, 1.0, 0.0], np.float32), np.array([1.0, 0.5, 3.0, -1.0], np.float32),
         np.array([0.5, 1.0, 2.0, 1.0], np.float32)), None),
    # item 6: integer division by zero (lax.div/rem are XLA's; //, % and fmod are JAX's)
    "int32 // 0, % 0, fmod 0": (lambda m, x: (x // 0, x % 0, m.np.fmod(x, 0), m.np.divmod(x, 0)), (I32,), None),
    "int32 // -1 and % -1": (lambda m, x: (x // -1, x % -1), (I32,), None),
    "float // 0 and divmod by 0": (lambda m, x: (x // 0.0, m.np.divmod(x, 0.0), m.np.floor_divide(1.5, x)),
                                   (np.array([7.0, -7.0, 0.0, 2.5], np.float32),), None),
    "weak types of //, % and fmod": (lambda m: (m.np.floor_divide(7, 2), m.np.remainder(7, 0), m.np.fmod(-7, 2),
                                                m.np.floor_divide(7.5, 2), m.np.divmod(-7.5, 2.0)), (), None),
    "weak type of an int array // a Python float (fuzzer finding)": (
        lambda m, i: (m.np.floor_divide(i, 2.0), m.np.divmod(i, -2.0), i // 2.5),
        (np.array([[5], [-7]], np.int32),), None),
    "fmod of bools keeps x % False": (lambda m, b: (m.np.fmod(True, b), m.np.remainder(True, b)),
                                      (np.array([True, False]),), None),
    "lax.div and lax.rem by 0": (lambda m, x, y: (m.lax.div(x, y), m.lax.rem(x, y)),
                                 (I32, np.array([0, 0, 0, -1, 0], np.int32)), None),
    # item 16
    "int array ** int array": (lambda m, x, y: x ** y, (np.array([2, 3, 0, 0, -2, 5], np.int32),
                                                      np.array([2, -1, 0, 3, 3, 40], np.int32)), None),
    "power of uint8, int8 and bool arrays": (
        lambda m, u, i, b: (m.np.power(u, u), m.np.power(i, i), m.np.power(b, b)),
        (np.array([2, 3], np.uint8), np.array([3, 7], np.int8), np.array([True, False])), None),
    "float base, int exponent": (lambda m, x, y: (m.np.power(x, y), m.np.power(2.0, y)),
                                 (np.array([2.0, 3.0], np.float32), np.array([2, -1], np.int32)), ROUNDING),
    "power grads with an int exponent": (
        lambda m, x, y: m.api.grad(lambda x: (x ** y).sum())(x),
        (np.array([0.0, 0.0, 2.0, 3.0], np.float32), np.array([0, 1, 2, -1], np.int32)), ROUNDING),
    "square of bool": (lambda m, b: (m.np.square(b), m.np.square(True)), (np.array([True, False]),), None),
    "trunc of ints and Python scalars": (lambda m, i, u: (m.np.trunc(i), m.np.trunc(u), m.np.trunc(3),
                                                           m.np.trunc(-2.5)),
                                         (np.array([1, -2], np.int32), np.array([1, 2], np.uint8)), None),
    "rounding functions of ints, bools, complex and Python scalars": (
        lambda m, i, z: (m.np.rint(i), m.np.rint(2), m.np.rint(z), m.np.round(i, 1), m.np.round(2.5), m.np.round(z),
                         m.np.floor(i), m.np.ceil(True), m.np.round(np.float32(1e30), 40)),
        (np.array([1, -2], np.int32), np.array([1.5 + 2.5j, -0.5 - 1.5j], np.complex64)), None),
    "round to decimals (float16 scales in float32)": (
        lambda m, h, x: (m.np.round(h, 1), m.np.round(x, 2), m.np.round(1.25, 1)),
        (np.array([1.25, -2.35], np.float16), np.array([1.255, -2.5], np.float32)), ROUNDING),
    "weak types of reciprocal, sinc, imag and *_like": (
        lambda m: (m.np.reciprocal(2), m.np.sinc(0.5), m.np.sinc(0.0), m.np.imag(1.5), m.np.ones_like(2.0),
                   m.np.zeros_like(1.0, shape=(2,)), m.np.full_like(3, 2.5), m.np.full_like(3, 2.5, np.float32)),
        (), ROUNDING),
    "log2 and log10 of complex zero": (lambda m, z: (m.np.log2(z), m.np.log10(z)),
                                       (np.array([0j, 1 + 1j, -2, 1e30j], np.complex64),), ROUNDING),
    "hypot without overflow": (lambda m, x, y: m.np.hypot(x, y),
                               (np.array([1e30, 3.0, 0.0, np.inf, np.nan], np.float32),
                                np.array([1e30, 4.0, 0.0, np.nan, 1.0], np.float32)), ROUNDING),
    "comparisons of complex numbers": (
        lambda m, z, w: (z > w, z >= w, z < w, z <= w, m.np.less(1j, 2j)),
        (np.array([1 + 1j, 1 + 2j, np.nan, 2 - 1j], np.complex64), np.array([1 + 2j, 0 + 5j, 1, 2 - 1j], np.complex64)),
        None),
    "shifts of bools, logical ops and heaviside of scalars": (
        lambda m, b: (m.np.left_shift(True, b), m.np.right_shift(b, True), m.np.logical_and(2, 0.5),
                      m.np.logical_not(0), m.np.heaviside(2, 0.5)), (np.array([True, False]),), None),
    "heaviside of NaN, and of arrays with weak scalars": (
        lambda m, x, b: (m.np.heaviside(x, 0.5), m.np.heaviside(b, 0.5), m.np.heaviside(x, x), m.np.heaviside(0.0, 0.5)),
        (np.array([-1.0, 0.0, np.nan, 2.0, -0.0], np.float32), np.array([True, False])), None),
    "isclose compares integers as floats": (
        lambda m, x, y: (m.np.isclose(100000000, 100000001), m.np.isclose(x, y, equal_nan=True), m.np.isclose(x, y)),
        (np.array([1.0, np.inf, -np.inf, np.nan, 1.0], np.float32),
         np.array([1.0 + 1e-6, np.inf, np.inf, np.nan, np.inf], np.float32)), None),
    "logit of ints": (lambda m, i: (m.special.logit(i), m.special.logit(1), m.special.logit(True)),
                      (np.array([0, 1], np.int32),), None),
    "logit grad": (lambda m, x: m.api.grad(lambda x: m.special.logit(x).sum())(x),
                   (np.array([0.3, 0.5, 0.9], np.float32),), ROUNDING),
    "lax.select grad, NumPy bool predicate": (
        lambda m, x: m.api.grad(lambda x: m.lax.select(np.array([True, False]), x, 2 * x).sum())(x),
        (np.array([1.0, 2.0], np.float32),), None),
    "lax.select, weakly typed predicate": (lambda m, x: m.lax.select(m.lax.eq(1.0, 1.0), x, -x),
                                           (np.array([1.0, 2.0], np.float32),), None),
    "where, scalar x and y keep their weak type": (lambda m, c: m.np.where(c, 1.0, 2.0), (np.array([True, False]),),
                                                   None),
    "nonzero with size and fill_value": (
        lambda m, a: (m.np.where(a, size=4), m.np.nonzero(a, size=2), m.np.nonzero(a, size=5, fill_value=(-1, 9))),
        (np.array([[0, 1.5], [2, 0], [0, 3]], np.float32),), None),
    "linspace with array endpoints": (
        lambda m, a, b: (m.np.linspace(a, b, 4), m.np.linspace(a, 5.0, 3, axis=-1),
                         m.np.linspace(a, b, 5, endpoint=False, retstep=True), m.np.linspace(a, b, 1),
                         m.np.linspace(a, b, 0), m.np.linspace(a, 10, 6, dtype=np.int32)),
        (np.array([0.0, 1.0], np.float32), np.array([1.0, 3.0], np.float32)), ROUNDING),
    "linspace grad": (lambda m, a, b: m.api.grad(lambda a, b: (m.np.linspace(a, b, 5) ** 2).sum(), (0, 1))(a, b),
                      (np.float32(0.5), np.float32(2.0)), ROUNDING),
    "repeat with total_repeat_length": (
        lambda m, a, r: (m.np.repeat(a, r, axis=1, total_repeat_length=5),
                         m.np.repeat(a, r, axis=1, total_repeat_length=2),
                         m.np.repeat(a, m.lax.rev(r, (0,)), axis=1, total_repeat_length=5),
                         m.np.repeat(a, 2, axis=0, total_repeat_length=3)),
        (ROWS, np.array([1, 0, 2], np.int32)), None),
    "nonzero and repeat under vmap": (
        lambda m, a, r: (m.api.vmap(lambda a: m.np.nonzero(a, size=2, fill_value=-1))(a),
                         m.api.vmap(lambda a, r: m.np.repeat(a, r, total_repeat_length=4))(a, r)),
        (np.array([[2, 0, 0], [0, 5, 4]], np.int32), np.array([[1, 0, 2], [2, 2, 0]], np.int32)), None),
    "take with bool indices": (lambda m, a, i: m.np.take(a, i), (np.array([10, 20, 30], np.int32),
                                                                 np.array([True, False])), None),
    "einsum's sublist form": (
        lambda m, a, b, c: (m.np.einsum(a, [0, 1], b, [1], [0]), m.np.einsum(a, [0, 1], b, [1]),
                            m.np.einsum(a, [30, 51], c, [51, 2], [2, 30]), m.np.einsum(a, [Ellipsis, 1], b, [1],
                                                                                          [Ellipsis])),
        (np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(3, dtype=np.float32),
         np.arange(12, dtype=np.float32).reshape(3, 4)), None),
    "select with an array condlist": (
        lambda m, c, x: (m.np.select(c, x, 0), m.np.select(c, x, 0.5), m.np.select(c.astype(np.int32), x, -1)),
        (CONDS, CHOICES), None),
}

# Cases JAX only runs eagerly (a data-dependent shape, or a Python solver on NumPy scalars).
EAGER_CASES = {
    "where with one argument": (lambda m, a: (m.np.where(a), m.np.nonzero(a), m.np.argwhere(a)),
                                (np.array([[0, 1.5], [2, 0], [0, 3]], np.float32),), None),
    "repeat with array repeats": (lambda m, a, r: (m.np.repeat(a, r, axis=1), m.np.repeat(a[0], r)),
                                  (ROWS, np.array([1, 0, 2], np.int32)), None),
    "repeat with negative counts in an array": (lambda m, a, r: m.np.repeat(a, r),
                                                (np.array([True, False, True]), np.array([-1, 2, 0], np.int32)), None),
    "custom_root with NumPy scalar guesses": (
        lambda m: tuple(_newton(m, g) for g in (np.float32(1.0), np.float64(1.0), np.array(1.0, np.float32))),
        (), ROUNDING),
    "custom_root grad with a NumPy scalar guess": (
        lambda m: m.api.grad(lambda a: _newton(m, np.float32(1.0), a))(2.0), (), ROUNDING),
}

# name: (fn(m, *args), args, exception class name, message fragment), eagerly and under jit.
ERRORS = {
    "nextafter grad": (lambda m, x: m.api.grad(lambda x: m.np.nextafter(x, 10.0))(x), (np.float32(1.0),),
                       "NotImplementedError", "Differentiation rule for 'nextafter' not implemented"),
    "nextafter jvp": (lambda m, x: m.api.jvp(lambda x: m.lax.nextafter(x, x), (x,), (x,)), (np.float32(1.0),),
                      "NotImplementedError", "Differentiation rule for 'nextafter' not implemented"),
    "int ** negative Python int": (lambda m, x: x ** -1, (np.array([2, 3], np.int32),), "TypeError",
                                   "Integers cannot be raised to negative powers"),
    "isposinf of complex": (lambda m, z: m.np.isposinf(z), (np.array([1j], np.complex64),), "ValueError",
                            "isposinf/isneginf are not well defined for complex types"),
    "round of bools": (lambda m, b: m.np.round(b), (np.array([True]),), "ValueError", "not inexact"),
    "floor of complex": (lambda m, z: m.np.floor(z), (np.array([1j], np.complex64),), "TypeError", "complex64"),
    "ceil of complex": (lambda m, z: m.np.ceil(z), (np.array([1j], np.complex64),), "TypeError", "complex64"),
    "trunc of complex": (lambda m, z: m.np.trunc(z), (np.array([1j], np.complex64),), "TypeError", "complex"),
    "fabs of complex": (lambda m, z: m.np.fabs(z), (np.array([1j], np.complex64),), "TypeError",
                        "ufunc 'fabs' does not support complex dtypes"),
    "clip of complex": (lambda m, x: m.np.clip(x, 1j), (np.array([1.0], np.float32),), "ValueError",
                        "Clip received a complex value"),
    "hypot of complex": (lambda m, z: m.np.hypot(z, z), (np.array([1j], np.complex64),), "ValueError",
                         "jnp.hypot is not well defined for complex-valued inputs"),
    "repeat by a negative scalar": (lambda m, a: m.np.repeat(a, -1), (np.array([1, 2], np.int32),), "TypeError",
                                    "nonnegative"),
    "take with float indices": (lambda m, a: m.np.take(a, np.array([1.0])), (np.array([10, 20], np.int32),),
                                "ValueError", "indices must have an integer type"),
    "index helpers of a float size": (lambda m: (m.np.diag_indices(2.0), m.np.tril_indices(2.0)), (), "TypeError",
                                      "'float' object cannot be interpreted as an integer"),
    "where with size and three arguments": (lambda m, c: m.np.where(c, 1, 2, size=2), (np.array([True]),),
                                            "ValueError", "size and fill_value arguments cannot be used"),
    "where(cond) under jit without size": (lambda m, c: m.api.jit(m.np.where)(c), (np.array([0, 1]),),
                                           "ConcretizationTypeError",
                                           "The size argument of jnp.nonzero must be statically specified"),
    "repeat of traced repeats without total": (
        lambda m, r: m.api.jit(lambda r: m.np.repeat(np.arange(3), r))(r), (np.array([1, 0, 2], np.int32),),
        "ConcretizationTypeError", "the total number of repeats must be static"),
}


def _leaves(tree):
    return jax.tree_util.tree_leaves(tree)


def _compare(got, want, tolerance):
    """Values, shapes and dtypes (check), and weak types where JAX's result is an Array."""
    got_leaves, want_leaves = _leaves(got), _leaves(want)
    assert len(got_leaves) == len(want_leaves), (got, want)
    for g, w in zip(got_leaves, want_leaves, strict=True):
        check(g, w, tolerance=tolerance)
        if isinstance(w, jax.Array):
            assert getattr(g, "weak_type", False) == w.weak_type, (g, w)


def _run(m, fn, args, jit):
    """fn on the framework's arrays (NumPy's operators would otherwise compute x ** y)."""
    args = [m.np.asarray(x) for x in args]
    return m.api.jit(lambda *xs: fn(m, *xs))(*args) if jit else fn(m, *args)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", list(CASES))
def test_agrees_with_jax(name, jit):
    fn, args, tolerance = CASES[name]
    _compare(_run(MIRAX, fn, args, jit), _run(JAX, fn, args, jit), tolerance)


@pytest.mark.parametrize("name", list(EAGER_CASES))
def test_agrees_with_jax_eagerly(name):
    fn, args, tolerance = EAGER_CASES[name]
    _compare(_run(MIRAX, fn, args, False), _run(JAX, fn, args, False), tolerance)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", list(ERRORS))
def test_refuses_as_jax(name, jit):
    fn, args, error, fragment = ERRORS[name]
    for m in (JAX, MIRAX):
        with pytest.raises(Exception, match=f"(?i){fragment}") as info:
            _run(m, fn, args, jit)
        assert type(info.value).__name__ == error, (m, info.value)


@pytest.mark.usefixtures("x64")
def test_integer_division_every_dtype():
    """x // y, x % y, fmod, lax.div and lax.rem of every int dtype against JAX's (jitted),
    on every pair of edge values (0, +-1, +-7, the extremes: INT_MIN // -1 and division by 0)."""
    def fn(m, x, y):
        return x // y, x % y, m.np.fmod(x, y), m.lax.div(x, y), m.lax.rem(x, y)

    for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        info = np.iinfo(name)
        values = {0, 1, 7, info.max, info.min, info.max - 1} | ({-1, -7, info.min + 1} if info.min else set())
        values = np.array(sorted(values), name)
        args = np.repeat(values, len(values)), np.tile(values, len(values))
        want = _run(JAX, fn, args, True)
        for jit in (False, True):
            _compare(_run(MIRAX, fn, args, jit), want, None)
