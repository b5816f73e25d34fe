"""How mirax.numpy's and mirax.lax's shape operations take PRNG key arrays, as JAX's do.

mirax.random's key arrays are not Arrays; the operations that JAX applies to them
(stack, reshape, where, lax.dynamic_slice, ...) are wrapped here, and a call given
keys goes to the keys' type: `type(keys).__mirax_key_op__(fn, operands, args, kwargs)`,
which mirax.random defines (these modules cannot import it: it imports them).
"""
import functools
import inspect


def takes_keys(fn, *operands):
    """fn, also over key arrays in its parameters `operands` (its first by default). A
    call with a key array among its arguments, or in a list or tuple of them, goes to
    the keys' `__mirax_key_op__`; any other call is fn's."""
    operands = operands or (next(iter(inspect.signature(fn).parameters)),)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for arg in (*args, *kwargs.values()):
            for arg_type in set(map(type, arg)) if isinstance(arg, (list, tuple)) else (type(arg),):
                key_op = getattr(arg_type, "__mirax_key_op__", None)
                if key_op is not None:
                    return key_op(fn, operands, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper
