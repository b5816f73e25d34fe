"""mirax-vectorize-matmul: f32 linalg.matmul ops packed, tiled for the caches, for
threads and for registers, and vectorized into fused multiply-adds, through a
transform-dialect script (transform-interpreter); 2-D f32 transposes (the operand
layouts dot_general's lowering makes) tiled into 8x8 vector transposes.

A matmul C = A B becomes two steps: B copied into panels of 16 columns, Bp[n / 16, k,
n % 16] (each panel contiguous, so the loads of a k loop walk memory in order instead
of rows of B that collide in L1's sets), and the product written into C itself, seen
as rows of panels C[m, n / 16, n % 16] (a reshape, no copy). The copies move vectors
of 16 lanes. An N that is not a multiple of 16 is padded: B gets zero columns up to
whole panels, the product goes into panels Cp[n / 16, m, n % 16], and only C's own
columns are copied back (a 10-column layer runs 4x faster this way than with 10-lane
vectors, which LLVM splits into 8 + 2). Transposed operands (a layer's gradient
multiplies by x^T and W^T) cost no transpose: an A that is X^T is read in place
(X[k, m..m+8] is one vector per step of k), and B = W^T has its panels packed from W,
16x8 blocks of W transposed in registers. The product is cut into blocks
(an scf.forall the CPU pipeline runs on OpenMP threads when the matmul is big enough:
over blocks of columns when there are 8 or more, each block then packing its own
panels of B and zeroing its panels of C on its thread, else over blocks of rows and
columns), then blocks of k, then 8x16 tiles (4x16 where M is not a multiple of 8)
summed in registers from zero over a block of k (8 AVX-512 accumulators, hiding the
fused multiply-add's latency; 16 AVX2 ones) and then added to C (zeroed first; where K
is one block, the sums are written as C's tiles, and C is neither zeroed nor read), so that
rounding errors grow with the block and the number of blocks, not with K (dot.py cuts longer contractions into matmuls added
as a tree), a panel at a time so that the panel of B stays in L1. Converted to loops
as they are, a matmul's k loop is a scalar reduction LLVM does not vectorize (float adds do not
reassociate), two orders of magnitude slower.

Applies to matmuls of CALLED_FLOPS or more on static f32 tensors, with plain operand
layouts (their operands may be transposes), whose C starts as a linalg.fill, and whose M is a multiple of 4; smaller
ones are left to mirax-matmul-calls (those whose A is a transpose, or B a small one,
read its source in place through transposed indexing maps: the kernel takes both
operands' strides, and the x^T and W^T of a small layer's gradient cost no transpose
of the program's own), others keep the plain loops. Runs on tensors, before
bufferization; the vector ops it leaves are lowered by the rest of the CPU pipeline
(convert-vector-to-scf, convert-vector-to-llvm).
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mirax.dialect.dot import REGISTER_ROWS, packed_matmul
from mirax.dialect.lowering import PARALLEL, REDUCTION, empty, generic, reshape
from mirax.dialect.types import ShapedType
from mirax.mlir import arith, ir, linalg, scf, vector

from .ir_queries import has_matmul_maps, is_tileable_transpose, is_transpose, matmul_maps
from .kernel_library import matmul_symbol
from .transform_script import apply_script

REGISTER_TILE = (REGISTER_ROWS, 16, 1)  # M, N, K
PANEL = REGISTER_TILE[1]
WIDE_ROWS = 8  # register tiles' rows where M allows (8 accumulators: 4 left the FMA latency bare)
# The largest outer tiles, (M, N, K): a tile is the largest divisor of its dimension
# up to these that is a whole number of register tiles. Within a block, the register
# tiles run down a panel (panel outer, m inner): the panel's 256x16 block of B (16
# KiB) stays in L1 while the 128x256 block of A streams from L2, and C tiles see 256
# steps of k between their loads and stores. Fastest on the MLP benchmark's shapes
# and on 1024 squares here.
MAX_TILES = (128, 64, 256)
MARK = "mirax.matmul_tiles"
# Matmuls of fewer flops (about 0.2 ms on one core) run on one thread: waking the
# others costs more than it saves. Against 2^22: a 256x256 solve (all its matmuls
# below) 10% faster, 1024x1024 Cholesky and solve 2-4% slower.
THREADED_FLOPS = 1 << 24
# Matmuls of fewer flops are left to mirax-matmul-calls (the kernel library's matmul,
# one thread as here, ran them as fast: 64^3 to 128x784x512 in 0.9-1.0x the packed
# product's time), saving the compile of a packed product each.
CALLED_FLOPS = THREADED_FLOPS
# Transposes of B up to this many elements are folded into the matmuls left to
# mirax-matmul-calls, whose kernel then copies B (an element at a time, ~1 us at this
# size) instead of the program compiling a transpose.
FOLDED_B = 1 << 12
# Blocks of columns enough for the threads of a small machine (a constant, not the
# core count, so that the compiled code does not depend on the machine).
COLUMN_BLOCKS = 8

SEQUENCE = """
module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{
    %func = transform.structured.match ops{{["func.func"]}} in %root : (!transform.any_op) -> !transform.any_op
    %no_unroll = transform.param.constant {no_unroll} -> !transform.any_param
{tilings}{transposes}{copies}
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.lower_transpose lowering_strategy = "shuffle_1d"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.canonicalization
    }} : !transform.any_op
    transform.yield
  }}
}}
"""
# One per distinct tiling of a packed product, loops (panel, m, column, k): tile,
# vectorize, turn the vectorized reduction into a contraction, then drop the leading
# unit dimensions (apart: applied with the permutation patterns, the two rewrote the
# read of C's (m, panel, 16) tile back and forth forever) and keep C's tile in registers
# across the k loop. (No canonicalization before the hoisting: it would fold
# single-iteration loops away under their handles.)
TILING = """
    %mm{i} = transform.structured.match ops{{["linalg.generic"]}} attributes {{{mark} = {tiles}}} in %root
      : (!transform.any_op) -> !transform.any_op
{outer}
    %inner{i}, %inner_loops{i}:3 = transform.structured.tile_using_for %outer{i} tile_sizes [1, {register_m}, 0, 1]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %inner{i} : !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    }} : !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
    }} : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %inner_loops{i}#2 : !transform.any_op{whole_k}
