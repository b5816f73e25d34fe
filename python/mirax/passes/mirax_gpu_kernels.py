"""mirax-gpu-kernels: every linalg op and memref.copy on buffers becomes gpu.launch
kernels (after fusion, one per fusion group), chosen by the op's loops:

- Elementwise and broadcast code (all loops parallel): one thread per point of the
  iteration space, linearized row-major so that consecutive threads of a block take
  consecutive points of the innermost loop (coalesced loads and stores).
- Matmuls and other contractions of at least 16 rows, columns and k: one 16x16 block
  of threads per 16x16 tile of the output; for each step of 16 along k, the block
  stages the tiles of the inputs it needs in shared memory, each element read from
  global memory once per block rather than once per thread.
- Reductions whose innermost loop is a reduction, of at least a warp's length, with one
  output updated by one associative operation (sum, product, max, min, and, or, xor):
  one block per output element. Each thread folds a strided slice of the reduced
  elements, starting from the operation's identity; the block combines the partial
  results with gpu.all_reduce (a tree of warp shuffles and shared memory, lowered by
  convert-gpu-to-nvvm) and its first thread stores them, combined with the output's
  initial value. When there are too few outputs to occupy the device (a full sum),
  several blocks share each reduction and a second kernel combines their results.
- Other reductions (several outputs, as argmax; reductions across rows, whose threads
  read consecutive columns; small matmuls): one thread per output element, looping over
  the reduced elements.

A reduction starts from the value its outputs were just filled with (linalg.fill), so
the fill needs no kernel of its own. Loop extents must be static. Runs on buffers,
after bufferization; the constants and globals (and views of them) a kernel reads are
cloned into it, so that kernel outlining copies the globals into the GPU module.
"""
import math as pymath
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import affine, arith, gpu, ir, linalg, memref, passmanager, scf

from .ir_queries import loop_extents, ops_named, reductions

THREADS = 256  # per block
WARP = 32  # a tree reduction's blocks are whole warps: gpu.all_reduce shuffles across all 32 lanes
MIN_TREE_REDUCTION = 32  # shorter reductions: a thread per output
# Fewer blocks than keep an H100's 132 multiprocessors busy share their reductions
# with more blocks, each taking at least this many elements.
BUSY_BLOCKS = 264
SHARED_REDUCTION = 4096
TILE = 16  # matmuls: TILE x TILE outputs per block, a thread each, k in steps of TILE

# The associative operations a tree reduction combines with: gpu.all_reduce's name for
# each and the identity each thread's partial result starts from (NaN is the identity
# of maxnum and minnum, which return their other operand).
TREE_COMBINERS = {
    "arith.addf": ("add", 0.0), "arith.addi": ("add", 0), "arith.mulf": ("mul", 1.0), "arith.muli": ("mul", 1),
    "arith.maximumf": ("maximumf", -pymath.inf), "arith.minimumf": ("minimumf", pymath.inf),
    "arith.maxnumf": ("maxnumf", pymath.nan), "arith.minnumf": ("minnumf", pymath.nan),
    "arith.maxsi": ("maxsi", "smallest"), "arith.minsi": ("minsi", "largest"),
    "arith.maxui": ("maxui", 0), "arith.minui": ("minui", -1),
    "arith.andi": ("and", -1), "arith.ori": ("or", 0), "arith.xori": ("xor", 0),
}
# Warp shuffles move 32-bit words: tree reductions of these element widths only.
TREE_WIDTHS = (32, 64)
FOLDED = "mirax.fill_folded"  # a fill whose value the next reduction starts from
# Ops that only name or view memory: cloned into a kernel that reads through them.
VIEWS = ("memref.get_global", "memref.reshape", "memref.expand_shape", "memref.collapse_shape", "memref.subview",
         "memref.cast", "memref.reinterpret_cast", "arith.constant")
WORKGROUP = "#gpu.address_space<workgroup>"


def _index(value):
    return arith.constant(ir.IndexType.get(), value)


def _below(value, bound):
    return arith.cmpi(arith.CmpIPredicate.ult, value, _index(bound))


def _constant(element, value):
    if isinstance(element, ir.IntegerType):
        return arith.constant(element, ir.IntegerAttr.get(element, value))
    return arith.constant(element, ir.FloatAttr.get(element, value))


def _power_of_2(n):
    """The least power of 2 at least n."""
    return 1 << (n - 1).bit_length()


def _reduction_threads(n):
    """The threads of a block folding n elements: a power of 2 of whole warps, at most THREADS."""
    return min(THREADS, max(WARP, _power_of_2(n)))


