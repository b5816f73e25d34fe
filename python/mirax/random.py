"""mirax.random: JAX's counter-based PRNG (threefry-2x32), bit for bit.

A key is two uint32 words. Every function hashes counters under a key with the
Threefry-2x32 block cipher, written here with mirax's uint32 lax ops so that it
lowers, fuses and compiles like everything else. Keys come as typed key arrays
(`key(0)`: dtype key<fry>, a pytree over its uint32 data, so it passes through
`jit`) or as raw uint32[..., 2] arrays (`PRNGKey(0)`); every function takes both and
returns keys of the kind it was given.

Which counters a function hashes follows JAX's two layouts, chosen by the flag
`jax_threefry_partitionable` (read at call time):

- True (JAX's default): element i of an output of n values hashes the 64-bit counter
  i, split into (high word, low word); `bits` xors the two result words, `split`
  keeps both as the new key.
- False (JAX before 0.5): the counters 0..n-1 are cut in halves and hashed pairwise,
  (i, i + n/2), the first result words giving the first half of the output and the
  second words the second half; an odd n pads the counters with a 0.

The samplers use JAX's float constructions (uniform from the mantissa bits, normal
as sqrt(2) * erf_inv(u), ...) and compute them as XLA:CPU does: its own formulas for
log, log1p, erf and erf_inv (float32; float64: log1p and erf_inv), and a single
rounding wherever LLVM fuses a multiply-add (`_fma`). mirax's lax.log and
lax.erf_inv are as accurate but round differently in the last bit, and samplers such
as gumbel's -log(-log(u)) or erf_inv near 1 magnify one ulp of an intermediate into
many ulps of the result.

Each sampler runs as one jitted program per shape, dtype and flag value.
"""
import inspect
import math
import operator
from collections.abc import Sequence
from functools import partial, reduce

import numpy as np

from mirax import _key_arrays, array_methods, dtypes, lax
from mirax import numpy as jnp
from mirax.api import jit
from mirax.vmapping import vmap
from mirax.config import config
from mirax.custom_derivatives import custom_jvp
from mirax.core import Array, Tracer, bind, is_array, to_array, with_source
from mirax.dialect.elementwise import ConvertOp, FmaOp
from mirax.dialect.scalar import CEPHES_LOG_F32, ERF_INV_F32, horner
from mirax.numpy._util import canonicalize_axis, check_arraylike, promote_dtypes_inexact
from mirax.tree_util import register_pytree_node, tree_map

_U32 = np.dtype(np.uint32)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_UINT_DTYPES = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32, 64: np.dtype(np.uint64)}
_IMPL_NAME = "threefry2x32"

# ----------------------------------------------------------------------------- key arrays


class KeyTy:
    """The dtype of typed key arrays: key<fry> (threefry-2x32 keys)."""

    name = "key<fry>"
    type = dtypes.prng_key  # for jnp.issubdtype(key.dtype, dtypes.prng_key), as JAX
    itemsize = 8  # two uint32 words

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, KeyTy)

    def __hash__(self):
        return hash(KeyTy)


_KEY_DTYPE = KeyTy()


class PRNGKeyArray:
    """An array of threefry keys: shape `shape`, dtype key<fry>, over uint32 data of
    shape `shape + (2,)`. A pytree whose one leaf is that data, so it passes through
    jit; no arithmetic, as in JAX."""

    __slots__ = ("_base_array",)
    __array_priority__ = 100

    def __init__(self, key_data):
        self._base_array = key_data

    shape = property(lambda self: tuple(self._base_array.shape[:-1]))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    dtype = property(lambda self: _KEY_DTYPE)
    itemsize = property(lambda self: _KEY_DTYPE.itemsize)
    nbytes = property(lambda self: self.size * _KEY_DTYPE.itemsize)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d key array")
        return (PRNGKeyArray(self._base_array[i]) for i in range(self.shape[0]))

    def __getitem__(self, index):
        # An index of the key dimensions, followed by the whole data dimension (directly,
        # not through _key_op: a loop over keys[i] compiles nothing new for each i).
        index = index if isinstance(index, tuple) else (index,)
        if any(isinstance(i, PRNGKeyArray) for i in index):
            raise TypeError(with_source(f"Indexer must have integer or boolean type, got indexer with type "
                                        f"{_KEY_DTYPE}"))
        return PRNGKeyArray(self._base_array[index + (slice(None),)])

    at = property(lambda self: _KeyIndexUpdateHelper(self))

    def __eq__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.all(self._base_array == other._base_array, axis=-1)

    def __ne__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.any(self._base_array != other._base_array, axis=-1)

    __hash__ = None

    def __bool__(self):
        raise TypeError("key array cannot be converted to boolean.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("A key array cannot be converted to a NumPy array. Use mirax.random.key_data(keys) "
                        "for its uint32 data.")

    def block_until_ready(self):
        return self

    def copy(self):
        return self

    def __repr__(self):
        if isinstance(self._base_array, Tracer):
            return f"Traced<{_KEY_DTYPE}[{','.join(map(str, self.shape))}]>"
        return f"Array({self.shape}, dtype={_KEY_DTYPE}) overlaying:\n{self._base_array}"

    __str__ = __repr__


def _unflatten_keys(_, children):
    keys = object.__new__(PRNGKeyArray)  # leaves may be placeholders (tree_util internals): no checks
    (keys._base_array,) = children
    return keys


register_pytree_node(PRNGKeyArray, lambda keys: ((keys._base_array,), None), _unflatten_keys)
# The array methods JAX's key arrays have (the others raise there too, or are absent).
array_methods.install(PRNGKeyArray, include=("flatten", "ravel", "reshape", "squeeze", "swapaxes", "take",
                                             "transpose", "T"))


def _key_op(fn, operands, args, kwargs):
    """fn(*args, **kwargs), a mirax.numpy or mirax.lax shape operation given key arrays, as
    JAX's: fn of the keys' uint32 data vmapped over its trailing word dimension, so that
    axes, indices and shapes mean what they mean for the keys, and every result is keys
    again. Keys may only be in fn's parameters `operands`, and every array there must be
    keys (JAX promotes keys with no other dtype, and converts them to none)."""
    signature = inspect.signature(fn)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.arguments.get("dtype") is not None:
        raise ValueError(with_source(f"Cannot convert_element_type from {_KEY_DTYPE} to "
                                     f"{np.dtype(bound.arguments['dtype'])}"))

    def elements(value):
        return value if isinstance(value, (list, tuple)) else (value,)

    for param, value in bound.arguments.items():
        if param not in operands and any(isinstance(x, PRNGKeyArray) for x in elements(value)):
            raise TypeError(with_source(f"{fn.__name__} does not take key arrays as its {param!r} argument"))
    data, slots = [], []  # the keys' data, and where each goes: (parameter, index in its sequence or None)
    for param in operands:
        value = bound.arguments[param]
        sequence = isinstance(value, (list, tuple))
        for i, x in enumerate(elements(value)):
            if isinstance(x, PRNGKeyArray):
                data.append(x._base_array)
                slots.append((param, i if sequence else None))
            elif x is not None:  # None: fn's own error
                raise ValueError(with_source(f"dtype={_KEY_DTYPE} is not a valid dtype for JAX type promotion: "
                                             f"{fn.__name__} got key arrays and a {type(x).__name__}"))

    def on_words(*words):
        arguments = dict(bound.arguments)
        sequences = {param: list(arguments[param]) for param, i in slots if i is not None}
        for (param, i), word in zip(slots, words, strict=True):
            if i is None:
                arguments[param] = word
            else:
                sequences[param][i] = word
        for param, sequence in sequences.items():
            arguments[param] = type(arguments[param])(sequence)  # a list or a tuple, as given
        call = inspect.BoundArguments(signature, arguments)
        return fn(*call.args, **call.kwargs)

    return tree_map(PRNGKeyArray, vmap(on_words, in_axes=-1, out_axes=-1)(*data))


_key_arrays.KEY_OPS[PRNGKeyArray] = _key_op


class _KeyIndexUpdateHelper:
    """keys.at: keys.at[idx].get() and .set(other_keys), as JAX has for keys."""

    __slots__ = ("keys",)

    def __init__(self, keys):
        self.keys = keys

    def __getitem__(self, index):
        return _KeyIndexUpdateRef(self.keys, index)


class _KeyIndexUpdateRef:
    __slots__ = ("keys", "index")

    def __init__(self, keys, index):
        self.keys = keys
        self.index = index

    def get(self, **kwargs):
        index = self.index

        def at_get(keys):
            return keys.at[index].get(**kwargs)

        return _key_op(at_get, ("keys",), (self.keys,), {})

    def set(self, values, **kwargs):  # noqa: A003
        if not isinstance(values, PRNGKeyArray):
            raise TypeError(with_source(f"keys.at[...].set takes key arrays, got {type(values).__name__}"))
        index = self.index

        def at_set(keys, values):
            return keys.at[index].set(values, **kwargs)

        return _key_op(at_set, ("keys", "values"), (self.keys, values), {})

    def _no_arithmetic(name):  # noqa: N805 (makes the methods below)
        def method(self, values, **kwargs):
            raise TypeError(with_source(f"keys.at[...].{name} is not defined: key arrays have no arithmetic"))

        return method

    add, subtract, multiply, mul, divide, power, min, max = map(  # noqa: A003
        _no_arithmetic, ("add", "subtract", "multiply", "mul", "divide", "power", "min", "max"))
    del _no_arithmetic


# ----------------------------------------------------------------------------- checking keys


def _check_key_data(key_data):
    """Raw key data must be uint32 with a trailing dimension of 2 (JAX's checks, in its order)."""
    shape, dtype = key_data.shape, key_data.dtype
    if len(shape) < 1:
        raise TypeError(with_source(f"invalid PRNG key data: expected key_data.ndim >= 1; got ndim={len(shape)}"))
    if shape[-1:] != (2,):
        raise TypeError(with_source(f"invalid PRNG key data: expected key_data.shape to end with (2,) "
                                    f"(a threefry2x32 key is two uint32 words); got shape={tuple(shape)}"))
    if dtype != _U32:
        raise TypeError(with_source(f"invalid PRNG key data: expected key_data.dtype = uint32; got dtype={dtype}"))


def _is_arraylike(x):
    return is_array(x) or isinstance(x, (np.ndarray, np.generic, bool, int, float, complex))


def _check_prng_key(name, keys, allow_batched=False):
    """(uint32 key data, whether `keys` came raw) for a typed or raw key argument."""
    if isinstance(keys, PRNGKeyArray):
        data, raw = keys._base_array, False
    elif _is_arraylike(keys):
        data, raw = to_array(keys), True
        _check_key_data(data)
    else:
        raise TypeError(with_source(f"unexpected PRNG key type {type(keys)}"))
    if not allow_batched and data.ndim > 1:
        raise ValueError(with_source(f"{name} accepts a single key, but was given a key array of shape "
                                     f"{np.shape(keys)} != (). Use vmap for batching."))
    return data, raw


