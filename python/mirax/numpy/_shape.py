"""NumPy's shape functions: reshapes, axis moves, joining, splitting, tiling, padding."""
import operator
import sys

import numpy as np

from mirax import lax
from mirax.core import Tracer, is_array, to_array, user_frame, with_source

from ._util import broadcast_to_shape, canonicalize_axes, canonicalize_axis, check_arraylike, promote_dtypes


def _arraylike(fn_name, a):
    check_arraylike(fn_name, a)
    return to_array(a)


def _static_ints(fn_name, values):
    """A tuple of Python ints for an int or a sequence of ints (shapes, reps, sections)."""
    for value in values if isinstance(values, (tuple, list)) else (values,):
        if isinstance(value, Tracer):  # ConcretizationTypeError where it has no value
            value.concrete_or_error(f"{fn_name} needs static integers (shapes, repetitions, sections).")
    values = np.asarray(values)
    if values.size and values.dtype.kind not in "iu":
        raise TypeError(with_source(f"{fn_name} requires integers, got {values.tolist()!r}"))
    return tuple(int(v) for v in values.reshape(-1))


# ----------------------------------------------------------------------------- shape queries


def shape(a):
    return a.shape if is_array(a) else np.shape(a)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    dims = shape(a)
    if axis is None:
        return int(np.prod(dims, dtype=np.int64))
    return int(np.prod([dims[i] for i in canonicalize_axes(axis, len(dims))], dtype=np.int64))


# ----------------------------------------------------------------------------- reshapes


