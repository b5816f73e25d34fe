"""Control flow: while_loop, fori_loop, cond and switch, as jax.lax's.

The condition and the body of a loop, or the branches of a cond, are traced once into
functions of their own, and the construct is a call of a declared function naming
them (dialect/transformations.py: `mirax.while_cond`/`mirax.while_body`,
`mirax.cond_branches`), which mirax-to-linalg gives an scf.while or scf.if body. The
passes transform these calls: mirax-vmap batches a loop (a batched condition keeps
looping until every lane is done, finished lanes keeping their values) and a cond (a
batched index selects among every branch's results); mirax-jvp differentiates both,
and a cond's tangent part transposes into a cond of its branches' VJPs.

Under mirax.disable_jit(), as in JAX, a scan and a while loop run as Python loops and a
cond or switch with a known index calls its branch (a while loop whose condition is not
known, under vmap, falls back to the construct)."""
import numpy as np

from mirax import dtypes
from mirax.config import config
from mirax.api import arguments_to_arrays, forward
from mirax.core import Aval, Trace, Tracer, current_trace, to_array, with_source, zeros
from mirax.custom_derivatives import custom_jvp
from mirax.dialect import tensor_type
from mirax.dialect.ir_util import declare, define
from mirax.dialect.transformations import COND_BRANCHES, WHILE_BODY, WHILE_COND, branch_list, scan_attributes
from mirax.errors import ConcretizationTypeError
from mirax.mlir import func, ir
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten

from ._elementwise import add, clamp, convert_element_type, lt, ne
from ._shape import concatenate, expand_dims, index_in_dim

__all__ = ["cond", "custom_root", "fori_loop", "map", "scan", "switch", "while_loop"]


def _trace(fun, tree, avals, name):
    with Trace(avals, name) as trace:
        out = fun(tree_unflatten(tree, trace.invars))
    leaves, out_tree = tree_flatten(out)
    trace.finish([to_array(x) for x in leaves])
    return trace, out_tree


def _run_now(construct, operands, name):
    """construct(operands) outside any trace: traced into a program of its own (the
    construct's call), compiled and run, as any program is."""
    leaves, tree = tree_flatten(operands)
    leaves = arguments_to_arrays(name, leaves)
    trace, out_tree = _trace(construct, tree, [x.aval for x in leaves], name)
    return tree_unflatten(out_tree, trace.run(leaves))


def _types(avals):
    return [a.str_short() for a in avals]


def _jit_disabled():
    return config.read("jax_disable_jit")


def _known(x):
    return not isinstance(x, Tracer) or x.concrete is not None


def _promote_weak_typed_inputs(leaves, avals, out_avals):
    """The loop's initial values as JAX's `_promote_weak_typed_input` makes them: a
    weakly typed one whose dtype or shape the body changes is converted to the promoted
    dtype (strongly typed), and the body is traced again at the new types; the others
    unchanged. Also says whether any changed."""
    if len(out_avals) != len(avals):
        return leaves, False
    promoted = [convert_element_type(x, dtypes.result_type(x, b))
                if a.weak_type and (a.shape, a.dtype) != (b.shape, b.dtype) else x
                for x, a, b in zip(leaves, avals, out_avals, strict=True)]
    return promoted, any(p is not x for p, x in zip(promoted, leaves, strict=True))


def _avals(leaves):
    return [Aval(x.aval.shape, x.aval.dtype, x.aval.weak_type) for x in leaves]


def while_loop(cond_fun, body_fun, init_val):
    """body_fun applied to init_val while cond_fun of it is true, as jax.lax.while_loop:
    the carry keeps its pytree structure, shapes and dtypes. As in JAX, the results
    have the body's output types (weakly typed where the body's outputs are), and a
    weakly typed initial value the body changes the dtype of is promoted first."""
    if _jit_disabled():
        try:
            val = tree_map(to_array, init_val)
            while cond_fun(val):
                val = tree_map(to_array, body_fun(val))
            return val
        except ConcretizationTypeError:
            pass  # as JAX: a condition not known (under vmap) runs as the construct
    return _while_loop(cond_fun, body_fun, init_val)


