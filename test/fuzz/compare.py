"""Running one program with JAX and with mirax, and classifying the pair of outcomes."""
import traceback

import jax
import numpy as np

import mirax

from .program import STACKS, arguments, build

# Outcome classes. The first two agree; the runner adds "crash", "hang" (mirax's, or
# "jax-crash", "jax-hang" when the worker died running JAX), "known" and "jax-wrong"
# (test/fuzz/known.py).
AGREE, BOTH_RAISE = "agree", "both-raise"
WRONG, MIRAX_RAISES, JAX_RAISES = "wrong", "mirax-raises", "jax-raises"

# Relative tolerance per dtype at differentiation depth 0, for results computed in a
# different order than XLA's; x10 per derivative order, and relative to the largest
# magnitude of the expected leaf (cancellation in sums of terms of that size).
TOLERANCE = {"float32": 2e-5, "complex64": 2e-5, "float64": 1e-11, "complex128": 1e-11}


def _leaves(tree, path="out"):
    """(path, leaf) pairs of nested tuples/lists (namedtuples as tuples), so that the
    structure compares by shape of the nesting rather than by container class."""
    if isinstance(tree, (tuple, list)):
        return [x for i, t in enumerate(tree) for x in _leaves(t, f"{path}[{i}]")]
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _leaves(tree[k], f"{path}[{k!r}]")]
    return [(path, tree)]


WIDER = {"float32": np.float64, "complex64": np.complex128}


def _run(program, lib, jit=False, widen=False):
    try:
        fn = build(program, lib)
        args = [lib.numpy.asarray(x.astype(WIDER.get(x.dtype.name, x.dtype)) if widen else x)
                for x in arguments(program)]
        out = (jax.jit(fn) if jit else fn)(*args)
        leaves = [(p, np.asarray(x), bool(getattr(x, "weak_type", False))) for p, x in _leaves(out)]
        return leaves, None
    except Exception as e:  # noqa: BLE001 (recorded as the outcome)
        return None, e


def _summary(leaves, err):
    if err is not None:
        return f"raises {type(err).__name__}: {str(err).strip().splitlines()[0][:300] if str(err).strip() else ''}"
    return "; ".join(f"{p}: {x.dtype}{list(x.shape)} {' '.join(np.array2string(x, threshold=20, precision=6).split())}"
                     + (" (weak)" if w else "") for p, x, w in leaves)[:2000]


def compare(want, got, depth, n_ops, low=0.0):
    """None when mirax's leaves match JAX's, else what differs. `low`: the tolerance
    of the least precise dtype the program computes in (a float32 cos rounds
    differently in mirax and XLA even when the result is promoted to float64)."""
    if len(want) != len(got) or [p for p, *_ in want] != [p for p, *_ in got]:
        return f"structure: JAX {[p for p, *_ in want]}, mirax {[p for p, *_ in got]}"
    for (path, w, ww), (_, g, gw) in zip(want, got):
        if w.shape != g.shape or w.dtype != g.dtype:
            return f"{path}: JAX {w.dtype}{list(w.shape)}, mirax {g.dtype}{list(g.shape)}"
        if ww != gw:
            return f"{path}: weak_type JAX {ww}, mirax {gw}"
        if w.dtype.kind in "biu" or w.dtype.name.startswith("key"):
            if not np.array_equal(w, g):
                return f"{path}: values differ"
            continue
        if w.dtype.kind == "c":
            # A complex product of infinities is NaN or an infinity depending on how it
            # is computed, and XLA's complex dot computes it differently by shape:
            # tensordot of (1, 2) by (2, 1) gives inf+infj where (1, 2) by (2, 4) gives
            # nan+nanj in that column. Complex values non-finite in both agree.
            both = ~np.isfinite(w) & ~np.isfinite(g)
            w, g = np.where(both, 0, w), np.where(both, 0, g)
        same_nan = np.array_equal(np.isnan(w), np.isnan(g))
        if not same_nan:
            return f"{path}: NaNs in different places"
        fin = np.isfinite(w)
        if not np.array_equal(w[~fin & ~np.isnan(w)], g[~fin & ~np.isnan(w)]) or not np.array_equal(fin, np.isfinite(g)):
            return f"{path}: infinities differ"
        if not fin.any():
            continue
        tol = max(TOLERANCE.get(w.dtype.name, 1e-3), low) * 10 ** depth * (1 + n_ops / 4)
        scale = max(1.0, float(np.max(np.abs(w[fin]))))
        err = float(np.max(np.abs(w[fin].astype(np.complex128) - g[fin].astype(np.complex128))))
        if err > tol * scale:
            return f"{path}: max abs error {err:.3g} > {tol * scale:.3g}"
    return None


