"""lax.conv_general_dilated (dialect/convolution.py) and its wrappers against
jax.lax: a table of layouts, strides, paddings, dilations and groups, eagerly and
under jit, in every dtype family, differentiated (check_grads to order 2, and JAX's
gradients), under vmap (the batching rule's branches) and the errors JAX raises."""
import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
import mirax.numpy as mjnp
from mirax import lax as mlax
from mirax.config import config
from mirax.test_util import check_grads
from oracle import assert_close, check, check_vmap, rand, run_both

# Convolutions sum in another order than XLA (and XLA:CPU computes half precisions
# through f32 as mirax does, but rounds its f32 sums differently).
TOL = {"f2": 2e-3, "f4": 2e-5, "c8": 2e-5, "f8": 1e-12, "c16": 1e-12, "V2": 1e-2}
NHWC = ("NHWC", "HWIO", "NHWC")

# name -> (lhs shape, rhs shape, conv_general_dilated keyword arguments)
CASES = {
    "nchw_valid": ((2, 3, 6, 5), (4, 3, 3, 2), dict(window_strides=(1, 1), padding="VALID")),
    "nchw_same_strided": ((2, 3, 7, 6), (4, 3, 3, 3), dict(window_strides=(2, 3), padding="SAME")),
    "same_lower": ((1, 2, 6, 5), (3, 2, 2, 4), dict(window_strides=(1, 2), padding="SAME_LOWER")),
    "nhwc_hwio": ((2, 6, 5, 3), (3, 2, 3, 4), dict(window_strides=(1, 1), padding="SAME", dimension_numbers=NHWC)),
    "mixed_layouts": ((2, 5, 3, 6), (3, 4, 2, 3), dict(window_strides=(2, 1), padding=((1, 0), (0, 2)),
                                                       dimension_numbers=("NWCH", "OHWI", "HCNW"))),
    "negative_pads": ((1, 2, 8, 7), (3, 2, 3, 2), dict(window_strides=(1, 2), padding=((-2, 1), (2, -3)))),
    "dilations": ((2, 2, 7, 6), (3, 2, 2, 3), dict(window_strides=(1, 1), padding=((1, 2), (0, 1)),
                                                   lhs_dilation=(2, 1), rhs_dilation=(1, 2))),
    "feature_groups": ((2, 6, 5, 5), (4, 3, 3, 2), dict(window_strides=(1, 1), padding="SAME",
                                                        feature_group_count=2)),
    "depthwise_nhwc": ((1, 5, 6, 4), (3, 3, 1, 8), dict(window_strides=(2, 1), padding="SAME",
                                                        dimension_numbers=NHWC, feature_group_count=4)),
    "batch_groups": ((4, 3, 5, 4), (6, 3, 2, 2), dict(window_strides=(1, 1), padding="VALID", batch_group_count=2)),
    "conv_1d": ((2, 3, 9), (4, 3, 3), dict(window_strides=(2,), padding="SAME", rhs_dilation=(2,))),
    "conv_1d_nwc": ((2, 9, 3), (3, 3, 4), dict(window_strides=(1,), padding=((2, 1),),
                                              dimension_numbers=("NWC", "WIO", "NWC"))),
    "conv_3d": ((1, 2, 4, 5, 3), (2, 2, 2, 3, 2), dict(window_strides=(1, 2, 1), padding="SAME")),
    "long_contraction": ((1, 40, 6, 6), (4, 40, 3, 3), dict(window_strides=(1, 1), padding="SAME")),
    "empty_window": ((1, 2, 2, 3), (3, 2, 4, 1), dict(window_strides=(1, 1), padding="VALID")),
    "empty_features": ((2, 0, 4, 4), (3, 0, 2, 2), dict(window_strides=(1, 1), padding="VALID")),
    "all_padding": ((1, 2, 0, 3), (3, 2, 1, 2), dict(window_strides=(1, 1), padding=((1, 1), (0, 0)))),
}


def conv(lax, x, w, kwargs):
    return lax.conv_general_dilated(x, w, **kwargs)


# Eagerly (op by op, every case compiling its own program) on a few of the cases.
EAGER = ["nchw_same_strided", "mixed_layouts", "dilations", "batch_groups", "empty_features"]


@pytest.mark.parametrize("name, jit", [(name, True) for name in CASES] + [(name, False) for name in EAGER])
def test_values(name, jit):
    lhs, rhs, kwargs = CASES[name]
    inputs = [rand(lhs, np.float32, 1), rand(rhs, np.float32, 2)]
    run_both(lambda lax, x, w: conv(lax, x, w, kwargs), inputs, jit, (jlax,), (mlax,), TOL)


