"""Value builders for rules that emit mirax ops (JVP rules and the passes): each takes
and returns ir.Values, inferring result types with the ops' own type rules."""
import numpy as np

from . import ops
from .types import ShapedType, shaped_type


def type_of(value):
    return shaped_type(value.type)


def scalar(value):
    """A 0-d constant of a NumPy scalar; complex ones from their two parts, since the
    bindings cannot read complex attributes back."""
    value = np.asarray(value)
    if value.dtype.kind != "c":
        return ops.constant(value=value)
    return ops.complex(ops.constant(value=value.real), ops.constant(value=value.imag))


def full(shaped, fill):
    """A tensor of `shaped`'s type filled with `fill`: a 0-d constant, broadcast."""
    value = scalar(np.array(fill, dtype=shaped.dtype))
    if not shaped.shape:
        return value
    return ops.broadcast_in_dim(value, shape=tuple(shaped.shape), broadcast_dimensions=())


def zeros(shaped):
    return full(shaped, 0)


def full_like(value, scalar):
    return full(type_of(value), scalar)


def add_tangents(a, b):
    """The sum of two tangents, either of which may be a symbolic zero (None)."""
    if a is None:
        return b
    if b is None:
        return a
    return ops.add(a, b)


def instantiate(tangent, shaped):
    """A tangent as a value: symbolic zeros become zeros of `shaped`."""
    return zeros(ShapedType(tuple(shaped.shape), shaped.dtype)) if tangent is None else tangent


def sum_over(value, axes):
    """`value` summed over `axes` (those dimensions dropped); itself when there are none."""
    return ops.reduce_sum(value, axes=tuple(axes)) if axes else value
