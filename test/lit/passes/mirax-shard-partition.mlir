// RUN: mirax-opt %s --mirax-lower-to-linalg --mirax-shard-partition > %t
// RUN: FileCheck %s < %t
// RUN: FileCheck %s --check-prefix=GATHER < %t
// RUN: mirax-opt %s --mirax-lower-to-linalg --mirax-shard-partition --mirax-shard-to-mpi | FileCheck %s --check-prefix=MPI
// RUN: mirax-opt %s --mirax-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// jit(grad(loss), in_shardings=(replicated, split, split), out_shardings=replicated)
// of an MLP over 2 processes (_sharded_jit.py puts the shardings on @main): the batch
// is sliced once and never gathered, the forward and backward passes run on each
// process's 4 rows (whether a dot lowers to a linalg.matmul or a linalg.generic), each
// gradient is summed over the processes, and mirax-shard-to-mpi makes the two sums one
// MPI allreduce of both gradients (10 + 15 floats).

// GATHER-NOT: shard.all_gather
//      CHECK: shard.grid @mirax_partition_mesh(shape = 2)
//      CHECK: func.func @main(
//  CHECK-NOT: mirax.shardings
//      CHECK: %[[X:.+]] = shard.all_slice %arg2 on @mirax_partition_mesh grid_axes = [0] slice_axis = 0 : tensor<8x3xf32> -> tensor<4x3xf32>
//      CHECK: %[[Y:.+]] = shard.all_slice %arg3 {{.*}} -> tensor<4x2xf32>
//      CHECK: ins(%[[X]], %arg0 : tensor<4x3xf32>, tensor<3x5xf32>)
//      CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[Y]] : tensor<4x2xf32>, tensor<4x2xf32>)
//      CHECK: ins(%{{.+}}, %{{.+}} : tensor<{{5x4|4x5}}xf32>, tensor<4x2xf32>) outs(%{{.+}} : tensor<5x2xf32>)
//      CHECK: shard.all_reduce %{{.+}} on @mirax_partition_mesh grid_axes = [0] : tensor<5x2xf32> -> tensor<5x2xf32>
//      CHECK: ins(%{{.+}}, %{{.+}} : tensor<{{3x4|4x3}}xf32>, tensor<4x5xf32>) outs(%{{.+}} : tensor<3x5xf32>)
//      CHECK: shard.all_reduce %{{.+}} on @mirax_partition_mesh grid_axes = [0] : tensor<3x5xf32> -> tensor<3x5xf32>
//      CHECK: return {{.*}} : tensor<3x5xf32>, tensor<5x2xf32>

//     MPI: tensor.insert_slice %{{.+}} into %{{.+}}[0] [10] [1] : tensor<10xf32> into tensor<25xf32>
//     MPI: tensor.insert_slice %{{.+}} into %{{.+}}[10] [15] [1] : tensor<15xf32> into tensor<25xf32>
//     MPI: mpi.allreduce(%{{.+}}, %{{.+}}, MPI_SUM, %{{.+}}) : memref<25xf32>, memref<25xf32>
// MPI-NOT: mpi.allreduce
//     MPI: tensor.extract_slice %{{.+}}[0] [10] [1] : tensor<25xf32> to tensor<10xf32>
//     MPI: tensor.extract_slice %{{.+}}[10] [15] [1] : tensor<25xf32> to tensor<15xf32>

// LLVM-NOT: @MPI_Allgather
//     LLVM: llvm.call @MPI_Allreduce
// LLVM-NOT: @MPI_Allgather
// LLVM-NOT: llvm.call @MPI_Allreduce

module {
  func.func @main(%arg0: tensor<3x5xf32>, %arg1: tensor<5x2xf32>, %arg2: tensor<8x3xf32>, %arg3: tensor<8x2xf32>) -> (tensor<3x5xf32>, tensor<5x2xf32>) attributes {mirax.shardings = {grid = array<i64: 2>, in_shardings = [#shard<axisarray[[], []]>, #shard<axisarray[[], []]>, #shard<axisarray[[0], []]>, #shard<axisarray[[0], []]>], out_shardings = [#shard<axisarray[[], []]>, #shard<axisarray[[], []]>]}} {
    %0 = "mirax.constant"() {value = dense<1.000000e+00> : tensor<f32>} : () -> tensor<f32>
    %1:3 = call @mlp_loss_vjp_0_1(%arg0, %arg1, %arg2, %arg3, %0) : (tensor<3x5xf32>, tensor<5x2xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<f32>) -> (tensor<f32>, tensor<3x5xf32>, tensor<5x2xf32>)
    return %1#1, %1#2 : tensor<3x5xf32>, tensor<5x2xf32>
  }
  func.func private @mlp_loss(%arg0: tensor<3x5xf32>, %arg1: tensor<5x2xf32>, %arg2: tensor<8x3xf32>, %arg3: tensor<8x2xf32>) -> tensor<f32> {
    %0 = "mirax.dot_general"(%arg2, %arg0) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<8x3xf32>, tensor<3x5xf32>) -> tensor<8x5xf32>
    %1 = "mirax.tanh"(%0) : (tensor<8x5xf32>) -> tensor<8x5xf32>
    %2 = "mirax.dot_general"(%1, %arg1) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<8x5xf32>, tensor<5x2xf32>) -> tensor<8x2xf32>
    %3 = "mirax.sub"(%2, %arg3) : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<8x2xf32>
    %4 = "mirax.integer_pow"(%3) {y = 2 : i64} : (tensor<8x2xf32>) -> tensor<8x2xf32>
    %5 = "mirax.reduce_sum"(%4) {axes = array<i64: 0, 1>} : (tensor<8x2xf32>) -> tensor<f32>
    %6 = "mirax.constant"() {value = dense<1.600000e+01> : tensor<f32>} : () -> tensor<f32>
    %7 = "mirax.div"(%5, %6) : (tensor<f32>, tensor<f32>) -> tensor<f32>
    return %7 : tensor<f32>
  }
  func.func private @mlp_loss_vjp_0_1(tensor<3x5xf32>, tensor<5x2xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<f32>) -> (tensor<f32>, tensor<3x5xf32>, tensor<5x2xf32>) attributes {mirax.active = array<i64: 0, 1>, mirax.vjp_of = @mlp_loss}
}

