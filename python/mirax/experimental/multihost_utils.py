"""jax.experimental.multihost_utils over mirax's processes (mirax.distributed): each
process's own NumPy data gathered from every process (`process_allgather`), one
process's broadcast to all (`broadcast_one_to_all`), a barrier checking that every
process reached the same one (`sync_global_devices`, `assert_equal`).

Each is a shard_map over a mesh of all processes whose blocks are the processes' own
data (_shard_map.across_processes): the collectives then combine them."""
import zlib

import numpy as np

from mirax import lax, platforms
from mirax._shard_map import across_processes
from mirax.tree_util import tree_all, tree_map

__all__ = ["assert_equal", "broadcast_one_to_all", "process_allgather", "sync_global_devices"]


def process_allgather(in_tree, tiled=False):
    """The processes' arrays of `in_tree` (NumPy arrays of one shape on every process),
    stacked along a new first axis in process order (concatenated along the first axis
    if `tiled`; scalars are stacked)."""
    def gather(x):
        x = np.asarray(x)
        if platforms.processes()[1] == 1:
            return x if tiled else x[None]
        if x.ndim == 0 or not tiled:
            x = x[None]
        return across_processes(lambda block: lax.all_gather(block, "processes", tiled=True), x)

    return tree_map(gather, in_tree)


def broadcast_one_to_all(in_tree, is_source=None):
    """`in_tree` (NumPy arrays of one shape on every process) as the source process has
    it (by default process 0), on every process."""
    if platforms.processes()[1] == 1:
        return tree_map(np.asarray, in_tree)
    if is_source is None:
        is_source = platforms.processes()[0] == 0

    def broadcast(x):
        x = np.asarray(x)
        return across_processes(lambda block: lax.psum(block, "processes"), x if is_source else np.zeros_like(x)).astype(x.dtype)

    return tree_map(broadcast, in_tree)


def assert_equal(in_tree, fail_message=""):
    """AssertionError (JAX's message) unless every process has the same `in_tree`."""
    out = process_allgather(in_tree, tiled=True)
    expected = tree_map(lambda x: np.concatenate([np.atleast_1d(x)] * platforms.processes()[1]), in_tree)
    if not tree_all(tree_map(lambda a, b: bool(np.all(np.equal(a, b))), expected, out)):
        raise AssertionError(f"{fail_message}. Expected: {out}; got: {in_tree}.")


def sync_global_devices(name):
    """A barrier of all processes, which must all call it with the same `name`."""
    assert_equal(np.uint32(zlib.crc32(name.encode())), f"sync_global_devices name mismatch ('{name}')")
