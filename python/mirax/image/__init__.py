"""Image manipulation functions, as jax.image: resize and scale_and_translate."""
from mirax.image.scale import ResizeMethod, resize, scale_and_translate

__all__ = ["ResizeMethod", "resize", "scale_and_translate"]
