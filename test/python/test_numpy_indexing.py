"""mirax.numpy indexing (numpy/_indexing.py): x[idx] for a table of index expressions,
eagerly and under mirax.jit, x.at[idx] updates, take and the index helpers, against
jax.numpy (the oracle; out-of-bounds behaviour is JAX's) and NumPy where they agree.
"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.core import ConcretizationTypeError
from mirax.numpy._indexing import NonConcreteBooleanIndexError
from oracle import check

SHAPE = (3, 4, 5)
rng = np.random.default_rng(0)
X = rng.standard_normal(SHAPE).astype(np.float32)


def rand(shape, dtype):
    values = np.random.default_rng(1).standard_normal(shape) * 10
    if dtype == np.bool_:
        return values > 0
    if dtype.kind == "c":
        return (values + 1j * values[..., ::-1]).astype(dtype)
    return values.astype(dtype)



MASK0 = np.array([True, False, True])
MASK1 = np.array([False, True, True, False])
MASK01 = X[:, :, 0] > 0

# (name, index): in bounds, so NumPy and JAX agree
INDICES = [
    ("int", 1),
    ("negative_int", -1),
    ("ints", (2, -1, 0)),
    ("numpy_ints", (np.int32(1), np.uint8(2))),
    ("0d_array", np.array(2)),
    ("slice", np.s_[1:]),
    ("slice_step", np.s_[::2]),
    ("slice_negative_step", np.s_[::-1]),
    ("slices_mixed", np.s_[1:3, ::-2, -4:-1:2]),
    ("slice_negative_start_step", np.s_[-1:0:-2]),
    ("empty_slice", np.s_[2:1]),
    ("empty_negative_slice", np.s_[:, 1:3:-1]),
    ("past_end", np.s_[5:]),
    ("int_and_slice", np.s_[::-2, 1]),
    ("ellipsis", np.s_[..., 1]),
    ("ellipsis_middle", np.s_[1, ..., ::-3]),
    ("newaxis", np.s_[None]),
    ("newaxes", np.s_[None, 1, None, ::2]),
    ("newaxis_end", np.s_[..., None]),
    ("empty_tuple", ()),
    ("array", np.array([2, 0])),
    ("array_2d", np.array([[0, 1], [2, -1]])),
    ("array_duplicates", np.array([2, 0, 2])),
    ("array_empty", np.array([], np.int32)),
    ("list_in_tuple", (slice(None), [1, -1])),
    ("arrays_contiguous", np.s_[:, [0, 1], [1, 2]]),
    ("arrays_separated", np.s_[[0, 1], :, [1, 2]]),
    ("int_and_array_separated", np.s_[1, :, [0, 3]]),
    ("int_and_array_adjacent", np.s_[:, 1, [0, 3]]),
    ("arrays_broadcast", np.s_[[[0], [2]], [1, 3]]),
    ("newaxis_between_arrays", np.s_[[0, 1], None, [1, 2]]),
    ("newaxis_and_arrays", np.s_[None, [0, 1], [1, 2], None]),
    ("ellipsis_array", np.s_[..., [0, -1]]),
    ("ellipsis_between_arrays", np.s_[[0, 2], ..., [1, 4]]),
    ("array_and_slices", np.s_[[0, 1], ::-1, 1:4:2]),
    ("uint_array", (np.array([2, 0], np.uint8),)),
    ("mask_full", X > 0),
    ("mask_first", MASK0),
    ("mask_second", np.s_[:, MASK1]),
    ("mask_2d", MASK01),
    ("mask_and_int", np.s_[1, MASK1, ::2]),
    ("mask_and_array", np.s_[MASK0, :, [0, 4]]),
    ("true", True),
    ("false", False),
    ("true_after", np.s_[1, True]),
]
IDS = [name for name, _ in INDICES]


@pytest.mark.parametrize("name, index", INDICES, ids=IDS)
def test_getitem_eager(name, index):
    want = X[index]
    check(jjnp.asarray(X)[index], want)  # the oracle agrees with NumPy here
    check(jnp.asarray(X)[index], want)


@pytest.mark.parametrize("name, index", [c for c in INDICES if not c[0].startswith(("mask", "true", "false"))],
                         ids=[n for n in IDS if not n.startswith(("mask", "true", "false"))])
def test_getitem_jit(name, index):
    check(mirax.jit(lambda x: x[index])(jnp.asarray(X)), X[index])


def test_getitem_concrete_mask_closed_over_by_jit():
    check(mirax.jit(lambda x: x[MASK0])(jnp.asarray(X)), X[MASK0])


@pytest.mark.parametrize("index", [
    np.int32(2), np.int32(-1), np.array([2, -3, 0], np.int32), np.array([[1], [0]], np.uint8)
], ids=["int", "negative_int", "array", "uint_array"])
def test_getitem_traced_index(index):
    f = mirax.jit(lambda x, i: (x[i], x[:, i, ::2], x[i, ..., i]))
    check(f(jnp.asarray(X), index), jax.jit(lambda x, i: (x[i], x[:, i, ::2], x[i, ..., i]))(X, index))


@pytest.mark.parametrize("index", [
    10, -10, (1, 100), np.array([10, -10, 1]), np.s_[:, [-5, 4, 9]], np.s_[1, [7], 2:-9]
], ids=["int", "negative_int", "ints", "array", "array_second", "mixed"])
def test_out_of_bounds_clamps_as_jax(index):
    want = jjnp.asarray(X)[index]
    check(jnp.asarray(X)[index], want)
    check(mirax.jit(lambda x: x[index])(jnp.asarray(X)), want)


def test_out_of_bounds_traced_index_clamps_as_jax():
    f = mirax.jit(lambda x, i: x[i, 1])
    for i in (7, -9):
        check(f(jnp.asarray(X), np.int32(i)), jjnp.asarray(X)[i, 1])


def test_getitem_0d_and_empty_arrays():
    for x in (np.float32(3.5), np.zeros((0, 3), np.float32), np.zeros((2, 0), np.float32)):
        for index in [(), Ellipsis, None, (None, Ellipsis), True]:
            check(jnp.asarray(x)[index], jjnp.asarray(x)[index])
    empty = np.zeros((0, 3), np.float32)
    for index in [np.s_[:, 1], np.s_[::-1, [0, 2]], np.array([], np.int32)]:
        check(jnp.asarray(empty)[index], empty[index])


DTYPE_INDICES = [("int", 1), ("slices_mixed", np.s_[1:3, ::-2, -4:-1:2]), ("newaxes", np.s_[None, 1, None, ::2]),
                 ("arrays_separated", np.s_[[0, 1], :, [1, 2]]), ("mask_2d", MASK01)]


@pytest.mark.parametrize("dtype", [np.dtype(t) for t in (np.int32, np.bool_, np.complex64)], ids=str)
@pytest.mark.parametrize("name, index", DTYPE_INDICES, ids=[n for n, _ in DTYPE_INDICES])
def test_getitem_dtypes(name, index, dtype):
    x = rand(SHAPE, dtype)
    check(jnp.asarray(x)[index], x[index])


def test_iteration_and_array_methods():
    x = jnp.asarray(X)
    check(list(x), list(jjnp.asarray(X)))
    check(x.take(np.array([3, 0]), axis=1), X.take([3, 0], axis=1))


# ----------------------------------------------------------------------------- x.at[idx]

UPDATE_INDICES = [
    ("int", 1, ()),
    ("negative_int", -1, (4, 5)),
    ("slices", np.s_[1:3, ::-2], (2, 1, 5)),
    ("newaxis", np.s_[None, 1, :, 2], (1, 4)),
    ("duplicates", np.array([0, 2, 0, 0]), (4, 1, 5)),
    ("arrays_separated", np.s_[[0, 0], :, [1, 1]], (2, 4)),
    ("arrays_broadcast", np.s_[[[0], [2]], [1, 1]], (2, 2, 5)),
    ("out_of_bounds", np.s_[[1, 10, -10], 1], (3, 5)),
    ("out_of_bounds_int", 3, ()),
    ("mask", MASK01, (int(MASK01.sum()), 5)),
    ("everything", np.s_[...], ()),
]
OPS = ["set", "add", "subtract", "multiply", "min", "max", "divide", "power", "get"]
# every index with set, add and get; every op with the indices that repeat or drop
UPDATES = [(case, op) for case in UPDATE_INDICES for op in OPS
           if op in ("set", "add", "get") or case[0] in ("duplicates", "arrays_broadcast", "out_of_bounds")]


@pytest.mark.parametrize("case, op", UPDATES, ids=[f"{case[0]}-{op}" for case, op in UPDATES])
def test_at_updates_against_jax(case, op):
    name, index, value_shape = case
    values = rand(value_shape, np.dtype(np.float32)) / 10  # powers of repeated indices stay in range
    x = np.abs(X) + 1  # positive, so that power is defined
    args = () if op == "get" else (values,)
    want = getattr(jjnp.asarray(x).at[index], op)(*args)
    got = getattr(jnp.asarray(x).at[index], op)(*args)
    if op == "power":  # x ** y: its last bits may differ from XLA's
        assert (got.shape, got.dtype) == (want.shape, want.dtype)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)
    else:
        check(got, want)


@pytest.mark.parametrize("name, index, value_shape", UPDATE_INDICES[:-2], ids=[c[0] for c in UPDATE_INDICES[:-2]])
def test_at_updates_jit_with_traced_values(name, index, value_shape):
    def f(m, x, v):
        return x.at[index].set(v), x.at[index].add(v), x.at[index].max(v)

    values = rand(value_shape, np.dtype(np.float32))
    check(mirax.jit(lambda x, v: f(jnp, x, v))(jnp.asarray(X), values), f(jjnp, jjnp.asarray(X), values))


def test_at_traced_indices():
    def f(x, i, v):
        return x.at[i].add(v), x.at[1, i].set(v), x.at[i, ::-1, 0].get()

    i = np.array([2, 0, 2, -1, 9], np.int32)
    check(mirax.jit(f)(jnp.asarray(X), i, np.float32(2)), jax.jit(f)(X, i, np.float32(2)))


def test_at_repeated_indices_accumulate():
    x = jnp.zeros(3, jnp.int32)
    check(x.at[np.array([0, 0, 2, 0])].add(1), np.array([3, 0, 1], np.int32))
    check(x.at[np.array([1, 1])].add(np.array([5, 7], np.int32)), np.array([0, 12, 0], np.int32))


@pytest.mark.parametrize("dtype", [np.dtype(t) for t in (np.int32, np.bool_)], ids=str)
def test_at_updates_dtypes(dtype):
    x, v = rand((4, 3), dtype), rand((2, 3), dtype)
    for op in ("set", "min", "max") if dtype == np.bool_ else ("set", "add", "multiply", "min", "max"):
        got = getattr(jnp.asarray(x).at[np.array([3, 1])], op)(v)
        check(got, getattr(jjnp.asarray(x).at[np.array([3, 1])], op)(v))


def test_at_promotes_then_casts_back_as_jax():
    x = np.arange(5, dtype=np.int32)
    with pytest.warns(FutureWarning, match="scatter inputs have incompatible types") as record:
        got = jnp.asarray(x).at[1].add(2.7)
    assert record[0].filename == __file__
    with pytest.warns(FutureWarning):
        want = jjnp.asarray(x).at[1].add(2.7)
    check(got, want)
    check(jnp.asarray(x).at[2].set(7), jjnp.asarray(x).at[2].set(7))


def test_at_modes():
    x = jnp.arange(5.0)
    check(x.at[20].add(10, mode="clip"), jjnp.arange(5.0).at[20].add(10, mode="clip"))
    check(x.at[np.array([20, 1])].get(mode="fill"), jjnp.arange(5.0).at[np.array([20, 1])].get(mode="fill"))
    check(x.at[20].get(mode="fill", fill_value=-1), jjnp.arange(5.0).at[20].get(mode="fill", fill_value=-1))
    check(x.at[20].get(), jjnp.arange(5.0).at[20].get())


def test_seed_butter_limit_update():
    """The second seed's custom VJP: grad_in.at[0].set(clipped_butter_grad)."""
    def bwd(m, grad_in):
        return grad_in.at[0].set(m.clip(grad_in[0], -0.1, 0.1))

    g = np.array([0.5, -0.2, 0.3], np.float32)
    check(bwd(jnp, jnp.asarray(g)), bwd(jjnp, jjnp.asarray(g)))
    check(mirax.jit(lambda v: bwd(jnp, v))(g), bwd(jjnp, jjnp.asarray(g)))


