"""jax.nn's activations, softmax, standardize, one_hot and dot_product_attention,
with JAX's formulas (so float32 results agree to rounding) and its custom derivatives."""
import functools
import operator
import warnings

import numpy as np

from mirax import dtypes, lax
from mirax import numpy as jnp
from mirax.core import to_array, with_source
from mirax.custom_derivatives import custom_jvp
from mirax.numpy import _reductions as reductions
from mirax.numpy._reductions import _count
from mirax.numpy._util import canonicalize_axes, canonicalize_axis, check_arraylike, promote_args_inexact

tanh = jnp.tanh


def _arraylike(fn_name, *args):
    """The arguments as arrays, after JAX's check that they are arrays or scalars."""
    check_arraylike(fn_name, *args)
    return [to_array(x) for x in args]


def identity(x):
    (x,) = _arraylike("identity", x)
    return x


@custom_jvp
def relu(x):
    return jnp.maximum(x, 0)


# relu'(0) = 0, as JAX (https://dl.acm.org/doi/10.5555/3540261.3540297)
relu.defjvps(lambda g, ans, x: lax.select(x > 0, g, jnp.zeros_like(g)))


@custom_jvp
def relu6(x):
    return jnp.minimum(jnp.maximum(x, 0), 6.)


relu6.defjvps(lambda g, ans, x: lax.select((x > 0) & (x < 6), g, jnp.zeros_like(g)))


def squareplus(x, b=4):
    x, b = _arraylike("squareplus", x, b)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return jnp.logaddexp(x, 0)


def sparse_plus(x):
    (x,) = _arraylike("sparse_plus", x)
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def soft_sign(x):
    (x,) = _arraylike("soft_sign", x)
    return x / (jnp.abs(x) + 1)


def sigmoid(x):
    (x,) = _arraylike("sigmoid", x)
    return lax.logistic(x)


def sparse_sigmoid(x):
    return 0.5 * jnp.clip(x + 1.0, 0.0, 2.0)


def silu(x):
    (x,) = _arraylike("silu", x)
    return x * sigmoid(x)


swish = silu


def mish(x):
    (x,) = _arraylike("mish", x)
    return x * jnp.tanh(softplus(x))


def log_sigmoid(x):
    (x,) = _arraylike("log_sigmoid", x)
    return -softplus(-x)


def elu(x, alpha=1.0):
    (x,) = _arraylike("elu", x)
    positive = x > 0
    return jnp.where(positive, x, alpha * jnp.expm1(jnp.where(positive, 0., x)))  # no overflow where unused


def leaky_relu(x, negative_slope=1e-2):
    (x,) = _arraylike("leaky_relu", x)
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    (x,) = _arraylike("hard_tanh", x)
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def celu(x, alpha=1.0):
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def gelu(x, approximate=True):
    """x * Phi(x), Phi the standard normal CDF, or its tanh approximation."""
    (x,) = promote_args_inexact("gelu", x)
    if approximate:
        sqrt_2_over_pi = np.sqrt(2 / np.pi).astype(x.dtype)
        cdf = 0.5 * (1.0 + jnp.tanh(sqrt_2_over_pi * (x + 0.044715 * (x ** 3))))
        return x * cdf
    sqrt_half = np.sqrt(0.5).astype(x.dtype)
    return 0.5 * x * lax.erfc(-x * sqrt_half)  # JAX's: erfc keeps its digits where 1 + erf cancels


def hard_sigmoid(x):
    return relu6(x + 3.) / 6.


