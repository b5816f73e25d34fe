"""mirax.numpy's scalar types (jnp.float32, ...) against jax.numpy's: constructors that
return traceable arrays of their dtype (canonicalized by the x64 flag), and dtypes
wherever NumPy's scalar types are accepted."""
import pickle

import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax._src.numpy.scalar_types import _ScalarMeta as JaxScalarMeta

import mirax
import mirax.numpy as mjnp
from mirax.dtypes import SUPPORTED_DTYPES
from oracle import ROUNDING, check

pytestmark = pytest.mark.filterwarnings("ignore:Explicitly requested dtype:UserWarning")  # JAX warns, mirax narrows

# Every scalar type jax.numpy exports whose dtype mirax supports (JAX's float8/int4
# families are not), aliases (bool_, single, int_, float_, ...) included; the tests
# run over the 15 types under their own names (the aliases are the same objects).
ALL_NAMES = sorted(name for name in dir(jjnp)
                   if isinstance(getattr(jjnp, name), JaxScalarMeta) and getattr(jjnp, name).dtype in SUPPORTED_DTYPES)
NAMES = [name for name in ALL_NAMES if getattr(jjnp, name).__name__ == name]


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64_mode(request):
    if request.param:
        request.getfixturevalue("x64")
    return request.param


by_name = pytest.mark.parametrize("name", NAMES)


def test_jax_exports_are_all_here():
    assert len(NAMES) == 15 and len(ALL_NAMES) == 24, ALL_NAMES
    for name in ALL_NAMES:
        mine, theirs = getattr(mjnp, name), getattr(jjnp, name)
        assert mine.dtype == theirs.dtype and mine is getattr(mjnp, theirs.__name__), name


def _inputs(dtype):
    """Values every scalar type of `dtype`'s kind converts (no negatives for unsigned types)."""
    values = [0, 1, 2.75, True, [0, 1, 3], np.array([0.5, 2.0, 7.25], np.float32), np.array([1, 0], np.int8)]
    if dtype.kind in "fcVi":
        values += [-3, np.float64(-1.5)]
    if dtype.kind == "c":
        values += [1 + 2j, np.array([1 - 1j], np.complex64)]
    return values


@by_name
def test_constructor(name, x64_mode):
    mine, theirs = getattr(mjnp, name), getattr(jjnp, name)
    for x in _inputs(theirs.dtype):
        got, want = mine(x), theirs(x)
        assert type(got) is mirax.Array and not got.weak_type, (name, x, got)
        check(got, want, f"{name}({x!r})")


@by_name
def test_constructor_under_jit_and_vmap(name, x64_mode):
    mine, theirs = getattr(mjnp, name), getattr(jjnp, name)
    x = np.array([0.0, 1.0, 2.5, 3.0], np.float32)
    check(mirax.jit(lambda v: mine(v) + mine(1))(x), jax.jit(lambda v: theirs(v) + theirs(1))(x), name)
    check(mirax.vmap(lambda v: mine(v * 2))(x), jax.vmap(lambda v: theirs(v * 2))(x), name)


GRAD_CASES = {
    "float32": lambda m, x: m.float32(x) ** 2,
    "float64": lambda m, x: m.sin(m.float64(x)) * x,  # float32 with x64 off, in both
    "float16": lambda m, x: m.float16(x * 3).astype(m.float32) * x,
    "bfloat16": lambda m, x: (m.bfloat16(x) * 2).astype(m.float32),
    "int32": lambda m, x: m.int32(x) * x + x,  # nothing flows through the integer
    "complex128": lambda m, x: m.real(m.complex128(x) * (1 + 2j)) * x,
}


@pytest.mark.parametrize("case, x64_on", [(case, False) for case in GRAD_CASES] +
                         [("float64", True), ("complex128", True)])
def test_grad_flows_through_constructors(case, x64_on, request):
    if x64_on:
        request.getfixturevalue("x64")
    fn = GRAD_CASES[case]
    want = jax.grad(lambda v: fn(jjnp, v))(2.5)
    check(mirax.grad(lambda v: fn(mjnp, v))(2.5), want, "grad", ROUNDING)
    check(mirax.jit(mirax.grad(lambda v: fn(mjnp, v)))(2.5), want, "jit(grad)", ROUNDING)
    xs = np.array([0.5, 1.5, -2.0], np.float32)
    check(mirax.vmap(mirax.grad(lambda v: fn(mjnp, v)))(xs), jax.vmap(jax.grad(lambda v: fn(jjnp, v)))(xs),
          "vmap(grad)", ROUNDING)


def test_mixed_scalar_arithmetic(x64_mode):
    """Arrays, so JAX's promotion applies: float32 + int32 is float32, not NumPy's float64."""
    for expr in (lambda m: m.float32(1) + m.int32(1), lambda m: m.float64(1), lambda m: m.int8(3) * m.uint8(2),
                 lambda m: m.float16(1) + 1.5, lambda m: m.bool_(1) & m.bool_(0), lambda m: m.int_(7) // 2,
                 lambda m: m.float_(2) * m.complex64(1j)):
        check(expr(mjnp), expr(jjnp))


