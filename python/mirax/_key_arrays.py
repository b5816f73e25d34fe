"""How mirax.numpy's and mirax.lax's shape operations take PRNG key arrays, as JAX's do.

mirax.random's key arrays are not Arrays; the operations that JAX applies to them
(stack, reshape, where, lax.dynamic_slice, ...) are wrapped here, and a call given
keys goes to the function that mirax.random registers for its key type in KEY_OPS
(these modules cannot import mirax.random: it imports them).
"""
import functools
import inspect

# key array type -> key_op(fn, operands, args, kwargs), which runs fn on such keys.
KEY_OPS = {}


def takes_keys(fn, *operands):
    """fn, also over key arrays in its parameters `operands` (its first by default). A
    call with a key array among its arguments, or in a list or tuple of them, goes to
    KEY_OPS; any other call is fn's."""
    operands = operands or (next(iter(inspect.signature(fn).parameters)),)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for arg in (*args, *kwargs.values()) if kwargs else args:
            for x in arg if type(arg) in (list, tuple) else (arg,):
                if type(x) in KEY_OPS:
                    return KEY_OPS[type(x)](fn, operands, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper
