"""jax.sharding's names for meshes and shardings: `Mesh` (a named grid of devices: one CPU
per process under mpiexec), `PartitionSpec` (`mirax.P`: which mesh axes each dimension
is split over), `NamedSharding` and `AxisType`; `make_mesh` is jax.make_mesh, and
`set_mesh` jax.set_mesh (the context mesh: a PartitionSpec stands for a NamedSharding
over it).

A mesh is what shard_map runs over. Its devices must be all processes' devices, in
process order: MLIR's collectives (shard dialect, lowered to MPI) address processes by
their rank in MPI's world, which is the mesh's row-major position."""
import enum
import math
import threading

import numpy as np

from mirax import platforms
from mirax.core import current_trace

__all__ = ["AxisType", "Mesh", "NamedSharding", "PartitionSpec", "Shard", "SingleDeviceSharding", "make_mesh",
           "set_mesh"]


class AxisType(enum.Enum):
    Auto = enum.auto()
    Explicit = enum.auto()
    Manual = enum.auto()

    def __repr__(self):
        return self.name


def _axis_types(axis_names, axis_types):
    axis_types = (AxisType.Auto,) * len(axis_names) if axis_types is None else axis_types
    if not isinstance(axis_types, tuple):
        axis_types = (axis_types,)
    if not all(isinstance(t, AxisType) for t in axis_types):
        raise TypeError(f"axis_types passed to Mesh must be of type `jax.sharding.AxisType`. Got {axis_types} of "
                        f"type {tuple(type(t) for t in axis_types)}")
    if len(axis_types) != len(axis_names):
        raise ValueError(f"Number of axis names should match the number of axis_types. Got axis_names={axis_names} "
                         f"and axis_types={axis_types}")
    return axis_types


class Mesh:
    """Devices arranged in a grid whose axes have names, as jax.sharding.Mesh."""

    def __init__(self, devices, axis_names, axis_types=None):
        devices = np.array(devices, dtype=object) if not isinstance(devices, np.ndarray) else devices
        axis_names = (axis_names,) if isinstance(axis_names, str) else tuple(axis_names)
        if any(name is None for name in axis_names):
            raise ValueError(f"Mesh axis names cannot be None. Got: {axis_names}")
        if devices.ndim != len(axis_names):
            raise ValueError("Mesh requires the ndim of its first argument (`devices`) to equal the length of its "
                             "second argument (`axis_names`), but got "
                             f"devices.ndim == {devices.ndim} and len(axis_names) == {len(axis_names)}.")
        self.devices = devices.copy()
        self.devices.flags.writeable = False
        self.axis_names = axis_names
        self.axis_types = _axis_types(axis_names, axis_types)
        self.size = math.prod(devices.shape)

    @property
    def shape(self):
        """{axis name: size}, in the mesh's order."""
        return dict(zip(self.axis_names, self.devices.shape, strict=True))

    @property
    def axis_sizes(self):
        return tuple(self.devices.shape)

    @property
    def shape_tuple(self):
        return tuple(zip(self.axis_names, self.devices.shape, strict=True))

    @property
    def device_ids(self):
        return np.vectorize(lambda d: d.id, otypes=[int])(self.devices)

    @property
    def local_devices(self):
        index = platforms.processes()[0]
        return [d for d in self.devices.flat if d.process_index == index]

    @property
    def is_multi_process(self):
        return len({d.process_index for d in self.devices.flat}) > 1

    def _key(self):
        return tuple(self.devices.flat), self.devices.shape, self.axis_names, self.axis_types

    def __eq__(self, other):
        return isinstance(other, Mesh) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"Mesh({', '.join(f'{n!r}: {s}' for n, s in self.shape_tuple)}, axis_types={self.axis_types})"


