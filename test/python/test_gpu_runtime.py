"""The device model and the GPU runtime.

Without a GPU: the CPU is the default, asking for the GPU raises an error naming what
is missing (the driver library, a device), and the host side of GPU programs runs
against a fake CUDA driver that records what it is asked (module load, launches with
their grid and block sizes, unified memory) and can fail as the real one does. With a
GPU (the CUDA driver finds a device), the program table of test_gpu_ptx.py runs on it
and must match the CPU; those tests skip elsewhere, saying why."""
import ctypes
import functools
import gc
import re
import resource
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import cuda, platforms
from mirax import clear_caches
from mirax.passes import gpu_pipeline
from test_gpu_ptx import PROGRAMS


@functools.cache
def gpu_missing():
    """Why the GPU backend is unavailable here, or None when a GPU is present."""
    try:
        cuda.driver()
    except cuda.GpuUnavailable as err:
        return str(err)
    return None


needs_gpu = pytest.mark.skipif(gpu_missing() is not None, reason=f"no GPU: {gpu_missing()}")
without_gpu = pytest.mark.skipif(gpu_missing() is None, reason="a GPU is present")

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
L = np.arange(8 * 300, dtype=np.float32).reshape(8, 300) / 1000


def test_cpu_is_the_default():
    assert mirax.default_backend() == "cpu"
    assert mirax.devices() == [platforms.CPU] == mirax.devices("cpu")
    assert repr(mirax.devices()[0]) == "CpuDevice(id=0)"
    assert jnp.sin(jnp.ones(3)).device == platforms.CPU
    assert mirax.device_put(X).device == platforms.CPU


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        mirax.jit(jnp.sin, backend="tpu")
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        mirax.devices("tpu")


@without_gpu
def test_no_gpu_errors_name_what_is_missing():
    missing = r"libcuda|no CUDA device"
    with pytest.raises(RuntimeError, match=missing):
        mirax.devices("gpu")
    with pytest.raises(RuntimeError, match=missing):
        mirax.jit(jnp.sin, backend="gpu")(X)
    assert "ld.global" in mirax.jit(jnp.sin, backend="gpu").lower(X).as_text("ptx")  # compiling needs no GPU
    old = mirax.config.read("jax_platform_name")
    mirax.config.update("jax_platform_name", "gpu")
    try:
        with pytest.raises(RuntimeError, match=missing):
            mirax.default_backend()
    finally:
        mirax.config.update("jax_platform_name", old)


@without_gpu
def test_no_gpu_error_from_the_environment():
    done = subprocess.run([sys.executable, "-c", "import mirax.numpy as jnp; jnp.ones(3) + 1"],
                          env={"MIRAX_PLATFORM": "gpu", "PATH": ""}, capture_output=True, text=True)
    assert done.returncode != 0
    assert re.search(r"GpuUnavailable: the GPU backend needs the NVIDIA driver library libcuda.so.1|no CUDA device",
                     done.stderr), done.stderr


class FakeDriver:
    """cuda.Driver's interface over host memory: records the calls; launches run nothing,
    and the memory they would write holds ones (a loop's condition stays true)."""

    device_name = "fake GPU"
    ordinal = 0
    lost = None

    def __init__(self, fail_launch=None, compute_capability=(9, 0)):
        self.calls, self.memory, self.kernels, self.fail_launch = [], {}, [], fail_launch
        self.compute_capability = compute_capability
        self.fail_at = 0  # with fail_launch: the launch that fails, counted from 0
        self.launched = 0  # the launches made

    def make_current(self):
        pass

    def load_module(self, image):
        self.calls.append(("load", image))
        return 0x10

    def unload_module(self, module):
        self.calls.append(("unload",))

    def function(self, module, name):
        self.kernels.append(name.decode())
        return len(self.kernels)  # a CUfunction: the kernel's position, from 1

    def launch(self, function, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, params):
        if self.fail_launch is not None and self.launched >= self.fail_at:
            raise self.fail_launch
        self.launched += 1
        self.calls.append(("launch", self.kernels[function - 1], (grid_x, grid_y, grid_z), (block_x, block_y, block_z)))

    def alloc_managed(self, nbytes):
        memory = ctypes.create_string_buffer(b"\1" * nbytes, nbytes)
        self.memory[ctypes.addressof(memory)] = memory
        return ctypes.addressof(memory)

    def free(self, address):
        del self.memory[address]


@pytest.fixture
def fake_gpu(monkeypatch):
    clear_caches()
    fake = FakeDriver()
    monkeypatch.setattr(cuda, "_driver", lambda: fake)
    monkeypatch.setattr(cuda, "POOL", cuda.Pool())  # (a pool's blocks are its driver's)
    yield fake
    gc.collect()
    clear_caches()
    cuda.POOL.release()


def _launches(text):
    """(kernel, grid, block) of each gpu.launch_func in the 'gpu' stage's text."""
    constants = dict(re.findall(r"(%c\w*) = arith.constant (\d+) : index", text))
    found = []
    for match in re.finditer(r"gpu.launch_func\s+@\w+::@(\w+) blocks in \(([^)]*)\) threads in \(([^)]*)\)", text):
        grid, block = (tuple(int(constants[v.strip()]) for v in group.split(",")) for group in match.group(2, 3))
        found.append((match[1], grid, block))
    return found


def test_host_program_launches_the_kernels(fake_gpu):
    def fn(x, v):
        return (jnp.tanh(x) * v).sum(axis=1)

    v = np.ones(4, np.float32)
    lowered = mirax.jit(fn, backend="gpu").lower(X, v)
    out = mirax.jit(fn, backend="gpu")(X, v)
    assert out.device.platform == "gpu" and repr(out.device) == "CudaDevice(id=0)" and out.shape == (3,)
    loads = [c for c in fake_gpu.calls if c[0] == "load"]
    assert len(loads) == 1 and loads[0][1].startswith(b"//\n// Generated by LLVM NVPTX Back-End")
    assert loads[0][1].rstrip(b"\0") == lowered.as_text("ptx").encode()
    launches = [c[1:] for c in fake_gpu.calls if c[0] == "launch"]
    assert launches == _launches(lowered.as_text("gpu"))
    assert len(launches) == 1  # one block per row, from the output's fill value
    # The inputs were copied to unified memory for the call and returned to the pool
    # after, which releases them; the output stays.
    gc.collect()
    cuda.POOL.release()
    assert list(fake_gpu.memory) == [out._value.__array_interface__["data"][0]]


def test_launch_path(fake_gpu):
    """Each launch is one call into Python: the stream and function-lookup calls are
    defined in the host code, the kernels' CUfunctions are looked up once per
    executable, and temporaries come from the pool (the second call allocates nothing)."""
    def fn(x):
        return jnp.sum(jnp.tanh(x) * 2, axis=1) + jnp.sum(x, axis=1)

    llvm = mirax.jit(fn, backend="gpu").lower(L).as_text("llvm")
    for name in ("mgpuStreamCreate", "mgpuStreamSynchronize", "mgpuStreamDestroy", "mgpuModuleUnload",
                 "mgpuModuleGetFunction"):
        assert re.search(rf"llvm.func internal @{name}\(.*\{{", llvm), name
    jitted = mirax.jit(fn, backend="gpu")
    jitted(L)
    launches, allocated = [c for c in fake_gpu.calls if c[0] == "launch"], set(fake_gpu.memory)
    assert len(launches) >= 2 and sorted(fake_gpu.kernels) == sorted({c[1] for c in launches})
    jitted(L)
    assert [c for c in fake_gpu.calls if c[0] == "launch"] == launches * 2
    assert len(fake_gpu.kernels) == len(set(fake_gpu.kernels))  # each looked up once
    gc.collect()
    assert set(fake_gpu.memory) == allocated  # (the first call's output went back to the pool)


def test_device_put(fake_gpu):
    on_gpu = mirax.device_put({"x": X}, mirax.devices("gpu")[0])["x"]
    assert on_gpu.device.platform == "gpu" and cuda.in_unified_memory(on_gpu._value)
    np.testing.assert_array_equal(np.asarray(on_gpu), X)
    back = mirax.device_put(on_gpu, platforms.CPU)
    assert back.device == platforms.CPU and not cuda.in_unified_memory(back._value)
    np.testing.assert_array_equal(np.asarray(back), X)
    assert mirax.device_put(on_gpu, on_gpu.device) is not None