def _while_loop(cond_fun, body_fun, init_val):
    if current_trace() is None:
        return _run_now(lambda init: _while_loop(cond_fun, body_fun, init), init_val, "while_loop")
    leaves, tree = tree_flatten(init_val)
    leaves = [to_array(x) for x in leaves]

    def trace_both(avals):
        cond, cond_tree = _trace(cond_fun, tree, avals, getattr(cond_fun, "__name__", "cond"))
        if cond_tree.num_leaves != 1 or cond.out_avals[0].shape != () or cond.out_avals[0].dtype != dtypes.dtype(bool):
            raise TypeError(with_source(
                f"cond_fun must return a boolean scalar, but got output type(s) {_types(cond.out_avals)}."))
        body, body_tree = _trace(body_fun, tree, avals, getattr(body_fun, "__name__", "body"))
        return cond, body, body_tree

    avals = _avals(leaves)
    cond, body, body_tree = trace_both(avals)
    if body.ref_writes:  # its values carried (core.Ref)
        refs = body.ref_writes

        def threaded_cond(carry):
            _bind_refs(refs, carry[1])
            return cond_fun(carry[0])

        def threaded_body(carry):
            _bind_refs(refs, carry[1])
            return body_fun(carry[0]), [ref._read() for ref in refs]

        out, values = _while_loop(threaded_cond, threaded_body, (init_val, [ref._read() for ref in refs]))
        return _write_refs(refs, values, out)
    leaves, changed = _promote_weak_typed_inputs(leaves, avals, body.out_avals)
    if changed:
        avals = _avals(leaves)
        cond, body, body_tree = trace_both(avals)
    if body_tree != tree or [(a.shape, a.dtype) for a in body.out_avals] != [(a.shape, a.dtype) for a in avals]:
        raise TypeError(with_source(
            f"body_fun output and input must have identical types, got\n  output {body_tree} of "
            f"{_types(body.out_avals)}\n  input {tree} of {_types(avals)}."))

    operands = leaves + list(cond.constvars) + list(body.constvars)

    def declare_loop(module, symbols):
        cond_symbol, body_symbol = symbols
        carry = [tensor_type(a.shaped) for a in avals]
        ftype = ir.FunctionType.get(carry + [tensor_type(x.aval.shaped) for x in operands[len(avals):]], carry)
        return declare(module, f"while_{cond_symbol}_{body_symbol}", ftype, ir.Location.unknown(), {
            WHILE_COND: ir.FlatSymbolRefAttr.get(cond_symbol), WHILE_BODY: ir.FlatSymbolRefAttr.get(body_symbol)})

    outs = current_trace().call_declared([cond, body], declare_loop, operands, list(body.out_avals))
    return tree_unflatten(tree, outs)


def _concrete_int(x):
    """int(x) for a bound known while tracing (a Python or NumPy scalar, an Array, a
    Tracer with a concrete value), else None (JAX's core.is_concrete, then int)."""
    if isinstance(x, Tracer):
        if x.concrete is None:
            return None
        x = x.concrete
    try:
        return int(x)
    except TypeError:
        return None


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """body_fun(i, val) for i from lower to upper, as jax.lax.fori_loop: with bounds
    known while tracing (Python or concrete integers), a scan from the Python int
    `int(lower)` (so the index is weakly typed, as in JAX), differentiable in both
    modes; otherwise a while loop (forward mode only) over the bounds, of which a
    weakly typed one takes the other's dtype."""
    if not callable(body_fun):
        raise TypeError(with_source("lax.fori_loop: body_fun argument should be callable."))
    lower_dtype, upper_dtype = dtypes.dtype(lower), dtypes.dtype(upper)
    index_dtype = lower_dtype if lower_dtype == upper_dtype else None
    if index_dtype is None and dtypes.issubdtype(lower_dtype, np.signedinteger) and dtypes.issubdtype(
            upper_dtype, np.signedinteger):
        lower_weak, upper_weak = dtypes.is_weakly_typed(lower), dtypes.is_weakly_typed(upper)
        index_dtype = upper_dtype if lower_weak and not upper_weak else lower_dtype if upper_weak and not lower_weak \
            else None
    if index_dtype is None:
        raise TypeError(with_source(f"lower and upper arguments to fori_loop must have equal types, got "
                                    f"{lower_dtype.name} and {upper_dtype.name}"))
    lower_, upper_ = _concrete_int(lower), _concrete_int(upper)
    if lower_ is not None and upper_ is not None:
        if _jit_disabled() and upper_ <= lower_:
            return init_val  # as JAX: a Python scan cannot be empty
        (_, result), _ = scan(lambda c, _: ((c[0] + 1, body_fun(*c)), None), (lower_, init_val), None,
                              length=max(upper_ - lower_, 0), unroll=1 if unroll is None else unroll)
        return result
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError(with_source("Can only use `unroll` in `fori_loop` if the loop bounds are statically known."))
    if lower_dtype != index_dtype:
        lower = convert_element_type(lower, index_dtype)
    if upper_dtype != index_dtype:
        upper = convert_element_type(upper, index_dtype)

    def cond(carry):
        i, upper_, _ = carry
        return lt(i, upper_)

    def body(carry):
        i, upper_, val = carry
        return add(i, convert_element_type(1, i.aval.dtype)), upper_, body_fun(i, val)

    return while_loop(cond, body, (lower, upper, init_val))[2]


