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
        def loss(x):
            return checkify.checkify(g)(x)[1]
        return m.grad(loss)(2.0), m.jit(m.grad(loss))(2.0)
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


# ----------------------------------------------------------------------------- automatic checks

AUTOMATIC = {
    "sin of inf": (lambda m, np_: np_.sin, "nan_checks", (np.inf,)),
    "first nan wins": (lambda m, np_: lambda x: np_.sin(x) + np_.log(x), "nan_checks", (-1.0,)),
    "sqrt of a vector": (lambda m, np_: np_.sqrt, "float_checks", (np.array([1.0, -1.0], np.float32),)),
    "no nan": (lambda m, np_: np_.sqrt, "float_checks", (np.array([1.0, 4.0], np.float32),)),
    "integer division": (lambda m, np_: lambda x, y: x / y, "div_checks",
                         (np.array([1, 2], np.int32), np.array([1, 0], np.int32))),
    "floor division": (lambda m, np_: lambda x, y: x // y, "div_checks",
                       (np.array([1, 2], np.int32), np.array([1, 0], np.int32))),
    "float division by zero": (lambda m, np_: lambda x: np_.sin(x) / x, "float_checks", (np.float32(0),)),
    "index past the end": (lambda m, np_: lambda x, i: x[i], "index_checks", (np.arange(3.0), np.int32(5))),
    "index before the start": (lambda m, np_: lambda x, i: x[i], "index_checks", (np.arange(3.0), np.int32(-5))),
    "negative index in bounds": (lambda m, np_: lambda x, i: x[i], "index_checks", (np.arange(3.0), np.int32(-1))),
    "at get": (lambda m, np_: lambda x, i: x.at[i].get(), "all_checks", (np.arange(3.0), np.int32(3))),
    "dynamic_slice": (lambda m, np_: lambda x, i: m.lax.dynamic_slice(x, (i,), (2,)), "index_checks",
                      (np.arange(3.0), np.int32(2))),
    "dynamic_update_slice": (lambda m, np_: lambda x, i: m.lax.dynamic_update_slice(x, np_.ones(2), (i,)),
                             "automatic_checks", (np.arange(3.0), np.int32(2))),
    "take": (lambda m, np_: lambda x, i: np_.take(x, i), "index_checks",
             (np.arange(6.0).reshape(2, 3), np.array([[7, 1]], np.int32))),
    "at set": (lambda m, np_: lambda x, i: x.at[i].set(1.0), "index_checks", (np.arange(3.0), np.int32(5))),
    "at add": (lambda m, np_: lambda x, i: x.at[i].add(1.0), "index_checks", (np.arange(3.0), np.int32(-7))),
    "at mul of nan": (lambda m, np_: lambda x, i: x.at[i].mul(np.nan), "all_checks", (np.arange(3.0), np.int32(1))),
    "at max of rows": (lambda m, np_: lambda x, i: x.at[i].max(1.0), "all_checks",
                       (np.arange(6.0).reshape(2, 3), np.array([1, 4], np.int32))),
    "scatter without index checks": (lambda m, np_: lambda x, i: x.at[i].mul(np.nan), "nan_checks",
                                     (np.arange(3.0), np.int32(1))),
}


@pytest.mark.parametrize("name", AUTOMATIC)
@pytest.mark.parametrize("jit", [False, True], ids=["checkify", "jit(checkify)"])
def test_automatic_checks(name, jit):
    function, errors, args = AUTOMATIC[name]

    def program(m, np_, checkify):
        checked = checkify.checkify(function(m, np_), errors=getattr(checkify, errors))
        err, out = (m.jit(checked) if jit else checked)(*map(np_.asarray, args))
        return err.get(), out
    same(program)


def test_automatic_checks_per_batch_element():
    def program(m, np_, checkify):
        checked = checkify.checkify(lambda x: np_.log(x), errors=checkify.nan_checks)
        err, out = m.vmap(checked)(np_.array([1.0, -1.0, 2.0, -3.0]))
        return err.get(), out
    same(program)


def test_automatic_checks_in_nested_traces_are_refused_clearly():
    checked = mcheckify.checkify(lambda x: mirax.vmap(mjnp.sin)(x), errors=mcheckify.nan_checks)
    with pytest.raises(NotImplementedError, match="cannot check the sin op"):
        checked(mjnp.array([1.0, np.inf]))


def test_checkify_inside_checkify_and_disabled_sets():
    """An outer checkify's automatic checks reach a checkified function inside it; a
    check whose set is not enabled is dropped, as JAX's."""
    def program(m, np_, checkify):
        def f(x):
            checkify.check(x > 0, "neg")
            return np_.log(x)
        outer = checkify.checkify(lambda x: (checkify.check_error(checkify.checkify(f)(x)[0]), x)[1],
                                  errors=checkify.nan_checks)
        return [checkify.checkify(f, errors=checkify.nan_checks)(-1.0)[0].get(),
                checkify.checkify(f, errors=frozenset())(-1.0)[0].get(), outer(-1.0)[0].get(),
                checkify.init_error.get()]
    same(program)


def test_guide_programs():
    """The other programs of JAX's checkify guide: all the error sets with a Python index
    (closed over, so not an array that check can format), vmap, check_error of a batched
    Error, checkify inside jit."""
    def program(m, np_, checkify):
        def f(x, i):
            checkify.check(i >= 0, "index needs to be non-negative, got {i}", i=i)
            return np_.sin(x[i])
        results = [m.jit(checkify.checkify(f))(np_.ones((5,)), -2)[0].get()]
        checked_f = checkify.checkify(f, errors=checkify.user_checks | checkify.index_checks | checkify.float_checks)
        for args in [(np_.ones((5,)), np_.int32(100)), (np_.ones((5,)), 100), (np_.array([np_.inf, 1]), np_.int32(0)),
                     (np_.array([5, 1]), np_.int32(0))]:
            try:
                err, z = checked_f(*args)
                err.throw()
                results.append(np.asarray(z).tolist())
            except Exception as e:  # noqa: BLE001
                results.append((type(e).__name__, str(e)))

        def g(x):
            checkify.check(x > 0, "{} must be positive!", x)
            return np_.log(x)
        err, _ = m.vmap(checkify.checkify(g))(np_.array([-1.0, 2.0, -3.0]))
        with pytest.raises(checkify.JaxRuntimeError) as info:
            checkify.check_error(err)
        err_inner, out = m.jit(lambda x: checkify.checkify(g)(x))(-1.0)
        return results, err.get(), str(info.value), err_inner.get(), np.isnan(out)
    same(program)
