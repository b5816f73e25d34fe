"""The elementwise ops (dialect/elementwise.py) through mirax.lax on concrete arrays
(each op compiled and run eagerly), checked against NumPy, and against jax.lax where
XLA's semantics differ from NumPy's.

Every (op, dtype) pair is visited: the dtypes an op accepts are spelled out below (as
jax.lax accepts them); the others must raise TypeError naming the op and the dtype.
Each op runs once per dtype on a vector of special and random values, so the number
of compiled programs stays near one per (op, dtype).
"""
import math
import warnings
from fractions import Fraction
from typing import Any, Callable, NamedTuple

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
import scipy.special
from jax import lax as jlax

import mirax
from mirax import lax
from mirax.core import Array

# ----------------------------------------------------------------------------- dtypes

BOOL = (np.dtype(np.bool_),)
SINTS = tuple(map(np.dtype, (np.int8, np.int16, np.int32, np.int64)))
UINTS = tuple(map(np.dtype, (np.uint8, np.uint16, np.uint32, np.uint64)))
INTS = SINTS + UINTS
BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = (np.dtype(np.float16), BF16, np.dtype(np.float32), np.dtype(np.float64))
COMPLEX = (np.dtype(np.complex64), np.dtype(np.complex128))
INEXACT = FLOATS + COMPLEX
NUMBER = INTS + INEXACT
ALL = BOOL + NUMBER


# 64-bit dtypes in JAX (the oracle) and in mirax (convert_element_type canonicalizes
# its target dtype), restored after this module (conftest.py).
pytestmark = pytest.mark.usefixtures("x64")


def _wide(x):
    """An inexact x exactly, in float64 or complex128 (for NumPy references)."""
    if x.dtype in COMPLEX:
        return x.astype(np.complex128)
    return x.astype(np.float64) if x.dtype in FLOATS else x


def _subnormal(x):
    """Where x (or a part of complex x) is a subnormal float."""
    if x.dtype in COMPLEX:
        return _subnormal(x.real) | _subnormal(x.imag)
    if x.dtype not in FLOATS:
        return np.zeros(x.shape, bool)
    magnitude = np.abs(x.astype(np.float64))
    return (magnitude > 0) & (magnitude < ml_dtypes.finfo(x.dtype).tiny)


# ----------------------------------------------------------------------------- values

_FLOAT_SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, 0.1, -0.7, 0.999, 10.0, -10.0,
                   100.0, 130.7, -129.5, 3e4, 7e4, 3e9, -3e9, 5e18, 1e19, 2e19, np.inf, -np.inf, np.nan]
_COMPLEX_PARTS = [0.0, -0.0, 1.0, -1.5, 0.5, 2.0, 1e-4, -3e-3, 30.0]
_SHIFTS = [0, 1, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]


def specials(dtype):
    """Values where an op's semantics are easy to get wrong, in `dtype`."""
    if dtype in BOOL:
        return np.array([False, True])
    if dtype in INTS:
        info = np.iinfo(dtype)
        small = [0, 1, 2, 3, 7, 100] + ([-1, -2, -7, -100] if dtype in SINTS else [])
        return np.array(small + [info.min, info.min + 1, info.max, info.max - 1], dtype)
    if dtype in COMPLEX:
        return np.array([complex(re, im) for re in _COMPLEX_PARTS for im in _COMPLEX_PARTS], dtype)
    info = ml_dtypes.finfo(dtype)
    extremes = [info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow to inf in narrow dtypes
        return np.array(_FLOAT_SPECIALS + [float(v) for v in extremes]).astype(dtype)


def random_values(dtype, size, rng):
    if dtype in BOOL:
        return rng.integers(0, 2, size).astype(bool)
    if dtype in INTS:
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
    if dtype in COMPLEX:
        return (rng.normal(size=size) * 2 + 1j * rng.normal(size=size) * 2).astype(dtype)
    return (rng.normal(size=size) * 3).astype(dtype)


def unary_values(dtype):
    return np.concatenate([specials(dtype), random_values(dtype, 16, np.random.default_rng(0))])


def binary_values(dtype, rhs_extra=()):
    """Every pair of special values (lhs, rhs), then random pairs."""
    lhs, rhs = specials(dtype), np.concatenate([specials(dtype), np.array(rhs_extra, dtype)])
    rng = np.random.default_rng(1)
    xs = np.concatenate([np.repeat(lhs, len(rhs)), random_values(dtype, 16, rng)])
    ys = np.concatenate([np.tile(rhs, len(lhs)), random_values(dtype, 16, rng)])
    return xs, ys


def shift_amounts(dtype):
    return [s for s in _SHIFTS if s <= np.iinfo(dtype).max] + ([-1, -8] if dtype in SINTS else [])


# ----------------------------------------------------------------------------- comparing


def ulp(values, dtype):
    """The distance from each of `values` (float64) to the next `dtype` value away from zero."""
    info = ml_dtypes.finfo(dtype)
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log2(np.abs(values)))
    exponent = np.clip(np.nan_to_num(exponent, neginf=info.minexp, posinf=info.maxexp), info.minexp, None)
    return np.ldexp(1.0, (exponent - info.nmant).astype(int))


