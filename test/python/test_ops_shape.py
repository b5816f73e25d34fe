"""The shape ops (dialect/shape.py) through mirax.lax on concrete arrays (each op
compiled and run eagerly), checked against NumPy, and against jax.lax where XLA's
semantics have no NumPy counterpart (dynamic_slice clamping, pad with negative or
interior padding); a few compositions also run under mirax.jit.

Shapes include 0-d and empty arrays. The lowerings do not depend on the dtype beyond
its element type, so each case runs on two dtypes, taken in turn from DTYPES so that
every op meets every dtype (this keeps the number of compiled programs low).
"""
import functools

import jax
import numpy as np
import pytest
from jax import lax as jlax

import mirax
from mirax import lax
from mirax.core import Array
from oracle import check

DTYPES = tuple(map(np.dtype, (np.float32, np.int32, np.bool_, np.uint8, np.complex64, np.float16)))
INDEX_DTYPES = tuple(map(np.dtype, (np.int8, np.uint8, np.int32, np.int64)))


pytestmark = pytest.mark.usefixtures("x64")


def with_dtypes(cases):
    """(case, dtype) pairs: two dtypes per case, in turn through DTYPES."""
    return [(case, DTYPES[(2 * i + j) % len(DTYPES)]) for i, case in enumerate(cases) for j in range(2)]


def rand(rng, shape, dtype):
    if dtype == np.bool_:
        x = rng.random(shape) < 0.5
    elif dtype.kind == "c":
        x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    elif dtype.kind in "iu":
        x = rng.integers(0 if dtype.kind == "u" else -100, 100, shape)
    else:
        x = rng.standard_normal(shape)
    return np.asarray(x, dtype)



def ids(pairs):
    return [f"{case}-{dtype}" for case, dtype in pairs]


# ----------------------------------------------------------------------------- static slices

SLICES = [  # shape, start, limit, strides
    ((), (), (), ()),
    ((7,), (2,), (7,), (3,)),
    ((4, 5), (1, 0), (3, 5), (1, 2)),
    ((3, 0, 4), (1, 0, 1), (2, 0, 4), (1, 1, 2)),
    ((5, 6), (2, 3), (2, 3), (1, 1)),
]


@pytest.mark.parametrize("case, dtype", with_dtypes(SLICES), ids=ids(with_dtypes(SLICES)))
def test_slice(case, dtype):
    shape, start, limit, strides = case
    x = rand(np.random.default_rng(0), shape, dtype)
    want = x[tuple(slice(*s) for s in zip(start, limit, strides, strict=True))]
    check(lax.slice(Array(x), start, limit, strides), want)


def test_slice_in_dim_and_index_in_dim():
    x = rand(np.random.default_rng(1), (4, 6), np.dtype(np.float32))
    check(lax.slice_in_dim(Array(x), 1, -1, 2, axis=1), x[:, 1:-1:2])
    check(lax.slice_in_dim(Array(x), None, None), x)
    check(lax.index_in_dim(Array(x), -1), x[-1:])
    check(lax.index_in_dim(Array(x), 2, axis=1, keepdims=False), x[:, 2])
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 0 with size 4"):
        lax.index_in_dim(Array(x), 4)


# ----------------------------------------------------------------------------- dynamic slices

DYNAMIC = [  # shape, slice (or update) sizes
    ((), ()),
    ((6,), (2,)),
    ((4, 5), (2, 5)),
    ((3, 0), (1, 0)),
    ((5, 3, 2), (0, 2, 1)),
]


def random_starts(rng, shape, dtype=np.dtype(np.int64)):
    """Start indices past either end as well as inside (negative only for signed dtypes)."""
    low = 0 if dtype.kind == "u" else -2
    return [rng.integers(low - d, d + 3) for d in shape]


