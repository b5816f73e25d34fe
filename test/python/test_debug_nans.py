"""jax_debug_nans and jax_debug_infs against JAX: the same programs (those of JAX's
"Debugging NaNs" documentation among them) raise the same FloatingPointError, naming
the op that made the value, eagerly, under jit (rerun de-optimized, with JAX's printed
line), grad and vmap; with the flags off nothing is checked.

JAX's jax.numpy functions are jitted functions of their own, so JAX prints its line for
each of them too (mirax for its functions JAX jits, as far as they nest as JAX's): only
the lines' text is compared."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

BOTH = [(jax, jjnp), (mirax, mjnp)]
LINE = "Invalid nan value encountered in the output of a jax.jit function. Calling the de-optimized version."


@pytest.fixture(params=["jax_debug_nans", "jax_debug_infs"])
def flag(request):
    """The flag set in both JAX and mirax, and restored after. (JAX's executables
    compiled before the flag was set would skip its checks: they are cleared.)"""
    jax.clear_caches()
    for m, _ in BOTH:
        m.config.update(request.param, True)
    yield request.param
    for m, _ in BOTH:
        m.config.update(request.param, False)


def run(program, capsys):
    """program(m, m.numpy) with JAX's and mirax's: per framework its result (or the class
    and message of what it raised) and the set of lines it printed."""
    results = []
    for m in BOTH:
        try:
            result = ("ok", np.array2string(np.round(np.asarray(program(*m), np.float64), 5)))
        except Exception as err:  # noqa: BLE001 - the exception is the result compared
            result = (type(err).__name__, str(err))
        results.append((result, set(capsys.readouterr().out.splitlines())))
    return results


def doc_f(m, np_):
    """The jitted function of JAX's "Debugging NaNs" page."""
    @m.jit
    def f(x, y):
        a = x * y
        b = (x + y) / (x - y)
        c = a + 2
        return a + b * c
    return f


PROGRAMS = {
    "doc: divide": lambda m, np_: np_.divide(0.0, 0.0),
    "doc: jitted f": lambda m, np_: doc_f(m, np_)(np_.array([2.0, 0.0]), np_.array([3.0, 0.0])),
    "sin of inf": lambda m, np_: np_.sin(np_.inf),
    "log of negatives": lambda m, np_: np_.log(np_.array([1.0, -1.0])),
    "log of zero": lambda m, np_: np_.log(0.0),
    "reciprocal of zero": lambda m, np_: 1.0 / np_.array(0.0),
    "exp overflow under jit": lambda m, np_: m.jit(lambda x: np_.exp(x) * 2)(1000.0),
    "log under jit": lambda m, np_: m.jit(lambda x: np_.log(x) + 1)(-1.0),
    "nan literal under jit": lambda m, np_: m.jit(lambda x: x * np_.nan)(1.0),
    "nan argument under jit": lambda m, np_: m.jit(lambda x: x)(np_.nan),
    "grad of log": lambda m, np_: m.grad(np_.log)(-1.0),
    "vmap of log": lambda m, np_: m.vmap(np_.log)(np_.array([1.0, -1.0])),
    "finite": lambda m, np_: m.jit(lambda x: np_.sin(x) / 2)(np_.array([1.0, 2.0])),
    "integers": lambda m, np_: m.jit(lambda x: x // 2)(np_.array([1, 2])),
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_like_jax(name, flag, capsys):
    (want, want_lines), (got, got_lines) = run(PROGRAMS[name], capsys)
    assert got == want
    assert got_lines <= want_lines <= {LINE}


def test_context_managers_and_off(capsys):
    program = PROGRAMS["log under jit"]
    with mirax.debug_nans(True):
        with pytest.raises(FloatingPointError, match=r"invalid value \(nan\) encountered in log"):
            program(mirax, mjnp)
    assert capsys.readouterr().out.splitlines() == [LINE, LINE]  # the jit's and jnp.log's, as JAX's
    assert np.isnan(program(mirax, mjnp))  # off again: no check
    with mirax.debug_infs(True):
        assert np.isnan(program(mirax, mjnp))  # a NaN is not an inf
    assert mirax.debug_nans.value is False and mirax.config.jax_debug_nans is False
