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
An f32 convolution without groups whose patches would exceed PATCH_CHUNK_BYTES gathers
them a chunk at a time in an scf.for, each chunk multiplied while it is in cache:
chunks of the batch (a forward pass, an input gradient: 128x32x28x28 by a 3x3 kernel
went from 3.5x JAX's time to about 0.9x) when the batch is the outermost dimension of
the input and the result, each chunk also taken to the padded channels-last layout
and its product to out's layout in the loop, a kernel row's taps and features
gathered as one contiguous run; or, for a
contraction longer than K_CHUNK (a
kernel gradient, contracting over the batch and the windows), chunks of the first
kernel dimension whose products are folded as a tree, as dot.py folds a long
contraction's. Layout changes that swap two runs of dimensions (NCHW <-> NHWC) are 2-D
transposes, which mirax-vectorize-matmul turns into 8x8 vector shuffles.
"""
import numpy as np

from mirax.mlir import arith, ir, linalg, tensor

from . import ops, rules, scalar
from .base import Codec, MiraxOp, int_, ints
from .composites import move_axis
from .dot import DIMENSION_PARAMS, K_CHUNK, REGISTER_ROWS, DotGeneralOp
from .jvp import defbilinear
from .lowering import empty, filled, for_loop, generic, identity_map, index, reshape, scalar_type, transpose
from .reduction import tree_reduce
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


class ConvGeneralDilatedOp(MiraxOp, name="conv_general_dilated", superlinear=True, operands=("lhs", "rhs"), params={
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


# A convolution whose patches would take more than this gathers them a chunk at a time
# in a loop, each chunk's product computed while its patches are in cache: neither the
# whole patches buffer (9x the input for a 3x3 kernel) nor the page faults of a fresh
# allocation that large on every call.
PATCH_CHUNK_BYTES = 4 << 20


def _patches(x, dtype, groups, n, windows, kernel, i, geometry, batch_grouped=False, feature_grouped=False):
    """The patches (groups, n, windows..., kernel..., i) of the padded channels-last `x`,
    read at [n + group * n, window * stride + tap * rhs_dilation, i + group * i]."""
    patches = ShapedType((groups, n, *windows, *kernel, i), dtype)
    rank, k = patches.ndim, len(kernel)
    d = [ir.AffineDimExpr.get(j) for j in range(rank)]
    read = [d[1] + d[0] * n if batch_grouped else d[1]]
    read += [d[2 + j] * s + d[2 + k + j] * r for j, (s, r) in enumerate(zip(*geometry, strict=True))]
    read += [d[-1] + d[0] * i if feature_grouped else d[-1]]
    (value,) = generic([patches], [x], [ir.AffineMap.get(rank, 0, read), identity_map(rank)], lambda v, _: [v])
    return value


def _runs(x, x_type, n, windows, kernel, i, geometry):
    """_patches of one group, the last kernel dimension and the features gathered as one
    run of kernel[-1] * i contiguous elements where rhs_dilation is 1 along the last
    spatial dimension (the input seen as (n, spatial..., last * c)): a 3x3 kernel's
    patch is 3 copies of 3 * C elements instead of 9 of C. Returns them as (n *
    windows, contraction)."""
    k, (strides, dilations) = len(kernel), geometry
    a_type = ShapedType((n * int(np.prod(windows)), i * int(np.prod(kernel))), x_type.dtype)
    if dilations[-1] != 1:
        return reshape(_patches(x, x_type.dtype, 1, n, windows, kernel, i, geometry), a_type)
    *outer, last, c = x_type.shape
    flat = reshape(x, ShapedType((*outer, last * c), x_type.dtype))
    patches = ShapedType((n, *windows, *kernel[:-1], kernel[-1] * i), x_type.dtype)
    rank = patches.ndim
    d = [ir.AffineDimExpr.get(j) for j in range(rank)]  # (n, windows..., kernel[:-1]..., run)
    read = [d[0]] + [d[1 + j] * s + d[1 + k + j] * r for j, (s, r) in enumerate(zip(
        strides[:-1], dilations[:-1], strict=True))]
    read += [d[k] * (strides[-1] * c) + d[-1]]
    (value,) = generic([patches], [flat], [ir.AffineMap.get(rank, 0, read), identity_map(rank)], lambda v, _: [v])
    return reshape(value, a_type)


def _matmul(a_type, b_type, product_type, a, b):
    """dot_general's lowering of (batch?, m, k) x (batch?, k, n)."""
    batch = (0,) if a_type.ndim == 3 else ()
    dot = Node(DotGeneralOp.OPERATION_NAME, dict(zip(DIMENSION_PARAMS, ((a_type.ndim - 1,), (a_type.ndim - 2,), batch,
                                                                        batch), strict=True)),
               (a_type, b_type), (product_type,))
    return rules.lowering[DotGeneralOp.OPERATION_NAME](dot, a, b)


def _slice(value, shaped, offsets, sizes):
    """The slice of `value` at `offsets` (ints or index values) of `sizes`."""
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    result_type = ir.RankedTensorType.get(list(sizes), scalar_type(shaped.dtype))
    return tensor.extract_slice(result_type, value, [v for v in offsets if not isinstance(v, int)], [], [],
                                [v if isinstance(v, int) else dynamic for v in offsets], list(sizes), [1] * len(sizes))


def _insert(value, into, offsets, sizes):
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    return tensor.insert_slice(value, into, [v for v in offsets if not isinstance(v, int)], [], [],
                               [v if isinstance(v, int) else dynamic for v in offsets], list(sizes), [1] * len(sizes))


def _layout(value, shaped, permutation):
    """`value` (of type `shaped`) with its dimensions permuted, as lowering.transpose; a
    permutation that swaps two runs of dimensions after a leading one left in place
    (NCHW <-> NHWC), or two runs of all of them, is 2-D f32 transposes, one per index of
    the leading dimension, which mirax-vectorize-matmul turns into 8x8 vector shuffles."""
    rank, permutation = shaped.ndim, list(permutation)
    for lead in (0, 1):
        splits = [s for s in range(lead + 1, rank)
                  if permutation == list(range(lead)) + list(range(s, rank)) + list(range(lead, s))]
        if splits and np.dtype(shaped.dtype) == np.float32:
            break
    else:
        return transpose(value, shaped, permutation)
    (split,) = splits
    rows, columns = (int(np.prod(shaped.shape[a:b])) for a, b in ((lead, split), (split, rank)))
    if rows % 8 or columns % 8:
        return transpose(value, shaped, permutation)
    out = ShapedType(tuple(shaped.shape[d] for d in permutation), shaped.dtype)
    matrix = ShapedType((rows, columns), shaped.dtype)
    if not lead:
        return reshape(transpose(reshape(value, matrix), matrix, [1, 0]), out)
    count = shaped.shape[0]
    stacked, flipped = (ShapedType((count,) + m, shaped.dtype) for m in ((rows, columns), (columns, rows)))
    value = reshape(value, stacked)

    def one(b, result):
        part = reshape(_slice(value, stacked, [b, 0, 0], (1, rows, columns)), matrix)
        part = reshape(transpose(part, matrix, [1, 0]), ShapedType((1, columns, rows), shaped.dtype))
        return [_insert(part, result, [b, 0, 0], (1, columns, rows))]

    (result,) = for_loop(index(0), index(count), [empty(flipped)], one)
    return reshape(result, out)


def _row_chunked(lhs, lhs_type, lhs_order, pad, out, out_order, w, w_type, windows, kernel, i, geometry):
    """An f32 convolution without groups whose patches are large and whose contraction is
    short (a forward pass, an input gradient): an scf.for over chunks of the batch, each
    taking its images to the padded channels-last layout, gathering their patches,
    multiplying them by the kernel and putting the product in out's layout into its
    images of the result, all while the chunk is in cache. None where it does not apply."""
    n, rows, contraction, o = out.shape[out_order[0]], int(np.prod(windows)), w_type.shape[0], w_type.shape[1]
    if n * rows * contraction * 4 <= PATCH_CHUNK_BYTES or contraction > K_CHUNK or lhs_order[0] or out_order[0]:
        return None  # (with the batch outermost, a chunk of images is a contiguous slice)
    fits = [b for b in range(1, n) if n % b == 0 and (b * rows) % REGISTER_ROWS == 0
            and b * rows * contraction * 4 <= PATCH_CHUNK_BYTES]
    if not fits:
        return None
    b = fits[-1]
    in_batch, out_batch = lhs_order[0], out_order[0]
    in_sizes, out_sizes = list(lhs_type.shape), list(out.shape)
    in_sizes[in_batch], out_sizes[out_batch] = b, b
    in_chunk, out_chunk = ShapedType(tuple(in_sizes), lhs_type.dtype), ShapedType(tuple(out_sizes), out.dtype)
    x_type = ShapedType(tuple(in_sizes[d] for d in lhs_order), lhs_type.dtype)
    a_type, product_type = ShapedType((b * rows, contraction), x_type.dtype), ShapedType((b * rows, o), x_type.dtype)
    last = ShapedType((b, *windows, o), out.dtype)

    def chunk(start, result):
        images = _slice(lhs, lhs_type, [start if d == in_batch else 0 for d in range(lhs_type.ndim)], in_sizes)
        x = _padded_input(_layout(images, in_chunk, lhs_order), x_type, *pad)
        padded = ShapedType(tuple(ir.RankedTensorType(x.type).shape), x_type.dtype)
        if all(lo >= 0 and hi >= 0 for lo, hi in pad[0]):  # x is a whole buffer, not a cropped view
            a = _runs(x, padded, b, windows, kernel, i, geometry)
        else:
            a = reshape(_patches(x, padded.dtype, 1, b, windows, kernel, i, geometry), a_type)
        (part,) = _matmul(a_type, w_type, product_type, a, w)
        part = _layout(reshape(part, last), last, list(np.argsort(out_order)))
        return [_insert(part, result, [start if d == out_batch else 0 for d in range(out.ndim)], out_sizes)]

    (result,) = for_loop(index(0), index(n), [empty(out)], chunk, step=b)
    return result


def _k_chunked(x, x_type, w, w_type, n, windows, kernel, i, geometry):
    """An f32 convolution without groups whose contraction is longer than K_CHUNK (a
    kernel gradient, whose contraction runs over the batch and the windows): an scf.for
    over chunks of the first kernel dimension, each gathering the patches of its taps
    and multiplying them by its rows of the kernel into a stack, the stack folded as a
    tree as dot.py folds a long contraction's chunks. None where it does not apply."""
    m, contraction, o = n * int(np.prod(windows)), w_type.shape[0], w_type.shape[1]
    per_tap = contraction // kernel[0]
    if m * contraction * 4 <= PATCH_CHUNK_BYTES or contraction <= K_CHUNK or per_tap > K_CHUNK \
            or m % REGISTER_ROWS:
        return None
    taps = max(t for t in range(1, kernel[0] + 1) if kernel[0] % t == 0 and t * per_tap <= K_CHUNK)
    chunks = kernel[0] // taps
    (stride, *_), (dilation, *_) = geometry[0], geometry[1]
    _, first, *rest = x_type.shape
    span = (windows[0] - 1) * stride + (taps - 1) * dilation + 1  # the input rows a chunk reads
    size = taps * per_tap
    a_type, b_type = ShapedType((m, size), x_type.dtype), ShapedType((size, o), x_type.dtype)
    acc = ShapedType((m, o), x_type.dtype)
    stack_type = ShapedType((chunks, m, o), x_type.dtype)

    def chunk(j, stack):
        rows_in = _slice(x, x_type, [0, arith.muli(j, index(taps * dilation))] + [0] * len(rest), [n, span, *rest])
        a = reshape(_patches(rows_in, x_type.dtype, 1, n, windows, [taps, *kernel[1:]], i, geometry), a_type)
        b = _slice(w, w_type, [arith.muli(j, index(size)), 0], [size, o])
        (part,) = _matmul(a_type, b_type, acc, a, b)
        return [_insert(reshape(part, ShapedType((1, m, o), acc.dtype)), stack, [j, 0, 0], [1, m, o])]

    (stack,) = for_loop(index(0), index(chunks), [empty(stack_type)], chunk)
    result, _ = tree_reduce(stack, stack_type, (0,), acc.dtype, scalar.add, lambda dtype: 0)
    return result


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
    pad = (p["padding"], p["lhs_dilation"])
    batch_groups, feature_groups = p["batch_group_count"], p["feature_group_count"]
    groups = batch_groups * feature_groups  # one of them is 1
    o, i, kernel = rhs_type.shape[rhs_spec[0]], rhs_type.shape[rhs_spec[1]], [rhs_type.shape[d] for d in rhs_spec[2:]]
    n, *windows, _ = (out.shape[d] for d in out_order)
    k = len(kernel)

    m, contraction = n * int(np.prod(windows)), i * int(np.prod(kernel))
    kernel_order = list(rhs_spec[2:]) + [rhs_spec[1], rhs_spec[0]]
    w_type = ShapedType((contraction, o), rhs_type.dtype)
    w = reshape(_layout(rhs, rhs_type, kernel_order), w_type)
    geometry = (p["window_strides"], p["rhs_dilation"])
    if groups == 1 and np.dtype(out.dtype) == np.float32:
        result = _row_chunked(lhs, lhs_type, lhs_order, pad, out, out_order, w, w_type, windows, kernel, i, geometry)
        if result is not None:
            return [result]
    x = _padded_input(_layout(lhs, lhs_type, lhs_order), x_type, *pad)
    if groups == 1 and np.dtype(out.dtype) == np.float32:
        x_type = ShapedType(tuple(ir.RankedTensorType(x.type).shape), x_type.dtype)  # padded
        product = _k_chunked(x, x_type, w, w_type, n, windows, kernel, i, geometry)
        if product is not None:
            last = ShapedType((n, *windows, o), out.dtype)
            return [_layout(reshape(product, last), last, list(np.argsort(out_order)))]

    # The patches (group, n, windows..., kernel..., i) read the input at
    # [n + group * N', window * stride + tap * rhs_dilation, i + group * I].
    patches_value = _patches(x, x_type.dtype, groups, n, windows, kernel, i, geometry, batch_groups > 1,
                             feature_groups > 1)

    # patches (groups?, m, contraction) times the kernel as (groups?, contraction, o / groups):
    # a (batch_)matmul. The kernel's output features are (group, o / groups).
    lead = (groups,) if groups > 1 else ()
    if groups > 1:
        split = ShapedType((contraction, groups, o // groups), rhs_type.dtype)
        w = transpose(reshape(w, split), split, [1, 0, 2])
    a_type = ShapedType(lead + (m, contraction), x_type.dtype)
    b_type = ShapedType(lead + (contraction, o // groups), rhs_type.dtype)
    product_type = ShapedType(lead + (m, o // groups), out.dtype)
    (product,) = _matmul(a_type, b_type, product_type, reshape(patches_value, a_type), w)

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
