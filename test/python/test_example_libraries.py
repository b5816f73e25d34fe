"""mirax.example_libraries.optimizers and stax against jax.example_libraries': the same
steps reach the same parameters and states (to float32 rounding), the same schedules,
the same layers' shapes, parameters and outputs, and a stax MLP trained with adam
gives JAX's losses."""
import jax
import jax.numpy as jjnp
import jax.example_libraries.optimizers as jopt
import jax.example_libraries.stax as jstax
import numpy as np
import pytest

import mirax
import mirax.example_libraries.optimizers as mopt
import mirax.example_libraries.stax as mstax
import mirax.numpy as mjnp
from oracle import assert_close, check, rand, ROUNDING

PARAMS = {"w": rand((3, 2), seed=1), "b": rand((2,), seed=2), "s": np.float32(0.5)}
GRADS = [jax.tree_util.tree_map(lambda p, k=k: rand(np.shape(p), seed=10 + k) * 0.3, PARAMS) for k in range(4)]
GRADS[1]["b"][0] = 0.  # a zero gradient (adagrad's and sm3's where)

OPTIMIZERS = {
    "sgd": lambda o: o.sgd(0.1),
    "sgd_schedule": lambda o: o.sgd(o.exponential_decay(0.1, 2, 0.5)),
    "momentum": lambda o: o.momentum(0.1, 0.9),
    "nesterov": lambda o: o.nesterov(0.1, 0.8),
    "adagrad": lambda o: o.adagrad(0.1),
    "rmsprop": lambda o: o.rmsprop(0.1),
    "rmsprop_momentum": lambda o: o.rmsprop_momentum(0.1, gamma=0.8, momentum=0.5),
    "adam": lambda o: o.adam(0.01),
    "adamax": lambda o: o.adamax(0.01, b1=0.8),
    "sm3": lambda o: o.sm3(0.1),
}


def _run(module, make, jit, steps=len(GRADS)):
    """The parameters and the state after `steps` updates (jitted with a traced step
    index, or eager with Python ints)."""
    init, update, get_params = OPTIMIZERS[make](module)
    state = init(PARAMS)
    step = (mirax.jit(update) if module is mopt else jax.jit(update)) if jit else update
    for i, grads in enumerate(GRADS[:steps]):
        state = step(i, grads, state)
    return get_params(state), state.packed_state  # per parameter, the leaves of its state


@pytest.mark.parametrize("name, jit", [(name, True) for name in OPTIMIZERS] + [("adam", False), ("sm3", False)])
def test_optimizer_steps(name, jit):
    got_params, got_state = _run(mopt, name, jit)
    want_params, want_state = _run(jopt, name, jit)
    assert_close(got_params, want_params, rtol=1e-6, atol=1e-7)
    assert_close(got_state, want_state, rtol=1e-6, atol=1e-7)


def test_state_is_a_pytree():
    """OptimizerState's arrays are its leaves (through jit, tree_map), its structure aux data."""
    init, update, get_params = mopt.adam(0.1)
    state = init(PARAMS)
    leaves, tree = mirax.tree_util.tree_flatten(state)
    assert len(leaves) == 9
    doubled = mirax.tree_util.tree_map(lambda x: 2 * x, state)
    assert isinstance(doubled, mopt.OptimizerState) and doubled.tree_def == state.tree_def
    check(get_params(doubled)["w"], 2 * PARAMS["w"])
    assert mirax.jit(lambda s: s)(state).subtree_defs == state.subtree_defs


def test_pack_unpack_roundtrip():
    init, update, get_params = mopt.momentum(0.1, 0.9)
    state = update(0, GRADS[0], init(PARAMS))
    unpacked = mopt.unpack_optimizer_state(state)
    assert set(unpacked) == {"w", "b", "s"} and isinstance(unpacked["w"], mopt.JoinPoint)
    repacked = mopt.pack_optimizer_state(unpacked)
    assert (repacked.tree_def, repacked.subtree_defs) == (state.tree_def, state.subtree_defs)
    check(get_params(repacked)["b"], get_params(state)["b"])


def test_grad_tree_mismatch():
    init, update, _ = mopt.sgd(0.1)
    with pytest.raises(TypeError, match="did not match the parameter tree structure"):
        update(0, {"w": PARAMS["w"]}, init(PARAMS))


