"""mirax.vmap's API: in_axes/out_axes forms, keyword arguments, nesting, and its
composition with jit, grad, jvp, vjp and compiled-function values, each against
jax.vmap of the same function; and its errors."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp
from oracle import check, rand, ROUNDING


def both(build, *inputs, tolerance=ROUNDING):
    """build(transforms, jnp) -> a function; mirax's result against JAX's."""
    want = build(jax, jjnp)(*inputs)
    got = build(mirax, mjnp)(*inputs)
    jax.tree_util.tree_map(lambda g, w: check(g, w, "", tolerance), got, want)


X, Y = rand((3, 4), seed=1), rand((4,), seed=2)
Z = rand((5, 3, 4), seed=3)


CASES = {
    "in_axes int": (lambda t, np_: t.vmap(lambda x, y: np_.sin(x) * y), X, rand((3, 4), seed=4)),
    "in_axes negative": (lambda t, np_: t.vmap(lambda x: np_.sum(x, 0), in_axes=-1), X),
    "in_axes tuple with None": (lambda t, np_: t.vmap(lambda x, y: x @ y, in_axes=(0, None)), X, Y),
    "in_axes list (a tuple, as JAX)": (lambda t, np_: t.vmap(lambda x, y: x * y, in_axes=[1, 0]), X, Y),
    "in_axes pytree prefix": (lambda t, np_: t.vmap(lambda p: p["a"] * p["b"][0] + p["b"][1],
                                                     in_axes=({"a": 0, "b": (1, None)},)),
                              {"a": X, "b": (rand((4, 3), seed=5), np.float32(2.0))}),
    "out_axes int": (lambda t, np_: t.vmap(lambda x: np_.outer(x, x), out_axes=2), X),
    "out_axes pytree": (lambda t, np_: t.vmap(lambda x: (x * 2, {"s": x.sum()}), out_axes=(1, {"s": 0})), X),
    "unbatched output broadcast": (lambda t, np_: t.vmap(lambda x, y: (x + 1, y * 2), in_axes=(0, None)), X, Y),
    "out_axes None for an unbatched output": (lambda t, np_: t.vmap(lambda x, y: (x + 1, y * 2), in_axes=(0, None),
                                                                    out_axes=(0, None)), X, Y),
    "axis_size with nothing batched": (lambda t, np_: t.vmap(lambda y: y * 2, in_axes=None, axis_size=3), Y),
    "nested": (lambda t, np_: t.vmap(t.vmap(lambda x, y: np_.dot(x, y), in_axes=(0, None)), in_axes=(0, 0)), Z,
               rand((5, 4), seed=6)),
    "nested, inner over axis 1": (lambda t, np_: t.vmap(t.vmap(lambda x: np_.max(x), in_axes=1)), Z),
    "jit of vmap": (lambda t, np_: t.jit(t.vmap(lambda x: np_.tanh(x) @ x)), X),
    "vmap of jit": (lambda t, np_: t.vmap(t.jit(lambda x: np_.cumsum(x ** 2))), X),
    "vmap of grad": (lambda t, np_: t.vmap(t.grad(lambda x, y: np_.sum(np_.sin(x) * y)), in_axes=(0, None)), X, Y),
    "grad of vmap": (lambda t, np_: t.grad(lambda x: t.vmap(lambda r: np_.dot(r, r) * r[0])(x).sum()), X),
    "vmap of grad of grad": (lambda t, np_: t.vmap(t.grad(t.grad(lambda x: x ** 3 * np_.cos(x)))),
                             rand((6,), seed=7)),
    "jvp of vmap": (lambda t, np_: lambda x, v: t.jvp(t.vmap(np_.tanh), (x,), (v,)), X, rand((3, 4), seed=8)),
    "vmap of jvp": (lambda t, np_: t.vmap(lambda x, v: t.jvp(lambda z: np_.exp(z).sum(), (x,), (v,))), X,
                    rand((3, 4), seed=9)),
    "vmap of vjp_fun": (lambda t, np_: lambda x, m: t.vmap(t.vjp(lambda z: np_.sin(z) * z, x)[1])(m), Y,
                        rand((7, 4), seed=10)),
    "jacfwd and jacrev of vmap": (lambda t, np_: lambda x: (t.jacfwd(t.vmap(np_.sin))(x), t.jacrev(t.vmap(np_.sin))(x)),
                                  Y),
    "hessian of a pytree function": (lambda t, np_: t.hessian(lambda p: np_.sum(p["w"] ** 3) * p["b"]),
                                     {"w": Y, "b": np.float32(1.5)}),
    "keyword arguments mapped along 0": (lambda t, np_: lambda x, y: t.vmap(lambda x, y: x * y, in_axes=(1,))(x, y=y),
                                         X, rand((4, 3), seed=11)),
    "random keys under vmap": (lambda t, np_: lambda seeds: t.vmap(
        lambda s: t.random.uniform(t.random.key(s), (3,)))(seeds), np.arange(4, dtype=np.uint32)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vmap_matches_jax(name):
    build, *inputs = CASES[name]
    both(build, *inputs)


def test_vmap_of_a_function_with_python_control_flow_on_a_batched_value_names_the_line():
    def f(x):
        if x > 0:  # the error names this line
            return x
        return -x

    with pytest.raises(mirax.ConcretizationTypeError, match=r"test_vmap_api.py:\d+ \(f\)"):
        mirax.vmap(f)(mjnp.arange(3.0))


@pytest.mark.parametrize("call, message", [
    (lambda: mirax.vmap(lambda x, y: x + y)(mjnp.ones(3), mjnp.ones(4)),
     "vmap got inconsistent sizes for array axes to be mapped"),
    (lambda: mirax.vmap(lambda x, y: x, in_axes=(0, 0, 0))(mjnp.ones(3), mjnp.ones(3)),
     "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments"),
    (lambda: mirax.vmap(lambda p: p, in_axes=({"a": 0},))({"b": mjnp.ones(3)}),
     "vmap in_axes must be a tree prefix of the corresponding value"),
    (lambda: mirax.vmap(lambda x: x, in_axes=2)(mjnp.ones((3, 4))),
     "vmap was requested to map its argument along axis 2, which implies that its rank should be at least 3"),
    (lambda: mirax.vmap(lambda x: x, in_axes=None)(mjnp.ones(3)),
     "vmap must have at least one non-None value in in_axes"),
    (lambda: mirax.vmap(lambda x: x, out_axes=None)(mjnp.ones(3)),
     "vmap has mapped output but out_axes is None"),
    (lambda: mirax.vmap(lambda x: x, out_axes=3)(mjnp.ones((3, 4))),
     "vmap out_axes 3 is out of bounds for an output of rank 2"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_axis_spec_raises_type_error():
    with pytest.raises(TypeError, match="vmap in_axes must be an int, None, or"):
        mirax.vmap(lambda x: x, in_axes="zero")