class PartitionSpec(tuple):
    """Per array dimension, the mesh axis (or tuple of axes, or None) it is split over, as
    jax.sharding.PartitionSpec."""

    def __new__(cls, *partitions):
        for p in partitions:
            if not (p is None or isinstance(p, str) or
                    (isinstance(p, tuple) and all(isinstance(a, str) for a in p))):
                raise TypeError(f"PartitionSpec entries must be a mesh axis name, a tuple of them or None, got {p!r}")
        return super().__new__(cls, partitions)

    def __repr__(self):
        return f"PartitionSpec({', '.join(map(repr, self))}{',' if len(self) == 1 else ''})"

    def axes(self):
        """The mesh axes the spec names, in order."""
        return [a for p in self if p is not None for a in ((p,) if isinstance(p, str) else p)]


class NamedSharding:
    """An array split over `mesh` as `spec` says, as jax.sharding.NamedSharding."""

    def __init__(self, mesh, spec):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"NamedSharding's mesh must be a Mesh, got {mesh!r}")
        if not isinstance(spec, PartitionSpec):
            raise TypeError(f"NamedSharding's spec must be a PartitionSpec, got {spec!r}")
        unknown = [a for a in spec.axes() if a not in mesh.axis_names]
        if unknown:
            raise ValueError(f"Resource axis: {unknown[0]} of {spec} is not found in mesh: {tuple(mesh.axis_names)}.")
        self.mesh = mesh
        self.spec = spec

    @property
    def device_set(self):
        return set(self.mesh.devices.flat)

    @property
    def num_devices(self):
        return self.mesh.size

    @property
    def is_fully_addressable(self):
        return not self.mesh.is_multi_process

    @property
    def is_fully_replicated(self):
        return all(self.mesh.shape[a] == 1 for a in self.spec.axes())

    def _splits(self, ndim):
        """Per dimension, the mesh axes it is split over."""
        splits = [() if p is None else (p,) if isinstance(p, str) else p for p in self.spec]
        return splits + [()] * (ndim - len(splits))

    def shard_shape(self, shape):
        sizes = self.mesh.shape
        out = []
        for d, (n, axes) in enumerate(zip(shape, self._splits(len(shape)), strict=True)):
            parts = math.prod(sizes[a] for a in axes)
            if n % parts:
                raise ValueError(f"One of device_put args was given the sharding of {self}, which implies that the "
                                 f"global size of its dimension {d} should be divisible by {parts}, but it is equal "
                                 f"to {n} (full shape: {tuple(shape)})")
            out.append(n // parts)
        return tuple(out)

    def devices_indices_map(self, shape):
        """{device: the index (a slice per dimension) of its block of a value of `shape`}."""
        block = self.shard_shape(shape)
        sizes = self.mesh.shape
        indices = {}
        for position in np.ndindex(self.mesh.devices.shape):
            coordinate = dict(zip(self.mesh.axis_names, position, strict=True))
            index = []
            for n, axes in zip(block, self._splits(len(shape)), strict=True):
                k = 0
                for a in axes:  # row-major over the dimension's axes
                    k = k * sizes[a] + coordinate[a]
                parts = math.prod(sizes[a] for a in axes)
                index.append(slice(None) if parts == 1 else slice(k * n, (k + 1) * n))
            indices[self.mesh.devices[position]] = tuple(index)
        return indices

    def addressable_devices_indices_map(self, shape):
        index = platforms.processes()[0]
        return {d: i for d, i in self.devices_indices_map(shape).items() if d.process_index == index}

    def replica_id(self, device):
        """The device's rank among those holding the same block (row-major over the mesh
        axes the spec does not name)."""
        named = set(self.spec.axes())
        position = dict(zip(self.mesh.axis_names, np.argwhere(self.mesh.devices == device)[0], strict=True))
        k = 0
        for a in self.mesh.axis_names:
            if a not in named:
                k = k * self.mesh.shape[a] + int(position[a])
        return k

    def __eq__(self, other):
        return isinstance(other, NamedSharding) and (self.mesh, self.spec) == (other.mesh, other.spec)

    def __hash__(self):
        return hash((self.mesh, self.spec))

    def __repr__(self):
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r})"


