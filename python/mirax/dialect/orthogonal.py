"""Orthogonal factorizations: qr, eigh, svd.

All three factor each matrix of a batch [..., m, n] in scalar scf loops over tensors
(tensor.extract / tensor.insert, which bufferize in place), as LAPACK does but
without calling it:

- qr is Householder QR with LAPACK's reflectors (geqrf: beta = -sign(Re alpha) times
  the column's norm, so R's diagonal is real), then Q accumulated backwards from them
  (orgqr): Q and R agree with NumPy's and JAX's to rounding, signs included.
- eigh is cyclic Jacobi: sweeps of plane rotations, each zeroing one off-diagonal
  element of the Hermitian matrix, until the off-diagonal part is below rounding
  (quadratic convergence: a handful of sweeps); then the eigenvalues are sorted
  ascending, their eigenvectors with them. Jacobi is as accurate as LAPACK's
  algorithms and needs no tridiagonal stage.
- svd works on w = x or, when x is wide, x^H, through its transpose, whose rows (w's
  columns) the loops walk; the rows of real matrices go LANES elements at a time
  (vectors). Real matrices from BIDIAGONAL_FROM rows and columns on take LAPACK's
  way: Golub-Kahan's bidiagonalization w = Q B P^T by reflectors from both sides, Q
  and P formed from them, then the bidiagonal B's SVD by implicitly shifted QR steps
  (Golub & Van Loan's algorithm 8.6.2), whose rotations turn the rows of Q^T and P^T;
  the singular values are then accurate to rounding relative to the largest, as
  LAPACK's gesdd's. Smaller and complex ones take one-sided (Hestenes) Jacobi: sweeps
  of rotations of pairs of columns, each eigh's rotation of their 2x2 Gram matrix,
  until all columns are orthogonal to rounding relative to their norms (so small
  singular values keep full relative accuracy, unlike through the Gram matrix); the
  columns are sorted by norm, descending, as LAPACK's singular values. The singular
  vectors on the left are the columns of the Householder QR's Q of those orthogonal
  columns, times the sign of R's diagonal: Q also completes them to an orthonormal
  basis (full_matrices, zero singular values).

The JVP rules are JAX's (qr_jvp_rule, _eigh_jvp_rule, _svd_jvp_rule). vmap's batch dimension
becomes one more leading batch dimension.
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, linalg, math, tensor, vector

from . import ops, rules
from .base import MiraxOp, bool_
from .composites import adjoint, block, diagonal, eye_like, join, matmul, triangle, triangular_solve
from .batching import batch_leading
from .linear_algebra import LuOp, Scalars, check_matrices, check_square
from .lowering import constant, empty, for_each_row, for_loop, index, indexed, scalar_type
from .ops import build
from .scalar import while_loop as _while_loop
from .types import ShapedType, is_complex
from .values import full, type_of


def real_dtype(dtype):
    """float32 for float32 and complex64, float64 for float64 and complex128."""
    return np.finfo(dtype).dtype


class QrOp(MiraxOp, name="qr", superlinear=True, operands=("operand",), params={"full_matrices": bool_}, results=2):
    """(q, r) with operand = q r, q [..., m, k] with orthonormal columns, r [..., k, n]
    upper triangular; k is m when `full_matrices`, else min(m, n)."""

    @staticmethod
    def infer(x, full_matrices):
        check_matrices(x)
        *batch, m, n = x.shape
        k = m if full_matrices else min(m, n)
        return ShapedType((*batch, m, k), x.dtype), ShapedType((*batch, k, n), x.dtype)


class EighOp(MiraxOp, name="eigh", superlinear=True, operands=("operand",), params={"lower": bool_}, results=2):
    """(v, w) of the Hermitian matrices whose lower (`lower`) or upper triangle the
    operand holds (the other triangle is not read): v [..., n, n] the eigenvectors
    (columns), w [..., n] the eigenvalues (real), ascending."""

    @staticmethod
    def infer(x, lower):
        check_matrices(x)
        check_square(x)
        return x, ShapedType(x.shape[:-1], real_dtype(x.dtype))


class SvdOp(MiraxOp, name="svd", superlinear=True, operands=("operand",),
            params={"full_matrices": bool_, "compute_uv": bool_}, results=3):
    """(s, u, vt) with operand = u diag(s) vt: s [..., k] the singular values (real),
    descending, k = min(m, n); u [..., m, m] and vt [..., n, n] unitary when
    `full_matrices`, else u [..., m, k] and vt [..., k, n] with orthonormal columns and
    rows; without `compute_uv`, u and vt are empty: [..., m, 0] and [..., 0, n]."""

    @staticmethod
    def infer(x, full_matrices, compute_uv):
        check_matrices(x)
        *batch, m, n = x.shape
        k = min(m, n)
        s = ShapedType((*batch, k), real_dtype(x.dtype))
        if not compute_uv:
            return s, ShapedType((*batch, m, 0), x.dtype), ShapedType((*batch, 0, n), x.dtype)
        return s, ShapedType((*batch, m, m if full_matrices else k), x.dtype), \
            ShapedType((*batch, n if full_matrices else k, n), x.dtype)


# ----------------------------------------------------------------------------- lowering: scalar loops


class _Field(Scalars):
    """linalg's scalar arithmetic on one dtype, real or complex, plus what these loops
    need besides."""

    def __init__(self, dtype):
        super().__init__(dtype)
        self.real_dtype = real_dtype(dtype)

    def imag(self, a):
        return complex_d.im(a) if is_complex(self.dtype) else self.real_zero

    def abs(self, a):
        """|a|, a real scalar, without squaring (complex.abs scales): no underflow."""
        return complex_d.abs(a) if is_complex(self.dtype) else math.absf(a)

    def abs2(self, a):
        """|a|^2, a real scalar."""
        square = arith.mulf(self.real(a), self.real(a))
        return arith.addf(square, arith.mulf(self.imag(a), self.imag(a))) if is_complex(self.dtype) else square


def _for_each_matrix(shape, inits, body):
    """An scf.for over the matrices of a batch of `shape` [..., m, n], carrying `inits`:
    `body(at, *carried)` returns the next values, where at(i, j) is the full index of
    element (i, j) of the current matrix, and at(i) that of element i of a vector
    [..., m] beside it."""
    if 0 in shape[:-2]:
        return list(inits)
    return for_each_row(shape[:-1], len(shape) - 2, inits,
                        lambda row, *carried: body(lambda i, *j: row(i) + list(j), *carried))


def _sum(lower, upper, start, term):
    """start + the sum of term(i) for i in [lower, upper)."""
    return for_loop(lower, upper, [start], lambda i, total: [term(i, total)])[0]


def _eq(i, j):
    return arith.cmpi(arith.CmpIPredicate.eq, i, j)


def _identity(f, shaped):
    """A batch of identity matrices (rectangular ones: ones on the main diagonal)."""
    return indexed(shaped, [], lambda idx: arith.select(_eq(idx[-2], idx[-1]), f.one, f.zero))


# The row loops of real matrices take LANES elements at a time (vector transfers), the
# rest one by one; complex ones go one by one.
LANES = 16


class _Lanes:
    """Vectors of LANES elements of a real dtype along the last dimension of tensors of
    `rank`, read and written at full indices."""

    def __init__(self, f, rank):
        self.f, self.type = f, ir.VectorType.get([LANES], scalar_type(f.dtype))
        self.minor = ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(rank - 1)])
        self.zeros = self.broadcast(f.zero)

    def read(self, t, idx):
        return vector.transfer_read(self.type, t, idx, self.minor, self.f.zero, [True])

    def write(self, value, t, idx):
        return vector.transfer_write(t.type, value, t, idx, self.minor, [True])

    def broadcast(self, x):
        return vector.broadcast(self.type, x)

    @staticmethod
    def fma(a, b, c):  # for _reflect, whose argument `vector` hides the dialect's name
        return vector.fma(a, b, c)

    def dot(self, count, x, y):
        """The sum of the elements of x(k) y(k) over the chunks k in [0, count), in two
        sums (even and odd chunks) that overlap their fused multiply-adds' latency."""
        twice = lambda k: arith.muli(k, index(2))  # noqa: E731
        even, odd = for_loop(index(0), arith.divui(count, index(2)), [self.zeros] * 2, lambda k, even, odd: [
            self.fma(x(twice(k)), y(twice(k)), even),
            self.fma(x(arith.addi(twice(k), index(1))), y(arith.addi(twice(k), index(1))), odd)])
        return self.sum(for_loop(twice(arith.divui(count, index(2))), count, [arith.addf(even, odd)],
                                 lambda k, total: [self.fma(x(k), y(k), total)])[0])

    def sum(self, v):
        return vector.reduction(scalar_type(self.f.dtype), vector.CombiningKind.ADD, v)


