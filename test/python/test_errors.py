"""mirax.errors (jax.errors' classes, raised where JAX raises them, with its messages)
and the names of jax.dtypes that mirax.dtypes adds: each program runs with jax and with
mirax, and the exception classes and messages are compared.

JAX ends a tracer error's message with where the value came from ("The error occurred
while tracing the function f at file:7 for jit. ..."), mirax with the user's line
("  at file:7 (f)"): the messages are compared without those lines."""
import operator

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

BOTH = [(jax, jjnp), (mirax, mjnp)]


def _without_origin(message):
    return "\n".join(line for line in message.split("\n")
                     if not line.startswith(("The error occurred while tracing", "This BatchTracer", "  ")))


def raised(program, m):
    """The exception program(m, m.numpy) raises: its class name and its message, without
    the lines saying where it came from."""
    with pytest.raises(Exception) as info:
        program(*m)
    return type(info.value).__name__, _without_origin(str(info.value))


def test_names_and_hierarchy_are_jaxs():
    names = sorted(n for n in dir(jax.errors) if not n.startswith("_"))
    assert names == sorted(n for n in dir(mirax.errors) if isinstance(getattr(mirax.errors, n), type)
                           and issubclass(getattr(mirax.errors, n), Exception))
    for name in names:
        def bases(cls):
            return [c.__name__ for c in cls.__mro__]
        assert bases(getattr(mirax.errors, name)) == bases(getattr(jax.errors, name)), name
    assert mirax.ConcretizationTypeError is mirax.errors.ConcretizationTypeError


CONVERSIONS = {
    "bool under jit": lambda m, np_: m.jit(lambda x: bool(x))(1.0),
    "if under jit": lambda m, np_: m.jit(lambda x: 1 if x > 0 else 2)(1.0),
    "bool of a vector under jit": lambda m, np_: m.jit(lambda x: bool(x))(np_.ones(3)),
    "bool under vmap": lambda m, np_: m.vmap(lambda x: bool(x))(np_.ones(3)),
    "int under jit": lambda m, np_: m.jit(lambda x: int(x))(1.0),
    "int of a vector under jit": lambda m, np_: m.jit(lambda x: int(x))(np_.ones(2)),
    "float under jit": lambda m, np_: m.jit(lambda x: float(x))(1.0),
    "complex under jit": lambda m, np_: m.jit(lambda x: complex(x))(1.0),
    "operator.index under jit": lambda m, np_: m.jit(operator.index)(1),
    "list index under jit": lambda m, np_: m.jit(lambda i: [1, 2][i])(1),
    "float index under jit": lambda m, np_: m.jit(lambda i: [1, 2][i])(1.0),
    "np.asarray under jit": lambda m, np_: m.jit(lambda x: np.asarray(x))(1.0),
    "np.sin under jit": lambda m, np_: m.jit(lambda x: np.sin(x))(np_.ones(2)),
    "item under jit": lambda m, np_: m.jit(lambda x: x.item())(1.0),
    "tolist under jit": lambda m, np_: m.jit(lambda x: x.tolist())(1.0),
    "float under grad": lambda m, np_: m.grad(lambda x: float(x) * x)(1.0),
    "boolean mask under jit": lambda m, np_: m.jit(lambda x: x[x > 0])(np_.ones(3)),
    "nonzero under jit": lambda m, np_: m.jit(np_.nonzero)(np_.ones(3)),
    "repeat under jit": lambda m, np_: m.jit(lambda r: np_.repeat(np_.arange(3), r))(np_.ones(3, int)),
}


@pytest.mark.parametrize("name", CONVERSIONS)
def test_tracer_conversions_raise_jaxs_errors(name):
    program = CONVERSIONS[name]
    assert raised(program, (mirax, mjnp)) == raised(program, (jax, jjnp))


def test_messages_link_jaxs_documentation_and_name_the_users_line():
    with pytest.raises(mirax.errors.TracerBoolConversionError) as info:
        mirax.jit(lambda x: bool(x))(1.0)
    message = str(info.value)
    assert "test_errors.py" in message
    assert message.endswith("\nSee https://docs.jax.dev/en/latest/errors.html#jax.errors.TracerBoolConversionError")
    assert isinstance(info.value, mirax.errors.ConcretizationTypeError)


ARRAY_CONVERSIONS = [(f, shape, dtype) for f in (bool, int, float, complex, operator.index, hex)
                     for shape, dtype in (((3,), "float32"), ((1,), "float32"), ((), "float32"), ((), "int32"),
                                          ((0,), "float32"), ((), "bool"))]


@pytest.mark.parametrize("convert, shape, dtype", ARRAY_CONVERSIONS)
def test_array_conversions_are_jaxs(convert, shape, dtype):
    """Concrete arrays convert as JAX's (only scalars; an index only from integers)."""
    def run(np_):
        try:
            return convert(np_.ones(shape, dtype))
        except (TypeError, ValueError) as err:
            return type(err).__name__, str(err)
    assert run(mjnp) == run(jjnp)


