"""Batching rules of gather and scatter (dialect/indexing.py) under mirax.vmap, checked
by oracle.check_vmap against a loop and against jax.vmap: the lax ops for a table of
dimension numbers × which operands are batched and along which axis, and
mirax.numpy indexing (x[idx], take, take_along_axis, x.at[idx]) on top of them.

Start indices run from 2 below 0 to 2 past the end, so both modes see out-of-range
windows; values are small integers, so that sums and products of duplicates are exact
in any order.
"""
import functools

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check, check_vmap
import test_ops_indexing
from test_ops_indexing import small_ints, start_indices

B = 3  # batch size
F32 = np.dtype(np.float32)


def batched(rng, make, axis, *args):
    """`make(rng, *args)` stacked B times along `axis`, or made once (axis None)."""
    if axis is None:
        return make(rng, *args)
    return np.stack([make(rng, *args) for _ in range(B)], axis)


def ints(rng, shape, dtype=F32):
    return small_ints(rng, shape, dtype)


def run(fn, makers, in_axes, out_axes=0, numpy=False, seed=0):
    """check_vmap of fn(lax, *inputs), or fn(jnp, *inputs) if `numpy`, on inputs made by
    `makers` ((make, *args) each) batched along `in_axes`."""
    rng = np.random.default_rng(seed)
    inputs = [batched(rng, make, axis, *args) for (make, *args), axis in zip(makers, in_axes, strict=True)]
    kwargs = dict(jax_modules=(jjnp,), mirax_modules=(mjnp,)) if numpy else {}
    check_vmap(fn, inputs, in_axes, out_axes, **kwargs)


# ----------------------------------------------------------------------------- lax.gather

# test_ops_indexing's cases (operand shape, indices batch shape, dimension numbers, slice
# sizes), less those whose extra points (empty windows, no indices) batching adds nothing to.
GATHERS = {name: test_ops_indexing.GATHERS[name]
           for name in ("rows", "windows_permuted", "offset_first", "batching", "scalar_operand")}

# (operand axis, indices axis, out axis, mode): both batched, the operand only, the
# indices only, each in both modes, at the front, in the middle and last (the indices'
# last axis is where their index vectors are, so that one moves), negative axes,
# out_axes elsewhere.
GATHER_AXES = [(0, 0, 0, "fill"), (-1, 1, 1, "clip"), (1, -1, -1, "fill"), (0, None, 0, "clip"),
               (-1, None, 1, "fill"), (None, 0, 0, "fill"), (None, -1, -1, "clip")]


def _gather_axes(case):
    rank = len(GATHERS[case][0])
    return [axes for axes in GATHER_AXES if axes[0] is None or -rank - 1 <= axes[0] <= rank]


def _gather(case, mode):
    _, _, fields, slice_sizes = GATHERS[case]

    def fn(lax, x, i):
        return lax.gather(x, i, lax.GatherDimensionNumbers(**fields), slice_sizes, mode=mode)

    return fn


@pytest.mark.parametrize("case, axes", [(c, a) for c in GATHERS for a in _gather_axes(c)], ids=str)
def test_gather(case, axes):
    shape, batch, fields, _ = GATHERS[case]
    a, b, out, mode = axes
    run(_gather(case, mode), [(ints, shape), (start_indices, shape, batch, fields["start_index_map"])], (a, b), out)


def test_gather_batched_fill_value():
    """fill_value is a static param in jax.lax, so JAX cannot map over it: the loop of
    jax.lax.gathers, one per fill value, is the oracle."""
    shape, batch, fields, slice_sizes = GATHERS["windows_permuted"]
    rng = np.random.default_rng(1)
    x = ints(rng, (B,) + shape)
    i = np.stack([start_indices(rng, shape, batch, fields["start_index_map"]) for _ in range(B)], 1)
    fills = np.array([-7, 0.5, np.inf], np.float32)

    def fn(lax, x, i, fill, mode):
        return lax.gather(x, i, lax.GatherDimensionNumbers(**fields), slice_sizes, mode=mode, fill_value=fill)

    for x_axis, i_axis, mode in ((0, 1, "fill"), (None, 1, "fill"), (0, None, "fill"), (None, None, "fill"),
                                 (0, 1, "clip")):
        args = [x if x_axis == 0 else x[0], i if i_axis == 1 else i[:, 0]]
        got = mirax.jit(mirax.vmap(functools.partial(fn, mirax.lax, mode=mode), (x_axis, i_axis, 0)))(*args, fills)
        want = np.stack([fn(jax.lax, *(v if a is None else np.take(v, k, a) for v, a in
                                       zip(args, (x_axis, i_axis), strict=True)), float(fills[k]), mode)
                         for k in range(B)])
        check(got, want, f"{x_axis} {i_axis} {mode}")


# ----------------------------------------------------------------------------- lax.scatter

SCATTERS = {name: test_ops_indexing.SCATTERS[name] for name in ("scalars", "rows", "windows", "window_first", "batching")}

# (operand axis, indices axis, updates axis, out axis): every subset of the three
# batched, along the front, middle, last and negative axes.
SCATTER_AXES = [(-1, 1, -1, 1), (1, -1, 0, -1), (0, None, None, 0), (None, None, -1, -1), (-1, None, 1, 0),
                (None, -1, 1, 1), (1, 0, None, 0)]
COMBINERS = ("scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max")