def _read(t, idx, lanes=None):
    """t's element at idx or, with `lanes`, its LANES elements from there on."""
    return lanes.read(t, idx) if lanes else tensor.extract(t, idx)


def _reflect(f, at, target, vector, j, tau, columns, m, lanes=None):
    """Householder reflector H = I - tau v v^H applied from the left to rows [j, m) of
    the `columns` (lower, upper) of `target`, where v = (1, vector(target, i) for i in
    (j, m)). `vector` reads through the carried target when v lives in it. With `lanes`
    (a _Lanes for at(i, c), contiguous in i, and vector(target, i, lanes) its elements
    from i on), the loops over i go LANES elements at a time."""
    j1 = arith.addi(j, index(1))
    # The LANES-element chunks [j1, rest), then the elements [rest, m) one by one.
    chunks = arith.divui(arith.subi(index(m), j1), index(LANES)) if lanes else index(0)
    rest = arith.addi(j1, arith.muli(chunks, index(LANES)))
    chunk = lambda k: arith.addi(j1, arith.muli(k, index(LANES)))  # noqa: E731

    def per_column(c, target):
        # w = v^H target[j:m, c]; target[j:m, c] -= tau v w
        w = tensor.extract(target, at(j, c))
        if lanes:
            w = f.add(w, lanes.dot(chunks, lambda k: vector(target, chunk(k), lanes),
                                   lambda k: lanes.read(target, at(chunk(k), c))))
        w = _sum(rest, index(m), w,
                 lambda i, w: f.add(w, f.mul(f.conj(vector(target, i)), tensor.extract(target, at(i, c)))))
        tau_w = f.mul(tau, w)
        target = tensor.insert(f.sub(tensor.extract(target, at(j, c)), tau_w), target, at(j, c))
        if lanes:
            target = for_loop(index(0), chunks, [target], lambda k, t: [lanes.write(arith.subf(
                lanes.read(t, at(chunk(k), c)), arith.mulf(vector(t, chunk(k), lanes), lanes.broadcast(tau_w))),
                t, at(chunk(k), c))])[0]
        return for_loop(rest, index(m), [target], lambda i, t: [tensor.insert(
            f.sub(tensor.extract(t, at(i, c)), f.mul(vector(t, i), tau_w)), t, at(i, c))])

    return for_loop(*columns, [target], per_column)[0]


def reflector(f, at, a, j, c, m):
    """LAPACK's zlarfg on a[j:m, c]: the reflector H = I - tau v v^H with H^H a[j:m, c] =
    (beta, 0, ...), beta real, stored as LAPACK does: beta at (j, c), v[j+1:m] below it
    (v[j] = 1). Returns a and tau."""
    zero = f.real_zero
    j1 = arith.addi(j, index(1))
    alpha = tensor.extract(a, at(j, c))
    below = _sum(j1, index(m), zero, lambda i, s: arith.addf(s, f.abs2(tensor.extract(a, at(i, c)))))
    norm = math.sqrt(arith.addf(f.abs2(alpha), below))
    # A column already in shape (nothing below, alpha real) gets H = I, as in LAPACK.
    done = arith.andi(arith.cmpf(arith.CmpFPredicate.OEQ, below, zero),
                      arith.cmpf(arith.CmpFPredicate.OEQ, f.imag(alpha), zero))
    beta = arith.select(done, f.real(alpha), arith.negf(math.copysign(norm, f.real(alpha))))
    tau = arith.select(done, f.zero, f.div(f.sub(f.from_real(beta), alpha), f.from_real(beta)))
    scale = arith.select(done, f.zero, f.div(f.one, f.sub(alpha, f.from_real(beta))))
    a = for_loop(j1, index(m), [a], lambda i, a: [
        tensor.insert(f.mul(tensor.extract(a, at(i, c)), scale), a, at(i, c))])[0]
    return tensor.insert(f.from_real(beta), a, at(j, c)), tau


def _householder(f, at, m, n, a, taus, lanes=None):
    """LAPACK's geqr2 on one matrix: for each column j < min(m, n), the reflector
    taking a[j:m, j] to (beta, 0, ...) stored in the column, tau in taus[j]; H^H
    applied to the columns on the right (`lanes` as _reflect's)."""

    def column(j, a, taus):
        a, tau = reflector(f, at, a, j, j, m)
        vector = lambda t, i, lanes=None: _read(t, at(i, j), lanes)  # noqa: E731
        a = _reflect(f, at, a, vector, j, f.conj(tau), (arith.addi(j, index(1)), index(n)), m, lanes)
        return [a, tensor.insert(tau, taus, at(j))]

    return for_loop(index(0), index(min(m, n)), [a, taus], column)


def householder_product(f, at, m, k, q_columns, vector, tau, q, lanes=None):
    """H_0 H_1 ... H_{k-1} q for q [m, q_columns] holding the identity's columns on
    entry (LAPACK's orgqr), where H_j = I - tau(j) v v^H, v = (1, vector(j, i) for i in
    (j, m)) on rows [j, m). From the last reflector: H_j meets only rows and columns
    from j on, the rest of q being the identity's still. `lanes` as _reflect's, with
    vector(j, i, lanes) v's LANES elements from i on."""

    def accumulate(step, q):
        j = arith.subi(index(k - 1), step)
        return [_reflect(f, at, q, lambda _, i, *lanes: vector(j, i, *lanes), j, tau(j), (j, index(q_columns)), m,
                         lanes)]

    return for_loop(index(0), index(k), [q], accumulate)[0]


def _householder_qr(f, at, m, n, q_columns, a, taus, q, lanes=None):
    """QR of one m x n matrix a in place (R on and above its diagonal), q [m, q_columns]
    holding the identity's columns on entry and Q's on exit (`lanes` as _reflect's)."""
    a, taus = _householder(f, at, m, n, a, taus, lanes)
    vector = lambda j, i, lanes=None: _read(a, at(i, j), lanes)  # noqa: E731
    return [a, taus, householder_product(f, at, m, min(m, n), q_columns, vector,
                                         lambda j: tensor.extract(taus, at(j)), q, lanes)]


def _lower_qr(node, x):
    (x_type,), (q_type, r_type) = node.in_types, node.out_types
    *batch, m, n = x_type.shape
    f = _Field(x_type.dtype)
    work = linalg.copy(x, outs=[empty(x_type)])  # the loops write in place: not into the operand
    a, _, q = _for_each_matrix(x_type.shape, [work, empty(ShapedType((*batch, min(m, n)), x_type.dtype)),
                                              _identity(f, q_type)],
                               lambda at, *carried: _householder_qr(f, at, m, n, q_type.shape[-1], *carried))
    r = indexed(r_type, [], lambda idx: arith.select(
        arith.cmpi(arith.CmpIPredicate.ule, idx[-2], idx[-1]), tensor.extract(a, idx), f.zero))
    return [q, r]


rules.lowering[QrOp.OPERATION_NAME] = _lower_qr

# Jacobi sweeps stop once the off-diagonal part is below rounding, or after this many
# (quadratic convergence takes well under 20, whatever n).
MAX_SWEEPS = 40


def _hermitian(f, x, shaped, lower):
    """The Hermitian matrices of which x holds the lower (or upper) triangle: the other
    triangle mirrored and conjugated, the diagonal's imaginary part dropped."""

    def element(idx, x_ij):
        *batch, i, j = idx
        mirrored = f.conj(tensor.extract(x, batch + [j, i]))
        own = arith.cmpi(arith.CmpIPredicate.uge if lower else arith.CmpIPredicate.ule, i, j)
        return arith.select(_eq(i, j), f.from_real(f.real(x_ij)), arith.select(own, x_ij, mirrored))

    return indexed(shaped, [x], element)


