"""The f32 matrix-vector products dot_general's lowering marks (dot.MATVEC_MARK) as
loops of vector ops, which mirax-parallelize puts in place of the marked generics on
the CPU."""
import numpy as np

from mirax.dialect.dot import K_BLOCK
from mirax.dialect.lowering import for_loop, index, reshape
from mirax.dialect.types import ShapedType
from mirax.mlir import arith, bufferization, ir, memref, scf, vector

MATVEC_ROWS = 4  # runs of rows walked side by side
LANES = 16  # an AVX-512 vector of f32
# Threaded, the rows are cut into up to CHUNKS chunks, which the threads take one at a
# time as they finish one: a thread slowed down (another process on its core) then
# does fewer chunks, instead of the others waiting for its fixed share (OpenMP's static
# schedule of mirax-parallelize's blocks). benchmarks/run.py's batched 16x4096x4096
# row on this shared 2-core machine: 0.86-0.98x JAX's time in 5 runs, against
# 1.01-1.28x in 8 fixed blocks (4096x4096: the same).
CHUNKS = 64


def vectorized_matvec(op, blocks):
    """Replace the marked generic `op` of _blocked_matvec (sums[b?, m, block] of A[b?,
    m, k] x[b?, k] over each block of K_BLOCK) by loops of vector ops. The rows (batch
    and m flattened) are cut into chunks, each into MATVEC_ROWS runs of consecutive rows
    (fewer, 2 or 1, when they do not divide it) walked side by side: a step takes the
    next row of every run, and each row sums every block of K_BLOCK by fused
    multiply-adds into a vector of LANES lanes from zero, the lanes then added as a tree.
    Each run streams through memory in order, and a few of them at once keep more of
    memory's bandwidth busy than one row after another (LLVM's loops of the generic):
    4096x4096 about 15% faster on one thread or two (on a loaded machine), 4 runs faster
    than 2 or 8, and than 8 adjacent rows sharing each load of x. With `blocks` > 1, the
    `blocks` iterations of an scf.forall (OpenMP threads; those beyond the threads find
    none left) take the chunks (CHUNKS, or fewer that divide the rows) one at a time from
    an atomic counter, so the sums go to a buffer (a memref: no thread owns a fixed slice
    of them); for 1, one chunk. A row's sums come from the same operations on any
    thread. Returns whether it replaced `op`: not when fusion changed it, nor when its
    rows do not cut into `blocks` chunks or more."""
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
    chunks = next(c for c in range(CHUNKS, 0, -1) if batch * m % c == 0) if blocks > 1 else 1
    if chunks < blocks:
        return False  # the generic's own loops share out on threads
    runs = next(r for r in (MATVEC_ROWS, 2, 1) if batch * m % (chunks * r) == 0)
    length = batch * m // (chunks * runs)  # rows of a run
    f32 = np.dtype(np.float32)
    with ir.InsertionPoint(op), op.location:
        a2 = reshape(a, ShapedType((batch * m, k), f32))
        x2 = reshape(x, ShapedType((batch, k), f32))
        lanes = ir.VectorType.get([LANES], ir.F32Type.get())
        zero = arith.constant(lanes, ir.DenseElementsAttr.get_splat(lanes, ir.FloatAttr.get(ir.F32Type.get(), 0.0)))
        minor = ir.AffineMap.get_minor_identity(2, 1)
        pad = arith.constant(ir.F32Type.get(), 0.0)
        shape = (chunks, runs, length, count)  # flattened, the rows in order
        sums = memref.alloc(ir.MemRefType.get(list(shape), ir.F32Type.get()), [], [])

        def read(source, at):
            return vector.transfer_read(lanes, source, at, minor, pad, [True])

        def step(chunk, i):
            """Row i of every run of the chunk: the sums of its blocks of K into sums[chunk, run, i]."""
            rows = [arith.addi(arith.muli(arith.addi(arith.muli(chunk, index(runs)), index(r)), index(length)), i)
                    for r in range(runs)]
            batches = [arith.divui(row, index(m)) for row in rows] if batch > 1 else [index(0)]

            def k_block(j):
                start = arith.muli(j, index(K_BLOCK))

                def lanes_step(kk, *accs):
                    at = arith.addi(start, kk)
                    xs = [read(x2, [b, at]) for b in batches]  # one x unless the runs cross batches
                    return [vector.fma(read(a2, [row, at]), xs[min(r, len(xs) - 1)], acc)
                            for r, (row, acc) in enumerate(zip(rows, accs))]

                accs = for_loop(index(0), index(K_BLOCK), [zero] * runs, lanes_step, step=LANES)
                for r, acc in enumerate(accs):
                    memref.store(_lanes_sum(acc), sums, [chunk, index(r), i, j])
                return []

            for_loop(index(0), index(count), [], k_block)
            return []

        def rows_of(chunk):
            for_loop(index(0), index(length), [], lambda i: step(chunk, i))
            return []

        if blocks > 1:
            i64 = ir.IntegerType.get_signless(64)
            counter = memref.alloca(ir.MemRefType.get([], i64), [], [])
            memref.store(arith.constant(i64, 0), counter, [])
            forall = scf.ForallOp([0], [blocks], [1], [])
            with ir.InsertionPoint(forall.body):  # while a chunk is left, take the next
                loop = scf.WhileOp([i64], [])
                before = loop.before.blocks.append()
                with ir.InsertionPoint(before):
                    taken = memref.atomic_rmw(arith.AtomicRMWKind.addi, arith.constant(i64, 1), counter, [])
                    left = arith.cmpi(arith.CmpIPredicate.slt, taken, arith.constant(i64, chunks))
                    scf.ConditionOp(left, [taken])
                after = loop.after.blocks.append(i64)
                with ir.InsertionPoint(after):
                    rows_of(arith.index_cast(ir.IndexType.get(), after.arguments[0]))
                    scf.YieldOp([])
                scf.InParallelOp()
        else:
            rows_of(index(0))
        partial = bufferization.to_tensor(ir.RankedTensorType.get(list(shape), ir.F32Type.get()), sums, restrict=True,
                                          writable=True)
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
