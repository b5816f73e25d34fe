"""jax.stages: a jit-compiled function's ahead-of-time stages, as JAX's AOT API.

`jit(f).trace(*args)` is a Traced (the program as a jaxpr), `.lower()` a Lowered (the
program printable at each stage of its lowering), `.compile()` a Compiled: the
executable, called with the arguments' non-static part and refusing, with JAX's
TypeError, arguments of another pytree structure, shape or dtype, or tracers. Each
stage has the arguments' `args_info`, `in_tree`, `in_avals`, and the results'
`out_tree` and `out_info`. Arguments to trace or lower may be anything with a shape and
dtype (a ShapeDtypeStruct). mirax's compiler gives no cost or memory analysis: as JAX
where its compiler has none, `cost_analysis()` and `memory_analysis()` return None.
"""
import dataclasses
import re
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from mirax import runtime
from mirax.callback import ShapeDtypeStruct
from mirax.core import Aval, ShapedArray, Tracer, to_array
from mirax.dtypes import canonicalize_dtype
from mirax.jaxpr import ClosedJaxpr
from mirax.mlir_context import context
from mirax.passes.gpu_pipeline import STAGES as GPU_STAGES, lower_to_gpu_stage
from mirax.passes.pipelines import lower_to_linalg, lower_to_llvm
from mirax.tree_util import (flatten_one_level, flatten_one_level_with_keys, keystr, tree_flatten,
                             tree_flatten_with_path, tree_map, tree_structure, tree_unflatten)

__all__ = ["ArgInfo", "Compiled", "CompilerOptions", "Lowered", "Traced", "Wrapped"]

CompilerOptions = dict[str, str | bool]

# The stages of a program's lowering that Lowered.as_text prints, for each backend.
STAGES = {"cpu": ("mirax", "linalg", "llvm"), "gpu": ("mirax", "linalg", *GPU_STAGES)}


@dataclasses.dataclass(frozen=True, slots=True)
class ArgInfo:
    """An argument's abstract value and whether it is donated (never, in mirax)."""
    _aval: Any
    donated: bool

    @property
    def shape(self):
        return self._aval.shape

    @property
    def dtype(self):
        return self._aval.dtype


class Abstract(NamedTuple):
    """An argument of trace or lower known by its type only (from a ShapeDtypeStruct)."""
    aval: Aval


def abstract_or_array(leaf):
    """An argument leaf of trace or lower: anything with a shape and dtype but an array
    stands for an argument of that type (its dtype canonicalized), as in JAX."""
    if not isinstance(leaf, (np.ndarray, np.generic)) and hasattr(leaf, "shape") and hasattr(leaf, "dtype") \
            and not hasattr(leaf, "aval"):
        return Abstract(Aval(tuple(leaf.shape), canonicalize_dtype(leaf.dtype), bool(getattr(leaf, "weak_type", 0))))
    return to_array(leaf)


_FLAT_INDEX = re.compile(r"<flat index ([^>]+)>")


