"""Dtypes and JAX's type-promotion semantics.

Dtype objects are plain NumPy dtypes (bfloat16 comes from ml_dtypes). This
module reproduces the behaviour of ``jax._src.dtypes`` for the 15 dtypes mirax
supports:

* canonicalization: without ``jax_enable_x64`` the 64-bit types map to their
  32-bit counterparts;
* weak types: Python scalars (``1``, ``1.0``, ``1j``; not ``True``) and arrays
  carrying ``weak_type=True`` take part in promotion as the weak categories
  ``int``/``float``/``complex``, which never widen a strongly-typed operand;
* the promotion lattice, including its x32 variant (``uint32`` sits below
  ``int32`` there, so no promotion forms a 64-bit type from 32-bit inputs).
"""

import functools

import ml_dtypes
import numpy as np

from mirax.config import config

# NumPy's scalar types, for mirax's own code (mirax.numpy exports JAX's scalar types,
# which construct arrays: mirax/numpy/_scalar_types.py).
bool_ = np.bool_
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
uint16 = np.uint16
uint32 = np.uint32
uint64 = np.uint64
bfloat16 = ml_dtypes.bfloat16
float16 = np.float16
float32 = np.float32
float64 = np.float64
complex64 = np.complex64
complex128 = np.complex128

SUPPORTED_DTYPES = tuple(np.dtype(t) for t in (
    bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    bfloat16, float16, float32, float64, complex64, complex128))
_SUPPORTED = frozenset(SUPPORTED_DTYPES)

_b1, _i8, _i16, _i32, _i64, _u8, _u16, _u32, _u64 = SUPPORTED_DTYPES[:9]
_bf16, _f16, _f32, _f64, _c64, _c128 = SUPPORTED_DTYPES[9:]

_TO_32BIT = {_i64: _i32, _u64: _u32, _f64: _f32, _c128: _c64}

# Trivial vector space dtype of the tangents of integer and bool values, as JAX's.
float0 = np.dtype([("float0", np.void, 0)])


class extended(np.generic):  # noqa: N801 (JAX's name)
    """Scalar class for extended dtypes (never instantiated): jnp.issubdtype(key.dtype,
    dtypes.extended) is true of PRNG key arrays."""


class prng_key(extended):  # noqa: N801 (JAX's name)
    """Scalar class for PRNG key dtypes (never instantiated), for jnp.issubdtype."""


class TypePromotionError(ValueError):
    """Raised when JAX type promotion fails."""


# The weak categories of the lattice are the Python types themselves, as in JAX.
_WEAK_TYPES = (int, float, complex)


def _x64():
    return bool(config.read("jax_enable_x64"))


def default_int_dtype():
    return _i64 if _x64() else _i32


def default_uint_dtype():
    return _u64 if _x64() else _u32


def default_float_dtype():
    return _f64 if _x64() else _f32


def default_complex_dtype():
    return _c128 if _x64() else _c64


# Default dtype of a weakly-typed result, by dtype kind (bfloat16 is kind 'V'), before
# canonicalization.
_DEFAULT_BY_KIND = {"b": _b1, "i": _i64, "u": _u64, "f": _f64, "V": _f64, "c": _c128}
_WEAK_TYPE_KINDS = {int: "i", float: "f", complex: "c"}

_PYTHON_SCALAR_DEFAULTS = {
    bool: lambda: _b1,
    int: default_int_dtype,
    float: default_float_dtype,
    complex: default_complex_dtype,
}


def _unsupported(dt):
    names = ", ".join(d.name for d in SUPPORTED_DTYPES)
    return TypeError(f"mirax does not support dtype {dt}; supported: {names}")


def _np_dtype(x):
    """np.dtype(x), restricted to the supported dtypes (not canonicalized)."""
    try:
        dt = np.dtype(x)
    except TypeError as e:
        raise TypeError(f"dtype {x!r} not understood") from e
    if dt not in _SUPPORTED:
        raise _unsupported(dt)
    return dt


