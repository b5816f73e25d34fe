"""The random program generator: `generate(seed, index)` is one case, always the same.

Programs grow one op at a time; a candidate op is kept when JAX accepts it
(`jax.eval_shape`). Then JAX runs the program once on the concrete inputs (every vmap
lane), and the program is cut before the first op whose values are not finite or
large, or whose inputs are near a point where the op is discontinuous (ties for
max/sort/comparisons, integers for floor/casts, zero for sign/abs/division), so that
rounding differences between mirax and JAX cannot flip a result, and derivatives are
taken where they exist.
"""
import jax
import jax.numpy as jjnp
import numpy as np

from .program import SCALAR, STACKS, VMAPPED, input_value

NAMESPACE = {"jnp": jjnp, "lax": jax.lax, "random": jax.random, "nn": jax.nn, "jax": jax}

STACK_WEIGHTS = {
    "none": 3, "jit": 3, "vmap": 2, "grad": 2, "jvp": 1, "vjp": 1, "jacfwd": 1, "jacrev": 1, "hessian": 1,
    "jit(vmap(grad))": 1, "grad(grad)": 1, "vmap(jacfwd)": 1, "jit(hessian)": 1,
}
FLOAT, INT, BOOL, COMPLEX = "float", "int", "bool", "complex"


class Reject(Exception):
    """The candidate op does not fit (JAX refuses it, or its inputs are too close to a
    discontinuity); the generator draws another."""


def _kind(dtype):
    return {"f": FLOAT, "i": INT, "u": INT, "b": BOOL, "c": COMPLEX}[np.dtype(dtype).kind]


class Var:
    def __init__(self, index, aval):
        self.index, self.aval = index, aval
        self.shape, self.dtype = tuple(aval.shape), np.dtype(aval.dtype)
        self.kind = _kind(self.dtype)

    @property
    def size(self):
        return int(np.prod(self.shape))


def _away(x, points, margin):
    """Every element of x is further than `margin` (relative) from the nearest point of
    the lattice `points` (1.0: integers, 0.5: multiples of one half)."""
    x = np.asarray(x, dtype=np.float64)
    d = np.abs(x / points - np.round(x / points)) * points
    return bool(np.all(d > margin * np.maximum(1.0, np.abs(x))))


def _apart(a, b, margin=1e-3):
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    return bool(np.all(np.abs(a - b) > margin * (1 + np.abs(a) + np.abs(b))))


def _distinct(x, axis, margin=1e-3):
    """No two elements along `axis` (None: all) are closer than `margin` (no ties)."""
    x = np.asarray(x, np.float64)
    if x.size == 0:
        return True
    x = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    s = np.sort(x, axis=-1)
    return bool(np.all(np.diff(s, axis=-1) > margin * (1 + np.abs(s[..., 1:]))))


