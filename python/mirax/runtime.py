"""Compiling mirax modules for the CPU and calling them.

Compiled code takes every input and output as a bare pointer to its row-major
buffer (`use-bare-ptr-memref-call-conv`): shapes are static, so a call is one
ctypes call with one pointer per buffer, of an entry function added to the program
(`entry_point`). Executables are cached by the text of the mirax module, so
identical programs compile once however they were produced; each is compiled from
a copy of the traced module (no round trip through its text). CPU programs are also
kept on disk (compilation_cache.py) as object code, which another process loads with
llvmlite's JIT linker instead of compiling the program again.

Threads: compiling is serialized by one lock (the cache with it); calls are re-entrant (each passes its pointers as arguments) and run
without the GIL. Compiled code allocates its temporaries through a checked
allocator: an allocation that fails ends the call with a MemoryError.
"""
import collections
import ctypes
import functools
import importlib.metadata
import os
import tempfile
import threading

import numpy as np

from mirax import compilation_cache, cuda, platforms
from mirax.mlir import ExecutionEngine, get_ranked_memref_descriptor, ir
from mirax.dialect.control_flow.custom_vmap import CUSTOM_VMAP_RULE
from mirax.dialect.rules import Table
from mirax.mlir_context import context
from mirax.passes import kernel_library
from mirax.passes.pipelines import lower_kernel_library, lower_to_linalg, lower_to_llvm

_lock = threading.RLock()  # compiling, the caches' misses
_process_ready = False
# Executables made; of those, loaded from the disk cache; the kernel library loaded from it.
stats = {"compiles": 0, "cache_loads": 0, "library_loads": 0}


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


