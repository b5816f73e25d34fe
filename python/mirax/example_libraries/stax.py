"""jax.example_libraries.stax: neural network layers as pairs of pure functions.

A layer is (init_fun, apply_fun): init_fun(rng, input_shape) -> (output_shape,
params), apply_fun(params, inputs, **kwargs) -> outputs. Combinators (serial,
parallel, FanOut, ...) build layers from layers.
"""
import functools
import math

import numpy as np

from mirax import lax
from mirax import numpy as jnp
from mirax import random
from mirax.nn import elu, gelu, leaky_relu, log_softmax, relu, selu, sigmoid, softmax, softplus, standardize
from mirax.nn.initializers import glorot_normal, normal, ones, zeros

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax


def Dense(out_dim, W_init=glorot_normal(), b_init=normal()):
    """A fully connected layer: inputs @ W + b."""
    def init_fun(rng, input_shape):
        output_shape = input_shape[:-1] + (out_dim,)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,)))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return jnp.dot(inputs, W) + b

    return init_fun, apply_fun


def _kernel_shape(dimension_numbers, out_chan, filter_shape, input_shape):
    """The kernel's shape in rhs_spec's order: O is out_chan, I the input's channels,
    the spatial dimensions filter_shape's in order."""
    lhs_spec, rhs_spec, _ = dimension_numbers
    spatial = iter(filter_shape)
    return [out_chan if c == "O" else input_shape[lhs_spec.index("C")] if c == "I" else next(spatial)
            for c in rhs_spec]


def _conv_layer(conv, output_shape):
    """GeneralConv and GeneralConvTranspose: conv(inputs, W, strides, padding, dimension_numbers) + b,
    W drawn by W_init (default glorot normal over the kernel's I and O axes), b of shape 1
    but for out_spec's C."""
    def layer(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID", W_init=None,
              b_init=normal(1e-6)):
        _, rhs_spec, out_spec = dimension_numbers
        strides = strides or (1,) * len(filter_shape)
        W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

        def init_fun(rng, input_shape):
            kernel_shape = _kernel_shape(dimension_numbers, out_chan, filter_shape, input_shape)
            bias_shape = [out_chan if c == "C" else 1 for c in out_spec]
            k1, k2 = random.split(rng)
            return (output_shape(input_shape, kernel_shape, strides, padding, dimension_numbers),
                    (W_init(k1, kernel_shape), b_init(k2, bias_shape)))

        def apply_fun(params, inputs, **kwargs):
            W, b = params
            return conv(inputs, W, strides, padding, dimension_numbers) + b

        return init_fun, apply_fun

    return layer


GeneralConv = _conv_layer(
    lambda x, W, strides, padding, dn: lax.conv_general_dilated(
        x, W, strides, padding, (1,) * len(strides), (1,) * len(strides), dimension_numbers=dn),
    lax.conv_general_shape_tuple)
GeneralConvTranspose = _conv_layer(
    lambda x, W, strides, padding, dn: lax.conv_transpose(x, W, strides, padding, dimension_numbers=dn),
    lax.conv_transpose_shape_tuple)
GeneralConv.__name__, GeneralConvTranspose.__name__ = "GeneralConv", "GeneralConvTranspose"
Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))
ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))


def _pooling_layer(reducer, init_value, normalize=False):
    """MaxPool, SumPool and AvgPool: lax.reduce_window over the spatial axes (all but
    spec's N and C; without spec, all but the first and last), AvgPool dividing each
    window's sum by the number of its elements inside the (unpadded) input."""
    def layer(window_shape, strides=None, padding="VALID", spec=None):
        strides = strides or (1,) * len(window_shape)
        non_spatial = (0, len(window_shape) + 1) if spec is None else (spec.index("N"), spec.index("C"))
        window, window_strides = tuple(window_shape), tuple(strides)
        for i in sorted(non_spatial):
            window, window_strides = window[:i] + (1,) + window[i:], window_strides[:i] + (1,) + window_strides[i:]

        def init_fun(rng, input_shape):
            pads = lax.padtype_to_pads(input_shape, window, window_strides, padding)
            ones = (1,) * len(window)
            return lax.reduce_window_shape_tuple(input_shape, window, window_strides, pads, ones, ones), ()

        def apply_fun(params, inputs, **kwargs):
            out = lax.reduce_window(inputs, init_value, reducer, window, window_strides, padding)
            if not normalize:
                return out
            spatial = [d for i, d in enumerate(inputs.shape) if i not in non_spatial]
            sizes = lax.reduce_window(jnp.ones(spatial, inputs.dtype), 0.0, lax.add, tuple(window_shape),
                                      tuple(strides), padding)
            return out / jnp.expand_dims(sizes, sorted(non_spatial))

        return init_fun, apply_fun

    return layer


MaxPool = _pooling_layer(lax.max, -jnp.inf)
SumPool = _pooling_layer(lax.add, 0.0)
AvgPool = _pooling_layer(lax.add, 0.0, normalize=True)


def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True, beta_init=zeros, gamma_init=ones):
    """Standardization over `axis` (the batch statistics), then gamma * z + beta with
    gamma and beta over the other axes."""
    axis = (axis,) if np.ndim(axis) == 0 else axis

    def init_fun(rng, input_shape):
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        expand = tuple(None if i in axis else slice(None) for i in range(jnp.ndim(x)))
        z = standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[expand] * z + beta[expand]
        if center:
            return z + beta[expand]
        if scale:
            return gamma[expand] * z
        return z

    return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
    """A layer without parameters applying fun(inputs, **fun_kwargs)."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(jnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(jnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _flatten_layer():
    """Flatten: every axis but the first (the batch) into one."""
    def init_fun(rng, input_shape):
        return (input_shape[0], math.prod(input_shape[1:])), ()

    def apply_fun(params, inputs, **kwargs):
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    return init_fun, apply_fun


def _identity_layer():
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return inputs

    return init_fun, apply_fun


def _fan_in_sum_layer():
    """The sum of a list of inputs."""
    def init_fun(rng, input_shape):
        return input_shape[0], ()

    def apply_fun(params, inputs, **kwargs):
        return sum(inputs)

    return init_fun, apply_fun


# As JAX, these three are layers themselves, not layer constructors.
Flatten = _flatten_layer()
Identity = _identity_layer()
FanInSum = _fan_in_sum_layer()


def FanOut(num):
    """`num` copies of the input, as a list."""
    def init_fun(rng, input_shape):
        return [input_shape] * num, ()

    def apply_fun(params, inputs, **kwargs):
        return [inputs] * num

    return init_fun, apply_fun


def FanInConcat(axis=-1):
    """A list of inputs concatenated along `axis`."""
    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        concat_size = sum(shape[ax] for shape in input_shape)
        return input_shape[0][:ax] + (concat_size,) + input_shape[0][ax + 1:], ()

    def apply_fun(params, inputs, **kwargs):
        return jnp.concatenate(inputs, axis)

    return init_fun, apply_fun


def Dropout(rate, mode="train"):
    """In mode "train", keeps each input with probability `rate`, scaled by 1 / rate
    (`rate` is the keep probability, as in JAX); other modes pass inputs through.
    apply_fun needs rng=key."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError("Dropout layer requires apply_fun to be called with a PRNG key argument. That is, "
                             "instead of `apply_fun(params, inputs)`, call it like `apply_fun(params, inputs, rng)` "
                             "where `rng` is a PRNG key (e.g. from `jax.random.key`).")
        if mode == "train":
            keep = random.bernoulli(rng, rate, inputs.shape)
            return jnp.where(keep, inputs / rate, 0)
        return inputs

    return init_fun, apply_fun


def serial(*layers):
    """The layers one after the other; each gets its own split of the rng."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        for fun, param, layer_rng in zip(apply_funs, params, rngs, strict=True):
            inputs = fun(param, inputs, rng=layer_rng, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers):
    """The layers side by side, the i-th on the i-th of a sequence of inputs."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        rngs = random.split(rng, nlayers)
        return zip(*[init(layer_rng, shape) for init, layer_rng, shape in zip(init_funs, rngs, input_shape,
                                                                               strict=True)], strict=True)

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        return [f(p, x, rng=r, **kwargs) for f, p, x, r in zip(apply_funs, params, inputs, rngs, strict=True)]

    return init_fun, apply_fun


def shape_dependent(make_layer):
    """A layer made by make_layer(input_shape) for each input shape."""
    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)

    return init_fun, apply_fun
