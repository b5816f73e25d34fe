"""mirax's passes, one per file, each named after its flag (but mirax-derive, which
composes four of them: pipelines.py), and the named pipelines built of them.
`ALL_PASSES` and `PIPELINES` are the one registry that mirax-opt, the runtime and
`Lowered.as_text` run (pipelines.py, gpu_pipeline.py)."""
from . import gpu_pipeline  # registers the GPU passes and pipelines
from .mirax_check_custom_vjp import MiraxCheckCustomVjp
from .mirax_check_runtime_calls import MiraxCheckRuntimeCalls
from .mirax_distinct_results import MiraxDistinctResults
from .mirax_early_deallocs import MiraxEarlyDeallocs
from .mirax_expand_math import MiraxExpandMath
from .mirax_fuse_elementwise import MiraxFuseElementwise
from .mirax_gpu_kernels import MiraxGpuKernels
from .mirax_gpu_unified_memory import MiraxGpuUnifiedMemory
from .mirax_jvp import MiraxJvp
from .mirax_linearize import MiraxLinearize
from .mirax_parallelize import MiraxParallelize
from .mirax_read_only_arguments import MiraxReadOnlyArguments
from .mirax_short_loops import MiraxShortLoops
from .mirax_simplify import MiraxSimplify
from .mirax_strided_copies import MiraxStridedCopies
from .mirax_to_linalg import MiraxToLinalg
from .mirax_transpose import MiraxTranspose
from .mirax_vectorize_matmul import MiraxVectorizeMatmul
from .mirax_vmap import MiraxVmap
from .pipelines import PASSES as ALL_PASSES, PIPELINES, MiraxDerive

__all__ = ["ALL_PASSES", "PIPELINES", "MiraxCheckCustomVjp", "MiraxCheckRuntimeCalls", "MiraxDerive",
           "MiraxDistinctResults", "MiraxEarlyDeallocs", "MiraxExpandMath", "MiraxFuseElementwise", "MiraxGpuKernels", "MiraxGpuUnifiedMemory", "MiraxJvp",
           "MiraxLinearize", "MiraxParallelize", "MiraxReadOnlyArguments", "MiraxShortLoops", "MiraxSimplify", "MiraxStridedCopies", "MiraxTranspose", "MiraxToLinalg",
           "MiraxVectorizeMatmul", "MiraxVmap", "gpu_pipeline"]
