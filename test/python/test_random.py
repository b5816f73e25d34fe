"""mirax.random against jax.random (the oracle), under both threefry layouts.

Every case draws with several keys (typed and raw), eagerly and under jit where
noted: bit-exact for keys, bits and integer samplers, float32-exact for uniform,
within 1 ulp for the samplers computing transcendental functions. Shapes are
chosen so that each sampler compiles few programs: 0-d, and an odd size (15
elements, which the legacy layout pads).
"""
import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest
from jax import random as jr

import mirax
import mirax.numpy as mjnp
from mirax import random as mr
from mirax.config import config

ODD = (3, 5)


@pytest.fixture(params=[False, True], ids=["legacy", "partitionable"])
def layout(request):
    """jax_threefry_partitionable set alike in JAX and mirax; both restored after."""
    old_jax, old_mirax = jax.config.jax_threefry_partitionable, config.read("jax_threefry_partitionable")
    jax.config.update("jax_threefry_partitionable", request.param)
    config.update("jax_threefry_partitionable", request.param)
    yield request.param
    jax.config.update("jax_threefry_partitionable", old_jax)
    config.update("jax_threefry_partitionable", old_mirax)


def key_pairs():
    """The same keys in mirax and JAX: typed ones and a raw uint32[2] one."""
    return [(mr.key(0), jr.key(0)), (mr.key(42), jr.key(42)), (mr.PRNGKey(1234), jr.PRNGKey(1234))]


def ulp_distance(got, want):
    """Elementwise distance in units in the last place (floats of one dtype)."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[want.dtype.itemsize]
    magnitude = np.iinfo(bits).max

    def ordinal(x):  # floats as integers that count up through the representable values
        i = x.view(bits)
        return np.where(i < 0, -(i & magnitude), i).astype(object if bits is np.int64 else np.int64)

    return np.abs(ordinal(got) - ordinal(want))


def check(got, want, ulps=0, label=""):
    """Same shape and dtype; integers and bools equal; floats (complex: each part) at most
    `ulps` apart, NaNs and infinities alike."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype), (label, got.shape, got.dtype, want.shape, want.dtype)
    if want.dtype.kind == "c":
        check(got.real, want.real, ulps, label)
        check(got.imag, want.imag, ulps, label)
    elif want.dtype.kind == "f" or want.dtype == ml_dtypes.bfloat16:
        distance = ulp_distance(got, want)
        assert distance.max(initial=0) <= ulps, (label, distance.max(), got, want)
    else:
        np.testing.assert_array_equal(got, want, err_msg=label)


def check_keys(got, want, label=""):
    """Typed keys stay typed and raw keys raw, with the same data."""
    if isinstance(want, jax.Array) and jjnp.issubdtype(want.dtype, jax.dtypes.prng_key):
        assert isinstance(got, mr.PRNGKeyArray) and str(got.dtype) == "key<fry>", (label, got)
        assert got.shape == want.shape, label
        check(mr.key_data(got), jr.key_data(want), label=label)
    else:
        assert isinstance(got, mirax.Array), (label, got)
        check(got, want, label=label)


# ----------------------------------------------------------------------------- keys


@pytest.mark.parametrize("seed", [0, 42, -1, 2**31 + 5, 2**40 + 7, np.uint32(4000000000), np.int8(-3)],
                         ids=lambda s: repr(s))
def test_key_from_seed(seed):
    check_keys(mr.key(seed), jr.key(seed))
    check_keys(mr.PRNGKey(seed), jr.PRNGKey(seed))


def test_key_from_seed_x64(x64):
    for seed in (-1, 2**40 + 7, np.uint64(2**63 + 9)):
        check_keys(mr.key(seed), jr.key(seed), label=repr(seed))


def test_key_printing():
    assert repr(mr.key(0)) == repr(jr.key(0)) == "Array((), dtype=key<fry>) overlaying:\n[0 0]"
    assert str(mr.key(0)) == str(jr.key(0))
    assert repr(mr.split(mr.key(0), 3)) == repr(jr.split(jr.key(0), 3))
    assert repr(mr.PRNGKey(0)) == repr(jr.PRNGKey(0)) == "Array([0, 0], dtype=uint32)"