@pytest.mark.parametrize("m", [jax, mirax], ids=["jax", "mirax"])
def test_concrete_values_convert_under_grad(m):
    """Under grad outside jit, bool, int and indexing see the value, as in JAX."""
    def f(x):
        return x * int(x) if x > 0 else -x * [1, 2, 3][x.astype(int)]
    assert float(m.grad(f)(2.0)) == 2.0


def test_unexpected_tracer_is_a_jax_type_error():
    leaked = []
    mirax.jit(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(mirax.errors.UnexpectedTracerError) as info:
        mjnp.sin(leaked[0])
    assert isinstance(info.value, mirax.errors.JAXTypeError)
    assert str(info.value).endswith("#jax.errors.UnexpectedTracerError")


# ----------------------------------------------------------------------------- mirax.dtypes


def test_dtypes_names_are_jaxs():
    names = {n for n in dir(jax.dtypes) if not n.startswith("_")}
    assert names <= set(dir(mirax.dtypes))
    assert mirax.dtypes.float0 == jax.dtypes.float0 and mirax.float0 is mirax.dtypes.float0
    assert issubclass(mirax.dtypes.TypePromotionError, ValueError)
    assert issubclass(mirax.dtypes.prng_key, mirax.dtypes.extended)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int32", "uint64", "bfloat16", "float16", "float32",
                                   "float64", "complex64", "complex128", "float0"])
def test_itemsize_bits(dtype):
    def run(m):
        try:
            return m.dtypes.itemsize_bits(getattr(m.dtypes, dtype, dtype))
        except ValueError as err:
            return str(err)
    assert run(mirax) == run(jax)


@pytest.mark.parametrize("value", [True, 1, 1.0, 1j, np.int8(1), np.float16(1), np.uint32(1), "bfloat16",
                                   "complex64", np.dtype("bool")])
def test_scalar_type_of(value):
    assert mirax.dtypes.scalar_type_of(value) is jax.dtypes.scalar_type_of(value)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "bfloat16", "complex64"])
def test_scalar_type_of_arrays(dtype):
    assert mirax.dtypes.scalar_type_of(mjnp.ones(2, dtype)) is jax.dtypes.scalar_type_of(jjnp.ones(2, dtype))


@pytest.mark.parametrize("m, np_", BOTH, ids=["jax", "mirax"])
def test_key_dtypes_are_extended(m, np_):
    key_dtype = m.random.key(0).dtype
    assert [np_.issubdtype(key_dtype, t) for t in (m.dtypes.prng_key, m.dtypes.extended, np_.floating)] == \
        [True, True, False]
    assert not np_.issubdtype(np_.float32, m.dtypes.extended)


STRICT = {
    "bool and int": lambda np_: np_.array(True) + 1,
    "bool and bool": lambda np_: np_.array(True) + True,
    "int8 and uint8": lambda np_: np_.ones(2, np_.int8) + np_.ones(2, np_.uint8),
    "promote int8 and weak int": lambda np_: np_.promote_types("int8", int),
    "promote weak float and int8": lambda np_: np_.promote_types(float, "int8"),
    "weak int and weak float": lambda np_: np_.result_type(1, 1.0),
    "weak types and int8": lambda np_: np_.result_type(1, 1.0, "int8"),
    "float16 and weak float": lambda np_: np_.ones(2, np_.float16) * 2.5,
    "int32 and weak float": lambda np_: np_.ones(2, np_.int32) * 2.5,
    "float32 and weak complex": lambda np_: np_.ones(2, np_.float32) + 1j,
    "bfloat16 and float16": lambda np_: np_.ones(2, np_.bfloat16) + np_.ones(2, np_.float16),
}


@pytest.mark.parametrize("name", STRICT)
@pytest.mark.parametrize("x64", [False, True])
def test_strict_dtype_promotion(name, x64):
    """jax_numpy_dtype_promotion='strict': only weak types promote; the rest raises
    TypePromotionError (its message lists the dtypes in the order of a set: sorted here)."""
    def run(m, np_):
        with m.numpy_dtype_promotion("strict"), m.enable_x64(x64):
            try:
                return np.dtype(getattr(STRICT[name](np_), "dtype", STRICT[name](np_))).name
            except m.dtypes.TypePromotionError as err:
                dtypes_listed, rest = str(err).split(")", 1)
                return sorted(dtypes_listed.strip("Input dtypes (").split(", ")), rest
    assert run(mirax, mjnp) == run(jax, jjnp)


def test_strict_promotion_retraces_jitted_functions():
    f = mirax.jit(lambda x, y: x + y)
    args = mjnp.ones(2, mjnp.int8), mjnp.ones(2, mjnp.uint8)
    assert f(*args).dtype == np.int16
    with mirax.numpy_dtype_promotion("strict"):
        with pytest.raises(mirax.dtypes.TypePromotionError):
            f(*args)
    assert f(*args).dtype == np.int16
