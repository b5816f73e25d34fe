"""jax.numpy's scalar types: `jnp.float32` and the others are dtypes and constructors.

As in JAX (jax._src.numpy.scalar_types), mirax has no scalar objects: calling a
scalar type gives a 0-d (or any shape) `Array` of its dtype, canonicalized by the
x64 flag and traceable, so `grad`, `jit` and `vmap` see through `jnp.float32(x)`.
The type still stands for its dtype wherever NumPy's would: `np.dtype(jnp.float32)`,
`x.astype(jnp.float32)`, `jnp.zeros(3, jnp.float32)`, `== np.float32`, hashing,
`isinstance(np.float32(1), jnp.float32)`.

mirax's own code uses NumPy's types and dtypes (mirax.dtypes), never these.
"""
import ml_dtypes
import numpy as np

from ._creation import asarray


class _ScalarMeta(type):
    dtype: np.dtype

    @property
    def __numpy_dtype__(cls):  # NumPy's protocol for np.dtype(cls) (NumPy >= 2.4; older ones read .dtype)
        return cls.dtype

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __eq__(cls, other):
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other):
        return not cls == other

    def __call__(cls, x):
        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)


def _make_scalar_type(np_scalar_type):
    name = np_scalar_type.__name__
    scalar_type = _ScalarMeta(name, (object,), {
        "dtype": np.dtype(np_scalar_type),
        "__doc__": f"A mirax scalar constructor of type {name}: it makes arrays, as mirax has no scalars.",
    })
    scalar_type.__module__ = "mirax.numpy"
    return scalar_type


bool_ = _make_scalar_type(np.bool_)
int8 = _make_scalar_type(np.int8)
int16 = _make_scalar_type(np.int16)
int32 = _make_scalar_type(np.int32)
int64 = _make_scalar_type(np.int64)
uint8 = _make_scalar_type(np.uint8)
uint16 = _make_scalar_type(np.uint16)
uint32 = _make_scalar_type(np.uint32)
uint64 = _make_scalar_type(np.uint64)
bfloat16 = _make_scalar_type(ml_dtypes.bfloat16)
float16 = _make_scalar_type(np.float16)
float32 = single = _make_scalar_type(np.float32)
float64 = double = _make_scalar_type(np.float64)
complex64 = csingle = _make_scalar_type(np.complex64)
complex128 = cdouble = _make_scalar_type(np.complex128)

int_ = int64
uint = uint64
float_ = float64
complex_ = complex128
