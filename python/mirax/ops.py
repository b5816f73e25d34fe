"""jax.ops: reductions within segments. `segment_sum(data, segment_ids)[k]` combines the
rows of data whose segment id is k, by one scatter (add, mul, min, max) into an array of
the reduction's identity; ids out of range are dropped (mode 'clip' clamps them), negative
ones included, as JAX's. With `bucket_size`, each bucket of rows scatters into its own
copy, reduced at the end, as JAX's."""
import operator

import numpy as np

from mirax import dtypes, lax
from mirax import numpy as jnp
from mirax.core import Tracer
from mirax.numpy._util import check_arraylike

__all__ = ["segment_max", "segment_min", "segment_prod", "segment_sum"]


def _extreme(dtype, low):
    """The identity of max (low) or min: the lowest or highest value of dtype."""
    if dtype == np.bool_:
        return not low
    if dtypes.is_integer(dtype):
        return np.iinfo(dtype).min if low else np.iinfo(dtype).max
    return -np.inf if low else np.inf


def _segment(name, scatter, identity, reducer, data, segment_ids, num_segments, indices_are_sorted, unique_indices,
             bucket_size, mode, out_sharding):
    check_arraylike(name, data, segment_ids)
    if out_sharding is not None:
        raise NotImplementedError(f"mirax.ops.{name} does not support out_sharding: mirax arrays are not sharded")
    data, segment_ids = jnp.asarray(data), jnp.asarray(segment_ids)
    if num_segments is None:  # the ids' values decide the shape: they must be concrete, as in JAX
        num_segments = np.max(segment_ids) + 1
    if isinstance(num_segments, Tracer):  # JAX's context names segment_sum for every op
        num_segments = num_segments.concrete_or_error("segment_sum() `num_segments` argument.")
    num_segments = operator.index(num_segments)
    if num_segments < 0:
        raise ValueError("num_segments must be non-negative.")
    if lax.GatherScatterMode.from_any(mode) == lax.GatherScatterMode.CLIP:
        segment_ids = jnp.clip(segment_ids, 0, num_segments - 1)
    ids, shape = [segment_ids], (num_segments,)
    if bucket_size is not None:
        num_buckets = -(-segment_ids.size // bucket_size)
        ids, shape = [jnp.arange(segment_ids.shape[0]) // bucket_size, segment_ids], (num_buckets, num_segments)
    out = jnp.full(shape + data.shape[segment_ids.ndim:], identity(data.dtype), data.dtype)
    dnums = lax.ScatterDimensionNumbers(update_window_dims=tuple(range(segment_ids.ndim, data.ndim)),
                                        inserted_window_dims=tuple(range(len(ids))),
                                        scatter_dims_to_operand_dims=tuple(range(len(ids))))
    out = scatter(out, jnp.stack(ids, axis=-1), data, dnums, indices_are_sorted=indices_are_sorted,
                  unique_indices=unique_indices, mode=mode)
    return out if bucket_size is None else reducer(out, axis=0).astype(data.dtype)


def segment_sum(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None, out_sharding=None):
    """The sums of the rows of `data` in each segment, as jax.ops.segment_sum."""
    return _segment("segment_sum", lax.scatter_add, lambda dtype: 0, jnp.sum, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode, out_sharding)


def segment_prod(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                 bucket_size=None, mode=None, out_sharding=None):
    """The products of the rows of `data` in each segment, as jax.ops.segment_prod."""
    return _segment("segment_prod", lax.scatter_mul, lambda dtype: 1, jnp.prod, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode, out_sharding)


def segment_max(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None, out_sharding=None):
    """The maxima of the rows of `data` in each segment (the dtype's lowest value where
    a segment is empty), as jax.ops.segment_max."""
    return _segment("segment_max", lax.scatter_max, lambda dtype: _extreme(dtype, True), jnp.max, data, segment_ids,
                    num_segments, indices_are_sorted, unique_indices, bucket_size, mode, out_sharding)


def segment_min(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None, out_sharding=None):
    """The minima of the rows of `data` in each segment (the dtype's highest value where
    a segment is empty), as jax.ops.segment_min."""
    return _segment("segment_min", lax.scatter_min, lambda dtype: _extreme(dtype, False), jnp.min, data, segment_ids,
                    num_segments, indices_are_sorted, unique_indices, bucket_size, mode, out_sharding)