def test_launch_failure_raises_the_cuda_error(fake_gpu):
    fake_gpu.fail_launch = cuda.CudaError("cuLaunchKernel", 719, "CUDA_ERROR_LAUNCH_FAILED",
                                          "unspecified launch failure")
    with pytest.raises(cuda.CudaError, match="CUDA_ERROR_LAUNCH_FAILED") as error:
        mirax.jit(jnp.cos, backend="gpu")(X)
    assert error.value.name == "CUDA_ERROR_LAUNCH_FAILED"


class FakeLibcuda:
    """libcuda's entry points as Python functions returning CUresults (`results`: a code,
    or a list of codes for the next calls, else success) and writing what the real ones
    write through their pointer arguments. As the real driver's, a call needing a
    context fails with CUDA_ERROR_INVALID_CONTEXT on a thread where none is current, and
    unified memory is memory (here, the host's)."""

    OUTPUTS = {"cuDeviceGetCount": 1, "cuDevicePrimaryCtxRetain": 0x30, "cuModuleGetFunction": 0x50}
    NAMES = {2: b"CUDA_ERROR_OUT_OF_MEMORY", 201: b"CUDA_ERROR_INVALID_CONTEXT", 218: b"CUDA_ERROR_INVALID_PTX",
             700: b"CUDA_ERROR_ILLEGAL_ADDRESS"}
    WITHOUT_CONTEXT = {"cuInit", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceGetAttribute",
                       "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuGetErrorName", "cuGetErrorString"}

    def __init__(self, results, compute_capability=(9, 0), count=1):
        self.results, self.calls, self.memory = results, [], {}
        self.outputs = {**self.OUTPUTS, "cuDeviceGetCount": count}
        self.attributes = dict(zip((cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                    cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), compute_capability))
        self.current = threading.local()
        for name in cuda._SIGNATURES:
            setattr(self, name, functools.partial(self._call, name))

    def _call(self, name, *args):
        self.calls.append((name, args, threading.get_ident()))
        result = self.results.get(name, 0)
        if isinstance(result, list):
            result = result.pop(0) if result else 0
        if name == "cuModuleLoadDataEx":
            ctypes.memmove(args[4][0], b"ptxas fatal: bad PTX\0", 21)
        if result:
            return result
        if name not in self.WITHOUT_CONTEXT and getattr(self.current, "context", None) != 0x30:
            return 201
        if name == "cuCtxSetCurrent":
            self.current.context = args[0].value
        elif name == "cuDeviceGetName":
            args[0].value = b"Fake H100"
        elif name == "cuDeviceGet":
            args[0]._obj.value = args[1]
        elif name == "cuDeviceGetAttribute":
            args[0]._obj.value = self.attributes[args[1]]
        elif name == "cuMemAllocManaged":
            memory = ctypes.create_string_buffer(args[1])
            self.memory[ctypes.addressof(memory)] = memory
            args[0]._obj.value = ctypes.addressof(memory)
        elif name == "cuMemFree_v2":
            del self.memory[args[0]]
        elif name in ("cuGetErrorName", "cuGetErrorString"):
            args[1]._obj.value = self.NAMES.get(args[0], b"CUDA_ERROR_UNKNOWN") if name == "cuGetErrorName" else b"why"
        elif name in self.outputs:
            args[0]._obj.value = self.outputs[name]
        return 0

    def called(self, name):
        return [call for call in self.calls if call[0] == name]


@pytest.fixture
def fake_libcuda(monkeypatch):
    """A cuda.Driver over FakeLibcuda as the process's driver."""
    yield from _driver_over(monkeypatch, FakeLibcuda({}))


@pytest.fixture
def fake_second_gpu(monkeypatch):
    """fake_libcuda on a host with 2 GPUs, in the process of local MPI rank 3: device 1."""
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3")
    yield from _driver_over(monkeypatch, FakeLibcuda({}, count=2))


def _driver_over(monkeypatch, lib):
    """A cuda.Driver over `lib` as the process's driver, for a fixture to yield from."""
    clear_caches()
    monkeypatch.setattr(cuda, "_load_library", lambda: lib)
    driver = cuda.Driver()
    monkeypatch.setattr(cuda, "_driver", lambda: driver)
    monkeypatch.setattr(cuda, "POOL", cuda.Pool())
    yield lib
    gc.collect()
    clear_caches()
    cuda.POOL.release()


