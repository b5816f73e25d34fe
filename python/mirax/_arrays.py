"""jax's top-level functions about Arrays themselves, for one process and one device:

- `live_arrays(platform)`: the Arrays alive now (found through the garbage collector,
  which tracks them, so that creating an Array costs nothing more);
- `make_array_from_callback`, `make_array_from_single_device_arrays`,
  `make_array_from_process_local_data`: an Array from its shards, where a sharding (any
  object with JAX's `device_set`) places the whole array on one device: a sharding over
  several devices raises NotImplementedError.
"""
import gc

import numpy as np

from mirax import platforms
from mirax.core import Array, to_array

__all__ = ["live_arrays", "make_array_from_callback", "make_array_from_process_local_data",
           "make_array_from_single_device_arrays"]


def live_arrays(platform=None):
    """Every live Array on `platform`'s device (by default the default backend's), as jax.live_arrays."""
    device = platforms.devices(platform)[0]
    return [x for x in gc.get_objects() if type(x) is Array and x.device == device]


def _one_device(sharding):
    devices = getattr(sharding, "device_set", None)
    if devices is None:
        raise TypeError(f"sharding should be a Sharding (with a device_set), got {sharding!r}")
    if len(devices) != 1:
        raise NotImplementedError(f"mirax arrays live on one device: a sharding over {len(devices)} devices is "
                                  f"not supported")
    return next(iter(devices))


def _whole(shape, array, dtype=None):
    """`array` as the one shard of an Array of `shape` (and `dtype`, where given)."""
    array = to_array(array if dtype is None else np.asarray(array, dtype))
    if tuple(array.aval.shape) != tuple(shape):
        raise ValueError(f"Expected shard shape {tuple(shape)} doesn't match the single device array shape "
                         f"{tuple(array.aval.shape)}.")
    return array


def make_array_from_callback(shape, sharding, data_callback, dtype=None):
    """The Array of `shape` whose one shard is data_callback(index), index selecting all of it."""
    _one_device(sharding)
    return _whole(shape, data_callback((slice(None),) * len(shape)), dtype)


def make_array_from_single_device_arrays(shape, sharding, arrays, *, dtype=None):
    """The Array of `shape` made of `arrays`, its shards: here one, the whole array."""
    _one_device(sharding)
    if len(arrays) != 1:
        raise ValueError(f"The sharding has 1 device but {len(arrays)} arrays were given")
    return _whole(shape, arrays[0], dtype)


def make_array_from_process_local_data(sharding, local_data, global_shape=None):
    """The Array of this process's data: all of it, one process being all there is."""
    _one_device(sharding)
    return _whole(np.shape(local_data) if global_shape is None else global_shape, local_data)