def _return_keys(raw, data):
    return data if raw else PRNGKeyArray(data)


def _partitionable():
    return bool(config.read("jax_threefry_partitionable"))


def _canonical_shape(name, shape):
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(with_source(f"{name}: shapes must be 1D sequences of concrete values of integer type, "
                                    f"got {shape!r}.")) from None
    if any(d < 0 for d in shape):
        raise ValueError(with_source(f"{name}: shape {shape} has a negative dimension"))
    return shape


def _broadcast_shapes(*shapes):
    """np.broadcast_shapes, raising lax.broadcast_shapes's error."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(with_source(f"Incompatible shapes for broadcasting: shapes={list(shapes)}")) from None


def _check_shape(name, shape, *param_shapes):
    """The parameters' shapes must broadcast to `shape` exactly (as JAX's samplers)."""
    broadcast = _broadcast_shapes(shape, *param_shapes)
    if broadcast != shape:
        raise ValueError(with_source(
            f"{name} parameter shapes must be broadcast-compatible with shape argument, and the result of "
            f"broadcasting the shapes must equal the shape argument, but got result {broadcast} for shape "
            f"argument {shape}."))


def _user_dtype(name, dtype, default, kind_check, kind):
    """The canonical dtype asked for (`default` if None), which must be of `kind` ("a float"...)."""
    dtype = dtypes.canonicalize_dtype(default if dtype is None else dtype)
    if not kind_check(dtype):
        raise ValueError(with_source(f"dtype argument to `{name}` must be {kind} dtype, got {dtype}"))
    return dtype


# ----------------------------------------------------------------------------- threefry-2x32

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry_2x32(k1, k2, x1, x2):
    """Threefry-2x32 (20 rounds) of the counter words (x1, x2) under the key (k1, k2):
    the two output words. uint32 arrays; 0-d ones broadcast."""
    shape = np.broadcast_shapes(np.shape(x1), np.shape(x2))
    spread = partial(jnp.broadcast_to, shape=shape)  # each scalar once, not at every use
    ks = (k1, k2, lax.bitwise_xor(lax.bitwise_xor(k1, k2), np.uint32(0x1BD11BDA)))
    ks_spread = [spread(k) for k in ks]
    shifts = {r: (spread(np.uint32(r)), spread(np.uint32(32 - r))) for r in set(_ROTATIONS[0] + _ROTATIONS[1])}
    x = [lax.add(x1, ks[0]), lax.add(x2, ks[1])]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            left, right = shifts[r]
            x0 = lax.add(x[0], x[1])
            rotated = lax.bitwise_or(lax.shift_left(x[1], left), lax.shift_right_logical(x[1], right))
            x = [x0, lax.bitwise_xor(x0, rotated)]
        injected = spread(lax.add(ks[(i + 2) % 3], np.uint32(i + 1)))
        x = [lax.add(x[0], ks_spread[(i + 1) % 3]), lax.add(x[1], injected)]
    return x


def _words(key_data):
    return [lax.index_in_dim(key_data, i, keepdims=False) for i in range(2)]


def _counters(shape):
    """The partitionable layout's counters: each element's row-major index as a 64-bit
    number, in two uint32 words (the high word 0-d, as it is 0 below 2**32 elements)."""
    if math.prod(shape) > 2**32:
        raise NotImplementedError(with_source(f"random values for more than 2**32 elements (shape {shape})"))
    strides = [math.prod(shape[dim + 1:]) for dim in range(len(shape))]
    terms = [lax.mul(lax.broadcasted_iota(_U32, shape, dim), np.uint32(stride)) if stride != 1
             else lax.broadcasted_iota(_U32, shape, dim) for dim, stride in enumerate(strides)]
    low = reduce(lax.add, terms) if terms else to_array(np.uint32(0))
    return np.uint32(0), low


def _hash_iota(key_data, n):
    """JAX's threefry_2x32(key, iota(n)), the legacy layout: the counters halved and hashed
    pairwise, (i, i + half), first words then second words; odd n pads a 0 counter."""
    half = (n + 1) // 2
    first = lax.iota(_U32, half)
    second = lax.add(first, np.uint32(half))
    if n % 2:
        second = lax.select(lax.eq(second, np.uint32(n)), np.uint32(0), second)
    out = lax.concatenate(_threefry_2x32(*_words(key_data), first, second), 0)
    return lax.slice(out, (0,), (n,)) if n % 2 else out


def _seed(seed):
    """Key data for an integer seed: its high and low 32 bits (high 0 for 32-bit seeds)."""
    high = (lax.convert_element_type(lax.shift_right_logical(seed, np.asarray(32, seed.dtype)), _U32)
            if seed.dtype.itemsize == 8 else to_array(np.uint32(0)))
    return jnp.stack([high, lax.convert_element_type(seed, _U32)])


def _split(key_data, shape, partitionable):
    """Key data for a shape of new keys."""
    if not math.prod(shape):
        return jnp.zeros((*shape, 2), _U32)
    if partitionable:
        return jnp.stack(_threefry_2x32(*_words(key_data), *_counters(shape)), axis=-1)
    return lax.reshape(_hash_iota(key_data, 2 * math.prod(shape)), (*shape, 2))


def _fold_in(key_data, data):
    """The key hashing the counter pair (0, data): JAX's threefry_2x32(key, seed(data))."""
    return jnp.stack(_threefry_2x32(*_words(key_data), np.uint32(0), data))


def _random_bits(key_data, bit_width, shape, partitionable):
    """Uniform random bits: a uint{bit_width} array of `shape`."""
    dtype = _UINT_DTYPES[bit_width]
    size = math.prod(shape)
    if size == 0:
        return jnp.zeros(shape, dtype)
    if partitionable:
        high, low = _threefry_2x32(*_words(key_data), *_counters(shape))
        if bit_width == 64:
            high, low = (lax.convert_element_type(w, dtype) for w in (high, low))
            return lax.bitwise_or(lax.shift_left(high, np.uint64(32)), low)
        return lax.convert_element_type(lax.bitwise_xor(high, low), dtype)
    count = -(-bit_width * size // 32)
    if count >= 2**32 - 1:
        raise NotImplementedError(with_source(f"random bits for {size} elements of {bit_width} bits"))
    bits = _hash_iota(key_data, count)
    if bit_width == 64:  # first half high words, second half low words
        high, low = (lax.convert_element_type(lax.slice_in_dim(bits, start, start + size), dtype)
                     for start in (0, size))
        bits = lax.bitwise_or(lax.shift_left(high, np.uint64(32)), low)
    elif bit_width < 32:  # the words' bytes (or 16-bit halves) in little-endian order
        per_word = 32 // bit_width
        words = lax.broadcast_in_dim(bits, (count, per_word), (0,))
        shifts = lax.mul(lax.broadcasted_iota(_U32, (count, per_word), 1), np.uint32(bit_width))
        parts = lax.bitwise_and(lax.shift_right_logical(words, shifts), np.uint32(2**bit_width - 1))
        bits = lax.slice(lax.convert_element_type(lax.reshape(parts, (count * per_word,)), dtype), (0,), (size,))
    return lax.reshape(bits, shape)


# ----------------------------------------------------------------------------- XLA:CPU's math


def _fma(a, b, c, dtype=None):
    """a * b + c rounded once, as XLA:CPU computes it (LLVM contracts the pair into an
    FMA), in `dtype` (by default the first array operand's); 16-bit floats are
    a * b + c (XLA rounds both)."""
    dtype = dtype or next(x.dtype for x in (a, b, c) if is_array(x))
    if dtype in (_F32, _F64):
        a, b, c = jnp.broadcast_arrays(*(x if is_array(x) else Array(np.asarray(x, dtype)) for x in (a, b, c)))
        (out,) = bind(FmaOp, a, b, c, weak_type=False)
        return out
    return lax.add(lax.mul(a, b), c)


def _polynomial(x, coefficients):
    """The polynomial with `coefficients` (highest degree first) at x, by FMAs."""
    dtype = x.dtype
    return horner(x, coefficients, lambda p, x, c: _fma(p, x, c, dtype))


def _log_f32(x):
    """XLA:CPU's float32 log (Cephes' polynomial, Eigen's evaluation order and FMAs);
    subnormal inputs count as 0, as XLA's flush-to-zero mode does."""
    tiny = np.float32(np.finfo(np.float32).tiny)
    bits = lax.bitcast_convert_type(lax.max(x, tiny), _U32)
    exponent = lax.convert_element_type(
        lax.sub(lax.convert_element_type(lax.shift_right_logical(bits, np.uint32(23)), np.int32), np.int32(126)), _F32)
    # The mantissa m in [0.5, 1); below sqrt(1/2) use 2m - 1 and one less exponent.
    m = lax.bitcast_convert_type(lax.bitwise_or(lax.bitwise_and(bits, np.uint32(0x807FFFFF)), np.uint32(0x3F000000)),
                                 _F32)
    below = lax.lt(m, np.float32(0.707106781186547524))
    exponent = lax.sub(exponent, lax.convert_element_type(below, _F32))
    m = lax.add(lax.sub(m, np.float32(1)), lax.select(below, m, np.float32(0)))
    m2 = lax.mul(m, m)
    m3 = lax.mul(m2, m)
    fma = partial(_fma, dtype=_F32)
    p = [fma(fma(m, CEPHES_LOG_F32[i], CEPHES_LOG_F32[i + 1]), m, CEPHES_LOG_F32[i + 2]) for i in (0, 3, 6)]
    y = fma(fma(p[0], m3, p[1]), m3, p[2])
    y = fma(y, m3, lax.mul(np.float32(-2.12194440e-4), exponent))
    # Exact products (a power of two; 9 by at most 8 significant bits): XLA's FMAs round
    # as these sums do.
    m = lax.add(lax.add(lax.mul(np.float32(-0.5), m2), m), y)
    result = lax.add(lax.mul(np.float32(0.693359375), exponent), m)
    result = lax.select(lax.lt(x, tiny), np.float32(-np.inf), result)
    result = lax.select(lax.eq(x, np.float32(np.inf)), x, result)
    return lax.select(lax.ge(x, np.float32(0)), result, np.float32(np.nan))


_LOG1P_NUM = (4.5270000862445199635215e-5, 4.9854102823193375972212e-1, 6.5787325942061044846969e0,
              2.9911919328553073277375e1, 6.0949667980987787057556e1, 5.7112963590585538103336e1,
              2.0039553499201281259648e1)
_LOG1P_DEN = (1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1, 2.2176239823732856465394e2,
              3.0909872225312059774938e2, 2.1642788614495947685003e2, 6.0118660497603843919306e1)


def _log1p_xla(x, log):
    """XLA:CPU's log1p: Cephes' rational approximation for |x| < sqrt(2) - 1, else
    log(1 + x)."""
    c = lambda v: np.array(v, x.dtype)  # noqa: E731
    x2 = lax.mul(x, x)
    ratio = lax.div(_polynomial(x, _LOG1P_NUM), _polynomial(x, _LOG1P_DEN))
    # -0.5 * x2 is exact, so XLA's FMA rounds as this sum does.
    small = lax.add(x, lax.add(lax.mul(c(-0.5), x2), lax.mul(lax.mul(x, x2), ratio)))
    return lax.select(lax.lt(lax.abs(x), c(0.41421356237309504880)), small, log(lax.add(x, c(1))))


def _erf_f32(x):
    """XLA:CPU's float32 erf: Eigen's rational approximation, +-1 from |x| >= 3.8325."""
    x2 = lax.mul(x, x)
    numerator = lax.mul(x, _polynomial(x2, (0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861,
                                            0.18520832239976145, 1.128379143519084)))
    denominator = _polynomial(x2, (-1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885,
                                   0.014070470171167667, 0.11098505178285362, 0.49746925110067538, 1.0))
    one = lax.select(lax.lt(x, np.float32(0)), jnp.full_like(x, -1), jnp.full_like(x, 1))
    return lax.select(lax.le(np.float32(3.832506856900711), lax.abs(x)), one, lax.div(numerator, denominator))


# Giles' erf_inv, as dialect/scalar.py's ERF_INV_F32 (its ranges of w = -log(1 - x**2)),
# with XLA's float64 ranges.
_ERF_INV_F64 = (
    (6.25, False, 3.125, (
        -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17,
        -1.333171662854620906e-16, 2.0972767875968561637e-17, 6.6376381343583238325e-15,
        -4.0545662729752068639e-14, -8.1519341976054721522e-14, 2.6335093153082322977e-12,
        -1.2975133253453532498e-11, -5.4154120542946279317e-11, 1.051212273321532285e-09,
        -4.1126339803469836976e-09, -2.9070369957882005086e-08, 4.2347877827932403518e-07,
        -1.3654692000834678645e-06, -1.3882523362786468719e-05, 0.0001867342080340571352,
        -0.00074070253416626697512, -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356)),
    (16.0, True, 3.25, (
        2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07, 1.8239629214389227755e-08,
        1.5027403968909827627e-06, -4.013867526981545969e-06, 2.9234449089955446044e-06,
        1.2475304481671778723e-05, -4.7318229009055733981e-05, 6.8284851459573175448e-05,
        2.4031110387097893999e-05, -0.0003550375203628474796, 0.00095328937973738049703,
        -0.0016882755560235047313, 0.0024914420961078508066, -0.0037512085075692412107, 0.005370914553590063617,
        1.0052589676941592334, 3.0838856104922207635)),
    (np.inf, True, 5.0, (
        -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
        -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
        2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
        -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
        7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
        1.0103004648645343977, 4.8499064014085844221)),
)


def _erf_inv_xla(x, log, ranges):
    """XLA's erf_inv (its ErfInv32 / ErfInv64 with w = -log1p(-x * x)): one polynomial
    whose coefficients (and t) are selected per element by the range of w."""
    c = lambda v: np.array(v, x.dtype)  # noqa: E731
    w = lax.neg(_log1p_xla(lax.mul(x, lax.neg(x)), log))
    degree = max(len(coefficients) for *_, coefficients in ranges)

    def pick(values):  # the value of each element's range: the first whose bound exceeds w
        chosen = values[-1]
        for (bound, *_), value in zip(ranges[-2::-1], values[-2::-1], strict=True):
            chosen = lax.select(lax.lt(w, c(bound)), value, chosen)
        return chosen

    t = pick([lax.sub(lax.sqrt(w) if use_sqrt else w, c(shift)) for _, use_sqrt, shift, _ in ranges])
    # Shorter polynomials start with zero coefficients: 0 * t + 0 leaves them unchanged.
    padded = [(0.0,) * (degree - len(cs)) + cs for *_, cs in ranges]
    p = pick([jnp.full_like(x, cs[0]) for cs in padded])
    for i in range(1, degree):
        p = _fma(p, t, pick([jnp.full_like(x, cs[i]) for cs in padded]), x.dtype)
    return lax.select(lax.eq(lax.abs(x), c(1)), lax.mul(x, c(np.inf)), lax.mul(p, x))


def _xla_math(f32_fn, f64_fn):
    """f32_fn for float32 and, around float32, for 16-bit floats (XLA computes those in
    float32); f64_fn for float64."""
    def fn(x):
        dtype = x.dtype
        if dtype == _F32:
            return f32_fn(x)
        if dtype.itemsize == 2:
            return lax.convert_element_type(f32_fn(lax.convert_element_type(x, _F32)), dtype)
        return f64_fn(x)

    return fn


_log = _xla_math(_log_f32, lax.log)
_log1p = _xla_math(partial(_log1p_xla, log=_log_f32), partial(_log1p_xla, log=lax.log))
_erf = _xla_math(_erf_f32, lax.erf)
_erf_inv = _xla_math(partial(_erf_inv_xla, log=_log_f32, ranges=ERF_INV_F32),
                     partial(_erf_inv_xla, log=lax.log, ranges=_ERF_INV_F64))


# ----------------------------------------------------------------------------- keys


def _seed_array(ctor_name, seed):
    if isinstance(seed, PRNGKeyArray):
        raise TypeError(with_source(f"{ctor_name} accepts a scalar seed, but was given a PRNG key."))
    if np.ndim(seed):
        raise TypeError(with_source(f"{ctor_name} accepts a scalar seed, but was given an array of shape "
                                    f"{np.shape(seed)} != (). Use vmap for batching"))
    # A Python int goes through int64, as in JAX (wrapping to 32 bits unless x64 is on).
    seed = to_array(np.int64(seed) if isinstance(seed, int) and not isinstance(seed, bool) else seed)
    if not dtypes.is_integer(seed.dtype):
        raise TypeError(with_source(f"PRNG key seed must be an integer; got {seed!r}"))
    return seed


def _check_impl(impl):
    if impl not in (None, _IMPL_NAME, _KEY_DTYPE):
        raise ValueError(with_source(f'unrecognized PRNG implementation "{impl}". Did you mean one of: '
                                     f'"{_IMPL_NAME}"?'))


def key(seed, *, impl=None, dtype=None):
    """A typed PRNG key (a 0-d key<fry> array) for an integer seed."""
    _check_impl(impl if dtype is None else dtype)
    return PRNGKeyArray(_seed_jit(_seed_array("key", seed)))


def PRNGKey(seed, *, impl=None):  # noqa: N802 (JAX's name)
    """A raw PRNG key: uint32[2], the seed's high and low 32 bits."""
    _check_impl(impl)
    return _seed_jit(_seed_array("PRNGKey", seed))


def key_data(keys):
    """The uint32 data of typed keys (raw keys are returned as they are)."""
    data, _ = _check_prng_key("key_data", keys, allow_batched=True)
    return data


def wrap_key_data(key_bits_array, *, impl=None, dtype=None):
    """Typed keys over uint32 data of shape (..., 2)."""
    _check_impl(impl if dtype is None else dtype)
    if not _is_arraylike(key_bits_array):
        raise TypeError(with_source(f"wrap_key_data expects an array of key data, got {type(key_bits_array)}"))
    data = to_array(key_bits_array)
    _check_key_data(data)
    return PRNGKeyArray(data)


def key_impl(keys):
    _check_prng_key("key_impl", keys, allow_batched=True)
    return _IMPL_NAME


def split(key, num=2):
    """`num` new keys (an int, or a shape tuple) from a key, along new leading axes."""
    data, raw = _check_prng_key("split", key)
    shape = tuple(num) if isinstance(num, Sequence) else (num,)
    try:
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(with_source(f"split: num must be an int or a tuple of ints, got {num!r}")) from None
    if any(n < 0 for n in shape):
        raise ValueError(with_source(f"split: the number of keys must be non-negative, got num={num!r}"))
    return _return_keys(raw, _split_jit(data, shape=shape, partitionable=_partitionable()))


def fold_in(key, data):
    """A new key from a key and 32 bits of data (an integer scalar)."""
    key_data_, raw = _check_prng_key("fold_in", key)
    if np.ndim(data):
        raise TypeError(with_source(f"fold_in accepts a scalar, but was given an array of shape "
                                    f"{np.shape(data)} != (). Use vmap for batching."))
    return _return_keys(raw, _fold_in_jit(key_data_, jnp.asarray(data, dtype=_U32)))


_seed_jit = jit(_seed)
_split_jit = jit(_split, static_argnames=("shape", "partitionable"))
_fold_in_jit = jit(_fold_in)


# ----------------------------------------------------------------------------- samplers


def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers (uint32 by default, uint64 with x64)."""
    data, _ = _check_prng_key("bits", key)
    dtype = _user_dtype("bits", dtype, dtypes.default_uint_dtype(), dtypes.is_unsigned, "an unsigned int")
    shape = _canonical_shape("bits", shape)
    return _bits_jit(data, bit_width=8 * dtype.itemsize, shape=shape, partitionable=_partitionable())


_bits_jit = jit(_random_bits, static_argnames=("bit_width", "shape", "partitionable"))


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform floats in [minval, maxval)."""
    data, _ = _check_prng_key("uniform", key)
    dtype = _user_dtype("uniform", dtype, float, dtypes.is_float, "a float")
    shape = _canonical_shape("uniform", shape)
    _check_shape("uniform", shape, np.shape(minval), np.shape(maxval))
    return _uniform_jit(data, minval, maxval, shape=shape, dtype=dtype, partitionable=_partitionable())


def _uniform(key_data, minval, maxval, shape, dtype, partitionable):
    """The mantissa bits of floats in [1, 2), minus 1, scaled to [minval, maxval)."""
    minval, maxval = (jnp.broadcast_to(lax.convert_element_type(v, dtype), shape) for v in (minval, maxval))
    info = dtypes.finfo(dtype)
    rng_bits = 8 if info.nmant < 8 else info.bits  # bfloat16: 8 random bits for 7 mantissa bits
    draws = _random_bits(key_data, rng_bits, shape, partitionable)
    uint = _UINT_DTYPES[info.bits]
    draws = lax.convert_element_type(draws, uint)
    one = np.array(1.0, dtype).view(uint)
    float_bits = lax.bitwise_or(lax.shift_right_logical(draws, uint.type(rng_bits - info.nmant)), one)
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), np.array(1.0, dtype))
    return lax.max(minval, _fma(floats, lax.sub(maxval, minval), minval))


_uniform_jit = jit(_uniform, static_argnames=("shape", "dtype", "partitionable"))


