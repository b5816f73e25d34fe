"""Mutable array references (python/mirax/ref.py, core.Ref) against JAX's: reading and
writing eagerly, inside jit through closures and arguments (the effects visible after
the call), inside scan, fori_loop, while_loop and cond bodies, nested jits, ds slices with traced starts,
scratch Refs under grad/vmap, outer Refs written under grad, jvp, vjp and linearize;
JAX's errors for bad writes, returned Refs, differentiated or vmapped writes; mirax's
refusals in a checkpoint and of export."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
import mirax.ref

BOTH = [(jax, jjnp, jax), (mirax, mjnp, mirax.ref)]  # (api, numpy, the module with new_ref, freeze, ds)


def programs(jx, jnp, R):
    """name -> a thunk returning values and the Refs' final contents."""
    def local_scan(x):  # a scratch Ref written in a scan body
        r = R.new_ref(0.0)

        def body(c, v):
            r[...] += v * x
            return c, None

        jx.lax.scan(body, 0.0, jnp.arange(3.0))
        return r[...]

    def scratch(x):  # a Ref made, written piecewise and frozen inside the function
        buf = R.new_ref(jnp.zeros(3))
        buf[0] = x
        buf[1] = x * x
        buf[R.ds(1, 2)] = buf[R.ds(0, 2)] * 2.0
        return jnp.sum(R.freeze(buf) ** 2)

    def eager():
        r = R.new_ref(jnp.arange(6.0).reshape(2, 3))
        r[0] = jnp.ones(3)
        r[:, R.ds(1, 2)] = r[:, R.ds(0, 2)] * 3.0
        r[1, 2] = 7.0
        old = r[1]
        r.addupdate(jnp.ones((2, 3)))
        return old, r[...], r[1, R.ds(0, 2)]

    def closure_and_args():
        acc = R.new_ref(jnp.zeros(3))

        @jx.jit
        def step(a, x):
            a[...] += x
            acc[...] = acc[...] * 2 + a[...]
            return a[0] + acc[0]

        a1, a2 = R.new_ref(jnp.ones(3)), R.new_ref(jnp.zeros(3))
        outs = [step(a1, 1.0), step(a2, 3.0), step(a1, 1.0)]
        return outs, a1[...], a2[...], acc[...]

    def loops():
        acc = R.new_ref(jnp.zeros(3))

        @jx.jit
        def g(xs):
            def body(c, x):
                acc[...] = acc[...] + x * c
                return c + 1.0, acc[0]
            return jx.lax.scan(body, 1.0, xs)

        def h(i, c):
            acc[R.ds(i % 2, 2)] += jnp.ones(2) * i
            return c + acc[2]

        return (g(jnp.ones((4, 3))), jx.lax.fori_loop(0, 4, h, 0.0), acc[...],
                jx.jit(lambda: jx.lax.fori_loop(0, 4, h, 0.0))(), acc[...])

    def while_and_cond():
        acc = R.new_ref(jnp.zeros(3))

        def body(i, c):  # a fori_loop of traced bounds: a while_loop
            acc[i % 3] += c
            return c * 2

        def local(x):
            r = R.new_ref(x)
            jx.lax.while_loop(lambda c: c < 3, lambda c: (r.__setitem__(..., r[...] * x), c + 1)[1], 0)
            jx.lax.cond(x > 1.0, lambda: r.__setitem__(..., r[...] + 1.0), lambda: None)
            return r[...]

        return (jx.jit(lambda n: jx.lax.fori_loop(0, n, body, 1.0))(jnp.int32(5)), acc[...],
                jx.lax.switch(1, [lambda x: acc.__setitem__(1, x) or x, lambda x: acc.__setitem__(2, -x) or x], 5.0),
                acc[...], jx.jit(local)(2.0), jx.jvp(local, (0.5,), (1.0,)))

    def nested_jit():
        acc = R.new_ref(jnp.arange(3.0))

        @jx.jit
        def outer(x):
            inner = jx.jit(lambda y: acc.__setitem__(1, acc[1] + y) or acc[1])
            return inner(x) + inner(x)

        return outer(1.0), acc[...], jx.jit(lambda i: acc[R.ds(i, 2)])(jnp.int32(5))  # the start clamped

    return {
        "eager": eager,
        "closure and args": closure_and_args,
        "scan and fori_loop": loops,
        "while and cond": while_and_cond,
        "nested jit": nested_jit,
        "local scan": lambda: (jx.jit(local_scan)(2.0), jx.grad(local_scan)(2.0), jx.vmap(local_scan)(jnp.arange(2.0))),
        "scratch": lambda: (scratch(1.5), jx.jit(jx.grad(scratch))(1.5), jx.vmap(scratch)(jnp.arange(3.0))),
    }


@pytest.mark.parametrize("name", list(programs(*BOTH[0])))
def test_against_jax(name):
    expected, got = (programs(*libs)[name]() for libs in BOTH)
    e_leaves, e_tree = jax.tree_util.tree_flatten(expected)
    g_leaves, g_tree = jax.tree_util.tree_flatten(got)
    assert str(e_tree) == str(g_tree)
    for e, g in zip(e_leaves, g_leaves, strict=True):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-6)


def errors(jx, jnp, R):
    r = R.new_ref(jnp.arange(4))
    found = []
    for bad in (lambda: r.__setitem__(..., jnp.ones(4)), lambda: r.__setitem__(..., jnp.ones(3, jnp.int32)),
                lambda: r.__setitem__(0, 1.0), lambda: jx.jit(lambda: R.new_ref(1.0))(),
                lambda: R.empty_ref(jx.ShapeDtypeStruct((2,), jnp.float32))):
        with pytest.raises((ValueError, NotImplementedError)) as info:
            bad()
        found.append((type(info.value), str(info.value).split("\n")[0].replace(" at /", "").split(" at ")[0]))
    return found, repr(r), repr(R.new_ref(3)), R.freeze(R.new_ref(jnp.ones(2))).shape, str(jx.typeof(r))


def test_errors_and_printing_as_jax():
    (expected, *e_rest), (got, *g_rest) = (errors(*libs) for libs in BOTH)
    assert g_rest == e_rest
    for (e_type, e_msg), (g_type, g_msg) in zip(expected, got, strict=True):
        assert g_type is e_type
        assert g_msg.split(" traced for jit")[-1] == e_msg.split(" traced for jit")[-1], (e_msg, g_msg)


def under_transformations(jx, jnp, R):
    counter, total = R.new_ref(jnp.zeros((), jnp.int32)), R.new_ref(jnp.zeros(3))

    def f(x):  # a write grad allows: its value does not depend on x
        counter[...] += 1
        return jnp.sum(x * x)

    def g(x):
        total[...] += x
        return jnp.sum(x)

    x = jnp.ones(3)
    out, f_vjp = jx.vjp(f, x)  # f runs once: its VJP and linearize's JVP do not write again
    _, f_jvp = jx.linearize(f, x)
    found = [jx.grad(f)(x), jx.jit(jx.grad(f))(x), *jx.jvp(f, (x,), (x,)), out, f_vjp(1.0), f_jvp(x), f_jvp(x),
             counter[...]]
    for call in (lambda: jx.grad(g)(x), lambda: jx.jvp(g, (x,), (x,)), lambda: jx.vjp(g, x),
                 lambda: jx.vmap(f)(jnp.ones((2, 3)))):
        with pytest.raises(Exception) as info:  # noqa: PT011 (JAX raises Exception itself)
            call()
        found.append((type(info.value), str(info.value).split("\n")[0]))
    return found


def test_under_grad_and_vmap_as_jax():
    expected, got = (under_transformations(*libs) for libs in BOTH)
    for e, g in zip(expected, got, strict=True):
        if isinstance(e, tuple) and isinstance(e[0], type):
            assert g == e
        else:
            jax.tree.map(lambda e, g: np.testing.assert_array_equal(np.asarray(g), np.asarray(e)), e, g)


def test_refused_by_mirax():
    r = mirax.ref.new_ref(mjnp.zeros(3))

    def f(x):
        r[...] += x
        return x

    with pytest.raises(NotImplementedError, match="writes a Ref it did not make"):
        mirax.checkpoint(f)(mjnp.ones(3))
    with pytest.raises(ValueError, match="cannot export f: it reads or writes a Ref"):
        mirax.export.export(mirax.jit(f))(mjnp.ones(3))
    with pytest.raises(TypeError,
                       match="sin requires ndarray or scalar arguments, got <class 'mirax.core.Ref'> at position 0"):
        mjnp.sin(r)  # as JAX's