def _mismatches(ok, inputs, got, want):
    bad = np.flatnonzero(~np.asarray(ok).reshape(-1))[:8]
    rows = [f"  inputs {[x.reshape(-1)[i] for x in inputs]}: got {got.reshape(-1)[i]!r}, want {want.reshape(-1)[i]!r}"
            for i in bad]
    return f"{len(np.flatnonzero(~np.asarray(ok)))} mismatches, first:\n" + "\n".join(rows)


def _close_parts(got, want, scale, dtype, ulps, zero_signs=True, atol=0):
    """got == want for each float part: NaN where want is NaN, equal infinities, equal
    signs of zero (if `zero_signs`), otherwise within `ulps` ulps of `dtype` at
    magnitude `scale` plus `atol`."""
    got, want = got.astype(np.float64), want.astype(np.float64)
    same_special = (np.isnan(got) == np.isnan(want)) & ((got == want) | ~np.isinf(want) & ~np.isinf(got))
    zero_sign = (want != 0) | (got != 0) | (np.signbit(got) == np.signbit(want)) | (not zero_signs)
    with np.errstate(invalid="ignore"):  # inf - inf
        near = np.isnan(want) | np.isinf(want) | (np.abs(got - want) <= ulps * ulp(scale, dtype) + atol)
    return same_special & zero_sign & near


def check(got, want, inputs=(), ulps=0, atol=0):
    """Compare a mirax result with a reference: exactly for bool and integer results;
    for inexact ones within `ulps` ulps of the result dtype, per part relative to |want|
    for complex values.
    The signs of zero parts of complex results are checked only for exact ops: MLIR's
    complex lowering, like XLA's, does not follow C99's Annex G there (the sign of a
    zero operand still picks the side of a branch cut, which shows in nonzero parts)."""
    assert isinstance(got, Array)
    got, want = got._value, np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype in BOOL + INTS:
        ok = got == want.astype(got.dtype)
        assert ok.all(), _mismatches(ok, inputs, got, want)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = want.astype(got.dtype)  # references computed wider round to the result dtype
    if got.dtype in COMPLEX:
        part = np.float32 if got.dtype == np.complex64 else np.float64
        scale = np.abs(want.astype(np.complex128))
        ok = _close_parts(got.real, want.real, scale, part, ulps, zero_signs=ulps == 0)
        ok &= _close_parts(got.imag, want.imag, scale, part, ulps, zero_signs=ulps == 0)
    else:
        ok = _close_parts(got, want, want.astype(np.float64), got.dtype, ulps, atol=atol)
    assert ok.all(), _mismatches(ok, inputs, got, want)


# ----------------------------------------------------------------------------- references


def numpy_wide(fn):
    """A NumPy reference computed in float64 / complex128 from the exact inputs."""

    def reference(*xs):
        with np.errstate(all="ignore"):
            return fn(*(_wide(x) for x in xs))

    return reference


def numpy_exact(fn):
    """A NumPy reference computed in the operands' own dtype (exact integer and bit ops)."""

    def reference(*xs):
        with np.errstate(all="ignore"):
            return fn(*xs)

    return reference