@pytest.mark.parametrize("results, error, message", [
    ({"cuInit": 100}, cuda.GpuUnavailable, "no CUDA device"),
    ({"cuInit": 999}, cuda.CudaError, r"cuInit failed: CUDA_ERROR_UNKNOWN \(why\)"),
    ({"cuDevicePrimaryCtxRetain": 999}, cuda.CudaError, "cuDevicePrimaryCtxRetain failed: CUDA_ERROR_UNKNOWN"),
])
def test_driver_errors(monkeypatch, results, error, message):
    monkeypatch.setattr(cuda, "_load_library", lambda: FakeLibcuda(results))
    with pytest.raises(error, match=message):
        cuda.Driver()


def test_driver_calls(monkeypatch):
    """The driver wrapper's calls and what it makes of their outputs (not the C ABI)."""
    lib = FakeLibcuda({}, compute_capability=(8, 0))
    monkeypatch.setattr(cuda, "_load_library", lambda: lib)
    driver = cuda.Driver()
    assert driver.device_name == "Fake H100" and driver.compute_capability == (8, 0) and driver.ordinal == 0
    assert driver.function(0x10, b"main_kernel") == 0x50
    driver.launch(0x50, 3, 2, 1, 256, 1, 1, 0, 0x60)
    assert [call[:2] for call in lib.calls[-2:]] == [("cuLaunchKernel", (0x50, 3, 2, 1, 256, 1, 1, 0, None, 0x60, None)),
                                                     ("cuStreamSynchronize", (None,))]
    assert driver.alloc_managed(64) in lib.memory
    lib.results["cuModuleLoadDataEx"] = 218
    with pytest.raises(cuda.CudaError, match="CUDA_ERROR_INVALID_PTX .*\nptxas fatal: bad PTX") as error:
        driver.load_module(b".version 8.0")
    assert error.value.name == "CUDA_ERROR_INVALID_PTX" and error.value.code == 218


def test_every_thread_makes_the_context_current(fake_libcuda):
    """The driver's current context is per thread: arrays made, freed (by the garbage
    collector) and released from other threads than the first work, each thread making
    the context current once."""
    made = []
    thread = threading.Thread(target=lambda: made.extend([cuda.empty((4,), np.float32), cuda.to_unified_memory(X)]))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(made[1], X)
    thread = threading.Thread(target=lambda: (made.clear(), gc.collect(), cuda.POOL.release()))
    thread.start()
    thread.join()
    assert not fake_libcuda.memory and len(fake_libcuda.called("cuMemFree_v2")) == 2
    threads = [call[2] for call in fake_libcuda.called("cuCtxSetCurrent")]
    # once by each thread (the second may reuse the first's ident: it started after)
    assert len(threads) == 2 and threading.get_ident() not in threads


def test_device_from_the_local_rank(monkeypatch):
    """Process k of a host (MPI's local rank) uses device k modulo the devices."""
    lib = FakeLibcuda({}, count=2)
    monkeypatch.setattr(cuda, "_load_library", lambda: lib)
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3")
    assert cuda.Driver().ordinal == 1 and lib.called("cuDeviceGet")[0][1][1] == 1


def test_device_ids_are_the_devices_used(fake_second_gpu):
    """The GPU Device is the CUDA device the runtime uses, local rank 3 of a host with 2
    GPUs using device 1: its id (JAX's for that GPU), in devices(), in the arrays made
    on it; device_put to another device than this process's raises JAX's error for a
    device that is not addressable."""
    (device,) = mirax.devices("gpu")
    assert (repr(device), device.id, device.platform, device.process_index) == ("CudaDevice(id=1)", 1, "gpu", 0)
    assert mirax.local_devices(backend="gpu") == [device] and mirax.device_count("gpu") == 1
    assert {c[1][1] for c in fake_second_gpu.called("cuDeviceGet")} == {1}
    on_gpu = mirax.jit(jnp.sin, backend="gpu")(X)
    assert on_gpu.device == device and on_gpu.devices() == {device}
    assert mirax.device_put(X, device).device == device and mirax.device_put(on_gpu, device).device == device
    assert mirax.device_put(on_gpu, platforms.CPU).device == platforms.CPU
    not_addressable = (r"device_put's second argument must be a Device or a Sharding which represents addressable "
                       r"devices, but got {}\. .*This process's {} is {}")
    for x in (X, on_gpu):
        with pytest.raises(ValueError, match=not_addressable.format(r"CudaDevice\(id=0\)", "GPU", r"CudaDevice\(id=1\)")):
            mirax.device_put(x, platforms.Device("gpu", 0, "Fake H100"))
    with pytest.raises(ValueError, match=not_addressable.format(r"CpuDevice\(id=1\)", "CPU", r"CpuDevice\(id=0\)")):
        mirax.device_put(X, platforms.Device("cpu", 1, "cpu", 1))  # another process's


