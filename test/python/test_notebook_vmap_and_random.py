"""The seeds' programs that use vmap, or Jacobians on random draws, run as the seeds
write them (`jax` replaced by `mirax`; the seeds' `%timeit` lines and plots left
out), their printed output compared with the seeds' text.

Outputs are compared as seed_programs.py describes."""
import subprocess
import sys
import textwrap

import pytest
from seed_programs import SEED2_CAKE, check_program

SEED1_SETUP = """
    import mirax as jax
    import mirax.numpy as jnp
    from mirax import grad, jit, vmap
    from mirax import random
    from mirax import jacfwd, jacrev, jvp, vjp
    jax.config.update("jax_threefry_partitionable", False)  # the layout seed 1 was drawn with
    key = random.key(0)
    def sigmoid(x):
      return 0.5 * (jnp.tanh(x / 2) + 1)
    def predict(W, b, inputs):
      return sigmoid(jnp.dot(inputs, W) + b)
    inputs = jnp.array([[0.52, 1.12, 0.77],
                        [0.88, -1.08, 0.15],
                        [0.52, 0.06, -1.30],
                        [0.74, -2.49, 1.39]])
    key, W_key, b_key = random.split(key, 3)
    W = random.normal(W_key, (3,))
    b = random.normal(b_key, ())
    f = lambda W: predict(W, b, inputs)
"""

