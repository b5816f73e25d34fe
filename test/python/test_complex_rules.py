"""The JVP and transpose rules of every op that takes complex operands (arithmetic,
exp, log, sin, cos, tanh, sqrt, pow, abs, angle, real, imag, conj, complex,
dot_general, reductions, shape and indexing ops), on complex inputs: jvp and vjp
against JAX's (complex64), and check_grads to order 2 in complex128 (forward mode
against finite differences, reverse against forward under JAX's VJP convention)."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.test_util import check_grads
from oracle import assert_close

# (name, fn(numpy module, lax module, z, w), domain); z and w have shape (2, 3).
# "right": real parts >= 0.5, away from the branch cuts of log, sqrt and pow and
# from abs's and angle's singularity at 0.
CASES = [
    ("arithmetic", lambda m, lax, z, w: z * w / (w + 3) - z + 2 * w - (-z), "any"),
    ("exp_log", lambda m, lax, z, w: m.exp(z) + m.log(w), "right"),
    ("sin_cos_tanh", lambda m, lax, z, w: m.sin(z) * m.cos(w) + m.tanh(z / 2), "any"),
    ("sqrt", lambda m, lax, z, w: m.sqrt(w) * z, "right"),
    ("pow", lambda m, lax, z, w: z ** w + z ** 3 + w ** 2.5, "right"),
    ("abs_angle", lambda m, lax, z, w: m.abs(z) * m.angle(w), "right"),  # C -> R
    ("real_imag_conj", lambda m, lax, z, w: m.real(z) * m.imag(w) + m.conj(z) * w, "any"),
    ("complex", lambda m, lax, z, w: lax.complex(m.real(z) * m.imag(w), m.imag(z)), "any"),
    ("dot_general", lambda m, lax, z, w: m.dot(z, w.T) + m.einsum("ij,ij->i", z, m.conj(w))[:, None], "any"),
    ("reductions", lambda m, lax, z, w: m.sum(z * w, axis=0) + m.prod(w, axis=1).sum() + m.mean(z)
     + m.cumsum(z, axis=1)[0], "any"),
    ("shapes", lambda m, lax, z, w: m.concatenate([z.T.reshape(-1), m.flip(w[:, 1:], 0).ravel(), m.pad(z, 1)[0],
                                                   m.broadcast_to(w[0], (2, 3)).ravel()]), "any"),
    ("indexing_select", lambda m, lax, z, w: m.where(m.real(z) > 0, z, w) + z[m.array([1, 0])]
     + z.at[0, 1].set(w[1, 2]), "any"),
]
IDS = [c[0] for c in CASES]


def draw(domain, dtype, seed):
    rng = np.random.default_rng(seed)
    re, im = rng.normal(size=(2, 2, 2, 3))
    if domain == "right":
        re = np.abs(re) + 0.5
    return tuple((re + 1j * im).astype(dtype))


@pytest.mark.parametrize("name, fn, domain", CASES, ids=IDS)
def test_jvp_and_vjp_match_jax(name, fn, domain):
    primals, tangents = draw(domain, np.complex64, 0), draw("any", np.complex64, 1)
    mine = lambda z, w: fn(jnp, mirax.lax, z, w)  # noqa: E731
    theirs = lambda z, w: fn(jjnp, jax.lax, z, w)  # noqa: E731
    assert_close(mirax.jvp(mine, primals, tangents), jax.jvp(theirs, primals, tangents))
    out, vjp_fun = jax.vjp(theirs, *primals)
    rng = np.random.default_rng(2)
    cotangent = rng.normal(size=out.shape) + (1j * rng.normal(size=out.shape) if jjnp.iscomplexobj(out) else 0)
    cotangent = cotangent.astype(out.dtype)
    my_out, my_vjp_fun = mirax.vjp(mine, *primals)
    assert_close(my_out, out)
    assert_close(my_vjp_fun(cotangent), vjp_fun(cotangent))


@pytest.mark.parametrize("name, fn, domain", CASES, ids=IDS)
def test_check_grads_to_second_order(name, fn, domain, x64):
    check_grads(lambda z, w: fn(jnp, mirax.lax, z, w), draw(domain, np.complex128, 3), order=2,
                modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


def test_a_transpose_rule_that_forgets_a_conjugation_is_caught():
    from mirax.dialect import rules
    from mirax.dialect.elementwise import ConjOp

    name = ConjOp.OPERATION_NAME
    original = rules.transpose[name]
    rules.transpose[name] = lambda node, cts, operands, linear: [cts[0]]  # conj's transpose without conj
    mirax.core.clear_caches()  # programs compiled with the right rule, by the tests before
    fn = dict((c[0], c[1]) for c in CASES)["real_imag_conj"]
    try:
        with pytest.raises(AssertionError, match="VJP vs JVP"):
            check_grads(lambda z, w: fn(jnp, mirax.lax, z, w), draw("any", np.complex64, 3), order=1,
                        modes=("rev",))
    finally:
        rules.transpose[name] = original
        mirax.core.clear_caches()  # programs compiled with the wrong rule
