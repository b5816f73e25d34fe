"""lax's convolutions over the dialect's conv_general_dilated op (dialect/convolution.py).

Dimension numbers, string paddings and the convenience wrappers are JAX's
(jax/_src/lax/convolution.py). The operands must share a dtype, as JAX's;
`preferred_element_type` (validated as JAX does) is the dtype the convolution
computes in: the operands are converted to it, which is exact for the combinations
JAX allows. `precision` may be None or one of JAX's precision names (or a pair):
they do not change values on the CPU, which computes every dtype at full precision
as JAX's CPU backend does; an algorithm preset (which could) is not supported.
"""
import operator
from typing import NamedTuple, Sequence, Union

import numpy as np

from mirax import dtypes
from mirax.core import bind, to_array
from mirax.dialect.convolution import ConvGeneralDilatedOp, dilate_dim, stride_dim

from ._dot import _as, dot_general
from ._shape import rev, transpose


class ConvDimensionNumbers(NamedTuple):
    """Describes batch, spatial, and feature dimensions of a convolution: lhs_spec and
    out_spec are (batch, feature, spatial...), rhs_spec (out feature, in feature,
    spatial...)."""

    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


ConvGeneralDilatedDimensionNumbers = Union[tuple[str, str, str], ConvDimensionNumbers, None]


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
    """`dimension_numbers` (None, strings or ConvDimensionNumbers) as ConvDimensionNumbers."""
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got {len(lhs_shape)} and "
                        f"{len(rhs_shape)}.")
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (list, tuple)):
        raise TypeError(f"convolution dimension_numbers must be tuple/list or None, got {type(dimension_numbers)}.")
    if len(dimension_numbers) != 3:
        raise TypeError(f"convolution dimension_numbers list/tuple must be length 3, got {len(dimension_numbers)}.")
    if not all(isinstance(elt, str) for elt in dimension_numbers):
        raise TypeError(f"convolution dimension_numbers elements must be strings, got "
                        f"{tuple(map(type, dimension_numbers))}.")
    for i, elt in enumerate(dimension_numbers):
        if len(elt) != len(lhs_shape):
            raise TypeError(f"convolution dimension_numbers[{i}] must have len equal to the ndim of lhs and rhs, "
                            f"got {len(elt)} for lhs and rhs shapes {lhs_shape} and {rhs_shape}.")
    return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))


