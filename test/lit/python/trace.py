# RUN: %PYTHON %s | FileCheck %s
"""IR built from Python with mirax.dialect's `build`: result types come from each
op's type rule, params from Python values through their codecs."""
import numpy as np

from mirax import dialect
from mirax.dialect import build, params_of
from mirax.dialect.constant import ConstantOp, IotaOp
from mirax.dialect.dot import DotGeneralOp
from mirax.dialect.reduction import ArgmaxOp, ReduceSumOp
from mirax.dialect.sort import SortOp
from mirax.dialect.elementwise import AddOp, CompareOp, ConvertOp, SinOp
from mirax.dialect.shape import BroadcastInDimOp, ReshapeOp, TransposeOp
from mirax.mlir import func, ir


def run(f):
    print("\nTEST:", f.__name__)
    with ir.Context() as ctx, ir.Location.unknown():
        dialect.load(ctx)
        f()
    return f


def tensor(shape, element):
    return ir.RankedTensorType.get(shape, ir.Type.parse(element))


def function(*arg_types):
    """Build a func.func of `arg_types` in a new module from the decorated body;
    return the verified module."""

    def decorate(body):
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            func.FuncOp.from_py_func(*arg_types, name=body.__name__)(body)
        assert module.operation.verify()
        return module

    return decorate


# CHECK-LABEL: TEST: elementwise
@run
def elementwise():
    @function(tensor([2, 3], "f32"), tensor([2, 3], "f32"))
    def f(x, y):
        (total,) = build(AddOp, [x, y])
        (sin,) = build(SinOp, [total])
        (less,) = build(CompareOp, [sin, y], direction="LT")
        (as_int,) = build(ConvertOp, [less], new_dtype=np.dtype(np.uint8))
        return as_int

    # CHECK: func.func @f(%[[X:.+]]: tensor<2x3xf32>, %[[Y:.+]]: tensor<2x3xf32>) -> tensor<2x3xui8>
    # CHECK:   %[[SUM:.+]] = "mirax.add"(%[[X]], %[[Y]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    # CHECK:   %[[SIN:.+]] = "mirax.sin"(%[[SUM]]) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    # CHECK:   %[[LT:.+]] = "mirax.compare"(%[[SIN]], %[[Y]]) {direction = "LT"} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
    # CHECK:   %[[U8:.+]] = "mirax.convert"(%[[LT]]) {new_dtype = ui8} : (tensor<2x3xi1>) -> tensor<2x3xui8>
    # CHECK:   return %[[U8]] : tensor<2x3xui8>
    print(f)


# CHECK-LABEL: TEST: constants
@run
def constants():
    @function()
    def f():
        (small,) = build(ConstantOp, [], value=np.array([0, 7, 255], np.uint8))
        (flags,) = build(ConstantOp, [], value=np.array([[True, False]]))
        (count,) = build(IotaOp, [], dtype=np.dtype(np.float32), shape=(2, 4), dimension=1)
        return small, flags, count

    # CHECK: "mirax.constant"() {value = dense<[0, 7, 255]> : tensor<3xui8>} : () -> tensor<3xui8>
    # CHECK: "mirax.constant"() {value = dense<{{\[\[}}true, false]]> : tensor<1x2xi1>} : () -> tensor<1x2xi1>
    # CHECK: "mirax.iota"() {dimension = 1 : i64, dtype = f32, shape = array<i64: 2, 4>} : () -> tensor<2x4xf32>
    print(f)


# CHECK-LABEL: TEST: shape
@run
def shape():
    @function(tensor([3], "i16"))
    def f(x):
        (wide,) = build(BroadcastInDimOp, [x], shape=(2, 3), broadcast_dimensions=(1,))
        (flipped,) = build(TransposeOp, [wide], permutation=(1, 0))
        (flat,) = build(ReshapeOp, [flipped], new_sizes=(6,))
        return flat

    # CHECK: "mirax.broadcast_in_dim"(%{{.+}}) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xi16>) -> tensor<2x3xi16>
    # CHECK: "mirax.transpose"(%{{.+}}) {permutation = array<i64: 1, 0>} : (tensor<2x3xi16>) -> tensor<3x2xi16>
    # CHECK: "mirax.reshape"(%{{.+}}) {new_sizes = array<i64: 6>} : (tensor<3x2xi16>) -> tensor<6xi16>
    print(f)