# ----------------------------------------------------------------------------- take and helpers


@pytest.mark.parametrize("mode", [None, "fill", "clip", "wrap"])
def test_take(mode):
    indices = np.array([[0, 4], [-1, 7]], np.int32)
    for axis in (None, 1, -1):
        check(jnp.take(jnp.asarray(X), indices, axis=axis, mode=mode),
              jjnp.take(X, indices, axis=axis, mode=mode))
    check(mirax.jit(lambda x, i: jnp.take(x, i, axis=2, mode=mode))(X, indices),
          jjnp.take(X, indices, axis=2, mode=mode))
    check(jnp.take(jnp.asarray(X), 2), jjnp.take(X, 2))


def test_take_along_axis():
    order = np.argsort(X, axis=1).astype(np.int32)
    for axis, idx in ((1, order), (-1, order[:1, :, :2]), (0, np.array([[[2]], [[0]]], np.int32)),
                      (None, order.ravel()), (1, order[:, :1] - 2)):
        check(jnp.take_along_axis(jnp.asarray(X), idx, axis), jjnp.take_along_axis(X, idx, axis))
    f = mirax.jit(lambda x, i: jnp.take_along_axis(x, i, axis=1))
    check(f(X, order), np.take_along_axis(X, order, axis=1))


def test_nonzero_and_argwhere():
    a = np.array([[0, 1, 0], [3, 0, 5]], np.int32)
    check(jnp.nonzero(a), jjnp.nonzero(a))
    check(jnp.nonzero(a, size=5, fill_value=-1), jjnp.nonzero(a, size=5, fill_value=-1))
    check(jnp.nonzero(a, size=2), jjnp.nonzero(a, size=2))
    check(jnp.nonzero(np.zeros(4, bool)), jjnp.nonzero(np.zeros(4, bool)))
    check(jnp.asarray(a).nonzero(), jjnp.asarray(a).nonzero())
    check(jnp.argwhere(a), jjnp.argwhere(a))
    check(jnp.argwhere(a, size=4, fill_value=9), jjnp.argwhere(a, size=4, fill_value=9))
    check(jnp.argwhere(np.float32(2)), jjnp.argwhere(np.float32(2)))
    with pytest.raises(ConcretizationTypeError, match="nonzero"):
        mirax.jit(lambda m: jnp.nonzero(m))(np.array([True]))


