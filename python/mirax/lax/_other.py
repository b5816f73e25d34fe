"""Compositions of lax's functions: logaddexp with its own JVP rule (jax._src.lax.other's,
which mirax.numpy shares), associative_scan and cumlogsumexp (jax._src.lax.control_flow's)."""
import numpy as np

from mirax import dtypes
from mirax.core import to_array, with_source
from mirax.custom_derivatives import custom_jvp
from mirax.tree_util import tree_flatten, tree_unflatten

from ._elementwise import (add, bitwise_or, complex, convert_element_type, eq, exp, imag, log1p, lt, max, mul, ne,
                           neg, real, rem, select, sub)
from ._elementwise import abs as abs_
from ._shape import _axis, concatenate, pad, rev, slice_in_dim


def _const(x, value):
    """`value` as a scalar of x's dtype, as JAX's lax._const: weakly typed only when x is
    a weakly typed scalar."""
    return convert_element_type(value, x.aval.dtype, x.aval.weak_type and x.aval.ndim == 0)


def _replace_inf(x):
    re = real(x) if dtypes.is_complex(x.aval.dtype) else x
    return select(eq(re, np.inf), _const(x, 0), x)


def _wrap_between(x, a):
    """x wrapped into [-a, a)."""
    a, two_a, zero = _const(x, a), _const(x, 2 * a), _const(x, 0)
    wrapped = rem(add(x, a), two_a)
    return sub(select(lt(wrapped, zero), add(wrapped, two_a), wrapped), a)


@custom_jvp
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) of two inexact arrays of one dtype, as JAX computes it; its
    own JVP rule, because the derivative of this formula (through max and abs) is
    lopsided where x1 == x2."""
    amax = max(x1, x2)
    if dtypes.is_complex(x1.aval.dtype):
        out = add(amax, log1p(exp(sub(add(x1, x2), mul(amax, _const(amax, 2))))))
        return complex(real(out), _wrap_between(imag(out), np.pi))
    delta = sub(x1, x2)
    return select(ne(delta, delta), add(x1, x2),  # NaNs, or infinities of one sign
                  add(amax, log1p(exp(neg(abs_(delta))))))


@logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    """JAX's: t1 exp(x1 - out) + t2 exp(x2 - out), +inf replaced by 0 so that it gives no NaN."""
    (x1, x2), (t1, t2) = primals, tangents
    out = logaddexp(x1, x2)
    weight = lambda x: exp(sub(_replace_inf(x), _replace_inf(out)))  # noqa: E731
    return out, add(mul(t1, weight(x1)), mul(t2, weight(x2)))


def associative_scan(fn, elems, reverse=False, axis=0):
    """The prefix scan of `elems` (a pytree of arrays of one length along `axis`) by the
    associative `fn`, as jax.lax.associative_scan: JAX's parallel algorithm (adjacent
    pairs combined, the half-length scan by recursion, the even elements from it)."""
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn argument should be callable.")
    elems_flat, tree = tree_flatten(elems)
    elems_flat = [to_array(x) for x in elems_flat]
    axis = _axis(axis, elems_flat[0].aval.ndim)
    if reverse:
        elems_flat = [rev(x, [axis]) for x in elems_flat]
    if len({x.aval.shape[axis] for x in elems_flat}) > 1:
        raise ValueError(with_source(f"Array inputs to associative_scan must have the same first dimension. (saw: "
                                     f"{[x.aval.shape for x in elems_flat]})"))

    def combine(a_flat, b_flat):
        return [to_array(x) for x in tree_flatten(fn(tree_unflatten(tree, a_flat), tree_unflatten(tree, b_flat)))[0]]

    def scan_(elems):
        n = elems[0].aval.shape[axis]
        if n < 2:
            return elems
        odd = scan_(combine([slice_in_dim(x, 0, -1, 2, axis) for x in elems],
                            [slice_in_dim(x, 1, None, 2, axis) for x in elems]))
        evens = [slice_in_dim(x, 2, None, 2, axis) for x in elems]
        even = combine([slice_in_dim(x, 0, -1, axis=axis) for x in odd] if n % 2 == 0 else odd, evens)
        even = [concatenate([slice_in_dim(x, 0, 1, axis=axis), r], axis) for x, r in zip(elems, even, strict=True)]
        return [_interleave(a, b, axis) for a, b in zip(even, odd, strict=True)]

    scans = scan_(elems_flat)
    if reverse:
        scans = [rev(x, [axis]) for x in scans]
    return tree_unflatten(tree, scans)


def _interleave(a, b, axis):
    """a and b (one element shorter or as long) interleaved along `axis`, a first."""
    equal = a.aval.shape[axis] == b.aval.shape[axis]
    a_pad, b_pad = [(0, 0, 0)] * a.aval.ndim, [(0, 0, 0)] * b.aval.ndim
    a_pad[axis], b_pad[axis] = (0, 1 if equal else 0, 1), (1, 0 if equal else 1, 1)
    combine = bitwise_or if a.aval.dtype == np.bool_ else add
    return combine(pad(a, _const(a, 0), a_pad), pad(b, _const(b, 0), b_pad))


def cumlogsumexp(operand, axis=0, reverse=False):
    """log(cumsum(exp(operand))) along `axis`, computed stably: the associative scan of
    logaddexp (with which JAX differentiates it; its CPU values fold each prefix, which
    differ from these in rounding only)."""
    operand = to_array(operand)
    axis = int(axis)
    if axis < 0:
        raise ValueError(with_source("XLA operations do not allow negative axes"))
    if axis >= operand.aval.ndim:
        raise ValueError(with_source(f"axis {axis} is out of bounds for array of shape {operand.aval.shape}"))
    if not (dtypes.is_float(operand.aval.dtype) or dtypes.is_complex(operand.aval.dtype)):
        raise ValueError(with_source(f"logaddexp requires floating-point or complex inputs; got "
                                     f"{operand.aval.dtype.name}"))
    return associative_scan(logaddexp, operand, reverse=bool(reverse), axis=axis)


__all__ = ["associative_scan", "cumlogsumexp"]
