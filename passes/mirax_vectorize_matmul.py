"""mirax-vectorize-matmul: f32 linalg.matmul ops tiled for the caches, for threads
and for registers, and vectorized into fused multiply-adds, through a
transform-dialect script (transform-interpreter); 2-D f32 transposes (the operand
layouts dot_general's lowering makes) tiled into 8x8 vector transposes.

Each matmul is cut into blocks of C (an scf.forall the CPU pipeline runs on OpenMP
threads when the matmul is big enough), then blocks of k, then into 4x16 tiles of C
held in registers while the loop over k runs (8 AVX2 or 4 AVX-512 accumulators; the
loads of C leave the k loop). Converted to loops as they are, a matmul's k loop is a
scalar reduction LLVM does not vectorize (float adds do not reassociate), two orders
of magnitude slower.

Applies to matmuls on static f32 tensors whose M is a multiple of 4 and N a multiple
of 16 or below 16 (one register tile wide); others keep the plain loops. Runs on
tensors, before bufferization; the vector ops it leaves are lowered by the rest of the
CPU pipeline (convert-vector-to-scf, convert-vector-to-llvm).
"""
from dataclasses import dataclass

from mirax.mlir import ir, passmanager

REGISTER_TILE = (4, 16, 1)  # M, N, K; a narrower C (N < 16) is one tile wide
# Outer tile candidates, largest first; each must divide its dimension (0: the whole K).
# Within a block, the register tiles run down the columns of C (n outer, m inner): the
# 256x16 panel of B a column needs stays in L1 while the 128x256 block of A streams
# from L2, and C tiles see 256 steps of k between their loads and stores. Fastest on
# the MLP benchmark's shapes here; squares of 1024 and more would want B packed (its
# rows 4 KiB apart collide in L1's sets).
M_TILES = (128, 64, 32, 16, 8, 4)
N_TILES = (64, 32, 16)
K_TILES = (256, 128, 64, 32, 16, 8)
MARK = "mirax.matmul_tiles"
# Matmuls of fewer flops run on one thread: waking the others costs more than it saves.
THREADED_FLOPS = 1 << 22

SEQUENCE = """
module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{
    %func = transform.structured.match ops{{["func.func"]}} in %root : (!transform.any_op) -> !transform.any_op
{tilings}{transposes}
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
# One per distinct outer tiling: tile twice, vectorize, turn the vectorized reduction
# into a contraction and keep the C tile in registers across the k loop. (No
# canonicalization before the hoisting: it would fold single-iteration loops away
# under their handles.)
TILING = """
    %mm{i} = transform.structured.match ops{{["linalg.matmul"]}} attributes {{{mark} = {tiles}}} in %root
      : (!transform.any_op) -> !transform.any_op
{outer}
    %inner{i}, %inner_loops{i}:3 = transform.structured.tile_using_for %outer{i} tile_sizes {inner} interchange = [1, 0, 2]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %inner{i} : !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    }} : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %inner_loops{i}#2 : !transform.any_op
