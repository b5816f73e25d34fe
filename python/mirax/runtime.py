"""Compiling mirax modules for the CPU and calling them.

Compiled code takes every input and output as a bare pointer to its row-major
buffer (`use-bare-ptr-memref-call-conv`): shapes are static, so a call is one
ctypes call through the ExecutionEngine's packed wrapper with one pointer per
buffer. Executables are cached by the text of the mirax module, so identical
programs compile once however they were produced.

Threads: compiling is serialized by one lock (the context's creation and the cache
with it); calls are re-entrant, each with argument storage of its own, and run
without the GIL. Compiled code allocates its temporaries through a checked
allocator: an allocation that fails ends the call with a MemoryError.
"""
import collections
import ctypes
import importlib.metadata
import os
import threading

import numpy as np

from mirax import platforms
from mirax.dialect import load
from mirax.mlir import ExecutionEngine, get_ranked_memref_descriptor, ir
from mirax.passes.pipelines import lower_to_linalg, lower_to_llvm

_context = None
_lock = threading.RLock()  # the context's creation, compiling, the caches' misses
stats = {"compiles": 0}


class LRUCache:
    """A dict bounded to its `maxsize` most recently used entries. Lock-free: a race
    between threads can at worst lose an entry, which is compiled again."""

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self._entries = collections.OrderedDict()

    def get(self, key):
        try:
            value = self._entries[key]
            self._entries.move_to_end(key)
        except KeyError:  # absent, or evicted by another thread meanwhile
            return None
        return value

    def __setitem__(self, key, value):
        self._entries[key] = value
        while len(self._entries) > self.maxsize:
            try:
                self._entries.popitem(last=False)
            except KeyError:
                break

    def __len__(self):
        return len(self._entries)

    def clear(self):
        self._entries.clear()


# Each executable holds its machine code, ~1 MB: the cache keeps the most recently used.
MAX_EXECUTABLES = 1024
_executables = LRUCache(MAX_EXECUTABLES)


def context():
    """The one MLIR context mirax builds and compiles in."""
    if _context is None:
        _create_context()
    return _context


def _create_context():
    global _context
    with _lock:
        if _context is None:
            _load_openmp()
            _keep_freed_memory()
            context = ir.Context()
            load(context)
            _context = context


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


# ----------------------------------------------------------------------------- checked allocation