def test_index_helpers():
    check(jnp.indices((2, 3)), jjnp.indices((2, 3)))
    check(jnp.indices((2, 0, 1), sparse=True), jjnp.indices((2, 0, 1), sparse=True))
    check(jnp.indices(()), jjnp.indices(()))
    check(jnp.ix_(np.array([0, 2]), np.array([1, 3, 4])), jjnp.ix_(np.array([0, 2]), np.array([1, 3, 4])))
    check(jnp.asarray(X)[jnp.ix_(np.array([0, 2]), np.array([1, 3]))], X[np.ix_([0, 2], [1, 3])])
    check(jnp.diag_indices(3), jjnp.diag_indices(3))
    check(jnp.diag_indices(2, ndim=3), jjnp.diag_indices(2, ndim=3))
    for k, m in ((0, None), (1, None), (-1, 5)):
        check(jnp.tril_indices(4, k, m), jjnp.tril_indices(4, k, m))
        check(jnp.triu_indices(4, k, m), jjnp.triu_indices(4, k, m))


def test_select():
    x = jnp.asarray(X[0])
    conds = lambda m, x: [x > 0.5, x < -0.5, x > 0]  # noqa: E731
    for default in (0, 7.5):
        check(jnp.select(conds(jnp, x), [x, -x, 2 * x], default),
              jjnp.select(conds(jjnp, X[0]), [X[0], -X[0], 2 * X[0]], default))
    check(mirax.jit(lambda x: jnp.select(conds(jnp, x), [x, 1, 2], 3))(X[0]),
          jjnp.select(conds(jjnp, X[0]), [X[0], 1, 2], 3))
    with pytest.raises(ValueError):
        jnp.select([x > 0], [])


