"""Process-wide flags, read like JAX's: `mirax.config.update("jax_enable_x64", True)`.
The default platform's default comes from the environment: MIRAX_PLATFORM=cpu|gpu."""
import os


class Config:
    _defaults = {
        "jax_enable_x64": False,
        "jax_threefry_partitionable": True,
        "jax_platform_name": os.environ.get("MIRAX_PLATFORM") or "cpu",
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