# Compiled code gets its temporaries from malloc, calloc (which LLVM makes of a malloc
# and a memset) and aligned_alloc, and gives them back to free: all four resolve to
# these versions. `mirax_call(block)` runs a packed entry point (block[0]) on its
# arguments (from block[1]) in a frame that it registers for its thread: a jmp_buf, the size of a failed allocation, and the list
# of the blocks allocated by the call that are still live (each block has a 32-byte
# header before the program's pointer: the next block, the address of the pointer to
# this block, the address to give back to the C library). An allocation that fails
# jumps back to the frame, which frees the call's live blocks and returns the size;
# 0 means the call completed. A failure on an OpenMP thread, or inside a parallel
# loop, cannot jump out of the loop: it aborts the process with a message instead.
_ALLOCATOR = """
module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @calloc(i64, i64) -> !llvm.ptr
  llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
  llvm.func @free(!llvm.ptr)
  llvm.func @_setjmp(!llvm.ptr) -> i32 attributes {passthrough = ["returns_twice"]}
  llvm.func @longjmp(!llvm.ptr, i32) attributes {passthrough = ["noreturn"]}
  llvm.func @pthread_key_create(!llvm.ptr, !llvm.ptr) -> i32
  llvm.func @pthread_getspecific(i32) -> !llvm.ptr
  llvm.func @pthread_setspecific(i32, !llvm.ptr) -> i32
  llvm.func @omp_in_parallel() -> i32
  llvm.func @puts(!llvm.ptr) -> i32
  llvm.func @abort() attributes {passthrough = ["noreturn"]}
  llvm.mlir.global internal @key(0 : i32) : i32
  llvm.mlir.global internal constant @message("mirax: out of memory on an OpenMP thread or in a parallel loop\\00")

  // The frame: jmp_buf in i64 0-63 (glibc's is 200 bytes on x86-64, 312 on aarch64),
  // the failed size in 64, the first live block's header in 65.
  llvm.func @mirax_call(%block: !llvm.ptr) -> i64 {
    %fn = llvm.load %block : !llvm.ptr -> !llvm.ptr
    %argv = llvm.getelementptr %block[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %one = llvm.mlir.constant(1 : i64) : i64
    %zero = llvm.mlir.constant(0 : i64) : i64
    %null = llvm.mlir.zero : !llvm.ptr
    %frame = llvm.alloca %one x !llvm.array<66 x i64> {alignment = 16 : i64} : (i64) -> !llvm.ptr
    %head = llvm.getelementptr %frame[0, 65] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
    llvm.store %null, %head : !llvm.ptr, !llvm.ptr
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %outer = llvm.call @pthread_getspecific(%key) : (i32) -> !llvm.ptr
    %0 = llvm.call @pthread_setspecific(%key, %frame) : (i32, !llvm.ptr) -> i32
    %jumped = llvm.call @_setjmp(%frame) : (!llvm.ptr) -> i32
    %c0 = llvm.mlir.constant(0 : i32) : i32
    %first = llvm.icmp "eq" %jumped, %c0 : i32
    llvm.cond_br %first, ^run, ^failed
  ^run:
    llvm.call %fn(%argv) : !llvm.ptr, (!llvm.ptr) -> ()
    %1 = llvm.call @pthread_setspecific(%key, %outer) : (i32, !llvm.ptr) -> i32
    // Blocks the program did not free no longer belong to this frame.
    %left = llvm.load %head : !llvm.ptr -> !llvm.ptr
    llvm.br ^untrack(%left : !llvm.ptr)
  ^untrack(%node: !llvm.ptr):
    %more = llvm.icmp "ne" %node, %null : !llvm.ptr
    llvm.cond_br %more, ^untrack_one, ^done
  ^untrack_one:
    %next = llvm.load %node : !llvm.ptr -> !llvm.ptr
    %pprev = llvm.getelementptr %node[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %null, %pprev : !llvm.ptr, !llvm.ptr
    llvm.br ^untrack(%next : !llvm.ptr)
  ^done:
    llvm.return %zero : i64
  ^failed:
    %2 = llvm.call @pthread_setspecific(%key, %outer) : (i32, !llvm.ptr) -> i32
    %live = llvm.load volatile %head : !llvm.ptr -> !llvm.ptr
    llvm.br ^release(%live : !llvm.ptr)
  ^release(%b: !llvm.ptr):
    %some = llvm.icmp "ne" %b, %null : !llvm.ptr
    llvm.cond_br %some, ^release_one, ^report
  ^release_one:
    %n = llvm.load %b : !llvm.ptr -> !llvm.ptr
    %basep = llvm.getelementptr %b[2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %base = llvm.load %basep : !llvm.ptr -> !llvm.ptr
    llvm.call @free(%base) : (!llvm.ptr) -> ()
    llvm.br ^release(%n : !llvm.ptr)
  ^report:
    %slot = llvm.getelementptr %frame[0, 64] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
    %size = llvm.load volatile %slot : !llvm.ptr -> i64
    llvm.return %size : i64
  }

  llvm.func @mirax_out_of_memory(%size: i64) attributes {passthrough = ["noreturn", "noinline"]} {
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %frame = llvm.call @pthread_getspecific(%key) : (i32) -> !llvm.ptr
    %null = llvm.mlir.zero : !llvm.ptr
    %registered = llvm.icmp "ne" %frame, %null : !llvm.ptr
    %parallel = llvm.call @omp_in_parallel() : () -> i32
    %c0 = llvm.mlir.constant(0 : i32) : i32
    %serial = llvm.icmp "eq" %parallel, %c0 : i32
    %can_jump = llvm.and %registered, %serial : i1
    llvm.cond_br %can_jump, ^jump, ^abort
  ^jump:
    %slot = llvm.getelementptr %frame[0, 64] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
    llvm.store volatile %size, %slot : i64, !llvm.ptr
    %c1 = llvm.mlir.constant(1 : i32) : i32
    llvm.call @longjmp(%frame, %c1) : (!llvm.ptr, i32) -> ()
    llvm.unreachable
  ^abort:
    %message = llvm.mlir.addressof @message : !llvm.ptr
    %0 = llvm.call @puts(%message) : (!llvm.ptr) -> i32
    llvm.call @abort() : () -> ()
    llvm.unreachable
  }

  // The program's pointer into `base` (from the C library, `pad` >= 32 bytes more than
  // asked for), its header filled in and linked first in the thread's frame, if any.
  llvm.func internal @track(%base: !llvm.ptr, %pad: i64, %size: i64) -> !llvm.ptr
      attributes {passthrough = ["alwaysinline"]} {
    %null = llvm.mlir.zero : !llvm.ptr
    %failed = llvm.icmp "eq" %base, %null : !llvm.ptr
    llvm.cond_br %failed, ^fail, ^ok
  ^fail:
    llvm.call @mirax_out_of_memory(%size) : (i64) -> ()
    llvm.unreachable
  ^ok:
    %p = llvm.getelementptr %base[%pad] : (!llvm.ptr, i64) -> !llvm.ptr, i8
    %block = llvm.getelementptr %p[-4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %pprev = llvm.getelementptr %block[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %basep = llvm.getelementptr %block[2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %base, %basep : !llvm.ptr, !llvm.ptr
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %frame = llvm.call @pthread_getspecific(%key) : (i32) -> !llvm.ptr
    %untracked = llvm.icmp "eq" %frame, %null : !llvm.ptr
    llvm.cond_br %untracked, ^alone, ^link
  ^alone:
    llvm.store %null, %block : !llvm.ptr, !llvm.ptr
    llvm.store %null, %pprev : !llvm.ptr, !llvm.ptr
    llvm.return %p : !llvm.ptr
  ^link:
    %head = llvm.getelementptr %frame[0, 65] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
    %first = llvm.load %head : !llvm.ptr -> !llvm.ptr
    llvm.store %first, %block : !llvm.ptr, !llvm.ptr
    llvm.store %head, %pprev : !llvm.ptr, !llvm.ptr
    %has_first = llvm.icmp "ne" %first, %null : !llvm.ptr
    llvm.cond_br %has_first, ^relink, ^linked
  ^relink:
    %first_pprev = llvm.getelementptr %first[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %block, %first_pprev : !llvm.ptr, !llvm.ptr
    llvm.br ^linked
  ^linked:
    llvm.store %block, %head : !llvm.ptr, !llvm.ptr
    llvm.return %p : !llvm.ptr
  }

  llvm.func @mirax_malloc(%size: i64) -> !llvm.ptr {
    %pad = llvm.mlir.constant(32 : i64) : i64
    %total = llvm.add %size, %pad : i64
    %base = llvm.call @malloc(%total) : (i64) -> !llvm.ptr
    %p = llvm.call @track(%base, %pad, %size) : (!llvm.ptr, i64, i64) -> !llvm.ptr
    llvm.return %p : !llvm.ptr
  }

  llvm.func @mirax_calloc(%count: i64, %size: i64) -> !llvm.ptr {
    %pad = llvm.mlir.constant(32 : i64) : i64
    %one = llvm.mlir.constant(1 : i64) : i64
    %bytes = llvm.mul %count, %size : i64
    %total = llvm.add %bytes, %pad : i64
    %base = llvm.call @calloc(%total, %one) : (i64, i64) -> !llvm.ptr
    %p = llvm.call @track(%base, %pad, %bytes) : (!llvm.ptr, i64, i64) -> !llvm.ptr
    llvm.return %p : !llvm.ptr
  }

  llvm.func @mirax_aligned_alloc(%alignment: i64, %size: i64) -> !llvm.ptr {
    %min = llvm.mlir.constant(32 : i64) : i64
    %pad = llvm.intr.umax(%alignment, %min) : (i64, i64) -> i64
    %total = llvm.add %size, %pad : i64
    %base = llvm.call @aligned_alloc(%alignment, %total) : (i64, i64) -> !llvm.ptr
    %p = llvm.call @track(%base, %pad, %size) : (!llvm.ptr, i64, i64) -> !llvm.ptr
    llvm.return %p : !llvm.ptr
  }

  llvm.func @mirax_free(%p: !llvm.ptr) {
    %null = llvm.mlir.zero : !llvm.ptr
    %is_null = llvm.icmp "eq" %p, %null : !llvm.ptr
    llvm.cond_br %is_null, ^done, ^unlink
  ^unlink:
    %block = llvm.getelementptr %p[-4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %pprevp = llvm.getelementptr %block[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %pprev = llvm.load %pprevp : !llvm.ptr -> !llvm.ptr
    %tracked = llvm.icmp "ne" %pprev, %null : !llvm.ptr
    llvm.cond_br %tracked, ^tracked, ^release
  ^tracked:
    %next = llvm.load %block : !llvm.ptr -> !llvm.ptr
    llvm.store %next, %pprev : !llvm.ptr, !llvm.ptr
    %has_next = llvm.icmp "ne" %next, %null : !llvm.ptr
    llvm.cond_br %has_next, ^relink, ^release
  ^relink:
    %next_pprev = llvm.getelementptr %next[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %pprev, %next_pprev : !llvm.ptr, !llvm.ptr
    llvm.br ^release
  ^release:
    %basep = llvm.getelementptr %block[2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    %base = llvm.load %basep : !llvm.ptr -> !llvm.ptr
    llvm.call @free(%base) : (!llvm.ptr) -> ()
    llvm.br ^done
  ^done:
    llvm.return
  }

  // Creates the thread-specific key, then writes the functions' raw addresses to %out.
  llvm.func @mirax_init(%out: !llvm.ptr) {
    %key = llvm.mlir.addressof @key : !llvm.ptr
    %none = llvm.mlir.zero : !llvm.ptr
    %status = llvm.call @pthread_key_create(%key, %none) : (!llvm.ptr, !llvm.ptr) -> i32
    %a = llvm.mlir.addressof @mirax_call : !llvm.ptr
    %b = llvm.mlir.addressof @mirax_malloc : !llvm.ptr
    %c = llvm.mlir.addressof @mirax_calloc : !llvm.ptr
    %d = llvm.mlir.addressof @mirax_aligned_alloc : !llvm.ptr
    %e = llvm.mlir.addressof @mirax_free : !llvm.ptr
    llvm.store %a, %out : !llvm.ptr, !llvm.ptr
    %p1 = llvm.getelementptr %out[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %b, %p1 : !llvm.ptr, !llvm.ptr
    %p2 = llvm.getelementptr %out[2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %c, %p2 : !llvm.ptr, !llvm.ptr
    %p3 = llvm.getelementptr %out[3] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %d, %p3 : !llvm.ptr, !llvm.ptr
    %p4 = llvm.getelementptr %out[4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
    llvm.store %e, %p4 : !llvm.ptr, !llvm.ptr
    llvm.return
  }
}
"""
_ALLOCATOR_FUNCTIONS = ("malloc", "calloc", "aligned_alloc", "free")
_allocator = None  # (its ExecutionEngine, mirax_call, {C library name: checked version's address})


def _checked_allocator():
    global _allocator
    if _allocator is None:
        with _lock, context():
            if _allocator is None:
                engine = ExecutionEngine(ir.Module.parse(_ALLOCATOR), opt_level=2)
                addresses = (ctypes.c_void_p * 5)()
                out = ctypes.c_void_p(ctypes.addressof(addresses))
                argv = (ctypes.c_void_p * 1)(ctypes.addressof(out))
                ctypes.CFUNCTYPE(None, ctypes.c_void_p)(engine.raw_lookup("mirax_init"))(ctypes.addressof(argv))
                call = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)(addresses[0])
                _allocator = engine, call, {name: ctypes.c_void_p(address)
                                              for name, address in zip(_ALLOCATOR_FUNCTIONS, addresses[1:], strict=True)}
    return _allocator


def call_block(function, arguments):
    """What `_run` takes: a packed entry point's address, then its `arguments` (the
    addresses of the cells holding each argument)."""
    return (ctypes.c_void_p * (1 + len(arguments)))(function, *arguments)


def _run(block):
    """Call the packed entry point of a `call_block` (its address) through the checked
    allocator's frame: a MemoryError if an allocation failed."""
    failed = _allocator[1](block)
    if failed:
        _out_of_memory(failed)


def _out_of_memory(size):
    raise MemoryError(f"RESOURCE_EXHAUSTED: Out of memory allocating {size} bytes.")


