"""The mirax dialect: ops defined in Python (IRDL-backed), one file per op family,
each op beside its rules (see rules.py). Rules build ops through the builders of
ops.py (`ops.add(x, y)`), compute elements with the scalar emitters of scalar.py, and
share the composites of composites.py and the helpers of lowering.py, jvp.py and
batching.py."""
from mirax.mlir import ir

from . import (collectives, constant, convolution, dot, eigen, elementwise, fft, guards, indexing,  # noqa: F401
               linear_algebra, orthogonal, reduction, rules, shape, sort, windowed)  # (each registers its ops)
from . import callback, control_flow, custom_rules, host_callback  # noqa: F401  (each registers its constructs)
from .base import Mirax, MiraxOp, build, node_of, params_of
from .types import ShapedType, shaped_type, tensor_type


def load(context=None):
    """Load the mirax dialect into `context` (default: the current one), once."""
    context = context or ir.Context.current
    if not context.is_dialect_loaded(Mirax.DIALECT_NAMESPACE):
        with context:
            Mirax.load()


__all__ = ["Mirax", "MiraxOp", "ShapedType", "build", "load", "node_of", "params_of", "rules", "shaped_type", "tensor_type"]
