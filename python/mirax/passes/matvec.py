"""The f32 matrix-vector products dot_general's lowering marks (dot.MATVEC_MARK) as
loops of vector ops, which mirax-parallelize puts in place of the marked generics on
the CPU."""
import numpy as np

from mirax.dialect.dot import K_BLOCK
from mirax.dialect.lowering import empty, for_loop, index, reshape
from mirax.dialect.types import ShapedType
from mirax.mlir import arith, ir, scf, tensor, vector

MATVEC_ROWS = 4  # runs of rows walked side by side
LANES = 16  # an AVX-512 vector of f32


def vectorized_matvec(op, blocks):
    """Replace the marked generic `op` of _blocked_matvec (sums[b?, m, block] of A[b?,
    m, k] x[b?, k] over each block of K_BLOCK) by loops of vector ops. The rows (batch
    and m flattened) are cut into `blocks` blocks (an scf.forall, OpenMP threads; none
    for 1), and each block into MATVEC_ROWS runs of consecutive rows (fewer, 2 or 1, when
    they do not divide it) walked side by side: a step takes the next row of every run,
    and each row sums every block of K_BLOCK by fused multiply-adds into a vector of
    LANES lanes from zero, the lanes then added as a tree. Each run streams through
    memory in order, and a few of them at once keep more of memory's bandwidth busy than
    one row after another (LLVM's loops of the generic): 4096x4096 about 15% faster on
    one thread or two (on a loaded machine), 4 runs faster than 2 or 8, and than 8
    adjacent rows sharing each load of x. Returns whether it replaced `op`: not when fusion changed it,
    nor when its rows do not share out into `blocks`."""
    body = list(op.regions[0].blocks[0].operations)
    if len(op.inputs) != 3 or [o.operation.name for o in body] != ["arith.mulf", "arith.addf", "linalg.yield"]:
        return False
    args = op.regions[0].blocks[0].arguments
    mul, add = body[0], body[1]
    if list(mul.operands) != [args[0], args[1]] or list(add.operands) != [args[3], mul.result]:
        return False
    a, x = op.inputs[0], op.inputs[1]
    a_shape, out_shape = ir.RankedTensorType(a.type).shape, ir.RankedTensorType(op.results[0].type).shape
    lead = len(a_shape) - 2
    d = [ir.AffineDimExpr.get(i) for i in range(lead + 3)]  # (batch?, m, block, k)
    at = d[lead + 1] * K_BLOCK + d[lead + 2]
    if list(op.indexing_maps)[:2] != [ir.AffineMapAttr.get(ir.AffineMap.get(lead + 3, 0, e))
                                     for e in (d[:lead] + [d[lead], at], d[:lead] + [at])]:
        return False  # a transpose fused into it
    batch = a_shape[0] if lead else 1
    m, k, count = a_shape[-2], a_shape[-1], out_shape[-1]
    if batch * m % blocks:
        return False  # the generic's own loops share out on threads
    runs = next(r for r in (MATVEC_ROWS, 2, 1) if batch * m % (blocks * r) == 0)
    length = batch * m // (blocks * runs)  # rows of a run
    f32 = np.dtype(np.float32)
    with ir.InsertionPoint(op), op.location:
        a2 = reshape(a, ShapedType((batch * m, k), f32))
        x2 = reshape(x, ShapedType((batch, k), f32))
        lanes = ir.VectorType.get([LANES], ir.F32Type.get())
        zero = arith.constant(lanes, ir.DenseElementsAttr.get_splat(lanes, ir.FloatAttr.get(ir.F32Type.get(), 0.0)))
        minor = ir.AffineMap.get_minor_identity(2, 1)
        pad = arith.constant(ir.F32Type.get(), 0.0)

        def read(source, at):
            return vector.transfer_read(lanes, source, at, minor, pad, [True])

        def step(block, i, dest):
            """Row i of every run of the block: the sums of its blocks of K into dest[0, run, i]."""
            rows = [arith.addi(arith.muli(arith.addi(arith.muli(block, index(runs)), index(r)), index(length)), i)
                    for r in range(runs)]
            batches = [arith.divui(row, index(m)) for row in rows] if batch > 1 else [index(0)]

            def k_block(j, dest):
                start = arith.muli(j, index(K_BLOCK))

                def lanes_step(kk, *accs):
                    at = arith.addi(start, kk)
                    xs = [read(x2, [b, at]) for b in batches]  # one x unless the runs cross batches
                    return [vector.fma(read(a2, [row, at]), xs[min(r, len(xs) - 1)], acc)
                            for r, (row, acc) in enumerate(zip(rows, accs))]

                accs = for_loop(index(0), index(K_BLOCK), [zero] * runs, lanes_step, step=LANES)
                for r, acc in enumerate(accs):
                    dest = tensor.insert(_lanes_sum(acc), dest, [index(0), index(r), i, j])
                return [dest]

            return for_loop(index(0), index(count), [dest], k_block)

        def rows_of(block, dest):
            return for_loop(index(0), index(length), [dest], lambda i, dest: step(block, i, dest))[0]

        shape = (blocks, runs, length, count)  # flattened, the rows in order
        partial = empty(ShapedType(shape, f32))
        if blocks > 1:
            forall = scf.ForallOp([0], [blocks], [1], [partial])
            with ir.InsertionPoint(forall.body):
                block = forall.induction_variables[0]
                shared = forall.inner_iter_args[0]
                dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
                place = [dynamic, 0, 0, 0], [1, *shape[1:]], [1, 1, 1, 1]
                mine = tensor.extract_slice(ir.RankedTensorType.get([1, *shape[1:]], ir.F32Type.get()), shared,
                                            [block], [], [], *place)
                done = rows_of(block, mine)
                with ir.InsertionPoint(scf.InParallelOp().block):
                    tensor.parallel_insert_slice(done, shared, [block], [], [], *place)
            partial = forall.results[0]
        else:
            partial = rows_of(index(0), partial)
        result = reshape(partial, ShapedType(tuple(out_shape), f32))
    op.results[0].replace_all_uses_with(result)
    op.erase()
    return True


def _lanes_sum(v):
    """The sum of a vector's lanes as a tree: halves added until one lane is left."""
    width = ir.VectorType(v.type).shape[0]
    while width > 1:
        width //= 2
        half = ir.VectorType.get([width], ir.F32Type.get())
        v = arith.addf(vector.extract_strided_slice(half, v, [0], [width], [1]),
                       vector.extract_strided_slice(half, v, [width], [width], [1]))
    return vector.extract(v, [], [0])
