"""Helpers for batching rules (mirax-vmap), as JAX's batching module: moving a value's
batch dimension, materializing one for an unbatched value, and the rule shared by
every elementwise op.

A batched value carries its batch dimension `bdim` (an int) or None when it is not
batched; `size` is the batch size."""
from . import rules
from .composites import broadcast_batch, move_axis
from .ops import build


def batch_at(value, bdim, size, dst):
    """`value` batched along `dst`, whether it was batched elsewhere or not at all."""
    return broadcast_batch(value, size, dst) if bdim is None else move_axis(value, bdim, dst)


def shifted(dims, at):
    """Dimension numbers of one batch element renumbered for a batch dimension at `at`."""
    return tuple(d + (d >= at) for d in dims)


def inserted(values, at, value):
    """`values` (a per-dimension param) with `value` for a new dimension at `at`."""
    values = list(values)
    values.insert(at, value)
    return tuple(values)


def first_bdim(dims):
    return next(d for d in dims if d is not None)


def defelementwise(op_cls):
    """The batching rule of an op whose operands and results share one shape: every
    operand batched where the first batched operand is."""

    def rule(node, operands, dims, size):
        bdim = first_bdim(dims)
        operands = [batch_at(x, d, size, bdim) for x, d in zip(operands, dims, strict=True)]
        results = build(op_cls, operands, **node.params)
        return results, [bdim] * len(results)

    rules.batching[op_cls.OPERATION_NAME] = rule


def batch_along(op_cls, param):
    """The batching rule of a cumulative op or sort, working along the dimension
    `param` of operands of one shape: that dimension numbered past the batch, every
    operand batched where the first batched one is (an unbatched value of a sort is
    repeated: each element's key permutes it its own way)."""

    def rule(node, operands, dims, size):
        bdim = first_bdim(dims)
        operands = [batch_at(x, d, size, bdim) for x, d in zip(operands, dims, strict=True)]
        results = build(op_cls, operands, **{**node.params, param: shifted([node.params[param]], bdim)[0]})
        return results, [bdim] * len(results)

    return rule


def batch_leading(op_cls):
    """The batching rule of an op on matrices over leading batch dimensions: the batch
    dimension goes first."""

    def rule(node, operands, dims, size):
        results = build(op_cls, [move_axis(x, d, 0) for x, d in zip(operands, dims, strict=True)], **node.params)
        return results, [0] * len(results)

    return rule
