"""Kernels compiled once per process (the runtime keeps their object code in the
persistent cache) that compiled programs call instead of carrying code of their own:
a program's small matmuls (mirax-matmul-calls) compile to a call, not to a tiled loop
nest of their own, which was half of a small MLP gradient's compile time; its f32
exp, log and tanh (mirax-expand-math) to calls of scalar functions that LLVM's loop
vectorizer replaces by their vector variants (approximations.py's polynomials on
vectors of 8 and 16 lanes).

`mirax_matmul_<dtype>(a, a_offset, a_stride, a_column_stride, b, ..., c, ..., m, n,
k)` adds A B to C, A (m, k), B (k, n) and C (m, n) with rows `stride` and columns
`column_stride` elements apart (C's columns adjacent) in the buffers whose aligned
pointers are a, b, c (memref<dtype>, a bare pointer under the bare-pointer calling
convention, as the calls pass them), starting `offset` elements in: an operand read
transposed costs no transpose of its own in the calling program. A is read an element
at a time, in any layout; a B whose columns are not adjacent is first copied into a
buffer where they are (mirax-vectorize-matmul passes only small ones). C's columns are taken `LANES` at a time (the last panel masked), in tiles of 8, 4
or 1 rows summed in vector registers by fused multiply-adds; each block of K_BLOCK steps of k is summed
from zero and then added, so that rounding errors grow like the block plus the number
of blocks, not like K (as mirax-vectorize-matmul's packed products and dot.py's blocked
contractions do).
"""
from mirax.dialect.dot import K_BLOCK
from mirax.mlir import func, ir

from .approximations import expand_exp, expand_log, expand_tanh, vectors_of

# 512-bit vectors (LLVM splits them on narrower machines).
LANES = {"f32": 16, "f64": 8}
ROWS = (8, 4, 1)  # register tiles' rows: 8 accumulators hide the fused multiply-add latency
MATMUL = "mirax_matmul_"
# f32 math functions and their vector variants (mirax-expand-math calls them)
MATH_FUNCTIONS = {"exp": expand_exp, "log": expand_log, "tanh": expand_tanh}
VECTOR_WIDTHS = (8, 16)


def matmul_symbol(element_type):
    """The kernel for C += A B of an MLIR `element_type` ("f32"), or None when there is none."""
    return MATMUL + element_type if element_type in LANES else None


def math_symbol(function):
    """The library's f32 `function` ("tanh")."""
    return f"mirax_{function}f"


def math_variant_symbol(function, width):
    """The library's `function` on vectors of `width` f32."""
    return f"{math_symbol(function)}_v{width}"


# Every function the library defines.
SYMBOLS = tuple(matmul_symbol(t) for t in LANES) + tuple(symbol for function in MATH_FUNCTIONS for symbol in (
    math_symbol(function), *(math_variant_symbol(function, width) for width in VECTOR_WIDTHS)))


def source():
    """The library's module (func, scf, vector, memref, math and arith ops); in an MLIR context."""
    return "module {\n" + "\n".join(_matmul(t, lanes) for t, lanes in LANES.items()) + _math() + "}\n"


def _math():
    """The text of the math functions and their vector variants."""
    module = ir.Module.create(ir.Location.unknown())
    with ir.InsertionPoint(module.body), ir.Location.unknown():
        for function, expand in MATH_FUNCTIONS.items():
            for width in (None, *VECTOR_WIDTHS):
                with vectors_of(width):
                    t = ir.F32Type.get() if width is None else ir.VectorType.get([width], ir.F32Type.get())
                    name = math_symbol(function) if width is None else math_variant_symbol(function, width)
                    definition = func.FuncOp(name, ir.FunctionType.get([t], [t]))
                    with ir.InsertionPoint(definition.add_entry_block()):
                        func.ReturnOp([expand(definition.arguments[0])])
    text = str(module)
    return text[text.index("{") + 1:text.rindex("}")]