def switch(index, branches, *operands):
    """branches[index](*operands), index clamped into range, as jax.lax.switch: every
    branch is traced, and their outputs must agree in structure, shapes and dtypes."""
    branches = list(branches)
    if not branches:
        raise ValueError(with_source("Empty branch sequence"))
    index = to_array(index)
    if index.aval.shape != () or not dtypes.is_integer(index.aval.dtype):
        raise TypeError(with_source(f"switch index must be a scalar integer, got {index.aval.str_short()}"))
    if len(branches) == 1:
        return branches[0](*operands)
    return _switch(clamp(np.int32(0), convert_element_type(index, np.int32), np.int32(len(branches) - 1)),
                   branches, operands, "branch 0 and branch {i} outputs")


def cond(pred, true_fun, false_fun, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), as jax.lax.cond: both
    branches are traced, and their outputs must agree."""
    pred = to_array(pred)
    if pred.aval.shape != ():
        raise TypeError(with_source(f"Pred must be a scalar, got {pred.aval.str_short()}"))
    if pred.aval.dtype != dtypes.dtype(bool):
        pred = ne(pred, convert_element_type(0, pred.aval.dtype))
    return _switch(convert_element_type(pred, np.int32), [false_fun, true_fun], operands,
                   "true_fun and false_fun outputs")


def _switch(index, branches, operands, what):
    if _jit_disabled() and _known(index):
        return branches[int(index)](*operands)
    if current_trace() is None:
        return _run_now(lambda args: _switch(args[0], branches, args[1], what), (index, operands), "cond")
    leaves, tree = tree_flatten(operands)
    leaves = [to_array(x) for x in leaves]
    avals = [Aval(x.aval.shape, x.aval.dtype, x.aval.weak_type) for x in leaves]
    traced = [_trace(lambda ops, b=b: b(*ops), tree, avals, getattr(b, "__name__", "branch")) for b in branches]
    refs = list({id(ref): ref for trace, _ in traced for ref in trace.ref_writes}.values())
    if refs:  # their values passed in and out of every branch (core.Ref)
        def threaded(branch):
            def run(values, *args):
                _bind_refs(refs, values)
                return branch(*args), [ref._read() for ref in refs]
            return run

        out, values = _switch(index, [threaded(b) for b in branches], ([ref._read() for ref in refs], *operands),
                              what)
        return _write_refs(refs, values, out)
    (first, first_tree), types = traced[0], [(a.shape, a.dtype) for a in traced[0][0].out_avals]
    for i, (trace, out_tree) in enumerate(traced[1:], 1):
        if out_tree != first_tree or [(a.shape, a.dtype) for a in trace.out_avals] != types:
            raise TypeError(with_source(
                f"{what.format(i=i)} must have identical types, got\n  {first_tree} of {_types(first.out_avals)}\n"
                f"  {out_tree} of {_types(trace.out_avals)}."))
    closures = [list(trace.constvars) for trace, _ in traced]
    args = leaves + [c for closure in closures for c in closure]

    def declare_cond(module, symbols):
        arg_types = [tensor_type(x.aval.shaped) for x in args]
        out_types = [tensor_type(a.shaped) for a in first.out_avals]
        wrappers, start = [], len(leaves)
        for symbol, closure in zip(symbols, closures, strict=True):
            # Every branch takes all the args: its operands and its own closure among them.
            own = list(range(len(leaves))) + list(range(start, start + len(closure)))
            # Named by where its operands sit: two branches tracing to one function (each returning
            # its own closure value, say) must not share a wrapper.
            wrappers.append(define(module, f"{symbol}_of_all_{start}_{len(closure)}_{len(args)}", arg_types,
                                   out_types, ir.Location.unknown(),
                                   lambda a, symbol=symbol, own=own: list(func.CallOp(
                                       out_types, symbol, [a[k] for k in own]).results)))
            start += len(closure)
        ftype = ir.FunctionType.get([tensor_type(index.aval.shaped)] + arg_types, out_types)
        return declare(module, f"cond_{'_'.join(symbols)}", ftype, ir.Location.unknown(),
                       {COND_BRANCHES: branch_list(wrappers)})

    outs = current_trace().call_declared([trace for trace, _ in traced], declare_cond, [index] + args,
                                         list(first.out_avals))
    return tree_unflatten(first_tree, outs)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop f(carry, x) -> (carry, y) over the leading axis of xs, stacking the ys, as
    jax.lax.scan: differentiable in both modes (reverse mode recomputes each step's
    forward pass from the carries it saved)."""
    xs_leaves, xs_tree = tree_flatten(xs)
    xs_leaves = [to_array(x) for x in xs_leaves]
    lengths = {x.aval.shape[0] if x.aval.ndim else None for x in xs_leaves}
    if None in lengths:
        raise ValueError(with_source("scan got value with no leading axis to scan over"))
    if length is not None:
        length = int(length)
        if lengths and lengths != {length}:
            raise ValueError(with_source(f"scan got `length` argument of {length} which disagrees with leading "
                                         f"axis sizes {sorted(lengths)}."))
    elif len(lengths) != 1:
        raise ValueError(with_source("scan got no values to scan over and `length` not provided." if not lengths else
                                     f"scan got values with different leading axis sizes: {sorted(lengths)}."))
    else:
        (length,) = lengths
    if _jit_disabled():
        return _python_scan(f, init, xs_leaves, xs_tree, length, reverse)
    if current_trace() is None:
        return _run_now(lambda args: scan(f, *args, length, reverse), (init, xs), "scan")
    carry_leaves, carry_tree = tree_flatten(init)
    carry_leaves = [to_array(x) for x in carry_leaves]
    carry_avals = _avals(carry_leaves)
    x_avals = [Aval(x.aval.shape[1:], x.aval.dtype, x.aval.weak_type) for x in xs_leaves]
    in_tree = tree_flatten((init, xs))[1] if xs is not None else tree_flatten((init, None))[1]

    def step(pair):
        out = f(*pair)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(with_source(f"scan body output must be a pair, got {type(out).__name__}."))
        return tuple(out)

    body, out_tree = _trace(step, in_tree, carry_avals + x_avals, getattr(f, "__name__", "body"))
    if body.ref_writes:
        return _scan_threading_refs(f, init, xs, length, reverse, body.ref_writes)
    new_carry_tree, y_tree = out_tree.children()
    count = len(carry_avals)
    carry_leaves, changed = _promote_weak_typed_inputs(carry_leaves, carry_avals,
                                                       body.out_avals[:new_carry_tree.num_leaves])
    if changed:
        carry_avals = _avals(carry_leaves)
        body, out_tree = _trace(step, in_tree, carry_avals + x_avals, getattr(f, "__name__", "body"))
        new_carry_tree, y_tree = out_tree.children()
    if new_carry_tree != carry_tree or [(a.shape, a.dtype) for a in body.out_avals[:count]] != [
            (a.shape, a.dtype) for a in carry_avals]:
        raise TypeError(with_source(
            f"scan body function carry input and carry output must have equal types, got\n  input {carry_tree} of "
            f"{_types(carry_avals)}\n  output {new_carry_tree} of {_types(body.out_avals[:count])}."))
    y_avals = [Aval((length,) + a.shape, a.dtype, a.weak_type) for a in body.out_avals[count:]]
    operands = carry_leaves + xs_leaves + list(body.constvars)

    def declare_scan(module, symbols):
        (body_symbol,) = symbols
        ftype = ir.FunctionType.get([tensor_type(x.aval.shaped) for x in operands],
                                    [tensor_type(a.shaped) for a in carry_avals + y_avals])
        return declare(module, f"scan{length}{'_reverse' if reverse else ''}_{body_symbol}", ftype,
                       ir.Location.unknown(), scan_attributes(body_symbol, length, bool(reverse), count, len(xs_leaves)))

    outs = current_trace().call_declared([body], declare_scan, operands, list(body.out_avals[:count]) + y_avals)
    return tree_unflatten(carry_tree, outs[:count]), tree_unflatten(y_tree, outs[count:])


