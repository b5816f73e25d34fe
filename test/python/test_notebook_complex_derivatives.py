"""The seeds' complex-differentiation programs, run as written with `jax` replaced by
`mirax`, compared with the seeds' printed output (seed_programs.py); the gradient
through the Cholesky decomposition of a complex matrix to float32 rounding of the
matrix's largest entries (see CHOLESKY)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from seed_programs import _number, check_program, tokens

PROGRAMS = {
    "JVP and VJP conventions, grad of C->R and holomorphic C->C (seed 1)": ("""
    import mirax as jax
    import mirax.numpy as jnp
    from mirax import grad, jvp, vjp, random
    jax.config.update("jax_threefry_partitionable", False)
    def check(seed):
      key = random.key(seed)
      key, subkey = random.split(key)
      a, b, c, d = random.uniform(subkey, (4,))
      def fun(z):
        x, y = jnp.real(z), jnp.imag(z)
        return u(x, y) + v(x, y) * 1j
      def u(x, y):
        return a * x + b * y
      def v(x, y):
        return c * x + d * y
      key, subkey = random.split(key)
      x, y = random.uniform(subkey, (2,))
      z = x + y * 1j
      key, subkey = random.split(key)
      c, d = random.uniform(subkey, (2,))
      z_dot = c + d * 1j
      _, ans = jvp(fun, (z,), (z_dot,))
      expected = (grad(u, 0)(x, y) * c +
                  grad(u, 1)(x, y) * d +
                  grad(v, 0)(x, y) * c * 1j+
                  grad(v, 1)(x, y) * d * 1j)
      print(jnp.allclose(ans, expected))
    check(0)
    check(1)
    check(2)
    def check(seed):
      key = random.key(seed)
      key, subkey = random.split(key)
      a, b, c, d = random.uniform(subkey, (4,))
      def fun(z):
        x, y = jnp.real(z), jnp.imag(z)
        return u(x, y) + v(x, y) * 1j
      def u(x, y):
        return a * x + b * y
      def v(x, y):
        return c * x + d * y
      key, subkey = random.split(key)
      x, y = random.uniform(subkey, (2,))
      z = x + y * 1j
      key, subkey = random.split(key)
      c, d = random.uniform(subkey, (2,))
      z_bar = jnp.array(c + d * 1j) # for dtype control
      _, fun_vjp = vjp(fun, z)
      ans, = fun_vjp(z_bar)
      expected = (grad(u, 0)(x, y) * c +
                  grad(v, 0)(x, y) * (-d) +
                  grad(u, 1)(x, y) * c * (-1j) +
                  grad(v, 1)(x, y) * (-d) * (-1j))
      assert jnp.allclose(ans, expected, atol=1e-5, rtol=1e-5)
    check(0)
    check(1)
    check(2)
    def f(z):
      x, y = jnp.real(z), jnp.imag(z)
      return x**2 + y**2
    z = 3. + 4j
    print(repr(grad(f)(z)))
    def f(z):
      return jnp.sin(z)
    z = 3. + 4j
    print(repr(grad(f, holomorphic=True)(z)))
    def f(z):
      return jnp.conjugate(z)
    z = 3. + 4j
    print(repr(grad(f, holomorphic=True)(z)))
    """, """
    True
    True
    True
    Array(6.-8.j, dtype=complex64, weak_type=True)
    Array(-27.034946-3.8511534j, dtype=complex64, weak_type=True)
    Array(1.-0.j, dtype=complex64, weak_type=True)
    """),
    "complex vibrations, smooth and tricky magic, flavor stability (seed 2, part 3)": ("""
    import mirax as jax
    import mirax.numpy as jnp
    def score_from_vibration(z):
      return jnp.real(z) * 3.0 - jnp.real(z * jnp.conjugate(z))
    z_vibration = 2.0 + 1.0j
    current_score = score_from_vibration(z_vibration)
    print(f"\\n--- Complex Input -> Real Output ---")
    print(f"Vibration z = {z_vibration}, Score = {current_score:.3f}")
    grad_score_complex_fn = jax.grad(score_from_vibration)
    complex_grad = grad_score_complex_fn(z_vibration)
    print(f"Complex Gradient ∇_z score: {complex_grad}")
    def smooth_magic_process(z):
      return z**2 + z
    grad_smooth_magic_fn = jax.grad(smooth_magic_process, holomorphic=True)
    complex_deriv = grad_smooth_magic_fn(z_vibration)
    print(f"\\n--- Holomorphic C -> C Example (z^2 + z) ---")
    print(f"Input z = {z_vibration}")
    print(f"Output f(z) = {smooth_magic_process(z_vibration)}")
    print(f"Complex Derivative df/dz: {complex_deriv}")
    assert jnp.allclose(complex_deriv, 2 * z_vibration + 1)
    def tricky_magic_process(z):
      return jnp.conjugate(z)
    grad_tricky_magic_fn = jax.grad(tricky_magic_process, holomorphic=True)
    misleading_result = grad_tricky_magic_fn(z_vibration)
    print(f"\\n--- Non-Holomorphic C -> C Example (conj(z)) ---")
    print(f"Using grad(..., holomorphic=True) on conj(z): {misleading_result}")
    def tricky_magic_real_view(real_vec):
         z = real_vec[0] + 1j * real_vec[1]
         out_complex = tricky_magic_process(z)
         return jnp.array([jnp.real(out_complex), jnp.imag(out_complex)])
    jacobian_fn = jax.jacrev(tricky_magic_real_view)
    real_jacobian_info = jacobian_fn(jnp.array([1.2, 0.5]))
    print(f"\\nFull Jacobian via R^2 view for conj(z):")
    print(real_jacobian_info)
    def calculate_flavor_stability(ingredient_potency_x):
      z_activation = 1.0 + ingredient_potency_x * 1j
      stability_score = z_activation * jnp.conjugate(z_activation)
      return jnp.real(stability_score)
    ingredient_potency = 3.0
    print(f"Input Ingredient Potency x = {ingredient_potency}")
    stability = calculate_flavor_stability(ingredient_potency)
    print(f"Output Flavor Stability Score = {stability:.4f}")
    grad_stability_fn = jax.grad(calculate_flavor_stability)
    stability_gradient = grad_stability_fn(ingredient_potency)
    print(f"\\nGradient d(Score)/dx at x={ingredient_potency}: {stability_gradient:.4f}")
    assert jnp.allclose(stability_gradient, 2 * ingredient_potency)
    """, """

    --- Complex Input -> Real Output ---
    Vibration z = (2+1j), Score = 1.000
    Complex Gradient ∇_z score: (-1+2j)

    --- Holomorphic C -> C Example (z^2 + z) ---
    Input z = (2+1j)
    Output f(z) = (5+5j)
    Complex Derivative df/dz: (5+2j)

    --- Non-Holomorphic C -> C Example (conj(z)) ---
    Using grad(..., holomorphic=True) on conj(z): (1-0j)

    Full Jacobian via R^2 view for conj(z):
    [[ 1.  0.]
     [ 0. -1.]]
    Input Ingredient Potency x = 3.0
    Output Flavor Stability Score = 10.0000

    Gradient d(Score)/dx at x=3.0: 6.0000
    """),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_seed_program_prints_the_seeds_output(name):
    check_program(*PROGRAMS[name])


# "Differentiating through a Cholesky decomposition of a complex matrix" (seed 1). Its
# entries come from sums that cancel (-0.75 from terms of size 10): the seed's printed
# digits carry float32 rounding errors of up to 1e-6 (the float64 value of the first is
# -0.7534175, the seed prints -0.7534186 and JAX 0.10.2 here -0.75341904), so its numbers
# are compared to 2e-6, two float32 ulps of the largest entry, instead of check_program's
# 2 ulps of each.
CHOLESKY = ("""
    import mirax as jax
    import mirax.numpy as jnp
    from mirax import grad
    A = jnp.array([[5., 2.+3j, 5j],
                   [2.-3j, 7., 1.+7j],
                   [-5j, 1.-7j, 12.]])
    def f(X):
        L = jnp.linalg.cholesky(X)
        return jnp.sum((L - jnp.sin(L))**2)
    print(repr(grad(f, holomorphic=True)(A)))
    """, """
    Array([[-0.7534186 +0.j , -3.0509028 -10.940544j ,
    5.9896846 +3.5423026j],
    [-3.0509028 +10.940544j , -8.904491 +0.j ,
    -5.1351523 -6.559373j ],
    [ 5.9896846 -3.5423026j, -5.1351523 +6.559373j ,
    0.01320427 +0.j ]], dtype=complex64)
    """)


def test_complex_cholesky_gradient_prints_the_seeds_matrix():
    source, expected = CHOLESKY
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    got, want = tokens(run.stdout), tokens(textwrap.dedent(expected))
    assert len(got) == len(want), (run.stdout, expected)
    for g, w in zip(got, want, strict=True):
        if _number(w) is None:
            assert g == w, (g, w, run.stdout)
        else:
            assert np.isclose(_number(g), _number(w), rtol=0, atol=2e-6), (g, w, run.stdout)

