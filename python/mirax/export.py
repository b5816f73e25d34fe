"""jax.export: a jit-compiled function exported for argument types. An Exported holds
the program (its mirax-dialect module) with the values it closes over, calls it (eagerly,
or as a call inside jit, grad or vmap, whose passes read its body as any function's), and
serializes to bytes (JSON: the module's text, the constants, the argument and result
types and pytree structures of tuples, lists, dicts and None) that deserialize, in this
process or another, into an Exported calling the same program. mirax exports for the CPU;
programs calling back into Python (pure_callback, debug.print) cannot be serialized."""
import base64
import hashlib
import json

import numpy as np

from mirax import dtypes, runtime
from mirax.core import Array, Ref, ShapedArray, Tracer, current_trace, to_array
from mirax.mlir import ir
from mirax.mlir_context import context
from mirax.stages import Wrapped, equality_errors
from mirax.tree_util import keystr, tree_flatten, tree_flatten_with_path, tree_structure, tree_unflatten

__all__ = ["Exported", "default_export_platform", "deserialize", "export"]

_FORMAT = "mirax.export/1"


class _Program:
    """An exported module as a finished trace, for Trace.call to import: its module,
    the symbol its main takes, its closed-over values and its result types."""

    def __init__(self, text, constvars, out_avals):
        with context():
            self.module = ir.Module.parse(text)
        self.text, self.constvars, self.out_avals = text, constvars, out_avals
        self.symbol = f"exported_{hashlib.sha1(text.encode()).hexdigest()[:10]}"


class Exported:
    """A function exported for argument types (`in_avals`, of structure `in_tree`)."""

    platforms = ("cpu",)
    nr_devices = 1
    ordered_effects = unordered_effects = disabled_safety_checks = ()

    def __init__(self, fun_name, in_tree, in_avals, out_tree, out_avals, text, constants):
        self.fun_name, self.in_tree, self.in_avals = fun_name, in_tree, tuple(in_avals)
        self.out_tree, self.out_avals = out_tree, tuple(out_avals)
        self._program = _Program(text, [to_array(c) for c in constants], list(self.out_avals))

    def __repr__(self):
        return (f"Exported(fun_name={self.fun_name!r}, in_tree={self.in_tree}, in_avals={self.in_avals}, "
                f"out_tree={self.out_tree}, out_avals={self.out_avals}, platforms={self.platforms})")

    def mlir_module(self):
        """The program's module, in the mirax dialect."""
        return self._program.text

    def has_vjp(self):
        return False  # mirax differentiates the program itself (a call inside grad), not a serialized VJP

    def vjp(self):
        raise NotImplementedError("mirax's Exported has no serialized VJP: grad differentiates the program itself")

    def call(self, *args, **kwargs):
        """The program run on (args, kwargs), of the exported types; inside a transformation, a call of it."""
        leaves, in_tree = tree_flatten((args, kwargs))
        if in_tree != self.in_tree:
            zeros = lambda tree: tree_unflatten(tree, [0] * tree.num_leaves)  # noqa: E731 (leaves, as JAX's)
            raise ValueError(
                f"The invocation args and kwargs must have the same pytree structure as when the function "
                f"'{self.fun_name}' was exported, but they have the following structural differences:\n" + "\n".join(
                    f"   - {_arg_str(path)} is a {given} in the invocation and a {expected} when exported, so "
                    f"{why}.\n" for path, given, expected, why in equality_errors(zeros(in_tree), zeros(self.in_tree))))
        arrays = [x if isinstance(x, Tracer) else to_array(x) for x in leaves]
        paths = [path for path, _ in tree_flatten_with_path((args, kwargs))[0]]
        for path, x, aval in zip(paths, arrays, self.in_avals, strict=True):
            have, want = tuple(x.aval.shape), tuple(aval.shape)
            if len(have) != len(want):
                raise ValueError(f"Rank mismatch for {_arg_str(path)}: expected {want} and called with {have}")
            if x.aval.dtype != aval.dtype:
                raise ValueError(f"Dtype mismatch for {_arg_str(path)}: expected {aval.dtype} and called with "
                                 f"{x.aval.dtype}")
            for d, (n, m) in enumerate(zip(want, have, strict=True)):
                if n != m:
                    raise ValueError(f"Shape mismatch for {_arg_str(path)}.shape[{d}] (expected same constant): "
                                     f"expected {want} and called with {have}")
        trace = current_trace()
        if trace is not None:
            outs = trace.call(self._program, arrays)
        else:
            program = self._program
            executable = runtime.compile(program.module, program.text, "main", len(arrays) + len(program.constvars),
                                         program.out_avals, "cpu")
            outs = [Array(o, a.weak_type) for o, a in zip(executable(arrays + program.constvars), self.out_avals,
                                                          strict=True)]
        return tree_unflatten(self.out_tree, outs)

    def serialize(self, vjp_order=0):
        """The Exported as bytes, for deserialize."""
        if vjp_order:
            raise NotImplementedError("mirax's Exported.serialize does not serialize VJPs: vjp_order must be 0")
        if "mirax.callback" in self._program.text or "mirax.host_callback" in self._program.text:
            raise ValueError(f"Cannot serialize the exported function '{self.fun_name}': it calls back into Python "
                             f"(pure_callback, io_callback or debug.print), which another process cannot")
        return bytearray(json.dumps({
            "format": _FORMAT, "fun_name": self.fun_name, "text": self._program.text,
            "in_tree": _encode_tree(self.in_tree), "out_tree": _encode_tree(self.out_tree),
            "in_avals": [_encode_aval(a) for a in self.in_avals], "out_avals": [_encode_aval(a) for a in self.out_avals],
            "constants": [_encode_array(np.asarray(c)) for c in self._program.constvars],
        }).encode())


