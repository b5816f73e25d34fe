"""Typed PRNG key arrays (random.key) through jax.numpy's shape operations, indexing,
.at updates and where, against JAX: the same results (typed keys, shapes and
random.key_data), eagerly, under jit and under vmap; and JAX's errors where JAX
refuses keys (arithmetic, promotion with other dtypes, conversion)."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax import random as jr

import mirax
import mirax.numpy as mjnp
from mirax import random as mr
from oracle import check

MODULES = {"mirax": (mjnp, mirax.lax, mr), "jax": (jjnp, jax.lax, jr)}


def keys(module):
    """A (2, 3) key array and a 0-d key, the same in mirax and JAX."""
    r = MODULES[module][2]
    return r.split(r.key(7), 6).reshape(2, 3), r.key(11)


def check_keys(got, want, label=""):
    """Typed keys where JAX has typed keys (with the same data), equal arrays elsewhere."""
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), (label, got)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            check_keys(g, w, f"{label}[{i}]")
    elif jjnp.issubdtype(want.dtype, jax.dtypes.prng_key):
        assert isinstance(got, mr.PRNGKeyArray), (label, got)
        assert got.shape == want.shape, (label, got.shape, want.shape)
        check(mr.key_data(got), jr.key_data(want), label)
    else:
        check(got, want, label)


C = np.array([True, False, True])

# fn(jnp, lax, ks, k): ks a (2, 3) key array, k a 0-d key.
CASES = {
    "stack": lambda m, lax, ks, k: m.stack([k, k]),
    "stack axis": lambda m, lax, ks, k: m.stack([ks, ks[::-1]], axis=1),
    "stack axis -1": lambda m, lax, ks, k: m.stack((ks, ks), axis=-1),
    "concatenate": lambda m, lax, ks, k: m.concatenate([ks, ks[::-1]]),
    "concatenate axis -1": lambda m, lax, ks, k: m.concatenate([ks, ks[:, :1]], axis=-1),
    "hstack": lambda m, lax, ks, k: m.hstack([ks, ks]),
    "vstack": lambda m, lax, ks, k: m.vstack([ks, ks[0]]),
    "dstack": lambda m, lax, ks, k: m.dstack([ks, ks]),
    "column_stack": lambda m, lax, ks, k: m.column_stack([ks[0], ks[1]]),
    "append": lambda m, lax, ks, k: m.append(ks, ks, axis=0),
    "array of keys": lambda m, lax, ks, k: m.array([k, ks[0, 1]]),
    "asarray": lambda m, lax, ks, k: m.asarray(ks),
    "reshape": lambda m, lax, ks, k: m.reshape(ks, (3, -1)),
    "ravel": lambda m, lax, ks, k: m.ravel(ks),
    "transpose": lambda m, lax, ks, k: m.transpose(ks),
    "transpose axes": lambda m, lax, ks, k: m.transpose(ks[None], (2, 0, 1)),
    "swapaxes": lambda m, lax, ks, k: m.swapaxes(ks, 0, -1),
    "moveaxis": lambda m, lax, ks, k: m.moveaxis(ks[None], 0, -1),
    "squeeze": lambda m, lax, ks, k: m.squeeze(ks[:, None, :1]),
    "squeeze axis": lambda m, lax, ks, k: m.squeeze(ks[None], 0),
    "expand_dims": lambda m, lax, ks, k: m.expand_dims(ks, (0, -1)),
    "broadcast_to": lambda m, lax, ks, k: m.broadcast_to(k, (2, 3)),
    "broadcast_to rows": lambda m, lax, ks, k: m.broadcast_to(ks[:1], (4, 3)),
    "broadcast_arrays": lambda m, lax, ks, k: m.broadcast_arrays(k, ks),
    "atleast_2d": lambda m, lax, ks, k: m.atleast_2d(k),
    "atleast_3d": lambda m, lax, ks, k: m.atleast_3d(ks[0], k),
    "flip": lambda m, lax, ks, k: m.flip(ks, 1),
    "flip all": lambda m, lax, ks, k: m.flip(ks),
    "fliplr": lambda m, lax, ks, k: m.fliplr(ks),
    "flipud": lambda m, lax, ks, k: m.flipud(ks),
    "roll": lambda m, lax, ks, k: m.roll(ks, 1),
    "roll axis": lambda m, lax, ks, k: m.roll(ks, -1, axis=-1),
    "tile": lambda m, lax, ks, k: m.tile(ks, (2, 1)),
    "repeat": lambda m, lax, ks, k: m.repeat(ks, 2, axis=0),
    "repeat flat": lambda m, lax, ks, k: m.repeat(ks, 2),
    "split": lambda m, lax, ks, k: m.split(ks, 3, axis=1),
    "array_split": lambda m, lax, ks, k: m.array_split(ks, 2, axis=-1),
    "take": lambda m, lax, ks, k: m.take(ks, np.array([1, 0, 1]), axis=0),
    "take flat": lambda m, lax, ks, k: m.take(ks, np.array([5, 0])),
    "take_along_axis": lambda m, lax, ks, k: m.take_along_axis(ks, np.array([[1, 0, 0]]), axis=0),
    "diagonal": lambda m, lax, ks, k: m.diagonal(ks),
    "tril": lambda m, lax, ks, k: m.tril(ks),
    "triu": lambda m, lax, ks, k: m.triu(ks, 1),
    "zeros_like": lambda m, lax, ks, k: m.zeros_like(ks),
    "ones_like": lambda m, lax, ks, k: m.ones_like(k),
    "where": lambda m, lax, ks, k: m.where(C, ks[0], ks[1]),
    "where broadcast": lambda m, lax, ks, k: m.where(C, ks, k),
    "select": lambda m, lax, ks, k: m.select([C, ~C], [ks[0], ks[1]], k),
    "index int": lambda m, lax, ks, k: ks[1],
    "index slice": lambda m, lax, ks, k: ks[:, ::2],
    "index array": lambda m, lax, ks, k: ks[np.array([1, 0]), np.array([2, 2])],
    "index bool": lambda m, lax, ks, k: ks[:, C],
    "index None Ellipsis": lambda m, lax, ks, k: ks[None, ..., -1],
    "at get": lambda m, lax, ks, k: ks.at[1, ::2].get(),
    "at set": lambda m, lax, ks, k: ks.at[0, 1].set(k),
    "at set row": lambda m, lax, ks, k: ks.at[1].set(ks[0, ::-1]),
    "at set array index": lambda m, lax, ks, k: ks.at[np.array([0, 1]), np.array([2, 0])].set(k),
    "method reshape": lambda m, lax, ks, k: ks.reshape(3, 2),
    "method ravel": lambda m, lax, ks, k: ks.ravel(),
    "method flatten": lambda m, lax, ks, k: ks.flatten(),
    "method T": lambda m, lax, ks, k: ks.T,
    "method transpose": lambda m, lax, ks, k: ks.transpose(1, 0),
    "method squeeze": lambda m, lax, ks, k: ks[None].squeeze(0),
    "method swapaxes": lambda m, lax, ks, k: ks.swapaxes(0, 1),
    "method take": lambda m, lax, ks, k: ks.take(np.array([4, 1])),
    "iterate": lambda m, lax, ks, k: list(ks),
    "lax.reshape": lambda m, lax, ks, k: lax.reshape(ks, (3, 2)),
    "lax.transpose": lambda m, lax, ks, k: lax.transpose(ks, (1, 0)),
    "lax.concatenate": lambda m, lax, ks, k: lax.concatenate([ks, ks[:, :2]], 1),
    "lax.broadcast": lambda m, lax, ks, k: lax.broadcast(ks, (2,)),
    "lax.broadcast_in_dim": lambda m, lax, ks, k: lax.broadcast_in_dim(ks[0], (3, 2), (0,)),
    "lax.squeeze": lambda m, lax, ks, k: lax.squeeze(ks[:1], (0,)),
    "lax.expand_dims": lambda m, lax, ks, k: lax.expand_dims(ks, (2,)),
    "lax.slice": lambda m, lax, ks, k: lax.slice(ks, (0, 1), (2, 3), (1, 2)),
    "lax.slice_in_dim": lambda m, lax, ks, k: lax.slice_in_dim(ks, 1, 3, axis=1),
    "lax.index_in_dim": lambda m, lax, ks, k: lax.index_in_dim(ks, 1, 0, keepdims=False),
    "lax.rev": lambda m, lax, ks, k: lax.rev(ks, (0, 1)),
    "lax.dynamic_slice": lambda m, lax, ks, k: lax.dynamic_slice(ks, (m.int32(1), 1), (1, 2)),
    "lax.dynamic_slice_in_dim": lambda m, lax, ks, k: lax.dynamic_slice_in_dim(ks, 1, 2, axis=1),
    "lax.dynamic_index_in_dim": lambda m, lax, ks, k: lax.dynamic_index_in_dim(ks, -1, 1),
    "lax.dynamic_update_slice": lambda m, lax, ks, k: lax.dynamic_update_slice(ks, ks[:1, ::-1], (1, 0)),
    "lax.dynamic_update_index_in_dim": lambda m, lax, ks, k: lax.dynamic_update_index_in_dim(ks, ks[1], 0, 0),
    "lax.select": lambda m, lax, ks, k: lax.select(C, ks[0], ks[1]),
    "at get fill": lambda m, lax, ks, k: ks.at[5].get(mode="fill"),
    "take clip": lambda m, lax, ks, k: m.take(ks, np.array([7, 0]), axis=0, mode="clip"),
    "at set drop": lambda m, lax, ks, k: ks.at[1, 5].set(k, mode="drop"),
    "in scan": lambda m, lax, ks, k: lax.scan(lambda c, x: (c, m.stack([c, x])), k, ks[0])[1],
    "in fori_loop": lambda m, lax, ks, k: lax.fori_loop(0, 2, lambda i, c: m.where(C, c, m.roll(c, 1)), ks[0]),
}


@pytest.mark.parametrize("name", CASES)
def test_shape_ops_on_keys(name):
    fn = CASES[name]
    want = fn(jjnp, jax.lax, *keys("jax"))
    check_keys(fn(mjnp, mirax.lax, *keys("mirax")), want, "eager")
    check_keys(mirax.jit(lambda ks, k: fn(mjnp, mirax.lax, ks, k))(*keys("mirax")), want, "jit")


def test_under_vmap_and_with_draws():
    """Keys mapped by vmap, traced under jit, and used for draws after the shape ops."""
    def draws(m, r, ks, k):
        pair = m.stack([k, r.fold_in(k, 3)])
        chosen = m.where(C, ks[0], ks[1])
        return (r.uniform(m.concatenate([ks[0], pair])[2]), r.normal(chosen[1], (2,)),
                r.bits(ks.T.reshape(6)[4]))

    (mks, mk), (jks, jk) = keys("mirax"), keys("jax")
    want = draws(jjnp, jr, jks, jk)
    check(draws(mjnp, mr, mks, mk), want)
    check(mirax.jit(lambda ks, k: draws(mjnp, mr, ks, k))(mks, mk), want)

    def per_row(m, r, row, k):
        return m.stack([m.where(C, row, k), m.roll(row, 1)], axis=-1), r.uniform(m.concatenate([row, row])[1])

    want = jax.vmap(lambda row: per_row(jjnp, jr, row, jk))(jks)
    got = mirax.vmap(lambda row: per_row(mjnp, mr, row, mk))(mks)
    check_keys(got, want, "vmap")
    check_keys(mirax.jit(mirax.vmap(lambda row: per_row(mjnp, mr, row, mk)))(mks), want, "jit(vmap)")


def test_grad_next_to_keys():
    def loss(m, r, x, ks):
        k = m.stack([ks[0, 0], ks[1, 2]])[1]
        return m.sum(x * r.normal(k, (3,)))

    (mks, _), (jks, _) = keys("mirax"), keys("jax")
    x = np.array([1.0, 2.0, 3.0], np.float32)
    check(mirax.grad(lambda v: loss(mjnp, mr, v, mks))(x), jax.grad(lambda v: loss(jjnp, jr, v, jks))(x))


REFUSED = {  # JAX's error class and the key part of its message
    "concatenate with raw key data": (lambda m, r, ks, k: m.concatenate([ks, r.key_data(ks)[..., 0]]),
                                      ValueError, "not a valid dtype for JAX type promotion"),
    "stack with an int": (lambda m, r, ks, k: m.stack([k, 1]), ValueError, "not a valid dtype for JAX type promotion"),
    "where with an int": (lambda m, r, ks, k: m.where(C, ks[0], 0), ValueError, "not a valid dtype"),
    "select with its default 0": (lambda m, r, ks, k: m.select([C], [ks[0]]), ValueError, "not a valid dtype"),
    "concatenate to uint32": (lambda m, r, ks, k: m.concatenate([ks, ks], dtype=m.uint32), ValueError,
                              "Cannot convert_element_type from key<fry> to uint32"),
    "keys as a condition": (lambda m, r, ks, k: m.where(k, 1, 2), TypeError, None),
    "keys as indices": (lambda m, r, ks, k: m.take(m.arange(3), k), TypeError, None),
    "keys indexing keys": (lambda m, r, ks, k: ks[k], TypeError, None),
    "at set raw data": (lambda m, r, ks, k: ks.at[0].set(r.key_data(ks)[0]), TypeError, None),
    "at add": (lambda m, r, ks, k: ks.at[0].add(ks[0]), TypeError, None),
    "at max": (lambda m, r, ks, k: ks.at[0].max(ks[0]), TypeError, None),
    "sort": (lambda m, r, ks, k: m.sort(ks), TypeError, None),
    "arithmetic": (lambda m, r, ks, k: ks + 1, TypeError, None),
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_as_jax_refuses(name):
    fn, error, message = REFUSED[name]
    for module in ("jax", "mirax"):
        with pytest.raises(error, match=message):
            fn(*MODULES[module][::2], *keys(module))


def test_lax_refuses_keys_with_other_arrays():
    """JAX's lax fails in its compiler here (MLIRError: operand types do not match); mirax
    raises the promotion error its jax.numpy gives."""
    ks, _ = keys("mirax")
    with pytest.raises(ValueError, match="not a valid dtype for JAX type promotion"):
        mirax.lax.concatenate([ks, mr.key_data(ks)[..., 0]], 0)
    with pytest.raises(ValueError, match="not a valid dtype for JAX type promotion"):
        mirax.lax.select(C, ks[0], mr.key_data(ks)[0, :, 0])
