"""Helpers the lowering rules share: empty tensors, scalar constants, linalg.generic, and
the loops and index arithmetic of the rules that compute element by element."""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, scf, tensor

from .types import element_type, is_complex, is_float, is_unsigned, signless

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
    """`value`'s elements in row-major order, in `shaped`'s shape; itself if it has it."""
    if ir.RankedTensorType(value.type).shape == list(shaped.shape):
        return value
    index = ir.IndexType.get()
    shape_type = ir.RankedTensorType.get([len(shaped.shape)], index)
    shape = arith.ConstantOp(shape_type, ir.DenseElementsAttr.get(np.array(shaped.shape, np.int64), type=shape_type))
    result_type = ir.RankedTensorType.get(list(shaped.shape), scalar_type(shaped.dtype))
    return tensor.ReshapeOp(result_type, value, shape.result).result


def transpose(value, shaped, permutation, into=None):
    """`value` (of type `shaped`) with its dimensions permuted (written into the tensor
    `into`, or a new one); itself for the identity. A linalg.generic rather than
    linalg.transpose, so that it fuses with the elementwise code producing or reading it
    (an outer product written transposed)."""
    if list(permutation) == sorted(permutation) and into is None:
        return value
    out = type(shaped)(tuple(shaped.shape[p] for p in permutation), shaped.dtype)
    rank = len(permutation)
    # Loop i runs over result dimension i, which is operand dimension permutation[i].
    read = ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(list(permutation).index(d)) for d in range(rank)])
    return generic([out], [value], [read, identity_map(rank)], lambda x, _: [x],
                   inits=None if into is None else [into])[0]


def slice_along(value, shaped, axis, start, stop):
    """`value` (of type `shaped`) restricted to [start, stop) along `axis`: a view."""
    sizes = list(shaped.shape)
    sizes[axis] = stop - start
    offsets = [0] * len(sizes)
    offsets[axis] = start
    result_type = ir.RankedTensorType.get(sizes, scalar_type(shaped.dtype))
    return tensor.extract_slice(result_type, value, [], [], [], offsets, sizes, [1] * len(sizes))


# ----------------------------------------------------------------------------- loops and indices


def filled(shaped, value):
    """A tensor of `shaped` holding `value` everywhere (linalg.fill)."""
    return linalg.fill(constant(shaped.dtype, value), outs=[empty(shaped)])


def index(value):
    """An index constant."""
    return arith.ConstantOp(ir.IndexType.get(), int(value)).result


def for_loop(lower, upper, inits, body, step=1):
    """scf.for over [lower, upper) by `step` carrying `inits`; `body(iv, *carried)` returns
    the next values."""
    loop = scf.ForOp(lower, upper, index(step), list(inits))
    with ir.InsertionPoint(loop.body):
        scf.YieldOp(list(body(loop.induction_variable, *loop.inner_iter_args)))
    return list(loop.results)


def slice_args(offsets, sizes):
    """tensor.extract_slice's and insert_slice's offset, size and stride operands for
    `offsets` (ints or index values) and `sizes` (None: a dropped dimension of size 1)."""
    dynamic = [o for o in offsets if not isinstance(o, int)]
    static = [o if isinstance(o, int) else ir.ShapedType.get_dynamic_stride_or_offset() for o in offsets]
    return dynamic, [], [], static, [1 if s is None else s for s in sizes], [1] * len(sizes)


def window(source, offsets, sizes, dtype):
    """A view of `source` at `offsets` of `sizes` (rank-reducing where a size is None):
    what later ops read or write."""
    result = ir.RankedTensorType.get([s for s in sizes if s is not None], scalar_type(dtype))
    return tensor.extract_slice(result, source, *slice_args(offsets, sizes))


def put(value, dest, offsets, sizes):
    """`dest` with `value` (the result of an op that wrote into `window(dest, offsets,
    sizes)`) in place there."""
    return tensor.insert_slice(value, dest, *slice_args(offsets, sizes))


def forall(lower, upper, values, windows, body, dtype, step=1):
    """`values` with their windows windows(i) (offsets, sizes) for i in [lower, upper)
    by `step` (ints or index values) replaced by body(i, *the windows' views): an scf.forall,
    which the CPU pipeline runs on OpenMP threads. The windows must be disjoint, and
    body read nothing of `values` outside its own (bufferization would copy them)."""
    loop = scf.ForallOp([lower], [upper], [step], list(values))
    with ir.InsertionPoint(loop.body):
        i = loop.induction_variables[0]
        offsets, sizes = windows(i)
        done = body(i, *(window(shared, offsets, sizes, dtype) for shared in loop.inner_iter_args))
        with ir.InsertionPoint(loop.terminator().block):
            for value, shared in zip(done, loop.inner_iter_args, strict=True):
                tensor.ParallelInsertSliceOp(value, shared, *slice_args(offsets, sizes))
    return list(loop.results)


def for_each_row(shape, dimension, inits, body):
    """An scf.for over the rows of `shape` along `dimension`, carrying `inits`:
    `body(at, *carried)` returns the next values, where `at(i)` is the full index
    of the row's element i (an index value)."""
    others = [(d, s) for d, s in enumerate(shape) if d != dimension]
    count = int(np.prod([s for _, s in others], dtype=np.int64))

    def per_row(b, *carried):
        row, stride = {}, count  # b is the row's row-major number over the other dimensions
        for d, s in others:
            stride //= s
            row[d] = arith.remui(arith.divui(b, index(stride)), index(s))
        return body(lambda i: [i if d == dimension else row[d] for d in range(len(shape))], *carried)

    return for_loop(index(0), index(count), inits, per_row)


def clamp(value, lo, hi):
    """An index value clamped into [lo, hi] (ints)."""
    return arith.minsi(arith.maxsi(value, index(lo)), index(hi))


def to_i64(dtype, x):
    """Scalar `x` of integer `dtype` as an i64 (zero- or sign-extended)."""
    if np.dtype(dtype).itemsize == 8:
        return x
    return (arith.extui if is_unsigned(dtype) else arith.extsi)(ir.IntegerType.get_signless(64), x)


def clamp_index(dtype, x, upper):
    """Scalar `x` of integer `dtype` clamped into [0, upper], as an index: what XLA does
    to start indices that would put a window out of range."""
    i64 = ir.IntegerType.get_signless(64)
    x = to_i64(dtype, x)
    hi = arith.ConstantOp(i64, upper).result
    if is_unsigned(dtype):
        x = arith.minui(x, hi)
    else:
        x = arith.minsi(arith.maxsi(x, arith.ConstantOp(i64, 0).result), hi)
    return arith.index_cast(ir.IndexType.get(), x)


def indexed(out, inputs, body):
    """A linalg.generic over `out`'s shape: element i is body(i, *elements of `inputs` at i),
    `i` being the list of index values; body may read other tensors with tensor.extract."""
    rank = len(out.shape)
    return generic([out], inputs, [identity_map(rank)] * (len(inputs) + 1), lambda *scalars: [
        body([linalg.IndexOp(d).result for d in range(rank)], *scalars[: len(inputs)])
    ])[0]
