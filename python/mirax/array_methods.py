"""NumPy's operators and methods on Array and Tracer, each forwarding to the
mirax.numpy function of the same meaning (looked up at call time)."""
import numpy as np

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
    import mirax.numpy as jnp

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
    from mirax import lax

    return lax.convert_element_type(self, dtype)


def _install(cls):
    for dunder, name in _BINARY.items():
        setattr(cls, f"__{dunder}__", _binary(name))
        setattr(cls, f"__r{dunder}__", _reflected(name))
    for dunder, name in _COMPARE.items():
        setattr(cls, f"__{dunder}__", _binary(name))
    for dunder, name in _UNARY.items():
        setattr(cls, f"__{dunder}__", _forward(name))
    for name in _METHODS:
        setattr(cls, name, _forward(name))
    cls.astype = _astype
    cls.reshape = _reshape
    cls.transpose = _transpose
    cls.flatten = _forward("ravel")
    cls.__getitem__ = lambda self, index: _jnp("_getitem")(self, index)
    cls.at = property(lambda self: _jnp("_IndexUpdateHelper")(self))
    cls.shape = property(lambda self: self.aval.shape)
    cls.dtype = property(lambda self: self.aval.dtype)
    cls.ndim = property(lambda self: self.aval.ndim)
    cls.size = property(lambda self: self.aval.size)
    cls.T = property(lambda self: _jnp("transpose")(self))
    cls.mT = property(lambda self: _jnp("swapaxes")(self, -1, -2))
    cls.real = property(lambda self: _jnp("real")(self))
    cls.imag = property(lambda self: _jnp("imag")(self))
    cls.__len__ = _len
    cls.__iter__ = _iter
    cls.__hash__ = None


def _len(self):
    if not self.aval.ndim:
        raise TypeError("len() of unsized object")
    return self.aval.shape[0]


def _iter(self):
    if not self.aval.ndim:
        raise TypeError("iteration over a 0-d array")
    return (self[i] for i in range(self.aval.shape[0]))


for _cls in (Array, Tracer):
    _install(_cls)

del _cls
