"""NumPy's products over lax.dot_general: dot, vdot, matmul, tensordot, inner, outer,
kron and einsum. Operands promote to their common dtype (JAX's rules, so int8 times
int8 stays int8); `preferred_element_type` asks for another result dtype."""
import operator
import string

import numpy as np

from mirax import lax
from mirax.core import jitted_in_jax, replayed, with_source

from ._matrix import diagonal
from ._reductions import user_dtype
from ._util import canonicalize_axis
from ._ufuncs import conj, multiply
from ._util import check_arraylike, promote_dtypes


def _promoted(fn_name, *operands):
    check_arraylike(fn_name, *operands)
    return promote_dtypes(*operands)


def _ravel(x):
    return lax.reshape(x, (x.aval.size,))


def _contract(a, b, contracting, batch=((), ()), preferred_element_type=None):
    """lax.dot_general of promoted operands, in `preferred_element_type` if given."""
    return lax.dot_general(a, b, (contracting, batch), preferred_element_type=user_dtype(preferred_element_type))


@replayed
def dot(a, b, *, precision=None, preferred_element_type=None):
    """Products of scalars, vector dot products, matrix products; beyond 2-D, a sum over
    a's last axis and b's second-to-last."""
    a, b = _promoted("dot", a, b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        contracting = ((), ())
    else:
        contracting = ((a.aval.ndim - 1,), (max(b.aval.ndim - 2, 0),))
    return _contract(a, b, contracting, preferred_element_type=preferred_element_type)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """The dot product of the flattened arrays, a conjugated."""
    a, b = _promoted("vdot", a, b)
    return dot(_ravel(conj(a)), _ravel(b), preferred_element_type=preferred_element_type)


@replayed
def matmul(a, b, *, precision=None, preferred_element_type=None):
    """Matrix products over broadcast leading (batch) dimensions; a 1-D operand is a
    vector (a row on the left, a column on the right) whose dimension the result drops.

    Batch dimensions of size 1 are squeezed rather than broadcast (as JAX does): the
    other operand's dimension becomes one of its free dimensions, and a transpose puts
    the result's dimensions in order."""
    a, b = _promoted("matmul", a, b)
    for i, x in enumerate((a, b)):
        if x.aval.ndim < 1:
            raise ValueError(with_source(f"matmul input operand {i} must have ndim at least 1, but it has ndim 0"))
    if a.aval.ndim <= 2 and b.aval.ndim <= 2:  # no batch dimensions: the general case's one product, sooner
        return _contract(a, b, ((a.aval.ndim - 1,), (0,)), preferred_element_type=preferred_element_type)
    a_is_mat, b_is_mat = a.aval.ndim > 1, b.aval.ndim > 1
    a_batch = a.aval.shape[:-2] if a_is_mat else ()
    b_batch = b.aval.shape[:-2] if b_is_mat else ()
    num_batch = max(len(a_batch), len(b_batch))
    a_batch = (None,) * (num_batch - len(a_batch)) + a_batch
    b_batch = (None,) * (num_batch - len(b_batch)) + b_batch
    a_squeeze, b_squeeze, both_squeeze = [], [], []
    a_batch_dims, b_batch_dims = [], []
    idx_batch, idx_a_other, idx_b_other = [], [], []  # result position of each dimension dot_general gives
    for i, (sa, sb) in enumerate(zip(a_batch, b_batch, strict=True)):
        if sa is None:
            idx_b_other.append(i)
        elif sb is None:
            idx_a_other.append(i)
        elif sa == 1 and sb == 1:
            a_squeeze.append(len(idx_batch) + len(idx_a_other) + len(a_squeeze))
            b_squeeze.append(len(idx_batch) + len(idx_b_other) + len(b_squeeze))
            both_squeeze.append(i)
        elif sa == 1:
            idx_b_other.append(i)
            a_squeeze.append(len(idx_batch) + len(idx_a_other) + len(a_squeeze))
        elif sb == 1:
            idx_a_other.append(i)
            b_squeeze.append(len(idx_batch) + len(idx_b_other) + len(b_squeeze))
        elif sa == sb:
            a_batch_dims.append(len(idx_batch) + len(idx_a_other))
            b_batch_dims.append(len(idx_batch) + len(idx_b_other))
            idx_batch.append(i)
        else:
            raise ValueError(with_source(f"Incompatible shapes for matmul arguments: {a.aval.shape} and "
                                         f"{b.aval.shape}"))
    if a_is_mat:
        idx_a_other.append(num_batch)
    if b_is_mat:
        idx_b_other.append(num_batch + a_is_mat)
    a, b = lax.squeeze(a, a_squeeze), lax.squeeze(b, b_squeeze)
    contracting = ((a.aval.ndim - 1,), (b.aval.ndim - 1 - b_is_mat,))
    out = _contract(a, b, contracting, (tuple(a_batch_dims), tuple(b_batch_dims)), preferred_element_type)
    result = lax.transpose(out, np.argsort(idx_batch + idx_a_other + idx_b_other))
    return lax.expand_dims(result, both_squeeze) if both_squeeze else result


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """The sum over a's last `axes` axes and b's first (an int), or over the axes paired
    by a pair (of ints, or of sequences of ints)."""
    a, b = _promoted("tensordot", a, b)
    a_ndim, b_ndim = a.aval.ndim, b.aval.ndim
    if type(axes) is int:
        if axes > min(a_ndim, b_ndim):
            raise TypeError(with_source(f"Number of tensordot axes (axes {axes}) exceeds input ranks "
                                        f"({a.aval.shape} and {b.aval.shape})"))
        contracting = tuple(range(a_ndim - axes, a_ndim)), tuple(range(axes))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        ax1, ax2 = axes
        if isinstance(ax1, int) and isinstance(ax2, int):
            ax1, ax2 = (ax1,), (ax2,)
        elif not (isinstance(ax1, (tuple, list)) and isinstance(ax2, (tuple, list))):
            raise TypeError(with_source(f"tensordot requires both axes lists to be either ints, tuples or lists, "
                                        f"got {ax1} and {ax2}"))
        if len(ax1) != len(ax2):
            raise TypeError(with_source(f"tensordot requires axes lists to have equal length, got {ax1} and {ax2}."))
        contracting = tuple(canonicalize_axis(i, a_ndim) for i in ax1), tuple(canonicalize_axis(i, b_ndim) for i in ax2)
    else:
        raise TypeError(with_source("tensordot axes argument must be an int, a pair of ints, or a pair of "
                                    "lists/tuples of ints."))
    return _contract(a, b, contracting, preferred_element_type=preferred_element_type)


def inner(a, b, *, precision=None, preferred_element_type=None):
    """The sum over the last axes of a and b (a product if either is a scalar)."""
    a, b = _promoted("inner", a, b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        if preferred_element_type is not None:
            a, b = (lax.convert_element_type(x, user_dtype(preferred_element_type)) for x in (a, b))
        return multiply(a, b)
    return tensordot(a, b, (-1, -1), preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    """a[i] * b[j] over the flattened arrays."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.outer is not supported.")
    a, b = _promoted("outer", a, b)
    return multiply(lax.reshape(a, (a.aval.size, 1)), lax.reshape(b, (1, b.aval.size)))


def kron(a, b):
    """The Kronecker product: blocks a[i] * b."""
    a, b = _promoted("kron", a, b)
    ndim = max(a.aval.ndim, b.aval.ndim)
    a_shape = (1,) * (ndim - a.aval.ndim) + a.aval.shape
    b_shape = (1,) * (ndim - b.aval.ndim) + b.aval.shape
    # a's dimensions at even positions, b's at odd ones, so that each (a_i, b_i) pair flattens into one.
    a = lax.reshape(a, tuple(s for d in a_shape for s in (d, 1)))
    b = lax.reshape(b, tuple(s for d in b_shape for s in (1, d)))
    return lax.reshape(multiply(a, b), tuple(int(x) * int(y) for x, y in zip(a_shape, b_shape, strict=True)))


# ----------------------------------------------------------------------------- einsum

_ELLIPSIS = "..."


def _parse_einsum(subscripts, shapes):
    """The operands' index characters, the output's, and the characters standing for
    broadcast dimensions: "..." becomes one non-letter per dimension, aligned from the right."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(with_source(f"einsum subscripts {subscripts!r} name {len(terms)} operands, "
                                     f"got {len(shapes)}"))
    ellipsis_ndim = 0
    for i, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        letters = term.replace(_ELLIPSIS, "", 1)
        if letters and not letters.isalpha():
            raise ValueError(with_source(f"invalid einsum subscripts {term!r} for operand {i}"))
        if len(letters) > len(shape) or (_ELLIPSIS not in term and len(letters) != len(shape)):
            raise ValueError(with_source(f"einsum subscripts {term!r} do not match operand {i} of shape {shape}"))
        if _ELLIPSIS in term:
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - len(letters))
    broadcast = "".join(chr(0x2460 + d) for d in range(ellipsis_ndim))  # circled digits: never letters
    terms = [term.replace(_ELLIPSIS, broadcast[ellipsis_ndim - (len(shape) - len(term) + len(_ELLIPSIS)):])
             if _ELLIPSIS in term else term for term, shape in zip(terms, shapes, strict=True)]
    if arrow:
        letters = output.replace(_ELLIPSIS, "", 1)
        if letters and not letters.isalpha():
            raise ValueError(with_source(f"invalid einsum output subscripts {output!r}"))
        output = output.replace(_ELLIPSIS, broadcast)
        if len(set(output)) != len(output):
            raise ValueError(with_source(f"einsum output subscripts {output!r} repeat an index"))
        missing = set(output) - set("".join(terms))
        if missing:
            raise ValueError(with_source(f"einsum output index {sorted(missing)[0]!r} does not appear in the inputs"))
    else:  # implicit: the broadcast dimensions, then the letters used once, in alphabetical order
        used = "".join(terms)
        output = broadcast + "".join(sorted(c for c in set(used) if c not in broadcast and used.count(c) == 1))
    return terms, output, broadcast


def _check_sizes(terms, operands):
    """JAX's check: an index's sizes agree, or are 1 where the others are not."""
    sizes = {}
    for i, (term, x) in enumerate(zip(terms, operands, strict=True)):
        for c, size in zip(term, x.aval.shape, strict=True):
            known = sizes.setdefault(c, size)
            if size != known:
                if 1 not in (size, known):
                    raise ValueError(with_source(f"Size of label {c!r} for operand {i} ({size}) does not match "
                                                 f"previous terms ({known})."))
                sizes[c] = max(size, known)


@jitted_in_jax
def einsum(subscripts, *operands, out=None, optimize="auto", precision=None, preferred_element_type=None):
    """Einstein summation: products of the operands summed over the indices the output
    does not name. Repeated indices within an operand take its diagonal; the operands
    contract pairwise, left to right, each pair in one dot_general."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.einsum is not supported.")
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_subscripts(subscripts, *operands)
    operands = _promoted("einsum", *operands)
    terms, output, _ = _parse_einsum(subscripts, [x.aval.shape for x in operands])
    _check_sizes(terms, operands)
    pairs = [_prepare(x, term, terms[:i] + terms[i + 1:], operands[:i] + operands[i + 1:])
             for i, (x, term) in enumerate(zip(operands, terms, strict=True))]
    result, term = pairs[0]
    for i, (rhs, rhs_term) in enumerate(pairs[1:], start=2):
        needed = set(output).union(*terms[i:])
        result, term = _sum_out(result, term, needed | set(rhs_term))
        rhs, rhs_term = _sum_out(rhs, rhs_term, needed | set(term))
        shared = [c for c in term if c in rhs_term]
        batch = [c for c in shared if c in needed]
        contracting = [c for c in shared if c not in needed]
        result = _contract(result, rhs, (tuple(map(term.index, contracting)), tuple(map(rhs_term.index, contracting))),
                           (tuple(map(term.index, batch)), tuple(map(rhs_term.index, batch))), preferred_element_type)
        term = "".join(batch) + "".join(c for c in term if c not in shared) + \
            "".join(c for c in rhs_term if c not in shared)
    result, term = _sum_out(result, term, set(output))
    result = lax.transpose(result, tuple(term.index(c) for c in output))
    if preferred_element_type is not None:
        result = lax.convert_element_type(result, user_dtype(preferred_element_type))
    return result


def _sublist_subscripts(*args):
    """The subscripts string and operands of einsum's interleaved form (op0, sublist0,
    op1, sublist1, ..., [output sublist]), as NumPy reads it: index k is the k-th letter
    of a-zA-Z, Ellipsis is "..."."""
    operands, sublists = list(args[0::2]), list(args[1::2])
    output = operands.pop() if len(args) % 2 else None

    def term(sublist):
        letters = []
        for s in sublist:
            if s is Ellipsis:
                letters.append("...")
                continue
            k = operator.index(s)
            if not 0 <= k < len(string.ascii_letters):
                raise ValueError(with_source(f"subscript is not within the valid range [0, 52), got {k}"))
            letters.append(string.ascii_letters[k])
        return "".join(letters)

    subscripts = ",".join(term(s) for s in sublists) + ("" if output is None else "->" + term(output))
    return subscripts, operands


def _prepare(x, term, other_terms, others):
    """The operand without its size-1 dimensions whose index another operand has at
    another size (broadcast, as JAX's filter_singleton_dims), and with each repeated
    index replaced by its diagonal (as the last dimension)."""
    wider = {c for t, y in zip(other_terms, others, strict=True)
             for c, n in zip(t, y.aval.shape, strict=True) if n != 1}
    squeezed = [d for d, c in enumerate(term) if x.aval.shape[d] == 1 and c in wider]
    x = lax.squeeze(x, squeezed)
    term = "".join(c for d, c in enumerate(term) if d not in squeezed)
    for c in dict.fromkeys(term):
        axes = [d for d, t in enumerate(term) if t == c]
        if len({x.aval.shape[d] for d in axes}) > 1:
            # Sizes 1 and n: JAX's contraction with a delta, which keeps the last
            # occurrence's size (zeros past the first element).
            reduce = lax.reduce_or if x.aval.dtype == np.bool_ else lax.reduce_sum
            x = reduce(lax.select(_delta(x.aval.shape, axes), x, lax.full_like(x, 0)), tuple(axes[:-1]))
            last = axes[-1] - len(axes) + 1  # where the kept occurrence is now
            x = lax.transpose(x, tuple(d for d in range(x.aval.ndim) if d != last) + (last,))
            term = "".join(t for d, t in enumerate(term) if d not in axes) + c
        while term.count(c) > 1:
            first = term.index(c)
            second = term.index(c, first + 1)
            x = diagonal(x, 0, first, second)
            term = "".join(t for d, t in enumerate(term) if d not in (first, second)) + c
    return x, term


def _delta(shape, axes):
    """Where the indices along `axes` are all equal, over `shape`."""
    iotas = [lax.broadcasted_iota(np.int32, shape, d) for d in axes]
    eye = lax.eq(iotas[0], iotas[1])
    for a, b in zip(iotas[1:-1], iotas[2:], strict=True):
        eye = lax.bitwise_and(eye, lax.eq(a, b))
    return eye


def _sum_out(x, term, needed):
    """x summed over the indices of `term` not in `needed` (or over bools: any)."""
    axes = tuple(d for d, c in enumerate(term) if c not in needed)
    if not axes:
        return x, term
    reduce = lax.reduce_or if x.aval.dtype == np.bool_ else lax.reduce_sum
    return reduce(x, axes), "".join(c for c in term if c in needed)
