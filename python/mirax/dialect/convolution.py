"""conv_general_dilated: XLA's convolution, as jax.lax.conv_general_dilated.

The operands are an input (lhs) and a kernel (rhs) of one dtype and one rank n + 2;
`lhs_spec`, `rhs_spec` and `out_spec` are JAX's ConvDimensionNumbers: the dimensions
holding (batch, feature, spatial...) of lhs and the result, (output feature, input
feature, spatial...) of rhs. `padding` holds a resolved (low, high) pair per spatial
dimension (negative pads crop), `lhs_dilation` puts dilation - 1 zeros between
neighbouring input elements (a transposed convolution), `rhs_dilation` between
kernel taps (atrous). With feature_group_count G the input features split into G
groups, each convolved with its own slice of output features; with batch_group_count
B the input batch does (JAX's gradient of a grouped convolution's kernel). The type,
transpose and batching rules are JAX's (jax/_src/lax/convolution.py).

Lowering (im2col): the operands go to the layouts (N, spatial..., C) and (spatial...,
I, O), the input is dilated and padded (copied into a strided slice of zeros), one
linalg.generic gathers each output position's window into a patch, and the patches
times the kernel is a dot_general lowered by dot.py's own rule: packed f32 matmuls,
blocked float accumulation, f32 accumulation of half precisions, or of ands for bool.
"""
import numpy as np

from mirax.mlir import ir, linalg, tensor

from . import ops, rules
from .base import Codec, MiraxOp, int_, ints
from .composites import move_axis
from .dot import DIMENSION_PARAMS, DotGeneralOp
from .jvp import defbilinear
from .lowering import filled, generic, identity_map, reshape, scalar_type, transpose
from .rules import Node
from .types import ShapedType
from .values import type_of, zeros

# (low, high) pairs, stored flat.
pairs = Codec(lambda v: ints.encode([x for pair in v for x in pair]),
              lambda a: tuple(zip(*[iter(ints.decode(a))] * 2, strict=True)))

SPEC_PARAMS = ("lhs_spec", "rhs_spec", "out_spec")


def dilate_dim(d, dilation):
    return max(1 + dilation * (d - 1), 0)


