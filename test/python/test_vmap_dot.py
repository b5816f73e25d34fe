"""dot_general under mirax.vmap (its batching rule in dialect/dot.py), against a loop
over the mapped axis and jax.vmap (oracle.check_vmap): a table of dimension numbers
times where each operand is batched (at 0, a middle axis, the last, a negative axis,
or not at all) and where the result is; then mirax.numpy's products under vmap."""
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax.numpy as mjnp
from oracle import check_vmap, rand

# Contractions sum in another order than XLA.
DOT_ROUNDING = {"f4": 1e-5, "c8": 1e-5}

# name -> (lhs shape, rhs shape, ((lhs contracting, rhs contracting), (lhs batch, rhs batch)))
CASES = {
    "matvec": ((3, 4), (4,), (((1,), (0,)), ((), ()))),
    "vecvec": ((4,), (4,), (((0,), (0,)), ((), ()))),
    "matmul": ((3, 4), (4, 2), (((1,), (0,)), ((), ()))),
    "batched_matmul": ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    "batch_not_leading": ((3, 2, 4), (5, 4, 2), (((2,), (1,)), ((1,), (2,)))),
    "contract_two": ((2, 3, 4), (4, 3, 5), (((1, 2), (1, 0)), ((), ()))),
    "no_free_dims": ((2, 4), (2, 4), (((1,), (1,)), ((0,), (0,)))),
    "scalars": ((), (), (((), ()), ((), ()))),
    "scalar_times_matrix": ((), (2, 3), (((), ()), ((), ()))),
    "empty_free_dim": ((0, 4), (4, 3), (((1,), (0,)), ((), ()))),
}

SIZE = 3


def axis(where, rank):
    """An operand's batch axis given its unbatched `rank`: 0, a middle one, the last,
    a negative one, or None."""
    return {"first": 0, "middle": (rank + 1) // 2, "last": rank, "negative": -min(2, rank + 1), None: None}[where]


# (lhs, rhs, out_axes): every position on each side, both sides or one alone, and
# out_axes 0, 1 and negative. (The rule sees negative axes made nonnegative.)
AXES = [
    ("first", "first", 0),
    ("middle", "last", -1),
    ("last", "negative", 0),
    ("negative", "middle", 1),
    ("first", None, -1),
    ("middle", None, 0),
    ("last", None, 1),
    (None, "first", 0),
    (None, "middle", -1),
    (None, "last", 1),
]


def batched(shape, where, dtype, seed):
    a = axis(where, len(shape))
    if a is not None:
        shape = list(shape)
        shape.insert(a % (len(shape) + 1), SIZE)
    return rand(tuple(shape), dtype, seed), a


def check_dot(case, lhs_where, rhs_where, out_axes, dtype):
    lhs_shape, rhs_shape, dimension_numbers = CASES[case]
    lhs, l_axis = batched(lhs_shape, lhs_where, dtype, 0)
    rhs, r_axis = batched(rhs_shape, rhs_where, dtype, 1)
    out_rank = len(lhs_shape) + len(rhs_shape) - 2 * len(dimension_numbers[0][0]) - len(dimension_numbers[1][0])
    out_axes = min(out_axes, out_rank) if out_axes >= 0 else max(out_axes, -out_rank - 1)
    check_vmap(lambda lax, x, y: lax.dot_general(x, y, dimension_numbers), [lhs, rhs], (l_axis, r_axis), out_axes,
               tolerance=DOT_ROUNDING)


@pytest.mark.parametrize("lhs_where, rhs_where, out_axes", AXES)
@pytest.mark.parametrize("case", CASES)
def test_dot_general_float32(case, lhs_where, rhs_where, out_axes):
    check_dot(case, lhs_where, rhs_where, out_axes, np.float32)


# Integers (exact) and complex64 on the forms with batch and several contracting dimensions.
@pytest.mark.parametrize("dtype", [np.int32, np.complex64])
@pytest.mark.parametrize("case, lhs_where, rhs_where, out_axes", [
    ("batch_not_leading", "middle", "negative", 0),
    ("batch_not_leading", None, "last", -1),
    ("contract_two", "last", None, 1),
    ("matvec", None, "first", 0),
])
def test_dot_general_dtypes(case, lhs_where, rhs_where, out_axes, dtype):
    check_dot(case, lhs_where, rhs_where, out_axes, dtype)


# ----------------------------------------------------------------------------- mirax.numpy

# (fn(numpy module, x, y), x shape, y shape (batched ones included), in_axes, out_axes, dtype)
C64 = np.complex64
NUMPY = [
    (lambda np_, x, y: np_.dot(x, y), (3, 4), (4, 3), (0, None), 0, np.float32),
    (lambda np_, x, y: np_.dot(x, y), (2, 3, 4), (4, 3), (1, 1), 1, C64),
    (lambda np_, x, y: np_.matmul(x, y), (3, 4), (3, 4, 2), (None, 0), 0, np.float32),
    (lambda np_, x, y: np_.matmul(x, y), (3, 2, 3), (2, 3), (-1, -1), -1, C64),
    (lambda np_, x, y: x @ y, (3, 4), (4, 3), (1, 0), 0, np.float32),
    (lambda np_, x, y: x @ y, (3, 4), (4, 2), (0, None), 1, np.int32),
    (lambda np_, x, y: np_.einsum("ij,jk->ki", x, y), (2, 3, 4), (4, 3), (1, None), 0, np.float32),
    (lambda np_, x, y: np_.einsum("bij,bj->ib", x, y), (2, 3, 4), (2, 4, 3), (None, 2), 2, C64),
    (lambda np_, x, y: np_.vdot(x, y), (3, 4), (4, 3), (0, 1), 0, C64),  # conjugates x
    (lambda np_, x, y: np_.outer(x, y), (3, 4), (2,), (1, None), 1, np.float32),
    (lambda np_, x, y: np_.tensordot(x, y, 2), (3, 4, 2), (4, 2, 3), (0, -1), 0, np.float32),
    (lambda np_, x, y: np_.tensordot(x, y, ((0,), (1,))), (4, 3), (3, 4, 2), (None, -1), -1, C64),
]


@pytest.mark.parametrize("fn, x_shape, y_shape, in_axes, out_axes, dtype", NUMPY)
def test_numpy_products(fn, x_shape, y_shape, in_axes, out_axes, dtype):
    x, y = rand(x_shape, dtype, 0), rand(y_shape, dtype, 1)
    check_vmap(fn, [x, y], in_axes, out_axes, jax_modules=(jjnp,), mirax_modules=(mjnp,), tolerance=DOT_ROUNDING)