def _rotation(f, a_pp, a_qq, b):
    """The 2x2 unitary U that diagonalizes the Hermitian [[a_pp, b], [conj(b), a_qq]]
    (a_pp, a_qq real): with b = |b| e (|e| = 1), the phase diag(1, conj(e)) followed by
    the real rotation [[c, s], [-s, c]] of the symmetric [[a_pp, |b|], [|b|, a_qq]]
    (Rutishauser's formulas). Returns (u_pp, u_pq, u_qp, u_qq) and t |b|, by which the
    rotation lowers a_pp and raises a_qq."""
    real = f.real_dtype
    one, two, zero = constant(real, 1), constant(real, 2), f.real_zero
    size = f.abs(b)  # not sqrt(abs2): a tiny b's phase b / |b| must have modulus 1
    nothing = arith.cmpf(arith.CmpFPredicate.OEQ, size, zero)
    safe = arith.select(nothing, one, size)
    theta = arith.divf(arith.subf(a_qq, a_pp), arith.mulf(two, safe))
    # t = sign(theta) / (|theta| + sqrt(theta^2 + 1)), the smaller root; no overflow in theta^2.
    r = math.absf(theta)
    big = arith.cmpf(arith.CmpFPredicate.OGT, r, one)
    inverse = arith.divf(one, r)
    root = arith.select(big, arith.mulf(r, math.sqrt(arith.addf(one, arith.mulf(inverse, inverse)))),
                        math.sqrt(arith.addf(one, arith.mulf(r, r))))
    t = arith.select(nothing, zero, math.copysign(arith.divf(one, arith.addf(r, root)), theta))
    c = arith.divf(one, math.sqrt(arith.addf(one, arith.mulf(t, t))))
    s = arith.mulf(t, c)
    e_bar = f.conj(arith.select(nothing, f.one, f.div(b, f.from_real(safe))))
    u = f.from_real(c), f.from_real(s), f.mul(f.from_real(arith.negf(s)), e_bar), f.mul(f.from_real(c), e_bar)
    return u, arith.mulf(t, size)


def _rotate(f, at, n, p, q, a, v):
    """One Jacobi rotation: a <- U^H a U and v <- v U for the unitary U acting on
    coordinates p < q that zeroes a[p, q]."""
    a_pp, a_qq = f.real(tensor.extract(a, at(p, p))), f.real(tensor.extract(a, at(q, q)))
    (u_pp, u_pq, u_qp, u_qq), t_size = _rotation(f, a_pp, a_qq, tensor.extract(a, at(p, q)))

    def per_row(k, a, v):
        """Row k of a U and v U; a's column k of U^H a mirrors its row k (a is Hermitian).
        Rows p and q come out wrong here and are set below."""
        a_kp, a_kq = tensor.extract(a, at(k, p)), tensor.extract(a, at(k, q))
        new_p = f.add(f.mul(a_kp, u_pp), f.mul(a_kq, u_qp))
        new_q = f.add(f.mul(a_kp, u_pq), f.mul(a_kq, u_qq))
        for value, where in ((new_p, at(k, p)), (new_q, at(k, q)), (f.conj(new_p), at(p, k)),
                             (f.conj(new_q), at(q, k))):
            a = tensor.insert(value, a, where)
        v_kp, v_kq = tensor.extract(v, at(k, p)), tensor.extract(v, at(k, q))
        v = tensor.insert(f.add(f.mul(v_kp, u_pp), f.mul(v_kq, u_qp)), v, at(k, p))
        v = tensor.insert(f.add(f.mul(v_kp, u_pq), f.mul(v_kq, u_qq)), v, at(k, q))
        return [a, v]

    a, v = for_loop(index(0), index(n), [a, v], per_row)
    for value, where in ((f.from_real(arith.subf(a_pp, t_size)), at(p, p)),
                         (f.from_real(arith.addf(a_qq, t_size)), at(q, q)), (f.zero, at(p, q)), (f.zero, at(q, p))):
        a = tensor.insert(value, a, where)
    return a, v


def _jacobi(f, at, n, a, v):
    """Cyclic Jacobi sweeps over the pairs p < q until the off-diagonal part of a has a
    squared norm at most eps^2 times the whole's."""
    real = f.real_dtype
    zero = f.real_zero
    tolerance = constant(real, np.finfo(real).eps ** 2)

    def unconverged(sweep, a, v):
        def per_row(i, off, total):
            def per_element(j, off, total):
                square = f.abs2(tensor.extract(a, at(i, j)))
                return [arith.select(_eq(i, j), off, arith.addf(off, square)), arith.addf(total, square)]

            return for_loop(index(0), index(n), [off, total], per_element)

        off, total = for_loop(index(0), index(n), [zero, zero], per_row)
        return arith.andi(arith.cmpf(arith.CmpFPredicate.OGT, off, arith.mulf(tolerance, total)),
                          arith.cmpi(arith.CmpIPredicate.ult, sweep, index(MAX_SWEEPS)))

    def sweep(count, a, v):
        def per_p(p, a, v):
            return for_loop(arith.addi(p, index(1)), index(n), [a, v], lambda q, a, v: _rotate(f, at, n, p, q, a, v))

        return [arith.addi(count, index(1)), *for_loop(index(0), index(max(n - 1, 0)), [a, v], per_p)]

    return _while_loop([index(0), a, v], unconverged, sweep)[1:]


def _selection_sort(at, n, w, carried, first, swap):
    """w [n] sorted so that `first` (an arith.CmpFPredicate: OLT ascending, OGT
    descending) holds between earlier and later elements, and the `carried` values
    permuted with it: swap(i, j, *carried) exchanges their entries i and j."""

    def place(i, w, *carried):
        def best_of(j, best, best_j):
            w_j = tensor.extract(w, at(j))
            better = arith.cmpf(first, w_j, best)
            return [arith.select(better, w_j, best), arith.select(better, j, best_j)]

        best, best_j = for_loop(arith.addi(i, index(1)), index(n), [tensor.extract(w, at(i)), i], best_of)
        w_i = tensor.extract(w, at(i))
        w = tensor.insert(w_i, tensor.insert(best, w, at(i)), at(best_j))
        return [w, *swap(i, best_j, *carried)]

    return for_loop(index(0), index(n), [w, *carried], place)


def _swap(at, length, i, j, t, columns):
    """t with its columns (or rows) i and j exchanged, `length` long."""

    def per_element(k, t):
        at_i, at_j = (at(k, i), at(k, j)) if columns else (at(i, k), at(j, k))
        t_i, t_j = tensor.extract(t, at_i), tensor.extract(t, at_j)
        return [tensor.insert(t_i, tensor.insert(t_j, t, at_i), at_j)]

    return for_loop(index(0), index(length), [t], per_element)[0]


def _sorted_eigenpairs(f, at, n, a, v, w):
    """w = a's diagonal sorted ascending, v's columns permuted with it."""
    w = for_loop(index(0), index(n), [w], lambda i, w: [
        tensor.insert(f.real(tensor.extract(a, at(i, i))), w, at(i))])[0]
    w, v = _selection_sort(at, n, w, [v], arith.CmpFPredicate.OLT,
                           lambda i, j, v: [_swap(at, n, i, j, v, columns=True)])
    return v, w


def _each_element(at, shape):
    """The number of elements of one matrix (or vector) of `shape` of the batch, and the
    full index of its element k (an index value, row-major)."""
    if len(shape) == 1:
        return shape[0], at
    return shape[0] * shape[1], lambda k: at(arith.divui(k, index(shape[1])), arith.remui(k, index(shape[1])))


def _poison(f, at, shape, a):
    """The sum of x - x over the elements x of one matrix of `shape` of a: zero, or NaN
    when a has a NaN or an infinity."""
    count, element = _each_element(at, shape)

    def per_element(k, poison):
        x = tensor.extract(a, element(k))
        difference = f.sub(x, x)
        return arith.addf(arith.addf(poison, f.real(difference)), f.imag(difference))

    return _sum(index(0), index(count), f.real_zero, per_element)


def _poisoned(f, at, shape, t, poison, real=False):
    """One matrix (or vector) of `shape` of t plus `poison` in each element: NaN
    everywhere for a matrix with NaNs or infinities (JAX's result where LAPACK fails)."""
    count, element = _each_element(at, shape)
    add = (lambda x: arith.addf(x, poison)) if real else (lambda x: f.add(x, f.from_real(poison)))
    return for_loop(index(0), index(count), [t], lambda k, t: [
        tensor.insert(add(tensor.extract(t, element(k))), t, element(k))])[0]