class Generator:
    def __init__(self, seed, index):
        self.seed, self.index = seed, index
        self.rng = np.random.default_rng([seed, index])
        rng = self.rng
        self.stack = rng.choice(list(STACK_WEIGHTS), p=_normalize(STACK_WEIGHTS.values()))
        self.depth = STACKS[self.stack]
        self.x64 = bool(rng.random() < 0.25)
        self.batch = int(rng.integers(1, 4)) if self.stack in VMAPPED else None
        # Jacobians and Hessians grow with the square of the sizes: keep those small.
        self.small = self.stack not in ("none", "jit", "vmap", "grad", "jvp", "vjp")
        self.inputs, self.ops, self.vars = [], [], []
        self.roles = []  # per variable: its input number, or None for an op's result
        self.checks = []  # per op
        self.lanes = self.batch or 1
        # Some programs without derivatives take NaNs, infinities and signed zeros (and
        # skip the checks: their values are exact, and NaN semantics are the point).
        self.special = self.depth == 0 and bool(rng.random() < 0.1)

    # ----- variables -------------------------------------------------------------
    def dtypes(self, kind):
        return {FLOAT: ["float32", "float64"] if self.x64 else ["float32"],
                INT: ["int32"], BOOL: ["bool"], COMPLEX: ["complex64"]}[kind]

    def random_shape(self, ndim=None):
        rng = self.rng
        if ndim is None:
            ndim = int(rng.choice([0, 1, 1, 2, 2, 2, 3]))
        if not self.small and rng.random() < 0.04:
            return [int(rng.choice([1000, 4096, 20000]))] if ndim <= 1 else [int(rng.integers(100, 300)), 64]
        dims = [int(rng.choice([0, 1, 2, 3, 3, 4, 5])) if rng.random() < 0.08 else int(rng.integers(1, 5))
                for _ in range(ndim)]
        if self.small:
            while int(np.prod(dims)) > 12:
                dims[int(np.argmax(dims))] -= 1
        return dims

    def new_input(self, shape=None, kind=None, positive=False):
        rng = self.rng
        if kind is None:
            kind = rng.choice([FLOAT] * 6 + [INT, BOOL, COMPLEX])
        if self.depth and not self.inputs:
            kind = FLOAT  # derivative stacks need one float input
        dtype = str(rng.choice(self.dtypes(kind)))
        shape = self.random_shape() if shape is None else list(shape)
        axis = None
        if self.batch is not None:
            axis = None if self.inputs and rng.random() < 0.3 else int(rng.integers(0, len(shape) + 1))
        self.roles.append(len(self.inputs))
        spec = {"shape": shape, "dtype": dtype,
                "kind": "special" if self.special and kind in (FLOAT, COMPLEX) else "positive" if positive else "normal",
                "seed": int(rng.integers(0, 2**31)), "axis": axis}
        var = Var(len(self.vars), jax.ShapeDtypeStruct(tuple(shape), np.dtype(dtype)))
        self.inputs.append(spec)
        self.vars.append(var)
        return var

    def pick(self, kinds=(FLOAT, INT, BOOL, COMPLEX), min_ndim=0, pred=None):
        """A random existing variable of one of `kinds`, or None."""
        cands = [v for v in self.vars if v.kind in kinds and len(v.shape) >= min_ndim and (pred is None or pred(v))]
        if not cands:
            return None
        results = [v for v in cands if self.roles[v.index] is None]
        if results and self.rng.random() < 0.6:
            return results[-1]  # mostly chains: the latest result
        # Prefer recent variables, so that programs are chains rather than many roots.
        w = np.arange(1, len(cands) + 1, dtype=float) ** 3
        return cands[int(self.rng.choice(len(cands), p=w / w.sum()))]

    def operand(self, kinds=(FLOAT,), min_ndim=0, pred=None, fresh=0.15):
        v = None if self.rng.random() < fresh else self.pick(kinds, min_ndim, pred)
        if v is None:
            kind = self.rng.choice(list(kinds))
            for _ in range(20):
                shape = self.random_shape(max(min_ndim, int(self.rng.choice([0, 1, 2, 2, 3]))))
                if len(shape) >= min_ndim:
                    break
            v = self.new_input(shape, kind)
            if pred is not None and not pred(v):
                raise Reject("fresh input does not fit")
        return v

    def broadcastable_to(self, shape, kinds=(FLOAT,)):
        """A variable (existing or new) whose shape broadcasts with `shape`."""
        shape = tuple(shape)

        def fits(v):
            try:
                return np.broadcast_shapes(v.shape, shape) == shape
            except ValueError:
                return False
        v = self.pick(kinds, pred=fits) if self.rng.random() < 0.6 else None
        if v is None:
            k = int(self.rng.integers(0, len(shape) + 1))
            sub = [d if self.rng.random() < 0.7 else 1 for d in shape[k:]]
            v = self.new_input(sub, self.rng.choice(list(kinds)))
        return v

    def literal(self, kind):
        rng = self.rng
        if kind == INT:
            return str(int(rng.integers(-3, 4)))
        if kind == BOOL:
            return str(bool(rng.random() < 0.5))
        if kind == COMPLEX:
            return f"({rng.normal():.3f}{rng.normal():+.3f}j)"
        return f"{float(rng.choice([0.5, 1.5, 2.0, -0.75, 3.0, 0.1, -2.5]))}"

    # ----- running candidates ------------------------------------------------------
    def apply(self, name, expr, args, check=None, keep=False):
        """Add the op when JAX accepts it; `check(*argument values)` says later, on the
        concrete values, whether its arguments are away from its discontinuities."""
        try:
            out = jax.eval_shape(lambda *xs: _eval(expr, xs), *[self.vars[a].aval for a in args])
        except Exception as e:  # noqa: BLE001 (any refusal by JAX means: draw again)
            raise Reject(f"{name}: JAX raises {type(e).__name__}") from e
        if not isinstance(out, jax.ShapeDtypeStruct) or jax.dtypes.issubdtype(out.dtype, jax.dtypes.prng_key):
            raise Reject(f"{name}: not an array")
        if int(np.prod(out.shape)) > (3000 if self.small else 300000):
            raise Reject("too large")
        var = Var(len(self.vars), out)
        self.vars.append(var)
        self.roles.append(None)
        self.checks.append(check)
        self.ops.append({"name": name, "expr": expr, "args": [int(a) for a in args], "shape": list(var.shape),
                         "dtype": var.dtype.name, **({"keep": True} if keep else {})})
        return var

    def validate(self, out):
        """Run the live ops with JAX on every lane; the variable to return instead of
        `out` when an op fails its checks (its first argument), and the ops to keep."""
        vi = [k for k, r in enumerate(self.roles) if r is None]  # variable of op k
        live = {out.index} | {vi[k] for k, op in enumerate(self.ops) if op.get("keep")}
        for k in range(len(self.ops) - 1, -1, -1):
            if vi[k] in live:
                live.update(self.ops[k]["args"])
        order = [k for k in range(len(self.ops)) if vi[k] in live]
        inputs = [v for v in range(len(self.vars)) if self.roles[v] is not None]

        def run_all(*xs):
            env = dict(zip(inputs, xs))
            for k in order:
                env[vi[k]] = _eval(self.ops[k]["expr"], [env[a] for a in self.ops[k]["args"]])
            return [env[vi[k]] for k in order]
        fn = jax.jit(run_all)
        lanes = []
        for lane in range(self.lanes):
            xs = []
            for v in inputs:
                spec = self.inputs[self.roles[v]]
                full = input_value(spec, self.batch)
                xs.append(full if spec["axis"] is None or self.batch is None else np.take(full, lane, axis=spec["axis"]))
            try:
                outs = fn(*xs)
            except Exception:  # noqa: BLE001 (JAX cannot run it after all: return an input)
                for op in self.ops:
                    op.pop("keep", None)
                return None
            lanes.append(dict(zip(inputs, xs)) | {vi[k]: np.asarray(o) for k, o in zip(order, outs)})
        for k in order:
            op = self.ops[k]
            for env in lanes:
                x = env[vi[k]]
                bad = x.dtype.kind in "fc" and (not np.all(np.isfinite(x)) or (x.size and np.max(np.abs(x)) > 1e4))
                if self.special:
                    continue
                with np.errstate(all="ignore"):
                    if bad or not _passes(self.checks[k], [env[a] for a in op["args"]]):
                        # Cut here: return the first argument, drop later ops kept as dead code.
                        for j in range(k, len(self.ops)):
                            self.ops[j].pop("keep", None)
                        return self.vars[op["args"][0]] if op["args"] else None
        return out

    # ----- the ops -----------------------------------------------------------------
    def op_unary(self):
        rng = self.rng
        x = self.operand((FLOAT, COMPLEX) if rng.random() < 0.15 else (FLOAT,))
        smooth = ["sin", "cos", "tanh", "exp", "negative", "square", "arctan", "sinh", "cosh", "expm1", "abs"]
        name = str(rng.choice(smooth + ["log", "sqrt", "log1p", "floor", "ceil", "round", "trunc", "sign",
                                        "reciprocal", "sigmoid", "relu", "softplus", "rsqrt", "cbrt", "erf",
                                        "logistic", "arcsinh", "deg2rad", "exp2", "log2", "stop_gradient"]))
        check = None
        expr = {
            "log": "jnp.log(jnp.abs({0}) + 0.5)", "sqrt": "jnp.sqrt(jnp.abs({0}) + 0.5)",
            "log1p": "jnp.log1p(jnp.abs({0}))", "reciprocal": "jnp.reciprocal({0})", "sigmoid": "nn.sigmoid({0})",
            "relu": "nn.relu({0})", "softplus": "nn.softplus({0})", "rsqrt": "lax.rsqrt(jnp.abs({0}) + 0.5)",
            "cbrt": "jnp.cbrt({0})", "erf": "lax.erf({0})", "logistic": "lax.logistic({0})",
            "log2": "jnp.log2(jnp.abs({0}) + 0.5)", "stop_gradient": "lax.stop_gradient({0})",
        }.get(name, f"jnp.{name}({{0}})")
        if name in ("floor", "ceil", "trunc"):
            def check(a):
                return _away(a, 1.0, 1e-3)
        elif name == "round":
            def check(a):
                return _away(a + 0.5, 1.0, 1e-3)
        elif name in ("sign", "abs", "reciprocal", "relu", "cbrt"):
            def check(a):
                return bool(np.all(np.abs(a) > 1e-2))
        if x.kind == COMPLEX and name not in ("sin", "cos", "tanh", "exp", "negative", "square", "abs", "sqrt"):
            raise Reject("not for complex")
        return self.apply(name, expr, [x.index], check)

    def op_binary(self):
        rng = self.rng
        kind = rng.choice([FLOAT] * 5 + [INT, BOOL, COMPLEX])
        x = self.operand((kind,))
        names = {FLOAT: ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "arctan2",
                         "hypot", "logaddexp", "mod", "lt", "eq", "copysign", "clip", "where"],
                 INT: ["add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum", "lt", "eq",
                       "bitwise_and", "bitwise_or", "bitwise_xor", "power", "where", "shift"],
                 BOOL: ["logical_and", "logical_or", "logical_xor", "not_equal", "add", "where"],
                 COMPLEX: ["add", "subtract", "multiply", "divide", "eq"]}[kind]
        name = str(rng.choice(names))
        scalar = rng.random() < 0.35
        if scalar:
            lit = self.literal(kind if rng.random() < 0.8 else rng.choice([INT, FLOAT]))
        y = None if scalar else self.broadcastable_to(x.shape, (kind,)) if rng.random() < 0.7 else \
            self.operand((kind,), pred=lambda v: _broadcasts(v.shape, x.shape))
        swap = rng.random() < 0.3
        args = [x.index] + ([] if scalar else [y.index])
        a, b = ("{0}", lit) if scalar else ("{0}", "{1}")
        if swap:
            a, b = b, a
        check = None
        same = not scalar and x is y
        ops = {"add": "+", "subtract": "-", "multiply": "*", "lt": "<", "eq": "==", "not_equal": "!=",
               "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "floor_divide": "//", "mod": "%"}
        if name in ops and rng.random() < 0.6:
            expr = f"{a} {ops[name]} {b}"
        elif name == "power":
            if kind == INT:
                expr = f"{a} ** 2" if rng.random() < 0.5 else f"jnp.power({a}, jnp.abs({b}))"
            else:
                expr = f"jnp.power(jnp.abs({a}) + 0.5, {b})"
        elif name == "clip":
            lo, hi = sorted([float(rng.normal()), float(rng.normal())])
            expr, args = f"jnp.clip({{0}}, {lo:.3f}, {hi:.3f})", [x.index]

            def check(v):
                return _apart(v, lo) and _apart(v, hi)
        elif name == "where":
            c = self.operand((BOOL,), pred=lambda v: _broadcasts(v.shape, x.shape))
            other = lit if scalar else "{1}"
            expr = f"jnp.where({{{len(args)}}}, {{0}}, {other})"
            if not scalar and x.shape == y.shape and rng.random() < 0.4:
                c = self.operand((BOOL,), pred=lambda v: v.shape in ((), x.shape))
                expr = "lax.select({2}, {0}, {1})"
            args = args + [c.index]
        elif name == "shift":
            expr = f"lax.shift_left({a}, jnp.full_like({a}, 2))" if scalar else "lax.shift_right_arithmetic({0}, 1)"
            args = [x.index]
        elif name == "logical_and" or name == "logical_or" or name == "logical_xor":
            expr = f"jnp.{name}({a}, {b})"
        elif name == "lt" or name == "eq":
            expr = f"jnp.{'less' if name == 'lt' else 'equal'}({a}, {b})"
        else:
            expr = f"jnp.{name}({a}, {b})"
        if kind == FLOAT and not same and name in ("maximum", "minimum", "lt", "eq", "clip"):
            if name != "clip":
                def check(*vals):
                    return _apart(vals[0], float(lit) if scalar else vals[1])
        if kind == FLOAT and name in ("divide", "mod"):
            def check(*vals):
                d = float(lit) if scalar else vals[1]
                n = vals[0]
                if swap:
                    n, d = d, n
                if not np.all(np.abs(d) > 0.1):
                    return False
                return name != "mod" or _away(np.asarray(n, np.float64) / d, 1.0, 1e-3)
        if kind == FLOAT and name in ("hypot", "arctan2", "copysign"):
            def check(*vals):
                a, b = vals[0], float(lit) if scalar else vals[1]
                if swap:
                    a, b = b, a
                a, b = np.broadcast_arrays(a, b)
                if name == "copysign":  # the sign of b: not near zero
                    return bool(np.all(np.abs(b) > 1e-3))
                # arctan2(a, b) jumps by 2 pi across a = 0 where b < 0.
                return bool(np.all(np.abs(a) + np.abs(b) > 0.1)) and (
                    name == "hypot" or bool(np.all((np.abs(a) > 1e-3) | (b > 0))))
        if kind == COMPLEX and name == "divide":
            def check(*vals):
                d = complex(lit) if scalar else vals[1]
                if swap:
                    d = vals[0]
                return bool(np.all(np.abs(d) > 0.1))
        return self.apply(name, expr, args, check)

    def op_cast(self):
        rng = self.rng
        x = self.operand((FLOAT, INT, BOOL, COMPLEX))
        choices = ["float32", "int32", "bool", "complex64"] + (["float64"] if self.x64 else [])
        target = str(rng.choice(choices))
        check = None
        if x.kind == COMPLEX and target in ("int32", "bool", "float32", "float64"):
            expr = str(rng.choice(["jnp.real({0})", "jnp.imag({0})", "jnp.abs({0})", "jnp.conj({0})"]))
        else:
            expr = f"{{0}}.astype(jnp.{target})" if rng.random() < 0.7 else f"lax.convert_element_type({{0}}, jnp.{target})"
            if x.kind == FLOAT and target in ("int32", "bool"):
                def check(a):
                    return _away(a, 1.0, 1e-3) if target == "int32" else bool(np.all(np.abs(a) > 1e-3))
        return self.apply("astype", expr, [x.index], check)

    def op_reduce(self):
        rng = self.rng
        x = self.operand((FLOAT, INT, BOOL) if rng.random() < 0.3 else (FLOAT,), min_ndim=int(rng.random() < 0.8))
        name = str(rng.choice(["sum", "mean", "prod", "max", "min", "argmax", "argmin", "var", "std", "any", "all",
                               "logsumexp", "sum", "mean", "median", "ptp", "count_nonzero"]))
        nd = len(x.shape)
        axis = None
        r = rng.random()
        if nd and r < 0.5:
            axis = int(rng.integers(-nd, nd))
        elif nd > 1 and r < 0.75:
            axis = tuple(sorted(set(int(a) for a in rng.choice(nd, size=int(rng.integers(1, nd + 1)), replace=False))))
        if name in ("argmax", "argmin", "median") and isinstance(axis, tuple):
            axis = axis[0]
        keep = rng.random() < 0.25 and name not in ("argmax", "argmin")
        kw = f", axis={axis!r}" + (", keepdims=True" if keep else "")
        expr = {"logsumexp": f"nn.logsumexp({{0}}{kw})", "ptp": f"jnp.ptp({{0}}{kw})",
                }.get(name, f"jnp.{name}({{0}}{kw})")
        if name == "prod" and x.size > 64:
            raise Reject("prod of many values")
        if name in ("var", "std") and x.size == 0:
            raise Reject("var of nothing")
        check = None
        if x.kind == FLOAT and name in ("max", "min", "argmax", "argmin", "median", "ptp"):
            ax = None if axis is None else axis

            def check(a):
                if isinstance(ax, tuple):
                    b = np.moveaxis(a, ax, tuple(range(-len(ax), 0)))
                    b = b.reshape(b.shape[:nd - len(ax)] + (-1,))
                    return _distinct(b, -1)
                return _distinct(a, ax)
        if name == "std" and self.depth:
            def check(a):
                return bool(np.all(np.std(a, axis=axis) > 1e-2)) if a.size else True
        return self.apply(name, expr, [x.index], check)

    def op_cumulative(self):
        rng = self.rng
        x = self.operand((FLOAT, INT) if rng.random() < 0.3 else (FLOAT,), min_ndim=1)
        name = str(rng.choice(["cumsum", "cumprod", "cummax", "cummin", "diff"]))
        nd = len(x.shape)
        axis = int(rng.integers(-nd, nd))
        if name in ("cummax", "cummin"):
            expr = f"lax.{name}({{0}}, axis={axis % nd})"
        else:
            expr = f"jnp.{name}({{0}}, axis={axis})"
        if name == "cumprod" and x.shape[axis] > 12:
            raise Reject("long product")
        check = None
        if x.kind == FLOAT and name in ("cummax", "cummin"):
            def check(a):
                return _distinct(a, axis)
        return self.apply(name, expr, [x.index], check)

    def op_shape(self):
        rng = self.rng
        x = self.operand((FLOAT, INT, BOOL, COMPLEX) if rng.random() < 0.3 else (FLOAT,))
        nd, shape = len(x.shape), x.shape
        name = str(rng.choice(["reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "flip", "roll",
                               "broadcast_to", "tile", "repeat", "pad", "ravel", "T", "moveaxis", "tril",
                               "diagonal", "trace", "rev", "lax_reshape", "concatenate", "stack", "split",
                               "atleast_2d", "lax_pad", "lax_slice", "broadcast_in_dim"]))
        if name == "reshape":
            dims = _factor(x.size, rng)
            if dims and rng.random() < 0.3:
                dims[int(rng.integers(len(dims)))] = -1
            expr = f"jnp.reshape({{0}}, {tuple(dims)!r})" if rng.random() < 0.5 else f"{{0}}.reshape({tuple(dims)!r})"
        elif name == "lax_reshape":
            expr = f"lax.reshape({{0}}, {tuple(_factor(x.size, rng))!r})"
        elif name == "transpose":
            expr = f"jnp.transpose({{0}}, {tuple(int(a) for a in rng.permutation(nd))!r})"
        elif name in ("swapaxes", "moveaxis"):
            if nd == 0:
                raise Reject("0-d")
            expr = f"jnp.{name}({{0}}, {int(rng.integers(-nd, nd))}, {int(rng.integers(-nd, nd))})"
        elif name == "expand_dims":
            expr = f"jnp.expand_dims({{0}}, {int(rng.integers(-nd - 1, nd + 1))})"
        elif name == "squeeze":
            ones = [i for i, d in enumerate(shape) if d == 1]
            expr = "jnp.squeeze({0})" if not ones or rng.random() < 0.3 else f"jnp.squeeze({{0}}, {ones[0]})"
        elif name == "flip":
            expr = "jnp.flip({0})" if nd == 0 or rng.random() < 0.3 else f"jnp.flip({{0}}, {int(rng.integers(nd))})"
        elif name == "rev":
            expr = f"lax.rev({{0}}, {tuple(range(nd))[:int(rng.integers(0, nd + 1))]!r})"
        elif name == "roll":
            expr = f"jnp.roll({{0}}, {int(rng.integers(-3, 4))}" + (f", axis={int(rng.integers(nd))})" if nd else ")")
        elif name == "broadcast_to":
            expr = f"jnp.broadcast_to({{0}}, {(int(rng.integers(1, 4)),) + tuple(shape)!r})"
        elif name == "broadcast_in_dim":
            expr = f"lax.broadcast_in_dim({{0}}, {tuple(shape) + (2,)!r}, {tuple(range(nd))!r})"
        elif name == "tile":
            expr = f"jnp.tile({{0}}, {tuple(int(r) for r in rng.integers(1, 3, max(nd, 1)))!r})"
        elif name == "repeat":
            expr = f"jnp.repeat({{0}}, {int(rng.integers(0, 3))}" + (f", axis={int(rng.integers(nd))})" if nd else ")")
        elif name == "pad":
            widths = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(nd))
            mode = str(rng.choice(["constant", "constant", "edge", "reflect", "wrap"]))
            expr = f"jnp.pad({{0}}, {widths!r}, mode={mode!r})"
        elif name == "lax_pad":
            cfg = tuple((int(rng.integers(-1, 3)), int(rng.integers(-1, 3)), int(rng.integers(0, 2))) for _ in range(nd))
            expr = f"lax.pad({{0}}, jnp.zeros((), {{0}}.dtype), {cfg!r})"
        elif name == "lax_slice":
            start = [int(rng.integers(0, d + 1)) for d in shape]
            limit = [int(rng.integers(s, d + 1)) for s, d in zip(start, shape)]
            strides = [int(rng.integers(1, 3)) for _ in shape]
            expr = f"lax.slice({{0}}, {tuple(start)!r}, {tuple(limit)!r}, {tuple(strides)!r})"
        elif name in ("ravel", "atleast_2d"):
            expr = f"jnp.{name}({{0}})"
        elif name == "T":
            expr = "{0}.T"
        elif name == "tril":
            expr = f"jnp.{rng.choice(['tril', 'triu'])}({{0}}, {int(rng.integers(-1, 2))})"
        elif name in ("diagonal", "trace"):
            expr = f"jnp.{name}({{0}}, {int(rng.integers(-1, 2))})"
        elif name in ("concatenate", "stack"):
            others = [v for v in self.vars if v.dtype == x.dtype and (
                v.shape == x.shape or (name == "concatenate" and nd and len(v.shape) == nd
                                       and v.shape[1:] == x.shape[1:]))]
            y = others[int(rng.integers(len(others)))] if others and rng.random() < 0.7 else x
            ax = 0 if name == "concatenate" else int(rng.integers(-nd - 1, nd + 1))
            fn = f"jnp.{name}" if rng.random() < 0.8 else "lax.concatenate" if name == "concatenate" else "jnp.stack"
            if fn == "lax.concatenate":
                return self.apply(name, "lax.concatenate([{0}, {1}], 0)", [x.index, y.index])
            return self.apply(name, f"{fn}([{{0}}, {{1}}], axis={ax})", [x.index, y.index])
        elif name == "split":
            if not nd or not shape[0]:
                raise Reject("nothing to split")
            n = int(rng.choice([d for d in (1, 2, 3) if shape[0] % d == 0]))
            expr = f"jnp.split({{0}}, {n})[{int(rng.integers(n))}]"
        return self.apply(name, expr, [x.index])

    def op_index(self):
        rng = self.rng
        x = self.operand((FLOAT, INT, BOOL, COMPLEX) if rng.random() < 0.3 else (FLOAT,), min_ndim=1)
        idx = self.index_expr(x.shape)
        if idx is None:
            raise Reject("no index")
        text, args = idx
        kind = rng.random()
        if kind < 0.15:
            return self.op_slicing(x)
        if kind < 0.4:
            return self.apply("getitem", f"{{0}}[{text}]", [x.index] + args)
        if kind < 0.5:
            return self.apply("at.get", f"{{0}}.at[{text}].get()", [x.index] + args)
        mode = str(rng.choice(["set", "add", "multiply", "min", "max", "divide", "power", "apply"]))
        if x.kind in (INT, BOOL) and mode in ("divide", "power", "apply"):
            mode = "add" if x.kind == INT else "set"
        if x.kind == BOOL and mode not in ("set", "max", "min"):
            mode = "set"
        if x.kind == COMPLEX and mode in ("min", "max", "power"):
            mode = "add"
        try:
            target = _index_shape(x.shape, text, [self.vars[a].shape for a in args])
        except Exception as e:  # noqa: BLE001
            raise Reject("index not valid") from e
        if mode == "apply":
            return self.apply("at.apply", f"{{0}}.at[{text}].apply(jnp.sin)", [x.index] + args)
        if rng.random() < 0.4:
            val = self.literal(x.kind)
            if mode in ("divide", "power"):
                val = "1.5"
            expr = f"{{0}}.at[{text}].{mode}({val})"
            all_args = [x.index] + args
        else:
            v = self.broadcastable_to(target, (x.kind,))
            all_args = [x.index] + args + [v.index]
            ref = "{" + str(len(all_args) - 1) + "}"
            if mode in ("divide", "power"):
                ref = f"(jnp.abs({ref}) + 0.5)"
            expr = f"{{0}}.at[{text}].{mode}({ref})"
        check = None
        if x.kind == FLOAT and mode in ("min", "max"):
            lit = None if len(all_args) > 1 + len(args) else float(val)

            def check(*vals):
                # Every update apart from every element and from each other: no ties.
                upd = np.ravel(vals[-1] if lit is None else lit)
                return _apart(np.ravel(vals[0])[:, None], upd[None, :]) and _distinct(upd, None)
        return self.apply(f"at.{mode}", expr, all_args, check)

    def op_slicing(self, x):
        """lax.dynamic_slice / dynamic_update_slice (starts constant or an int scalar
        variable: JAX clamps them), jnp.take, jnp.take_along_axis."""
        rng = self.rng
        nd, shape = len(x.shape), x.shape
        name = str(rng.choice(["dynamic_slice", "dynamic_update_slice", "take", "take_along_axis"]))
        i = self.pick((INT,), pred=lambda v: v.shape == ())
        starts = [str(int(rng.integers(-1, d + 2))) for d in shape]
        args = [x.index]
        if i is not None and rng.random() < 0.5:
            starts[int(rng.integers(nd))] = "{1}"
            args.append(i.index)
        st = "(" + "".join(s + ", " for s in starts) + ")"
        sizes = [int(rng.integers(0, d + 1)) for d in shape]
        if name == "dynamic_slice":
            return self.apply(name, f"lax.dynamic_slice({{0}}, {st}, {tuple(sizes)!r})", args)
        if name == "dynamic_update_slice":
            u = self.pick((x.kind,), pred=lambda v: v.dtype == x.dtype and len(v.shape) == nd and all(
                a <= b for a, b in zip(v.shape, shape))) or self.new_input(sizes, x.kind)
            ref = "{" + str(len(args)) + "}"
            return self.apply(name, f"lax.dynamic_update_slice({{0}}, {ref}, {st})", args + [u.index])
        axis = int(rng.integers(-nd, nd))
        d = shape[axis]
        if not d:
            raise Reject("nothing to take")
        if name == "take":
            idx = [int(t) for t in rng.integers(-d, d, int(rng.integers(0, 5)))]
            return self.apply(name, f"jnp.take({{0}}, jnp.array({idx}, dtype=jnp.int32), axis={axis})", [x.index])
        ishape = list(shape)
        ishape[axis] = int(rng.integers(1, 4))
        idx = rng.integers(0, d, ishape).tolist()
        return self.apply(name, f"jnp.take_along_axis({{0}}, jnp.array({idx}, dtype=jnp.int32), axis={axis})",
                          [x.index])

    def index_expr(self, shape):
        """An index for an array of `shape`: ints, slices, None, Ellipsis, integer arrays
        (constant, possibly repeated) or an existing int variable (any values: JAX
        clamps gathers and drops out-of-range scatters). Returns (text, arg indices)."""
        rng = self.rng
        parts, args = [], []
        nd = len(shape)
        k = int(rng.integers(1, nd + 1))
        for d in shape[:k]:
            r = rng.random()
            if r < 0.3 and d:
                parts.append(str(int(rng.integers(-d, d))))
            elif r < 0.6:
                a, b = sorted(int(t) for t in rng.integers(-d - 1, d + 2, 2))
                st = int(rng.choice([1, 1, 2, -1]))
                parts.append(f"{a}:{b}" + (f":{st}" if st != 1 else "") if st > 0 else "::-1")
            elif r < 0.8 and d:
                n = int(rng.integers(1, 4))
                parts.append(f"jnp.array({[int(t) for t in rng.integers(-d, d, n)]})")
            elif r < 0.9:
                v = self.pick((INT,), pred=lambda v: len(v.shape) <= 1 and v.size <= 6)
                if v is None or len(args):
                    parts.append(":")
                else:
                    args.append(v.index)
                    parts.append("{" + str(len(args)) + "}")
            else:
                parts.append(":")
        if rng.random() < 0.15:
            parts.insert(int(rng.integers(len(parts) + 1)), "None")
        if rng.random() < 0.15 and k < nd:
            parts = ["..."] + parts[1:] if parts else ["..."]
        return ", ".join(parts) if len(parts) > 1 else parts[0] + ("," if parts[0] == "..." else ""), args

    def op_dot(self):
        rng = self.rng
        kind = COMPLEX if rng.random() < 0.1 else INT if rng.random() < 0.1 else FLOAT
        x = self.operand((kind,), min_ndim=1)
        name = str(rng.choice(["matmul", "dot", "einsum", "tensordot", "inner", "outer", "vdot", "dot_general"]))
        k = x.shape[-1]
        if name == "einsum":
            specs = {1: ["i,i->", "i->", "i,j->ij", "i,i->i"], 2: ["ij,jk->ik", "ij->ji", "ij,ij->", "ij->j",
                                                                    "ij,j->i", "ii->"],
                     3: ["bij,bjk->bik", "bij->bji", "bij,bij->b", "ijk->"]}.get(len(x.shape))
            if not specs:
                raise Reject("no spec")
            spec = str(rng.choice(specs))
            ins = spec.split("->")[0].split(",")
            if len(ins) == 1:
                return self.apply("einsum", f"jnp.einsum({spec!r}, {{0}})", [x.index])
            sizes = dict(zip(ins[0], x.shape))
            shape2 = [sizes.get(c, int(rng.integers(1, 4))) for c in ins[1]]
            y = self.pick((kind,), pred=lambda v: list(v.shape) == shape2) or self.new_input(shape2, kind)
            return self.apply("einsum", f"jnp.einsum({spec!r}, {{0}}, {{1}})", [x.index, y.index])
        if name in ("outer", "vdot"):
            y = self.operand((kind,), pred=lambda v: name == "outer" or v.size == x.size)
            return self.apply(name, f"jnp.{name}({{0}}, {{1}})", [x.index, y.index])
        if name == "inner":
            shape2 = [int(rng.integers(1, 4))] * int(rng.random() < 0.5) + [k]
        else:
            shape2 = [k] if rng.random() < 0.3 else [k, int(rng.integers(1, 5))]
            if name == "matmul" and len(x.shape) >= 3 and rng.random() < 0.5:
                shape2 = list(x.shape[:-2]) + shape2 if len(shape2) == 2 else shape2
        y = self.pick((kind,), pred=lambda v: list(v.shape) == shape2) or self.new_input(shape2, kind)
        if name == "matmul":
            expr = "{0} @ {1}" if rng.random() < 0.5 else "jnp.matmul({0}, {1})"
        elif name == "tensordot":
            expr = "jnp.tensordot({0}, {1}, axes=1)"
        elif name == "dot_general":
            expr = f"lax.dot_general({{0}}, {{1}}, ((({len(x.shape) - 1},), (0,)), ((), ())))"
        else:
            expr = f"jnp.{name}({{0}}, {{1}})"
        return self.apply(name, expr, [x.index, y.index])

    def op_sort(self):
        rng = self.rng
        x = self.operand((FLOAT, INT) if rng.random() < 0.3 else (FLOAT,), min_ndim=1)
        nd = len(x.shape)
        axis = int(rng.integers(-nd, nd))
        name = str(rng.choice(["sort", "argsort", "lax_sort", "searchsorted", "sort_desc"]))
        if name == "searchsorted":
            if nd != 1:
                raise Reject("1-d only")
            expr = "jnp.searchsorted(jnp.sort({0}), {1})"
            y = self.operand((x.kind,))
            args = [x.index, y.index]

            def check(a, q):
                return x.kind != FLOAT or (_distinct(a, None) and _apart(q[..., None], a[None, ...] if a.ndim else a))
            return self.apply(name, expr, args, check)
        expr = {"sort": f"jnp.sort({{0}}, axis={axis})", "argsort": f"jnp.argsort({{0}}, axis={axis})",
                "lax_sort": f"lax.sort({{0}}, dimension={axis % nd})",
                "sort_desc": f"jnp.sort({{0}}, axis={axis}, descending=True)"}[name]

        def check(a):
            return x.kind != FLOAT or _distinct(a, axis)
        return self.apply(name, expr, [x.index], check)

    def op_control(self):
        rng = self.rng
        x = self.operand((FLOAT,))
        name = str(rng.choice(["fori_loop", "scan", "cond", "while_loop", "switch", "map", "fori_dyn"]))
        body = str(rng.choice(["jnp.sin(c) * 0.9 + 0.1 * c", "c * 0.5 + 1.0", "jnp.tanh(c + 0.5)",
                               "c * c * 0.25 - 0.5"]))
        if name == "fori_loop":
            n = int(rng.integers(0, 4))
            return self.apply(name, f"lax.fori_loop(0, {n}, lambda i, c: {body}, {{0}})", [x.index])
        if name == "fori_dyn":
            n = self.pick((INT,), pred=lambda v: v.shape == ())
            if n is None:
                raise Reject("no bound")
            return self.apply(name, f"lax.fori_loop(0, jnp.clip({{1}}, 0, 3), lambda i, c: {body}, {{0}})",
                              [x.index, n.index])
        if name == "scan":
            L = int(rng.integers(0, 4))
            xs = self.pick((FLOAT,), pred=lambda v: v.shape[1:] == x.shape and len(v.shape) == len(x.shape) + 1) \
                or self.new_input([L] + list(x.shape), FLOAT)
            which = int(rng.integers(0, 2))
            rev = ", reverse=True" if rng.random() < 0.3 else ""
            return self.apply(name, f"lax.scan(lambda c, x: ({body} + x, c * x), {{0}}, {{1}}{rev})[{which}]",
                              [x.index, xs.index])
        if name == "cond":
            p = self.pick((BOOL,), pred=lambda v: v.shape == ())
            if p is None:
                q = self.pick((FLOAT,), pred=lambda v: v.shape == ())
                if q is None:
                    raise Reject("no predicate")
                return self.apply(name, f"lax.cond({{1}} > 0.25, lambda c: {body}, lambda c: c * 2.0, {{0}})",
                                  [x.index, q.index], lambda _, qv: _apart(qv, 0.25))
            return self.apply(name, f"lax.cond({{1}}, lambda c: {body}, lambda c: c * 2.0, {{0}})", [x.index, p.index])
        if name == "switch":
            i = self.pick((INT,), pred=lambda v: v.shape == ())
            if i is None:
                raise Reject("no index")
            return self.apply(name, f"lax.switch({{1}}, [lambda c: {body}, lambda c: -c, jnp.cos], {{0}})",
                              [x.index, i.index])
        if name == "map":
            if not x.shape:
                raise Reject("0-d")
            return self.apply(name, "lax.map(lambda r: jnp.sum(r * r) + 1.0, {0})", [x.index])
        # while_loop: a counter, and under derivative stacks possibly left unused (dead code).
        n = int(rng.integers(0, 4))
        expr = f"lax.while_loop(lambda c: c[0] < {n}, lambda c: (c[0] + 1, {body.replace('c', 'c[1]')}), (0, {{0}}))[1]"
        return self.apply(name, expr, [x.index], keep=bool(self.depth and rng.random() < 0.3))

    def op_random(self):
        rng = self.rng
        seed = int(rng.integers(0, 100))
        key = f"random.key({seed})" if rng.random() < 0.6 else f"random.PRNGKey({seed})"
        args = []
        if rng.random() < 0.4:
            i = self.pick((INT,), pred=lambda v: v.shape == ())
            if i is not None:
                key, args = f"random.fold_in({key}, {{0}})", [i.index]
        if rng.random() < 0.3:
            key = f"random.split({key})[{int(rng.integers(2))}]"
        shape = tuple(self.random_shape())
        dt = ", dtype=jnp.float64" if self.x64 and rng.random() < 0.5 else ""
        expr = str(rng.choice([f"random.normal({key}, {shape}{dt})", f"random.uniform({key}, {shape}{dt})",
                               f"random.randint({key}, {shape}, 0, 10)", f"random.bernoulli({key}, 0.3, {shape})",
                               f"random.exponential({key}, {shape})", f"random.gumbel({key}, {shape})",
                               f"random.permutation({key}, {max(shape[:1] or (3,))})",
                               f"random.truncated_normal({key}, -1.0, 1.0, {shape})"]))
        return self.apply("random", expr, args)

    def op_linalg(self):
        rng = self.rng
        if self.special:
            raise Reject("how NaNs spread through a factorization is not specified")
        n = int(rng.integers(1, 4 if self.small else 5))
        a = self.pick((FLOAT,), pred=lambda v: len(v.shape) >= 2 and v.shape[-1] == v.shape[-2] == n) \
            or self.new_input([n, n], FLOAT)
        spd = f"({{0}} @ jnp.swapaxes({{0}}, -1, -2) + {n}.0 * jnp.eye({n}))"
        name = str(rng.choice(["cholesky", "solve", "inv", "det", "slogdet", "eigvalsh", "norm", "solve_tri"]))
        if name == "solve":
            b = self.pick((FLOAT,), pred=lambda v: v.shape in ((n,), (n, 1), (n, 2))) or self.new_input([n], FLOAT)
            return self.apply(name, f"jnp.linalg.solve({spd}, {{1}})", [a.index, b.index])
        expr = {"cholesky": f"jnp.linalg.cholesky({spd})", "inv": f"jnp.linalg.inv({spd})",
                "det": f"jnp.linalg.det({spd})", "slogdet": f"jnp.linalg.slogdet({spd})[1]",
                "eigvalsh": f"jnp.linalg.eigvalsh({spd})", "norm": "jnp.linalg.norm({0})",
                "solve_tri": f"lax.linalg.triangular_solve(jnp.linalg.cholesky({spd}), {{0}}, left_side=True, lower=True)"}[name]
        check = None
        if name == "eigvalsh" and self.depth:
            def check(v):
                m = v @ np.swapaxes(v, -1, -2) + n * np.eye(n)
                return _distinct(np.linalg.eigvalsh(m), -1, 1e-2)
        return self.apply(name, expr, [a.index], check)

    def invalid(self, x):
        """A last op that JAX refuses (bad shapes, axes, indices, loop carries): mirax
        must refuse it too. Returns its variable, or x when the drawn op is valid."""
        rng = self.rng
        nd, shape = len(x.shape), list(x.shape)
        bad = [d + 1 for d in shape] or [2]
        expr = str(rng.choice([
            f"{{0}} + jnp.ones({tuple(d + 2 for d in shape) or (2,)!r})",
            f"jnp.reshape({{0}}, ({x.size + 1},))",
            f"{{0}}[{shape[0] if shape else 0}]",
            f"jnp.sum({{0}}, axis={nd})",
            f"jnp.transpose({{0}}, {tuple(range(nd + 1))!r})",
            f"jnp.concatenate([{{0}}, jnp.ones({tuple(bad)!r}, {{0}}.dtype)])",
            f"lax.dynamic_slice({{0}}, {(0,) * nd!r}, {tuple(bad[:nd])!r})",
            f"jnp.matmul({{0}}, jnp.ones(({(shape or [1])[-1] + 1}, 2)))",
            "lax.fori_loop(0, 2, lambda i, c: c.astype(jnp.int8), {0})",
            "lax.cond(True, lambda c: c, lambda c: c[None], {0})",
            "lax.scan(lambda c, x: (c[None], x), {0}, jnp.ones(2))[0]",
            f"jnp.broadcast_to({{0}}, {tuple(bad)!r})",
            "lax.select(jnp.ones(3, bool), {0}, {0})",
            f"lax.dot_general({{0}}, {{0}}, ((({nd},), (0,)), ((), ())))",
        ]))
        try:
            jax.eval_shape(lambda v: _eval(expr, [v]), x.aval)
        except Exception:  # noqa: BLE001 (refused, as wanted)
            var = Var(len(self.vars), jax.ShapeDtypeStruct((), x.dtype))
            self.vars.append(var)
            self.roles.append(None)
            self.checks.append(None)
            self.ops.append({"name": "invalid", "expr": expr, "args": [x.index], "shape": [], "dtype": x.dtype.name})
            return var
        return x

    def op_misc(self):
        """The rest of the surface, one template each (JAX's eval_shape filters the
        ones that do not fit the operand)."""
        rng = self.rng
        x = self.operand((FLOAT, INT, BOOL) if rng.random() < 0.3 else (FLOAT,))
        nd = len(x.shape)
        ax = int(rng.integers(-nd, nd)) if nd else 0
        n = int(rng.integers(1, 4))
        away_int = lambda a: x.kind != FLOAT or _away(a, 1.0, 1e-3)  # noqa: E731
        nonzero = lambda a: x.kind != FLOAT or bool(np.all(np.abs(a) > 1e-2))  # noqa: E731
        distinct = lambda a: x.kind != FLOAT or _distinct(a, ax)  # noqa: E731
        templates = [
            ("kron", "jnp.kron({0}, jnp.ones((2,) * {0}.ndim, {0}.dtype))", None),
            ("average", f"jnp.average({{0}}, axis={ax})", None),
            ("nansum", f"jnp.nansum({{0}}, axis={ax})", None),
            ("nanmax", f"jnp.nanmax({{0}}, axis={ax})", distinct),
            ("isclose", "jnp.isclose({0}, jnp.flip({0}))", None),
            ("isnan", "jnp.isnan({0})", None),
            ("signbit", "jnp.signbit({0})", nonzero),
            ("heaviside", "jnp.heaviside({0}, 0.5)", nonzero),
            ("sinc", "jnp.sinc({0})", None),
            ("fmod", "jnp.fmod({0}, 0.7)", lambda a: _away(np.asarray(a, np.float64) / 0.7, 1.0, 1e-3)),
            ("float_power", "jnp.float_power(jnp.abs({0}) + 0.5, 1.5)", None),
            ("divmod", f"jnp.divmod({{0}}, {n})[{int(rng.integers(2))}]", lambda a: _away(np.asarray(a) / n, 1.0, 1e-3)),
            ("fliplr", "jnp.fliplr({0})", None),
            ("vstack", "jnp.vstack([{0}, {0}])", None),
            ("hstack", "jnp.hstack([{0}, {0}])", None),
            ("dstack", "jnp.dstack([{0}, {0}])", None),
            ("column_stack", "jnp.column_stack([{0}, {0}])", None),
            ("atleast_3d", "jnp.atleast_3d({0})", None),
            ("array_split", f"jnp.array_split({{0}}, {n})[0]", None),
            ("append", f"jnp.append({{0}}, {{0}}, axis={ax})", None),
            ("argwhere", "jnp.argwhere({0} > 0, size=3, fill_value=-1)", nonzero),
            ("nonzero", "jnp.nonzero({0} > 0, size=2)[0]", nonzero),
            ("diag", "jnp.diag({0})", None),
            ("diff2", f"jnp.diff({{0}}, n=2, axis={ax})", None),
            ("round_dec", "jnp.round({0}, 1)", lambda a: _away(np.asarray(a, np.float64) * 10 + 0.5, 1.0, 1e-2)),
            ("integer_pow", f"lax.integer_pow({{0}}, {int(rng.integers(-1, 4))})", nonzero),
            ("lax_rem", "lax.rem({0}, jnp.full_like({0}, 3))", away_int),
            ("reduce_max", f"lax.reduce_max({{0}}, {tuple(range(nd))[:n]!r})", lambda a: x.kind != FLOAT or _distinct(a, None)),
            ("reduce_sum", f"lax.reduce_sum({{0}}, {tuple(range(nd))[:n]!r})", None),
            ("lax_argmax", f"lax.argmax({{0}}, {ax % max(nd, 1)}, jnp.int32)", distinct),
            ("iota", f"{{0}} + lax.broadcasted_iota({{0}}.dtype, {{0}}.shape, {ax % max(nd, 1)})", None),
            ("sort_key_val", f"lax.sort_key_val({{0}}, -{{0}}, {ax % max(nd, 1)})[1]", distinct),
            ("index_in_dim", f"lax.index_in_dim({{0}}, {n - 1}, {ax % max(nd, 1)})", None),
            ("slice_in_dim", f"lax.slice_in_dim({{0}}, 0, {n}, 1, {ax % max(nd, 1)})", None),
            ("lax_squeeze", "lax.squeeze({0}, tuple(i for i, d in enumerate({0}.shape) if d == 1))", None),
            ("erf_inv", "lax.erf_inv(jnp.tanh({0}) * 0.9)", None),
            ("is_finite", "lax.is_finite({0})", None),
            ("lax_complex", "lax.complex({0}, {0} * 0.5)", None),
            ("softmax", f"nn.softmax({{0}}, axis={ax})", None),
            ("log_softmax", f"nn.log_softmax({{0}}, axis={ax})", None),
            ("one_hot", "nn.one_hot({0}, 4)", away_int),
            ("full_like", "jnp.full_like({0}, 2.5) * {0}", None),
            ("linspace", f"{{0}} * jnp.linspace(0.0, 1.0, {n + 1})[-1]", None),
            ("arange", "{0} + jnp.arange({0}.shape[-1]) if {0}.ndim else {0}", None),
            ("tri", "jnp.tri(3, 4, 1) * jnp.sum({0})", None),
            ("lexsort", "jnp.lexsort([{0}, -{0}])", distinct),
        ]
        name, expr, check = templates[int(rng.integers(len(templates)))]
        return self.apply(name, expr, [x.index], check)

    OPS = {"op_misc": 3, "op_unary": 6, "op_binary": 8, "op_cast": 2, "op_reduce": 4, "op_cumulative": 1, "op_shape": 4,
           "op_index": 4, "op_dot": 2, "op_sort": 1, "op_control": 2, "op_random": 1, "op_linalg": 1}

    # ----- the program -------------------------------------------------------------
    def finish(self, out):
        """Make the output fit the stack: float (and real) for derivatives."""
        if self.depth:
            if out.kind == COMPLEX:
                out = self.apply("real", "jnp.real({0})", [out.index])
            elif out.kind != FLOAT:
                out = self.apply("astype", "{0}.astype(jnp.float32)", [out.index])
        return out

    def generate(self):
        rng = self.rng
        jax.config.update("jax_enable_x64", self.x64)
        self.new_input()
        n_ops = int(rng.integers(2, 10))
        names = list(self.OPS)
        p = _normalize(self.OPS.values())
        tries = 0
        while len(self.ops) < n_ops and tries < 60:
            tries += 1
            name = str(rng.choice(names, p=p))
            try:
                getattr(self, name)()
            except Reject:
                pass
        results = [v for v, r in zip(self.vars, self.roles) if r is None]
        out = results[-1] if results else self.vars[0]
        for _ in range(len(self.ops) + 1):
            cut = self.validate(out)
            if cut is out:
                break
            out = cut if cut is not None else self.vars[0]
        out = self.finish(out)
        if rng.random() < 0.06:
            out = self.invalid(out)
        diff = [i for i, s in enumerate(self.inputs) if _kind(s["dtype"]) == FLOAT]
        if self.depth or self.stack in ("jvp", "vjp"):
            diff = [i for i in diff if rng.random() < 0.7] or diff[:1]
        else:
            diff = []
        # Number the variables as the program does: the inputs first, then the ops.
        n_in, renumber, k = len(self.inputs), {}, 0
        for v, role in enumerate(self.roles):
            if role is None:
                renumber[v], k = n_in + k, k + 1
            else:
                renumber[v] = role
        for op in self.ops:
            op["args"] = [renumber[a] for a in op["args"]]
        return {
            "seed": self.seed, "index": self.index, "x64": self.x64, "stack": str(self.stack),
            "batch": self.batch, "inputs": self.inputs, "ops": self.ops, "out": renumber[out.index], "diff": diff,
            "out_aval": [list(out.shape), out.dtype.name],
        }