@pytest.mark.parametrize("capability, chip", [((7, 5), "sm_75"), ((8, 0), "sm_80"), ((8, 6), "sm_86"), ((8, 7), "sm_86"),
                                              ((8, 9), "sm_89"), ((9, 0), "sm_90"), ((10, 0), "sm_90"),
                                              ((12, 0), "sm_90")])
def test_chip_of_the_device(capability, chip):
    assert gpu_pipeline.chip_for(*capability) == chip


def test_chip_of_an_old_device():
    with pytest.raises(NotImplementedError, match="compute capability 7.5 or newer.*7.0"):
        gpu_pipeline.chip_for(7, 0)


def test_programs_are_compiled_for_the_device(fake_gpu):
    fake_gpu.compute_capability = (8, 6)
    mirax.jit(jnp.sin, backend="gpu")(X)
    (image,) = [c[1] for c in fake_gpu.calls if c[0] == "load"]
    assert b".target sm_86\n" in image
    assert ".target sm_90\n" in mirax.jit(jnp.sin, backend="gpu").lower(X).as_text("ptx")  # without a device


def test_lost_context_refuses_every_later_call(fake_libcuda):
    """A kernel's illegal address (reported by the synchronization after its launch) is
    raised with its name; the context is lost: every later GPU call raises, saying so,
    and launches nothing."""
    fake_libcuda.results["cuStreamSynchronize"] = [700]
    jitted = mirax.jit(lambda x: jnp.sin(x) * 2, backend="gpu")
    with pytest.raises(cuda.CudaError, match="CUDA_ERROR_ILLEGAL_ADDRESS") as error:
        jitted(X)
    assert error.value.name == "CUDA_ERROR_ILLEGAL_ADDRESS"
    launched = len(fake_libcuda.called("cuLaunchKernel"))
    for call in (lambda: jitted(X), lambda: cuda.empty((3,), np.float32), lambda: mirax.jit(jnp.cos, backend="gpu")(X)):
        with pytest.raises(cuda.CudaError, match="context is lost: cuStreamSynchronize failed with "
                                                 "CUDA_ERROR_ILLEGAL_ADDRESS") as error:
            call()
        assert error.value.name == "CUDA_ERROR_ILLEGAL_ADDRESS"
    assert len(fake_libcuda.called("cuLaunchKernel")) == launched


def test_pool_reuses_and_releases(fake_libcuda):
    """Freed unified memory is kept by size class (less than a quarter more than asked
    for), reused, and released to the driver by release() and, first, by a failed
    allocation, which then tries again."""
    assert [cuda.size_class(n) for n in (1, 512, 513, 4096, 4097, 10**6)] == [512, 512, 1024, 4096, 5120, 1048576]
    a = cuda.POOL.alloc(1000)
    cuda.POOL.free(a)
    assert cuda.POOL.alloc(900) == a and len(fake_libcuda.memory) == 1
    cuda.POOL.free(a)
    fake_libcuda.results["cuMemAllocManaged"] = [2]  # out of memory, once
    b = cuda.POOL.alloc(5000)
    assert list(fake_libcuda.memory) == [b] and len(fake_libcuda.called("cuMemAllocManaged")) == 3
    cuda.POOL.free(b)
    cuda.POOL.release()
    assert not fake_libcuda.memory


def test_clear_caches_releases_the_pool(fake_libcuda):
    """mirax.clear_caches gives the pool's free blocks back to the driver, not the
    blocks in use."""
    kept, freed = cuda.POOL.alloc(1000), cuda.POOL.alloc(1000)
    cuda.POOL.free(freed)
    mirax.clear_caches()
    assert list(fake_libcuda.memory) == [kept]
    cuda.POOL.free(kept)