def _canonical(dt, x64):
    return dt if x64 else _TO_32BIT.get(dt, dt)


# {x64: {dtype or scalar type: canonical dtype}}: the usual arguments of canonicalize_dtype
# without np.dtype's parsing (every eager op canonicalizes a few).
_CANONICAL = {x64: {key: _canonical(dt, x64) for dt in SUPPORTED_DTYPES for key in (dt, dt.type)}
              for x64 in (False, True)}


def canonicalize_dtype(dtype):
    """np.dtype(dtype), with 64-bit types narrowed to 32 bits unless x64 is on."""
    if isinstance(dtype, (np.dtype, type)):  # hashable
        found = _CANONICAL[_x64()].get(dtype)
        if found is not None:
            return found
    return _canonical(_np_dtype(dtype), _x64())


def dtype(x):
    """The canonical dtype of a value, scalar type or dtype-like (jax.dtypes.dtype).

    Python scalars and Python scalar types give the default dtypes; anything with
    a ``.dtype`` gives that dtype; anything else is read as a dtype-like.
    """
    if x is None:
        raise ValueError(f"Invalid argument to dtype: {x}.")
    if isinstance(x, type):
        default = _PYTHON_SCALAR_DEFAULTS.get(x)
        return default() if default is not None else canonicalize_dtype(x)
    default = _PYTHON_SCALAR_DEFAULTS.get(type(x))
    if default is not None:
        return default()
    if isinstance(x, (str, np.dtype)):
        return canonicalize_dtype(x)
    dt = getattr(x, "dtype", None)
    if dt is None:
        try:
            dt = np.result_type(x)
        except TypeError as e:
            raise TypeError(f"Cannot determine dtype of {x!r}") from e
    return canonicalize_dtype(dt)


def is_weakly_typed(x):
    """True for Python int/float/complex values and for arrays with weak_type set.

    Python bools are not weakly typed (bool is at the bottom of the lattice).
    """
    if type(x) in _WEAK_TYPES:
        return True
    weak = getattr(x, "weak_type", None)
    if weak is None:
        weak = getattr(getattr(x, "aval", None), "weak_type", False)
    return bool(weak)


# ---------------------------------------------------------------------------
# The promotion lattices (jax._src.dtypes._type_promotion_lattice, restricted to the
# supported dtypes): the standard one, and the strict one of
# jax_numpy_dtype_promotion='strict', where only weak types promote.

def _lattice(x64):
    i_, f_, c_ = _WEAK_TYPES
    return {
        _b1: [i_],
        i_: [_u8, _i8],
        _u8: [_i16, _u16],
        _u16: [_i32, _u32],
        _u32: [_i64, _u64] if x64 else [_i32, _u64],
        _u64: [f_],
        _i8: [_i16],
        _i16: [_i32],
        _i32: [_i64],
        _i64: [f_],
        f_: [_bf16, _f16, c_],
        _bf16: [_f32],
        _f16: [_f32],
        _f32: [_f64, _c64],
        _f64: [_c128],
        c_: [_c64],
        _c64: [_c128],
        _c128: [],
    }


def _strict_lattice():
    i_, f_, c_ = _WEAK_TYPES
    return {i_: [f_, _u8, _u16, _u32, _u64, _i8, _i16, _i32, _i64], f_: [c_, _bf16, _f16, _f32, _f64],
            c_: [_c64, _c128], **{t: [] for t in SUPPORTED_DTYPES}}


def _upper_bounds(lattice):
    """Map each node to the set of nodes at or above it."""
    ubs = {}

    def visit(n):
        if n not in ubs:
            ubs[n] = {n}.union(*(visit(m) for m in lattice[n]))
        return ubs[n]

    for n in lattice:
        visit(n)
    return ubs


