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

Lowering: blocked algorithms, as LAPACK's, written as scf.for loops over tiles with
dynamic offsets and static tile shapes, so that the code, and the compile time, do not
grow with the matrix (1024 x 1024 float32, CPU time: cholesky 2.8 -> 0.3 s, solve 12
-> 0.5 s, jit(grad) of a loss of each 14 -> 0.8 s and 28 -> 0.9 s). A matrix is
copied into one of whole BLOCK x BLOCK tiles (a smaller one is one tile of its own
size: nothing padded or multiplied), padded with ones on the diagonal (cholesky,
triangular_solve's a: they factor and solve to the identity there) or zeros (lu, the
right-hand sides), and the work happens in place in that copy: views of tiles
(tensor.extract_slice at offsets computed from the loops' indices) are updated by
linalg.copy, the scalar loops or an elementwise subtraction and put back
(insert_slice), which bufferization turns into writes into the matrix, not copies of
it. Each diagonal tile is factored or inverted by scalar scf loops; everything else is
linalg.matmul of static tiles, which mirax-vectorize-matmul packs, tiles and
vectorizes (f32), its right operand a copy (the vectorizer reshapes it). cholesky is
left-looking (each tile of a block column less the products of the tiles to its left,
CHUNK tiles of the contraction per matmul where there are as many: the packing and the
accumulation of a product cost about what a 64-deep contraction does; the right
operands transposed once per column); lu right-looking as getrf (the panel's pivot
searches, swaps and eliminations in scalar loops over whole rows, then per tile to its
right one loop of the same matmul: times the panel's inverse, then each tile below
less a product); triangular_solve by block rows (each less the products of the rows
solved before it, times the diagonal tile's inverse), in blocks of WIDTH columns of
the right-hand sides. The independent updates run as scf.foralls, on OpenMP threads
(the block rows of a cholesky block column, the block columns right of an lu panel,
the blocks of columns of a triangular_solve), each writing only its own window of the
matrix and reading nothing else of it (lu's panel is copied out first), so that
bufferization works in place.

Compile time is about proportional to the matmuls in the code (each is vectorized and
compiled on its own): the loops keep a few per op, where the blocks unrolled at
compile time (the previous lowering) had one per block, or per level of a recursion.
Outlining recursive halves as functions (O(log n) of them) would have kept big
matmuls, but bufferization drops func.call's no_inline and the pipeline inlines every
call. Run times at 1024, one thread, against the unrolled blocks: cholesky and
solve about equal, lu 15% faster, triangular_solve 5-10% slower (its recursion's
products were 1024 columns wide; here the right operand of each tile's product is
packed anew).
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, math, scf, tensor

from . import ops, rules, scalar
from .base import MiraxOp, bool_
from .batching import batch_at, batch_leading, move_axis
from .composites import diagonal_mask, matmul, padded, rows_permuted, triangle, triangular_solve
from .constant import IotaOp
from .lowering import (constant, empty, filled, for_each_row, for_loop, forall, generic, identity_map, index, put,
                       scalar_type, window)
from .ops import build
from .types import ShapedType, is_complex
from .values import add_tangents, full, type_of

DTYPES = tuple(np.dtype(d) for d in (np.float32, np.float64, np.complex64, np.complex128))
BLOCK = 64  # rows per block: diagonal blocks are scalar loops, the rest matmuls
CHUNK = 4  # tiles per matmul along a long contraction (a tile's is too short to pay for the packing)
WIDTH = 256  # columns of a triangular solve's right-hand sides solved together (on threads, in the caches)


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


class CholeskyOp(MiraxOp, name="cholesky", superlinear=True, operands=("a",)):
    """The lower Cholesky factor of each matrix of a, from its lower triangle; NaNs
    where a matrix is not positive definite."""

    @staticmethod
    def infer(a):
        check_matrices(a)
        check_square(a)
        return a


class TriangularSolveOp(MiraxOp, name="triangular_solve", superlinear=True, operands=("a", "b"),
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


class LuOp(MiraxOp, name="lu", superlinear=True, operands=("a",), results=3):
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


# ----------------------------------------------------------------------------- lowering: tensors and tiles


class _Grid:
    """Square tiles of `size` rows and columns (BLOCK, or a smaller matrix's own size,
    so that small matrices are neither padded nor multiplied) on one dtype's matrices,
    addressed by tile indices (index values) and counts of tiles."""

    def __init__(self, size, dtype):
        self.size, self.dtype = min(BLOCK, size), dtype

    def count(self, n):
        """The number of tiles along a side of n (the last one padded)."""
        return -(-n // self.size)

    def offset(self, i):
        """The first row or column of tile i."""
        return arith.muli(i, index(self.size))

    def shaped(self, rows=1, cols=1):
        """The type of `rows` x `cols` tiles (cols may be an int of columns, not tiles,
        given as ("columns", n))."""
        return ShapedType((rows * self.size, self._columns(cols)), self.dtype)

    def _columns(self, cols):
        return cols[1] if isinstance(cols, tuple) else cols * self.size

    def view(self, matrix, i, j, rows=1, cols=1):
        """A view of the `rows` x `cols` tiles from tile (i, j) of a matrix; j may be
        ("at", column) with cols ("columns", n): n columns from that column (an index
        value)."""
        column = j[1] if isinstance(j, tuple) else self.offset(j)
        return window(matrix, [self.offset(i), column], list(self.shaped(rows, cols).shape), self.dtype)

    def put(self, value, matrix, i, j, rows=1, cols=1):
        """The matrix with `value`, the result of an op that wrote into view(matrix, i,
        j, rows, cols), in place there."""
        column = j[1] if isinstance(j, tuple) else self.offset(j)
        return put(value, matrix, [self.offset(i), column], list(self.shaped(rows, cols).shape))

    def copy(self, matrix, i, j, rows=1, cols=1):
        """The tiles as a new tensor: what a matmul's right operand must be (since
        mirax-vectorize-matmul reshapes it into panels)."""
        return _copy(self.view(matrix, i, j, rows, cols), self.shaped(rows, cols))

    def store(self, value, matrix, i, j, cols=1):
        """The matrix with the tiles from (i, j) set to `value` (a separate tensor),
        copied in place."""
        return self.put(linalg.copy(value, outs=[self.view(matrix, i, j, 1, cols)]), matrix, i, j, 1, cols)

    def subtract(self, s, value, matrix, i, j, cols=1):
        """The matrix with `value` subtracted from the tiles from (i, j), in place."""
        shaped = self.shaped(1, cols)
        (updated,) = generic([shaped], [value], [identity_map(2)] * 2, lambda p, c: [s.sub(c, p)],
                             inits=[self.view(matrix, i, j, 1, cols)])
        return self.put(updated, matrix, i, j, 1, cols)


def _sum_of_products(s, lower, upper, lhs, rhs, shaped, longest):
    """The sum over tiles k in [lower, upper) (index values) of the products lhs(k,
    count) @ rhs(k, count) of `count` tiles from k on along the contraction: CHUNK
    where as many are left (if `longest`, the most tiles there can be, allows), then 1:
    matmuls of static shapes added in order into one accumulator, a new tensor of
    `shaped` (zeros for an empty range). A longer contraction than a tile's amortizes
    the packing and the accumulation of each product."""
    def term(count):
        def body(k, total):
            (added,) = generic([shaped], [_product(lhs(k, count), rhs(k, count), shaped)], [identity_map(2)] * 2,
                               lambda p, t: [s.add(t, p)], inits=[total])
            return [added]
        return body

    total, middle = filled(shaped, 0), lower
    if longest >= CHUNK:
        middle = arith.addi(lower, arith.muli(arith.divui(arith.subi(upper, lower), index(CHUNK)), index(CHUNK)))
        (total,) = for_loop(lower, middle, [total], term(CHUNK), step=CHUNK)
    return for_loop(middle, upper, [total], term(1))[0]


def _if(condition, then, otherwise, shaped):
    """scf.if yielding a tensor of `shaped`, then() or otherwise()."""
    op = scf.IfOp(condition, [ir.RankedTensorType.get(list(shaped.shape), scalar_type(shaped.dtype))], has_else=True)
    for block, build in ((op.then_block, then), (op.else_block, otherwise)):
        with ir.InsertionPoint(block):
            scf.YieldOp([build()])
    return op.results[0]


def _product(lhs, rhs, shaped):
    """lhs @ rhs as a new tensor of `shaped` (a matmul into zeros, the form
    mirax-vectorize-matmul vectorizes)."""
    return linalg.matmul(lhs, rhs, outs=[filled(shaped, 0)])


def _padded(s, value, shaped, rows, cols, identity):
    """A new tensor: `value` (of `shaped`, matrices in the last two dimensions) grown to
    rows x cols matrices, with ones on the diagonal past its own (`identity`) and zeros
    elsewhere in the padding; a plain copy when the sizes are its own."""
    *batch, m, n = shaped.shape
    out = ShapedType((*batch, rows, cols), shaped.dtype)
    if (rows, cols) == (m, n):
        return _copy(value, out)
    rank = len(shaped.shape)

    def body(_):
        i, j = linalg.IndexOp(rank - 2).result, linalg.IndexOp(rank - 1).result
        diagonal = arith.andi(arith.cmpi(arith.CmpIPredicate.eq, i, j),
                              arith.cmpi(arith.CmpIPredicate.uge, i, index(m)))
        return [arith.select(diagonal, s.one, s.zero) if identity else s.zero]

    (frame,) = generic([out], [], [identity_map(rank)], body)
    return put(value, frame, [0] * rank, list(shaped.shape))


def _unpadded(value, shaped, dtype):
    """The leading `shaped` part of a padded tensor, a new tensor."""
    rank = len(shaped.shape)
    return _copy(window(value, [0] * rank, list(shaped.shape), dtype), shaped)


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
    return window(tensor_value, [*batch_index, *[0] * len(shape)], [None] * len(batch_index) + list(shape), dtype)


def _put_matrix(value, tensor_value, batch_index, shape):
    return put(value, tensor_value, [*batch_index, *[0] * len(shape)], [None] * len(batch_index) + list(shape))


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


def _cholesky_matrix(s, g, a, tiles):
    """The lower Cholesky factor of one matrix `a` of tiles x tiles tiles of grid g
    (updated in place), left-looking by block columns j (an scf.for): each tile (i, j)
    on and below the diagonal less the sum over k < j of L(i, k) L(j, k)^H (an
    scf.forall over the block rows i, each its own window), the diagonal tile factored,
    the tiles below it times the inverse of its conjugate transpose (an scf.forall).
    The tiles L(j, k)^H, the right operands of block column j's products, are
    transposed once for the column, into a tiles x 1 column of tiles."""
    def block_column(j, a):
        def transposed(k, row_h):
            return [g.put(_conjugate_transpose(s, g.view(a, j, k), g.shaped()), row_h, k, index(0))]

        row_h = for_loop(index(0), j, [empty(g.shaped(tiles, 1))], transposed)[0]

        def update(_, rows):  # block row i, all its columns
            total = _sum_of_products(s, index(0), j, lambda k, count: g.view(rows, index(0), k, 1, count),
                                     lambda k, count: g.copy(row_h, k, index(0), count, 1), g.shaped(), tiles - 1)
            return g.subtract(s, total, rows, index(0), j)

        (a,) = forall(j, index(tiles), [a], lambda i: ([g.offset(i), 0], [g.size, tiles * g.size]),
                      lambda i, rows: [update(i, rows)], s.dtype)
        a = g.put(_cholesky_diagonal_block(s, g.view(a, j, j), g.size), a, j, j)
        inverse = _inverse_triangular(s, g.view(a, j, j), g.size, lower=True, unit=False)
        inverse_h = _conjugate_transpose(s, inverse, g.shaped())

        def solve(_, tile):
            return linalg.copy(_product(_copy(tile, g.shaped()), inverse_h, g.shaped()), outs=[tile])

        return forall(_add_index(j, 1), index(tiles), [a], lambda i: ([g.offset(i), g.offset(j)], [g.size, g.size]),
                      lambda i, tile: [solve(i, tile)], s.dtype)

    return for_loop(index(0), index(tiles), [a], block_column)[0]


def _lower_triangle_or_nans(s, a, n, size):
    """a's (size x size) lower triangle, zeros above, in place; NaNs in the lower
    triangle unless the first n elements of its diagonal are positive (JAX's result
    where LAPACK reports failure)."""
    def check(i, ok):
        positive = arith.cmpf(arith.CmpFPredicate.OGT, s.real(_at(a, i, i)), s.real_zero)
        return [arith.andi(ok, positive)]

    ok = for_loop(index(0), index(n), [constant(np.dtype(np.bool_), True)], check)[0]
    nan = constant(s.dtype, complex(np.nan, np.nan) if is_complex(s.dtype) else np.nan)

    def body(x):
        below = arith.cmpi(arith.CmpIPredicate.uge, linalg.IndexOp(0).result, linalg.IndexOp(1).result)
        return [arith.select(below, arith.select(ok, x, nan), s.zero)]

    return generic([ShapedType((size, size), s.dtype)], [], [identity_map(2)], body, inits=[a])[0]


def _lower_cholesky(node, a):
    (shaped,) = node.out_types
    n = shaped.shape[-1]
    if 0 in shaped.shape:
        return [a]
    s = Scalars(shaped.dtype)
    g = _Grid(n, shaped.dtype)
    tiles = g.count(n)
    size = tiles * g.size
    padded = ShapedType((*shaped.shape[:-2], size, size), shaped.dtype)
    (factor,) = _per_matrix([], [(_padded(s, a, shaped, size, size, True), padded)],
                            lambda m: [_lower_triangle_or_nans(s, _cholesky_matrix(s, g, m, tiles), n, size)])
    return [factor if padded == shaped else _unpadded(factor, shaped, shaped.dtype)]


rules.lowering[CholeskyOp.OPERATION_NAME] = _lower_cholesky


# ----------------------------------------------------------------------------- lowering: triangular_solve


def _solve_triangular_matrix(s, g, t, x, tiles, n, lower, unit):
    """The solution of t y = x for triangular t of tiles x tiles tiles of grid g, in
    place of x (tiles rows of tiles, n columns): the inverses of t's diagonal tiles
    first, then x by blocks of up to WIDTH columns (an scf.forall over whole ones, an
    scf.for over the rest), each by block rows in an scf.for (top down for a lower t,
    bottom up for an upper): block row i less t(i, k) y(k) for the block rows k solved
    before it (CHUNK at a time, then one), times the inverse of t's diagonal tile. A
    block of columns keeps the rows it reads again in the caches."""
    def invert(i, inverses):
        return [g.put(_inverse_triangular(s, g.view(t, i, i), g.size, lower, unit), inverses, i, index(0))]

    inverses = for_loop(index(0), index(tiles), [empty(g.shaped(tiles, 1))], invert)[0]

    def solve_columns(x, first_column, width):
        at, columns = ("at", first_column), ("columns", width)

        def block_row(step, x):
            i = step if lower else arith.subi(index(tiles - 1), step)
            first, last = (index(0), i) if lower else (_add_index(i, 1), index(tiles))
            shaped = g.shaped(1, columns)

            def term(count):
                def body(k, rhs):
                    product = _product(g.view(t, i, k, 1, count), g.copy(x, k, at, count, columns), shaped)
                    return generic([shaped], [product], [identity_map(2)] * 2, lambda p, r: [s.sub(r, p)],
                                   inits=[rhs])
                return body

            rhs, middle = _copy(g.view(x, i, at, 1, columns), shaped), first
            if tiles > CHUNK:
                middle = arith.addi(first, arith.muli(arith.divui(arith.subi(last, first), index(CHUNK)), index(CHUNK)))
                (rhs,) = for_loop(first, middle, [rhs], term(CHUNK), step=CHUNK)
            (rhs,) = for_loop(middle, last, [rhs], term(1))
            return [g.store(_product(g.view(inverses, i, index(0)), rhs, shaped), x, i, at, columns)]

        return for_loop(index(0), index(tiles), [x], block_row)[0]

    whole, rest = divmod(n, WIDTH)
    if whole:
        (x,) = forall(0, whole, [x], lambda c: ([0, arith.muli(c, index(WIDTH))], [tiles * g.size, WIDTH]),
                      lambda _, block: [solve_columns(block, index(0), WIDTH)], s.dtype)
    if rest:
        x = solve_columns(x, index(whole * WIDTH), rest)
    return x


def _lower_triangular_solve(node, a, b):
    """Every case as a solve from the left, t y = c: a right-side solve x op(a) = b is
    op(a)^T x^T = b^T. Where t is a's (conjugate) transpose or c is b's transpose, they
    are new tensors, each one linalg.generic, as is x from y; c is solved in place.
    Both padded to whole tiles: t with ones on the diagonal, c with zero rows."""
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
    g = _Grid(m, out.dtype)
    tiles = g.count(m)
    size = tiles * g.size
    if size != m:
        t = _padded(s, t, a_type, size, size, True)
    if p["left_side"]:
        c = _padded(s, b, c_type, size, n, False)  # a copy even where c is b, to solve in place
    else:
        c = generic([c_type], [b], [swap, identity_map(rank)], lambda v, _: [v])[0]
        if size != m:
            c = _padded(s, c, c_type, size, n, False)
    t_type, y_type = ShapedType((*batch, size, size), out.dtype), ShapedType((*batch, size, n), out.dtype)
    (y,) = _per_matrix([(t, t_type)], [(c, y_type)], lambda t_matrix, y: [
        _solve_triangular_matrix(s, g, t_matrix, y, tiles, n, p["lower"] != transposed, p["unit_diagonal"])])
    if size != m:
        y = _unpadded(y, c_type, out.dtype)
    if p["left_side"]:
        return [y]
    return generic([out], [y], [swap, identity_map(rank)], lambda v, _: [v])


rules.lowering[TriangularSolveOp.OPERATION_NAME] = _lower_triangular_solve


# ----------------------------------------------------------------------------- lowering: lu


def _lu_panel(s, a, pivots, permutation, start, stop, end, m, n):
    """Columns [start, stop) (index values) of the m x n matrix in `a` factored, as
    LAPACK's getf2: for each column, the row of largest magnitude from the diagonal
    down is swapped into place (whole rows, and in `permutation`; its index goes to
    `pivots`), the column below the diagonal divided by the pivot (unless zero), and
    the columns to its right up to `end` updated."""
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

            return for_loop(_add_index(j, 1), end, [_set(multiplier, a, i, j)], update)

        return [for_loop(_add_index(j, 1), index(m), [a], eliminate)[0], pivots, permutation]

    return for_loop(start, stop, [a, pivots, permutation], column)


def _lu_matrix(s, g, a, pivots, permutation, m, n):
    """LU with partial pivoting of one m x n matrix, padded with zeros to whole tiles of
    grid g in `a`, right-looking by block columns j (an scf.for; LAPACK's getrf):
    factor the panel (its columns up to min(m, n), the updates reaching the end of its
    tile), then for each tile (j, c) to its right: times the inverse of the panel's
    unit lower triangle (u), and each tile (i, c) below it less L(i, j) u, the same
    matmul in one loop over i from j (scf.if choosing its operands: one matmul to
    compile, not two), the block columns c in an scf.forall, reading L's block column
    from a copy. Pivots are searched among a's own rows only."""
    rows, cols = g.count(m), g.count(n)
    k = min(m, n)

    def block_column(j, a, pivots, permutation):
        start = g.offset(j)
        stop = arith.minsi(_add_index(start, g.size), index(k))
        a, pivots, permutation = _lu_panel(s, a, pivots, permutation, start, stop, _add_index(start, g.size), m, n)
        inverse = _inverse_triangular(s, g.view(a, j, j), g.size, lower=True, unit=True)

        panel = g.copy(a, index(0), j, rows, 1)  # L's block column, read by every block column c

        def right(c, columns):  # block column c, all its rows
            def row(i, columns, u):
                first = arith.cmpi(arith.CmpIPredicate.eq, i, j)
                lhs = _if(first, lambda: inverse, lambda: g.copy(panel, i, index(0)), g.shaped())
                rhs = _if(first, lambda: g.copy(columns, j, index(0)), lambda: u, g.shaped())
                product = _product(lhs, rhs, g.shaped())
                (updated,) = generic([g.shaped()], [product], [identity_map(2)] * 2,
                                     lambda p, x: [arith.select(first, p, s.sub(x, p))],
                                     inits=[g.view(columns, i, index(0))])
                return [g.put(updated, columns, i, index(0)), _if(first, lambda: product, lambda: u, g.shaped())]

            return for_loop(j, index(rows), [columns, empty(g.shaped())], row)[0]

        (a,) = forall(_add_index(j, 1), index(cols), [a], lambda c: ([0, g.offset(c)], [rows * g.size, g.size]),
                      lambda c, block: [right(c, block)], s.dtype)
        return [a, pivots, permutation]

    return for_loop(index(0), index(g.count(k)), [a, pivots, permutation], block_column)


def _lower_lu(node, a):
    lu_type, pivots_type, permutation_type = node.out_types
    *batch, m, n = lu_type.shape
    if 0 in lu_type.shape:
        return [a, empty(pivots_type), rules.lowering[IotaOp.OPERATION_NAME](_iota_node(permutation_type))[0]]
    s = Scalars(lu_type.dtype)
    g = _Grid(min(m, n), lu_type.dtype)
    padded = ShapedType((*batch, g.count(m) * g.size, g.count(n) * g.size), lu_type.dtype)
    results = [(_padded(s, a, lu_type, *padded.shape[-2:], False), padded), (empty(pivots_type), pivots_type),
               (rules.lowering[IotaOp.OPERATION_NAME](_iota_node(permutation_type))[0], permutation_type)]
    lu, pivots, permutation = _per_matrix([], results, lambda *matrices: _lu_matrix(s, g, *matrices, m, n))
    return [lu if padded == lu_type else _unpadded(lu, lu_type, lu_type.dtype), pivots, permutation]


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

    def corner(rows, columns):
        return ops.slice(lu, start_indices=(0,) * ndim, limit_indices=(*batch, rows, columns), strides=(1,) * ndim)

    # l (m x m) and u (n x n) square, with ones on the diagonal past the factors.
    l_type, u_type = ShapedType((*batch, m, m), shaped.dtype), ShapedType((*batch, n, n), shaped.dtype)
    lower = ops.select(diagonal_mask(l_type), full(l_type, 1),
                       padded(triangle(corner(m, k), lower=True, k=-1), ndim - 1, m - k))
    upper = ops.select(diagonal_mask(u_type, first=k), full(u_type, 1),
                       padded(triangle(corner(k, n), lower=False), ndim - 2, n - k))
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