def arg_names(signature, args, kwargs, static_argnums, static_argnames):
    """The names of the non-static argument leaves, as JAX's error messages name them:
    by the parameter they bind (positional ones first, then keywords sorted) and the
    leaf's key path, or args[i] / kwargs['k'] where the call does not fit the signature."""
    static = object()
    n = len(args)
    args = [static if i in {j % n for j in static_argnums if -n <= j < n} else x for i, x in enumerate(args)]
    kwargs = {k: static if k in static_argnames else x for k, x in kwargs.items()}
    try:
        bound = signature.bind(*args, **kwargs)
    except (AttributeError, TypeError, ValueError):  # no signature, or the call does not fit it
        ordered = [("args", args)] + sorted((f"kwargs['{k}']", x) for k, x in kwargs.items() if x is not static)
    else:
        var_keyword = next((p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        ordered = [(name, x) for name, x in bound.arguments.items() if name not in kwargs and name != var_keyword]
        ordered += [(k if k in bound.arguments else f"{var_keyword}['{k}']", x) for k, x in sorted(kwargs.items())]
    return [name + _FLAT_INDEX.sub(r"\1", keystr(path))
            for name, x in ordered for path, leaf in tree_flatten_with_path(x)[0] if leaf is not static]


class Stage:
    """What every stage knows of its arguments."""

    args_info: Any  # a pytree of ArgInfo: (positional arguments, keyword arguments), static ones left out

    @property
    def in_tree(self):
        """The structure of the pair (positional arguments, keyword arguments)."""
        return tree_structure(self.args_info)

    @property
    def in_avals(self):
        return tree_map(lambda info: info._aval, self.args_info)

    @property
    def donate_argnums(self):
        return ()


class _Program(Stage):
    """A stage of a traced program: `traced` (an api.TracedFunction), with the names of
    its argument leaves, of function `fun_name`, for `backend`."""

    def __init__(self, traced, names, fun_name, backend):
        self._traced, self._names, self.fun_name, self._backend = traced, names, fun_name, backend
        self._in_avals = [x.aval for x in traced.trace.invars]
        self.args_info = tree_unflatten(traced.in_tree, [ArgInfo(ShapedArray(*a), False) for a in self._in_avals])
        self.out_tree = traced.out_tree

    def _out_info(self, weak_type):
        return tree_unflatten(self.out_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=weak_type and a.weak_type)
                                              for a in self._traced.trace.out_avals])

    @property
    def out_info(self):
        return self._out_info(weak_type=False)

    def _flat_args(self, args, kwargs):
        """The array leaves of (args, kwargs), or JAX's TypeError where they differ from
        the traced program's arguments in structure, shape or dtype, or are tracers."""
        leaves, in_tree = tree_flatten((args, kwargs))
        if in_tree != self.in_tree:
            errors = list(_equality_errors(in_tree, self.in_tree))
            raise TypeError("\n".join(
                [f"Function compiled with input pytree does not match the input pytree it was called with. There "
                 f"are {len(errors)} mismatches, including:"]
                + [f"    * at {['args', 'kwargs'][path[0].idx]}{keystr(path[1:])}, seen {expected} but now given "
                   f"{given}, so {why}" for path, given, expected, why in errors]))
        for leaf in leaves:
            if isinstance(leaf, Tracer):
                raise TypeError(f"Cannot apply JAX transformations to a function lowered and compiled for a "
                                f"particular signature. Detected argument of Tracer type {type(leaf)}.")
        arrays = [to_array(x) for x in leaves]
        errors = [f"Argument '{name}' compiled with {ShapedArray(*want).str_short()} and called with "
                  f"{ShapedArray(*x.aval).str_short()}"
                  for name, want, x in zip(self._names, self._in_avals, arrays, strict=True)
                  if (want.shape, want.dtype) != (x.aval.shape, x.aval.dtype)]
        if errors:
            count = f"The first 5 of {len(errors)}" if len(errors) >= 5 else "The"
            raise TypeError("Argument types differ from the types for which this computation was compiled. Perhaps "
                            "you are calling the compiled executable with a different enable_x64 mode than when it "
                            f"was AOT compiled? {count} mismatches are:\n" + "\n".join(errors[:5]))
        return arrays

    def _call(self, args, kwargs):
        return tree_unflatten(self.out_tree, self._traced.call_flat(self._flat_args(args, kwargs)))

    def _ir(self, stage):
        """The program at `stage` of its lowering: an MLIR module, or the GPU's PTX (a string)."""
        stages = STAGES[self._backend]
        if stage not in stages:
            raise ValueError(f"unknown stage {stage!r} for the {self._backend} backend; "
                             f"stages are {', '.join(stages)}")
        module = runtime.copy(self._traced.trace.module)
        if stage == "mirax":
            return module
        with context():
            lower_to_linalg(module)
            if stage == "linalg":
                return module
            if self._backend == "cpu":
                lower_to_llvm(module)
                return module
            ptx = lower_to_gpu_stage(module, stage)
            return ptx if stage == "ptx" else module


class Traced(_Program):
    """A function traced for some argument types: its jaxpr, ready to lower."""

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    @property
    def jaxpr(self):
        return ClosedJaxpr(self._traced.trace)

    @property
    def out_info(self):
        return self._out_info(weak_type=True)

    @property
    def out_avals(self):
        return tree_unflatten(self.out_tree, [ShapedArray(*a) for a in self._traced.trace.out_avals])

    def lower(self, *, lowering_platforms=None):
        if lowering_platforms is not None:
            raise NotImplementedError("mirax's Traced.lower does not support lowering_platforms: it lowers for "
                                      "jit's backend")
        return Lowered(self._traced, self._names, self.fun_name, self._backend)


