"""Values that must be known while tracing (sizes of results, data-dependent shapes)."""
import numpy as np

from mirax.core import ConcretizationTypeError, Tracer, to_array, with_source


def concrete(x, what):
    """x as a NumPy array; ConcretizationTypeError naming `what` when x is traced (under
    jit, or batched under vmap), as JAX's core.concrete_or_error."""
    if isinstance(x, Tracer):
        if x.concrete is None:
            raise ConcretizationTypeError(with_source(
                f"Abstract tracer value encountered where concrete value is expected: traced array with shape "
                f"{x.aval.str_short()}\n{what}"))
        return np.asarray(x.concrete)
    return np.asarray(to_array(x))