def normal(key, shape=(), dtype=None):
    """Standard normal floats (complex dtypes: real and imaginary parts of variance 1/2)."""
    data, _ = _check_prng_key("normal", key)
    shape = _canonical_shape("normal", shape)
    dtype = _user_dtype("normal", dtype, float, lambda d: dtypes.is_float(d) or dtypes.is_complex(d),
                        "a float or complex")
    return _normal_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _normal_real(key_data, shape, dtype, partitionable):
    # sqrt(2) * erf_inv(u) for u uniform in (-1, 1).
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype), dtype=dtype)
    u = _uniform(key_data, lo, np.array(1.0, dtype), shape, dtype, partitionable)
    return lax.mul(np.array(np.sqrt(2), dtype), _erf_inv(u))


def _normal(key_data, shape, dtype, partitionable):
    if not dtypes.is_complex(dtype):
        return _normal_real(key_data, shape, dtype, partitionable)
    real = dtypes.real_dtype(dtype)
    key_re, key_im = _split(key_data, (2,), partitionable)
    re, im = (_normal_real(k, shape, real, partitionable) for k in (key_re, key_im))
    # (re + 1j * im) / sqrt(2), which XLA computes as a product with 1 / sqrt(2).
    scale = np.array(1, real) / np.array(np.sqrt(2), real)
    return lax.complex(lax.mul(re, scale), lax.mul(im, scale))


_normal_jit = jit(_normal, static_argnames=("shape", "dtype", "partitionable"))


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal floats conditioned on lower < x < upper."""
    shape = None if shape is None else _canonical_shape("truncated_normal", shape)
    data, _ = _check_prng_key("truncated_normal", key)
    dtype = _user_dtype("truncated_normal", dtype, float, dtypes.is_float, "a float")
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    else:
        _check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    return _truncated_normal_jit(data, lower, upper, shape=shape, dtype=dtype, partitionable=_partitionable())


def _truncated_normal(key_data, lower, upper, shape, dtype, partitionable):
    # The inverse CDF of a uniform in (erf(lower / sqrt 2), erf(upper / sqrt 2)).
    sqrt2 = np.array(np.sqrt(2), dtype)
    lower, upper = (lax.convert_element_type(v, dtype) for v in (lower, upper))
    # x / sqrt(2), which XLA computes as a product with 1 / sqrt(2).
    a, b = (_erf(lax.mul(v, np.array(1, dtype) / sqrt2)) for v in (lower, upper))
    u = _uniform(key_data, a, b, shape, dtype, partitionable)
    out = lax.mul(sqrt2, _erf_inv(u))
    # Rounding may reach the bounds; the open interval excludes them.
    return jnp.clip(out, lax.nextafter(lower, np.array(np.inf, dtype)), lax.nextafter(upper, np.array(-np.inf, dtype)))


_truncated_normal_jit = jit(_truncated_normal, static_argnames=("shape", "dtype", "partitionable"))


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability p ("high" mode: exact below p ~ 1e-7)."""
    shape = None if shape is None else _canonical_shape("bernoulli", shape)
    if mode not in ("high", "low"):
        raise ValueError(with_source(f"got mode={mode!r}, expected 'high' or 'low'"))
    data, _ = _check_prng_key("bernoulli", key)
    dtype = dtypes.dtype(p)
    if not dtypes.is_float(dtype):
        raise TypeError(with_source(f"bernoulli probability `p` must have a floating dtype, got {dtype}."))
    if shape is None:
        shape = np.shape(p)
    else:
        _check_shape("bernoulli", shape, np.shape(p))
    return _bernoulli_jit(data, lax.convert_element_type(p, dtype), shape=shape, mode=mode,
                          partitionable=_partitionable())


def _bernoulli(key_data, p, shape, mode, partitionable):
    dtype = p.dtype
    if mode == "low":
        return lax.lt(_uniform(key_data, 0.0, 1.0, shape, dtype, partitionable), jnp.broadcast_to(p, shape))
    # u2 refines u1 below its resolution: True where u1 + u2 * 2**-nmant < p.
    u = _uniform(key_data, 0.0, 1.0, (2, *shape), dtype, partitionable)
    u1, u2 = (lax.index_in_dim(u, i, keepdims=False) for i in range(2))
    u2 = lax.mul(u2, np.array(2.0 ** -dtypes.finfo(dtype).nmant, dtype))
    return jnp.less(u2, jnp.subtract(p, u1))


_bernoulli_jit = jit(_bernoulli, static_argnames=("shape", "mode", "partitionable"))


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in [minval, maxval) (as JAX: the remainder of 2 * nbits random
    bits, so slightly biased unless the span is a power of 2; minval where maxval <= minval)."""
    data, _ = _check_prng_key("randint", key)
    dtype = dtypes.canonicalize_dtype(int if dtype is None else dtype)
    shape = _canonical_shape("randint", shape)
    if not dtypes.is_integer(dtype):
        raise TypeError(with_source(f"randint only accepts integer dtypes, got {dtype}"))
    check_arraylike("randint", minval, maxval)
    _check_shape("randint", shape, np.shape(minval), np.shape(maxval))
    info = dtypes.iinfo(dtype)
    sampling_dtype = dtype
    if info.bits < 32:  # sampled in 32 bits, which is less biased
        sampling_dtype = np.dtype(np.int32)
        minval = jnp.clip(jnp.asarray(minval).astype(np.int32), int(info.min), int(info.max))
        maxval = jnp.clip(jnp.asarray(maxval).astype(np.int32), int(info.min), int(info.max) + 1)
    out = _randint_jit(data, minval, maxval, shape=shape, dtype=sampling_dtype, partitionable=_partitionable())
    return lax.convert_element_type(out, dtype)


def _clip_to(x, dtype):
    """Integer x in `dtype`, clipped to its range instead of wrapping."""
    src, dst = dtypes.iinfo(x.dtype), dtypes.iinfo(dtype)
    lo, hi = np.array(max(src.min, dst.min), x.dtype), np.array(min(src.max, dst.max), x.dtype)
    return lax.convert_element_type(lax.clamp(lo, x, hi), dtype)


def _randint(key_data, minval, maxval, shape, dtype, partitionable):
    minval, maxval = (v if dtypes.is_integer(v.dtype) else lax.convert_element_type(v, int)
                      for v in (to_array(minval), to_array(maxval)))
    # maxval above dtype's range (randint(key, s, 0, 256, uint8)) widens the span by one.
    maxval_out_of_range = lax.gt(maxval, _clip_to(to_array(np.array(dtypes.iinfo(dtype).max, dtype)), maxval.dtype))
    minval, maxval = (jnp.broadcast_to(_clip_to(v, dtype), shape) for v in (minval, maxval))
    maxval_out_of_range = jnp.broadcast_to(maxval_out_of_range, shape)
    nbits = dtypes.iinfo(dtype).bits
    k1, k2 = _split(key_data, (2,), partitionable)
    higher_bits, lower_bits = (_random_bits(k, nbits, shape, partitionable) for k in (k1, k2))
    unsigned = _UINT_DTYPES[nbits]
    span = lax.convert_element_type(lax.sub(maxval, minval), unsigned)
    one = jnp.ones_like(span)
    span = lax.select(lax.le(maxval, minval), one, span)
    span = lax.select(lax.bitwise_and(maxval_out_of_range, lax.gt(maxval, minval)), lax.add(span, one), span)
    # (higher * 2**nbits + lower) % span, with 2**nbits % span as (2**(nbits/2) % span)**2 % span.
    multiplier = lax.rem(jnp.full_like(span, 2 ** (nbits // 2)), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher_bits, span), multiplier), lax.rem(lower_bits, span))
    return lax.add(minval, lax.convert_element_type(lax.rem(offset, span), dtype))


_randint_jit = jit(_randint, static_argnames=("shape", "dtype", "partitionable"))


def permutation(key, x, axis=0, independent=False):
    """A shuffled arange(x) for an integer x; else x shuffled along `axis` (each slice
    on its own if `independent`)."""
    data, _ = _check_prng_key("permutation", key)
    check_arraylike("permutation", x)
    axis = canonicalize_axis(axis, np.ndim(x) or 1)
    if not np.ndim(x):
        if not dtypes.is_integer(dtypes.dtype(x)):
            raise TypeError(with_source("x must be an integer or at least 1-dimensional"))
        return _shuffle_jit(data, jnp.arange(int(x)), axis=axis, partitionable=_partitionable())
    x = jnp.asarray(x)
    if independent or x.ndim == 1:
        return _shuffle_jit(data, x, axis=axis, partitionable=_partitionable())
    order = _shuffle_jit(data, jnp.arange(x.shape[axis]), axis=0, partitionable=_partitionable())
    return jnp.take(x, order, axis, unique_indices=True)


def _shuffle(key_data, x, axis, partitionable):
    # Sorts by random 32-bit keys, repeated (with fresh keys) enough times that ties
    # are unlikely to survive every round (JAX's heuristic).
    rounds = math.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max))
    for _ in range(rounds):
        key_data, subkey = _split(key_data, (2,), partitionable)
        _, x = lax.sort_key_val(_random_bits(subkey, 32, x.shape, partitionable), x, axis)
    return x


_shuffle_jit = jit(_shuffle, static_argnames=("axis", "partitionable"))


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Samples from a (an array, or arange(a) for an integer), with or without
    replacement, uniformly or with probabilities p."""
    data, _ = _check_prng_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError(with_source(f"shape argument of mirax.random.choice must be a sequence, got {shape}"))
    shape = _canonical_shape("choice", shape)
    check_arraylike("choice", a)
    arr = jnp.asarray(a)
    if arr.ndim == 0:
        n_inputs = int(a)
    else:
        axis = canonicalize_axis(axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError(with_source("a must be greater than 0 unless no samples are taken"))
    if not replace and n_draws > n_inputs:
        raise ValueError(with_source(f"Cannot take a larger sample (size {n_draws}) than population "
                                     f"(size {n_inputs}) when 'replace=False'"))
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis)
        else:
            drawn = (slice(None),) * axis + (slice(n_draws),)
            result = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)[drawn]
    else:
        check_arraylike("choice", p)
        (p_arr,) = promote_dtypes_inexact(p)
        if p_arr.shape != (n_inputs,):
            raise ValueError(with_source(
                f"p must be None or a 1D vector with the same size as a.shape[axis]. p has shape {p_arr.shape} "
                f"and a.shape[axis] is {n_inputs}."))
        mode = _gumbel_mode(mode)
        ind = _choice_p_jit(data, p_arr, shape=shape, n_draws=n_draws, replace=bool(replace), mode=mode,
                            partitionable=_partitionable())
        result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis)
    return result.reshape(shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1:])


def _choice_p(key_data, p, shape, n_draws, replace, mode, partitionable):
    """Indices drawn with probabilities p: the inverse CDF with replacement, else the
    n_draws largest of log p plus Gumbel noise."""
    if replace:
        p_cuml = jnp.cumsum(p)
        r = lax.mul(p_cuml[-1], lax.sub(np.array(1, p.dtype), _uniform(key_data, 0.0, 1.0, shape, p.dtype,
                                                                            partitionable)))
        return jnp.searchsorted(p_cuml, r).astype(int)
    g = lax.add(_gumbel(key_data, p.shape, p.dtype, mode, partitionable), _log(p))
    return _top_k_indices(g, n_draws).astype(int)


