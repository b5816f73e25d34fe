"""mirax.vmap of the reductions, argmax/argmin, the cumulative ops and sort
(dialect/reduction.py, dialect/sort.py), against a Python loop and jax.vmap
(oracle.check_vmap).

Every element is of shape (2, 3, 4), batched 5 times along each position of the
batched value: in_axes 0, 2 (middle), 3 (last) and -3 (1). The reduced axes lie
before, after and on both sides of the batch dimension, or are all of them. The rules
do not depend on the op beyond its params, so the first op of each family runs the
whole table and the others run a row of it.
"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check_vmap, rand

SIZE, SHAPE = 5, (2, 3, 4)
IN_AXES = (0, 2, 3, -3)


def batched(axis, dtype=np.float32, seed=0, nans=False):
    """An element of SHAPE batched SIZE times along `axis`."""
    return np.moveaxis(rand((SIZE, *SHAPE), dtype, seed, nans), 0, axis)


def out_axes(in_axis):
    """The batch dimension stays in place for the first two, moves for the others."""
    return 0 if in_axis in (0, 2) else -1


# ----------------------------------------------------------------------------- reduce_*, argmax, argmin

AXES = [(), (0,), (1,), (2,), (0, 2), (0, 1, 2)]
REDUCE_DTYPES = {"sum": np.float32, "prod": np.float32, "max": np.float32, "min": np.float32,
                 "and": np.int32, "or": np.int32}
REDUCE_CASES = ([("sum", axes, a) for axes in AXES for a in IN_AXES] +
                [(name, AXES[4 + i % 2], a) for name in list(REDUCE_DTYPES)[1:] for i, a in enumerate(IN_AXES)])


@pytest.mark.parametrize("name,axes,in_axis", REDUCE_CASES, ids=str)
def test_reduce(name, axes, in_axis):
    x = batched(in_axis, REDUCE_DTYPES[name], nans=name in ("max", "min"))
    check_vmap(lambda lax, x: getattr(lax, f"reduce_{name}")(x, axes), [x], in_axis, out_axes(in_axis))


ARG_CASES = ([("argmax", axis, a) for axis in range(3) for a in IN_AXES] +
             [("argmin", 1, a) for a in IN_AXES])


@pytest.mark.parametrize("name,axis,in_axis", ARG_CASES, ids=str)
def test_argmax_argmin(name, axis, in_axis):
    """Integer values tie, so the first index of the best one must win in each element."""
    x = batched(in_axis, np.int32 if in_axis % 2 else np.float32, nans=True)
    check_vmap(lambda lax, x: getattr(lax, name)(x, axis, np.int32), [x], in_axis, out_axes(in_axis))


# ----------------------------------------------------------------------------- cumulative ops

CUM_CASES = ([("cumsum", axis, a) for axis in range(3) for a in IN_AXES] +
             [(name, 1, a) for name in ("cumprod", "cummax", "cummin") for a in IN_AXES])


@pytest.mark.parametrize("name,axis,in_axis", CUM_CASES, ids=str)
def test_cumulative(name, axis, in_axis):
    reverse = in_axis in (2, -3)
    x = batched(in_axis)
    check_vmap(lambda lax, x: getattr(lax, name)(x, axis, reverse), [x], in_axis, out_axes(in_axis))


# ----------------------------------------------------------------------------- sort


@pytest.mark.parametrize("dimension", [0, 1, -1])
@pytest.mark.parametrize("in_axis", IN_AXES)
def test_sort(dimension, in_axis):
    x = batched(in_axis, nans=True)
    check_vmap(lambda lax, x: lax.sort(x, dimension=dimension), [x], in_axis, out_axes(in_axis))


# (key in_axes, value in_axes, dimension): a key or values unbatched, batched elsewhere.
KEY_VAL_CASES = [(0, 0, 1), (2, None, 0), (None, 3, 2), (-1, 0, -1), (1, -3, 1), (None, 0, 0)]


def _element(in_axis, dtype, seed):
    return rand(SHAPE, dtype, seed) if in_axis is None else batched(in_axis, dtype, seed)


@pytest.mark.parametrize("key_axis,value_axis,dimension", KEY_VAL_CASES, ids=str)
def test_sort_key_val(key_axis, value_axis, dimension):
    """Integer keys tie, so the values show that each element sorts stably."""
    keys, vals = _element(key_axis, np.int32, 1), _element(value_axis, np.float32, 2)
    check_vmap(lambda lax, k, v: lax.sort_key_val(k, v, dimension=dimension),
               [keys, vals], (key_axis, value_axis), (0, -1))


@pytest.mark.parametrize("in_axes", [(0, None, 2, 1), (None, 3, None, 0)], ids=str)
def test_sort_several_keys(in_axes):
    """Two keys and values of two dtypes: several sort ops, each batched in turn."""
    inputs = [_element(a, d, s) for s, (a, d) in enumerate(zip(in_axes, (np.int32, np.int32, np.float32, np.uint8),
                                                               strict=True))]
    check_vmap(lambda lax, *xs: lax.sort(xs, dimension=1, num_keys=2), inputs, in_axes)


# ----------------------------------------------------------------------------- through mirax.numpy

NUMPY_CASES = [
    ("sum_all", lambda np_, x: np_.sum(x), 2),
    ("mean", lambda np_, x: np_.mean(x, axis=(0, 2)), 2),
    ("max", lambda np_, x: np_.max(x, axis=-1, keepdims=True), 0),
    ("argmax_all", lambda np_, x: np_.argmax(x), -1),
    ("argmax", lambda np_, x: np_.argmax(x, axis=1), 3),
    ("cumsum_all", lambda np_, x: np_.cumsum(x), 1),
    ("cumsum", lambda np_, x: np_.cumsum(x, axis=-1), 2),
    ("sort", lambda np_, x: np_.sort(x, axis=0), 3),
    ("argsort", lambda np_, x: np_.argsort(x, axis=1), 2),
    ("var", lambda np_, x: np_.var(x, axis=(1, 2)), 1),
]


@pytest.mark.parametrize("fn,in_axis", [case[1:] for case in NUMPY_CASES], ids=[case[0] for case in NUMPY_CASES])
def test_numpy(fn, in_axis):
    x = np.round(batched(in_axis), 1)  # ties for argsort
    check_vmap(fn, [x], in_axis, out_axes(in_axis), jax_modules=(jjnp,), mirax_modules=(mjnp,))


def test_vmap_of_vmap():
    """Nested: the inner batch dimension renumbers the reduced axes, then the outer one."""
    check_vmap(lambda lax, vmap, x: vmap(lambda y: lax.reduce_sum(y, (0, 2)), 2)(x), [rand((SIZE, *SHAPE, 6))], 0,
               jax_modules=(jax.lax, jax.vmap), mirax_modules=(mirax.lax, mirax.vmap))