def xla(fn, ieee=None):
    """jax.lax's result (XLA's semantics) on the same inputs. XLA on the CPU flushes
    subnormal inputs and results to zero where mirax keeps them (IEEE): at those
    elements the reference is `ieee`, a NumPy reference."""

    def reference(*xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            want = np.asarray(fn(*(jnp.asarray(x) for x in xs)))
            if ieee is None:
                return want
            with np.errstate(all="ignore"):
                exact = np.asarray(ieee(*xs))
                subnormal = np.logical_or.reduce([_subnormal(x) for x in xs]) | _subnormal(exact.astype(want.dtype))
        return np.where(subnormal, exact, want)

    return reference


def by_kind(integer=None, real=None, complex_=None):
    """A reference per kind of operand dtype."""
    return lambda *xs: (integer if xs[0].dtype in INTS else complex_ if xs[0].dtype in COMPLEX else real)(*xs)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _erfc(x):
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def _sign(x):
    return np.where(x == 0, x, np.sign(x))  # keeps -0


def _erf_inv_of_tiny(x):
    return _wide(x) * (np.sqrt(np.pi) / 2)


def _clamp(lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _complex_from_parts(re, im):
    out = np.empty(re.shape, np.complex128)
    out.real, out.imag = re, im
    return out


# Default tolerances in ulps by dtype for inexact results that are not exact:
# f32 and f64 functions are within an ulp or two of the correctly rounded value
# (libm; NumPy's own vectorized float64 functions); half precision is computed in
# f32 and rounded once; complex functions compose several rounded real operations.
_ULPS = {np.dtype(np.float16): 1, BF16: 1, np.dtype(np.float32): 2, np.dtype(np.float64): 4,
         np.dtype(np.complex64): 8, np.dtype(np.complex128): 8}


_SPECIAL_ULPS = {np.dtype(np.float16): 1, BF16: 1, np.dtype(np.float32): 4, np.dtype(np.float64): 4}


def _lgamma(x):
    """scipy's gammaln; at float32 and float64 subnormals, XLA's reflection formula in IEEE
    arithmetic, log(pi) - log(pi |x|) with pi |x| rounded to x's dtype (XLA:CPU flushes
    them to 0, and returns inf)."""
    with np.errstate(all="ignore"):
        if x.dtype in FLOATS[2:]:
            return np.log(np.pi) - np.log((np.pi * np.abs(x)).astype(x.dtype).astype(np.float64))
        return scipy.special.gammaln(_wide(x))


# lgamma sums Lanczos' terms of magnitude up to ~10 that cancel near its zeros (1 and 2):
# within a few ulps of that magnitude, which is no ulp bound on the result (XLA's own
# float32 lgamma(2) is 0 where IEEE float32 evaluation of its formula gives 4.8e-7).
_POLYGAMMA_ULPS = {np.dtype(np.float32): 16, np.dtype(np.float64): 16}
_LGAMMA_ATOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 4e-15}


def _digamma(x):
    return scipy.special.digamma(x)


def _polygamma(n, x):
    return scipy.special.polygamma(n, x)


class Case(NamedTuple):
    name: str  # the op's name in mirax error messages
    fn: Callable  # the mirax.lax function
    dtypes: tuple  # the operand dtypes the op accepts
    reference: Callable  # NumPy arrays -> expected array
    ulps: Any = None  # tolerance: None for the defaults above, or a number or {dtype: ulps}
    nargs: int = 1
    label: str = None  # the test id, if not the name
    atol: dict = {}  # an absolute tolerance by dtype, besides the ulps (for results that cancel)

    def tolerance(self, dtype):
        if self.ulps is None:
            return _ULPS.get(np.dtype(dtype), 0)
        return self.ulps.get(np.dtype(dtype), 0) if isinstance(self.ulps, dict) else self.ulps

    def __repr__(self):
        return self.label or self.name


UNARY = [
    Case("neg", lax.neg, NUMBER, numpy_exact(np.negative), 0),
    Case("abs", lax.abs, SINTS + INEXACT, numpy_wide(np.abs), {COMPLEX[0]: 1, COMPLEX[1]: 1}),
    Case("sign", lax.sign, NUMBER, xla(jlax.sign, _sign), {COMPLEX[0]: 1, COMPLEX[1]: 1}),
    Case("floor", lax.floor, FLOATS, numpy_exact(np.floor), 0),
    Case("ceil", lax.ceil, FLOATS, numpy_exact(np.ceil), 0),
    Case("round", lax.round, FLOATS, xla(jlax.round, np.round), 0, label="round_away_from_zero"),
    Case("round", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), FLOATS, numpy_exact(np.round), 0,
         label="round_to_nearest_even"),
    Case("exp", lax.exp, INEXACT, numpy_wide(np.exp)),
    Case("exp2", lax.exp2, INEXACT, numpy_wide(np.exp2)),
    Case("expm1", lax.expm1, INEXACT, numpy_wide(np.expm1)),
    Case("log", lax.log, INEXACT, numpy_wide(np.log)),
    # NumPy's complex log1p is log(1 + z), with no digits left for |z| < 1e-8; JAX's is accurate.
    Case("log1p", lax.log1p, INEXACT, by_kind(real=numpy_wide(np.log1p), complex_=xla(jlax.log1p))),
    Case("sqrt", lax.sqrt, INEXACT, numpy_wide(np.sqrt)),
    Case("rsqrt", lax.rsqrt, INEXACT, numpy_wide(lambda x: 1 / np.sqrt(x))),
    Case("cbrt", lax.cbrt, FLOATS, numpy_wide(np.cbrt)),
    Case("sin", lax.sin, INEXACT, numpy_wide(np.sin)),
    Case("cos", lax.cos, INEXACT, numpy_wide(np.cos)),
    Case("tan", lax.tan, INEXACT, numpy_wide(np.tan)),
    Case("asin", lax.asin, INEXACT, numpy_wide(np.arcsin)),
    Case("acos", lax.acos, INEXACT, numpy_wide(np.arccos)),
    Case("atan", lax.atan, INEXACT, numpy_wide(np.arctan)),
    Case("sinh", lax.sinh, INEXACT, numpy_wide(np.sinh)),
    Case("cosh", lax.cosh, INEXACT, numpy_wide(np.cosh)),
    # float32 tanh is XLA:CPU's approximation (test_expand_math.py: bit for bit with JAX's), within 5 ulp.
    Case("tanh", lax.tanh, INEXACT, numpy_wide(np.tanh), {**_ULPS, np.dtype(np.float32): 5}),
    Case("asinh", lax.asinh, INEXACT, numpy_wide(np.arcsinh)),
    Case("acosh", lax.acosh, INEXACT, numpy_wide(np.arccosh)),
    Case("atanh", lax.atanh, INEXACT, numpy_wide(np.arctanh)),
    Case("logistic", lax.logistic, INEXACT, numpy_wide(_logistic)),
    Case("erf", lax.erf, FLOATS, numpy_wide(_erf)),
    Case("erfc", lax.erfc, FLOATS, numpy_wide(_erfc)),
    # JAX's float32 erf_inv is several ulps off near 1; its float64 one a few ulps.
    Case("erf_inv", lax.erf_inv, FLOATS, xla(lambda x: jlax.erf_inv(x.astype(np.float64)), _erf_inv_of_tiny),
         {**_ULPS, np.dtype(np.float64): 8}),
    # lax.special's functions, as XLA computes them (its algorithms, in f32 for f32): an
    # ulp or two apart where the formulas' roundings differ (f32 log, sin), more for lgamma
    # next to its zeros and poles, where the Lanczos sum cancels.
    Case("lgamma", lax.lgamma, FLOATS, xla(jlax.lgamma, _lgamma), _SPECIAL_ULPS, atol=_LGAMMA_ATOL),
    Case("digamma", lax.digamma, FLOATS, xla(jlax.digamma, numpy_wide(_digamma)), _SPECIAL_ULPS),
    Case("bessel_i0e", lax.bessel_i0e, FLOATS, xla(jlax.bessel_i0e, numpy_wide(scipy.special.i0e)), _SPECIAL_ULPS),
    Case("bessel_i1e", lax.bessel_i1e, FLOATS, xla(jlax.bessel_i1e, numpy_wide(scipy.special.i1e)), _SPECIAL_ULPS),
    Case("is_finite", lax.is_finite, FLOATS, numpy_exact(np.isfinite)),
    Case("not", lax.bitwise_not, INTS + BOOL, numpy_exact(np.invert)),
    Case("real", lax.real, COMPLEX, numpy_exact(np.real), 0),
    Case("imag", lax.imag, COMPLEX, numpy_exact(np.imag), 0),
    Case("conj", lax.conj, COMPLEX + FLOATS[2:], numpy_wide(np.conj), 0),
]

