"""Programs after JAX's documentation pages (pytrees, debugging, external callbacks,
gradient checkpointing, ahead-of-time lowering, jaxprs, the sharp bits, convolutions), each run
unchanged with `jax` and with `mirax` in its place: they must print the same."""
import functools

import jax
import jax.experimental
import jax.experimental.checkify
import numpy as np
import pytest

import mirax
import mirax.experimental
import mirax.experimental.checkify


def pytrees(jax):
    """Pytrees: leaves, tree_map over several trees, custom nodes, key paths."""
    example_trees = [[1, "a", object()], (1, (2, 3), ()), [1, {"k1": 2, "k2": (3, 4)}, 5], {"a": 2, "b": (2, 3)},
                     jax.numpy.array([1, 2, 3])]
    for pytree in example_trees[1:]:
        leaves = jax.tree.leaves(pytree)
        print(f"{repr(pytree):<45} has {len(leaves)} leaves: {leaves}")
    list_of_lists = [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
    print(jax.tree.map(lambda x: x * 2, list_of_lists))
    print(jax.tree.map(lambda x, y: x + y, list_of_lists, list_of_lists))

    class MyContainer:
        def __init__(self, name, a, b, c):
            self.name, self.a, self.b, self.c = name, a, b, c

    jax.tree_util.register_pytree_node(MyContainer, lambda xs: ((xs.a, xs.b, xs.c), xs.name),
                                       lambda name, children: MyContainer(name, *children))
    containers = [MyContainer("Alice", 1, 2, 3), MyContainer("Bob", 4, 5, 6)]
    print(jax.tree.leaves(containers))
    print([c.a for c in jax.tree.map(lambda x: x + 1, containers)])
    tree = [1, {"k1": 2, "k2": (3, 4)}, 5]
    for key_path, value in jax.tree_util.tree_flatten_with_path(tree)[0]:
        print(f"Value of tree{jax.tree_util.keystr(key_path)}: {value}")
    print(jax.tree.structure([None, (1, None)]))
    print(jax.tree.transpose(jax.tree.structure([0, 0]), jax.tree.structure((0, 0)), [(1, 2), (3, 4)]))


def debug_print(jax):
    """Debugging: debug.print in jit, vmap and grad, and ordered prints."""
    jnp = jax.numpy

    @jax.jit
    def f(x):
        jax.debug.print("jax.debug.print(x) -> {x}", x=x)
        y = jnp.sin(x)
        jax.debug.print("jax.debug.print(y) -> {y}", y=y)
        return y

    print(f(2.0))
    xs = jnp.arange(3.0)
    jax.vmap(lambda x: jax.debug.print("x: {}", x))(xs)
    print(jax.grad(lambda x: (jax.debug.print("x: {}", x), x ** 2)[1])(1.0))

    @jax.jit
    def g(x):
        jax.debug.print("first {}", x, ordered=True)
        jax.debug.print("second {}", x + 1, ordered=True)
        return x

    g(jnp.ones(2))


def checkify(jax):
    """Debugging: checkify's user checks and automatic checks."""
    checkify = jax.experimental.checkify
    jnp = jax.numpy

    def f(x, i):
        checkify.check(i >= 0, "index needs to be non-negative, got {i}", i=i)
        y = x[i]
        z = jnp.sin(y)
        return z

    checked_f = checkify.checkify(f)
    err, z = checked_f(jnp.ones((5,)), jnp.int32(-1))
    print(err.get())
    err, z = jax.jit(checked_f)(jnp.ones((5,)), jnp.int32(2))
    print(err.get(), jnp.round(z, 5))
    errors = checkify.user_checks | checkify.index_checks | checkify.float_checks
    checked = checkify.checkify(lambda x, i: jnp.log(x[i]), errors=errors)
    for args in ((jnp.ones(3), jnp.int32(5)), (-jnp.ones(3), jnp.int32(0))):
        err, _ = checked(*args)
        print(err.get() is not None)


def debug_nans(jax):
    """Debugging: jax_debug_nans raises FloatingPointError where a NaN appears."""
    jnp = jax.numpy
    jax.config.update("jax_debug_nans", True)
    try:
        jnp.divide(0.0, 0.0)
    except FloatingPointError as err:
        print(type(err).__name__)
    finally:
        jax.config.update("jax_debug_nans", False)
    print(jnp.divide(0.0, 0.0))


def external_callbacks(jax):
    """External callbacks: pure_callback (vectorized under vmap), io_callback, debug.callback."""
    jnp = jax.numpy

    def f_host(x):
        return np.sin(x)

    def f(x):
        result_shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
        return jax.pure_callback(f_host, result_shape, x, vmap_method="sequential")

    x = jnp.arange(5.0)
    print(f(x))
    print(jax.jit(f)(x))
    print(jax.vmap(f)(x))

    def host_side_random_like(x):
        return np.random.default_rng(0).normal(size=x.shape).astype(x.dtype)

    @jax.jit
    def numpy_random_like(x):
        return jax.experimental.io_callback(host_side_random_like, x, x)

    print(numpy_random_like(jnp.zeros(3)).shape)
    jax.jit(lambda x: jax.debug.callback(lambda y: print("callback saw", np.asarray(y)), x))(jnp.arange(2))


def checkpointing(jax):
    """Gradient checkpointing: the same gradients with and without remat, policies."""
    jnp = jax.numpy

    def g(W, x):
        return jnp.sin(jnp.dot(W, x))

    def f(W1, W2, W3, x):
        x = g(W1, x)
        x = g(W2, x)
        x = g(W3, x)
        return x

    W1, W2, W3 = (jnp.ones((5, 4)), jnp.ones((6, 5)), jnp.ones((7, 6)))
    x = jnp.ones(4)
    f2 = jax.checkpoint(f)
    print(jnp.allclose(jax.grad(lambda *a: f(*a).sum())(W1, W2, W3, x),
                       jax.grad(lambda *a: f2(*a).sum())(W1, W2, W3, x)))
    f3 = jax.checkpoint(f, policy=jax.checkpoint_policies.dots_with_no_batch_dims_saveable)
    print(jax.grad(lambda *a: f3(*a).sum())(W1, W2, W3, x).shape)

    @functools.partial(jax.checkpoint, static_argnums=(1,))
    def h(x, n):
        for _ in range(n):
            x = jnp.sin(x)
        return x

    print(jnp.round(jax.grad(h)(1.0, 3), 4))


def ahead_of_time(jax):
    """Ahead-of-time lowering: lower, compile, and the compiled function's types."""
    jnp = jax.numpy

    def f(x, y):
        return 2 * x + y

    x, y = 3, 4
    lowered = jax.jit(f).lower(x, y)
    compiled = lowered.compile()
    print(compiled(x, y))
    i32_scalar = jax.ShapeDtypeStruct((), jnp.dtype("int32"))
    print(jax.jit(f).lower(i32_scalar, i32_scalar).compile()(x, y))
    x_1d = y_1d = jnp.arange(3)
    print(jax.jit(f).lower(x_1d, y_1d).compile()(x_1d, y_1d))
    try:
        compiled(x_1d, y_1d)
    except TypeError as err:
        print(type(err).__name__)
    print(jax.eval_shape(f, x_1d, y_1d))


def jaxprs(jax):
    """Jaxprs: the primitives, inputs and outputs make_jaxpr gives."""
    jnp = jax.numpy

    def f(x, y):
        return jnp.sin(x) * y + 1.0

    closed = jax.make_jaxpr(f)(1.0, 2.0)
    print([eqn.primitive.name for eqn in closed.jaxpr.eqns])
    print(len(closed.jaxpr.invars), len(closed.jaxpr.outvars), closed.in_avals, closed.out_avals)


def sharp_bits(jax):
    """The sharp bits: impure functions, out-of-bounds indexing, in-place updates,
    non-array inputs, random keys, control flow under jit."""
    jnp = jax.numpy
    g = 0.0

    def impure_uses_globals(x):
        return x + g

    print(jax.jit(impure_uses_globals)(4.0))
    g = 10.0
    print(jax.jit(impure_uses_globals)(4.0))
    jax_array = jnp.zeros((3, 3), dtype=jnp.float32)
    try:
        jax_array[1, :] = 1.0
    except TypeError as err:
        print(type(err).__name__)
    print(jax_array.at[1, :].set(1.0))
    print(jnp.arange(10)[11])
    print(jnp.arange(10.0).at[11].get(mode="fill", fill_value=jnp.nan))
    try:
        jnp.sum([1, 2, 3])
    except TypeError as err:
        print(err)
    key = jax.random.key(0)
    key, subkey = jax.random.split(key)
    print(jax.random.normal(subkey, (2,)).shape)
    print(jax.jit(lambda x: jnp.where(x < 3, 3.0 * x ** 2, -4 * x))(jnp.arange(5.0)))
    try:
        jax.jit(lambda x: x if x < 3 else -x)(2.0)
    except jax.errors.TracerBoolConversionError as err:
        print(type(err).__name__)
    print(jnp.float32(1) / 3)


def convolutions(jax):
    """Convolutions: jnp.convolve smoothing, scipy.signal.convolve2d with a Gaussian
    window, and lax's general convolutions (layouts by dimension numbers, padding,
    strides, dilations, a transposed convolution, 1-D and 3-D)."""
    jnp, lax = jax.numpy, jax.lax
    rng = np.random.default_rng(1701)
    x = jnp.linspace(0, 10, 500)
    y = jnp.sin(x) + jnp.asarray(0.2 * rng.standard_normal(500), jnp.float32)
    y_smooth = jnp.convolve(y, jnp.ones(10) / 10, mode="same")
    print(y_smooth.shape, y_smooth.dtype, np.round(float(jnp.abs(y_smooth).sum()), 2))
    image = jnp.asarray(rng.random((64, 48)), jnp.float32)
    t = jnp.linspace(-3, 3, 7)
    window = jax.scipy.stats.norm.pdf(t) * jax.scipy.stats.norm.pdf(t[:, None])
    smooth = jax.scipy.signal.convolve2d(image, window, mode="same")
    print(smooth.shape, np.round(float(smooth.sum()), 2))

    kernel = jnp.zeros((3, 3, 3, 3), dtype=jnp.float32)
    kernel += jnp.array([[1, 1, 0], [1, 0, -1], [0, -1, -1]])[:, :, jnp.newaxis, jnp.newaxis]
    img = jnp.zeros((1, 200, 198, 3), dtype=jnp.float32)
    for k in range(3):
        img = img.at[0, 30 + 60 * k:40 + 60 * k, 20 + 60 * k:30 + 60 * k, k].set(1.0)
    nchw, oihw = jnp.transpose(img, [0, 3, 1, 2]), jnp.transpose(kernel, [3, 2, 0, 1])
    out = lax.conv(nchw, oihw, (1, 1), "SAME")
    print("out shape:", out.shape, "sum of squares:", float((out ** 2).sum()))
    out = lax.conv_with_general_padding(nchw, oihw, (1, 1), ((2, 2), (2, 2)), (1, 1), (1, 1))
    print("padded:", out.shape, float((out ** 2).sum()))
    dn = lax.conv_dimension_numbers(img.shape, kernel.shape, ("NHWC", "HWIO", "NHWC"))
    print(dn)
    for kwargs in ({"window_strides": (1, 1), "padding": "SAME"}, {"window_strides": (1, 1), "padding": "VALID"},
                   {"window_strides": (2, 2), "padding": "SAME"},
                   {"window_strides": (1, 1), "padding": "VALID", "rhs_dilation": (12, 12)},
                   {"window_strides": (1, 1), "padding": ((0, 0), (0, 0)), "lhs_dilation": (2, 2)}):
        out = lax.conv_general_dilated(img, kernel, dimension_numbers=dn, **kwargs)
        print(sorted(kwargs), out.shape, float((out ** 2).sum()))
    out = lax.conv_transpose(img, kernel, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    print("transposed:", out.shape, float((out ** 2).sum()))

    signal = jnp.zeros((1, 200, 1), dtype=jnp.float32).at[0, 50:60, 0].set(1.0)
    kernel_1d = jnp.array([1.0, 0.0, -1.0], jnp.float32)[:, None, None]
    dn = lax.conv_dimension_numbers(signal.shape, kernel_1d.shape, ("NWC", "WIO", "NWC"))
    out = lax.conv_general_dilated(signal, kernel_1d, (1,), "SAME", (1,), (1,), dn)
    print("1-D:", out.shape, [float(v) for v in out[0, 48:62, 0]])
    volume = jnp.zeros((1, 30, 30, 30, 1), dtype=jnp.float32).at[0, 10:20, 10:20, 10:20, 0].set(1.0)
    kernel_3d = jnp.ones((3, 3, 3, 1, 1), jnp.float32)
    dn = lax.conv_dimension_numbers(volume.shape, kernel_3d.shape, ("NHWDC", "HWDIO", "NHWDC"))
    out = lax.conv_general_dilated(volume, kernel_3d, (1, 1, 1), "SAME", (1, 1, 1), (1, 1, 1), dn)
    print("3-D:", out.shape, float(out.sum()), float(out.max()))


PAGES = [pytrees, debug_print, checkify, debug_nans, external_callbacks, checkpointing, ahead_of_time, jaxprs,
         sharp_bits, convolutions]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: getattr(page, "__name__", None))
def test_page_prints_what_jax_prints(capfd, page):
    page(jax)
    want = capfd.readouterr().out
    page(mirax)
    assert capfd.readouterr().out == want
