"""mirax: a differentiable array compiler for Python built on MLIR, with JAX's API."""
from mirax.config import config  # noqa: I001  (first: everything reads it)
from mirax import dtypes, tree_util
from mirax.core import Array, ConcretizationTypeError, UnexpectedTracerError