BINARY = [
    Case("add", lax.add, NUMBER, numpy_exact(np.add), 0, nargs=2),
    Case("sub", lax.sub, NUMBER, numpy_exact(np.subtract), 0, nargs=2),
    Case("mul", lax.mul, NUMBER, numpy_wide(np.multiply), {COMPLEX[0]: 2, COMPLEX[1]: 2}, nargs=2),
    # XLA's integer division and remainder; its complex division by 0 and 0 ** z.
    Case("div", lax.div, NUMBER, by_kind(xla(jlax.div), numpy_wide(np.divide), xla(jlax.div)),
         {COMPLEX[0]: 2, COMPLEX[1]: 2}, nargs=2),
    Case("rem", lax.rem, FLOATS + INTS, by_kind(xla(jlax.rem), numpy_wide(np.fmod)), 0, nargs=2),
    # Complex pow is exp(w log z), here and in XLA: its error grows with |w log z| (see inputs_for).
    Case("pow", lax.pow, INEXACT, by_kind(None, numpy_wide(np.power), xla(jlax.pow, numpy_wide(np.power))),
         {**_ULPS, COMPLEX[0]: 16, COMPLEX[1]: 16}, nargs=2),
    Case("max", lax.max, NUMBER + BOOL, xla(jlax.max, np.maximum), 0, nargs=2),
    Case("min", lax.min, NUMBER + BOOL, xla(jlax.min, np.minimum), 0, nargs=2),
    Case("atan2", lax.atan2, FLOATS, numpy_wide(np.arctan2), nargs=2),
    Case("nextafter", lax.nextafter, FLOATS, xla(jlax.nextafter, np.nextafter), 0, nargs=2),
    # polygamma's n! is exp(lgamma(n + 1)), whose float32 lgamma(2) is 4.8e-7 in IEEE arithmetic (0 in XLA's).
    Case("polygamma", lax.polygamma, FLOATS, xla(jlax.polygamma, numpy_wide(_polygamma)), {**_SPECIAL_ULPS, **_POLYGAMMA_ULPS},
         nargs=2),
    Case("zeta", lax.zeta, FLOATS, xla(jlax.zeta, numpy_wide(scipy.special.zeta)), _SPECIAL_ULPS, nargs=2),
    Case("and", lax.bitwise_and, INTS + BOOL, numpy_exact(np.bitwise_and), nargs=2),
    Case("or", lax.bitwise_or, INTS + BOOL, numpy_exact(np.bitwise_or), nargs=2),
    Case("xor", lax.bitwise_xor, INTS + BOOL, numpy_exact(np.bitwise_xor), nargs=2),
    Case("shift_left", lax.shift_left, INTS, xla(jlax.shift_left), nargs=2),
    Case("shift_right_logical", lax.shift_right_logical, INTS, xla(jlax.shift_right_logical), nargs=2),
    Case("shift_right_arithmetic", lax.shift_right_arithmetic, INTS, xla(jlax.shift_right_arithmetic),
         nargs=2),
    Case("complex", lax.complex, FLOATS[2:], numpy_exact(_complex_from_parts), 0, nargs=2),
]