def _scatter(case, combiner, mode):
    fields = SCATTERS[case][2]

    def fn(lax, x, i, u):
        return getattr(lax, combiner)(x, i, u, lax.ScatterDimensionNumbers(**fields), mode=mode)

    return fn


def _scatter_inputs(case):
    shape, batch, fields, updates_shape = SCATTERS[case]
    return [(ints, shape), (start_indices, shape, batch, fields["scatter_dims_to_operand_dims"]),
            (ints, updates_shape)]


@pytest.mark.parametrize("axes", SCATTER_AXES, ids=str)
@pytest.mark.parametrize("case", SCATTERS)
def test_scatter(case, axes):
    run(_scatter(case, "scatter_add", "fill"), _scatter_inputs(case), axes[:3], axes[3])


@pytest.mark.parametrize("combiner", COMBINERS)
@pytest.mark.parametrize("axes", [(0, 0, 0, 0, "fill"), (-1, None, 1, 0, "clip"), (None, -1, None, 1, "fill")],
                         ids=str)
def test_scatter_combiners(axes, combiner):
    run(_scatter("rows", combiner, axes[4]), _scatter_inputs("rows"), axes[:3], axes[3], seed=5)


# ----------------------------------------------------------------------------- mirax.numpy indexing

X = (5, 4)


def index(high, shape=(3,)):
    """Integer indices of `shape` from -high-2 to high+2: negative ones wrap around,
    some are out of range."""
    return lambda rng: rng.integers(-high - 2, high + 2, shape).astype(np.int32)


def array(shape):
    return lambda rng: ints(rng, shape)


# name: fn(jnp, x, *index arrays), input makers after x
GETS = {
    "x[i]": (lambda jnp, x, i: jnp.asarray(x)[i], [index(5)]),
    "x[i, j]": (lambda jnp, x, i, j: jnp.asarray(x)[i, j], [index(5), index(4)]),
    "x[:, i]": (lambda jnp, x, i: jnp.asarray(x)[:, i], [index(4, (2, 3))]),
    "x[i, 1:]": (lambda jnp, x, i: jnp.asarray(x)[i, 1:], [index(5, (2,))]),
    "x[i[:, None], j]": (lambda jnp, x, i, j: jnp.asarray(x)[i[:, None], j], [index(5, (2,)), index(4)]),
    "x.at[i].get(fill)": (lambda jnp, x, i: jnp.asarray(x).at[i].get(mode="fill", fill_value=-1), [index(5)]),
    "take": (lambda jnp, x, i: jnp.take(x, i, axis=1), [index(4, (2, 2))]),
    "take_clip": (lambda jnp, x, i: jnp.take(x, i, axis=0, mode="clip"), [index(5)]),
    "take_along_axis": (lambda jnp, x, i: jnp.take_along_axis(x, i, axis=1), [index(4, (5, 3))]),
    "take_along_axis_0": (lambda jnp, x, i: jnp.take_along_axis(x, i, axis=0), [index(5, (2, 4))]),
}

# (x axis, index axis, out axis): both batched, x only, the indices only.
GET_AXES = [(1, -1, -1), (0, None, 1), (None, 0, 0)]


@pytest.mark.parametrize("axes", GET_AXES, ids=str)
@pytest.mark.parametrize("name", GETS)
def test_numpy_get(name, axes):
    fn, makers = GETS[name]
    x_axis, i_axis, out = axes
    in_axes = (x_axis,) + (i_axis,) * len(makers)
    run(fn, [(lambda rng: ints(rng, X),)] + [(m,) for m in makers], in_axes, out, numpy=True)


def _at(op, mode=None):
    return lambda jnp, x, i, u: getattr(jnp.asarray(x).at[i], op)(u, mode=mode)


# name: fn(jnp, x, i, u), index maker, updates shape
UPDATES = {
    **{f"x.at[i].{op}": (_at(op), index(5), (3, 4)) for op in ("set", "add", "mul", "min", "max")},
    "x.at[i].add(clip)": (_at("add", "clip"), index(5), (3, 4)),
    "x.at[i].set(scalar)": (_at("set"), index(5), ()),
    "x.at[i, j].add": (lambda jnp, x, ij, u: jnp.asarray(x).at[ij[0], ij[1]].add(u), index(4, (2, 3)), (3,)),
    "x.at[:, i].max": (lambda jnp, x, i, u: jnp.asarray(x).at[:, i].max(u), index(4, (2,)), (5, 2)),
}

# (x axis, index axis, updates axis, out axis): all batched, the updates only, x only,
# the indices only.
UPDATE_AXES = [(-1, -1, 0, 0), (None, None, -1, -1), (1, None, None, 1), (None, 0, None, 0)]


# mul, min and max batch as add does (the lax tests above cover every combiner): two
# of the axes each.
ALIKE = ("x.at[i].mul", "x.at[i].min", "x.at[i].max")


@pytest.mark.parametrize("name, axes", [(name, axes) for name in UPDATES for axes in UPDATE_AXES
                                        if name not in ALIKE or axes in UPDATE_AXES[:2]], ids=str)
def test_numpy_at(name, axes):
    fn, make_index, updates_shape = UPDATES[name]
    run(fn, [(lambda rng: ints(rng, X),), (make_index,), (lambda rng: ints(rng, updates_shape),)], axes[:3], axes[3],
        numpy=True)
