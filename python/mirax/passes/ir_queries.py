"""What several passes ask of the IR: the ops of a kind, a linalg op's loops."""
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
