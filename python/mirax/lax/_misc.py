"""jax.lax's functions that compute nothing of their own: barriers and sinks, staging,
tokens, composites, platform-dependent choices, the dtype of a value; and XLA's
stateful and bit generators, which mirax refuses."""
import enum
import functools

import numpy as np

from mirax import dtypes, tree_util
from mirax.core import bind, is_array, to_array, with_source
from mirax.dialect.guards import DerivativeGuardOp
from mirax.platforms import default_backend

dtype = dtypes.dtype


def optimization_barrier(operand, /):
    """operand (a pytree), its leaves as arrays: XLA's barrier against moving computations
    across it, which mirax's passes never do (they do not reorder computations across
    values a program returns or passes on)."""
    return tree_util.tree_map(to_array, operand)


def dce_sink(val, *, prevent_mlir_dce=False):
    """Nothing (jax.lax.dce_sink): val's computation is kept in JAX's jaxpr; mirax keeps
    or drops it as the program's results need, which no result observes."""
    tree_util.tree_map(to_array, val)


def stage(x, /):
    """x as an array of the current trace (jax.lax.stage)."""
    return to_array(x)


def shape_as_value(shape):
    """The dimensions of `shape` as a 1-d integer array."""
    return to_array(np.array(shape, dtype=dtypes.canonicalize_dtype(np.int64)).reshape(len(shape)))


@tree_util.register_pytree_node_class
class Token:
    """What create_token and after_all give: an ordering token with no value (XLA's
    tokens order side effects, which mirax's programs order by their data)."""

    def tree_flatten(self):
        return (), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls()


def create_token(_=None):
    return Token()


def after_all(*operands):
    """A token after the `operands` (tokens)."""
    for operand in operands:
        if not isinstance(operand, Token):
            raise TypeError(with_source(f"after_all operands must be tokens, got {type(operand).__name__}"))
    return Token()


_COMPOSITE_JVP = ("JVP rule for composite not implemented. You can use `jax.custom_jvp` to add support. See "
                  "https://docs.jax.dev/en/latest/_autosummary/jax.custom_jvp.html")


def composite(decomposition, name, version=0):
    """`decomposition` as jax.lax.composite makes it: a function of arrays (positional)
    and static attributes (keywords) that XLA may replace by its own op `name`; mirax
    computes the decomposition. As JAX's, it has no derivative."""
    if not isinstance(name, str):
        raise TypeError(with_source(f"composite name must be a string, got {type(name).__name__}"))
    version = int(version)

    @functools.wraps(decomposition)
    def composite_fn(*args, **kwargs):
        def guard(leaf):
            leaf = to_array(leaf)
            (out,) = bind(DerivativeGuardOp, leaf, refuse="tangent", error="ValueError", message=_COMPOSITE_JVP)
            return out

        args = tree_util.tree_map(lambda leaf: guard(leaf) if is_array(leaf) or np.ndim(leaf) else leaf, args)
        return decomposition(*args, **kwargs)

    return composite_fn


# jax.lax's platform names -> mirax's backends
_BACKENDS = {"cpu": "cpu", "cuda": "gpu", "rocm": None, "tpu": None}


def platform_dependent(*args, default=None, **per_platform):
    """The branch for the platform mirax compiles for ('cpu', or 'cuda' on a GPU) applied
    to args, else `default` (jax.lax.platform_dependent, decided when the program is
    traced, for the one platform mirax compiles each program for)."""
    for platform in per_platform:
        if platform not in _BACKENDS:
            raise ValueError(with_source(f"Unrecognized platform {platform!r} in platform_dependent: expected one of "
                                         f"{', '.join(_BACKENDS)}"))
    backend = default_backend()
    for platform, branch in per_platform.items():
        if _BACKENDS[platform] == backend:
            return branch(*args)
    if default is None:
        platforms = tuple((p,) for p in per_platform)
        raise NotImplementedError(with_source(f"MLIR translation rule for primitive 'platform_index(platforms="
                                              f"{platforms})' not found for platform {backend}"))
    return default(*args)


class RandomAlgorithm(enum.IntEnum):
    """rng_bit_generator's algorithms (jax.lax.RandomAlgorithm)."""

    RNG_DEFAULT = 0
    RNG_THREE_FRY = 1
    RNG_PHILOX = 2

    def __str__(self):
        return self.name


def rng_bit_generator(key, shape, dtype=np.uint32, algorithm=RandomAlgorithm.RNG_DEFAULT):
    """XLA's RngBitGenerator, whose bits are XLA's expansions of its algorithms (not
    jax.random's): not reproduced by mirax."""
    raise NotImplementedError(with_source(f"lax.rng_bit_generator ({RandomAlgorithm(algorithm)}) gives XLA's "
                                          f"RngBitGenerator bits, which mirax does not reproduce: use "
                                          f"mirax.random.bits with a key"))


def rng_uniform(a, b, shape):
    """XLA's stateful RngUniform, whose values come from XLA's own generator state:
    mirax has no such state (jax.random and mirax.random draw from keys)."""
    raise NotImplementedError(with_source("lax.rng_uniform draws from XLA's stateful generator, which mirax does not "
                                          "have: use mirax.random.uniform with a key"))


__all__ = ["RandomAlgorithm", "after_all", "composite", "create_token", "dce_sink", "dtype", "optimization_barrier",
           "platform_dependent", "rng_bit_generator", "rng_uniform", "shape_as_value", "stage"]
