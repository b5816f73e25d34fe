"""mirax.shard_map (jax.shard_map) as a construct: a declared function args... -> outputs...
of global values, naming its body (`mirax.shard_map_body`), a per-process function of
blocks, and the mesh (`mirax.shard_map_mesh_axes`, `..._mesh_shape`) and specs
(`..._in_specs`, `..._out_specs`: per operand, per dimension, the mesh axes that
dimension is split over). Each process runs the body on its block of every argument and
holds every output whole: a split output is gathered from the processes' blocks.

`mirax.shard_map_check_vma` is JAX's check_vma: the body then has explicit pvary casts
where a value that is the same on every process meets one that varies (the frontend
puts them there), so that a cotangent flowing back into a replicated value is summed
over the processes by pvary's transpose (psum_invariant). Without it, JAX's
check_vma=False rules: the cotangent of a replicated output is divided by the number of
processes it is replicated over, and that of a replicated input summed over them.

Its JVP is the shard_map itself and its tangent part (`mirax.shard_map_tangent_of`), a
shard_map of the body's tangents, which transposes into a shard_map of the body's VJP,
as checkpoint's. mirax-to-linalg gives it its body in mirax ops (`expand`): each block
sliced at the process's axis_index, the body called, split outputs all_gathered."""
import math

from mirax.mlir import arith, func, ir, linalg, tensor

from .. import ops, rules
from ..collectives import AllGatherOp, PsumOp, lower_all_gather, process_index
from ..dependence import depends
from ..ir_util import add_body, declare, define, function_type, functions, mark_derived
from ..ops import build
from ..transformations import ACTIVE, NOT_BATCHED, batched_type, declare_vmap, spell_axes
from ..rules import Node
from ..types import ShapedType, dtype_of, shaped_type
from ..values import full, instantiate
from . import wrappers

BODY = "mirax.shard_map_body"
MESH_AXES = "mirax.shard_map_mesh_axes"
MESH_SHAPE = "mirax.shard_map_mesh_shape"
IN_SPECS = "mirax.shard_map_in_specs"
OUT_SPECS = "mirax.shard_map_out_specs"
CHECK_VMA = "mirax.shard_map_check_vma"
TANGENT_OF = "mirax.shard_map_tangent_of"


def encode_specs(specs):
    """Specs (per operand, per dimension, a tuple of mesh axis names) as an attribute."""
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.ArrayAttr.get([ir.StringAttr.get(a) for a in dim]) for dim in spec])
                             for spec in specs])


def _decode_specs(attr):
    return [tuple(tuple(ir.StringAttr(a).value for a in ir.ArrayAttr(dim)) for dim in ir.ArrayAttr(spec))
            for spec in ir.ArrayAttr(attr)]


def mesh_of(shard_map):
    """(axis names, sizes) of the mesh."""
    return (tuple(ir.StringAttr(a).value for a in ir.ArrayAttr(shard_map.attributes[MESH_AXES])),
            tuple(ir.DenseI64ArrayAttr(shard_map.attributes[MESH_SHAPE])))


def specs_of(shard_map):
    return _decode_specs(shard_map.attributes[IN_SPECS]), _decode_specs(shard_map.attributes[OUT_SPECS])


def body_of(shard_map):
    return shard_map.attributes[BODY].value


def declare_shard_map(module, symbol, ftype, location, body, mesh, in_specs, out_specs, check_vma, **extra):
    """A shard_map of @body named `symbol` (declared once)."""
    attributes = {BODY: ir.FlatSymbolRefAttr.get(body), MESH_AXES: ir.ArrayAttr.get([ir.StringAttr.get(a)
                                                                                      for a in mesh[0]]),
                  MESH_SHAPE: ir.DenseI64ArrayAttr.get(list(mesh[1])), IN_SPECS: encode_specs(in_specs),
                  OUT_SPECS: encode_specs(out_specs), **extra}
    if check_vma:
        attributes[CHECK_VMA] = ir.UnitAttr.get()
    return declare(module, symbol, ftype, location, attributes)


def block_type(shaped, spec, sizes):
    """The ShapedType of one process's block of a global value of `shaped` split as `spec`."""
    return ShapedType(tuple(d // math.prod(sizes[a] for a in axes) for d, axes in zip(shaped.shape, spec,
                                                                                         strict=True)), shaped.dtype)


