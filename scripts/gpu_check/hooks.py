"""What the device check changes in each Python process it starts (installed by
site/sitecustomize.py when MIRAX_GPU_CHECK is set), so that a machine without the MLIR
compiler's llvmlite, or without a GPU, runs mirax's GPU programs.

The PTX of every GPU program is a cache entry keyed by the SHA-256 of the module its
kernels are compiled from (mirax.passes.gpu_pipeline.kernels_to_ptx's input, at the NVVM
stage): recorded here, where llvmlite (LLVM 22, with NVPTX) is installed, and read back on
the device machine, which cannot take llvmlite's 160 MB library along with MLIR's.

MIRAX_GPU_CHECK:
  record   no GPU: a fake CUDA driver over host memory; each GPU program is compiled as on
           the device (its PTX, its host code) and computed by its CPU twin, whose
           outputs live in the fake unified memory (so they are GPU arrays, as on the
           device, and the programs that follow are the same); each PTX is appended to
           MIRAX_GPU_CHECK_RECORD/<pid>.jsonl.
  dry-run  the same, the PTX taken from the cache MIRAX_GPU_CHECK_PTX only: a program
           missing from it is an error.
  device   the real driver and GPU; the PTX taken from the cache, a missing one compiled
           by whatever llvmlite the machine has (libdevice from MIRAX_GPU_CHECK_LIBDEVICE).
Every process adds its counts (cache hits, misses, recorded) to
MIRAX_GPU_CHECK_STATS/<pid>.json when it exits. MIRAX_GPU_CHECK_NO_JAX=1 makes `import jax`
fail (the benchmarks' JAX column is then n/a: here it would only time the CPU).
"""
import atexit
import ctypes
import hashlib
import json
import lzma
import os
import sys

MODES = ("record", "dry-run", "device")
stats = {"hits": 0, "misses": 0, "recorded": 0, "fallback_errors": 0}
_missed = []  # (key, error or None) of each miss


def key(module):
    """The cache key of kernels_to_ptx's input (the NVVM-stage module, host code and kernels)."""
    return hashlib.sha256(str(module).encode()).hexdigest()


def load_cache(path):
    """{key: PTX} and the manifest of a cache file written by check.py (xz-compressed JSON)."""
    with lzma.open(path, "rt") as f:
        data = json.load(f)
    return data["ptx"], data.get("manifest", {})


class FakeDriver:
    """cuda.Driver's interface over host memory, for programs computed by their CPU twins:
    modules load and kernels launch as nothing. Unknown calls (a newer runtime's) do
    nothing and return None."""

    device_name = "fake GPU (scripts/gpu_check: kernels compiled, results computed on the CPU)"
    ordinal = 0
    lost = None
    compute_capability = (9, 0)  # the H100's and H200's: the PTX is recorded for sm_90
    stream = 0

    def __init__(self):
        self._memory = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None

    def load_module(self, image):
        return 0x10

    def function(self, module, name):
        return 0x20

    def alloc_managed(self, nbytes):
        memory = ctypes.create_string_buffer(nbytes + 64)
        address = -(-ctypes.addressof(memory) // 64) * 64  # aligned as the driver's
        self._memory[address] = memory
        return address

    def free(self, address):
        self._memory.pop(address, None)


def _cpu_computed(gpu_executable):
    from mirax import cuda, runtime  # noqa: PLC0415

    class CpuTwin(runtime.Executable):
        empty = staticmethod(cuda.empty)  # outputs in (fake) unified memory: GPU arrays

    class CpuComputedGpuExecutable:
        """A GPU program compiled as on the device (its PTX through the cache hook, its
        host code by the ExecutionEngine, its module 'loaded' by the fake driver), whose
        results its CPU twin computes."""

        def __init__(self, module, entry, num_inputs, out_types):
            self.gpu = gpu_executable(runtime.copy(module), entry, num_inputs, out_types)
            self.cpu = CpuTwin(module, entry, num_inputs, out_types)

        def __call__(self, inputs):
            return self.cpu(inputs)

    def executable(module, entry, num_inputs, out_types):
        if not isinstance(cuda.driver(), FakeDriver):  # a test's own fake driver: the runtime as it is
            return gpu_executable(module, entry, num_inputs, out_types)
        return CpuComputedGpuExecutable(module, entry, num_inputs, out_types)

    return executable


def _libdevice(path):
    def libdevice():
        with open(path, "rb") as f:
            return f.read()
    return libdevice


def install(mode):
    if mode not in MODES:
        raise SystemExit(f"MIRAX_GPU_CHECK={mode!r}: one of {', '.join(MODES)}")
    if os.environ.get("MIRAX_GPU_CHECK_NO_JAX") == "1":
        sys.modules["jax"] = None  # `import jax` raises ImportError
    from mirax import cuda, gpu_runtime, runtime  # noqa: PLC0415 - loads the GPU compiler
    from mirax.passes import gpu_pipeline  # noqa: PLC0415

    compile_ptx = gpu_pipeline.kernels_to_ptx
    cache, record = {}, None
    if mode == "record":
        directory = os.environ["MIRAX_GPU_CHECK_RECORD"]
        os.makedirs(directory, exist_ok=True)
        record = open(os.path.join(directory, f"{os.getpid()}.jsonl"), "a")  # noqa: SIM115 - open for the process
    else:
        cache, _ = load_cache(os.environ["MIRAX_GPU_CHECK_PTX"])
        libdevice = os.environ.get("MIRAX_GPU_CHECK_LIBDEVICE")
        if mode == "device" and libdevice and os.path.exists(libdevice):
            gpu_pipeline._libdevice = _libdevice(libdevice)  # (no nvidia-nvvm wheel there)

    def kernels_to_ptx(module):
        k = key(module)
        if record is not None:
            ptx = compile_ptx(module)
            record.write(json.dumps({"key": k, "ptx": ptx}) + "\n")
            record.flush()
            stats["recorded"] += 1
            return ptx
        ptx = cache.get(k)
        if ptx is not None:
            stats["hits"] += 1
            return ptx
        stats["misses"] += 1
        if mode == "dry-run":
            _missed.append((k, None))
            raise LookupError(f"scripts/gpu_check: no PTX recorded for this GPU program (key {k[:16]}): the cache is "
                              f"stale or the program was not run when it was recorded; rerun `make gpu-check-bundle`")
        try:
            ptx = compile_ptx(module)  # the device's llvmlite, if any
        except Exception as err:
            stats["fallback_errors"] += 1
            _missed.append((k, f"{type(err).__name__}: {err}"))
            raise
        _missed.append((k, None))
        return ptx

    gpu_pipeline.kernels_to_ptx = kernels_to_ptx
    if mode in ("record", "dry-run"):
        fake = FakeDriver()
        cuda._driver = lambda: fake
        runtime.EXECUTABLES["gpu"] = _cpu_computed(gpu_runtime.GpuExecutable)
    statistics = os.environ.get("MIRAX_GPU_CHECK_STATS")
    if statistics:
        atexit.register(_write_stats, statistics)


def _write_stats(directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{os.getpid()}.json"), "w") as f:
        json.dump({**stats, "missed": _missed[:20], "argv": sys.argv[:3]}, f)
