"""mirax.nn's functions (python/mirax/nn/functions.py) against jax.nn's: values and
dtypes eagerly and under jit, derivatives (check_grads to order 2, and jax.grad at the
kinks where JAX's custom rules choose a one-sided derivative), vmap against a loop,
dot_product_attention's masks and groups, and the errors."""
import warnings

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from mirax.test_util import check_grads
from oracle import assert_close, check, check_vmap, rand, ROUNDING, run_both

# Kinks and breakpoints of the piecewise functions, tails, and a NaN.
SPECIAL = np.array([-np.inf, -30., -6., -3., -1., -0.5, 0., 0.5, 1., 3., 6., 7., 30., np.inf, np.nan], np.float32)
SMOOTH = rand((6,), seed=1) * 2  # away from the kinks: for finite differences

ELEMENTWISE = {
    "relu": lambda nn, x: nn.relu(x),
    "relu6": lambda nn, x: nn.relu6(x),
    "squareplus": lambda nn, x: nn.squareplus(x),
    "squareplus_b": lambda nn, x: nn.squareplus(x, 0.5),
    "softplus": lambda nn, x: nn.softplus(x),
    "sparse_plus": lambda nn, x: nn.sparse_plus(x),
    "soft_sign": lambda nn, x: nn.soft_sign(x),
    "sigmoid": lambda nn, x: nn.sigmoid(x),
    "sparse_sigmoid": lambda nn, x: nn.sparse_sigmoid(x),
    "silu": lambda nn, x: nn.silu(x),
    "swish": lambda nn, x: nn.swish(x),
    "mish": lambda nn, x: nn.mish(x),
    "log_sigmoid": lambda nn, x: nn.log_sigmoid(x),
    "elu": lambda nn, x: nn.elu(x),
    "elu_alpha": lambda nn, x: nn.elu(x, 0.3),
    "leaky_relu": lambda nn, x: nn.leaky_relu(x),
    "leaky_relu_slope": lambda nn, x: nn.leaky_relu(x, 0.2),
    "hard_tanh": lambda nn, x: nn.hard_tanh(x),
    "celu": lambda nn, x: nn.celu(x),
    "celu_alpha": lambda nn, x: nn.celu(x, 2.0),
    "selu": lambda nn, x: nn.selu(x),
    "gelu_tanh": lambda nn, x: nn.gelu(x),
    "gelu_exact": lambda nn, x: nn.gelu(x, approximate=False),
    "hard_sigmoid": lambda nn, x: nn.hard_sigmoid(x),
    "hard_silu": lambda nn, x: nn.hard_silu(x),
    "hard_swish": lambda nn, x: nn.hard_swish(x),
    "tanh": lambda nn, x: nn.tanh(x),
    "identity": lambda nn, x: nn.identity(x),
    "log1mexp": lambda nn, x: nn.log1mexp(mjnp.abs(x) if nn is mirax.nn else jjnp.abs(x)),
}


def _together(table, names):
    """The functions `names` of `table` as one, fn(nn, *xs) -> their results as a
    tuple: one program for all of them (a mismatch names the index in `names`)."""
    def together(nn, *xs):
        return tuple(table[name](nn, *xs) for name in names)
    return together


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_elementwise_values(jit):
    run_both(_together(ELEMENTWISE, list(ELEMENTWISE)), [SPECIAL], jit, jax_modules=(jax.nn,),
             mirax_modules=(mirax.nn,))


INT_REFUSED = ["sigmoid", "silu", "swish"]  # lax.logistic takes no integers


@pytest.mark.parametrize("dtype", [np.float16, np.int32])
def test_elementwise_dtypes(dtype):
    """Half floats and integers get JAX's result dtypes (integers promote where JAX's
    formula does)."""
    x = np.array([-7, -2, 0, 1, 3, 6, 9]).astype(dtype)
    names = [n for n in ELEMENTWISE if dtype != np.int32 or n not in INT_REFUSED]
    run_both(_together(ELEMENTWISE, names), [x], True, jax_modules=(jax.nn,), mirax_modules=(mirax.nn,))