def _scan_threading_refs(f, init, xs, length, reverse, refs):
    """A scan whose body writes Refs from outside (core.Ref): their values are carried,
    each step's body reading and writing the carried values, and written back after."""
    def threaded(carry, x):
        _bind_refs(refs, carry[1])
        carry, y = f(carry[0], x)
        return (carry, [ref._read() for ref in refs]), y

    (carry, values), ys = scan(threaded, (init, [ref._read() for ref in refs]), xs, length, reverse)
    return _write_refs(refs, values, carry), ys


def _bind_refs(refs, values):
    """In a control-flow body that threads `refs`, their values are `values` (core.Ref)."""
    trace = current_trace()
    for ref, value in zip(refs, values, strict=True):
        trace.bind_ref(ref, value)


def _write_refs(refs, values, result):
    """`refs` take the `values` a construct threaded through; `result`, passed through."""
    for ref, value in zip(refs, values, strict=True):
        ref._write(value)
    return result


def _python_scan(f, init, xs_leaves, xs_tree, length, reverse):
    """scan under disable_jit, as JAX's: f called in a Python loop, the ys stacked."""
    if length == 0:
        raise ValueError(with_source("zero-length scan is not supported in disable_jit() mode because the output "
                                     "type is unknown."))
    carry, ys = init, []
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for i in steps:
        carry, y = f(carry, tree_unflatten(xs_tree, [index_in_dim(x, i, keepdims=False) for x in xs_leaves]))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, tree_map(lambda *y: concatenate([expand_dims(v, (0,)) for v in y], 0), *ys)


