// RUN: mirax-opt %s --mirax-vmap --split-input-file | FileCheck %s --check-prefix=VMAP
// RUN: mirax-opt %s --mirax-jvp --split-input-file | FileCheck %s --check-prefix=JVP
// RUN: mirax-opt %s --mirax-to-linalg --split-input-file | FileCheck %s --check-prefix=LOWER

// A while loop is a declared function naming its condition and body; x * k until it
// reaches lim. The passes treat its calls as calls; mirax-to-linalg gives it a body.

/// vmap with the carry and the limit batched: the condition is batched, so the loop
/// runs while any lane's holds (reduce_or) and the body keeps finished lanes as they
/// were (select); k stays unbatched, passed to the body as it is.
// VMAP-LABEL: func.func private @f_vmap(
//       VMAP:   call @loop_vmap4_in_0_0_n(%arg0, %arg1, %arg1, %arg2) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>)
// VMAP-LABEL: func.func private @loop_vmap4_in_0_0_n_cond(
//       VMAP:   %[[P:.+]] = call @cond_vmap4_in_0_0_out_0(
//       VMAP:   "mirax.reduce_or"(%[[P]]) {axes = array<i64: 0>} : (tensor<4xi1>) -> tensor<i1>
// VMAP-LABEL: func.func private @loop_vmap4_in_0_0_n_body(
//       VMAP:   %[[P:.+]] = call @cond_vmap4_in_0_0_out_0(
//       VMAP:   %[[NEW:.+]] = call @body_vmap4_in_0_n_out_0(
//       VMAP:   %[[MASK:.+]] = "mirax.broadcast_in_dim"(%[[P]])
//       VMAP:   "mirax.select"(%[[MASK]], %[[NEW]], %arg0)
//       VMAP: func.func private @loop_vmap4_in_0_0_n({{.*}}) -> tensor<4xf32> attributes {mirax.while_body = @loop_vmap4_in_0_0_n_body, mirax.while_cond = @loop_vmap4_in_0_0_n_cond}

/// Forward mode: the carry's tangent rides along, stepped by the body's JVP; the
/// condition reads the primal carry only. The loop names the loop it is the JVP of
/// and the carries with tangents, for mirax-linearize's partial evaluation.
// JVP-LABEL: func.func private @f_jvp_0_2(
//       JVP:   call @loop_jvp_0(%arg0, %arg3, %arg1, %arg2, %arg4)
// JVP-LABEL: func.func private @loop_jvp_0_body(
//       JVP:   call @body_jvp_0_1(%arg0, %arg2, %arg1, %arg3)
// JVP-LABEL: func.func private @loop_jvp_0_cond(%arg0: tensor<f32>, %arg1: tensor<f32>, %arg2: tensor<f32>)
//       JVP:   call @cond(%arg0, %arg2)
//       JVP: func.func private @loop_jvp_0({{.*}}) -> (tensor<f32>, tensor<f32>) attributes {mirax.active = array<i64: 0>, mirax.while_body = @loop_jvp_0_body, mirax.while_cond = @loop_jvp_0_cond, mirax.while_jvp_of = @loop}

/// Lowering: an scf.while whose regions call the condition (its i1 extracted) and the body.
// LOWER-LABEL: func.func private @loop(%arg0: tensor<f32>, %arg1: tensor<f32>, %arg2: tensor<f32>) -> tensor<f32> {
//       LOWER:   %[[R:.+]] = scf.while (%[[C:.+]] = %arg0) : (tensor<f32>) -> tensor<f32> {
//       LOWER:     %[[P:.+]] = func.call @cond(%[[C]], %arg1)
//       LOWER:     %[[B:.+]] = tensor.extract %[[P]][] : tensor<i1>
//       LOWER:     scf.condition(%[[B]]) %[[C]]
//       LOWER:   } do {
//       LOWER:     %[[N:.+]] = func.call @body(%{{.+}}, %arg2)
//       LOWER:     scf.yield %[[N]]
//       LOWER:   return %[[R]]
func.func private @cond(%c: tensor<f32>, %lim: tensor<f32>) -> tensor<i1> {
  %0 = "mirax.compare"(%c, %lim) {direction = "LT"} : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @body(%c: tensor<f32>, %k: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.mul"(%c, %k) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @loop(tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32>
    attributes {mirax.while_cond = @cond, mirax.while_body = @body}
func.func private @f(%x: tensor<f32>, %lim: tensor<f32>, %k: tensor<f32>) -> tensor<f32> {
  %0 = call @loop(%x, %lim, %k) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @f_vmap(tensor<4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 0, -1>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 4 : i64}
func.func private @f_jvp_0_2(tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 0, 2>}
