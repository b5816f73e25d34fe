"""The seeds' non-derivative functions, jitted and eager, against JAX to float32 rounding.

The functions are written once, against a `jnp` module passed in, exactly as the
seeds spell them; the seeds draw their inputs with jax.random, replaced here by
fixed NumPy draws until mirax.random lands.
"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp


def seed_functions(jnp):
    def sigmoid(x):
        return 0.5 * (jnp.tanh(x / 2) + 1)

    def predict(W, b, inputs):
        return sigmoid(jnp.dot(inputs, W) + b)

    def predict_dict(params, inputs):
        return predict(params["W"], params["b"], inputs)

    def calculate_loss(W, b, ingredient_features, customer_likes):
        predictions = predict(W, b, ingredient_features)
        epsilon = 1e-7
        label_probabilities = predictions * customer_likes + (1 - predictions) * (1 - customer_likes)
        return -jnp.sum(jnp.log(label_probabilities + epsilon))

    def bake_cake_properties(ingredients_vec):
        sugar, flour, butter, eggs = ingredients_vec[3], ingredients_vec[2], ingredients_vec[0], ingredients_vec[1]
        sweetness = 10 * jnp.log1p(sugar) + 0.1 * butter - 0.2 * flour
        fluffiness = 5 * (eggs / 3.0) - 0.5 * (flour - 2.0) ** 2 + 0.2 * butter
        cost = (sugar**1.1 + flour**0.9 + butter**1.2 + eggs**1.0) * 0.5
        return jnp.array([sweetness, fluffiness, cost])

    def deliciousness_score(ingredient_vec):
        sweetness, fluffiness, cost = bake_cake_properties(ingredient_vec)
        return -(sweetness - 10.0) ** 2 - (fluffiness - 5.0) ** 2 - 0.5 * cost

    def calculate_fluffiness(ingredients_vec):
        butter, eggs, flour = ingredients_vec[0], ingredients_vec[1], ingredients_vec[2]
        return eggs * 2.0 - flour * 0.5 + butter * 0.3

    def f_tanh_squared(X):
        return jnp.sum(jnp.tanh(X) ** 2)

    def log1pexp(x):
        return jnp.log(1.0 + jnp.exp(x))

    def td_error(theta, s_tm1, r_t, s_t):
        v_tm1 = jnp.dot(theta, s_tm1)
        target = r_t + jnp.dot(theta, s_t)
        return (target - v_tm1) ** 2

    def score_from_vibration(z):
        return jnp.real(z) * 3.0 - jnp.real(z * jnp.conjugate(z))

    def calculate_flavor_stability(ingredient_potency_x):
        z_activation = ingredient_potency_x * (1.0 + 1.0j)
        stability_score = z_activation * jnp.conjugate(z_activation)
        return jnp.real(stability_score)

    return locals()


RNG = np.random.default_rng(0)
INPUTS = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]], np.float32)
FEATURES = np.array([[0.8, 0.9, -0.5], [0.7, 0.8, -0.4], [0.3, 0.4, -0.8], [0.9, 0.7, -0.3]], np.float32)
W = RNG.normal(size=(3,)).astype(np.float32)
B = np.float32(RNG.normal())
INGREDIENTS = np.array([1.0, 3.0, 2.0, 1.5], np.float32)  # butter, eggs, flour, sugar (sorted keys)
X = RNG.normal(size=(30, 40)).astype(np.float32)

CASES = {
    "sigmoid": lambda jnp: ((np.linspace(-5, 5, 11, dtype=np.float32),), {}),
    "predict": lambda jnp: ((W, B, INPUTS), {}),
    "predict_dict": lambda jnp: (({"W": W, "b": B}, INPUTS), {}),
    "calculate_loss": lambda jnp: ((W, B, FEATURES, jnp.array([True, True, False, True])), {}),
    "bake_cake_properties": lambda jnp: ((INGREDIENTS,), {}),
    "deliciousness_score": lambda jnp: ((INGREDIENTS,), {}),
    "calculate_fluffiness": lambda jnp: ((INGREDIENTS,), {}),
    "f_tanh_squared": lambda jnp: ((X,), {}),
    "log1pexp": lambda jnp: ((np.float32(3.0),), {}),
    "td_error": lambda jnp: ((np.array([0.1, -0.2, 0.3], np.float32), np.array([1.0, 2.0, -1.0], np.float32),
                              np.float32(0.5), np.array([0.5, 0.5, 1.0], np.float32)), {}),
    "score_from_vibration": lambda jnp: ((np.complex64(1.5 + 0.5j),), {}),
    "calculate_flavor_stability": lambda jnp: ((np.float32(2.0),), {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("mode", ["jit", "eager"])
def test_seed_function_matches_jax(name, mode):
    mine_fn = seed_functions(mjnp)[name]
    theirs_fn = seed_functions(jjnp)[name]
    args, kwargs = CASES[name](mjnp)
    jax_args, _ = CASES[name](jjnp)
    mine = (mirax.jit(mine_fn) if mode == "jit" else mine_fn)(*args, **kwargs)
    theirs = jax.jit(theirs_fn)(*jax_args, **kwargs)
    mine_leaves, mine_tree = mirax.tree_util.tree_flatten(mine)
    theirs_leaves, theirs_tree = jax.tree_util.tree_flatten(theirs)
    assert len(mine_leaves) == len(theirs_leaves)
    for a, b in zip(mine_leaves, theirs_leaves, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-6, atol=1e-6)