def _reference(program):
    """JAX's result with x64 on and the float32 inputs' values widened to float64: near
    enough to the exact answer to judge each library's accuracy by. None when JAX
    raises so, or when the program is float32 only by its own casts."""
    jax.config.update("jax_enable_x64", True)
    try:
        leaves, err = _run(program, jax, jit=True, widen=True)
    finally:
        jax.config.update("jax_enable_x64", program["x64"])
    return None if err is not None else leaves


def no_less_accurate(want, got, reference):
    """Whether mirax's result is at most twice as far from the reference as JAX's (and
    JAX's error is an error: a float32 sum's rounding amplified by what follows it, sin
    of a cumsum of thousands of terms, is not mirax's defect when JAX's is as large)."""
    if len(reference) != len(want):
        return False
    for (_, w, _), (_, g, _), (_, r, _) in zip(want, got, reference, strict=True):
        if r.shape != w.shape:
            return False
        fin = np.isfinite(w) & np.isfinite(r)
        if not fin.any():
            continue
        exact = r[fin].astype(np.complex128)
        jax_error = float(np.max(np.abs(w[fin] - exact)))
        mirax_error = float(np.max(np.abs(g[fin] - exact)))
        if mirax_error > 2 * jax_error:
            return False
    return True


def run_case(program, running=lambda name: None):
    """Both libraries on the program: (class, detail, jax summary, mirax summary).
    `running(name)` is told which library runs next: a worker that dies is then known
    to have died in JAX or in mirax."""
    for lib in (jax, mirax):
        lib.config.update("jax_enable_x64", program["x64"])
    # JAX runs the whole case as one XLA computation: many times faster than op by op,
    # with the same results (mirax runs it as written: eager ops included); except on
    # NaNs and infinities, which XLA's simplifier may drop (0 * inf), and where the
    # program needs concrete values (a fori_loop bound under grad): JAX refusing under
    # jit is confirmed op by op.
    special = any(s.get("kind") == "special" for s in program["inputs"])
    running("jax")
    want, jerr = _run(program, jax, jit=not special)
    if jerr is not None and not special:
        want, jerr = _run(program, jax)
    running("mirax")
    got, merr = _run(program, mirax)
    js, ms = _summary(want, jerr), _summary(got, merr)
    if jerr is not None and merr is not None:
        return BOTH_RAISE, "", js, ms
    if merr is not None:
        return MIRAX_RAISES, "".join(traceback.format_exception(merr)[-6:])[-3000:], js, ms
    if jerr is not None:
        return JAX_RAISES, "", js, ms
    dtypes = [s["dtype"] for s in program["inputs"]] + [op["dtype"] for op in program["ops"]]
    low = max(TOLERANCE.get(d, 0.0) for d in dtypes)
    diff = compare(want, got, STACKS[program["stack"]], len(program["ops"]), low)
    if diff is not None and "max abs error" in diff and not program["x64"]:
        reference = _reference(program)  # mirax and XLA round differently: which is nearer?
        if reference is not None and no_less_accurate(want, got, reference):
            diff = None
    return (AGREE, "", js, ms) if diff is None else (WRONG, diff, js, ms)
