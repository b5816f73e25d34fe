"""mirax.numpy's less common functions (the _array_api, _elementwise, _manipulation,
_set_ops, _statistics, _polynomial, _windows and _functional modules) against
jax.numpy, the oracle: values, shapes, dtypes and weak types, eagerly and under jit,
derivatives of the differentiable ones, vmap of some, and errors of invalid calls."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.test_util import check_grads
from oracle import ROUNDING, check, check_vmap, rand


def _weak(x):
    return x.aval.weak_type if hasattr(x, "aval") else getattr(x, "weak_type", False)


def compare(fn, inputs, jit=True, eager=True, tolerance=ROUNDING):
    """fn(numpy_module, *inputs) by mirax (eagerly and under jit) against JAX's
    (eagerly): structure, shapes, dtypes, values and weak types."""
    want = fn(jjnp, *inputs)
    for run in ([lambda f, *xs: f(*xs)] if eager else []) + ([lambda f, *xs: mirax.jit(f)(*xs)] if jit else []):
        got = run(lambda *xs: fn(jnp, *xs), *[jnp.asarray(x) for x in inputs])
        got_leaves, want_leaves = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
        assert len(got_leaves) == len(want_leaves), (got, want)
        for g, w in zip(got_leaves, want_leaves, strict=True):
            if isinstance(w, (bool, np.bool_)) and not hasattr(w, "shape"):
                assert g == w, (g, w)
                continue
            check(g, w, getattr(fn, "__name__", ""), tolerance)
            assert _weak(g) == _weak(w), ("weak type", _weak(g), _weak(w))


def raises(fn, error, match=None):
    """fn(jax.numpy) and fn(mirax.numpy) raise the same error class (and message part)."""
    with pytest.raises(error, match=match):
        fn(jjnp)
    with pytest.raises(error, match=match):
        fn(jnp)


F32, I32 = np.float32, np.int32
