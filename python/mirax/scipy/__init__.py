"""mirax.scipy: SciPy's API over mirax arrays, as jax.scipy."""
from mirax.scipy import linalg, special, stats  # noqa: F401