# ----------------------------------------------------------------------------- errors


def test_boolean_mask_under_jit_is_a_clear_error():
    with pytest.raises(NonConcreteBooleanIndexError) as info:
        mirax.jit(lambda x: x[x > 0])(X)
    assert isinstance(info.value, IndexError)
    message = str(info.value)
    assert "boolean indices must be concrete" in message and "bool[3,4,5]" in message
    assert "test_numpy_indexing.py" in message
    with pytest.raises(NonConcreteBooleanIndexError):
        mirax.jit(lambda x, m: x.at[m].set(0))(X, MASK0)


@pytest.mark.parametrize("index, error", [
    ((0, 0, 0, 0), IndexError),
    ((Ellipsis, 0, Ellipsis), IndexError),
    (1.0, TypeError),
    (np.array([1.0]), TypeError),
    ("a", TypeError),
    ([0, 1], TypeError),
    (np.array([True, False]), IndexError),
    (object(), IndexError),
], ids=["too_many", "two_ellipses", "float", "float_array", "string", "top_level_list", "mask_shape", "object"])
def test_index_errors_like_jax(index, error):
    with pytest.raises(error):
        jjnp.asarray(X)[index]
    with pytest.raises(error):
        jnp.asarray(X)[index]


def test_int_index_into_empty_axis_raises_index_error_as_jax():
    """JAX clamps out-of-range indices (see test_out_of_bounds_clamps_as_jax); the one
    static case it rejects is an axis of size 0, where no element can be clamped to."""
    for m in (jjnp, jnp):
        with pytest.raises(IndexError, match="size 0"):
            m.zeros((0, 3))[0]
    with pytest.raises(IndexError, match="test_numpy_indexing.py"):
        mirax.jit(lambda x: x[:, 0])(np.zeros((2, 0), np.float32))


