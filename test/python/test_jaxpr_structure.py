"""make_jaxpr's ClosedJaxpr against JAX's, as users read it: `.jaxpr` with its
constvars, invars, outvars and equations (primitive names, operands, results), the
closed-over `.consts`, `.in_avals` and `.out_avals` printed as ShapedArray. (mirax's
program types carry no weak types: only its inputs' and outputs' avals have theirs.)"""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mirax
import mirax.numpy as mjnp

PROGRAMS = {
    "sin mul add": (lambda np_, x, y: np_.sin(x) * y + 1.0, (1.0, 2.0)),
    "vectors": (lambda np_, x, y: np_.tanh(x) + x * y, (np.ones(3, np.float32), np.ones(3, np.float32))),
    "closed-over array": (lambda np_, x: x + np.arange(3.0, dtype=np.float32), (np.ones(3, np.float32),)),
    "identity": (lambda np_, x: x, (1.0,)),
    "constant out": (lambda np_, x: 1.0, (np.float32(1.0),)),
    "two results": (lambda np_, x: (np_.exp(x), x), (np.ones(2, np.float32),)),
}


def summary(lib, np_, name):
    fun, args = PROGRAMS[name]
    closed = lib.make_jaxpr(lambda *a: fun(np_, *a))(*args)
    jaxpr = closed.jaxpr

    def kind(v, weak_type=True):
        return type(v).__name__, repr(v.aval) if weak_type else v.aval.str_short(), getattr(v, "val", None)

    return dict(
        types=(type(closed).__name__, type(jaxpr).__name__),
        primitives=[eqn.primitive.name for eqn in closed.eqns],
        eqns=[str(eqn) for eqn in jaxpr.eqns],
        eqn_vars=[[kind(v, weak_type=False) for v in eqn.invars + eqn.outvars] for eqn in jaxpr.eqns],
        vars=[[kind(v) for v in vs] for vs in (jaxpr.constvars, jaxpr.invars, jaxpr.outvars)],
        avals=(repr(closed.in_avals), repr(closed.out_avals), repr(jaxpr.in_avals), repr(jaxpr.out_avals)),
        consts=[np.asarray(c).tolist() for c in closed.consts],
        text=str(closed),
        effects=(closed.effects, jaxpr.effects),
    )


@pytest.mark.parametrize("name", PROGRAMS)
def test_closed_jaxpr_as_jax(name):
    assert summary(mirax, mjnp, name) == summary(jax, jjnp, name)


def test_an_outvar_that_is_an_invar_is_that_variable():
    jaxpr = mirax.make_jaxpr(lambda x: x)(1.0).jaxpr
    assert jaxpr.outvars[0] is jaxpr.invars[0] and jaxpr.eqns == []
