"""What the pytest files share: random inputs, and comparing mirax's results with
JAX's (the oracle) or NumPy's."""
import jax
import jax.numpy as jjnp
import numpy as np

import mirax
import mirax.numpy as mjnp

# Relative and absolute tolerance by dtype for results computed in a different order
# than the oracle's (reductions, contractions); other dtypes compare exactly.
ROUNDING = {"f2": 2e-3, "f4": 2e-5, "c8": 2e-5, "f8": 1e-12, "c16": 1e-12}


def check(got, want, label="", tolerance=None):
    """Equal structure (lists and tuples), shapes, dtypes and values: exactly for bool
    and integers, and for floats unless `tolerance` (a dtype.str[1:] -> tolerance table
    such as ROUNDING) says how far they may be; NaNs must be in the same places."""
    if isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), (label, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            check(g, w, f"{label}[{i}]", tolerance)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype), (label, got.shape, got.dtype, want.shape, want.dtype)
    tol = None if tolerance is None or want.dtype.kind in "biu" else tolerance.get(want.dtype.str[1:])
    if tol is None:
        np.testing.assert_array_equal(got, want, err_msg=label)
    else:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=label)


def rand(shape, dtype=np.float32, seed=0, nans=False):
    """Random values of `dtype`: small integers (so that products do not overflow),
    normal floats, with a few NaNs if `nans`."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "u":
        return rng.integers(0, 4, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-3, 4, shape).astype(dtype)
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    x = x.astype(dtype)
    if nans and x.size:
        x.reshape(-1)[::5] = np.nan
    return x


_oracle_cache = {}


def oracle(fn, modules, inputs):
    """fn(*modules, *inputs) under jax.jit (one XLA compile beats JAX's op-by-op dispatch
    on many small ops), cached so that the eager and jit runs of a case share it."""
    key = (fn, jax.config.jax_enable_x64) + tuple((x.shape, x.dtype.str, x.tobytes()) for x in inputs)
    if key not in _oracle_cache:
        _oracle_cache[key] = jax.jit(lambda *xs: fn(*modules, *xs))(*inputs)
    return _oracle_cache[key]


def run_both(fn, inputs, jit, jax_modules=(jjnp,), mirax_modules=(mjnp,), tolerance=ROUNDING):
    """fn(*modules, *arrays) for mirax (eagerly or jitted) against JAX's modules under jax.jit."""
    want = oracle(fn, jax_modules, inputs)
    mine = [mjnp.asarray(x) for x in inputs]

    def ours(*xs):
        return fn(*mirax_modules, *xs)

    got = mirax.jit(ours)(*mine) if jit else ours(*mine)
    check(got, want, getattr(fn, "__name__", ""), tolerance)


def check_vmap(fn, inputs, in_axes, out_axes=0, jax_modules=(jax.lax,), mirax_modules=(mirax.lax,),
               tolerance=ROUNDING, jit=True):
    """mirax.vmap(fn) (jitted unless `jit` is false) against two oracles: a Python loop
    of fn over the mapped axis (mirax, op by op) stacked with np.stack, and jax.vmap
    of fn with JAX's modules. fn(*modules, *arrays) returns an array or a tuple."""
    axes = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(inputs)
    size = next(np.shape(x)[a] for x, a in zip(inputs, axes, strict=True) if a is not None)
    mine = [mjnp.asarray(x) for x in inputs]

    def ours(*xs):
        return fn(*mirax_modules, *xs)

    mapped = mirax.vmap(ours, in_axes, out_axes)
    got = (mirax.jit(mapped) if jit else mapped)(*mine)
    rows = [ours(*(x if a is None else np.take(x, i, axis=a) for x, a in zip(inputs, axes, strict=True)))
            for i in range(size)]
    outs = jax.tree_util.tree_leaves(got)
    out_axes_flat = out_axes if isinstance(out_axes, (tuple, list)) else [out_axes] * len(outs)
    loop = [np.stack([np.asarray(jax.tree_util.tree_leaves(r)[k]) for r in rows], axis=a)
            for k, a in enumerate(out_axes_flat)]
    want = jax.vmap(lambda *xs: fn(*jax_modules, *xs), in_axes, out_axes)(*inputs)
    for k, (g, w, l) in enumerate(zip(outs, jax.tree_util.tree_leaves(want), loop, strict=True)):
        check(np.asarray(l), w, f"loop[{k}] vs jax", tolerance)
        check(g, w, f"vmap[{k}] vs jax", tolerance)
        check(g, l, f"vmap[{k}] vs loop", tolerance)


def assert_close(got, want, rtol=2e-5, atol=2e-5):
    """Pytrees of one structure whose leaves have equal shapes and dtypes and values
    within `rtol` and `atol`: differentiation results against JAX's."""
    got_leaves, want_leaves = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves), (got, want)
    for g, w in zip(got_leaves, want_leaves, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