def default_export_platform():
    """The platform export lowers for: the CPU."""
    return "cpu"


def export(fun_jit, *, platforms=None, disabled_checks=()):
    """A function of argument types (arrays, or ShapeDtypeStructs standing for them; static
    arguments as jit's) returning `fun_jit` exported for them, as jax.export.export."""
    if not isinstance(fun_jit, Wrapped):
        raise ValueError(f"Function to be exported must be the result of `jit` but is: {fun_jit}")
    if platforms is not None and tuple(platforms) != ("cpu",):
        raise NotImplementedError(f"mirax exports for the CPU only: got platforms={platforms!r}")
    if disabled_checks:
        raise NotImplementedError("mirax's export has no safety checks to disable")

    def do_export(*args, **kwargs):
        traced = fun_jit.trace(*args, **kwargs)
        program = traced._traced.trace
        if any(isinstance(c, Tracer) for c in program.constvars):
            raise NotImplementedError(f"mirax cannot export {traced.fun_name}: it closes over traced values")
        if program.ref_writes or any(isinstance(c, Ref) for c in program.constvars):
            raise ValueError(f"mirax cannot export {traced.fun_name}: it reads or writes a Ref, which an exported "
                             f"program cannot hold (JAX raises a ValueError too)")
        return Exported(traced.fun_name, traced.in_tree, [ShapedArray(*x.aval) for x in program.invars], traced.out_tree,
                        [ShapedArray(*a) for a in program.out_avals], program.text, program.constvars)

    return do_export


def deserialize(blob):
    """The Exported that Exported.serialize gave these bytes for."""
    data = json.loads(bytes(blob).decode())
    if data.get("format") != _FORMAT:
        raise ValueError(f"not a serialized mirax Exported (format {data.get('format')!r}, expected {_FORMAT!r})")
    return Exported(data["fun_name"], _decode_tree(data["in_tree"]), [_decode_aval(a) for a in data["in_avals"]],
                    _decode_tree(data["out_tree"]), [_decode_aval(a) for a in data["out_avals"]], data["text"],
                    [_decode_array(c) for c in data["constants"]])


# ----------------------------------------------------------------------------- serialization


class _Leaf:
    pass


_LEAF = _Leaf()


def _encode_tree(tree):
    """A pytree structure as JSON: "*" for a leaf, [kind, children] for tuples, lists and
    None, ["dict", keys, children] for dicts of string or integer keys."""
    def encode(node):
        if node is _LEAF:
            return "*"
        if node is None:
            return ["None", []]
        if type(node) in (tuple, list):
            return [type(node).__name__, [encode(c) for c in node]]
        if type(node) is dict and all(type(k) in (str, int) for k in node):
            return ["dict", list(node), [encode(c) for c in node.values()]]
        raise ValueError(f"Cannot serialize a pytree node of type {type(node)}: mirax serializes tuples, lists, "
                         f"None and dicts with string or integer keys")
    return encode(tree_unflatten(tree, [_LEAF] * tree.num_leaves))


def _decode_tree(encoded):
    def decode(node):
        if node == "*":
            return _LEAF
        kind, *rest = node
        if kind == "None":
            return None
        if kind == "dict":
            return dict(zip(rest[0], map(decode, rest[1]), strict=True))
        return {"tuple": tuple, "list": list}[kind](map(decode, rest[0]))
    return tree_structure(decode(encoded), is_leaf=lambda x: x is _LEAF)


def _encode_aval(aval):
    return [list(aval.shape), aval.dtype.name, bool(aval.weak_type)]


def _decode_aval(encoded):
    shape, dtype, weak_type = encoded
    return ShapedArray(tuple(shape), _dtype(dtype), weak_type)


def _encode_array(x):
    return [list(x.shape), x.dtype.name, base64.b64encode(np.ascontiguousarray(x).tobytes()).decode()]


def _decode_array(encoded):
    shape, dtype, data = encoded
    return np.frombuffer(base64.b64decode(data), _dtype(dtype)).reshape(shape).copy()


def _dtype(name):
    return np.dtype(dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def _arg_str(path):
    """An argument's key path in (args, kwargs), as JAX's export errors print it."""
    return ("args", "kwargs")[path[0].idx] + keystr(path[1:])