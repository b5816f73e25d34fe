"""Linear-algebra factorizations and solves: cholesky, triangular_solve, lu.

The ops follow jax.lax.linalg's primitives (their rules are JAX's) on float32,
float64, complex64 and complex128 matrices in the last two dimensions, batched
over the leading ones:

- cholesky(a) -> L, lower triangular with a = L L^H, read from a's lower triangle
  (the upper one is ignored; lax.linalg.cholesky symmetrizes a first). A matrix
  that is not positive definite gives NaNs in the lower triangle, as JAX's (where
  LAPACK reports failure); nothing raises.
- triangular_solve(a, b) -> x with op(a) x = b (left_side) or x op(a) = b, op
  transposing and/or conjugating a; reads only the `lower` or upper triangle of a,
  and not its diagonal when `unit_diagonal`.
- lu(a) -> (lu, pivots, permutation): partial pivoting as LAPACK's getrf, p a = l u
  with l unit lower triangular (below lu's diagonal) and u upper (on and above);
  pivots[i] is the row swapped with row i at step i, permutation the rows of a in
  the order p takes them. a may be m x n.

Lowering: blocked algorithms, as LAPACK's, unrolled over blocks at compile time
(shapes are static). Each diagonal block is factored or inverted by scalar scf
loops; everything else is linalg.matmul on static shapes, which
mirax-vectorize-matmul tiles and vectorizes (f32). The first block takes the
remainder so that every trailing size is a multiple of BLOCK, the sizes the
vectorizer wants. The work happens in place in one tensor per matrix: results
go into extract_slices of it through linalg.copy, the scalar loops or an
elementwise subtraction of a product, so that bufferization writes into the
matrix without strided copies; matmul operands are copies of blocks.
"""
import itertools

import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, math, tensor

from . import ops, rules, scalar
from .base import MiraxOp, bool_
from .batching import batch_at, batch_leading, move_axis
from .composites import diagonal_mask, matmul, padded, rows_permuted, triangle, triangular_solve
from .constant import IotaOp
from .lowering import constant, empty, filled, for_each_row, for_loop, generic, identity_map, index, scalar_type
from .ops import build
from .types import ShapedType, is_complex
from .values import add_tangents, full, type_of

DTYPES = tuple(np.dtype(d) for d in (np.float32, np.float64, np.complex64, np.complex128))
BLOCK = 64  # rows per block: diagonal blocks are scalar loops, the rest matmuls


def check_matrices(*types):
    for x in types:
        if x.dtype not in DTYPES:
            raise TypeError(f"requires float32, float64, complex64 or complex128 matrices, got {x.dtype.name}")
        if x.ndim < 2:
            raise TypeError(f"requires matrices (rank >= 2), got shape {list(x.shape)}")
    if len({x.dtype for x in types}) > 1:
        raise TypeError("requires operands of one dtype, got " + ", ".join(x.dtype.name for x in types))


def check_square(a):
    if a.shape[-1] != a.shape[-2]:
        raise TypeError(f"requires square matrices in the last two dimensions, got shape {list(a.shape)}")


class CholeskyOp(MiraxOp, name="cholesky", operands=("a",)):
    """The lower Cholesky factor of each matrix of a, from its lower triangle; NaNs
    where a matrix is not positive definite."""

    @staticmethod
    def infer(a):
        check_matrices(a)
        check_square(a)
        return a


class TriangularSolveOp(MiraxOp, name="triangular_solve", operands=("a", "b"),
                        params={name: bool_ for name in ("left_side", "lower", "transpose_a", "conjugate_a",
                                                         "unit_diagonal")}):
    """x with op(a) x = b (left_side) or x op(a) = b, for triangular a [..., m, m] and
    b [..., m, n] (left_side) or [..., n, m], of the same batch dimensions."""

    @staticmethod
    def infer(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
        check_matrices(a, b)
        check_square(a)
        if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2 if left_side else -1]:
            side = "[..., m, n]" if left_side else "[..., n, m]"
            raise TypeError(f"requires a of shape [..., m, m] and b of shape {side} with the same batch "
                            f"dimensions, got {list(a.shape)} and {list(b.shape)}")
        return b