def _prepare_process():
    """Once, before the first executable: the OpenMP runtime that threaded loops call,
    and an allocator that keeps freed memory (under `_lock`)."""
    global _process_ready
    if not _process_ready:
        _load_openmp()
        _keep_freed_memory()
        _process_ready = True


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
    it. Idle threads spin for 1 ms after a parallel loop, then sleep: the next loop of
    a program (or of its next call) starts without waking them (at 0 ms, waking them
    made attention's gradient 1.7x slower on two threads than on one), and they do not
    spin for OpenMP's default 200 ms, stealing a core from whatever runs next."""
    os.environ.setdefault("KMP_BLOCKTIME", "1")
    distribution = importlib.metadata.distribution("intel-openmp")
    library = next(f for f in distribution.files if f.name == "libiomp5.so")
    ctypes.CDLL(str(distribution.locate_file(library)), mode=ctypes.RTLD_GLOBAL)


def view(address, shape, dtype):
    """The NumPy array of `shape` and `dtype` over the buffer at `address` (a host
    function's argument)."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return np.frombuffer((ctypes.c_char * nbytes).from_address(address), dtype=dtype).reshape(shape)


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
# the checked versions below. Each program is entered through @mirax_entry (added to
# it by `entry_point`), which registers a frame for its thread: a jmp_buf, the size
# of a failed allocation, and the list of the blocks allocated by the call that are
# still live (each block has a 32-byte header before the program's pointer: the next
# block, the address of the pointer to this block, the address to give back to the C
# library). An allocation that fails jumps back to the frame, which frees the call's
# live blocks and returns the size; 0 means the call completed. A failure on an
# OpenMP thread, or inside a parallel loop, cannot jump out of the loop: it aborts
# the process with a message instead.
_ALLOCATOR = """
module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @calloc(i64, i64) -> !llvm.ptr
  llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
  llvm.func @free(!llvm.ptr)
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
  // the failed size in 64, the first live block's header in 65. Entering registers it
  // for the thread and returns the frame it replaces (a program called from a host
  // function runs in a frame of its own).
  llvm.func @mirax_frame_enter(%frame: !llvm.ptr) -> !llvm.ptr {
    %null = llvm.mlir.zero : !llvm.ptr
    %head = llvm.getelementptr %frame[0, 65] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
    llvm.store %null, %head : !llvm.ptr, !llvm.ptr
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %outer = llvm.call @pthread_getspecific(%key) : (i32) -> !llvm.ptr
    %0 = llvm.call @pthread_setspecific(%key, %frame) : (i32, !llvm.ptr) -> i32
    llvm.return %outer : !llvm.ptr
  }

  // After a completed call: blocks the program did not free no longer belong to the frame.
  llvm.func @mirax_frame_leave(%frame: !llvm.ptr, %outer: !llvm.ptr) -> i64 {
    %null = llvm.mlir.zero : !llvm.ptr
    %zero = llvm.mlir.constant(0 : i64) : i64
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %0 = llvm.call @pthread_setspecific(%key, %outer) : (i32, !llvm.ptr) -> i32
    %head = llvm.getelementptr %frame[0, 65] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
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
  }

  // After a failed allocation jumped back: the call's live blocks freed, the size returned.
  llvm.func @mirax_frame_failed(%frame: !llvm.ptr, %outer: !llvm.ptr) -> i64 {
    %null = llvm.mlir.zero : !llvm.ptr
    %keyp = llvm.mlir.addressof @key : !llvm.ptr
    %key = llvm.load %keyp : !llvm.ptr -> i32
    %0 = llvm.call @pthread_setspecific(%key, %outer) : (i32, !llvm.ptr) -> i32
    %head = llvm.getelementptr %frame[0, 65] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<66 x i64>
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

  // Creates the thread-specific key, then writes the raw addresses of the functions
  // programs call to %out (in the order of _CHECKED's values, then _FRAME_FUNCTIONS).
  llvm.func @mirax_init(%out: !llvm.ptr) {
    %key = llvm.mlir.addressof @key : !llvm.ptr
    %none = llvm.mlir.zero : !llvm.ptr
    %status = llvm.call @pthread_key_create(%key, %none) : (!llvm.ptr, !llvm.ptr) -> i32
    {stores}
    llvm.return
  }
}
"""
# The C library's allocation functions that programs call, and what they are renamed to
# in programs (a cached program's object code names them so: llvmlite resolves symbols
# process-wide, where malloc must stay the C library's).
_CHECKED = {"malloc": "mirax_malloc", "calloc": "mirax_calloc", "aligned_alloc": "mirax_aligned_alloc",
            "free": "mirax_free"}
_FRAME_FUNCTIONS = ("mirax_frame_enter", "mirax_frame_leave", "mirax_frame_failed")
_allocator = None  # (its ExecutionEngine, {symbol in programs: address of its definition there})


def _checked_allocator():
    global _allocator
    if _allocator is None:
        with _lock, context():
            if _allocator is None:
                _prepare_process()
                functions = list(_CHECKED.values()) + list(_FRAME_FUNCTIONS)
                engine = ExecutionEngine(ir.Module.parse(_ALLOCATOR.replace("{stores}", _stores(functions))),
                                         opt_level=2)
                addresses = (ctypes.c_void_p * len(functions))()
                _call_packed(engine, "mirax_init", [ctypes.c_void_p(ctypes.addressof(addresses))])
                _allocator = engine, {symbol: ctypes.c_void_p(address)
                                      for symbol, address in zip(functions, addresses, strict=True)}
    return _allocator


def _stores(symbols):
    """LLVM-dialect ops writing the addresses of the functions `symbols` to %out[0...]
    (raw_lookup finds only the packed interfaces of a module's functions)."""
    return "\n    ".join(
        f"%f{i} = llvm.mlir.addressof @{name} : !llvm.ptr\n    "
        f"%p{i} = llvm.getelementptr %out[{i}] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr\n    "
        f"llvm.store %f{i}, %p{i} : !llvm.ptr, !llvm.ptr" for i, name in enumerate(symbols))


_library = None  # (its engine, {kernel symbol: address})


def _kernel_library():
    """The kernel library (passes/kernel_library.py) compiled for this process, once, or
    its object code loaded from the persistent cache: (engine, {symbol: address})."""
    global _library
    if _library is None:
        with _lock, context():
            if _library is None:
                text = kernel_library.source()
                key = compilation_cache.key(text, "kernel library", 3) if compilation_cache.directory() else None
                _library = _load_kernel_library(key) or _compile_kernel_library(text, key)
    return _library


def _load_kernel_library(key):
    found = compilation_cache.load(key) if key else None
    if found is None:
        return None
    engine = _object_engine(found[1])
    stats["library_loads"] += 1
    return engine, {symbol: ctypes.c_void_p(engine.get_function_address(symbol)) for symbol in kernel_library.SYMBOLS}


def _compile_kernel_library(text, key):
    module = ir.Module.parse(text)
    lower_kernel_library(module)
    module = ir.Module.parse(f"{str(module).rstrip().removesuffix('}')}  llvm.func @mirax_kernel_addresses"
                             f"(%out: !llvm.ptr) {{\n    {_stores(kernel_library.SYMBOLS)}\n    llvm.return\n  }}\n}}")
    # -O3, once: the kernels are all loops
    engine = ExecutionEngine(module, opt_level=3, enable_object_dump=key is not None)
    addresses = (ctypes.c_void_p * len(kernel_library.SYMBOLS))()
    _call_packed(engine, "mirax_kernel_addresses", [ctypes.c_void_p(ctypes.addressof(addresses))])
    if key is not None:
        _store_object(engine, key, {})
    return engine, {symbol: ctypes.c_void_p(address)
                    for symbol, address in zip(kernel_library.SYMBOLS, addresses, strict=True)}


def _call_packed(engine, name, arguments):
    """Call `name` in `engine` through its packed interface, on ctypes values."""
    address = engine.raw_lookup(name)
    if not address:  # the JIT could not link the module (it printed what was missing)
        raise RuntimeError(f"mirax could not link its compiled code ({name} not found); please report the program")
    argv = (ctypes.c_void_p * len(arguments))(*(ctypes.addressof(a) for a in arguments))
    ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)(ctypes.addressof(argv))


_ENTRY = """
  llvm.func @{callee}({types})
  llvm.func @mirax_frame_enter(!llvm.ptr) -> !llvm.ptr
  llvm.func @mirax_frame_leave(!llvm.ptr, !llvm.ptr) -> i64
  llvm.func @mirax_frame_failed(!llvm.ptr, !llvm.ptr) -> i64
  llvm.func @_setjmp(!llvm.ptr) -> i32 attributes {{passthrough = ["returns_twice"]}}
  llvm.func @mirax_entry({params}) -> i64 {{
    %one = llvm.mlir.constant(1 : i64) : i64
    %frame = llvm.alloca %one x !llvm.array<66 x i64> {{alignment = 16 : i64}} : (i64) -> !llvm.ptr
    %outer = llvm.call @mirax_frame_enter(%frame) : (!llvm.ptr) -> !llvm.ptr
    %jumped = llvm.call @_setjmp(%frame) : (!llvm.ptr) -> i32
    %c0 = llvm.mlir.constant(0 : i32) : i32
    %first = llvm.icmp "eq" %jumped, %c0 : i32
    llvm.cond_br %first, ^run, ^failed
  ^run:
    llvm.call @{callee}({args}) : ({types}) -> ()
    %done = llvm.call @mirax_frame_leave(%frame, %outer) : (!llvm.ptr, !llvm.ptr) -> i64
    llvm.return %done : i64
  ^failed:
    %size = llvm.call @mirax_frame_failed(%frame, %outer) : (!llvm.ptr, !llvm.ptr) -> i64
    llvm.return %size : i64
  }}
  llvm.func @mirax_entry_address(%out: !llvm.ptr) {{
    %entry = llvm.mlir.addressof @mirax_entry : !llvm.ptr
    llvm.store %entry, %out : !llvm.ptr, !llvm.ptr
    llvm.return
  }}
"""


def entry_point(module, callee, num_args, also=(), cache_key=None, opt_level=2):
    """Compile `module` (LLVM dialect; `callee` takes `num_args` pointers) with an entry
    calling it in a frame of the checked allocator. Returns its ExecutionEngine, the
    entry (a ctypes function of the pointers, returning the size of a failed
    allocation or 0), and whether it calls host functions (`also`: those its
    translation to LLVM IR calls). With a `cache_key`, its object code goes to the
    persistent cache. `opt_level`: LLVM's (see compile)."""
    params = ", ".join(f"%a{i}: !llvm.ptr" for i in range(num_args))
    text = _ENTRY.format(params=params, callee=callee, args=", ".join(f"%a{i}" for i in range(num_args)),
                         types=", ".join(["!llvm.ptr"] * num_args))
    with context():
        for op in ir.Module.parse(f"module {{{text}}}").body.operations:
            if op.attributes["sym_name"].value != callee:  # declared to parse: the module defines it
                module.body.append(op.detach_from_parent())
        for op in module.body.operations:
            name = op.attributes["sym_name"].value if "sym_name" in op.attributes else None
            if op.operation.name == "llvm.func" and name in _CHECKED:
                ir.SymbolTable.replace_all_symbol_uses(name, _CHECKED[name], module.operation)
                ir.SymbolTable.set_symbol_name(op, _CHECKED[name])
        # -O2: LLVM's loop and SLP vectorizers run as at -O3 (MLIR's tuning options turn
        # them on at every level); -O3's extra passes and codegen cost ~40% of a small
        # program's compile and bought nothing measurable (an MLP's gradient, a 512
        # matmul, a 1e6-element chain and a cholesky ran within 1% of -O3's times).
        engine = ExecutionEngine(module, opt_level=opt_level, enable_object_dump=cache_key is not None)
        host_symbols, kernels = _register_runtime(engine, module, also)
    address = ctypes.c_void_p()
    _call_packed(engine, "mirax_entry_address", [ctypes.c_void_p(ctypes.addressof(address))])  # compiles it
    entry = _entry_function(address.value, num_args)
    if cache_key is not None:
        _store_object(engine, cache_key, {"host": host_symbols, "kernels": kernels})
    return engine, entry, bool(host_symbols)


def _store_object(engine, key, meta):
    """Put `engine`'s object code in the persistent cache under `key`, with `meta`."""
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "program.o")
        engine.dump_to_object_file(path)
        with open(path, "rb") as f:
            compilation_cache.store(key, meta, f.read())


