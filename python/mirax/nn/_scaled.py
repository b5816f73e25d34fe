"""jax.nn's block-scaled quantization configurations (what scaled_dot_general's `configs`
take; mirax.nn.scaled_dot_general refuses them, as cuDNN's)."""
import dataclasses

import ml_dtypes
import numpy as np

from mirax import numpy as jnp
from mirax.core import with_source


@dataclasses.dataclass(slots=True)
class BlockScaleConfig:
    """A block-scaled quantization of one operand (JAX's BlockScaleConfig)."""

    mode: str
    block_size: int
    data_type: object
    scale_type: object
    global_scale: object
    infer_only: bool


def get_scaled_dot_general_config(mode, global_scale=None):
    """The configuration of `mode` ('nvfp4' or 'mxfp8'), as jax.nn.get_scaled_dot_general_config."""
    if mode == "nvfp4":
        return BlockScaleConfig(mode="nvfp4", block_size=16, data_type=ml_dtypes.float4_e2m1fn,
                                scale_type=ml_dtypes.float8_e4m3fn,
                                global_scale=jnp.ones((1,), dtype=np.float32) if global_scale is None else global_scale,
                                infer_only=False)
    if mode == "mxfp8":
        return BlockScaleConfig(mode="mxfp8", block_size=32, data_type=ml_dtypes.float8_e4m3fn,
                                scale_type=ml_dtypes.float8_e8m0fnu, global_scale=None, infer_only=False)
    raise ValueError(with_source(f"Unsupported mode: {mode}"))