def hard_silu(x):
    (x,) = _arraylike("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


@custom_jvp
def log1mexp(x):
    """log(1 - exp(-x)) for x >= 0, by Maechler's two formulas."""
    (x,) = _arraylike("log1mexp", x)
    return jnp.where(x < jnp.log(2.0), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


log1mexp.defjvps(lambda g, ans, x: g / jnp.expm1(x))


def glu(x, axis=-1):
    """The first half of x along `axis` gated by the sigmoid of the second half."""
    (x,) = _arraylike("glu", x)
    if x.shape[axis] % 2 != 0:
        raise AssertionError("axis size must be divisible by 2")  # JAX's assert
    x1, x2 = jnp.split(x, 2, axis)
    return x1 * sigmoid(x2)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over `axis`, from exp(a - max(a)) so that it neither
    overflows nor underflows; with `return_sign`, (log(abs(sum)), sign(sum))."""
    if where is not None:
        a = jnp.where(where, a, 0)
    if b is not None:
        a, b = promote_args_inexact("logsumexp", a, b)
        a = jnp.where(lax.ne(b, 0), a, -np.inf)  # zero weights drop their terms, even infinite ones
    else:
        (a,) = promote_args_inexact("logsumexp", a)
    complex_a = dtypes.is_complex(a.aval.dtype)
    axes = canonicalize_axes(axis, a.aval.ndim)
    amax = reductions.max(lax.real(a) if complex_a else a, axes, keepdims=True, where=where, initial=-np.inf)
    amax = jnp.where(jnp.isfinite(amax), amax, 0)  # rows of -inf (or with +inf) shift by nothing
    exp_a = jnp.exp(jnp.subtract(a, amax))
    if b is not None:
        exp_a = lax.mul(exp_a, b)
    sumexp = reductions.sum(exp_a, axes, keepdims=keepdims, where=where)
    sign = lax.sign(sumexp)
    if return_sign or not complex_a:
        sumexp = lax.abs(sumexp)
    amax = amax if keepdims else lax.squeeze(amax, axes)
    out = lax.add(lax.log(sumexp), lax.convert_element_type(amax, sumexp.aval.dtype))
    if return_sign:
        return out, sign
    if b is not None and not complex_a:
        out = jnp.where(lax.lt(sign, 0), np.nan, out)
    return out


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(exp(x))): logsumexp less the log of the count."""
    lse = logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    x = to_array(x)
    count = _count(x, canonicalize_axes(axis, x.ndim), keepdims, where, lse.dtype)
    return lse - jnp.log(count)


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along `axis` (the shift by the max keeps exp in range)."""
    (x,) = _arraylike("log_softmax", x)
    x_max = jnp.max(x, axis, where=where, initial=-np.inf, keepdims=True)
    x_safe = x if where is None else jnp.where(where, x, -np.inf)
    shifted = x_safe - lax.stop_gradient(x_max)
    result = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis, where=where, keepdims=True))
    return result if where is None else jnp.where(where, result, -np.inf)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along `axis`, computed from x - max(x); its JVP is JAX's
    y * (x_dot - sum(y * x_dot)), which does not differentiate the max."""
    return _softmax(x, axis, where)


@functools.partial(custom_jvp, nondiff_argnums=(1,))
def _softmax(x, axis, where, initial=-np.inf):
    x_max = jnp.max(x, axis, where=where, initial=initial, keepdims=True)
    x_safe = x if where is None else jnp.where(where, x, initial)
    unnormalized = jnp.exp(x_safe - x_max)
    result = unnormalized / jnp.sum(unnormalized, axis, where=where, keepdims=True)
    return result if where is None else jnp.where(where, result, 0)


@_softmax.defjvp
def _softmax_jvp(axis, primals, tangents):
    (x, where, initial), (x_dot, _, _) = primals, tangents
    y = _softmax(x, axis, where, initial)
    return y, y * (x_dot - (y * x_dot).sum(axis, where=where, keepdims=True))


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *, algorithm="fast"):
    """(x - mean) / sqrt(variance + epsilon), the moments along `axis` unless given;
    algorithm "fast" takes the variance as mean(x^2) - mean(x)^2, "stable" as
    mean((x - mean(x))^2)."""
    check_arraylike("standardize", x)
    check_arraylike("standardize", *(0 if a is None else a for a in (mean, variance, where)))  # JAX's positions
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = jnp.mean(jnp.square(jnp.subtract(x, mean)), axis, keepdims=True, where=where)
        elif algorithm == "fast":
            variance = jnp.mean(jnp.square(x), axis, keepdims=True, where=where) - jnp.square(mean)
            variance = jnp.clip(variance, 0)
        else:
            raise ValueError(f"Unknown algorithm '{algorithm}'. Expected 'fast' or 'stable'.")
    return jnp.subtract(x, mean) * lax.rsqrt(variance + epsilon)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """x[..., None] == arange(num_classes), with the classes along `axis` of the result."""
    num_classes = operator.index(num_classes)
    x = jnp.asarray(x)
    try:
        axis = operator.index(axis)
    except TypeError:
        raise NotImplementedError(with_source(
            f"mirax.nn.one_hot: axis must be an int; mirax has no named axes (got {axis!r})")) from None
    if not dtypes.is_integer(x.dtype):
        warnings.warn(f"jax.nn.one_hot input should be integer-typed; got dtype={x.dtype}", DeprecationWarning,
                      stacklevel=2)
    dtype = dtypes.default_float_dtype() if dtype is None else dtype
    axis = canonicalize_axis(axis, x.ndim + 1)
    classes_shape = [1] * x.ndim
    classes_shape.insert(axis, num_classes)
    classes = lax.broadcasted_iota(x.dtype, tuple(classes_shape), axis)
    return (lax.expand_dims(x, (axis,)) == classes).astype(dtype)


# ----------------------------------------------------------------------------- attention


def _large_negative(dtype):
    """The logit of a masked position: large, and finite so that a row masked
    throughout still has a softmax."""
    return jnp.asarray(-0.7 * min(dtypes.finfo(dtype).max, dtypes.finfo(np.float32).max), dtype=dtype)


def _apply_masks(logits, mask, is_causal, q_seqlen, kv_seqlen, local_window_size):
    """logits [B, K, G, T, S] with the masked positions set to a large negative number."""
    if mask is None and not is_causal and q_seqlen is None and kv_seqlen is None and local_window_size is None:
        return logits
    combined = jnp.ones_like(logits, dtype=bool)
    if mask is not None:
        combined = combined & mask
    T, S = logits.shape[-2:]
    query_pos, key_pos = jnp.arange(T)[:, None], jnp.arange(S)[None, :]
    if is_causal:
        combined = combined & (query_pos >= key_pos)
    if local_window_size is not None:
        left, right = local_window_size
        combined = combined & (query_pos <= key_pos + left) & (query_pos >= key_pos - right)
    if q_seqlen is not None:
        combined = combined & (query_pos < q_seqlen[:, None, None, None, None])
    if kv_seqlen is not None:
        combined = combined & (key_pos < kv_seqlen[:, None, None, None, None])
    return jnp.where(combined, logits, _large_negative(logits.dtype))


def _attention_xla(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen, local_window_size,
                   return_residual):
    """JAX's 'xla' implementation, with the N query heads as K groups of G sharing a
    key/value head: [B, T, N, H] queries, [B, S, K, H] keys and values."""
    B, T, N, H = query.shape
    K = key.shape[2]
    G = N // K
    query = jnp.reshape(query, (B, T, K, G, H))

    def grouped(t):  # [B, N or 1, T, S] -> [B, K or 1, G or 1, T, S]
        if t is None or t.shape[1] == 1:
            return t if t is None else t[:, :, None]
        if t.shape[1] != N:
            raise AssertionError(f"bias and mask must have 1 or {N} heads, got {t.shape[1]}")  # JAX's assert
        return jnp.reshape(t, (t.shape[0], K, G) + t.shape[2:])

    logits_dtype = jnp.promote_types(query.dtype, np.float32)
    logits = jnp.einsum("BTKGH,BSKH->BKGTS", query, key, preferred_element_type=logits_dtype)
    logits = logits * jnp.array(scale, dtype=logits.dtype)
    if bias is not None:
        logits = (logits + grouped(bias)).astype(logits.dtype)
    padded_logits = _apply_masks(logits, grouped(mask), is_causal, q_seqlen, kv_seqlen, local_window_size)
    padded_logits = padded_logits.astype(np.float32)
    probs = softmax(padded_logits, axis=-1).astype(key.dtype)
    encoded = jnp.einsum("BKGTS,BSKH->BTKGH", probs, value)
    if q_seqlen is not None:
        encoded = encoded * (jnp.arange(T)[None, :] < q_seqlen[:, None]).astype(encoded.dtype)[:, :, None, None, None]
    encoded = jnp.reshape(encoded, (B, T, N, H))
    if not return_residual:
        return encoded
    residual = logsumexp(padded_logits, axis=-1).astype(key.dtype)  # [B, K, G, T]
    return encoded, lax.stop_gradient(jnp.reshape(jnp.transpose(residual, (0, 3, 1, 2)), (B, T, N)))


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual=False):
    """softmax(Q K^T * scale + bias, masked) V per head, as jax.nn.dot_product_attention
    with implementation 'xla' (None chooses it too; mirax has no cuDNN). query is
    [B, T, N, H] or [T, N, H], key and value [B, S, K, H] or [S, K, H] with N a
    multiple of K (grouped-query attention); bias and mask broadcast to [B, N, T, S]."""
    if implementation == "cudnn":
        raise RuntimeError("cuDNN is not detected: mirax.nn.dot_product_attention has only "
                           "implementation='xla' (or None)")
    if implementation not in (None, "xla"):
        raise ValueError(f"Unsupported implementation option: {implementation}")
    output_shape = jnp.asarray(query).shape

    def ensure_4d(t):
        t = jnp.asarray(t)
        return jnp.expand_dims(t, tuple(range(4 - t.ndim))) if t.ndim < 4 else t

    query, key, value = ensure_4d(query), ensure_4d(key), ensure_4d(value)
    bias = None if bias is None else ensure_4d(bias)
    mask = None if mask is None else ensure_4d(mask)
    q_seqlen = None if query_seq_lengths is None else jnp.asarray(query_seq_lengths)
    kv_seqlen = None if key_value_seq_lengths is None else jnp.asarray(key_value_seq_lengths)
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)

    def check_shape_and_dtype(t, shape, dtype, name):
        if t is None:
            return
        if t.ndim != len(shape):
            raise ValueError(f"{name} ndim should be {len(shape)}, but got {t.ndim}")
        if dtype is not None and t.dtype != dtype:
            raise ValueError(f"{name} dtype should be {dtype}, but got {t.dtype}")
        if any(want != -1 and got != want for got, want in zip(t.shape, shape, strict=True)):
            raise ValueError(f"{name} shape should be {shape}: but got {t.shape}")

    B, S, K, H = key.shape
    check_shape_and_dtype(value, [B, S, K, H], key.dtype, "value")
    check_shape_and_dtype(query, [B, -1, -1, H], key.dtype, "query")
    check_shape_and_dtype(mask, [-1] * 4, np.dtype(bool), "mask")
    check_shape_and_dtype(bias, [-1] * 4, None, "bias")
    check_shape_and_dtype(q_seqlen, [B], np.dtype("int32"), "query_seq_lengths")
    check_shape_and_dtype(kv_seqlen, [B], np.dtype("int32"), "key_value_seq_lengths")
    if query.shape[-2] % K != 0:
        raise ValueError(f"The number of query heads must be a multiple of "
                         f"key/value heads, but got {query.shape[-2]} vs {K}")
    scale = 1.0 / np.sqrt(H) if scale is None else scale
    out = _attention_xla(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen, local_window_size,
                         return_residual)
    if return_residual:
        out, residual = out
        return jnp.reshape(out, output_shape), jnp.reshape(residual, output_shape[:-1])
    return jnp.reshape(out, output_shape)


# ----------------------------------------------------------------------------- block-scaled matmuls


def scaled_matmul(lhs, rhs, lhs_scales, rhs_scales, preferred_element_type=np.float32):
    """jax.nn.scaled_matmul is cuDNN's block-scaled matmul, which JAX has only on GPUs."""
    raise NotImplementedError("mirax.nn.scaled_matmul: block-scaled matmuls (cuDNN's) are not supported by mirax")


def scaled_dot_general(lhs, rhs, dimension_numbers, preferred_element_type=np.float32, configs=None,
                       implementation=None):
    """lax.dot_general without `configs`; block-scaled quantization (cuDNN's) is refused."""
    if implementation is not None:
        warnings.warn("Backend selector, now ignored. The system chooses the backend automatically.",
                      DeprecationWarning, stacklevel=2)
    if configs is not None:
        raise NotImplementedError("mirax.nn.scaled_dot_general: block-scaled quantization `configs` (cuDNN's) "
                                  "are not supported by mirax")
    return lax.dot_general(lhs, rhs, dimension_numbers, preferred_element_type=preferred_element_type)