@pytest.mark.parametrize("name", INT_REFUSED)
def test_integers_refused(name):
    _raises_like_jax(lambda nn: ELEMENTWISE[name](nn, np.arange(3)), same_message=False)  # lax.logistic's words


def test_python_scalars_are_weak():
    for name in ["relu", "silu", "elu", "softplus", "gelu_tanh", "hard_sigmoid"]:
        got, want = ELEMENTWISE[name](mirax.nn, 0.5), ELEMENTWISE[name](jax.nn, 0.5)
        check(got, want, name, ROUNDING)
        assert mirax.dtypes.is_weakly_typed(got) == want.weak_type, name


def test_elementwise_grads():
    """The smooth functions, away from their kinks: finite differences to order 2, and JAX's VJP."""
    fn = _together(ELEMENTWISE, [n for n in ELEMENTWISE if n not in ("relu", "relu6", "hard_tanh", "identity",
                                                                     "sparse_sigmoid", "hard_sigmoid", "log1mexp")])
    check_grads(lambda x: fn(mirax.nn, x), (SMOOTH,), order=2, atol=2e-2, rtol=2e-2)
    cotangent = tuple(rand(np.shape(y), seed=4) for y in fn(jax.nn, SMOOTH))
    assert_close(mirax.vjp(lambda x: fn(mirax.nn, x), SMOOTH)[1](cotangent),
                 jax.jit(lambda x: jax.vjp(lambda x: fn(jax.nn, x), x)[1](cotangent))(SMOOTH), rtol=1e-5, atol=1e-6)


def test_derivatives_at_kinks():
    """JAX's custom_jvp rules (relu'(0) = 0, relu6'(6) = 0) and its where-branches
    decide the derivative at the kinks; first and second order, both modes."""
    x = np.array([-3., -1., 0., 1., 3., 6.], np.float32)
    fn = _together(ELEMENTWISE, ["relu", "relu6", "hard_tanh", "leaky_relu", "hard_sigmoid", "hard_silu", "sparse_plus",
                                 "sparse_sigmoid", "elu", "celu", "selu", "log1mexp"])

    def derivatives(nn_, t):
        def total(x):
            return sum(y.sum() for y in fn(nn_, x))

        def first(x):
            return t.grad(total)(x)
        return first(x), t.jvp(lambda x: fn(nn_, x), (x,), (np.ones_like(x),))[1], t.grad(lambda x: first(x).sum())(x)

    assert_close(derivatives(mirax.nn, mirax), jax.jit(lambda: derivatives(jax.nn, jax))())


SOFTMAX_CASES = {
    "last": (lambda nn, x: nn.softmax(x), False),
    "axis0": (lambda nn, x: nn.softmax(x, axis=0), False),
    "axes": (lambda nn, x: nn.softmax(x, axis=(0, 1)), False),
    "all": (lambda nn, x: nn.softmax(x, axis=None), False),
    "where": (lambda nn, x, w: nn.softmax(x, where=w), True),
    "log_last": (lambda nn, x: nn.log_softmax(x), False),
    "log_axis0": (lambda nn, x: nn.log_softmax(x, axis=0), False),
    "log_where": (lambda nn, x, w: nn.log_softmax(x, axis=0, where=w), True),
    "logsumexp": (lambda nn, x: nn.logsumexp(x, axis=1), False),
    "logmeanexp": (lambda nn, x: nn.logmeanexp(x, axis=1), False),
    "logmeanexp_where": (lambda nn, x, w: nn.logmeanexp(x, axis=0, where=w, keepdims=True), True),
    "standardize": (lambda nn, x: nn.standardize(x), False),
    "standardize_stable": (lambda nn, x: nn.standardize(x, axis=(0, 1), algorithm="stable"), False),
    "standardize_where": (lambda nn, x, w: nn.standardize(x, axis=0, where=w), True),
    "standardize_given": (lambda nn, x: nn.standardize(x, mean=0.5, variance=2.0, epsilon=0.1), False),
    "glu": (lambda nn, x: nn.glu(x), False),
    "glu_axis0": (lambda nn, x: nn.glu(x, axis=0), False),
}
X = rand((4, 6), seed=2) * 3
WHERE = (rand((4, 6), np.bool_, seed=3) | np.eye(4, 6, dtype=bool) | np.eye(4, 6, 2, dtype=bool))


