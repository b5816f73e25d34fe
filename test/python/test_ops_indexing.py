"""gather and scatter (dialect/indexing.py) through mirax.lax on concrete arrays (each
op compiled and run eagerly), checked against jax.lax with the same dimension numbers,
start indices (some out of range, some negative) and modes; a composition also runs
under mirax.jit.

Updates are small integers in every dtype, so that sums and products of duplicates are
exact whatever the order. XLA:CPU, like mirax, applies a scatter's updates in order,
so plain scatter with duplicate indices keeps the last update in both.
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


def small_ints(rng, shape, dtype):
    """Values in [-3, 3] ([0, 3] unsigned, False/True for bool) in `dtype`."""
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    values = rng.integers(0 if dtype.kind == "u" else -3, 4, shape)
    if dtype.kind == "c":
        values = values + 1j * rng.integers(-3, 4, shape)
    return np.asarray(values, dtype)


def start_indices(rng, operand_shape, batch_shape, index_map, dtype=np.dtype(np.int32)):
    """Index vectors for `index_map`, each entry from 2 below 0 (0 if unsigned) to 2 past
    the end of its operand dimension."""
    low = 0 if dtype.kind == "u" else -2
    columns = [rng.integers(low, operand_shape[d] + 3, batch_shape) for d in index_map]
    return np.stack(columns, -1).astype(dtype) if columns else np.zeros(batch_shape + (0,), dtype)



def both(cls_name, **fields):
    """The same dimension numbers as mirax.lax's and as jax.lax's class."""
    return getattr(lax, cls_name)(**fields), getattr(jlax, cls_name)(**fields)


# ----------------------------------------------------------------------------- gather

GATHERS = {  # name: operand shape, indices batch shape, dimension numbers, slice sizes
    "rows": ((5, 4), (3,), dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 4)),
    "points": ((5, 4, 3), (4,), dict(offset_dims=(1,), collapsed_slice_dims=(0, 1), start_index_map=(0, 1)),
               (1, 1, 3)),
    "windows_permuted": ((6, 5), (2, 3), dict(offset_dims=(2, 3), collapsed_slice_dims=(), start_index_map=(1, 0)),
                         (2, 3)),
    "offset_first": ((6, 5), (4,), dict(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1,)), (3, 1)),
    "batching": ((3, 5, 4), (3, 2), dict(offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,),
                                         operand_batching_dims=(0,), start_indices_batching_dims=(0,)), (1, 1, 4)),
    "scalar_operand": ((), (2,), dict(offset_dims=(), collapsed_slice_dims=(), start_index_map=()), ()),
    "no_indices": ((5, 4), (0,), dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 4)),
    "empty_window": ((5, 0), (3,), dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 0)),
}
MODES = ("clip", "fill", None)


def run_gather(case, dtype, mode, index_dtype=np.dtype(np.int32), fill_value=None, seed=0):
    shape, batch, fields, slice_sizes = GATHERS[case]
    rng = np.random.default_rng(seed)
    x = small_ints(rng, shape, dtype)
    indices = start_indices(rng, shape, batch, fields["start_index_map"], index_dtype)
    dn, jdn = both("GatherDimensionNumbers", **fields)
    got = lax.gather(Array(x), Array(indices), dn, slice_sizes, mode=mode, fill_value=fill_value)
    check(got, jlax.gather(x, indices, jdn, slice_sizes, mode=mode, fill_value=fill_value))


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("case", GATHERS)
def test_gather(case, mode):
    run_gather(case, np.dtype(np.float32), mode)


@pytest.mark.parametrize("mode", ("clip", "fill"))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_gather_dtypes(dtype, mode):
    """Fill values differ by dtype: NaN, the integer minimum (maximum if unsigned), True."""
    run_gather("points", dtype, mode, seed=1)


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=str)
def test_gather_index_dtypes(index_dtype):
    run_gather("windows_permuted", np.dtype(np.float32), "fill", index_dtype, seed=2)


def test_gather_fill_value_and_modes():
    run_gather("rows", np.dtype(np.int32), "fill", fill_value=-7, seed=3)
    run_gather("rows", np.dtype(np.int32), "promise_in_bounds", seed=3)
    shape, batch, fields, slice_sizes = GATHERS["rows"]
    x, indices = np.arange(20, dtype=np.int32).reshape(shape), np.array([[-1], [2], [7]], np.int32)
    dn, jdn = both("GatherDimensionNumbers", **fields)
    for mode in lax.GatherScatterMode:
        check(lax.gather(Array(x), Array(indices), dn, slice_sizes, mode=mode),
              jlax.gather(x, indices, jdn, slice_sizes, mode=mode.name.lower().removesuffix("_or_drop")))
    with pytest.raises(ValueError, match='Unknown gather mode "wrap"'):
        run_gather("rows", np.dtype(np.int32), "wrap")


# ----------------------------------------------------------------------------- scatter

SCATTERS = {  # name: operand shape, indices batch shape, dimension numbers, updates shape
    "scalars": ((6,), (7,), dict(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)),
                (7,)),
    "rows": ((5, 4), (3,), dict(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)),
             (3, 4)),
    "windows": ((6, 5), (4,), dict(update_window_dims=(1, 2), inserted_window_dims=(),
                                   scatter_dims_to_operand_dims=(0, 1)), (4, 3, 2)),
    "window_first": ((6, 5), (3,), dict(update_window_dims=(0,), inserted_window_dims=(1,),
                                        scatter_dims_to_operand_dims=(1,)), (4, 3)),
    "batching": ((3, 5), (3, 2), dict(update_window_dims=(), inserted_window_dims=(1,),
                                      scatter_dims_to_operand_dims=(1,), operand_batching_dims=(0,),
                                      scatter_indices_batching_dims=(0,)), (3, 2)),
    "no_updates": ((5, 4), (0,), dict(update_window_dims=(1,), inserted_window_dims=(0,),
                                      scatter_dims_to_operand_dims=(0,)), (0, 4)),
}
COMBINERS = ("scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max")


def run_scatter(case, dtype, combiner, mode, index_dtype=np.dtype(np.int32), seed=0):
    shape, batch, fields, updates_shape = SCATTERS[case]
    rng = np.random.default_rng(seed)
    x, updates = small_ints(rng, shape, dtype), small_ints(rng, updates_shape, dtype)
    indices = start_indices(rng, shape, batch, fields["scatter_dims_to_operand_dims"], index_dtype)
    dn, jdn = both("ScatterDimensionNumbers", **fields)
    got = getattr(lax, combiner)(Array(x), Array(indices), Array(updates), dn, mode=mode)
    check(got, getattr(jlax, combiner)(x, indices, updates, jdn, mode=mode))


@pytest.mark.parametrize("mode", ("clip", "fill"))
@pytest.mark.parametrize("case", SCATTERS)
def test_scatter(case, mode):
    run_scatter(case, np.dtype(np.float32), "scatter_add", mode)


@pytest.mark.parametrize("mode", ("clip", "fill"))
@pytest.mark.parametrize("combiner", COMBINERS)
@pytest.mark.parametrize("case", ("windows", "batching"))
def test_scatter_combiners(case, combiner, mode):
    run_scatter(case, np.dtype(np.float32), combiner, mode, seed=5)


def _scatter_dtype_cases():
    for dtype in DTYPES:
        for combiner in COMBINERS:
            # jax.lax rejects bool for add and mul; nothing orders complex numbers.
            if not (dtype == np.bool_ and combiner in ("scatter_add", "scatter_mul")
                    or dtype.kind == "c" and combiner in ("scatter_min", "scatter_max")):
                yield dtype, combiner


@pytest.mark.parametrize("dtype, combiner", list(_scatter_dtype_cases()), ids=str)
def test_scatter_dtypes(dtype, combiner):
    run_scatter("scalars", dtype, combiner, None, seed=1)


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=str)
def test_scatter_index_dtypes(index_dtype):
    run_scatter("windows", np.dtype(np.float32), "scatter_add", "clip", index_dtype, seed=2)


def test_scatter_into_a_scalar():
    """Empty index vectors scatter every update onto the one element (XLA:CPU rejects
    this program, so NumPy is the reference)."""
    dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(), scatter_dims_to_operand_dims=())
    updates = np.array([1.5, -2.0, 4.0], np.float32)
    got = lax.scatter_add(Array(np.array(3.0, np.float32)), Array(np.zeros((3, 0), np.int32)), Array(updates), dn)
    check(got, np.float32(3.0) + updates.sum())


def test_scatter_leaves_its_operand_alone():
    x = np.zeros(4, np.float32)
    dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    lax.scatter_add(Array(x), Array(np.array([[1], [1]], np.int32)), Array(np.ones(2, np.float32)), dn)
    check(x, np.zeros(4, np.float32))


# ----------------------------------------------------------------------------- under jit


def _gather_then_scatter(L, x, indices, updates):
    """Rows gathered by index, scaled, added back at other rows, then the maximum."""
    rows = L.gather(x, indices, L.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                                         start_index_map=(0,)), (1, x.shape[1]), mode="fill")
    scatter_rows = L.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                             scatter_dims_to_operand_dims=(0,))
    moved = L.scatter_add(x, L.rev(indices, (0,)), L.mul(rows, updates), scatter_rows, mode="clip")
    return L.scatter_max(moved, indices, updates, scatter_rows)


def test_under_jit():
    rng = np.random.default_rng(4)
    x = small_ints(rng, (5, 3), np.dtype(np.float32))
    updates = small_ints(rng, (4, 3), np.dtype(np.float32))
    f = mirax.jit(functools.partial(_gather_then_scatter, lax))
    g = jax.jit(functools.partial(_gather_then_scatter, jlax))
    for _ in range(3):
        indices = start_indices(rng, x.shape, (4,), (0,))
        check(f(x, indices, updates), g(x, indices, updates))


# ----------------------------------------------------------------------------- type errors


def _a(*shape, dtype=np.float32):
    return Array(np.zeros(shape, dtype))


ROWS = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
SCATTER_ROWS = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                           scatter_dims_to_operand_dims=(0,))
I32 = np.int32

ERRORS = [
    (lambda: lax.gather(_a(5, 4), _a(3, 1), ROWS, (1, 4)),
     r"gather of f32\[5,4\], f32\[3,1\].*indices must be integers"),
    (lambda: lax.gather(_a(5, 4), _a(3, 2, dtype=I32), ROWS, (1, 4)),
     r"start_index_map \[0\] needs one entry per element of the index vectors"),
    (lambda: lax.gather(_a(5, 4), _a(3, 1, dtype=I32), ROWS, (1, 5)),
     r"slice_sizes \[1, 5\] do not fit in shape \[5, 4\]"),
    (lambda: lax.gather(_a(5, 4), _a(3, 1, dtype=I32), ROWS, (2, 4)),
     r"collapsed_slice_dims \[0\] must have slice size 1"),
    (lambda: lax.gather(_a(5, 4), _a(3, 1, dtype=I32), ROWS._replace(offset_dims=(2,)), (1, 4)),
     r"offset_dims \[2\] must be increasing dimensions in \[0, 2\)"),
    (lambda: lax.gather(_a(5, 4), _a(3, 1, dtype=I32), ROWS._replace(collapsed_slice_dims=()), (1, 4)),
     r"must account for the 2 dimensions of shape \[5, 4\]"),
    (lambda: lax.gather(_a(5, 4), _a(3, 1, dtype=I32), ROWS._replace(
        operand_batching_dims=(1,), start_indices_batching_dims=(0,), offset_dims=()), (1, 1)),
     r"operand_batching_dims \[1\] of shape \[5, 4\] and start_indices_batching_dims \[0\] of indices \[3, 1\] differ"),
    (lambda: lax.scatter_add(_a(5, 4), _a(3, 1, dtype=I32), _a(2, 4), SCATTER_ROWS),
     r"scatter of f32\[5,4\], i32\[3,1\], f32\[2,4\].*updates \[2, 4\] outside update_window_dims \[1\] must match"),
    (lambda: lax.scatter(_a(5, 4), _a(3, 1, dtype=I32), _a(3, 5), SCATTER_ROWS),
     r"update windows of updates \[3, 5\] .* do not fit in shape \[5, 4\]"),
    (lambda: lax.scatter(_a(5, 4), _a(3, 1, dtype=I32), _a(3), SCATTER_ROWS),
     r"updates of shape \[3\] must have 2 dimensions"),
    (lambda: lax.scatter_mul(_a(5, 4), _a(3, 1, dtype=I32), _a(3, 4, dtype=I32), SCATTER_ROWS),
     r"updates dtype int32 differs from operand dtype float32"),
    (lambda: lax.scatter_max(_a(5, 4, dtype=np.complex64), _a(3, 1, dtype=I32), _a(3, 4, dtype=np.complex64),
                             SCATTER_ROWS),
     r"combiner max does not accept complex64"),
]


@pytest.mark.parametrize("fn, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_type_errors(fn, message):
    with pytest.raises(TypeError, match=message):
        fn()
