"""mirax.scipy: SciPy's API over mirax arrays, as jax.scipy."""
from mirax.scipy import linalg, signal, special, stats  # noqa: F401