SHIFTS = {"shift_left", "shift_right_logical", "shift_right_arithmetic"}


def inputs_for(case, dtype):
    """The operands `case` runs on in `dtype`."""
    if case.nargs == 1:
        return (unary_values(dtype),)
    xs = binary_values(dtype, shift_amounts(dtype) if case.name in SHIFTS else ())
    if case.name in ("polygamma", "zeta"):
        # Normal operands where intermediate powers stay normal numbers: XLA:CPU flushes
        # subnormals to 0, which changes results there (inf * 0 is NaN where IEEE's is inf;
        # a subnormal order is 0, so polygamma's NaN for a fractional order becomes digamma).
        with np.errstate(all="ignore"):
            first, second = np.abs(_wide(xs[0])), np.abs(_wide(xs[1]))
            keep = (first <= 10) & (second <= 100) & ((first == 0) | (first >= 0.1)) & ~_subnormal(xs[1])
        xs = tuple(x[keep] for x in xs)
    if case.name == "pow" and dtype in COMPLEX:
        with np.errstate(all="ignore"):
            exponent = np.abs(_wide(xs[1]) * np.log(_wide(xs[0])))
        xs = tuple(x[(xs[0] == 0) | (exponent < 12)] for x in xs)
    return xs


def run(case, xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        return case.fn(*(Array(x) for x in xs))


def rejects(case, dtype):
    x = Array(np.zeros((2,), dtype))
    with pytest.raises(TypeError) as err:
        case.fn(*[x] * case.nargs)
    message = str(err.value)
    assert f"{case.name} of" in message or f"{case.name} does not accept dtype" in message, message
    assert dtype.name in message, message


def _pairs(cases):
    return [pytest.param(c, d, id=f"{c!r}-{d.name}") for c in cases for d in ALL]


@pytest.mark.parametrize("case,dtype", _pairs(UNARY + BINARY))
def test_op(case, dtype):
    if dtype not in case.dtypes:
        rejects(case, dtype)
        return
    xs = inputs_for(case, dtype)
    check(run(case, xs), case.reference(*xs), xs, case.tolerance(dtype), case.atol.get(dtype, 0))


SHAPES = [(), (0,), (2, 3)]


@pytest.mark.parametrize("case,shape", [pytest.param(c, SHAPES[i % len(SHAPES)], id=f"{c!r}-{SHAPES[i % 3]}")
                                        for i, c in enumerate(UNARY + BINARY)])
def test_shapes(case, shape):
    """Rank 0, empty or rank 2 operands (taking turns over the ops; each compiled program
    costs), in one dtype the op accepts."""
    dtype = np.dtype(np.float32) if np.float32 in case.dtypes else case.dtypes[0]
    rng = np.random.default_rng(2)
    xs = tuple(random_values(dtype, shape, rng) for _ in range(case.nargs))
    check(run(case, xs), case.reference(*xs), xs, case.tolerance(dtype), case.atol.get(dtype, 0))


def _complex_sign(z):
    """z / |z| on z scaled by a power of two (exactly), so that |z| does not overflow."""
    _, exponent = np.frexp(np.maximum(np.abs(z.real), np.abs(z.imag)))
    w = _complex_from_parts(np.ldexp(z.real, -exponent), np.ldexp(z.imag, -exponent))
    return np.where(z == 0, z, w / np.abs(w))


# Complex functions on parts of extreme magnitude: tiny ones (where formulas that
# subtract exponentials lose every digit) for all, huge ones (where |z| overflows)
# for the ops that must not overflow there.
_TINY_AND_HUGE = {"abs", "sign", "sqrt", "rsqrt", "log", "atan", "atanh"}
_TINY = {"expm1", "log1p", "sin", "tan", "sinh", "tanh", "asin", "asinh", "acos", "cos", "exp"}


def complex_extremes(dtype, huge):
    info = np.finfo(np.float32 if dtype == np.complex64 else np.float64)
    parts = [0.0, 1.0, -2.0, 1e-5, float(info.tiny), -3 * float(info.tiny), float(np.sqrt(info.tiny))]
    if huge:
        parts += [float(info.max), -float(info.max) / 3, float(np.sqrt(info.max)) * 4]
    return np.array([complex(re, im) for re in parts for im in parts], dtype)


@pytest.mark.parametrize("dtype", COMPLEX, ids=str)
@pytest.mark.parametrize("case", [c for c in UNARY if c.name in _TINY_AND_HUGE | _TINY], ids=repr)
def test_complex_extreme_magnitudes(case, dtype):
    z = complex_extremes(dtype, huge=case.name in _TINY_AND_HUGE)
    want = numpy_wide(_complex_sign)(z) if case.name == "sign" else case.reference(z)
    check(run(case, (z,)), want, (z,), case.tolerance(dtype))


# ----------------------------------------------------------------------------- integer_pow, pow


def _repeated_multiplication(x, y):
    """x ** y as XLA computes it for |y| <= 3: x ** -2 is 1 / (x * x), 0 where x * x overflows."""
    result = np.ones_like(x)
    for _ in range(abs(y)):
        result = result * x
    return 1 / result if y < 0 else result


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_integer_pow(dtype):
    if dtype not in NUMBER:
        rejects(Case("integer_pow", lambda x: lax.integer_pow(x, 2), (), None), dtype)
        return
    x = unary_values(dtype)
    for y in (0, 1, 3) if dtype in INTS else (0, 3, -2):
        want = xla(lambda v: jlax.integer_pow(v, y), numpy_exact(lambda v: _repeated_multiplication(v, y)))(x)
        check(lax.integer_pow(Array(x), y), want, (x,), 0 if dtype in INTS else 2 * _ULPS[dtype])


def test_integer_pow_negative_exponent_of_integers():
    with pytest.raises(TypeError, match="integer_pow of.*negative powers.*int32"):
        lax.integer_pow(Array(np.arange(3, dtype=np.int32)), -1)


@pytest.mark.parametrize("dtype,exponent_dtype", [
    pytest.param(np.dtype(a), np.dtype(b), id=f"{np.dtype(a).name}-{np.dtype(b).name}")
    for a, b in [(np.float32, np.int32), (np.float64, np.int8), (np.float16, np.uint8), (BF16, np.int64),
                 (np.complex64, np.int32), (np.complex128, np.uint16)]])
def test_pow_integer_exponent(dtype, exponent_dtype):
    """pow(x, y) with an integer y converts y to x's dtype (as jax.lax.pow)."""
    x = unary_values(dtype)
    y = np.resize(np.array([0, 1, 2, 3, 5, 7, 100] + ([-1, -2] if exponent_dtype in SINTS else []), exponent_dtype),
                  x.shape)
    check(lax.pow(Array(x), Array(y)), xla(jlax.pow, lambda a, b: numpy_wide(np.power)(a, b.astype(a.dtype)))(x, y),
          (x, y), _ULPS[dtype])


def test_pow_rejects_float_exponent_of_another_dtype():
    with pytest.raises(TypeError, match="pow of.*exponent of dtype float32 or an integer dtype, got float64"):
        lax.pow(Array(np.ones(2, np.float32)), Array(np.ones(2, np.float64)))


# ----------------------------------------------------------------------------- compare, select, clamp

DIRECTIONS = {"EQ": (lax.eq, np.equal), "NE": (lax.ne, np.not_equal), "LT": (lax.lt, np.less),
              "LE": (lax.le, np.less_equal), "GT": (lax.gt, np.greater), "GE": (lax.ge, np.greater_equal)}


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_compare(direction, dtype):
    fn, reference = DIRECTIONS[direction]
    xs = binary_values(dtype)
    if dtype in COMPLEX and direction not in ("EQ", "NE"):
        with pytest.raises(TypeError, match=f"compare of.*complex.*{direction}"):
            fn(*map(Array, xs))
        return
    check(fn(*map(Array, xs)), numpy_exact(reference)(*xs), xs)


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_select(dtype):
    on_true, on_false = binary_values(dtype)
    pred = np.random.default_rng(3).integers(0, 2, on_true.shape).astype(bool)
    check(lax.select(Array(pred), Array(on_true), Array(on_false)), np.where(pred, on_true, on_false),
          (pred, on_true, on_false))


def test_select_rejects_non_bool_predicate():
    x = Array(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="select of.*bool predicate, got int32"):
        lax.select(Array(np.zeros(3, np.int32)), x, x)


CLAMP = FLOATS + INTS + BOOL


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_clamp(dtype):
    if dtype not in CLAMP:
        rejects(Case("clamp", lax.clamp, (), None, nargs=3), dtype)
        return
    rng = np.random.default_rng(4)
    lo, x, hi = (rng.choice(unary_values(dtype), 300) for _ in range(3))
    check(lax.clamp(Array(lo), Array(x), Array(hi)), xla(jlax.clamp, _clamp)(lo, x, hi), (lo, x, hi))


# ----------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("new_dtype", ALL, ids=str)
@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_convert_element_type(dtype, new_dtype):
    """Float to integer saturates and takes NaN to 0, complex to real keeps the real
    part (with a ComplexWarning), anything to bool is `!= 0` (as jax.lax)."""
    x = unary_values(dtype)
    if dtype in COMPLEX and new_dtype not in COMPLEX:
        with pytest.warns(np.exceptions.ComplexWarning):
            got = lax.convert_element_type(Array(x), new_dtype)
    else:
        got = lax.convert_element_type(Array(x), new_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        want = xla(lambda v: jlax.convert_element_type(v, new_dtype), lambda v: v.astype(new_dtype))(x)
    check(got, want, (x,))


def _bitcast_pairs():
    return [pytest.param(a, b, id=f"{a.name}-{b.name}") for a in ALL for b in ALL]


@pytest.mark.parametrize("dtype,new_dtype", _bitcast_pairs())
def test_bitcast_convert_type(dtype, new_dtype):
    """Same-width reinterpretation of bits (not bool or complex); NumPy's view."""
    x = unary_values(dtype)
    if dtype.itemsize != new_dtype.itemsize or {dtype, new_dtype} & set(BOOL + COMPLEX):
        with pytest.raises(TypeError, match=f"bitcast_convert of.*cannot bitcast {dtype.name} to {new_dtype.name}"):
            lax.bitcast_convert_type(Array(x), new_dtype)
        return
    got = lax.bitcast_convert_type(Array(x), new_dtype)
    assert got._value.dtype == new_dtype
    np.testing.assert_array_equal(got._value.view(np.uint8), x.view(np.uint8))


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn,name", [(lax.add, "add"), (lax.atan2, "atan2"), (lax.bitwise_and, "and"),
                                     (lax.lt, "compare")])