# ----------------------------------------------------------------------------- host functions

_host_functions = {}  # symbol -> ctypes function compiled programs may call (kept alive here)
_host_errors = threading.local()  # .errors: exceptions raised by this thread's host functions


def host_function(symbol, fn, num_buffers):
    """Register `fn(*addresses)`, taking the addresses of `num_buffers` buffers, as the
    host function `symbol` that compiled programs may call."""
    typed_host_function(symbol, fn, ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * num_buffers))


def typed_host_function(symbol, fn, signature):
    """Register `fn` as the host function `symbol` of a ctypes `signature` (CFUNCTYPE)
    that compiled programs may call. When it raises, it returns 0 (or nothing) to the
    program and its exception is raised when the program returns (in the thread that
    called the program, where the host function ran)."""

    def call(*args):
        try:
            return fn(*args)
        except BaseException as err:  # noqa: BLE001 - cannot unwind through compiled code
            _host_errors.__dict__.setdefault("errors", []).append(err)
            return None

    _host_functions[symbol] = signature(call)


def _register_runtime(engine, module, also=()):
    """Resolve the checked allocator's functions, the host functions `module` (LLVM
    dialect) declares and those in `also` (which its translation to LLVM IR calls) for
    `engine`; whether it calls any host function."""
    for name, function in _checked_allocator()[2].items():
        engine.raw_register_runtime(name, function)
    declared = [op.attributes["sym_name"].value for op in module.body.operations
                if op.operation.name == "llvm.func" and not op.regions[0].blocks]
    found = False
    for symbol in declared + list(also):
        if symbol in _host_functions:
            engine.raw_register_runtime(symbol, ctypes.cast(_host_functions[symbol], ctypes.c_void_p))
            found = True
    return found


