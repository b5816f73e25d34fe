"""The table of functions the autodiff tests differentiate: every op family's rules
are reached, written once for mirax.numpy and jax.numpy."""
import jax
import jax.numpy as jjnp
import numpy as np

import mirax
import mirax.numpy as jnp

# (name, fn(np_module, x, y), input domain): x and y are float32 arrays of shape (2, 3).
CASES = [
    ("add_sub", lambda m, x, y: x + y - 2.0 * y, "any"),
    ("mul_div", lambda m, x, y: x * y / (1.5 + y * y), "any"),
    ("exp_log", lambda m, x, y: m.exp(x) + m.log(y), "positive"),
    ("expm1_log1p_exp2", lambda m, x, y: m.expm1(x) * m.log1p(y) + m.exp2(x), "positive"),
    ("sqrt_rsqrt_cbrt", lambda m, x, y: m.sqrt(x) + 1 / m.sqrt(y) + m.cbrt(x), "positive"),
    ("trig", lambda m, x, y: m.sin(x) * m.cos(y) + m.tan(x / 4), "any"),
    ("inverse_trig", lambda m, x, y: m.arcsin(x / 4) + m.arccos(y / 4) + m.arctan(x), "any"),
    ("hyperbolic", lambda m, x, y: m.sinh(x) + m.cosh(y) + m.tanh(x * y), "any"),
    ("inverse_hyperbolic", lambda m, x, y: m.arcsinh(x) + m.arccosh(y + 1.5) + m.arctanh(x / 4), "positive"),
    ("logistic_erf", lambda m, x, y: jax.nn.sigmoid(x) if m is jjnp else mirax.nn.sigmoid(x), "any"),
    ("erf", lambda m, x, y: (jax.scipy.special.erf if m is jjnp else mirax.scipy.special.erf)(x) * y, "any"),
    ("erfc", lambda m, x, y: (jax.scipy.special.erfc if m is jjnp else mirax.scipy.special.erfc)(x) * y, "any"),
    ("pow", lambda m, x, y: x**y + x**3 + y**-2, "positive"),
    ("abs_max_min", lambda m, x, y: m.abs(x) + m.maximum(x, y) * m.minimum(x, 2.0 * y), "any"),
    ("atan2_rem", lambda m, x, y: m.arctan2(x, y) + m.fmod(x, y + 3.0), "positive"),
    ("where_clip", lambda m, x, y: m.where(x > y, x * x, y) + m.clip(x, -0.5, 0.5), "any"),
    ("reductions", lambda m, x, y: m.sum(x * y, axis=0) + m.max(x, axis=1).sum() + m.min(y), "any"),
    ("mean_var", lambda m, x, y: m.mean(x * y) + m.var(x, axis=1).sum(), "any"),
    ("shapes", lambda m, x, y: m.concatenate([x.T.reshape(-1), m.flip(y[:, 1:], 0).ravel(),
                                              m.pad(x, 1)[0]]), "any"),
    ("indexing", lambda m, x, y: x[1, ::-1] * y[:, 0].sum() + x[m.array([1, 0])][0] + x.at[0, 1].set(y[1, 2])[0], "any"),
    ("dot", lambda m, x, y: m.dot(x, y.T) + m.einsum("ij,ij->i", x, y)[:, None], "any"),
    ("cumsum_convert", lambda m, x, y: m.cumsum(x, axis=1) + y.astype(m.float16).astype(m.float32), "any"),
    ("cumprod_prod", lambda m, x, y: m.cumprod(x, axis=1) * y + m.prod(x * y, axis=0)
     + m.prod(x.at[0, 1].set(0.0)), "any"),  # a zero factor: no division by it
    ("cummax_cummin", lambda m, x, y: (jax.lax if m is jjnp else mirax.lax).cummax(x, axis=1) * y
     + (jax.lax if m is jjnp else mirax.lax).cummin(y, axis=0, reverse=True), "any"),
    ("sort", lambda m, x, y: m.sort(x * y, axis=1) * y + m.sort(x, axis=0)[::-1] + m.median(y), "any"),
    ("complex_parts", lambda m, x, y: m.real((x + 1j * y) * (x - 2j)) + m.imag(m.conj(x + 1j * y) ** 2), "any"),
]


def inputs(domain, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 2, 3)).astype(np.float32)
    if domain == "positive":
        x, y = np.abs(x) + 0.2, np.abs(y) + 0.2
    tx, ty = rng.normal(size=(2, 2, 3)).astype(np.float32)
    return (x, y), (tx, ty)


def both(fn):
    return (lambda x, y: fn(jnp, x, y)), (lambda x, y: fn(jjnp, x, y))


