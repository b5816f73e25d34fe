"""mirax.numpy's shape functions (numpy/_shape.py) against jax.numpy, eagerly and under
mirax.jit: each case is a function of the numpy module (mirax.numpy or jax.numpy) and
its input arrays, run on random values of several dtypes, 0-d and empty shapes included.
"""
import warnings

import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from oracle import check

DTYPES = tuple(map(np.dtype, (np.float32, np.int32, np.bool_, np.complex64)))


def rand(shape, dtype=np.dtype(np.float32), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-100, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)



def run_both(fn, inputs, jit):
    """fn(jnp, *arrays) for mirax (eagerly or jitted) and for jax.numpy, the oracle."""
    want = fn(jjnp, *(jjnp.asarray(x) for x in inputs))
    mine = [jnp.asarray(x) for x in inputs]
    got = mirax.jit(lambda *xs: fn(jnp, *xs))(*mine) if jit else fn(jnp, *mine)
    check(got, want)


# (name, input shapes, fn(np_module, *arrays))
CASES = [
    ("reshape", [(2, 3, 4)], lambda m, x: m.reshape(x, (4, -1))),
    ("reshape_int", [(2, 3, 4)], lambda m, x: m.reshape(x, 24)),
    ("reshape_0d", [()], lambda m, x: m.reshape(x, (1, 1))),
    ("reshape_empty", [(0, 3)], lambda m, x: m.reshape(x, (-1, 1, 3))),
    ("ravel", [(2, 3, 4)], lambda m, x: m.ravel(x)),
    ("ravel_0d", [()], lambda m, x: m.ravel(x)),
    ("transpose", [(2, 3, 4)], lambda m, x: m.transpose(x)),
    ("transpose_axes", [(2, 3, 4)], lambda m, x: m.transpose(x, (-1, 0, 1))),
    ("swapaxes", [(2, 3, 4)], lambda m, x: m.swapaxes(x, 0, -1)),
    ("moveaxis", [(2, 3, 4)], lambda m, x: m.moveaxis(x, 0, -1)),
    ("moveaxis_many", [(2, 3, 4)], lambda m, x: m.moveaxis(x, (0, 1), (2, 0))),
    ("squeeze", [(1, 3, 1)], lambda m, x: m.squeeze(x)),
    ("squeeze_axis", [(1, 3, 1)], lambda m, x: m.squeeze(x, axis=-1)),
    ("squeeze_0d", [()], lambda m, x: m.squeeze(x)),
    ("expand_dims", [(2, 3)], lambda m, x: m.expand_dims(x, -1)),
    ("expand_dims_many", [(2, 3)], lambda m, x: m.expand_dims(x, (0, 3))),
    ("atleast_1d", [(), (3,)], lambda m, x, y: m.atleast_1d(x, y)),
    ("atleast_2d", [(), (3,), (2, 3)], lambda m, *xs: m.atleast_2d(*xs)),
    ("atleast_3d", [(), (3,), (2, 3), (1, 2, 3)], lambda m, *xs: m.atleast_3d(*xs)),
    ("broadcast_to", [(3,)], lambda m, x: m.broadcast_to(x, (2, 3))),
    ("broadcast_arrays", [(3, 1), (4,), ()], lambda m, *xs: m.broadcast_arrays(*xs)),
    ("stack", [(2, 3), (2, 3)], lambda m, x, y: m.stack([x, y])),
    ("stack_last", [(2, 3), (2, 3), (2, 3)], lambda m, *xs: m.stack(xs, axis=-1)),
    ("stack_0d", [(), ()], lambda m, x, y: m.stack([x, y])),
    ("stack_array", [(3, 2)], lambda m, x: m.stack(x, axis=1)),
    ("vstack", [(3,), (3,)], lambda m, x, y: m.vstack([x, y])),
    ("vstack_2d", [(2, 3), (1, 3)], lambda m, x, y: m.vstack([x, y])),
    ("vstack_array", [(4, 3)], lambda m, x: m.vstack(x)),
    ("hstack", [(3,), (2,)], lambda m, x, y: m.hstack([x, y])),
    ("hstack_2d", [(2, 3), (2, 1)], lambda m, x, y: m.hstack((x, y))),
    ("dstack", [(3,), (3,)], lambda m, x, y: m.dstack([x, y])),
    ("column_stack", [(3,), (3, 2)], lambda m, x, y: m.column_stack([x, y])),
    ("concatenate", [(2, 3), (4, 3)], lambda m, x, y: m.concatenate([x, y])),
    ("concatenate_axis", [(2, 3), (2, 0), (2, 1)], lambda m, *xs: m.concatenate(xs, axis=-1)),
    ("concatenate_none", [(2, 3), (4,)], lambda m, x, y: m.concatenate([x, y], axis=None)),
    ("append", [(2, 3), (2, 3)], lambda m, x, y: m.append(x, y)),
    ("append_axis", [(2, 3), (1, 3)], lambda m, x, y: m.append(x, y, axis=0)),
    ("split", [(6, 2)], lambda m, x: m.split(x, 3)),
    ("split_indices", [(6, 2)], lambda m, x: m.split(x, [1, 4], axis=0)),
    ("split_axis", [(2, 6)], lambda m, x: m.split(x, [2, 2, 5], axis=1)),
    ("array_split", [(7,)], lambda m, x: m.array_split(x, 3)),
    ("array_split_more", [(2,)], lambda m, x: m.array_split(x, 4)),
    ("tile", [(2, 3)], lambda m, x: m.tile(x, 2)),
    ("tile_more_dims", [(2, 3)], lambda m, x: m.tile(x, (2, 1, 3))),
    ("tile_0d", [()], lambda m, x: m.tile(x, (2, 2))),
    ("repeat", [(2, 3)], lambda m, x: m.repeat(x, 2)),
    ("repeat_axis", [(2, 3)], lambda m, x: m.repeat(x, 3, axis=0)),
    ("repeat_counts", [(2, 3)], lambda m, x: m.repeat(x, np.array([1, 0, 2]), axis=1)),
    ("repeat_total", [(4,)], lambda m, x: m.repeat(x, np.array([2, 1, 0, 3]), total_repeat_length=4)),
    ("repeat_total_longer", [(3,)], lambda m, x: m.repeat(x, 2, total_repeat_length=8)),
    ("roll", [(2, 3)], lambda m, x: m.roll(x, 2)),
    ("roll_axis", [(2, 5)], lambda m, x: m.roll(x, -7, axis=1)),
    ("roll_axes", [(2, 5)], lambda m, x: m.roll(x, (1, 3), axis=(0, 1))),
    ("roll_empty", [(0, 3)], lambda m, x: m.roll(x, 1, axis=0)),
    ("flip", [(2, 3)], lambda m, x: m.flip(x)),
    ("flip_axis", [(2, 3, 4)], lambda m, x: m.flip(x, (0, 2))),
    ("fliplr", [(2, 3)], lambda m, x: m.fliplr(x)),
    ("flipud", [(2, 3)], lambda m, x: m.flipud(x)),
    ("pad_int", [(2, 3)], lambda m, x: m.pad(x, 1)),
    ("pad_pair", [(2, 3)], lambda m, x: m.pad(x, (1, 2), constant_values=7)),
    ("pad_per_axis", [(2, 3)], lambda m, x: m.pad(x, ((0, 1), (2, 0)), constant_values=((1, 2), (3, 4)))),
    ("pad_0d", [()], lambda m, x: m.pad(x, 2)),
    ("pad_empty", [(0, 2)], lambda m, x: m.pad(x, ((1, 1), (0, 0)))),
    ("pad_edge", [(2, 3)], lambda m, x: m.pad(x, ((2, 1), (0, 3)), mode="edge")),
    ("pad_reflect", [(2, 3)], lambda m, x: m.pad(x, ((1, 1), (2, 7)), mode="reflect")),
    ("pad_reflect_one", [(1, 3)], lambda m, x: m.pad(x, ((2, 1), (0, 0)), mode="reflect")),
    ("pad_symmetric", [(2, 3)], lambda m, x: m.pad(x, ((3, 1), (4, 8)), mode="symmetric")),
    ("pad_wrap", [(2, 3)], lambda m, x: m.pad(x, ((5, 0), (3, 7)), mode="wrap")),
]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_shape_function(case, jit):
    _, shapes, fn = case
    run_both(fn, [rand(s, seed=i) for i, s in enumerate(shapes)], jit)


