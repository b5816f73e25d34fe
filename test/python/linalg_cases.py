"""What the linear-algebra tests share: the dtypes the ops take and their tolerance."""
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