class LuOp(MiraxOp, name="lu", operands=("a",), results=3):
    """(lu, pivots, permutation) of each m x n matrix of a, with partial pivoting."""

    @staticmethod
    def infer(a):
        check_matrices(a)
        *batch, m, n = a.shape
        int32 = np.dtype(np.int32)
        return a, ShapedType((*batch, min(m, n)), int32), ShapedType((*batch, m), int32)


# ----------------------------------------------------------------------------- lowering: scalar arithmetic


class Scalars:
    """Scalar arithmetic on one dtype's (signless) values, for the loops below."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.zero, self.one = constant(dtype, 0), constant(dtype, 1)
        self.real_zero = constant(np.zeros((), dtype).real.dtype, 0)

    def add(self, a, b):
        return scalar.add(self.dtype, a, b)

    def sub(self, a, b):
        return scalar.sub(self.dtype, a, b)

    def mul(self, a, b):
        return scalar.mul(self.dtype, a, b)

    def div(self, a, b):
        return scalar.div(self.dtype, a, b)

    def neg(self, x):
        return scalar.neg(self.dtype, x)

    def conj(self, x):
        return complex_d.conj(x) if is_complex(self.dtype) else x

    def real(self, x):
        """The real part (a float value)."""
        return complex_d.re(x) if is_complex(self.dtype) else x

    def from_real(self, x):
        return complex_d.create_(scalar_type(self.dtype), x, self.real_zero) if is_complex(self.dtype) else x

    def magnitude(self, x):
        """|re| + |im|: LAPACK's and JAX's measure for choosing pivots."""
        if not is_complex(self.dtype):
            return math.absf(x)
        return arith.addf(math.absf(complex_d.re(x)), math.absf(complex_d.im(x)))


def _at(t, *indices):
    return tensor.extract(t, list(indices))


def _set(value, t, *indices):
    return tensor.insert(value, t, list(indices))


def _dot_loop(s, lower, upper, term):
    """The sum of term(k) for k in [lower, upper) (index values), in order."""
    return for_loop(lower, upper, [s.zero], lambda k, total: [s.add(total, term(k))])[0]


def _add_index(i, k):
    return arith.addi(i, index(k))


# ----------------------------------------------------------------------------- lowering: tensors and blocks


def _blocks(n, remainder_first=True):
    """[start, stop) of each block of n rows or columns: BLOCKs and the remainder, first
    or last, so that what lies past the first block (before the last) is whole BLOCKs."""
    sizes = [BLOCK] * (n // BLOCK)
    if n % BLOCK:
        sizes.insert(0 if remainder_first else len(sizes), n % BLOCK)
    bounds = list(itertools.accumulate(sizes, initial=0))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _slice_args(offsets, sizes):
    """tensor.extract_slice's and insert_slice's offset, size and stride operands for
    `offsets` (ints or index values) and `sizes` (None: a dropped dimension of size 1)."""
    dynamic = [o for o in offsets if not isinstance(o, int)]
    static = [o if isinstance(o, int) else ir.ShapedType.get_dynamic_stride_or_offset() for o in offsets]
    return dynamic, [], [], static, [1 if s is None else s for s in sizes], [1] * len(sizes)


def _window(source, offsets, sizes, dtype):
    """A view of `source` at `offsets` of `sizes` (rank-reducing where a size is None):
    what later ops read or write."""
    result = ir.RankedTensorType.get([s for s in sizes if s is not None], scalar_type(dtype))
    return tensor.extract_slice(result, source, *_slice_args(offsets, sizes))


def _put(value, dest, offsets, sizes):
    """`dest` with `value` (the result of an op that wrote into `_window(dest, offsets,
    sizes)`) in place there."""
    return tensor.insert_slice(value, dest, *_slice_args(offsets, sizes))


class _Matrix:
    """The rows x cols blocks of one matrix (a tensor value, replaced as it is updated)."""

    def __init__(self, value, dtype):
        self.value, self.dtype = value, dtype

    def block(self, rows, cols):
        """A view of the block, to read right away."""
        return _window(self.value, [rows[0], cols[0]], [rows[1] - rows[0], cols[1] - cols[0]], self.dtype)

    def copy(self, rows, cols):
        """The block as a new tensor. A matmul's right operand must be one (since
        mirax-vectorize-matmul reshapes it into panels), and so must an operand read
        from blocks this function stores into: bufferization would copy a view of
        those through a strided memref.copy, which the JIT cannot run."""
        return _copy(self.block(rows, cols), _shaped(rows, cols, self.dtype))

    def update(self, rows, cols, compute):
        """Replace the block by compute(view of the block), an op writing into the view."""
        offsets, sizes = [rows[0], cols[0]], [rows[1] - rows[0], cols[1] - cols[0]]
        self.value = _put(compute(self.block(rows, cols)), self.value, offsets, sizes)

    def store(self, rows, cols, value):
        """The block set to `value` (a separate tensor)."""
        self.update(rows, cols, lambda view: linalg.copy(value, outs=[view]))

    def subtract_product(self, rows, cols, lhs, rhs, s):
        """block -= lhs @ rhs: the product (a matmul into zeros, the form
        mirax-vectorize-matmul vectorizes), then subtracted in place."""
        shaped = _shaped(rows, cols, self.dtype)
        product = _product(lhs, rhs, shaped)
        self.update(rows, cols, lambda view: generic([shaped], [product], [identity_map(2)] * 2,
                                                     lambda p, c: [s.sub(c, p)], inits=[view])[0])


def _shaped(rows, cols, dtype):
    return ShapedType((rows[1] - rows[0], cols[1] - cols[0]), dtype)


def _product(lhs, rhs, shaped):
    """lhs @ rhs as a new tensor of `shaped`."""
    return linalg.matmul(lhs, rhs, outs=[filled(shaped, 0)])


def _conjugate_transpose(s, value, shaped):
    """The conjugate transpose of a matrix of `shaped`, as a new tensor, written in the
    source's order (mirax-vectorize-matmul tiles transposes read in the result's order,
    and fails on sides of 64 and less)."""
    out = ShapedType(shaped.shape[::-1], shaped.dtype)
    return generic([out], [value], [identity_map(2), ir.AffineMap.get_permutation([1, 0])],
                   lambda x, _: [s.conj(x)])[0]


def _inverse_triangular(s, t, size, lower, unit):
    """The inverse of the size x size triangular matrix `t` (unit diagonal when `unit`),
    a new tensor: column by column, as LAPACK's trti2, for a lower one; an upper one u
    through the lower j u j, j reversing rows (its inverse is j u^-1 j)."""
    at = (lambda i: i) if lower else (lambda i: arith.subi(index(size - 1), i))

    def column(j, x):
        x_jj = s.one if unit else s.div(s.one, _at(t, at(j), at(j)))

        def row(i, x):
            total = _dot_loop(s, j, i, lambda k: s.mul(_at(t, at(i), at(k)), _at(x, at(k), at(j))))
            value = s.neg(total) if unit else s.div(s.neg(total), _at(t, at(i), at(i)))
            return [_set(value, x, at(i), at(j))]

        return for_loop(_add_index(j, 1), index(size), [_set(x_jj, x, at(j), at(j))], row)

    return for_loop(index(0), index(size), [filled(ShapedType((size, size), s.dtype), 0)], column)[0]


def _for_each_matrix(shape, inits, body):
    """An scf.for over the matrices of tensors whose batch dimensions are shape[:-2]:
    body(batch_index, *carried) returns the next values, batch_index being a list of
    index values."""
    batch = tuple(shape[:-2])
    return for_each_row(batch + (1,), len(batch), inits, lambda at, *carried: body(at(index(0))[:-1], *carried))


def _matrix_at(tensor_value, batch_index, shape, dtype):
    """The matrix (or vector, for a shape of rank 1) at batch_index of a batched tensor."""
    return _window(tensor_value, [*batch_index, *[0] * len(shape)], [None] * len(batch_index) + list(shape), dtype)


def _put_matrix(value, tensor_value, batch_index, shape):
    return _put(value, tensor_value, [*batch_index, *[0] * len(shape)], [None] * len(batch_index) + list(shape))


def _per_matrix(inputs, results, kernel):
    """Run kernel(*input matrices, *result matrices) -> result matrices on the matrices
    at each batch index of `inputs` (read) and `results` (updated in place), each a
    (tensor, ShapedType) pair; the results."""
    batch = len(results[0][1].shape) - 2

    def body(batch_index, *carried):
        views = [_matrix_at(value, batch_index, t.shape[batch:], t.dtype)
                 for value, (_, t) in zip([v for v, _ in inputs] + list(carried), inputs + results, strict=True)]
        done = kernel(*views)
        return [_put_matrix(m, value, batch_index, t.shape[batch:])
                for m, value, (_, t) in zip(done, carried, results, strict=True)]

    return _for_each_matrix(results[0][1].shape, [v for v, _ in results], body)


def _copy(value, shaped):
    return linalg.copy(value, outs=[empty(shaped)])


# ----------------------------------------------------------------------------- lowering: cholesky


def _cholesky_diagonal_block(s, blk, size):
    """blk (a size x size view) factored in place by columns, as LAPACK's potf2."""
    def row_times_row(blk, i, j):  # sum over k < j of blk[i, k] conj(blk[j, k])
        return _dot_loop(s, index(0), j, lambda k: s.mul(_at(blk, i, k), s.conj(_at(blk, j, k))))

    def column(j, blk):
        pivot = s.real(s.sub(_at(blk, j, j), row_times_row(blk, j, j)))
        l_jj = s.from_real(math.sqrt(pivot))
        blk = _set(l_jj, blk, j, j)

        def row(i, blk):
            return [_set(s.div(s.sub(_at(blk, i, j), row_times_row(blk, i, j)), l_jj), blk, i, j)]

        return for_loop(_add_index(j, 1), index(size), [blk], row)

    return for_loop(index(0), index(size), [blk], column)[0]


