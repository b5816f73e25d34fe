"""The persistent compilation cache (compilation_cache.py): a second process loads what
the first compiled, with the same results; keys change with everything that changes
the code; corrupt, truncated, foreign and concurrently written entries are never
loaded; the directory stays within its size bound; "" turns it off."""
import json
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax import compilation_cache, runtime
from mirax.config import config

PROGRAM = """
import json, numpy as np, mirax, mirax.numpy as jnp
from mirax import runtime
def loss(w, x):
    return jnp.mean(jnp.tanh(x @ w) ** 2)
w = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
x = np.linspace(0, 2, 20, dtype=np.float32).reshape(5, 4)
grad = mirax.jit(mirax.grad(loss))(w, x)
big = mirax.jit(lambda a: jnp.sum(jnp.exp(-a) * 2.0, axis=0))(np.ones((2048, 512), np.float32))
print(json.dumps({"stats": runtime.stats, "grad": np.asarray(grad).tolist(), "big": float(big[7])}))
"""


def _run(cache_dir):
    env = dict(os.environ, MIRAX_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_a_second_process_loads_what_the_first_compiled(tmp_path):
    first, second = _run(tmp_path), _run(tmp_path)
    assert first["stats"]["cache_loads"] == first["stats"]["library_loads"] == 0 and first["stats"]["compiles"] >= 2
    # (the gradient's small matmuls call the kernel library, loaded from the cache too)
    assert second["stats"] == {"compiles": first["stats"]["compiles"], "cache_loads": first["stats"]["compiles"],
                               "library_loads": 1}
    assert second["grad"] == first["grad"] and second["big"] == first["big"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", str(tmp_path))
    runtime.clear_caches()
    yield tmp_path
    runtime.clear_caches()


def _compile_and_run(scale):
    """A fresh program (its text names `scale`), its result and (compiles, loads) it took."""
    before = dict(runtime.stats)
    out = mirax.jit(lambda x: jnp.sin(x) * scale + 1.0)(jnp.arange(6.0))
    return np.asarray(out), runtime.stats["compiles"] - before["compiles"], \
        runtime.stats["cache_loads"] - before["cache_loads"]


def _entries(directory):
    return sorted((p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")),
                  key=lambda p: p.name)


def test_an_entry_is_loaded_in_place_of_compiling(cache_dir):
    want = np.sin(np.arange(6.0, dtype=np.float32)) * np.float32(3.5) + 1
    got, compiles, loads = _compile_and_run(3.5)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert (compiles, loads) == (1, 0)
    runtime.clear_caches()
    got, compiles, loads = _compile_and_run(3.5)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert (compiles, loads) == (1, 1)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "foreign format", "empty"])
def test_a_damaged_entry_is_compiled_again_never_loaded(cache_dir, damage):
    want, _, _ = _compile_and_run(2.5)
    (entry,) = _entries(cache_dir)
    data = entry.read_bytes()
    data = {"flip a byte": lambda d: d[:-100] + bytes([d[-100] ^ 1]) + d[-99:],
            "truncate": lambda d: d[:len(d) // 2],
            "foreign format": lambda d: d.replace(compilation_cache.MAGIC, b"mirax compiled object 0\n"),
            "empty": lambda d: b""}[damage](data)
    entry.write_bytes(data)
    runtime.clear_caches()
    got, compiles, loads = _compile_and_run(2.5)
    np.testing.assert_array_equal(got, want)
    assert (compiles, loads) == (1, 0)
    assert compilation_cache.load(entry.name) is not None  # and is written again


def test_keys_change_with_what_changes_the_code(monkeypatch):
    key = compilation_cache.key("module {}", "main", 2)
    assert key == compilation_cache.key("module {}", "main", 2)
    assert key != compilation_cache.key("module { }", "main", 2)
    assert key != compilation_cache.key("module {}", "other", 2)
    assert key != compilation_cache.key("module {}", "main", 0)  # another LLVM optimization level
    compilation_cache._fingerprint.cache_clear()
    real_version = compilation_cache.importlib.metadata.version
    monkeypatch.setattr(compilation_cache.importlib.metadata, "version",
                        lambda name: "0" if name == "llvmlite" else real_version(name))
    try:
        assert compilation_cache.key("module {}", "main", 2) != key  # another LLVM
    finally:
        monkeypatch.undo()
        compilation_cache._fingerprint.cache_clear()
    import llvmlite.binding as llvm
    monkeypatch.setattr(llvm, "get_host_cpu_name", lambda: "another-cpu")
    try:
        assert compilation_cache.key("module {}", "main", 2) != key  # another CPU
    finally:
        monkeypatch.undo()
        compilation_cache._fingerprint.cache_clear()
    assert compilation_cache.key("module {}", "main", 2) == key


def test_a_rule_replaced_at_run_time_never_meets_code_of_the_original(cache_dir):
    """Entries are keyed by a program's mirax text, which says what its code is only
    while every rule and pass is its source's: with one replaced (a monkeypatch), the
    persistent cache is not used, and with the original back, it is again."""
    from mirax.dialect import rules
    from mirax.dialect.elementwise import SinOp
    from mirax.passes import ALL_PASSES

    _compile_and_run(4.5)  # the program's code, in the cache
    original = rules.lowering[SinOp.OPERATION_NAME]
    rules.lowering[SinOp.OPERATION_NAME] = rules.lowering["mirax.cos"]
    try:
        assert rules.Table.edited()
        runtime.clear_caches()
        got, compiles, loads = _compile_and_run(4.5)
        np.testing.assert_allclose(got, np.cos(np.arange(6.0, dtype=np.float32)) * np.float32(4.5) + 1, rtol=1e-6)
        assert (compiles, loads) == (1, 0)
    finally:
        rules.lowering[SinOp.OPERATION_NAME] = original
    assert not rules.Table.edited()
    runtime.clear_caches()
    got, compiles, loads = _compile_and_run(4.5)
    np.testing.assert_allclose(got, np.sin(np.arange(6.0, dtype=np.float32)) * np.float32(4.5) + 1, rtol=1e-6)
    assert (compiles, loads) == (1, 1)
    name, simplify = "mirax-simplify", ALL_PASSES["mirax-simplify"]
    del ALL_PASSES[name]
    try:
        assert rules.Table.edited()
    finally:
        ALL_PASSES[name] = simplify
    assert not rules.Table.edited()


def test_a_program_naming_a_custom_vmap_rule_is_not_kept(cache_dir):
    """A custom_vmap's rule is Python the derivation calls, named in the program's text
    by a counter: another process's rule of the same name (the same function with a
    different rule) would meet this one's code. Such a program is compiled in each
    process, never loaded."""
    @mirax.custom_batching.custom_vmap
    def f(x, y):
        return x + y

    @f.def_vmap
    def f_rule(axis_size, in_batched, xs, ys):
        return xs * ys, True

    x = jnp.arange(1.0, 4.0)
    for _ in range(2):
        runtime.clear_caches()
        before = dict(runtime.stats)
        np.testing.assert_array_equal(mirax.jit(mirax.vmap(f))(x, x), [1.0, 4.0, 9.0])
        assert (runtime.stats["compiles"] - before["compiles"], runtime.stats["cache_loads"] - before["cache_loads"]) \
            == (1, 0)


def _write_and_read(directory, seed):
    """Write entries of one key with payloads of many sizes while reading it back:
    every read is None or a whole payload (its meta says which)."""
    config.update("mirax_compilation_cache_dir", directory)
    rng = np.random.default_rng(seed)
    for _ in range(60):
        size = int(rng.integers(1, 200_000))
        compilation_cache.store("shared", {"size": size}, bytes([seed]) * size)
        found = compilation_cache.load("shared")
        if found is not None:
            meta, code = found
            assert len(code) == meta["size"] and len(set(code)) == 1
    return True


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path, monkeypatch):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert all(pool.starmap(_write_and_read, [(str(tmp_path), seed) for seed in range(1, 5)]))
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["sh/shared"]
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", str(tmp_path))
    meta, code = compilation_cache.load("shared")
    assert len(code) == meta["size"] and len(set(code)) == 1


def test_the_least_recently_used_entries_go_past_the_size_bound(cache_dir, monkeypatch):
    """Each shard (a key's first two hex digits) keeps its share of the bound."""
    monkeypatch.setitem(config._values, "mirax_compilation_cache_max_size", 3500 * compilation_cache.SHARDS)
    for i, name in enumerate(["ab1", "ab2", "ab3"]):  # three entries fit in a share
        compilation_cache.store(name, {}, b"x" * 1000)
        os.utime(cache_dir / "ab" / name, (1000 + i, 1000 + i))
    compilation_cache.store("cd1", {}, b"x" * 1000)  # another shard: nothing of ab's goes
    compilation_cache.load("ab1")  # used: now the most recent
    compilation_cache.store("ab4", {}, b"x" * 1000)
    assert [p.name for p in _entries(cache_dir)] == ["ab1", "ab3", "ab4", "cd1"]


def test_the_directory_comes_from_the_environment(monkeypatch, tmp_path):
    from mirax.config import _default_cache_dir

    monkeypatch.setenv("MIRAX_CACHE_DIR", "")
    assert _default_cache_dir() == ""  # off
    monkeypatch.delenv("MIRAX_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _default_cache_dir() == str(tmp_path / "mirax")


def test_off_or_unwritable_the_cache_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", "")
    assert compilation_cache.directory() is None
    got, compiles, loads = _compile_and_run(1.5)
    assert compiles == 1 and loads == 0
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", str(blocked / "cache"))
    runtime.clear_caches()
    np.testing.assert_array_equal(_compile_and_run(1.5)[0], got)
