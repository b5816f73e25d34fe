"""Differentiation defects found by fuzzing against JAX (issue 16), each compared with JAX."""
import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
from oracle import ROUNDING, check

# Second derivatives of functions whose only path to the output is piecewise constant
# (the derived functions return one zero twice). They crashed in compilation, so they
# run in a subprocess, where a crash fails the test instead of ending the run.
PIECEWISE_CONSTANT = {
    "hessian_floor": ("hessian(jnp.floor)", 1.5),
    "hessian_step": ("hessian(lambda a: (a > 0).astype(jnp.float32))", 1.0),
    "jacfwd_jacrev_sign": ("jacfwd(jacrev(jnp.sign))", 1.5),
    "jacfwd_jacrev_sign_vector": ("jacfwd(jacrev(jnp.sign))", [1.5, -2.0]),
}


def _run_in_subprocess(source):
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"exit status {run.returncode}\n{run.stderr[-3000:]}"
    return json.loads(run.stdout.splitlines()[-1])


def test_second_derivatives_of_piecewise_constant_functions():
    results = _run_in_subprocess(f"""
        import json
        import numpy as np
        import mirax
        from mirax import hessian, jacfwd, jacrev
        import mirax.numpy as jnp
        out = {{}}
        for name, (expression, x) in {PIECEWISE_CONSTANT!r}.items():
            f = eval(expression)
            for mode, g in (("eager", f), ("jit", mirax.jit(f))):
                y = np.asarray(g(jnp.asarray(x)))
                out[f"{{name}} {{mode}}"] = [y.tolist(), y.dtype.str, list(y.shape)]
        print(json.dumps(out))
    """)
    for name, (expression, x) in PIECEWISE_CONSTANT.items():
        want = np.asarray(eval(expression, {"hessian": jax.hessian, "jacfwd": jax.jacfwd, "jacrev": jax.jacrev,
                                            "jnp": jjnp})(jjnp.asarray(x)))
        for mode in ("eager", "jit"):
            value, dtype, shape = results[f"{name} {mode}"]
            check(np.asarray(value, dtype).reshape(shape), want, f"{name} {mode}")


# ----------------------------------------------------------------------------- while loops under reverse mode
# JAX's partial evaluation drops what the output's derivative does not need, so a while
# loop that nothing differentiated reads does not stop reverse mode.


def _loop(lax, x):
    return lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x)


def _loop_with_count(lax, x):
    """An integer carry beside a float one; the condition reads the float."""
    return lax.while_loop(lambda c: c[1] < 10.0, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))


WHILE_CASES = {
    "unused": lambda m, x: (_loop(m.lax, x), x * 3.0)[1],
    "stop_gradient": lambda m, x: x * m.lax.stop_gradient(_loop(m.lax, x)),
    "integer_carry": lambda m, x: x * _loop_with_count(m.lax, x)[0],
    "unused_fori_loop": lambda m, x: (m.lax.fori_loop(0, m.numpy.int32(3), lambda i, c: c * 2.0, x), x * x)[1],
}


@pytest.mark.parametrize("case", WHILE_CASES)
def test_grad_with_a_while_loop_nothing_differentiated_needs(case):
    fn = WHILE_CASES[case]
    want = jax.grad(lambda x: fn(jax, x))(1.5)
    check(mirax.grad(lambda x: fn(mirax, x))(1.5), want, case)
    check(mirax.jit(mirax.grad(lambda x: fn(mirax, x)))(1.5), want, f"jit {case}")


def test_while_loop_in_aux_and_higher_order():
    def f(m):
        return lambda x: (x * 3.0, _loop(m.lax, x))

    check(mirax.grad(f(mirax), has_aux=True)(1.5), jax.grad(f(jax), has_aux=True)(1.5))
    unused = WHILE_CASES["unused"]
    check(mirax.jacrev(lambda x: unused(mirax, x))(1.5), jax.jacrev(lambda x: unused(jax, x))(1.5))
    check(mirax.hessian(lambda x: unused(mirax, x))(1.5), jax.hessian(lambda x: unused(jax, x))(1.5))


@pytest.mark.parametrize("order", ["grad", "grad(grad)", "hessian"])
def test_fori_loop_bound_from_a_concrete_integer_argument_at_any_order(order):
    """A fori_loop bound computed from a concrete integer array argument is concrete in
    every nested derivative's trace, so reverse mode works at any order, as in JAX
    (fuzzer finding: the inner trace of grad(grad) lost the outer one's values)."""
    def derivative(m):
        def f(x, n):
            return m.lax.fori_loop(0, n * 2 + 1, lambda i, c: c * x + m.numpy.sin(c), x)
        return {"grad": m.grad(f), "grad(grad)": m.grad(m.grad(f)), "hessian": m.hessian(f)}[order]

    for n in (np.int32(0), np.int32(2)):
        check(derivative(mirax)(np.float32(0.3), mirax.numpy.asarray(n)),
              derivative(jax)(np.float32(0.3), jjnp.asarray(n)), order, ROUNDING)


@pytest.mark.parametrize("shape, offset", [((1, 1), -1), ((2, 3), 3), ((0, 2), 0)])
def test_an_empty_diagonal_does_not_depend_on_its_operand(shape, offset):
    """An empty jnp.diagonal is zeros independent of the operand, as JAX's (a gather of
    an empty result), so a while loop whose result only reaches one is not
    differentiated in reverse mode (fuzzer finding: mirax raised the while_loop
    reverse-mode error)."""
    def f(m, x):
        y = m.lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1, c[1] * 0.5 + 1.0), (0, x))[1]
        return m.numpy.sum(m.numpy.diagonal(y, offset)) + m.numpy.sum(x * x)

    x = np.full(shape, -0.25, np.float32)
    for transform in ("grad", "jacrev"):
        check(getattr(mirax, transform)(lambda x: f(mirax, x))(x), getattr(jax, transform)(lambda x: f(jax, x))(x),
              transform)
    check(mirax.numpy.diagonal(x, offset), jjnp.diagonal(x, offset))


@pytest.mark.parametrize("empty", [
    lambda np_, y: np_.hypot(np_.outer(np_.diff(y, n=2), np_.diff(y, n=2)), 0.1),  # seed 1212121 case 3754
    lambda np_, y: np_.where(y[1:] > 0, 2.0, y[1:]),
])
def test_an_empty_where_does_not_depend_on_its_operands(empty):
    """jnp.where of an empty shape is its x (JAX's _where), so an empty hypot or where
    of a while loop's result needs no reverse-mode derivative of the loop: the gradient
    is zero, as JAX's (fuzzer finding: mirax raised the while_loop reverse-mode error)."""
    def f(m, x):
        y = m.lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1, c[1] * c[1] * 0.25 - 0.5), (0, x))[1]
        return m.numpy.sum(empty(m.numpy, y))

    x = np.array([0.32317614], np.float32)
    check(mirax.grad(lambda x: f(mirax, x))(x), jax.grad(lambda x: f(jax, x))(x))


def test_grad_through_a_used_while_loop_raises_as_jax():
    def raised(m, fn):
        with pytest.raises(ValueError) as info:
            fn(m)
        return str(info.value)

    for fn in (lambda m: m.grad(lambda x: _loop(m.lax, x))(1.5),
               lambda m: m.vjp(lambda x: (_loop(m.lax, x), x * 3.0), 1.5)[1]((0.0, 1.0))):
        want = raised(jax, fn)
        assert raised(mirax, fn).startswith(want.split(".")[0]), (want,)


# ----------------------------------------------------------------------------- .at[].multiply/min/max derivatives

X, Y = np.array([1.0, 2.0, 3.0, 4.0], np.float32), np.array([5.0, 6.0], np.float32)
I = np.array([1, 3])
TIES = np.array([1, 1, 2])  # two updates land on x[1] (tying with it under max), one on x[2]
WEIGHTS = np.arange(4.0, dtype=np.float32)
SCATTER_GRADS = {
    "multiply_operand": (lambda m, x, y: (x.at[I].multiply(y) ** 2).sum(), (0,), (X, Y)),
    "multiply_unique": (lambda m, x, y: (x.at[I].multiply(y, unique_indices=True) ** 2).sum(), (0, 1), (X, Y)),
    "divide": (lambda m, x, y: x.at[I].divide(y).sum(), (0,), (X, Y)),
    "min": (lambda m, x, y: (x.at[I].min(y) * WEIGHTS).sum(), (0, 1), (X, Y)),
    "max": (lambda m, x, y: (x.at[I].max(y) * WEIGHTS).sum(), (0, 1), (X, Y)),
    "max_ties": (lambda m, x, y: (x.at[TIES].max(y) * WEIGHTS).sum(), (0, 1),
                 (X, np.array([2.0, 2.0, 1.0], np.float32))),
    "min_ties": (lambda m, x, y: (x.at[TIES].min(y) * WEIGHTS).sum(), (0, 1),
                 (X, np.array([2.0, 1.0, 3.0], np.float32))),
    # integers nothing differentiates need no derivative rule
    "integer_multiply": (lambda m, x, y: (x * m.numpy.arange(4).at[I].multiply(3)).sum(), (0,), (X, Y)),
    "integer_max": (lambda m, x, y: (x * m.numpy.arange(4).at[I].max(3)).sum(), (0,), (X, Y)),
}


@pytest.mark.parametrize("case", SCATTER_GRADS)
def test_scatter_combiner_gradients(case):
    fn, argnums, args = SCATTER_GRADS[case]
    want = jax.grad(lambda *a: fn(jax, *a), argnums)(*args)
    check(mirax.grad(lambda *a: fn(mirax, *a), argnums)(*args), want, case)
    check(mirax.jit(mirax.grad(lambda *a: fn(mirax, *a), argnums))(*args), want, f"jit {case}")


def test_scatter_combiner_jvp_hessian_and_vmap():
    def f(m):
        return lambda x, y: x.at[I].max(y) * x.at[I].multiply(y, unique_indices=True)

    tangents = (Y[[0, 1, 0, 1]], X[:2])
    check(mirax.jvp(f(mirax), (X, Y), tangents)[1], jax.jvp(f(jax), (X, Y), tangents)[1])
    check(mirax.hessian(lambda x: f(mirax)(x, Y).sum())(X), jax.jit(jax.hessian(lambda x: f(jax)(x, Y).sum()))(X))
    xs = np.stack([X, X + 4])
    check(mirax.vmap(mirax.grad(lambda x: f(mirax)(x, Y).sum()))(xs),
          jax.vmap(jax.grad(lambda x: f(jax)(x, Y).sum()))(xs))


def test_scatter_multiply_gradient_of_the_updates_needs_unique_indices_as_jax():
    def f(m):
        return m.grad(lambda y: m.numpy.asarray(X).at[I].multiply(y).sum())

    with pytest.raises(NotImplementedError) as want:
        f(jax)(Y)
    with pytest.raises(NotImplementedError) as got:
        f(mirax)(Y)
    assert str(got.value) == str(want.value)


# ----------------------------------------------------------------------------- user values entering a traced call
# Each must get JAX's error (class and message), not an MLIR verifier error.


def _vjp_fun(m):
    return m.vjp(lambda x: m.numpy.sin(x) * 2.0, m.numpy.ones(3))[1]


def _linearized(m):
    return m.linearize(m.numpy.sin, m.numpy.ones(3))[1]


def _custom_vjp(m, bwd_output):
    @m.custom_vjp
    def f(x):
        return m.numpy.sin(x)

    f.defvjp(lambda x: (m.numpy.sin(x), x), lambda r, g: bwd_output(m))
    return m.grad(lambda x: f(x).sum())


def _custom_jvp(m):
    @m.custom_jvp
    def f(x):
        return m.numpy.sin(x)

    f.defjvp(lambda p, t: (m.numpy.sin(p[0]), m.numpy.ones(4)))
    return f


