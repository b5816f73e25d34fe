"""User callbacks as a construct (mirax.pure_callback, experimental.io_callback,
debug.callback, debug.print): a host callback (host_callback.py: bodiless, naming
its host symbol, lowered to a call of that symbol on buffers) with the rules a
traced program needs: what its results depend on, its JVP and its batching.

Effects. A callback is kept and run in program order without any effect system:
mirax ops are Pure (cse and canonicalize see through them), but a func.call has no
MemoryEffectOpInterface, so MLIR assumes it may read and write anything: upstream
cse, canonicalize and symbol-dce neither remove nor merge nor reorder it, whether its
results are used or not (debug.print has none), before mirax-to-linalg (a call of the
declaration) and after (the inlined call of the external host symbol). mirax's own
passes rebuild every op they read, dropping dead code only in mirax-linearize's
linear part, where a callback never is: its JVP rule calls it on primal values
(or leaves it out where the primal computation runs anyway: `_recomputes`)."""
from mirax.mlir import func, ir

from . import rules
from .batching import batch_at
from .composites import broadcast_batch
from .dependence import callees
from .host_callback import HostCallbackRules
from .ir_util import declare, function_type, functions
from .rules import construct_of
from .transformations import CALLBACK, COND_BRANCHES, SCAN_BODY
from .types import shaped_type, tensor_type

# Host symbol -> the callback it runs: made by mirax.callback (the API layer, which
# registers its host function with the runtime), with `kind` ("debug", "pure" or
# "io"), `ordered`, `vmap_method` and `batched(method, batched, size)`, the host
# symbol of the callback on operands batched along 0 where `batched` says.
CALLBACKS = {}

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all", "legacy_vectorized")


def callback_of(function):
    return CALLBACKS[ir.StringAttr(function.attributes[CALLBACK]).value]


def _recomputes(module, function):
    """Whether the JVP of `function` recomputes a primal computation that runs anyway:
    the tangent part of a scan or cond calls the JVP of its body or branches (and what
    they call), beside the scan or cond itself, and their transposes call the VJPs
    (README, the compiler). A debug callback runs in the primal computation only, as
    in JAX, whose partial evaluation saves residuals instead of recomputing: once, not
    again in the tangent part or the backward pass."""
    table = functions(module)
    pending = [ir.FlatSymbolRefAttr(ref).value for f in table.values() for attribute in (SCAN_BODY, COND_BRANCHES)
               if attribute in f.attributes
               for ref in (ir.ArrayAttr(f.attributes[attribute]) if attribute == COND_BRANCHES
                           else [f.attributes[attribute]])]
    reached = set()
    while pending:
        symbol = pending.pop()
        if symbol not in reached:
            reached.add(symbol)
            construct = construct_of(table[symbol])
            if table[symbol].regions[0].blocks or (construct is not None and construct.callees is not None):
                pending.extend(callees(table[symbol]))  # else a declaration not derived yet, calling nothing
    return function.attributes["sym_name"].value in reached


class CallbackRules(HostCallbackRules):
    attribute = CALLBACK

    def depends(self, table, function, inputs):
        return [any(inputs)] * len(function_type(function).results)

    def jvp(self, module, op, function, primals, tangents):
        """JAX's: a debug callback runs on the primals and has no tangents; the others
        refuse, with JAX's errors."""
        callback = callback_of(function)
        if callback.kind == "pure":
            raise ValueError("Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use callbacks "
                             "while taking gradients.")
        if callback.kind == "io":
            raise ValueError("IO callbacks do not support JVP.")
        if _recomputes(module, op.operation.parent):
            return [], []  # a debug callback has no results
        call = func.CallOp(list(op.results.types), op.attributes["callee"].value, primals)
        return list(call.results), [None] * len(op.results)

    def batch(self, module, op, function, operands, dims, size):
        """A call of the batched callback on the operands batched along 0 (unbatched
        ones as the vmap method wants them), its results batched along 0. JAX's methods:
        a debug callback runs once per batch element, as "sequential"."""
        callback = callback_of(function)
        method = "sequential" if callback.kind == "debug" else callback.vmap_method
        if callback.kind == "io" and callback.ordered:
            raise ValueError("Cannot `vmap` ordered IO callback.")
        if method not in VMAP_METHODS:
            raise NotImplementedError(
                "vmap is only supported for the pure_callback primitive when vmap_method is one of 'sequential', "
                "'sequential_unrolled', 'expand_dims', 'broadcast_all', or 'legacy_vectorized'. "
                f"Got vmap_method={method!r}.")
        batched = [d is not None for d in dims]
        prepared = []
        for value, d in zip(operands, dims, strict=True):
            if d is not None or method == "broadcast_all":
                value = batch_at(value, d, size, 0)
            elif method == "expand_dims":
                value = broadcast_batch(value, 1, 0)
            prepared.append(value)
        host = callback.batched(method, batched, size)
        results = [tensor_type(shaped_type(t)._replace(shape=(size, *shaped_type(t).shape)))
                   for t in op.results.types]
        symbol = declare(module, f"{host}_call", ir.FunctionType.get([v.type for v in prepared], results), op.location,
                         {CALLBACK: ir.StringAttr.get(host)})
        call = func.CallOp(results, symbol, prepared)
        return list(call.results), [0] * len(results)


rules.register(CallbackRules())
