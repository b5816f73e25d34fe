"""jax.experimental: `io_callback`."""
from mirax.callback import io_callback

__all__ = ["io_callback"]