"""
# The cache tiles: blocks of C as sequential loops, or as an scf.forall that the CPU
# pipeline runs on OpenMP threads, then the k loop over blocks of A and B.
SEQUENTIAL_TILES = """
    %outer{i}, %outer_loops{i}:{count} = transform.structured.tile_using_for %mm{i} tile_sizes {tiles}
      : (!transform.any_op) -> ({types})"""
PARALLEL_TILES = """
    %blocks{i}, %forall{i} = transform.structured.tile_using_forall %mm{i} tile_sizes {mn}
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op)"""
K_TILES_LOOP = """
    %outer{i}, %k_loop{i} = transform.structured.tile_using_for %blocks{i} tile_sizes [0, 0, {k}]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op)"""
NO_K_TILES = """
    %outer{i} = transform.cast %blocks{i} : !transform.any_op to !transform.any_op"""


# Transposes in 8x8 tiles (vector.transpose, one shuffle), blocks of up to 64x64 at
# a time: element by element, the reads of a column miss the cache.
TRANSPOSES = """
    %transposes{i} = transform.structured.match ops{{["linalg.generic"]}} attributes {{{mark} = {blocks}}} in %root
      : (!transform.any_op) -> !transform.any_op
    %t_blocks{i}, %t_block_loops{i}:2 = transform.structured.tile_using_for %transposes{i} tile_sizes {sizes}
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %t_tiles{i}, %t_tile_loops{i}:2 = transform.structured.tile_using_for %t_blocks{i} tile_sizes [8, 8]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %t_tiles{i} : !transform.any_op
"""
TRANSPOSE_BLOCKS = (64, 32, 16, 8)
TRANSPOSE_MARK = "mirax.transpose_tiles"


def _is_tileable_transpose(op):
    """A generic copying a static 2-D f32 tensor, sides multiples of 8, into its transpose."""
    if op.name != "linalg.generic" or len(op.operands) != 2:
        return False
    maps = [ir.AffineMapAttr(m).value for m in op.attributes["indexing_maps"]]
    source, result = (ir.RankedTensorType(v.type) for v in op.operands)
    body = op.regions[0].blocks[0]
    yielded = list(body.operations)[-1].operands
    return (str(maps[0]) == "(d0, d1) -> (d1, d0)" and str(maps[1]) == "(d0, d1) -> (d0, d1)"
            and len(list(body.operations)) == 1 and yielded[0] == body.arguments[0]
            and source.has_static_shape and isinstance(source.element_type, ir.F32Type)
            and all(size % 8 == 0 for size in source.shape))


def _largest_divisor(size, candidates):
    """The first candidate dividing size, else 0 (no tiling)."""
    return next((c for c in candidates if size % c == 0), 0)


def _outer_tiles(op):
    """(M, N, K) cache tiles for a matmul, how many blocks of C run in parallel (1:
    none) and the register tile's N, or None when it does not qualify."""
    a, b, c = (ir.RankedTensorType(t) for t in (op.operands[0].type, op.operands[1].type, op.results[0].type))
    if not all(t.has_static_shape and isinstance(t.element_type, ir.F32Type) for t in (a, b, c)):
        return None
    # The loops are (m, n, k) whatever the operands' indexing maps (transposes).
    (m, n), k = c.shape, a.shape[0] * a.shape[1] // max(c.shape[0], 1)
    register_n = REGISTER_TILE[1] if n % REGISTER_TILE[1] == 0 else n if n < REGISTER_TILE[1] else None
    if m % REGISTER_TILE[0] or register_n is None or 0 in (m, n, k):
        return None
    tiles = tuple(_largest_divisor(size, candidates) for size, candidates in ((m, M_TILES), (n, N_TILES), (k, K_TILES)))
    blocks = (m // tiles[0]) * (n // (tiles[1] or n))
    return tiles + (blocks if 2 * m * n * k >= THREADED_FLOPS else 1, register_n)


def _tiling(i, tiles):
    (m, n, k), blocks, register_n = tiles[:3], tiles[3], tiles[4]
    if blocks > 1:  # worth threads
        outer = PARALLEL_TILES.format(i=i, mn=[m, n]) + (K_TILES_LOOP.format(i=i, k=k) if k else NO_K_TILES.format(i=i))
    else:
        count = sum(1 for t in (m, n, k) if t)
        outer = SEQUENTIAL_TILES.format(i=i, count=count, tiles=[m, n, k], types=", ".join(["!transform.any_op"] * (count + 1)))
    return TILING.format(i=i, mark=MARK, tiles=_tiles_attr(tiles), outer=outer,
                         inner=[REGISTER_TILE[0], register_n, REGISTER_TILE[2]])


def _tiles_attr(tiles):
    return f"array<i64: {', '.join(map(str, tiles))}>"


@dataclass(frozen=True)
class MiraxVectorizeMatmul:
    name: str = "mirax-vectorize-matmul"
    summary: str = "Tile f32 linalg.matmul for caches, threads and registers, vectorize it and its operand transposes"

    def __call__(self, module, pass_=None):
        matmuls, transposes = [], []

        def collect(op):
            if op.name == "linalg.matmul":
                matmuls.append(op)
            elif _is_tileable_transpose(op):
                transposes.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        distinct = []
        for op in matmuls:
            tiles = _outer_tiles(op)
            if tiles is None:
                continue
            op.attributes[MARK] = ir.Attribute.parse(_tiles_attr(tiles))
            if tiles not in distinct:
                distinct.append(tiles)
        distinct_blocks = []
        for op in transposes:
            shape = ir.RankedTensorType(op.results[0].type).shape
            blocks = tuple(_largest_divisor(size, TRANSPOSE_BLOCKS) for size in shape)
            op.attributes[TRANSPOSE_MARK] = ir.Attribute.parse(_tiles_attr(blocks))
            if blocks not in distinct_blocks:
                distinct_blocks.append(blocks)
        if not distinct and not distinct_blocks:
            return
        script = ir.Module.parse(SEQUENCE.format(
            tilings="".join(_tiling(i, t) for i, t in enumerate(distinct)),
            transposes="".join(TRANSPOSES.format(i=i, mark=TRANSPOSE_MARK, blocks=_tiles_attr(b), sizes=list(b))
                               for i, b in enumerate(distinct_blocks))))
        body = module.regions[0].blocks[0]
        sequence = script.body.operations[0].detach_from_parent()
        body.append(sequence)
        module.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
        try:
            passmanager.PassManager.parse("builtin.module(transform-interpreter)").run(module)
        finally:
            sequence.erase()
            del module.attributes["transform.with_named_sequence"]