def test_key_arrays_index_iterate_and_wrap(layout):
    keys, jkeys = mr.split(mr.key(5), (2, 3)), jr.split(jr.key(5), (2, 3))
    assert (keys.shape, keys.ndim, keys.size, len(keys)) == ((2, 3), 2, 6, 2)
    check_keys(keys[1], jkeys[1])
    check_keys(keys[1, 2], jkeys[1, 2])
    check_keys(keys[..., 0], jkeys[..., 0])
    for got, want in zip(keys, jkeys, strict=True):
        check_keys(got, want)
    check_keys(keys.reshape(6), jkeys.reshape(6))
    wrapped = mr.wrap_key_data(mr.key_data(keys))
    check(wrapped == keys, np.ones((2, 3), bool))
    check(keys[0] != keys[1], np.ones(3, bool))
    assert mr.key_impl(keys) == jr.key_impl(jkeys) == "threefry2x32"
    with pytest.raises(TypeError, match="iteration over a 0-d key array"):
        iter(mr.key(0))
    with pytest.raises(TypeError, match="key_data"):
        np.asarray(mr.key(0))


@pytest.mark.parametrize("num", [3, (2, 3), 0])
def test_split(layout, num):
    for key, jkey in key_pairs():
        check_keys(mr.split(key, num), jr.split(jkey, num), label=repr(key))


def test_fold_in(layout):
    for key, jkey in key_pairs():
        for data in (0, 1, 2**32 - 1, np.int32(-7)):
            check_keys(mr.fold_in(key, data), jr.fold_in(jkey, data), label=f"{key!r} {data}")


# ----------------------------------------------------------------------------- samplers


@pytest.mark.parametrize("shape,dtype", [((), np.uint32), (ODD, np.uint32), (ODD, np.uint8), ((7,), np.uint16)])
def test_bits(layout, shape, dtype):
    for key, jkey in key_pairs():
        check(mr.bits(key, shape, dtype), jr.bits(jkey, shape, dtype))


def test_bits_x64(layout, x64):
    for key, jkey in key_pairs():
        check(mr.bits(key, ODD, np.uint64), jr.bits(jkey, ODD, jjnp.uint64))


@pytest.mark.parametrize("shape", [(), ODD])
def test_uniform(layout, shape):
    for key, jkey in key_pairs():
        check(mr.uniform(key, shape), jr.uniform(jkey, shape))
        # A span whose products round: XLA fuses the multiply-add, and so must mirax.
        check(mr.uniform(key, shape, minval=-3.7, maxval=5.1), jr.uniform(jkey, shape, minval=-3.7, maxval=5.1))


def test_uniform_bounds_and_narrow_dtypes(layout):
    lo, hi = np.linspace(-2, 0, 5, dtype=np.float32), np.float32(3.3)
    for key, jkey in key_pairs():
        check(mr.uniform(key, ODD, minval=lo, maxval=hi), jr.uniform(jkey, ODD, minval=lo, maxval=hi))
        check(mr.uniform(key, (7,), jjnp.float16, -2, 3), jr.uniform(jkey, (7,), jjnp.float16, -2, 3))
        # bfloat16 with the default bounds only: mirax's compiled bfloat16 arithmetic
        # skips intermediate roundings (see the report on arith-emulate-unsupported-floats).
        check(mr.uniform(key, (7,), jjnp.bfloat16), jr.uniform(jkey, (7,), jjnp.bfloat16))


@pytest.mark.parametrize("shape", [(), ODD])
def test_normal(layout, shape):
    for key, jkey in key_pairs():
        check(mr.normal(key, shape), jr.normal(jkey, shape), ulps=1)


def test_normal_complex_and_half(layout):
    for key, jkey in key_pairs():
        check(mr.normal(key, (7,), jjnp.complex64), jr.normal(jkey, (7,), jjnp.complex64), ulps=1)
        check(mr.normal(key, (7,), jjnp.float16), jr.normal(jkey, (7,), jjnp.float16), ulps=1)