class Lowered(_Program):
    """A traced program, printable at each stage of its lowering for its backend. Every
    stage can be printed without the backend's device: the GPU's PTX on any machine."""

    def as_text(self, dialect="mirax", *, debug_info=False):
        if debug_info:
            raise NotImplementedError("mirax's Lowered.as_text does not support debug_info=True")
        return str(self._ir(dialect))

    def compiler_ir(self, dialect="mirax"):
        """The program at stage `dialect` of its lowering: an MLIR module, or the GPU's PTX (a string)."""
        return self._ir(dialect)

    def cost_analysis(self):
        return None

    def compile(self, compiler_options=None, *, device_assignment=None):
        """The program compiled now, once: calling the Compiled runs this executable."""
        if compiler_options:
            raise NotImplementedError(f"mirax's Lowered.compile does not support compiler_options (XLA's): got "
                                      f"{compiler_options!r}")
        if device_assignment is not None:
            raise NotImplementedError("mirax's Lowered.compile does not support device_assignment")
        self._traced.executable()
        return Compiled(self._traced, self._names, self.fun_name, self._backend)


class Compiled(_Program):
    """A compiled program, called with the arguments it was lowered for (static ones left out)."""

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def as_text(self):
        """The last stage of the program's lowering, that the executable is made of."""
        return str(self._ir(STAGES[self._backend][-1]))

    def cost_analysis(self):
        return None

    def memory_analysis(self):
        return None


@runtime_checkable
class Wrapped(Protocol):
    """A function ready to be traced, lowered and compiled (what jit returns)."""

    def __call__(self, *args, **kwargs): ...

    def trace(self, *args, **kwargs) -> Traced: ...

    def lower(self, *args, **kwargs) -> Lowered: ...


class _LeafType(type):
    def __repr__(cls):
        return "pytree leaf"


_LEAF = _LeafType("Leaf", (), {})()  # a leaf whose type prints as "pytree leaf"


def _equality_errors(given_tree, expected_tree):
    """equality_errors of two pytree structures, their leaves printed as "pytree leaf"."""
    return equality_errors(tree_unflatten(given_tree, [_LEAF] * given_tree.num_leaves),
                           tree_unflatten(expected_tree, [_LEAF] * expected_tree.num_leaves))


def _is_leaf(x):
    structure = tree_structure(x)
    return structure.num_nodes == 1 and structure.num_leaves == 1


def equality_errors(t1, t2, path=()):
    """(key path, what t1 has, what t2 has, why they differ) where the structures of
    pytrees t1 and t2 differ, as JAX's tree_util.equality_errors describes them."""
    if _is_leaf(t1) and _is_leaf(t2):
        return
    if type(t1) is not type(t2):
        yield path, str(type(t1)), str(type(t2)), "their Python types differ"
        return
    if isinstance(t1, (list, tuple)) and len(t1) != len(t2):
        name = type(t1).__name__
        yield path, f"{name} of length {len(t1)}", f"{name} of length {len(t2)}", "the lengths do not match"
        return
    (c1, meta1), (c2, meta2) = flatten_one_level(t1), flatten_one_level(t2)
    c1, c2 = tuple(c1), tuple(c2)
    keys1 = [k for k, _ in flatten_one_level_with_keys(t1)[0]]
    keys2 = [k for k, _ in flatten_one_level_with_keys(t2)[0]]
    if len(c1) != len(c2):
        try:
            diff = " ".join(repr(k.key) for k in set(keys1).symmetric_difference(keys2))
        except (TypeError, AttributeError):
            diff = ""
        children = lambda n: f"child{'ren' if n > 1 else ''}"  # noqa: E731 (as JAX: "0 child")
        yield (path, f"{type(t1)} with {len(c1)} {children(len(c1))}", f"{type(t2)} with {len(c2)} "
               f"{children(len(c2))}", "the numbers of children do not match"
               + (diff and f", with the symmetric difference of key sets: {{{diff}}}"))
        return
    if meta1 != meta2:
        yield (path, f"{type(t1)} with pytree metadata {meta1}", f"{type(t2)} with pytree metadata {meta2}",
               "the pytree node metadata does not match")
        return
    for key, s1, s2 in zip(keys1, c1, c2, strict=True):
        yield from equality_errors(s1, s2, (*path, key))
