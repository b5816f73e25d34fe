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
import subprocess
import sys

import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import cuda, platforms
from mirax.core import clear_caches
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
    """cuda.Driver's interface over host memory: records the calls; launches run nothing."""

    device_name = "fake GPU"
    stream = 0x5

    def __init__(self, fail_launch=None):
        self.calls, self.memory, self.kernels, self.fail_launch = [], {}, [], fail_launch

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

    def launch(self, function, grid, block, shared_bytes, stream, params):
        if self.fail_launch is not None:
            raise self.fail_launch
        self.calls.append(("launch", self.kernels[function - 1], grid, block))

    def synchronize(self, stream):
        self.calls.append(("sync",))

    def alloc_managed(self, nbytes):
        memory = ctypes.create_string_buffer(nbytes)
        self.memory[ctypes.addressof(memory)] = memory
        return ctypes.addressof(memory)

    def free(self, address):
        del self.memory[address]


@pytest.fixture
def fake_gpu(monkeypatch):
    clear_caches()
    fake = FakeDriver()
    monkeypatch.setattr(cuda, "_driver", lambda: fake)
    yield fake
    gc.collect()
    clear_caches()


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
    calls = [c[0] for c in fake_gpu.calls]
    assert calls.count("sync") == len(launches) and calls.index("launch") < calls.index("sync")
    # The inputs were copied to unified memory for the call and freed after; the output stays.
    gc.collect()
    assert list(fake_gpu.memory) == [out._value.__array_interface__["data"][0]]


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
    """libcuda's entry points as Python functions returning CUresults (`results`, else
    success) and writing what the real ones write through their pointer arguments."""

    OUTPUTS = {"cuGetErrorName": b"CUDA_ERROR_UNKNOWN", "cuGetErrorString": b"unknown error", "cuDeviceGetCount": 1,
               "cuDevicePrimaryCtxRetain": 0x30, "cuStreamCreate": 0x40, "cuModuleGetFunction": 0x50,
               "cuMemAllocManaged": 0x1000}

    def __init__(self, results):
        self.results, self.calls = results, []
        for name in cuda._SIGNATURES:
            setattr(self, name, functools.partial(self._call, name))

    def _call(self, name, *args):
        self.calls.append((name, args))
        if name == "cuDeviceGetName":
            args[0].value = b"Fake H100"
        elif name == "cuModuleLoadDataEx":
            ctypes.memmove(args[4][0], b"ptxas fatal: bad PTX\0", 21)
        elif name in self.OUTPUTS:
            args[1 if name in ("cuGetErrorName", "cuGetErrorString") else 0]._obj.value = self.OUTPUTS[name]
        return self.results.get(name, 0)


@pytest.mark.parametrize("results, error, message", [
    ({"cuInit": 100}, cuda.GpuUnavailable, "no CUDA device"),
    ({"cuInit": 999}, cuda.CudaError, r"cuInit failed: CUDA_ERROR_UNKNOWN \(unknown error\)"),
    ({"cuDevicePrimaryCtxRetain": 999}, cuda.CudaError, "cuDevicePrimaryCtxRetain failed: CUDA_ERROR_UNKNOWN"),
])
def test_driver_errors(monkeypatch, results, error, message):
    monkeypatch.setattr(cuda, "_load_library", lambda: FakeLibcuda(results))
    with pytest.raises(error, match=message):
        cuda.Driver()


def test_driver_calls(monkeypatch):
    """The driver wrapper's calls and what it makes of their outputs (not the C ABI)."""
    lib = FakeLibcuda({})
    monkeypatch.setattr(cuda, "_load_library", lambda: lib)
    driver = cuda.Driver()
    assert driver.device_name == "Fake H100" and driver.stream == 0x40
    assert any(name == "cuCtxSetCurrent" and args[0].value == 0x30 for name, args in lib.calls)  # the primary context
    assert driver.function(0x10, b"main_kernel") == 0x50 == driver.function(0x10, b"main_kernel")
    assert [n for n, _ in lib.calls].count("cuModuleGetFunction") == 1  # cached
    driver.launch(0x50, (3, 2, 1), (256, 1, 1), 0, driver.stream, 0x60)
    assert lib.calls[-1] == ("cuLaunchKernel", (0x50, 3, 2, 1, 256, 1, 1, 0, 0x40, 0x60, None))
    assert driver.alloc_managed(64) == 0x1000
    lib.results["cuModuleLoadDataEx"] = 218
    lib.OUTPUTS = {**lib.OUTPUTS, "cuGetErrorName": b"CUDA_ERROR_INVALID_PTX"}
    with pytest.raises(cuda.CudaError, match="CUDA_ERROR_INVALID_PTX .*\nptxas fatal: bad PTX") as error:
        driver.load_module(b".version 8.0")
    assert error.value.name == "CUDA_ERROR_INVALID_PTX" and error.value.code == 218


@needs_gpu
@pytest.mark.parametrize("name", PROGRAMS)
def test_programs_match_the_cpu(name):
    fn, args = PROGRAMS[name]
    got = mirax.tree_util.tree_leaves(mirax.jit(fn, backend="gpu")(*args))
    want = mirax.tree_util.tree_leaves(mirax.jit(fn, backend="cpu")(*args))
    for g, w in zip(got, want, strict=True):
        assert g.device.platform == "gpu"
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), rtol=2e-5, atol=1e-5)
