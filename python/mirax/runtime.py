"""Compiling mirax modules for the CPU and calling them.

Compiled code takes every input and output as a bare pointer to its row-major
buffer (`use-bare-ptr-memref-call-conv`): shapes are static, so a call is one
ctypes call through the ExecutionEngine's packed wrapper with one pointer per
buffer. Executables are cached by the text of the mirax module, so identical
programs compile once however they were produced.
"""
import ctypes
import importlib.metadata
import os

import numpy as np

from mirax import platforms
from mirax.dialect import load
from mirax.mlir import ExecutionEngine, get_ranked_memref_descriptor, ir
from mirax.passes.pipelines import lower_to_linalg, lower_to_llvm

_context = None
_executables = {}
stats = {"compiles": 0}


def context():
    """The one MLIR context mirax builds and compiles in."""
    global _context
    if _context is None:
        _load_openmp()
        _keep_freed_memory()
        _context = ir.Context()
        load(_context)
    return _context


def _keep_freed_memory():
    """Compiled programs allocate their temporaries on every call. glibc gives large
    freed blocks back to the kernel (munmap, heap trimming), so each call would fault
    in fresh zeroed pages: ~1,100 page faults per call of an MLP gradient, a tenth of
    its time. Blocks up to 32 MiB come from the heap instead and stay there for reuse,
    up to 256 MiB of free heap, as an array runtime's allocator would keep them."""
    libc = ctypes.CDLL(None)
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    if hasattr(libc, "mallopt"):  # glibc
        libc.mallopt(m_mmap_threshold, 32 << 20)
        libc.mallopt(m_trim_threshold, 256 << 20)


def _load_openmp():
    """Load the OpenMP runtime (intel-openmp's libiomp5, which implements the __kmpc_*
    entry points LLVM's OpenMP lowering calls) into the process, where the JIT finds
    it. Idle threads sleep at once instead of spinning for 200 ms after each parallel
    loop, which would steal a core from whatever runs next."""
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    distribution = importlib.metadata.distribution("intel-openmp")
    library = next(f for f in distribution.files if f.name == "libiomp5.so")
    ctypes.CDLL(str(distribution.locate_file(library)), mode=ctypes.RTLD_GLOBAL)


def address(array):
    """The address of a writable, C-contiguous NumPy array's first element (ctypes'
    from_buffer is several times faster than __array_interface__ here)."""
    if array.size == 0:
        return 0  # nothing is read or written through it
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except ValueError:  # float16 and bfloat16 have no buffer format ctypes accepts
        return array.ctypes.data


_host_functions = {}  # symbol -> ctypes function compiled programs may call (kept alive here)
_host_errors = []  # exceptions raised by host functions, re-raised when their program returns


def host_function(symbol, fn, num_buffers):
    """Register `fn(*addresses)`, taking the addresses of `num_buffers` buffers, as the
    host function `symbol` that compiled programs may call."""
    typed_host_function(symbol, fn, ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * num_buffers))


def typed_host_function(symbol, fn, signature):
    """Register `fn` as the host function `symbol` of a ctypes `signature` (CFUNCTYPE)
    that compiled programs may call. When it raises, it returns 0 (or nothing) to the
    program and its exception is raised when the program returns."""

    def call(*args):
        try:
            return fn(*args)
        except BaseException as err:  # noqa: BLE001 - cannot unwind through compiled code
            _host_errors.append(err)
            return None

    _host_functions[symbol] = signature(call)


def _register_host_functions(engine, module, also=()):
    """Make the host functions `module` (LLVM dialect) declares callable, and those in
    `also` (which its translation to LLVM IR calls); whether any is."""
    declared = [op.attributes["sym_name"].value for op in module.body.operations
                if op.operation.name == "llvm.func" and not op.regions[0].blocks]
    found = False
    for symbol in declared + list(also):
        if symbol in _host_functions:
            engine.raw_register_runtime(symbol, ctypes.cast(_host_functions[symbol], ctypes.c_void_p))
            found = True
    return found