def test_mismatched_shapes(fn, name):
    with pytest.raises(TypeError) as err:
        fn(Array(np.zeros((2, 3), np.float32)), Array(np.zeros((3,), np.float32)))
    assert f"{name} of" in str(err.value) and "[2, 3]" in str(err.value) and "[3]" in str(err.value), str(err.value)


def test_mismatched_shapes_select():
    with pytest.raises(TypeError, match=r"select of.*\[2\].*\[3\]"):
        lax.select(Array(np.zeros(2, bool)), Array(np.zeros(3, np.float32)), Array(np.zeros(3, np.float32)))


def test_mismatched_dtypes():
    with pytest.raises(TypeError, match="add of.*float32.*int32"):
        lax.add(Array(np.zeros(2, np.float32)), Array(np.zeros(2, np.int32)))


@pytest.mark.parametrize("fn,name,dtype", [(lax.sin, "sin", np.int32), (lax.bitwise_and, "and", np.float32),
                                           (lax.exp, "exp", np.bool_), (lax.floor, "floor", np.complex64)])
def test_unsupported_dtype_message(fn, name, dtype):
    x = Array(np.zeros(2, dtype))
    with pytest.raises(TypeError, match=f"{name} of .*does not accept {np.dtype(dtype).name}"):
        fn(*[x] * (2 if name == "and" else 1))


