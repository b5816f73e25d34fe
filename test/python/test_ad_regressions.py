"""Differentiation defects found by fuzzing against JAX (issue 16), each compared with JAX."""
import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import assert_close, check

# Second derivatives of functions whose only path to the output is piecewise constant
# (the derived functions return one zero twice). They crashed in compilation, so they
# run in a subprocess, where a crash fails the test instead of ending the run.
PIECEWISE_CONSTANT = {
    "hessian_floor": ("hessian(jnp.floor)", 1.5),
    "hessian_step": ("hessian(lambda a: (a > 0).astype(jnp.float32))", 1.0),
    "jacfwd_jacrev_sign": ("jacfwd(jacrev(jnp.sign))", 1.5),
    "jacfwd_jacrev_sign_vector": ("jacfwd(jacrev(jnp.sign))", [1.5, -2.0]),
}


def _run_in_subprocess(source):
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"exit status {run.returncode}\n{run.stderr[-3000:]}"
    return json.loads(run.stdout.splitlines()[-1])


def test_second_derivatives_of_piecewise_constant_functions():
    results = _run_in_subprocess(f"""
        import json
        import numpy as np
        import mirax
        from mirax import hessian, jacfwd, jacrev
        import mirax.numpy as jnp
        out = {{}}
        for name, (expression, x) in {PIECEWISE_CONSTANT!r}.items():
            f = eval(expression)
            for mode, g in (("eager", f), ("jit", mirax.jit(f))):
                y = np.asarray(g(jnp.asarray(x)))
                out[f"{{name}} {{mode}}"] = [y.tolist(), y.dtype.str, list(y.shape)]
        print(json.dumps(out))
    """)
    for name, (expression, x) in PIECEWISE_CONSTANT.items():
        want = np.asarray(eval(expression, {"hessian": jax.hessian, "jacfwd": jax.jacfwd, "jacrev": jax.jacrev,
                                            "jnp": jjnp})(jjnp.asarray(x)))
        for mode in ("eager", "jit"):
            value, dtype, shape = results[f"{name} {mode}"]
            check(np.asarray(value, dtype).reshape(shape), want, f"{name} {mode}")