def _nan_unless_finite(f, at, n, a, v, w):
    """v and w poisoned with a's NaNs and infinities."""
    poison = _poison(f, at, (n, n), a)
    return _poisoned(f, at, (n, n), v, poison), _poisoned(f, at, (n,), w, poison, real=True)


def _lower_eigh(node, x):
    (x_type,), (v_type, w_type) = node.in_types, node.out_types
    n = x_type.shape[-1]
    f = _Field(x_type.dtype)

    def per_matrix(at, a, v, w):
        a, v = _jacobi(f, at, n, a, v)
        return [a, *_nan_unless_finite(f, at, n, a, *_sorted_eigenpairs(f, at, n, a, v, w))]

    _, v, w = _for_each_matrix(x_type.shape, [_hermitian(f, x, x_type, node.params["lower"]), _identity(f, v_type),
                                              empty(w_type)], per_matrix)
    return [v, w]


rules.lowering[EighOp.OPERATION_NAME] = _lower_eigh


class _RowPair:
    """Rows p and q of matrices of one batch, their first `length` elements: the loops
    over them, in vectors of LANES elements for real dtypes."""

    def __init__(self, f, at, length, p, q):
        self.f, self.at, self.p, self.q = f, at, p, q
        self.length, self.chunks = length, 0 if is_complex(f.dtype) else length // LANES
        if self.chunks:
            self.lanes = _Lanes(f, len(at(p, index(0))))

    def _read(self, t, row, i):
        return self.lanes.read(t, self.at(row, i))

    def _write(self, value, t, row, i):
        return self.lanes.write(value, t, self.at(row, i))

    def dot(self, g):
        """<g_p, g_q> = g_p^H g_q."""
        f, p, q, at = self.f, self.p, self.q, self.at
        total = f.zero
        if self.chunks:
            total = self.lanes.dot(index(self.chunks), lambda c: self._read(g, p, arith.muli(c, index(LANES))),
                                   lambda c: self._read(g, q, arith.muli(c, index(LANES))))
        return for_loop(index(self.chunks * LANES), index(self.length), [total], lambda i, total: [f.add(
            total, f.mul(f.conj(tensor.extract(g, at(p, i))), tensor.extract(g, at(q, i))))])[0]

    def rotate(self, t, u, active, norms=False):
        """t with the rows replaced by (row_p, row_q) u for the 2x2 u, where `active`;
        with `norms`, also the new rows' squared norms (zeros where not `active`)."""
        f, p, q, at = self.f, self.p, self.q, self.at
        u_pp, u_pq, u_qp, u_qq = u
        sums = [f.real_zero] * 2 if norms else []

        def chunk(c, t, *sums):
            i = arith.muli(c, index(LANES))
            t_p, t_q = self._read(t, p, i), self._read(t, q, i)
            u_v = [self.lanes.broadcast(x) for x in u]
            new_p = arith.addf(arith.mulf(t_p, u_v[0]), arith.mulf(t_q, u_v[2]))
            new_q = arith.addf(arith.mulf(t_p, u_v[1]), arith.mulf(t_q, u_v[3]))
            t = self._write(new_q, self._write(new_p, t, p, i), q, i)
            return [t, *(vector.fma(x, x, total) for x, total in zip((new_p, new_q), sums))]

        def element(i, t, *sums):
            t_p, t_q = tensor.extract(t, at(p, i)), tensor.extract(t, at(q, i))
            new_p = f.add(f.mul(t_p, u_pp), f.mul(t_q, u_qp))
            new_q = f.add(f.mul(t_p, u_pq), f.mul(t_q, u_qq))
            t = tensor.insert(new_q, tensor.insert(new_p, t, at(p, i)), at(q, i))
            return [t, *(arith.addf(total, f.abs2(x)) for x, total in zip((new_p, new_q), sums))]

        done = index(self.chunks * LANES)
        if self.chunks:
            zeros = [self.lanes.zeros] * len(sums)
            t, *sums = for_loop(index(0), arith.select(active, index(self.chunks), index(0)), [t, *zeros], chunk)
            sums = [self.lanes.sum(total) for total in sums]
        return for_loop(done, arith.select(active, index(self.length), done), [t, *sums], element)


def _one_sided_jacobi(f, at, k, length, g, norms, vs):
    """Hestenes' Jacobi on the k rows of g, `length` long: sweeps of rotations of each
    pair of rows by the unitary that diagonalizes their 2x2 Gram matrix, which makes
    them orthogonal, applied to the rows of the k x k matrices vs too, until no pair
    has |<g_p, g_q>| above sqrt(length) eps |g_p| |g_q|, the rounding error of the
    computed <g_p, g_q> (LAPACK's gesvj's criterion; below it, rotations would chase
    rounding errors). The pairs below that are left alone, as gesvj does. The rows'
    squared norms, in `norms` [k], are kept up to date by the rotations (each pair then
    costs one dot product), and before its pairs each row p takes the place of the
    longest of rows p..k (de Rijk's pivoting: fewer sweeps)."""
    tolerance = constant(f.real_dtype, np.sqrt(length) * np.finfo(f.real_dtype).eps)
    norms = for_loop(index(0), index(k), [norms], lambda i, norms: [tensor.insert(
        f.real(_RowPair(f, at, length, i, i).dot(g)), norms, at(i))])[0]

    def pair(p, q, rotated, g, norms, *vs):
        rows, rows_of_v = _RowPair(f, at, length, p, q), _RowPair(f, at, k, p, q)
        alpha, beta, gamma = tensor.extract(norms, at(p)), tensor.extract(norms, at(q)), rows.dot(g)
        u, _ = _rotation(f, alpha, beta, gamma)
        apart = arith.cmpf(arith.CmpFPredicate.OGT, f.abs(gamma),
                           arith.mulf(tolerance, arith.mulf(math.sqrt(alpha), math.sqrt(beta))))
        g, new_alpha, new_beta = rows.rotate(g, u, apart, norms=True)
        for i, old, new in ((p, alpha, new_alpha), (q, beta, new_beta)):
            norms = tensor.insert(arith.select(apart, new, old), norms, at(i))
        return [arith.ori(rotated, apart), g, norms, *(rows_of_v.rotate(v, u, apart)[0] for v in vs)]

    def pivot(p, g, norms, *vs):
        """Row p exchanged with the longest of rows p..k."""
        def longest(i, best, best_i):
            norm = tensor.extract(norms, at(i))
            longer = arith.cmpf(arith.CmpFPredicate.OGT, norm, best)
            return [arith.select(longer, norm, best), arith.select(longer, i, best_i)]

        norm_p = tensor.extract(norms, at(p))
        best, j = for_loop(arith.addi(p, index(1)), index(k), [norm_p, p], longest)
        norms = tensor.insert(norm_p, tensor.insert(best, norms, at(p)), at(j))
        return [_swap(at, length, p, j, g, columns=False), norms,
                *(_swap(at, k, p, j, v, columns=False) for v in vs)]

    def sweep(count, rotated, g, norms, *vs):
        def per_p(p, rotated, *carried):
            return for_loop(arith.addi(p, index(1)), index(k), [rotated, *pivot(p, *carried)],
                            lambda q, *carried: pair(p, q, *carried))

        done = constant(np.bool_, False)
        return [arith.addi(count, index(1)), *for_loop(index(0), index(max(k - 1, 0)), [done, g, norms, *vs], per_p)]

    unconverged = lambda count, rotated, *_: arith.andi(  # noqa: E731
        rotated, arith.cmpi(arith.CmpIPredicate.ult, count, index(MAX_SWEEPS)))
    start = constant(np.bool_, True)
    return _while_loop([index(0), start, g, norms, *vs], unconverged, sweep)[2:]


class _One:
    """Scalar reads and writes with _Lanes's interface: the loops' elements one by one."""
    read = staticmethod(tensor.extract)
    broadcast = staticmethod(lambda x: x)

    @staticmethod
    def write(value, t, idx):
        return tensor.insert(value, t, idx)