_UPPER_BOUNDS = {("standard", False): _upper_bounds(_lattice(False)),
                 ("standard", True): _upper_bounds(_lattice(True)),
                 ("strict", False): _upper_bounds(_strict_lattice()),
                 ("strict", True): _upper_bounds(_strict_lattice())}


def _promotion():
    return config.read("jax_numpy_dtype_promotion")


@functools.lru_cache(maxsize=1024)
def _least_upper_bound(promotion, x64, *nodes):
    ubs = _UPPER_BOUNDS.get((promotion, x64))
    if ubs is None:  # mirax.config.update does not parse the value
        raise ValueError(f"Unexpected value of jax_numpy_dtype_promotion={promotion!r}")
    common = set.intersection(*(ubs[n] for n in nodes))
    least = [c for c in common if common <= ubs[c]]
    if not least:  # only the strict lattice has nodes without a common upper bound
        raise TypePromotionError(
            f"Input dtypes {tuple(str(n) for n in nodes)} have no available implicit dtype promotion path when "
            "jax_numpy_dtype_promotion=strict. Try explicitly casting inputs to the desired output type, or set "
            "jax_numpy_dtype_promotion=standard.")
    return least[0]


def _lattice_node(x):
    """A dtype-like for promote_types: the weak Python types stay as themselves."""
    if any(x is t for t in _WEAK_TYPES):
        return x
    return _np_dtype(x)


def promote_types(a, b):
    """jnp.promote_types: the least upper bound of two dtypes on JAX's lattice.

    ``int``, ``float`` and ``complex`` are treated as weak. As in JAX, the result
    is not canonicalized (promote_types('float64', 'float32') is float64 even
    without x64), but the x32 lattice is used when x64 is off, so no 64-bit
    type is formed from narrower inputs.
    """
    return np.dtype(_least_upper_bound(_promotion(), _x64(), _lattice_node(a), _lattice_node(b)))


def dtype_and_weak_type(x):
    """What result_type reads of a value: its canonical dtype and whether it is weakly typed."""
    if x is None:
        return default_float_dtype(), False
    return dtype(x), x is int or x is float or x is complex or is_weakly_typed(x)


def _weak_node(dt):
    """The weak lattice node for a weakly-typed value of dtype dt."""
    if dt == _b1:
        return dt
    if dt.kind in "iu":
        return int
    if dt.kind == "c":
        return complex
    return float  # float kinds and bfloat16


def result_type(*args, return_weak_type_flag=False):
    """The dtype (and weakness) of combining the given values (jax.dtypes.result_type).

    Arguments may be Python scalars or scalar types (weak), NumPy arrays, scalars
    and dtype-likes (strong), None (the default float dtype), or any object with
    ``.dtype`` and optionally ``.weak_type``. The result is canonicalized; a weak
    result has the default dtype of its kind.
    """
    out, weak = promote_typed(tuple(map(dtype_and_weak_type, args)))
    return (out, weak) if return_weak_type_flag else out


def promote_typed(typed):
    """result_type(..., return_weak_type_flag=True) of values given as (dtype, weak type)
    pairs: for callers that know some without inspecting the values."""
    if not typed:
        raise ValueError("at least one array or dtype is required")
    return _result_type(_promotion(), _x64(), typed)


def _lattice_dtype(node):
    """A lattice node's dtype (not canonicalized): a weak Python type's is its kind's default."""
    return _DEFAULT_BY_KIND[_WEAK_TYPE_KINDS[node]] if isinstance(node, type) else node


