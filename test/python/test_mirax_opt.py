"""mirax-opt on broken input: every failure is an MLIR-style diagnostic located in the
input (file:line:col: error: ...) or a `mirax-opt: error:` line, with exit status 1
and never a Python traceback (the lit tests in test/lit/tools check the messages)."""
import os
import subprocess
import sys

import pytest

MIRAX_OPT = os.path.join(os.path.dirname(sys.executable), "mirax-opt")

F = """func.func private @f(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = "mirax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
"""
SIN = """func.func private @g(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
"""

CASES = {
    "jvp of a missing function": (F + 'func.func private @d(tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)'
                                  ' attributes {mirax.jvp_of = @nosuch, mirax.active = array<i64: 0>}\n',
                                  "--mirax-jvp", ":5:1: error: 'func.func' op attribute 'mirax.jvp_of' names @nosuch"),
    "vjp of the wrong arity": (F + 'func.func private @d(tensor<3xf32>) -> tensor<f32>'
                               ' attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}\n',
                               "--mirax-linearize", ":5:1: error: 'func.func' op @d has type"),
    "vmap with a bad attribute": (F + 'func.func private @d(tensor<5x3xf32>) -> tensor<5xf32> attributes {mirax.vmap_of'
                                  ' = @f, mirax.in_axes = 0, mirax.out_axes = array<i64: 0>, mirax.axis_size = 5 : i64}\n',
                                  "--mirax-vmap", "attribute 'mirax.in_axes' must be an array<i64>"),
    "transpose of a nonlinear function": (SIN + 'func.func private @d(tensor<f32>) -> tensor<f32>'
                                          ' attributes {mirax.transpose_of = @g, mirax.linear = array<i64: 0>}\n',
                                          "--mirax-transpose", "no transpose rule for mirax.sin"),
    "transpose of a function computing on a nonlinear argument": (
        """func.func private @h(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mirax.mul"(%0, %y) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}
func.func private @d(tensor<f32>, tensor<f32>) -> tensor<f32>
    attributes {mirax.transpose_of = @h, mirax.linear = array<i64: 1>}
""", "--mirax-transpose", "mirax.sin in @h reads no linear value"),
    "a function taking the name of a declaration a pass makes": (
        F + "func.func private @f_jvp_0(tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)\n"
        "func.func private @d(tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)"
        " attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}\n",
        "--mirax-linearize", "@f_jvp_0 is taken by a function that is not the declaration"),
    "not UTF-8": (b"func.func @f() {\n  return\n}\n\xff\n", "--mirax-to-linalg", ":4:1: error: unexpected character"),
}


def run(source, *flags, output=None):
    data = source if isinstance(source, bytes) else source.encode()
    return subprocess.run([MIRAX_OPT, "-", *flags] + (["-o", output] if output else []), input=data,
                          capture_output=True, timeout=120)


@pytest.mark.parametrize("name", CASES)
def test_broken_input_is_a_located_error(name):
    source, flag, expected = CASES[name]
    result = run(source, flag)
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.startswith("<stdin>:") and expected in stderr, stderr


def test_unwritable_output(tmp_path):
    result = run(F, "--mirax-to-linalg", output=str(tmp_path / "missing" / "out.mlir"))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr
    assert stderr.startswith("mirax-opt: error: cannot write ") and "No such file or directory" in stderr
