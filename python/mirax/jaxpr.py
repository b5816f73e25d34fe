"""Printing a traced function in JAX's jaxpr notation, mirax op names standing in
for JAX's primitives: `{ lambda ; a:f32[]. let b:f32[] = exp a in (b,) }`."""
import numpy as np

from mirax import dtypes, runtime
from mirax.mlir_context import context
from mirax.dialect import params_of, shaped_type
from mirax.dialect.ir_util import functions, inline_calls
from mirax.passes import MiraxDerive, MiraxSimplify


def _names():
    """a, b, ..., z, ba, bb, ... as JAX names variables."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while True:
        name, k = "", n
        while True:
            name = letters[k % 26] + name
            k //= 26
            if k == 0:
                break
        n += 1
        yield name


def _type(value):
    t = shaped_type(value.type)
    return f"{dtypes.short_name(t.dtype)}[{','.join(map(str, t.shape))}]"


def _param(value):
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ") if value.size <= 8 else f"<{value.dtype.name}{list(value.shape)}>"
    return repr(value)


class Jaxpr:
    """The program of a finished Trace, printable as a jaxpr: with its transformed
    functions derived (differentiated, batched), every call with a body inlined, and
    simplified, as JAX shows a transformed function."""

    def __init__(self, trace):
        self.trace = trace
        self.in_avals = [x.aval for x in trace.invars]
        self.out_avals = trace.out_avals
        self._module = runtime.copy(trace.module)
        with context():
            MiraxDerive()(self._module.operation)
            inline_calls(self._module.operation, functions(self._module.operation)["main"])
            MiraxSimplify()(self._module.operation)
            self._main = functions(self._module.operation)["main"]

    def __str__(self):
        return _print_func(self._main, len(self.trace.constvars), "")

    __repr__ = __str__

    def pretty_print(self):
        return str(self)


def _print_func(func_op, num_consts, indent):
    names = _names()
    env = {}

    def define(value):
        env[value] = next(names)
        return f"{env[value]}:{_type(value)}"

    def use(value):
        return env[value]

    block = func_op.regions[0].blocks[0]
    args = list(block.arguments)
    num_inputs = len(args) - num_consts
    consts = " ".join(define(a) for a in args[num_inputs:])
    inputs = " ".join(define(a) for a in args[:num_inputs])
    lines = []
    outputs = []
    for op in block.operations:
        name = op.operation.name
        if name == "func.return":
            outputs = [use(v) for v in op.operation.operands]
            continue
        if name == "mirax.constant" and not shaped_type(op.results[0].type).shape:
            value = params_of(op)["value"]
            env[op.results[0]] = f"{value.item()!r}:{_type(op.results[0])}"
            continue
        results = " ".join(define(r) for r in op.results)
        operands = " ".join(use(v) for v in op.operation.operands)
        if name == "func.call":
            callee = op.attributes["callee"].value
            params = f"[name={callee}]"
            name = "pjit"
        else:
            name = name.split(".", 1)[1]
            params = " ".join(f"{k}={_param(v)}" for k, v in params_of(op).items())
            params = f"[{params}]" if params else ""
        lines.append(f"{results} = {name}{params} {operands}".rstrip())
    outs = ", ".join(outputs) + ("," if len(outputs) == 1 else "")
    head = f"{{ lambda {consts}; {inputs}. let"
    one_line = f"{head} {'; '.join(lines)} in ({outs}) }}" if lines else f"{head} in ({outs}) }}"
    if len(indent) + len(one_line) <= 80:
        return one_line
    body = "".join(f"\n{indent}    {line}" for line in lines)
    return f"{head}{body}\n{indent}  in ({outs}) }}"
