"""The API coverage table: for each JAX namespace, how many of its public names the
installed JAX has and how many of them mirax has, and which are missing.

    .venv/bin/python scripts/api_coverage.py            # the table (README's "API coverage")
    .venv/bin/python scripts/api_coverage.py --missing  # and the missing names

A namespace's public names are those not starting with "_", but what it imports for its
own use: the standard library's modules and objects (functools, typing's Callable,
`from __future__ import annotations`), modules other than its own submodules
(`import jax.numpy as jnp` in jax.example_libraries.stax is not API there, `jax.numpy`
is at the top level), and JAX's internal helpers (`map = safe_map` from jax._src.util).
"""
import argparse
import importlib
import inspect

NAMESPACES = ["", "numpy", "numpy.linalg", "numpy.fft", "lax", "random", "nn", "nn.initializers", "scipy.special",
              "scipy.linalg", "scipy.stats", "scipy.signal", "tree", "tree_util", "flatten_util", "debug", "dtypes",
              "errors", "example_libraries.optimizers", "example_libraries.stax"]


# What a namespace imports for its own use (functools, typing's Callable, ...) is not API.
_NOT_API = ("typing", "functools", "collections", "abc", "types", "operator", "warnings", "builtins", "math",
            "__future__")
_HELPERS = ("jax._src.util", "jaxlib.utils")  # JAX's internal helpers (safe_map, unzip2, ...)


def _imported(module, name, value):
    """Whether `name` in `module` is something it imports for its own use."""
    if inspect.ismodule(value):  # a module counts where it is this one's submodule
        return value.__name__ != f"{module.__name__}.{name}"
    origin = getattr(value, "__module__", None)
    return isinstance(origin, str) and (origin.split(".")[0] in _NOT_API or origin in _HELPERS)


def public(module):
    """The public names of `module` but those it imports for its own use."""
    return {name for name in dir(module)
            if not name.startswith("_") and not _imported(module, name, getattr(module, name, None))}


def coverage(namespace):
    """(JAX's public names, those mirax lacks) of `namespace` ("" for the top level)."""
    jax_names = public(importlib.import_module(".".join(filter(None, ["jax", namespace]))))
    try:
        mirax_names = public(importlib.import_module(".".join(filter(None, ["mirax", namespace]))))
    except ImportError:
        mirax_names = set()
    return jax_names, sorted(jax_names - mirax_names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list the missing names under the table")
    args = parser.parse_args()
    rows = [(namespace, *coverage(namespace)) for namespace in NAMESPACES]
    print("| namespace | JAX | mirax | coverage |\n| --- | --- | --- | --- |")
    for namespace, names, missing in rows:
        have = len(names) - len(missing)
        print(f"| `{'.'.join(filter(None, ['jax', namespace]))}` | {len(names)} | {have} | {have / len(names):.0%} |")
    if args.missing:
        for namespace, _, missing in rows:
            if missing:
                print(f"\n{'.'.join(filter(None, ['jax', namespace]))}: {' '.join(missing)}")


if __name__ == "__main__":
    main()
