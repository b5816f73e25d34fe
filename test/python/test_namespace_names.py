"""The public names of JAX's namespaces that mirax must have all of (issue 18), compared
with the installed JAX's by scripts/api_coverage.py's rule: nothing missing but the
names the README lists as left out, with why."""
import importlib.util
import pathlib

import pytest

_SCRIPT = pathlib.Path(__file__).parents[2] / "scripts" / "api_coverage.py"
_spec = importlib.util.spec_from_file_location("api_coverage", _SCRIPT)
api_coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_coverage)

# namespace -> the names mirax leaves out (README, "API coverage")
LEFT_OUT = {
    "": {"api_util", "interpreters", "lib", "auto_pcast"},  # JAX's internals; shard_map's pvary flag
    "tree": set(),
    "tree_util": set(),
    "debug": set(),
    "dtypes": set(),
    "errors": set(),
    "flatten_util": set(),
    # ml_dtypes' narrow types, which the dialect cannot compute with; opt_einsum's path
    # search; ufunc objects
    "numpy": {"einsum_path", "frompyfunc", "ufunc", "int1", "int2", "int4", "uint1", "uint2", "uint4",
              "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz",
              "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"},
}


@pytest.mark.parametrize("namespace", LEFT_OUT, ids=lambda n: f"jax.{n}" if n else "jax")
def test_mirax_has_jaxs_names(namespace):
    names, missing = api_coverage.coverage(namespace)
    assert set(missing) == LEFT_OUT[namespace]
    assert len(names) - len(missing) >= 0.95 * len(names)