def conv_general_permutations(dimension_numbers):
    """The (lhs, rhs, out) permutations of three spec strings, spatial dimensions in
    rhs_spec's order."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    charpairs = ("N", "C"), ("O", "I"), ("N", "C")
    for i, (a, b) in enumerate(charpairs):
        if not dimension_numbers[i].count(a) == dimension_numbers[i].count(b) == 1:
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the characters '{a}' and '{b}' "
                            f"exactly once, got {dimension_numbers[i]}.")
        if len(dimension_numbers[i]) != len(set(dimension_numbers[i])):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate characters, "
                            f"got {dimension_numbers[i]}.")
    if not (set(lhs_spec) - set(charpairs[0]) == set(rhs_spec) - set(charpairs[1]) ==
            set(out_spec) - set(charpairs[2])):
        raise TypeError(f"convolution dimension_numbers elements must each have the same set of spatial "
                        f"characters, got {dimension_numbers}.")

    def getperm(spec, charpair):
        spatial = [i for i, c in enumerate(spec) if c not in charpair]
        if spec is not rhs_spec:
            spatial = sorted(spatial, key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(charpair[0]), spec.index(charpair[1])) + tuple(spatial)

    return tuple(map(getperm, dimension_numbers, charpairs))


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """The (low, high) pads of 'SAME', 'SAME_LOWER' or 'VALID' padding."""
    if not isinstance(padding, str):
        raise TypeError(f"Unknown padding type: {padding}.")
    kind = padding.upper()
    if kind not in ("VALID", "SAME", "SAME_LOWER"):
        raise RuntimeError(f"Unrecognized padding type: expected 'VALID', 'SAME', or 'SAME_LOWER', got {padding}.")
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for size, window, stride in zip(in_shape, window_shape, window_strides, strict=True):
        out = -(-int(size) // int(stride))
        total = max((out - 1) * int(stride) + int(window) - int(size), 0)
        pads.append((total // 2, total - total // 2) if kind == "SAME" else (total - total // 2, total // 2))
    return pads


PRECISIONS = ("default", "fastest", "bfloat16", "high", "bfloat16_3x", "tensorfloat32", "highest", "float32")


def _check_precision(precision):
    names = precision if isinstance(precision, (list, tuple)) and len(precision) == 2 else [precision]
    if precision is not None and not all(isinstance(p, str) and p in PRECISIONS for p in names):
        raise NotImplementedError(f"precision={precision!r} is not supported (None or one of {list(PRECISIONS)})")


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """The shape of a convolution of shapes in the canonical layouts (N, C, spatial...)
    and (O, I, spatial...)."""
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise TypeError(f"Wrong number of explicit pads for convolution: expected {len(lhs_shape) - 2}, "
                        f"got {len(pads)}.")
    padded = [int(s) + int(lo) + int(hi) for s, (lo, hi) in zip(lhs_shape[2:], pads, strict=True)]
    if any(p < 0 for p in padded):
        raise ValueError("Negative padding is larger than the size of the corresponding dimension: "
                         f"got padding={pads} for lhs_shape[2:]={lhs_shape[2:]}")
    out_space = tuple(stride_dim(p, int(k), int(s)) for p, k, s in zip(padded, rhs_shape[2:], strides, strict=True))
    return (int(lhs_shape[0]) // batch_group_count, int(rhs_shape[0])) + out_space


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """The shape of a convolution in the layouts of `dimension_numbers` (strings)."""
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    out = conv_shape_tuple([lhs_shape[d] for d in lhs_perm], [rhs_shape[d] for d in rhs_perm], window_strides,
                           padding)
    return tuple(out[i] for i in np.argsort(out_perm))


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """The shape of conv_transpose's result in the layouts of `dimension_numbers` (strings)."""
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    lhs_trans, rhs_trans = [lhs_shape[d] for d in lhs_perm], [rhs_shape[d] for d in rhs_perm]
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(k, s, padding) for k, s in zip(rhs_trans[2:], window_strides)]
    out_space = [(i - 1) * s - k + 2 + int(np.sum(pad)) for i, k, s, pad in zip(
        lhs_trans[2:], rhs_trans[2:], window_strides, padding, strict=True)]
    out = (lhs_trans[0], rhs_trans[0], *out_space)
    return tuple(out[i] for i in np.argsort(out_perm))