# ----------------------------------------------------------------------------- fma (mirax.random's, no lax name)


def _fma(a, b, c):
    from mirax.core import bind
    from mirax.dialect.elementwise import FmaOp

    (out,) = bind(FmaOp, a, b, c)
    return out


@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)])
def test_fma_rounds_once(dtype):
    """Against exact rational arithmetic, rounded once; the first row is 0 without fusion."""
    rng = np.random.default_rng(0)
    eps = np.finfo(dtype).eps
    a = np.concatenate([[1 + 64 * eps, 3.0, 0.0, -0.0], rng.standard_normal(200)]).astype(dtype)
    b = np.concatenate([[1 - 64 * eps, 1 / 3, 5.0, 1.0], rng.standard_normal(200)]).astype(dtype)
    c = np.concatenate([[-1.0, -1.0, -0.0, 0.0], rng.standard_normal(200)]).astype(dtype)
    got = np.asarray(_fma(Array(a), Array(b), Array(c)))
    exact = [Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)) for x, y, z in zip(a, b, c, strict=True)]
    want = np.array([float(e) if dtype == np.float64 else _round_f32(e) for e in exact], dtype)
    assert got[0] != 0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got[2:4]), np.signbit(want[2:4]))


def _round_f32(exact):
    """The float32 nearest to a Fraction (ties to even): of the float32 nearest its
    float64 rounding and that one's neighbour toward it."""
    lo = np.float32(float(exact))
    if Fraction(float(lo)) == exact:
        return lo
    hi = np.nextafter(lo, np.float32(np.inf if exact > Fraction(float(lo)) else -np.inf))
    d_lo, d_hi = abs(exact - Fraction(float(lo))), abs(exact - Fraction(float(hi)))
    if d_lo != d_hi:
        return lo if d_lo < d_hi else hi
    return lo if int(lo.view(np.int32)) % 2 == 0 else hi