DTYPE_CASES = ["feature_groups", "batch_groups", "long_contraction"]
DTYPES = [np.float16, ml_dtypes.bfloat16, np.int8, np.uint8, np.bool_, np.complex64]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", DTYPE_CASES)
def test_dtypes(name, dtype):
    lhs, rhs, kwargs = CASES[name]
    inputs = [rand(lhs, dtype, 1), rand(rhs, dtype, 2)]
    run_both(lambda lax, x, w: conv(lax, x, w, kwargs), inputs, True, (jlax,), (mlax,), TOL)


@pytest.mark.parametrize("name", ["nchw_same_strided", "batch_groups"])
def test_float64(name, x64):
    lhs, rhs, kwargs = CASES[name]
    inputs = [rand(lhs, np.float64, 1), rand(rhs, np.float64, 2)]
    run_both(lambda lax, x, w: conv(lax, x, w, kwargs), inputs, False, (jlax,), (mlax,), TOL)


@pytest.mark.parametrize("dtype, preferred", [(np.int8, np.int32), (ml_dtypes.bfloat16, np.float32),
                                              (np.int16, np.float32), (np.uint8, np.uint16)], ids=str)
def test_preferred_element_type(dtype, preferred):
    lhs, rhs, kwargs = CASES["nhwc_hwio"]
    inputs = [rand(lhs, dtype, 1), rand(rhs, dtype, 2)]
    run_both(lambda lax, x, w: conv(lax, x, w, dict(kwargs, preferred_element_type=preferred)), inputs, True,
             (jlax,), (mlax,), TOL)


def test_wrappers_and_weak_type():
    x, w = rand((2, 3, 7, 6), np.float32, 1), rand((4, 3, 3, 2), np.float32, 2)
    for fn in (lambda lax: lax.conv(x, w, (1, 2), "SAME"),
               lambda lax: lax.conv_with_general_padding(x, w, (2, 1), ((1, 0), (0, 1)), (1, 2), (2, 1)),
               lambda lax: lax.conv_general_dilated(x, w, [1, 1], [[1, 1], [0, 0]], precision="highest"),
               lambda lax: lax.conv(x, w, (1, 1), "VALID", precision=("bfloat16", "float32"))):
        check(fn(mlax), fn(jlax), tolerance=TOL)
    with pytest.raises(NotImplementedError, match="precision"):
        mlax.conv(x, w, (1, 1), "SAME", precision="BF16_BF16_F32")
    got = mlax.conv(mjnp.ones((1, 1, 3, 3)) * 2.0, mjnp.ones((1, 1, 2, 2)), (1, 1), "VALID")
    want = jlax.conv(jjnp.ones((1, 1, 3, 3)) * 2.0, jjnp.ones((1, 1, 2, 2)), (1, 1), "VALID")
    assert got.weak_type == want.weak_type


@pytest.mark.parametrize("kwargs", [
    dict(strides=(2, 2), padding="SAME"),
    dict(strides=(2, 1), padding="VALID", transpose_kernel=True),
    dict(strides=(1, 2), padding=((1, 2), (0, 1)), rhs_dilation=(2, 1)),
    dict(strides=(2, 2), padding=((1, 1), (2, 0)), use_consistent_padding=True),
    dict(strides=(3, 1), padding="SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"), transpose_kernel=True),
], ids=str)
def test_conv_transpose(kwargs):
    x, w = rand((2, 5, 4, 3), np.float32, 1), rand((3, 2, 3, 3), np.float32, 2)
    if kwargs.get("dimension_numbers"):
        x, w = rand((2, 3, 5, 4), np.float32, 1), rand((3, 3, 3, 2), np.float32, 2)
    check(mlax.conv_transpose(x, w, **kwargs), jlax.conv_transpose(x, w, **kwargs), tolerance=TOL)


def test_conv_transpose_errors():
    for lax in (jlax, mlax):
        with pytest.raises(AssertionError):
            lax.conv_transpose(np.ones((2, 3, 4)), np.ones((3, 3)), (1,), "SAME")
        with pytest.raises(ValueError, match="No 4\\+ dimensional dimension_number defaults"):
            lax.conv_transpose(np.ones((1,) * 6), np.ones((1,) * 6), (1,) * 4, "SAME")


@pytest.mark.parametrize("lhs, filter_shape, kwargs", [
    ((2, 3, 6, 5), (3, 2), dict(window_strides=(1, 2), padding="SAME")),
    ((1, 5, 6, 2), (2, 2), dict(window_strides=(2, 1), padding="VALID", rhs_dilation=(1, 2),
                                dimension_numbers=("NHWC", "OIHW", "NCHW"))),
], ids=str)
def test_patches(lhs, filter_shape, kwargs):
    x = rand(lhs, np.float32, 1)
    check(mlax.conv_general_dilated_patches(x, filter_shape, **kwargs),
          jlax.conv_general_dilated_patches(x, filter_shape, **kwargs), tolerance=TOL)


def test_dimension_numbers_and_pads():
    for spec in (None, ("NCHW", "OIHW", "NCHW"), NHWC, ("NWCH", "OHWI", "HCNW")):
        assert tuple(mlax.conv_dimension_numbers((1, 2, 3, 4), (5, 6, 7, 8), spec)) == tuple(
            jlax.conv_dimension_numbers((1, 2, 3, 4), (5, 6, 7, 8), spec))
    dn = mlax.ConvDimensionNumbers((0, 1, 2), (1, 0, 2), (0, 1, 2))
    assert mlax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), dn) is dn
    for padding in ("SAME", "SAME_LOWER", "VALID", "same"):
        assert mlax.padtype_to_pads((7, 8), (3, 4), (2, 3), padding) == jlax.padtype_to_pads(
            (7, 8), (3, 4), (2, 3), padding)
    for fn, args in [("conv_shape_tuple", ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), "SAME")),
                     ("conv_shape_tuple", ((4, 3, 7, 6), (4, 3, 3, 2), (2, 1), ((1, 0), (2, -1)), 2)),
                     ("conv_general_shape_tuple", ((2, 7, 6, 3), (3, 2, 3, 4), (2, 1), "VALID", NHWC)),
                     ("conv_transpose_shape_tuple", ((2, 7, 6, 3), (3, 2, 3, 4), (2, 3), "SAME", NHWC)),
                     ("conv_transpose_shape_tuple", ((2, 7, 6, 3), (3, 2, 3, 4), (2, 3), ((1, 0), (0, 2)), NHWC))]:
        assert getattr(mlax, fn)(*args) == tuple(int(d) for d in getattr(jlax, fn)(*args)), fn


# ----------------------------------------------------------------------------- derivatives