def _for(lower, upper, step, inits, body):
    """scf.for over [lower, upper) by `step` carrying `inits`; `body(iv, *carried)` emits
    the iteration where the insertion point is and returns the next values."""
    loop = scf.ForOp(lower, upper, step, list(inits))
    with ir.InsertionPoint(loop.body):
        scf.YieldOp(list(body(loop.induction_variable, *loop.inner_iter_args)))
    return list(loop.results)


def _if(condition, body):
    """scf.if without results: `body()` emits the ops it guards."""
    branch = scf.IfOp(condition)
    with ir.InsertionPoint(branch.then_block):
        body()
        scf.YieldOp([])


@dataclass
class Loops:
    """A linalg.generic's loops: extents, which are reductions, indexing maps."""

    extents: list
    reductions: list
    maps: list

    @staticmethod
    def of(op):
        extents = loop_extents(op)
        if extents is None:
            raise NotImplementedError(f"the GPU backend needs static loop extents: {op}")
        return Loops(extents, reductions(op), [ir.AffineMapAttr(m).value for m in op.attributes["indexing_maps"]])

    def dims(self, reduction):
        return [d for d, r in enumerate(self.reductions) if r == reduction]

    def size(self, dims):
        return pymath.prod(self.extents[d] for d in dims)

    def place(self, coordinates, dims, linear):
        """Set the coordinates of loops `dims` to those of their row-major index `linear`."""
        linear_coordinates = []
        for extent in reversed([self.extents[d] for d in dims][1:]):
            linear_coordinates.append(arith.remui(linear, _index(extent)))
            linear = arith.divui(linear, _index(extent))  # (the outermost needs no remainder)
        for d, c in zip(dims, [linear, *reversed(linear_coordinates)] if dims else [], strict=True):
            coordinates[d] = c


def _uses_dim(expr, dim):
    expr = expr.maybe_downcast()
    if isinstance(expr, ir.AffineDimExpr):
        return expr.position == dim
    return isinstance(expr, ir.AffineBinaryExpr) and (_uses_dim(expr.lhs, dim) or _uses_dim(expr.rhs, dim))


def _indices(amap, coordinates):
    """The indices `amap` takes the loop coordinates to."""
    indices = []
    for expr in amap.results:
        expr = expr.maybe_downcast()
        if isinstance(expr, ir.AffineDimExpr):
            indices.append(coordinates[expr.position])
        elif isinstance(expr, ir.AffineConstantExpr):
            indices.append(_index(expr.value))
        else:
            single = ir.AffineMap.get(amap.n_dims, amap.n_symbols, [expr])
            known = [_index(0) if c is None else c for c in coordinates]  # (None: a loop the map ignores)
            indices.append(affine.AffineApplyOp(single, known).result)
    return indices


def _load(value, amap, coordinates):
    """An operand's element at the loop coordinates (a scalar operand is itself)."""
    if not isinstance(value.type, ir.MemRefType):
        return value
    return memref.LoadOp(value, _indices(amap, coordinates)).result


def _load_inputs(op, loops, coordinates):
    inputs = list(op.inputs)
    return [_load(value, amap, coordinates) for value, amap in zip(inputs, loops.maps[:len(inputs)], strict=True)]


def _store(value, target, amap, coordinates):
    memref.StoreOp(value, target, _indices(amap, coordinates))


def _inline_body(op, block_values, coordinates):
    """Move the generic's body to the insertion point, its arguments replaced by
    `block_values` and `linalg.index` by the coordinates; the yielded values."""
    body = op.regions[0].blocks[0]
    for argument, value in zip(body.arguments, block_values, strict=True):
        argument.replace_all_uses_with(value)
    for inner in list(body.operations):
        for index_op in ops_named(inner, "linalg.index"):
            index_op.result.replace_all_uses_with(coordinates[ir.IntegerAttr(index_op.attributes["dim"]).value])
            index_op.operation.erase()
    *computation, terminator = body.operations
    for inner in computation:
        ir.InsertionPoint.current.insert(inner.detach_from_parent())
    return list(terminator.operands)


def _launch(blocks, threads):
    """An empty gpu.launch on a 1-D grid; its block id, thread id, block size and terminator."""
    launch = gpu.LaunchOp((_index(blocks), _index(1), _index(1)), (_index(threads), _index(1), _index(1)))
    body = launch.regions[0].blocks[0]
    with ir.InsertionPoint(body):
        terminator = gpu.TerminatorOp()
    return body.arguments[0], body.arguments[3], body.arguments[9], terminator