@pytest.mark.parametrize("shape, index", [
    ((0, 0), (slice(0, 1, 2), np.array([0]))),  # fuzzer finding, seed 2323232 case 1645
    ((0, 0), (slice(None), np.array([0]))),
    ((0, 3), (slice(None), np.array([1]))),
    ((0,), (np.array([], np.int32),)),
    ((2, 0, 3), (slice(None), np.array([[0], [0]]), slice(3, 3))),
])
def test_array_index_into_empty_axis_with_empty_result_as_jax(shape, index):
    """JAX answers an empty x[idx] with zeros before gathering, so an integer array on
    an axis of size 0 is fine when the result is empty."""
    x = np.zeros(shape, np.int32)
    want = jjnp.asarray(x)[index]
    for got in (jnp.asarray(x)[index], mirax.jit(lambda x: x[index])(x)):
        assert got.shape == want.shape and got.dtype == want.dtype


@pytest.mark.parametrize("shape, index", [((3, 0), (slice(None), np.array([0, 2]))), ((0,), (np.array([0, 2]),)),
                                          ((2, 0, 3), (slice(None), np.array([[0], [0]]), slice(1, 3)))])
def test_array_index_into_empty_axis_with_a_nonempty_result_raises_as_jax(shape, index):
    for m in (jjnp, jnp):
        with pytest.raises(TypeError):
            m.zeros(shape)[index]


def test_traced_slice_bound_is_an_error():
    with pytest.raises(IndexError, match="Slice entries must be static integers"):
        mirax.jit(lambda x, i: x[i:])(X, np.int32(1))