SCHEDULES = {
    "constant": lambda o: o.constant(0.3),
    "exponential_decay": lambda o: o.exponential_decay(0.5, 3, 0.1),
    "inverse_time_decay": lambda o: o.inverse_time_decay(0.5, 3, 0.7),
    "inverse_time_decay_staircase": lambda o: o.inverse_time_decay(0.5, 3, 0.7, staircase=True),
    "polynomial_decay": lambda o: o.polynomial_decay(1.0, 4, 0.1, power=2.0),
    "piecewise_constant": lambda o: o.piecewise_constant([1, 3], [1.0, 0.5, 0.25]),
    "make_schedule": lambda o: o.make_schedule(0.2),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules(name):
    steps = np.arange(6, dtype=np.int32)
    want = [jax.jit(SCHEDULES[name](jopt))(i) for i in steps]
    schedule = SCHEDULES[name](mopt)
    check([mirax.jit(schedule)(i) for i in steps], want, name, ROUNDING)  # traced steps
    for i, w in zip(range(6), want, strict=True):  # Python steps
        np.testing.assert_allclose(np.asarray(schedule(i)), np.asarray(w), rtol=1e-6)


def test_schedule_errors():
    for o in (jopt, mopt):
        with pytest.raises(TypeError):
            o.make_schedule(np.ones(2))
        with pytest.raises(ValueError, match="one shorter"):
            o.piecewise_constant([1, 2], [1.0, 2.0])
        with pytest.raises(ValueError, match="must be sequences"):
            o.piecewise_constant(1, [1.0, 2.0])


@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grads_and_l2_norm(max_norm):
    grads = GRADS[0]
    check(mirax.jit(mopt.l2_norm)(grads), jax.jit(jopt.l2_norm)(grads), "l2_norm", ROUNDING)
    got = mirax.jit(mopt.clip_grads, static_argnums=1)(grads, max_norm)
    assert_close(got, jax.jit(jopt.clip_grads, static_argnums=1)(grads, max_norm), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- stax


def _both(make_layer, input_shape, inputs, **kwargs):
    """(mirax's, JAX's) output shapes, parameters and outputs of make_layer(stax)."""
    results = []
    for stax, random, t in ((mstax, mirax.random, mirax), (jstax, jax.random, jax)):
        init, apply = make_layer(stax)
        out_shape, params = init(random.key(0), input_shape)
        extra = {"rng": random.key(1)} if kwargs.get("rng") else {}
        results.append((out_shape, params, t.jit(lambda p, x: apply(p, x, **extra))(params, inputs)))
    return results


LAYERS = {
    "dense": (lambda s: s.Dense(5), (4, 3, 2)),
    "dense_inits": (lambda s: s.Dense(3, s.glorot(), s.randn(0.5)), (4, 3, 2)),
    "batchnorm": (lambda s: s.BatchNorm(axis=(0, 1)), (4, 3, 2)),
    "batchnorm_int_axis": (lambda s: s.BatchNorm(axis=0, center=False), (4, 3, 2)),
    "batchnorm_plain": (lambda s: s.BatchNorm(axis=(0,), center=False, scale=False), (4, 3, 2)),
    "flatten": (lambda s: s.serial(s.Flatten, s.Dense(2)), (4, 3, 2)),
    "identity": (lambda s: s.Identity, (4, 3, 2)),
    "elementwise": (lambda s: s.serial(s.Tanh, s.Relu, s.Exp, s.Softplus, s.Sigmoid, s.Elu, s.LeakyRelu, s.Selu,
                                       s.Gelu, s.Softmax, s.LogSoftmax), (4, 3, 2)),
    "fan_sum": (lambda s: s.serial(s.FanOut(2), s.parallel(s.Dense(2), s.Identity), s.FanInSum), (4, 3, 2)),
    "fan_concat": (lambda s: s.serial(s.FanOut(3), s.parallel(s.Dense(3), s.Identity, s.Tanh),
                                      s.FanInConcat()), (4, 3, 2)),
    "shape_dependent": (lambda s: s.shape_dependent(lambda shape: s.Dense(shape[-1] + 1)), (4, 3, 2)),
    "dropout": (lambda s: s.serial(s.Dense(4), s.Dropout(0.7)), (4, 3, 2)),
    "dropout_test_mode": (lambda s: s.Dropout(0.7, mode="test"), (4, 3, 2)),
    "conv": (lambda s: s.Conv(3, (2, 3), strides=(1, 2), padding="SAME"), (2, 5, 6, 2)),
    "conv_general_nchw": (lambda s: s.GeneralConv(("NCHW", "OIHW", "NCHW"), 3, (3, 2)), (2, 2, 6, 5)),
    "conv_transpose": (lambda s: s.ConvTranspose(3, (3, 3), strides=(2, 2), padding="SAME"), (2, 4, 5, 2)),
    "conv1d_transpose": (lambda s: s.Conv1DTranspose(2, (3,), strides=(2,)), (2, 5, 3)),
    "maxpool": (lambda s: s.MaxPool((2, 2), strides=(2, 2)), (2, 6, 5, 3)),
    "maxpool_same_nchw": (lambda s: s.MaxPool((3, 2), padding="SAME", spec="NCHW"), (2, 3, 5, 4)),
    "sumpool": (lambda s: s.SumPool((2, 3), strides=(1, 2), padding="SAME"), (2, 5, 6, 3)),
    "avgpool_same": (lambda s: s.AvgPool((3, 3), strides=(2, 2), padding="SAME"), (2, 5, 6, 3)),
    "avgpool_nchw": (lambda s: s.AvgPool((2, 2), spec="NCHW"), (2, 3, 4, 4)),
    "cnn": (lambda s: s.serial(s.Conv(4, (3, 3), padding="SAME"), s.Relu, s.MaxPool((2, 2), strides=(2, 2)),
                               s.Flatten, s.Dense(3), s.LogSoftmax), (2, 6, 6, 1)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layers(name):
    make_layer, input_shape = LAYERS[name]
    (got_shape, got_params, got_out), (want_shape, want_params, want_out) = _both(
        make_layer, input_shape, rand(input_shape, seed=5), rng=name.startswith("dropout"))
    assert got_shape == want_shape
    assert_close(got_params, want_params, rtol=1e-6, atol=1e-7)
    assert_close(got_out, want_out, rtol=2e-5, atol=2e-6)


def test_parallel_init_shapes():
    shapes, params = mstax.parallel(mstax.Dense(3), mstax.Identity)[0](mirax.random.key(0), [(2, 4), (2, 5)])
    want_shapes, _ = jstax.parallel(jstax.Dense(3), jstax.Identity)[0](jax.random.key(0), [(2, 4), (2, 5)])
    assert shapes == want_shapes


def test_dropout_needs_a_key():
    apply = mstax.Dropout(0.5)[1]
    with pytest.raises(ValueError, match="requires apply_fun to be called with a PRNG key"):
        apply((), mjnp.ones(3))


def test_every_layer():
    missing = {n for n in dir(jstax) if not n.startswith("_")} - set(dir(mstax))
    assert not missing, missing


NETWORKS = {
    "mlp": (lambda s: s.serial(s.Dense(8), s.Relu, s.Dense(8), s.Gelu, s.Dense(3), s.LogSoftmax), (16, 5)),
    "cnn": (lambda s: s.serial(s.Conv(4, (3, 3), padding="SAME"), s.Relu, s.MaxPool((2, 2), strides=(2, 2)),
                               s.Conv(6, (3, 3)), s.Relu, s.AvgPool((2, 2)), s.Flatten, s.Dense(3), s.LogSoftmax),
            (8, 8, 8, 1)),
}


@pytest.mark.parametrize("network", NETWORKS)
def test_trained_with_adam_as_jax(network):
    """A stax network trained with optimizers.adam for a few steps on generated data:
    the same losses and parameters as the same program under JAX (examples/cnn.py is
    the CNN's full-size version)."""
    make_network, input_shape = NETWORKS[network]
    inputs, labels = rand(input_shape, seed=6), np.random.default_rng(7).integers(0, 3, input_shape[0])

    def train(stax, opt, t, random, np_):
        init, apply = make_network(stax)
        _, params = init(random.key(0), (-1,) + input_shape[1:])
        opt_init, opt_update, get_params = opt.adam(opt.exponential_decay(0.05, 10, 0.5))
        targets = t.nn.one_hot(labels, 3)

        def loss(params):
            return -np_.mean(np_.sum(apply(params, inputs) * targets, axis=-1))

        @t.jit
        def step(i, state):
            value, grads = t.value_and_grad(loss)(get_params(state))
            return value, opt_update(i, grads, state)

        state, losses = opt_init(params), []
        for i in range(6):
            value, state = step(i, state)
            losses.append(value)
        return np.array(losses), get_params(state)

    got_losses, got_params = train(mstax, mopt, mirax, mirax.random, mjnp)
    want_losses, want_params = train(jstax, jopt, jax, jax.random, jjnp)
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-5)
    assert got_losses[-1] < got_losses[0]
    assert_close(got_params, want_params, rtol=1e-4, atol=1e-6)