GRAD_CASES = ["nchw_same_strided", "mixed_layouts", "negative_pads", "dilations", "feature_groups",
              "depthwise_nhwc", "batch_groups", "conv_1d", "conv_3d"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_grads_against_jax(name):
    lhs, rhs, kwargs = CASES[name]
    x, w = rand(lhs, np.float32, 1), rand(rhs, np.float32, 2)

    def loss(lax, np_, a, b):
        return np_.sum(np_.sin(conv(lax, a, b, kwargs)))

    got = mirax.jit(mirax.grad(lambda a, b: loss(mlax, mjnp, a, b), argnums=(0, 1)))(x, w)
    want = jax.grad(lambda a, b: loss(jlax, jjnp, a, b), argnums=(0, 1))(x, w)
    assert_close(got, want, rtol=1e-4, atol=1e-4)


# The lowering that gathers patches a chunk at a time (patches over PATCH_CHUNK_BYTES,
# lowered here to 16,000 so that small shapes take it): layouts with the batch outermost
# or not, strides, negative padding and both dilations; forward and both gradients.
CHUNKED = {
    "nchw_same": ((4, 3, 8, 8), (5, 3, 3, 3), dict(window_strides=(1, 1), padding="SAME")),
    "negative_pads": ((4, 3, 9, 10), (5, 3, 3, 3), dict(window_strides=(1, 1), padding=((-1, 2), (1, -3)))),
    "nhwc_strided": ((4, 16, 16, 3), (3, 3, 3, 5), dict(window_strides=(2, 2), padding="SAME", dimension_numbers=NHWC)),
    "chwn_input": ((3, 8, 8, 4), (5, 3, 3, 3), dict(window_strides=(1, 1), padding="SAME",
                                                    dimension_numbers=("CHWN", "OIHW", "NCHW"))),
    "rhs_dilation_cnhw_out": ((4, 3, 8, 8), (5, 3, 3, 3), dict(window_strides=(1, 1), padding="SAME",
                                                               rhs_dilation=(2, 2),
                                                               dimension_numbers=("NCHW", "OIHW", "CNHW"))),
    "lhs_dilation": ((4, 3, 4, 4), (5, 3, 3, 3), dict(window_strides=(1, 1), padding=((1, 2), (1, 2)),
                                                      lhs_dilation=(2, 2))),
    "long_kernel_gradient": ((8, 4, 24, 24), (3, 4, 3, 3), dict(window_strides=(1, 1), padding="SAME")),
}


@pytest.mark.parametrize("name", CHUNKED)
def test_chunked_patches_against_jax(name, monkeypatch):
    from mirax.dialect import convolution
    monkeypatch.setattr(convolution, "PATCH_CHUNK_BYTES", 16000)
    # (programs are cached by their mirax text, which does not say the chunks' size)
    monkeypatch.setitem(config._values, "mirax_compilation_cache_dir", "")
    lhs, rhs, kwargs = CHUNKED[name]
    x, w = rand(lhs, np.float32, 1), rand(rhs, np.float32, 2)

    def loss(lax, np_, a, b):
        return np_.sum(np_.sin(conv(lax, a, b, kwargs)))

    assert_close(mirax.jit(lambda a, b: conv(mlax, a, b, kwargs))(x, w), conv(jlax, x, w, kwargs),
                 rtol=1e-5, atol=1e-5)
    got = mirax.jit(mirax.grad(lambda a, b: loss(mlax, mjnp, a, b), argnums=(0, 1)))(x, w)
    want = jax.grad(lambda a, b: loss(jlax, jjnp, a, b), argnums=(0, 1))(x, w)
    assert_close(got, want, rtol=1e-4, atol=1e-4)


# Both transpose rules' group handling and the dilations; each check compiles many
# programs, so fewer cases.
@pytest.mark.parametrize("name", ["dilations", "depthwise_nhwc", "batch_groups"])
def test_check_grads(name):
    lhs, rhs, kwargs = CASES[name]
    x, w = rand(lhs, np.float32, 1), rand(rhs, np.float32, 2)
    check_grads(lambda a, b: conv(mlax, a, b, kwargs), (x, w), order=2, modes=("fwd", "rev"))


# ----------------------------------------------------------------------------- vmap

# (case, in_axes): each operand batched alone and both, at several positions; with
# feature and batch groups, whose rule branches differ.
VMAP_CASES = [
    ("nchw_same_strided", (0, None)), ("nchw_same_strided", (None, 2)), ("nchw_same_strided", (4, 1)),
    ("mixed_layouts", (2, 0)),
    ("feature_groups", (1, None)), ("feature_groups", (None, 0)), ("feature_groups", (0, 3)),
    ("batch_groups", (3, None)), ("batch_groups", (None, 1)), ("batch_groups", (0, 0)),
    ("conv_1d", (1, 2)),
]


@pytest.mark.parametrize("name, in_axes", VMAP_CASES, ids=str)
def test_vmap(name, in_axes):
    lhs, rhs, kwargs = CASES[name]
    shapes = []
    for shape, axis in zip((lhs, rhs), in_axes, strict=True):
        shape = list(shape)
        if axis is not None:
            shape.insert(axis, 3)
        shapes.append(tuple(shape))
    inputs = [rand(shapes[0], np.float32, 1), rand(shapes[1], np.float32, 2)]
    check_vmap(lambda lax, x, w: conv(lax, x, w, kwargs), inputs, in_axes, tolerance=TOL)


def test_vmap_empty_batch():
    lhs, rhs, kwargs = CASES["feature_groups"]
    x, w = rand((0,) + lhs, np.float32, 1), rand(rhs, np.float32, 2)
    got = mirax.vmap(lambda a: conv(mlax, a, w, kwargs))(x)
    check(got, jax.vmap(lambda a: conv(jlax, a, w, kwargs))(x))


# ----------------------------------------------------------------------------- errors


def _args(lhs=(1, 4, 5, 5), rhs=(6, 4, 3, 3), lhs_dtype=np.float32, rhs_dtype=np.float32):
    return np.ones(lhs, lhs_dtype), np.ones(rhs, rhs_dtype)


ERRORS = [
    (_args(rhs_dtype=np.int32), dict(window_strides=(1, 1), padding="VALID")),
    (_args(), dict(window_strides=(1, 1), padding="VALID", feature_group_count=3)),
    (_args(), dict(window_strides=(1, 1), padding="VALID", feature_group_count=2)),
    (_args(rhs=(6, 2, 3, 3)), dict(window_strides=(1, 1), padding="VALID", feature_group_count=2,
                                   batch_group_count=2)),
    (_args(), dict(window_strides=(1, 1), padding="VALID", feature_group_count=0)),
    (_args(), dict(window_strides=(1, 1), padding="VALID", batch_group_count=4)),
    (_args(), dict(window_strides=(1, 1), padding="VALID", batch_group_count=3)),
    (_args(), dict(window_strides=(1,), padding="VALID")),
    (_args(), dict(window_strides=(1, 1), padding=((0, 0),))),
    (_args(), dict(window_strides=(1, 1), padding="FULL")),
    (_args(), dict(window_strides=(1, 1), padding="SAME", lhs_dilation=(2, 1))),
    (_args(), dict(window_strides=(1, 1), padding=(1, 2))),
    (_args(), dict(window_strides=(1, 1), padding="VALID", rhs_dilation=(0, 1))),
    (_args(rhs=(6, 4, 3)), dict(window_strides=(1, 1), padding="VALID")),
    (_args(), dict(window_strides=(1, 1), padding="VALID", dimension_numbers=("NCHW", "OIHW"))),
    (_args(), dict(window_strides=(1, 1), padding="VALID", dimension_numbers=("NCHW", "OIHW", "NCH"))),
    (_args(), dict(window_strides=(1, 1), padding="VALID", dimension_numbers=("NCHW", "OIHH", "NCHW"))),
    (_args(), dict(window_strides=(1, 1), padding="VALID", dimension_numbers=("NCHW", "OIHW", "NCHX"))),
    (_args(), dict(window_strides=(1, 1), padding="VALID", dimension_numbers="NCHW")),
    (_args(), dict(window_strides=(1, 1), padding="VALID", preferred_element_type=np.int32)),
    (_args(lhs_dtype=np.int32, rhs_dtype=np.int32), dict(window_strides=(1, 1), padding="VALID",
                                                          preferred_element_type=np.int8)),
    (_args(lhs_dtype=np.int32, rhs_dtype=np.int32), dict(window_strides=(1, 1), padding="VALID",
                                                          preferred_element_type=np.uint32)),
]


@pytest.mark.parametrize("args, kwargs", ERRORS, ids=lambda v: str(v)[:60])
def test_errors(args, kwargs):
    with pytest.raises(Exception) as want:
        jlax.conv_general_dilated(*args, **kwargs)
    with pytest.raises(want.type) as got:
        mlax.conv_general_dilated(*args, **kwargs)
    assert str(got.value) == str(want.value)


def test_negative_padding_error():
    x, w = _args()
    with pytest.raises(ValueError, match="Negative padding is larger than the size of the corresponding dimension"):
        jlax.conv_general_dilated(x, w, (1, 1), ((-6, 0), (0, 0)))
    with pytest.raises(ValueError, match="Negative padding is larger than the size of the corresponding dimension"):
        mlax.conv_general_dilated(x, w, (1, 1), ((-6, 0), (0, 0)))


# ----------------------------------------------------------------------------- jnp and jax.scipy.signal

import jax.scipy.signal as jsignal  # noqa: E402

import mirax.scipy.signal as msignal  # noqa: E402

# (a, b): a longer, b longer (operands swap), integers (promoted to float), complex.
PAIRS_1D = [((7,), (3,), np.float32), ((3,), (6,), np.float32), ((5,), (5,), np.int32), ((6,), (4,), np.complex64)]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_numpy_convolve(fn, mode):
    for a, b, dtype in PAIRS_1D:
        inputs = [rand(a, dtype, 1), rand(b, dtype, 2)]
        run_both(lambda np_, x, y: getattr(np_, fn)(x, y, mode), inputs, False, tolerance=TOL)


def test_numpy_convolve_preferred_and_errors():
    x, y = np.arange(5, dtype=np.int8), np.arange(3, dtype=np.int8)
    check(mjnp.convolve(x, y, preferred_element_type=np.int32), jjnp.convolve(x, y, preferred_element_type=np.int32))
    for args, kwargs in [((np.ones((2, 2)), y), {}), ((np.ones(0), y), {}), ((x, y), dict(mode="other"))]:
        with pytest.raises(Exception) as want:
            jjnp.correlate(*args, **kwargs)
        with pytest.raises(want.type) as got:
            mjnp.correlate(*args, **kwargs)
        assert str(got.value).split("\n")[0] == str(want.value)  # mirax.numpy adds the source line
    with pytest.raises(TypeError, match="correlate requires ndarray or scalar arguments"):
        mjnp.correlate([1, 2], y)


SIGNAL_PAIRS = [((7,), (3,), np.float32), ((2, 3), (5, 6), np.float32), ((3, 4), (3, 4), np.int32),
                ((3, 4), (2, 2), np.complex64), ((3, 4, 3), (2, 2, 2), np.float32)]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_signal(fn, mode):
    for a, b, dtype in SIGNAL_PAIRS:
        if fn.endswith("2d") and len(a) != 2:
            continue
        inputs = [rand(a, dtype, 1), rand(b, dtype, 2)]
        run_both(lambda signal, x, y: getattr(signal, fn)(x, y, mode), inputs, False, (jsignal,), (msignal,), TOL)


def test_signal_errors():
    x, y = np.ones((4, 3), np.float32), np.ones((2, 5), np.float32)
    for fn, args, kwargs in [("convolve", (x, y), {}), ("convolve", (x, np.ones(3)), {}),
                             ("convolve", (x, x), dict(mode="other")), ("convolve", (x, x), dict(method="other")),
                             ("convolve2d", (x, x), dict(boundary="wrap")), ("correlate2d", (x, np.ones(3)), {}),
                             ("correlate", (x, np.ones((0, 2))), {})]:
        with pytest.raises(Exception) as want:
            getattr(jsignal, fn)(*args, **kwargs)
        with pytest.raises(want.type) as got:
            getattr(msignal, fn)(*args, **kwargs)
        assert str(got.value) == str(want.value)


LOCAL_CASES = {  # lhs shape, filter shape, output features, conv_general_dilated_local's other arguments
    "nchw_same_strided": ((2, 3, 6, 5), (3, 2), 4, dict(window_strides=(1, 2), padding="SAME")),
    "nhwc_hwio_dilated": ((2, 6, 5, 3), (2, 2), 2, dict(window_strides=(2, 1), padding="VALID", rhs_dilation=(1, 2),
                                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    "mixed_lhs_dilated": ((1, 3, 5, 4), (2, 3), 3, dict(window_strides=(1, 1), padding=((1, 0), (0, 2)),
                                                        lhs_dilation=(2, 1), dimension_numbers=("NCHW", "OIHW", "NHWC"))),
}


def _local_inputs(name):
    """lhs and an rhs laid out by the kernel spec: O, I (features x window), and the
    output's spatial sizes (taken from the patches' shape)."""
    lhs_shape, filter_shape, features, kwargs = LOCAL_CASES[name]
    patches = jlax.conv_general_dilated_patches(np.zeros(lhs_shape, np.float32), filter_shape, **kwargs)
    dn = jlax.conv_dimension_numbers(lhs_shape, (1, 1) + filter_shape, kwargs.get("dimension_numbers"))
    sizes = {dn.rhs_spec[0]: features, dn.rhs_spec[1]: patches.shape[dn.out_spec[1]]}
    sizes.update({r: patches.shape[o] for r, o in zip(dn.rhs_spec[2:], dn.out_spec[2:], strict=True)})
    return rand(lhs_shape, np.float32, 1), rand(tuple(sizes[d] for d in range(len(lhs_shape))), np.float32, 2)


def _local(lax, name):
    _, filter_shape, _, kwargs = LOCAL_CASES[name]
    return lambda x, w: lax.conv_general_dilated_local(x, w, filter_shape=filter_shape, **kwargs)


@pytest.mark.parametrize("name", LOCAL_CASES)
def test_conv_general_dilated_local(name):
    """An unshared convolution against JAX's: eagerly, under jit, its derivatives (to
    order 2 for the first case: each order compiles a larger program) and under vmap
    against a loop."""
    x, w = _local_inputs(name)
    want = _local(jlax, name)(x, w)
    check(_local(mlax, name)(x, w), want, tolerance=TOL)
    check(mirax.jit(_local(mlax, name))(x, w), want, tolerance=TOL)
    check_grads(_local(mlax, name), (x, w), order=2 if name == "nchw_same_strided" else 1, modes=("fwd", "rev"),
                atol=2e-2, rtol=2e-2)
    check_vmap(lambda lax, x, w: _local(lax, name)(x, w), [np.stack([x, x * 2]), w], (0, None), tolerance=TOL)