def _axpy(lanes, a, x_at, t, y_at, lower, upper, x=None):
    """t with t[y_at(i)] += a x[x_at(i)] for i in [lower, upper) (x is t when None),
    LANES elements at a time where `lanes`, the rest one by one; real dtypes."""

    def step(ops, i, t):
        x_i = ops.read(t if x is None else x, x_at(i))
        return [ops.write(arith.addf(ops.read(t, y_at(i)), arith.mulf(ops.broadcast(a), x_i)), t, y_at(i))]

    chunks = arith.divui(arith.subi(upper, lower), index(LANES)) if lanes else index(0)
    rest = arith.addi(lower, arith.muli(chunks, index(LANES)))
    t = for_loop(index(0), chunks, [t], lambda k, t: step(lanes, arith.addi(lower, arith.muli(k, index(LANES))), t))[0]
    return for_loop(rest, upper, [t], lambda i, t: step(_One, i, t))[0]


def _bidiagonalize(f, at, m, n, g, d, e, z, y, taus, v, v_taus, lanes):
    """Golub-Kahan's bidiagonalization (LAPACK's gebd2) of w = g^T, m x n, m >= n, in
    g: w = Q B P^T with B upper bidiagonal, d its diagonal and e its superdiagonal
    (e[n - 1] = 0). Q's reflectors are stored as _householder stores them (read along
    g's rows), P's in the rows of v [n, n] (row j + 1 holds the one acting on [j + 1,
    n)) with v_taus (v_taus[0] = 0: P's first reflector is the identity), so that
    householder_product forms both. Each step walks the rows of g once (w's trailing
    columns): each row takes the last step's reflector from the right, then this
    step's from the left, then adds to y [1, m], from which z [1, m] = the trailing
    part of w times the new reflector from the right, as the next step takes it."""
    columns = _transposed(at)
    along = lambda i: lambda r: at(i, r)  # noqa: E731
    row = along(index(0))  # of z and y

    def right(c, j, tau, g, z):
        """Row c of g (w's column c) from element j on times the last step's reflector
        from the right: minus tau u_c z, u_c = g[c, j - 1] (1 at c = j)."""
        last = arith.subi(arith.maxui(j, index(1)), index(1))  # j - 1 (0 at j = 0, where tau = 0)
        u_c = arith.select(_eq(c, j), f.one, tensor.extract(g, at(c, last)))
        upper = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, tau, f.zero), j, index(m))
        return _axpy(lanes, arith.negf(arith.mulf(tau, u_c)), row, g, along(c), j, upper, x=z)

    def left(j, tau_right, g, d, z, taus):
        """Row j of g after the last step's reflector, taken to (d_j, 0, ...) by a reflector
        from the left (stored in the row)."""
        g, tau = reflector(f, columns, right(j, j, tau_right, g, z), j, j, m)
        return g, tensor.insert(tensor.extract(g, at(j, j)), d, at(j)), tensor.insert(tau, taus, at(j)), tau

    def step(j, g, d, e, z, y, taus, v, v_taus, tau_right):
        g, d, taus, tau = left(j, tau_right, g, d, z, taus)
        j1, j2 = arith.addi(j, index(1)), arith.addi(j, index(2))
        vector = lambda t, i, lanes=None: _read(t, at(j, i), lanes)  # noqa: E731

        def per_row(c, g, y):
            g = _reflect(f, columns, right(c, j, tau_right, g, z), vector, j, tau, (c, arith.addi(c, index(1))), m,
                         lanes)
            upper = arith.select(arith.cmpi(arith.CmpIPredicate.uge, c, j2), index(m), j1)
            return [g, _axpy(lanes, tensor.extract(g, at(c, j)), along(c), y, row, j1, upper, x=g)]

        y = for_loop(j1, index(m), [y], lambda r, y: [tensor.insert(f.zero, y, row(r))])[0]
        g, y = for_loop(j1, index(n), [g, y], per_row)
        # The reflector of w's row j on [j + 1, n): u = (1, g[j + 2:n, j] / (alpha - beta)).
        alpha = tensor.extract(g, at(j1, j))
        g, tau_right = reflector(f, at, g, j1, j, n)
        beta = tensor.extract(g, at(j1, j))
        scale = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, tau_right, f.zero), f.zero,
                             arith.divf(f.one, arith.subf(alpha, beta)))
        z = for_loop(j1, index(m), [z], lambda r, z: [tensor.insert(arith.addf(
            tensor.extract(g, at(j1, r)), arith.mulf(scale, tensor.extract(y, row(r)))), z, row(r))])[0]
        v = for_loop(j2, index(n), [v], lambda i, v: [tensor.insert(tensor.extract(g, at(i, j)), v, at(j1, i))])[0]
        return [g, d, tensor.insert(beta, e, at(j)), z, y, taus, v, tensor.insert(tau_right, v_taus, at(j1)),
                tau_right]

    g, d, e, z, y, taus, v, v_taus, tau_right = for_loop(index(0), index(n - 1),
                                                         [g, d, e, z, y, taus, v, v_taus, f.zero], step)
    g, d, taus, _ = left(index(n - 1), tau_right, g, d, z, taus)
    return g, d, tensor.insert(f.real_zero, e, at(index(n - 1))), taus, v, v_taus


def _givens(f, y, z):
    """(c, s, r) with c y + s z = r = |(y, z)| and -s y + c z = 0 (c = 1, s = 0 for 0)."""
    one, zero = constant(f.real_dtype, 1), f.real_zero
    r = math.sqrt(arith.addf(arith.mulf(y, y), arith.mulf(z, z)))
    nothing = arith.cmpf(arith.CmpFPredicate.OEQ, r, zero)
    safe = arith.select(nothing, one, r)
    return arith.select(nothing, one, arith.divf(y, safe)), arith.select(nothing, zero, arith.divf(z, safe)), r


