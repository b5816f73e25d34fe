"""NumPy's operators and methods on Array and Tracer, each forwarding to the
mirax.numpy function of the same meaning (looked up at call time)."""
import numpy as np

from mirax import lax
from mirax import numpy as jnp
from mirax.core import Array, Tracer

_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift", "divmod": "divmod",
}
_COMPARE = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "invert"}
_METHODS = (
    "swapaxes", "squeeze", "ravel", "sum", "mean", "prod", "max", "min",
    "argmax", "argmin", "all", "any", "std", "var", "cumsum", "cumprod", "clip", "round", "dot",
    "conj", "conjugate", "trace", "diagonal", "sort", "argsort", "take", "repeat", "nonzero",
)


def _jnp(name):
    return getattr(jnp, name)


def _forward(name):
    def method(self, *args, **kwargs):
        return _jnp(name)(self, *args, **kwargs)

    method.__name__ = name
    return method


def _reflected(name):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return _jnp(name)(other, self)

    method.__name__ = f"r{name}"
    return method


def _binary(name):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return _jnp(name)(self, other)

    method.__name__ = name
    return method


def _is_operand(x):
    return isinstance(x, (Array, Tracer, int, float, complex, bool, np.ndarray, np.generic))


def _reshape(self, *shape, order="C"):
    """x.reshape(2, 3) and x.reshape((2, 3)), as NumPy's method."""
    return _jnp("reshape")(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape, order)


def _transpose(self, *axes):
    """x.transpose(), x.transpose(1, 0) and x.transpose((1, 0))."""
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
        axes = axes[0]
    return _jnp("transpose")(self, axes or None)


def _astype(self, dtype, copy=False):
    return lax.convert_element_type(self, dtype)


def _attributes():
    """Every operator, method and property, by attribute name."""
    attributes = {}
    for dunder, name in _BINARY.items():
        attributes[f"__{dunder}__"] = _binary(name)
        attributes[f"__r{dunder}__"] = _reflected(name)
    for dunder, name in _COMPARE.items():
        attributes[f"__{dunder}__"] = _binary(name)
    for dunder, name in _UNARY.items():
        attributes[f"__{dunder}__"] = _forward(name)
    for name in _METHODS:
        attributes[name] = _forward(name)
    attributes.update(
        astype=_astype,
        reshape=_reshape,
        transpose=_transpose,
        flatten=_forward("ravel"),
        __getitem__=lambda self, index: _jnp("_getitem")(self, index),
        at=property(lambda self: _jnp("_IndexUpdateHelper")(self)),
        shape=property(lambda self: self.aval.shape),
        dtype=property(lambda self: self.aval.dtype),
        ndim=property(lambda self: self.aval.ndim),
        size=property(lambda self: self.aval.size),
        T=property(lambda self: _jnp("transpose")(self)),
        mT=property(lambda self: _jnp("swapaxes")(self, -1, -2)),
        real=property(lambda self: _jnp("real")(self)),
        imag=property(lambda self: _jnp("imag")(self)),
        __len__=_len,
        __iter__=_iter,
        __hash__=None,
    )
    return attributes


def install(cls, include=None):
    """NumPy's operators, methods and properties on cls: all of them, or the names in
    `include` (mirax.random's key arrays take the shape methods)."""
    attributes = _attributes()
    for name in attributes if include is None else include:
        setattr(cls, name, attributes[name])


def _len(self):
    if not self.aval.ndim:
        raise TypeError("len() of unsized object")
    return self.aval.shape[0]


def _iter(self):
    if not self.aval.ndim:
        raise TypeError("iteration over a 0-d array")
    return (self[i] for i in range(self.aval.shape[0]))


for _cls in (Array, Tracer):
    install(_cls)

del _cls