@by_name
def test_usable_as_dtypes(name, x64_mode):
    mine, theirs = getattr(mjnp, name), getattr(jjnp, name)
    x = np.arange(3, dtype=np.float32)
    assert np.dtype(mine) == np.dtype(theirs) == mine.dtype
    assert mjnp.dtype(mine) == jjnp.dtype(theirs)
    check(mjnp.zeros(3, mine), jjnp.zeros(3, theirs))
    check(mjnp.asarray(x).astype(mine), jjnp.asarray(x).astype(theirs))
    check(mirax.jit(lambda v: mirax.lax.convert_element_type(v, mine))(x),
          jax.jit(lambda v: jax.lax.convert_element_type(v, theirs))(x))
    assert mjnp.result_type(mine, mjnp.int8) == jjnp.result_type(theirs, jjnp.int8)
    assert mjnp.promote_types(mine, mjnp.float32) == jjnp.promote_types(theirs, jjnp.float32)
    assert mirax.dtypes.result_type(mine) == jax.dtypes.result_type(theirs)
    array_dtype = mjnp.zeros(1, mine).dtype
    for abstract in ("generic", "number", "inexact", "floating", "complexfloating", "integer", "signedinteger",
                     "unsignedinteger"):
        assert getattr(mjnp, abstract) is getattr(jjnp, abstract)
        want = jjnp.issubdtype(theirs, getattr(jjnp, abstract))
        assert mjnp.issubdtype(mine, getattr(mjnp, abstract)) == mjnp.issubdtype(array_dtype, getattr(mjnp, abstract))
        assert mjnp.issubdtype(mine, getattr(mjnp, abstract)) == want, abstract
    assert mjnp.issubdtype(mine, mine) and mjnp.issubdtype(mine.dtype, mine)
    if mine.dtype.kind in "fV":
        assert mjnp.finfo(mine).eps == jjnp.finfo(theirs).eps
    elif mine.dtype.kind in "iu":
        assert mjnp.iinfo(mine).max == jjnp.iinfo(theirs).max


@by_name
def test_scalar_type_objects(name):
    mine, theirs = getattr(mjnp, name), getattr(jjnp, name)
    numpy_type = theirs.dtype.type
    assert repr(mine) == repr(theirs).replace("jax.numpy", "mirax.numpy")
    assert str(mine) == str(theirs).replace("jax.numpy", "mirax.numpy")
    assert mine.__name__ == theirs.__name__
    assert isinstance(mine, type) and type(mine) is not type
    assert mine == numpy_type and numpy_type == mine and mine == np.dtype(numpy_type) and mine == theirs.dtype
    assert not mine != numpy_type
    assert (mine == "float32") == (theirs == "float32")
    others = [t for t in (np.bool_, np.int32, np.float64, np.complex64) if t != numpy_type]
    assert all(mine != t and not mine == t for t in others)
    assert hash(mine) == hash(numpy_type)
    assert {numpy_type: "x"}[mine] == "x" and {mine: "y"}[numpy_type] == "y"
    assert isinstance(numpy_type(1), mine) == isinstance(numpy_type(1), theirs) is True
    assert isinstance(mine(1), mine) == isinstance(theirs(1), theirs) is False
    assert pickle.loads(pickle.dumps(mine)) is getattr(mjnp, mine.__name__)
    assert mirax.jit(lambda x, t: x.astype(t), static_argnums=1)(np.ones(2), mine).dtype == jjnp.ones(2, theirs).dtype


def test_not_an_array():
    """A scalar type is no array value, as in JAX (TypeError)."""
    for fn in (lambda m: m.asarray(m.float32), lambda m: m.add(m.int32, 1)):
        with pytest.raises(TypeError):
            fn(jjnp)
        with pytest.raises(TypeError):
            fn(mjnp)
    with pytest.raises(TypeError, match="not a valid"):
        mirax.jit(lambda t: 1)(mjnp.float32)


@by_name
@pytest.mark.parametrize("text", ["3", b"2", "1.5", ["1.5", "2"], "nan"])
def test_constructors_parse_numbers_written_as_text(name, text):
    """jnp.float32("1.5") parses the text as NumPy does (JAX's constructors are
    asarray(x, dtype)); text that does not parse raises NumPy's error in both."""
    def make(jnp):
        try:
            return getattr(jnp, name)(text)
        except Exception as e:  # noqa: BLE001 - the class and message are compared
            return type(e), str(e)

    mine, theirs = make(mjnp), make(jjnp)
    if isinstance(theirs, tuple):
        assert mine == theirs
    else:
        check(mine, theirs, name)


def test_asarray_of_text_without_a_dtype_raises_as_jax():
    with pytest.raises(TypeError):
        jjnp.asarray("1.5")
    with pytest.raises(TypeError, match="<U3"):
        mjnp.asarray("1.5")