def _bidiagonal_qr(f, at, n, d, e, rows):
    """The SVD of the n x n upper bidiagonal B (diagonal d, superdiagonal e, real):
    Golub and Kahan's implicitly shifted QR steps (Golub & Van Loan, algorithm 8.6.2),
    each on the last unreduced block [lo, hi], until every e is negligible (set to zero:
    deflation), with a diagonal zero first chased out of its row (or its column, at
    hi). `rows` is (u, length), (v, length): the rows of u^T and
    v^T, B = u^T diag(d) v on exit (d of either sign). Returns d, u, v."""
    real = f.real_dtype
    zero = f.real_zero
    read = lambda t, i: tensor.extract(t, at(i))  # noqa: E731
    largest = _sum(index(0), index(n), zero, lambda i, big: arith.maximumf(
        big, arith.maximumf(math.absf(read(d, i)), math.absf(read(e, i)))))
    eps = constant(real, np.finfo(real).eps)
    tolerance = arith.mulf(eps, largest)

    def negligible(t, i, bound):
        """t with t_i set to zero where |t_i| <= bound."""
        return tensor.insert(arith.select(arith.cmpf(arith.CmpFPredicate.OLE, math.absf(read(t, i)), bound), zero,
                                          read(t, i)), t, at(i))

    def deflate(d, e, lower, upper):
        """d's elements in [lower, upper] at most eps max |B| set to zero, then e's in
        [lower, upper) at most eps (|d_i| + |d_i+1|): relative to their neighbours, as
        LAPACK's bdsqr's, since a bound relative to |B| would cost the small singular
        values their digits."""
        d = for_loop(lower, arith.addi(upper, index(1)), [d], lambda i, d: [negligible(d, i, tolerance)])[0]
        return d, for_loop(lower, upper, [e], lambda i, e: [negligible(e, i, arith.mulf(eps, arith.addf(
            math.absf(read(d, i)), math.absf(read(d, arith.addi(i, index(1)))))))])[0]

    def down(start, more):
        """start lowered by one as long as it is positive and more(start - 1) holds."""
        return _while_loop([start], lambda i: arith.andi(arith.cmpi(arith.CmpIPredicate.ugt, i, index(0)),
                                                          more(arith.subi(i, index(1)))),
                           lambda i: [arith.subi(i, index(1))])[0]

    def turn(ts, which, p, q, c, s):
        """ts with rows p and q of ts[which] (0: u, 1: v) replaced by c row_p + s row_q
        and -s row_p + c row_q (nothing without rows)."""
        if not ts:
            return []
        ts, length = list(ts), rows[which][1]
        ts[which] = _RowPair(f, at, length, p, q).rotate(ts[which], (c, arith.negf(s), s, c),
                                                          constant(np.bool_, True))[0]
        return ts

    nonzero = lambda e: lambda i: arith.cmpf(arith.CmpFPredicate.ONE, read(e, i), zero)  # noqa: E731
    # hi, the last row of the last unreduced block (0 when none: B is diagonal), from
    # an earlier one on; NaNs count as zeros.
    bottom = lambda e, hi: down(hi, lambda i: arith.cmpf(arith.CmpFPredicate.UEQ, read(e, i), zero))  # noqa: E731

    def unreduced(count, hi, d, e, *ts):
        return arith.andi(arith.cmpi(arith.CmpIPredicate.ugt, hi, index(0)),
                          arith.cmpi(arith.CmpIPredicate.ult, count, index(30 * n)))

    def iteration(count, hi, d, e, *ts):
        lo = down(arith.subi(hi, index(1)), nonzero(e))
        # The first zero on the diagonal in [lo, hi), hi when none.
        k = _sum(lo, hi, hi, lambda i, k: arith.select(arith.andi(
            arith.cmpf(arith.CmpFPredicate.OEQ, read(d, i), zero), arith.cmpi(arith.CmpIPredicate.ult, i, k)), i, k))
        in_row = arith.cmpi(arith.CmpIPredicate.ult, k, hi)
        at_hi = arith.andi(arith.xori(in_row, constant(np.bool_, True)),
                           arith.cmpf(arith.CmpFPredicate.OEQ, read(d, hi), zero))
        shifted = arith.xori(arith.ori(in_row, at_hi), constant(np.bool_, True))

        def chase_row(j, bulge, d, e, *ts):
            """Row k's bulge at column j moved to column j + 1 by rows k and j."""
            c, s, r = _givens(f, read(d, j), bulge)
            e_j = read(e, j)
            d, e = tensor.insert(r, d, at(j)), tensor.insert(arith.mulf(c, e_j), e, at(j))
            return [arith.negf(arith.mulf(s, e_j)), d, e, *turn(ts, 0, k, j, c, arith.negf(s))]

        # Row k: its bulge e[k] chased to the right, out of B (e[hi] = 0).
        bulge = read(e, k)
        e = tensor.insert(arith.select(in_row, zero, bulge), e, at(k))
        _, d, e, *ts = for_loop(arith.addi(k, index(1)), arith.select(in_row, arith.addi(hi, index(1)), index(0)),
                                [bulge, d, e, *ts], chase_row)

        def chase_column(t, bulge, d, e, *ts):
            """Column hi's bulge at row j moved up to row j - 1 by columns j and hi."""
            j = arith.subi(arith.subi(hi, index(1)), t)
            c, s, r = _givens(f, read(d, j), bulge)
            above = arith.cmpi(arith.CmpIPredicate.ugt, j, lo)
            j_1 = arith.select(above, arith.subi(j, index(1)), j)
            e_j_1 = read(e, j_1)
            d = tensor.insert(r, d, at(j))
            e = tensor.insert(arith.select(above, arith.mulf(c, e_j_1), e_j_1), e, at(j_1))
            bulge = arith.select(above, arith.negf(arith.mulf(s, e_j_1)), zero)
            return [bulge, d, e, *turn(ts, 1, j, hi, c, s)]

        # Column hi (d[hi] = 0): its bulge e[hi - 1] chased up, out of B.
        hi_1 = arith.select(arith.cmpi(arith.CmpIPredicate.ugt, hi, index(0)), arith.subi(hi, index(1)), hi)
        bulge = read(e, hi_1)
        e = tensor.insert(arith.select(at_hi, zero, bulge), e, at(hi_1))
        _, d, e, *ts = for_loop(index(0), arith.select(at_hi, arith.subi(hi, lo), index(0)), [bulge, d, e, *ts],
                                chase_column)

        # The shift: the eigenvalue of the trailing 2 x 2 block of B^T B nearer its last.
        hi_2 = arith.select(arith.cmpi(arith.CmpIPredicate.ugt, hi_1, lo), arith.subi(hi_1, index(1)), hi_1)
        e_hi_2 = arith.select(arith.cmpi(arith.CmpIPredicate.ugt, hi_1, lo), read(e, hi_2), zero)
        d_hi_1, e_hi_1, d_hi = read(d, hi_1), read(e, hi_1), read(d, hi)
        a = arith.addf(arith.mulf(d_hi_1, d_hi_1), arith.mulf(e_hi_2, e_hi_2))
        b = arith.mulf(d_hi_1, e_hi_1)
        last = arith.addf(arith.mulf(d_hi, d_hi), arith.mulf(e_hi_1, e_hi_1))
        delta = arith.mulf(constant(real, 0.5), arith.subf(a, last))
        root = math.copysign(math.sqrt(arith.addf(arith.mulf(delta, delta), arith.mulf(b, b))), delta)
        denominator = arith.addf(delta, root)
        mu = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, denominator, zero), last,
                          arith.subf(last, arith.divf(arith.mulf(b, b), denominator)))

        def qr_step(k, y, z, d, e, *ts):
            """Rotations of columns k, k + 1 (taking (y, z) to (r, 0)) and of rows k, k + 1
            (the bulge below the diagonal), leaving (y, z) for the next."""
            c, s, r = _givens(f, y, z)
            k1 = arith.addi(k, index(1))
            past = arith.cmpi(arith.CmpIPredicate.ugt, k, lo)
            k_1 = arith.select(past, arith.subi(k, index(1)), k)
            e = tensor.insert(arith.select(past, r, read(e, k_1)), e, at(k_1))
            d_k, e_k, d_k1 = read(d, k), read(e, k), read(d, k1)
            d_k, e_k = (arith.addf(arith.mulf(c, d_k), arith.mulf(s, e_k)),
                        arith.subf(arith.mulf(c, e_k), arith.mulf(s, d_k)))
            bulge, d_k1 = arith.mulf(s, d_k1), arith.mulf(c, d_k1)
            ts = turn(ts, 1, k, k1, c, s)
            c, s, r = _givens(f, d_k, bulge)
            e_k, d_k1 = (arith.addf(arith.mulf(c, e_k), arith.mulf(s, d_k1)),
                         arith.subf(arith.mulf(c, d_k1), arith.mulf(s, e_k)))
            e_k1 = read(e, k1)
            d = tensor.insert(d_k1, tensor.insert(r, d, at(k)), at(k1))
            e = tensor.insert(arith.mulf(c, e_k1), tensor.insert(e_k, e, at(k)), at(k1))
            return [e_k, arith.mulf(s, e_k1), d, e, *turn(ts, 0, k, k1, c, s)]

        d_lo = read(d, lo)
        _, _, d, e, *ts = for_loop(lo, arith.select(shifted, hi, lo), [
            arith.subf(arith.mulf(d_lo, d_lo), mu), arith.mulf(d_lo, read(e, lo)), d, e, *ts], qr_step)
        d, e = deflate(d, e, lo, hi)
        return [arith.addi(count, index(1)), bottom(e, hi), d, e, *ts]

    d, e = deflate(d, e, index(0), index(n - 1))
    _, _, d, *ts = _while_loop([index(0), bottom(e, index(n - 1)), d, e, *(t for t, _ in rows)], unreduced, iteration)
    return d, *ts[1:]


def _transposed(at):
    """`at` (of _for_each_matrix) for the transposes of the matrices."""
    return lambda i, *j: at(j[0], i) if j else at(i)


# Golub-Kahan's bidiagonalization and QR take real matrices from this size on (small ones
# are faster by Jacobi, complex ones always take it).
BIDIAGONAL_FROM = 32