class SingleDeviceSharding:
    """A whole array on one device, as jax.sharding.SingleDeviceSharding: where a plain
    Array is."""

    def __init__(self, device, *, memory_kind=None):
        if memory_kind not in (None, "device"):
            raise NotImplementedError(f"SingleDeviceSharding: memory_kind={memory_kind!r}; mirax's is 'device'")
        self.device = device

    memory_kind = "device"
    is_fully_addressable = True
    is_fully_replicated = True
    num_devices = 1

    @property
    def device_set(self):
        return {self.device}

    def shard_shape(self, shape):
        return tuple(shape)

    def devices_indices_map(self, shape):
        return {self.device: (slice(None),) * len(shape)}

    addressable_devices_indices_map = devices_indices_map

    def replica_id(self, device):
        return 0

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and self.device == other.device

    def __hash__(self):
        return hash(self.device)

    def __repr__(self):
        return f"SingleDeviceSharding(device={self.device!r}, memory_kind=device)"


class Shard:
    """One device's block of an Array, as jax.Array's addressable_shards hold."""

    def __init__(self, device, index, replica_id, data):
        self.device, self.index, self.replica_id, self.data = device, index, replica_id, data

    def __repr__(self):
        return f"Shard(device={self.device!r}, index={self.index}, replica_id={self.replica_id}, data={self.data})"


def make_mesh(axis_shapes, axis_names, axis_types=None, *, devices=None):
    """A mesh of `axis_shapes` over the first devices (by default every process's), as
    jax.make_mesh; by default its axes are Explicit, as JAX's."""
    devices = platforms.devices() if devices is None else list(devices)
    try:
        shape = tuple(int(s) for s in axis_shapes)
    except TypeError:
        shape = None
    if shape is None or any(s != a for s, a in zip(shape, axis_shapes, strict=True)):
        raise ValueError(f"`axis_shapes` passed to `make_mesh` should be a sequence of ints. Got {axis_shapes}")
    size = math.prod(shape)
    if size > len(devices):
        raise ValueError(f"Number of devices {len(devices)} must be >= the product of mesh_shape {shape}")
    grid = np.empty(size, dtype=object)
    grid[:] = devices[:size]
    if axis_types is None:
        axis_types = (AxisType.Explicit,) * len(shape)
    return Mesh(grid.reshape(shape), axis_names, axis_types=axis_types)


_context = threading.local()  # .mesh: set_mesh's, per thread as JAX's


class set_mesh:  # noqa: N801 - JAX's name; a class so that it is also a context manager
    """Set the context mesh, as jax.set_mesh: for the rest of the thread (a setter) or,
    as a context manager, until its block ends. Under it a PartitionSpec stands for a
    NamedSharding over the mesh (jit's shardings, reshard) and shard_map and smap take
    it as their mesh."""

    __slots__ = ("_previous",)

    def __init__(self, mesh):
        if mesh is not None and not isinstance(mesh, Mesh):
            raise ValueError(f"Expected mesh of type `jax.sharding.Mesh`. Got {type(mesh)}")
        if current_trace() is not None:
            raise ValueError("`set_mesh` can only be used outside of `jax.jit`.")
        if mesh is not None and AxisType.Manual in mesh.axis_types:
            raise ValueError(f"mesh {mesh} contains manual axes which is not allowed when using `jax.set_mesh`. "
                             "Please use `jax.shard_map` to enter into `Manual` mode instead.")
        self._previous = context_mesh()
        _context.mesh = mesh

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        _context.mesh = self._previous


def context_mesh():
    """set_mesh's mesh in this thread, or None."""
    return getattr(_context, "mesh", None)


def named(sharding):
    """`sharding`, a PartitionSpec as a NamedSharding over the context mesh."""
    if not isinstance(sharding, PartitionSpec):
        return sharding
    mesh = context_mesh()
    if mesh is None:
        raise ValueError("Using PartitionSpec when you are not under a mesh context is not allowed. Please pass a "
                         f"NamedSharding instance or enter into a mesh context via `jax.set_mesh`. Got {sharding}")
    return NamedSharding(mesh, sharding)
