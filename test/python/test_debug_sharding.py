"""jax.debug's sharding inspectors and effects against JAX's: the same tables printed
for single-device arrays, eagerly and under jit and vmap, and for layouts over several
devices (a stand-in sharding both draw alike)."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp


def _printed(capsys, run):
    run()
    return capsys.readouterr().out


@pytest.mark.parametrize("shape", [(8,), (4, 6), (6, 2)])
def test_visualize_array_sharding_as_jax(capsys, shape):
    def program(jax, jnp):
        x = jnp.ones(shape)
        jax.debug.visualize_array_sharding(x)
        jax.jit(lambda x: jax.debug.visualize_array_sharding(x) or x)(x)
        jax.debug.inspect_array_sharding(x, callback=print)

    assert _printed(capsys, lambda: program(mirax, mjnp)) == _printed(capsys, lambda: program(jax, jjnp))


def test_inspect_under_vmap_and_errors(capsys):
    for jax_, jnp in ((mirax, mjnp), (jax, jjnp)):
        jax_.vmap(lambda x: jax_.debug.inspect_array_sharding(x, callback=print))(jnp.ones((3, 2)))
        for shape in ((2, 2, 2), ()):
            with pytest.raises(ValueError, match="only works for shapes with 1 and 2 dimensions"):
                jax_.debug.visualize_array_sharding(jnp.ones(shape))
    mirax_out, jax_out = capsys.readouterr().out.split("\n", 1)
    assert mirax_out + "\n" == jax_out


class _Device:
    def __init__(self, id):  # noqa: A002 (JAX's name)
        self.id, self.platform = id, "cpu"


class _Blocks:
    """A sharding of `grid` devices, each holding one block (row-major)."""

    def __init__(self, grid, shape):
        self.devices = [_Device(i) for i in range(int(np.prod(grid)))]
        self.grid, self.shape = grid, shape

    @property
    def device_set(self):
        return set(self.devices)

    def devices_indices_map(self, shape):
        blocks = [n // g for n, g in zip(shape, self.grid, strict=True)]
        return {d: tuple(slice(k * b, (k + 1) * b) if g > 1 else slice(None)
                         for k, b, g in zip(np.unravel_index(d.id, self.grid), blocks, self.grid, strict=True))
                for d in self.devices}


@pytest.mark.parametrize("grid, shape, options", [
    ((4,), (8,), {}), ((2, 2), (4, 6), {}), ((1, 4), (16, 8), {"scale": 0.5}), ((3, 1), (6, 3), {"min_width": 12})])
def test_visualize_sharding_of_blocks(capsys, grid, shape, options):
    mirax.debug.visualize_sharding(shape, _Blocks(grid, shape), **options)
    got = capsys.readouterr().out
    jax.debug.visualize_sharding(shape, _Blocks(grid, shape), **options)
    assert got == capsys.readouterr().out


def test_effects_and_key_entry():
    assert str(mirax.debug.DebugEffect()) == str(jax.debug.DebugEffect()) == "Debug"
    assert str(mirax.debug.OrderedDebugEffect()) == str(jax.debug.OrderedDebugEffect()) == "OrderedDebug"
    assert mirax.tree_util.KeyEntry.__name__ == jax.tree_util.KeyEntry.__name__ == "KeyEntry"
    assert set(mirax.debug.__all__) == set(jax.debug.__all__)
