"""What several passes ask of the IR: the ops of a kind, a linalg op's loops, how often
a loop's body runs."""
import itertools

from mirax.mlir import ir


def ops_named(root, name):
    """The ops called `name` in `root`, outermost only, as OpViews."""
    found = []

    def visit(op):
        if op.name == name:
            found.append(op.opview)
            return ir.WalkResult.SKIP
        return ir.WalkResult.ADVANCE

    root.operation.walk(visit)
    return found


def matmul_maps(transposed=(False, False)):
    """linalg.matmul's indexing maps over loops (m, n, k), C[m, n] += A[m, k] B[k, n],
    with A read as A[k, m] and B as B[n, k] where `transposed` says."""
    a_dims, b_dims = ((2, 0) if transposed[0] else (0, 2)), ((1, 2) if transposed[1] else (2, 1))
    return ir.ArrayAttr.get([ir.AffineMapAttr.get(ir.AffineMap.get(3, 0, [ir.AffineDimExpr.get(i) for i in dims]))
                             for dims in (a_dims, b_dims, (0, 1))])


def transposed_operands(op):
    """(A transposed, B transposed) of the linalg.matmul `op` when its indexing maps are
    matmul_maps' (its default ones, printed or not: (False, False)), else None."""
    if "indexing_maps" not in op.attributes:
        return False, False
    maps = op.attributes["indexing_maps"]
    return next((t for t in itertools.product((False, True), repeat=2) if maps == matmul_maps(t)), None)


def has_matmul_maps(op):
    """Whether the linalg.matmul `op` reads and writes its operands in matmul's own
    layouts, C[m, n] += A[m, k] B[k, n] (its default indexing maps, printed or not)."""
    return transposed_operands(op) == (False, False)


def is_transpose(op):
    """Whether `op` is a generic copying a 2-D tensor or buffer into its transpose."""
    if op.name != "linalg.generic" or len(op.operands) != 2:
        return False
    maps = [ir.AffineMapAttr(m).value for m in op.attributes["indexing_maps"]]
    body = op.regions[0].blocks[0]
    yielded = list(body.operations)[-1].operands
    return (str(maps[0]) == "(d0, d1) -> (d1, d0)" and str(maps[1]) == "(d0, d1) -> (d0, d1)"
            and len(list(body.operations)) == 1 and yielded[0] == body.arguments[0])


def is_tileable_transpose(op):
    """A transpose of a static 2-D f32 tensor, sides multiples of 8 (mirax-vectorize-matmul
    tiles it into 8x8 vector transposes)."""
    if not is_transpose(op):
        return False
    source = ir.RankedTensorType(op.operands[0].type)
    return (source.has_static_shape and isinstance(source.element_type, ir.F32Type)
            and all(size > 0 and size % 8 == 0 for size in source.shape))


def reductions(op):
    """Whether each loop of the linalg op `op` is a reduction."""
    return ["reduction" in str(kind) for kind in op.attributes["iterator_types"]]


def loop_extents(op):
    """The static extent of each loop of the linalg op `op` (on tensors or buffers),
    from its operands' shapes and indexing maps; None where one is dynamic or no
    operand dimension gives it."""
    maps = [ir.AffineMapAttr(m).value for m in op.attributes["indexing_maps"]]
    extents = [None] * maps[0].n_dims
    for value, amap in zip(op.operands, maps, strict=True):
        if isinstance(value.type, ir.ShapedType):
            for size, expr in zip(value.type.shape, amap.results, strict=True):
                if isinstance(expr := expr.maybe_downcast(), ir.AffineDimExpr):
                    extents[expr.position] = size
    if any(e is None or e == ir.ShapedType.get_dynamic_size() for e in extents):
        return None
    return extents


def body_runs(loop, enough):
    """How many times the body of the scf.for `loop` runs, counting the scf.for loops
    around it up to its function, or `enough` once that many are reached or a count is
    not known (a bound not constant, a loop of another kind: threads')."""
    runs = 1
    while loop.name != "func.func" and runs < enough:
        count = _trip_count(loop) if loop.name == "scf.for" else None
        runs = enough if count is None else runs * count
        loop = loop.parent
    return min(runs, enough)


def _trip_count(loop):
    """The number of iterations of an scf.for with constant bounds, else None."""
    try:
        lower, upper, step = (ir.IntegerAttr(v.owner.attributes["value"]).value for v in list(loop.operands)[:3])
    except (AttributeError, KeyError, ValueError, TypeError):  # a bound is not an arith.constant
        return None
    return max(0, -(-(upper - lower) // step))
