"""What the linear-algebra tests share: the dtypes the ops take, their tolerance, and
comparing results with it."""
import numpy as np
import pytest

WIDE = (np.float64, np.complex128)


@pytest.fixture(params=[np.float32, np.complex64, np.float64, np.complex128], ids=lambda d: np.dtype(d).name)
def dtype(request):
    """Every dtype the ops take; the 64-bit ones under x64."""
    if request.param in WIDE:
        request.getfixturevalue("x64")
    return np.dtype(request.param)


def tolerance(dtype):
    return 1e-10 if dtype in WIDE else 2e-5


def close(got, want, dtype, scale=1):
    """Equal shapes and dtypes, values within `scale` times the dtype's tolerance."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype), (got.shape, got.dtype, want.shape, want.dtype)
    tol = scale * tolerance(dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def adjoint(x):
    """The conjugate transpose of each matrix of x."""
    return np.conj(np.swapaxes(x, -1, -2))
