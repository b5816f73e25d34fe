"""The seeds' complex-differentiation programs that need no linear algebra (the
complex Cholesky gradient waits for mirax.numpy.linalg), run as written with `jax`
replaced by `mirax`, compared with the seeds' printed output (seed_programs.py)."""
import pytest
from seed_programs import check_program

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
