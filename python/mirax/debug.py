"""jax.debug's printing and callbacks: `print` and `callback` run now outside any
trace, and at run time from compiled code inside one (mirax.callback), once per batch
element under vmap and on the primal values under differentiation, as JAX's. The
sharding inspectors call back with an array's sharding: now outside a trace, and while
tracing inside one (JAX's lowering time), where a traced value will be on the
default device, as in a single-process program."""
import importlib.util
import logging
import string
import sys

import numpy as np

from mirax import platforms
from mirax.callback import call, is_array_like
from mirax.core import Tracer, to_array, user_frame
from mirax.sharding import SingleDeviceSharding
from mirax.tree_util import tree_flatten, tree_map, tree_unflatten

__all__ = ["DebugEffect", "OrderedDebugEffect", "breakpoint", "callback", "inspect_array_sharding", "log", "print",
           "visualize_array_sharding", "visualize_sharding"]

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


def log(fmt=None, *args, ordered=False, partitioned=False, skip_format_check=False, **kwargs):
    """jax.debug.log: debug.print's message as an INFO record of this module's logger."""
    return print(fmt, *args, ordered=ordered, partitioned=partitioned, skip_format_check=skip_format_check,
                 _use_logging=True, **kwargs)


class DebugEffect:
    """The effect JAX gives a program with an unordered debug callback (mirax's
    callbacks carry their own attributes; the class is for code that names it)."""

    def __str__(self):
        return "Debug"


class OrderedDebugEffect:
    """The effect of an ordered debug callback, as jax.debug.OrderedDebugEffect."""

    def __str__(self):
        return "OrderedDebug"


def breakpoint(*, backend=None, filter_frames=True, num_frames=None, ordered=False, token=None, **kwargs):  # noqa: A001
    """jax.debug.breakpoint: not supported yet."""
    raise NotImplementedError("jax.debug.breakpoint")


def inspect_array_sharding(value, *, callback):
    """callback(sharding) for each array of the pytree `value`, as
    jax.debug.inspect_array_sharding: now, or while tracing under a transformation."""
    def inspect(leaf):
        sharding = SingleDeviceSharding(platforms.devices()[0]) if isinstance(leaf, Tracer) else leaf.sharding
        callback(sharding)

    tree_map(inspect, value)


def visualize_array_sharding(arr, **kwargs):
    """Print the table of which device holds which block of `arr`, as
    jax.debug.visualize_array_sharding (visualize_sharding's options)."""
    inspect_array_sharding(arr, callback=lambda sharding: visualize_sharding(arr.shape, sharding, **kwargs))


def _chunk_index(index):
    """The position of a block along its dimension, from its slice."""
    if index.start is None:
        return 0
    return index.start // (index.stop - index.start)


def _color_iter(color_map, num_colors):
    """JAX's order of colors: a colormap's evenly spaced values, hopping by half."""
    values, i = np.linspace(0, 1, num_colors), 0
    for _ in range(num_colors):
        yield color_map(values[i])
        i = (i + num_colors // 2 + (num_colors % 2 == 0)) % num_colors


def visualize_sharding(shape, sharding, *, use_color=True, scale=1.0, min_width=9, max_width=80, color_map=None):
    """Print a table of `sharding`'s blocks of an array of `shape` (1 or 2
    dimensions) with rich, each labelled with the devices holding it, as
    jax.debug.visualize_sharding draws it (colors by matplotlib's tab20b where the
    console has colors and matplotlib is installed)."""
    if not importlib.util.find_spec("rich"):
        raise ValueError("`visualize_sharding` requires `rich` to be installed.")
    import rich.align  # noqa: PLC0415 - optional, as in JAX
    import rich.box  # noqa: PLC0415
    import rich.console  # noqa: PLC0415
    import rich.padding  # noqa: PLC0415
    import rich.style  # noqa: PLC0415
    import rich.table  # noqa: PLC0415

    if not 1 <= len(shape) <= 2:
        raise ValueError("`visualize_sharding` only works for shapes with 1 and 2 dimensions.")
    console = rich.console.Console(width=max_width)
    use_color = use_color and console.color_system is not None
    if use_color and not color_map:
        try:
            import matplotlib as mpl  # noqa: PLC0415
            color_map = mpl.colormaps["tab20b"]
        except ModuleNotFoundError:
            use_color = False
    base_height = int(10 * scale)
    base_width = int(base_height * (shape[1] if len(shape) == 2 else 1) / shape[0])
    device_kind = next(iter(sharding.device_set)).platform.upper()

    blocks, heights, widths = {}, {}, {}  # by (row, column): device ids, fractions of the height and width
    for device, index in sharding.devices_indices_map(tuple(shape)).items():
        index = tuple(slice(i, i + 1) if isinstance(i, int) else i for i in index)
        sizes = [(i.stop - i.start) / n if i.stop is not None else 1.0 for i, n in zip(index, shape, strict=True)]
        chunk = tuple(_chunk_index(i) for i in index)
        if len(shape) == 1:  # one row, a line high
            chunk, sizes = (0, *chunk), [None, *sizes]
        heights[chunk], widths[chunk] = sizes
        blocks.setdefault(chunk, set()).add(device.id)
    num_rows, num_cols = (max(c[k] for c in blocks) + 1 for k in range(2))

    colors = _color_iter(color_map, num_rows * num_cols)
    table = rich.table.Table(show_header=False, show_lines=not use_color, padding=0, highlight=not use_color,
                             pad_edge=False, box=None if use_color else rich.box.SQUARE)
    for i in range(num_rows):
        row = []
        for j in range(num_cols):
            entry = f"{device_kind} " + ",".join(str(d) for d in sorted(blocks[i, j]))
            width = min(max(int(widths[i, j] * base_width * 2.5), min_width), max_width)
            height = 1 if heights[i, j] is None else int(heights[i, j] * base_height)
            left, extra = divmod(width - len(entry) - 2, 2)
            top, extra_height = divmod(height - 2, 2)
            pads = [top, left + extra, top + extra_height, left]  # top, right, bottom, left
            style = rich.style.Style()
            if use_color:
                r, g, b = (int(c * 255) for c in next(colors)[:3])
                text = "#000000" if r * 0.299 + g * 0.587 + b * 0.114 > 186 else "#ffffff"
                style = rich.style.Style(bgcolor=f"#{r:02X}{g:02X}{b:02X}", color=text)
                pads = [p + 1 for p in pads]
            row.append(rich.padding.Padding(rich.align.Align(entry, "center", vertical="middle"),
                                            tuple(max(p, 0) for p in pads), style=style))
        table.add_row(*row)
    console.print(table, end="\n\n")