def _entry_function(address, num_args):
    """The entry at `address` as a ctypes function of `num_args` pointers, returning the
    size of a failed allocation or 0."""
    return ctypes.CFUNCTYPE(ctypes.c_int64, *[ctypes.c_void_p] * num_args)(address)


@functools.cache
def _llvmlite():
    """llvmlite's binding, its native target initialized: the JIT linker of cached object code."""
    import llvmlite.binding as llvm  # noqa: PLC0415 (only for the disk cache)

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


def cached_entry_point(cache_key, num_args):
    """(engine, entry, calls host) as entry_point's, from the persistent cache's object
    code of `cache_key`, or None when it has none (or one calling host functions this
    process has not registered)."""
    found = compilation_cache.load(cache_key)
    if found is None:
        return None
    meta, code = found
    if not all(symbol in _host_functions for symbol in meta["host"]):
        return None
    llvm = _llvmlite()
    for symbol, address in _runtime_symbols(meta["host"], meta["kernels"]).items():  # resolved when finalized
        llvm.add_symbol(symbol, address.value)
    engine = _object_engine(code)
    return engine, _entry_function(engine.get_function_address("mirax_entry"), num_args), bool(meta["host"])


def _object_engine(code):
    """An llvmlite JIT holding the object `code`, its symbols resolved."""
    llvm = _llvmlite()
    # The engine owns its target machine (and frees it): one each.
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), llvm.Target.from_default_triple().create_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(code))
    engine.finalize_object()
    return engine


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
    """Resolve the checked allocator's functions, the host functions and library kernels
    `module` (LLVM dialect) declares and the host functions in `also` (which its
    translation to LLVM IR calls) for `engine`; the host functions and kernels it calls."""
    declared = [op.attributes["sym_name"].value for op in module.body.operations
                if op.operation.name == "llvm.func" and not op.regions[0].blocks]
    host = [symbol for symbol in declared + list(also) if symbol in _host_functions]
    kernels = [symbol for symbol in declared if symbol in kernel_library.SYMBOLS]
    for symbol, address in _runtime_symbols(host, kernels).items():
        engine.raw_register_runtime(symbol, address)
    return host, kernels