def reshape(a, shape, order="C", *, copy=None):
    """`a`'s elements in row-major order in `shape`; one entry may be -1 (inferred)."""
    a = _arraylike("reshape", a)
    if order != "C":
        raise NotImplementedError(with_source(f"reshape supports order='C' only, got order={order!r}"))
    requested = _static_ints("reshape", shape)
    old_size = a.aval.size
    new_shape = requested
    if requested.count(-1) == 1:
        known = int(np.prod([s for s in requested if s != -1], dtype=np.int64))
        if known and old_size % known == 0:
            new_shape = tuple(old_size // known if s == -1 else s for s in requested)
    if any(s < 0 for s in new_shape) or int(np.prod(new_shape, dtype=np.int64)) != old_size:
        raise TypeError(with_source(
            f"cannot reshape array of shape {a.aval.shape} (size {old_size}) into shape {requested}"))
    return lax.reshape(a, new_shape)


def ravel(a, order="C"):
    a = _arraylike("ravel", a)
    return reshape(a, (a.aval.size,), order)


def transpose(a, axes=None):
    a = _arraylike("transpose", a)
    ndim = a.aval.ndim
    axes = tuple(range(ndim))[::-1] if axes is None else tuple(canonicalize_axis(i, ndim) for i in axes)
    if sorted(axes) != list(range(ndim)):
        raise TypeError(with_source(f"transpose permutation isn't a permutation of operand dimensions, got "
                                    f"permutation {axes} for operand shape {a.aval.shape}"))
    return lax.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    a = _arraylike("swapaxes", a)
    perm = list(range(a.aval.ndim))
    i, j = canonicalize_axis(axis1, a.aval.ndim), canonicalize_axis(axis2, a.aval.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, perm)


def moveaxis(a, source, destination):
    a = _arraylike("moveaxis", a)
    ndim = a.aval.ndim
    source = [canonicalize_axis(i, ndim) for i in np.atleast_1d(source)]
    destination = [canonicalize_axis(i, ndim) for i in np.atleast_1d(destination)]
    if len(source) != len(destination):
        raise ValueError(with_source("Inconsistent number of elements: "
                                     f"{len(source)} source axes vs {len(destination)} destination axes"))
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise ValueError(with_source(f"repeated axis in moveaxis: source={source}, destination={destination}"))
    perm = [i for i in range(ndim) if i not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        perm.insert(dest, src)
    return lax.transpose(a, perm)


def squeeze(a, axis=None):
    a = _arraylike("squeeze", a)
    if axis is None:
        axes = tuple(i for i, s in enumerate(a.aval.shape) if s == 1)
    else:
        axes = canonicalize_axes(axis, a.aval.ndim)
        if any(a.aval.shape[i] != 1 for i in axes):
            raise ValueError(with_source(
                f"cannot select an axis to squeeze out which has size not equal to one, got shape={a.aval.shape} "
                f"and dimensions={axes}"))
    return lax.squeeze(a, axes)


def expand_dims(a, axis):
    a = _arraylike("expand_dims", a)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    return lax.expand_dims(a, canonicalize_axes(axes, a.aval.ndim + len(axes)))


def _atleast(fn_name, ndim, new_shape):
    def fn(*arys):
        check_arraylike(fn_name, *arys)
        out = [to_array(x) for x in arys]
        out = [x if x.aval.ndim >= ndim else lax.reshape(x, new_shape(x.aval.shape)) for x in out]
        return out[0] if len(out) == 1 else out

    fn.__name__ = fn.__qualname__ = fn_name
    return fn


atleast_1d = _atleast("atleast_1d", 1, lambda s: (1,) * (1 - len(s)) + s)
atleast_2d = _atleast("atleast_2d", 2, lambda s: (1,) * (2 - len(s)) + s)
# NumPy's rule: a vector becomes (1, n, 1), a scalar (1, 1, 1), a matrix (m, n, 1).
atleast_3d = _atleast("atleast_3d", 3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


# ----------------------------------------------------------------------------- broadcasting


def broadcast_shapes(*shapes):
    shapes = [_static_ints("broadcast_shapes", s) for s in shapes]
    try:
        return lax.broadcast_shapes(*shapes)
    except ValueError as err:
        raise ValueError(with_source(str(err))) from None


def broadcast_to(array, shape):
    array = _arraylike("broadcast_to", array)
    shape = _static_ints("broadcast_to", shape)
    old = array.aval.shape
    if len(old) > len(shape) or any(o not in (1, s) for o, s in zip(old[::-1], shape[::-1])):
        raise ValueError(with_source(f"Incompatible shapes for broadcasting: {old} and requested shape {shape}"))
    return broadcast_to_shape(array, shape)


def broadcast_arrays(*args):
    check_arraylike("broadcast_arrays", *args)
    arrays = [to_array(x) for x in args]
    target = broadcast_shapes(*(x.aval.shape for x in arrays))
    return [broadcast_to_shape(x, target) for x in arrays]


# ----------------------------------------------------------------------------- joining


def _sequence(fn_name, arrays):
    """The list of arrays to join: a sequence of arraylikes, or an array's slices along axis 0."""
    if is_array(arrays) or isinstance(arrays, np.ndarray):
        return list(to_array(arrays))
    check_arraylike(fn_name, *arrays)
    return [to_array(x) for x in arrays]


def concatenate(arrays, axis=0, dtype=None):
    arrays = _sequence("concatenate", arrays)
    if not arrays:
        raise ValueError(with_source("Need at least one array to concatenate."))
    if axis is None:
        return concatenate([ravel(x) for x in arrays], 0, dtype)
    if arrays[0].aval.ndim == 0:
        raise ValueError(with_source("Zero-dimensional arrays cannot be concatenated."))
    arrays = promote_dtypes(*arrays)
    if dtype is not None:
        arrays = [lax.convert_element_type(x, dtype) for x in arrays]
    return lax.concatenate(arrays, canonicalize_axis(axis, arrays[0].aval.ndim))


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = _sequence("stack", arrays)
    if not arrays:
        raise ValueError(with_source("Need at least one array to stack."))
    if len({x.aval.shape for x in arrays}) != 1:
        raise ValueError(with_source(
            f"All input arrays must have the same shape, got {', '.join(str(x.aval.shape) for x in arrays)}"))
    axis = canonicalize_axis(axis, arrays[0].aval.ndim + 1)
    return concatenate([lax.expand_dims(x, (axis,)) for x in arrays], axis, dtype)


def _user_stacklevel():
    """warnings.warn's stacklevel that points at the user's line (the first frame outside mirax)."""
    target, frame, level = user_frame(), sys._getframe(1), 1
    while frame is not None and frame is not target:
        frame, level = frame.f_back, level + 1
    return level


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


# ----------------------------------------------------------------------------- splitting


def _split(fn_name, ary, indices_or_sections, axis, equal):
    ary = _arraylike(fn_name, ary)
    axis = canonicalize_axis(axis, ary.aval.ndim)
    length = ary.aval.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(with_source("number sections must be larger than 0."))
        if equal and length % sections:
            raise ValueError(with_source("array split does not result in an equal division"))
        # NumPy's array_split: the first length % sections parts are one longer
        sizes = [length // sections + (i < length % sections) for i in range(sections)]
        points = np.cumsum([0] + sizes)
    else:
        points = [0, *_static_ints(fn_name, indices_or_sections), length]
    bounds = [slice(start, stop).indices(length)[:2] for start, stop in zip(points[:-1], points[1:])]
    return [lax.slice_in_dim(ary, start, max(start, stop), axis=axis) for start, stop in bounds]


def split(ary, indices_or_sections, axis=0):
    return _split("split", ary, indices_or_sections, axis, equal=True)


def array_split(ary, indices_or_sections, axis=0):
    return _split("array_split", ary, indices_or_sections, axis, equal=False)


# ----------------------------------------------------------------------------- repeating, rolling, flipping


def tile(A, reps):
    A = _arraylike("tile", A)
    reps = _static_ints("tile", reps)
    shape = (1,) * (len(reps) - A.aval.ndim) + A.aval.shape
    reps = (1,) * (len(shape) - len(reps)) + reps
    return lax.tile(lax.reshape(A, shape), reps)


def roll(a, shift, axis=None):
    """`a` rotated by `shift` along `axis` (the flattened array when None): the window of
    length n starting at (-shift mod n) in [a, a], its start computed at run time where
    `shift` is traced (as JAX's _roll_dynamic)."""
    a = _arraylike("roll", a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.aval.shape)
    axes = _static_ints("roll", axis)
    if len(np.broadcast_shapes(np.shape(shift), np.shape(axis))) > 1:
        raise ValueError(with_source("'shift' and 'axis' arguments to roll must be scalars or 1D arrays"))
    if isinstance(shift, Tracer):
        shift = lax.convert_element_type(shift, np.int32)
        shifts = broadcast_to(shift, np.broadcast_shapes(shift.aval.shape, (len(axes),)))
        shifts = [shifts[i] for i in range(shifts.aval.shape[0])]
        axes = np.broadcast_to(axes, (len(shifts),))
    else:
        shifts, axes = np.broadcast_arrays(_static_ints("roll", shift), axes)
    for s, ax in zip(shifts, axes, strict=True):
        ax = canonicalize_axis(ax, a.aval.ndim)
        n = a.aval.shape[ax]
        if n:
            start = int(-s % n) if isinstance(s, np.integer) else lax.rem(lax.rem(-s, np.int32(n)) + n, np.int32(n))
            a = lax.dynamic_slice_in_dim(lax.concatenate([a, a], ax), start, n, ax)
    return a


def flip(m, axis=None):
    m = _arraylike("flip", m)
    return lax.rev(m, canonicalize_axes(axis, m.aval.ndim))


def fliplr(m):
    m = _arraylike("fliplr", m)
    if m.aval.ndim < 2:
        raise ValueError(with_source("fliplr requires an array of at least 2 dimensions"))
    return lax.rev(m, (1,))


def flipud(m):
    m = _arraylike("flipud", m)
    if m.aval.ndim < 1:
        raise ValueError(with_source("flipud requires an array of at least 1 dimension"))
    return lax.rev(m, (0,))


# ----------------------------------------------------------------------------- padding


def pad(array, pad_width, mode="constant", **kwargs):
    """NumPy's pad with a static pad_width (an int, a pair, or a pair per axis) in the modes
    constant (constant_values), edge, reflect, symmetric and wrap."""
    array = _arraylike("pad", array)
    ndim = array.aval.ndim
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (ndim, 2))
    except ValueError:
        raise ValueError(with_source(f"pad_width {pad_width!r} does not fit an array of dimension {ndim}")) from None
    if widths.dtype.kind not in "iu":
        raise TypeError(with_source(f"pad_width must be integers, got {pad_width!r}"))
    if (widths < 0).any():
        raise ValueError(with_source(f"index can't contain negative values, got pad_width={pad_width!r}"))
    widths = [(int(lo), int(hi)) for lo, hi in widths]
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"}, "symmetric": {"reflect_type"}}
    if mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
        raise NotImplementedError(with_source(f"mirax.numpy.pad does not support mode {mode!r}"))
    unexpected = set(kwargs) - allowed.get(mode, set())
    if unexpected:
        raise ValueError(with_source(f"unsupported keyword arguments for mode {mode!r}: {sorted(unexpected)}"))
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError(with_source("pad supports reflect_type='even' only"))
    if mode == "constant":
        return _pad_constant(array, widths, kwargs.get("constant_values", 0))
    for axis, (lo, hi) in enumerate(widths):
        if array.aval.shape[axis] == 0 and (lo or hi):
            raise ValueError(with_source(f"can't extend empty axis {axis} using modes other than 'constant'"))
        if lo or hi:
            array = _PAD_AXIS[mode](array, axis, lo, hi)
    return array


def _pad_constant(array, widths, constant_values):
    values = to_array(constant_values)
    dtype = array.aval.dtype
    if values.aval.ndim == 0:
        return lax.pad(array, lax.convert_element_type(values, dtype), [(lo, hi, 0) for lo, hi in widths])
    values = broadcast_to(values, (array.aval.ndim, 2))
    for axis, (lo, hi) in enumerate(widths):
        for side, width in enumerate((lo, hi)):
            value = lax.index_in_dim(lax.index_in_dim(values, axis, 0, False), side, 0, False)
            config = [(0, 0, 0)] * array.aval.ndim
            config[axis] = (width, 0, 0) if side == 0 else (0, width, 0)
            array = lax.pad(array, lax.convert_element_type(value, dtype), config)
    return array


def _pad_edge(array, axis, lo, hi):
    def edge(index, width):
        piece = lax.slice_in_dim(array, index, index + 1, axis=axis)
        shape = list(array.aval.shape)
        shape[axis] = width
        return broadcast_to_shape(piece, shape)

    return _concatenate_nonempty([edge(0, lo), array, edge(array.aval.shape[axis] - 1, hi)], axis)


def _pad_wrap(array, axis, lo, hi):
    n = array.aval.shape[axis]
    # NumPy's rule for widths beyond the size: the array repeats periodically
    parts = [lax.slice_in_dim(array, n - lo % n, n, axis=axis)] + [array] * (lo // n + 1 + hi // n)
    parts.append(lax.slice_in_dim(array, 0, hi % n, axis=axis))
    return _concatenate_nonempty(parts, axis)


def _concatenate_nonempty(parts, axis):
    return lax.concatenate([p for p in parts if p.aval.shape[axis]], axis)


def _pad_mirror(offset):
    """reflect (offset 1: the edge is not repeated) or symmetric (offset 0). Widths beyond
    the size reflect the padded array again, as NumPy does."""

    def pad_axis(array, axis, lo, hi):
        n = array.aval.shape[axis]
        if n - offset <= 0:  # reflecting a single element: NumPy repeats it
            return _pad_edge(array, axis, lo, hi)
        while lo > 0:
            width = min(lo, n - offset)
            lo -= width
            mirror = lax.rev(lax.slice_in_dim(array, offset, offset + width, axis=axis), (axis,))
            array = lax.concatenate([mirror, array], axis)
        while hi > 0:
            width = min(hi, n - offset)
            hi -= width
            size = array.aval.shape[axis]
            mirror = lax.rev(lax.slice_in_dim(array, size - offset - width, size - offset, axis=axis), (axis,))
            array = lax.concatenate([array, mirror], axis)
        return array

    return pad_axis


_PAD_AXIS = {"edge": _pad_edge, "wrap": _pad_wrap, "reflect": _pad_mirror(1), "symmetric": _pad_mirror(0)}