def _cholesky_matrix(s, a, n):
    """The lower Cholesky factor of one n x n matrix `a` (updated in place), left-looking
    by blocks of columns: subtract from the block column the product of the rows of
    the factor to its left with the conjugate transpose of the block's own (one matmul
    over the lower part only: n^3 / 3 flops in all), factor the diagonal block, and
    solve the panel below it (times the inverse of the block's conjugate transpose)."""
    a = _Matrix(a, s.dtype)
    for start, stop in _blocks(n):
        diagonal, lower, done = (start, stop), (start, n), (0, start)
        if start:
            a.subtract_product(lower, diagonal, a.copy(lower, done),
                               _conjugate_transpose(s, a.block(diagonal, done), _shaped(diagonal, done, s.dtype)), s)
        a.update(diagonal, diagonal, lambda view: _cholesky_diagonal_block(s, view, stop - start))
        if stop < n:
            rest = (stop, n)
            inverse = _inverse_triangular(s, a.block(diagonal, diagonal), stop - start, lower=True, unit=False)
            inverse_h = _conjugate_transpose(s, inverse, _shaped(diagonal, diagonal, s.dtype))
            a.store(rest, diagonal, _product(a.copy(rest, diagonal), inverse_h, _shaped(rest, diagonal, s.dtype)))
    return _lower_triangle_or_nans(s, a.value, n)


