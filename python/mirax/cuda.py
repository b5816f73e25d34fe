"""The CUDA driver API, through ctypes over libcuda: the few calls mirax's GPU runtime
makes (context, module load, launch, stream, unified memory). A failed call raises
CudaError naming the CUDA error; a machine without the driver or a device raises
GpuUnavailable saying which is missing.

Written against the CUDA driver API's documented C signatures (the `_v2` entry points
that cuda.h maps the plain names to); not yet run on a GPU.
"""
import ctypes
import functools
import math
import sys
import threading

import numpy as np

LIBRARIES = ("libcuda.so.1", "libcuda.so")
CUDA_ERROR_NO_DEVICE = 100
CU_MEM_ATTACH_GLOBAL = 1
CU_JIT_ERROR_LOG_BUFFER = 5
CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6
_LOG_SIZE = 1 << 14

_P, _U, _I = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
# name: argument types (every call returns a CUresult)
_SIGNATURES = {
    "cuInit": [_U],
    "cuDeviceGetCount": [ctypes.POINTER(_I)],
    "cuDeviceGet": [ctypes.POINTER(_I), _I],
    "cuDeviceGetName": [ctypes.c_char_p, _I, _I],
    "cuDevicePrimaryCtxRetain": [ctypes.POINTER(_P), _I],
    "cuCtxSetCurrent": [_P],
    "cuModuleLoadDataEx": [ctypes.POINTER(_P), _P, _U, ctypes.POINTER(_I), ctypes.POINTER(_P)],
    "cuModuleUnload": [_P],
    "cuModuleGetFunction": [ctypes.POINTER(_P), _P, ctypes.c_char_p],
    "cuLaunchKernel": [_P, _U, _U, _U, _U, _U, _U, _U, _P, _P, _P],
    "cuStreamCreate": [ctypes.POINTER(_P), _U],
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


class Driver:
    """libcuda, initialized, with device 0's primary context: every call checked."""

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
        self.call("cuDeviceGetCount", ctypes.byref(count))
        if count.value == 0:
            raise GpuUnavailable("the GPU backend found the NVIDIA driver (libcuda) but no CUDA device")
        device, name = ctypes.c_int(), ctypes.create_string_buffer(256)
        self.call("cuDeviceGet", ctypes.byref(device), 0)
        self.call("cuDeviceGetName", name, len(name), device)
        self.device_name = name.value.decode()
        self._context = ctypes.c_void_p()
        self.call("cuDevicePrimaryCtxRetain", ctypes.byref(self._context), device)
        self.make_current()
        self._stream = ctypes.c_void_p()
        self.call("cuStreamCreate", ctypes.byref(self._stream), 0)
        self._functions = {}

    def _check(self, call, code, log=""):
        if code != 0:
            raise _error(self._lib, call, code, log)

    def call(self, name, *args):
        self._check(name, getattr(self._lib, name)(*args))

    def make_current(self):
        """Make device 0's context the calling thread's (the driver's state is per thread)."""
        self.call("cuCtxSetCurrent", self._context)

    @property
    def stream(self):
        """The stream every launch goes to."""
        return self._stream.value

    def load_module(self, image):
        """A CUmodule from PTX or cubin bytes; a JIT failure carries the driver's log."""
        module, log = ctypes.c_void_p(), ctypes.create_string_buffer(_LOG_SIZE)
        options = (ctypes.c_int * 2)(CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
        values = (ctypes.c_void_p * 2)(ctypes.addressof(log), _LOG_SIZE)
        image = image if image.endswith(b"\0") else image + b"\0"  # PTX must end in a NUL
        code = self._lib.cuModuleLoadDataEx(ctypes.byref(module), image, 2, options, values)
        self._check("cuModuleLoadDataEx", code, log.value.decode(errors="replace"))
        return module.value

    def unload_module(self, module):
        self._functions = {k: v for k, v in self._functions.items() if k[0] != module}
        self.call("cuModuleUnload", module)

    def function(self, module, name):
        """The CUfunction `name` (bytes) of a loaded module."""
        key = (module, name)
        if key not in self._functions:
            function = ctypes.c_void_p()
            self.call("cuModuleGetFunction", ctypes.byref(function), module, name)
            self._functions[key] = function.value
        return self._functions[key]

    def launch(self, function, grid, block, shared_bytes, stream, params):
        """Launch `function` (CUfunction) with `params`, the address of an array of
        pointers to its arguments."""
        self.call("cuLaunchKernel", function, *grid, *block, shared_bytes, stream, params, None)

    def synchronize(self, stream):
        """Wait for `stream`'s work: a kernel's failure surfaces here."""
        self.call("cuStreamSynchronize", stream)

    def alloc_managed(self, nbytes):
        address = ctypes.c_uint64()
        self.call("cuMemAllocManaged", ctypes.byref(address), nbytes, CU_MEM_ATTACH_GLOBAL)
        return address.value

    def free(self, address):
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


class ManagedBuffer:
    """Unified memory from the CUDA driver, which kernels and host code both address;
    NumPy arrays view it through the array interface and keep it alive."""

    def __init__(self, nbytes):
        self._driver = driver()
        self.address = self._driver.alloc_managed(nbytes)
        self.__array_interface__ = {"shape": (nbytes,), "typestr": "|u1", "data": (self.address, False), "version": 3}

    def __del__(self):
        if not sys.is_finalizing():  # the driver frees everything with the process
            self._driver.free(self.address)


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
