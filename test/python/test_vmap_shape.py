"""Batching rules of the shape ops (dialect/shape.py) through mirax.vmap, each case
checked by oracle.check_vmap against a Python loop and against jax.vmap.

One table of (op case x in_axes) rows: operands batched at 0, at a middle or last
axis, at negative axes, and unbatched (None); 0-d operands, odd sizes, out_axes other
than 0; dynamic slices with batched start indices past either end (clamped windows).
A few mirax.numpy functions built of these ops close the file.
"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check_vmap

B = 3  # the batch size


def batched(rng, shape, dtype, axis):
    """Random values of `shape` with a batch of B inserted at `axis` (None: none)."""
    if axis is not None:
        shape = list(shape)
        shape.insert(axis % (len(shape) + 1), B)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return (rng.standard_normal(shape) * 4).astype(dtype)


def starts(values, dtype=np.int32):
    """Start indices: a given value per batch element, so tests can place windows past
    either end; one value (unbatched) when in_axes says None."""
    return np.asarray(values, dtype)


F32, I32 = np.float32, np.int32
OUT_OF_RANGE = [-8, 2, 9]  # per batch element: clamped to the start, inside, clamped to the end

CASES = [  # id, fn(lax, *operands), operands ((shape, dtype) or a fixed array per in_axes entry), in_axes, out_axes
    ("broadcast_in_dim", lambda lax, x: lax.broadcast_in_dim(x, (2, 3, 5), (1, 2)), [((3, 1), F32)], [0, 1, -1], 0),
    ("broadcast_in_dim-out2", lambda lax, x: lax.broadcast_in_dim(x, (2, 3, 5), (1,)), [((3,), I32)], [1], 2),
    ("broadcast_in_dim-0d", lambda lax, x: lax.broadcast_in_dim(x, (2, 3), ()), [((), F32)], [0], 1),
    ("reshape", lambda lax, x: lax.reshape(x, (5, 2)), [((2, 5), F32)], [0, 1, -1], 0),
    ("reshape-split-out1", lambda lax, x: lax.reshape(x, (3, 1, 5)), [((15,), I32)], [-1], 1),
    ("reshape-dimensions", lambda lax, x: lax.reshape(x, (10,), dimensions=(1, 0)), [((2, 5), F32)], [1], 0),
    ("reshape-0d", lambda lax, x: lax.reshape(x, (1, 1)), [((), F32)], [0], -1),
    ("transpose", lambda lax, x: lax.transpose(x, (2, 0, 1)), [((2, 5, 4), F32)], [0, 2, -1], 0),
    ("transpose-out2", lambda lax, x: lax.transpose(x, (1, 0)), [((2, 5), np.bool_)], [1], 2),
    ("slice", lambda lax, x: lax.slice(x, (1, 0), (6, 3), (2, 1)), [((7, 4), F32)], [0, 1, -1], 0),
    ("slice-out1", lambda lax, x: lax.slice(x, (2,), (5,)), [((5,), I32)], [0], 1),
    ("rev", lambda lax, x: lax.rev(x, (0, 1)), [((2, 5), F32)], [0, 1, -1], 0),
    ("rev-one-dim", lambda lax, x: lax.rev(x, (1,)), [((2, 5), np.bool_)], [-2], 2),
    ("concatenate", lambda lax, x, y: lax.concatenate([x, y], 1), [((2, 3), F32), ((2, 5), F32)],
     [(0, 0), (1, None), (None, -1), (2, 0)], 0),
    ("concatenate-out1", lambda lax, x, y: lax.concatenate([x, y], 0), [((2,), I32), ((5,), I32)],
     [(0, None), (-1, 0)], 1),
    ("concatenate-three", lambda lax, x, y, z: lax.concatenate([x, y, z], 0),
     [((1, 2), F32), ((3, 2), F32), ((2, 2), F32)], [(0, None, 1), (None, 2, None)], -1),
    ("pad", lambda lax, x, v: lax.pad(x, v, [(1, 2, 1), (-1, 0, 2)]), [((3, 4), F32), ((), F32)],
     [(0, None), (-1, None), (1, 0), (None, 0)], 0),
    ("pad-out1", lambda lax, x, v: lax.pad(x, v, [(0, -2, 0)]), [((5,), I32), ((), I32)], [(0, None), (0, 0)], 1),
    ("pad-0d", lambda lax, x, v: lax.pad(x, v, []), [((), F32), ((), F32)], [(0, None), (None, 0)], 0),
    ("dynamic_slice", lambda lax, x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)),
     [((5, 4), F32), starts(OUT_OF_RANGE), starts([0, -1, 7])],
     [(0, None, None), (-1, None, None), (None, 0, None), (1, 0, 0), (2, None, 0)], 0),
    ("dynamic_slice-out1", lambda lax, x, i: lax.dynamic_slice(x, (i,), (2,)),
     [((5,), np.complex64), starts([250, 1, 4], np.uint8)], [(0, 0), (1, None)], 1),
    ("dynamic_slice-0d", lambda lax, x: lax.dynamic_slice(x, (), ()), [((), F32)], [0], 0),
    ("dynamic_index_in_dim", lambda lax, x, i: lax.dynamic_index_in_dim(x, i, 1, keepdims=False),
     [((2, 5), F32), starts(OUT_OF_RANGE, np.int8)], [(0, 0), (None, 0)], 0),
    ("dynamic_update_slice", lambda lax, x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
     [((5, 4), F32), ((2, 3), F32), starts(OUT_OF_RANGE), starts([3, -2, 0])],
     [(0, None, None, None), (None, -1, None, None), (1, 0, None, None), (0, 0, 0, None), (None, None, None, 0),
      (2, 1, 0, 0)], 0),
    ("dynamic_update_slice-out1", lambda lax, x, u, i: lax.dynamic_update_slice(x, u, (i,)),
     [((5,), I32), ((2,), I32), starts(OUT_OF_RANGE)], [(None, 0, 0), (-1, None, 0)], 1),
    ("dynamic_update_slice-0d", lambda lax, x, u: lax.dynamic_update_slice(x, u, ()), [((), F32), ((), F32)],
     [(0, None), (None, 0), (0, 0)], 0),
]


def rows():
    for name, fn, operands, in_axes_list, out_axes in CASES:
        for in_axes in in_axes_list:
            in_axes = in_axes if isinstance(in_axes, tuple) else (in_axes,)
            yield pytest.param(fn, operands, in_axes, out_axes, id=f"{name}-{in_axes}")


def make_inputs(operands, in_axes, seed):
    rng = np.random.default_rng(seed)
    inputs = []
    for operand, axis in zip(operands, in_axes, strict=True):
        if isinstance(operand, np.ndarray):  # fixed start indices: per batch element, or one for all
            inputs.append(operand if axis is not None else operand[1])
        else:
            inputs.append(batched(rng, *operand, axis))
    return inputs


@pytest.mark.parametrize("fn, operands, in_axes, out_axes", list(rows()))
def test_vmap_lax(fn, operands, in_axes, out_axes):
    check_vmap(fn, make_inputs(operands, in_axes, 0), in_axes, out_axes)


# ----------------------------------------------------------------------------- mirax.numpy


NUMPY = [  # id, fn(jnp, lax, *operands), operands, in_axes, out_axes
    ("concatenate", lambda np_, lax, x, y: np_.concatenate([x, y, x], axis=-1), [((2, 3), F32), ((2, 1), F32)],
     (1, None), 0),
    ("pad", lambda np_, lax, x: np_.pad(x, ((1, 2), (0, 1)), constant_values=5), [((2, 3), I32)], (-1,), 1),
    ("reverse", lambda np_, lax, x: x[::-1], [((4, 3), F32)], (1,), 0),
    ("slice", lambda np_, lax, x: x[1:3, ::2], [((4, 5), F32)], (0,), 2),
    ("reshape", lambda np_, lax, x: np_.reshape(x, (-1,)), [((2, 5), F32)], (2,), 0),
    ("flip-transpose", lambda np_, lax, x, y: np_.flip(np_.transpose(x) + y, axis=0), [((2, 5), F32), ((5, 2), F32)],
     (0, None), 0),
    ("dynamic_slice-batched-index", lambda np_, lax, x, i: lax.dynamic_slice(np_.sin(x), (i, 0), (4, 2)) * 2,
     [((6, 2), F32), starts(OUT_OF_RANGE)], (None, 0), 1),
]


@pytest.mark.parametrize("fn, operands, in_axes, out_axes", [pytest.param(*row[1:], id=row[0]) for row in NUMPY])
def test_vmap_numpy(fn, operands, in_axes, out_axes):
    check_vmap(fn, make_inputs(operands, in_axes, 1), in_axes, out_axes,
               jax_modules=(jjnp, jax.lax), mirax_modules=(mjnp, mirax.lax))
