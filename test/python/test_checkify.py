"""mirax.experimental.checkify against jax.experimental.checkify: the same programs
(those of JAX's checkify guide among them) give the same outputs, error messages and
exceptions, eagerly, under jit (outside and inside), vmap and grad."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax.experimental import checkify as jcheckify

import mirax
import mirax.numpy as mjnp
from mirax.experimental import checkify as mcheckify

BOTH = [(jax, jjnp, jcheckify), (mirax, mjnp, mcheckify)]
IDS = ["jax", "mirax"]


def both(program):
    """program(jax, jax.numpy, checkify) and the same with mirax's: its results, or the
    class name and message of what it raised."""
    results = []
    for m in BOTH:
        try:
            results.append(program(*m))
        except Exception as err:  # noqa: BLE001 - the exception is the result compared
            results.append((type(err).__name__, str(err)))
    return results


def same(program):
    want, got = both(program)
    assert type(got) is type(want)
    leaves_got, leaves_want = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(leaves_got) == len(leaves_want), (got, want)
    for g, w in zip(leaves_got, leaves_want, strict=True):
        if isinstance(w, (jax.Array, np.ndarray)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6)
            assert np.asarray(g).dtype == np.asarray(w).dtype
        else:
            assert g == w, (g, w)
    return got


def guide_f(m, np_, checkify):
    """The first program of JAX's checkify guide."""
    def f(x, i):
        checkify.check(i >= 0, "index needs to be non-negative, got {i}", i=i)
        y = x[i]
        return np_.sin(y)
    return f


@pytest.mark.parametrize("i", [-1, 1])
@pytest.mark.parametrize("how", ["eager", "jit outside", "jit inside"])
def test_guide_example(how, i):
    def program(m, np_, checkify):
        f = guide_f(m, np_, checkify)
        checked = {"eager": checkify.checkify(f), "jit outside": m.jit(checkify.checkify(f)),
                   "jit inside": checkify.checkify(m.jit(f))}[how]
        err, out = checked(np_.ones((5,)), np_.int32(i))
        return err.get(), out, str(err)
    assert same(program)[0] == (None if i >= 0 else "index needs to be non-negative, got -1 (`check` failed)")


def test_throw_raises_jax_runtime_error():
    def program(m, np_, checkify):
        err, _ = checkify.checkify(guide_f(m, np_, checkify))(np_.ones((5,)), np_.int32(-3))
        exception = err.get_exception()
        with pytest.raises(checkify.JaxRuntimeError) as info:
            err.throw()
        return type(exception).__name__, str(exception), str(info.value), isinstance(info.value, ValueError)
    same(program)


def test_first_failing_check_wins_and_formats_its_arguments():
    def program(m, np_, checkify):
        def f(x):
            checkify.check(np_.all(x > -5), "first {}", x)
            checkify.check(x[0] > 0, "second {a} {b:.2f}", a=x, b=x[1])
            checkify.check(x[1] > 0, "third")
            return x * 2
        checked = m.jit(checkify.checkify(f))
        return [(checked(np_.asarray(v))[0].get(), checked(np_.asarray(v))[1]) for v in
                ([1.0, 2.0], [-1.0, 2.5], [1.0, -1.0], [-1.0, -2.0], [-6.0, 1.0])]
    same(program)


def test_vmap_gives_an_error_per_batch_element():
    def program(m, np_, checkify):
        def g(x):
            checkify.check(x > 0, "x {} must be > 0 and {y}", x, y=x * 2)
            return x
        err, out = m.vmap(checkify.checkify(g))(np_.array([1.0, -1.0, -2.0]))
        ok, _ = m.vmap(checkify.checkify(g))(np_.array([1.0, 2.0]))
        return err.get(), str(err), out, ok.get()
    same(program)


def test_grad_of_a_checkified_function():
    def program(m, np_, checkify):
        def g(x):
            checkify.check(x > 0, "x {} must be > 0", x)
            return np_.sin(x) * x
        return m.grad(lambda x: checkify.checkify(g)(x)[1])(2.0), m.jit(m.grad(lambda x: checkify.checkify(g)(x)[1]))(2.0)
    same(program)


def test_check_outside_checkify():
    def program(m, np_, checkify):
        def g(x):
            checkify.check(x > 0, "x {} must be > 0", x)
            return x
        results = [g(np_.asarray(1.0))]
        for call in (lambda: g(np_.asarray(-1.0)), lambda: m.jit(g)(1.0), lambda: g(-1.0),
                     lambda: checkify.check(np_.ones(2) > 0, "vector"), lambda: checkify.check(1, "int")):
            try:
                call()
            except Exception as err:  # noqa: BLE001
                results.append((type(err).__name__, str(err)))
        checkify.debug_check(False, "dropped outside checkify")
        err, _ = checkify.checkify(lambda x: (checkify.debug_check(x > 0, "debug {}", x), x))(-1.0)
        return results, err.get()
    same(program)


def test_check_error_reraises_and_recheckifies():
    """check_error, as in its documentation: an Error from a jitted checkified function
    raised outside jit, and functionalized again by an outer checkify."""
    def program(m, np_, checkify):
        def f(x):
            checkify.check(x > 0, "must be positive!")
            return x

        def with_inner_jit(x):
            error, out = m.jit(checkify.checkify(f))(x)
            checkify.check_error(error)
            return out
        results = [with_inner_jit(1.0)]
        with pytest.raises(checkify.JaxRuntimeError) as info:
            with_inner_jit(-1.0)
        error, _ = checkify.checkify(with_inner_jit)(-1.0)
        return results, str(info.value), error.get(), checkify.checkify(with_inner_jit)(2.0)[0].get()
    same(program)


def test_error_sets_are_jaxs():
    for name in ("user_checks", "nan_checks", "index_checks", "div_checks", "float_checks", "automatic_checks",
                 "all_checks"):
        assert sorted(c.__name__ for c in getattr(mcheckify, name)) == \
            sorted(c.__name__ for c in getattr(jcheckify, name)), name


def test_nested_checks_are_refused_clearly():
    def f(x):
        return mirax.lax.cond(x > 0, lambda x: (mcheckify.check(x > 1, "in cond"), x)[1], lambda x: x, x)
    with pytest.raises(NotImplementedError, match="checkify the inner function"):
        mcheckify.checkify(f)(1.0)
