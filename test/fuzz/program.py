"""A fuzz program as data, its inputs, and its rendering to Python source.

A program is a JSON-able dict:

    {"x64": bool, "stack": "grad", "batch": 3, "seed": 0, "index": 17,
     "inputs": [{"shape": [2, 3], "dtype": "float32", "kind": "normal", "seed": 5, "axis": 0}, ...],
     "ops": [{"name": "sin", "expr": "jnp.sin({0})", "args": [0]}, ...],
     "out": 4, "diff": [0]}

Variable k is `a{k}`: the inputs first, then one per op. `expr` is Python with the
free names jnp, lax, random and nn, and `{i}` for the i-th argument variable. The
stack (a transformation such as `jit(vmap(grad))`) is applied to `f`, the function of
the inputs that returns `a{out}`; `diff` lists the inputs it differentiates (the
others are closed over), `axis` is each input's vmap axis (None: not mapped).
Everything is determined by the dict, so a case replays (and prints a standalone
reproducer) without the generator.
"""
import inspect

import numpy as np

# Transformation stacks, with their differentiation depth (tolerances grow with it).
STACKS = {
    "none": 0, "jit": 0, "vmap": 0, "grad": 1, "jvp": 1, "vjp": 1, "jacfwd": 1, "jacrev": 1,
    "hessian": 2, "jit(vmap(grad))": 1, "grad(grad)": 2, "vmap(jacfwd)": 1, "jit(hessian)": 2,
}
VMAPPED = {"vmap", "jit(vmap(grad))", "vmap(jacfwd)"}
# Stacks whose function must return a float scalar: `s`, the sum of f's output.
SCALAR = {"grad", "hessian", "jit(vmap(grad))", "grad(grad)", "jit(hessian)"}


def input_value(spec, batch=None):
    """The input's values (with the vmap axis inserted when `batch` is given), drawn
    from its seed: normal floats, small integers, booleans, complex normals."""
    shape = list(spec["shape"])
    if batch is not None and spec.get("axis") is not None:
        shape.insert(spec["axis"], batch)
    rng = np.random.default_rng(spec["seed"])
    dtype = np.dtype(spec["dtype"])
    kind = spec.get("kind", "normal")
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        lo, hi = (1, 6) if kind == "positive" else (-5, 6)
        return rng.integers(lo, hi, shape).astype(dtype)
    if kind == "special":  # exact values, zeros of both signs, infinities and NaNs
        x = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -3.0, np.inf, -np.inf, np.nan]), shape)
        return (x + 1j * rng.choice(np.array([0.0, 1.0, -np.inf, np.nan]), shape) if dtype.kind == "c" else x
                ).astype(dtype)
    x = rng.standard_normal(shape)
    if kind == "positive":
        x = np.abs(x) + 0.5
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def extra_specs(program, out_shape=None):
    """Specs of the tangents (jvp) or the cotangent (vjp) that the stack takes after
    the inputs: one tangent per differentiated input, the cotangent of f's output."""
    stack = program["stack"]
    if stack == "jvp":
        return [dict(program["inputs"][i], seed=program["inputs"][i]["seed"] + 1000, axis=None, kind="normal")
                for i in program["diff"]]
    if stack == "vjp":
        shape, dtype = out_shape if out_shape is not None else program["out_aval"]
        return [{"shape": list(shape), "dtype": dtype, "kind": "normal", "seed": program["seed"] * 7919 + 3,
                 "axis": None}]
    return []


def arguments(program):
    """The values the stacked function is called with: inputs, then tangents/cotangent."""
    batch = program["batch"] if program["stack"] in VMAPPED else None
    return [input_value(s, batch) for s in program["inputs"]] + [input_value(s) for s in extra_specs(program)]