def _validate_preferred_element_type(input_dtype, preferred):
    """JAX's check of a preferred_element_type against the operands' dtype."""
    if not (dtypes.issubdtype(input_dtype, np.integer) and dtypes.issubdtype(preferred, np.floating)):
        if any(dtypes.issubdtype(input_dtype, t) and not dtypes.issubdtype(preferred, t)
               for t in (np.integer, np.floating, np.complexfloating)):
            raise TypeError("Input type is incompatible with `preferred_element_type`. The compatible combinations "
                            "of (input_type, preferred_element_type) are (integral, integral), (integral, floating), "
                            "(floating, floating), (complex, complex.")
        if dtypes.issubdtype(input_dtype, np.signedinteger) and not dtypes.issubdtype(preferred, np.signedinteger):
            raise TypeError("`preferred_element_type` must have the same signedness as the original type.")
    if np.dtype(preferred).itemsize < np.dtype(input_dtype).itemsize:
        raise TypeError("`preferred_element_type` must not be narrower than the original type.")


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1, precision=None,
                         preferred_element_type=None):
    """General n-dimensional convolution with optional dilation (XLA's Conv)."""
    _check_precision(precision)
    lhs, rhs = to_array(lhs), to_array(rhs)
    lhs_shape, rhs_shape = lhs.aval.shape, rhs.aval.shape
    dnums = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    if lhs_dilation is None:
        lhs_dilation = (1,) * (len(lhs_shape) - 2)
    elif isinstance(padding, str) and not len(lhs_dilation) == tuple(lhs_dilation).count(1):
        raise ValueError("String padding is not implemented for transposed convolution using this op. Please "
                         "either exactly specify the required padding or use conv_transpose.")
    if rhs_dilation is None:
        rhs_dilation = (1,) * (len(rhs_shape) - 2)
    if isinstance(padding, str):
        lhs_perm, rhs_perm, _ = dnums
        window = [dilate_dim(rhs_shape[d], r) for d, r in zip(rhs_perm[2:], rhs_dilation, strict=True)]
        padding = padtype_to_pads([lhs_shape[d] for d in lhs_perm[2:]], window, window_strides, padding)
    else:
        try:
            padding = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
        except (ValueError, TypeError) as e:
            raise ValueError("padding argument to conv_general_dilated should be a string or a sequence of "
                             f"(low, high) pairs, got {padding}") from e
    params = dict(window_strides=_ints(window_strides), padding=tuple(padding), lhs_dilation=_ints(lhs_dilation),
                  rhs_dilation=_ints(rhs_dilation), lhs_spec=_ints(dnums.lhs_spec), rhs_spec=_ints(dnums.rhs_spec),
                  out_spec=_ints(dnums.out_spec), feature_group_count=operator.index(feature_group_count),
                  batch_group_count=operator.index(batch_group_count))
    # JAX's shape and dtype rules, raising its errors as they are (bind would prefix them).
    ConvGeneralDilatedOp.infer(lhs.aval.shaped, rhs.aval.shaped, **params)
    dtype = lhs.aval.dtype
    if preferred_element_type is not None:
        dtype = dtypes.canonicalize_dtype(preferred_element_type)
        _validate_preferred_element_type(lhs.aval.dtype, dtype)
    (out,) = bind(ConvGeneralDilatedOp, _as(lhs, dtype), _as(rhs, dtype), **params)
    return out


def _ints(values):
    return tuple(operator.index(v) for v in values)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """conv_general_dilated without dilations, in the NCHW/OIHW layout."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, precision=None,
                              preferred_element_type=None):
    """conv_general_dilated in the NCHW/OIHW layout."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                                 dimension_numbers=None, precision=None, preferred_element_type=None):
    """The patches conv_general_dilated would multiply with a kernel of `filter_shape`,
    flattened into the output feature dimension (as JAX's: a convolution with an
    identity kernel per input feature)."""
    lhs = to_array(lhs)
    filter_shape = tuple(filter_shape)
    dn = conv_dimension_numbers(lhs.aval.shape, (1, 1) + filter_shape, dimension_numbers)
    size = int(np.prod(filter_shape))
    channels = lhs.aval.shape[dn.lhs_spec[1]]
    rhs = np.broadcast_to(np.eye(size, dtype=lhs.aval.dtype), (channels, size, size))
    rhs = np.moveaxis(rhs.reshape(channels * size, 1, *filter_shape), (0, 1), (dn.rhs_spec[0], dn.rhs_spec[1]))
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, dn,
                                precision=None if precision is None else (precision, "default"),
                                feature_group_count=channels, preferred_element_type=preferred_element_type)


