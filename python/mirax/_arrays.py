"""jax's top-level functions about Arrays themselves, for one process and one device:

- `live_arrays(platform)`: the Arrays alive now (found through the garbage collector,
  which tracks them, so that creating an Array costs nothing more);
- `make_array_from_callback`, `make_array_from_single_device_arrays`,
  `make_array_from_process_local_data`: an Array from its shards, where a sharding (any
  object with JAX's `device_set`) places the whole array on one device: a sharding over
  several devices raises NotImplementedError, but for the processes' blocks of
  `make_array_from_process_local_data` under mpiexec, gathered into the global value.
"""
import gc
import math

import numpy as np

from mirax import lax, platforms
from mirax._shard_map import across_processes, check_mesh, normalized_spec
from mirax.core import Array, to_array
from mirax.sharding import NamedSharding

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
    """The Array whose blocks are the processes' `local_data`, placed as `sharding` (a
    NamedSharding over every process's device) says, on every process (mirax's
    arrays are global values); with one process, its data."""
    if platforms.processes()[1] > 1 and isinstance(sharding, NamedSharding):
        return _from_processes(sharding, np.asarray(local_data), global_shape)
    _one_device(sharding)
    return _whole(np.shape(local_data) if global_shape is None else global_shape, local_data)


def _from_processes(sharding, local, global_shape):
    """Every process's `local` block gathered and placed in the global array at the
    offsets of its device's position in the mesh (devices in process order)."""
    mesh = sharding.mesh
    check_mesh(mesh)
    spec = normalized_spec(sharding.spec, local.shape, mesh)
    sizes = mesh.shape
    shape = tuple(n * math.prod(sizes[a] for a in axes) for n, axes in zip(local.shape, spec, strict=True))
    if global_shape is not None and tuple(global_shape) != shape:
        raise ValueError(f"global_shape {tuple(global_shape)} is not that of blocks of shape {local.shape} placed as "
                         f"{sharding.spec} on a mesh of shape {tuple(sizes.values())}: {shape}")
    blocks = across_processes(lambda block: lax.all_gather(block, "processes"), local)
    whole = np.empty(shape, local.dtype)
    for block, position in zip(blocks, np.ndindex(*mesh.devices.shape), strict=True):
        where = dict(zip(mesh.axis_names, position, strict=True))
        starts = [int(np.ravel_multi_index([where[a] for a in axes], [sizes[a] for a in axes])) * n if axes else 0
                  for n, axes in zip(local.shape, spec, strict=True)]
        whole[tuple(slice(s, s + n) for s, n in zip(starts, local.shape, strict=True))] = block
    return to_array(whole)
