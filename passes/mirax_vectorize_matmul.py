"""mirax-vectorize-matmul: f32 linalg.matmul ops tiled for the caches and for
registers, and vectorized into fused multiply-adds, through a transform-dialect
script (transform-interpreter).

Each matmul is cut into blocks of A and B that stay in cache (outer tiles), then
into 4x16 tiles of C held in registers while the loop over k runs (8 AVX2 or 4
AVX-512 accumulators; the loads of C leave the k loop). Converted to loops as they
are, a matmul's k loop is a scalar reduction LLVM does not vectorize (float adds do
not reassociate), two orders of magnitude slower.

Applies to matmuls on static f32 tensors whose M is a multiple of 4 and N of 16
(the register tile); others keep the plain loops. Runs on tensors, before
bufferization; the vector ops it leaves are lowered by the rest of the CPU pipeline
(convert-vector-to-scf, convert-vector-to-llvm).
"""
from dataclasses import dataclass

from mirax.mlir import ir, passmanager

REGISTER_TILE = (4, 16, 1)  # M, N, K
# Outer tile candidates, largest first; each must divide its dimension (0: the whole K).
# 128x32 blocks of A and 32x256 of B were fastest on 1024 and 2048 squares here.
M_TILES = (128, 64, 32, 16, 8, 4)
N_TILES = (256, 128, 64, 32, 16)
K_TILES = (32, 16, 8)
MARK = "mirax.matmul_tiles"

SEQUENCE = """
module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{
    %func = transform.structured.match ops{{["func.func"]}} in %root : (!transform.any_op) -> !transform.any_op
{tilings}
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
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
    %outer{i}, %outer_loops{i}:{outer_loops} = transform.structured.tile_using_for %mm{i} tile_sizes {outer}
      : (!transform.any_op) -> ({outer_types})
    %inner{i}, %inner_loops{i}:3 = transform.structured.tile_using_for %outer{i} tile_sizes {inner}
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %inner{i} : !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    }} : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %inner_loops{i}#2 : !transform.any_op
"""


def _largest_divisor(size, candidates):
    """The first candidate dividing size, else 0 (no tiling)."""
    return next((c for c in candidates if size % c == 0), 0)


def _outer_tiles(op):
    """(M, N, K) cache tiles for a matmul, or None when it does not qualify."""
    a, b, c = (ir.RankedTensorType(t) for t in (op.operands[0].type, op.operands[1].type, op.results[0].type))
    if not all(t.has_static_shape and isinstance(t.element_type, ir.F32Type) for t in (a, b, c)):
        return None
    # The loops are (m, n, k) whatever the operands' indexing maps (transposes).
    (m, n), k = c.shape, a.shape[0] * a.shape[1] // max(c.shape[0], 1)
    if m % REGISTER_TILE[0] or n % REGISTER_TILE[1] or 0 in (m, n, k):
        return None
    return tuple(_largest_divisor(size, candidates) for size, candidates in ((m, M_TILES), (n, N_TILES), (k, K_TILES)))


def _tiling(i, tiles):
    loops = sum(1 for t in tiles if t)
    return TILING.format(
        i=i, mark=MARK, tiles=_tiles_attr(tiles), outer=list(tiles), inner=list(REGISTER_TILE), outer_loops=loops,
        outer_types=", ".join(["!transform.any_op"] * (loops + 1)))


def _tiles_attr(tiles):
    return f"array<i64: {', '.join(map(str, tiles))}>"


@dataclass(frozen=True)
class MiraxVectorizeMatmul:
    name: str = "mirax-vectorize-matmul"
    summary: str = "Tile f32 linalg.matmul for caches and registers and vectorize it"

    def __call__(self, module, pass_=None):
        matmuls = []

        def collect(op):
            if op.name == "linalg.matmul":
                matmuls.append(op)
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
        if not distinct:
            return
        script = ir.Module.parse(SEQUENCE.format(tilings="".join(_tiling(i, t) for i, t in enumerate(distinct))))
        body = module.regions[0].blocks[0]
        sequence = script.body.operations[0].detach_from_parent()
        body.append(sequence)
        module.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
        try:
            passmanager.PassManager.parse("builtin.module(transform-interpreter)").run(module)
        finally:
            sequence.erase()
            del module.attributes["transform.with_named_sequence"]
