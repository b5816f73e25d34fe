"""Running compiled programs on the GPU.

A program is compiled by the GPU pipeline (passes/gpu_pipeline.py) into host code, which
the ExecutionEngine runs on the CPU as it runs CPU programs, and PTX kernels, which the
host code loads and launches through the `mgpu*` functions MLIR's gpu-to-llvm lowering
calls. Those functions are implemented here over the CUDA driver (python/mirax/cuda.py)
and registered with the ExecutionEngine as host functions; a CUDA error they meet is
raised as a CudaError when the program returns. Every buffer is unified memory and each
launch is synchronous (gpu-to-llvm synchronizes after it), so host code may read what a
kernel wrote.

Not yet run on a GPU: the pipeline's PTX is checked by ptxas, the driver calls are not.
"""
import ctypes
import sys

import numpy as np

from mirax import cuda, runtime
from mirax.passes.gpu_pipeline import lower_to_gpu_stage

_P, _I64 = ctypes.c_void_p, ctypes.c_int64


def _module_load(data, size):
    return cuda.driver().load_module(ctypes.string_at(data, size))


def _module_load_jit(data, opt_level, size):
    return _module_load(data, size)  # the driver's default optimization level, the highest


def _module_unload(module):
    if not sys.is_finalizing():  # the driver unloads with the process
        cuda.driver().unload_module(module)


def _launch(function, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, stream, params, extra, count):
    cuda.driver().launch(function, (grid_x, grid_y, grid_z), (block_x, block_y, block_z), shared_bytes, stream, params)


def _alloc(nbytes, stream, host_shared):
    return cuda.driver().alloc_managed(nbytes) if nbytes else None


def _free(address, stream):
    if address:
        cuda.driver().free(address)


# The runtime functions gpu-to-llvm's code calls (the signatures of MLIR's
# CudaRuntimeWrappers): one stream for every launch, created with the driver.
RUNTIME_FUNCTIONS = {
    "mgpuModuleLoad": (_module_load, ctypes.CFUNCTYPE(_P, _P, _I64)),
    "mgpuModuleLoadJIT": (_module_load_jit, ctypes.CFUNCTYPE(_P, _P, ctypes.c_int32, _I64)),
    "mgpuModuleUnload": (_module_unload, ctypes.CFUNCTYPE(None, _P)),
    "mgpuModuleGetFunction": (lambda module, name: cuda.driver().function(module, name),
                              ctypes.CFUNCTYPE(_P, _P, ctypes.c_char_p)),
    "mgpuLaunchKernel": (_launch, ctypes.CFUNCTYPE(None, _P, _I64, _I64, _I64, _I64, _I64, _I64, ctypes.c_int32, _P,
                                                   _P, _P, _I64)),
    "mgpuStreamCreate": (lambda: cuda.driver().stream, ctypes.CFUNCTYPE(_P)),
    "mgpuStreamSynchronize": (lambda stream: cuda.driver().synchronize(stream), ctypes.CFUNCTYPE(None, _P)),
    "mgpuStreamDestroy": (lambda stream: None, ctypes.CFUNCTYPE(None, _P)),
    "mgpuMemAlloc": (_alloc, ctypes.CFUNCTYPE(_P, _I64, _P, ctypes.c_int8)),
    "mgpuMemFree": (_free, ctypes.CFUNCTYPE(None, _P, _P)),
}
for _symbol, (_function, _signature) in RUNTIME_FUNCTIONS.items():
    runtime.typed_host_function(_symbol, _function, _signature)


class GpuExecutable(runtime.Executable):
    """A compiled entry function whose kernels run on the GPU; its results are arrays in
    unified memory, its inputs are copied there first when they are not."""

    lower = staticmethod(lower_to_gpu_stage)
    empty = staticmethod(cuda.empty)
    runtime_functions = tuple(RUNTIME_FUNCTIONS)  # the launches' calls are made by the translation

    def __init__(self, module, entry, num_inputs, out_types):
        cuda.driver().make_current()
        super().__init__(module, entry, num_inputs, out_types)
        self._engine.initialize()  # global constructors: load the kernels' module
        runtime._raise_host_errors()

    def __call__(self, inputs):
        cuda.driver().make_current()
        inputs = [x if cuda.in_unified_memory(x._value)
                  else runtime.Buffer(cuda.to_unified_memory(np.asarray(x._value))) for x in inputs]
        return super().__call__(inputs)


runtime.EXECUTABLES["gpu"] = GpuExecutable
