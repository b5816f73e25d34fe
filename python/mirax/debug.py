"""jax.debug's printing and callbacks: `print` and `callback` run now outside any
trace, and at run time from compiled code inside one (mirax.callback), once per batch
element under vmap and on the primal values under differentiation, as JAX's."""
import functools
import logging
import string
import sys

import numpy as np

from mirax.callback import call, is_array_like
from mirax.core import to_array, user_frame
from mirax.tree_util import tree_flatten, tree_unflatten

__all__ = ["breakpoint", "callback", "log", "print"]

_logger = logging.getLogger(__name__)


def _debug_callback(callback, args, kwargs, ordered, partitioned, key):
    if partitioned:
        raise NotImplementedError("debug callbacks' partitioned=True: mirax has no shardings")
    if not callable(callback):
        raise TypeError(f"first argument to jax.debug.callback must be callable, but got an object of type "
                        f"{type(callback)}")
    flat, in_tree = tree_flatten((args, kwargs))
    dynamic = [to_array(x) for x in flat if is_array_like(x)]

    def fn(*values):
        arrays = iter(to_array(v) for v in values)
        call_args, call_kwargs = tree_unflatten(in_tree, [next(arrays) if is_array_like(x) else x for x in flat])
        callback(*call_args, **call_kwargs)
        return []

    static = tuple((i, x) for i, x in enumerate(flat) if not is_array_like(x))
    call(fn, dynamic, [], "debug", ordered=ordered, key=(key, in_tree, static))


def callback(callback=None, *args, ordered=False, partitioned=False, **kwargs):
    """Call `callback(*args, **kwargs)` (it returns None) on Arrays from traced code, as
    jax.debug.callback; `callback(ordered=...)` alone returns the function taking them."""
    def staged(callback, *c_args, **c_kwargs):
        _debug_callback(callback, c_args, c_kwargs, ordered, partitioned, ("callback", callback))

    if callback is not None:
        staged(callback, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug_callback received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return staged


class _FormatChecker(string.Formatter):
    """JAX's check of a format string against the arguments, formatting nothing."""

    def format_field(self, value, format_spec):
        return ""

    def check_unused_args(self, used_args, args, kwargs):
        unused_args = [arg for i, arg in enumerate(args) if i not in used_args]
        unused_kwargs = [k for k in kwargs if k not in used_args]
        if unused_args:
            raise ValueError(f"Unused positional arguments to `jax.debug.print`: {unused_args}")
        if unused_kwargs:
            raise ValueError(
                f"Unused keyword arguments to `jax.debug.print`: {unused_kwargs}. You may be passing an f-string "
                "(i.e, `f\"{x}\"`) into `jax.debug.print` and instead should pass in a regular string.")


def print(fmt=None, *args, ordered=False, partitioned=False, skip_format_check=False, _use_logging=False,  # noqa: A001
          **kwargs):
    """Print `fmt.format(*args, **kwargs)` on stdout when the program runs, as
    jax.debug.print (NumPy's print options as they are now); `print(ordered=...)`
    alone returns the function taking them. With `_use_logging` (debug.log) the
    message is an INFO record of this module's logger, from the caller's line."""
    def staged(fmt, *c_args, **c_kwargs):
        if not skip_format_check:
            _FormatChecker().format(fmt, *c_args, **c_kwargs)
        has_placeholders = bool(fmt) and next(iter(string.Formatter().parse(fmt)))[1] is not None
        options = np.get_printoptions()
        frame = user_frame() if _use_logging else None
        where = ("(unknown file)", 0) if frame is None else (frame.f_code.co_filename, frame.f_lineno)

        def format_and_print(*p_args, **p_kwargs):
            if has_placeholders:
                with np.printoptions(**options):
                    message = fmt.format(*p_args, **p_kwargs)
            else:
                message = " ".join((fmt, *(str(a) for a in p_args)))
            if _use_logging:
                _logger.handle(_logger.makeRecord(_logger.name, logging.INFO, *where, message, (), None))
            else:
                sys.stdout.write(message + "\n")

        _debug_callback(format_and_print, c_args, c_kwargs, ordered, partitioned,
                        ("print", fmt, has_placeholders, tuple(options.items()), _use_logging and where))

    if fmt is not None:
        staged(fmt, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug_print received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return staged


log = functools.partial(print, _use_logging=True)


def breakpoint(*, backend=None, filter_frames=True, num_frames=None, ordered=False, token=None, **kwargs):  # noqa: A001
    """jax.debug.breakpoint: not supported yet."""
    raise NotImplementedError("jax.debug.breakpoint")
