"""jax.Array's layout attributes on mirax's Arrays (installed here, as array_methods
installs their operators): `sharding`, `addressable_shards`, `is_fully_addressable`,
`is_fully_replicated`, for mirax's model of one CPU device per process. A plain Array is
on its buffer's device (SingleDeviceSharding); device_put with a NamedSharding gives a
PlacedArray, which every process holds whole (mirax's arrays are global values, the same
on every process, as JAX's device_put of a host value assumes) and whose addressable
shard is the block its device's index names."""
from mirax import platforms
from mirax.core import Array, Tracer, to_array
from mirax.sharding import NamedSharding, Shard, SingleDeviceSharding, named
from mirax.tree_util import flatten_prefix, tree_flatten, tree_unflatten

__all__ = ["PlacedArray", "put_sharded", "reshard"]


class PlacedArray(Array):
    """An Array laid out over a mesh by a NamedSharding (device_put's)."""

    __slots__ = ("_layout",)

    def __init__(self, value, weak_type, layout):
        super().__init__(value, weak_type)
        self._layout = layout

    @property
    def sharding(self):
        return self._layout

    def __reduce__(self):
        return (PlacedArray, (self._value, self.weak_type, self._layout))


def _addressable_shards(self):
    """This process's devices' blocks."""
    layout = self.sharding
    return [Shard(device, index, layout.replica_id(device), Array(self._value[index], self.weak_type))
            for device, index in layout.addressable_devices_indices_map(self._value.shape).items()]


Array.sharding = property(lambda self: SingleDeviceSharding(self.device), doc="The buffer's device's sharding.")
Array.addressable_shards = property(_addressable_shards)
Array.is_fully_addressable = property(lambda self: self.sharding.is_fully_addressable)
Array.is_fully_replicated = property(lambda self: self.sharding.is_fully_replicated)


def put_sharded(layout, leaf):
    """device_put of one value with a NamedSharding over a mesh of every process's CPU
    device; under a trace the value itself (the layout is not traced)."""
    array = to_array(leaf)
    if isinstance(array, Tracer):
        return array
    mesh_devices = list(layout.mesh.devices.flat)
    if sorted(d.id for d in mesh_devices) != [d.id for d in platforms.devices("cpu")]:
        raise NotImplementedError(f"mirax.device_put: a NamedSharding's mesh must hold every process's CPU device "
                                  f"({platforms.devices('cpu')}), got {mesh_devices}")
    layout.shard_shape(array.aval.shape)  # JAX's error for a dimension the mesh does not divide
    return PlacedArray(platforms.put(array._value, platforms.local_cpu()), array.weak_type, layout)


def reshard(xs, out_shardings):
    """The arrays of `xs` laid out as `out_shardings` says (a NamedSharding, or a
    PartitionSpec over set_mesh's mesh, for each or a prefix of `xs`), as jax.reshard:
    device_put's layouts; under a trace the values themselves (mirax's types carry no
    layout)."""
    leaves, tree = tree_flatten(xs)
    shardings = [named(s) for s in flatten_prefix(out_shardings, xs, name="reshard out_shardings")]
    for s in shardings:
        if not isinstance(s, NamedSharding):
            raise ValueError("Reshard should only be used with out_shardings which are non-None and have a non-empty "
                             f"mesh. Got sharding {s}.")
    return tree_unflatten(tree, [put_sharded(s, x) for x, s in zip(leaves, shardings, strict=True)])
