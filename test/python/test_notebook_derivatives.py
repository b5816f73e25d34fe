"""The seeds' derivative examples that need neither random keys nor vmap, run as the
seeds write them (with `jax` replaced by `mirax`), their printed output compared
with the seeds' text."""
import subprocess
import sys
import textwrap

import pytest

PROGRAMS = {
    "tanh gradient (seed 2)": ("""
        import mirax as jax
        import mirax.numpy as jnp
        f_tanh = jnp.tanh
        grad_tanh = jax.grad(f_tanh)
        gradient_value = grad_tanh(2.0)
        print(f"The gradient of tanh at x=2.0 is: {gradient_value}")
        assert jnp.allclose(gradient_value, 1 - jnp.tanh(2.0)**2)
        """, "The gradient of tanh at x=2.0 is: 0.07065081596374512\n"),
    "higher-order derivatives (seed 2)": ("""
        import mirax as jax
        def cake_quality_simple(x):
          return x**3 + 2*x**2 - 3*x + 1
        d_quality_dx = jax.grad(cake_quality_simple)
        d2_quality_dx2 = jax.grad(d_quality_dx)
        d3_quality_dx3 = jax.grad(d2_quality_dx2)
        d4_quality_dx4 = jax.grad(d3_quality_dx3)
        x_value = 1.0
        print(f"f'(x)   = {d_quality_dx(x_value)}")
        print(f"f''(x)  = {d2_quality_dx2(x_value)}")
        print(f"f'''(x) = {d3_quality_dx3(x_value)}")
        print(f"f''''(x)= {d4_quality_dx4(x_value)}")
        """, "f'(x)   = 4.0\nf''(x)  = 10.0\nf'''(x) = 6.0\nf''''(x)= 0.0\n"),
    "hessian of a dot product (seed 1)": ("""
        import mirax as jax
        import mirax.numpy as jnp
        def hessian(f):
          return jax.jacfwd(jax.grad(f))
        def f(x):
          return jnp.dot(x, x)
        print(repr(hessian(f)(jnp.array([1., 2., 3.]))))
        """, "Array([[2., 0., 0.],\n       [0., 2., 0.],\n       [0., 0., 2.]], dtype=float32)\n"),
    "straight-through estimator (seed 1)": ("""
        import mirax as jax
        import mirax.numpy as jnp
        def f(x):
          return jnp.round(x)  # non-differentiable
        def straight_through_f(x):
          zero = x - jax.lax.stop_gradient(x)
          return zero + jax.lax.stop_gradient(f(x))
        print("f(x): ", f(3.2))
        print("straight_through_f(x):", straight_through_f(3.2))
        print("grad(f)(x):", jax.grad(f)(3.2))
        print("grad(straight_through_f)(x):", jax.grad(straight_through_f)(3.2))
        """, "f(x):  3.0\nstraight_through_f(x): 3.0\ngrad(f)(x): 0.0\ngrad(straight_through_f)(x): 1.0\n"),
    "vjp of Python control flow, then jit of the vjp function (seed 1)": ("""
        import mirax.numpy as jnp
        from mirax import jit, vjp
        def f(x):
          try:
            if x < 3:
              return 2 * x ** 3
            else:
              raise ValueError
          except ValueError:
            return jnp.pi * x
        y, f_vjp = vjp(f, 4.)
        print(jit(f_vjp)(1.))
        """, "(Array(3.1415927, dtype=float32, weak_type=True),)\n"),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_seed_program_prints_the_seeds_output(name):
    source, expected = PROGRAMS[name]
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected
