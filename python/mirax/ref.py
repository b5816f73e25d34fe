"""Mutable array references, as jax.ref (and jax.new_ref, jax.freeze, jax.ds, ...).

A Ref (core.Ref) is functional underneath: reading one is its current value, indexed;
writing one makes a new value (`.at[...].set`) its current value, in the trace where
the write happens or outside. A jitted function that reads a Ref it closes over, or
takes as an argument, takes its value when called; one that writes it returns the
final value as an extra output, written back when the call returns (core.Ref), so
the effect is visible after the call, as in JAX. Refs made inside a function (a
scratch buffer, frozen at the end) work under every transformation; a scan, fori_loop
or while_loop body writing a Ref carries its value through the loop, and cond/switch
branches take and return it; grad, jvp, vjp and linearize write a Ref from outside
with a value that does not depend on what they differentiate, once (the recomputed
forward pass of a VJP or a linearized JVP does not write again). As in JAX, vmap
refuses any write of a Ref from outside, differentiation a differentiated one, jit
returning a Ref; mirax also refuses writes of Refs from outside inside checkpoint,
custom_jvp/custom_vjp/custom_vmap functions (core's _check_no_ref_writes).

Indexing takes what JAX's Ref indexing takes: integers, slices, `...`, and
`ds(start, size, stride)` slices whose start may be traced (clamped into bounds, as
lax.dynamic_slice); values written must have the indexed shape and the Ref's dtype
exactly (no broadcasting or promotion), with JAX's errors."""
import dataclasses
from typing import NamedTuple

from mirax import lax
from mirax import numpy as jnp
from mirax.core import Aval, Ref, Tracer, current_trace, to_array, with_source
from mirax.errors import shaped_str
from mirax.memory import Space

__all__ = ["AbstractRef", "Ref", "addupdate", "empty_ref", "free_ref", "freeze", "get", "new_ref", "set", "swap"]


class AbstractRef(NamedTuple):
    """A Ref's type: the type of its value (jax.typeof(ref) prints Ref{float32[3]})."""

    inner_aval: Aval

    @property
    def shape(self):
        return self.inner_aval.shape

    @property
    def dtype(self):
        return self.inner_aval.dtype

    def __str__(self):
        return f"Ref{{{shaped_str(self.inner_aval)}}}"

    __repr__ = __str__


@dataclasses.dataclass(frozen=True)
class Slice:
    """`size` elements from `start` (an int or a traced integer) by `stride`: jax.ds's."""

    start: object
    size: int
    stride: int = 1


def ds(start, size=None, stride=None):
    """jax.ds: a Slice, or a Python slice where `start` is a slice already."""
    if isinstance(start, slice):
        return start
    if size is None:
        raise TypeError("Must provide size to `ds` when start is not a slice.")
    return Slice(start, size, 1 if stride is None else stride)


def _check_memory_space(memory_space):
    if memory_space not in (None, Space.Device, Space.Any):
        raise NotImplementedError(f"mirax Refs live in device memory: memory_space={memory_space!r} is not supported")


def new_ref(init_val, *, memory_space=None, kind=None):
    """A Ref holding (a copy of) `init_val`."""
    _check_memory_space(memory_space)
    if kind is not None:
        raise NotImplementedError(f"mirax.new_ref does not take kind={kind!r} (mutation under rematerialization)")
    if isinstance(init_val, Ref):
        raise TypeError(with_source("new_ref of a Ref: its initial value must be an array"))
    value = to_array(init_val)
    trace = current_trace()
    if trace is None:
        return Ref(jnp.array(value), None)  # a copy: writes never reach init_val
    ref = Ref(value, trace)
    trace.write_ref(ref, trace.lift(value))
    return ref


def empty_ref(ty, memory_space=None):
    """A Ref of the type `ty` (a ShapeDtypeStruct or array), under jit (as JAX: not
    eagerly); its contents are unspecified until written (mirax's are zeros)."""
    _check_memory_space(memory_space)
    if current_trace() is None:
        raise NotImplementedError("Evaluation rule for 'empty_ref' not implemented")
    return new_ref(jnp.zeros(ty.shape, ty.dtype))


def free_ref(ref):
    """Invalidate `ref`: using it afterwards is an error."""
    _check_ref(ref, "free_ref")
    _invalidate(ref)
    return ()


def freeze(ref):
    """`ref`'s final value; `ref` is invalid afterwards."""
    _check_ref(ref, "freeze")
    value = ref._read()
    _invalidate(ref)
    return value


