"""Indexing and differentiation defects found by fuzzing against JAX (issue 16), each
compared with JAX: the derivative of scatter (set) with repeated indices, derivatives
of sorts and Jacobians of empty arrays, .at[].apply, and mixed basic/advanced indices
under tracing."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import assert_close, check, rand

LIBS = {"jax": (jax, jjnp), "mirax": (mirax, mjnp)}


def both(make, *args):
    """make(lib, jnp) -> function, applied to `args` with each library; (mirax's, JAX's)."""
    return tuple(make(*LIBS[name])(*(jnp.asarray(a) for a in args))
                 for name, jnp in (("mirax", mjnp), ("jax", jjnp)))


# ----------------------------------------------------------------------------- scatter (set) with repeated indices
# Where windows overlap, only the update written last lands in the result, so only it has
# a derivative (JAX's scatter JVP masks the others out; its transpose follows).

def _set(jnp, x, v, idx, **kwargs):
    return x.at[jnp.asarray(idx)].set(v, **kwargs)


SET_CASES = {
    "repeated": (lambda jnp, x, v: _set(jnp, x, v, [0, 0, 0]), (2,), (3,)),
    "repeated_mixed": (lambda jnp, x, v: _set(jnp, x, v, [1, 0, 1, 3, 1]), (4,), (5,)),
    "rows": (lambda jnp, x, v: _set(jnp, x, v, [2, 0, 2]), (3, 2), (3, 2)),
    "window_columns": (lambda jnp, x, v: x.at[:, jnp.asarray([1, 1])].set(v), (2, 3), (2, 2)),
    "dropped": (lambda jnp, x, v: _set(jnp, x, v, [1, 5, 1], mode="drop"), (2,), (3,)),
    "clipped": (lambda jnp, x, v: _set(jnp, x, v, [0, 5, 1, 7], mode="clip"), (2,), (4,)),
    "promised_unique": (lambda jnp, x, v: _set(jnp, x, v, [0, 0], unique_indices=True), (2,), (2,)),
    "scalar_update": (lambda jnp, x, v: _set(jnp, x, v, [0, 0]), (2,), ()),
}


@pytest.mark.parametrize("name", SET_CASES)
def test_scatter_set_derivatives_with_repeated_indices(name):
    fn, x_shape, v_shape = SET_CASES[name]
    x, v = rand(x_shape, seed=1), rand(v_shape, seed=2)
    weights = rand(x_shape, seed=3)
    t_x, t_v = rand(x_shape, seed=4), rand(v_shape, seed=5)

    def loss(lib, jnp):
        return lambda x, v: jnp.sum(fn(jnp, x, v) * jnp.asarray(weights))

    got, want = both(lambda lib, jnp: lib.grad(loss(lib, jnp), argnums=(0, 1)), x, v)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.jit(lib.grad(loss(lib, jnp), argnums=1)), x, v)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lambda *a: lib.jvp(lambda x, v: fn(jnp, x, v), a[:2], a[2:]), x, v, t_x, t_v)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lambda x, v: lib.vjp(lambda x, v: fn(jnp, x, v), x, v)[1](
        jnp.asarray(weights)), x, v)
    assert_close(got, want)


def test_scatter_set_gradient_partly_overlapping_windows():
    """Windows of 2 at 0, 1, 0: element by element, the last window written wins."""
    idx = np.array([[0], [1], [0]], np.int32)

    def f(lib, jnp):
        dn = lib.lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(),
                                             scatter_dims_to_operand_dims=(0,))
        return lib.grad(lambda x, u: (lib.lax.scatter(x, idx, u, dn) * jnp.arange(1.0, 4.0)).sum(), argnums=(0, 1))

    got, want = both(f, np.zeros(3, np.float32), rand((3, 2), seed=11))
    assert_close(got, want)


def test_scatter_set_gradient_batched_indices():
    """vmap(grad) with the indices batched: each example has its own winners."""
    idx = np.array([[0, 0, 1], [1, 0, 1], [2, 2, 2]], np.int32)
    v = rand((3, 3), seed=6)

    def per_example(lib, jnp):
        def loss(v, idx):
            return jnp.sum(jnp.zeros(3).at[idx].set(v) * jnp.arange(1.0, 4.0))

        return lib.jit(lib.vmap(lib.grad(loss)))

    got, want = both(per_example, v, idx)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.vmap(lib.grad(lambda v, i: jnp.sum(
        jnp.ones((2, 3)).at[1, i].set(v) ** 2)), in_axes=(0, None)), v, idx[0])
    assert_close(got, want)


# ----------------------------------------------------------------------------- sorts of empty arrays
# The JVP of a sort permutes the tangents with a gather of windows of 1, which JAX's
# gather accepts from an empty operand when there are no index vectors.

SORT_CASES = {
    "sort": (lambda lib, jnp, x: jnp.sort(x), (0,)),
    "sort_rows": (lambda lib, jnp, x: jnp.sort(x, axis=0), (0, 3)),
    "sort_descending": (lambda lib, jnp, x: jnp.sort(x, axis=1, descending=True), (2, 0)),
    "argsort_take": (lambda lib, jnp, x: x[jnp.argsort(x)], (0,)),
    "median_rows": (lambda lib, jnp, x: jnp.median(x, axis=1), (0, 3)),
    "sort_key_val": (lambda lib, jnp, x: lib.lax.sort_key_val(x, 2 * x, dimension=1)[1], (2, 0)),
    "lax_sort": (lambda lib, jnp, x: lib.lax.sort((x, x * x), num_keys=1)[1], (0,)),
}
STACKS = {
    "grad": lambda lib, f: lib.grad(lambda x: f(x).sum()),
    "jvp": lambda lib, f: lambda x: lib.jvp(f, (x,), (x + 1,)),
    "vjp": lambda lib, f: lambda x: lib.vjp(f, x)[1](f(x)),
    "jacrev": lambda lib, f: lib.jacrev(f),
    "jit_hessian": lambda lib, f: lib.jit(lib.hessian(lambda x: (f(x) ** 2).sum())),
    "vmap_grad": lambda lib, f: lib.vmap(lib.grad(lambda x: f(x).sum())),
}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", SORT_CASES)
def test_sort_derivatives_of_empty_arrays(name, stack):
    fn, shape = SORT_CASES[name]
    if stack == "vmap_grad":
        shape = (2,) + shape
    x = np.zeros(shape, np.float32)
    got, want = both(lambda lib, jnp: STACKS[stack](lib, lambda x: fn(lib, jnp, x)), x)
    assert_close(got, want)


# ----------------------------------------------------------------------------- Jacobians with respect to empty inputs
# The standard basis of a space with an empty leaf has no vectors for that leaf.

JACOBIANS = {
    "jacfwd": lambda lib: lib.jacfwd,
    "jacrev": lambda lib: lib.jacrev,
    "hessian": lambda lib: lib.hessian,
    "jit_hessian": lambda lib: lambda f, **kw: lib.jit(lib.hessian(f, **kw)),
    "vmap_jacfwd": lambda lib: lambda f, **kw: lib.vmap(lib.jacfwd(f, **kw)),
}


@pytest.mark.parametrize("jac", JACOBIANS)
def test_jacobians_with_respect_to_empty_inputs(jac):
    batch = (2,) if jac == "vmap_jacfwd" else ()
    empty, full = np.zeros(batch + (0, 3), np.float32), rand(batch + (2,), seed=7)

    def f(jnp):
        return lambda e, x: (jnp.sum(e ** 2) + jnp.sum(x ** 3), jnp.concatenate([jnp.sum(e, 0), x]))

    for argnums in (0, (0, 1)):
        got, want = both(lambda lib, jnp: lambda e, x: JACOBIANS[jac](lib)(
            lambda e, x: f(jnp)(e, x)[0], argnums=argnums)(e, x), empty, full)
        assert_close(got, want)
        if jac not in ("hessian", "jit_hessian"):
            got, want = both(lambda lib, jnp: lambda e, x: JACOBIANS[jac](lib)(
                lambda e, x: f(jnp)(e, x)[1], argnums=argnums)(e, x), empty, full)
            assert_close(got, want)
    got, want = both(lambda lib, jnp: JACOBIANS[jac](lib)(lambda e: jnp.sum(e * 2)), empty)
    assert_close(got, want)


# ----------------------------------------------------------------------------- basic and advanced indices mixed, traced
# A static int among advanced indices became a 0-d NumPy scalar, not an array, and was
# then staged as a traced index column that NumPy could not read.

MIXED = {
    "int_strided": lambda jnp, t: (1, slice(None, None, 2)),
    "strided_int": lambda jnp, t: (slice(None, None, 2), 1),
    "int_strided_array": lambda jnp, t: (1, slice(None, None, 2), jnp.array([0, 4])),
    "array_strided_int": lambda jnp, t: (jnp.array([0, 2]), slice(None, None, 2), 1),
    "none_int_reversed": lambda jnp, t: (None, 1, slice(None, None, -1)),
    "numpy_int_strided": lambda jnp, t: (np.int32(2), slice(None, None, 2)),
    "negative_int_strided_strided": lambda jnp, t: (-1, slice(None, None, 3), slice(1, None, 2)),
    "traced_int_strided": lambda jnp, t: (t, slice(None, None, 2)),
    "traced_int_strided_traced_int": lambda jnp, t: (t, slice(None, None, 2), t),
    "traced_int_slice_array": lambda jnp, t: (t, slice(1, 3), jnp.array([0, 4])),
    "bool_mask_strided": lambda jnp, t: (np.array([True, False, True]), slice(None, None, 2)),
}


@pytest.mark.parametrize("name", MIXED)
def test_mixed_indices_under_jit_and_grad(name):
    index = MIXED[name]
    x = rand((3, 4, 5), seed=8)

    def get(jnp):
        return lambda x, t: x[index(jnp, t)]

    def updates(lib, jnp):
        def f(x, t, v):
            x = x.at[index(jnp, t)].set(v)
            x = x.at[index(jnp, t)].add(2 * v)
            return x.at[index(jnp, t)].multiply(3.0)
        return f

    got, want = both(lambda lib, jnp: lib.jit(get(jnp)), x, 1)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.jit(updates(lib, jnp)), x, 1, np.float32(3))
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.jit(lib.grad(lambda x, v: jnp.sum(updates(lib, jnp)(x, 1, v) ** 2),
                                                        argnums=(0, 1))), x, np.float32(3))
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.vmap(lambda t: updates(lib, jnp)(jnp.asarray(x), t, jnp.float32(3))),
                     np.array([0, 2, -1]))
    assert_close(got, want)


# ----------------------------------------------------------------------------- .at[].apply and lax.scatter_apply
# func applies once per time an index covers an element; JAX does not differentiate it.

APPLY_CASES = {
    "repeated": lambda jnp: jnp.arange(5.0).at[jnp.array([0, 0, 2])].apply(lambda v: v * 2 + 1),
    "int": lambda jnp: jnp.arange(5).at[1].apply(lambda v: v * 2),
    "clip": lambda jnp: jnp.arange(5.0).at[jnp.array([0, 9])].apply(lambda v: v + 1, mode="clip"),
    "drop": lambda jnp: jnp.arange(5.0).at[jnp.array([0, 9, -1])].apply(lambda v: v + 1),
    "window_repeated": lambda jnp: jnp.arange(6.0).reshape(2, 3).at[:, jnp.array([0, 0])].apply(lambda v: v * 3),
    "on_scalars": lambda jnp: jnp.arange(6.0).reshape(2, 3).at[:, jnp.array([0, 0])].apply(
        lambda v: v - jnp.mean(v) + 10),
    "constant": lambda jnp: jnp.arange(5.0).at[1].apply(lambda v: 3.0),
    "weak_0d": lambda jnp: jnp.asarray(3.0).at[()].apply(lambda v: v + 1),
    "int8": lambda jnp: jnp.zeros(3, dtype=jnp.int8).at[1].apply(lambda v: v + 1),
    "bool": lambda jnp: jnp.zeros(3, dtype=jnp.bool_).at[1].apply(lambda v: ~v),
    "mask": lambda jnp: jnp.arange(3.0).at[jnp.array([True, False, True])].apply(jnp.exp),
    "complex": lambda jnp: jnp.ones(3, jnp.complex64).at[jnp.array([1, 1])].apply(lambda v: v * 1j),
    "empty_operand": lambda jnp: jnp.zeros((0,)).at[jnp.array([], dtype=jnp.int32)].apply(jnp.cos),
    "no_indices": lambda jnp: jnp.ones(3).at[jnp.array([], dtype=jnp.int32)].apply(jnp.cos),
}


@pytest.mark.parametrize("name", APPLY_CASES)
def test_at_apply(name):
    want = APPLY_CASES[name](jjnp)
    got = APPLY_CASES[name](mjnp)
    assert_close(got, want)
    assert got.aval.weak_type == want.weak_type


def test_at_apply_traced():
    x, idx = rand((2, 5), seed=9), np.array([[1, 1, 4], [0, 2, 0]], np.int32)
    got, want = both(lambda lib, jnp: lib.jit(lambda x, i: x.at[i, ::2].apply(jnp.cos)), x, 1)
    assert_close(got, want)
    got, want = both(lambda lib, jnp: lib.jit(lib.vmap(lambda x, i: x.at[i].apply(lambda v: v * 2 + 1))), x, idx)
    assert_close(got, want)
    dn = (jax.lax.ScatterDimensionNumbers, mirax.lax.ScatterDimensionNumbers)
    got, want = (lib.lax.scatter_apply(jnp.asarray(x), jnp.asarray(idx[..., None]), jnp.sin,
                                       d(update_window_dims=(), inserted_window_dims=(1,),
                                         scatter_dims_to_operand_dims=(1,), operand_batching_dims=(0,),
                                         scatter_indices_batching_dims=(0,)), update_shape=idx.shape)
                 for (lib, jnp), d in ((LIBS["mirax"], dn[1]), (LIBS["jax"], dn[0])))
    assert_close(got, want)


def test_at_apply_differentiation_refused_as_jax():
    x = rand((5,), seed=10)
    # Not differentiated with respect to the operand: as JAX, a derivative.
    got, want = both(lambda lib, jnp: lambda c: lib.jvp(lambda c: jnp.arange(5.0).at[1].apply(jnp.sin) * c,
                                                         (c,), (c,)), np.float32(2))
    assert_close(got, want)
    # Nothing indexed: x itself, differentiable (JAX's .at[] returns x before scattering).
    got, want = both(lambda lib, jnp: lib.grad(lambda x: x.at[jnp.array([], dtype=jnp.int32)].apply(jnp.sin).sum()), x)
    assert_close(got, want)
    for stack in ("grad", "jvp", "jit_grad", "vmap_grad", "grad_vmap"):
        for lib, jnp in (LIBS["jax"], LIBS["mirax"]):
            def f(x):
                return jnp.sum(x.at[jnp.array([1, 1])].apply(jnp.sin))

            g = {"grad": lambda: lib.grad(f)(x), "jvp": lambda: lib.jvp(f, (x,), (x,)),
                 "jit_grad": lambda: lib.jit(lib.grad(f))(x),
                 "vmap_grad": lambda: lib.vmap(lib.grad(f))(np.stack([x, x])),
                 "grad_vmap": lambda: lib.grad(lambda xs: lib.vmap(f)(xs).sum())(np.stack([x, x]))}[stack]
            with pytest.raises(NotImplementedError, match="scatter_apply JVP not implemented"):
                g()


def test_at_apply_func_of_the_wrong_type_raises():
    with pytest.raises(ValueError):
        jjnp.arange(5).at[1].apply(jjnp.sin)
    with pytest.raises(ValueError, match="must map a 0-d int32 value to a 0-d int32 value, got float32"):
        mjnp.arange(5).at[1].apply(mjnp.sin)
    with pytest.raises(ValueError, match=r"got float32\[2\]"):
        mjnp.arange(5.0).at[1].apply(lambda v: mjnp.stack([v, v]))


# Scatter multiply/divide differentiated in the values: JAX promises unique indices for
# ints, 0-d arrays and slices (so the gradient exists) but not for arrays of rank >= 1 or
# booleans (so it refuses), whatever their length.
UNIQUE_CASES = {
    "slice": lambda jnp, v, i: jnp.ones(3).at[1:].multiply(v),
    "reversed_slices": lambda jnp, v, i: jnp.arange(1., 13.).reshape(3, 4).at[::-1, -4:-1].divide(v),
    "int_and_slice": lambda jnp, v, i: jnp.arange(1., 13.).reshape(3, 4).at[1, ::2].multiply(v),
    "traced_0d": lambda jnp, v, i: jnp.arange(1., 4.).at[i].multiply(v),
    "array_of_one": lambda jnp, v, i: jnp.arange(1., 4.).at[jnp.reshape(i, (1,))].multiply(v),
    "scalar_bool": lambda jnp, v, i: jnp.arange(1., 4.).at[True].multiply(v),
}


@pytest.mark.parametrize("name", UNIQUE_CASES)
def test_scatter_multiply_gradient_needs_unique_indices_as_jax(name):
    def run(lib, jnp):
        fn = lib.jit(lib.grad(lambda v, i: jnp.sum(UNIQUE_CASES[name](jnp, v, i))))
        try:
            return fn(2.0, jnp.asarray(1))
        except NotImplementedError as e:
            return type(e), str(e).splitlines()[0]

    want, got = run(jax, jjnp), run(mirax, mjnp)
    if isinstance(want, tuple):
        assert got == want
    else:
        assert_close(got, want)


GATHER_MODES = [None, "clip", "fill", "promise_in_bounds", "drop"]


@pytest.mark.parametrize("mode", GATHER_MODES)
def test_out_of_range_gathers_and_their_transposes_follow_the_mode_as_jax(mode):
    """A gather clamps an out-of-range index by default (PROMISE_IN_BOUNDS), and its
    transpose drops it, as XLA and JAX do; 'clip' clamps both ways, 'fill'/'drop' fill
    and drop (fuzzer finding: mirax's gradient clamped where JAX's drops)."""
    def results(m):
        x = m.numpy.array([[1.0, 2.0, 3.0]])
        get = lambda x: x.at[:, m.numpy.array([5])].get(mode=mode)  # noqa: E731
        dn = m.lax.GatherDimensionNumbers(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1,))
        gather = lambda x: m.lax.gather(x, m.numpy.array([[5]]), dn, (1, 1),  # noqa: E731
                                        mode=None if mode == "drop" else mode)
        add = lambda v: x.at[:, m.numpy.array([5])].add(v, mode=None if mode == "fill" else mode)  # noqa: E731
        return (get(x), m.grad(lambda x: get(x).sum())(x), m.jit(m.grad(lambda x: gather(x).sum()))(x),
                m.vmap(gather)(m.numpy.stack([x, x])), add(1.0), m.grad(lambda v: add(v).sum())(1.0))

    check(results(mirax), results(jax))


@pytest.mark.parametrize("method", ["set", "add", "mul", "min", "max"])
@pytest.mark.parametrize("jit", [False, True])
def test_scatter_into_an_empty_operand_changes_nothing_as_jax(method, jit):
    """Every update of a zero-size operand is out of range: the result is the operand.
    The lowering read the element it clamped to, of an empty buffer: a segfault."""
    def make(lib, jnp):
        update = lambda x: getattr(x.at[np.array([0, 1])], method)(2.0)
        return lib.jit(update) if jit else update
    got, want = both(make, np.zeros((0, 2), np.float32))
    check(got, want)
    args = (np.zeros((0, 2), np.float32), np.array([[0], [1]]), np.ones((2, 2), np.float32))
    got, want = (lib.lax.scatter_add(*args, lib.lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))) for lib in (mirax, jax))
    check(got, want)