def conv_general_dilated_local(lhs, rhs, window_strides, padding, filter_shape, lhs_dilation=None,
                               rhs_dilation=None, dimension_numbers=None, precision=None):
    """An unshared convolution (a locally connected layer), as JAX's: each output
    position has its own kernel. rhs is laid out by the kernel spec with its spatial
    dimensions the output's positions and its I dimension the input features times
    the window (features outermost), so the result is the patches of
    conv_general_dilated_patches contracted with rhs position by position."""
    lhs = to_array(lhs)
    _check_precision(precision)
    paired = isinstance(precision, (list, tuple))
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation, rhs_dilation,
                                           dimension_numbers, precision=precision[0] if paired else precision)
    _, rhs_spec, out_spec = conv_dimension_numbers(lhs.aval.shape, (1, 1) + tuple(filter_shape), dimension_numbers)
    # The output's spatial dimensions in order are the batch dimensions, each with the
    # kernel dimension of the same position; then the result is [spatial..., N, O].
    order = sorted(range(len(out_spec) - 2), key=lambda k: out_spec[2 + k])
    batch = ([out_spec[2 + k] for k in order], [rhs_spec[2 + k] for k in order])
    out = dot_general(patches, rhs, (([out_spec[1]], [rhs_spec[1]]), batch), precision=precision)
    ndim = out.aval.ndim
    spatial = iter(range(ndim - 2))
    permutation = [ndim - 2 if d == out_spec[0] else ndim - 1 if d == out_spec[1] else next(spatial)
                   for d in range(ndim)]
    return transpose(out, permutation)


def _conv_transpose_padding(k, s, padding):
    """The (before, after) padding of one dimension of a transposed convolution (JAX's)."""
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else int(np.ceil(pad_len / 2))
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    elif isinstance(padding, tuple):
        pads = tuple(k - p - 1 for p in padding)
        pad_a, pad_len = pads[0], sum(pads)
    else:
        raise ValueError(f"Invalid padding mode: {padding}")
    return pad_a, pad_len - pad_a


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None, transpose_kernel=False,
                   precision=None, preferred_element_type=None, use_consistent_padding=False):
    """The N-d convolution "transpose" (a fractionally strided convolution), as JAX's."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    ndims = lhs.aval.ndim
    if ndims != rhs.aval.ndim or ndims < 2:  # JAX asserts it
        raise AssertionError(f"conv_transpose requires lhs and rhs of one rank >= 2, got shapes {lhs.aval.shape} and "
                             f"{rhs.aval.shape}")
    if dimension_numbers is None:
        defaults = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                    5: ("NHWDC", "HWDIO", "NHWDC")}
        if ndims not in defaults:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
        dimension_numbers = defaults[ndims]
    dn = conv_dimension_numbers(lhs.aval.shape, rhs.aval.shape, dimension_numbers)
    k_sdims = [rhs.aval.shape[d] for d in dn.rhs_spec[2:]]
    if rhs_dilation is None:
        rhs_dilation = (1,) * (ndims - 2)
    if use_consistent_padding or (isinstance(padding, str) and padding in {"SAME", "VALID"}):
        effective = [dilate_dim(k, r) for k, r in zip(k_sdims, rhs_dilation, strict=True)]
        replicated = [padding] * len(strides) if isinstance(padding, str) else padding
        pads = tuple(_conv_transpose_padding(k, s, p) for k, s, p in zip(effective, strides, replicated, strict=True))
    else:
        pads = padding
    if transpose_kernel:  # spatial dimensions flipped, input and output features swapped
        rhs = rev(rhs, dn.rhs_spec[2:])
        swap = list(range(ndims))
        swap[dn.rhs_spec[0]], swap[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = transpose(rhs, swap)
    return conv_general_dilated(lhs, rhs, (1,) * (ndims - 2), pads, strides, rhs_dilation, dn, precision=precision,
                                preferred_element_type=preferred_element_type)


__all__ = ["ConvDimensionNumbers", "ConvGeneralDilatedDimensionNumbers", "conv", "conv_dimension_numbers",
           "conv_general_dilated", "conv_general_dilated_local", "conv_general_dilated_patches", "conv_general_permutations", "conv_general_shape_tuple", "conv_shape_tuple",
           "conv_transpose", "conv_transpose_shape_tuple", "conv_with_general_padding", "padtype_to_pads"]
