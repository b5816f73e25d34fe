// RUN: mirax-opt %s --mirax-shard-to-mpi | FileCheck %s

// A data-parallel step's sums over the processes: the loss's, which its mean divides
// by the process count, and a gradient's, in one MPI allreduce of both (1 + 12 floats)
// where the second was: the division moves after it.

//      CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0] [1] [1] : tensor<1xf32> into tensor<13xf32>
//      CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[1] [12] [1] : tensor<12xf32> into tensor<13xf32>
//      CHECK: mpi.allreduce(%{{.+}}, %{{.+}}, MPI_SUM, %{{.+}}) : memref<13xf32>, memref<13xf32>
//  CHECK-NOT: mpi.allreduce
//      CHECK: arith.divf
//      CHECK: return
//  CHECK-NOT: shard.

shard.grid @mesh(shape = 2)
func.func @main(%loss: tensor<f32>, %grad: tensor<4x3xf32>, %count: tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>) {
  %sum = shard.all_reduce %loss on @mesh grid_axes = [0] : tensor<f32> -> tensor<f32>
  %empty = tensor.empty() : tensor<f32>
  %mean = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>],
                          iterator_types = []} ins(%sum, %count : tensor<f32>, tensor<f32>) outs(%empty : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %q = arith.divf %a, %b : f32
    linalg.yield %q : f32
  } -> tensor<f32>
  %total = shard.all_reduce %grad on @mesh grid_axes = [0] : tensor<4x3xf32> -> tensor<4x3xf32>
  return %mean, %total : tensor<f32>, tensor<4x3xf32>
}