def test_normal_covers_the_tails():
    """All 2**23 float32 inputs uniform can give normal's erf_inv, through the tails:
    u = 2 f + nextafter(-1, 0) for f = k * 2**-23."""
    f = (np.arange(2**23, dtype=np.uint32) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)
    u = np.maximum(np.nextafter(np.float32(-1), np.float32(0)), f * 2 + np.nextafter(np.float32(-1), np.float32(0)))
    check(mirax.jit(mr._erf_inv)(mjnp.asarray(u)), jax.jit(jax.lax.erf_inv)(u), ulps=1)


def test_truncated_normal(layout):
    lower, upper = np.array([-np.inf, -1.0, 0.5], np.float32), np.array([0.0, 2.5, np.inf], np.float32)
    for key, jkey in key_pairs():
        check(mr.truncated_normal(key, -1.3, 2.1, ODD), jr.truncated_normal(jkey, -1.3, 2.1, ODD), ulps=1)
        check(mr.truncated_normal(key, lower, upper), jr.truncated_normal(jkey, lower, upper), ulps=1)


def test_float64_samplers(x64):
    """In the default layout (the layouts differ only in bits, tested above)."""
    for key, jkey in key_pairs():
        check(mr.uniform(key, ODD, np.float64, -1.5, 2.3), jr.uniform(jkey, ODD, jjnp.float64, -1.5, 2.3))
        check(mr.normal(key, ODD, np.float64), jr.normal(jkey, ODD, jjnp.float64), ulps=1)
        check(mr.truncated_normal(key, -1.3, 2.1, ODD, np.float64),
              jr.truncated_normal(jkey, -1.3, 2.1, ODD, jjnp.float64), ulps=1)
        check(mr.randint(key, ODD, -10**12, 10**12), jr.randint(jkey, ODD, -10**12, 10**12))


@pytest.mark.parametrize("mode", ["low", "high"])
def test_gumbel(layout, mode):
    for key, jkey in key_pairs():
        check(mr.gumbel(key, ODD, mode=mode), jr.gumbel(jkey, ODD, mode=mode), ulps=1)


@pytest.mark.parametrize("shape", [(), ODD])
def test_exponential(layout, shape):
    for key, jkey in key_pairs():
        check(mr.exponential(key, shape), jr.exponential(jkey, shape), ulps=1)


def test_bernoulli(layout):
    p = np.array([0.0, 0.2, 0.5, 0.9, 1.0], np.float32)
    for key, jkey in key_pairs():
        check(mr.bernoulli(key, 0.3, ODD), jr.bernoulli(jkey, 0.3, ODD))
        check(mr.bernoulli(key, 0.3, ODD, mode="high"), jr.bernoulli(jkey, 0.3, ODD, mode="high"))
        check(mr.bernoulli(key, p), jr.bernoulli(jkey, p))


def test_randint(layout):
    lo, hi = np.array([-5, 0, 7, 100, 3], np.int32), np.int32(50)
    for key, jkey in key_pairs():
        check(mr.randint(key, ODD, -5, 17), jr.randint(jkey, ODD, -5, 17))
        check(mr.randint(key, ODD, 7, 3), jr.randint(jkey, ODD, 7, 3))  # maxval <= minval gives minval
        check(mr.randint(key, ODD, lo, hi), jr.randint(jkey, ODD, lo, hi))
        check(mr.randint(key, ODD, 0, 256, np.uint8), jr.randint(jkey, ODD, 0, 256, jjnp.uint8))
        check(mr.randint(key, ODD, -100, 100, np.int8), jr.randint(jkey, ODD, -100, 100, jjnp.int8))


def test_permutation(layout):
    x = np.arange(40, dtype=np.float32).reshape(4, 10)
    for key, jkey in key_pairs():
        check(mr.permutation(key, 10), jr.permutation(jkey, 10))
        check(mr.permutation(key, x, axis=1), jr.permutation(jkey, x, axis=1))
        check(mr.permutation(key, x, axis=1, independent=True), jr.permutation(jkey, x, axis=1, independent=True))


def test_choice(layout):
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    p = np.array([0.125, 0.25, 0.5, 0.0, 0.125], np.float32)  # sums exactly, so the CDFs agree
    for key, jkey in key_pairs():
        check(mr.choice(key, 10, ODD), jr.choice(jkey, 10, ODD))
        check(mr.choice(key, 10, (5,), replace=False), jr.choice(jkey, 10, (5,), replace=False))
        check(mr.choice(key, 5, ODD, p=p), jr.choice(jkey, 5, ODD, p=p))
        check(mr.choice(key, 5, (3,), replace=False, p=p), jr.choice(jkey, 5, (3,), replace=False, p=p))
        check(mr.choice(key, x, ODD, axis=1), jr.choice(jkey, x, ODD, axis=1))
        check(mr.choice(key, x, (0,)), jr.choice(jkey, x, (0,)))


def test_categorical(layout):
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], np.float32))
    for key, jkey in key_pairs():
        check(mr.categorical(key, logits), jr.categorical(jkey, logits))
        check(mr.categorical(key, logits, axis=0, shape=(5, 3)), jr.categorical(jkey, logits, axis=0, shape=(5, 3)))
        check(mr.categorical(key, logits, shape=(2, 2), replace=False),
              jr.categorical(jkey, logits, shape=(2, 2), replace=False))


# ----------------------------------------------------------------------------- under jit


def draws(random):
    """A function of a key drawing with most of the API, for mirax.jit and jax.jit."""
    def fn(key):
        key, sub = random.split(key)
        more = random.fold_in(key, 3)
        return key, random.normal(sub, ODD), random.randint(more, ODD, -5, 17), random.split(more, (2, 3))
    return fn


def test_under_jit(layout):
    jitted, jax_jitted = mirax.jit(draws(mr)), jax.jit(draws(jr))
    for key, jkey in key_pairs():
        got, want = jitted(key), jax_jitted(jkey)
        for i in (0, 3):
            check_keys(got[i], want[i])
        check(got[1], want[1], ulps=1)
        check(got[2], want[2])


def test_keys_are_traced_as_keys():
    seen = []

    @mirax.jit
    def fn(key):
        seen.append(repr(key))
        return mr.split(key)[0]

    check_keys(fn(mr.key(3)), jr.split(jr.key(3))[0])
    assert seen == ["Traced<key<fry>[]>"]


# ----------------------------------------------------------------------------- the seeds


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2) + 1)


def test_first_seed_draws():
    """Advanced autodiff tutorial (made with the legacy layout): W and b from
    key(0) give the Jacobian it prints; its later draws match JAX's."""
    config.update("jax_threefry_partitionable", False)
    jax.config.update("jax_threefry_partitionable", False)
    try:
        key = mr.key(0)
        key, W_key, b_key = mr.split(key, 3)
        W, b = np.asarray(mr.normal(W_key, (3,)), np.float64), float(mr.normal(b_key, ()))
        inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
        s = sigmoid(inputs @ W + b)
        printed = [[0.05981758, 0.12883787, 0.08857603], [0.04015916, -0.04928625, 0.00684531],
                   [0.12188288, 0.01406341, -0.3047072], [0.00140431, -0.00472531, 0.00263782]]
        np.testing.assert_allclose((s * (1 - s))[:, None] * inputs, printed, atol=2e-7)

        def replay(random):
            key = random.key(0)
            key, W_key, b_key = random.split(key, 3)
            out = [random.normal(W_key, (3,)), random.normal(b_key, ())]
            key, subkey = random.split(key)
            out.append(random.normal(subkey, (3,)))
            key, subkey = random.split(key)
            out.append(random.normal(subkey, (4,)))
            key, subkey1, subkey2 = random.split(key, 3)
            out += [random.normal(subkey1, (30, 40)), random.normal(subkey2, (30, 40))]
            out.append(random.normal(random.key(0), (128, 3)))
            for seed in range(3):  # the complex-JVP checks
                key = random.key(seed)
                key, subkey = random.split(key, 3)[:2]
                out.append(random.uniform(subkey, (4,)))
            return out

        for got, want in zip(replay(mr), replay(jr), strict=True):
            check(got, want, ulps=1)
    finally:
        config.update("jax_threefry_partitionable", True)
        jax.config.update("jax_threefry_partitionable", True)