def _stack_source(program):
    """`def program(...)`: the transformation stack applied to f (or to s, f's sum)."""
    n = len(program["inputs"])
    names = [f"a{i}" for i in range(n)]
    diff = program["diff"]
    argnums = "(" + "".join(f"{i}, " for i in diff) + ")"
    axes = "(" + "".join(f"{s.get('axis')!r}, " for s in program["inputs"]) + ")"
    params = ", ".join(names)
    # f with only the differentiated inputs as parameters (jvp, vjp).
    closed = f"lambda {', '.join(names[i] for i in diff)}: f({params})"
    stack = program["stack"]
    body = {
        "none": f"return f({params})",
        "jit": f"return jax.jit(f)({params})",
        "vmap": f"return jax.vmap(f, in_axes={axes})({params})",
        "grad": f"return jax.grad(s, argnums={argnums})({params})",
        "jvp": (f"return jax.jvp({closed}, ({''.join(names[i] + ', ' for i in diff)}), "
                f"({''.join(f't{k}, ' for k in range(len(diff)))}))"),
        "vjp": (f"out, pull = jax.vjp({closed}, {', '.join(names[i] for i in diff)})\n"
                f"    return out, pull(ct)"),
        "jacfwd": f"return jax.jacfwd(f, argnums={argnums})({params})",
        "jacrev": f"return jax.jacrev(f, argnums={argnums})({params})",
        "hessian": f"return jax.hessian(s, argnums={argnums})({params})",
        "jit(vmap(grad))": f"return jax.jit(jax.vmap(jax.grad(s, argnums={argnums}), in_axes={axes}))({params})",
        "grad(grad)": (f"def gs({params}):\n"
                       f"        return sum(jnp.sum(g) for g in jax.grad(s, argnums={argnums})({params}))\n"
                       f"    return jax.grad(gs, argnums={argnums})({params})"),
        "vmap(jacfwd)": f"return jax.vmap(jax.jacfwd(f, argnums={argnums}), in_axes={axes})({params})",
        "jit(hessian)": f"return jax.jit(jax.hessian(s, argnums={argnums}))({params})",
    }[stack]
    extra = [f"t{k}" for k in range(len(diff))] if stack == "jvp" else ["ct"] if stack == "vjp" else []
    return f"def program({', '.join(names + extra)}):\n    {body}\n"


def source(program):
    """Python source of `make(jax, jnp, lax, random, nn)`, which returns the stacked
    program; the same text runs mirax and JAX and is the reproducer's body."""
    n = len(program["inputs"])
    lines = [f"def f({', '.join(f'a{i}' for i in range(n))}):"]
    used = _live(program)
    for k, op in enumerate(program["ops"]):
        if n + k in used:
            lines.append(f"    a{n + k} = " + op["expr"].format(*(f"a{i}" for i in op["args"])))
    lines.append(f"    return a{program['out']}")
    text = "\n".join(lines) + "\n"
    if program["stack"] in SCALAR:
        text += (f"\ndef s({', '.join(f'a{i}' for i in range(n))}):\n"
                 f"    return jnp.sum(f({', '.join(f'a{i}' for i in range(n))}))\n")
    text += "\n" + _stack_source(program)
    body = "\n".join("    " + line if line else "" for line in text.splitlines())
    return f"def make(jax, jnp, lax, random, nn):\n{body}\n    return program\n"


def _live(program):
    """Variables the output depends on, plus every op kept as dead code on purpose
    (the generator marks some ops `keep`: unused loops are a case of their own)."""
    n = len(program["inputs"])
    live = {program["out"]} | {n + k for k, op in enumerate(program["ops"]) if op.get("keep")}
    for k in range(len(program["ops"]) - 1, -1, -1):
        if n + k in live:
            live.update(program["ops"][k]["args"])
    return live


def build(program, lib):
    """The stacked program with `lib` (the module mirax or jax) as its namespaces."""
    scope = {}
    exec(compile(source(program), f"<fuzz case {program.get('seed')}/{program.get('index')}>", "exec"), scope)
    return scope["make"](lib, lib.numpy, lib.lax, lib.random, lib.nn)


def _literal(x):
    text = f"np.array({x.tolist()!r}, dtype=np.{x.dtype.name})"
    return text + f".reshape({x.shape!r})" if x.size == 0 else text


def reproducer(program, note=""):
    """A standalone script that runs the case with JAX and with mirax and prints both."""
    args = arguments(program)
    lines = [
        f"# mirax fuzz case seed={program.get('seed')} index={program.get('index')} stack={program['stack']}",
    ]
    lines += [f"# {line}" for line in note.splitlines()]
    lines += ["import numpy as np", "from numpy import inf, nan  # the literals below spell them so",
              "import jax", "import mirax", "",
              f"jax.config.update('jax_enable_x64', {program['x64']})",
              f"mirax.config.update('jax_enable_x64', {program['x64']})", "", source(program)]
    big = [x.size > 64 for x in args]
    if any(big):
        lines += [inspect.getsource(input_value)]
    batch = program["batch"] if program["stack"] in VMAPPED else None
    lines.append("args = [")
    for k, (spec, x) in enumerate(zip(program["inputs"] + extra_specs(program), args)):
        b = batch if k < len(program["inputs"]) else None
        lines.append(f"    input_value({spec!r}, {b!r})," if big[k] else f"    {_literal(x)},")
    lines.append("]")
    lines += ["for lib in (jax, mirax):",
              "    try:",
              "        xs = [lib.numpy.asarray(x) for x in args]",
              "        print(lib.__name__, make(lib, lib.numpy, lib.lax, lib.random, lib.nn)(*xs))",
              "    except Exception as e:",
              "        print(lib.__name__, 'raises', type(e).__name__, str(e).splitlines()[0])", ""]
    return "\n".join(lines)