_choice_p_jit = jit(_choice_p, static_argnames=("shape", "n_draws", "replace", "mode", "partitionable"))


def _top_k_indices(x, k):
    """The indices of the k largest entries along the last axis, largest first, the
    lower index first among equal values (as lax.top_k)."""
    index = lax.broadcasted_iota(np.int32, x.shape, x.ndim - 1)
    _, index = lax.sort((lax.neg(x), index), dimension=x.ndim - 1, num_keys=1)
    return lax.slice_in_dim(index, 0, k, axis=x.ndim - 1)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Indices drawn from softmax(logits) along `axis` (the Gumbel-max trick; without
    replacement, the Gumbel top-k trick)."""
    data, _ = _check_prng_key("categorical", key)
    check_arraylike("categorical", logits)
    logits = jnp.asarray(logits)
    axis = canonicalize_axis(axis, logits.ndim)
    batch_shape = tuple(np.delete(logits.shape, axis))
    if shape is None:
        shape = batch_shape
    else:
        shape = _canonical_shape("categorical", shape)
        _check_shape("categorical", shape, batch_shape)
    mode = _gumbel_mode(mode)
    prefix = shape[:len(shape) - len(batch_shape)]
    if not replace and math.prod(prefix) > logits.shape[axis]:
        raise ValueError(with_source(f"Number of samples without replacement ({math.prod(prefix)}) cannot exceed "
                                     f"number of categories ({logits.shape[axis]})."))
    return _categorical_jit(data, logits, shape=shape, axis=axis, replace=bool(replace), mode=mode,
                            partitionable=_partitionable())


def _categorical(key_data, logits, shape, axis, replace, mode, partitionable):
    batch_ndim = logits.ndim - 1
    prefix = shape[:len(shape) - batch_ndim]
    if replace:
        # One Gumbel draw per category for every sample; the argmax along `axis` picks one.
        noise_shape = list(shape[len(prefix):])
        noise_shape.insert(axis, logits.shape[axis])
        noise = _gumbel(key_data, (*prefix, *noise_shape), logits.dtype, mode, partitionable)
        scores = jnp.add(noise, lax.expand_dims(logits, range(len(prefix))))
        return jnp.argmax(scores, axis=len(prefix) + axis)
    scores = lax.add(logits, _gumbel(key_data, logits.shape, logits.dtype, mode, partitionable))
    k = math.prod(prefix)
    indices = _top_k_indices(jnp.moveaxis(scores, axis, -1), k)
    # The k draws (batch_shape + (k,)) become the leading dimensions `prefix`.
    return lax.reshape(indices, shape, (indices.ndim - 1, *range(indices.ndim - 1)))


_categorical_jit = jit(_categorical, static_argnames=("shape", "axis", "replace", "mode", "partitionable"))


def _gumbel_mode(mode):
    mode = "low" if mode is None else mode
    if mode not in ("high", "low"):
        raise ValueError(with_source(f"Must provide valid mode for gumbel (\"high\" or \"low\"; mirax lacks "
                                     f"\"highest\") got: {mode}"))
    return mode


def gumbel(key, shape=(), dtype=None, mode=None):
    """Standard Gumbel floats, -log(-log(u)) ("high" mode: 2 uniforms per value, for
    a larger range)."""
    data, _ = _check_prng_key("gumbel", key)
    dtype = _user_dtype("gumbel", dtype, float, dtypes.is_float, "a float")
    shape = _canonical_shape("gumbel", shape)
    return _gumbel_jit(data, shape=shape, dtype=dtype, mode=_gumbel_mode(mode), partitionable=_partitionable())


def _gumbel(key_data, shape, dtype, mode, partitionable):
    info = dtypes.finfo(dtype)
    if mode == "low":
        u = _uniform(key_data, np.array(info.tiny, dtype), 1.0, shape, dtype, partitionable)
        return lax.neg(_log(lax.neg(_log(u))))
    u = _uniform(key_data, 0.0, 1.0, (2, *shape), dtype, partitionable)
    high, low = (lax.index_in_dim(u, i, keepdims=False) for i in range(2))
    refined = lax.add(lax.add(high, lax.mul(np.array(2.0 ** -info.nmant, dtype), low)), np.array(info.tiny, dtype))
    x = lax.select(lax.ge(high, np.array(0.5, dtype)), high, refined)
    return lax.neg(_log(lax.neg(_log1p(lax.neg(x)))))


_gumbel_jit = jit(_gumbel, static_argnames=("shape", "dtype", "mode", "partitionable"))


def exponential(key, shape=(), dtype=None):
    """Exponential floats of rate 1: -log(1 - u)."""
    data, _ = _check_prng_key("exponential", key)
    dtype = _user_dtype("exponential", dtype, float, dtypes.is_float, "a float")
    shape = _canonical_shape("exponential", shape)
    return _exponential_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _exponential(key_data, shape, dtype, partitionable):
    u = _uniform(key_data, 0.0, 1.0, shape, dtype, partitionable)
    return lax.neg(_log1p(lax.neg(u)))


_exponential_jit = jit(_exponential, static_argnames=("shape", "dtype", "partitionable"))


# ----------------------------------------------------------------------------- distributions
#
# Each is JAX's construction over the samplers above, drawing from the same keys in
# the same order (so the same key gives the same values); where JAX's expression is a
# multiply-add, XLA:CPU fuses it into one rounding, and `_fma` does here.


def _float_dtype(name, dtype):
    return _user_dtype(name, dtype, float, dtypes.is_float, "a float")


def _result_shape(name, shape, *params):
    """`shape`, which the parameters' shapes must broadcast to, or by default their
    broadcast shape (JAX's _check_broadcast_shapes)."""
    shapes = [np.shape(p) for p in params]
    if shape is None:
        return _broadcast_shapes(*shapes)
    shape = _canonical_shape(name, shape)
    _check_shape(name, shape, *shapes)
    return shape


def _check_safe_cast(name, dtype, *params):
    """Each parameter must convert to `dtype` as type promotion would (JAX's
    _check_all_safe_to_cast; its TypePromotionError is a ValueError)."""
    for param in params:
        param_dtype = dtypes.dtype(param)
        if param_dtype != dtype and dtypes.result_type(param, dtype) != dtype:
            raise ValueError(with_source(f"In arguments to {name}, cannot safely cast argument of type "
                                         f"{param_dtype} to {dtype}"))


def _c(value, like):
    """A constant of `like`'s dtype (lax._const)."""
    return np.array(value, like.dtype)


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy floats: tan(pi * (u - 1/2)), u uniform in [eps, 1)."""
    data, _ = _check_prng_key("cauchy", key)
    dtype = _float_dtype("cauchy", dtype)
    shape = _canonical_shape("cauchy", shape)
    return _cauchy_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _cauchy(key_data, shape, dtype, partitionable):
    u = _uniform(key_data, np.array(dtypes.finfo(dtype).eps, dtype), 1.0, shape, dtype, partitionable)
    return lax.tan(lax.mul(_c(np.pi, u), lax.sub(u, _c(0.5, u))))


_cauchy_jit = jit(_cauchy, static_argnames=("shape", "dtype", "partitionable"))


def laplace(key, shape=(), dtype=None):
    """Standard Laplace floats: sign(u) * log1p(-|u|), u uniform in (-1, 1)."""
    data, _ = _check_prng_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    shape = _canonical_shape("laplace", shape)
    return _laplace_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _laplace(key_data, shape, dtype, partitionable):
    lo = np.array(-1.0 + dtypes.finfo(dtype).epsneg, dtype)
    u = _uniform(key_data, lo, 1.0, shape, dtype, partitionable)
    return lax.mul(lax.sign(u), _log1p(lax.neg(lax.abs(u))))


_laplace_jit = jit(_laplace, static_argnames=("shape", "dtype", "partitionable"))


def logistic(key, shape=(), dtype=None):
    """Standard logistic floats: log(u) - log1p(-u), u uniform in [tiny, 1)."""
    data, _ = _check_prng_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    shape = _canonical_shape("logistic", shape)
    return _logistic_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _logistic(key_data, shape, dtype, partitionable):
    x = _uniform(key_data, np.array(dtypes.finfo(dtype).tiny, dtype), 1.0, shape, dtype, partitionable)
    return lax.sub(_log(x), _log1p(lax.neg(x)))


_logistic_jit = jit(_logistic, static_argnames=("shape", "dtype", "partitionable"))


def pareto(key, b, shape=None, dtype=None):
    """Pareto floats of shape b: exp(e / b), e exponential."""
    data, _ = _check_prng_key("pareto", key)
    dtype = _float_dtype("pareto", dtype)
    shape = _result_shape("pareto", shape, b)
    _check_safe_cast("pareto", dtype, b)
    return _pareto_jit(data, b, shape=shape, dtype=dtype, partitionable=_partitionable())


def _pareto(key_data, b, shape, dtype, partitionable):
    e = _exponential(key_data, shape, dtype, partitionable)
    return lax.exp(e / lax.convert_element_type(b, dtype))


_pareto_jit = jit(_pareto, static_argnames=("shape", "dtype", "partitionable"))


def rademacher(key, shape=(), dtype=None):
    """-1 or 1 with probability 1/2 each: 2 * bernoulli(1/2) - 1."""
    data, _ = _check_prng_key("rademacher", key)
    dtype = dtypes.canonicalize_dtype(int if dtype is None else dtype)
    shape = _canonical_shape("rademacher", shape)
    return _rademacher_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _rademacher(key_data, shape, dtype, partitionable):
    samples = _bernoulli(key_data, to_array(np.float32(0.5)), shape, "low", partitionable).astype(dtype)
    return (2 * samples - 1).astype(dtype)


_rademacher_jit = jit(_rademacher, static_argnames=("shape", "dtype", "partitionable"))


def maxwell(key, shape=(), dtype=None):
    """One-sided Maxwell floats: the norm of 3 standard normals."""
    data, _ = _check_prng_key("maxwell", key)
    dtype = _float_dtype("maxwell", dtype)
    shape = _canonical_shape("maxwell", shape)
    return _maxwell_jit(data, shape=shape, dtype=dtype, partitionable=_partitionable())


def _maxwell(key_data, shape, dtype, partitionable):
    return jnp.linalg.norm(_normal(key_data, (*shape, 3), dtype, partitionable), axis=-1)


_maxwell_jit = jit(_maxwell, static_argnames=("shape", "dtype", "partitionable"))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Maxwell floats with a random sign, scaled and shifted; the result's shape is
    shape + the parameters' (as JAX's, which doubles the parameters' shape when shape
    is empty)."""
    data, _ = _check_prng_key("double_sided_maxwell", key)
    dtype = _float_dtype("double_sided_maxwell", dtype)
    shape = _canonical_shape("double_sided_maxwell", shape)
    return _double_sided_maxwell_jit(data, loc, scale, shape=shape, dtype=dtype, partitionable=_partitionable())


def _double_sided_maxwell(key_data, loc, scale, shape, dtype, partitionable):
    params_shape = _broadcast_shapes(np.shape(loc), np.shape(scale))
    shape = (shape or params_shape) + params_shape
    maxwell_key, rademacher_key = _split(key_data, (2,), partitionable)
    maxwell_rvs = _maxwell(maxwell_key, shape, dtype, partitionable)
    random_sign = _rademacher(rademacher_key, shape, dtype, partitionable)
    return random_sign * maxwell_rvs * scale + loc


_double_sided_maxwell_jit = jit(_double_sided_maxwell, static_argnames=("shape", "dtype", "partitionable"))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull floats: the inverse CDF, (-log1p(-u)) ** (1 / concentration) * scale."""
    data, _ = _check_prng_key("weibull_min", key)
    dtype = _float_dtype("weibull_min", dtype)
    shape = _canonical_shape("weibull_min", shape)
    return _weibull_min_jit(data, scale, concentration, shape=shape, dtype=dtype, partitionable=_partitionable())


def _weibull_min(key_data, scale, concentration, shape, dtype, partitionable):
    u = _uniform(key_data, 0, 1, shape, dtype, partitionable)
    return jnp.power(-_log1p(-u), 1.0 / concentration) * scale


_weibull_min_jit = jit(_weibull_min, static_argnames=("shape", "dtype", "partitionable"))


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh floats: scale * sqrt(-2 log u)."""
    data, _ = _check_prng_key("rayleigh", key)
    dtype = _float_dtype("rayleigh", dtype)
    shape = _result_shape("rayleigh", shape, scale)
    _check_safe_cast("rayleigh", dtype, scale)
    return _rayleigh_jit(data, scale, shape=shape, dtype=dtype, partitionable=_partitionable())


def _rayleigh(key_data, scale, shape, dtype, partitionable):
    u = _uniform(key_data, 0.0, 1.0, shape, dtype, partitionable)
    scale = jnp.broadcast_to(lax.convert_element_type(scale, dtype), shape)
    return lax.mul(scale, lax.sqrt(lax.mul(_log(u), _c(-2, scale))))


_rayleigh_jit = jit(_rayleigh, static_argnames=("shape", "dtype", "partitionable"))


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian) floats of mean `mean`, from a normal and a uniform."""
    data, _ = _check_prng_key("wald", key)
    dtype = _float_dtype("wald", dtype)
    shape = _result_shape("wald", shape, mean)
    _check_safe_cast("wald", dtype, mean)
    return _wald_jit(data, mean, shape=shape, dtype=dtype, partitionable=_partitionable())


def _wald(key_data, mean, shape, dtype, partitionable):
    k1, k2 = _split(key_data, (2,), partitionable)
    mean = jnp.broadcast_to(lax.convert_element_type(mean, dtype), shape)
    v = _normal_real(k1, shape, dtype, partitionable)
    z = _uniform(k2, 0.0, 1.0, shape, dtype, partitionable)
    y = lax.integer_pow(v, 2)
    y_sq = lax.integer_pow(y, 2)
    mean_sq = lax.integer_pow(mean, 2)
    sqrt_term = lax.sqrt(_fma(4 * mean, y, mean_sq * y_sq))
    x = _fma(-(mean / 2), sqrt_term, mean + mean_sq * y / 2)
    return lax.select(lax.le(z, mean / (mean + x)), x, mean_sq / x)


_wald_jit = jit(_wald, static_argnames=("shape", "dtype", "partitionable"))


def geometric(key, p, shape=None, dtype=None):
    """Geometric integers >= 1 (trials to the first success): floor(log u / log1p(-p)) + 1."""
    data, _ = _check_prng_key("geometric", key)
    dtype = dtypes.canonicalize_dtype(int if dtype is None else dtype)
    if not dtypes.is_integer(dtype):
        raise ValueError(with_source(f"dtype argument to `geometric` must be an int dtype, got {dtype}"))
    shape = _result_shape("geometric", shape, p)
    check_arraylike("geometric", p)
    (p,) = promote_dtypes_inexact(p)
    return _geometric_jit(data, p, shape=shape, dtype=dtype, partitionable=_partitionable())


def _geometric(key_data, p, shape, dtype, partitionable):
    u = _uniform(key_data, 0.0, 1.0, shape, p.dtype, partitionable)
    # u = 0 counts as 1, as in JAX (which keeps its samples for a given key so).
    log_u = _log(jnp.where(u == 0, 1, u))
    log_one_minus_p = jnp.broadcast_to(_log1p(-p), shape)
    return (lax.floor(lax.div(log_u, log_one_minus_p)) + 1).astype(dtype)


_geometric_jit = jit(_geometric, static_argnames=("shape", "dtype", "partitionable"))


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular floats on [left, right] peaking at mode: the inverse CDF of a uniform."""
    data, _ = _check_prng_key("triangular", key)
    dtype = _float_dtype("triangular", dtype)
    shape = _result_shape("triangular", shape, left, mode, right)
    _check_safe_cast("triangular", dtype, left, mode, right)
    return _triangular_jit(data, left, mode, right, shape=shape, dtype=dtype, partitionable=_partitionable())