@pytest.mark.parametrize("case, dtype", with_dtypes(DYNAMIC), ids=ids(with_dtypes(DYNAMIC)))
def test_dynamic_slice(case, dtype):
    shape, sizes = case
    rng = np.random.default_rng(2)
    x = rand(rng, shape, dtype)
    for _ in range(3):  # one compiled program, several starts
        starts = [int(s) for s in random_starts(rng, shape)]
        check(lax.dynamic_slice(Array(x), starts, sizes), jlax.dynamic_slice(x, starts, sizes))


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=str)
@pytest.mark.parametrize("case", DYNAMIC[1:], ids=str)
def test_dynamic_slice_traced_indices(case, index_dtype):
    """Index arrays (not Python ints): negative ones wrap, then the window is clamped."""
    shape, sizes = case
    rng = np.random.default_rng(3)
    x = rand(rng, shape, np.dtype(np.float32))
    for _ in range(3):
        starts = [np.array(s, index_dtype) for s in random_starts(rng, shape, index_dtype)]
        got = lax.dynamic_slice(Array(x), [Array(s) for s in starts], sizes)
        check(got, jlax.dynamic_slice(x, starts, sizes))


@pytest.mark.parametrize("case, dtype", with_dtypes(DYNAMIC), ids=ids(with_dtypes(DYNAMIC)))
def test_dynamic_update_slice(case, dtype):
    shape, sizes = case
    rng = np.random.default_rng(4)
    x, update = rand(rng, shape, dtype), rand(rng, sizes, dtype)
    for _ in range(3):
        starts = [int(s) for s in random_starts(rng, shape)]
        check(lax.dynamic_update_slice(Array(x), Array(update), starts), jlax.dynamic_update_slice(x, update, starts))


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=str)
def test_dynamic_update_slice_traced_indices(index_dtype):
    rng = np.random.default_rng(5)
    x, update = rand(rng, (5, 4), np.dtype(np.int32)), rand(rng, (2, 3), np.dtype(np.int32))
    for _ in range(3):
        starts = [np.array(s, index_dtype) for s in random_starts(rng, x.shape, index_dtype)]
        got = lax.dynamic_update_slice(Array(x), Array(update), [Array(s) for s in starts])
        check(got, jlax.dynamic_update_slice(x, update, starts))


def test_dynamic_in_dim_wrappers():
    rng = np.random.default_rng(6)
    x = rand(rng, (5, 4), np.dtype(np.float32))
    for index in (-7, -1, 1, 3, 9):
        check(lax.dynamic_slice_in_dim(Array(x), index, 3, axis=0), jlax.dynamic_slice_in_dim(x, index, 3, axis=0))
        check(lax.dynamic_index_in_dim(Array(x), index, axis=1, keepdims=False),
              jlax.dynamic_index_in_dim(x, index, axis=1, keepdims=False))
        update = rand(rng, (5, 2), np.dtype(np.float32))
        check(lax.dynamic_update_slice_in_dim(Array(x), Array(update), index, axis=1),
              jlax.dynamic_update_slice_in_dim(x, update, index, axis=1))
        row = rand(rng, (4,), np.dtype(np.float32))
        check(lax.dynamic_update_index_in_dim(Array(x), Array(row), index, 0),
              jlax.dynamic_update_index_in_dim(x, row, index, 0))
    index = np.array(-2, np.int8)  # an index array: the other starts take its dtype
    check(lax.dynamic_slice_in_dim(Array(x), Array(index), 2, axis=1), jlax.dynamic_slice_in_dim(x, index, 2, axis=1))


def test_dynamic_update_slice_leaves_its_operand_alone():
    x = np.zeros((4, 3), np.float32)
    lax.dynamic_update_slice(Array(x), Array(np.ones((2, 2), np.float32)), (1, 1))
    check(x, np.zeros((4, 3), np.float32))


# ----------------------------------------------------------------------------- concatenate, pad, rev

CONCATENATIONS = [  # shapes, dimension
    (((2, 3), (4, 3)), 0),
    (((2, 3), (2, 0), (2, 1)), 1),
    (((3,),), 0),
    (((0, 2), (0, 2)), 0),
    (((2, 0), (3, 0)), 0),
    (((2, 1, 3), (2, 2, 3), (2, 1, 3)), 1),
]


@pytest.mark.parametrize("case, dtype", with_dtypes(CONCATENATIONS), ids=ids(with_dtypes(CONCATENATIONS)))
def test_concatenate(case, dtype):
    shapes, dimension = case
    rng = np.random.default_rng(7)
    xs = [rand(rng, s, dtype) for s in shapes]
    check(lax.concatenate([Array(x) for x in xs], dimension), np.concatenate(xs, dimension))


