"""mirax's passes, one per file, each named after its flag. `ALL_PASSES` is the
registry mirax-opt reads; the pipelines module strings them together."""
from .mirax_expand_math import MiraxExpandMath
from .mirax_gpu_kernels import MiraxGpuKernels
from .mirax_gpu_unified_memory import MiraxGpuUnifiedMemory
from .mirax_jvp import MiraxJvp
from .mirax_linearize import MiraxLinearize
from .mirax_simplify import MiraxSimplify
from .mirax_to_linalg import MiraxToLinalg
from .mirax_transpose import MiraxTranspose
from .mirax_vectorize_matmul import MiraxVectorizeMatmul
from .mirax_vmap import MiraxVmap

ALL_PASSES = {p.name: p for p in (MiraxJvp(), MiraxLinearize(), MiraxTranspose(), MiraxVmap(), MiraxSimplify(), MiraxToLinalg(), MiraxExpandMath(), MiraxVectorizeMatmul(), MiraxGpuKernels(), MiraxGpuUnifiedMemory())}

__all__ = ["ALL_PASSES", "MiraxExpandMath", "MiraxGpuKernels", "MiraxGpuUnifiedMemory", "MiraxJvp", "MiraxLinearize", "MiraxSimplify", "MiraxTranspose", "MiraxToLinalg", "MiraxVectorizeMatmul", "MiraxVmap"]