def _matmul(t, lanes):
    vec = f"vector<{lanes}x{t}>"
    view = "memref<?x?x{t}, strided<[?, 1], offset: ?>>".format(t=t)
    strided = "memref<?x?x{t}, strided<[?, ?], offset: ?>>".format(t=t)
    lines = [f"""
  func.func @{MATMUL}{t}(%a: memref<{t}>, %a_offset: index, %a_stride: index, %a_column_stride: index,
      %b: memref<{t}>, %b_offset: index, %b_stride: index, %b_column_stride: index,
      %c: memref<{t}>, %c_offset: index, %c_stride: index, %m: index, %n: index, %k: index) {{
    %A = memref.reinterpret_cast %a to offset: [%a_offset], sizes: [%m, %k], strides: [%a_stride, %a_column_stride]
      : memref<{t}> to {strided}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %b_copied = arith.cmpi ne, %b_column_stride, %c1 : index
    %B = scf.if %b_copied -> ({view}) {{
      %source = memref.reinterpret_cast %b to offset: [%b_offset], sizes: [%k, %n],
        strides: [%b_stride, %b_column_stride] : memref<{t}> to {strided}
      %copy = memref.alloc(%k, %n) : memref<?x?x{t}>
      scf.for %kk = %c0 to %k step %c1 {{
        scf.for %jj = %c0 to %n step %c1 {{
          %x = memref.load %source[%kk, %jj] : {strided}
          memref.store %x, %copy[%kk, %jj] : memref<?x?x{t}>
        }}
      }}
      %rows = memref.cast %copy : memref<?x?x{t}> to {view}
      scf.yield %rows : {view}
    }} else {{
      %rows = memref.reinterpret_cast %b to offset: [%b_offset], sizes: [%k, %n], strides: [%b_stride, 1]
        : memref<{t}> to {view}
      scf.yield %rows : {view}
    }}
    %C = memref.reinterpret_cast %c to offset: [%c_offset], sizes: [%m, %n], strides: [%c_stride, 1]
      : memref<{t}> to {view}
    %zero = arith.constant dense<0.0> : {vec}
    %block = arith.constant {K_BLOCK} : index
    %lanes = arith.constant {lanes} : index
    %n_tail = arith.remui %n, %lanes : index
    %n_whole = arith.subi %n, %n_tail : index"""]
    lines += [f"    %o{x} = arith.constant {x} : index" for x in range(max(ROWS))]
    # Row bounds: 0 .. m8 in tiles of 8, m8 .. m4 of 4, m4 .. m of 1.
    bounds = ["%c0"]
    for rows in ROWS:
        lines.append(f"""    %r{rows} = arith.constant {rows} : index
    %m_tail{rows} = arith.remui %m, %r{rows} : index
    %m{rows} = arith.subi %m, %m_tail{rows} : index""")
        bounds.append(f"%m{rows}")
    lines.append(f"""    scf.for %j = %c0 to %n_whole step %lanes {{""")
    lines += [_tile(t, vec, view, strided, rows, lo, hi, masked=False)
              for rows, lo, hi in zip(ROWS, bounds[:-1], bounds[1:], strict=True)]
    lines.append(f"""    }}
    %has_tail = arith.cmpi ult, %n_whole, %n : index
    scf.if %has_tail {{
      %j = arith.addi %n_whole, %c0 : index
      %mask = vector.create_mask %n_tail : vector<{lanes}xi1>""")
    lines += [_tile(t, vec, view, strided, rows, lo, hi, masked=True)
              for rows, lo, hi in zip(ROWS, bounds[:-1], bounds[1:], strict=True)]
    lines.append("""    }
    scf.if %b_copied {
      memref.dealloc %B : VIEW
    }
    return
  }""".replace("VIEW", view))
    return "\n".join(lines)


def _tile(t, vec, view, strided, rows, lo, hi, masked):
    """The loop over `rows`-row tiles of C from row lo to hi at column %j (its lanes
    masked past N): per step of k, a vector of B's row times each row's element of A
    (broadcast), added into the row's accumulator."""
    r = range(rows)
    types = ", ".join([vec] * rows)
    step = f"%r{rows}"
    mask = vec.replace(t, "i1")

    def load(memref, row, col):
        if masked:
            return f"vector.maskedload {memref}[{row}, {col}], %mask, %zero : {view}, {mask}, {vec} into {vec}"
        return f"vector.load {memref}[{row}, {col}] : {view}, {vec}"

    def store(value, row):
        if masked:
            return f"vector.maskedstore %C[{row}, %j], %mask, {value} : {view}, {mask}, {vec}"
        return f"vector.store {value}, %C[{row}, %j] : {view}, {vec}"

    out = [f"      scf.for %i = {lo} to {hi} step {step} {{"]
    out += [f"        %row{x} = arith.addi %i, %o{x} : index" for x in r]
    out += [f"        %start{x} = {load('%C', f'%row{x}', '%j')}" for x in r]
    starts = ", ".join(f"%t{x} = %start{x}" for x in r)
    zeros = ", ".join(f"%p{x} = %zero" for x in r)
    out.append(f"""        %total:{rows} = scf.for %kb = %c0 to %k step %block iter_args({starts}) -> ({types}) {{
          %kb_end = arith.addi %kb, %block : index
          %k_end = arith.minui %kb_end, %k : index
          %part:{rows} = scf.for %kk = %kb to %k_end step %c1 iter_args({zeros}) -> ({types}) {{
            %bv = {load('%B', '%kk', '%j')}""")
    for x in r:
        out.append(f"""            %a{x} = memref.load %A[%row{x}, %kk] : {strided}
            %ab{x} = vector.broadcast %a{x} : {t} to {vec}
            %q{x} = vector.fma %ab{x}, %bv, %p{x} : {vec}""")
    out.append(f"            scf.yield {', '.join(f'%q{x}' for x in r)} : {types}\n          }}")
    for x in r:
        out.append(f"          %s{x} = arith.addf %t{x}, %part#{x} : {vec}")
    out.append(f"          scf.yield {', '.join(f'%s{x}' for x in r)} : {types}\n        }}")
    out += [f"        {store(f'%total#{x}', f'%row{x}')}" for x in r]
    out.append("      }")
    return "\n".join(out)

