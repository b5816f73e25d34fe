"""Peak memory of jit(grad) of a 32-layer MLP with and without `checkpoint` on each
layer, mirax next to JAX (issue 18's gradient-checkpointing benchmark). Run
`.venv/bin/python benchmarks/memory.py` (`--quick` for a small, fast smoke run).

Each configuration runs in a fresh subprocess: it compiles jit(grad(loss)) ahead of
time, returns the memory the compiler freed to the system (malloc_trim), resets the
process's resident-set high-water mark (writing 5 to /proc/self/clear_refs), runs the
compiled gradient once and reports the peak resident memory of that call above the
resident memory before it: what the compiled gradient allocates (its saved
activations first of all), not the compiler's or the library's own memory. Every
configuration's gradients are saved and checked equal to JAX's without checkpointing.

A layer is tanh(x @ W + b). Without checkpoint, reverse mode keeps each layer's
input (for W's gradient) and its output (for tanh's derivative); with checkpoint,
only the input, and the backward pass recomputes the rest layer by layer."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import ctypes, json, sys
import numpy as np
lib, checkpointed, layers, batch, width, out = sys.argv[1], sys.argv[2] == "1", *map(int, sys.argv[3:6]), sys.argv[6]
if lib == "jax":
    import jax, jax.numpy as jnp
else:
    import mirax as jax, mirax.numpy as jnp

def layer(x, W, b):
    return jnp.tanh(x @ W + b)

step = jax.checkpoint(layer) if checkpointed else layer

def loss(params, x):
    for W, b in params:
        x = step(x, W, b)
    return jnp.sum(x * x)

rng = np.random.default_rng(0)
params = [(jnp.asarray(rng.standard_normal((width, width), np.float32) / np.sqrt(width)),
           jnp.asarray(rng.standard_normal(width, np.float32) * 0.1)) for _ in range(layers)]
x = jnp.asarray(rng.standard_normal((batch, width), np.float32))
g = jax.jit(jax.grad(loss)).lower(params, x).compile()
ctypes.CDLL("libc.so.6").malloc_trim(0)  # the compiler's freed memory back to the system, not reused unseen

def kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the high-water mark restarts from the resident set now
before = kib("VmRSS:")
grads = jax.block_until_ready(g(params, x))
peak = kib("VmHWM:") - before
np.savez(out, *[np.asarray(a) for W, b in grads for a in (W, b)])
print(json.dumps({"peak_mib": peak / 1024}))
"""


def run(lib, checkpointed, layers, batch, width, directory):
    out = os.path.join(directory, f"{lib}_{int(checkpointed)}.npz")
    result = subprocess.run([sys.executable, "-c", CHILD, lib, str(int(checkpointed)), str(layers), str(batch),
                             str(width), out], capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{lib} checkpoint={checkpointed} failed:\n{result.stderr}")
    peak = json.loads(result.stdout.strip().splitlines()[-1])["peak_mib"]
    with np.load(out) as grads:
        return peak, [grads[k] for k in sorted(grads.files, key=lambda k: int(k.split("_")[1]))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 layers of 64x128: a smoke run")
    args = parser.parse_args()
    layers, batch, width = (8, 64, 128) if args.quick else (32, 2048, 512)
    activation = batch * width * 4 / 2**20
    print(f"jit(grad) of a {layers}-layer MLP, tanh(x @ W + b), batch {batch}, width {width} (float32): one "
          f"activation is {activation:.1f} MiB, {layers} of them {layers * activation:.0f} MiB")
    print(f"{'':24}{'peak MiB, no checkpoint':>26}{'with checkpoint':>18}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as directory:
        results = {(lib, c): run(lib, c, layers, batch, width, directory)
                   for lib in ("jax", "mirax") for c in (False, True)}
    for lib in ("jax", "mirax"):
        plain, ckpt = results[lib, False][0], results[lib, True][0]
        ratio = f"{ckpt / plain:8.2f}" if plain else f"{'n/a':>8}"
        print(f"{lib:24}{plain:26.1f}{ckpt:18.1f}{ratio}")
    # float32 sums over 32 layers round differently: within 1e-4 of each gradient's scale
    reference = results["jax", False][1]
    for (lib, c), (_, grads) in results.items():
        for got, want in zip(grads, reference, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max(),
                                       err_msg=f"{lib} checkpoint={c}")
    print("gradients: equal to JAX's without checkpoint in every configuration (within 1e-4 of their scale)")


if __name__ == "__main__":
    main()
