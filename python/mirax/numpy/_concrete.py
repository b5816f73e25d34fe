"""Values that must be known while tracing (sizes of results, data-dependent shapes)."""
import numpy as np

from mirax.core import Tracer, to_array


def concrete(x, what):
    """x as a NumPy array; ConcretizationTypeError naming `what` when x is traced (under
    jit, or batched under vmap), as JAX's core.concrete_or_error."""
    if isinstance(x, Tracer):
        return np.asarray(x.concrete_or_error(what))
    return np.asarray(to_array(x))
