"""Devices and platforms: the CPU, always there, and an NVIDIA GPU where the CUDA
driver finds one. The default platform is the CPU unless `MIRAX_PLATFORM=gpu` (read at
import) or `mirax.config.update("jax_platform_name", "gpu")` says otherwise; it applies
to functions compiled after it is set.

An array lives where its buffer does: GPU arrays are in unified memory (python/mirax/
cuda.py), which the host reads when the array is printed or converted, after the
computation that produced it has finished (launches are synchronous).
"""
from dataclasses import dataclass

from mirax import cuda
from mirax.config import config

PLATFORMS = ("cpu", "gpu")
ALIASES = {"cuda": "gpu"}


@dataclass(frozen=True)
class Device:
    platform: str
    id: int
    device_kind: str
    process_index: int = 0

    def __repr__(self):
        return f"{'CpuDevice' if self.platform == 'cpu' else 'CudaDevice'}(id={self.id})"


CPU = Device("cpu", 0, "cpu")
# (this process's index, the number of processes): one CPU device each, with the
# process's index as its id (mirax.distributed.initialize sets it under mpiexec).
_processes = (0, 1)


def set_processes(index, count):
    global _processes
    _processes = (index, count)


def processes():
    """(this process's index, the number of processes)."""
    return _processes


def local_cpu():
    """This process's CPU device."""
    index = _processes[0]
    return Device("cpu", index, "cpu", index) if index else CPU


def platform(name):
    """The platform called `name` ('cpu', 'gpu' or 'cuda'); ValueError for others."""
    canonical = ALIASES.get(str(name).lower(), str(name).lower())
    if canonical not in PLATFORMS:
        raise ValueError(f"unknown backend {name!r}; mirax's backends are 'cpu' and 'gpu'")
    return canonical


def gpu():
    """The GPU (device 0); GpuUnavailable (a RuntimeError) says what is missing."""
    return Device("gpu", 0, cuda.driver().device_name)


def configured_platform():
    """The default platform as configured, whether or not its device is there."""
    return platform(config.jax_platform_name)


def default_backend():
    """The platform computations run on unless told otherwise: 'cpu' or 'gpu'."""
    default = configured_platform()
    if default == "gpu":
        gpu()  # fails early, naming what is missing
    return default


def devices(backend=None):
    """The devices of `backend` (default: the default backend's), of every process."""
    if platform(backend or default_backend()) != "cpu":
        return [gpu()]
    return [Device("cpu", i, "cpu", i) if i else CPU for i in range(_processes[1])]


def local_devices(backend=None):
    """This process's devices of `backend` (default: the default backend's)."""
    return [local_cpu() if platform(backend or default_backend()) == "cpu" else gpu()]


def device_of(value):
    """The device holding a NumPy buffer."""
    return gpu() if cuda.in_unified_memory(value) else local_cpu()


def put(value, device):
    """A NumPy buffer's copy on `device` (itself if it is there already)."""
    if device_of(value) == device:
        return value
    return cuda.to_unified_memory(value) if device.platform == "gpu" else value.copy()
