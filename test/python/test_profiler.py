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
    for call in (lambda: mirax.profiler.start_server(9999), lambda: mirax.profiler.stop_server()):
        with pytest.raises(NotImplementedError, match="needs XLA's profiler"):
            call()


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        value |= (data[i] & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if data[i - 1] < 0x80:
            return value, i


def varints(data):
    """A packed repeated varint field's values."""
    out, i = [], 0
    while i < len(data):
        value, i = read_varint(data, i)
        out.append(value)
    return out


def fields(message):
    """A protobuf message's fields: (number, int or bytes), in order."""
    out, i = [], 0
    while i < len(message):
        key, i = read_varint(message, i)
        if key & 7 == 0:
            value, i = read_varint(message, i)
        else:
            size, i = read_varint(message, i)
            value, i = message[i:i + size], i + size
        out.append((key >> 3, value))
    return out


def test_device_memory_profile_is_a_pprof_of_the_live_arrays(tmp_path):
    keep = mjnp.ones((100, 100)), mjnp.arange(10)
    mirax.profiler.save_device_memory_profile(tmp_path / "memory.prof")
    profile = fields(gzip.decompress((tmp_path / "memory.prof").read_bytes()))
    strings = [v.decode() for n, v in profile if n == 6]
    assert strings[0] == "" and [strings[dict(fields(v))[1]] for n, v in profile if n == 1] == ["allocations", "space"]
    names = {dict(fields(v))[1]: strings[dict(fields(v))[2]] for n, v in profile if n == 5}
    sizes = {}
    for n, sample in profile:
        if n == 2:
            [location], (count, size) = (varints(dict(fields(sample))[k]) for k in (1, 2))
            sizes[names[location]] = sizes.get(names[location], 0) + count * size
    assert sizes["Array float32[100,100]"] >= 40000 and sizes["Array int32[10]"] >= 40, sizes
    del keep


def test_memory_spaces_and_ffi_refusals():
    assert [repr(s) for s in mirax.memory.Space] == [repr(s) for s in jax.memory.Space]
    assert {n for n in dir(mirax.ffi) if not n.startswith("_")} == {n for n in dir(jax.ffi) if not n.startswith("_")}
    with pytest.raises(NotImplementedError, match="cannot call XLA FFI handlers"):
        mirax.ffi.ffi_call("my_handler", jax.ShapeDtypeStruct((3,), "float32"))(mjnp.ones(3))
    with pytest.raises(NotImplementedError, match="cannot call XLA FFI handlers"):
        mirax.ffi.register_ffi_target("my_handler", None)
