"""lax.fft (dialect/fft.py) and mirax.numpy.fft against JAX: every function on a table
of shapes (power-of-two, odd, prime and unit lengths, crops and zero pads, several
axes), norms and dtypes, eagerly and under jit; accuracy against NumPy in float64 at
larger sizes; derivatives (check_grads to order 2, and JAX's gradients); vmap against
a loop; and JAX's errors."""
import re

import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax as jlax

import mirax
import mirax.numpy as mjnp
from mirax import lax as mlax
from mirax.test_util import check_grads
from oracle import assert_close, check, check_vmap, rand, run_both

# An FFT adds n terms in another order than DUCC: errors grow like log n relative to
# the result's norm. The *_lanes cases have 16 rows or columns or more: the vectorized
# passes, on transposed rows and on strided windows of columns, with narrower tails.
TOL = {"f4": 5e-5, "c8": 5e-5, "f8": 1e-12, "c16": 1e-12}

# name -> (fn(jnp, x), input shape, input dtype)
CASES = {
    "fft_pow2": (lambda np_, x: np_.fft.fft(x), (3, 8), np.complex64),
    "fft_prime": (lambda np_, x: np_.fft.fft(x), (2, 17), np.complex64),
    "fft_unit": (lambda np_, x: np_.fft.fft(x), (4, 1), np.complex64),
    "fft_0d_axis0": (lambda np_, x: np_.fft.fft(x, axis=0), (6, 3), np.float32),
    "fft_crop": (lambda np_, x: np_.fft.fft(x, n=5), (2, 8), np.complex64),
    "fft_pad_ortho": (lambda np_, x: np_.fft.fft(x, n=12, norm="ortho"), (2, 7), np.complex64),
    "fft_int": (lambda np_, x: np_.fft.fft(x), (9,), np.int32),
    "fft_bool": (lambda np_, x: np_.fft.fft(x, axis=0), (4, 2), np.bool_),
    "fft_bf16": (lambda np_, x: np_.fft.fft(x), (4,), ml_dtypes.bfloat16),
    "ifft_odd_forward": (lambda np_, x: np_.fft.ifft(x, norm="forward"), (3, 15), np.complex64),
    "ifft_backward": (lambda np_, x: np_.fft.ifft(x, norm="backward", axis=-2), (16, 3), np.complex64),
    "rfft_even": (lambda np_, x: np_.fft.rfft(x), (3, 10), np.float32),
    "rfft_odd_pad": (lambda np_, x: np_.fft.rfft(x, n=11, norm="ortho"), (2, 6), np.float32),
    "rfft_int_axis0": (lambda np_, x: np_.fft.rfft(x, axis=0), (7, 2), np.int8),
    "irfft_default": (lambda np_, x: np_.fft.irfft(x), (3, 5), np.complex64),
    "irfft_odd": (lambda np_, x: np_.fft.irfft(x, n=9, norm="forward"), (2, 5), np.complex64),
    "irfft_crop": (lambda np_, x: np_.fft.irfft(x, n=4, axis=0), (6, 2), np.complex64),
    "irfft_float": (lambda np_, x: np_.fft.irfft(x, n=7), (3, 4), np.float32),
    "hfft": (lambda np_, x: np_.fft.hfft(x), (2, 6), np.complex64),
    "hfft_n": (lambda np_, x: np_.fft.hfft(x, n=7, norm="ortho"), (6,), np.complex64),
    "ihfft": (lambda np_, x: np_.fft.ihfft(x), (2, 9), np.float32),
    "ihfft_n": (lambda np_, x: np_.fft.ihfft(x, n=6, norm="forward"), (8,), np.float32),
    "fft2": (lambda np_, x: np_.fft.fft2(x), (2, 4, 6), np.complex64),
    "fft2_s_axes": (lambda np_, x: np_.fft.fft2(x, s=(3, 5), axes=(0, 2), norm="ortho"), (4, 2, 4), np.complex64),
    "ifft2": (lambda np_, x: np_.fft.ifft2(x), (5, 4), np.complex64),
    "rfft2": (lambda np_, x: np_.fft.rfft2(x), (2, 6, 5), np.float32),
    "irfft2": (lambda np_, x: np_.fft.irfft2(x, s=(4, 6)), (3, 4), np.complex64),
    "fft2_lanes": (lambda np_, x: np_.fft.fft2(x, norm="ortho"), (16, 32), np.complex64),
    "rfft2_lanes": (lambda np_, x: np_.fft.rfft2(x), (16, 40), np.float32),
    "irfft2_lanes": (lambda np_, x: np_.fft.irfft2(x), (16, 17), np.complex64),
    "fftn_3d": (lambda np_, x: np_.fft.fftn(x), (3, 4, 5), np.complex64),
    "fftn_4d": (lambda np_, x: np_.fft.fftn(x, axes=(3, 0, 1, 2)), (2, 3, 2, 4), np.complex64),
    "ifftn_s": (lambda np_, x: np_.fft.ifftn(x, s=(2, 6)), (3, 4, 4), np.complex64),
    "rfftn": (lambda np_, x: np_.fft.rfftn(x, axes=(2, 0)), (4, 2, 6), np.float32),
    "rfftn_4d": (lambda np_, x: np_.fft.rfftn(x, norm="forward"), (2, 2, 3, 4), np.float32),
    "irfftn": (lambda np_, x: np_.fft.irfftn(x), (3, 2, 4), np.complex64),
    "irfftn_axes": (lambda np_, x: np_.fft.irfftn(x, s=(5, 3), axes=(0, 2), norm="ortho"), (4, 2, 3), np.complex64),
    "fftn_0d": (lambda np_, x: np_.fft.fftn(x), (), np.float32),
    "fft_empty_batch": (lambda np_, x: np_.fft.fft(x), (0, 4), np.complex64),
    "fft_empty_axis": (lambda np_, x: np_.fft.fft(x, axis=0), (0, 3), np.complex64),
    "rfft_empty_batch": (lambda np_, x: np_.fft.rfft(x), (3, 0, 4), np.float32),
    "shifts": (lambda np_, x: (np_.fft.fftshift(x), np_.fft.ifftshift(x), np_.fft.fftshift(x, axes=1),
                               np_.fft.ifftshift(x, axes=(0,))), (5, 4), np.float32),
}