def _mesh_params(mesh, axes):
    return {"axes": tuple(axes), "mesh_axes": mesh[0], "mesh_shape": mesh[1]}


def _unmentioned(mesh, spec):
    mentioned = {a for axes in spec for a in axes}
    return tuple(a for a in mesh[0] if a not in mentioned)


def _with_check_vma_false_cotangents(module, body, mesh, ct_specs, result_specs, location):
    """@body (args..., cotangents...) -> input cotangents under check_vma=False's rules:
    the cotangent of an output replicated over some axes divided by their size, the
    input cotangents summed over the axes their input is replicated over."""
    ftype = function_type(functions(module)[body])
    num_args = len(ftype.inputs) - len(ct_specs)
    sizes = dict(zip(*mesh, strict=True))

    def build_body(args):
        cts = args[num_args:]
        for i, spec in enumerate(ct_specs):
            n = math.prod(sizes[a] for a in _unmentioned(mesh, spec))
            if n != 1:
                cts[i] = ops.div(cts[i], full(shaped_type(cts[i].type), n))
        results = func.CallOp(list(ftype.results), body, args[:num_args] + cts).results
        outs = []
        for result, spec in zip(results, result_specs, strict=True):
            axes = _unmentioned(mesh, spec)
            outs.append(build(PsumOp, [result], **_mesh_params(mesh, axes))[0] if axes else result)
        return outs

    return define(module, f"{body}_check_vma_false", list(ftype.inputs), list(ftype.results), location, build_body)


class ShardMapRules(rules.Construct):
    attribute = BODY

    def callees(self, shard_map):
        return {body_of(shard_map)}

    def depends(self, table, shard_map, inputs):
        return depends(table, table[body_of(shard_map)], inputs)

    def jvp(self, module, op, shard_map, in_primals, in_tangents):
        """The shard_map itself, and a shard_map of the body's tangents (args...,
        tangents of the active args...), split as the args and outputs are."""
        name = shard_map.attributes["sym_name"].value
        types = list(op.results.types)
        outputs = list(func.CallOp(types, name, in_primals).results)
        active = [i for i, t in enumerate(in_tangents) if t is not None]
        tangents = [in_tangents[i] for i in active]
        in_specs, out_specs = specs_of(shard_map)
        body = wrappers.tangents(module, functions(module)[body_of(shard_map)], active, shard_map.location)
        symbol = declare_shard_map(
            module, f"{name}_tangent_{'_'.join(map(str, active))}",
            ir.FunctionType.get([v.type for v in in_primals + tangents], types), shard_map.location, body,
            mesh_of(shard_map), in_specs + [in_specs[i] for i in active], out_specs, CHECK_VMA in shard_map.attributes,
            **{TANGENT_OF: ir.FlatSymbolRefAttr.get(name), ACTIVE: ir.DenseI64ArrayAttr.get(active)})
        return outputs, list(func.CallOp(types, symbol, in_primals + tangents).results)

    def transpose(self, module, op, tangent, cts, operands):
        """A shard_map's tangent part transposes into a shard_map of the body's VJP
        (args..., output cotangents...) -> cotangents of the active args, split as
        they are."""
        if TANGENT_OF not in tangent.attributes:
            raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")
        table = functions(module)
        shard_map = table[tangent.attributes[TANGENT_OF].value]
        active = list(ir.DenseI64ArrayAttr(tangent.attributes[ACTIVE]))
        ftype = function_type(shard_map)
        args = operands[:len(ftype.inputs)]
        cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
        results = [ftype.inputs[i] for i in active]
        in_specs, out_specs = specs_of(shard_map)
        mesh = mesh_of(shard_map)
        check_vma = CHECK_VMA in shard_map.attributes
        body = wrappers.cotangents(module, table[body_of(shard_map)], active, shard_map.location)
        if not check_vma:
            body = _with_check_vma_false_cotangents(module, body, mesh, out_specs, [in_specs[i] for i in active],
                                                    shard_map.location)
        symbol = declare_shard_map(
            module, f"{shard_map.attributes['sym_name'].value}_transpose_{'_'.join(map(str, active))}",
            ir.FunctionType.get([v.type for v in args + cts], results), shard_map.location, body, mesh,
            in_specs + out_specs, [in_specs[i] for i in active], check_vma)
        grads = func.CallOp(results, symbol, args + cts).results
        return [None] * len(args) + list(grads)

    def batch(self, module, op, shard_map, operands, dims, size):
        """A shard_map of the batched body: a batched argument's spec has an unsplit
        dimension at its batch dimension, which its block keeps; outputs that depend on
        a batched argument are batched along 0, unsplit."""
        table = functions(module)
        in_specs, out_specs = specs_of(shard_map)
        in_axes = [NOT_BATCHED if d is None else d for d in dims]
        batched_outputs = self.depends(table, shard_map, [d is not None for d in dims])
        out_axes = [0 if flag else NOT_BATCHED for flag in batched_outputs]
        body = declare_vmap(module, table[body_of(shard_map)], in_axes, out_axes, size)
        types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
        name = shard_map.attributes["sym_name"].value
        symbol = declare_shard_map(
            module, f"{name}_vmap{size}_in_{spell_axes(in_axes)}_out_{spell_axes(out_axes)}",
            ir.FunctionType.get([v.type for v in operands], types), shard_map.location, body, mesh_of(shard_map),
            [_unsplit_at(spec, d) for spec, d in zip(in_specs, dims, strict=True)],
            [_unsplit_at(spec, 0 if flag else None) for spec, flag in zip(out_specs, batched_outputs, strict=True)],
            CHECK_VMA in shard_map.attributes)
        return list(func.CallOp(types, symbol, operands).results), [0 if flag else None for flag in batched_outputs]

    def lower(self, module, shard_map):
        """Each argument's block (sliced at this process's index along the axes its
        dimensions are split over), the body on the blocks, each output gathered along
        its split dimensions."""
        mesh = mesh_of(shard_map)
        in_specs, out_specs = specs_of(shard_map)
        body = functions(module)[body_of(shard_map)]
        block = add_body(shard_map)
        with ir.InsertionPoint(block), shard_map.location:
            blocks = [_block(x, spec, mesh) for x, spec in zip(block.arguments, in_specs, strict=True)]
            outs = func.CallOp(list(function_type(body).results), body_of(shard_map), blocks).results
            func.ReturnOp([_gathered(y, spec, mesh) for y, spec in zip(outs, out_specs, strict=True)])
        mark_derived(shard_map, *(a for a in (BODY, MESH_AXES, MESH_SHAPE, IN_SPECS, OUT_SPECS, CHECK_VMA, TANGENT_OF,
                                               ACTIVE) if a in shard_map.attributes))


