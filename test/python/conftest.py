"""Fixtures the pytest files share."""
import jax
import pytest

from mirax.config import config


@pytest.fixture
def x64():
    """64-bit dtypes in both JAX (the oracle) and mirax; both flags are restored after."""
    old_jax, old_mirax = jax.config.jax_enable_x64, config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old_jax)
    config.update("jax_enable_x64", old_mirax)