"""
# The cache blocks: sequential loops, or an scf.forall that the CPU pipeline runs on
# OpenMP threads, then the loop over blocks of k.
SEQUENTIAL_TILES = """
    %outer{i}, %outer_loops{i}:{count} = transform.structured.tile_using_for %mm{i} tile_sizes {tiles}
      : (!transform.any_op) -> ({types})"""
PARALLEL_TILES = """
    %blocks{i}, %forall{i} = transform.structured.tile_using_forall %mm{i} tile_sizes {blocks}
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op)"""
FUSED_PACK = """
    %pack{i} = transform.structured.match ops{{["linalg.generic"]}} attributes {{{mark} = {tiles}}} in %root
      : (!transform.any_op) -> !transform.any_op
    %fused_pack{i}, %forall_f{i} = transform.structured.fuse_into_containing_op %pack{i} into %forall{i}
      : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %zeros{i} = transform.structured.match ops{{["linalg.fill"]}} attributes {{{mark} = {tiles}}} in %root
      : (!transform.any_op) -> !transform.any_op
    %fused_zeros{i}, %forall_z{i} = transform.structured.fuse_into_containing_op %zeros{i} into %forall_f{i}
      : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)"""
PACK_MARK = "mirax.pack"
# A product whose K is one block: its register tiles' k loops (marked) write their sums
# to C, reading nothing of it, and C's zeros (marked) go.
WHOLE_K = "mirax.whole_k"
UNTILED = """
    %outer{i} = transform.cast %mm{i} : !transform.any_op to !transform.any_op"""
BLOCK_LOOPS = """
    %outer{i}, %block_loops{i}:{count} = transform.structured.tile_using_for %blocks{i} tile_sizes [0, {m}, 0, {k}]
      : (!transform.any_op) -> ({types})"""
NO_BLOCK_LOOPS = """
    %outer{i} = transform.cast %blocks{i} : !transform.any_op to !transform.any_op"""


# The copies into B's panels and out of C's, in tiles of two rows of 16 lanes (a tile
# of one row would fold into a slice copy, which becomes a scalar loop): LLVM unrolled
# their scalar loops, and compiling those was most of a small matmul's compile time.
# Their loops, and the transposes' loops over 8x8 tiles, are not unrolled either:
# unrolled by LLVM, they were half of a small MLP gradient's code, and ran no faster.
NO_UNROLL = "#llvm.loop_annotation<unroll = <disable = true>>"
COPY_MARK = "mirax.panel_copy"
PACK_TILES = (1, 2, 0)  # loops (panel, k, column)
TRANSPOSED_PACK_TILES = (1, 8, 0)  # B = W^T packed from W: 16x8 blocks of W read and transposed
COPIES = """
    %copies{i} = transform.structured.match ops{{["linalg.generic"]}} attributes {{{mark} = {attr}}} in %root
      : (!transform.any_op) -> !transform.any_op
    %copy_rows{i}, %copy_loops{i}:2 = transform.structured.tile_using_for %copies{i} tile_sizes {tiles}
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %copy_rows{i} : !transform.any_op
    transform.annotate %copy_loops{i}#0 "loop_annotation" = %no_unroll : !transform.any_op, !transform.any_param
    transform.annotate %copy_loops{i}#1 "loop_annotation" = %no_unroll : !transform.any_op, !transform.any_param