PADDINGS = [  # shape, padding config
    ((), ()),
    ((5,), ((1, 2, 0),)),
    ((5,), ((-2, -1, 1),)),
    ((3, 4), ((0, 0, 2), (-1, 3, 1))),
    ((0, 3), ((1, 1, 1), (0, 0, 0))),
    ((4,), ((-3, -4, 1),)),
    ((2, 3), ((-2, 1, 0), (2, -5, 3))),
]


@pytest.mark.parametrize("case, dtype", with_dtypes(PADDINGS), ids=ids(with_dtypes(PADDINGS)))
def test_pad(case, dtype):
    shape, config_ = case
    rng = np.random.default_rng(8)
    x, value = rand(rng, shape, dtype), rand(rng, (), dtype)
    check(lax.pad(Array(x), Array(value), config_), jlax.pad(x, value, config_))


def test_pad_with_a_python_scalar():
    x = rand(np.random.default_rng(9), (2, 3), np.dtype(np.float16))
    check(lax.pad(Array(x), 7, ((1, 0, 0), (0, 2, 0))), np.pad(x, ((1, 0), (0, 2)), constant_values=7))


REVERSALS = [((), ()), ((5,), (0,)), ((3, 4, 2), (0, 2)), ((2, 0, 3), (1, 2)), ((3, 4), ())]


@pytest.mark.parametrize("case, dtype", with_dtypes(REVERSALS), ids=ids(with_dtypes(REVERSALS)))
def test_rev(case, dtype):
    shape, dimensions = case
    x = rand(np.random.default_rng(10), shape, dtype)
    check(lax.rev(Array(x), dimensions), np.flip(x, dimensions))


# ----------------------------------------------------------------------------- reshapes, iota

RESHAPES = [  # shape, new sizes, dimensions
    ((2, 3), (3, 2), None),
    ((2, 3), (6,), (1, 0)),
    ((), (1, 1), None),
    ((0, 3), (3, 0), None),
    ((2, 3, 4), (4, 6), (2, 0, 1)),
]


@pytest.mark.parametrize("case, dtype", with_dtypes(RESHAPES), ids=ids(with_dtypes(RESHAPES)))
def test_reshape(case, dtype):
    shape, new_sizes, dimensions = case
    x = rand(np.random.default_rng(11), shape, dtype)
    want = np.reshape(x if dimensions is None else np.transpose(x, dimensions), new_sizes)
    check(lax.reshape(Array(x), new_sizes, dimensions), want)


TRANSPOSES = [((), ()), ((2, 3), (1, 0)), ((2, 0, 3), (2, 0, 1)), ((3, 4, 5), (1, 2, 0))]


@pytest.mark.parametrize("case, dtype", with_dtypes(TRANSPOSES), ids=ids(with_dtypes(TRANSPOSES)))
def test_transpose(case, dtype):
    shape, permutation = case
    x = rand(np.random.default_rng(12), shape, dtype)
    check(lax.transpose(Array(x), permutation), np.transpose(x, permutation))


def test_expand_dims_squeeze_broadcast():
    rng = np.random.default_rng(13)
    for dtype in DTYPES:
        x = rand(rng, (2, 1, 3), dtype)
        check(lax.expand_dims(Array(x), (0, -1)), np.expand_dims(x, (0, -1)))
        check(lax.squeeze(Array(x), (-2,)), np.squeeze(x, 1))
        check(lax.broadcast(Array(x), (2, 0)), np.broadcast_to(x, (2, 0, 2, 1, 3)))
    scalar = rand(rng, (), np.dtype(np.float32))
    check(lax.expand_dims(Array(scalar), (0,)), scalar[None])
    check(lax.broadcast(Array(scalar), (3,)), np.broadcast_to(scalar, (3,)))
    with pytest.raises(ValueError, match="size not equal to one"):
        lax.squeeze(Array(np.zeros((2, 3), np.float32)), (0,))
    with pytest.raises(ValueError, match="repeated axis"):
        lax.expand_dims(Array(scalar), (0, -2))


@pytest.mark.parametrize("dtype", [*DTYPES[:2], *DTYPES[3:], np.dtype(np.int8)], ids=str)
def test_iota(dtype):
    check(lax.iota(dtype, 7), jlax.iota(dtype, 7))
    check(lax.broadcasted_iota(dtype, (2, 0, 3), 2), jlax.broadcasted_iota(dtype, (2, 0, 3), 2))
    check(lax.broadcasted_iota(dtype, (3, 4), -2), jlax.broadcasted_iota(dtype, (3, 4), 0))


