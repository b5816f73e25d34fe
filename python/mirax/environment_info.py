"""print_environment_info: what to include in a question or a bug report, as JAX's
(which names jax and jaxlib): mirax's version, NumPy's, Python's, the MLIR bindings'
package and version, the devices and the platform, the MIRAX_/JAX_ environment variables
and, where there is one, nvidia-smi's table."""
import importlib.metadata
import os
import platform
import subprocess
import sys
import textwrap

import numpy as np

from mirax import platforms, version
from mirax._config_api import process_count
from mirax.mlir import ir


def _mlir_bindings():
    package = ir.__name__.partition(".")[0]  # torch_mlir or the official mlir package
    try:
        return f"{package} {importlib.metadata.version(package.replace('_', '-'))}"
    except importlib.metadata.PackageNotFoundError:
        return package


def _nvidia_smi():
    try:
        return subprocess.check_output(["nvidia-smi"], stderr=subprocess.DEVNULL).decode()
    except (OSError, subprocess.CalledProcessError):
        return None


def print_environment_info(return_string: bool = False):
    """Print (or return, with return_string) the environment: versions, devices, platform."""
    devices = platforms.devices()
    info = textwrap.dedent(f"""\
    mirax:  {version.__version__}
    MLIR:   {_mlir_bindings()}
    numpy:  {np.__version__}
    python: {sys.version.replace(chr(10), ' ')}
    device info: {devices[0].device_kind}-{len(devices)}, {len(devices)} local devices
    process_count: {process_count()}
    platform: {platform.uname()}""")
    for key, value in os.environ.items():
        if key.startswith(("MIRAX_", "JAX_")):
            info += f"\n{key}={value}"
    nvidia_smi = _nvidia_smi()
    if nvidia_smi:
        info += "\n\n$ nvidia-smi\n" + nvidia_smi
    if return_string:
        return info
    print(info)
    return None
