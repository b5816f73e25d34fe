"""jax.memory: the memory spaces an array or ref may live in. mirax has one, the
device's (on the CPU backend, host memory: `Device` and `Host` are the same memory)."""
import enum

__all__ = ["Space"]


class MemorySpace(enum.Enum):
    """JAX's core.MemorySpace, which jax.memory names Space."""

    Device = enum.auto()
    Host = enum.auto()
    Any = enum.auto()

    def __repr__(self):
        return f"MemorySpace.{self.name}"

    __hash__ = object.__hash__  # as JAX's: identity, not the name's hash


Space = MemorySpace
