"""mirax.dtypes against JAX's own dtype machinery (jax._src.dtypes)."""

import itertools
import re
import warnings

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax._src import dtypes as jax_dtypes
from jax._src.lax import lax as jax_lax

from mirax import dtypes
from mirax.config import config

ALL = dtypes.SUPPORTED_DTYPES
NAMES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
         "uint64", "bfloat16", "float16", "float32", "float64", "complex64",
         "complex128"]
WIDE = {np.dtype(n) for n in ("int64", "uint64", "float64", "complex128")}


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64(request):
    """Set jax_enable_x64 in both JAX and mirax; restore both afterwards."""
    old_jax, old_mirax = jax.config.jax_enable_x64, config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", request.param)
    config.update("jax_enable_x64", request.param)
    # JAX warns when a 64-bit dtype is requested without x64; mirax narrows silently.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield request.param
    jax.config.update("jax_enable_x64", old_jax)
    config.update("jax_enable_x64", old_mirax)


class FakeArray:
    """What mirax's arrays and tracers look like to mirax.dtypes."""

    def __init__(self, dtype, weak_type=False):
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    def __repr__(self):
        return f"FakeArray({self.dtype}, weak_type={self.weak_type})"


def weak_jax_array(dt):
    x = jnp.zeros((), dt)
    return jax_lax._convert_element_type(x, np.dtype(dt), weak_type=True)


def operands(x64):
    """(label, jax operand, mirax operand) triples covering every kind of input."""
    out = [(f"dtype {d}", d, d) for d in ALL]
    out += [(f"np.ndarray {d}", np.zeros(2, d), np.zeros(2, d)) for d in ALL]
    out += [(f"np scalar {d}", d.type(0), d.type(0)) for d in ALL]
    out += [(f"python {v!r}", v, v) for v in (True, 1, 1.0, 1j)]
    out += [(f"python type {t.__name__}", t, t) for t in (bool, int, float, complex)]
    # Weakly-typed arrays exist only at canonical dtypes (JAX cannot form wider ones).
    for d in ALL:
        if x64 or d not in WIDE:
            w = weak_jax_array(d)
            assert w.weak_type and w.dtype == d
            out.append((f"weak array {d}", w, FakeArray(d, weak_type=True)))
    out += [(f"strong array {d}", jnp.zeros((), d), FakeArray(d))
            for d in ALL if x64 or d not in WIDE]
    out.append(("None", None, None))
    return out


def test_supported_dtypes():
    assert [d.name for d in ALL] == NAMES
    assert all(isinstance(d, np.dtype) for d in ALL)
    for name in NAMES:
        scalar = getattr(dtypes, "bool_" if name == "bool" else name)
        assert np.dtype(scalar) == np.dtype(name)
        assert issubclass(scalar, np.generic)
        assert np.dtype(scalar) == np.dtype(getattr(jnp, "bool_" if name == "bool" else name))
    assert dtypes.bfloat16 is ml_dtypes.bfloat16


def test_promote_types_matches_jax(x64):
    kinds = list(ALL) + [bool, int, float, complex]
    bad = []
    for a, b in itertools.product(kinds, repeat=2):
        got, want = dtypes.promote_types(a, b), jnp.promote_types(a, b)
        if not isinstance(got, np.dtype) or got != want:
            bad.append(f"promote_types({a}, {b}): mirax {got!r}, jax {want!r}")
    assert not bad, "\n".join(bad)


def test_promote_types_examples(x64):
    p = dtypes.promote_types
    assert p("int32", "float32") == np.float32
    assert p("uint8", "int8") == np.int16
    assert p("bfloat16", "float16") == np.float32
    assert p("uint8", int) == np.uint8 and p("float16", float) == np.float16
    assert p("int64", "uint64") == np.float64
    # Not canonicalized, like jnp.promote_types; but the x32 lattice keeps
    # uint32 x int32 at 32 bits.
    assert p("float64", "float32") == np.float64
    assert p("uint32", "int32") == (np.int64 if x64 else np.int32)


def _check_result_type(x64, arity):
    ops = operands(x64)
    if arity == 3:  # keep the triple sweep small: a spread of dtypes, weak and strong
        keep = {"bool", "uint8", "int16", "uint32", "int64", "uint64", "bfloat16",
                "float16", "float32", "float64", "complex64"}
        ops = [o for o in ops if o[0].startswith(("dtype", "python 1", "weak"))
               and (o[0].split()[-1] in keep or o[0].startswith("python"))]
    bad = []
    for combo in itertools.product(ops, repeat=arity):
        labels, jax_args, mirax_args = zip(*combo)
        want = jax_dtypes.result_type(*jax_args, return_weak_type_flag=True)
        got = dtypes.result_type(*mirax_args, return_weak_type_flag=True)
        if got != want or not isinstance(got[0], np.dtype):
            bad.append(f"result_type{labels}: mirax {got}, jax {want}")
        elif dtypes.result_type(*mirax_args) != want[0]:
            bad.append(f"result_type{labels} without flag differs")
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:50])