def test_second_seed_draws():
    """Baking notebook (made with the partitionable layout, the default): W and b from
    key(42) give the loss and gradients it prints."""
    assert config.read("jax_threefry_partitionable")
    key = mr.key(42)
    key, W_key, b_key = mr.split(key, 3)
    W, b = np.asarray(mr.normal(W_key, (3,)), np.float64), float(mr.normal(b_key, ()))
    features = np.array([[0.8, 0.9, -0.5], [0.7, 0.8, -0.4], [0.3, 0.4, -0.8], [0.9, 0.7, -0.3]])
    likes = np.array([1.0, 1.0, 0.0, 1.0])
    p = sigmoid(features @ W + b)
    label_probabilities = p * likes + (1 - p) * (1 - likes)
    loss = -np.sum(np.log(label_probabilities + 1e-7))
    dloss_dlogit = -(2 * likes - 1) * p * (1 - p) / (label_probabilities + 1e-7)
    np.testing.assert_allclose(loss, 2.247727394104004, rtol=1e-6)
    np.testing.assert_allclose(features.T @ dloss_dlogit, [-0.05690404, 0.03078762, -0.52113414], atol=1e-7)
    np.testing.assert_allclose(dloss_dlogit.sum(), 0.45482203364372253, rtol=1e-6)


# ----------------------------------------------------------------------------- bad input


def test_bad_keys():
    for bad, message in [(np.zeros(2, np.float32), "expected key_data.dtype = uint32; got dtype=float32"),
                         (np.zeros(3, np.uint32), r"expected key_data.shape to end with \(2,\)"),
                         (np.uint32(7), r"expected key_data.ndim >= 1"),
                         ([0, 0], "unexpected PRNG key type")]:
        for random in (mr, jr):
            with pytest.raises(TypeError, match=message if random is mr else None):
                random.normal(bad, (2,))
    for random, key in ((mr, mr.split(mr.key(0))), (jr, jr.split(jr.key(0)))):
        with pytest.raises(ValueError, match="normal accepts a single key, but was given a key array of shape"):
            random.normal(key, (2,))
    with pytest.raises(TypeError, match="expected key_data.dtype = uint32"):
        mr.wrap_key_data(np.zeros((3, 2), np.int32))


def test_bad_arguments():
    key = mr.key(0)
    with pytest.raises(ValueError, match="the number of keys must be non-negative"):
        mr.split(key, -1)
    with pytest.raises(ValueError, match="the number of keys must be non-negative"):
        mr.split(mr.PRNGKey(0), (2, -3))
    for random in (mr, jr):
        k = random.key(0)
        with pytest.raises(ValueError, match="incompatible shapes for broadcasting" if random is mr else None):
            random.randint(k, (3,), np.zeros(4, np.int32), 5)
        with pytest.raises(ValueError, match="broadcast-compatible with shape argument"):
            random.randint(k, (3,), 0, np.ones((2, 3), np.int32))
        with pytest.raises(ValueError, match="must be a float dtype, got int32"):
            random.uniform(k, (2,), np.int32)
        with pytest.raises(ValueError, match="must be an? unsigned int dtype"):
            random.bits(k, (2,), np.int32)
        with pytest.raises(TypeError, match="accepts a scalar seed"):
            random.key(np.arange(3))
        with pytest.raises(TypeError, match="seed must be an integer"):
            random.key(1.5)
        with pytest.raises(TypeError, match="fold_in accepts a scalar"):
            random.fold_in(k, np.arange(2))
        with pytest.raises(ValueError, match="Cannot take a larger sample"):
            random.choice(k, 3, (4,), replace=False)
        with pytest.raises(TypeError, match="must have a floating dtype"):
            random.bernoulli(k, 1)