def _lower_svd(node, x):
    """The SVD of w = x (tall) or x^H (wide), big x small, held as g = w^T (whose rows
    are w's columns): by the one-sided Jacobi on g, u and vt then from w's Q and the
    rotations v^T, or by Golub-Kahan's bidiagonalization and bidiagonal QR (see the
    module's docstring)."""
    (x_type,), (s_type, u_type, vt_type) = node.in_types, node.out_types
    *batch, m, n = x_type.shape
    tall, (small, big) = m >= n, sorted((m, n))
    f = _Field(x_type.dtype)
    dtype = x_type.dtype
    g_type = ShapedType((*batch, small, big), dtype)
    swapped = lambda idx: idx[:-2] + [idx[-1], idx[-2]]  # noqa: E731
    if tall:
        g = indexed(g_type, [], lambda idx: tensor.extract(x, swapped(idx)))
    else:
        g = indexed(g_type, [x], lambda idx, x_ij: f.conj(x_ij))
    compute_uv = node.params["compute_uv"]
    q_columns = (u_type if tall else vt_type).shape[-1 if tall else -2]
    lanes = None if is_complex(dtype) else _Lanes(f, len(batch) + 2)
    bidiagonal = not is_complex(dtype) and small >= BIDIAGONAL_FROM
    shaped = lambda *shape: ShapedType((*batch, *shape), dtype)  # noqa: E731
    zeros = lambda type_: indexed(type_, [], lambda idx: f.zero)  # noqa: E731

    def jacobi(at, g, s, *uv):
        g, s, *v = _one_sided_jacobi(f, at, small, big, g, s, uv[1:2])
        s = for_loop(index(0), index(small), [s], lambda i, s: [
            tensor.insert(math.sqrt(tensor.extract(s, at(i))), s, at(i))])[0]
        s, g, *v = _selection_sort(at, small, s, [g, *v], arith.CmpFPredicate.OGT, lambda i, j, g, *v: [
            _swap(at, big, i, j, g, columns=False), *(_swap(at, small, i, j, t, columns=False) for t in v)])
        if not compute_uv:
            return [g, s]
        (v,), (taus, _, qt) = v, uv
        # The QR of w = g^T and its Q, each read through its transpose (g and qt = Q^T),
        # whose rows hold the columns that the QR's loops walk.
        g, taus, qt = _householder_qr(f, _transposed(at), big, small, q_columns, g, taus, qt, lanes)

        def signed_column(j, qt):
            """Column j of Q times the sign of R's (real) diagonal element j."""
            negative = arith.cmpf(arith.CmpFPredicate.OLT, f.real(tensor.extract(g, at(j, j))), f.real_zero)
            sign = arith.select(negative, f.from_real(constant(f.real_dtype, -1)), f.one)
            return [for_loop(index(0), index(big), [qt], lambda i, qt: [
                tensor.insert(f.mul(tensor.extract(qt, at(j, i)), sign), qt, at(j, i))])[0]]

        return [g, s, taus, v, for_loop(index(0), index(small), [qt], signed_column)[0]]

    def golub_kahan(at, g, s, e, z, y, taus, reflectors, v_taus, *uv):
        g, s, e, taus, reflectors, v_taus = _bidiagonalize(f, at, big, small, g, s, e, z, y, taus, reflectors,
                                                           v_taus, lanes)
        columns = _transposed(at)
        if compute_uv:
            v, qt = uv
            read = lambda t: lambda j, i, lanes=None: _read(t, at(j, i), lanes)  # noqa: E731
            qt = householder_product(f, columns, big, small, q_columns, read(g),
                                     lambda j: tensor.extract(taus, at(j)), qt, lanes)
            v = householder_product(f, columns, small, small, small, read(reflectors),
                                    lambda j: tensor.extract(v_taus, at(j)), v, lanes)
            uv = [qt, v]
        s, *uv = _bidiagonal_qr(f, at, small, s, e, list(zip(uv, (big, small))))

        def signed(i, s, *uv):
            """|d_i|, the row i of v^T negated where d_i < 0."""
            negative = arith.cmpf(arith.CmpFPredicate.OLT, tensor.extract(s, at(i)), f.real_zero)
            sign = arith.select(negative, constant(f.real_dtype, -1), constant(f.real_dtype, 1))
            s = tensor.insert(math.absf(tensor.extract(s, at(i))), s, at(i))
            return [s, *uv[:1], *(for_loop(index(0), index(small), [v], lambda k, v: [
                tensor.insert(arith.mulf(tensor.extract(v, at(i, k)), sign), v, at(i, k))])[0] for v in uv[1:])]

        s, *uv = for_loop(index(0), index(small), [s, *uv], signed)
        s, *uv = _selection_sort(at, small, s, uv, arith.CmpFPredicate.OGT, lambda i, j, *uv: [
            _swap(at, length, i, j, t, columns=False) for t, length in zip(uv, (big, small))])
        return [g, s, e, z, y, taus, reflectors, v_taus, *uv[::-1]]

    def per_matrix(at, g, s, *carried):
        poison = _poison(f, at, (small, big), g)
        # Scaled by its largest magnitude, the matrix's squares neither overflow nor
        # underflow; the singular values are scaled back.
        count, element = _each_element(at, (small, big))
        largest = _sum(index(0), index(count), f.real_zero, lambda k, largest: arith.maximumf(
            largest, f.abs(tensor.extract(g, element(k)))))
        scale = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, largest, f.real_zero),
                             constant(f.real_dtype, 1), largest)
        inverse = f.from_real(arith.divf(constant(f.real_dtype, 1), scale))
        g = for_loop(index(0), index(count), [g], lambda k, g: [
            tensor.insert(f.mul(tensor.extract(g, element(k)), inverse), g, element(k))])[0]
        g, s, *carried = (golub_kahan if bidiagonal else jacobi)(at, g, s, *carried)
        s = for_loop(index(0), index(small), [s], lambda i, s: [
            tensor.insert(arith.mulf(tensor.extract(s, at(i)), scale), s, at(i))])[0]
        s = _poisoned(f, at, (small,), s, poison, real=True)
        if compute_uv:  # the last two: V^T and Q^T
            carried[-2:] = [_poisoned(f, at, (small, small), carried[-2], poison),
                            _poisoned(f, at, (q_columns, big), carried[-1], poison)]
        return [g, s, *carried]

    inits = [g, empty(s_type)]
    if bidiagonal:  # e, z, y, Q's taus, P's reflectors and their taus
        inits += [empty(s_type), empty(shaped(1, big)), empty(shaped(1, big)), empty(shaped(small)),
                  zeros(shaped(small, small)), zeros(shaped(small))]
    if compute_uv:  # (Q's taus for Jacobi,) V^T and Q^T
        inits += [] if bidiagonal else [empty(shaped(small))]
        inits += [_identity(f, shaped(small, small)), _identity(f, shaped(q_columns, big))]
    _, s, *carried = _for_each_matrix(g_type.shape, inits, per_matrix)
    if not compute_uv:
        return [s, empty(u_type), empty(vt_type)]
    v, qt = carried[-2:]  # v holds V's columns as rows: V^T; qt is Q^T
    conjugate = lambda t, type_: indexed(type_, [t], lambda idx, t_ij: f.conj(t_ij))  # noqa: E731
    transpose = lambda t, type_: indexed(type_, [], lambda idx: tensor.extract(t, swapped(idx)))  # noqa: E731
    if tall:  # x = Q diag(s) V^H
        return [s, transpose(qt, u_type), conjugate(v, vt_type)]
    # x = w^H = V diag(s) Q^H
    return [s, transpose(v, u_type), conjugate(qt, vt_type)]


rules.lowering[SvdOp.OPERATION_NAME] = _lower_svd


# ----------------------------------------------------------------------------- batching: one more batch dimension

rules.batching[QrOp.OPERATION_NAME] = batch_leading(QrOp)
rules.batching[EighOp.OPERATION_NAME] = batch_leading(EighOp)
rules.batching[SvdOp.OPERATION_NAME] = batch_leading(SvdOp)


# ----------------------------------------------------------------------------- JVP rules (JAX's)


def _as_matrices(w, axis):
    """w [..., n] broadcast to matrices [..., n, n] with w along `axis`: -1 gives
    w[..., None, :] (every row is w), -2 gives w[..., :, None]."""
    shaped = type_of(w)
    kept = tuple(range(shaped.ndim - 1)) + (shaped.ndim + 1 + axis,)
    return ops.broadcast_in_dim(w, shape=shaped.shape + shaped.shape[-1:], broadcast_dimensions=kept)


def _eigh_jvp(node, primals, tangents):
    """Nondegenerate perturbation theory: with vdag_adot_v = v^H da v, dw is its
    diagonal and dv = v (F * vdag_adot_v), F[i, j] = 1 / (w[j] - w[i]) off the diagonal."""
    (a,), (a_dot,) = primals, tangents
    v, w = build(EighOp, [a], **node.params)
    if a_dot is None:
        return [v, w], [None, None]
    dtype = type_of(a).dtype
    w_full = w if type_of(w).dtype == dtype else ops.convert(w, new_dtype=dtype)
    eye = eye_like(a)
    one = full(type_of(eye), 1)
    gaps = ops.sub(ops.add(eye, _as_matrices(w_full, -1)), _as_matrices(w_full, -2))
    f_mat = ops.sub(ops.div(one, gaps), eye)
    vdag_adot_v = matmul(matmul(adjoint(v), a_dot), v)
    dv = matmul(v, ops.mul(f_mat, vdag_adot_v))
    dw = diagonal(ops.real(vdag_adot_v) if is_complex(dtype) else vdag_adot_v)
    return [v, w], [dv, dw]


