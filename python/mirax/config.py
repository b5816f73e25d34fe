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
        "jax_debug_nans": False,
        "jax_debug_infs": False,
        "jax_numpy_dtype_promotion": "standard",
        "jax_platform_name": os.environ.get("MIRAX_PLATFORM") or "cpu",
        "mirax_compilation_cache_dir": _default_cache_dir(),  # "" or None: off
        "mirax_compilation_cache_max_size": 1 << 30,  # bytes
    }

    def __init__(self):
        self._values = dict(self._defaults)
        self._local = threading.local()  # name -> this thread's value, where set
        self._local_settings = 0  # how many there are in all threads: while none, reads skip _local
        self._local_counts = {}  # name -> how many threads have a setting of it
        self._lock = threading.Lock()
        self._listeners = {}  # name -> functions called after each change of its value, in any thread

    def listen(self, name, listener):
        self._listeners.setdefault(name, []).append(listener)

    def may_differ(self, name, value):
        """Whether `name` is other than `value`, or set (to anything) in some thread."""
        return self._values[name] != value or self._local_counts.get(name, 0) > 0

    def _changed(self, name):
        for listener in self._listeners.get(name, ()):
            listener()

    def update(self, name, value):
        if name not in self._values:
            raise ValueError(f"unknown config option {name!r}; known: {sorted(self._values)}")
        self._values[name] = value
        self._changed(name)

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
            change = (value is not UNSET) - (name in local)
            self._local_settings += change
            self._local_counts[name] = self._local_counts.get(name, 0) + change
            if value is UNSET:
                local.pop(name, None)
            else:
                local[name] = value
        self._changed(name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.read(name)
        except KeyError:
            raise AttributeError(name) from None


config = Config()
