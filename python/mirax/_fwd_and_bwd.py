"""jax.fwd_and_bwd: a function's forward pass and backward pass as two functions.
`fwd(*args)` is `vjp` of fun with respect to the arguments `argnums` (the others fixed):
(fun's output, the residuals: the VJP function[, aux]); `bwd(residuals, cotangent)` the
cotangents of those arguments. With `jitted` (JAX's default), fun is traced once per
argument types and its forward and backward programs compile once, as under JAX's jit
of fwd and bwd; mirax's residuals are its VJP function, not a pytree of arrays."""
import operator

from mirax.ad import vjp
from mirax.api import check_callable, jit

__all__ = ["fwd_and_bwd"]


def fwd_and_bwd(fun, argnums, has_aux=False, jitted=True):
    """(fwd, bwd) of `fun` differentiated with respect to `argnums`, as jax.fwd_and_bwd."""
    check_callable(fun)
    try:
        argnums = operator.index(argnums)
    except TypeError:
        argnums = tuple(map(operator.index, argnums))
    nums = (argnums,) if isinstance(argnums, int) else argnums
    traced_fun = jit(fun) if jitted else fun

    def fwd(*args):
        for n in nums:
            if not -len(args) <= n < len(args):
                raise ValueError(
                    "Positional argument indices, e.g. for `static_argnums`, must have value greater than or equal "
                    f"to -len(args) and less than len(args), but got value {n} for len(args) == {len(args)}.")
        positions = [n % len(args) for n in nums]

        def partial(*dynamic):
            full = list(args)
            for n, x in zip(positions, dynamic, strict=True):
                full[n] = x
            return traced_fun(*full)

        return vjp(partial, *(args[n] for n in positions), has_aux=has_aux)

    def bwd(residuals, cotangent):
        grads = residuals(cotangent)
        return grads[0] if isinstance(argnums, int) else grads

    return fwd, bwd