"""


# Transposes in 8x8 tiles (vector.transpose, one shuffle), blocks of up to 64x64 at
# a time: element by element, the reads of a column miss the cache.
TRANSPOSES = """
    %transposes{i} = transform.structured.match ops{{["linalg.generic"]}} attributes {{{mark} = {blocks}}} in %root
      : (!transform.any_op) -> !transform.any_op{block_loops}
    %t_tiles{i}, %t_tile_loops{i}:2 = transform.structured.tile_using_for %t_blocks{i} tile_sizes [8, 8]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %t_tiles{i} : !transform.any_op
    transform.annotate %t_tile_loops{i}#0 "loop_annotation" = %no_unroll : !transform.any_op, !transform.any_param
    transform.annotate %t_tile_loops{i}#1 "loop_annotation" = %no_unroll : !transform.any_op, !transform.any_param
"""
TRANSPOSE_BLOCKS = """
    %t_blocks{i}, %t_block_loops{i}:{count} = transform.structured.tile_using_for %transposes{i} tile_sizes {sizes}
      : (!transform.any_op) -> ({types})"""
ONE_TRANSPOSE_BLOCK = """
    %t_blocks{i} = transform.cast %transposes{i} : !transform.any_op to !transform.any_op"""
TRANSPOSE_BLOCK = 64
TRANSPOSE_MARK = "mirax.transpose_tiles"


def _tile(size, largest, step):
    """The largest multiple of `step` up to `largest` dividing `size`, or 0 (no tiling)
    when that is `size` itself or there is none."""
    tile = next((t for t in range(min(size, largest) // step * step, 0, -step) if size % t == 0), size)
    return tile if tile < size else 0


def _plan(op, called_flops):
    """(M, N, K) cache tiles for a matmul (N padded to whole panels), how many blocks
    of C run in parallel (1: none), how many of them are blocks of columns, the register
    tiles' rows and whether C's zeros go (1: K is one block and C starts from zero), or
    None when it does not qualify (under `called_flops`: left to mirax-matmul-calls)."""
    a, b, c = (ir.RankedTensorType(t) for t in (op.operands[0].type, op.operands[1].type, op.results[0].type))
    if not all(t.has_static_shape and isinstance(t.element_type, ir.F32Type) for t in (a, b, c)):
        return None
    init = op.operands[2].owner
    if not has_matmul_maps(op) or not isinstance(init, ir.OpView) or init.name != "linalg.fill":
        return None
    (m, k), n = a.shape, b.shape[1]
    if not packed_matmul(m, k, n, np.float32) or 2 * m * n * k < called_flops:
        return None
    n = _padded(n)
    rows = WIDE_ROWS if m % WIDE_ROWS == 0 else REGISTER_TILE[0]
    tiles = tuple(_tile(size, largest, step) for size, largest, step
                  in zip((m, n, k), MAX_TILES, (rows, PANEL, 1), strict=True))
    column_blocks = n // (tiles[1] or n)
    blocks = (m // (tiles[0] or m)) * column_blocks
    # K one block (of 2 steps or more: the register tiles' k loop of 1 folds away), C
    # from zero: C's zeros go (WHOLE_K)
    whole_k = not tiles[2] and k > 1 and _zero(init.operands[0])
    return tiles + (blocks if 2 * m * n * k >= THREADED_FLOPS else 1, column_blocks, rows, int(whole_k))


def _padded(n):
    """n rounded up to whole panels."""
    return -(-n // PANEL) * PANEL


def _pack(op):
    """Replace the matmul `op` by the packed product (see the module's docstring) and
    return the linalg.generics packing B and computing the product, and the transposes
    whose sources it reads instead."""
    a, b, init = op.operands
    (m, k), n = ir.RankedTensorType(a.type).shape, ir.RankedTensorType(b.type).shape[1]
    padded = _padded(n)
    panel, panels = PANEL, padded // PANEL

    def permuted(rank, dims):
        return ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(d) for d in dims])

    def f32(*shape):
        return ShapedType(shape, np.dtype(np.float32))

    a_map, folded = (1, 3), []
    if isinstance(a.owner, ir.OpView) and is_transpose(a.owner):  # A = X^T: X read in place, X[k, m]
        folded.append(a.owner)
        a, a_map = a.owner.operands[0], (3, 1)
    b_transposed = padded == n and k % TRANSPOSED_PACK_TILES[1] == 0 and isinstance(b.owner, ir.OpView) \
        and is_transpose(b.owner)
    if b_transposed:  # B = W^T: its panels packed from W's rows, W[n, k]
        folded.append(b.owner)
        b = b.owner.operands[0]
    with ir.InsertionPoint(op), op.location:
        if padded != n:  # B widened with zero columns: the last panel's reads masked, zero past B's end
            b = _copy_panels(b, f32(k, padded), k, panels, lambda row, column, _: [row, column], True)
        b_panels = reshape(b, f32(panels, panel, k) if b_transposed else f32(k, panels, panel))
        (packed_b,) = generic([f32(panels, k, panel)], [b_panels],
                              [permuted(3, (0, 2, 1) if b_transposed else (1, 0, 2)), permuted(3, (0, 1, 2))],
                              lambda x, _: [x])
        if b_transposed or k % 2 == 0:
            packed_b.owner.attributes[COPY_MARK] = ir.Attribute.parse(
                _tiles_attr(TRANSPOSED_PACK_TILES if b_transposed else PACK_TILES))
        fill = op.operands[2].owner
        # N whole panels: the product written into C itself, seen as (m, panel, 16)
        c_shape, c_map = ((m, panels, panel), (1, 0, 2)) if padded == n else ((panels, m, panel), (0, 1, 2))
        start = linalg.fill(fill.operands[0], outs=[empty(f32(*c_shape))])
        (packed_c,) = generic([f32(*c_shape)], [a, packed_b],
                              [permuted(4, a_map), permuted(4, (0, 3, 2)), permuted(4, c_map)],
                              lambda x, y, total: [arith.addf(total, arith.mulf(x, y))],
                              [PARALLEL, PARALLEL, PARALLEL, REDUCTION], inits=[start])
        if padded == n:
            c = reshape(packed_c, f32(m, n))
        else:  # C[i, j] = Cp[j / 16, i, j % 16] for the columns j < n: the last panel's writes masked
            c = _copy_panels(packed_c, f32(m, n), m, panels, lambda row, _, panel: [panel, row, _index(0)], False)
    op.results[0].replace_all_uses_with(c)
    op.erase()
    return packed_b.owner, packed_c.owner, folded


def _copy_panels(source, shaped, rows, panels, read_at, widen):
    """A tensor of `shaped` (rows x columns) whose row r, panel p holds the 16 lanes of
    `source` at read_at(r, 16 p, p), copied as vectors (LLVM unrolls scalar copies, and
    compiling those was most of a small matmul's compile time). `widen`: the rows of
    `source` are the shorter, the lanes read past their end are zero; else the lanes
    past the end of the result's rows are not written."""
    lanes = ir.VectorType.get([PANEL], ir.F32Type.get())
    minor = ir.AffineMap.get_minor_identity(len(ir.RankedTensorType(source.type).shape), 1)
    zero = arith.constant(ir.F32Type.get(), 0.0)
    rows_loop = scf.ForOp(_index(0), _index(rows), _index(1), [empty(shaped)])
    rows_loop.attributes["loop_annotation"] = ir.Attribute.parse(NO_UNROLL)
    with ir.InsertionPoint(rows_loop.body):
        panels_loop = scf.ForOp(_index(0), _index(panels), _index(1), rows_loop.inner_iter_args)
        panels_loop.attributes["loop_annotation"] = ir.Attribute.parse(NO_UNROLL)
        with ir.InsertionPoint(panels_loop.body):
            row, panel = rows_loop.induction_variable, panels_loop.induction_variable
            column = arith.muli(panel, _index(PANEL))
            value = vector.transfer_read(lanes, source, read_at(row, column, panel), minor, zero, [not widen])
            written = vector.transfer_write(panels_loop.inner_iter_args[0].type, value, panels_loop.inner_iter_args[0],
                                            [row, column], ir.AffineMap.get_minor_identity(2, 1), [widen])
            scf.YieldOp([written])
        scf.YieldOp(panels_loop.results)
    return rows_loop.results[0]


def _index(value):
    return arith.constant(ir.IndexType.get(), value)


def _tiling(i, plan):
    (m, n, k), blocks = plan[:3], plan[3]
    tiles = [n // PANEL, m, 0, k]  # loops (panel, m, column, k); 0: untiled
    if _column_blocks(plan):  # threads over blocks of columns, each packing its panels of B
        outer = (PARALLEL_TILES.format(i=i, blocks=[tiles[0], 0])
                 + FUSED_PACK.format(i=i, mark=PACK_MARK, tiles=_tiles_attr(plan)) + _block_loops(i, m, k))
    elif blocks > 1:  # threads over blocks of rows and columns
        outer = PARALLEL_TILES.format(i=i, blocks=tiles[:2]) + _block_loops(i, 0, k)
    elif any(tiles):
        count = sum(1 for t in tiles if t)
        outer = SEQUENTIAL_TILES.format(i=i, count=count, tiles=tiles, types=_handles(count + 1))
    else:  # one block
        outer = UNTILED.format(i=i)
    whole_k = f'\n    transform.annotate %inner_loops{i}#2 "{WHOLE_K}" : !transform.any_op' if plan[6] else ""
    return TILING.format(i=i, mark=MARK, tiles=_tiles_attr(plan), outer=outer, register_m=plan[5], whole_k=whole_k)


def _transposes(i, blocks):
    count = sum(1 for b in blocks if b)
    block_loops = (TRANSPOSE_BLOCKS.format(i=i, count=count, sizes=list(blocks), types=_handles(count + 1))
                   if count else ONE_TRANSPOSE_BLOCK.format(i=i))
    return TRANSPOSES.format(i=i, mark=TRANSPOSE_MARK, blocks=_tiles_attr(blocks), block_loops=block_loops)


def _block_loops(i, m, k):
    """The loops within a block: over tiles of m rows (0: none), then of k."""
    count = (m > 0) + (k > 0)
    if not count:
        return NO_BLOCK_LOOPS.format(i=i)
    return BLOCK_LOOPS.format(i=i, m=m, k=k, count=count, types=_handles(count + 1))


def _handles(count):
    """The result types of a transform op returning `count` handles."""
    return ", ".join(["!transform.any_op"] * count)


def _column_blocks(plan):
    """Whether a threaded matmul runs on blocks of columns alone, each packing its own
    panels of B on its thread (3-9% faster on the MLP's shapes than packing all of B
    first, on one thread): when there are enough of them to share out."""
    return plan[3] > 1 and plan[4] >= COLUMN_BLOCKS


def _tiles_attr(tiles):
    return f"array<i64: {', '.join(map(str, tiles))}>"


@dataclass(frozen=True)
class MiraxVectorizeMatmul:
    name: ClassVar[str] = "mirax-vectorize-matmul"
    summary: ClassVar[str] = "Tile f32 linalg.matmul for caches, threads and registers, vectorize it and its operand transposes"
    called_flops: int = CALLED_FLOPS  # an option: mirax-opt's lit tests pack small matmuls

    def __call__(self, module):
        matmuls, transposes = [], []

        def collect(op):
            if op.name == "linalg.matmul":
                matmuls.append(op)
            elif is_tileable_transpose(op):
                transposes.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        distinct, folded = [], []
        for op in matmuls:
            plan = _plan(op, self.called_flops)
            if plan is None:
                folded += _fold_transposes(op)
                continue
            pack_b, product, read_in_place = _pack(op)
            folded += read_in_place
            if _column_blocks(plan):
                plan = plan + (len(distinct),)  # a sequence of its own, to fuse its own packing and zeros
                for fused in (pack_b, product.operands[2].owner):
                    fused.attributes[PACK_MARK] = ir.Attribute.parse(_tiles_attr(plan))
            product.attributes[MARK] = ir.Attribute.parse(_tiles_attr(plan))
            if plan[6]:
                product.operands[2].owner.attributes[WHOLE_K] = ir.UnitAttr.get()
            if plan not in distinct:
                distinct.append(plan)
        dead = []  # transposes folded into every matmul they fed
        for transpose in folded:
            if not list(transpose.results[0].uses) and transpose not in dead:
                dead.append(transpose)
        transposes = [t for t in transposes if t not in dead]
        for transpose in dead:
            transpose.erase()
        distinct_blocks = []
        for op in transposes:
            shape = ir.RankedTensorType(op.results[0].type).shape
            blocks = tuple(_tile(size, TRANSPOSE_BLOCK, 8) for size in shape)
            op.attributes[TRANSPOSE_MARK] = ir.Attribute.parse(_tiles_attr(blocks))
            if blocks not in distinct_blocks:
                distinct_blocks.append(blocks)
        if not distinct and not distinct_blocks:
            return
        apply_script(module, SEQUENCE.format(
            tilings="".join(_tiling(i, t) for i, t in enumerate(distinct)),
            no_unroll=NO_UNROLL, transposes="".join(_transposes(i, b) for i, b in enumerate(distinct_blocks)),
            copies="".join(COPIES.format(i=i, mark=COPY_MARK, attr=_tiles_attr(t), tiles=list(t))
                           for i, t in enumerate((PACK_TILES, TRANSPOSED_PACK_TILES)))))
        module.walk(_drop_pack_marks)
        module.walk(_fresh_accumulator)
        _overwritten_zeros(module)


def _copied_once(op, b):
    """Whether the kernel's copy of the transposed B `b` of the matmul `op` replaces one
    transpose: `b` small, read by `op` alone, outside loops (where the transpose of a
    loop-invariant B, hoisted, runs once; the kernel's copy would run every step)."""
    return np.prod(ir.RankedTensorType(b.type).shape) <= FOLDED_B and len(list(b.uses)) == 1 \
        and op.operation.parent.name == "func.func"


def _fold_transposes(op):
    """A matmul left to mirax-matmul-calls whose A is a transpose, or whose B is one the
    kernel copies once (_copied_once), reads the transpose's source in its place,
    through transposed indexing maps (the kernel takes both operands' strides: it reads
    A an element at a time, and copies a B whose columns are not adjacent), so that the
    transpose need not be compiled. Returns the transposes folded."""
    if not has_matmul_maps(op) or not all(ir.RankedTensorType(v.type).has_static_shape for v in op.operands) \
            or not matmul_symbol(str(ir.RankedTensorType(op.operands[0].type).element_type)):
        return []
    folded, transposed = [], []
    for i, operand in enumerate(op.operands[:2]):
        source = operand.owner
        fold = isinstance(source, ir.OpView) and is_transpose(source) and (i == 0 or _copied_once(op, operand))
        if fold:
            op.operands[i] = source.operands[0]
            folded.append(source)
        transposed.append(fold)
    if folded:
        op.attributes["indexing_maps"] = matmul_maps(tuple(transposed))
    return folded


def _fresh_accumulator(op):
    """A register tile's loop over a block of k (the only scf.for carrying a vector read
    from a tensor, by hoist_loop_invariant_subsets) starts from zero, and the tile of C
    is read after it and added: the block's products are summed on their own, so that
    the rounding error grows like the block plus the number of blocks, not like K. A
    loop over the whole of K (marked WHOLE_K) writes its sum as C's tile, reading none."""
    if op.name != "scf.for" or len(op.results) != 1 or not isinstance(op.operands[3].owner, ir.OpView) \
            or op.operands[3].owner.name != "vector.transfer_read":
        return ir.WalkResult.ADVANCE
    tile = op.operands[3].owner
    with ir.InsertionPoint(tile), tile.location:
        op.operands[3] = arith.constant(tile.result.type, ir.DenseElementsAttr.get_splat(
            tile.result.type, ir.FloatAttr.get(ir.VectorType(tile.result.type).element_type, 0.0)))
    (use,) = [u.owner for u in op.results[0].uses]
    if WHOLE_K in op.attributes:
        del op.attributes[WHOLE_K]
        tile.erase()
        return ir.WalkResult.ADVANCE
    tile.move_after(op)
    with ir.InsertionPoint(use), use.location:
        total = arith.addf(tile.result, op.results[0])
    use.operands[0] = total
    return ir.WalkResult.ADVANCE


def _overwritten_zeros(module):
    """The fills of C marked WHOLE_K (every element then written by a register tile
    before anything reads it) replaced by their destinations."""
    fills = []
    module.walk(lambda op: (fills.append(op.opview) if op.name == "linalg.fill" and WHOLE_K in op.attributes
                            else None) or ir.WalkResult.ADVANCE)
    for fill in fills:
        fill.results[0].replace_all_uses_with(fill.operands[1])
        fill.operation.erase()


def _zero(value):
    """Whether `value` is an arith.constant 0.0."""
    owner = value.owner
    return isinstance(owner, ir.OpView) and owner.name == "arith.constant" \
        and isinstance(owner.attributes["value"], ir.FloatAttr) and ir.FloatAttr(owner.attributes["value"]).value == 0.0


def _drop_pack_marks(op):
    """The mark a fused packing keeps (the others go with the ops tiling replaces)."""
    if PACK_MARK in op.attributes:
        del op.attributes[PACK_MARK]
    return ir.WalkResult.ADVANCE
