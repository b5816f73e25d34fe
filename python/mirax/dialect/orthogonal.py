"""Orthogonal factorizations: qr, eigh.

Both factor each matrix of a batch [..., m, n] in scalar scf loops over tensors
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

The JVP rules are JAX's (qr_jvp_rule, _eigh_jvp_rule). vmap's batch dimension
becomes one more leading batch dimension.
"""
import numpy as np

from mirax.mlir import arith, complex_d, linalg, math, tensor

from . import ops, rules
from .base import MiraxOp, bool_
from .composites import adjoint, block, diagonal, eye_like, join, matmul, triangle, triangular_solve
from .batching import batch_leading
from .linear_algebra import LuOp, Scalars, check_matrices, check_square
from .lowering import constant, empty, for_each_row, for_loop, index, indexed
from .ops import build
from .scalar import while_loop as _while_loop
from .types import ShapedType, is_complex
from .values import full, type_of


def real_dtype(dtype):
    """float32 for float32 and complex64, float64 for float64 and complex128."""
    return np.finfo(dtype).dtype


class QrOp(MiraxOp, name="qr", operands=("operand",), params={"full_matrices": bool_}, results=2):
    """(q, r) with operand = q r, q [..., m, k] with orthonormal columns, r [..., k, n]
    upper triangular; k is m when `full_matrices`, else min(m, n)."""

    @staticmethod
    def infer(x, full_matrices):
        check_matrices(x)
        *batch, m, n = x.shape
        k = m if full_matrices else min(m, n)
        return ShapedType((*batch, m, k), x.dtype), ShapedType((*batch, k, n), x.dtype)


class EighOp(MiraxOp, name="eigh", operands=("operand",), params={"lower": bool_}, results=2):
    """(v, w) of the Hermitian matrices whose lower (`lower`) or upper triangle the
    operand holds (the other triangle is not read): v [..., n, n] the eigenvectors
    (columns), w [..., n] the eigenvalues (real), ascending."""

    @staticmethod
    def infer(x, lower):
        check_matrices(x)
        check_square(x)
        return x, ShapedType(x.shape[:-1], real_dtype(x.dtype))


# ----------------------------------------------------------------------------- lowering: scalar loops


class _Field(Scalars):
    """linalg's scalar arithmetic on one dtype, real or complex, plus what these loops
    need besides."""

    def __init__(self, dtype):
        super().__init__(dtype)
        self.real_dtype = real_dtype(dtype)

    def imag(self, a):
        return complex_d.im(a) if is_complex(self.dtype) else self.real_zero

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


def _reflect(f, at, target, vector, j, tau, columns, m):
    """Householder reflector H = I - tau v v^H applied from the left to rows [j, m) of
    the `columns` (lower, upper) of `target`, where v = (1, vector(target, i) for i in
    (j, m)). `vector` reads through the carried target when v lives in it."""
    j1 = arith.addi(j, index(1))

    def per_column(c, target):
        # w = v^H target[j:m, c]; target[j:m, c] -= tau v w
        w = _sum(j1, index(m), tensor.extract(target, at(j, c)),
                 lambda i, w: f.add(w, f.mul(f.conj(vector(target, i)), tensor.extract(target, at(i, c)))))
        tau_w = f.mul(tau, w)
        target = tensor.insert(f.sub(tensor.extract(target, at(j, c)), tau_w), target, at(j, c))
        return for_loop(j1, index(m), [target], lambda i, t: [tensor.insert(
            f.sub(tensor.extract(t, at(i, c)), f.mul(vector(t, i), tau_w)), t, at(i, c))])

    return for_loop(*columns, [target], per_column)[0]


def _householder(f, at, m, n, a, taus):
    """LAPACK's geqr2 on one matrix: for each column j < min(m, n), the reflector
    (zlarfg) taking a[j:m, j] to (beta, 0, ...), beta real, stored as LAPACK does: beta
    on the diagonal, v[j+1:m] below it (v[j] = 1), tau in taus[j]; H^H applied to the
    columns on the right."""
    zero = f.real_zero

    def column(j, a, taus):
        j1 = arith.addi(j, index(1))
        alpha = tensor.extract(a, at(j, j))
        below = _sum(j1, index(m), zero, lambda i, s: arith.addf(s, f.abs2(tensor.extract(a, at(i, j)))))
        norm = math.sqrt(arith.addf(f.abs2(alpha), below))
        # A column already in shape (nothing below, alpha real) gets H = I, as in LAPACK.
        done = arith.andi(arith.cmpf(arith.CmpFPredicate.OEQ, below, zero),
                          arith.cmpf(arith.CmpFPredicate.OEQ, f.imag(alpha), zero))
        beta = arith.select(done, f.real(alpha), arith.negf(math.copysign(norm, f.real(alpha))))
        tau = arith.select(done, f.zero, f.div(f.sub(f.from_real(beta), alpha), f.from_real(beta)))
        scale = arith.select(done, f.zero, f.div(f.one, f.sub(alpha, f.from_real(beta))))
        a = for_loop(j1, index(m), [a], lambda i, a: [
            tensor.insert(f.mul(tensor.extract(a, at(i, j)), scale), a, at(i, j))])[0]
        a = tensor.insert(f.from_real(beta), a, at(j, j))
        a = _reflect(f, at, a, lambda t, i: tensor.extract(t, at(i, j)), j, f.conj(tau), (j1, index(n)), m)
        return [a, tensor.insert(tau, taus, at(j))]

    return for_loop(index(0), index(min(m, n)), [a, taus], column)