def _raise_host_errors():
    if _host_errors:
        error = _host_errors.pop()
        _host_errors.clear()
        raise error


class Executable:
    """A compiled entry function: call it with mirax Arrays, get new NumPy arrays back."""

    lower = staticmethod(lower_to_llvm)  # linalg -> LLVM dialect, in place
    empty = staticmethod(np.empty)  # the output buffers
    runtime_functions = ()  # host functions called by code that the LLVM translation adds

    def __init__(self, module, entry, num_inputs, out_types):
        with context():
            lower_to_linalg(module)
            self.lower(module)
            self._engine = ExecutionEngine(module, opt_level=3)
            self._calls_host = _register_host_functions(self._engine, module, self.runtime_functions)
        self._function = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self._engine.raw_lookup(entry))
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]
        # One pointer cell per buffer, and the packed argument array pointing at the cells.
        num_args = num_inputs + len(out_types)
        self._cells = (ctypes.c_void_p * num_args)()
        size = ctypes.sizeof(ctypes.c_void_p)
        self._argv = (ctypes.c_void_p * num_args)(*(ctypes.addressof(self._cells) + i * size for i in range(num_args)))
        self._argv_address = ctypes.addressof(self._argv)

    def __call__(self, inputs):
        outputs = [self.empty(shape, dtype) for shape, dtype in self._out_types]
        cells = self._cells
        i = 0
        for array in inputs:
            cells[i] = array.pointer
            i += 1
        for array in outputs:
            cells[i] = address(array)
            i += 1
        self._function(self._argv_address)
        if self._calls_host:
            _raise_host_errors()
        return outputs


class DescriptorExecutable:
    """The slow path for functions with zero-size buffers at their boundary: memref
    descriptors through the ExecutionEngine's C interface."""

    def __init__(self, module, entry, num_inputs, out_types):
        with context():
            entry_func = next(op for op in module.body.operations if op.attributes["sym_name"].value == entry)
            entry_func.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
            lower_to_linalg(module)
            lower_to_llvm(module, bare_pointers=False)
            self._engine = ExecutionEngine(module, opt_level=3)
            if _register_host_functions(self._engine, module):
                raise NotImplementedError("a program with zero-size buffers cannot call host functions")
        self._entry = entry
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]

    def __call__(self, inputs):
        outputs = [np.empty(shape, dtype) for shape, dtype in self._out_types]
        buffers = [a._value for a in inputs] + outputs
        descriptors = [ctypes.pointer(ctypes.pointer(get_ranked_memref_descriptor(b))) for b in buffers]
        self._engine.invoke(self._entry, *descriptors)
        return outputs


def compile(module_text, entry, num_inputs, out_types, backend=None):
    """The executable of `entry` in a mirax module for `backend` ('cpu' or 'gpu'; by
    default the default backend), compiled once per distinct text."""
    backend = platforms.platform(backend or platforms.default_backend())
    key = (module_text, entry, backend)
    executable = _executables.get(key)
    if executable is None:
        stats["compiles"] += 1
        with context():
            module = ir.Module.parse(module_text)
            entry_func = next(op for op in module.body.operations if op.attributes["sym_name"].value == entry)
            ftype = ir.FunctionType(ir.TypeAttr(entry_func.attributes["function_type"]).value)
        has_empty = any(0 in ir.RankedTensorType(t).shape for t in list(ftype.inputs) + list(ftype.results))
        if backend == "gpu":
            from mirax.gpu_runtime import GpuExecutable as kind  # noqa: PLC0415 - loads the GPU compiler
            if has_empty:
                raise NotImplementedError("the GPU backend does not take zero-size arrays in or out of a compiled "
                                          "function yet")
        else:
            kind = DescriptorExecutable if has_empty else Executable
        executable = _executables[key] = kind(module, entry, num_inputs, out_types)
    return executable


def clear_caches():
    """Forget every compiled executable (they are compiled again when next needed)."""
    _executables.clear()