def stride_dim(d, window, stride):
    return max((d - window) // stride + 1, 0)


def _dilate_shape(shape, dilation):
    if not all(d > 0 for d in dilation):
        raise TypeError(f"All dilations must be positive, got {tuple(dilation)}.")
    return [dilate_dim(s, d) for s, d in zip(shape, dilation, strict=True)]


class ConvGeneralDilatedOp(MiraxOp, name="conv_general_dilated", operands=("lhs", "rhs"), params={
        "window_strides": ints, "padding": pairs, "lhs_dilation": ints, "rhs_dilation": ints,
        "lhs_spec": ints, "rhs_spec": ints, "out_spec": ints, "feature_group_count": int_, "batch_group_count": int_}):
    """out[n, o, w...] = sum over i, k... of lhs[n, i, w * stride + k * rhs_dilation] * rhs[o, i, k...]
    on the padded, lhs-dilated input, per feature or batch group (in canonical layouts)."""

    @staticmethod
    def infer(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, lhs_spec, rhs_spec, out_spec,
              feature_group_count, batch_group_count):
        # JAX's shape rule, then its dtype rule, with its messages (the lax wrapper
        # raises its errors from here).
        if lhs.ndim != rhs.ndim:
            raise ValueError("conv_general_dilated lhs and rhs must have the same number of dimensions, "
                             f"but got {lhs.shape} and {rhs.shape}.")
        for name, spec in zip(SPEC_PARAMS, (lhs_spec, rhs_spec, out_spec), strict=True):
            if sorted(spec) != list(range(lhs.ndim)):
                raise TypeError(f"{name} {list(spec)} must be a permutation of the {lhs.ndim} dimensions")
        if not feature_group_count > 0:
            raise ValueError("conv_general_dilated feature_group_count must be a positive integer, "
                             f"got {feature_group_count}.")
        lhs_features = lhs.shape[lhs_spec[1]]
        quot, rem = divmod(lhs_features, feature_group_count)
        if rem:
            raise ValueError("conv_general_dilated feature_group_count must divide lhs feature dimension size, "
                             f"but {feature_group_count} does not divide {lhs_features}.")
        if quot != rhs.shape[rhs_spec[1]]:
            raise ValueError("conv_general_dilated lhs feature dimension size divided by feature_group_count must "
                             "equal the rhs input feature dimension size, but "
                             f"{lhs_features} // {feature_group_count} != {rhs.shape[rhs_spec[1]]}.")
        if rhs.shape[rhs_spec[0]] % feature_group_count:
            raise ValueError("conv_general_dilated rhs output feature dimension size must be a multiple of "
                             f"feature_group_count, but {rhs.shape[rhs_spec[0]]} is not a multiple of "
                             f"{feature_group_count}.")
        if not batch_group_count > 0:
            raise ValueError("conv_general_dilated batch_group_count must be a positive integer, "
                             f"got {batch_group_count}.")
        lhs_batch = lhs.shape[lhs_spec[0]]
        if batch_group_count > 1 and lhs_batch % batch_group_count != 0:
            raise ValueError("conv_general_dilated batch_group_count must divide lhs batch dimension size, "
                             f"but {batch_group_count} does not divide {lhs_batch}.")
        if rhs.shape[rhs_spec[0]] % batch_group_count:
            raise ValueError("conv_general_dilated rhs output feature dimension size must be a multiple of "
                             f"batch_group_count, but {rhs.shape[rhs_spec[0]]} is not a multiple of "
                             f"{batch_group_count}.")
        if batch_group_count > 1 and feature_group_count > 1:
            raise ValueError("At most one of batch_group_count and feature_group_count may be > 1, got "
                             f"batch_group_count={batch_group_count} and feature_group_count={feature_group_count}")
        spatial = lhs.ndim - 2
        if spatial != len(window_strides):
            raise ValueError("conv_general_dilated window and window_strides must have the same number of "
                             f"dimensions, but got {spatial} and {len(window_strides)}")
        if any(s <= 0 for s in window_strides):
            raise ValueError(f"window_strides {list(window_strides)} must be positive")
        for name, values in (("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation)):
            if len(values) != spatial:
                raise TypeError(f"{name} {list(values)} must have one entry per spatial dimension ({spatial})")
        lhs_shape = _dilate_shape([lhs.shape[d] for d in lhs_spec[2:]], lhs_dilation)
        window = _dilate_shape([rhs.shape[d] for d in rhs_spec[2:]], rhs_dilation)
        if len(padding) != spatial:
            raise TypeError(f"Wrong number of explicit pads for convolution: expected {spatial}, got {len(padding)}.")
        padded = [size + lo + hi for size, (lo, hi) in zip(lhs_shape, padding, strict=True)]
        if any(p < 0 for p in padded):
            raise ValueError("Negative padding is larger than the size of the corresponding dimension: "
                             f"got padding={tuple(padding)} for lhs_shape[2:]={tuple(lhs_shape)}")
        canonical = [lhs_batch // batch_group_count, rhs.shape[rhs_spec[0]]] + [
            stride_dim(p, w, s) for p, w, s in zip(padded, window, window_strides, strict=True)]
        shape = [0] * lhs.ndim
        for d, size in zip(out_spec, canonical, strict=True):
            shape[d] = size
        if lhs.dtype != rhs.dtype:
            raise TypeError("lax.conv_general_dilated requires arguments to have the same dtypes, "
                            f"got {lhs.dtype.name}, {rhs.dtype.name}.")
        return ShapedType(tuple(shape), lhs.dtype)


# ----------------------------------------------------------------------------- lowering


def _channels_last(spec):
    """A spec's dimensions in the order (batch or output feature, spatial..., feature)."""
    return [spec[0]] + list(spec[2:]) + [spec[1]]


def _padded_input(x, x_type, padding, dilation):
    """`x` in the layout (N, spatial..., C) dilated and padded with zeros, and its
    ShapedType: copied into a strided slice of zeros (a linalg.copy into the slice, a
    loop, where inserting would copy between strided buffers through the runtime),
    negative pads then cropped by a view."""
    n, *spatial, c = x_type.shape
    lows = [max(lo, 0) for lo, _ in padding]
    dilated = [dilate_dim(s, d) for s, d in zip(spatial, dilation, strict=True)]
    if any(lows) or any(hi > 0 for _, hi in padding) or any(d > 1 for d in dilation):
        big = ShapedType((n,) + tuple(lo + s + max(hi, 0) for lo, s, (_, hi) in zip(
            lows, dilated, padding, strict=True)) + (c,), x_type.dtype)
        zeros_ = filled(big, 0)
        window = [0] + lows + [0], list(x_type.shape), [1] + list(dilation) + [1]
        view = tensor.extract_slice(x.type, zeros_, [], [], [], *window)
        x = tensor.insert_slice(linalg.copy(x, outs=[view]), zeros_, [], [], [], *window)
    if all(lo >= 0 and hi >= 0 for lo, hi in padding):
        return x
    sizes = [n] + [s + lo + hi for s, (lo, hi) in zip(dilated, padding, strict=True)] + [c]
    crop = [0] + [max(-lo, 0) for lo, _ in padding] + [0]
    result_type = ir.RankedTensorType.get(sizes, scalar_type(x_type.dtype))
    return tensor.extract_slice(result_type, x, [], [], [], crop, sizes, [1] * len(sizes))


def _lower_conv(node, lhs, rhs):
    """Channels last, so that each patch copies runs of contiguous features: the input
    as (N, spatial..., C), the kernel as (spatial..., I, O), the product as (N,
    spatial..., O) before it takes out's layout."""
    lhs_type, rhs_type = node.in_types
    (out,) = node.out_types
    p = node.params
    if 0 in lhs_type.shape or 0 in rhs_type.shape or 0 in out.shape:
        return [filled(out, 0)]  # sums over nothing or over padding only, or no elements
    lhs_spec, rhs_spec, out_spec = (p[name] for name in SPEC_PARAMS)
    lhs_order, out_order = _channels_last(lhs_spec), _channels_last(out_spec)
    x_type = ShapedType(tuple(lhs_type.shape[d] for d in lhs_order), lhs_type.dtype)
    x = _padded_input(transpose(lhs, lhs_type, lhs_order), x_type, p["padding"], p["lhs_dilation"])
    batch_groups, feature_groups = p["batch_group_count"], p["feature_group_count"]
    groups = batch_groups * feature_groups  # one of them is 1
    o, i, kernel = rhs_type.shape[rhs_spec[0]], rhs_type.shape[rhs_spec[1]], [rhs_type.shape[d] for d in rhs_spec[2:]]
    n, *windows, _ = (out.shape[d] for d in out_order)
    k = len(kernel)

    # The patches (group, n, windows..., kernel..., i) read the input at
    # [n + group * N', window * stride + tap * rhs_dilation, i + group * I].
    patches = ShapedType((groups, n, *windows, *kernel, i), x_type.dtype)
    rank = patches.ndim
    d = [ir.AffineDimExpr.get(j) for j in range(rank)]
    read = [d[1] + d[0] * n if batch_groups > 1 else d[1]]
    read += [d[2 + j] * s + d[2 + k + j] * r for j, (s, r) in enumerate(zip(
        p["window_strides"], p["rhs_dilation"], strict=True))]
    read += [d[-1] + d[0] * i if feature_groups > 1 else d[-1]]
    (patches_value,) = generic([patches], [x], [ir.AffineMap.get(rank, 0, read), identity_map(rank)],
                               lambda v, _: [v])

    # patches (groups?, m, contraction) times the kernel as (groups?, contraction, o / groups):
    # a (batch_)matmul. The kernel's output features are (group, o / groups).
    m, contraction = n * int(np.prod(windows)), i * int(np.prod(kernel))
    kernel_order = list(rhs_spec[2:]) + [rhs_spec[1], rhs_spec[0]]
    w_type = ShapedType((contraction, o), rhs_type.dtype)
    w = reshape(transpose(rhs, rhs_type, kernel_order), w_type)
    lead = (groups,) if groups > 1 else ()
    if groups > 1:
        split = ShapedType((contraction, groups, o // groups), rhs_type.dtype)
        w = transpose(reshape(w, split), split, [1, 0, 2])
    a_type = ShapedType(lead + (m, contraction), x_type.dtype)
    b_type = ShapedType(lead + (contraction, o // groups), rhs_type.dtype)
    product_type = ShapedType(lead + (m, o // groups), out.dtype)
    batch = (0,) if lead else ()
    dot = Node(DotGeneralOp.OPERATION_NAME, dict(zip(DIMENSION_PARAMS, ((len(lead) + 1,), (len(lead),), batch, batch),
                                                     strict=True)), (a_type, b_type), (product_type,))
    (product,) = rules.lowering[DotGeneralOp.OPERATION_NAME](dot, reshape(patches_value, a_type), w)

    # (groups?, n, windows..., o / groups) to (n, windows..., o), then out's layout.
    last = ShapedType((n, *windows, o), out.dtype)
    if groups > 1:  # the output features are (group, o / groups)
        grouped = ShapedType((groups, n, *windows, o // groups), out.dtype)
        product = transpose(reshape(product, grouped), grouped, list(range(1, 2 + k)) + [0, 2 + k])
    return [transpose(reshape(product, last), last, list(np.argsort(out_order)))]


rules.lowering[ConvGeneralDilatedOp.OPERATION_NAME] = _lower_conv


# ----------------------------------------------------------------------------- transpose rules (JAX's)


def _sdims(spec):
    return spec[2:]


def _spec_transpose(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _reshape_axis_into(src, dst, x):
    """`x` with dimension `src` merged into dimension `dst` (numbered without `src`) as
    its major part (JAX's)."""
    shape = type_of(x).shape
    new_shape = [s for d, s in enumerate(shape) if d != src]
    new_shape[dst] *= shape[src]
    return ops.reshape(move_axis(x, src, dst), new_sizes=tuple(new_shape))


def _reshape_axis_out_of(src, size1, x):
    """`x` with dimension `src` split into (size1, rest) (JAX's)."""
    shape = list(type_of(x).shape)
    shape[src:src + 1] = [size1, shape[src] // size1]
    return ops.reshape(x, new_sizes=tuple(shape))


def _vjp_lhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation, rhs_dilation):
    lhs_dilated = _dilate_shape(in_shape, lhs_dilation)
    rhs_dilated = _dilate_shape(window, rhs_dilation)
    out_dilated = _dilate_shape(out_shape, strides)
    before = [r - lo - 1 for r, (lo, _) in zip(rhs_dilated, padding, strict=True)]
    after = [lhs + r - 1 - o - b for lhs, r, o, b in zip(lhs_dilated, rhs_dilated, out_dilated, before, strict=True)]
    return tuple(zip(before, after, strict=True))


def _vjp_rhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation, rhs_dilation):
    lhs_dilated = _dilate_shape(in_shape, lhs_dilation)
    rhs_dilated = _dilate_shape(window, rhs_dilation)
    out_dilated = _dilate_shape(out_shape, strides)
    lows = [lo for lo, _ in padding]
    highs = [o - lhs + r - lo - 1 for o, lhs, r, lo in zip(out_dilated, lhs_dilated, rhs_dilated, lows, strict=True)]
    return tuple(zip(lows, highs, strict=True))


def _spatial(shape, spec):
    return [shape[d] for d in _sdims(spec)]


def _transpose_lhs(node, g, lhs, rhs):
    p = node.params
    lhs_type, rhs_type = node.in_types
    lhs_spec, rhs_spec, out_spec = (p[name] for name in SPEC_PARAMS)
    feature_groups, batch_groups = p["feature_group_count"], p["batch_group_count"]
    if feature_groups > 1 or batch_groups > 1:
        # The group moves from the kernel's output features into its input features.
        rhs = _reshape_axis_out_of(rhs_spec[0], feature_groups * batch_groups, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
    padding = _vjp_lhs_padding(_spatial(lhs_type.shape, lhs_spec), _spatial(rhs_type.shape, rhs_spec),
                               p["window_strides"], _spatial(type_of(g).shape, out_spec), p["padding"],
                               p["lhs_dilation"], p["rhs_dilation"])
    out = ops.conv_general_dilated(
        g, ops.rev(rhs, dimensions=tuple(_sdims(rhs_spec))), window_strides=p["lhs_dilation"], padding=padding,
        lhs_dilation=p["window_strides"], rhs_dilation=p["rhs_dilation"], lhs_spec=out_spec,
        rhs_spec=_spec_transpose(rhs_spec), out_spec=lhs_spec, feature_group_count=feature_groups * batch_groups,
        batch_group_count=1)
    if batch_groups > 1:
        out = _reshape_axis_out_of(lhs_spec[1], batch_groups, out)
        out = _reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    return out


def _transpose_rhs(node, g, lhs, rhs):
    p = node.params
    lhs_type, rhs_type = node.in_types
    if 0 in type_of(g).shape:
        return None  # JAX's: no degenerate convolution with an empty kernel
    lhs_spec, rhs_spec, out_spec = (p[name] for name in SPEC_PARAMS)
    # Feature groups become batch groups and the other way round.
    feature_groups, batch_groups = p["batch_group_count"], p["feature_group_count"]
    padding = _vjp_rhs_padding(_spatial(lhs_type.shape, lhs_spec), _spatial(rhs_type.shape, rhs_spec),
                               p["window_strides"], _spatial(type_of(g).shape, out_spec), p["padding"],
                               p["lhs_dilation"], p["rhs_dilation"])
    return ops.conv_general_dilated(
        lhs, g, window_strides=p["rhs_dilation"], padding=padding, lhs_dilation=p["lhs_dilation"],
        rhs_dilation=p["window_strides"], lhs_spec=_spec_transpose(lhs_spec), rhs_spec=_spec_transpose(out_spec),
        out_spec=_spec_transpose(rhs_spec), feature_group_count=feature_groups, batch_group_count=batch_groups)


defbilinear(ConvGeneralDilatedOp, _transpose_lhs, _transpose_rhs)


# ----------------------------------------------------------------------------- batching rule (JAX's)


def _batch_conv(node, operands, dims, size):
    """The mapped dimension folded into the batch (lhs alone), the output features (rhs
    alone) or, both batched, the feature or batch groups; the result is batched at the
    dimension it was folded into, split out again."""
    (lhs, rhs), (lhs_bdim, rhs_bdim) = operands, dims
    p = dict(node.params)
    lhs_spec, rhs_spec, out_spec = (p[name] for name in SPEC_PARAMS)
    feature_groups, batch_groups = p["feature_group_count"], p["batch_group_count"]
    if size == 0:
        return [zeros(ShapedType((0,) + node.out_types[0].shape, node.out_types[0].dtype))], [0]
    if lhs_bdim is not None and rhs_bdim is not None:
        if batch_groups > 1:
            lhs = _reshape_axis_into(lhs_bdim, lhs_spec[0], lhs)
            p["batch_group_count"] = batch_groups * size
        else:
            lhs = _reshape_axis_into(lhs_bdim, lhs_spec[1], lhs)
            p["feature_group_count"] = feature_groups * size
        out = ops.conv_general_dilated(lhs, _reshape_axis_into(rhs_bdim, rhs_spec[0], rhs), **p)
        return [_reshape_axis_out_of(out_spec[1], size, out)], [out_spec[1]]
    if lhs_bdim is not None:
        if batch_groups == 1:
            lhs = _reshape_axis_into(lhs_bdim, lhs_spec[0], lhs)
        else:
            # Groups stay outermost in the batch: (groups, mapped, batch / groups).
            lhs = _reshape_axis_out_of(lhs_spec[0] + int(lhs_bdim <= lhs_spec[0]), batch_groups, lhs)
            lhs = _reshape_axis_into(lhs_bdim + int(lhs_spec[0] < lhs_bdim), lhs_spec[0] + 1, lhs)
            lhs = _reshape_axis_into(lhs_spec[0], lhs_spec[0], lhs)
        out = ops.conv_general_dilated(lhs, rhs, **p)
        return [_reshape_axis_out_of(out_spec[0], size, out)], [out_spec[0]]
    if feature_groups == 1 and batch_groups == 1:
        out = ops.conv_general_dilated(lhs, _reshape_axis_into(rhs_bdim, rhs_spec[0], rhs), **p)
        return [_reshape_axis_out_of(out_spec[1], size, out)], [out_spec[1]]
    # Groups stay outermost in the output features: (groups, mapped, features / groups).
    groups = feature_groups * batch_groups
    rhs = _reshape_axis_out_of(rhs_spec[0] + int(rhs_bdim <= rhs_spec[0]), groups, rhs)
    rhs = _reshape_axis_into(rhs_bdim + int(rhs_spec[0] < rhs_bdim), rhs_spec[0] + 1, rhs)
    rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[0], rhs)
    out = ops.conv_general_dilated(lhs, rhs, **p)
    out = _reshape_axis_out_of(out_spec[1], groups, out)
    out = _reshape_axis_out_of(out_spec[1] + 1, size, out)
    return [_reshape_axis_into(out_spec[1], out_spec[1] + 1, out)], [out_spec[1]]


rules.batching[ConvGeneralDilatedOp.OPERATION_NAME] = _batch_conv
