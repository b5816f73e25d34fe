"""The relative error of float32 reductions, mirax next to JAX, by size: sum, mean,
var, dot, matmul and cumsum of 2^12 ... 2^25 elements, each under jit, against
float64 NumPy. Run `.venv/bin/python benchmarks/precision.py` (about a minute);
`--max-log2 N` stops at 2^N. benchmarks/README.md has the latest table.

Data: uniform in [0, 1) (no cancellation, so the error is relative to the result's
size), standard normal for var. matmul is (8, n/8) @ (n/8, 16), a contraction of
n/8; the error of an array result is max |error| / max |result|. Each cell is the
mean over several data sets, 64 up to 2^18 elements and 2^24 / n above, at least 8:
one draw's error is itself a random variable (a result that happens to round almost
exactly makes it tiny for one library and not the other), and small sums scatter most.
"""
import argparse
import datetime
import sys

import numpy as np

import mirax
import mirax.numpy as mnp

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # the JAX columns are then n/a
    jax = jnp = None


def uniform(rng, *shape):
    return rng.uniform(0.0, 1.0, shape).astype(np.float32)


# name: (fn(xp, *inputs), inputs for n elements from a Generator)
OPS = {
    "sum": (lambda xp, x: xp.sum(x), lambda n, rng: [uniform(rng, n)]),
    "mean": (lambda xp, x: xp.mean(x), lambda n, rng: [uniform(rng, n)]),
    "var": (lambda xp, x: xp.var(x), lambda n, rng: [rng.standard_normal(n, dtype=np.float32)]),
    "dot": (lambda xp, x, y: xp.dot(x, y), lambda n, rng: [uniform(rng, n), uniform(rng, n)]),
    "matmul": (lambda xp, a, b: xp.matmul(a, b), lambda n, rng: [uniform(rng, 8, n // 8), uniform(rng, n // 8, 16)]),
    "cumsum": (lambda xp, x: xp.cumsum(x), lambda n, rng: [uniform(rng, n)]),
}


def relative_error(got, want):
    got = np.asarray(got, np.float64)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def errors(name, n, count):
    """(mirax's relative error, JAX's or None) of OPS[name] on n elements, each the
    mean over `count` data sets."""
    fn, make = OPS[name]
    mine = mirax.jit(lambda *a: fn(mnp, *a))
    theirs = None if jax is None else jax.jit(lambda *a: fn(jnp, *a))
    ours, oracle = [], []
    for seed in range(count):
        inputs = make(n, np.random.default_rng(seed))
        want = fn(np, *(x.astype(np.float64) for x in inputs))
        ours.append(relative_error(mine(*inputs), want))
        if theirs is not None:
            oracle.append(relative_error(theirs(*inputs), want))
    return float(np.mean(ours)), float(np.mean(oracle)) if oracle else None


def draws(n):
    """Data sets per cell: 64 for small n, fewer as n grows, at least 8."""
    return max(8, min(64, 2**24 // n))


def fmt(error):
    return "n/a" if error is None else f"{error:.1e}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-log2", type=int, default=25, help="the largest size, as a power of two")
    args = parser.parse_args(argv)
    version = f"jax {jax.__version__}" if jax else "jax not importable"
    print(f"{datetime.date.today()} | float32 relative error against float64 NumPy, mean over draws, "
          f"mirax / JAX ({version})\n")
    header = ["n"] + [f"{name} mirax / JAX" for name in OPS]
    lines = []
    for log2 in range(12, args.max_log2 + 1):
        cells = [f"2^{log2}"]
        for name in OPS:
            mine, theirs = errors(name, 2**log2, draws(2**log2))
            cells.append(f"{fmt(mine)} / {fmt(theirs)}")
        lines.append(cells)
        print(" | ".join(cells), file=sys.stderr, flush=True)  # progress
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths]] + lines:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")


if __name__ == "__main__":
    sys.exit(main())