def _softmax_inputs(name):
    return [X, WHERE] if SOFTMAX_CASES[name][1] else [X]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_reductions(jit):
    run_both(_together_where(list(SOFTMAX_CASES)), [X, WHERE], jit, jax_modules=(jax.nn,), mirax_modules=(mirax.nn,))


def _together_where(names):
    """The SOFTMAX_CASES `names` as one function of (x, where) returning a tuple."""
    def together(nn, x, where):
        return tuple(SOFTMAX_CASES[n][0](nn, x, *[where] * SOFTMAX_CASES[n][1]) for n in names)
    return together


def test_softmax_special_values():
    """-inf entries drop out, a row of -inf is NaN, +inf gives NaN: as JAX."""
    x = np.array([[0., -np.inf, 1.], [-np.inf, -np.inf, -np.inf], [np.inf, 0., 1.]], np.float32)
    run_both(_together_where(["last", "log_last"]), [x, x > 0], True, jax_modules=(jax.nn,), mirax_modules=(mirax.nn,))


@pytest.mark.parametrize("names, order", [
    (["last", "where", "log_axis0", "standardize"], 2),
    (["axes", "logmeanexp", "logmeanexp_where", "standardize_stable", "standardize_where", "glu"], 1),
], ids=["order2", "order1"])
def test_reduction_grads(names, order):
    fn = _together_where(names)
    x = X[:3, :4]
    where = np.array([[1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1]], bool)  # two or more per row and column
    check_grads(lambda x: fn(mirax.nn, x, where), (x,), order=order, atol=2e-2, rtol=2e-2)
    cotangent = tuple(rand(np.shape(y), seed=4) for y in fn(jax.nn, x, where))
    assert_close(mirax.vjp(lambda x: fn(mirax.nn, x, where), x)[1](cotangent),
                 jax.jit(lambda x: jax.vjp(lambda x: fn(jax.nn, x, where), x)[1](cotangent))(x), rtol=1e-4, atol=1e-5)


def test_log_softmax_where_vjp():
    """NaN where masked out (-inf - -inf) in both: the rest agrees."""
    def vjp(nn_, t):
        return t.vjp(lambda x: nn_.log_softmax(x, axis=0, where=WHERE), X)[1](rand(X.shape, seed=4))[0]
    assert_close(np.nan_to_num(vjp(mirax.nn, mirax)), np.nan_to_num(vjp(jax.nn, jax)), rtol=1e-4, atol=1e-5)


def test_softmax_jvp_is_jaxs_rule():
    """softmax's custom JVP y * (t - sum(y t)) does not see the max: at ties too."""
    x = np.array([1., 1., 0.], np.float32)
    t = np.array([1., -2., 0.5], np.float32)
    assert_close(mirax.jvp(mirax.nn.softmax, (x,), (t,)), jax.jvp(jax.nn.softmax, (x,), (t,)))


@pytest.mark.parametrize("name", ["where", "log_last", "standardize"])
def test_reductions_vmap(name):
    fn, has_where = SOFTMAX_CASES[name]
    check_vmap(fn, _softmax_inputs(name), in_axes=0 if has_where else 1, jax_modules=(jax.nn,),
               mirax_modules=(mirax.nn,))


ONE_HOT_CASES = {
    "default": lambda nn, x: nn.one_hot(x, 5),
    "axis0": lambda nn, x: nn.one_hot(x, 4, axis=0),
    "axis1_int8": lambda nn, x: nn.one_hot(x, 3, dtype=np.int8, axis=1),
    "bool": lambda nn, x: nn.one_hot(x, 2, dtype=bool),
}


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_one_hot(jit):
    x = np.array([[0, 3, -1], [4, 1, 7]], np.int32)  # out of range: all zeros
    run_both(_together(ONE_HOT_CASES, list(ONE_HOT_CASES)), [x], jit, jax_modules=(jax.nn,),
             mirax_modules=(mirax.nn,))


