// RUN: not mirax-opt %s --split-input-file --mirax-jvp 2>&1 | FileCheck %s --check-prefixes=CHECK,JVP
// RUN: not mirax-opt %s --split-input-file --mirax-linearize --mirax-vmap --mirax-to-linalg 2>&1 | FileCheck %s
// RUN: not mirax-opt %s --split-input-file 2>&1 | FileCheck %s

// Hand-written mirax declarations are checked before any pass runs (also with none):
// a broken one is an error at its function, located in the input, with exit status
// 1 and no Python exception, whatever the pipeline.
// CHECK-NOT: Traceback
// CHECK-NOT: failed:

func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mirax.mul"(%0, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mirax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}

/// A declaration naming no function of the module.
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.jvp_of' names @nosuch, which is not a function of the module
func.func private @missing(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @nosuch, mirax.active = array<i64: 0>}

/// A missing attribute, or one of the wrong kind.
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op needs a 'mirax.active' attribute (an array<i64>)
func.func private @no_active(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.vjp_of' must be a symbol such as @f, got "f"
func.func private @string(tensor<3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
    attributes {mirax.vjp_of = "f", mirax.active = array<i64: 0>}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.axis_size' must be an integer, got 5.000000e+00 : f32
func.func private @float_size(tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 5.0 : f32}

/// Argument numbers out of range or repeated; a batch axis out of range.
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.active' must hold increasing argument numbers of @f, which takes 2 arguments; got [5]
func.func private @out_of_range(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 5>}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.active' must hold increasing argument numbers of @f, which takes 2 arguments; got [0, 0]
func.func private @repeated(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 0, 0>}
func.func private @int_arg(%n: tensor<i32>, %x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.active' names argument 0 of @int_arg, of type tensor<i32>: only float and complex arguments have tangents
func.func private @int_tangent(tensor<i32>, tensor<f32>, tensor<i32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @int_arg, mirax.active = array<i64: 0>}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.in_axes' holds axis 5, out of range for tensor<3xf32> (-1: not batched)
func.func private @bad_axis(tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 5>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 5 : i64}

/// Wrong arity and wrong types: the declaration must have the type its pass derives.
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @arity has type (tensor<3xf32>) -> tensor<f32>, but the VJP of @f with mirax.active = [0] must have type (tensor<3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
func.func private @arity(tensor<3xf32>) -> tensor<f32>
    attributes {mirax.vjp_of = @f, mirax.active = array<i64: 0>}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @types has type (tensor<3xf64>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>), but the JVP of @f with mirax.active = [0] must have type (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
func.func private @types(tensor<3xf64>, tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @f, mirax.active = array<i64: 0>}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @size has type (tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5xf32>, but @f batched with mirax.in_axes = [0, 0], mirax.out_axes = [0], mirax.axis_size = 4 must have type (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
func.func private @size(tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5xf32>
    attributes {mirax.vmap_of = @f, mirax.in_axes = array<i64: 0, 0>, mirax.out_axes = array<i64: 0>, mirax.axis_size = 4 : i64}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @lin has type (tensor<3xf32>, tensor<f32>) -> tensor<4xf32>, but the transpose of @f with mirax.linear = [1] must have type (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
func.func private @lin(tensor<3xf32>, tensor<f32>) -> tensor<4xf32>
    attributes {mirax.transpose_of = @f, mirax.linear = array<i64: 1>}

/// A declaration of itself, or of a function with no body.
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.jvp_of' makes @self a transformation of itself
func.func private @self(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @self, mirax.active = array<i64: 0>}
func.func private @external(tensor<f32>) -> tensor<f32>
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.jvp_of' names @external, which has no body to transform
func.func private @of_external(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @external, mirax.active = array<i64: 0>}
func.func private @calls_external(%x: tensor<f32>) -> tensor<f32> {
  %0 = call @external(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.vjp_of' names @calls_external, which calls @external, which has no body to transform
func.func private @of_caller(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.vjp_of = @calls_external, mirax.active = array<i64: 0>}

// -----

/// Declared loops, conds and scans name their functions, with matching types.
func.func private @cond(%c: tensor<f32>) -> tensor<i1> {
  %0 = "mirax.compare"(%c, %c) {direction = "LT"} : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @id(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.while_body' names @nobody, which is not a function of the module
func.func private @loop(tensor<f32>) -> tensor<f32> attributes {mirax.while_cond = @cond, mirax.while_body = @nobody}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op @id has type (tensor<f32>) -> tensor<f32>, but the condition of @bad_cond, (carry..., closure...) -> tensor<i1>, must have type (tensor<f32>) -> tensor<i1>
func.func private @bad_cond(tensor<f32>) -> tensor<f32> attributes {mirax.while_cond = @id, mirax.while_body = @id}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.cond_branches' must name functions of the module, got @nob
func.func private @switch(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mirax.cond_branches = [@id, @nob]}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op scans along a leading axis of 5, which its argument tensor<4xf32> does not have
func.func private @scan(tensor<f32>, tensor<4xf32>) -> (tensor<f32>) attributes {mirax.scan_body = @id, mirax.scan_length = 5 : i64, mirax.scan_reverse = false, mirax.scan_num_carry = 1 : i64, mirax.scan_num_xs = 1 : i64}
// CHECK: declarations.mlir:[[# @LINE + 1]]:1: error: 'func.func' op attribute 'mirax.jvp_rule' names @norule, which is not a function of the module
func.func private @custom(%x: tensor<f32>) -> tensor<f32> attributes {mirax.jvp_rule = @norule, mirax.num_primals = 1 : i64} {
  return %x : tensor<f32>
}

// -----

/// A correct declaration in a file with broken ones still derives.
// JVP: func.func private @ok_jvp_0
// JVP-NOT: mirax.jvp_of
func.func private @ok(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mirax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @ok_jvp_0(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    attributes {mirax.jvp_of = @ok, mirax.active = array<i64: 0>}