def _lower_triangle_or_nans(s, a, n):
    """a's lower triangle, zeros above, in place; NaNs in the lower triangle unless its
    diagonal is positive (JAX's result where LAPACK reports failure)."""
    def check(i, ok):
        positive = arith.cmpf(arith.CmpFPredicate.OGT, s.real(_at(a, i, i)), s.real_zero)
        return [arith.andi(ok, positive)]

    ok = for_loop(index(0), index(n), [constant(np.dtype(np.bool_), True)], check)[0]
    nan = constant(s.dtype, complex(np.nan, np.nan) if is_complex(s.dtype) else np.nan)

    def body(x):
        below = arith.cmpi(arith.CmpIPredicate.uge, linalg.IndexOp(0).result, linalg.IndexOp(1).result)
        return [arith.select(below, arith.select(ok, x, nan), s.zero)]

    return generic([ShapedType((n, n), s.dtype)], [], [identity_map(2)], body, inits=[a])[0]


def _lower_cholesky(node, a):
    (shaped,) = node.out_types
    n = shaped.shape[-1]
    if 0 in shaped.shape:
        return [a]
    s = Scalars(shaped.dtype)
    return _per_matrix([], [(_copy(a, shaped), shaped)], lambda m: [_cholesky_matrix(s, m, n)])


rules.lowering[CholeskyOp.OPERATION_NAME] = _lower_cholesky


# ----------------------------------------------------------------------------- lowering: triangular_solve