EAGER = ["fft_prime", "rfft_odd_pad", "irfft_odd", "fftn_0d", "fft_empty_axis"]


@pytest.mark.parametrize("name, jit", [(name, True) for name in CASES] + [(name, False) for name in EAGER])
def test_values(name, jit):
    fn, shape, dtype = CASES[name]
    run_both(fn, [rand(shape, dtype, 1)], jit, tolerance=TOL)


@pytest.mark.parametrize("name", ["fft_prime", "ifft_odd_forward", "rfft_odd_pad", "irfft_odd", "fft2_s_axes",
                                  "irfftn_axes", "fft_int"])
def test_float64(name, x64):
    fn, shape, dtype = CASES[name]
    dtype = {np.complex64: np.complex128, np.float32: np.float64, np.int32: np.int64}[dtype]
    run_both(fn, [rand(shape, dtype, 1)], True, tolerance=TOL)


@pytest.mark.parametrize("n", [97, 1024])
def test_accuracy_against_numpy(n, x64):
    """Relative to the result's norm, the error of a float64 FFT is a few ulps times log n,
    as DUCC's: for powers of two and (through Bluestein) for primes and others; 16 rows,
    the vectorized passes."""
    x = rand((16, n), np.complex128, 3)
    transforms = mirax.jit(lambda x: (mjnp.fft.fft(x), mjnp.fft.ifft(x), mjnp.fft.rfft(x.real),
                                      mjnp.fft.irfft(x[:, : n // 2 + 1], n)))
    wants = (np.fft.fft(x), np.fft.ifft(x), np.fft.rfft(x.real), np.fft.irfft(x[:, : n // 2 + 1], n))
    for got, want in zip(transforms(x), wants, strict=True):
        error = np.linalg.norm(np.asarray(got) - want) / np.linalg.norm(want)
        assert error < 8e-16 * np.log2(n), (n, error)


def test_freqs():
    def freqs(np_, device):
        return (np_.fft.fftfreq(8), np_.fft.fftfreq(7, 0.5), np_.fft.fftfreq(5, dtype=np_.int32),
                np_.fft.rfftfreq(8, d=0.1), np_.fft.rfftfreq(9), np_.fft.rfftfreq(5, dtype=np_.int32),
                np_.fft.fftfreq(1), np_.fft.fftfreq(4, dtype=np_.complex64), np_.fft.fftfreq(6, device=device))

    check(mirax.jit(lambda: freqs(mjnp, None))(), freqs(jjnp, None), tolerance=TOL)
    check(mjnp.fft.rfftfreq(6, device=mirax.devices()[0]), jjnp.fft.rfftfreq(6, device=jax.devices()[0]))


def test_freqs_x64(x64):
    check(mjnp.fft.fftfreq(6, 0.3), jjnp.fft.fftfreq(6, 0.3))
    check(mjnp.fft.rfftfreq(7, dtype=mjnp.float64), jjnp.fft.rfftfreq(7, dtype=jjnp.float64))


@pytest.mark.parametrize("fft_type, shape, lengths, dtype", [
    ("fft", (3, 4), (4,), np.complex64), ("IFFT", (2, 3, 5), (3, 5), np.complex64),
    (jlax.FftType.RFFT, (2, 6), (6,), np.float32), ("irfft", (2, 3, 3), (3, 4), np.complex64),
    ("fft", (3,), (), np.float32), ("rfft", (3,), (), np.int32), ("fft", (2, 3), (2, 3), np.int16),
], ids=str)
def test_lax_fft(fft_type, shape, lengths, dtype):
    mine = getattr(mlax.FftType, fft_type.name) if isinstance(fft_type, jlax.FftType) else fft_type
    x = rand(shape, dtype, 2)
    check(mlax.fft(x, mine, lengths), jlax.fft(x, fft_type, lengths), tolerance=TOL)
    check(mirax.jit(mlax.fft, static_argnums=(1, 2))(x, mine, lengths), jlax.fft(x, fft_type, lengths),
          tolerance=TOL)


def test_fft_type_enum():
    assert [(t.name, int(t)) for t in mlax.FftType] == [(t.name, int(t)) for t in jlax.FftType]


# ----------------------------------------------------------------------------- errors

ERRORS = [
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), "fft", (4,)), ValueError),
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), "fft", (3, 3)), ValueError),
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), "foo", (3,)), ValueError),
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), "Fft", (3,)), ValueError),
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), 3, (3,)), TypeError),
    (lambda np_, lax: lax.fft(np.ones(3, np.complex64), "rfft", (3,)), ValueError),
    (lambda np_, lax: lax.fft(np.ones(3, np.float16), "rfft", (3,)), ValueError),
    (lambda np_, lax: lax.fft(np.ones((2, 3), np.complex64), "irfft", (3, 4)), ValueError),
    (lambda np_, lax: np_.fft.fft(np.ones(3), n=0), ValueError),
    (lambda np_, lax: np_.fft.fft(np.ones(3), axis=(0,)), ValueError),
    (lambda np_, lax: np_.fft.ihfft(np.ones(3), axis=[0]), ValueError),
    (lambda np_, lax: np_.fft.fft(np.ones(3), norm="foo"), ValueError),
    (lambda np_, lax: np_.fft.fftn(np.ones((3, 3)), axes=(0, 0)), ValueError),
    (lambda np_, lax: np_.fft.fftn(np.ones((3, 3)), s=(2,), axes=(0, 1)), ValueError),
    (lambda np_, lax: np_.fft.fft2(np.ones((3, 3)), axes=(0,)), ValueError),
    (lambda np_, lax: np_.fft.rfft2(np.ones((3, 3)), s=(2, 2, 2), axes=(0, 1, 1)), ValueError),
    (lambda np_, lax: np_.fft.rfft(np.ones(3, np.complex64)), ValueError),
    (lambda np_, lax: np_.fft.rfft(np.ones(3, np.float16)), ValueError),
    (lambda np_, lax: np_.fft.fftfreq([4]), ValueError),
    (lambda np_, lax: np_.fft.rfftfreq(4, d=(1.0,)), ValueError),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    fn, cls = ERRORS[k]
    with pytest.raises(cls) as want:
        fn(jjnp, jlax)
    with pytest.raises(cls, match=re.escape(str(want.value).split("\n")[0])):
        fn(mjnp, mlax)