def _lower_qr(node, x):
    (x_type,), (q_type, r_type) = node.in_types, node.out_types
    *batch, m, n = x_type.shape
    k, q_columns = min(m, n), q_type.shape[-1]
    f = _Field(x_type.dtype)

    def per_matrix(at, a, taus, q):
        a, taus = _householder(f, at, m, n, a, taus)

        def accumulate(step, q):
            """Q = H_0 H_1 ... H_{k-1} I, from the last reflector: H_j meets only rows and
            columns from j on, the rest of Q being the identity's still."""
            j = arith.subi(index(k - 1), step)
            reflector = lambda _, i: tensor.extract(a, at(i, j))  # noqa: E731
            return [_reflect(f, at, q, reflector, j, tensor.extract(taus, at(j)), (j, index(q_columns)), m)]

        return [a, taus, for_loop(index(0), index(k), [q], accumulate)[0]]

    work = linalg.copy(x, outs=[empty(x_type)])  # the loops write in place: not into the operand
    a, _, q = _for_each_matrix(x_type.shape, [work, empty(ShapedType((*batch, k), x_type.dtype)),
                                              _identity(f, q_type)], per_matrix)
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


def _rotate(f, at, n, p, q, a, v):
    """One Jacobi rotation: a <- U^H a U and v <- v U for the unitary U acting on
    coordinates p < q that zeroes a[p, q]. With a[p, q] = |b| e (|e| = 1), U is the
    phase diag(1, ops.conj(e)) followed by the real rotation [[c, s], [-s, c]] of the
    symmetric [[a_pp, |b|], [|b|, a_qq]] (Rutishauser's formulas)."""
    real = f.real_dtype
    one, two, zero = constant(real, 1), constant(real, 2), f.real_zero
    a_pp, a_qq = f.real(tensor.extract(a, at(p, p))), f.real(tensor.extract(a, at(q, q)))
    b = tensor.extract(a, at(p, q))
    size = math.sqrt(f.abs2(b))
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
    u_pp, u_pq, u_qp, u_qq = f.from_real(c), f.from_real(s), f.mul(f.from_real(arith.negf(s)), e_bar), \
        f.mul(f.from_real(c), e_bar)

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
    t_size = arith.mulf(t, size)
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


def _sorted_eigenpairs(f, at, n, a, v, w):
    """w = a's diagonal sorted ascending (selection sort), v's columns permuted with it."""
    w = for_loop(index(0), index(n), [w], lambda i, w: [
        tensor.insert(f.real(tensor.extract(a, at(i, i))), w, at(i))])[0]

    def place(i, v, w):
        def least(j, best, best_j):
            w_j = tensor.extract(w, at(j))
            less = arith.cmpf(arith.CmpFPredicate.OLT, w_j, best)
            return [arith.select(less, w_j, best), arith.select(less, j, best_j)]

        best, best_j = for_loop(arith.addi(i, index(1)), index(n), [tensor.extract(w, at(i)), i], least)
        w_i = tensor.extract(w, at(i))
        w = tensor.insert(w_i, tensor.insert(best, w, at(i)), at(best_j))

        def swap(k, v):
            v_ki, v_kj = tensor.extract(v, at(k, i)), tensor.extract(v, at(k, best_j))
            return [tensor.insert(v_ki, tensor.insert(v_kj, v, at(k, i)), at(k, best_j))]

        return [for_loop(index(0), index(n), [v], swap)[0], w]

    return for_loop(index(0), index(n), [v, w], place)


def _nan_unless_finite(f, at, n, a, v, w):
    """v and w plus the sum of x - x over the elements x of a: zero, or NaN everywhere
    when a has a NaN or an infinity (JAX's result where LAPACK fails)."""
    def per_element(k, poison):
        i, j = arith.divui(k, index(n)), arith.remui(k, index(n))
        x = tensor.extract(a, at(i, j))
        difference = f.sub(x, x)
        return arith.addf(arith.addf(poison, f.real(difference)), f.imag(difference))

    poison = _sum(index(0), index(n * n), f.real_zero, per_element)

    def per_element_of_v(k, v):
        i, j = arith.divui(k, index(n)), arith.remui(k, index(n))
        return [tensor.insert(f.add(tensor.extract(v, at(i, j)), f.from_real(poison)), v, at(i, j))]

    v = for_loop(index(0), index(n * n), [v], per_element_of_v)[0]
    w = for_loop(index(0), index(n), [w], lambda i, w: [
        tensor.insert(arith.addf(tensor.extract(w, at(i)), poison), w, at(i))])[0]
    return v, w


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


# ----------------------------------------------------------------------------- batching: one more batch dimension

rules.batching[QrOp.OPERATION_NAME] = batch_leading(QrOp)
rules.batching[EighOp.OPERATION_NAME] = batch_leading(EighOp)


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
