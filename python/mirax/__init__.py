"""mirax: a differentiable array compiler for Python built on MLIR, with JAX's API."""
from mirax.config import config  # noqa: I001  (first: everything reads it)
from mirax import dtypes, errors, tree, tree_util
from mirax.core import Array
from mirax.errors import ConcretizationTypeError, UnexpectedTracerError
from mirax import array_methods  # noqa: F401  (installs NumPy's operators on arrays)
from mirax import lax, numpy
from mirax import nn, scipy
from mirax.api import clear_caches, device_put, jit, make_jaxpr
from mirax.platforms import Device, default_backend, devices
from mirax.vmapping import vmap
from mirax.custom_derivatives import custom_jvp, custom_vjp
from mirax.ad import grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize, value_and_grad, vjp
from mirax.ad_checkpoint import checkpoint, checkpoint_policies, remat
from mirax import test_util
from mirax import random
from mirax import flatten_util
from mirax.callback import ShapeDtypeStruct, pure_callback
from mirax import debug, experimental
from mirax._config_api import (
    check_tracer_leaks, checking_leaks, debug_infs, debug_nans, default_device, default_matmul_precision, device_count,
    disable_jit, enable_x64, explain_cache_misses, host_count, host_id, host_ids, local_device_count, local_devices,
    log_compiles, numpy_dtype_promotion, numpy_rank_promotion, process_count, process_index, process_indices,
    threefry_partitionable, transfer_guard, transfer_guard_device_to_device, transfer_guard_device_to_host,
    transfer_guard_host_to_device)
from mirax._transform_extras import (
    block_until_ready, closure_convert, copy_to_host_async, custom_gradient, device_get, effects_barrier,
    ensure_compile_time_eval, eval_shape, float0, jacobian, named_call, named_scope, typeof)
from mirax import stages
from mirax import image
from mirax._config_api import (
    allow_f16_reductions, array_garbage_collection_guard, debug_key_reuse, default_prng_impl, enable_checks,
    enable_custom_prng, jax2tf_associative_scan_reductions, legacy_prng_key, no_execution, no_tracing,
    remove_size_one_mesh_axis_from_type, softmax_custom_jvp, thread_guard, make_user_context)
from mirax import dlpack, typing, version
from mirax.version import __version__, __version_info__
from mirax.environment_info import print_environment_info
from mirax._arrays import (
    live_arrays, make_array_from_callback, make_array_from_process_local_data, make_array_from_single_device_arrays)
from mirax._fwd_and_bwd import fwd_and_bwd
from mirax import monitoring
from mirax import distributed, sharding
from mirax.sharding import NamedSharding, PartitionSpec as P, Shard, make_mesh, set_mesh
from mirax._array_sharding import reshard
from mirax._shard_map import shard_map, smap
from mirax._pmap import pmap
from mirax import _sharded_jit  # noqa: F401  (jit's in_shardings/out_shardings)
from mirax import ops
from mirax import export
from mirax import custom_batching, ffi, memory, profiler, ref
from mirax.ref import Ref, ds, empty_ref, free_ref, freeze, new_ref