def test_axis_out_of_bounds_and_lists():
    with pytest.raises(ValueError, match="axis 1 is out of bounds for array of dimension 1"):
        mjnp.fft.fft(np.ones(3), axis=1)
    with pytest.raises(TypeError, match="jax.numpy.fft.fft requires ndarray or scalar arguments"):
        mjnp.fft.fft([1.0, 2.0])


# ----------------------------------------------------------------------------- derivatives

# (fft_type, input shape, fft_lengths, input dtype): each transpose rule and batch of them.
GRAD_CASES = [
    ("FFT", (2, 3, 4), (3, 4), np.complex64), ("IFFT", (3, 5), (5,), np.complex64),
    ("RFFT", (2, 6), (6,), np.float32), ("RFFT", (2, 3, 5), (3, 5), np.float32),
    ("IRFFT", (2, 4), (6,), np.complex64), ("IRFFT", (3, 3), (3, 5), np.complex64),
]
# check_grads compiles many programs: one case per transpose rule.
CHECK_GRADS = [GRAD_CASES[0], GRAD_CASES[2], GRAD_CASES[4]]


@pytest.mark.parametrize("fft_type, shape, lengths, dtype", CHECK_GRADS, ids=str)
def test_check_grads(fft_type, shape, lengths, dtype):
    x = rand(shape, dtype, 4)
    check_grads(lambda x: mlax.fft(x, fft_type, lengths), (x,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("fft_type, shape, lengths, dtype", GRAD_CASES, ids=str)
def test_grads_against_jax(fft_type, shape, lengths, dtype):
    x = rand(shape, dtype, 4)

    def loss(lax, np_, x):
        y = lax.fft(x, fft_type, lengths)
        return np_.sum(np_.sin(np_.real(y)) * np_.imag(y * y) + y.real)

    got = mirax.jit(mirax.grad(lambda x: loss(mlax, mjnp, x)))(x)
    assert_close(got, jax.grad(lambda x: loss(jlax, jjnp, x))(x), rtol=1e-4, atol=1e-4)
    _, got = mirax.jvp(lambda x: mlax.fft(x, fft_type, lengths), (x,), (x * 0.5,))
    _, want = jax.jvp(lambda x: jlax.fft(x, fft_type, lengths), (x,), (x * 0.5,))
    assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_grad_through_numpy_fft():
    x = rand((3, 6), np.float32, 5)

    def loss(np_, x):
        spectrum = np_.fft.rfft2(x, s=(4, 8), norm="ortho")
        return np_.sum(np_.abs(np_.fft.irfft(spectrum * spectrum, n=5)))

    assert_close(mirax.jit(mirax.grad(lambda x: loss(mjnp, x)))(x), jax.grad(lambda x: loss(jjnp, x))(x), rtol=1e-4,
                 atol=1e-4)


# ----------------------------------------------------------------------------- vmap


@pytest.mark.parametrize("fft_type, shape, lengths, dtype, axis", [
    ("FFT", (3, 5), (5,), np.complex64, 0), ("FFT", (4, 2, 3), (4, 3), np.complex64, 1),
    ("RFFT", (6, 2), (6,), np.float32, 1), ("IRFFT", (3, 4, 2), (3, 6), np.complex64, 2),
], ids=str)
def test_vmap(fft_type, shape, lengths, dtype, axis):
    x = rand(shape, dtype, 6)
    check_vmap(lambda lax, x: lax.fft(x, fft_type, lengths), [x], axis, tolerance=TOL)


def test_vmap_numpy():
    x = rand((3, 4, 5), np.complex64, 7)
    check_vmap(lambda np_, x: np_.fft.fft2(x, s=(3, 4)), [x], 2, jax_modules=(jjnp,), mirax_modules=(mjnp,),
               tolerance=TOL)