def test_fma_jvp_and_batching():
    """Its JVP against the product rule's, and its batching rule against a loop."""
    a, b, c = (np.float32(v) for v in (1.5, -2.0, 0.25))
    ta, tb, tc = (np.float32(v) for v in (0.5, 1.0, -3.0))
    _, tangent = mirax.jvp(_fma, (a, b, c), (ta, tb, tc))
    np.testing.assert_allclose(tangent, ta * b + a * tb + tc, rtol=1e-6)
    xs = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    got = mirax.vmap(_fma, in_axes=(0, None, 1))(xs, Array(xs[0]), xs.T.copy())
    np.testing.assert_array_equal(got, np.stack([np.asarray(_fma(Array(xs[i]), Array(xs[0]), Array(xs[i])))
                                                 for i in range(3)]))


# The incomplete gamma and beta functions loop per element (series, continued fractions)
# until converged, which takes ~sqrt(a) steps where x ~ a: on a grid of moderate
# arguments, with its edges (0, inf, NaN, negative), against jax.lax. Their float32
# results hang on lgamma's (test above: 4 ulps and cancellation) through x^a e^-x / Gamma(a).
_GAMMA_GRID = np.meshgrid([-1.0, 0.0, 1e-3, 0.5, 1.0, 2.5, 10.0, 80.0, np.nan],
                          [-1.0, 0.0, 1e-4, 0.3, 1.0, 2.0, 9.0, 70.0, np.inf])
_BETA_GRID = np.meshgrid([0.0, 0.2, 1.0, 3.0, 30.0, np.inf], [0.5, 2.0, 40.0], [-0.1, 0.0, 0.05, 0.5, 0.9, 1.0])


@pytest.mark.parametrize("dtype", [np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)], ids=str)
@pytest.mark.parametrize("name", ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc"])
def test_incomplete_gamma_and_beta(name, dtype):
    grid = _BETA_GRID if name == "betainc" else _GAMMA_GRID
    xs = [g.ravel().astype(dtype) for g in grid]
    want = np.asarray(getattr(jlax, name)(*xs))
    got = getattr(lax, name)(*(Array(x) for x in xs))
    tolerance = {np.dtype(np.float16): 0, np.dtype(np.float32): 4e-5, np.dtype(np.float64): 1e-12}[dtype]
    assert got.aval.dtype == want.dtype
    np.testing.assert_allclose(got._value, want, rtol=tolerance, atol=tolerance, equal_nan=True)
    op_name = "regularized_incomplete_beta" if name == "betainc" else name  # (JAX's primitive's name)
    rejects(Case(op_name, getattr(lax, name), FLOATS, None, nargs=len(xs)), np.dtype(np.int32))