BAD_INPUTS = {
    "vjp_cotangent_shape": lambda m: _vjp_fun(m)(m.numpy.ones(4)),
    "vjp_cotangent_rank": lambda m: _vjp_fun(m)(m.numpy.ones((3, 1))),
    "vjp_cotangent_scalar": lambda m: _vjp_fun(m)(1.0),
    "vjp_cotangent_int": lambda m: _vjp_fun(m)(m.numpy.ones(3, m.numpy.int32)),
    "vjp_cotangent_complex": lambda m: _vjp_fun(m)(m.numpy.ones(3, m.numpy.complex64)),
    "jit_vjp_cotangent_shape": lambda m: m.jit(_vjp_fun(m))(m.numpy.ones(4)),
    "vjp_cotangent_tree": lambda m: _vjp_fun(m)((m.numpy.ones(3),)),
    "jvp_tangent_shape": lambda m: m.jvp(m.numpy.sin, (m.numpy.ones(3),), (m.numpy.ones(4),)),
    "jvp_tangent_dtype": lambda m: m.jvp(m.numpy.sin, (m.numpy.ones(3),), (m.numpy.ones(3, m.numpy.float16),)),
    "jvp_tangent_dtype_and_shape": lambda m: m.jvp(m.numpy.sin, (m.numpy.ones(3),), (m.numpy.ones(2, m.numpy.int32),)),
    "jvp_tangent_tree": lambda m: m.jvp(m.numpy.sin, (m.numpy.ones(3),), [m.numpy.ones(3)]),
    "jvp_not_tuples": lambda m: m.jvp(m.numpy.sin, 1.0, 1.0),
    "linearize_tangent_shape": lambda m: _linearized(m)(m.numpy.ones(4)),
    "linearize_tangent_dtype": lambda m: _linearized(m)(m.numpy.ones(3, m.numpy.int32)),
    "linearize_tangent_count": lambda m: _linearized(m)(m.numpy.ones(3), m.numpy.ones(3)),
    "custom_vjp_bwd_shape": lambda m: _custom_vjp(m, lambda m: (m.numpy.ones(4),))(m.numpy.ones(3)),
    "jit_custom_vjp_bwd_shape": lambda m: m.jit(_custom_vjp(m, lambda m: (m.numpy.ones(4),)))(m.numpy.ones(3)),
    "custom_vjp_bwd_count": lambda m: _custom_vjp(m, lambda m: (m.numpy.ones(3),) * 2)(m.numpy.ones(3)),
    "custom_jvp_tangent_shape": lambda m: m.jvp(_custom_jvp(m), (m.numpy.ones(3),), (m.numpy.ones(3),)),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_values_into_differentiated_functions_raise_as_jax(case):
    with pytest.raises(Exception) as want:
        BAD_INPUTS[case](jax)
    with pytest.raises(want.type) as got:
        BAD_INPUTS[case](mirax)
    # JAX's message, up to mirax's source line; a tree mismatch is described differently
    expected = str(want.value).split("\n")[0] if case == "vjp_cotangent_tree" else str(want.value)
    assert str(got.value).split("\n  at ")[0].startswith(expected), (str(got.value), str(want.value))


def test_good_values_into_a_vjp_function_as_jax():
    """What JAX accepts: a NumPy float64 cotangent canonicalized to float32, a weakly
    typed Python scalar, any cotangent of an integer output's shape."""
    cases = [(lambda m: m.vjp(lambda x: x * 2.0, m.numpy.ones(3))[1](np.ones(3))),
             (lambda m: m.vjp(lambda x: x * 2.0, 1.0)[1](1.0)),
             (lambda m: m.vjp(lambda x: (x * 2.0, m.numpy.arange(3)), m.numpy.ones(3))[1]((np.ones(3), np.ones(3))))]
    for i, case in enumerate(cases):
        check(case(mirax), case(jax), str(i))


REDUCTIONS_OVER_NO_AXES = {
    "max of a sum": lambda m, c, w: m.lax.reduce_max(m.numpy.sum(c * w), ()),
    "max of a max": lambda m, c, w: m.lax.reduce_max(m.lax.reduce_max(c * w, (0,)), ()),
    "min of a std": lambda m, c, w: m.lax.reduce_min(m.numpy.std(c * w), ()),
    "max of a dot": lambda m, c, w: m.lax.reduce_max(m.numpy.dot(c, c * w), ()),
    "sum of a stack's sum": lambda m, c, w: m.lax.reduce_sum(m.numpy.sum(m.numpy.stack([w, w * 2.0])), ()),
}


@pytest.mark.parametrize("name", REDUCTIONS_OVER_NO_AXES)
def test_gradients_through_reductions_over_no_axes(name):
    """A reduction over no axes is its operand: lowered as a 0-d fold reading its
    initial value, upstream's elementwise fusion moved it into the next reduction's
    loop, where it folded once per iteration (fuzzer finding, seed 727272 case 1307:
    grad of reduce_max(std(...), ()) off by 25%)."""
    c, w = np.array([-0.55, 1.42], np.float32), np.float32(0.0636)
    fn = REDUCTIONS_OVER_NO_AXES[name]
    for transform in ("grad", "jacrev"):
        check(getattr(mirax, transform)(lambda w: fn(mirax, c, w))(w),
              getattr(jax, transform)(lambda w: fn(jax, c, w))(w), transform, ROUNDING)


def test_a_reduction_over_no_axes_keeps_negative_zero_as_jax():
    x = np.array([-0.0, np.nan, 1.0], np.float32)
    for name in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod"):
        check(getattr(mirax.lax, name)(x, ()), getattr(jax.lax, name)(x, ()), name)
        check(mirax.jit(lambda x: getattr(mirax.lax, name)(x, ()))(x), getattr(jax.lax, name)(x, ()), name)
    assert np.signbit(np.asarray(mirax.lax.reduce_sum(x, ())))[0]


def test_the_trace_of_an_empty_diagonal_still_depends_on_its_operand_as_jax():
    """jnp.trace masks its operand (JAX: where(eye, a, 0)), so unlike jnp.diagonal an
    empty trace depends on it: reverse mode through a while loop feeding it raises as
    JAX (fuzzer finding, seed 727272 case 3774, after the diagonal fix)."""
    def f(m, x):
        y = m.lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1, m.numpy.sin(c[1])), (0, x))[1]
        return m.numpy.trace(y, -1)

    x = np.full((1, 1), 0.5, np.float32)
    messages = []
    for m in (jax, mirax):
        with pytest.raises(ValueError) as info:
            m.grad(lambda x: f(m, x))(x)
        messages.append(str(info.value).splitlines()[0])
    assert messages[0] == messages[1]
    check(mirax.numpy.trace(x, -1), jjnp.trace(x, -1))
    for m in (jax, mirax):
        with pytest.raises(ValueError, match="axis 1 is out of bounds for array of dimension 1"):
            m.numpy.trace(np.ones(3, np.float32))
