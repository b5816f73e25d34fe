"""mirax-gpu-stop-loops: host while loops stop once a GPU runtime call has failed."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.mlir import arith, func, ir, llvm_d

FAILED_FLAG = "mirax_gpu_failed"  # host function: the address of its thread's failure flag (an i32)


@dataclass(frozen=True)
class MiraxGpuStopLoops:
    """Host code's while loops stop once a GPU runtime call of the program has failed.

    After a failure the runtime's calls do nothing (python/mirax/gpu_runtime.py), so a
    loop whose condition reads what a failed kernel never wrote could run forever. Each
    host function with a while loop asks the runtime once for the address of its
    thread's failure flag, and each condition is and-ed with the flag being 0: a
    volatile load, as the runtime's calls in the loop's body set it behind the
    compiler's back. The program then returns, and the runtime raises the failure."""

    name: ClassVar[str] = "mirax-gpu-stop-loops"
    summary: ClassVar[str] = "And each host while loop's condition with the GPU runtime's failure flag being clear"

    def __call__(self, module):
        body = module.regions[0].blocks[0]
        pointer, i32 = ir.Type.parse("!llvm.ptr"), ir.IntegerType.get_signless(32)
        declared = False
        for function in [op for op in body.operations if op.operation.name == "func.func"]:
            loops = []

            def collect(op):
                if op.name == "gpu.launch":
                    return ir.WalkResult.SKIP
                if op.name == "scf.while":
                    loops.append(op)
                return ir.WalkResult.ADVANCE

            function.operation.walk(collect, ir.WalkOrder.PRE_ORDER)  # (SKIP: not into kernels)
            if not loops:
                continue
            if not declared:
                with ir.InsertionPoint.at_block_begin(body), ir.Location.unknown():
                    func.FuncOp(FAILED_FLAG, ([], [pointer]), visibility="private")
                declared = True
            with ir.InsertionPoint.at_block_begin(function.regions[0].blocks[0]), function.location:
                flag = func.CallOp([pointer], FAILED_FLAG, []).result
            for loop in loops:
                condition = loop.regions[0].blocks[0].operations[len(loop.regions[0].blocks[0].operations) - 1]
                with ir.InsertionPoint(condition), loop.location:
                    failed = llvm_d.LoadOp(i32, flag, volatile_=True).result
                    clear = arith.cmpi(arith.CmpIPredicate.eq, failed, arith.constant(i32, 0))
                    condition.operands[0] = arith.andi(condition.operands[0], clear)
