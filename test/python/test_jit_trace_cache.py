"""jit's trace cache against JAX's: keyed on the function object, so jit wrappers of
one function share its traces; other shapes, dtypes, static arguments, flags, closures
and options trace again, as in JAX."""
import functools
import gc
import weakref

import jax
import pytest

import mirax


def trace_counts(m):
    """How many times the functions have been traced after each step, under JAX or mirax."""
    traces, counts = [], []

    def f(x, n=1):
        traces.append(1)
        return x * n

    def closure(c):
        def g(x):
            traces.append(1)
            return x + c
        return g

    class Model:
        def apply(self, x):
            traces.append(1)
            return x

    model, partial = Model(), functools.partial(f, n=3)
    steps = [
        lambda: (m.jit(f)(1.0), m.jit(f)(2.0)),  # one trace for both wrappers
        lambda: m.jit(f)(m.numpy.ones(3)),
        lambda: m.jit(f)(m.numpy.ones(3, "int32")),
        lambda: [m.jit(f, static_argnums=1)(1.0, n) for n in (2, 3, 3)],
        lambda: m.jit(f, static_argnums=1)(1.0, 1),  # other options: another cache
        lambda: m.jit(f, static_argnums=1)(1.0, 1),
        lambda: m.jit(closure(1.0))(1.0) + m.jit(closure(2.0))(1.0),
        lambda: (m.jit(model.apply)(1.0), m.jit(model.apply)(1.0)),  # a bound method lives as long as its jit
        lambda: (m.jit(partial)(1.0), m.jit(partial)(1.0)),
        lambda: m.make_jaxpr(f)(1.0),  # shares jit's cache, as JAX's
        lambda: (m.clear_caches(), m.jit(f)(1.0)),
    ]
    for step in steps:
        step()
        counts.append(len(traces))
    with m.enable_x64():
        m.jit(f)(1.0)
    counts.append(len(traces))
    return counts


def test_trace_counts_as_jax():
    assert trace_counts(mirax) == trace_counts(jax)


def test_a_global_changed_after_the_first_trace_is_not_seen():
    g = [0.0]

    def add_global(x):
        return x + g[0]

    first = mirax.jit(add_global)(4.0)
    g[0] = 10.0
    assert float(mirax.jit(add_global)(4.0)) == float(first) == 4.0


def test_the_cache_dies_with_the_function():
    def h(x):
        return x + 1

    ref = weakref.ref(h)
    mirax.jit(h)(1.0)
    del h
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("flag, x", [("debug_nans", -1.0), ("debug_infs", 0.0)])
def test_a_flag_set_after_the_first_call_is_checked_by_a_second_wrapper(flag, x, capsys):
    def log(x):
        return mirax.lax.log(x)

    mirax.jit(log)(x)
    with getattr(mirax, flag)(True):
        with pytest.raises(FloatingPointError, match="encountered in log"):
            mirax.jit(log)(x)
    assert capsys.readouterr().out.splitlines() == [mirax.core.DEOPTIMIZED_RERUN]
