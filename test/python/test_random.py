"""mirax.random against jax.random (the oracle), under both threefry layouts.

Every case draws with several keys (typed and raw), eagerly and under jit where
noted: bit-exact for keys, bits and integer samplers, float32-exact for uniform,
within 1 ulp for the samplers computing transcendental functions. Shapes are
chosen so that each sampler compiles few programs: 0-d, and an odd size (15
elements, which the legacy layout pads).
"""
import contextlib

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


@contextlib.contextmanager
def threefry_layout(partitionable):
    """jax_threefry_partitionable set alike in JAX and mirax; both restored after."""
    old_jax, old_mirax = jax.config.jax_threefry_partitionable, config.read("jax_threefry_partitionable")
    jax.config.update("jax_threefry_partitionable", partitionable)
    config.update("jax_threefry_partitionable", partitionable)
    try:
        yield
    finally:
        jax.config.update("jax_threefry_partitionable", old_jax)
        config.update("jax_threefry_partitionable", old_mirax)


@pytest.fixture(params=[False, True], ids=["legacy", "partitionable"])
def layout(request):
    with threefry_layout(request.param):
        yield request.param


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

X = np.arange(40, dtype=np.float32).reshape(4, 10)
P = np.array([0.125, 0.25, 0.5, 0.0, 0.125], np.float32)  # sums exactly, so the CDFs agree
LOGITS = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], np.float32))

# (name, draw(random module, key), ulps allowed, run under both layouts). Each function
# runs under both layouts; its variants (which differ from it above the random bits)
# under the default one, to keep the compiled programs few.
SAMPLES = [
    ("bits", lambda r, k: r.bits(k, ODD), 0, True),
    ("bits 0-d", lambda r, k: r.bits(k, ()), 0, False),  # legacy 0-d draws: in test_first_seed_draws
    ("bits uint8", lambda r, k: r.bits(k, ODD, np.uint8), 0, True),  # legacy: the words' bytes
    # A span whose products round: XLA fuses the multiply-add, and so must mirax.
    ("uniform", lambda r, k: r.uniform(k, ODD, minval=-3.7, maxval=5.1), 0, True),
    ("uniform array bounds", lambda r, k: r.uniform(k, ODD, minval=np.linspace(-2, 0, 5, dtype=np.float32),
                                                     maxval=np.float32(3.3)), 0, False),
    ("uniform float16", lambda r, k: r.uniform(k, (7,), np.float16, -2, 3), 0, False),
    # bfloat16 with the default bounds only: mirax's compiled bfloat16 arithmetic skips
    # intermediate roundings (arith-emulate-unsupported-floats, see the report).
    ("uniform bfloat16", lambda r, k: r.uniform(k, (7,), ml_dtypes.bfloat16), 0, False),
    ("normal", lambda r, k: r.normal(k, ODD), 1, True),
    ("normal 0-d", lambda r, k: r.normal(k, ()), 1, False),
    ("normal complex64", lambda r, k: r.normal(k, (7,), np.complex64), 1, False),
    ("truncated_normal", lambda r, k: r.truncated_normal(k, -1.3, 2.1, ODD), 1, True),
    ("truncated_normal array bounds", lambda r, k: r.truncated_normal(
        k, np.array([-np.inf, -1.0, 0.5], np.float32), np.array([0.0, 2.5, np.inf], np.float32)), 1, False),
    ("gumbel", lambda r, k: r.gumbel(k, ODD), 1, True),
    ("exponential", lambda r, k: r.exponential(k, ODD), 1, True),
    ("bernoulli", lambda r, k: r.bernoulli(k, 0.3, ODD), 0, True),
    ("bernoulli high", lambda r, k: r.bernoulli(k, 0.3, ODD, mode="high"), 0, False),
    ("randint", lambda r, k: r.randint(k, ODD, -5, 17), 0, True),
    ("randint maxval <= minval", lambda r, k: r.randint(k, ODD, 7, 3), 0, False),  # gives minval
    ("randint uint8 to 256", lambda r, k: r.randint(k, ODD, 0, 256, np.uint8), 0, False),
    ("randint int8", lambda r, k: r.randint(k, ODD, -100, 100, np.int8), 0, False),
    ("permutation", lambda r, k: r.permutation(k, 10), 0, True),
    ("permutation axis", lambda r, k: r.permutation(k, X, axis=1), 0, False),
    ("permutation independent", lambda r, k: r.permutation(k, X, axis=1, independent=True), 0, False),
    ("choice", lambda r, k: r.choice(k, 10, ODD), 0, True),
    ("choice without replacement", lambda r, k: r.choice(k, 10, (5,), replace=False), 0, False),
    ("choice p", lambda r, k: r.choice(k, 5, ODD, p=P), 0, False),
    ("choice p without replacement", lambda r, k: r.choice(k, 5, (3,), replace=False, p=P), 0, False),
    ("choice axis", lambda r, k: r.choice(k, X, ODD, axis=1), 0, False),
    ("choice none", lambda r, k: r.choice(k, X, (0,)), 0, False),
    ("categorical", lambda r, k: r.categorical(k, LOGITS), 0, True),
    ("categorical axis and shape", lambda r, k: r.categorical(k, LOGITS, axis=0, shape=(5, 3)), 0, False),
    ("categorical without replacement", lambda r, k: r.categorical(k, LOGITS, shape=(2, 2), replace=False), 0,
     False),
]