def _unsplit_at(spec, dim):
    """`spec` with an unsplit dimension at `dim` (None: as it is)."""
    return spec if dim is None else spec[:dim] + ((),) + spec[dim:]


def _block(x, spec, mesh):
    """This process's block of `x` split as `spec`: a slice at its offsets, a view where
    the block is contiguous (split along its first dimensions of more than one
    element), else copied into a tensor of its own (a strided view would be copied by
    MLIR's runtime, which the JIT lacks)."""
    whole = ir.RankedTensorType(x.type)
    local = block_type(ShapedType(tuple(whole.shape), None), spec, dict(zip(*mesh, strict=True))).shape
    split = [d for d, (n, m) in enumerate(zip(local, whole.shape, strict=True)) if n != m]
    if not split:
        return x
    index = ir.IndexType.get()
    offsets = [arith.muli(process_index(_mesh_params(mesh, axes)), arith.constant(index, size))
               for axes, size in zip(spec, local, strict=True) if axes]
    static = [ir.ShapedType.get_dynamic_stride_or_offset() if axes else 0 for axes in spec]
    block_type_ = ir.RankedTensorType.get(list(local), whole.element_type)
    result = tensor.extract_slice(block_type_, x, offsets, [], [], static, list(local), [1] * len(local))
    first = split[0]
    if all(n == 1 for n in local[:first]) and tuple(local[first + 1:]) == tuple(whole.shape[first + 1:]):
        return result
    return linalg.copy(result, outs=[tensor.EmptyOp(list(local), whole.element_type).result])


def _gathered(y, spec, mesh):
    for dim, axes in enumerate(spec):
        if axes:
            in_type = ir.RankedTensorType(y.type)
            shaped = ShapedType(tuple(in_type.shape), dtype_of(in_type.element_type))
            params = {**_mesh_params(mesh, axes), "axis": dim, "tiled": True}
            node = Node(AllGatherOp.OPERATION_NAME, params, (shaped,), (AllGatherOp.infer(shaped, **params),))
            (y,) = lower_all_gather(node, y)
    return y


rules.register(ShardMapRules())
