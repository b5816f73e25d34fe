"""jax.experimental: `io_callback`, `checkify`."""
from mirax.callback import io_callback
from mirax.experimental import checkify

__all__ = ["checkify", "io_callback"]
