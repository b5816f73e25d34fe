"""Running compiled programs on the GPU.

A program is compiled by the GPU pipeline (passes/gpu_pipeline.py), for the device's
chip, into host code, which the ExecutionEngine runs on the CPU as it runs CPU programs,
and PTX kernels, which the host code loads and launches through the `mgpu*` functions
MLIR's gpu-to-llvm lowering calls. Those that need the CUDA driver (python/mirax/cuda.py)
are implemented here and registered with the ExecutionEngine as host functions; the
others are defined in the host code (mirax-gpu-host-runtime). Every buffer is unified
memory, from cuda.POOL, and each launch is synchronous, so host code may read what a
kernel wrote.

A failure in a host function cannot unwind through the compiled code. The first one of
a call is kept and raised when the program returns; until then the thread's failure
flag is set: launches do nothing, allocations still return memory (host code may write
to it: host memory when the device has none), and host code's while loops, which test
the flag (mirax-gpu-stop-loops), stop. An error that loses the CUDA context (an illegal
address) makes every later GPU call raise, naming it (cuda.Driver.make_current).

Not yet run on a GPU: the pipeline's PTX is checked by ptxas, the driver calls are not.
"""
import ctypes
import sys
import threading

import numpy as np

from mirax import cuda, runtime
from mirax.passes.gpu_pipeline import chip_for, lower_to_gpu_stage
from mirax.passes.mirax_gpu_stop_loops import FAILED_FLAG

_P, _I64 = ctypes.c_void_p, ctypes.c_int64


class _ThreadState(threading.local):
    """What the host functions of the program running on this thread share."""

    def __init__(self):
        self.failed = ctypes.c_int32(0)  # the failure flag the host code's loops read
        self.error = None  # the first failure of the call
        self.scratch = []  # host memory given in place of unified memory that could not be allocated
        self.executable = None  # the GpuExecutable running
        self.loaded = None  # the module its global constructor loaded


_thread = _ThreadState()


def _start():
    _thread.failed.value, _thread.error, _thread.scratch = 0, None, []


def _fail(error):
    if _thread.error is None:
        _thread.error = error
    _thread.failed.value = 1


def _raise_failure():
    error = _thread.error
    if error is not None:
        _thread.error = None
        raise error


def _unless_failed(fn):
    """`fn`, doing nothing (returning NULL) once a call of this thread's program failed;
    its own failure is kept (_fail), not raised into the compiled code."""

    def call(*args):
        if _thread.failed.value:
            return None
        try:
            return fn(*args)
        except Exception as err:  # noqa: BLE001 - cannot unwind through compiled code
            _fail(err)
            return None

    return call


def _module_load(data, size):
    _thread.loaded = cuda.driver().load_module(ctypes.string_at(data, size))
    return _thread.loaded


def _module_load_jit(data, opt_level, size):
    return _module_load(data, size)  # the driver's default optimization level, the highest


def _launch(name, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, stream, params, extra, count):
    # `name`: what mgpuModuleGetFunction (in the host code) returned, the kernel's name,
    # whose CUfunction the executable caches.
    executable = _thread.executable
    function = executable.functions.get(name)
    if function is None:
        function = executable.functions[name] = cuda.driver().function(executable.module, ctypes.string_at(name))
    cuda.driver().launch(function, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, params)


def _alloc(nbytes, stream, host_shared):
    if not nbytes:
        return None
    try:
        return cuda.POOL.alloc(nbytes)
    except Exception as err:  # noqa: BLE001 - cannot unwind through compiled code
        _fail(err)
        scratch = ctypes.create_string_buffer(nbytes)  # host code may write to it: never NULL
        _thread.scratch.append(scratch)
        return ctypes.addressof(scratch)


def _free(address, stream):
    if address and not any(ctypes.addressof(s) == address for s in _thread.scratch):
        cuda.POOL.free(address)


# The runtime functions gpu-to-llvm's code calls (the signatures of MLIR's
# CudaRuntimeWrappers) that need the driver, and mirax-gpu-stop-loops' flag.
RUNTIME_FUNCTIONS = {
    "mgpuModuleLoad": (_unless_failed(_module_load), ctypes.CFUNCTYPE(_P, _P, _I64)),
    "mgpuModuleLoadJIT": (_unless_failed(_module_load_jit), ctypes.CFUNCTYPE(_P, _P, ctypes.c_int32, _I64)),
    "mgpuLaunchKernel": (_unless_failed(_launch), ctypes.CFUNCTYPE(None, _P, _I64, _I64, _I64, _I64, _I64, _I64,
                                                                   ctypes.c_int32, _P, _P, _P, _I64)),
    "mgpuMemAlloc": (_alloc, ctypes.CFUNCTYPE(_P, _I64, _P, ctypes.c_int8)),
    "mgpuMemFree": (_free, ctypes.CFUNCTYPE(None, _P, _P)),
    FAILED_FLAG: (lambda: ctypes.addressof(_thread.failed), ctypes.CFUNCTYPE(_P)),
}
for _symbol, (_function, _signature) in RUNTIME_FUNCTIONS.items():
    runtime.typed_host_function(_symbol, _function, _signature)


class GpuExecutable(runtime.Executable):
    """A compiled entry function whose kernels run on the GPU; its results are arrays in
    unified memory, its inputs are copied there first when they are not."""

    empty = staticmethod(cuda.empty)
    runtime_functions = tuple(RUNTIME_FUNCTIONS)  # the launches' calls are made by the translation

    @staticmethod
    def lower(module):
        lower_to_gpu_stage(module, chip=chip_for(*cuda.driver().compute_capability))

    def __init__(self, module, entry, num_inputs, out_types):
        self.module, self.functions = None, {}  # the kernels' CUmodule; kernel name -> CUfunction
        cuda.driver().make_current()
        super().__init__(module, entry, num_inputs, out_types)
        _start()
        _thread.loaded = None
        self._engine.initialize()  # global constructors: load the kernels' module
        self.module = _thread.loaded
        _raise_failure()

    def __call__(self, inputs):
        cuda.driver().make_current()
        inputs = [x if cuda.in_unified_memory(x._value)
                  else runtime.Buffer(cuda.to_unified_memory(np.asarray(x._value))) for x in inputs]
        _start()
        _thread.executable = self
        try:
            outputs = super().__call__(inputs)
        finally:
            _thread.executable = None
        _raise_failure()
        return outputs

    def __del__(self):
        # The module is unloaded here, not by the global destructor (mirax-gpu-host-runtime).
        if self.module is not None and not sys.is_finalizing():
            cuda.driver().unload_module(self.module)


runtime.EXECUTABLES["gpu"] = GpuExecutable
