"""jax.experimental: `io_callback`, `checkify`, `multihost_utils`."""
from mirax.callback import io_callback
from mirax.experimental import checkify, multihost_utils

__all__ = ["checkify", "io_callback", "multihost_utils"]
