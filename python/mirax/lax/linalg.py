"""mirax.lax.linalg: the linear-algebra primitives, as jax.lax.linalg."""
