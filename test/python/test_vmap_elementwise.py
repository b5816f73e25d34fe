"""Batching of every elementwise op (dialect/elementwise.py, one rule for the family)
through jax.lax's names, against a Python loop and jax.vmap (oracle.check_vmap):
operands batched along different axes, mixed with unbatched ones, out_axes moved."""
import numpy as np
import pytest

from oracle import check_vmap, rand

UNARY = ["neg", "abs", "sign", "floor", "ceil", "round", "exp", "exp2", "expm1", "log", "log1p", "sqrt", "rsqrt",
         "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
         "logistic", "erf", "erfc", "erf_inv", "lgamma", "digamma", "bessel_i0e", "bessel_i1e", "is_finite", "real", "imag", "conj", "stop_gradient"]
BINARY = ["add", "sub", "mul", "div", "rem", "max", "min", "atan2", "nextafter", "zeta", "pow", "complex", "eq", "ne", "lt",
          "le", "gt", "ge"]
INTEGER = ["bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "shift_left", "shift_right_logical",
           "shift_right_arithmetic"]
COMPLEX_INPUT = {"real", "imag"}
DOMAIN = {"log": 1, "log1p": 1, "sqrt": 1, "rsqrt": 1, "acosh": 2, "asin": 0.5, "acos": 0.5, "atanh": 0.5,
          "erf_inv": 0.5, "pow": 1, "zeta": 3}

# (operand shape, in_axes, out_axes): batch of 3 along various axes.
UNARY_AXES = [((3, 4), 0, 0), ((4, 3), 1, 0), ((2, 3, 4), -2, 1)]
BINARY_AXES = [((3, 4), (0, 0), 0), ((4, 3), (1, None), 1), ((2, 3), (None, -1), 0), ((3, 2), (0, 1), -1)]


def _input(name, shape, seed, dtype=np.float32):
    x = rand(shape, np.complex64 if name in COMPLEX_INPUT else dtype, seed=seed)
    if name in DOMAIN:
        x = np.abs(x) * 0.4 + DOMAIN[name] * (1.0 if name in ("acosh", "log", "log1p", "sqrt", "rsqrt", "pow") else 0.5)
        x = x.astype(dtype)
    return x


def _operand_shapes(shape, in_axes):
    """Each operand's shape: `shape` is the first batched operand's; the batch (3) moves
    to each operand's own axis, or is left out for unbatched ones."""
    first = next(a for a in in_axes if a is not None) % len(shape)
    element = shape[:first] + shape[first + 1:]
    return [element if a is None else element[:a % len(shape)] + (3,) + element[a % len(shape):] for a in in_axes]


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("shape, in_axes, out_axes", UNARY_AXES)
@pytest.mark.parametrize("name", UNARY)
def test_unary(name, shape, in_axes, out_axes):
    check_vmap(lambda lax, x: getattr(lax, name)(x), [_input(name, shape, 0)], in_axes, out_axes)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("shape, in_axes, out_axes", BINARY_AXES)
@pytest.mark.parametrize("name", BINARY)
def test_binary(name, shape, in_axes, out_axes):
    args = [_input(name, s, seed) for seed, s in enumerate(_operand_shapes(shape, in_axes))]
    check_vmap(lambda lax, x, y: getattr(lax, name)(x, y), args, in_axes, out_axes)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("shape, in_axes, out_axes", BINARY_AXES)
@pytest.mark.parametrize("name", INTEGER)
def test_integer(name, shape, in_axes, out_axes):
    args = [(np.abs(rand(s, np.int32, seed=seed)) % 8).astype(np.int32)
            for seed, s in enumerate(_operand_shapes(shape, in_axes))]
    if name == "bitwise_not":  # unary: the first batched operand alone
        k = next(i for i, a in enumerate(in_axes) if a is not None)
        check_vmap(lambda lax, x: lax.bitwise_not(x), args[k:k + 1], in_axes[k], out_axes)
    else:
        check_vmap(lambda lax, x, y: getattr(lax, name)(x, y), args, in_axes, out_axes)


@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 1, 0), (0, None, None), (None, None, -1)])
def test_select_and_clamp(in_axes):
    arrays = [rand(s, seed=i) for i, s in enumerate(_operand_shapes((3, 4) if in_axes[0] != 1 else (4, 3), in_axes))]
    pred = [np.asarray(a) > 0 for a in arrays[:1]]
    check_vmap(lambda lax, p, x, y: lax.select(p, x, y), pred + arrays[1:], in_axes)
    check_vmap(lambda lax, lo, x, hi: lax.clamp(lo, x, hi),
               [arrays[0] - 1, arrays[1], arrays[2] + 1], in_axes)


@pytest.mark.parametrize("in_axes, out_axes", [(0, 0), (1, 0), (-1, 1)])
def test_conversions_and_powers(in_axes, out_axes):
    x = rand((3, 3, 2), seed=3)
    check_vmap(lambda lax, x: lax.convert_element_type(x, np.int32), [x * 4], in_axes, out_axes)
    check_vmap(lambda lax, x: lax.bitcast_convert_type(x, np.int32), [x], in_axes, out_axes)
    check_vmap(lambda lax, x: lax.integer_pow(x, 3), [x], in_axes, out_axes)
    check_vmap(lambda lax, x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), [x * 3], in_axes, out_axes)
