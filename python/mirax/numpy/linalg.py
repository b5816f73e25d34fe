"""mirax.numpy.linalg: NumPy's linear algebra over mirax arrays, as jax.numpy.linalg."""
