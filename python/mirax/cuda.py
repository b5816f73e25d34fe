"""The CUDA driver API, through ctypes over libcuda: the few calls mirax's GPU runtime
makes (context, module load, launch, unified memory). A failed call raises CudaError
naming the CUDA error; a machine without the driver or a device raises GpuUnavailable
saying which is missing. Unified memory comes from a pool (POOL) that keeps freed
blocks for reuse.

Written against the CUDA driver API's documented C signatures (the `_v2` entry points
that cuda.h maps the plain names to); not yet run on a GPU.
"""
import ctypes
import functools
import math
import os
import sys
import threading

import numpy as np

LIBRARIES = ("libcuda.so.1", "libcuda.so")
CUDA_ERROR_OUT_OF_MEMORY = 2
CUDA_ERROR_NO_DEVICE = 100
# Errors that leave the context unusable: the CUDA documentation says every later call
# fails and the process must be restarted (illegal address, launch timeout, assert,
# hardware stack error, illegal instruction, misaligned address, invalid address space,
# invalid PC, launch failure).
CONTEXT_LOST = frozenset((700, 702, 710, 714, 715, 716, 717, 718, 719))
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76
CU_MEM_ATTACH_GLOBAL = 1
CU_JIT_ERROR_LOG_BUFFER = 5
CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6
_LOG_SIZE = 1 << 14
# The variables MPI launchers set to a process's rank among those on its host (Open
# MPI, MPICH's hydra, Slurm): process k of a host uses its device k (modulo the count).
LOCAL_RANK_VARIABLES = ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID")

_P, _U, _I = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
# name: argument types (every call returns a CUresult)
_SIGNATURES = {
    "cuInit": [_U],
    "cuDeviceGetCount": [ctypes.POINTER(_I)],
    "cuDeviceGet": [ctypes.POINTER(_I), _I],
    "cuDeviceGetName": [ctypes.c_char_p, _I, _I],
    "cuDeviceGetAttribute": [ctypes.POINTER(_I), _I, _I],
    "cuDevicePrimaryCtxRetain": [ctypes.POINTER(_P), _I],
    "cuCtxSetCurrent": [_P],
    "cuModuleLoadDataEx": [ctypes.POINTER(_P), _P, _U, ctypes.POINTER(_I), ctypes.POINTER(_P)],
    "cuModuleUnload": [_P],
    "cuModuleGetFunction": [ctypes.POINTER(_P), _P, ctypes.c_char_p],
    "cuLaunchKernel": [_P, _U, _U, _U, _U, _U, _U, _U, _P, _P, _P],
    "cuStreamSynchronize": [_P],
    "cuMemAllocManaged": [ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t, _U],
    "cuMemFree_v2": [ctypes.c_uint64],
    "cuGetErrorName": [_I, ctypes.POINTER(ctypes.c_char_p)],
    "cuGetErrorString": [_I, ctypes.POINTER(ctypes.c_char_p)],
}


class GpuUnavailable(RuntimeError):
    """The GPU backend was asked for on a machine without the CUDA driver or a device."""


class CudaError(RuntimeError):
    """A CUDA driver call failed: `name` is the CUDA error's (CUDA_ERROR_...)."""

    def __init__(self, call, code, name, description, log=""):
        super().__init__(f"{call} failed: {name} ({description})" + (f"\n{log}" if log else ""))
        self.call, self.code, self.name = call, code, name


def _load_library():
    for name in LIBRARIES:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise GpuUnavailable("the GPU backend needs the NVIDIA driver library libcuda.so.1, which was not found "
                         "(no NVIDIA driver installed, or not on the library path); the CPU backend works without it")


def _error(lib, call, code, log=""):
    name, description = ctypes.c_char_p(), ctypes.c_char_p()
    if lib.cuGetErrorName(code, ctypes.byref(name)) or lib.cuGetErrorString(code, ctypes.byref(description)):
        return CudaError(call, code, f"CUDA error {code}", "unknown to this driver", log)
    return CudaError(call, code, name.value.decode(), description.value.decode(), log)


