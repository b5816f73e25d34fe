"""jax.errors: JAX's exception classes, with its hierarchy and messages.

The errors about tracers take the tracer, as JAX's do, and read two methods of it:
`_error_repr()` ("traced array with shape f32[3]") and `_origin_msg()` (mirax's: the
user's source line). This module imports nothing of mirax, so that core can raise them.
"""

_ERROR_PAGE = "https://docs.jax.dev/en/latest/errors.html"


def shaped_str(aval):
    """An abstract value as JAX's messages print it: float32[2,3]."""
    return f"{aval.dtype.name}[{','.join(map(str, aval.shape))}]"


class _JAXErrorMixin:
    """JAX's ending of each message: a link to the error's entry in JAX's documentation."""

    def __init__(self, message):
        super().__init__(f"{message}\nSee {_ERROR_PAGE}#jax.errors.{type(self).__name__}")


class JAXTypeError(_JAXErrorMixin, TypeError):
    """JAX-specific TypeError."""


class JAXIndexError(_JAXErrorMixin, IndexError):
    """JAX-specific IndexError."""


class ConcretizationTypeError(JAXTypeError):
    """A Python value was needed from a traced value that has none (under jit, or a
    batched value under vmap); `context` says where."""

    def __init__(self, tracer, context=""):
        super().__init__("Abstract tracer value encountered where concrete value is expected: "
                         f"{tracer._error_repr()}\n{context}{tracer._origin_msg()}\n")


class NonConcreteBooleanIndexError(JAXIndexError):
    """A traced boolean mask as an index: the result's shape would depend on its values."""

    def __init__(self, tracer):
        super().__init__(
            f"Array boolean indices must be concrete; got {shaped_str(tracer.aval)}{tracer._origin_msg()}\n")


class TracerArrayConversionError(JAXTypeError):
    """np.asarray (`__array__`) of a traced value."""

    def __init__(self, tracer):
        super().__init__("The numpy.ndarray conversion method __array__() was called on "
                         f"{tracer._error_repr()}{tracer._origin_msg()}")


class TracerIntegerConversionError(JAXTypeError):
    """A traced value used as a Python index (`__index__`)."""

    def __init__(self, tracer):
        super().__init__(f"The __index__() method was called on {tracer._error_repr()}{tracer._origin_msg()}")


class TracerBoolConversionError(ConcretizationTypeError):
    """`bool` of a traced value (`if x:`, `x and y`, ...)."""

    def __init__(self, tracer):
        JAXTypeError.__init__(self, f"Attempted boolean conversion of {tracer._error_repr()}.{tracer._origin_msg()}")


class UnexpectedTracerError(JAXTypeError):
    """A traced value was used outside the transformation that made it."""


class KeyReuseError(JAXTypeError):
    """A PRNG key used twice (JAX's key reuse checker; mirax has none that raises it)."""


class JaxRuntimeError(RuntimeError):
    """An error raised while a compiled program runs (checkify's errors, ...)."""


class InconclusiveDimensionOperation(Exception):
    """Raised when we cannot conclusively compute with symbolic dimensions."""


class JaxprTypeError(TypeError):
    """A program that does not type check."""
