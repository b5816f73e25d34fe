"""Differentiation: the API over the mirax-jvp, mirax-linearize and mirax-transpose
passes. Tracing only records which function is differentiated (a call of a
declared, transformed function); the passes derive the derivative code."""
import numpy as np

from mirax import dtypes, lax
from mirax.api import (call_transformation, check_callable, check_refs_not_differentiated, concrete_values,
                       forward, inexact, trace_flat)
from mirax.vmapping import vmap
from mirax.core import Array, Aval, current_trace, is_array, to_array, with_source
from mirax.custom_derivatives import jax_type, trace_backward_passes
from mirax.dialect.transformations import declare_vjp
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten


def _name(fun):
    return getattr(fun, "__name__", "fun")


# ----------------------------------------------------------------------------- forward mode


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents), as
    jax.jvp: primals and tangents are tuples (or lists) of pytrees of one structure;
    integer and bool primals take float0 tangents, and their outputs get them."""
    check_callable(fun)
    result = _jvp(fun, primals, _from_float0(primals, tangents), has_aux)
    return (result[0], _to_float0(result[0], result[1]), *result[2:])


def _jvp(fun, primals, tangents, has_aux=False):
    """jvp, integer tangents in and out being zeros of their primals' dtypes."""
    out_primals, out_tangents = forward(_with_aux(fun, has_aux, "jvp"), primals, tangents, _name(fun))
    if has_aux:
        (out, aux), (out_tangent, _) = out_primals, out_tangents
        return out, out_tangent, aux
    return out_primals, out_tangents


def _float0_zeros(aval):
    """JAX's tangent or cotangent of an integer or bool value: a NumPy array of float0;
    inside a trace (jit, vmap, ...) zeros of its dtype, since mirax's traced functions
    return arrays only (JAX's return the float0 array)."""
    return np.zeros(aval.shape, dtypes.float0) if current_trace() is None else _zero_cotangent(aval)