def _passes(check, values):
    """Whether the op's arguments pass its check (one that cannot decide fails)."""
    try:
        return check is None or bool(check(*values))
    except Exception:  # noqa: BLE001
        return False


def _eval(expr, args):
    return eval(expr.format(*(f"_a{i}" for i in range(len(args)))), dict(NAMESPACE),  # noqa: S307
                {f"_a{i}": v for i, v in enumerate(args)})


def _normalize(weights):
    w = np.asarray(list(weights), dtype=float)
    return w / w.sum()


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _factor(n, rng):
    """A random shape with n elements (at most 3 dims)."""
    if n == 0:
        return [0, int(rng.integers(1, 3))] if rng.random() < 0.5 else [0]
    dims = []
    while n > 1 and len(dims) < 2:
        divs = [d for d in range(2, n + 1) if n % d == 0]
        d = int(rng.choice(divs))
        dims.append(d)
        n //= d
    dims.append(n)
    if rng.random() < 0.3:
        dims.insert(int(rng.integers(len(dims) + 1)), 1)
    return [int(d) for d in rng.permutation(dims)]


def _np_index(text, arrays):
    """The index `text` (jnp.array literals and {1}... for `arrays`) as a NumPy index."""
    return eval("np.index_exp[" + text.format(None, *(f"_i{k}" for k in range(len(arrays)))) + "]",  # noqa: S307
                {"np": np, "jnp": _NpArray}, {f"_i{k}": np.asarray(a) for k, a in enumerate(arrays)})


class _NpArray:
    """`jnp` for the NumPy evaluation of an index: jnp.array(...) is np.asarray(...)."""
    array = staticmethod(np.asarray)


def _index_shape(shape, text, index_shapes):
    arrays = [np.zeros(s, int) for s in index_shapes]  # only the shape matters
    return np.empty(shape)[_np_index(text, arrays)].shape


def generate(seed, index):
    return Generator(seed, index).generate()