def test_one_hot_float_input_warns():
    with pytest.warns(DeprecationWarning, match="should be integer-typed"):
        got = mirax.nn.one_hot(mjnp.array([0., 2.]), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(got, jax.nn.one_hot(jjnp.array([0., 2.]), 3))


# ----------------------------------------------------------------------------- attention

B, T, S, N, K, H = 2, 3, 4, 4, 2, 5
Q, KEY, VALUE = rand((B, T, N, H), seed=5), rand((B, S, K, H), seed=6), rand((B, S, K, H), seed=7)
ATTENTION_CASES = {
    "plain": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v), []),
    "multi_head": (lambda nn, q, k, v, k_all, v_all: nn.dot_product_attention(q, k_all, v_all),
                   [rand((B, S, N, H), seed=16), rand((B, S, N, H), seed=17)]),
    "scale_xla": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v, scale=0.7, implementation="xla"), []),
    "bias_per_head": (lambda nn, q, k, v, b: nn.dot_product_attention(q, k, v, b), [rand((B, N, T, S), seed=8)]),
    "bias_shared": (lambda nn, q, k, v, b: nn.dot_product_attention(q, k, v, b), [rand((1, 1, T, S), seed=9)]),
    "mask": (lambda nn, q, k, v, m: nn.dot_product_attention(q, k, v, mask=m),
             [rand((B, N, T, S), np.bool_, seed=10)]),
    "mask_bias_causal": (lambda nn, q, k, v, b, m: nn.dot_product_attention(q, k, v, b, m, is_causal=True),
                         [rand((B, 1, T, S), seed=11), rand((1, N, T, S), np.bool_, seed=12)]),
    "causal": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v, is_causal=True), []),
    "window": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v, local_window_size=(1, 0)), []),
    "window_int": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v, local_window_size=1), []),
    "seq_lengths": (lambda nn, q, k, v, ql, kl: nn.dot_product_attention(
        q, k, v, query_seq_lengths=ql, key_value_seq_lengths=kl),
        [np.array([2, 3], np.int32), np.array([4, 1], np.int32)]),
    "residual": (lambda nn, q, k, v: nn.dot_product_attention(q, k, v, is_causal=True, return_residual=True), []),
    "unbatched": (lambda nn, q, k, v: nn.dot_product_attention(q[0], k[0], v[0], return_residual=True), []),
}


@pytest.mark.parametrize("name, jit", [(name, True) for name in ATTENTION_CASES]
                         + [("mask_bias_causal", False), ("residual", False)])
def test_attention(name, jit):
    fn, extra = ATTENTION_CASES[name]
    want = fn(jax.nn, Q, KEY, VALUE, *extra)
    got = (mirax.jit(fn, static_argnums=0) if jit else fn)(mirax.nn, Q, KEY, VALUE, *extra)
    check(tuple(got) if isinstance(want, tuple) else got, want, name, ROUNDING)


def test_attention_half_precision():
    """float16 inputs: float32 logits and softmax, float16 probabilities and output."""
    q, k, v = (x.astype(np.float16) for x in (Q, KEY, VALUE))
    check(mirax.nn.dot_product_attention(q, k, v, is_causal=True),
          jax.nn.dot_product_attention(q, k, v, is_causal=True), "f16", {"f2": 2e-3})


@pytest.mark.parametrize("name", ["plain", "bias_per_head", "mask_bias_causal", "seq_lengths"])
def test_attention_vjp(name):
    fn, extra = ATTENTION_CASES[name]
    cotangent = rand((B, T, N, H), seed=13)
    want = jax.jit(lambda *a: jax.vjp(lambda *a: fn(jax.nn, *a, *extra), *a)[1](cotangent))(Q, KEY, VALUE)
    got = mirax.jit(lambda *a: mirax.vjp(lambda *a: fn(mirax.nn, *a, *extra), *a)[1](cotangent))(Q, KEY, VALUE)
    assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_attention_grads():
    """Finite differences to order 2, on small shapes: two query heads per key head,
    a bias, a mask and the causal mask."""
    q, k, v, bias = Q[:1, :2, :2, :2], KEY[:1, :3, :1, :2], VALUE[:1, :3, :1, :2], rand((1, 2, 2, 3), seed=18)
    mask = np.array([[[[True, True, False], [True, False, True]]]])
    check_grads(lambda *a: mirax.nn.dot_product_attention(*a, mask=mask, is_causal=True), (q, k, v, bias),
                order=2, atol=2e-2, rtol=2e-2)