def _triangular(key_data, left, mode, right, shape, dtype, partitionable):
    left, mode, right = (jnp.broadcast_to(lax.convert_element_type(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = _uniform(key_data, 0.0, 1.0, shape, dtype, partitionable)
    out1 = left + lax.sqrt(u * (right - left) * (mode - left))
    out2 = right - lax.sqrt((1 - u) * (right - left) * (right - mode))
    return lax.select(u < fc, out1, out2)


_triangular_jit = jit(_triangular, static_argnames=("shape", "dtype", "partitionable"))


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """exp(sigma * x), x standard normal (complex dtypes too)."""
    data, _ = _check_prng_key("lognormal", key)
    dtype = dtypes.canonicalize_dtype(float if dtype is None else dtype)
    if not (dtypes.is_float(dtype) or dtypes.is_complex(dtype)):
        raise ValueError(with_source(f"dtype argument to `lognormal` must be a float or complex dtype, got {dtype}"))
    shape = _result_shape("lognormal", shape, sigma)
    _check_safe_cast("lognormal", dtype, sigma)
    return _lognormal_jit(data, sigma, shape=shape, dtype=dtype, partitionable=_partitionable())


def _lognormal(key_data, sigma, shape, dtype, partitionable):
    return lax.exp(_normal(key_data, shape, dtype, partitionable) * lax.convert_element_type(sigma, dtype))


_lognormal_jit = jit(_lognormal, static_argnames=("shape", "dtype", "partitionable"))


# The gamma family: Marsaglia and Tsang's rejection method, one while loop per element.


def _gamma_one(key_data, alpha, log_space, partitionable):
    """One Gamma(alpha) sample (its log if log_space) as JAX's _gamma_one: alpha < 1
    boosted to alpha + 1 and the sample scaled by u ** (1 / alpha)."""
    one, zero, dtype = _c(1, alpha), _c(0, alpha), alpha.dtype
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, _c(1 / 3, alpha))
    c = lax.div(_c(1 / 3, alpha), lax.sqrt(d))

    def rejected(state):
        _, x2, v, u = state
        squeeze = lax.ge(u, _fma(_c(-0.0331, u), lax.mul(x2, x2), one))
        log_test = lax.ge(_log(u), _fma(x2, _c(0.5, u), lax.mul(d, lax.add(lax.sub(one, v), _log(v)))))
        return lax.bitwise_and(squeeze, log_test)

    def next_xv(state):
        key, _, _ = state
        key, subkey = _split(key, (2,), partitionable)
        x = _normal_real(subkey, (), dtype, partitionable)
        return key, x, _fma(x, c, one)

    def draw(state):
        key, x_key, u_key = _split(state[0], (3,), partitionable)
        _, x, v = lax.while_loop(lambda s: lax.le(s[2], zero), next_xv, (x_key, zero, _c(-1, alpha)))
        u = _uniform(u_key, 0.0, 1.0, (), dtype, partitionable)
        return key, lax.mul(x, x), lax.mul(lax.mul(v, v), v), u

    key, subkey = _split(key_data, (2,), partitionable)
    # The initial state is rejected.
    _, _, v, _ = lax.while_loop(rejected, draw, (key, zero, one, _c(2, alpha)))
    if log_space:
        log_samples = lax.neg(_exponential(subkey, (), dtype, partitionable))
        log_boost = lax.select(lax.bitwise_or(boost_mask, lax.eq(log_samples, zero)), zero,
                               lax.mul(log_samples, lax.div(one, alpha_orig)))
        return lax.add(lax.add(_log(d), _log(v)), log_boost)
    samples = lax.sub(one, _uniform(subkey, 0.0, 1.0, (), dtype, partitionable))
    # For a tiny alpha the boost underflows, where XLA:CPU flushes subnormals to 0 (and
    # t's sqrt(df / 2 / sample) then is inf, not a finite value).
    boost = lax.select(boost_mask, one, _flush_subnormal(lax.pow(samples, lax.div(one, alpha_orig))))
    return _flush_subnormal(lax.mul(lax.mul(d, v), boost))


def _flush_subnormal(x):
    """x, its subnormal values 0 (as XLA:CPU's flush-to-zero mode computes)."""
    return lax.select(lax.lt(lax.abs(x), _c(dtypes.finfo(x.dtype).tiny, x)), jnp.zeros_like(x), x)


def _gamma_program(key_data, a, log_space, partitionable):
    """Gamma(a) samples of a's shape, element i from the i-th of a.size keys split from
    the key (JAX's random_gamma_p)."""
    size = a.size
    if not size:
        return jnp.zeros(a.shape, a.dtype)
    keys = _split(key_data, (size,), partitionable)
    one = partial(_gamma_one, log_space=log_space, partitionable=partitionable)
    return lax.reshape(vmap(one)(keys, lax.reshape(a, (size,))), a.shape)


# One program per shape, dtype and log_space, which the samplers built on gamma share:
# they call it, and their own few operations, outside any jit of theirs (its loops
# take long to compile).
_gamma_program_jit = jit(_gamma_program, static_argnames=("log_space", "partitionable"))


@partial(custom_jvp, nondiff_argnums=(2, 3))
def _gamma_sample(key_data, a, log_space, partitionable):
    return _gamma_program_jit(key_data, a, log_space=log_space, partitionable=partitionable)


@_gamma_sample.defjvp
def _gamma_sample_jvp(log_space, partitionable, primals, tangents):
    """JAX's implicit reparameterization gradient: d sample / d a from the gamma CDF
    (lax.random_gamma_grad), not through the rejection loop."""
    (key_data, a), (_, a_dot) = primals, tangents
    sample = _gamma_sample(key_data, a, log_space, partitionable)
    if not log_space:
        return sample, a_dot * lax.random_gamma_grad(a, sample)
    # d log(x) = dx / x, where exp(log x) may round to 0: tiny instead, as JAX's.
    x = lax.exp(sample)
    x = lax.select(lax.eq(x, jnp.zeros_like(x)), jnp.full_like(x, dtypes.finfo(x.dtype).tiny), x)
    return sample, a_dot * (lax.random_gamma_grad(a, x) / x)


def _gamma(key_data, a, shape, dtype, log_space, partitionable):
    a = jnp.broadcast_to(lax.convert_element_type(a, dtype), shape)
    return _gamma_sample(key_data, a, log_space, partitionable)


def _split_in_two(key_data, partitionable):
    return _split_jit(key_data, shape=(2,), partitionable=partitionable)


def _gamma_sampler(name, key, a, shape, dtype, log_space):
    data, _ = _check_prng_key(name, key)
    dtype = _user_dtype("gamma", dtype, float, dtypes.is_float, "a float")
    shape = np.shape(a) if shape is None else _canonical_shape(name, shape)
    _check_shape("gamma", shape, np.shape(a))
    return _gamma(data, a, shape, dtype, log_space, _partitionable())


def gamma(key, a, shape=None, dtype=None):
    """Standard Gamma(a) floats (unit scale), differentiable in a as JAX's (implicit
    reparameterization)."""
    return _gamma_sampler("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """The logs of Gamma(a) samples, computed in log space (accurate for small a)."""
    return _gamma_sampler("loggamma", key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) floats: Ga / (Ga + Gb), from log-space gamma samples."""
    data, _ = _check_prng_key("beta", key)
    dtype = _float_dtype("beta", dtype)
    _check_safe_cast("beta", dtype, a, b)
    shape = _result_shape("beta", shape, a, b)
    partitionable = _partitionable()
    key_a, key_b = _split_in_two(data, partitionable)
    log_gamma_a, log_gamma_b = (_gamma(k, v, shape, dtype, True, partitionable) for k, v in ((key_a, a), (key_b, b)))
    # Ga / (Ga + Gb), scaled by the larger so that neither underflows.
    log_max = lax.max(log_gamma_a, log_gamma_b)
    gamma_a_scaled, gamma_b_scaled = (jnp.exp(v - log_max) for v in (log_gamma_a, log_gamma_b))
    return gamma_a_scaled / (gamma_a_scaled + gamma_b_scaled)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) floats along alpha's last axis: the softmax of log-gamma samples."""
    data, _ = _check_prng_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    shape = None if shape is None else _canonical_shape("dirichlet", shape)
    if np.ndim(alpha) < 1:
        raise ValueError(with_source(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {np.ndim(alpha)}"))
    if shape is None:
        shape = np.shape(alpha)[:-1]
    else:
        _check_shape("dirichlet", shape, np.shape(alpha)[:-1])
    log_gamma = _gamma(data, alpha, shape + np.shape(alpha)[-1:], dtype, True, _partitionable())
    # jax.nn.softmax's arithmetic (mirax.nn imports this module, so it is spelled here).
    unnormalized = jnp.exp(log_gamma - jnp.max(log_gamma, -1, keepdims=True))
    return unnormalized / jnp.sum(unnormalized, -1, keepdims=True)


def t(key, df, shape=None, dtype=None):
    """Student's t floats with df degrees of freedom: n * sqrt((df / 2) / g), n normal,
    g Gamma(df / 2)."""
    data, _ = _check_prng_key("t", key)
    dtype = _float_dtype("t", dtype)
    shape = _result_shape("t", shape, df)
    _check_safe_cast("t", dtype, df)
    partitionable = _partitionable()
    key_n, key_g = _split_in_two(data, partitionable)
    n = _normal_jit(key_n, shape=shape, dtype=dtype, partitionable=partitionable)
    half_df = lax.div(lax.convert_element_type(df, dtype), np.array(2, dtype))
    g = _gamma(key_g, half_df, shape, dtype, False, partitionable)
    return n * jnp.sqrt(half_df / g)


def _chisquare(key_data, df, shape, dtype, partitionable):
    two = np.array(2, dtype)
    half_df = lax.div(lax.convert_element_type(df, dtype), two)
    return lax.mul(jnp.exp(_gamma(key_data, half_df, shape, dtype, True, partitionable)), two)


def chisquare(key, df, shape=None, dtype=None):
    """Chi-square floats with df degrees of freedom: 2 Gamma(df / 2), from log space."""
    data, _ = _check_prng_key("chisquare", key)
    dtype = _float_dtype("chisquare", dtype)
    shape = _result_shape("chisquare", shape, df)
    _check_safe_cast("chisquare", dtype, df)
    return _chisquare(data, df, shape, dtype, _partitionable())


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F-distribution floats: (chi2(dfnum) / dfnum) / (chi2(dfden) / dfden)."""
    data, _ = _check_prng_key("f", key)
    dtype = _float_dtype("f", dtype)
    shape = _result_shape("f", shape, dfnum, dfden)
    _check_safe_cast("f", dtype, dfnum, dfden)
    dfnum, dfden = (lax.convert_element_type(v, dtype) for v in (dfnum, dfden))
    partitionable = _partitionable()
    key_dfd, key_dfn = _split_in_two(data, partitionable)
    chi2_dfn = _chisquare(key_dfn, dfnum, shape, dtype, partitionable)
    chi2_dfd = _chisquare(key_dfd, dfden, shape, dtype, partitionable)
    return lax.div(lax.div(chi2_dfn, dfnum), lax.div(chi2_dfd, dfden))


def _generalized_normal(key_data, p, shape, dtype, partitionable):
    if not dtypes.is_float(dtype):  # gamma's check, as in JAX
        raise ValueError(with_source(f"dtype argument to `gamma` must be a float dtype, got {dtype}"))
    gamma_key, sign_key = _split_in_two(key_data, partitionable)
    g = _gamma(gamma_key, 1 / p, shape, dtype, False, partitionable)
    r = _rademacher_jit(sign_key, shape=shape, dtype=dtype, partitionable=partitionable)
    return r * g ** (1 / p)


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal floats, density exp(-|x| ** p): a random sign times
    Gamma(1 / p) ** (1 / p)."""
    shape = _canonical_shape("generalized_normal", shape)
    data, _ = _check_prng_key("generalized_normal", key)
    dtype = dtypes.canonicalize_dtype(float if dtype is None else dtype)
    p = to_array(p)  # an array, as in JAX's jit: p ** x is then lax.pow
    return _generalized_normal(data, p, shape, dtype, _partitionable())


def ball(key, d, p=2, shape=(), dtype=None):
    """Uniform points of the unit Lp ball in d dimensions (shape + (d,))."""
    shape = _canonical_shape("ball", shape)
    data, _ = _check_prng_key("ball", key)
    dtype = dtypes.canonicalize_dtype(float if dtype is None else dtype)
    d = operator.index(d)
    p = to_array(p)  # an array, as in JAX's jit: p ** x is then lax.pow
    partitionable = _partitionable()
    k1, k2 = _split_in_two(data, partitionable)
    g = _generalized_normal(k1, p, (*shape, d), dtype, partitionable)
    e = _exponential_jit(k2, shape=shape, dtype=dtype, partitionable=partitionable)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


# Binomial and multinomial: inversion (counting geometric gaps) where n * p <= 10,
# else the transformed rejection method BTRS, as JAX's (TensorFlow's).


def _stirling_approx_tail(k):
    """log(k!) minus its Stirling approximation: a table for k <= 9, else a series."""
    table = jnp.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                       0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                       0.00925546218271273, 0.00833056343336287], dtype=k.dtype)
    use_table = k <= 9
    k = lax.clamp(_c(0, k), k, _c(9, k))
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return lax.select(use_table, table[jnp.floor(k).astype(np.int32)], approx)


def _binomial_inversion(key_data, count, prob, shape, dtype, partitionable):
    log1minusprob = _log1p(-prob)

    def body(carry):
        num_geom, geom_sum, key = carry
        subkey, key = _split(key, (2,), partitionable)
        num_geom = lax.select(geom_sum <= count, num_geom + 1, num_geom)
        u = _uniform(subkey, 0.0, 1.0, shape, prob.dtype, partitionable)
        return num_geom, geom_sum + jnp.ceil(_log(u) / log1minusprob), key

    # JAX's loops also stop after finfo(dtype).max iterations, which an int32 counter never reaches.
    zeros = jnp.zeros(shape, prob.dtype)
    k = lax.while_loop(lambda carry: jnp.any(carry[1] <= count), body, (zeros, zeros, key_data))[0]
    return (k - 1).astype(dtype)


def _btrs(key_data, count, prob, shape, dtype, partitionable):
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = _fma(stddev, 2.53, 1.15)
    a = _fma(prob, 0.01, _fma(b, 0.0248, -0.0873))
    c = _fma(count, prob, 0.5)
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)

    def body(carry):
        k_out, accepted, key = carry
        key, subkey_0, subkey_1 = _split(key, (3,), partitionable)
        u = _uniform(subkey_0, 0.0, 1.0, shape, prob.dtype, partitionable)
        v = _uniform(subkey_1, 0.0, 1.0, shape, prob.dtype, partitionable)
        u = u - 0.5
        us = 0.5 - jnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = jnp.floor(_fma(2 * a / us + b, u, c))
        reject = (k < 0) | (k > count)
        v = _log(v * alpha / (a / (us * us) + b))
        ub = _fma(m + 0.5, _log((m + 1) / (r * (count - m + 1))),
                  (count + 1) * _log((count - m + 1) / (count - k + 1)))
        ub = _fma(k + 0.5, _log(r * (count - k + 1) / (k + 1)), ub)
        ub = (ub + _stirling_approx_tail(m) + _stirling_approx_tail(count - m) - _stirling_approx_tail(k)
              - _stirling_approx_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        return lax.select(accept, k, k_out), accepted | accept, key

    init = (jnp.full(shape, -1, prob.dtype), jnp.zeros(shape, bool), key_data)
    return lax.while_loop(lambda carry: jnp.any(~carry[1]), body, init)[0].astype(dtype)


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) counts, as floats."""
    data, _ = _check_prng_key("binomial", key)
    check_arraylike("binomial", n, p)
    dtype = _float_dtype("binomial", dtype)
    shape = _result_shape("binomial", shape, n, p)
    return _binomial_jit(data, n, p, shape=shape, dtype=dtype, partitionable=_partitionable())


def _binomial(key_data, count, prob, shape, dtype, partitionable):
    (prob,) = promote_dtypes_inexact(prob)
    count = jnp.broadcast_to(lax.convert_element_type(count, prob.dtype), shape)
    prob = jnp.broadcast_to(prob, shape)
    # Sampled for q = min(p, 1 - p), and mirrored for p >= 1/2.
    p_lt_half = prob < 0.5
    q = lax.select(p_lt_half, prob, 1.0 - prob)
    count_nan_or_neg = jnp.isnan(count) | (count < 0.0)
    count_inf = jnp.isinf(count)
    q_is_nan = jnp.isnan(q)
    q_l_0 = q < 0.0
    q = lax.select(q_is_nan | q_l_0, jnp.full_like(q, 0.01), q)
    use_inversion = count_nan_or_neg | (count * q <= 10.0)
    count = jnp.floor(count)  # as NumPy does for a float count
    # Both run on every element (and the same key), each given harmless parameters where
    # the other is used.
    count_inv = lax.select(use_inversion, count, jnp.full_like(count, 0.0))
    count_btrs = lax.select(use_inversion, jnp.full_like(count, 1e4), count)
    q_btrs = lax.select(use_inversion, jnp.full_like(q, 0.5), q)
    samples = lax.select(use_inversion, _binomial_inversion(key_data, count_inv, q, shape, dtype, partitionable),
                         _btrs(key_data, count_btrs, q_btrs, shape, dtype, partitionable))
    # NaN for a NaN or negative p or count; inf for an infinite count.
    invalid = q_l_0 | q_is_nan | count_nan_or_neg
    samples = lax.select(invalid, jnp.full_like(samples, np.nan, dtype), samples)
    samples = lax.select(count_inf & ~invalid, jnp.full_like(samples, np.inf, dtype), samples)
    return lax.select(p_lt_half | count_nan_or_neg | q_is_nan | count_inf, samples, count.astype(dtype) - samples)


_binomial_jit = jit(_binomial, static_argnames=("shape", "dtype", "partitionable"))


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Multinomial(n, p) counts along p's last axis (as floats): one binomial per
    category, of the trials left, with the probability renormalized to the categories
    left. `shape`, as in JAX's code, is the whole result shape."""
    data, _ = _check_prng_key("multinomial", key)
    check_arraylike("multinomial", n, p)
    n, p = promote_dtypes_inexact(n, p)
    dtype = dtypes.canonicalize_dtype(float if dtype is None else dtype)
    shape = p.shape if shape is None else _canonical_shape("multinomial", shape)
    return _multinomial_jit(data, n, p, shape=shape, dtype=dtype, unroll=unroll, partitionable=_partitionable())


def _multinomial(key_data, n, p, shape, dtype, unroll, partitionable):
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)

    def step(remainder, ratio_key):
        ratio, key = ratio_key
        count = _binomial(key, remainder, ratio.clip(0, 1), remainder.shape, remainder.dtype, partitionable)
        return remainder - count, count

    remaining_probs = lax.cumsum(p, 0, reverse=True)
    ratios = p / jnp.where(remaining_probs == 0, 1, remaining_probs)
    keys = _split(key_data, (ratios.shape[0],), partitionable)
    _, counts = lax.scan(step, n, (ratios, keys), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(dtype)


_multinomial_jit = jit(_multinomial, static_argnames=("shape", "dtype", "unroll", "partitionable"))



def poisson(key, lam, shape=None, dtype=None):
    """Poisson(lam) integers: Knuth's product of uniforms below lam = 10, Hormann's
    transformed rejection from there (as JAX's, TensorFlow's and NumPy's)."""
    data, _ = _check_prng_key("poisson", key)
    dtype = dtypes.canonicalize_dtype(int if dtype is None else dtype)
    shape = np.shape(lam) if shape is None else _canonical_shape("poisson", shape)
    lam = lax.convert_element_type(jnp.broadcast_to(lam, shape), _F32)
    return _poisson_jit(data, lam, shape=shape, dtype=dtype, partitionable=_partitionable())


def _poisson_knuth(key_data, lam, shape, dtype, partitionable):
    def body(carry):
        k, key, log_prod = carry
        key, subkey = _split(key, (2,), partitionable)
        k = lax.select(log_prod > -lam, k + 1, k)
        return k, key, log_prod + _log(_uniform(subkey, 0.0, 1.0, shape, _F32, partitionable))

    # JAX's loops also stop after iinfo(dtype).max iterations, which they never reach.
    init = (jnp.zeros(shape, dtype), key_data, jnp.zeros(shape, _F32))
    k = lax.while_loop(lambda carry: jnp.any(carry[2] > -lam), body, init)[0]
    return (k - 1).astype(dtype)


def _poisson_rejection(key_data, lam, shape, dtype, partitionable):
    log_lam = _log(lam)
    b = _fma(lax.sqrt(lam), 2.53, 0.931)
    a = _fma(b, 0.02483, -0.059)
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        k_out, accepted, key = carry
        key, subkey_0, subkey_1 = _split(key, (3,), partitionable)
        u = _uniform(subkey_0, 0.0, 1.0, shape, lam.dtype, partitionable) - 0.5
        v = _uniform(subkey_1, 0.0, 1.0, shape, lam.dtype, partitionable)
        u_shifted = 0.5 - abs(u)
        k = lax.floor(_fma(2 * a / u_shifted + b, u, lam) + 0.43)
        s = _log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = _fma(k, log_lam, -lam) - lax.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        return lax.select(accept, k, k_out), accepted | accept, key

    init = (jnp.full(shape, -1, lam.dtype), jnp.zeros(shape, bool), key_data)
    return lax.while_loop(lambda carry: jnp.any(~carry[1]), body, init)[0].astype(dtype)


def _poisson(key_data, lam, shape, dtype, partitionable):
    # Both run on every element (and the same key), each given a harmless lam where the
    # other is used.
    use_knuth = jnp.isnan(lam) | (lam < 10)
    lam_knuth = lax.select(use_knuth, lam, jnp.zeros_like(lam))
    lam_rejection = lax.select(use_knuth, jnp.full_like(lam, 1e5), lam)
    result = lax.select(use_knuth, _poisson_knuth(key_data, lam_knuth, shape, dtype, partitionable),
                        _poisson_rejection(key_data, lam_rejection, shape, dtype, partitionable))
    return lax.select(lam == 0, jnp.zeros_like(result), result)


_poisson_jit = jit(_poisson, static_argnames=("shape", "dtype", "partitionable"))

# ----------------------------------------------------------------------------- matrices


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """mean + L @ x, x standard normal and L the Cholesky factor of cov; shape is the
    batch shape, before mean's last axis."""
    data, _ = _check_prng_key("multivariate_normal", key)
    mean, cov = promote_dtypes_inexact(mean, cov)
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError(with_source("method must be one of {'svd', 'eigh', 'cholesky'}"))
    dtype = mean.dtype if dtype is None else _float_dtype("multivariate_normal", dtype)
    if not dtypes.is_float(dtype):
        raise ValueError(with_source(f"dtype argument to `multivariate_normal` must be a float dtype, got {dtype}"))
    shape = None if shape is None else _canonical_shape("multivariate_normal", shape)
    if mean.ndim < 1:
        raise ValueError(with_source(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == {mean.ndim}"))
    if cov.ndim < 2:
        raise ValueError(with_source(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == {cov.ndim}"))
    n = mean.shape[-1]
    if cov.shape[-2:] != (n, n):
        raise ValueError(with_source(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, but got "
                                     f"cov.shape == {cov.shape}."))
    if shape is None:
        shape = _broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
    else:
        _check_shape("normal", shape, mean.shape[:-1], cov.shape[:-2])
    if method == "svd":
        raise NotImplementedError(with_source("mirax.random.multivariate_normal(method='svd'): mirax lacks "
                                              "jnp.linalg.svd"))
    if method == "eigh":
        # JAX's factor v * sqrt(w) takes LAPACK's eigenvector signs, which mirax's eigh
        # does not reproduce: the samples would differ from JAX's for the same key.
        raise NotImplementedError(with_source("mirax.random.multivariate_normal(method='eigh'): mirax's "
                                              "jnp.linalg.eigh picks other eigenvector signs than JAX's (LAPACK's), "
                                              "so the samples would not be JAX's"))
    return _multivariate_normal_jit(data, mean, cov, shape=shape, dtype=dtype, partitionable=_partitionable())


def _multivariate_normal(key_data, mean, cov, shape, dtype, partitionable):
    factor = jnp.linalg.cholesky(cov)
    normal_samples = _normal_real(key_data, shape + mean.shape[-1:], dtype, partitionable)
    return mean + jnp.einsum("...ij,...j->...i", factor, normal_samples)


_multivariate_normal_jit = jit(_multivariate_normal, static_argnames=("shape", "dtype", "partitionable"))


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Uniform (Haar) orthogonal or unitary n x m matrices (semi-orthogonal if n != m):
    Q of the QR of a normal matrix, its columns' signs fixed by R's diagonal."""
    m = n if m is None else m
    shape = _canonical_shape("orthogonal", shape)
    data, _ = _check_prng_key("orthogonal", key)
    dtype = _user_dtype("normal", dtype, float, lambda d: dtypes.is_float(d) or dtypes.is_complex(d),
                        "a float or complex")
    return _orthogonal_jit(data, n=operator.index(n), m=operator.index(m), shape=shape, dtype=dtype,
                           partitionable=_partitionable())


def _orthogonal(key_data, n, m, shape, dtype, partitionable):
    z = _normal(key_data, (*shape, max(n, m), min(n, m)), dtype, partitionable)
    q, r = jnp.linalg.qr(z)
    x = q * jnp.expand_dims(jnp.sign(jnp.diagonal(r, axis1=-2, axis2=-1)), -2)
    return x.mT if n < m else x


_orthogonal_jit = jit(_orthogonal, static_argnames=("n", "m", "shape", "dtype", "partitionable"))


# ----------------------------------------------------------------------------- keys, more


def key_dtype(impl_spec=None):
    """The dtype of typed keys (key<fry>: mirax has threefry-2x32 keys only)."""
    _check_impl(impl_spec)
    return _KEY_DTYPE


def clone(key):
    """The key itself: JAX's clone only marks a key for reuse under its key-reuse
    checker, which mirax does not have."""
    return key


__all__ = [
    "ball", "bernoulli", "beta", "binomial", "bits", "categorical", "cauchy", "chisquare", "choice", "clone",
    "dirichlet", "double_sided_maxwell", "exponential", "f", "fold_in", "gamma", "generalized_normal",
    "geometric", "gumbel", "key", "key_data", "key_dtype", "key_impl", "laplace", "loggamma", "logistic",
    "lognormal", "maxwell", "multinomial", "multivariate_normal", "normal", "orthogonal", "pareto",
    "permutation", "poisson", "PRNGKey", "PRNGKeyArray", "rademacher", "randint", "rayleigh", "split", "t",
    "triangular", "truncated_normal", "uniform", "wald", "weibull_min", "wrap_key_data",
]
