"""mirax's version (jax.version's counterpart): `__version__` is mirax's own, from its
package's metadata, as `jax.__version__` is JAX's; `__version_info__` is its tuple."""
import importlib.metadata

__version__ = importlib.metadata.version("mirax")
__version_info__ = tuple(int(part) for part in __version__.split(".")[:3] if part.isdigit())
