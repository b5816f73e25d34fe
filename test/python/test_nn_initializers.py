"""mirax.nn.initializers (python/mirax/nn/initializers.py) against jax.nn.initializers:
the same key draws the same parameters (to rounding where a QR or a square root
intervenes), with JAX's dtypes, fans and errors."""
import jax
import jax.nn.initializers as jinit
import numpy as np
import pytest

import mirax
import mirax.nn.initializers as minit
from oracle import check, ROUNDING

# (name, constructor arguments, shape, dtype); None: the default float dtype.
CASES = [
    ("zeros", None, (2, 3), None),
    ("ones", None, (4,), np.float16),
    ("constant", (0.25,), (2, 2), None),
    ("constant", (3, np.int32), (3,), None),
    ("uniform", (), (3, 4), None),
    ("uniform", (2.0, np.float16), (3, 4), None),
    ("normal", (0.5,), (3, 4), None),
    ("normal", (), (3, 4), np.float16),
    ("truncated_normal", (1.0,), (3, 4), None),
    ("truncated_normal", (0.3, None, -1.0, 0.5), (3, 4), None),
    ("glorot_uniform", (), (3, 4), None),
    ("glorot_normal", (), (2, 3, 4), None),
    ("glorot_uniform", (0, 1), (3, 4, 2), None),
    ("lecun_uniform", (), (3, 4), None),
    ("lecun_normal", ((0, 1), -1), (2, 3, 4), None),
    ("he_uniform", (), (3, 4), None),
    ("he_normal", (-2, -1, 0), (2, 3, 4), None),
    ("he_uniform", (), (3, 4), np.float16),
    ("variance_scaling", (0.5, "fan_out", "normal"), (3, 4), None),
    ("variance_scaling", (2.0, "fan_geo_avg", "uniform"), (3, 4), None),
    ("variance_scaling", (1.0, "fan_avg", "truncated_normal", 0, 2, 1), (2, 3, 4), None),
    ("variance_scaling", (1.0, "fan_in", "uniform"), (3, 4), np.complex64),
    ("variance_scaling", (1.0, "fan_in", "truncated_normal"), (3, 4), np.complex64),
    ("orthogonal", (), (4, 4), None),
    ("orthogonal", (2.0,), (4, 3), None),
    ("orthogonal", (1.0, 0), (4, 1, 3), None),
    ("orthogonal", (), (2, 0), None),
    ("delta_orthogonal", (), (3, 4, 4), None),
    ("delta_orthogonal", (0.5,), (2, 3, 4, 4), None),
    ("delta_orthogonal", (), (3, 1, 3, 4, 4), None),
]
QR_BASED = {"orthogonal", "delta_orthogonal"}  # Householder QR here, LAPACK's in JAX: equal to rounding


def _init(module, name, args, dtype):
    return getattr(module, name) if args is None else getattr(module, name)(*args)


@pytest.mark.parametrize("name, args, shape, dtype", CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(CASES)])
def test_same_values_as_jax(name, args, shape, dtype):
    want = _init(jinit, name, args, dtype)(jax.random.key(7), shape, dtype)  # eager: jit rounds otherwise
    got = _init(minit, name, args, dtype)(mirax.random.key(7), shape, dtype)
    exact = name not in QR_BASED and "complex" not in np.dtype(want.dtype).name
    check(got, want, name, None if exact else ROUNDING)


def test_raw_keys_and_jit():
    init = minit.glorot_normal()
    want = jinit.glorot_normal()(jax.random.PRNGKey(3), (4, 3))
    check(init(mirax.random.PRNGKey(3), (4, 3)), want)
    check(mirax.jit(init, static_argnums=1)(mirax.random.PRNGKey(3), (4, 3)), want)


@pytest.mark.parametrize("name", ["he_uniform", "orthogonal"])
def test_vmap_over_keys(name):
    """One parameter array per key: vmap against a loop and against jax.vmap."""
    keys = mirax.random.split(mirax.random.key(0), 3)
    got = mirax.vmap(lambda k: getattr(minit, name)()(k, (3, 4)))(keys)
    check(got, np.stack([np.asarray(getattr(minit, name)()(k, (3, 4))) for k in keys]), "loop")
    want = jax.vmap(lambda k: getattr(jinit, name)()(k, (3, 4)))(jax.random.split(jax.random.key(0), 3))
    check(got, want, "jax", None if name not in QR_BASED else ROUNDING)


def test_x64_default_dtype():
    with jax.enable_x64(True):
        mirax.config.update("jax_enable_x64", True)
        try:
            want = jinit.lecun_uniform()(jax.random.key(1), (3, 2))
            got = minit.lecun_uniform()(mirax.random.key(1), (3, 2))
        finally:
            mirax.config.update("jax_enable_x64", False)
    check(got, want)


def test_is_an_initializer():
    assert isinstance(minit.normal(), minit.Initializer)
    assert isinstance(minit.zeros, minit.Initializer)


def test_every_public_name():
    assert {n for n in dir(jinit) if not n.startswith("_")} <= set(dir(minit))
    assert (minit.xavier_uniform, minit.xavier_normal) == (minit.glorot_uniform, minit.glorot_normal)
    assert (minit.kaiming_uniform, minit.kaiming_normal) == (minit.he_uniform, minit.he_normal)


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.glorot_uniform(), (3,)),
    (lambda m: m.variance_scaling(1.0, "fan_max", "normal"), (3, 4)),
    (lambda m: m.variance_scaling(1.0, "fan_in", "cauchy"), (3, 4)),
    (lambda m: m.orthogonal(), (3,)),
    (lambda m: m.delta_orthogonal(), (3, 4)),
    (lambda m: m.delta_orthogonal(), (3, 4, 2)),
], ids=["fans_1d", "mode", "distribution", "orthogonal_1d", "delta_2d", "delta_fan_in"])
def test_errors_as_jax(make, shape):
    with pytest.raises(ValueError) as want:
        make(jinit)(jax.random.key(0), shape)
    with pytest.raises(ValueError) as got:
        make(minit)(mirax.random.key(0), shape)
    assert str(got.value) == str(want.value)


def test_out_sharding_refused():
    with pytest.raises(NotImplementedError, match="out_sharding"):
        minit.normal()(mirax.random.key(0), (2,), out_sharding=object())
