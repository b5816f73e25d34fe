"""Helpers that make most JVP rules one line, as JAX's ad.defjvp and friends."""
from . import rules
from .base import build
from .values import add_tangents, instantiate, type_of


def defjvp(op_cls, *partials):
    """A JVP rule from one `partial(tangent, result, *primals)` per operand (None where
    the operand has no derivative); their contributions add up."""

    def rule(node, primals, tangents):
        (result,) = build(op_cls, list(primals), **node.params)
        tangent = None
        for partial, t in zip(partials, tangents, strict=True):
            if partial is not None and t is not None:
                tangent = add_tangents(tangent, partial(t, result, *primals))
        return [result], [tangent]

    rules.jvp[op_cls.OPERATION_NAME] = rule


def defzero(op_cls):
    """A JVP rule for an op with no derivative: its tangents are symbolic zeros."""

    def rule(node, primals, tangents):
        results = build(op_cls, list(primals), **node.params)
        return results, [None] * len(results)

    rules.jvp[op_cls.OPERATION_NAME] = rule


def defnondiff(op_cls):
    """A JVP rule for an op that JAX does not differentiate: a nonzero tangent raises
    JAX's error, instead of passing for a zero derivative."""

    def rule(node, primals, tangents):
        if any(t is not None for t in tangents):
            raise NotImplementedError(f"Differentiation rule for '{node.name.split('.', 1)[1]}' not implemented")
        results = build(op_cls, list(primals), **node.params)
        return results, [None] * len(results)

    rules.jvp[op_cls.OPERATION_NAME] = rule


def deflinear(op_cls, linear=None):
    """A JVP rule for an op linear in the operands at positions `linear` (default: all;
    negative positions count from the end): its tangent is the op applied to their
    tangents, the other operands (indices) as they are."""

    def rule(node, primals, tangents):
        results = build(op_cls, list(primals), **node.params)
        positions = range(len(primals)) if linear is None else [i % len(primals) for i in linear]
        if all(tangents[i] is None for i in positions):
            return results, [None] * len(results)
        operands = [instantiate(tangents[i], type_of(p)) if i in positions else p for i, p in enumerate(primals)]
        return results, build(op_cls, operands, **node.params)

    rules.jvp[op_cls.OPERATION_NAME] = rule
    return rule