@functools.lru_cache(maxsize=4096)
def _result_type(promotion, x64, typed):
    """result_type's (dtype, weak type) of values of (dtype, weak type) `typed`."""
    dtypes = [_canonical(_np_dtype(d), x64) for d, _ in typed]
    weaks = [w for _, w in typed]
    if len(dtypes) == 1:
        out, weak = dtypes[0], weaks[0]
    elif len(set(dtypes)) == 1 and not all(weaks):
        out, weak = dtypes[0], False
    elif all(weaks) and promotion != "strict":
        # Promote the strong counterparts and mark the result weak.
        out, weak = _lattice_dtype(_least_upper_bound(promotion, x64, *set(dtypes))), True
    else:
        nodes = {_weak_node(d) if w else d for d, w in zip(dtypes, weaks)}
        lub = _least_upper_bound(promotion, x64, *nodes)
        out, weak = _lattice_dtype(lub), isinstance(lub, type)
    weak = weak and out != _b1
    if weak:
        out = _DEFAULT_BY_KIND[out.kind]
    return _canonical(out, x64), weak


# ---------------------------------------------------------------------------
# Dtype queries.

def _scalar_type(x):
    if isinstance(x, type) and issubclass(x, np.generic):
        return x
    extended_type = getattr(x, "type", None)  # a key dtype's is prng_key
    if isinstance(extended_type, type) and issubclass(extended_type, extended):
        return extended_type
    return np.dtype(x).type


def issubdtype(a, b):
    """np.issubdtype, with bfloat16 placed under np.floating."""
    a_t, b_t = _scalar_type(a), _scalar_type(b)
    if a_t is bfloat16:
        return b_t in (bfloat16, np.floating, np.inexact, np.number, np.generic)
    return bool(np.issubdtype(a_t, b_t))


finfo = ml_dtypes.finfo
iinfo = ml_dtypes.iinfo


def itemsize_bits(dtype):
    """Number of bits per element for the dtype (a bool takes a byte)."""
    if dtype is None:
        raise ValueError("dtype cannot be None.")
    if np.dtype(dtype) == _b1:
        return 8
    if is_integer(dtype):
        return iinfo(dtype).bits
    if is_float(dtype):
        return finfo(dtype).bits
    if is_complex(dtype):
        return 2 * finfo(dtype).bits
    raise ValueError(f"unexpected input: {dtype=}")


def scalar_type_of(x):
    """The Python scalar type (bool, int, float or complex) of a value's dtype."""
    typ = dtype(x)
    for kind, scalar_type in ((np.bool_, bool), (np.integer, int), (np.floating, float), (np.complexfloating, complex)):
        if issubdtype(typ, kind):
            return scalar_type
    raise TypeError(f"Invalid scalar value {x}")


def is_float(dtype):
    """Real floating point, bfloat16 included."""
    return issubdtype(dtype, np.floating)


def is_complex(dtype):
    return issubdtype(dtype, np.complexfloating)


def is_integer(dtype):
    """Signed or unsigned integer; bool is not an integer."""
    return issubdtype(dtype, np.integer)


def is_unsigned(dtype):
    return issubdtype(dtype, np.unsignedinteger)


def real_dtype(dtype):
    """complex64 -> float32, complex128 -> float64; other dtypes unchanged."""
    dt = np.dtype(dtype)
    return {_c64: _f32, _c128: _f64}.get(dt, dt)


# As in jax._src.dtypes._dtype_to_inexact: narrow types promote to float32.
_TO_INEXACT = {
    _b1: _f32, _i8: _f32, _i16: _f32, _i32: _f32, _u8: _f32, _u16: _f32,
    _u32: _f32, _i64: _f64, _u64: _f64,
}


def to_inexact_dtype(dtype):
    """bool and integer dtypes -> float32 (float64 for 64-bit ints); else unchanged."""
    dt = np.dtype(dtype)
    return _TO_INEXACT.get(dt, dt)


def complex_dtype(dtype):
    """The complex dtype for dtype (jax to_complex_dtype): complex128 for
    float64/int64/uint64/complex128, complex64 for everything else."""
    return _c128 if to_inexact_dtype(dtype) in (_f64, _c128) else _c64


def short_name(dtype):
    """JAX's short dtype name as printed in jaxprs: f32, bf16, i8, u32, bool, c64..."""
    return (np.dtype(dtype).name.replace("float", "f").replace("uint", "u")
            .replace("int", "i").replace("complex", "c"))