def _run_fake_gpu(code, stack_bytes=None):
    """Run `code` in a new Python process with a FakeDriver as `fake`, the driver (and
    its main thread's stack limited to `stack_bytes`); its output, error output and exit
    code (the test fails if it takes over two minutes)."""
    prelude = (f"import sys; sys.path.insert(0, {repr(str(Path(__file__).parent))})\n"
               "import numpy as np, mirax, mirax.numpy as jnp\n"
               "from mirax import cuda, lax\n"
               "from test_gpu_runtime import FakeDriver\n"
               "fake = FakeDriver()\n"
               "cuda._driver = lambda: fake\n")
    def limit_stack():  # (in the child, before exec: the main thread's stack is sized from it)
        resource.setrlimit(resource.RLIMIT_STACK, (stack_bytes, resource.getrlimit(resource.RLIMIT_STACK)[1]))

    done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_stack if stack_bytes else None)
    return done.stdout, done.stderr, done.returncode


def test_failed_launch_stops_a_while_loop():
    """A launch failing inside a while loop: later launches do nothing, and the loop,
    whose condition a kernel that never runs would compute (the fake's memory reads
    true), stops on the failure flag (mirax-gpu-stop-loops); the first error is raised."""
    out, err, code = _run_fake_gpu(
        "fake.fail_launch = cuda.CudaError('cuLaunchKernel', 719, 'CUDA_ERROR_LAUNCH_FAILED', 'unspecified')\n"
        "fake.fail_at = 2\n"
        "try:\n"
        "    mirax.jit(lambda v: lax.while_loop(lambda c: c[0] < 10, lambda c: c * 2 + 1, v), backend='gpu')"
        "(np.ones(300, np.float32))\n"
        "except cuda.CudaError as error:\n"
        "    print(error.name, sum(c[0] == 'launch' for c in fake.calls))\n")
    assert (out, code) == ("CUDA_ERROR_LAUNCH_FAILED 2\n", 0), err


def test_long_while_loop_keeps_its_stack():
    """A while loop launching kernels runs 200,000 iterations on a 2 MiB stack: each
    launch's argument arrays, allocas of gpu.launch_func's translation in the loop's
    body, are freed after it (mirax-gpu-launch-stack); without that the stack grew with
    every iteration and the process crashed (SIGSEGV). The loop's condition is computed
    by a kernel, which the fake does not run: the loop runs until a launch fails, here
    the one after 200,000 iterations of 3 launches (and one before the loop)."""
    launches = 1 + 200_000 * 3
    out, err, code = _run_fake_gpu(
        "fake.fail_launch = cuda.CudaError('cuLaunchKernel', 719, 'CUDA_ERROR_LAUNCH_FAILED', 'unspecified')\n"
        f"fake.fail_at = {launches}\n"
        "try:\n"
        "    mirax.jit(lambda v: lax.while_loop(lambda c: c[0] < 10, lambda c: c * 2 + 1, v), backend='gpu')"
        "(np.ones(300, np.float32))\n"
        "except cuda.CudaError as error:\n"
        "    print(error.name, fake.launched)\n", stack_bytes=2 << 20)
    assert (out, code) == (f"CUDA_ERROR_LAUNCH_FAILED {launches}\n", 0), f"exit code {code}: {err}"


def test_exit_after_a_gpu_program_is_clean():
    """Nothing calls back into Python at the interpreter's exit (the kernels' module is
    unloaded by its executable, the global destructor does nothing), with an executable
    and arrays in unified memory alive until then."""
    out, err, code = _run_fake_gpu("jitted = mirax.jit(lambda x: jnp.sin(x) + 1, backend='gpu')\n"
                                   "y = jitted(np.ones(300, np.float32))\n"
                                   "print(y.shape)\n")
    assert (out, err, code) == ("(300,)\n", "", 0)


def test_executable_unloads_its_module(fake_gpu):
    mirax.jit(jnp.sin, backend="gpu")(X)
    clear_caches()
    gc.collect()
    assert [c[0] for c in fake_gpu.calls if c[0] in ("load", "unload")] == ["load", "unload"]


@needs_gpu
@pytest.mark.parametrize("name", PROGRAMS)
def test_programs_match_the_cpu(name):
    fn, args = PROGRAMS[name]
    got = mirax.tree_util.tree_leaves(mirax.jit(fn, backend="gpu")(*args))
    want = mirax.tree_util.tree_leaves(mirax.jit(fn, backend="cpu")(*args))
    for g, w in zip(got, want, strict=True):
        assert g.device.platform == "gpu"
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), rtol=2e-5, atol=1e-5)
