"""mirax.nn: jax.nn's common activation functions and softmax over mirax.numpy."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax.core import to_array
from mirax.numpy import _reductions as reductions
from mirax.numpy._ufuncs import divide, exp, log, logaddexp, maximum, subtract, where as _where
from mirax.numpy._util import canonicalize_axis, check_arraylike
from mirax.scipy.special import logsumexp  # noqa: F401  (jax.nn re-exports it)


def relu(x):
    return maximum(x, 0)


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return logaddexp(x, 0)


def sigmoid(x):
    check_arraylike("sigmoid", x)
    return lax.logistic(to_array(x))


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along `axis` (the shift by the max keeps exp in range)."""
    check_arraylike("log_softmax", x)
    x = to_array(x)
    x_max = reductions.max(x, axis, where=where, initial=-np.inf, keepdims=True)
    shifted = subtract(x if where is None else _where(where, x, -np.inf), x_max)
    result = subtract(shifted, log(reductions.sum(exp(shifted), axis, where=where, keepdims=True)))
    return result if where is None else _where(where, result, -np.inf)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along `axis`, computed from x - max(x)."""
    check_arraylike("softmax", x)
    x = to_array(x)
    x_max = reductions.max(x, axis, where=where, initial=-np.inf, keepdims=True)
    unnormalized = exp(subtract(x if where is None else _where(where, x, -np.inf), x_max))
    result = divide(unnormalized, reductions.sum(unnormalized, axis, where=where, keepdims=True))
    return result if where is None else _where(where, result, 0)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """x[..., None] == arange(num_classes), with the classes along `axis` of the result."""
    x = to_array(x)
    num_classes = operator.index(num_classes)
    axis = canonicalize_axis(axis, x.aval.ndim + 1)
    dtype = dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    shape = x.aval.shape[:axis] + (num_classes,) + x.aval.shape[axis:]
    classes = lax.broadcasted_iota(x.aval.dtype, shape, axis)
    labels = lax.broadcast_in_dim(x, shape, tuple(d for d in range(len(shape)) if d != axis))
    return lax.convert_element_type(lax.eq(labels, classes), dtype)