# CHECK-LABEL: TEST: contractions
@run
def contractions():
    """Reductions, dot_general, and sort with its several results (argsort by iota)."""

    @function(tensor([2, 3], "f64"), tensor([3], "f64"))
    def f(x, v):
        (total,) = build(ReduceSumOp, [x], axes=(0, 1))
        (best,) = build(ArgmaxOp, [x], axes=(1,), index_dtype=np.dtype(np.int32))
        (product,) = build(DotGeneralOp, [x, v], lhs_contracting_dimensions=(1,), rhs_contracting_dimensions=(0,),
                           lhs_batch_dimensions=(), rhs_batch_dimensions=())
        (positions,) = build(IotaOp, [], dtype=np.dtype(np.int32), shape=(3,), dimension=0)
        _, order = build(SortOp, [v, positions], dimension=0, is_stable=True)
        return total, best, product, order

    # CHECK: "mirax.reduce_sum"(%{{.+}}) {axes = array<i64: 0, 1>} : (tensor<2x3xf64>) -> tensor<f64>
    # CHECK: "mirax.argmax"(%{{.+}}) {axes = array<i64: 1>, index_dtype = i32} : (tensor<2x3xf64>) -> tensor<2xi32>
    # CHECK: "mirax.dot_general"(%{{.+}}, %{{.+}}) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, {{.*}}} : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2xf64>
    # CHECK: %[[SORTED:.+]]:2 = "mirax.sort"(%{{.+}}, %{{.+}}) {dimension = 0 : i64, is_stable = true} : (tensor<3xf64>, tensor<3xi32>) -> (tensor<3xf64>, tensor<3xi32>)
    # CHECK: return {{.*}}, %[[SORTED]]#1 :
    print(f)


# CHECK-LABEL: TEST: params
@run
def params():
    """params_of decodes an op's attributes back to the Python values it was built from."""

    @function(tensor([4], "bf16"))
    def f(x):
        build(ConvertOp, [x], new_dtype=np.dtype(np.complex64))
        build(BroadcastInDimOp, [x], shape=(5, 4), broadcast_dimensions=(1,))
        build(ConstantOp, [], value=np.arange(3, dtype=np.int64))

    for op in f.body.operations[0].regions[0].blocks[0].operations:
        if op.name.startswith("mirax."):
            # CHECK: mirax.convert {'new_dtype': dtype('complex64')}
            # CHECK: mirax.broadcast_in_dim {'shape': (5, 4), 'broadcast_dimensions': (1,)}
            # CHECK: mirax.constant {'value': array([0, 1, 2])}
            print(op.name, params_of(op))


# CHECK-LABEL: TEST: type_errors
@run
def type_errors():
    """Building an op that its type rule rejects raises TypeError with the rule's message."""

    @function(tensor([2], "f32"), tensor([3], "f32"), tensor([2], "i32"))
    def f(x, y, i):
        for op_cls, operands, params in [
            (AddOp, [x, y], {}),
            (SinOp, [i], {}),
            (CompareOp, [x, x], {"direction": "less"}),
            (TransposeOp, [x], {"permutation": (1,)}),
        ]:
            try:
                build(op_cls, operands, **params)
            except TypeError as err:
                # CHECK: add: requires operands of one shape, got [2], [3]
                # CHECK: sin: does not accept int32 operands (sin takes float, complex)
                # CHECK: compare: direction must be one of EQ, NE, LT, LE, GT, GE, got 'less'
                # CHECK: transpose: permutation [1] is not a permutation of the 1 dimensions of shape [2]
                print(f"{op_cls.OPERATION_NAME.removeprefix('mirax.')}: {err}")
