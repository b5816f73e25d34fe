"""Helpers the lowering rules share: empty tensors, scalar constants, linalg.generic."""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, tensor

from .types import element_type, is_complex, is_float, signless

PARALLEL = "#linalg.iterator_type<parallel>"
REDUCTION = "#linalg.iterator_type<reduction>"


def scalar_type(dtype):
    """The signless MLIR scalar type computed on for `dtype`."""
    return signless(element_type(dtype))


def empty(shaped):
    return tensor.EmptyOp(list(shaped.shape), scalar_type(shaped.dtype)).result


def constant(dtype, value):
    """A scalar arith.constant of `dtype` (complex values become complex.constant)."""
    type_ = scalar_type(dtype)
    if is_complex(dtype):
        part = ir.ComplexType(type_).element_type
        value = complex(value)
        return complex_d.ConstantOp(
            type_, ir.ArrayAttr.get([ir.FloatAttr.get(part, value.real), ir.FloatAttr.get(part, value.imag)])
        ).result
    if is_float(dtype):
        return arith.ConstantOp(type_, ir.FloatAttr.get(type_, float(value))).result
    if np.dtype(dtype) == np.bool_:
        value = int(bool(value))
    elif int(value) >= 2 ** (type_.width - 1):  # unsigned values past the signed range
        value = int(value) - 2**type_.width
    return arith.ConstantOp(type_, ir.IntegerAttr.get(type_, int(value))).result


def identity_map(rank):
    return ir.AffineMap.get_identity(rank)


def generic(out_types, inputs, maps, body, iterators=None, inits=None):
    """A linalg.generic: `maps` take the loop indices to each input's and output's
    indices; `body(*scalars)` gets one scalar per input and per output (its current
    value) and returns one scalar per output. Outputs start as `inits`, or empty.
    """
    iterators = iterators or [PARALLEL] * maps[0].n_dims
    outs = inits if inits is not None else [empty(t) for t in out_types]
    op = linalg.GenericOp(
        [ir.RankedTensorType.get(list(t.shape), scalar_type(t.dtype)) for t in out_types],
        inputs,
        outs,
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
        ir.ArrayAttr.get([ir.Attribute.parse(i) for i in iterators]),
    )
    block_types = [ir.RankedTensorType(v.type).element_type for v in list(inputs) + list(outs)]
    block = op.regions[0].blocks.append(*block_types)
    with ir.InsertionPoint(block):
        linalg.YieldOp(list(body(*block.arguments)))
    return list(op.results)


def elementwise(out_types, inputs, body):
    """linalg.generic applying `body` to same-shaped inputs, element by element."""
    maps = [identity_map(len(out_types[0].shape))] * (len(inputs) + len(out_types))
    return generic(out_types, inputs, maps, lambda *s: [body(*s[: len(inputs)])])


def reshape(value, shaped):
    """`value`'s elements in row-major order, in `shaped`'s shape."""
    index = ir.IndexType.get()
    shape_type = ir.RankedTensorType.get([len(shaped.shape)], index)
    shape = arith.ConstantOp(shape_type, ir.DenseElementsAttr.get(np.array(shaped.shape, np.int64), type=shape_type))
    result_type = ir.RankedTensorType.get(list(shaped.shape), scalar_type(shaped.dtype))
    return tensor.ReshapeOp(result_type, value, shape.result).result


def transpose(value, shaped, permutation):
    """`value` (of type `shaped`) with its dimensions permuted; itself for the identity.
    A linalg.generic rather than linalg.transpose, so that it fuses with the
    elementwise code producing or reading it (an outer product written transposed)."""
    if list(permutation) == sorted(permutation):
        return value
    out = type(shaped)(tuple(shaped.shape[p] for p in permutation), shaped.dtype)
    rank = len(permutation)
    # Loop i runs over result dimension i, which is operand dimension permutation[i].
    read = ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(list(permutation).index(d)) for d in range(rank)])
    return generic([out], [value], [read, identity_map(rank)], lambda x, _: [x])[0]


def slice_along(value, shaped, axis, start, stop):
    """`value` (of type `shaped`) restricted to [start, stop) along `axis`: a view."""
    sizes = list(shaped.shape)
    sizes[axis] = stop - start
    offsets = [0] * len(sizes)
    offsets[axis] = start
    result_type = ir.RankedTensorType.get(sizes, scalar_type(shaped.dtype))
    return tensor.extract_slice(result_type, value, [], [], [], offsets, sizes, [1] * len(sizes))