@pytest.mark.parametrize("name,draw,ulps,partitionable", [
    pytest.param(name, draw, ulps, partitionable, id=f"{name}-{'partitionable' if partitionable else 'legacy'}")
    for name, draw, ulps, both in SAMPLES for partitionable in ((False, True) if both else (True,))])
def test_sampler(name, draw, ulps, partitionable):
    with threefry_layout(partitionable):
        for key, jkey in key_pairs():
            check(draw(mr, key), draw(jr, jkey), ulps, label=f"{name} {key!r}")


def test_normal_covers_the_tails():
    """All 2**23 float32 inputs uniform can give normal's erf_inv, through the tails:
    u = 2 f + nextafter(-1, 0) for f = k * 2**-23."""
    f = (np.arange(2**23, dtype=np.uint32) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)
    u = np.maximum(np.nextafter(np.float32(-1), np.float32(0)), f * 2 + np.nextafter(np.float32(-1), np.float32(0)))
    check(mirax.jit(mr._erf_inv)(mjnp.asarray(u)), jax.jit(jax.lax.erf_inv)(u), ulps=1)


def test_64_bit(x64):
    """uint64 bits under both layouts; float64 normal (uniform, erf_inv, log1p and
    float64 FMAs) in the default one."""
    for partitionable in (False, True):
        with threefry_layout(partitionable):
            for key, jkey in key_pairs():
                check(mr.bits(key, ODD, np.uint64), jr.bits(jkey, ODD, np.uint64))
    for key, jkey in key_pairs():
        check(mr.normal(key, ODD, np.float64), jr.normal(jkey, ODD, np.float64), ulps=1)


# ----------------------------------------------------------------------------- under jit


def draws(random):
    """A function of a key that splits, folds in and draws, for mirax.jit and jax.jit."""
    def fn(key):
        key, sub = random.split(key)
        more = random.fold_in(key, 3)
        return key, random.normal(sub, ODD), random.bits(more, (7,), np.uint16), random.split(more, (2, 3))
    return fn


def test_under_jit():
    jitted = mirax.jit(draws(mr))
    for key, jkey in key_pairs():
        got, want = jitted(key), draws(jr)(jkey)
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
    key(0) give the Jacobian it prints; its next draws match JAX's (the later ones
    feed only checks that print True)."""
    with threefry_layout(False):
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
            out.append(random.normal(subkey, (3,)))  # v, pushed forward by jvp
            key, subkey1, subkey2 = random.split(key, 3)
            return out + [random.key_data(key), random.key_data(subkey1)]

        for got, want in zip(replay(mr), replay(jr), strict=True):
            check(got, want, ulps=1)


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
        with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
            random.randint(k, (3,), np.zeros(4, np.int32), 5)
        with pytest.raises(ValueError, match="broadcast-compatible with shape argument"):
            random.randint(k, (3,), 0, np.ones((2, 3), np.int32))
        with pytest.raises(ValueError, match="must be a float dtype, got int32"):
            random.uniform(k, (2,), np.int32)
        with pytest.raises(ValueError, match="must be an unsigned int dtype"):
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
