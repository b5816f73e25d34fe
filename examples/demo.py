"""mirax in one page: trace a function, show its IR at each stage, run it, compare with NumPy.

    make demo
"""
import numpy as np

import mirax
import mirax.numpy as jnp


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


if __name__ == "__main__":
    main()
