"""The derivative of a division in its denominator is JAX's -t x y^-2 (y^-2 computed
once per row of a broadcast y, where (x / y) / y divided each element twice): the same
numbers as JAX's. (Normalizations' gradients against JAX and on one thread:
test_threaded_kernels.py.)"""
import jax
import jax.numpy as jjnp
import numpy as np

import mirax
import mirax.numpy as jnp


def test_division_derivative_as_jax():
    """d(x / y)/dy is JAX's -t x y^-2 (y^-2 once per row of a broadcast y): the same
    numbers as JAX's, infinities where y^-2 overflows included."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 32)).astype(np.float32)
    y = rng.uniform(0.5, 2.0, (64, 1)).astype(np.float32)
    y[0, 0] = 1e-30  # y^-2 overflows, as in JAX

    w = rng.standard_normal((64, 32)).astype(np.float32)

    def f(np_):
        return lambda x, y: np_.sum(np_.tanh(x / y + 0.5) * w)

    for argnums in (0, 1):
        got = mirax.jit(mirax.grad(f(jnp), argnums=argnums))(x, y)
        want = jax.jit(jax.grad(f(jjnp), argnums=argnums))(x, y)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-6, atol=1e-6)
