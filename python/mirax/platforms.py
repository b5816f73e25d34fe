"""Devices and platforms: the CPU, always there, and an NVIDIA GPU where the CUDA
driver finds one. The default platform is the CPU unless `MIRAX_PLATFORM=gpu` (read at
import) or `mirax.config.update("jax_platform_name", "gpu")` says otherwise; it applies
to functions compiled after it is set.

An array lives where its buffer does: GPU arrays are in unified memory (python/mirax/
cuda.py), which the host reads when the array is printed or converted, after the
computation that produced it has finished (launches are synchronous).

A process has one GPU: its local MPI rank's, modulo the host's devices (cuda.Driver).
Its Device's id is that CUDA device's ordinal, the id JAX gives it in a process seeing
all of the host's GPUs (and JAX's local_hardware_id); mirax.devices("gpu") lists it
alone, as GPU programs do not span processes. Arrays cannot be put on a device of
another process, or on another GPU (put).
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
    """This process's GPU, the CUDA device the runtime uses (its id is its ordinal);
    GpuUnavailable (a RuntimeError) says what is missing."""
    driver = cuda.driver()
    return Device("gpu", driver.ordinal, driver.device_name, _processes[0])


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
    """The devices of `backend` (default: the default backend's), of every process (the
    GPU: this process's only)."""
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
    """A NumPy buffer's copy on `device` (itself if it is there already): this
    process's CPU or GPU; another device is refused with JAX's error for a device that
    is not addressable (ValueError)."""
    if device_of(value) == device:
        return value
    local = gpu() if device.platform == "gpu" else local_cpu()
    if (device.id, device.process_index) != (local.id, local.process_index):  # (whatever its device_kind says)
        raise ValueError(f"device_put's second argument must be a Device or a Sharding which represents addressable "
                         f"devices, but got {device}. Please pass device or Sharding which represents addressable "
                         f"devices. (This process's {device.platform.upper()} is {local}"
                         + (": mirax uses one GPU per process, its local MPI rank's modulo the host's GPUs)"
                            if device.platform == "gpu" else ")"))
    return cuda.to_unified_memory(value) if device.platform == "gpu" else value.copy()
