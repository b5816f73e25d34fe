"""Helpers that make most JVP (and transpose) rules one line, as JAX's ad.defjvp and
friends. Each registers its rules for `op_cls` and returns `op_cls`, so that an op's
declaration can carry them: `SinOp = defjvp(unary(...), lambda t, r, x: ...)`."""
from . import rules
from .ops import build
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
    return op_cls


def defzero(op_cls):
    """A JVP rule for an op with no derivative: its tangents are symbolic zeros."""

    def rule(node, primals, tangents):
        results = build(op_cls, list(primals), **node.params)
        return results, [None] * len(results)

    rules.jvp[op_cls.OPERATION_NAME] = rule
    return op_cls


def defnondiff(op_cls):
    """A JVP rule for an op that JAX does not differentiate: a nonzero tangent raises
    JAX's error, instead of passing for a zero derivative."""

    def rule(node, primals, tangents):
        if any(t is not None for t in tangents):
            raise NotImplementedError(f"Differentiation rule for '{node.name.split('.', 1)[1]}' not implemented")
        results = build(op_cls, list(primals), **node.params)
        return results, [None] * len(results)

    rules.jvp[op_cls.OPERATION_NAME] = rule
    return op_cls


def linear_jvp(op_cls, linear=None):
    """The JVP rule of an op linear in the operands at positions `linear` (default: all;
    negative positions count from the end): its tangent is the op applied to their
    tangents, the other operands (indices) as they are."""

    def rule(node, primals, tangents):
        results = build(op_cls, list(primals), **node.params)
        positions = range(len(primals)) if linear is None else [i % len(primals) for i in linear]
        if all(tangents[i] is None for i in positions):
            return results, [None] * len(results)
        operands = [instantiate(tangents[i], type_of(p)) if i in positions else p for i, p in enumerate(primals)]
        return results, build(op_cls, operands, **node.params)

    return rule


def deflinear(op_cls, linear=None):
    """linear_jvp's rule for `op_cls`."""
    rules.jvp[op_cls.OPERATION_NAME] = linear_jvp(op_cls, linear)
    return op_cls


def not_linear(node, position):
    raise TypeError(f"{node.name} is not linear in operand {position}: it cannot be transposed "
                    f"(is a custom JVP rule's tangent output nonlinear in the tangents?)")


def deflinear2(op_cls, transpose, linear=None):
    """An op linear in the operands at positions `linear` (linear_jvp), with its
    transpose rule `transpose(node, cts, operands, linear)` (the table's)."""
    deflinear(op_cls, linear)
    rules.transpose[op_cls.OPERATION_NAME] = transpose
    return op_cls


def defbilinear(op_cls, lhs_transpose, rhs_transpose):
    """An op of two operands linear in each one (mul, dot_general): the tangent is
    op(t_lhs, rhs) + op(lhs, t_rhs), and `lhs_transpose(node, ct, lhs, rhs)` (with lhs
    None) gives the lhs's cotangent, `rhs_transpose` the rhs's (rhs None)."""

    def rule(node, primals, tangents):
        lhs, rhs = primals
        (result,) = build(op_cls, [lhs, rhs], **node.params)
        t_lhs, t_rhs = tangents
        return [result], [add_tangents(None if t_lhs is None else build(op_cls, [t_lhs, rhs], **node.params)[0],
                                       None if t_rhs is None else build(op_cls, [lhs, t_rhs], **node.params)[0])]

    def transpose(node, cts, operands, linear):
        if all(linear):
            not_linear(node, 1)
        (ct,) = cts
        if linear[0]:
            return [lhs_transpose(node, ct, *operands), None]
        return [None, rhs_transpose(node, ct, *operands)]

    rules.jvp[op_cls.OPERATION_NAME] = rule
    rules.transpose[op_cls.OPERATION_NAME] = transpose
    return op_cls


def deftranspose(op_cls, rule):
    """A transpose rule `rule(node, cts, operands, linear)` (the table's) for `op_cls`."""
    rules.transpose[op_cls.OPERATION_NAME] = rule
    return op_cls


def defjvp_rule(op_cls, rule):
    """A JVP rule `rule(node, primals, tangents)` (the table's) for `op_cls`."""
    rules.jvp[op_cls.OPERATION_NAME] = rule
    return op_cls