def _runtime_symbols(host, kernels):
    """{symbol: address} of the checked allocator's functions, the host functions `host`
    and the library kernels `kernels`."""
    symbols = dict(_checked_allocator()[1])
    symbols.update((symbol, ctypes.cast(_host_functions[symbol], ctypes.c_void_p)) for symbol in host)
    if kernels:
        symbols.update((symbol, _kernel_library()[1][symbol]) for symbol in kernels)
    return symbols


def _raise_host_errors():
    errors = getattr(_host_errors, "errors", None)
    if errors:
        error = errors.pop()
        errors.clear()
        raise error


class Buffer:
    """A NumPy buffer as compiled code takes it, with its address (core.Array is one)."""

    __slots__ = ("_value", "_pointer")

    def __init__(self, value):
        self._value = value
        self._pointer = None

    @property
    def pointer(self):
        """The buffer's address, for calls into compiled code."""
        if self._pointer is None:
            if not self._value.flags.writeable or not self._value.flags.c_contiguous:
                self._value = np.array(self._value, order="C")
            self._pointer = address(self._value)
        return self._pointer


class Executable:
    """A compiled entry function: call it with Buffers, get new NumPy arrays back."""

    lower = staticmethod(lower_to_llvm)  # linalg -> LLVM dialect, in place
    empty = staticmethod(np.empty)  # the output buffers
    runtime_functions = ()  # host functions called by code that the LLVM translation adds

    def __init__(self, module, entry, num_inputs, out_types, cache_key=None, opt_level=2):
        """`module`: a copy to lower in place, or a function making one (not called when
        the persistent cache holds `cache_key`'s code)."""
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]
        num_args = num_inputs + len(out_types)
        found = cached_entry_point(cache_key, num_args) if cache_key else None
        if found is not None:
            stats["cache_loads"] += 1
            self._engine, self._entry, self._calls_host = found
            return
        module = module() if callable(module) else module
        with context():
            lower_to_linalg(module)
            self.lower(module)
        self._engine, self._entry, self._calls_host = entry_point(module, entry, num_args, self.runtime_functions,
                                                                  cache_key, opt_level)

    def __call__(self, inputs):
        return self.call_addressed(inputs)[0]

    def call_addressed(self, inputs):
        """The outputs (new NumPy arrays), and their addresses (which an eager op's
        results keep, for the ops they go to next)."""
        # The buffers' addresses are the entry's arguments: each call passes its own. (Loops,
        # not comprehensions: a small call's time matters, and comprehensions cost more.)
        pointers = []
        for array in inputs:
            pointers.append(array.pointer)
        outputs, addresses = [], []
        for shape, dtype in self._out_types:
            output = self.empty(shape, dtype)
            outputs.append(output)
            addresses.append(address(output))
        failed = self._entry(*pointers, *addresses)
        if failed:
            _out_of_memory(failed)
        if self._calls_host:
            _raise_host_errors()
        return outputs, addresses


