"""Process-wide flags, read like JAX's: `mirax.config.update("jax_enable_x64", True)`.
The default platform's default comes from the environment: MIRAX_PLATFORM=cpu|gpu;
the persistent compilation cache's directory from MIRAX_CACHE_DIR (see
compilation_cache.py). A flag set for one thread only (`set_local`: the context
managers of mirax._config_api, as JAX's) reads as that value in that thread."""
import os
import threading


def _default_cache_dir():
    if "MIRAX_CACHE_DIR" in os.environ:
        return os.environ["MIRAX_CACHE_DIR"]
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mirax")


UNSET = object()  # no thread-local setting


class Config:
    _defaults = {
        "jax_enable_x64": False,
        "jax_disable_jit": False,
        "jax_threefry_partitionable": True,
        "jax_platform_name": os.environ.get("MIRAX_PLATFORM") or "cpu",
        "mirax_compilation_cache_dir": _default_cache_dir(),  # "" or None: off
        "mirax_compilation_cache_max_size": 1 << 30,  # bytes
    }

    def __init__(self):
        self._values = dict(self._defaults)
        self._local = threading.local()  # name -> this thread's value, where set
        self._local_settings = 0  # how many there are in all threads: while none, reads skip _local
        self._lock = threading.Lock()

    def update(self, name, value):
        if name not in self._values:
            raise ValueError(f"unknown config option {name!r}; known: {sorted(self._values)}")
        self._values[name] = value

    def read(self, name):
        if self._local_settings:
            local = self._local.__dict__
            if name in local:
                return local[name]
        return self._values[name]

    def swap_local(self, name, value):
        """Set `name` to `value` in this thread only; the thread's previous setting
        (UNSET where it had none), for set_local to restore."""
        if name not in self._values:
            raise ValueError(f"unknown config option {name!r}; known: {sorted(self._values)}")
        previous = self._local.__dict__.get(name, UNSET)
        self.set_local(name, value)
        return previous

    def set_local(self, name, value):
        """This thread's setting of `name`: `value`, or none (the global value) for UNSET."""
        local = self._local.__dict__
        with self._lock:
            self._local_settings += (value is not UNSET) - (name in local)
            if value is UNSET:
                local.pop(name, None)
            else:
                local[name] = value

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.read(name)
        except KeyError:
            raise AttributeError(name) from None


config = Config()