PROGRAMS = {
    "Jacobians and Hessians of predict (seed 1)": (SEED1_SETUP + """
    J = jacfwd(f)(W)
    print("jacfwd result, with shape", J.shape)
    print(J)
    J = jacrev(f)(W)
    print("jacrev result, with shape", J.shape)
    print(J)
    def predict_dict(params, inputs):
      return predict(params['W'], params['b'], inputs)
    J_dict = jacrev(predict_dict)({'W': W, 'b': b}, inputs)
    for k, v in J_dict.items():
      print("Jacobian from {} to logits is".format(k))
      print(v)
    def hessian(f):
      return jacfwd(jacrev(f))
    H = hessian(f)(W)
    print("hessian, with shape", H.shape)
    print(H)
    """, """
    jacfwd result, with shape (4, 3)
    [[ 0.05981758 0.12883787 0.08857603]
    [ 0.04015916 -0.04928625 0.00684531]
    [ 0.12188288 0.01406341 -0.3047072 ]
    [ 0.00140431 -0.00472531 0.00263782]]
    jacrev result, with shape (4, 3)
    [[ 0.05981757 0.12883787 0.08857603]
    [ 0.04015916 -0.04928625 0.00684531]
    [ 0.12188289 0.01406341 -0.3047072 ]
    [ 0.00140431 -0.00472531 0.00263782]]
    Jacobian from W to logits is
    [[ 0.05981757 0.12883787 0.08857603]
    [ 0.04015916 -0.04928625 0.00684531]
    [ 0.12188289 0.01406341 -0.3047072 ]
    [ 0.00140431 -0.00472531 0.00263782]]
    Jacobian from b to logits is
    [0.11503381 0.04563541 0.23439017 0.00189771]
    hessian, with shape (4, 3, 3)
    [[[ 0.02285465 0.04922541 0.03384247]
    [ 0.04922541 0.10602397 0.07289147]
    [ 0.03384247 0.07289147 0.05011288]]
    [[-0.03195215 0.03921401 -0.00544639]
    [ 0.03921401 -0.04812629 0.00668421]
    [-0.00544639 0.00668421 -0.00092836]]
    [[-0.01583708 -0.00182736 0.03959271]
    [-0.00182736 -0.00021085 0.00456839]
    [ 0.03959271 0.00456839 -0.09898177]]
    [[-0.00103524 0.00348343 -0.00194457]
    [ 0.00348343 -0.01172127 0.0065432 ]
    [-0.00194457 0.0065432 -0.00365263]]]
    """),
    "Hessian-vector products and matrix-Jacobian products (seed 1)": (SEED1_SETUP + """
    key, subkey = random.split(key)
    v = random.normal(subkey, W.shape)
    y, u = jvp(f, (W,), (v,))
    y, vjp_fun = vjp(f, W)
    key, subkey = random.split(key)
    u = random.normal(subkey, y.shape)
    v = vjp_fun(u)
    def vgrad(f, x):
      y, vjp_fn = vjp(f, x)
      return vjp_fn(jnp.ones(y.shape))[0]
    print(vgrad(lambda x: 3*x**2, jnp.ones((2, 2))))
    def hvp(f, primals, tangents):
      return jvp(grad(f), primals, tangents)[1]
    def g(X):
      return jnp.sum(jnp.tanh(X)**2)
    key, subkey1, subkey2 = random.split(key, 3)
    X = random.normal(subkey1, (30, 40))
    V = random.normal(subkey2, (30, 40))
    ans1 = hvp(g, (X,), (V,))
    ans2 = jnp.tensordot(jax.hessian(g)(X), V, 2)
    print(jnp.allclose(ans1, ans2, 1e-4, 1e-4))
    def hvp_revfwd(f, primals, tangents):
      g = lambda primals: jvp(f, primals, tangents)[1]
      return grad(g)(primals)
    def hvp_revrev(f, primals, tangents):
      x, = primals
      v, = tangents
      return grad(lambda x: jnp.vdot(grad(f)(x), v))(x)
    assert jnp.allclose(hvp_revfwd(g, (X,), (V,))[0], ans1, 1e-4, 1e-4)
    assert jnp.allclose(hvp_revrev(g, (X,), (V,)), ans1, 1e-4, 1e-4)
    def loop_mjp(f, x, M):
      y, vjp_fun = vjp(f, x)
      return jnp.vstack([vjp_fun(mi) for mi in M])
    def vmap_mjp(f, x, M):
      y, vjp_fun = vjp(f, x)
      outs, = vmap(vjp_fun)(M)
      return outs
    key = random.key(0)
    num_covecs = 128
    U = random.normal(key, (num_covecs,) + y.shape)
    loop_vs = loop_mjp(f, W, M=U)
    print('Non-vmapped Matrix-Jacobian product')
    print('\\nVmapped Matrix-Jacobian product')
    vmap_vs = vmap_mjp(f, W, M=U)
    assert jnp.allclose(loop_vs, vmap_vs), 'Vmap and non-vmapped Matrix-Jacobian Products should be identical'
    def loop_jmp(f, W, M):
      return jnp.vstack([jvp(f, (W,), (mi,))[1] for mi in M])
    def vmap_jmp(f, W, M):
      _jvp = lambda s: jvp(f, (W,), (s,))[1]
      return vmap(_jvp)(M)
    num_vecs = 128
    S = random.normal(key, (num_vecs,) + W.shape)
    loop_vs = loop_jmp(f, W, M=S)
    print('Non-vmapped Jacobian-Matrix product')
    vmap_vs = vmap_jmp(f, W, M=S)
    print('\\nVmapped Jacobian-Matrix product')
    assert jnp.allclose(loop_vs, vmap_vs), 'Vmap and non-vmapped Jacobian-Matrix products should be identical'
    from mirax import jacrev as builtin_jacrev
    def our_jacrev(f):
      def jacfun(x):
        y, vjp_fun = vjp(f, x)
        J, = vmap(vjp_fun, in_axes=0)(jnp.eye(len(y)))
        return J
      return jacfun
    assert jnp.allclose(builtin_jacrev(f)(W), our_jacrev(f)(W)), 'Incorrect reverse-mode Jacobian results!'
    from mirax import jacfwd as builtin_jacfwd
    def our_jacfwd(f):
      def jacfun(x):
        _jvp = lambda s: jvp(f, (x,), (s,))[1]
        Jt = vmap(_jvp, in_axes=1)(jnp.eye(len(x)))
        return jnp.transpose(Jt)
      return jacfun
    assert jnp.allclose(builtin_jacfwd(f)(W), our_jacfwd(f)(W)), 'Incorrect forward-mode Jacobian results!'
    """, """
    [[6. 6.]
    [6. 6.]]
    True
    Non-vmapped Matrix-Jacobian product

    Vmapped Matrix-Jacobian product
    Non-vmapped Jacobian-Matrix product

    Vmapped Jacobian-Matrix product
    """),
    "per-example gradients (seed 1)": ("""
    import mirax as jax
    import mirax.numpy as jnp
    value_fn = lambda theta, state: jnp.dot(theta, state)
    theta = jnp.array([0.1, -0.1, 0.])
    s_tm1 = jnp.array([1., 2., -1.])
    r_t = jnp.array(1.)
    s_t = jnp.array([2., 1., 0.])
    def td_loss(theta, s_tm1, r_t, s_t):
      v_tm1 = value_fn(theta, s_tm1)
      target = r_t + value_fn(theta, s_t)
      return -0.5 * ((jax.lax.stop_gradient(target) - v_tm1) ** 2)
    perex_grads = jax.jit(jax.vmap(jax.grad(td_loss), in_axes=(None, 0, 0, 0)))
    batched_s_tm1 = jnp.stack([s_tm1, s_tm1])
    batched_r_t = jnp.stack([r_t, r_t])
    batched_s_t = jnp.stack([s_t, s_t])
    print(repr(perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t)))
    dtdloss_dtheta = jax.grad(td_loss)
    print(repr(dtdloss_dtheta(theta, s_tm1, r_t, s_t)))
    almost_perex_grads = jax.vmap(dtdloss_dtheta)
    batched_theta = jnp.stack([theta, theta])
    print(repr(almost_perex_grads(batched_theta, batched_s_tm1, batched_r_t, batched_s_t)))
    inefficient_perex_grads = jax.vmap(dtdloss_dtheta, in_axes=(None, 0, 0, 0))
    print(repr(inefficient_perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t)))
    perex_grads = jax.jit(inefficient_perex_grads)
    print(repr(perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t)))
    """, """
    Array([[ 1.2, 2.4, -1.2],
    [ 1.2, 2.4, -1.2]], dtype=float32)
    Array([ 1.2, 2.4, -1.2], dtype=float32)
    Array([[ 1.2, 2.4, -1.2],
    [ 1.2, 2.4, -1.2]], dtype=float32)
    Array([[ 1.2, 2.4, -1.2],
    [ 1.2, 2.4, -1.2]], dtype=float32)
    Array([[ 1.2, 2.4, -1.2],
    [ 1.2, 2.4, -1.2]], dtype=float32)
    """),
    "vmap(grad(jnp.sin)) over linspace (seed 1)": ("""
    import mirax.numpy as jnp
    from mirax import grad, vmap
    t = jnp.linspace(0, 10, 1000)
    d = vmap(grad(jnp.sin))(t)
    print(d.shape, d.dtype, jnp.allclose(d, jnp.cos(t)))
    """, "(1000,) float32 True\n"),
    "Jacobians, JVP, VJP, Hessian, HVP and per-customer gradients (seed 2, part 2)": (SEED2_CAKE + """
    properties = bake_cake_properties(ingredient_vec)
    print(f"\\n--- Jacobians: Multiple Properties ---")
    print(f"Initial Cake Properties (Sweetness, Fluffiness, Cost): {properties}")
    jacobian_fwd_fn = jax.jacfwd(bake_cake_properties)
    J_fwd = jacobian_fwd_fn(ingredient_vec)
    print("\\nJacobian (Forward Mode - jacfwd):")
    print(f"Shape (num_properties, num_ingredients): {J_fwd.shape}")
    print(J_fwd)
    jacobian_rev_fn = jax.jacrev(bake_cake_properties)
    J_rev = jacobian_rev_fn(ingredient_vec)
    print("\\nJacobian (Reverse Mode - jacrev):")
    print(f"Shape (num_properties, num_ingredients): {J_rev.shape}")
    print(J_rev)
    assert jnp.allclose(J_fwd, J_rev)
    print("\\nForward and Reverse Jacobians match.")

    ingredient_changes = jnp.array([0.0, 0.0, -0.05, 0.1])
    primals_out, tangents_out = jax.jvp(bake_cake_properties, (ingredient_vec,), (ingredient_changes,))
    print(f"\\n--- JVP Example ---")
    print(f"Original properties: {primals_out}")
    print(f"Change in properties (J @ v): {tangents_out}")
    manual_jvp = J_fwd @ ingredient_changes
    print(f"Manual J @ v check: {manual_jvp}")
    assert jnp.allclose(tangents_out, manual_jvp)

    desired_property_changes = jnp.array([0.2, -0.1, 0.0])
    primals_out_vjp, vjp_fun = jax.vjp(bake_cake_properties, ingredient_vec)
    ingredient_sensitivities = vjp_fun(desired_property_changes)
    print(f"\\n--- VJP Example ---")
    print(f"Original properties: {primals_out_vjp}")
    print(f"Ingredient sensitivities for desired change (v^T @ J): {ingredient_sensitivities[0]}")
    manual_vjp = desired_property_changes @ J_fwd
    print(f"Manual v^T @ J check: {manual_vjp}")
    assert jnp.allclose(ingredient_sensitivities[0], manual_vjp)

    def deliciousness_score(ingredient_vec):
        sweetness, fluffiness, cost = bake_cake_properties(ingredient_vec)
        score = -(sweetness - 10.0)**2 - (fluffiness - 5.0)**2 - 0.5 * cost
        return score

    hessian_score_fn = jax.hessian(deliciousness_score)
    H_score = hessian_score_fn(ingredient_vec)
    print(f"\\n--- Hessian of Deliciousness Score ---")
    print(f"Shape (num_ingredients, num_ingredients): {H_score.shape}")
    print("Hessian Matrix:")
    print(H_score)

    def hvp(f, primals, tangents):
      return jax.jvp(jax.jacrev(f), primals, tangents)[1]
    ingredient_direction = jnp.array([0.1, -0.2, 0.05, 0.1])
    hvp_score_result = hvp(deliciousness_score, (ingredient_vec,), (ingredient_direction,))
    print(f"\\n--- HVP of Deliciousness Score ---")
    print(f"HVP result in direction {ingredient_direction}:")
    print(hvp_score_result)
    manual_hvp_score = H_score @ ingredient_direction
    print(f"Manual HVP check: {manual_hvp_score}")
    assert jnp.allclose(hvp_score_result, manual_hvp_score)

    def sweetness_error(ingredients_vec, target_sweet):
        actual_sweetness = bake_cake_properties(ingredients_vec)[0]
        return (actual_sweetness - target_sweet)**2
    target_sweetness_batch = jnp.array([9.5, 10.0, 10.5, 9.8])
    grad_sweet_error_fn = jax.grad(sweetness_error, argnums=0)
    per_customer_grad_fn = jax.vmap(grad_sweet_error_fn, in_axes=(None, 0))
    per_customer_ingredient_grads = per_customer_grad_fn(ingredient_vec, target_sweetness_batch)
    print(f"\\n--- Per-Example Gradients (vmap + grad) ---")
    print(f"Shape of gradients: {per_customer_ingredient_grads.shape}")
    print("Gradients per customer order:")
    print(per_customer_ingredient_grads)
    """, """

    --- Jacobians: Multiple Properties ---
    Initial Cake Properties (Sweetness, Fluffiness, Cost): [8.862908 5.2      3.714068]

    Jacobian (Forward Mode - jacfwd):
    Shape (num_properties, num_ingredients): (3, 4)
    [[ 0.1         0.         -0.2         4.        ]
     [ 0.2         1.6666667   0.          0.        ]
     [ 0.6         0.5         0.41986483  0.5727589 ]]

    Jacobian (Reverse Mode - jacrev):
    Shape (num_properties, num_ingredients): (3, 4)
    [[ 0.1         0.         -0.2         4.        ]
     [ 0.2         1.6666666   0.          0.        ]
     [ 0.6         0.5         0.41986483  0.5727589 ]]

    Forward and Reverse Jacobians match.

    --- JVP Example ---
    Original properties: [8.862908 5.2      3.714068]
    Change in properties (J @ v): [0.40999997 0.         0.03628265]
    Manual J @ v check: [0.41       0.         0.03628265]

    --- VJP Example ---
    Original properties: [8.862908 5.2      3.714068]
    Ingredient sensitivities for desired change (v^T @ J): [ 0.         -0.16666667 -0.04        0.8       ]
    Manual v^T @ J check: [ 8.1956386e-10 -1.6666667e-01 -4.0000003e-02  8.0000001e-01]

    --- Hessian of Deliciousness Score ---
    Shape (num_ingredients, num_ingredients): (4, 4)
    Hessian Matrix:
    [[ -0.16000001  -0.6666667    0.04        -0.8       ]
     [ -0.6666667   -5.555556     0.           0.        ]
     [  0.04         0.           0.33049622   1.6       ]
     [ -0.8          0.           1.6        -35.657787  ]]

    --- HVP of Deliciousness Score ---
    HVP result in direction [ 0.1  -0.2   0.05  0.1 ]:
    [ 0.03933334  1.0444444   0.18052481 -3.5657785 ]
    Manual HVP check: [ 0.03933333  1.0444446   0.18052481 -3.5657787 ]

    --- Per-Example Gradients (vmap + grad) ---
    Shape of gradients: (4, 4)
    Gradients per customer order:
    [[ -0.12741832   0.           0.25483665  -5.096733  ]
     [ -0.22741833   0.           0.45483667  -9.096733  ]
     [ -0.32741833   0.           0.65483665 -13.096733  ]
     [ -0.18741837   0.           0.37483674  -7.4967346 ]]
    """),
}

@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_seed_program_prints_the_seeds_output(name):
    check_program(*PROGRAMS[name])


def test_vstack_of_one_tuples_warns_as_jax_did():
    """The seed's loop_mjp stacks the 1-tuples vjp_fun returns: accepted, with JAX's
    DeprecationWarning (printed on stderr in the seed)."""
    program = textwrap.dedent("""
        import warnings
        import mirax.numpy as jnp
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = jnp.vstack([(jnp.ones(3),), (jnp.zeros(3),)])
        print(out.shape, *[f"{w.category.__name__}: {w.message}" for w in caught], sep="\\n")
        """)
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ("(2, 3)\nDeprecationWarning: vstack requires ndarray or scalar arguments, got <class 'tuple'> "
                          "at position 0. In a future JAX release this will be an error.\n")