def map(f, xs):  # noqa: A001 (jax.lax.map)
    """f over the leading axis of xs, as jax.lax.map: a scan without a carry."""
    return scan(lambda _, x: ((), f(x)), (), xs)[1]


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    """solve(f, initial_guess), a root of f, differentiated implicitly as
    jax.lax.custom_root: the solver is never differentiated; the root's tangent solves
    J_x f(root) t = -J_theta f(root) t_theta with tangent_solve(J_x f(root), rhs), theta
    being what f closes over (f is closure-converted: its closed-over values become
    arguments of a custom_jvp function)."""
    if current_trace() is None:  # the guess's leaves as arrays, as JAX binds them (NumPy scalars included)
        initial_guess = tree_map(to_array, initial_guess)
        return solve(f, initial_guess) if not has_aux else tuple(solve(f, initial_guess))
    guess_leaves, guess_tree = tree_flatten(initial_guess)
    avals = [to_array(x).aval for x in guess_leaves]
    name = getattr(f, "__name__", "f")
    f_trace, f_tree = _trace(f, guess_tree, avals, name)
    if f_tree != guess_tree:
        raise TypeError(with_source(f"custom_root: f must return a value of the guess's structure {guess_tree}, got "
                                    f"{f_tree}."))

    def f_of(x, consts):
        """f at x with its closed-over values replaced by `consts`."""
        outs = current_trace().call(f_trace, tree_flatten(x)[0], consts)
        return tree_unflatten(guess_tree, outs)

    @custom_jvp
    def root(consts, guess):
        return solve(lambda x: f_of(x, consts), guess)

    @root.defjvp
    def root_jvp(primals, tangents):
        consts, guess = primals
        consts_dot, _ = tangents
        out = root(consts, guess)
        solution = out[0] if has_aux else out
        _, rhs = forward(lambda c: f_of(solution, c), (consts,), (consts_dot,), name)
        solution_dot = tangent_solve(lambda v: forward(lambda x: f_of(x, consts), (solution,), (v,), name)[1],
                                     tree_unflatten(guess_tree, [-leaf for leaf in tree_flatten(rhs)[0]]))
        if has_aux:
            return out, (solution_dot, tree_map(lambda x: zeros(to_array(x).aval), out[1]))
        return out, solution_dot

    return root(list(f_trace.constvars), initial_guess)
