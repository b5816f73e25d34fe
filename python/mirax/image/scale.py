"""jax.image's resampling: each resized dimension is a contraction with a weight matrix
(output sample i takes input pixel j with the kernel's weight at the distance between
their centres, normalized), all dimensions in one einsum; nearest-neighbour resizing
gathers. Written in mirax.numpy, so jit, grad and vmap go through it as through any
other program, and the weights follow JAX's formulas to the letter."""
import enum

import numpy as np

from mirax import lax
from mirax import numpy as jnp
from mirax.numpy._util import canonicalize_axis, promote_dtypes_inexact


def _lanczos_kernel(radius, x):
    y = radius * jnp.sin(np.pi * x) * jnp.sin(np.pi * x / radius)
    out = jnp.where(x > 1e-3, jnp.divide(y, jnp.where(x != 0, np.pi**2 * x**2, 1)), 1)
    return jnp.where(x > radius, 0., out)


def _keys_cubic_kernel(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.
    out = jnp.where(x >= 1., ((-0.5 * x + 2.5) * x - 4.) * x + 2., out)
    return jnp.where(x >= 2., 0., out)


def _opencv_cubic_kernel(x):
    a = -0.75
    out = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    out = jnp.where(x >= 1.0, ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a, out)
    return jnp.where(x >= 2.0, 0.0, out)


def _triangle_kernel(x):
    return jnp.maximum(0, 1 - jnp.abs(x))


_AREA = object()  # area resampling weighs by overlap, not by a kernel of the distance


def _normalized(weights):
    """Weights summing to one over the input pixels, or zero where they sum to almost nothing."""
    total = jnp.sum(weights, axis=0, keepdims=True)
    return jnp.where(jnp.abs(total) > 1000. * float(np.finfo(np.float32).eps),
                     jnp.divide(weights, jnp.where(total != 0, total, 1)), 0)


def compute_weight_mat(input_size, output_size, scale, translation, kernel, antialias, edge_padding, radius):
    """The (input_size, output_size) matrix resampling one dimension."""
    dtype = jnp.result_type(scale, translation)
    inv_scale = 1. / scale
    kernel_scale = jnp.maximum(inv_scale, 1.) if antialias else 1.
    sample_f = (jnp.arange(output_size, dtype=dtype) + 0.5) * inv_scale - translation * inv_scale - 0.5
    k = radius if edge_padding else 0  # edge padding comes without antialiasing (_kernel)
    expanded_indices = jnp.arange(-k, input_size + k, dtype=dtype)
    if kernel is _AREA:
        left = jnp.arange(output_size, dtype=dtype) * inv_scale - translation * inv_scale
        right = left + inv_scale
        pixels = jnp.arange(input_size, dtype=dtype)
        weights = jnp.maximum(0.0, jnp.minimum(right[np.newaxis, :], pixels[:, np.newaxis] + 1.0)
                              - jnp.maximum(left[np.newaxis, :], pixels[:, np.newaxis]))
    else:
        weights = kernel(jnp.abs(sample_f[np.newaxis, :] - expanded_indices[:, np.newaxis]) / kernel_scale)
    if edge_padding:  # the weights of the pixels beyond the edges go to the edge pixels
        clamped = jnp.clip(expanded_indices.astype(jnp.int32), 0, input_size - 1)
        outputs = lax.broadcast_in_dim(jnp.arange(output_size), (expanded_indices.shape[0], output_size), (1,))
        weights = jnp.zeros((input_size, output_size), dtype=dtype).at[clamped[:, np.newaxis], outputs].add(weights)
        return _normalized(weights)
    inside = jnp.logical_and(sample_f >= -0.5, sample_f <= input_size - 0.5)
    return jnp.where(inside[np.newaxis, :], _normalized(weights), 0)


def _scale_and_translate(x, output_shape, spatial_dims, scale, translation, kernel, antialias, precision,
                         edge_padding=False, radius=None):
    if len(spatial_dims) == 0:
        return x
    ndim = len(output_shape)
    contractions, out_indices = [], list(range(ndim))
    for i, d in enumerate(spatial_dims):
        d = canonicalize_axis(d, x.ndim)
        w = compute_weight_mat(x.shape[d], output_shape[d], scale[i], translation[i], kernel, antialias,
                               edge_padding, radius).astype(x.dtype)
        contractions += [w, [d, ndim + i]]
        out_indices[d] = ndim + i
    return jnp.einsum(x, list(range(ndim)), *contractions, out_indices, precision=precision)


class ResizeMethod(enum.Enum):
    """Image resize method: NEAREST, LINEAR, LANCZOS3, LANCZOS5, CUBIC (Keys' kernel),
    CUBIC_PYTORCH (PyTorch's bicubic), AREA (the average of the pixels an output pixel covers)."""

    NEAREST = 0
    LINEAR = 1
    LANCZOS3 = 2
    LANCZOS5 = 3
    CUBIC = 4
    CUBIC_PYTORCH = 5
    AREA = 6

    @staticmethod
    def from_string(s: str):
        for method, names in _NAMES.items():
            if s in names:
                return method
        raise ValueError(f'Unknown resize method "{s}"')


_NAMES = {ResizeMethod.NEAREST: ("nearest",), ResizeMethod.LINEAR: ("linear", "bilinear", "trilinear", "triangle"),
          ResizeMethod.LANCZOS3: ("lanczos3",), ResizeMethod.LANCZOS5: ("lanczos5",),
          ResizeMethod.CUBIC: ("cubic", "bicubic", "tricubic"),
          ResizeMethod.CUBIC_PYTORCH: ("cubic-pytorch", "bicubic-pytorch"), ResizeMethod.AREA: ("area",)}

_KERNELS = {  # method -> (radius, kernel)
    ResizeMethod.LINEAR: (1, _triangle_kernel),
    ResizeMethod.LANCZOS3: (3, lambda x: _lanczos_kernel(3., x)),
    ResizeMethod.LANCZOS5: (5, lambda x: _lanczos_kernel(5., x)),
    ResizeMethod.CUBIC: (2, _keys_cubic_kernel),
    ResizeMethod.CUBIC_PYTORCH: (2, _opencv_cubic_kernel),
    ResizeMethod.AREA: (1, _AREA),
}


def _shape(shape, image):
    shape = tuple(map(int, shape))
    if len(shape) != np.ndim(image):
        raise ValueError(f"shape must have length equal to the number of dimensions of x;  {shape} vs "
                         f"{np.shape(image)}")
    return shape


def _kernel(method, antialias):
    """(radius, kernel, edge padding) of a resampling method."""
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    return (*_KERNELS[method], method == ResizeMethod.CUBIC_PYTORCH)


def scale_and_translate(image, shape, spatial_dims, scale, translation, method, antialias=True, precision=None):
    """`image` resampled to `shape` where each of `spatial_dims` maps input location y to
    y * scale + translation (pixel centres at half-integers; outside the input, zero), as
    jax.image.scale_and_translate. mirax's products are at full precision: `precision`
    goes to einsum as is."""
    shape = _shape(shape, image)
    if isinstance(method, str):
        method = ResizeMethod.from_string(method)
    if method == ResizeMethod.NEAREST:
        raise ValueError("Nearest neighbor resampling is not currently supported for scale_and_translate.")
    radius, kernel, edge_padding = _kernel(method, antialias)
    image, = promote_dtypes_inexact(image)
    scale, translation = promote_dtypes_inexact(scale, translation)
    return _scale_and_translate(image, shape, spatial_dims, scale, translation, kernel, antialias, precision,
                                edge_padding, radius)


def _resize_nearest(x, output_shape):
    for d, (m, n) in enumerate(zip(x.shape, output_shape, strict=True)):
        if m != n:
            offsets = jnp.floor(((jnp.arange(n, dtype=np.float32) + 0.5) * m / n).astype(np.float32))
            x = x[(slice(None),) * d + (offsets.astype(np.int32),)]
    return x


def resize(image, shape, method, antialias=True, precision=None):
    """`image` resized to `shape` (every dimension, batch and channels included) by
    `method` (a ResizeMethod or its name), antialiased when downsampling unless told
    not to, as jax.image.resize. The nearest method keeps the dtype; the others promote
    it to a float. mirax's products are at full precision: `precision` goes to einsum."""
    shape = _shape(shape, image)
    if isinstance(method, str):
        method = ResizeMethod.from_string(method)
    if method == ResizeMethod.NEAREST:
        return _resize_nearest(jnp.asarray(image), shape)
    image, = promote_dtypes_inexact(image)
    spatial_dims = tuple(d for d in range(len(shape)) if image.shape[d] != shape[d])
    radius, kernel, edge_padding = _kernel(method, antialias)
    scale = [1.0 if shape[d] == 0 else shape[d] / image.shape[d] for d in spatial_dims]
    return _scale_and_translate(image, shape, spatial_dims, scale, [0.] * len(spatial_dims), kernel, antialias,
                                precision, edge_padding, radius)
