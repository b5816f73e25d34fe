"""Host callbacks as a construct: a function computed by Python at run time (a
custom_vjp backward pass outside jit, run eagerly on concrete arrays as JAX runs it),
bodiless, naming the host symbol the runtime registers (`mirax.host_callback`);
mirax-to-linalg gives it a body calling that symbol on buffers."""
from mirax.mlir import bufferization, func, ir, memref

from . import rules
from .ir_util import add_body, declare, function_type, mark_derived
from .transformations import HOST_CALLBACK


def buffer(tensor_type):
    """The identity-layout memref type of a tensor type."""
    shaped = ir.RankedTensorType(tensor_type)
    return ir.MemRefType.get(shaped.shape, shaped.element_type)


class HostCallbackRules(rules.Construct):
    attribute = HOST_CALLBACK

    def callees(self, function):
        return set()

    def lower(self, module, function):
        """Its tensors as buffers, result buffers allocated, and a call of the host
        symbol on them all (inputs, then results to fill)."""
        host = ir.StringAttr(function.attributes[self.attribute]).value
        ftype = function_type(function)
        with function.location:
            declare(module, host, ir.FunctionType.get([buffer(t) for t in list(ftype.inputs) + list(ftype.results)],
                                                      []), function.location, {})
            block = add_body(function)
            with ir.InsertionPoint(block):
                inputs = [bufferization.ToBufferOp(buffer(a.type), a, read_only=True).result for a in block.arguments]
                outputs = [memref.AllocOp(buffer(t), [], []).result for t in ftype.results]
                func.CallOp([], host, inputs + outputs)
                func.ReturnOp([bufferization.ToTensorOp(t, out, restrict=True, writable=True).result
                               for t, out in zip(ftype.results, outputs, strict=True)])
        mark_derived(function, self.attribute)


rules.register(HostCallbackRules())
