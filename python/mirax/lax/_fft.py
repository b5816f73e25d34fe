"""lax.fft and FftType over the dialect's fft op (dialect/fft.py), as jax.lax.fft."""
import enum

from mirax import dtypes
from mirax.core import bind, to_array
from mirax.dialect.fft import FftOp

from ._elementwise import convert_element_type

__all__ = ["FftType", "fft"]


class FftType(enum.IntEnum):
    "Describes which FFT operation to perform."

    FFT = 0
    "Forward complex-to-complex FFT."

    IFFT = 1
    "Inverse complex-to-complex FFT."

    RFFT = 2
    "Forward real-to-complex FFT."

    IRFFT = 3
    "Inverse real-to-complex FFT."


def _fft_type(fft_type):
    if isinstance(fft_type, FftType):
        return fft_type
    if isinstance(fft_type, str):
        if fft_type.upper() in FftType.__members__ and fft_type in (fft_type.lower(), fft_type.upper()):
            return FftType[fft_type.upper()]
        raise ValueError(f"Unknown FFT type '{fft_type}'")
    raise TypeError(f"Unknown FFT type value '{fft_type}'")


def fft(x, fft_type, fft_lengths):
    """The FFT of `fft_type` (an FftType or its name, lower or upper case) over the
    trailing len(fft_lengths) dimensions of x, converted first to the complex dtype
    (the real one for RFFT) of its own."""
    typ = _fft_type(fft_type)
    x = to_array(x)
    dtype = x.aval.dtype
    if typ == FftType.RFFT:
        if dtypes.is_complex(dtype):
            raise ValueError("only real valued inputs supported for rfft")
        x = convert_element_type(x, dtypes.to_inexact_dtype(dtype))
    else:
        x = convert_element_type(x, dtypes.complex_dtype(dtype))
    fft_lengths = tuple(int(n) for n in fft_lengths)
    if not fft_lengths:  # as JAX's (XLA's FFT has no 0-d form)
        return x
    (out,) = bind(FftOp, x, fft_type=typ.name, fft_lengths=fft_lengths)
    return out