class DescriptorExecutable:
    """The slow path for functions with zero-size buffers at their boundary: memref
    descriptors through the ExecutionEngine's C interface."""

    def __init__(self, module, entry, num_inputs, out_types):
        with context():
            entry_func = next(op for op in module.body.operations if op.attributes["sym_name"].value == entry)
            entry_func.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
            lower_to_linalg(module)
            lower_to_llvm(module, bare_pointers=False)
        self._out_types = [(tuple(t.shape), t.dtype) for t in out_types]
        self._engine, self._entry, calls_host = entry_point(
            module, f"_mlir_ciface_{entry}", num_inputs + len(out_types))
        if calls_host:
            raise NotImplementedError("a program with zero-size buffers cannot call host functions")

    def __call__(self, inputs):
        outputs = [np.empty(shape, dtype) for shape, dtype in self._out_types]
        buffers = [a._value for a in inputs] + outputs
        # The C interface takes a pointer to each buffer's descriptor.
        descriptors = [get_ranked_memref_descriptor(b) for b in buffers]
        failed = self._entry(*[ctypes.addressof(d) for d in descriptors])
        if failed:
            _out_of_memory(failed)
        return outputs


EXECUTABLES = {}  # backend -> the executable class of a program with no zero-size buffer at its boundary


def copy(module):
    """A copy of a mirax module, for passes to rewrite in place (a traced module stays
    as it is: other traces import its functions). Not verified again: the module was
    when its trace finished (or it was parsed), and verifying its ops' Python rules
    again was a fifth of a cached program's first call."""
    with context(), ir.Location.unknown():
        duplicate = ir.Module.create()
        for attribute in module.operation.attributes:
            duplicate.operation.attributes[attribute.name] = attribute.attr
        with ir.InsertionPoint(duplicate.body):
            for op in module.body.operations:
                op.clone()
    return duplicate


