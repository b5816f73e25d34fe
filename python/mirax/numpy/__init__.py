"""mirax.numpy: NumPy's API over mirax arrays, as jax.numpy."""
import numpy as _np
from numpy import (  # noqa: F401  (NumPy's abstract scalar types, as jax.numpy exports them)
    character, complexfloating, flexible, floating, generic, inexact, integer, number, object_, signedinteger,
    unsignedinteger,
)

from mirax._key_arrays import takes_keys as _takes_keys
from mirax.dlpack import from_dlpack  # noqa: F401
from mirax.core import Array as ndarray  # noqa: F401
from mirax.dtypes import finfo, iinfo, issubdtype, promote_types, result_type  # noqa: F401

from ._scalar_types import (  # noqa: F401
    bfloat16, bool_, cdouble, complex_, complex64, complex128, csingle, double, float_, float16, float32, float64,
    int_, int8, int16, int32, int64, single, uint, uint8, uint16, uint32, uint64,
)

from ._creation import (  # noqa: F401
    arange, array, asarray, empty, empty_like, eye, full, full_like, identity, linspace, ones, ones_like, zeros,
    zeros_like,
)
from ._indexing import (  # noqa: F401
    _getitem, _IndexUpdateHelper, argwhere, diag_indices, indices, ix_, nonzero, repeat, select, take,
    take_along_axis, tril_indices, triu_indices, where,
)
from ._dot import dot, einsum, inner, kron, matmul, outer, tensordot, vdot  # noqa: F401
from ._convolution import convolve, correlate  # noqa: F401
from ._matrix import diag, diagonal, trace, tri, tril, triu  # noqa: F401
from ._reductions import (  # noqa: F401
    all, allclose, amax, amin, any, argmax, argmin, array_equal, average, count_nonzero, cumprod, cumsum,
    cumulative_prod, cumulative_sum, diff, max, mean, median, min, nancumprod, nancumsum, nanmax, nanmean, nanmin,
    nanprod, nansum, prod, ptp, std, sum, var,
)
from ._shape import (  # noqa: F401
    append, array_split, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, broadcast_shapes, broadcast_to,
    concatenate, expand_dims, flip, fliplr, flipud, moveaxis, ndim, pad, ravel, reshape, roll, shape, size, split,
    squeeze, stack, swapaxes, tile, transpose,
)
from ._stacking import column_stack, dstack, hstack, vstack  # noqa: F401
from . import linalg  # noqa: F401
from . import fft  # noqa: F401
from ._sorting import argsort, lexsort, searchsorted, sort  # noqa: F401
from ._ufuncs import (  # noqa: F401
    abs, absolute, add, angle, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, around, bitwise_and,
    bitwise_invert, bitwise_not, bitwise_or, bitwise_xor, cbrt, ceil, clip, conj, conjugate, copysign, cos, cosh,
    deg2rad, degrees, divide, divmod, equal, exp, exp2, expm1, fabs, float_power, floor, floor_divide, fmod,
    greater, greater_equal, heaviside, hypot, imag, invert, isclose, isfinite, isinf, isnan, isneginf, isposinf, left_shift,
    less, less_equal, log, log1p, log2, log10, logaddexp, logical_and, logical_not, logical_or, logical_xor, maximum,
    minimum, mod, multiply, negative, nextafter, not_equal, positive, pow, power, rad2deg, radians, real, reciprocal,
    remainder, right_shift, rint, round, sign, signbit, sin, sinc, sinh, sqrt, square, subtract, tan, tanh,
    true_divide, trunc,
)

from ._array_api import (  # noqa: F401
    acos, acosh, asin, asinh, astype, atan, atan2, atanh, bitwise_left_shift, bitwise_right_shift, concat, copy,
    isdtype, matrix_transpose, matvec, permute_dims, unstack, vecdot, vecmat,
)
from ._elementwise import (  # noqa: F401
    bitwise_count, fmax, fmin, frexp, gcd, i0, iscomplex, iscomplexobj, isreal, isrealobj, isscalar, lcm, ldexp,
    logaddexp2, modf, nan_to_num, sort_complex, spacing,
)
from ._manipulation import (  # noqa: F401
    argpartition, array_equiv, block, choose, compress, delete, diag_indices_from, diagflat, dsplit, extract,
    fill_diagonal, flatnonzero, hsplit, insert, mask_indices, packbits, partition, place, put, put_along_axis,
    ravel_multi_index, resize, rollaxis, rot90, tril_indices_from, triu_indices_from, trim_zeros, unpackbits,
    unravel_index, vsplit,
)
from ._set_ops import (  # noqa: F401
    intersect1d, isin, setdiff1d, setxor1d, union1d, unique, unique_all, unique_counts, unique_inverse, unique_values,
)
from ._statistics import (  # noqa: F401
    bincount, corrcoef, cov, cross, digitize, ediff1d, gradient, histogram, histogram2d, histogram_bin_edges,
    histogramdd, interp, nanargmax, nanargmin, nanmedian, nanpercentile, nanquantile, nanstd, nanvar, percentile,
    quantile, trapezoid, unwrap,
)
from ._functional import apply_along_axis, apply_over_axes, fromfunction, piecewise, vectorize  # noqa: F401
from ._index_tricks import c_, geomspace, index_exp, logspace, meshgrid, mgrid, ogrid, r_, s_  # noqa: F401
from ._polynomial import (  # noqa: F401
    poly, polyadd, polyder, polydiv, polyfit, polyint, polymul, polysub, polyval, roots, vander,
)
from ._io import (  # noqa: F401
    array_repr, array_str, frombuffer, fromfile, fromiter, fromstring, get_printoptions, load, printoptions, save,
    savez, set_printoptions,
)
from ._windows import bartlett, blackman, hamming, hanning, kaiser  # noqa: F401
from numpy import can_cast, iterable  # noqa: F401,E402  (NumPy's own, as jax.numpy re-exports them)
from numpy.exceptions import ComplexWarning  # noqa: F401,E402


# JAX's shape operations take PRNG key arrays (mirax.random maps them over the keys' data).
(array, asarray, array_split, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, broadcast_to, column_stack,
 concatenate, diagonal, dstack, empty_like, expand_dims, flip, fliplr, flipud, full_like, hstack, moveaxis, ones_like,
 ravel, repeat, reshape, roll, split, squeeze, stack, swapaxes, take, take_along_axis, tile, transpose, tril, triu,
 vstack, zeros_like) = map(_takes_keys, (
    array, asarray, array_split, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, broadcast_to, column_stack,
    concatenate, diagonal, dstack, empty_like, expand_dims, flip, fliplr, flipud, full_like, hstack, moveaxis,
    ones_like, ravel, repeat, reshape, roll, split, squeeze, stack, swapaxes, take, take_along_axis, tile, transpose,
    tril, triu, vstack, zeros_like))
append = _takes_keys(append, "arr", "values")
select = _takes_keys(select, "choicelist", "default")
where = _takes_keys(where, "x", "y")

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma
newaxis = None
dtype = _np.dtype
bool = bool_  # noqa: A001