def _from_float0(primals, tangents):
    """jvp's tangents as `forward` takes them: the float0 tangents of integer and bool
    primals zeros of their dtypes, with JAX's error for any other tangent of such a
    primal or a float0 tangent of an inexact one. Tangents that do not match the primals
    in kind or structure are left for `forward`'s errors."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        return tangents
    primal_leaves, primal_tree = tree_flatten(primals)
    tangent_leaves, tangent_tree = tree_flatten(tangents)
    if primal_tree != tangent_tree:
        return tangents
    converted = []
    for p, t in zip(primal_leaves, tangent_leaves, strict=True):
        p_aval = to_array(p).aval
        t_dtype = t.dtype if hasattr(t, "dtype") else to_array(t).aval.dtype
        if inexact(p_aval) == (t_dtype == dtypes.float0):
            expected = p_aval.dtype if inexact(p_aval) else dtypes.float0
            raise TypeError(with_source(
                f"primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in case of int/bool "
                f"primal dtype the tangent dtype must be float0.Got primal dtype {p_aval.dtype} and so expected "
                f"tangent dtype {expected}, but got tangent dtype {t_dtype} instead."))
        converted.append(np.zeros(np.shape(t), p_aval.dtype) if t_dtype == dtypes.float0 else t)
    return tree_unflatten(tangent_tree, converted)


def _to_float0(outs, tangents):
    """The tangents of the outputs `outs`, those of integer and bool outputs float0 (as JAX's)."""
    return tree_map(lambda y, t: t if inexact(to_array(y).aval) else _float0_zeros(to_array(y).aval), outs, tangents)


def _with_aux(fun, has_aux, who):
    """fun, checked to return (output, aux) if `has_aux`; aux is not differentiated (so
    that, as in JAX, what only it needs never reaches reverse mode's transpose)."""
    if not has_aux:
        return fun

    def checked(*args, **kwargs):
        out = fun(*args, **kwargs)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(with_source(
                f"{who} with has_aux=True requires fun to return a pair (output, auxiliary data), got {type(out)}"))
        return out[0], tree_map(lambda leaf: lax.stop_gradient(leaf) if is_array(leaf) else leaf, out[1])

    return checked


# ----------------------------------------------------------------------------- reverse mode


def _cotangent(ct, aval):
    """A cotangent given to a VJP function for an output of `aval`, checked as JAX does:
    the output's shape, and its dtype unless the output is an integer, whose cotangent
    (float0 in JAX, or any dtype) is ignored: zeros."""
    shape, dtype, ct_type = _described(ct)
    if shape != aval.shape or (inexact(aval) and dtype != aval.dtype):
        expected = jax_type(aval) if inexact(aval) else f"float0[{','.join(map(str, aval.shape))}]"
        raise ValueError(with_source(
            f"unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got {ct_type}, but "
            f"expected {expected} because the corresponding output of the differentiated function had JAX type "
            f"{jax_type(aval)}"))
    return to_array(ct) if inexact(aval) else _zero_cotangent(aval)


def _described(x):
    """The shape, dtype and JAX type of a (co)tangent, a float0 one too."""
    if getattr(x, "dtype", None) == dtypes.float0:
        return np.shape(x), x.dtype, f"float0[{','.join(map(str, np.shape(x)))}]"
    aval = to_array(x).aval
    return aval.shape, aval.dtype, jax_type(aval)


def _vjp_flat(fun, args, kwargs, argnums, has_aux, who):
    """Trace fun as a function of the arguments `argnums` alone (the other arguments and
    the keyword arguments are fixed, as JAX binds them: they may be any Python values);
    return (traced, the differentiated leaves, their positions)."""
    dynamic = tuple(args[n] for n in argnums)
    leaves, tree = tree_flatten((dynamic, {}))
    leaves = [to_array(x) for x in leaves]
    partial = _with_aux(_partial_in(fun, args, argnums, kwargs), has_aux, who)
    traced = trace_flat(partial, tree, [x.aval for x in leaves], _name(fun), concrete_values(leaves), differentiated=True)
    return traced, leaves, list(range(len(leaves)))


def _check_argnums(argnums, args, who):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not isinstance(n, int) or not -len(args) <= n < len(args):
            raise TypeError(with_source(
                f"differentiating with respect to argnums={argnums} requires at least {max(nums) + 1} positional "
                f"arguments to be passed by the caller, but got only {len(args)} positional arguments."))
    return single, tuple(n % len(args) for n in nums)


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """A function returning (fun(*args), the gradient of fun with respect to the
    arguments `argnums`), as jax.value_and_grad; fun must return a real scalar."""
    check_callable(fun)
    if reduce_axes:
        raise NotImplementedError("reduce_axes argument to grad is deprecated")

    def value_and_grad_f(*args, **kwargs):
        single, nums = _check_argnums(argnums, args, "grad")
        traced, leaves, active = _vjp_flat(fun, args, kwargs, nums, has_aux, "grad")
        for k in active:
            _check_reverse_input("grad", holomorphic, allow_int, leaves[k].aval)
        out_avals = list(traced.trace.out_avals)
        out_aval = out_avals[0]
        if out_aval.shape != ():
            raise TypeError(with_source(
                f"Gradient only defined for scalar-output functions. Output had shape: {out_aval.shape}."))
        _check_reverse_output("grad", holomorphic, out_aval)
        differentiable = [k for k in active if inexact(leaves[k].aval)]
        refs = traced.trace.ref_writes  # returned after the outputs, zero cotangents
        check_refs_not_differentiated(traced.trace, differentiable)
        out_avals += [ref.aval for ref in refs]
        cotangents = [Array(np.ones((), out_aval.dtype))] + [Array(np.zeros(a.shape, a.dtype)) for a in out_avals[1:]]
        outs = call_transformation(declare_vjp, traced.trace, leaves, cotangents, differentiable,
                                   out_avals + [leaves[k].aval for k in differentiable], trace_backward_passes,
                                   writes_refs=True)
        num_outputs = len(out_avals) - len(refs)
        for ref, value in zip(refs, outs[num_outputs:len(out_avals)], strict=True):
            ref._write(value)
        values = tree_unflatten(traced.out_tree, outs[:num_outputs])
        grads = dict(zip(differentiable, outs[len(out_avals):], strict=True))
        flat_grads = [grads[k] if k in grads else _float0_zeros(leaves[k].aval) for k in active]
        structures = [tree_flatten(args[n]) for n in nums]
        pieces, start = [], 0
        for leaves_n, tree_n in structures:
            pieces.append(tree_unflatten(tree_n, flat_grads[start: start + len(leaves_n)]))
            start += len(leaves_n)
        grad = pieces[0] if single else tuple(pieces)
        return values, grad

    return value_and_grad_f


def _zero_cotangent(aval):
    return Array(np.zeros(aval.shape, aval.dtype))


# JAX's dtype checks of grad, jacrev and jacfwd, with its messages: holomorphic=True
# promises complex inputs and outputs; without it, complex outputs of reverse mode
# and complex inputs of jacfwd are refused (their one-complex-number derivative would
# drop half of the 2x2 real Jacobian).


def _check_reverse_input(who, holomorphic, allow_int, aval):
    if holomorphic and not dtypes.is_complex(aval.dtype):
        raise TypeError(with_source(
            f"{who} with holomorphic=True requires inputs with complex dtype, but got {aval.dtype.name}."))
    if not inexact(aval) and not allow_int:
        raise TypeError(with_source(
            f"{who} requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), "
            f"but got {aval.dtype.name}. If you want to use Boolean- or integer-valued inputs, use vjp or "
            f"set allow_int to True."))


def _check_reverse_output(who, holomorphic, aval):
    if holomorphic:
        if not dtypes.is_complex(aval.dtype):
            raise TypeError(with_source(
                f"{who} with holomorphic=True requires outputs with complex dtype, but got {aval.dtype.name}."))
    elif dtypes.is_complex(aval.dtype):
        raise TypeError(with_source(
            f"{who} requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got "
            f"{aval.dtype.name}. For holomorphic differentiation, pass holomorphic=True. For differentiation of "
            f"non-holomorphic functions involving complex outputs, use jax.vjp directly."))
    elif not dtypes.is_float(aval.dtype):
        raise TypeError(with_source(
            f"{who} requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got "
            f"{aval.dtype.name}. For differentiation of functions with integer outputs, use jax.vjp directly."))


def _check_forward_input(holomorphic, aval):
    if holomorphic:
        if not dtypes.is_complex(aval.dtype):
            raise TypeError(with_source(
                f"jacfwd with holomorphic=True requires inputs with complex dtype, but got {aval.dtype.name}."))
    elif not dtypes.is_float(aval.dtype):
        raise TypeError(with_source(
            f"jacfwd requires real-valued inputs (input dtype that is a sub-dtype of np.floating), but got "
            f"{aval.dtype.name}. For holomorphic differentiation, pass holomorphic=True. For differentiation of "
            f"non-holomorphic functions involving complex inputs or integer inputs, use jax.jvp directly."))


def _check_forward_output(holomorphic, aval):
    if holomorphic and not dtypes.is_complex(aval.dtype):
        raise TypeError(with_source(
            f"jacfwd with holomorphic=True requires outputs with complex dtype, but got {aval.dtype.name}."))


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of fun (which returns a real scalar) with respect to the arguments
    `argnums`, as jax.grad."""
    value_and_grad_f = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, reduce_axes)

    def grad_f(*args, **kwargs):
        values, g = value_and_grad_f(*args, **kwargs)
        return (g, values[1]) if has_aux else g

    return grad_f


def vjp(fun, *primals, has_aux=False, reduce_axes=()):
    """(fun(*primals), vjp_fun) as jax.vjp: vjp_fun(cotangent) gives a tuple of
    cotangents, one per primal (recomputing the forward pass, compiled once), float0
    for integer and bool primals."""
    if reduce_axes:
        raise NotImplementedError("reduce_axes argument to vjp is deprecated")
    return _vjp(fun, primals, has_aux, _float0_zeros)


def _vjp(fun, primals, has_aux, int_cotangent):
    """vjp, whose VJP function gives `int_cotangent(aval)` for integer and bool primals."""
    check_callable(fun)
    traced, leaves, active = _vjp_flat(fun, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    differentiable = [k for k in active if inexact(leaves[k].aval)]
    check_refs_not_differentiated(traced.trace, differentiable)
    out_avals = list(traced.trace.out_avals)
    outs = [Array(o._value, a.weak_type) if isinstance(o, Array) else o
            for o, a in zip(traced.call_flat(leaves), out_avals, strict=True)]  # writes the Refs fun writes
    out = tree_unflatten(traced.out_tree, outs)
    in_structure = tree_flatten(tuple(primals))[1]
    ref_avals = [ref.aval for ref in traced.trace.ref_writes]  # the VJP's values of them are not written again

    def vjp_fun(cotangent):
        expected = out[0] if has_aux else out
        ct_leaves, ct_tree = tree_flatten(cotangent)
        out_leaves, out_tree = tree_flatten(expected)
        if ct_tree != out_tree:
            raise ValueError(with_source(
                f"unexpected tree structure.\n\nThe argument to a VJP function returned by `jax.vjp` must match the "
                f"pytree structure of the differentiated function {_name(fun)}.\n\nBut the tree structures differ: "
                f"{ct_tree} here, {out_tree} in the original output."))
        cts = [_cotangent(c, aval) for c, aval in zip(ct_leaves, out_avals[:len(ct_leaves)], strict=True)]
        if has_aux:
            cts += [_zero_cotangent(a) for a in out_avals[len(cts):]]
        cts += [_zero_cotangent(a) for a in ref_avals]
        results = call_transformation(declare_vjp, traced.trace, leaves, cts, differentiable,
                                      out_avals + ref_avals + [leaves[k].aval for k in differentiable],
                                      trace_backward_passes, writes_refs=True)
        grads = dict(zip(differentiable, results[len(out_avals) + len(ref_avals):], strict=True))
        return tree_unflatten(in_structure, [grads[k] if k in grads else int_cotangent(leaves[k].aval)
                                             for k in range(len(leaves))])

    return (out[0], vjp_fun, out[1]) if has_aux else (out, vjp_fun)


del Aval


# ----------------------------------------------------------------------------- Jacobians
# As the seed's our_jacfwd/our_jacrev: one batched JVP over a standard basis of the
# inputs, or one batched VJP over a standard basis of the outputs.


def _partial_in(fun, args, nums, kwargs=None):
    """fun of the arguments at positions `nums` only, the others (and `kwargs`) fixed."""

    def partial(*dynamic):
        full = list(args)
        for n, value in zip(nums, dynamic, strict=True):
            full[n] = value
        return fun(*full, **(kwargs or {}))

    return partial


def _std_basis(leaves):
    """The standard basis of the space of `leaves`, batched along axis 0: for each
    leaf, an array of shape (total size,) + leaf shape in the leaf's dtype."""
    sizes = [x.aval.size for x in leaves]
    eye = np.eye(sum(sizes))
    starts = np.cumsum([0] + sizes)
    return [Array(eye[:, start: start + x.aval.size].reshape(eye.shape[:1] + x.aval.shape).astype(x.aval.dtype))
            for x, start in zip(leaves, starts[:-1], strict=True)]


def _split(flat, axis, leaves):
    """`flat`, whose dimension `axis` runs over the elements of `leaves` one after the
    other, split into one array per leaf with that dimension reshaped to the leaf's shape."""
    axis %= flat.ndim
    pieces, start = [], 0
    for x in leaves:
        piece = lax.slice_in_dim(flat, start, start + x.aval.size, axis=axis)
        pieces.append(lax.reshape(piece, flat.shape[:axis] + x.aval.shape + flat.shape[axis + 1:]))
        start += x.aval.size
    return pieces


def _pytree_jacobian(rows, out_tree, dynamic, single):
    """The pytree Jacobian from its blocks `rows[i][j]` (output leaf i, input leaf j):
    the output structure, each leaf the structure of the differentiated arguments."""
    trees = [tree_flatten(d)[1] for d in dynamic]
    result = []
    for row in rows:
        pieces, start = [], 0
        for tree in trees:
            pieces.append(tree_unflatten(tree, row[start: start + tree.num_leaves]))
            start += tree.num_leaves
        result.append(pieces[0] if single else tuple(pieces))
    return tree_unflatten(out_tree, result)


def _differentiated(args, argnums, who):
    single, nums = _check_argnums(argnums, args, who)
    dynamic = tuple(args[n] for n in nums)
    leaves = [to_array(x) for x in tree_flatten(dynamic)[0]]
    return single, nums, dynamic, leaves


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian of fun by forward mode, as jax.jacfwd (pytrees in and out)."""
    check_callable(fun)

    def jacfun(*args):
        single, nums, dynamic, leaves = _differentiated(args, argnums, "jacfwd")
        for x in leaves:
            _check_forward_input(holomorphic, x.aval)
        in_tree = tree_flatten(dynamic)[1]
        partial = _partial_in(fun, args, nums)

        def pushforward(*basis):
            out = _jvp(partial, dynamic, tree_unflatten(in_tree, basis), has_aux=has_aux)
            return (out[0], out[1], out[2]) if has_aux else (out[0], out[1], None)

        out, tangents, aux = vmap(pushforward, out_axes=(None, -1, None))(*_std_basis(leaves))
        out_leaves, out_tree = tree_flatten(out)
        for y in out_leaves:
            _check_forward_output(holomorphic, to_array(y).aval)
        rows = [_split(t, -1, leaves) for t in tree_flatten(tangents)[0]]
        jac = _pytree_jacobian(rows, out_tree, dynamic, single)
        return (jac, aux) if has_aux else jac

    return jacfun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian of fun by reverse mode, as jax.jacrev (pytrees in and out)."""
    check_callable(fun)

    def jacfun(*args):
        single, nums, dynamic, leaves = _differentiated(args, argnums, "jacrev")
        for x in leaves:
            _check_reverse_input("jacrev", holomorphic, allow_int, x.aval)
        result = _vjp(_partial_in(fun, args, nums), dynamic, has_aux, _zero_cotangent)  # JAX's: integer zeros
        out, pullback = result[0], result[1]
        out_leaves, out_tree = tree_flatten(out)
        out_leaves = [to_array(x) for x in out_leaves]
        for y in out_leaves:
            _check_reverse_output("jacrev", holomorphic, y.aval)
        basis = _std_basis(out_leaves)
        cotangents = vmap(lambda *ct: pullback(tree_unflatten(out_tree, ct)))(*basis)
        columns = [_split(c, 0, out_leaves) for c in tree_flatten(cotangents)[0]]  # [input leaf][output leaf]
        rows = [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in out_leaves]
        jac = _pytree_jacobian(rows, out_tree, dynamic, single)
        return (jac, result[2]) if has_aux else jac

    return jacfun


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """jacfwd(jacrev(fun)), as jax.hessian."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp) as jax.linearize: f_jvp(*tangents) is the JVP at primals;
    with has_aux, fun returns (output, aux) and linearize (output, f_jvp, aux)."""
    check_callable(fun)
    primal_leaves, primal_tree = tree_flatten(primals)
    primal_arrays = [to_array(p) for p in primal_leaves]  # fun sees Arrays, as JAX's tracers
    primal_avals = [x.aval for x in primal_arrays]
    out = _with_aux(fun, has_aux, "linearize")(*tree_unflatten(primal_tree, primal_arrays))

    def f_jvp(*tangents):
        """JAX's checks of the tangents (float0 ones for integer and bool primals), then
        their JVP (float0 for integer and bool outputs)."""
        tangent_leaves, tangent_tree = tree_flatten(tangents)
        if tangent_tree != primal_tree:
            raise TypeError(with_source(f"expected {primal_tree}, got {tangent_tree}"))
        converted = []
        for p, t in zip(primal_avals, tangent_leaves, strict=True):
            shape, dtype, t_type = _described(t)
            expected = jax_type(p) if inexact(p) else f"float0[{','.join(map(str, p.shape))}]"
            if p.shape != shape or dtype != (p.dtype if inexact(p) else dtypes.float0):
                raise ValueError(with_source(
                    f"linearized function called on tangent values inconsistent with the original primal values:\n"
                    f"Got tangent aval {t_type} for primal aval {jax_type(p)} but expected {expected}."))
            converted.append(t if inexact(p) else np.zeros(shape, p.dtype))
        outs, out_tangents = forward(_with_aux(fun, has_aux, "linearize"), primals,
                                     tree_unflatten(tangent_tree, converted), _name(fun), write_refs=False)
        if has_aux:
            outs, out_tangents = outs[0], out_tangents[0]
        return _to_float0(outs, out_tangents)

    return (out[0], f_jvp, out[1]) if has_aux else (out, f_jvp)


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function `fun` (at primals giving shapes and dtypes),
    as jax.linear_transpose: a function of the output cotangent returning a tuple."""
    if reduce_axes:
        raise NotImplementedError("reduce_axes argument to transpose is deprecated")
    _, fun_vjp = vjp(fun, *primals)
    return fun_vjp