def _raise_host_errors():
    errors = getattr(_host_errors, "errors", None)
    if errors:
        error = errors.pop()
        errors.clear()
        raise error


def _mark_inputs_read_only(module, entry):
    """Bufferization may write into a function's arguments where nothing reads them
    later; an entry function's are the caller's arrays, which must never change."""
    function = next(op for op in module.body.operations if op.attributes["sym_name"].value == entry)
    count = len(ir.FunctionType(ir.TypeAttr(function.attributes["function_type"]).value).inputs)
    read_only = ir.DictAttr.get({"bufferization.writable": ir.BoolAttr.get(False)})
    function.attributes["arg_attrs"] = ir.ArrayAttr.get([read_only] * count)


class Executable:
    """A compiled entry function: call it with mirax Arrays, get new NumPy arrays back."""

    lower = staticmethod(lower_to_llvm)  # linalg -> LLVM dialect, in place
    empty = staticmethod(np.empty)  # the output buffers
    runtime_functions = ()  # host functions called by code that the LLVM translation adds

    def __init__(self, module, entry, num_inputs, out_types):
        with context():
            lower_to_linalg(module)
            _mark_inputs_read_only(module, entry)
            self.lower(module)
            self._engine = ExecutionEngine(module, opt_level=3)
            self._calls_host = _register_runtime(self._engine, module, self.runtime_functions)
        self._function = self._engine.raw_lookup(entry)
        self._call = _allocator[1]
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]
        self._num_args = num_inputs + len(out_types)
        self._argvs = []  # free argument storage: one is taken for each call, then given back

    def _new_argv(self):
        """Argument storage for one call: a pointer cell per buffer, and the call block
        pointing at the cells."""
        cells = (ctypes.c_void_p * self._num_args)()
        size = ctypes.sizeof(ctypes.c_void_p)
        block = call_block(self._function, [ctypes.addressof(cells) + i * size for i in range(self._num_args)])
        return cells, block, ctypes.addressof(block)

    def __call__(self, inputs):
        outputs = [self.empty(shape, dtype) for shape, dtype in self._out_types]
        try:  # list.pop and append are atomic: concurrent and nested calls never share storage
            storage = self._argvs.pop()
        except IndexError:
            storage = self._new_argv()
        cells = storage[0]
        i = 0
        for array in inputs:
            cells[i] = array.pointer
            i += 1
        for array in outputs:
            cells[i] = address(array)
            i += 1
        failed = self._call(storage[2])  # _run, inlined: a small call's time matters
        self._argvs.append(storage)
        if failed:
            _out_of_memory(failed)
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
            _mark_inputs_read_only(module, entry)
            lower_to_llvm(module, bare_pointers=False)
            self._engine = ExecutionEngine(module, opt_level=3)
            if _register_runtime(self._engine, module):
                raise NotImplementedError("a program with zero-size buffers cannot call host functions")
        self._function = self._engine.raw_lookup(f"_mlir_ciface_{entry}")
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]

    def __call__(self, inputs):
        outputs = [np.empty(shape, dtype) for shape, dtype in self._out_types]
        buffers = [a._value for a in inputs] + outputs
        # The C interface takes a pointer to each descriptor: argv points at those pointers.
        descriptors = [ctypes.pointer(get_ranked_memref_descriptor(b)) for b in buffers]
        block = call_block(self._function, [ctypes.addressof(d) for d in descriptors])
        _run(ctypes.addressof(block))
        return outputs


def compile(module_text, entry, num_inputs, out_types, backend=None):
    """The executable of `entry` in a mirax module for `backend` ('cpu' or 'gpu'; by
    default the default backend), compiled once per distinct text."""
    backend = platforms.platform(backend or platforms.default_backend())
    key = (module_text, entry, backend)
    executable = _executables.get(key)
    if executable is not None:
        return executable
    with _lock:  # one thread compiles a program; the others wait for it
        executable = _executables.get(key)
        if executable is None:
            executable = _executables[key] = _compile(module_text, entry, num_inputs, out_types, backend)
    return executable


def _compile(module_text, entry, num_inputs, out_types, backend):
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
    return kind(module, entry, num_inputs, out_types)


def clear_caches():
    """Forget every compiled executable (they are compiled again when next needed)."""
    _executables.clear()