def _thread_per_output(op, loops, fills):
    """One thread per output element (per point, without reductions), looping over
    the reduced elements."""
    outer, inner = loops.dims(False), loops.dims(True)
    count = loops.size(outer)
    threads = min(THREADS, count)
    blocks = -(-count // threads)
    block, thread, _, terminator = _launch(blocks, threads)
    with ir.InsertionPoint(terminator):
        linear = arith.addi(arith.muli(block, _index(threads)), thread)
        if blocks * threads != count:
            guard = scf.IfOp(_below(linear, count))
            with ir.InsertionPoint(guard.then_block):
                terminator = scf.YieldOp([])
    with ir.InsertionPoint(terminator):
        coordinates = [None] * len(loops.extents)
        loops.place(coordinates, outer, linear)
        outputs, output_maps = list(op.outputs), loops.maps[len(op.inputs):]
        # Outputs read in the body (every accumulator) start from their fill or stored value.
        body_outputs = op.regions[0].blocks[0].arguments[len(op.inputs):]
        initial = [fill or (_load(v, m, coordinates) if inner or list(a.uses) else v)  # unread: any value
                   for v, m, a, fill in zip(outputs, output_maps, body_outputs, fills, strict=True)]

        def iteration(position, *carried):
            loops.place(coordinates, inner, position)
            return _inline_body(op, _load_inputs(op, loops, coordinates) + list(carried), coordinates)

        if inner:
            results = _for(_index(0), _index(loops.size(inner)), _index(1), initial, iteration)
        else:
            results = _inline_body(op, _load_inputs(op, loops, coordinates) + initial, coordinates)
        for value, target, amap in zip(results, outputs, output_maps, strict=True):
            _store(value, target, amap, coordinates)


def _tree_combiner(op, loops):
    """The op combining a reduction's elements, when a tree reduction across a block can
    compute it, else None."""
    inner = loops.dims(True)
    if not inner or not loops.reductions[-1] or loops.size(inner) < MIN_TREE_REDUCTION or len(op.outputs) != 1:
        return None
    body = op.regions[0].blocks[0]
    accumulator = body.arguments[-1]
    combiner = list(body.operations)[-1].operands[0].owner
    if isinstance(combiner, ir.Block) or combiner.operation.name not in TREE_COMBINERS:
        return None
    element = accumulator.type
    if not isinstance(element, (ir.IntegerType, ir.FloatType)) or element.width not in TREE_WIDTHS:
        return None
    # The accumulator feeds the combiner only: the rest of the body maps each element alone.
    uses = list(accumulator.uses)
    if len(uses) != 1 or uses[0].owner.operation != combiner.operation:
        return None
    # The threads of a block read consecutive elements of each input (a matmul's B, read
    # down its columns, is left to a thread per output, whose neighbours read along rows).
    last = len(loops.extents) - 1
    for value, amap in zip(op.inputs, loops.maps, strict=False):
        if isinstance(value.type, ir.MemRefType) and any(_uses_dim(expr, last) for expr in amap.results):
            final = amap.results[-1].maybe_downcast()
            if not (isinstance(final, ir.AffineDimExpr) and final.position == last):
                return None
    return combiner


def _identity(combiner, element):
    value = TREE_COMBINERS[combiner.operation.name][1]
    if isinstance(element, ir.IntegerType):
        half = 1 << (element.width - 1)
        value = {"smallest": -half, "largest": half - 1}.get(value, value)
    return _constant(element, value)


def _combine(combiner, a, b):
    """`combiner`'s operation on a and b, a copy of it at the insertion point."""
    combined = combiner.operation.clone(ip=ir.InsertionPoint.current)
    combined.operands[0], combined.operands[1] = a, b  # (the combiners commute)
    return combined.result


def _block_fold(thread, block_size, start, stop, combiner, element, fold):
    """The block's combination (gpu.all_reduce) of its threads' folds: each thread folds
    the indices start + thread, start + thread + block_size, ... below `stop` with
    `fold(index, accumulator) -> [accumulator]`, from the combiner's identity."""
    (partial,) = _for(arith.addi(start, thread), stop, block_size, [_identity(combiner, element)], fold)
    kind = ir.Attribute.parse(f"#gpu<all_reduce_op {TREE_COMBINERS[combiner.operation.name][0]}>")
    return gpu.AllReduceOp(partial, op=kind, uniform=True).result


def _split(outputs, length):
    """How many blocks share each output's reduction: one, unless the outputs are too
    few to occupy the device and the reduction long enough to share."""
    if outputs >= BUSY_BLOCKS:
        return 1
    return max(1, min(length // SHARED_REDUCTION, BUSY_BLOCKS // outputs))


def _block_per_output(op, loops, combiner, fill):
    """One block per output element (several, each with a slice of the reduction, when
    few outputs would leave the device idle; a second kernel combines their partial
    results): strided folds per thread, then gpu.all_reduce."""
    outer, inner = loops.dims(False), loops.dims(True)
    count, length = loops.size(outer), loops.size(inner)
    groups = _split(count, length)
    chunk = -(-length // groups)
    target, amap = op.outputs[0], loops.maps[-1]
    element = ir.MemRefType(target.type).element_type
    partials = memref.AllocOp(ir.MemRefType.get([count * groups], element), [], []).result if groups > 1 else None
    block, thread, block_size, terminator = _launch(count * groups, _reduction_threads(chunk))
    with ir.InsertionPoint(terminator):
        output, group = (block, _index(0)) if groups == 1 else (arith.divui(block, _index(groups)),
                                                                 arith.remui(block, _index(groups)))
        coordinates = [None] * len(loops.extents)
        loops.place(coordinates, outer, output)

        def fold(position, accumulator):
            loops.place(coordinates, inner, position)
            return _inline_body(op, _load_inputs(op, loops, coordinates) + [accumulator], coordinates)

        start = arith.muli(group, _index(chunk))
        stop = _index(length) if groups == 1 else arith.minui(arith.addi(start, _index(chunk)), _index(length))
        total = _block_fold(thread, block_size, start, stop, combiner, element, fold)
        for d in inner:
            coordinates[d] = None  # (defined in the loop; the output does not depend on them)

        def store():
            if partials is None:
                initial = fill or _load(target, amap, coordinates)
                _store(_combine(combiner, initial, total), target, amap, coordinates)
            else:
                memref.StoreOp(total, partials, [block])

        _if(arith.cmpi(arith.CmpIPredicate.eq, thread, _index(0)), store)
    if partials is not None:
        _combine_partials(partials, groups, loops, combiner, fill, target)
        memref.DeallocOp(partials)


def _combine_partials(partials, groups, loops, combiner, fill, target):
    """A block per output element combining its `groups` partial results (stored
    consecutively in `partials`) with the output's initial value."""
    outer = loops.dims(False)
    element = ir.MemRefType(target.type).element_type
    block, thread, block_size, terminator = _launch(loops.size(outer), _reduction_threads(groups))
    with ir.InsertionPoint(terminator):
        first_partial = arith.muli(block, _index(groups))

        def fold(group, accumulator):
            partial = memref.LoadOp(partials, [arith.addi(first_partial, group)]).result
            return [_combine(combiner, accumulator, partial)]

        total = _block_fold(thread, block_size, _index(0), _index(groups), combiner, element, fold)

        def store():
            coordinates = [None] * len(loops.extents)
            loops.place(coordinates, outer, block)
            initial = fill or _load(target, loops.maps[-1], coordinates)
            _store(_combine(combiner, initial, total), target, loops.maps[-1], coordinates)

        _if(arith.cmpi(arith.CmpIPredicate.eq, thread, _index(0)), store)


def _matmul_roles(op, loops):
    """For a contraction fit for shared-memory tiles (its last loop the only reduction,
    k, after parallel loops ending in i, j; each input read along k and i or along k and
    j; i, j and k at least a tile long): each input's role, "rows" (like A of A @ B),
    "columns" (like B) or None (a scalar). Else None."""
    outer, inner = loops.dims(False), loops.dims(True)
    if len(outer) < 2 or inner != [len(loops.extents) - 1] or len(op.outputs) != 1:
        return None
    if not isinstance(ir.MemRefType(op.outputs[0].type).element_type, (ir.IntegerType, ir.FloatType)):
        return None
    (i, j), k = outer[-2:], inner[0]
    if min(loops.extents[i], loops.extents[j], loops.extents[k]) < TILE:
        return None
    roles = []
    for value, amap in zip(op.inputs, loops.maps, strict=False):
        if not isinstance(value.type, ir.MemRefType):
            roles.append(None)
            continue
        along = [any(_uses_dim(expr, d) for expr in amap.results) for d in (i, j, k)]
        if along[0] == along[1] or not along[2]:
            return None
        roles.append("rows" if along[0] else "columns")
    return roles if {"rows", "columns"} <= set(roles) else None


def _tile_buffer(op, element):
    """A TILE x TILE buffer in the block's shared memory: a workgroup global, new in the
    module (outlining copies it into the GPU module)."""
    module = op.operation
    while module.name != "builtin.module":
        module = module.parent
    body = module.regions[0].blocks[0]
    names = {o.attributes["sym_name"].value for o in body.operations if "sym_name" in o.attributes}
    name = next(f"__mirax_tile_{n}" for n in range(len(names) + 1) if f"__mirax_tile_{n}" not in names)
    tile = ir.MemRefType.get([TILE, TILE], element, memory_space=ir.Attribute.parse(WORKGROUP))
    with ir.InsertionPoint.at_block_begin(body), ir.Location.unknown():
        memref.GlobalOp(name, ir.TypeAttr.get(tile), sym_visibility="private")
    return memref.GetGlobalOp(tile, name).result


def _tiled_matmul(op, loops, roles, fill):
    """One TILE x TILE block of threads per TILE x TILE tile of the output (batches along
    the grid's z); for each step of TILE along k, the inputs' tiles are staged in shared
    memory between two barriers."""
    outer, (k,) = loops.dims(False), loops.dims(True)
    batch, (i, j) = outer[:-2], outer[-2:]
    rows, columns, depth = (loops.extents[d] for d in (i, j, k))
    launch = gpu.LaunchOp((_index(-(-columns // TILE)), _index(-(-rows // TILE)), _index(loops.size(batch))),
                          (_index(TILE), _index(TILE), _index(1)))
    ids = launch.regions[0].blocks[0].arguments
    (block_x, block_y, block_z), (thread_x, thread_y) = ids[0:3], ids[3:5]
    inputs, (target,), output_map = list(op.inputs), op.outputs, loops.maps[-1]
    element = ir.MemRefType(target.type).element_type
    with ir.InsertionPoint(launch.regions[0].blocks[0]):
        coordinates = [None] * len(loops.extents)
        loops.place(coordinates, batch, block_z)
        coordinates[i] = arith.addi(arith.muli(block_y, _index(TILE)), thread_y)
        coordinates[j] = arith.addi(arith.muli(block_x, _index(TILE)), thread_x)
        inside = arith.andi(_below(coordinates[i], rows), _below(coordinates[j], columns))
        tiles = [None if role is None else _tile_buffer(op, ir.MemRefType(v.type).element_type)
                 for v, role in zip(inputs, roles, strict=True)]
        initial = fill
        if initial is None:
            load = scf.IfOp(inside, [element], has_else=True)
            with ir.InsertionPoint(load.then_block):
                scf.YieldOp([_load(target, output_map, coordinates)])
            with ir.InsertionPoint(load.else_block):
                scf.YieldOp([_constant(element, 0)])  # (a thread outside the output stores nothing)
            initial = load.result

        def stage(value, amap, role, tile, start):
            """Stage this thread's element of a tile: rows[y][x] = A[i][start + x],
            columns[y][x] = B[start + y][j]."""
            at = list(coordinates)
            along_k, other, bound = (thread_x, i, rows) if role == "rows" else (thread_y, j, columns)
            at[k] = arith.addi(start, along_k)
            _if(arith.andi(_below(at[k], depth), _below(at[other], bound)),
                lambda: memref.StoreOp(_load(value, amap, at), tile, [thread_y, thread_x]))

        def step(start, accumulator):
            for value, amap, role, tile in zip(inputs, loops.maps, roles, tiles, strict=False):
                if role is not None:
                    stage(value, amap, role, tile, start)
            gpu.BarrierOp()

            def multiply(inner, carried):
                coordinates[k] = arith.addi(start, inner)
                values = [value if role is None else
                          memref.LoadOp(tile, [thread_y, inner] if role == "rows" else [inner, thread_x]).result
                          for value, role, tile in zip(inputs, roles, tiles, strict=True)]
                return _inline_body(op, values + [carried], coordinates)

            # (A constant trip count, when k is a multiple of TILE: the loop unrolls.)
            count = _index(TILE) if depth % TILE == 0 else arith.minui(_index(TILE), arith.subi(_index(depth), start))
            result = _for(_index(0), count, _index(1), [accumulator], multiply)
            gpu.BarrierOp()  # before the next step overwrites the tiles
            return result

        (total,) = _for(_index(0), _index(depth), _index(TILE), [initial], step)
        coordinates[k] = None
        _if(inside, lambda: _store(total, target, output_map, coordinates))
        gpu.TerminatorOp()


def _kernel(op, fills):
    """The kernels computing a linalg.generic, in front of it (none for a zero-size
    loop); `fills` are its outputs' initial values where known."""
    loops = Loops.of(op)
    if 0 in loops.extents:
        return
    if (roles := _matmul_roles(op, loops)) is not None:
        _tiled_matmul(op, loops, roles, fills[0])
    elif (combiner := _tree_combiner(op, loops)) is not None:
        _block_per_output(op, loops, combiner, fills[0])
    else:
        _thread_per_output(op, loops, fills)


def _fill_value(op):
    """The scalar a generic fills its one output with (a generalized linalg.fill), or None."""
    body = op.regions[0].blocks[0]
    (*computation, terminator) = body.operations
    scalar = len(op.inputs) == 1 and not isinstance(op.inputs[0].type, ir.MemRefType)
    if scalar and len(op.outputs) == 1 and not computation and terminator.operands[0] == body.arguments[0]:
        return op.inputs[0]
    return None


def _fold_fills(op):
    """The initial values of a reduction's outputs that the generics right before it fill
    them with (None for the others), those fills marked FOLDED: the reduction's kernel
    starts from the value instead of reading it back, and the fills need no kernel."""
    fills = [None] * len(op.outputs)
    if "reduction" not in str(op.attributes["iterator_types"]) or 0 in Loops.of(op).extents:
        return fills  # (an empty reduction leaves its outputs as filled)
    siblings = list(op.operation.block.operations)
    position = next(i for i, sibling in enumerate(siblings) if sibling.operation == op.operation)
    for before in reversed(siblings[:position]):
        value = _fill_value(before) if before.operation.name == "linalg.generic" else None
        if value is None or before.outputs[0] in op.inputs or before.outputs[0] not in op.outputs:
            break
        fills[list(op.outputs).index(before.outputs[0])] = value
        before.operation.attributes[FOLDED] = ir.UnitAttr.get()
    return fills


def _defined_outside(launch):
    """(op, operand position, value) for each operand of an op in `launch`'s body that is
    defined outside it."""
    inside = []

    def visit(op):
        inside.append(op.operation)
        return ir.WalkResult.ADVANCE

    launch.operation.walk(visit)  # the launch itself last: its operands are outside
    found = []
    for op in inside[:-1]:
        for position, value in enumerate(op.operands):
            owner = value.owner
            if (owner.owner if isinstance(owner, ir.Block) else owner.operation) not in inside:
                found.append((op, position, value))
    return found


def _sinkable(value):
    """Whether `value` is a global, a constant, or a view of a global through them."""
    owner = value.owner
    return (not isinstance(owner, ir.Block) and owner.operation.name in VIEWS
            and all(_sinkable(v) for v in owner.operands))


def _sink_views(launch):
    """Clone into the kernel the constants and globals it reads and the views it reads
    them through."""
    at_start = ir.InsertionPoint.at_block_begin(launch.regions[0].blocks[0])
    clones = {}

    def clone(value):
        if value not in clones:
            owner = value.owner
            operands = [clone(v) for v in owner.operands]
            copy = owner.clone(ip=at_start)
            for position, operand in enumerate(operands):
                copy.operands[position] = operand
            clones[value] = copy.results[list(owner.results).index(value)]
        return clones[value]

    for op, position, value in _defined_outside(launch):
        if _sinkable(value):
            op.operands[position] = clone(value)


@dataclass(frozen=True)
class MiraxGpuKernels:
    name: ClassVar[str] = "mirax-gpu-kernels"
    summary: ClassVar[str] = "Turn each linalg op and memref.copy on buffers into GPU kernels (gpu.launch)"

    def __call__(self, module):
        for op in ops_named(module, "memref.copy"):
            with ir.InsertionPoint(op), op.location:
                linalg.copy(op.operands[0], outs=[op.operands[1]])
            op.operation.erase()
        passmanager.PassManager.parse("builtin.module(linalg-generalize-named-ops)").run(module)
        for op in reversed(ops_named(module, "linalg.generic")):  # a reduction before the fills of its outputs
            if FOLDED not in op.attributes:
                fills = _fold_fills(op)
                with ir.InsertionPoint(op), op.location:
                    _kernel(op, fills)
            op.operation.erase()
        for launch in ops_named(module, "gpu.launch"):
            _sink_views(launch)