def local_rank():
    """This process's rank among its host's MPI processes (0 outside MPI)."""
    return next((int(os.environ[name]) for name in LOCAL_RANK_VARIABLES if name in os.environ), 0)


class Driver:
    """libcuda, initialized, with the primary context of this process's device (its local
    MPI rank's, modulo the devices): every call checked."""

    def __init__(self):
        self._lib = _load_library()
        for name, argtypes in _SIGNATURES.items():
            function = getattr(self._lib, name)
            function.argtypes, function.restype = argtypes, ctypes.c_int
        code = self._lib.cuInit(0)
        if code == CUDA_ERROR_NO_DEVICE:
            raise GpuUnavailable("the GPU backend found the NVIDIA driver (libcuda) but no CUDA device "
                                 "(cuInit: CUDA_ERROR_NO_DEVICE)")
        self._check("cuInit", code)
        count = ctypes.c_int()
        self._call("cuDeviceGetCount", ctypes.byref(count))
        if count.value == 0:
            raise GpuUnavailable("the GPU backend found the NVIDIA driver (libcuda) but no CUDA device")
        self.ordinal = local_rank() % count.value
        device, name = ctypes.c_int(), ctypes.create_string_buffer(256)
        self._call("cuDeviceGet", ctypes.byref(device), self.ordinal)
        self._call("cuDeviceGetName", name, len(name), device)
        self.device_name = name.value.decode()
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._call("cuDeviceGetAttribute", ctypes.byref(major), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)
        self._call("cuDeviceGetAttribute", ctypes.byref(minor), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device)
        self.compute_capability = (major.value, minor.value)
        self._context = ctypes.c_void_p()
        self._call("cuDevicePrimaryCtxRetain", ctypes.byref(self._context), device)
        self.lost = None  # the error that lost the context, after which every call fails
        self._current = threading.local()  # .set: the context is current on this thread

    def _check(self, call, code, log=""):
        if code != 0:
            error = _error(self._lib, call, code, log)
            if code in CONTEXT_LOST and self.lost is None:
                self.lost = error
            raise error

    def _call(self, name, *args):
        self._check(name, getattr(self._lib, name)(*args))

    def make_current(self):
        """Make the context current on the calling thread (the driver's current context is
        per thread: a call from a thread without one fails with CUDA_ERROR_INVALID_CONTEXT),
        once per thread; every call goes through here. Once the context is lost, raise."""
        if self.lost is not None:
            lost = self.lost
            raise CudaError(lost.call, lost.code, lost.name,
                            f"the GPU's CUDA context is lost: {lost.call} failed with {lost.name} earlier, and no "
                            f"GPU call can succeed until the process restarts")
        if not getattr(self._current, "set", False):
            self._call("cuCtxSetCurrent", self._context)
            self._current.set = True

    def call(self, name, *args):
        """The driver function `name` with `args`, checked, on the calling thread."""
        self.make_current()
        self._call(name, *args)

    def load_module(self, image):
        """A CUmodule from PTX or cubin bytes; a JIT failure carries the driver's log."""
        self.make_current()
        module, log = ctypes.c_void_p(), ctypes.create_string_buffer(_LOG_SIZE)
        options = (ctypes.c_int * 2)(CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
        values = (ctypes.c_void_p * 2)(ctypes.addressof(log), _LOG_SIZE)
        image = image if image.endswith(b"\0") else image + b"\0"  # PTX must end in a NUL
        code = self._lib.cuModuleLoadDataEx(ctypes.byref(module), image, 2, options, values)
        self._check("cuModuleLoadDataEx", code, log.value.decode(errors="replace"))
        return module.value

    def unload_module(self, module):
        if self.lost is None:  # (a lost context's modules are gone with it)
            self.call("cuModuleUnload", module)

    def function(self, module, name):
        """The CUfunction `name` (bytes) of a loaded module."""
        function = ctypes.c_void_p()
        self.call("cuModuleGetFunction", ctypes.byref(function), module, name)
        return function.value

    def launch(self, function, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, params):
        """Launch `function` (CUfunction) with `params`, the address of an array of
        pointers to its arguments, on the default stream, and wait for it: its failure
        is raised here, and host code may then read what it wrote."""
        self.make_current()
        self._check("cuLaunchKernel", self._lib.cuLaunchKernel(function, grid_x, grid_y, grid_z, block_x, block_y,
                                                               block_z, shared_bytes, None, params, None))
        self._check("cuStreamSynchronize", self._lib.cuStreamSynchronize(None))

    def alloc_managed(self, nbytes):
        address = ctypes.c_uint64()
        self.call("cuMemAllocManaged", ctypes.byref(address), nbytes, CU_MEM_ATTACH_GLOBAL)
        return address.value

    def free(self, address):
        if self.lost is None:  # (a lost context's memory is gone with it)
            self.call("cuMemFree_v2", address)


@functools.cache
def _driver():
    return Driver()


_driver_lock = threading.RLock()


def driver():
    """The initialized driver, created once whichever threads ask first; GpuUnavailable
    names what is missing (the driver library, a device). A failure is not cached: each
    call tries again."""
    with _driver_lock:
        return _driver()


def size_class(nbytes):
    """The size of the pool's blocks holding `nbytes`: a multiple of 512 bytes, and of an
    eighth of the power of 2 at least nbytes (less than a quarter more than asked for)."""
    step = max(512, (1 << (nbytes - 1).bit_length()) // 8)
    return -(-nbytes // step) * step


class Pool:
    """Unified memory kept for reuse, in free lists by size class: cuMemAllocManaged is
    slow and cuMemFree synchronizes the device, so a program's temporaries and arrays
    freed by Python return here, not to the driver. clear_caches releases the free
    blocks (release()), the process's exit all of them; a failed allocation releases
    them and tries again. Lock-free (list and dict operations are atomic under the GIL):
    buffers are freed from any thread and from the garbage collector, within the pool's
    own calls too."""

    def __init__(self):
        self._free = {}  # size class -> free blocks
        self._sizes = {}  # block -> size class, of every block from the driver

    def alloc(self, nbytes):
        """A block of at least `nbytes` (> 0) bytes of unified memory."""
        cuda = driver()
        cuda.make_current()  # (refuses once the context is lost, even with a free block at hand)
        size = size_class(nbytes)
        try:
            return self._free.get(size, []).pop()
        except IndexError:
            pass
        try:
            address = cuda.alloc_managed(size)
        except CudaError as err:
            if err.code != CUDA_ERROR_OUT_OF_MEMORY:
                raise
            self.release()
            address = cuda.alloc_managed(size)
        self._sizes[address] = size
        return address

    def free(self, address):
        """Return a block from alloc() to the pool."""
        self._free.setdefault(self._sizes[address], []).append(address)

    def release(self):
        """Free the pool's free blocks (with the driver's cuMemFree)."""
        free, self._free = self._free, {}
        for blocks in free.values():
            for address in blocks:
                del self._sizes[address]
                driver().free(address)


POOL = Pool()


class ManagedBuffer:
    """Unified memory from the pool, which kernels and host code both address; NumPy
    arrays view it through the array interface and keep it alive."""

    address = None  # (until allocated)

    def __init__(self, nbytes):
        self._pool = POOL
        self.address = self._pool.alloc(nbytes)
        self.__array_interface__ = {"shape": (nbytes,), "typestr": "|u1", "data": (self.address, False), "version": 3}

    def __del__(self):
        if self.address is not None and not sys.is_finalizing():  # the driver frees everything with the process
            self._pool.free(self.address)  # no driver call: safe from any thread and the garbage collector


def empty(shape, dtype):
    """An uninitialized NumPy array in unified memory (zero-size arrays stay on the host)."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes == 0:
        return np.empty(shape, dtype)
    return np.asarray(ManagedBuffer(nbytes)).view(dtype).reshape(shape)


def in_unified_memory(array):
    """Whether a NumPy array views unified memory."""
    while isinstance(array, np.ndarray):
        array = array.base
    return isinstance(array, ManagedBuffer)


def to_unified_memory(array):
    """A copy of a NumPy array in unified memory."""
    copy = empty(array.shape, array.dtype)
    np.copyto(copy, array)
    return copy