def test_result_type_single_matches_jax(x64):
    _check_result_type(x64, 1)


def test_result_type_pairs_match_jax(x64):
    _check_result_type(x64, 2)


def test_result_type_triples_match_jax(x64):
    _check_result_type(x64, 3)


def test_result_type_examples(x64):
    r = lambda *a: dtypes.result_type(*a, return_weak_type_flag=True)
    i, f, c = (("int64", "float64", "complex128") if x64
               else ("int32", "float32", "complex64"))
    assert r(1) == (np.dtype(i), True)
    assert r(True) == (np.dtype(bool), False)
    assert r(1, np.int8) == (np.dtype(np.int8), False)
    assert r(1.0, np.int8) == (np.dtype(f), True)
    assert r(1j, np.float16) == (np.dtype(np.complex64), False)
    assert r(2.0, dtypes.bfloat16) == (np.dtype(dtypes.bfloat16), False)
    assert r(FakeArray("bfloat16", weak_type=True)) == (np.dtype(f), True)
    assert r(FakeArray("uint8", weak_type=True)) == (
        np.dtype("uint64" if x64 else "uint32"), True)
    assert r(FakeArray("float32", weak_type=True), np.float16) == (np.dtype("float16"), False)
    assert r(np.float64(1.0)) == (np.dtype(f), False)
    assert r(1, 1.0, 1j) == (np.dtype(c), True)
    assert r(None) == (np.dtype(f), False)
    with pytest.raises(ValueError):
        dtypes.result_type()


def test_canonicalize_dtype_matches_jax(x64):
    likes = list(ALL) + [d.name for d in ALL] + [np.dtype(d).type for d in ALL]
    likes += [bool, int, float, complex, "f4", "i8", "c16"]
    for like in likes:
        got = dtypes.canonicalize_dtype(like)
        assert isinstance(got, np.dtype)
        assert got == jax_dtypes.canonicalize_dtype(like), like


def test_canonicalize_dtype_narrowing(x64):
    c = dtypes.canonicalize_dtype
    pairs = {"int64": "int32", "uint64": "uint32", "float64": "float32",
             "complex128": "complex64"}
    for wide, narrow in pairs.items():
        assert c(wide) == np.dtype(wide if x64 else narrow)
    for name in NAMES:
        if name not in pairs:
            assert c(name) == np.dtype(name)
    assert c(float) == np.dtype("float64" if x64 else "float32")


UNSUPPORTED = [np.dtype("O"), np.dtype("U3"), np.dtype("S3"), np.dtype("M8[s]"),
               np.dtype("m8[s]"), np.dtype("V4"), np.dtype([("a", "i4")]),
               np.dtype(ml_dtypes.int4), np.dtype(ml_dtypes.float8_e4m3fn),
               np.dtype(np.clongdouble)]
if np.dtype(np.longdouble) != np.float64:
    UNSUPPORTED.append(np.dtype(np.longdouble))


@pytest.mark.parametrize("bad", UNSUPPORTED, ids=str)
def test_unsupported_dtype_errors(bad, x64):
    with pytest.raises(TypeError, match="mirax does not support dtype " + re.escape(f"{bad};")) as e:
        dtypes.canonicalize_dtype(bad)
    assert "supported: bool, int8" in str(e.value)
    with pytest.raises(TypeError, match="does not support"):
        dtypes.dtype(bad)
    with pytest.raises(TypeError, match="does not support"):
        dtypes.result_type(np.zeros(1, bad), 1.0)
    with pytest.raises(TypeError, match="does not support"):
        dtypes.promote_types(bad, "float32")


def test_float128_error_message():
    if np.dtype(np.longdouble) == np.float64:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(TypeError, match="mirax does not support dtype float128; "
                       "supported: bool, int8, int16, "):
        dtypes.canonicalize_dtype(np.longdouble)
    with pytest.raises(TypeError, match="not understood"):
        dtypes.canonicalize_dtype("no_such_dtype")


