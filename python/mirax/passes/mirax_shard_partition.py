"""mirax-shard-partition: a jit with shardings (_sharded_jit.py) partitioned over the
processes by MLIR's sharding-propagation and shard-partition."""
import math
import re
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.ir_util import body
from mirax.mlir import arith, ir, passmanager

from .ir_queries import ops_named

SHARDINGS = "mirax.shardings"  # @main's {grid, in_shardings, out_shardings}: _sharded_jit.py's
GRID = "mirax_partition_mesh"


@dataclass(frozen=True)
class MiraxShardPartition:
    """On a linalg-stage module whose @main has a `mirax.shardings` attribute ({grid =
    array<i64: shape>, in_shardings = [...], out_shardings = [...]}, an entry per
    argument or result: a #shard<axisarray> or unit for none): inlined into @main, each
    argument annotated as replicated (every process holds the global value, as mirax's
    arrays are) then as its in_sharding for its users, each result as its out_sharding
    then as replicated for the return. Propagation runs forward then backward: forward
    alone leaves ops after a value with several users (a gradient's activations)
    replicated, so their backward pass would run on gathered values; forward-backward
    keeps a data-parallel step on shards, its gradients summed by all_reduces (which
    mirax-shard-to-mpi combines into one). Partitioning then makes each process compute
    its part with the collectives the shardings imply, which mirax-shard-to-mpi lowers.
    A grid of one process is left whole."""

    name: ClassVar[str] = "mirax-shard-partition"
    summary: ClassVar[str] = "Partition @main over the processes as its mirax.shardings attribute says"

    def __call__(self, module):
        main = next((op for op in body(module).operations if SHARDINGS in op.attributes), None)
        if main is None:
            return
        name = main.attributes["sym_name"].value
        shardings = ir.DictAttr(main.attributes[SHARDINGS])
        del main.attributes[SHARDINGS]
        if math.prod(ir.DenseI64ArrayAttr(shardings["grid"])) == 1:
            return  # one process computes it all (upstream's propagation aborts on a grid of one)
        if ops_named(module, "shard.grid"):
            raise NotImplementedError("mirax.jit with in_shardings/out_shardings of a program with collectives "
                                      "(shard_map, pmap) is not supported")
        _fold_identity_reshapes(module)
        _unfuse_reductions(module)
        passmanager.PassManager.parse("builtin.module(inline,symbol-dce,canonicalize)").run(module)
        block = _function(module, name).regions[0].blocks[0]  # inlining made it anew
        with ir.InsertionPoint.at_block_begin(body(module)), ir.Location.unknown():
            ir.Operation.create("shard.grid", attributes={"sym_name": ir.StringAttr.get(GRID),
                                                          "shape": shardings["grid"]})
        with ir.Location.unknown():
            first = block.operations[0]
            for argument, spec in zip(block.arguments, ir.ArrayAttr(shardings["in_shardings"]), strict=True):
                if not isinstance(spec, ir.UnitAttr):
                    with ir.InsertionPoint(first):
                        replicated = _shard(argument, None, False)
                        wanted = _shard(replicated, spec, True)
                    argument.replace_all_uses_except(wanted, replicated.owner.operation)
            terminator = block.operations[len(block.operations) - 1]
            with ir.InsertionPoint(terminator):
                for i, spec in enumerate(ir.ArrayAttr(shardings["out_shardings"])):
                    value = terminator.operands[i]
                    laid_out = value if isinstance(spec, ir.UnitAttr) else _shard(value, spec, False)
                    terminator.operands[i] = _shard(laid_out, None, True)
        try:
            passmanager.PassManager.parse(
                "builtin.module(func.func(sharding-propagation{traversal=forward-backward}),"
                "func.func(shard-partition),canonicalize)").run(module)
        except ir.MLIRError as err:
            messages = " ".join(d.message for d in err.error_diagnostics) or str(err)
            missing = re.search(r"'([\w.]+)' op sharding interface is not implemented", messages)
            what = f"its {missing.group(1)} ops" if missing else messages[:600]
            raise NotImplementedError(f"mirax.jit with in_shardings/out_shardings: MLIR's shard-partition cannot "
                                      f"partition this program ({what})") from None


def _function(module, name):
    return next(op for op in body(module).operations if op.attributes["sym_name"].value == name)


def _shard(value, split_axes, for_users):
    """shard.shard of `value` to a sharding over the grid split as `split_axes` (a
    #shard<axisarray>; None: replicated)."""
    sharding = ir.Operation.create("shard.sharding", results=[ir.Type.parse("!shard.sharding")], attributes={
        "grid": ir.FlatSymbolRefAttr.get(GRID), "operandSegmentSizes": ir.DenseI32ArrayAttr.get([0, 0]),
        "split_axes": split_axes or ir.Attribute.parse("#shard<axisarray[[]]>"),
        "static_halo_sizes": ir.DenseI64ArrayAttr.get([]),
        "static_sharded_dims_offsets": ir.DenseI64ArrayAttr.get([])}).result
    attributes = {"annotate_for_users": ir.UnitAttr.get()} if for_users else {}
    return ir.Operation.create("shard.shard", results=[value.type], operands=[value, sharding],
                               attributes=attributes).result


def _unfuse_reductions(module):
    """A contraction summed by fused multiply-adds (mirax's f32 dots) as a multiply and
    an add: upstream's propagation knows a reduction by its combiner (an addf is a sum)
    and aborts on an fma. Split over processes, the sum runs in another order anyway."""
    for op in ops_named(module, "linalg.generic"):
        block = op.regions[0].blocks[0]
        yielded = block.operations[len(block.operations) - 1].operands[0].owner
        if "reduction" in str(op.attributes["iterator_types"]) and getattr(yielded, "name", None) == "math.fma" \
                and yielded.operands[2] == block.arguments[len(block.arguments) - 1]:
            with ir.InsertionPoint(yielded), yielded.location:
                product = arith.mulf(yielded.operands[0], yielded.operands[1])
                yielded.results[0].replace_all_uses_with(arith.addf(yielded.operands[2], product))
            yielded.erase()


def _fold_identity_reshapes(module):
    """tensor.reshape to its own type (mirax's lowering makes some), which has no
    sharding interface: its operand instead."""
    for op in ops_named(module, "tensor.reshape"):
        if op.operands[0].type == op.results[0].type:
            op.results[0].replace_all_uses_with(op.operands[0])
            op.erase()
