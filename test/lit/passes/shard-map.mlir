// RUN: mirax-opt %s --mirax-derive | FileCheck %s --check-prefix=DERIVE
// RUN: mirax-opt %s --mirax-lower-to-linalg | FileCheck %s --check-prefix=SHARD
// RUN: mirax-opt %s --mirax-lower-to-linalg --mirax-shard-to-mpi | FileCheck %s --check-prefix=MPI
// RUN: mirax-opt %s --mirax-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// A shard_map (mirax.shard_map) is a declared function of global values naming its
// per-process body, the mesh and the specs: here x split over "i" in rows, w replicated;
// the body's psum output replicated, its product split over "i" in rows. check_vma's
// pvary (put there by the frontend) casts the replicated w where it meets x.

/// Reverse mode: the shard_map's tangent part, a shard_map of the body's tangents,
/// transposes into a shard_map of the body's VJP, whose pvary transposes into a psum.
// DERIVE-LABEL: func.func private @f_vjp_1(
//       DERIVE:   call @sm(%arg0, %arg1)
//       DERIVE: func.func private @sm_transpose_1({{.*}}) -> tensor<3xf32> attributes {mirax.shard_map_body = @body_vjp_1_cotangent, mirax.shard_map_check_vma, mirax.shard_map_in_specs = {{\[\[\["i"\], \[\]\], \[\[\]\], \[\[\]\], \[\["i"\], \[\]\]\]}}, mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>, mirax.shard_map_out_specs = {{\[\[\[\]\]\]}}}
// DERIVE-LABEL: func.func private @body_vjp_1_linear_transpose(
//       DERIVE:   "mirax.pvary"{{.*}}axes = ["i"]
//       DERIVE:   "mirax.psum_invariant"{{.*}}axes = ["i"]

/// Lowering: each process's block sliced at its index along "i" (a view), the body
/// called, the split output gathered; collectives on the mesh's shard.grid.
//       SHARD: shard.grid @mirax_mesh_2(shape = 2)
// SHARD-LABEL: func.func private @body(
//       SHARD:   linalg.fill
//       SHARD:   %[[SUM:.+]] = linalg.generic
//       SHARD:   shard.all_reduce %[[SUM]] on @mirax_mesh_2 grid_axes = [0] : tensor<3xf32> -> tensor<3xf32>
// SHARD-LABEL: func.func private @sm(
//       SHARD:   %[[INDEX:.+]] = shard.process_multi_index on @mirax_mesh_2 axes = [0] : index
//       SHARD:   %[[OFFSET:.+]] = arith.muli %[[INDEX]], %{{.+}} : index
//       SHARD:   %[[BLOCK:.+]] = tensor.extract_slice %arg0[%[[OFFSET]], 0] [2, 3] [1, 1] : tensor<4x3xf32> to tensor<2x3xf32>
//       SHARD:   %[[OUT:[0-9]+]]:2 = call @body(%[[BLOCK]], %arg1)
//       SHARD:   shard.all_gather %[[OUT]]#1 on @mirax_mesh_2 grid_axes = [0] gather_axis = 0 : tensor<2x3xf32> -> tensor<4x3xf32>

/// The MPI stage: the grid erased, MPI's world in its place.
//   MPI-LABEL: module attributes {mirax.mpi}
//    MPI-NOT:  shard.
/// The reduction reads its operand's buffer and writes a new one (upstream's copy into
/// the result, reduced in place as two aliased buffers, dropped).
//        MPI:  %[[SEND:.+]] = bufferization.to_buffer
//        MPI:  %[[RECEIVE:.+]] = memref.alloc() : memref<3xf32>
//    MPI-NOT:  linalg.copy
//        MPI:  mpi.allreduce(%[[SEND]], %[[RECEIVE]], MPI_SUM, %{{.*}}) : memref<3xf32>, memref<3xf32>
//        MPI:  mpi.comm_rank
//        MPI:  mpi.allgather({{.*}}) : memref<2x3xf32>, memref<2x2x3xf32>

/// The LLVM stage: calls into libmpi (MPICH's ABI), nothing of the shard or mpi dialects left.
//   LLVM-NOT: shard.
//   LLVM-NOT: mpi.
//   LLVM-DAG: llvm.func @MPI_Allreduce(
//   LLVM-DAG: llvm.func @MPI_Allgather(
//   LLVM-DAG: llvm.func @MPI_Comm_rank(

func.func @main(%x: tensor<4x3xf32>, %w: tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>) {
  %0:2 = call @sm(%x, %w) : (tensor<4x3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>)
  return %0#0, %0#1 : tensor<3xf32>, tensor<4x3xf32>
}
func.func private @body(%x: tensor<2x3xf32>, %w: tensor<3xf32>) -> (tensor<3xf32>, tensor<2x3xf32>) {
  %0 = "mirax.broadcast_in_dim"(%w) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
  %1 = "mirax.pvary"(%0) {axes = ["i"], mesh_axes = ["i"], mesh_shape = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "mirax.mul"(%x, %1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = "mirax.reduce_sum"(%2) {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<3xf32>
  %4 = "mirax.psum_invariant"(%3) {axes = ["i"], mesh_axes = ["i"], mesh_shape = array<i64: 2>} : (tensor<3xf32>) -> tensor<3xf32>
  return %4, %2 : tensor<3xf32>, tensor<2x3xf32>
}
func.func private @sm(tensor<4x3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>)
    attributes {mirax.shard_map_body = @body, mirax.shard_map_check_vma, mirax.shard_map_in_specs = [[["i"], []], [[]]],
                mirax.shard_map_mesh_axes = ["i"], mirax.shard_map_mesh_shape = array<i64: 2>,
                mirax.shard_map_out_specs = [[[]], [["i"], []]]}
func.func private @f(%x: tensor<4x3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> {
  %0:2 = call @sm(%x, %w) : (tensor<4x3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>)
  return %0#0 : tensor<3xf32>
}
func.func private @f_vjp_1(tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 1>}
