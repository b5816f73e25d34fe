"""jax.ffi's names, each refusing: JAX's foreign function interface calls XLA FFI
handlers (C++ functions registered with XLA's custom-call registry, taking XLA's
`ffi::Buffer`s and attributes), and mirax compiles through MLIR to its own machine
code, with no XLA runtime to register or call them in. A Python function called from
compiled code is `mirax.pure_callback` / `mirax.experimental.io_callback`."""

__all__ = ["build_ffi_lowering_function", "ffi_call", "ffi_lowering", "include_dir", "pycapsule",
           "register_ffi_target", "register_ffi_target_as_batch_partitionable", "register_ffi_type",
           "register_ffi_type_id"]


def _refuse(name):
    raise NotImplementedError(
        f"mirax.ffi.{name}: mirax cannot call XLA FFI handlers (they run inside XLA's runtime, which mirax does not "
        f"have: it compiles through MLIR to machine code of its own). Call Python from compiled code with "
        f"mirax.pure_callback or mirax.experimental.io_callback instead.")


def ffi_call(target_name, result_shape_dtypes, *, has_side_effect=False, vmap_method=None, input_layouts=None,
             output_layouts=None, input_output_aliases=None, custom_call_api_version=4, legacy_backend_config=None):
    _refuse("ffi_call")


def ffi_lowering(call_target_name, *, operand_layouts=None, result_layouts=None, backend_config=None,
                 skip_ffi_layout_processing=False, **lowering_args):
    _refuse("ffi_lowering")


def build_ffi_lowering_function(call_target_name, *, operand_layouts=None, result_layouts=None, backend_config=None,
                                skip_ffi_layout_processing=False, **lowering_args):
    _refuse("build_ffi_lowering_function")


def include_dir():
    _refuse("include_dir (XLA's FFI headers)")


def pycapsule(funcptr):
    _refuse("pycapsule")


def register_ffi_target(name, fn, platform="cpu", api_version=1, **kwargs):
    _refuse("register_ffi_target")


def register_ffi_target_as_batch_partitionable(name):
    _refuse("register_ffi_target_as_batch_partitionable")


def register_ffi_type(name, type_registration, platform="cpu"):
    _refuse("register_ffi_type")


def register_ffi_type_id(name, obj, platform="cpu"):
    _refuse("register_ffi_type_id")
