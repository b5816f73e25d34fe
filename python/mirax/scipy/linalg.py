"""mirax.scipy.linalg: SciPy's linear algebra over mirax arrays, as jax.scipy.linalg."""