DTYPE_CASES = [c for c in CASES if c[0] in (
    "reshape", "reshape_empty", "transpose_axes", "broadcast_to", "stack", "concatenate_axis", "tile",
    "repeat_counts", "roll_axes", "flip_axis", "pad_per_axis", "pad_empty", "pad_wrap",
)]


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
@pytest.mark.parametrize("case", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_shape_function_dtypes(case, dtype):
    _, shapes, fn = case
    run_both(fn, [rand(s, dtype, seed=i) for i, s in enumerate(shapes)], jit=False)


def test_concatenate_promotes_like_jax():
    run_both(lambda m, x, y: m.concatenate([x, y, m.asarray(y, m.int32)]), [rand((2,)), rand((3,))], jit=False)
    check(jnp.stack([1, 2.5]), jjnp.stack([1, 2.5]))
    check(jnp.concatenate([np.arange(3), np.ones(2, np.float32)], dtype=np.float32),
          jjnp.concatenate([np.arange(3), np.ones(2, np.float32)], dtype=np.float32))


def test_split_indices_out_of_range_as_numpy():
    """NumPy's split takes indices past the end and negative ones (Python slicing); JAX rejects them."""
    x = rand((6, 2))
    check(jnp.split(jnp.asarray(x), [1, 4, 10]), np.split(x, [1, 4, 10]))
    check(jnp.split(jnp.asarray(x), [-2, 3]), np.split(x, [-2, 3]))


def test_concatenate_many_arrays():
    rows = [rand((3,), seed=i) for i in range(37)]
    check(jnp.stack(rows), np.stack(rows))
    check(jnp.concatenate(rows), np.concatenate(rows))


@pytest.mark.filterwarnings("ignore:.*requires ndarray:DeprecationWarning")  # JAX, for lists
def test_shape_queries():
    for m in (jnp, jjnp):
        x = m.zeros((2, 0, 3))
        assert (m.shape(x), m.ndim(x), m.size(x), m.size(x, 2), m.size(x, (0, 2))) == ((2, 0, 3), 3, 0, 3, 6)
        assert (m.shape([[1, 2]]), m.ndim(1.0), m.size([[1, 2, 3]])) == ((1, 2), 0, 3)
    assert jnp.broadcast_shapes((3, 1), (4,), ()) == jjnp.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    assert jnp.broadcast_shapes(5, (2, 1)) == (2, 5)


def test_array_of_tracers_uses_stack():
    f = mirax.jit(lambda x, y: jnp.array([x, y, x * y]))
    check(f(jnp.float32(2), jnp.float32(3)), np.array([2, 3, 6], np.float32))


def test_vstack_of_one_tuples_warns_as_jax_did():
    """The seeds' loop_mjp: jnp.vstack([vjp_fun(mi) for mi in M]), vjp_fun returning 1-tuples."""
    rows = [rand((3,), seed=i) for i in range(4)]
    with pytest.warns(DeprecationWarning) as record:
        got = jnp.vstack([(jnp.asarray(r),) for r in rows])
    assert len(record) == 1
    assert str(record[0].message) == ("vstack requires ndarray or scalar arguments, got <class 'tuple'> at position 0. "
                                      "In a future JAX release this will be an error.")
    assert record[0].filename == __file__  # points at the user's line
    check(got, np.vstack(rows))


# ----------------------------------------------------------------------------- errors


def test_reshape_error_names_shapes_and_source_line():
    with pytest.raises(TypeError) as info:
        jnp.reshape(jnp.zeros((2, 3)), (4, 2))
    message = str(info.value)
    assert "(2, 3)" in message and "(4, 2)" in message and "test_numpy_shape.py" in message
    with pytest.raises(TypeError, match="test_numpy_shape.py"):
        mirax.jit(lambda x: jnp.reshape(x, (-1, 4)))(jnp.zeros(6))
    with pytest.raises(TypeError):
        jnp.reshape(jnp.zeros((0, 3)), (-1, 0))  # -1 is ambiguous
    with pytest.raises(TypeError, match="requires ndarray"):
        jnp.reshape([1, 2], (2,))  # JAX's rule: lists are not arrays here
    with pytest.raises(NotImplementedError):
        jnp.reshape(jnp.zeros(4), (2, 2), order="F")


@pytest.mark.parametrize("fn, error", [
    (lambda m: m.concatenate([m.zeros(()), m.zeros(())]), ValueError),
    (lambda m: m.concatenate([]), ValueError),
    (lambda m: m.stack([m.zeros(2), m.zeros(3)]), ValueError),
    (lambda m: m.split(m.zeros(5), 2), ValueError),
    (lambda m: m.broadcast_to(m.zeros(3), (4,)), ValueError),
    (lambda m: m.broadcast_shapes((2,), (3,)), ValueError),
    (lambda m: m.squeeze(m.zeros((2, 1)), 0), ValueError),
    (lambda m: m.transpose(m.zeros((2, 1)), (0, 0)), TypeError),
    (lambda m: m.moveaxis(m.zeros((2, 1)), 0, 5), ValueError),
    (lambda m: m.pad(m.zeros(2), -1), ValueError),
    (lambda m: m.pad(m.zeros(0), 1, mode="edge"), ValueError),
    (lambda m: m.fliplr(m.zeros(3)), ValueError),
    (lambda m: m.expand_dims(m.zeros(3), 3), ValueError),
], ids=["concat_0d", "concat_none", "stack_shapes", "split_unequal", "broadcast_to", "broadcast_shapes",
        "squeeze_non1", "transpose_repeat", "moveaxis_range", "pad_negative", "pad_edge_empty", "fliplr_1d",
        "expand_dims_range"])
def test_errors_like_jax(fn, error):
    for m in (jjnp, jnp):
        with pytest.raises(error):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(m)


def test_static_arguments_must_be_concrete():
    with pytest.raises(TypeError, match="concrete"):
        mirax.jit(lambda x, n: jnp.tile(x, n))(jnp.zeros(2), 2)
