// RUN: mirax-opt %s --mirax-jvp | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --mirax-linearize --mirax-transpose | FileCheck %s --check-prefix=VJP
// RUN: mirax-opt %s --mirax-vmap | FileCheck %s --check-prefix=VMAP
// RUN: mirax-opt %s --mirax-to-linalg | FileCheck %s --check-prefix=LOWER

// A cond (lax.cond, lax.switch) is a declared function naming its branches; every
// branch takes all the args.

/// Forward mode: the cond itself, and its tangent part, a cond of the branches' tangents.
// JVP-LABEL: func.func private @f_jvp_1(
//       JVP:   call @c(%arg0, %arg1, %arg2)
//       JVP:   call @c_tangent_0(%arg0, %arg1, %arg2, %arg3)
//       JVP: func.func private @c_tangent_0({{.*}}) -> tensor<f32> attributes {mirax.active = array<i64: 0>, mirax.cond_branches = [@b0_jvp_0_tangent, @b1_jvp_0_tangent], mirax.cond_tangent_of = @c}

/// Reverse mode: the tangent part transposes into a cond of the branches' VJPs on
/// the same index and args.
// VJP-LABEL: func.func private @f_vjp_1(
//       VJP:   call @c(%arg0, %arg1, %arg2)
//       VJP:   call @f_vjp_1_linear_transpose(%arg0, %arg1, %arg2, %arg3)
// VJP-LABEL: func.func private @f_vjp_1_linear_transpose(
//       VJP:   call @c_transpose_0(%arg0, %arg1, %arg2, %arg3)
// VJP-LABEL: func.func private @b0_vjp_0_cotangent(
//       VJP:   call @b0_vjp_0(
//       VJP: func.func private @c_transpose_0({{.*}}) -> tensor<f32> attributes {mirax.cond_branches = [@b0_vjp_0_cotangent, @b1_vjp_0_cotangent]}

/// A batched index: every branch, batched, each lane's result selected by its index.
// VMAP-LABEL: func.func private @f_vmap(
//       VMAP:   %[[B0:.+]] = call @b0_vmap4_in_0_n_out_0(%arg1, %arg2)
//       VMAP:   %[[B1:.+]] = call @b1_vmap4_in_0_n_out_0(%arg1, %arg2)
//       VMAP:   %[[IS0:.+]] = "mirax.compare"(%arg0, %{{.+}}) {direction = "EQ"}
//       VMAP:   "mirax.select"(%{{.+}}, %[[B0]], %[[B1]])

/// Lowering: scf.if on the index, each side calling one branch.
// LOWER-LABEL: func.func private @c(%arg0: tensor<i32>, %arg1: tensor<f32>, %arg2: tensor<f32>) -> tensor<f32> {
//       LOWER:   %[[I:.+]] = tensor.extract %arg0[] : tensor<i32>
//       LOWER:   %[[IS0:.+]] = arith.cmpi eq, %[[I]], %{{.+}} : i32
//       LOWER:   scf.if %[[IS0]] -> (tensor<f32>) {
//       LOWER:     func.call @b0(%arg1, %arg2)
//       LOWER:   } else {
//       LOWER:     func.call @b1(%arg1, %arg2)
func.func private @b0(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.mul"(%x, %y) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @b1(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @c(tensor<i32>, tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mirax.cond_branches = [@b0, @b1]}
func.func private @f(%i: tensor<i32>, %x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  %0 = call @c(%i, %x, %y) : (tensor<i32>, tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @f_jvp_1(tensor<i32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 1>}
func.func private @f_vjp_1(tensor<i32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 1>}
func.func private @f_vmap(tensor<4xi32>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 0, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 4 : i64}