def test_dtype_matches_jax(x64):
    values = [True, 1, 1.0, 1j, bool, int, float, complex, np.float64(1.0),
              np.int64(1), np.uint8(1), np.zeros(3, "float64"), np.zeros(3, "int16"),
              "float64", "bfloat16", np.dtype("complex128"), np.float16]
    values += [d.type for d in ALL] + list(ALL) + [d.type(0) for d in ALL]
    for v in values:
        got = dtypes.dtype(v)
        assert isinstance(got, np.dtype)
        assert got == jax_dtypes.dtype(v), v
    for d in ALL:
        if x64 or d not in WIDE:
            assert dtypes.dtype(FakeArray(d, True)) == d == jax_dtypes.dtype(weak_jax_array(d))


def test_dtype_of_python_scalars(x64):
    assert dtypes.dtype(True) == np.bool_
    assert dtypes.dtype(1) == (np.int64 if x64 else np.int32)
    assert dtypes.dtype(1.0) == (np.float64 if x64 else np.float32)
    assert dtypes.dtype(1j) == (np.complex128 if x64 else np.complex64)
    assert dtypes.dtype(float) == dtypes.default_float_dtype()
    assert dtypes.dtype(int) == dtypes.default_int_dtype()
    assert dtypes.default_float_dtype() == (np.float64 if x64 else np.float32)
    assert dtypes.default_int_dtype() == (np.int64 if x64 else np.int32)
    assert dtypes.dtype(FakeArray("float64")) == (np.float64 if x64 else np.float32)
    with pytest.raises(ValueError):
        dtypes.dtype(None)


def test_is_weakly_typed_matches_jax(x64):
    for label, jax_v, mirax_v in operands(x64):
        if label.startswith("python type") or label == "None":
            continue
        assert dtypes.is_weakly_typed(mirax_v) == jax_dtypes.is_weakly_typed(jax_v), label
    assert not dtypes.is_weakly_typed(True)
    assert dtypes.is_weakly_typed(1) and dtypes.is_weakly_typed(1.0)
    assert not dtypes.is_weakly_typed(np.float32(1.0))
    assert not dtypes.is_weakly_typed(np.float64(1.0))  # a float subclass, still strong


CATEGORIES = [np.generic, np.number, np.integer, np.signedinteger,
              np.unsignedinteger, np.inexact, np.floating, np.complexfloating,
              np.bool_, dtypes.bfloat16, np.float32, np.int32]


def test_issubdtype_matches_jax():
    for a, b in itertools.product(list(ALL) + [d.type for d in ALL], CATEGORIES):
        assert dtypes.issubdtype(a, b) == jnp.issubdtype(a, b), (a, b)
    assert dtypes.issubdtype(dtypes.bfloat16, np.floating)
    assert dtypes.issubdtype("bfloat16", np.inexact)
    assert not dtypes.issubdtype(np.bool_, np.integer)


def test_predicates():
    floats = {"bfloat16", "float16", "float32", "float64"}
    for d in ALL:
        assert dtypes.is_float(d) == (d.name in floats)
        assert dtypes.is_complex(d) == d.name.startswith("complex")
        assert dtypes.is_integer(d) == (d.name.startswith(("int", "uint")))
        assert dtypes.is_unsigned(d) == d.name.startswith("uint")


def test_real_and_complex_dtype():
    for d in ALL:
        want_real = {"complex64": "float32", "complex128": "float64"}.get(d.name, d.name)
        assert dtypes.real_dtype(d) == np.dtype(want_real)
        assert dtypes.complex_dtype(d) == jax_dtypes.to_complex_dtype(d), d
        assert dtypes.to_inexact_dtype(d) == jax_dtypes.to_inexact_dtype(d), d
    assert dtypes.complex_dtype("float32") == np.complex64
    assert dtypes.complex_dtype("bfloat16") == np.complex64
    assert dtypes.complex_dtype("float16") == np.complex64
    assert dtypes.complex_dtype("float64") == np.complex128


def test_finfo_iinfo():
    assert dtypes.finfo(dtypes.bfloat16).bits == 16
    assert dtypes.finfo(dtypes.bfloat16).nmant == 7
    assert dtypes.finfo(np.float32).eps == np.finfo(np.float32).eps
    assert dtypes.iinfo(np.int8).min == -128
    assert dtypes.iinfo("uint16").max == 65535


def test_short_name():
    want = ["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bf16",
            "f16", "f32", "f64", "c64", "c128"]
    assert [dtypes.short_name(d) for d in ALL] == want
    assert [jax_dtypes.short_dtype_name(d) for d in ALL] == want
    assert dtypes.short_name("float32") == "f32"
    assert dtypes.short_name(dtypes.bfloat16) == "bf16"
