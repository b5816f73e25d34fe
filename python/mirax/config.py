"""Process-wide flags, read like JAX's: `mirax.config.update("jax_enable_x64", True)`.
The default platform's default comes from the environment: MIRAX_PLATFORM=cpu|gpu;
the persistent compilation cache's directory from MIRAX_CACHE_DIR (see
compilation_cache.py)."""
import os


def _default_cache_dir():
    if "MIRAX_CACHE_DIR" in os.environ:
        return os.environ["MIRAX_CACHE_DIR"]
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mirax")


class Config:
    _defaults = {
        "jax_enable_x64": False,
        "jax_threefry_partitionable": True,
        "jax_platform_name": os.environ.get("MIRAX_PLATFORM") or "cpu",
        "mirax_compilation_cache_dir": _default_cache_dir(),  # "" or None: off
        "mirax_compilation_cache_max_size": 1 << 30,  # bytes
    }

    def __init__(self):
        self._values = dict(self._defaults)

    def update(self, name, value):
        if name not in self._values:
            raise ValueError(f"unknown config option {name!r}; known: {sorted(self._values)}")
        self._values[name] = value

    def read(self, name):
        return self._values[name]

    def __getattr__(self, name):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None


config = Config()