rules.jvp[EighOp.OPERATION_NAME] = _eigh_jvp


def _thin_qr_jvp(q, r, dx):
    """The JVP of q, r = qr(x) for m >= n and reduced q, r (j-towns.github.io/papers/qr-derivative.pdf)."""
    dx_rinv = triangular_solve(r, dx)  # dx r^-1
    qt_dx_rinv = matmul(adjoint(q), dx_rinv)
    lower = triangle(qt_dx_rinv, lower=True, k=-1)
    do = ops.sub(lower, adjoint(lower))  # skew-Hermitian
    if is_complex(type_of(q).dtype):  # plus the imaginary part of the diagonal
        imaginary = ops.sub(qt_dx_rinv, ops.convert(ops.real(qt_dx_rinv), new_dtype=type_of(q).dtype))
        do = ops.add(do, ops.mul(eye_like(do), imaginary))
    dq = ops.add(matmul(q, ops.sub(do, qt_dx_rinv)), dx_rinv)
    dr = matmul(ops.sub(qt_dx_rinv, do), r)
    return dq, dr


def _solve_adjoint(a, b):
    """a^-H b for square a, by LU with partial pivoting: with p a = l u,
    a^H = u^H l^H p, so x = p^T l^-H u^-H b (JAX's lu_solve with trans=2)."""
    lu, _, permutation = build(LuOp, [a])
    y = triangular_solve(lu, b, left_side=True, transpose_a=True, conjugate_a=is_complex(type_of(a).dtype))
    y = triangular_solve(lu, y, left_side=True, lower=True, transpose_a=True,
                          conjugate_a=is_complex(type_of(a).dtype), unit_diagonal=True)
    # p^T[i, j] = p[j, i] = (permutation[j] == i)
    shaped = type_of(a)
    rows = ops.iota(dtype=np.dtype(np.int32), shape=shaped.shape, dimension=shaped.ndim - 2)
    taken = ops.broadcast_in_dim(permutation, shape=shaped.shape,
                                 broadcast_dimensions=tuple(range(shaped.ndim - 2)) + (shaped.ndim - 1,))
    p_t = ops.convert(ops.compare(rows, taken, direction="EQ"), new_dtype=shaped.dtype)
    return matmul(p_t, y)


def _qr_jvp(node, primals, tangents):
    """JAX's qr_jvp_rule: the thin rule on the leading square block of a wide x (the
    rest of r follows from r2 = q^H x2); for full q of a tall x, the extra columns'
    tangent as arxiv.org/abs/2409.13374 derives it for Householder QR."""
    (x,), (dx,) = primals, tangents
    q, r = build(QrOp, [x], **node.params)
    if dx is None:
        return [q, r], [None, None]
    *_, m, n = type_of(x).shape
    if m < n:
        dq, dr1 = _thin_qr_jvp(q, block(r, cols=(0, m)), block(dx, cols=(0, m)))
        dr2 = ops.add(matmul(adjoint(dq), block(x, cols=(m, n))),
                      matmul(adjoint(q), block(dx, cols=(m, n))))
        return [q, r], [dq, join(dr1, dr2, -1)]
    full_matrices = node.params["full_matrices"]
    q_mn, r_nn = (block(q, cols=(0, n)), block(r, rows=(0, n))) if full_matrices else (q, r)
    dq_mn, dr_nn = _thin_qr_jvp(q_mn, r_nn, dx)
    if not full_matrices or m == n:
        return [q, r], [dq_mn, dr_nn]
    q_nn, q_pn, q_mp = block(q_mn, rows=(0, n)), block(q_mn, rows=(n, m)), block(q, cols=(n, m))
    dq_nn, dq_pn = block(dq_mn, rows=(0, n)), block(dq_mn, rows=(n, m))
    # Eq. 33: z_pn = q_pn (q_nn - I)^-1; eq. 32: the tangent of the extra columns q_mp.
    z_pn_h = _solve_adjoint(ops.sub(q_nn, eye_like(q_nn)), adjoint(q_pn))
    z_pn = adjoint(z_pn_h)
    dq_mp = ops.sub(matmul(dq_mn, z_pn_h),
                    matmul(ops.add(q_mn, matmul(q_mp, z_pn)),
                    adjoint(ops.sub(dq_pn, matmul(z_pn, dq_nn)))))
    zeros_below = full(ShapedType(type_of(dr_nn).shape[:-2] + (m - n, n), type_of(dr_nn).dtype), 0)
    return [q, r], [join(dq_mn, dq_mp, -1), join(dr_nn, zeros_below, -2)]


rules.jvp[QrOp.OPERATION_NAME] = _qr_jvp


def _columns(s, rows):
    """s [..., k] broadcast to matrices [..., rows, k] whose every row is s."""
    shaped = type_of(s)
    return ops.broadcast_in_dim(s, shape=shaped.shape[:-1] + (rows,) + shaped.shape[-1:],
                                broadcast_dimensions=tuple(range(shaped.ndim - 1)) + (shaped.ndim,))


def _svd_jvp(node, primals, tangents):
    """JAX's _svd_jvp_rule, from the reduced factorization: with dS = u^H da v,
    ds = Re diag(dS); du and dv from F[i, j] = 1 / (s_j^2 - s_i^2) off the diagonal,
    plus, for non-square x, the parts of da outside u's (v's) span."""
    (a,), (da,) = primals, tangents
    *_, m, n = type_of(a).shape
    if node.params["compute_uv"] and node.params["full_matrices"] and m != n:
        raise NotImplementedError("Singular value decomposition JVP not implemented for full matrices")
    s, u, vt = build(SvdOp, [a], full_matrices=False, compute_uv=True)
    primal = [s, u, vt] if node.params["compute_uv"] else [s, *(full(t, 0) for t in node.out_types[1:])]
    if da is None:
        return primal, [None] * 3
    dtype = type_of(a).dtype
    as_dtype = (lambda t: ops.convert(t, new_dtype=dtype)) if is_complex(dtype) else (lambda t: t)
    v = adjoint(vt)
    ds_mat = matmul(matmul(adjoint(u), da), v)
    ds = diagonal(ops.real(ds_mat) if is_complex(dtype) else ds_mat)
    if not node.params["compute_uv"]:
        return primal, [ds, None, None]
    s_j, s_i = _as_matrices(s, -1), _as_matrices(s, -2)
    eye = eye_like(s_j)
    f_mat = as_dtype(ops.sub(ops.div(full(type_of(eye), 1), ops.add(ops.mul(ops.add(s_j, s_i), ops.sub(s_j, s_i)),
                                                                     eye)), eye))
    dss, sds = ops.mul(as_dtype(s_j), ds_mat), ops.mul(as_dtype(s_i), ds_mat)
    s_zeros = ops.convert(ops.compare(s, full(type_of(s), 0), direction="EQ"), new_dtype=type_of(s).dtype)
    s_inv = ops.sub(ops.div(full(type_of(s), 1), ops.add(s, s_zeros)), s_zeros)
    du_dv_diagonal = ops.mul(ops.mul(full(type_of(ds_mat), 0.5), ops.sub(ds_mat, adjoint(ds_mat))),
                             as_dtype(ops.mul(eye, _as_matrices(s_inv, -1))))
    du = matmul(u, ops.add(ops.mul(f_mat, ops.add(dss, adjoint(dss))), du_dv_diagonal))
    dv = matmul(v, ops.mul(f_mat, ops.add(sds, adjoint(sds))))
    if m > n:
        dav = matmul(da, v)
        du = ops.add(du, ops.div(ops.sub(dav, matmul(u, matmul(adjoint(u), dav))), as_dtype(_columns(s, m))))
    if n > m:
        dahu = matmul(adjoint(da), u)
        dv = ops.add(dv, ops.div(ops.sub(dahu, matmul(v, matmul(vt, dahu))), as_dtype(_columns(s, n))))
    return primal, [ds, du, adjoint(dv)]


rules.jvp[SvdOp.OPERATION_NAME] = _svd_jvp