def test_attention_vmap():
    check_vmap(lambda nn, q, k, v: nn.dot_product_attention(q, k, v, is_causal=True), [Q, KEY, VALUE],
               in_axes=(0, 0, 0), jax_modules=(jax.nn,), mirax_modules=(mirax.nn,))


# ----------------------------------------------------------------------------- errors


def _raises_like_jax(call, same_message=True):
    """call(nn) raises the same exception class (and message) for mirax and JAX."""
    with pytest.raises(Exception) as want:
        call(jax.nn)
    with pytest.raises(type(want.value)) as got:
        call(mirax.nn)
    assert not same_message or str(want.value) in str(got.value), (got.value, want.value)


@pytest.mark.parametrize("call", [
    lambda nn: nn.glu(np.ones((2, 3), np.float32)),
    lambda nn: nn.standardize(np.ones(3, np.float32), algorithm="exact"),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE, implementation="flash"),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE[..., :4]),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE.astype(np.float16)),
    lambda nn: nn.dot_product_attention(Q[..., :3, :], KEY, VALUE),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE, mask=np.ones((B, N, T, S), np.int32)),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE, query_seq_lengths=np.ones(B, np.float32)),
    lambda nn: nn.dot_product_attention(Q, KEY, VALUE, bias=np.ones((B, 3, 1, T, S), np.float32)),
], ids=["glu_odd", "algorithm", "implementation", "value_shape", "value_dtype", "groups",
        "mask_dtype", "seq_lengths_dtype", "bias_ndim"])
def test_errors_as_jax(call):
    _raises_like_jax(call)


@pytest.mark.parametrize("call", [lambda nn: nn.silu([1.0, 2.0]), lambda nn: nn.squareplus(1.0, [4.0]),
                                  lambda nn: nn.standardize(np.ones(3, np.float32), variance=[1.0])],
                         ids=["list", "list_b", "list_variance"])
def test_lists_refused(call):
    """TypeError as JAX; the message names the type as "list" where JAX 0.10 writes
    "<class 'list'>" (mirax.numpy's check_arraylike, shared by every function)."""
    _raises_like_jax(call, same_message=False)


def test_refused():
    with pytest.raises(RuntimeError, match="cuDNN"):
        mirax.nn.dot_product_attention(Q, KEY, VALUE, implementation="cudnn")
    with pytest.raises(NotImplementedError, match="named axes"):
        mirax.nn.one_hot(mjnp.arange(3), 3, axis="batch")
    ones = mjnp.ones((1, 2, 4))
    with pytest.raises(NotImplementedError, match="block-scaled"):
        mirax.nn.scaled_matmul(ones, ones, ones, ones)
    with pytest.raises(NotImplementedError, match="configs"):
        mirax.nn.scaled_dot_general(ones, ones, (((2,), (2,)), ((0,), (0,))), configs=[object()])


def test_scaled_dot_general_without_configs_is_dot_general():
    a, b = rand((2, 3, 4), seed=14), rand((2, 5, 4), seed=15)
    dims = (((2,), (2,)), ((0,), (0,)))
    check(mirax.nn.scaled_dot_general(a, b, dims), jax.nn.scaled_dot_general(a, b, dims), "", ROUNDING)


def test_every_public_name_of_jax_nn():
    """All of jax.nn."""
    missing = {n for n in dir(jax.nn) if not n.startswith("_")} - set(dir(mirax.nn))
    assert not missing, missing


def test_exact_gelu_keeps_its_digits_in_the_left_tail():
    """gelu(approximate=False) is JAX's 0.5 x erfc(-x / sqrt 2): relative accuracy where
    1 + erf(x / sqrt 2) would cancel to a few digits, or to 0 below about -5.5."""
    x = np.array([-9.0, -6.0, -4.5, -3.0, -1.0, 0.5], np.float32)
    np.testing.assert_allclose(np.asarray(mirax.nn.gelu(x, approximate=False)),
                               np.asarray(jax.nn.gelu(x, approximate=False)), rtol=2e-6, atol=0)
