"""mirax.export against jax.export: an exported function's metadata, its calls (eagerly,
under jit, grad and vmap) and JAX's errors for calls of other types or structure; the
serialized form deserializes into the same program, in this process and in another."""
import subprocess
import sys

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

W = np.arange(3.0, dtype=np.float32)


def f(np_):
    return lambda x, y, *, k: {"s": np_.sin(x) * 2 + y + W, "k": (k * x).sum()}


def exported(lib, np_):
    specs = (lib.ShapeDtypeStruct((3,), np.float32), 1.0)
    return lib.export.export(lib.jit(f(np_)))(*specs, k=lib.ShapeDtypeStruct((), np.int32))


ARGS = ((np.ones(3, np.float32), np.float32(2.0)), {"k": np.int32(3)})


def assert_same(got, want):
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_metadata_and_calls():
    theirs, mine = exported(jax, jjnp), exported(mirax, mjnp)
    for name in ("fun_name", "in_avals", "out_avals", "platforms", "nr_devices", "ordered_effects",
                 "unordered_effects", "disabled_safety_checks"):
        assert repr(getattr(mine, name)) == repr(getattr(theirs, name)), name
    assert str(mine.in_tree) == str(theirs.in_tree) and str(mine.out_tree) == str(theirs.out_tree)
    assert "func.func @main" in mine.mlir_module()
    assert mirax.export.default_export_platform() == jax.export.default_export_platform() == "cpu"
    args, kwargs = ARGS
    assert_same(mine.call(*args, **kwargs), theirs.call(*args, **kwargs))
    loss = lambda e: lambda x: e.call(x, 1.0, k=np.int32(2))["s"].sum()  # noqa: E731
    assert_same(mirax.jit(loss(mine))(args[0]), jax.jit(loss(theirs))(args[0]))
    assert_same(mirax.grad(loss(mine))(args[0]), jax.grad(loss(theirs))(args[0]))
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_same(mirax.vmap(loss(mine))(xs), np.stack([loss(mine)(x) for x in xs]))


CALLS = [
    ((np.ones(4, np.float32), 2.0), {"k": 3}),
    ((np.ones((3, 1), np.float32), 2.0), {"k": 3}),
    ((np.ones(3, np.int32), 2.0), {"k": 3}),
    ((np.ones(3, np.float32),), {"k": 3}),
    ((np.ones(3, np.float32), 2.0), {}),
    ((np.ones(3, np.float32), (2.0,)), {"k": 3}),
]


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_call_errors_as_jax(args, kwargs):
    with pytest.raises(ValueError) as want:
        exported(jax, jjnp).call(*args, **kwargs)
    with pytest.raises(ValueError) as got:
        exported(mirax, mjnp).call(*args, **kwargs)
    assert str(got.value) == str(want.value)


def test_serialize_round_trip_here_and_in_another_process(tmp_path):
    mine = exported(mirax, mjnp)
    blob = mine.serialize()
    again = mirax.export.deserialize(blob)
    assert repr(again) == repr(mine) and again.mlir_module() == mine.mlir_module()
    args, kwargs = ARGS
    assert_same(again.call(*args, **kwargs), mine.call(*args, **kwargs))
    assert_same(mirax.grad(lambda x: again.call(x, 1.0, k=2)["s"].sum())(args[0]),
                mirax.grad(lambda x: mine.call(x, 1.0, k=2)["s"].sum())(args[0]))
    (tmp_path / "f.bin").write_bytes(bytes(blob))
    script = ("import sys, numpy as np, mirax\n"
              "e = mirax.export.deserialize(open(sys.argv[1], 'rb').read())\n"
              "out = e.call(np.ones(3, np.float32), np.float32(2.0), k=np.int32(3))\n"
              "print(np.asarray(out['s']).tolist(), int(out['k']))\n")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "f.bin")], capture_output=True, text=True,
                         check=True)
    want = mine.call(*args, **kwargs)
    assert run.stdout.split("\n")[0] == f"{np.asarray(want['s']).tolist()} {int(want['k'])}"


def test_refusals():
    with pytest.raises(ValueError, match="Function to be exported must be the result of `jit` but is: <function"):
        mirax.export.export(f(mjnp))
    with pytest.raises(NotImplementedError, match="CPU only"):
        mirax.export.export(mirax.jit(f(mjnp)), platforms=["cuda"])
    calls_back = mirax.export.export(mirax.jit(lambda x: mirax.pure_callback(np.sin, x, x)))(np.ones(2, np.float32))
    np.testing.assert_allclose(calls_back.call(np.ones(2, np.float32)), np.sin(np.ones(2)), rtol=1e-6)
    with pytest.raises(ValueError, match="calls back into Python"):
        calls_back.serialize()
    with pytest.raises(NotImplementedError, match="vjp_order"):
        exported(mirax, mjnp).serialize(vjp_order=1)
    with pytest.raises(ValueError, match="not a serialized mirax Exported"):
        mirax.export.deserialize(b'{"format": "other"}')
    with pytest.raises(ValueError, match="Cannot serialize a pytree node of type"):
        mirax.export.export(mirax.jit(lambda p: p))(mirax.tree_util.Partial(f, 1.0)).serialize()
