"""derivative_guard: the operand unchanged, where lax composes a JAX primitive of mirax
ops and JAX differentiates that primitive less than the composition could be: the
guard raises JAX's error where JAX's differentiation would (a tangent where JAX has no
JVP rule, or a transpose where JAX has forward mode only)."""
from . import rules
from .base import MiraxOp, string
from .ops import build

# JAX's error for reverse mode through a primitive that has forward mode only
LINEARIZATION_FAILED = ("Linearization failed to produce known values for all output primals. This is typically "
                        "caused by attempting to differentiate a function uses an operation that does not support "
                        "reverse-mode autodiff.")
_ERRORS = {"TypeError": TypeError, "ValueError": ValueError, "NotImplementedError": NotImplementedError}


class DerivativeGuardOp(MiraxOp, name="derivative_guard", operands=("operand",),
                        params={"refuse": string, "error": string, "message": string}):
    """refuse="tangent" raises `error`(`message`) on a nonzero tangent of the operand
    (scatter_apply, composite, scaled_dot; the init values of a general reduce_window
    or reduce); refuse="transpose" passes tangents through and raises on transposing
    them (a general reduce_window, which JAX differentiates in forward mode only)."""

    @staticmethod
    def infer(x, refuse, error, message):
        if refuse not in ("tangent", "transpose") or error not in _ERRORS:
            raise TypeError(f"refuse must be 'tangent' or 'transpose' and error one of {', '.join(_ERRORS)}, got "
                            f"{refuse!r} and {error!r}")
        return x


def _guard_jvp(node, primals, tangents):
    (x,), (t,) = primals, tangents
    (result,) = build(DerivativeGuardOp, [x], **node.params)
    if t is None:
        return [result], [None]
    if node.params["refuse"] == "tangent":
        raise _ERRORS[node.params["error"]](node.params["message"])
    return [result], build(DerivativeGuardOp, [t], **node.params)


def _guard_transpose(node, cts, operands, linear):
    raise _ERRORS[node.params["error"]](node.params["message"])


rules.jvp[DerivativeGuardOp.OPERATION_NAME] = _guard_jvp
rules.transpose[DerivativeGuardOp.OPERATION_NAME] = _guard_transpose
rules.lowering[DerivativeGuardOp.OPERATION_NAME] = lambda node, operand: [operand]
rules.batching[DerivativeGuardOp.OPERATION_NAME] = lambda node, operands, dims, size: (
    build(DerivativeGuardOp, list(operands), **node.params), list(dims))
