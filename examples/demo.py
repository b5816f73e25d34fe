"""mirax in one page: trace a function, show its IR at each stage, run it, compare
with NumPy; then the seeds' flagship, per-example gradients with
jit(vmap(grad(td_loss))), shown after each transformation pass.

    make demo
"""
import numpy as np

import mirax
import mirax.numpy as jnp
from mirax.mlir_context import context
from mirax.mlir import ir
from mirax.passes import MiraxLinearize, MiraxSimplify, MiraxTranspose, MiraxVmap


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def predict(W, b, inputs):
    """The logistic model of JAX's autodiff tutorial."""
    return sigmoid(jnp.dot(inputs, W) + b)


def predict_numpy(W, b, inputs):
    return 0.5 * (np.tanh((inputs @ W + b) / 2) + 1)


def banner(title):
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def main():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(4, 3)).astype(np.float32)
    W = rng.normal(size=(3,)).astype(np.float32)
    b = np.float32(0.5)

    banner("The function as a jaxpr (mirax.make_jaxpr)")
    print(mirax.make_jaxpr(predict)(W, b, inputs))

    lowered = mirax.jit(predict).lower(W, b, inputs)
    banner("Stage 1: the mirax dialect (as traced)")
    print(lowered.as_text("mirax"))
    banner("Stage 2: linalg on tensors (after mirax-to-linalg)")
    print(lowered.as_text("linalg"))
    banner("Stage 3: the LLVM dialect (after the CPU pipeline)")
    llvm = lowered.as_text("llvm")
    lines = llvm.splitlines()
    print("\n".join(lines[:40]) + (f"\n    ... ({len(lines) - 40} more lines)" if len(lines) > 40 else ""))

    banner("Running it")
    fast_predict = mirax.jit(predict)
    mine = np.asarray(fast_predict(W, b, inputs))
    reference = predict_numpy(W, b, inputs)
    print(f"mirax.jit(predict): {mine}")
    print(f"NumPy             : {reference}")
    print(f"max abs difference: {np.max(np.abs(mine - reference)):.2e}")

    per_example_gradients()


# The TD(0) pseudo-loss of JAX's advanced autodiff tutorial.
def value_fn(theta, state):
    return jnp.dot(theta, state)


def td_loss(theta, s_tm1, r_t, s_t):
    v_tm1 = value_fn(theta, s_tm1)
    target = r_t + value_fn(theta, s_t)
    return -0.5 * ((mirax.lax.stop_gradient(target) - v_tm1) ** 2)


def per_example_gradients():
    theta = jnp.array([0.1, -0.1, 0.])
    rng = np.random.default_rng(1)
    s_tm1, s_t = rng.normal(size=(2, 4, 3)).astype(np.float32)
    r_t = rng.normal(size=4).astype(np.float32)
    perex_grads = mirax.jit(mirax.vmap(mirax.grad(td_loss), in_axes=(None, 0, 0, 0)))

    banner("Per-example gradients: jit(vmap(grad(td_loss), in_axes=(None, 0, 0, 0)))")
    text = perex_grads.lower(theta, s_tm1, r_t, s_t).as_text("mirax")
    print("As traced: td_loss, its VJP and the batched function are declarations\n"
          "(mirax.vjp_of, mirax.vmap_of) that the transformation passes derive.\n")
    print(text)
    with context():
        module = ir.Module.parse(text)
        # Innermost first: the VJP (forward mode, partial evaluation, transposition),
        # then the batched version of the function that calls it, then cleanup.
        for transform in (MiraxLinearize(), MiraxTranspose(), MiraxVmap(), MiraxSimplify()):
            transform(module.operation)
            banner(f"After {transform.name}")
            print(module)

    banner("Running it")
    mine = np.asarray(perex_grads(theta, s_tm1, r_t, s_t))
    loop = np.stack([np.asarray(mirax.grad(td_loss)(theta, s_tm1[i], r_t[i], s_t[i])) for i in range(4)])
    print(f"jit(vmap(grad(td_loss))):\n{mine}")
    print(f"a Python loop of grad(td_loss):\n{loop}")
    print(f"max abs difference: {np.max(np.abs(mine - loop)):.2e}")


if __name__ == "__main__":
    main()
