"""mirax.profiler (Chrome trace events of mirax's compiles and calls, annotations),
mirax.memory and mirax.ffi's refusals, against JAX's names and behaviour."""
import gzip
import json

import jax
import pytest

import mirax
import mirax.ffi
import mirax.memory
import mirax.numpy as mjnp
import mirax.profiler


def events(log_dir, name):
    [path] = (log_dir / "plugins" / "profile").glob(f"*/{name}")
    with gzip.open(path, "rt") as f:
        return json.load(f)["traceEvents"]


def test_trace_records_compiles_calls_and_annotations(tmp_path):
    @mirax.jit
    def step(x):
        return mjnp.sin(x) * 2

    @mirax.profiler.annotate_function
    def outer(x):
        return step(x) + 1

    x = mjnp.ones(4)
    with mirax.profiler.trace(tmp_path, create_perfetto_trace=True):
        with mirax.profiler.StepTraceAnnotation("train", step_num=3):
            outer(x)
            step(x)
        with mirax.profiler.TraceAnnotation("tail"):
            pass
    step(x)  # after the trace: not recorded
    found = events(tmp_path, "*.trace.json.gz")
    assert events(tmp_path, "perfetto_trace.json.gz") == found
    names = [e["name"] for e in found]
    assert names.count("compile step") == 1 and names.count("step") == 2, names
    assert {"mirax.add", "test_trace_records_compiles_calls_and_annotations.<locals>.outer", "train",
            "tail"} <= set(names)
    train = found[names.index("train")]
    assert train["args"] == {"step_num": "3"} and train["ph"] == "X"
    for e in found:
        if e["name"] == "step":  # within the step annotation
            assert train["ts"] <= e["ts"] and e["ts"] + e["dur"] <= train["ts"] + train["dur"]


def test_one_trace_at_a_time_and_refusals(tmp_path):
    for lib in (jax, mirax):
        with pytest.raises(RuntimeError, match="No profile started"):
            lib.profiler.stop_trace()
        lib.profiler.start_trace(tmp_path / lib.__name__)
        with pytest.raises(RuntimeError, match="Profile has already been started"):
            lib.profiler.start_trace(tmp_path / lib.__name__)
        lib.profiler.stop_trace()
    for call in (lambda: mirax.profiler.device_memory_profile(), lambda: mirax.profiler.start_server(9999),
                 lambda: mirax.profiler.save_device_memory_profile(tmp_path / "m.prof"),
                 lambda: mirax.profiler.stop_server()):
        with pytest.raises(NotImplementedError, match="needs XLA's profiler"):
            call()


def test_memory_spaces_and_ffi_refusals():
    assert [repr(s) for s in mirax.memory.Space] == [repr(s) for s in jax.memory.Space]
    assert {n for n in dir(mirax.ffi) if not n.startswith("_")} == {n for n in dir(jax.ffi) if not n.startswith("_")}
    with pytest.raises(NotImplementedError, match="cannot call XLA FFI handlers"):
        mirax.ffi.ffi_call("my_handler", jax.ShapeDtypeStruct((3,), "float32"))(mjnp.ones(3))
    with pytest.raises(NotImplementedError, match="cannot call XLA FFI handlers"):
        mirax.ffi.register_ffi_target("my_handler", None)
