"""jax.nn.initializers: functions init(key, shape, dtype) drawing an array of
parameters, as JAX's with the same key draws the same values (mirax.random is JAX's
PRNG bit for bit, and the scalings here are JAX's formulas)."""
import math
import typing

import numpy as np

from mirax import dtypes, random
from mirax import numpy as jnp
from mirax.core import with_source


@typing.runtime_checkable
class Initializer(typing.Protocol):
    def __call__(self, key, shape, dtype=None, out_sharding=None):
        raise NotImplementedError


def _default_dtype(dtype, out_sharding, name):
    """The float dtype, defaulting to float32 (float64 with x64); mirax has no shardings."""
    if out_sharding is not None:
        raise NotImplementedError(with_source(f"mirax.nn.initializers.{name}: mirax has no shardings, "
                                              f"out_sharding must be None"))
    return dtypes.default_float_dtype() if dtype is None else dtype


def zeros(key, shape, dtype=None, out_sharding=None):
    return jnp.zeros(shape, _default_dtype(dtype, out_sharding, "zeros"))


def ones(key, shape, dtype=None, out_sharding=None):
    return jnp.ones(shape, _default_dtype(dtype, out_sharding, "ones"))


def constant(value, dtype=None):
    """An initializer filling its arrays with `value`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        return jnp.full(shape, value, dtype=_default_dtype(dtype, out_sharding, "constant"))
    return init


def uniform(scale=1e-2, dtype=None):
    """An initializer drawing uniformly from [0, scale)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        dtype = _default_dtype(dtype, out_sharding, "uniform")
        return random.uniform(key, shape, dtype) * jnp.array(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=None):
    """An initializer drawing from a centred normal distribution of deviation `stddev`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        dtype = _default_dtype(dtype, out_sharding, "normal")
        return random.normal(key, shape, dtype) * jnp.array(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """An initializer drawing from a standard normal truncated to [lower, upper], times stddev."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        dtype = _default_dtype(dtype, out_sharding, "truncated_normal")
        return random.truncated_normal(key, lower, upper, shape, dtype) * jnp.array(stddev, dtype)
    return init


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): the input and output sizes times the receptive field (the
    product of the dimensions that are neither input, output nor batch)."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional weights tensor with "
                         f"default in_axis. Must be at least 2D or specify in_axis explicitly.")

    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[i] for i in axes)

    in_size, out_size = size(in_axis), size(out_axis)
    receptive_field_size = math.prod(shape) / in_size / out_size / size(batch_axis)
    return in_size * receptive_field_size, out_size * receptive_field_size


def _complex_uniform(key, shape, dtype):
    """Uniform in the unit-variance complex disc: radius sqrt(2 u), uniform angle."""
    key_r, key_theta = random.split(key)
    real_dtype = dtypes.real_dtype(dtype)
    dtype = dtypes.complex_dtype(real_dtype)
    r = jnp.sqrt(2 * random.uniform(key_r, shape, real_dtype)).astype(dtype)
    theta = 2 * np.pi * random.uniform(key_theta, shape, real_dtype).astype(dtype)
    return r * jnp.exp(1j * theta)


def _complex_truncated_normal(key, upper, shape, dtype):
    """A complex normal with modulus truncated at `upper`, uniform angle."""
    key_r, key_theta = random.split(key)
    real_dtype = dtypes.real_dtype(dtype)
    dtype = dtypes.complex_dtype(real_dtype)
    t = (1 - jnp.exp(jnp.array(-(upper ** 2), dtype))) * random.uniform(key_r, shape, real_dtype).astype(dtype)
    r = jnp.sqrt(-jnp.log(1 - t))
    theta = 2 * np.pi * random.uniform(key_theta, shape, real_dtype).astype(dtype)
    return r * jnp.exp(1j * theta)


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """An initializer whose draws have variance scale / n, n the fan in, the fan out,
    their mean ("fan_avg") or geometric mean ("fan_geo_avg"), from a truncated normal,
    a normal or a uniform distribution (complex dtypes: their complex analogues)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = tuple(shape)
        dtype = _default_dtype(dtype, out_sharding, "variance_scaling")
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        if mode == "fan_in":
            denominator = fan_in
        elif mode == "fan_out":
            denominator = fan_out
        elif mode == "fan_avg":
            denominator = (fan_in + fan_out) / 2
        elif mode == "fan_geo_avg":
            denominator = (fan_in * fan_out) ** 0.5
        else:
            raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
        variance = jnp.array(scale / denominator, dtype=dtype)
        real = dtypes.issubdtype(dtype, np.floating)
        if distribution == "truncated_normal":
            if real:  # .8796... is the deviation of a standard normal truncated to [-2, 2]
                stddev = jnp.sqrt(variance) / jnp.array(.87962566103423978, dtype)
                return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
            stddev = jnp.sqrt(variance) / jnp.array(.95311164380491208, dtype)
            return _complex_truncated_normal(key, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        if distribution == "uniform":
            if real:
                return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)
            return _complex_uniform(key, shape, dtype) * jnp.sqrt(variance)
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")
    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def _random_orthogonal(key, n, m, dtype):
    """jax.random.orthogonal(key, n, (), dtype, m), which mirax.random does not have
    yet: the Q of a normal matrix's QR with the signs of R's diagonal taken out."""
    z = random.normal(key, (max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    x = q * jnp.expand_dims(jnp.sign(jnp.diagonal(r, axis1=-2, axis2=-1)), -2)
    return x.mT if n < m else x


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """An initializer drawing uniformly distributed orthogonal matrices (orthonormal
    rows or columns, whichever are fewer), the columns along `column_axis`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        dtype = _default_dtype(dtype, out_sharding, "orthogonal")
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if any(dim == 0 for dim in shape):
            return jnp.zeros(shape, dtype=dtype)
        n_rows, n_cols = math.prod(shape) // shape[column_axis], shape[column_axis]
        q = _random_orthogonal(key, n_rows, n_cols, dtype)
        q = jnp.reshape(q, tuple(np.delete(shape, column_axis)) + (shape[column_axis],))
        return jnp.array(scale, dtype) * jnp.moveaxis(q, -1, column_axis)
    return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """An initializer for 3, 4 or 5-dimensional convolution kernels: zero but for an
    orthogonal matrix at the centre of the spatial dimensions."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        dtype = _default_dtype(dtype, out_sharding, "delta_orthogonal")
        if len(shape) not in [3, 4, 5]:
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        ortho_matrix = orthogonal(scale=scale, column_axis=column_axis, dtype=dtype)(key, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        return jnp.zeros(shape, dtype=dtype).at[centre].set(ortho_matrix)
    return init
