# RUN: %PYTHON %s | FileCheck %s
"""mirax-gpu-launch-stack: gpu.launch_func's translation allocates the kernel's argument
arrays on the stack where the launch is; in a loop's body those allocas are dynamic, and
without a stack restore each iteration's stayed until the function returned (a long
while loop crashed on running out of stack). Each launch is put between a stacksave and
a stackrestore; in the translated LLVM IR no alloca is outside such a pair."""
from mirax.mlir import ir, llvm_d
from mirax.mlir_context import context
from mirax.passes.mirax_gpu_launch_stack import MiraxGpuLaunchStack
from mirax.passes.pipelines import run

# The host code (LLVM dialect): a stacksave before each launch, its restore after.
# CHECK-LABEL: llvm.func @loop
#       CHECK:   %[[S0:.+]] = llvm.intr.stacksave : !llvm.ptr
#  CHECK-NEXT:   gpu.launch_func @kernels::@first
#  CHECK-NEXT:   llvm.intr.stackrestore %[[S0]] : !llvm.ptr
#       CHECK: ^bb2:
#  CHECK-NEXT:   %[[S1:.+]] = llvm.intr.stacksave : !llvm.ptr
#  CHECK-NEXT:   gpu.launch_func @kernels::@step
#  CHECK-NEXT:   llvm.intr.stackrestore %[[S1]] : !llvm.ptr
#  CHECK-NEXT:   llvm.add

# Its LLVM IR: each launch's allocas (the argument struct, the array of pointers to
# its fields) follow the stacksave; the stackrestore follows the launch, in the entry
# block and in the loop's body; no other alloca anywhere.
# CHECK-LABEL: define void @loop(
#       CHECK:   [[S0:%[0-9]+]] = call ptr @llvm.stacksave.p0()
#  CHECK-NEXT:   alloca %{{.+}}, align 8
#  CHECK-NEXT:   alloca ptr, i64 1, align 8
#   CHECK-NOT:   alloca
#       CHECK:   call void @mgpuLaunchKernel(
#   CHECK-NOT:   alloca
#       CHECK:   call void @llvm.stackrestore.p0(ptr [[S0]])
#   CHECK-NOT:   alloca
#       CHECK:   br i1 %{{[0-9]+}}, label %[[BODY:[0-9]+]], label %{{[0-9]+}}
#   CHECK-NOT:   alloca
#       CHECK: {{^}}[[BODY]]:
#  CHECK-NEXT:   [[S1:%[0-9]+]] = call ptr @llvm.stacksave.p0()
#  CHECK-NEXT:   alloca %{{.+}}, align 8
#  CHECK-NEXT:   alloca ptr, i64 2, align 8
#   CHECK-NOT:   alloca
#       CHECK:   call void @mgpuLaunchKernel(
#   CHECK-NOT:   alloca
#       CHECK:   call void @llvm.stackrestore.p0(ptr [[S1]])
#   CHECK-NOT:   alloca
#       CHECK:   ret void
#   CHECK-NOT:   alloca

SOURCE = """
module attributes {gpu.container_module} {
  gpu.binary @kernels <#gpu.select_object<0 : i64>> [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">, assembly = "(PTX)">]
  llvm.func @loop(%buffer: !llvm.ptr, %n: i64) {
    %c0 = llvm.mlir.constant(0 : i64) : i64
    %c1 = llvm.mlir.constant(1 : i64) : i64
    gpu.launch_func @kernels::@first blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%buffer : !llvm.ptr)
    llvm.br ^loop(%c0 : i64)
  ^loop(%i: i64):
    %more = llvm.icmp "slt" %i, %n : i64
    llvm.cond_br %more, ^body, ^done
  ^body:
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%buffer : !llvm.ptr, %i : i64)
    %next = llvm.add %i, %c1 : i64
    llvm.br ^loop(%next : i64)
  ^done:
    llvm.return
  }
}
"""

with context():
    module = ir.Module.parse(SOURCE)
    run(module.operation, [MiraxGpuLaunchStack.name])
    print(module)
    print(llvm_d.translate_module_to_llvmir(module.operation))
