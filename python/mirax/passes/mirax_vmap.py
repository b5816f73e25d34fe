"""mirax-vmap: vectorization. Derives the body of every function declared as the
batched version of another,

    func.func private @f_vmap(inputs...) -> (outputs...)
        attributes {mirax.vmap_of = @f, mirax.axis_size = 8 : i64,
                    mirax.in_axes = array<i64: 0, -1>, mirax.out_axes = array<i64: 1>}

where input i carries a batch dimension of `axis_size` elements at position
in_axes[i] of @f's input type (-1: not batched, the type unchanged), and output j
at out_axes[j] (-1: the output must not depend on a batched input). Each op of @f
becomes its batched form by the op's batching rule (dialect/rules.py `batching`), a
call of a construct by the construct's (`constructs`: loops, conds, scans, custom rules);
values that depend on no batched input stay unbatched, and a batch dimension moves
only when a rule needs it elsewhere. A call becomes a call of its callee's batched
version, declared here and derived in turn; transformations nest, innermost first.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect import node_of, rules
from mirax.dialect.batching import batch_at
from mirax.dialect.dependence import depends, derive_ready
from mirax.dialect.ir_util import add_body, functions, mark_derived, rebuild
from mirax.dialect.rules import construct_of
from mirax.dialect.transformations import AXIS_SIZE, IN_AXES, NOT_BATCHED, OUT_AXES, VMAP_OF, batch_call
from mirax.mlir import func, ir


def _derive(module, decl):
    callee = functions(module)[decl.attributes[VMAP_OF].value]
    in_axes = list(ir.DenseI64ArrayAttr(decl.attributes[IN_AXES]))
    out_axes = list(ir.DenseI64ArrayAttr(decl.attributes[OUT_AXES]))
    size = ir.IntegerAttr(decl.attributes[AXIS_SIZE]).value
    block = add_body(decl)
    callee_block = callee.regions[0].blocks[0]
    values = {arg: (value, None if axis == NOT_BATCHED else axis)
              for arg, value, axis in zip(callee_block.arguments, block.arguments, in_axes, strict=True)}
    with ir.InsertionPoint(block):
        for op in callee_block.operations:
            with op.location:
                if op.operation.name == "func.return":
                    func.ReturnOp([_output(*values[v], axis, size, decl)
                                   for v, axis in zip(op.operands, out_axes, strict=True)])
                    continue
                operands, dims = zip(*(values[v] for v in op.operands)) if op.operands else ((), ())
                results, result_dims = _batch(module, op, list(operands), list(dims), size)
                values.update(zip(op.results, zip(results, result_dims, strict=True), strict=True))
    mark_derived(decl, VMAP_OF, IN_AXES, OUT_AXES, AXIS_SIZE)


def _output(value, bdim, axis, size, decl):
    if axis != NOT_BATCHED:
        return batch_at(value, bdim, size, axis)
    if bdim is not None:
        raise ValueError(f"vmap has mapped output but out_axes is None: @{decl.attributes['sym_name'].value} "
                         f"has an output batched along its dimension {bdim}, but its out_axes entry is -1")
    return value


def _batch(module, op, operands, dims, size):
    """`op` on batched operands: the results and their batch dimensions."""
    if all(d is None for d in dims):  # nothing batched flows in: the op as it was
        clone = rebuild(op, dict(zip(op.operands, operands, strict=True)))
        return list(clone.results), [None] * len(op.results)
    name = op.operation.name
    if name == "func.call":
        table = functions(module)
        callee = table[op.attributes["callee"].value]
        construct = construct_of(callee)
        if construct is not None and construct.batch is not None:
            return construct.batch(module, op, callee, operands, dims, size)
        out_batched = depends(table, callee, [d is not None for d in dims])
        results, result_dims, _ = batch_call(module, op, callee, operands, dims, out_batched, size)
        return results, result_dims
    rule = rules.batching.get(name)
    if rule is None:
        raise NotImplementedError(f"mirax-vmap: no batching rule for {name}")
    return rule(node_of(op), operands, dims, size)


@dataclass(frozen=True)
class MiraxVmap:
    name: ClassVar[str] = "mirax-vmap"
    summary: ClassVar[str] = "Derive the bodies of functions declared as batched versions of others (vectorization)"

    def __call__(self, module):
        derive_ready(module, VMAP_OF, _derive)