def _solve_triangular_matrix(s, t, x, m, n, lower, unit):
    """The solution of t y = x for triangular m x m t, in place of x (m x n),
    recursively (as LAPACK's recursive algorithms): solve the first half of the rows
    (the top one for a lower t, the bottom one for an upper), subtract its product with
    t's panel beside it from the other half, and solve that. A block of rows alone is
    multiplied by the inverse of t's diagonal block. Each level passes over x once,
    where a loop over blocks would pass over the rows past each block."""
    t, x = _Matrix(t, s.dtype), _Matrix(x, s.dtype)
    columns = (0, n)

    def rows(blocks):
        return blocks[0][0], blocks[-1][1]

    def solve(blocks):
        if len(blocks) == 1:
            block = rows(blocks)
            inverse = _inverse_triangular(s, t.block(block, block), block[1] - block[0], lower, unit)
            x.store(block, columns, _product(inverse, x.copy(block, columns), _shaped(block, columns, s.dtype)))
            return
        top, bottom = blocks[:len(blocks) // 2], blocks[len(blocks) // 2:]
        first, second = (top, bottom) if lower else (bottom, top)
        solve(first)
        x.subtract_product(rows(second), columns, t.block(rows(second), rows(first)), x.copy(rows(first), columns),
                           s)
        solve(second)

    solve(_blocks(m, remainder_first=lower))  # the second halves are whole blocks
    return x.value


def _lower_triangular_solve(node, a, b):
    """Every case as a solve from the left, t y = c: a right-side solve x op(a) = b is
    op(a)^T x^T = b^T. Where t is a's (conjugate) transpose or c is b's transpose, they
    are new tensors, each one linalg.generic, as is x from y; c is solved in place."""
    p = node.params
    a_type, b_type = node.in_types
    (out,) = node.out_types
    if 0 in out.shape:
        return [b]
    *batch, m, _ = a_type.shape
    rank = len(batch) + 2
    transposed = p["transpose_a"] != (not p["left_side"])  # t from a^T rather than a
    s = Scalars(out.dtype)
    swap = ir.AffineMap.get_permutation([*range(len(batch)), rank - 1, rank - 2])
    t = a
    if transposed or p["conjugate_a"]:
        conjugate = s.conj if p["conjugate_a"] else (lambda v: v)
        (t,) = generic([a_type], [a], [swap if transposed else identity_map(rank), identity_map(rank)],
                       lambda v, _: [conjugate(v)])
    n = b_type.shape[-1] if p["left_side"] else b_type.shape[-2]
    c_type = ShapedType((*batch, m, n), out.dtype)
    # A copy, even where c is b: an identity linalg.generic would fold away into b.
    c = _copy(b, c_type) if p["left_side"] else generic([c_type], [b], [swap, identity_map(rank)], lambda v, _: [v])[0]
    (y,) = _per_matrix([(t, a_type)], [(c, c_type)], lambda t_matrix, y: [
        _solve_triangular_matrix(s, t_matrix, y, m, n, p["lower"] != transposed, p["unit_diagonal"])])
    if p["left_side"]:
        return [y]
    return generic([out], [y], [swap, identity_map(rank)], lambda v, _: [v])


rules.lowering[TriangularSolveOp.OPERATION_NAME] = _lower_triangular_solve


# ----------------------------------------------------------------------------- lowering: lu


def _lu_panel(s, a, pivots, permutation, columns, m, n):
    """Columns [start, stop) of the m x n matrix `a` factored, as LAPACK's getf2: for
    each column, the row of largest magnitude from the diagonal down is swapped into
    place (whole rows, and in `permutation`; its index goes to `pivots`), the column
    below the diagonal divided by the pivot (unless zero), and the panel's columns to
    its right updated."""
    start, stop = columns
    i32 = ir.IntegerType.get_signless(32)

    def column(j, a, pivots, permutation):
        def search(i, best, at):
            magnitude = s.magnitude(_at(a, i, j))
            better = arith.cmpf(arith.CmpFPredicate.OGT, magnitude, best)
            return [arith.select(better, magnitude, best), arith.select(better, i, at)]

        minus_one = constant(np.zeros((), s.dtype).real.dtype, -1)
        _, p = for_loop(j, index(m), [minus_one, j], search)
        pivots = _set(arith.index_cast(i32, p), pivots, j)

        def swap(c, a):
            row_j, row_p = _at(a, j, c), _at(a, p, c)
            return [_set(row_j, _set(row_p, a, j, c), p, c)]

        a = for_loop(index(0), index(n), [a], swap)[0]
        at_j, at_p = _at(permutation, j), _at(permutation, p)
        permutation = _set(at_j, _set(at_p, permutation, j), p)
        pivot = _at(a, j, j)
        nonzero = scalar.compare(s.dtype, pivot, s.zero, "NE")

        def eliminate(i, a):
            multiplier = _at(a, i, j)
            multiplier = arith.select(nonzero, s.div(multiplier, pivot), multiplier)

            def update(c, a):
                return [_set(s.sub(_at(a, i, c), s.mul(multiplier, _at(a, j, c))), a, i, c)]

            return for_loop(_add_index(j, 1), index(stop), [_set(multiplier, a, i, j)], update)

        return [for_loop(_add_index(j, 1), index(m), [a], eliminate)[0], pivots, permutation]

    return for_loop(index(start), index(stop), [a, pivots, permutation], column)


def _lu_matrix(s, a, pivots, permutation, m, n):
    """LU with partial pivoting of one m x n matrix, right-looking by blocks of columns
    (LAPACK's getrf): factor the panel, solve the rows to its right by the panel's unit
    lower triangle (times its inverse), subtract their product with the panel below
    from the trailing matrix."""
    a = _Matrix(a, s.dtype)
    for start, stop in _blocks(min(m, n)):
        diagonal, below, right = (start, stop), (stop, m), (stop, n)
        a.value, pivots, permutation = _lu_panel(s, a.value, pivots, permutation, diagonal, m, n)
        if stop == n:
            continue
        inverse = _inverse_triangular(s, a.block(diagonal, diagonal), stop - start, lower=True, unit=True)
        u = _product(inverse, a.copy(diagonal, right), _shaped(diagonal, right, s.dtype))
        a.store(diagonal, right, u)
        if stop < m:
            a.subtract_product(below, right, a.block(below, diagonal), u, s)
    return [a.value, pivots, permutation]


def _lower_lu(node, a):
    lu_type, pivots_type, permutation_type = node.out_types
    *batch, m, n = lu_type.shape
    if 0 in lu_type.shape:
        return [a, empty(pivots_type), rules.lowering[IotaOp.OPERATION_NAME](_iota_node(permutation_type))[0]]
    s = Scalars(lu_type.dtype)
    results = [(_copy(a, lu_type), lu_type), (empty(pivots_type), pivots_type),
               (rules.lowering[IotaOp.OPERATION_NAME](_iota_node(permutation_type))[0], permutation_type)]
    return _per_matrix([], results, lambda *matrices: _lu_matrix(s, *matrices, m, n))


def _iota_node(shaped):
    return rules.Node(IotaOp.OPERATION_NAME, {"dtype": shaped.dtype, "shape": shaped.shape,
                                              "dimension": len(shaped.shape) - 1}, (), (shaped,))


rules.lowering[LuOp.OPERATION_NAME] = _lower_lu


# ----------------------------------------------------------------------------- JVP rules (JAX's)


def _cholesky_jvp(node, primals, tangents):
    """L_dot = L phi(L^-1 sigma_dot L^-H), phi taking the lower triangle with its
    diagonal halved (Murray 2016, arXiv:1602.07527)."""
    (a,), (sigma_dot,) = primals, tangents
    (l,) = build(CholeskyOp, [a])
    if sigma_dot is None:
        return [l], [None]
    tmp = triangular_solve(l, sigma_dot, transpose_a=True, conjugate_a=is_complex(type_of(a).dtype), lower=True)
    inner = triangular_solve(l, tmp, left_side=True, lower=True)
    half = ops.mul(inner, full(type_of(inner), 0.5))
    phi = ops.select(diagonal_mask(type_of(inner)), half, triangle(inner, lower=True, k=-1))
    return [l], [matmul(l, phi)]


rules.jvp[CholeskyOp.OPERATION_NAME] = _cholesky_jvp


def _triangular_solve_jvp(node, primals, tangents):
    """Linear in b; in a, -op(a)^-1 op(a_dot) x (left_side) or -x op(a_dot) op(a)^-1 with
    a_dot cut to a's triangle, multiplied in the cheaper order."""
    p = node.params
    (a, b), (a_dot, b_dot) = primals, tangents
    (x,) = build(TriangularSolveOp, [a, b], **p)
    tangent = None if b_dot is None else triangular_solve(a, b_dot, **p)
    if a_dot is None:
        return [x], [tangent]
    m, n = type_of(b).shape[-2:]
    k = 1 if p["unit_diagonal"] else 0
    g = ops.neg(triangle(a_dot, p["lower"], -k if p["lower"] else k))
    if p["transpose_a"]:
        g = move_axis(g, type_of(g).ndim - 1, type_of(g).ndim - 2)
    if p["conjugate_a"]:
        g = ops.conj(g)
    if p["left_side"]:
        term = triangular_solve(a, matmul(g, x), **p) if m > n else matmul(triangular_solve(a, g, **p), x)
    else:
        term = triangular_solve(a, matmul(x, g), **p) if m < n else matmul(x, triangular_solve(a, g, **p))
    return [x], [add_tangents(tangent, term)]


rules.jvp[TriangularSolveOp.OPERATION_NAME] = _triangular_solve_jvp


def _lu_jvp(node, primals, tangents):
    """De Hoog, Anderssen and Lukas: with p a = l u, l_dot = l tril(l^-1 p a_dot u^-1, -1)
    and u_dot = triu(l^-1 p a_dot u^-1) u."""
    (a,), (a_dot,) = primals, tangents
    lu, pivots, permutation = build(LuOp, [a])
    if a_dot is None:
        return [lu, pivots, permutation], [None] * 3
    shaped = type_of(a)
    *batch, m, n = shaped.shape
    k = min(m, n)
    ndim = shaped.ndim

    def window(rows, columns):
        return ops.slice(lu, start_indices=(0,) * ndim, limit_indices=(*batch, rows, columns), strides=(1,) * ndim)

    # l (m x m) and u (n x n) square, with ones on the diagonal past the factors.
    l_type, u_type = ShapedType((*batch, m, m), shaped.dtype), ShapedType((*batch, n, n), shaped.dtype)
    lower = ops.select(diagonal_mask(l_type), full(l_type, 1),
                       padded(triangle(window(m, k), lower=True, k=-1), ndim - 1, m - k))
    upper = ops.select(diagonal_mask(u_type, first=k), full(u_type, 1),
                       padded(triangle(window(k, n), lower=False), ndim - 2, n - k))
    la = triangular_solve(lower, rows_permuted(a_dot, permutation), left_side=True, lower=True, unit_diagonal=True)
    lau = triangular_solve(upper, la)
    lu_dot = ops.add(matmul(lower, triangle(lau, lower=True, k=-1)),
                     matmul(triangle(lau, lower=False), upper))
    return [lu, pivots, permutation], [lu_dot, None, None]


rules.jvp[LuOp.OPERATION_NAME] = _lu_jvp


# ----------------------------------------------------------------------------- transpose and batching rules (JAX's)


def _transpose_triangular_solve(node, cts, operands, linear):
    (ct,), p = cts, node.params
    if linear[0]:
        raise TypeError("mirax.triangular_solve is linear in b only: it cannot be transposed in a")
    if ct is None:
        return [None, None]
    return [None, triangular_solve(operands[0], ct, **{**p, "transpose_a": not p["transpose_a"]})]


rules.transpose[TriangularSolveOp.OPERATION_NAME] = _transpose_triangular_solve


rules.batching[CholeskyOp.OPERATION_NAME] = batch_leading(CholeskyOp)
rules.batching[LuOp.OPERATION_NAME] = batch_leading(LuOp)


def _batch_triangular_solve(node, operands, dims, size):
    """With a unbatched, b's batch dimension joins its columns (left_side) or rows, so one
    solve serves every element; otherwise both batched at the front."""
    (a, b), (a_bdim, b_bdim) = operands, dims
    p = node.params
    if a_bdim is not None:
        return [triangular_solve(batch_at(a, a_bdim, size, 0), batch_at(b, b_bdim, size, 0), **p)], [0]
    ndim = type_of(b).ndim
    at = ndim - 1 if p["left_side"] else ndim - 2  # next to b's columns (left_side) or rows
    moved = move_axis(b, b_bdim, at)
    shape = type_of(moved).shape
    joined = shape[:at - 1] + (shape[at - 1] * shape[at],) + shape[at + 1:]
    x = triangular_solve(a, ops.reshape(moved, new_sizes=joined), **p)
    return [ops.reshape(x, new_sizes=shape)], [at]


rules.batching[TriangularSolveOp.OPERATION_NAME] = _batch_triangular_solve
