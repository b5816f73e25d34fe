"""mirax: a differentiable array compiler for Python built on MLIR, with JAX's API."""
from mirax.config import config  # noqa: I001  (first: everything reads it)
from mirax import dtypes, tree, tree_util
from mirax.core import Array, ConcretizationTypeError, UnexpectedTracerError
from mirax import array_methods  # noqa: F401  (installs NumPy's operators on arrays)
from mirax import lax, numpy
from mirax import nn, scipy
from mirax.api import clear_caches, device_put, jit, make_jaxpr
from mirax.platforms import default_backend, devices
from mirax.vmapping import vmap
from mirax.custom_derivatives import custom_jvp, custom_vjp
from mirax.ad import grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize, value_and_grad, vjp
from mirax.ad_checkpoint import checkpoint, checkpoint_policies, remat
from mirax import test_util
from mirax import random
from mirax import flatten_util
from mirax.callback import ShapeDtypeStruct, pure_callback
from mirax import debug, experimental
