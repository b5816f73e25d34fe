"""A traced function as JAX's jaxpr (make_jaxpr's ClosedJaxpr: `.jaxpr`, `.eqns`,
`.consts`, `.in_avals`, `.out_avals`), mirax op names standing in for JAX's primitives,
printed in JAX's notation: `{ lambda ; a:f32[]. let b:f32[] = exp a in (b,) }`."""
from typing import NamedTuple

import numpy as np

from mirax import runtime
from mirax.core import ShapedArray
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


def _param(value):
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ") if value.size <= 8 else f"<{value.dtype.name}{list(value.shape)}>"
    return repr(value)


class Primitive:
    """What an equation applies: the mirax op, named as JAX's primitive where they correspond."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class Var:
    """A variable of a jaxpr, of type `aval`."""

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Var(id={id(self)}):{self.aval.str_short()}"


class Literal:
    """A scalar constant written into the equation that uses it."""

    def __init__(self, val, aval):
        self.val, self.aval = val, aval

    def __repr__(self):
        return f"Literal({self.val!r})"


class _Callee(str):
    """A called function's name, printed bare as JAX prints it."""

    def __repr__(self):
        return str(self)


class JaxprEqn(NamedTuple):
    invars: list
    outvars: list
    primitive: Primitive
    params: dict

    def __str__(self):
        return _eqn_line(self, _Namer())


class Jaxpr:
    """A program as JAX's jaxpr: its constvars, invars, equations and outvars."""

    def __init__(self, constvars, invars, eqns, outvars):
        self.constvars, self.invars, self.eqns, self.outvars = constvars, invars, eqns, outvars
        self.effects = set()

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        names = _Namer()
        consts = " ".join(names.define(v) for v in self.constvars)
        inputs = " ".join(names.define(v) for v in self.invars)
        lines = [_eqn_line(eqn, names) for eqn in self.eqns]
        outs = ", ".join(map(names.use, self.outvars)) + ("," if len(self.outvars) == 1 else "")
        head = f"{{ lambda {consts}; {inputs}. let"
        one_line = f"{head} {'; '.join(lines)} in ({outs}) }}"
        if len(one_line) <= 80:
            return one_line
        body = "".join(f"\n    {line}" for line in lines)
        return f"{head}{body}\n  in ({outs}) }}"

    __repr__ = __str__

    def pretty_print(self):
        return str(self)


class ClosedJaxpr:
    """The program of a finished Trace as JAX's ClosedJaxpr (what make_jaxpr returns): a
    Jaxpr with the values of its constvars (the closed-over arrays). Its transformed
    functions are derived (differentiated, batched), every call with a body inlined, and
    the program simplified, as JAX shows a transformed function."""

    def __init__(self, trace):
        module = runtime.copy(trace.module)
        with context():
            MiraxDerive()(module.operation)
            inline_calls(module.operation, functions(module.operation)["main"])
            MiraxSimplify()(module.operation)
            self.jaxpr = _jaxpr(functions(module.operation)["main"], trace)
        self.consts = list(trace.constvars)
        self.in_avals = [ShapedArray(*x.aval) for x in trace.invars]
        self.out_avals = [ShapedArray(*a) for a in trace.out_avals]

    @property
    def literals(self):
        return self.consts

    @property
    def eqns(self):
        return self.jaxpr.eqns

    @property
    def effects(self):
        return self.jaxpr.effects

    def __str__(self):
        return str(self.jaxpr)

    __repr__ = __str__

    def pretty_print(self):
        return str(self)


def _jaxpr(func_op, trace):
    """The Jaxpr of `func_op`, the main function of `trace`'s program."""
    block = func_op.regions[0].blocks[0]
    args = list(block.arguments)
    num_inputs = len(args) - len(trace.constvars)
    invars = [Var(ShapedArray(*x.aval)) for x in trace.invars]
    constvars = [Var(_aval(arg)) for arg in args[num_inputs:]]
    variables = dict(zip(args, invars + constvars, strict=True))
    eqns, outvars = [], []
    for op in block.operations:
        name = op.operation.name
        if name == "func.return":
            outvars = [variables[v] for v in op.operation.operands]
        elif name == "mirax.constant" and not shaped_type(op.results[0].type).shape:
            variables[op.results[0]] = Literal(params_of(op)["value"].item(), _aval(op.results[0]))
        else:
            outs = [Var(_aval(r)) for r in op.results]
            variables.update(zip(op.results, outs))
            if name == "func.call":
                primitive, params = Primitive("pjit"), {"name": _Callee(op.attributes["callee"].value)}
            else:
                primitive, params = Primitive(name.split(".", 1)[1]), params_of(op)
            eqns.append(JaxprEqn([variables[v] for v in op.operation.operands], outs, primitive, params))
    # The program's types carry no weak types: the trace's are the inputs' and outputs'.
    inputs = {id(v) for v in invars + constvars}
    for var, aval in zip(outvars, trace.out_avals, strict=True):
        if id(var) not in inputs:
            var.aval = ShapedArray(*aval)
    return Jaxpr(constvars, invars, eqns, outvars)


def _aval(value):
    t = shaped_type(value.type)
    return ShapedArray(tuple(t.shape), t.dtype)


class _Namer:
    """Names variables a, b, ... in the order they are first seen, as JAX's printer."""

    def __init__(self):
        self._names, self._next = {}, _names()

    def define(self, var):
        return f"{self.use(var)}:{var.aval.str_short(short_dtypes=True)}"

    def use(self, var):
        if isinstance(var, Literal):
            return f"{var.val!r}:{var.aval.str_short(short_dtypes=True)}"
        if var not in self._names:
            self._names[var] = next(self._next)
        return self._names[var]


def _eqn_line(eqn, names):
    results = " ".join(map(names.define, eqn.outvars))
    operands = " ".join(map(names.use, eqn.invars))
    params = " ".join(f"{k}={_param(v)}" for k, v in eqn.params.items())
    return f"{results} = {eqn.primitive.name}{f'[{params}]' if params else ''} {operands}".rstrip()