def _invalidate(ref):
    if current_trace() is None:
        ref._array = None


def _check_ref(ref, what):
    if not isinstance(ref, Ref):
        raise TypeError(with_source(f"{what} takes a Ref, got {type(ref).__name__}"))


def _index(idx, shape):
    """`idx` as NumPy indexing: a ds Slice becomes a static slice, or with a traced start
    the indices of its elements (its start clamped into bounds, as dynamic_slice)."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    if idx == (None,):  # get(ref) and set(ref, None, v): the whole value
        return ...
    axis, out, traced = 0, [], 0
    for i in idx:
        if i is Ellipsis:
            axis = len(shape) - (len(idx) - 1 - len(out))
            out.append(i)
            continue
        if isinstance(i, Slice):
            if isinstance(i.start, (int, type(None))) and not isinstance(i.start, bool):
                start = i.start or 0
                i = slice(start, start + i.size * i.stride, i.stride)
            else:
                traced += 1
                start = lax.clamp(0, to_array(i.start).astype(jnp.int32), shape[axis] - 1 - (i.size - 1) * i.stride)
                i = start + jnp.arange(i.size, dtype=jnp.int32) * i.stride
        out.append(i)
        axis += 1
    if traced > 1:
        raise NotImplementedError("mirax Refs take one ds slice with a traced start per index")
    return tuple(out)


def _whole(index):
    """Whether `index` selects the whole value (compared by identity: it may hold tracers)."""
    return index is Ellipsis or (isinstance(index, tuple) and all(i is Ellipsis for i in index))


def get(ref, idx=None):
    """ref[idx]."""
    _check_ref(ref, "get")
    value = ref._read()
    return value[_index(idx, value.shape)]


def swap(ref, idx, value):
    """ref[idx] = value, returning what ref[idx] was; `value` of the indexed shape and
    the Ref's dtype, as JAX's."""
    _check_ref(ref, "swap")
    current = ref._read()
    index = _index(idx, current.shape)
    old = current[index]
    value = to_array(value)
    if value.aval.shape != old.shape:
        raise ValueError(with_source(
            f"Invalid shape for `swap`. Ref shape: {ref.aval.shape}. Expected shape: {old.shape}. Value shape: "
            f"{value.aval.shape}. Transforms: (). "))
    if value.aval.dtype != ref.aval.dtype:
        raise ValueError(with_source(
            f"Invalid dtype for `swap`. Ref dtype: {ref.aval.dtype}. Value dtype: {value.aval.dtype}. "))
    ref._write(value if _whole(index) else current.at[index].set(value))
    return old


def set(ref, idx, value):  # noqa: A001 (jax.ref.set)
    """ref[idx] = value."""
    swap(ref, idx, value)


def addupdate(ref, idx, x):
    """ref[idx] += x, as one update."""
    _check_ref(ref, "addupdate")
    current = ref._read()
    index = _index(idx, current.shape)
    x = to_array(x)
    if x.aval.shape != current[index].shape or x.aval.dtype != ref.aval.dtype:
        raise ValueError(with_source(
            f"Invalid type for `addupdate`. Ref: {AbstractRef(ref.aval)}, indexed to "
            f"{current[index].aval.str_short()}; value: {x.aval.str_short()}"))
    ref._write(current + x if _whole(index) else current.at[index].add(x))


def _repr(ref):
    value = ref._read()
    if isinstance(value, Tracer):
        return f"Traced<{AbstractRef(ref.aval)}>"
    return "Ref" + repr(value)[len("Array"):]


# Ref's methods (core.Ref holds the state; its indexing is here, above numpy)
Ref.__getitem__ = get
Ref.__setitem__ = set
Ref.__repr__ = _repr
Ref.__str__ = _repr
Ref.shape = property(lambda ref: ref.aval.shape)
Ref.dtype = property(lambda ref: ref.aval.dtype)
Ref.ndim = property(lambda ref: len(ref.aval.shape))
Ref.size = property(lambda ref: ref.aval.size)
Ref.__len__ = lambda ref: ref.aval.shape[0] if ref.aval.shape else _no_len()
Ref.addupdate = lambda ref, x, idx=(): addupdate(ref, idx, x)
Ref.at = property(lambda ref: _no_at())


def _no_at():
    raise NotImplementedError("Ref.at is not supported (JAX 0.10's raises NotImplementedError too)")


def _no_len():
    raise TypeError("len() of unsized object")