# ----------------------------------------------------------------------------- under jit


def _composed(L, x, i, update):
    """Slices, pads and joins, with a traced start index."""
    window = L.dynamic_slice(x, (i, 1), (2, 3))  # i: int64, as x64's Python ints
    padded = L.pad(window, L.convert_element_type(0.0, x.dtype), ((1, 0, 1), (0, -1, 0)))
    column = L.slice(L.transpose(x, (1, 0)), (0, 0), (4, 4), (1, 1))
    joined = L.concatenate([L.rev(padded, (0,)), column], 1)
    updated = L.dynamic_update_slice(joined, update, (i, 0))
    return L.reshape(updated, (2, 12), (1, 0))


def test_under_jit():
    rng = np.random.default_rng(14)
    x = rand(rng, (4, 5), np.dtype(np.float32))
    update = rand(rng, (2, 3), np.dtype(np.float32))
    f = mirax.jit(functools.partial(_composed, lax))
    g = jax.jit(functools.partial(_composed, jlax))
    for i in (-1, 0, 2, 7):
        check(f(x, np.int64(i), update), g(x, np.int64(i), update))


# ----------------------------------------------------------------------------- type errors

F32 = np.float32


def _a(*shape, dtype=F32):
    return Array(np.zeros(shape, dtype))


ERRORS = [
    (lambda: lax.reshape(_a(2, 3), (4,)), r"reshape of f32\[2,3\].*cannot reshape \[2, 3\] to \[4\]"),
    (lambda: lax.concatenate([_a(2, 3), _a(2, 4)], 0),
     r"concatenate of f32\[2,3\], f32\[2,4\].*cannot concatenate shapes \[2, 3\] and \[2, 4\] along dimension 0"),
    (lambda: lax.concatenate([_a(2), _a(2, dtype=np.int32)], 0), r"concatenate of f32\[2\], i32\[2\].*one dtype"),
    (lambda: lax.slice(_a(3), (1,), (4,)), r"slice of f32\[3\].*out of range for shape \[3\]"),
    (lambda: lax.slice(_a(3, 2), (0,), (1,)), r"start_indices \[0\] must have one entry per dimension of shape \[3, 2\]"),
    (lambda: lax.slice(_a(3), (0,), (3,), (0,)), r"strides \[0\] must be positive"),
    (lambda: lax.dynamic_slice(_a(3), (0,), (4,)), r"dynamic_slice of i\d+\[\], f32\[3\].*slice_sizes \[4\] do not fit"),
    (lambda: lax.dynamic_slice(_a(3), (Array(np.array(0.5, F32)),), (1,)), r"start indices must be 0-d integers"),
    (lambda: lax.dynamic_update_slice(_a(3, 2), _a(1, 3), (0, 0)),
     r"update of shape \[1, 3\] does not fit in shape \[3, 2\]"),
    (lambda: lax.dynamic_update_slice(_a(3), _a(1, dtype=np.int32), (0,)), r"update dtype int32 differs"),
    (lambda: lax.pad(_a(3), Array(np.zeros(2, F32)), ((0, 0, 0),)), r"padding value must be a 0-d float32"),
    (lambda: lax.pad(_a(3), _a(), ((-2, -2, 0),)), r"pad of f32\[3\], f32\[\].*negative size"),
    (lambda: lax.pad(_a(3), _a(), ((0, 0, -1),)), r"interior_padding \[-1\] must be non-negative"),
    (lambda: lax.rev(_a(3, 2), (2,)), r"rev of f32\[3,2\].*distinct dimensions of shape \[3, 2\]"),
    (lambda: lax.transpose(_a(3, 2), (0, 0)), r"permutation \[0, 0\] is not a permutation"),
    (lambda: lax.iota(np.bool_, 3), r"iota does not produce bool"),
]


@pytest.mark.parametrize("fn, message", ERRORS, ids=[m[:30] for _, m in ERRORS])
def test_type_errors(fn, message):
    with pytest.raises(TypeError, match=message):
        fn()