def compile(module, text, entry, num_inputs, out_types, backend=None, opt_level=2):
    """The executable of `entry` in a mirax module for `backend` ('cpu' or 'gpu'; by
    default the default backend), compiled from a copy of the module once per
    distinct `text` (the module's). `opt_level`: LLVM's for the CPU's code (the GPU's
    host code has little to optimize and is always compiled at 2); 0 compiles in a
    third of the time code run a few times (eager ops' first tier, core._EagerOp)."""
    backend = platforms.platform(backend or platforms.default_backend())
    if backend == "gpu":
        opt_level = 2  # one executable per program, whatever the CPU's level would be
    key = (text, entry, backend, opt_level)
    executable = _executables.get(key)
    if executable is not None:
        return executable
    with _lock:  # one thread compiles a program; the others wait for it
        executable = _executables.get(key)
        if executable is None:
            _prepare_process()
            executable = _executables[key] = _compile(module, text, entry, num_inputs, out_types, backend, opt_level)
    return executable


def _compile(module, text, entry, num_inputs, out_types, backend, opt_level):
    stats["compiles"] += 1
    with context():
        entry_func = next(op for op in module.body.operations if op.attributes["sym_name"].value == entry)
        ftype = ir.FunctionType(ir.TypeAttr(entry_func.attributes["function_type"]).value)
    has_empty = any(0 in ir.RankedTensorType(t).shape for t in list(ftype.inputs) + list(ftype.results))
    if backend == "gpu":
        if has_empty:
            raise NotImplementedError("the GPU backend does not take zero-size arrays in or out of a compiled "
                                      "function yet")
        # registered by gpu_runtime, which Trace.compile loads for the GPU
        return EXECUTABLES["gpu"](copy(module), entry, num_inputs, out_types)
    if has_empty:
        return DescriptorExecutable(copy(module), entry, num_inputs, out_types)
    # The persistent cache keys a program by its mirax text: with mirax's sources in the
    # key (compilation_cache._fingerprint), the text says what the code is, as long as
    # no rule or pass has been replaced at run time (a test's monkeypatch: rules.Table)
    # and the program names no custom_vmap rule (Python the derivation calls: the text
    # names it by a counter, so another process's rule of that name would meet this code).
    cached = compilation_cache.directory() is not None and not Table.edited() and CUSTOM_VMAP_RULE not in text
    return Executable(functools.partial(copy, module), entry, num_inputs, out_types,
                      compilation_cache.key(text, entry, opt_level) if cached else None, opt_level)


def clear_caches():
    """Forget every compiled executable (they are compiled again when next needed) and
    give the GPU's free pooled memory back to the driver."""
    _executables.clear()
    cuda.POOL.release()
