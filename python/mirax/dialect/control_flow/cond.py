"""lax.cond and lax.switch as a construct: a declared function (index: tensor<i32>,
args...) -> outputs..., naming its branches (`mirax.cond_branches`), each args... ->
outputs...; the index is in range (the API clamps it). Its JVP is the cond and its
tangent part (`mirax.cond_tangent_of`), a cond of the branches' tangents, which
transposes into a cond of the branches' VJPs; mirax-to-linalg lowers it to scf.if."""
from mirax.mlir import arith, func, ir, scf, tensor

from .. import ops, rules
from ..batching import batch_at
from ..dependence import depends
from ..ir_util import add_body, declare, function_type, functions, mark_derived
from ..transformations import (ACTIVE, COND_BRANCHES, COND_TANGENT_OF, NOT_BATCHED, batched_type, branch_list, branches,
                               declare_vmap, spell_axes)
from ..types import shaped_type
from ..values import full, instantiate, type_of
from .while_ import broadcast_to
from .wrappers import cotangents as cotangents_of, tangents as tangents_of


class CondRules(rules.Construct):
    attribute = COND_BRANCHES

    def callees(self, cond):
        return set(branches(cond))

    def depends(self, table, cond, inputs):
        """Any branch's outputs that depend on the flagged args, or all of them where
        the index does."""
        if inputs[0]:
            return [True] * len(function_type(cond).results)
        per_branch = [depends(table, table[symbol], inputs[1:]) for symbol in branches(cond)]
        return [any(flags) for flags in zip(*per_branch, strict=True)]

    def jvp(self, module, op, cond, in_primals, in_tangents):
        """Two conds on the same index: the cond itself, and the tangent part, whose
        branches are the branches' tangents (recomputing what they need of the primal
        from the args): linear in the tangents, which mirax-linearize keeps apart."""
        name = cond.attributes["sym_name"].value
        types = list(op.results.types)
        outputs = list(func.CallOp(types, name, in_primals).results)
        args, arg_tangents = in_primals[1:], in_tangents[1:]
        active = [i for i, t in enumerate(arg_tangents) if t is not None]
        tangents = [arg_tangents[i] for i in active]
        inputs = [v.type for v in args + tangents]
        table = functions(module)
        wrappers = [tangents_of(module, table[symbol], active, cond.location) for symbol in branches(cond)]
        symbol = declare(module, f"{name}_tangent_{'_'.join(map(str, active))}",
                         ir.FunctionType.get([in_primals[0].type] + inputs, types), cond.location,
                         {COND_BRANCHES: branch_list(wrappers), COND_TANGENT_OF: ir.FlatSymbolRefAttr.get(name),
                          ACTIVE: ir.DenseI64ArrayAttr.get(active)})
        return outputs, list(func.CallOp(types, symbol, [in_primals[0]] + args + tangents).results)

    def transpose(self, module, op, tangent_cond, cts, operands):
        """A cond's tangent part (index, args..., tangents...) transposes into a cond of
        the branches' VJPs on the same index and args, giving the tangents' cotangents."""
        if COND_TANGENT_OF not in tangent_cond.attributes:
            raise NotImplementedError(f"mirax-transpose: cannot transpose a call of @{op.attributes['callee'].value}")
        table = functions(module)
        cond = table[tangent_cond.attributes[COND_TANGENT_OF].value]
        active = list(ir.DenseI64ArrayAttr(tangent_cond.attributes[ACTIVE]))
        num_args = len(function_type(cond).inputs) - 1
        index, args = operands[0], operands[1:1 + num_args]
        cts = [instantiate(ct, shaped_type(r.type)) for ct, r in zip(cts, op.results, strict=True)]
        inputs = [v.type for v in args + cts]
        results = [function_type(cond).inputs[1 + i] for i in active]
        wrappers = [cotangents_of(module, table[symbol], active, cond.location) for symbol in branches(cond)]
        name = f"{cond.attributes['sym_name'].value}_transpose_{'_'.join(map(str, active))}"
        symbol = declare(module, name, ir.FunctionType.get([index.type] + inputs, results), cond.location,
                         {COND_BRANCHES: branch_list(wrappers)})
        grads = func.CallOp(results, symbol, [index] + args + cts).results
        return [None] * (1 + num_args) + list(grads)

    def batch(self, module, op, cond, operands, dims, size):
        """With an unbatched index, a cond of the batched branches (outputs batched
        along 0 where any branch's depends on a batched arg); with a batched index,
        every batched branch, each lane's result selected by its index, as JAX does."""
        table = functions(module)
        index_dim, arg_dims = dims[0], dims[1:]
        in_axes = [NOT_BATCHED if d is None else d for d in arg_dims]
        out_axes = [0 if flag else NOT_BATCHED for flag in self.depends(table, cond, [d is not None for d in dims])]
        batched = [declare_vmap(module, table[symbol], in_axes, out_axes, size) for symbol in branches(cond)]
        types = [batched_type(t, a, size) for t, a in zip(op.results.types, out_axes, strict=True)]
        if index_dim is None:
            ftype = ir.FunctionType.get([v.type for v in operands], types)
            symbol = declare(module, f"{cond.attributes['sym_name'].value}_vmap{size}_in_{spell_axes(in_axes)}",
                             ftype, cond.location, {COND_BRANCHES: branch_list(batched)})
            return (list(func.CallOp(types, symbol, operands).results),
                    [None if a == NOT_BATCHED else 0 for a in out_axes])
        index = batch_at(operands[0], index_dim, size, 0)
        results = [list(func.CallOp(types, symbol, operands[1:]).results) for symbol in batched]
        chosen = results[-1]
        for k in range(len(results) - 2, -1, -1):
            is_k = ops.compare(index, full(type_of(index), k), direction="EQ")
            chosen = [ops.select(broadcast_to(is_k, type_of(r)), r, c)
                      for r, c in zip(results[k], chosen, strict=True)]
        return chosen, [0] * len(chosen)

    def lower(self, module, cond):
        """scf.ifs on the index choosing the call of one branch."""
        symbols = branches(cond)
        block = add_body(cond)
        types = list(function_type(cond).results)
        index, args = block.arguments[0], list(block.arguments)[1:]
        i32 = ir.IntegerType.get_signless(32)

        def choose(k):
            """The results of branch k if the index is k, else of the branches after it."""
            call = lambda symbol: list(func.CallOp(types, symbol, args).results)  # noqa: E731
            if k == len(symbols) - 1:
                return call(symbols[k])
            is_k = arith.cmpi(arith.CmpIPredicate.eq, tensor.extract(index, []), arith.constant(i32, k))
            branch = scf.IfOp(is_k, types, has_else=True)
            with ir.InsertionPoint(branch.then_block):
                scf.YieldOp(call(symbols[k]))
            with ir.InsertionPoint(branch.else_block):
                scf.YieldOp(choose(k + 1))
            return list(branch.results)

        with ir.InsertionPoint(block), cond.location:
            func.ReturnOp(choose(0))
        mark_derived(cond, COND_BRANCHES)


rules.register(CondRules())
