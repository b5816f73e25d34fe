"""General (non-Hermitian) eigenproblems: hessenberg, householder_product, schur, eig.

Each matrix of a batch [..., n, n] is factored in scalar scf loops over tensors, as
orthogonal.py's factorizations (tensor.extract / tensor.insert, in place), with
LAPACK's algorithms but without calling it:

- hessenberg is gehd2: for each column j, the reflector (zlarfg) that zeroes the
  column below its subdiagonal, applied from both sides; the result packs the
  Hessenberg matrix with the reflectors below it, and their taus, as LAPACK's (and
  jax.lax.linalg.hessenberg's) do. householder_product is orgqr, the product of such
  reflectors.
- schur is LAPACK's lahqr on the Hessenberg matrix, deflating where a subdiagonal
  element falls below rounding relative to its neighbours, the sweeps' rotations or
  reflectors accumulated into the Schur vectors z (from the Hessenberg reduction's
  Q): a = z t z^H. For complex matrices (zlahqr), implicitly shifted QR sweeps of
  2x2 reflectors with single shifts (Wilkinson's; an exceptional one every tenth
  sweep without deflation), t upper triangular (its off-diagonal phases, set by
  rounding-sized subdiagonals as they converge, need not be LAPACK's). For real ones
  (dlahqr), Francis's double-shift sweeps of 3x3 reflectors, t quasi-triangular: 2x2
  blocks for complex conjugate pairs, standardized as dlanv2 does ([[a, b], [c, a]],
  b c < 0).
- eig balances the matrix first (gebal: rows and columns isolating eigenvalues
  permuted aside, the rest scaled by powers of 2 to even out row and column norms;
  undone on the eigenvectors, as gebak), then takes the eigenvalues from the Schur
  form (a +- i sqrt(|b c|) for a real 2x2 block: exact conjugate pairs, exactly real
  eigenvalues elsewhere) and the eigenvectors by back substitution on the complex
  Schur form (a real one made complex by rotating each 2x2 block to triangular, as
  scipy's rsf2csf): the right ones from t, the left ones from t^H (upper triangular
  after reversing the order of rows and columns), times z (ztrevc); each normalized
  as zgeev does (unit 2-norm, its first component of largest magnitude real and
  positive), or for a real matrix with dgeev's signs.

A matrix with NaNs or infinities, or whose QR sweeps do not converge, gives NaNs
(JAX's result where LAPACK reports failure). The JVP rule of eig is JAX's
(eig_jvp_rule); vmap's batch dimension becomes one more leading batch dimension.
"""
import numpy as np

from mirax.mlir import arith, complex_d, ir, math, tensor

from . import ops, rules
from .base import MiraxOp, bool_
from .batching import batch_leading
from .composites import adjoint, diagonal, eye_like, matmul, rows_permuted, triangular_solve
from .linear_algebra import LuOp, _copy, _for_each_matrix as _batch_loop, _matrix_at, _put_matrix, check_matrices, \
    check_square
from .lowering import constant, empty, for_loop, index, indexed, scalar_type
from .ops import build
from .orthogonal import (_Field, _for_each_matrix, _identity, _poison, _poisoned, _reflect, _sum, _transposed,
                         householder_product, reflector)
from .scalar import _and, _not, complex_sqrt, while_loop
from .types import ShapedType, is_complex
from .values import full, type_of

COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128),
           np.dtype(np.complex64): np.dtype(np.complex64), np.dtype(np.complex128): np.dtype(np.complex128)}


class HessenbergOp(MiraxOp, name="hessenberg", superlinear=True, operands=("a",), results=2):
    """(a', taus): a' holds the upper Hessenberg matrix h with a = q h q^H on and above
    its subdiagonal, the reflectors whose product is q below it; taus [..., n - 1]."""

    @staticmethod
    def infer(a):
        check_matrices(a)
        check_square(a)
        *batch, n = a.shape[:-1]
        return a, ShapedType((*batch, max(n - 1, 0)), a.dtype)


class HouseholderProductOp(MiraxOp, name="householder_product", superlinear=True, operands=("a", "taus")):
    """The first n columns of H_0 ... H_{k-1} for a [..., m, n] holding the reflectors'
    vectors below its diagonal (v_j[j] = 1 implied) and taus [..., k], k <= n <= m."""

    @staticmethod
    def infer(a, taus):
        check_matrices(a)
        *batch, m, n = a.shape
        if taus.dtype != a.dtype or tuple(taus.shape[:-1]) != tuple(batch) or not taus.shape[-1] <= n <= m:
            raise TypeError(f"requires a [..., m, n] with m >= n and taus [..., k] of its dtype, k <= n; got "
                            f"{list(a.shape)} {a.dtype.name} and {list(taus.shape)} {taus.dtype.name}")
        return a


class SchurOp(MiraxOp, name="schur", superlinear=True, operands=("a",), params={"compute_schur_vectors": bool_},
              results=2):
    """(t, z) with a = z t z^H, z unitary, t upper triangular for complex a and
    quasi-triangular for real a (the real Schur form: 2x2 blocks [[a, b], [c, a]],
    b c < 0, for complex conjugate eigenvalues); z is empty ([..., n, 0]) without
    compute_schur_vectors."""

    @staticmethod
    def infer(a, compute_schur_vectors):
        check_matrices(a)
        check_square(a)
        return a, a if compute_schur_vectors else ShapedType((*a.shape[:-1], 0), a.dtype)


class EigOp(MiraxOp, name="eig", superlinear=True, operands=("a",), params={
        "compute_left_eigenvectors": bool_, "compute_right_eigenvectors": bool_, "enable_eigvec_derivs": bool_},
        results=3):
    """(w, vl, vr): the eigenvalues w [..., n] and the left and right eigenvectors (the
    columns of vl, vr [..., n, n]; [..., n, 0] where not computed), complex. The
    eigenvectors' JVP refuses unless `enable_eigvec_derivs` (as JAX's)."""

    @staticmethod
    def infer(a, compute_left_eigenvectors, compute_right_eigenvectors, enable_eigvec_derivs):
        check_matrices(a)
        check_square(a)
        dtype = COMPLEX[a.dtype]
        vectors = [ShapedType(a.shape if wanted else (*a.shape[:-1], 0), dtype)
                   for wanted in (compute_left_eigenvectors, compute_right_eigenvectors)]
        return ShapedType(a.shape[:-1], dtype), *vectors


# ----------------------------------------------------------------------------- lowering: scalar loops


def _hessenberg(f, at, n, a, taus):
    """gehd2 on one matrix: for each column j < n - 1, the reflector H of a[j + 1:n, j]
    (stored below the subdiagonal, tau in taus[j]), then a := H^H a H."""

    def column(j, a, taus):
        j1 = arith.addi(j, index(1))
        a, tau = reflector(f, at, a, j1, j, n)
        vector = lambda t, i: tensor.extract(t, at(i, j))  # noqa: E731
        # a H: the rows of a, read as the columns of a^T, reflected by conj(v).
        a = _reflect(f, _transposed(at), a, lambda t, i: f.conj(vector(t, i)), j1, tau, (index(0), index(n)), n)
        a = _reflect(f, at, a, vector, j1, f.conj(tau), (j1, index(n)), n)
        return [a, tensor.insert(tau, taus, at(j))]

    return for_loop(index(0), index(max(n - 1, 0)), [a, taus], column)


def _hessenberg_q(f, at, n, a, taus, q):
    """q (the identity on entry) times the reflectors of _hessenberg's a and taus: they
    act on rows and columns from 1 on."""
    shifted = lambda i, *j: at(arith.addi(i, index(1)), arith.addi(j[0], index(1))) if j else at(i)  # noqa: E731
    return householder_product(f, shifted, n - 1, n - 1, n - 1,
                               lambda j, i: tensor.extract(a, at(arith.addi(i, index(1)), j)),
                               lambda j: tensor.extract(taus, at(j)), q)


def _clear_below_subdiagonal(f, at, n, a):
    def row(i, a):
        return for_loop(index(0), arith.subi(i, index(1)), [a], lambda j, a: [tensor.insert(f.zero, a, at(i, j))])

    return for_loop(index(2), index(max(n, 2)), [a], row)[0]


def _rotate_rows(f, at, t, k, g, columns):
    """Rows k, k + 1 of t, over `columns`, times the 2x2 g = (g11, g12, g21, g22) from
    the left."""
    g11, g12, g21, g22 = g
    k1 = arith.addi(k, index(1))

    def column(j, t):
        x, y = tensor.extract(t, at(k, j)), tensor.extract(t, at(k1, j))
        t = tensor.insert(f.add(f.mul(g11, x), f.mul(g12, y)), t, at(k, j))
        return [tensor.insert(f.add(f.mul(g21, x), f.mul(g22, y)), t, at(k1, j))]

    return for_loop(*columns, [t], column)[0]


def _rotate_columns(f, at, t, k, g, rows):
    """Columns k, k + 1 of t, over `rows`, times g^H from the right."""
    g11, g12, g21, g22 = (f.conj(x) for x in g)
    k1 = arith.addi(k, index(1))

    def row(i, t):
        x, y = tensor.extract(t, at(i, k)), tensor.extract(t, at(i, k1))
        t = tensor.insert(f.add(f.mul(x, g11), f.mul(y, g12)), t, at(i, k))
        return [tensor.insert(f.add(f.mul(x, g21), f.mul(y, g22)), t, at(i, k1))]

    return for_loop(*rows, [t], row)[0]


def _qr_iteration(n, h, z, step):
    """LAPACK's QR iteration (zlahqr, dlahqr): `step(i, its, count, h, z)` works on the
    active block ending at row i, from n - 1 until i reaches 0 or after 30 sweeps per
    eigenvalue (LAPACK's bound). Returns h, z and whether it converged."""
    max_sweeps = index(30 * max(10, n))

    def unconverged(i, its, count, h, z):
        return arith.andi(arith.cmpi(arith.CmpIPredicate.sgt, i, index(0)),
                          arith.cmpi(arith.CmpIPredicate.ult, count, max_sweeps))

    i, _, _, h, z = while_loop([index(n - 1), index(0), index(0), h, z], unconverged, step)
    return h, z, arith.cmpi(arith.CmpIPredicate.sle, i, index(0))


def _next_block(deflate, l, i, its, count, h, z):  # noqa: E741
    """The QR iteration's next state: above the block [l, i] if it deflated (its sweep
    count reset), else the same block after one more sweep."""
    return [arith.select(deflate, arith.addi(l, index(-1)), i),
            arith.select(deflate, index(0), arith.addi(its, index(1))), arith.addi(count, index(1)), h, z]


def _schur(f, at, n, h, z, want_t, want_z):
    """zlahqr on the upper Hessenberg h (zero below its real subdiagonal, as gehrd
    leaves it): single-shift QR sweeps of 2x2 reflectors on the active block [l, i]
    (Wilkinson's shift; an exceptional one every tenth sweep without deflation), each
    starting where two consecutive subdiagonal elements are small, the subdiagonal
    kept real by diagonal unitary scalings, until i reaches 0; the whole rows and
    columns of h (want_t: its upper triangle becomes t) and of z (want_z) or just the
    block's (the eigenvalues alone). Returns h, z and whether the sweeps converged
    (within LAPACK's 30 per eigenvalue)."""
    real = f.real_dtype
    ulp, tiny = np.finfo(real).eps, np.finfo(real).tiny
    small_number = tiny * (max(n, 1) / ulp)
    one = index(1)
    last = index(max(n - 1, 0))
    cabs1 = lambda x: _R(f.magnitude(x))  # noqa: E731  |re| + |im|
    re = lambda x: _R(f.real(x))  # noqa: E731

    def clamped(i):
        return arith.minsi(arith.maxsi(i, index(0)), last)

    def get(t, i, j):
        return tensor.extract(t, at(clamped(i), clamped(j)))

    def put(t, value, i, j):
        return tensor.insert(value, t, at(clamped(i), clamped(j)))

    def shift(i, k):
        return arith.addi(i, index(k))

    def scale_row(t, i, columns, factor):
        return for_loop(*columns, [t], lambda j, t: [put(t, f.mul(get(t, i, j), factor), i, j)])[0]

    def scale_column(t, j, rows, factor):
        return for_loop(*rows, [t], lambda i, t: [put(t, f.mul(get(t, i, j), factor), i, j)])[0]

    def negligible(h, k):
        """LAPACK's test of h[k, k - 1] against its neighbours (Ahues and Kressner's)."""
        k0 = shift(k, -1)
        sub = cabs1(get(h, k, k0))
        tst = cabs1(get(h, k0, k0)) + cabs1(get(h, k, k))
        neighbours = (_where(arith.cmpi(arith.CmpIPredicate.sge, k, index(2)), abs(re(get(h, k0, shift(k, -2)))),
                             tst * 0)
                      + _where(arith.cmpi(arith.CmpIPredicate.slt, k, last), abs(re(get(h, shift(k, 1), k))), tst * 0))
        tst = _where(tst.eq(0), neighbours, tst)
        above = cabs1(get(h, k0, k))
        ab, ba = _max(sub, above), _min(sub, above)
        diagonal, gap = cabs1(get(h, k, k)), cabs1(f.sub(get(h, k0, k0), get(h, k, k)))
        aa, bb = _max(diagonal, gap), _min(diagonal, gap)
        s = aa + ab
        s = _where(s.eq(0), s + 1, s)
        refined = ba * (ab / s) <= _max(bb * (aa / s) * ulp, small_number)
        return arith.ori(sub <= small_number, arith.andi(abs(re(get(h, k, k0))) <= tst * ulp, refined))

    def step(i, its, count, h, z):
        l = for_loop(one, arith.addi(i, one), [index(0)],  # noqa: E741
                     lambda k, l: [arith.select(negligible(h, k), k, l)])[0]
        split = arith.maxsi(l, one)  # h[l, l - 1] set to zero where l > 0
        h = put(h, arith.select(arith.cmpi(arith.CmpIPredicate.sgt, l, index(0)), f.zero,
                                get(h, split, shift(split, -1))), split, shift(split, -1))
        deflate = arith.cmpi(arith.CmpIPredicate.sge, l, i)
        sweep = _not(deflate)
        i1, i2 = (index(0), last) if want_t else (l, i)

        # The shift: Wilkinson's, or an exceptional one (LAPACK's KDEFL is its + 1).
        tenth = arith.cmpi(arith.CmpIPredicate.eq, arith.remui(arith.addi(its, one), index(10)), index(0))
        twentieth = arith.cmpi(arith.CmpIPredicate.eq, arith.remui(arith.addi(its, one), index(20)), index(0))
        i0 = shift(i, -1)
        exceptional = arith.select(
            twentieth, f.add(f.from_real((0.75 * abs(re(get(h, i, i0)))).v), get(h, i, i)),
            f.add(f.from_real((0.75 * abs(re(get(h, shift(l, 1), l)))).v), get(h, l, l)))
        t = get(h, i, i)
        u = f.mul(complex_sqrt(f.dtype, get(h, i0, i)), complex_sqrt(f.dtype, get(h, i, i0)))
        size = cabs1(u)
        x = f.mul(f.from_real(constant(real, 0.5)), f.sub(get(h, i0, i0), t))
        sx = cabs1(x)
        size = _max(size, sx)
        safe = _where(size.eq(0), size + 1, size)
        x_s, u_s = f.div(x, f.from_real(safe.v)), f.div(u, f.from_real(safe.v))
        y = f.mul(f.from_real(safe.v), complex_sqrt(f.dtype, f.add(f.mul(x_s, x_s), f.mul(u_s, u_s))))
        x_sx = f.div(x, f.from_real(_where(sx.eq(0), sx + 1, sx).v))
        opposite = _and(sx > 0, (re(x_sx) * re(y) + _R(f.imag(x_sx)) * _R(f.imag(y))) < 0)
        y = arith.select(opposite, f.neg(y), y)
        x_y = f.add(x, y)
        x_y = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, f.abs(x_y), f.real_zero), f.one, x_y)
        wilkinson = arith.select(size.eq(0), t, f.sub(t, f.mul(u, f.div(u, x_y))))
        mu = arith.select(tenth, exceptional, wilkinson)

        def start(m):
            """The sweep's first reflector's vector at m, scaled, and h[m, m], h[m + 1, m + 1]."""
            h11, h22 = get(h, m, m), get(h, shift(m, 1), shift(m, 1))
            h11s, h21 = f.sub(h11, mu), re(get(h, shift(m, 1), m))
            s = cabs1(h11s) + abs(h21)
            s = _where(s.eq(0), s + 1, s)
            return f.div(h11s, f.from_real(s.v)), h21 / s, h11, h22

        def starts_here(m, best):
            h11s, h21, h11, h22 = start(m)
            h10 = re(get(h, m, shift(m, -1)))
            small = abs(h10) * abs(h21) <= cabs1(h11s) * (cabs1(h11) + cabs1(h22)) * ulp
            return [arith.select(small, m, best)]

        m = for_loop(shift(l, 1), arith.select(sweep, i, shift(l, 1)), [l], starts_here)[0]
        v_start = start(m)

        def chase(k, h, z):
            """The reflector of rows k, k + 1 that starts the sweep (k = m) or moves the
            bulge in column k - 1 down."""
            first = arith.cmpi(arith.CmpIPredicate.eq, k, m)
            k1, column = shift(k, 1), shift(k, -1)
            old = get(h, k, column), get(h, k1, column)
            alpha = arith.select(first, v_start[0], old[0])
            x = arith.select(first, f.from_real(v_start[1].v), old[1])
            # zlarfg: (I - t1 u u^H)^H (alpha, x) = (beta, 0), u = (1, v2), beta real
            x_norm = f.abs(x)
            plain = _and(arith.cmpf(arith.CmpFPredicate.OEQ, x_norm, f.real_zero),
                         arith.cmpf(arith.CmpFPredicate.OEQ, f.imag(alpha), f.real_zero))
            norm = complex_d.abs(complex_d.create_(alpha.type, f.abs(alpha), x_norm))
            beta = _where(plain, re(alpha), -_sign(_R(norm), re(alpha)))
            safe_beta = f.from_real(_where(plain, beta * 0 + 1, beta).v)
            t1 = arith.select(plain, f.zero, f.div(f.sub(f.from_real(beta.v), alpha), safe_beta))
            difference = arith.select(plain, f.one, f.sub(alpha, f.from_real(beta.v)))
            v2 = arith.select(plain, x, f.div(x, difference))
            later = _not(first)
            h = put(h, arith.select(later, f.zero, old[1]), k1, column)  # k - 1 may clamp onto k: this first
            h = put(h, arith.select(later, f.from_real(beta.v), old[0]), k, column)
            t2 = f.from_real(f.real(f.mul(t1, v2)))
            t1_bar, v2_bar = f.conj(t1), f.conj(v2)

            def rows(j, h):
                a, b = get(h, k, j), get(h, k1, j)
                total = f.add(f.mul(t1_bar, a), f.mul(t2, b))
                h = put(h, f.sub(a, total), k, j)
                return [put(h, f.sub(b, f.mul(total, v2)), k1, j)]

            def columns(j, t):
                a, b = get(t, j, k), get(t, j, k1)
                total = f.add(f.mul(t1, a), f.mul(t2, b))
                t = put(t, f.sub(a, total), j, k)
                return [put(t, f.sub(b, f.mul(total, v2_bar)), j, k1)]

            h = for_loop(k, shift(i2, 1), [h], rows)[0]
            h = for_loop(i1, arith.minsi(shift(k, 3), shift(i, 1)), [h], columns)[0]
            if want_z:
                z = for_loop(index(0), index(n), [z], columns)[0]

            # A sweep started at m > l: diagonal scalings keep h[m, m - 1] real.
            rescale = _and(first, arith.cmpi(arith.CmpIPredicate.sgt, m, l))
            temp = f.sub(f.one, t1)
            temp = f.div(temp, f.from_real(_where(_R(f.abs(temp)).eq(0), _R(f.real_zero) + 1, _R(f.abs(temp))).v))
            temp = arith.select(rescale, temp, f.one)
            temp_bar = f.conj(temp)
            m1, m2 = shift(m, 1), shift(m, 2)
            h = put(h, f.mul(get(h, m1, m), temp_bar), m1, m)
            inside = arith.cmpi(arith.CmpIPredicate.sle, m2, i)
            h = put(h, arith.select(inside, f.mul(get(h, m2, m1), temp), get(h, m2, m1)), m2, m1)

            def scaled(j, h, z):
                skip = arith.cmpi(arith.CmpIPredicate.eq, j, m1)
                h = scale_row(h, j, (shift(j, 1), arith.select(skip, shift(j, 1), shift(i2, 1))), temp)
                h = scale_column(h, j, (i1, arith.select(skip, i1, j)), temp_bar)
                if want_z:
                    z = scale_column(z, j, (index(0), arith.select(skip, index(0), index(n))), temp_bar)
                return [h, z]

            h, z = for_loop(m, arith.select(rescale, shift(i, 1), m), [h, z], scaled)
            return [h, z]

        h, z = for_loop(m, arith.select(sweep, i, m), [h, z], chase)

        # After a sweep, h[i, i - 1] made real by scaling row and column i.
        temp = get(h, i, i0)
        complex_ = _and(sweep, arith.cmpf(arith.CmpFPredicate.UNE, f.imag(temp), f.real_zero))
        size = f.abs(temp)
        temp = arith.select(complex_, f.div(temp, f.from_real(_where(_R(size).eq(0), _R(size) + 1, _R(size)).v)),
                            f.one)
        h = put(h, arith.select(complex_, f.from_real(size), get(h, i, i0)), i, i0)
        h = scale_row(h, i, (shift(i, 1), arith.select(complex_, shift(i2, 1), shift(i, 1))), f.conj(temp))
        h = scale_column(h, i, (i1, arith.select(complex_, i, i1)), temp)
        if want_z:
            z = scale_column(z, i, (index(0), arith.select(complex_, index(n), index(0))), temp)
        return _next_block(deflate, l, i, its, count, h, z)

    return _qr_iteration(n, h, z, step)


class _R:
    """A real scalar (an MLIR float value) with Python's operators, for the real Schur
    form's scalar code (LAPACK's dlahqr and dlanv2 read as they are written); Python
    numbers become constants of its type; comparisons give i1 values."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def _of(self, x):
        if isinstance(x, _R):
            return x.v
        return constant(self.dtype, x)

    @property
    def dtype(self):
        return np.dtype(np.float64 if str(self.v.type) == "f64" else np.float32)

    def _binary(op, reflected=False):  # noqa: N805 (a method factory, run in the class body)
        return lambda self, x: _R(op(self._of(x), self.v) if reflected else op(self.v, self._of(x)))

    __add__, __radd__ = _binary(arith.addf), _binary(arith.addf, reflected=True)
    __sub__, __rsub__ = _binary(arith.subf), _binary(arith.subf, reflected=True)
    __mul__, __rmul__ = _binary(arith.mulf), _binary(arith.mulf, reflected=True)
    __truediv__, __rtruediv__ = _binary(arith.divf), _binary(arith.divf, reflected=True)
    del _binary

    def __neg__(self):
        return _R(arith.negf(self.v))

    def __abs__(self):
        return _R(math.absf(self.v))

    def _cmp(self, predicate, x):
        return arith.cmpf(predicate, self.v, self._of(x))

    def __lt__(self, x):
        return self._cmp(arith.CmpFPredicate.OLT, x)

    def __le__(self, x):
        return self._cmp(arith.CmpFPredicate.OLE, x)

    def __gt__(self, x):
        return self._cmp(arith.CmpFPredicate.OGT, x)

    def __ge__(self, x):
        return self._cmp(arith.CmpFPredicate.OGE, x)

    def eq(self, x):
        return self._cmp(arith.CmpFPredicate.OEQ, x)

    def ne(self, x):
        return self._cmp(arith.CmpFPredicate.UNE, x)


def _where(condition, x, y):
    return _R(arith.select(condition, x.v if isinstance(x, _R) else y._of(x), y.v if isinstance(y, _R) else x._of(y)))


def _sqrt(x):
    return _R(math.sqrt(x.v))


def _max(x, y):
    return _R(arith.maximumf(x.v, x._of(y)))


def _min(x, y):
    return _R(arith.minimumf(x.v, x._of(y)))


def _sign(x, y):
    """Fortran's SIGN(x, y): |x| with y's sign (+ for y = 0)."""
    return _where(y >= 0, abs(x), -abs(x))


def _hypot(x, y):
    big, small = _max(abs(x), abs(y)), _min(abs(x), abs(y))
    ratio = small / _where(big.eq(0), 1.0, big)
    return big * _sqrt(1 + ratio * ratio)


def _standardized(a, b, c, d):
    """dlanv2: the rotation (cs, sn) that makes the real 2x2 block [[a, b], [c, d]]
    upper triangular (real eigenvalues) or of equal diagonal with b c < 0 (complex
    ones), and the new block."""
    eps = np.finfo(a.dtype).eps
    one, zero = a * 0 + 1, a * 0
    c_zero, b_zero = c.eq(0), b.eq(0)
    standard = _and((a - d).eq(0), (_sign(one, b)).ne(_sign(one, c)))
    temp = a - d
    p = 0.5 * temp
    bcmax, bcmis = _max(abs(b), abs(c)), _min(abs(b), abs(c)) * _sign(one, b) * _sign(one, c)
    scale = _max(abs(p), bcmax)
    scale = _where(scale.eq(0), one, scale)
    z = p / scale * p + bcmax / scale * bcmis
    # real eigenvalues: triangular at once
    real_eigenvalues = z >= 4 * eps
    z_r = p + _sign(_sqrt(scale) * _sqrt(_max(z, 0)), p)
    z_r = _where(z_r.eq(0), one, z_r)
    tau_r = _hypot(c, z_r)
    real_form = (d + z_r, b - c, zero, d - bcmax / z_r * bcmis, z_r / tau_r, c / tau_r)
    # otherwise equal diagonal elements
    sigma = b + c
    tau = _hypot(sigma, temp)
    tau = _where(tau.eq(0), one, tau)
    cs = _sqrt(0.5 * (1 + abs(sigma) / tau))
    sn = -(p / (tau * cs)) * _sign(one, sigma)
    aa, bb, cc, dd = a * cs + b * sn, -a * sn + b * cs, c * cs + d * sn, -c * sn + d * cs
    a2, b2, c2, d2 = aa * cs + cc * sn, bb * cs + dd * sn, -aa * sn + cc * cs, -bb * sn + dd * cs
    mean = 0.5 * (a2 + d2)
    # ... then triangular after all where b and c have one sign (real eigenvalues)
    same_sign = _and(c2.ne(0), b2.ne(0), (_sign(one, b2)).eq(_sign(one, c2)))
    sab, sac = _sqrt(abs(b2)), _sqrt(abs(c2))
    p2 = _sign(sab * sac, c2)
    tau2 = 1 / _sqrt(_where((b2 + c2).eq(0), one, abs(b2 + c2)))
    cs1, sn1 = sab * tau2, sac * tau2
    triangular = (mean + p2, b2 - c2, zero, mean - p2, cs * cs1 - sn * sn1, cs * sn1 + sn * cs1)
    b_only_zero = _and(c2.ne(0), b2.eq(0))  # swap rows and columns
    swapped = (mean, -c2, zero, mean, -sn, cs)
    equal = (mean, b2, c2, mean, cs, sn)
    complex_form = tuple(_where(same_sign, t, _where(b_only_zero, w, e))
                         for t, w, e in zip(triangular, swapped, equal, strict=True))
    general = tuple(_where(real_eigenvalues, r, x) for r, x in zip(real_form, complex_form, strict=True))
    identity = (a, b, c, d, one, zero)
    swap = (d, -c, zero, a, zero, one)
    return tuple(_where(c_zero, i, _where(b_zero, w, _where(standard, i, g)))
                 for i, w, g in zip(identity, swap, general, strict=True))


def _real_schur(f, at, n, h, z, want_t, want_z):
    """dlahqr on the real upper Hessenberg h (zero below its subdiagonal): Francis
    double-shift QR sweeps (3x3 reflectors chasing the bulge) on the active block
    [l, i], deflating 1x1 blocks and 2x2 ones (standardized by dlanv2: complex
    eigenvalues a +- i sqrt(|b c|) on an equal diagonal), rotating the whole rows and
    columns of h (want_t) and z (want_z) or just the block's. Returns h, z and whether
    the sweeps converged (within LAPACK's 30 per eigenvalue)."""
    real = f.real_dtype
    ulp, tiny = np.finfo(real).eps, np.finfo(real).tiny
    small_number = tiny * (max(n, 1) / ulp)
    one = index(1)
    last = index(max(n - 1, 0))

    def clamped(i):
        return arith.minsi(arith.maxsi(i, index(0)), last)

    def get(t, i, j):
        """t[i, j], the indices clamped into the matrix (where the value is not used)."""
        return _R(tensor.extract(t, at(clamped(i), clamped(j))))

    def put(t, value, i, j):
        return tensor.insert(value.v, t, at(clamped(i), clamped(j)))

    def shift(i, k):
        return arith.addi(i, index(k))

    def negligible(h, k):
        """LAPACK's test of h[k, k - 1] against its neighbours (Ahues and Tisseur's)."""
        sub = abs(get(h, k, shift(k, -1)))
        tst = abs(get(h, shift(k, -1), shift(k, -1))) + abs(get(h, k, k))
        neighbours = (_where(arith.cmpi(arith.CmpIPredicate.sge, k, index(2)), abs(get(h, shift(k, -1), shift(k, -2))),
                             tst * 0)
                      + _where(arith.cmpi(arith.CmpIPredicate.slt, k, last), abs(get(h, shift(k, 1), k)), tst * 0))
        tst = _where(tst.eq(0), neighbours, tst)
        above = abs(get(h, shift(k, -1), k))
        ab, ba = _max(sub, above), _min(sub, above)
        diagonal, gap = abs(get(h, k, k)), abs(get(h, shift(k, -1), shift(k, -1)) - get(h, k, k))
        aa, bb = _max(diagonal, gap), _min(diagonal, gap)
        s = aa + ab
        s = _where(s.eq(0), s + 1, s)
        refined = ba * (ab / s) <= _max(bb * (aa / s) * ulp, small_number)
        return arith.ori(sub <= small_number, arith.andi(sub <= tst * ulp, refined))

    def step(i, its, count, h, z):
        l = for_loop(one, arith.addi(i, one), [index(0)],  # noqa: E741
                     lambda k, l: [arith.select(negligible(h, k), k, l)])[0]
        split = arith.maxsi(l, one)
        h = put(h, _where(arith.cmpi(arith.CmpIPredicate.sgt, l, index(0)), get(h, split, split) * 0,
                          get(h, split, shift(split, -1))), split, shift(split, -1))
        deflate = arith.cmpi(arith.CmpIPredicate.sge, l, shift(i, -1))
        two = arith.cmpi(arith.CmpIPredicate.eq, l, shift(i, -1))
        sweep = _not(deflate)

        # The shifts: the eigenvalues of the trailing 2x2 block (the one nearer h[i, i]
        # twice where they are real), exceptional ones every tenth sweep.
        # (its sweeps since the last deflation before this one: LAPACK's KDEFL is its + 1)
        tenth = arith.cmpi(arith.CmpIPredicate.eq, arith.remui(arith.addi(its, one), index(10)), index(0))
        twentieth = arith.cmpi(arith.CmpIPredicate.eq, arith.remui(arith.addi(its, one), index(20)), index(0))
        s_bottom = abs(get(h, i, shift(i, -1))) + abs(get(h, shift(i, -1), shift(i, -2)))
        s_top = abs(get(h, shift(l, 1), l)) + abs(get(h, shift(l, 2), shift(l, 1)))
        s_exceptional = _where(twentieth, s_bottom, s_top)
        h11_exceptional = 0.75 * s_exceptional + _where(twentieth, get(h, i, i), get(h, l, l))
        h11 = _where(tenth, h11_exceptional, get(h, shift(i, -1), shift(i, -1)))
        h21 = _where(tenth, s_exceptional, get(h, i, shift(i, -1)))
        h12 = _where(tenth, -0.4375 * s_exceptional, get(h, shift(i, -1), i))
        h22 = _where(tenth, h11_exceptional, get(h, i, i))
        s = abs(h11) + abs(h12) + abs(h21) + abs(h22)
        nothing = s.eq(0)
        s = _where(nothing, s + 1, s)
        h11, h12, h21, h22 = h11 / s, h12 / s, h21 / s, h22 / s
        tr = (h11 + h22) / 2
        det = (h11 - tr) * (h22 - tr) - h12 * h21
        rtdisc = _sqrt(abs(det))
        conjugate = det >= 0
        nearer = _where(abs(tr + rtdisc - h22) <= abs(tr - rtdisc - h22), tr + rtdisc, tr - rtdisc)
        rt1r = _where(nothing, s * 0, _where(conjugate, tr * s, nearer * s))
        rt2r = rt1r
        rt1i = _where(_and(_not(nothing), conjugate), rtdisc * s, s * 0)
        rt2i = -rt1i

        def start(m):
            """The first column of the double-shift polynomial at m, scaled."""
            m1 = shift(m, 1)
            h21s = get(h, m1, m)
            s = abs(get(h, m, m) - rt2r) + abs(rt2i) + abs(h21s)
            s = _where(s.eq(0), s + 1, s)
            h21s = h21s / s
            v1 = h21s * get(h, m, m1) + (get(h, m, m) - rt1r) * ((get(h, m, m) - rt2r) / s) - rt1i * (rt2i / s)
            v2 = h21s * (get(h, m, m) + get(h, m1, m1) - rt1r - rt2r)
            v3 = h21s * get(h, shift(m, 2), m1)
            s = abs(v1) + abs(v2) + abs(v3)
            s = _where(s.eq(0), s + 1, s)
            return v1 / s, v2 / s, v3 / s

        def starts_here(m, best):
            """m, where h[m, m - 1] is small enough for the sweep to start at m."""
            v1, v2, v3 = start(m)
            h00 = abs(get(h, m, shift(m, -1))) * (abs(v2) + abs(v3))
            h11 = abs(v1) * (abs(get(h, shift(m, -1), shift(m, -1))) + abs(get(h, m, m))
                             + abs(get(h, shift(m, 1), shift(m, 1))))
            return [arith.select(h00 <= h11 * ulp, m, best)]

        m = for_loop(shift(l, 1), arith.select(sweep, shift(i, -1), shift(l, 1)), [l], starts_here)[0]
        v_start = start(m)
        first_row, last_row = (index(0), index(n)) if want_t else (l, arith.addi(i, one))

        def chase(k, h, z):
            """The reflector of rows k..k + 2 (k..k + 1 at the end) that starts the sweep
            (k = m) or moves the bulge in column k - 1 down."""
            first = arith.cmpi(arith.CmpIPredicate.eq, k, m)
            three = arith.cmpi(arith.CmpIPredicate.slt, k, shift(i, -1))
            k1, k2, column = shift(k, 1), shift(k, 2), shift(k, -1)
            old = get(h, k, column), get(h, k1, column), get(h, k2, column)
            v1 = _where(first, v_start[0], old[0])
            v2 = _where(first, v_start[1], old[1])
            v3 = _where(three, _where(first, v_start[2], old[2]), v1 * 0)
            # dlarfg: (I - t1 u u^T) (v1, v2, v3) = (beta, 0, 0), u = (1, v2, v3) scaled
            x_norm = _hypot(v2, v3)
            plain = x_norm.eq(0)
            beta = _where(plain, v1, -_sign(_hypot(v1, x_norm), v1))
            safe_beta = _where(plain, beta * 0 + 1, beta)
            t1 = _where(plain, v1 * 0, (beta - v1) / safe_beta)
            scale = 1 / _where(plain, beta * 0 + 1, v1 - beta)
            v2, v3 = v2 * scale, v3 * scale
            later = _not(first)
            beyond_start = arith.cmpi(arith.CmpIPredicate.sgt, m, l)
            h = put(h, _where(_and(later, three), v1 * 0, old[2]), k2, column)  # before row k + 1: k2 clamps to it
            h = put(h, _where(later, v1 * 0, old[1]), k1, column)
            h = put(h, _where(later, beta, _where(beyond_start, old[0] * (1 - t1), old[0])), k, column)
            t2, t3 = t1 * v2, t1 * v3

            def rows(j, h):
                x, y, w = get(h, k, j), get(h, k1, j), get(h, k2, j)
                total = x + v2 * y + v3 * w
                h = put(h, w - total * t3, k2, j)  # first: k2 may clamp onto k1
                h = put(h, y - total * t2, k1, j)
                return [put(h, x - total * t1, k, j)]

            def columns(j, t):
                x, y, w = get(t, j, k), get(t, j, k1), get(t, j, k2)
                total = x + v2 * y + v3 * w
                t = put(t, w - total * t3, j, k2)
                t = put(t, y - total * t2, j, k1)
                return [put(t, x - total * t1, j, k)]

            h = for_loop(k, last_row, [h], rows)[0]
            h = for_loop(first_row, arith.minsi(shift(k, 4), arith.addi(i, one)), [h], columns)[0]
            if want_z:
                z = for_loop(index(0), index(n), [z], columns)[0]
            return [h, z]

        h, z = for_loop(m, arith.select(sweep, i, m), [h, z], chase)

        # A 2x2 block deflated: standardized, its rotation applied beside it.
        block = _and(deflate, two)
        i0 = shift(i, -1)
        corners = get(h, i0, i0), get(h, i0, i), get(h, i, i0), get(h, i, i)
        a, b, c, d, cs, sn = _standardized(*corners)
        for value, old, (r, col) in zip((a, b, c, d), corners, ((i0, i0), (i0, i), (i, i0), (i, i)), strict=True):
            h = put(h, _where(block, value, old), r, col)
        g = (cs.v, sn.v, (-sn).v, cs.v)
        if want_t:
            h = _rotate_rows(f, at, h, i0, g, (arith.addi(i, one), arith.select(block, index(n), arith.addi(i, one))))
            h = _rotate_columns(f, at, h, i0, g, (index(0), arith.select(block, i0, index(0))))
        if want_z:
            z = _rotate_columns(f, at, z, i0, g, (index(0), arith.select(block, index(n), index(0))))
        return _next_block(deflate, l, i, its, count, h, z)

    return _qr_iteration(n, h, z, step)


def _triangular_eigenvectors(f, n, t, x, out):
    """x's upper triangle (zeros on entry) set to the eigenvectors of the upper
    triangular t(i, j) (a reader): column k solves (t - t_kk) x = 0 with x_k = 1 and
    zeros below, by back substitution (ztrevc): pivots below max(eps |t_kk|, smlnum)
    raised to it, and the column scaled down wherever an element would pass
    sqrt(overflow) (only its direction matters)."""
    real = f.real_dtype
    info = np.finfo(real)
    eps = constant(real, info.eps)
    small_number = constant(real, info.tiny * (max(n, 1) / info.eps))
    big = constant(real, np.sqrt(info.max))

    def column(k, x):
        x = tensor.insert(f.one, x, out(k, k))
        eigenvalue = t(k, k)
        smallest = arith.maximumf(arith.mulf(eps, f.magnitude(eigenvalue)), small_number)

        def row(step, x):
            i = arith.subi(arith.subi(k, index(1)), step)
            i1, k1 = arith.addi(i, index(1)), arith.addi(k, index(1))
            total = _sum(i1, k1, f.zero, lambda j, total: f.add(total, f.mul(t(i, j), tensor.extract(x, out(j, k)))))
            pivot = f.sub(t(i, i), eigenvalue)
            pivot = arith.select(arith.cmpf(arith.CmpFPredicate.OLT, f.magnitude(pivot), smallest),
                                 f.from_real(smallest), pivot)
            size, limit = f.magnitude(total), arith.mulf(f.magnitude(pivot), big)
            overflows = arith.cmpf(arith.CmpFPredicate.OGT, size, limit)
            scale = arith.select(overflows, arith.divf(limit, size), constant(real, 1))
            x = for_loop(i1, arith.select(overflows, k1, i1), [x], lambda j, x: [
                tensor.insert(f.mul(tensor.extract(x, out(j, k)), f.from_real(scale)), x, out(j, k))])[0]
            return [tensor.insert(f.neg(f.div(f.mul(total, f.from_real(scale)), pivot)), x, out(i, k))]

        return [for_loop(index(0), k, [x], row)[0]]

    return for_loop(index(0), index(n), [x], column)[0]


def _normalized_product(f, n, z, x, out, v, lapack_phase=None, back=None):
    """v's columns (at out(i, k)) = z(i, j) times x's upper triangular columns, each
    scaled to unit 2-norm and then rotated to make its first component of largest
    magnitude real and positive (zgeev). For a real matrix, `lapack_phase(k)` is (p,
    real, signed): where `signed`, LAPACK's unnormalized eigenvector (dtrevc's) is this
    one times p (up to a positive factor), and dgeev only makes that component real,
    keeping its real part's sign; a `real` eigenvalue's column comes out exactly real.
    back(v, k) undoes the balancing in column k before the normalization (dgebak)."""
    real = f.real_dtype

    def column(k, v):
        k1 = arith.addi(k, index(1))
        v = for_loop(index(0), index(n), [v], lambda i, v: [tensor.insert(_sum(
            index(0), k1, f.zero, lambda j, total: f.add(total, f.mul(z(i, j), x(j, k)))), v, out(i, k))])[0]
        if back is not None:
            v = back(v, k)

        def row(i, largest, at_largest):
            size = f.abs(tensor.extract(v, out(i, k)))
            bigger = arith.cmpf(arith.CmpFPredicate.OGT, size, largest)
            return [arith.select(bigger, size, largest), arith.select(bigger, i, at_largest)]

        largest, at_largest = for_loop(index(0), index(n), [constant(real, -1), index(0)], row)
        # |v| as largest |v_i / largest| (no overflow); the phase conj(v_max) / |v_max|
        safe = arith.select(arith.cmpf(arith.CmpFPredicate.OGT, largest, f.real_zero), largest, constant(real, 1))
        inverse = f.from_real(arith.divf(constant(real, 1), safe))
        norm = _sum(index(0), index(n), f.real_zero, lambda i, total: arith.addf(total, f.abs2(
            f.mul(tensor.extract(v, out(i, k)), inverse))))
        v_max = tensor.extract(v, out(at_largest, k))
        phase = f.mul(f.mul(f.conj(v_max), inverse), inverse)  # conj(v_max) / |v_max|, over largest
        to_real = None
        if lapack_phase is not None:
            p, to_real, signed = lapack_phase(k)
            negative = arith.cmpf(arith.CmpFPredicate.OLT, f.real(f.mul(p, v_max)), f.real_zero)
            phase = arith.select(arith.andi(signed, negative), f.neg(phase), phase)
        scale = f.mul(phase, f.from_real(arith.divf(constant(real, 1), math.sqrt(norm))))

        def scaled(i, v):
            element = f.mul(tensor.extract(v, out(i, k)), scale)
            if to_real is not None:
                element = arith.select(to_real, f.from_real(f.real(element)), element)
            return [tensor.insert(element, v, out(i, k))]

        v = for_loop(index(0), index(n), [v], scaled)[0]
        at_max = out(at_largest, k)
        return [tensor.insert(f.from_real(f.real(tensor.extract(v, at_max))), v, at_max)]

    return for_loop(index(0), index(n), [v], column)[0]


def _right_phase(f, at, n, t, w):
    """lapack_phase for the right eigenvectors of a real matrix of real Schur form t:
    1 for a real eigenvalue; for the first of a conjugate pair, whose block is [[a, b],
    [c, a]], -i where |b| >= |c| (dtrevc's vector is (1, i w / b) there, this one is
    along (i w, c)), else i sign(c) (dtrevc's: (-w / c, i))."""
    last = index(max(n - 1, 0))

    def phase(k):
        k1 = arith.minui(arith.addi(k, index(1)), last)
        b, c = _R(tensor.extract(t, at(k, k1))), _R(tensor.extract(t, at(k1, k)))
        imaginary = f.imag(tensor.extract(w, at(k)))
        real = arith.cmpf(arith.CmpFPredicate.OEQ, imaginary, f.real_zero)
        pair = _where(abs(b) >= abs(c), -(b * 0 + 1), _sign(b * 0 + 1, c))
        p = arith.select(real, f.one, complex_d.create_(scalar_type(f.dtype), f.real_zero, pair.v))
        return p, real, constant(np.bool_, True)

    return phase


def _conjugate_pairs(f, at, n, w, v):
    """v's column of each eigenvalue with a negative imaginary part (the second of a
    real matrix's conjugate pair) set to the conjugate of the column before it, as
    LAPACK's."""
    def column(j, v):
        second = arith.cmpf(arith.CmpFPredicate.OLT, f.imag(tensor.extract(w, at(j))), f.real_zero)
        before = arith.subi(j, index(1))
        return for_loop(index(0), arith.select(second, index(n), index(0)), [v], lambda i, v: [
            tensor.insert(f.conj(tensor.extract(v, at(i, before))), v, at(i, j))])

    return for_loop(index(1), index(max(n, 1)), [v], column)[0]


def _each(n, a, body):
    """a after body(i, j, a) -> a for each element (i, j) of an n x n matrix."""
    return for_loop(index(0), index(n), [a], lambda i, a: for_loop(index(0), index(n), [a], lambda j, a: [
        body(i, j, a)]))[0]


def _scaled(f, at, n, a, scale):
    """a times the real `scale`, in place."""
    return _each(n, a, lambda i, j, a: tensor.insert(f.mul(tensor.extract(a, at(i, j)), f.from_real(scale)), a,
                                                     at(i, j)))


def _balance(f, at, n, a, d):
    """LAPACK's gebal (job 'B') on one matrix: rows, then columns, that isolate an
    eigenvalue permuted to the bottom (top), their permutation's indices in d, then the
    rows and columns of the rest [lo, hi] scaled by powers of 2 until their norms are
    within a factor 0.95 of each other, the scales in d[lo:hi + 1]. Returns a, d, lo,
    hi."""
    real = f.real_dtype
    sentinel = index(n)
    def isolated(a, j, bounds, column):
        """Whether a's row j (or `column` j) is zero off the diagonal over `bounds`."""
        def zero(i, ok):
            x = tensor.extract(a, at(i, j) if column else at(j, i))
            nothing = arith.andi(arith.cmpf(arith.CmpFPredicate.OEQ, f.real(x), f.real_zero),
                                 arith.cmpf(arith.CmpFPredicate.OEQ, f.imag(x), f.real_zero))
            return [arith.andi(ok, arith.ori(arith.cmpi(arith.CmpIPredicate.eq, i, j), nothing))]

        return for_loop(*bounds, [constant(np.bool_, True)], zero)[0]

    def swap(a, j, m, rows_to, k):
        """Columns j and m over rows [0, rows_to), rows j and m over columns [k, n)."""
        def column(i, a):
            x, y = tensor.extract(a, at(i, j)), tensor.extract(a, at(i, m))
            return [tensor.insert(x, tensor.insert(y, a, at(i, j)), at(i, m))]

        def row(i, a):
            x, y = tensor.extract(a, at(j, i)), tensor.extract(a, at(m, i))
            return [tensor.insert(x, tensor.insert(y, a, at(j, i)), at(m, i))]

        a = for_loop(index(0), rows_to, [a], column)[0]
        return for_loop(k, index(n), [a], row)[0]

    as_real = lambda i: arith.uitofp(scalar_type(real), arith.index_cast(  # noqa: E731
        ir.IntegerType.get_signless(64), i))

    def rows_down(l, searching, a, d):
        l1 = arith.addi(l, index(1))
        j = for_loop(index(0), l1, [sentinel], lambda j, best: [
            arith.select(isolated(a, j, (index(0), l1), False), j, best)])[0]
        found = arith.cmpi(arith.CmpIPredicate.ne, j, sentinel)
        j = arith.select(found, j, l)
        a = swap(a, j, l, arith.select(found, l1, index(0)), arith.select(found, index(0), index(n)))
        d = tensor.insert(arith.select(found, as_real(j), tensor.extract(d, at(l))), d, at(l))
        more = arith.andi(found, arith.cmpi(arith.CmpIPredicate.sgt, l, index(0)))
        return [arith.select(more, arith.subi(l, index(1)), l), more, a, d]

    l, _, a, d = while_loop([index(n - 1), constant(np.bool_, n > 0), a, d],
                            lambda l, searching, a, d: searching, rows_down)

    def columns_left(k, searching, a, d):
        l1 = arith.addi(l, index(1))
        j = for_loop(k, l1, [sentinel], lambda j, best: [arith.select(
            arith.andi(arith.cmpi(arith.CmpIPredicate.eq, best, sentinel), isolated(a, j, (k, l1), True)),
            j, best)])[0]
        found = arith.cmpi(arith.CmpIPredicate.ne, j, sentinel)
        j = arith.select(found, j, k)
        a = swap(a, j, k, arith.select(found, l1, index(0)), arith.select(found, k, index(n)))
        k_at = arith.minsi(k, index(max(n - 1, 0)))
        d = tensor.insert(arith.select(found, as_real(j), tensor.extract(d, at(k_at))), d, at(k_at))
        return [arith.select(found, arith.addi(k, index(1)), k), found, a, d]

    k, _, a, d = while_loop([index(0), constant(np.bool_, n > 0), a, d],
                            lambda k, searching, a, d: searching, columns_left)

    # Scaling by powers of 2 (LAPACK 3.5's norms: 2-norms of the rows and columns of
    # [lo, hi], the largest magnitudes of the whole ones).
    l1 = arith.addi(l, index(1))
    d = for_loop(k, l1, [d], lambda i, d: [tensor.insert(constant(real, 1), d, at(i))])[0]
    info = np.finfo(real)
    sfmin1 = info.tiny / info.eps
    sfmax1, sfmin2 = 1 / sfmin1, sfmin1 * 2
    sfmax2 = 1 / sfmin2

    def norm(terms):
        return _R(math.sqrt(_sum(*terms[0], f.real_zero, lambda i, total: arith.addf(total, f.abs2(terms[1](i))))))

    def largest(bounds, element):
        """|element(i)| for the i in bounds of largest |re| + |im| (i?amax's)."""
        def better(i, best, size):
            x = element(i)
            bigger = arith.cmpf(arith.CmpFPredicate.OGT, f.magnitude(x), size)
            return [arith.select(bigger, f.abs(x), best), arith.select(bigger, f.magnitude(x), size)]

        return _R(for_loop(*bounds, [f.real_zero, constant(real, -1)], better)[0])

    def sweep(count, _, a, d):
        def one(i, changed, a, d):
            c = norm(((k, l1), lambda r: tensor.extract(a, at(r, i))))
            r = norm(((k, l1), lambda r: tensor.extract(a, at(i, r))))
            ca = largest((index(0), l1), lambda r: tensor.extract(a, at(r, i)))
            ra = largest((k, index(n)), lambda r: tensor.extract(a, at(i, r)))
            usable = _and(c.ne(0), r.ne(0), (c + r).eq(c + r))
            s = c + r

            def up(*values):
                factor, c, ca, r, g, ra = (_R(x) for x in values)
                return [x.v for x in (factor * 2, c * 2, ca * 2, r / 2, g / 2, ra / 2)]

            def grows(factor, c, ca, r, g, ra):
                factor, c, ca, r, g, ra = (_R(x) for x in (factor, c, ca, r, g, ra))
                return _and(c < g, _max(_max(factor, c), ca) < sfmax2, _min(_min(r, g), ra) > sfmin2, usable)

            one_ = c * 0 + 1
            factor, c, ca, r, _, ra = (_R(x) for x in while_loop(
                [x.v for x in (one_, c, ca, r, r / 2, ra)], grows, up))

            def down(*values):
                factor, c, g, ca, r, ra = (_R(x) for x in values)
                return [x.v for x in (factor / 2, c / 2, g / 2, ca / 2, r * 2, ra * 2)]

            def shrinks(factor, c, g, ca, r, ra):
                factor, c, g, ca, r, ra = (_R(x) for x in (factor, c, g, ca, r, ra))
                return _and(g >= r, _max(r, ra) < sfmax2, _min(_min(_min(factor, c), g), ca) > sfmin2, usable)

            factor, c, _, ca, r, ra = (_R(x) for x in while_loop(
                [x.v for x in (factor, c, c / 2, ca, r, ra)], shrinks, down))
            d_i = _R(tensor.extract(d, at(i)))
            apply = _and(usable, c + r < s * 0.95,
                         _not(_and(factor < 1, d_i < 1, factor * d_i <= sfmin1)),
                         _not(_and(factor > 1, d_i > 1, d_i >= sfmax1 / factor)))
            factor = _where(apply, factor, one_)
            d = tensor.insert((d_i * factor).v, d, at(i))
            inverse = f.from_real((1 / factor).v)
            a = for_loop(k, arith.select(apply, index(n), k), [a], lambda j, a: [
                tensor.insert(f.mul(tensor.extract(a, at(i, j)), inverse), a, at(i, j))])[0]
            a = for_loop(index(0), arith.select(apply, l1, index(0)), [a], lambda j, a: [
                tensor.insert(f.mul(tensor.extract(a, at(j, i)), f.from_real(factor.v)), a, at(j, i))])[0]
            return [arith.ori(changed, apply), a, d]

        changed, a, d = for_loop(k, l1, [constant(np.bool_, False), a, d], one)
        return [arith.addi(count, index(1)), changed, a, d]

    _, _, a, d = while_loop([index(0), constant(np.bool_, True), a, d], lambda count, changed, a, d: arith.andi(
        changed, arith.cmpi(arith.CmpIPredicate.ult, count, index(100))), sweep)
    return a, d, k, l


def _unbalanced(f, at, n, d, lo, hi, out, left):
    """back(v, k) for _normalized_product: column k's rows [lo, hi] times d (divided, for
    left eigenvectors), then gebal's permutations undone (dgebak)."""
    real = f.real_dtype
    i64 = ir.IntegerType.get_signless(64)

    def back(v, k):
        def scaled(i, v):
            d_i = tensor.extract(d, at(i))
            factor = arith.divf(constant(real, 1), d_i) if left else d_i
            return [tensor.insert(f.mul(tensor.extract(v, out(i, k)), f.from_real(factor)), v, out(i, k))]

        v = for_loop(lo, arith.addi(hi, index(1)), [v], scaled)[0]

        def swapped(ii, v):
            # rows lo - 1 down to 0, then hi + 1 up to n - 1
            below = arith.cmpi(arith.CmpIPredicate.slt, ii, lo)
            inside = arith.andi(arith.cmpi(arith.CmpIPredicate.sge, ii, lo), arith.cmpi(arith.CmpIPredicate.sle, ii, hi))
            i = arith.select(below, arith.subi(arith.subi(lo, index(1)), ii), ii)
            m = arith.index_cast(ir.IndexType.get(), arith.fptoui(i64, tensor.extract(d, at(arith.minsi(
                i, index(n - 1))))))
            m = arith.select(inside, i, arith.minsi(m, index(n - 1)))
            x, y = tensor.extract(v, out(i, k)), tensor.extract(v, out(m, k))
            return [tensor.insert(x, tensor.insert(y, v, out(i, k)), out(m, k))]

        return for_loop(index(0), index(n), [v], swapped)[0]

    return back


def _reduce(f, at, n, a, taus, z, want_t, want_z, d=None):
    """The Schur form of one matrix, scaled by the power of 2 nearest below its largest
    magnitude (exactly: so that the reflectors' squared norms neither overflow nor
    underflow): its Hessenberg reduction, q, and the QR sweeps (the real ones for a
    real matrix). Returns the scaled Schur form, z, whether the sweeps converged and
    the scale; with `d` (a real vector), the matrix is balanced first (_balance) and d,
    lo and hi follow."""
    real = f.real_dtype
    largest = for_loop(index(0), index(n), [f.real_zero], lambda i, m: for_loop(
        index(0), index(n), [m], lambda j, m: [arith.maximumf(m, f.abs(tensor.extract(a, at(i, j))))]))[0]
    usable = arith.andi(arith.cmpf(arith.CmpFPredicate.OGT, largest, f.real_zero),
                        arith.cmpf(arith.CmpFPredicate.OLT, largest, constant(real, np.inf)))
    scale = arith.select(usable, math.exp2(math.floor(math.log2(largest))), constant(real, 1))
    a = _scaled(f, at, n, a, arith.divf(constant(real, 1), scale))
    balanced = ()
    if d is not None:
        a, *balanced = _balance(f, at, n, a, d)
    a, taus = _hessenberg(f, at, n, a, taus)
    if want_z:
        z = _hessenberg_q(f, at, n, a, taus, z)
    a = _clear_below_subdiagonal(f, at, n, a)
    return (*(_schur if is_complex(f.dtype) else _real_schur)(f, at, n, a, z, want_t, want_z), scale, *balanced)


def _real_eigenvalues(f, at, n, t, w):
    """w (complex, of field f) from the real Schur form t: its diagonal, and a +- i
    sqrt(|b c|) for each standardized 2x2 block [[a, b], [c, a]] (the + first, as LAPACK)."""
    real = f.real_dtype

    def element(i, w):
        get = lambda r, c: _R(tensor.extract(t, at(r, c)))  # noqa: E731
        last = index(max(n - 1, 0))
        below_i, above_i = arith.minui(arith.addi(i, index(1)), last), arith.maxui(i, index(1))
        top = _and(arith.cmpi(arith.CmpIPredicate.ult, i, last), get(below_i, i).ne(0))
        bottom = _and(arith.cmpi(arith.CmpIPredicate.ugt, i, index(0)), get(i, arith.subi(above_i, index(1))).ne(0))
        rt_top = _sqrt(abs(get(i, below_i))) * _sqrt(abs(get(below_i, i)))
        rt_bottom = _sqrt(abs(get(arith.subi(above_i, index(1)), i))) * _sqrt(abs(get(i, arith.subi(above_i, index(1)))))
        zero = _R(constant(real, 0))
        imaginary = _where(top, rt_top, _where(bottom, -rt_bottom, zero))
        return [tensor.insert(complex_d.create_(scalar_type(f.dtype), get(i, i).v, imaginary.v), w, at(i))]

    return for_loop(index(0), index(n), [w], element)[0]


def _complex_schur(f, at, n, t, z, w):
    """The complex Schur form (t, z, complex, of field f) from the real one: each 2x2
    block split by the unitary rotation whose first column is its eigenvector of w's
    eigenvalue on top (scipy's rsf2csf); t's diagonal then set to w exactly."""
    one = index(1)

    def block(m, t, z):
        m0 = arith.subi(m, one)
        sub = tensor.extract(t, at(m, m0))
        active = arith.cmpf(arith.CmpFPredicate.UNE, f.abs(sub), f.real_zero)
        mu = f.sub(tensor.extract(w, at(m0)), tensor.extract(t, at(m, m)))
        r = complex_d.abs(complex_d.create_(mu.type, f.abs(mu), f.abs(sub)))
        r = f.from_real(arith.select(active, r, constant(f.real_dtype, 1)))
        c, s = f.div(mu, r), f.div(sub, r)
        g = (f.conj(c), s, f.neg(s), c)
        t = _rotate_rows(f, at, t, m0, g, (m0, arith.select(active, index(n), m0)))
        t = _rotate_columns(f, at, t, m0, g, (index(0), arith.select(active, arith.addi(m, one), index(0))))
        z = _rotate_columns(f, at, z, m0, g, (index(0), arith.select(active, index(n), index(0))))
        return [tensor.insert(f.zero, t, at(m, m0)), z]

    t, z = for_loop(one, index(max(n, 1)), [t, z], block)
    t = for_loop(index(0), index(n), [t], lambda i, t: [tensor.insert(tensor.extract(w, at(i)), t, at(i, i))])[0]
    return t, z


def _working_copy(f, x, x_type):
    """x in f's dtype, as a new tensor: the loops write in place, not into the operand."""
    shaped = ShapedType(x_type.shape, f.dtype)
    if is_complex(x_type.dtype) or not is_complex(f.dtype):
        return indexed(shaped, [x], lambda idx, x_ij: x_ij)
    return indexed(shaped, [x], lambda idx, x_ij: f.from_real(x_ij))


def _lower_hessenberg(node, x):
    (x_type,), (_, taus_type) = node.in_types, node.out_types
    f = _Field(x_type.dtype)
    n = x_type.shape[-1]
    a, taus = _for_each_matrix(x_type.shape, [_working_copy(f, x, x_type), empty(taus_type)],
                               lambda at, a, taus: _hessenberg(f, at, n, a, taus))
    return [a, taus]


rules.lowering[HessenbergOp.OPERATION_NAME] = _lower_hessenberg


def _lower_householder_product(node, a, taus):
    (a_type, taus_type), (q_type,) = node.in_types, node.out_types
    f = _Field(a_type.dtype)
    *_, m, n = a_type.shape
    k = taus_type.shape[-1]

    def per_matrix(at, q):
        return [householder_product(f, at, m, k, n, lambda j, i: tensor.extract(a, at(i, j)),
                                    lambda j: tensor.extract(taus, at(j)), q)]

    (q,) = _for_each_matrix(q_type.shape, [_identity(f, q_type)], per_matrix)
    return [q]


rules.lowering[HouseholderProductOp.OPERATION_NAME] = _lower_householder_product


def _upper_triangle(f, t, shaped, k):
    """t's elements on and above its k-th diagonal, zeros below."""
    return indexed(shaped, [t], lambda idx, t_ij: arith.select(
        arith.cmpi(arith.CmpIPredicate.ule, idx[-2], arith.addi(idx[-1], index(k))), t_ij, f.zero))


def _lower_schur(node, x):
    (x_type,), (_, z_type) = node.in_types, node.out_types
    f = _Field(x_type.dtype)
    n = x_type.shape[-1]
    want_z = node.params["compute_schur_vectors"]
    taus_type = ShapedType((*x_type.shape[:-2], max(n - 1, 0)), f.dtype)

    def per_matrix(at, a, taus, z):
        poison = _poison(f, at, (n, n), a)
        a, z, converged, scale = _reduce(f, at, n, a, taus, z, True, want_z)
        poison = arith.select(converged, poison, constant(f.real_dtype, np.nan))
        a = _poisoned(f, at, (n, n), _scaled(f, at, n, a, scale), poison)
        return [a, taus, _poisoned(f, at, (n, n), z, poison) if want_z else z]

    z_init = _identity(f, x_type) if want_z else empty(z_type)
    t, _, z = _for_each_matrix(x_type.shape, [_working_copy(f, x, x_type), empty(taus_type), z_init], per_matrix)
    # The real Schur form keeps the 2x2 blocks' subdiagonal elements (zero elsewhere).
    return [_upper_triangle(f, t, x_type, 0 if is_complex(f.dtype) else 1), z]


rules.lowering[SchurOp.OPERATION_NAME] = _lower_schur


def _reversed(i, n):
    return arith.subi(index(n - 1), i)


def _lower_eig(node, x):
    """The Schur form in x's field (real or complex), the eigenvalues from it; for the
    eigenvectors, the complex Schur form (from the real one for a real x) and
    back substitution."""
    (x_type,), (w_type, vl_type, vr_type) = node.in_types, node.out_types
    f, fc = _Field(x_type.dtype), _Field(w_type.dtype)
    n = x_type.shape[-1]
    left, right = node.params["compute_left_eigenvectors"], node.params["compute_right_eigenvectors"]
    vectors = left or right
    real = not is_complex(x_type.dtype)
    matrix, complex_matrix = ShapedType((n, n), x_type.dtype), ShapedType((n, n), w_type.dtype)

    def per_matrix(at, a, taus, z, w, t_slot, z_slot, scratch, vl, vr, d):
        poison = _poison(f, at, (n, n), a)
        a, z, converged, scale, d, lo, hi = _reduce(f, at, n, a, taus, z, vectors, vectors, d)
        poison = arith.select(converged, poison, constant(f.real_dtype, np.nan))
        if real:
            w = _real_eigenvalues(fc, at, n, a, w)
        else:
            w = for_loop(index(0), index(n), [w], lambda i, w: [
                tensor.insert(tensor.extract(a, at(i, i)), w, at(i))])[0]
        if vectors and real:
            def copy(i, t_c, z_c):
                return for_loop(index(0), index(n), [t_c, z_c], lambda j, t_c, z_c: [
                    tensor.insert(fc.from_real(tensor.extract(a, at(i, j))), t_c, at(i, j)),
                    tensor.insert(fc.from_real(tensor.extract(z, at(i, j))), z_c, at(i, j))])

            t_slot, z_slot = _complex_schur(fc, at, n, *for_loop(index(0), index(n), [t_slot, z_slot], copy), w)
            t_c, z_c = t_slot, z_slot
        else:
            t_c, z_c = a, z
        t = lambda i, j: tensor.extract(t_c, at(i, j))  # noqa: E731
        z_at = lambda i, j: tensor.extract(z_c, at(i, j))  # noqa: E731
        # The left eigenvectors of a real eigenvalue are dtrevc's times a positive factor;
        # the others' phases are zgeev's.
        def left_phase(k):
            real_eigenvalue = arith.cmpf(arith.CmpFPredicate.OEQ, fc.imag(tensor.extract(w, at(_reversed(k, n)))),
                                         fc.real_zero)
            return fc.one, real_eigenvalue, real_eigenvalue
        if right:
            scratch = _triangular_eigenvectors(fc, n, t, scratch, at)
            x_at = lambda i, j: tensor.extract(scratch, at(i, j))  # noqa: E731
            vr = _normalized_product(fc, n, z_at, x_at, at, vr, _right_phase(fc, at, n, a, w) if real else None,
                                     _unbalanced(fc, at, n, d, lo, hi, at, left=False))
            if real:
                vr = _conjugate_pairs(fc, at, n, w, vr)
            vr = _poisoned(fc, at, (n, n), vr, poison)
        if left:
            # The left eigenvectors of t are the right ones of t^H, lower triangular: with
            # the order of rows and columns reversed, the upper triangular t'.
            if right:
                scratch = _zeroed(fc, at, n, scratch)
            t_reversed = lambda i, j: fc.conj(t(_reversed(j, n), _reversed(i, n)))  # noqa: E731
            scratch = _triangular_eigenvectors(fc, n, t_reversed, scratch, at)
            x_at = lambda i, j: tensor.extract(scratch, at(i, j))  # noqa: E731
            out = lambda i, k: at(i, _reversed(k, n))  # noqa: E731
            vl = _normalized_product(fc, n, lambda i, j: z_at(i, _reversed(j, n)), x_at, out, vl,
                                     left_phase if real else None, _unbalanced(fc, at, n, d, lo, hi, out, left=True))
            if real:
                vl = _conjugate_pairs(fc, at, n, w, vl)
            vl = _poisoned(fc, at, (n, n), vl, poison)
        w = for_loop(index(0), index(n), [w], lambda i, w: [tensor.insert(
            fc.mul(tensor.extract(w, at(i)), fc.from_real(scale)), w, at(i))])[0]
        return [a, taus, z, _poisoned(fc, at, (n,), w, poison), t_slot, z_slot, scratch, vl, vr, d]

    # One matrix after the other, each copied into tensors of its own that the loops
    # update in place, the results inserted into the batch's: a batch loop carrying all
    # of them costs bufferization many seconds.
    batch = len(x_type.shape) - 2
    own = lambda shaped: ShapedType(shaped.shape[batch:], shaped.dtype)  # noqa: E731
    at = lambda i, *j: [i, *j]  # noqa: E731

    def each(batch_index, w_out, vl_out, vr_out):
        unused = empty(complex_matrix)
        work = [_copy(_matrix_at(x, batch_index, (n, n), x_type.dtype), matrix),
                empty(ShapedType((max(n - 1, 0),), x_type.dtype)), _identity(f, matrix) if vectors else empty(matrix),
                empty(own(w_type)), empty(complex_matrix) if vectors and real else unused,
                empty(complex_matrix) if vectors and real else unused, _zeros(fc, complex_matrix) if vectors else unused,
                empty(own(vl_type)), empty(own(vr_type)), empty(ShapedType((n,), f.real_dtype))]
        results = per_matrix(at, *work)
        w_out = _put_matrix(results[3], w_out, batch_index, (n,))
        if left:
            vl_out = _put_matrix(results[7], vl_out, batch_index, (n, n))
        if right:
            vr_out = _put_matrix(results[8], vr_out, batch_index, (n, n))
        return [w_out, vl_out, vr_out]

    return _batch_loop(x_type.shape, [empty(w_type), empty(vl_type), empty(vr_type)], each)


def _zeros(f, shaped):
    return indexed(shaped, [], lambda idx: f.zero)


def _zeroed(f, at, n, x):
    """One matrix of x set to zeros."""
    return _each(n, x, lambda i, j, x: tensor.insert(f.zero, x, at(i, j)))


rules.lowering[EigOp.OPERATION_NAME] = _lower_eig


# ----------------------------------------------------------------------------- batching: one more batch dimension

for _op in (HessenbergOp, HouseholderProductOp, SchurOp, EigOp):
    rules.batching[_op.OPERATION_NAME] = batch_leading(_op)


# ----------------------------------------------------------------------------- JVP rule (JAX's)


def _solve(a, b):
    """a^-1 b for square a, by LU with partial pivoting."""
    lu, _, permutation = build(LuOp, [a])
    y = triangular_solve(lu, rows_permuted(b, permutation), left_side=True, lower=True, unit_diagonal=True)
    return triangular_solve(lu, y, left_side=True, lower=False)


def _column_sums(x):
    """x [..., n, n] summed over its rows: [..., n]."""
    return ops.reduce_sum(x, axes=(type_of(x).ndim - 2,))


def _eigenvector_jvp(w, v, da):
    """JAX's _eig_vec_jvp: with P = v^-1 da v, dw = diag(P) and dv = v (F * P) + v diag(c),
    F[i, j] = 1 / (w[j] - w[i]) off the diagonal, c fixing the normalization (unit
    norm: Re(v_j^H dv_j) = 0; the largest component k_j real: Im(dv_kj / v_kj) = 0)."""
    shaped = type_of(v)
    eye = eye_like(v)
    ndim = shaped.ndim
    w_j = ops.broadcast_in_dim(w, shape=shaped.shape, broadcast_dimensions=(*range(ndim - 2), ndim - 1))
    w_i = ops.broadcast_in_dim(w, shape=shaped.shape, broadcast_dimensions=(*range(ndim - 2), ndim - 2))
    f_mat = ops.sub(ops.div(full(shaped, 1), ops.sub(ops.add(eye, w_j), w_i)), eye)
    p = matmul(_solve(v, da), v)
    u = matmul(v, ops.mul(f_mat, p))
    # the first component of largest magnitude of each column (argmax's)
    first = ops.argmax(ops.abs(v), axes=(ndim - 2,), index_dtype=np.dtype(np.int32))
    rows = ops.iota(dtype=np.dtype(np.int32), shape=shaped.shape, dimension=ndim - 2)
    mask = ops.convert(ops.compare(rows, ops.broadcast_in_dim(first, shape=shaped.shape, broadcast_dimensions=(
        *range(ndim - 2), ndim - 1)), direction="EQ"), new_dtype=shaped.dtype)
    re = ops.neg(ops.real(_column_sums(ops.mul(ops.conj(v), u))))
    im = ops.neg(ops.div(ops.imag(_column_sums(ops.mul(mask, u))), ops.real(_column_sums(ops.mul(mask, v)))))
    c = ops.complex(re, im)
    dv = ops.add(u, ops.mul(v, ops.broadcast_in_dim(c, shape=shaped.shape,
                                                    broadcast_dimensions=(*range(ndim - 2), ndim - 1))))
    return diagonal(p), dv


def _eig_jvp(node, primals, tangents):
    """JAX's eig_jvp_rule: dw = diag(v^-1 da v); the eigenvectors' tangents under
    zgeev's normalization, the left ones as the right ones of a^H."""
    (a,), (da,) = primals, tangents
    left, right = node.params["compute_left_eigenvectors"], node.params["compute_right_eigenvectors"]
    if (left or right) and not node.params["enable_eigvec_derivs"]:
        raise NotImplementedError(
            "Derivatives of non-symmetric eigenvectors are only valid under assumptions on the input that JAX cannot "
            "check (see the enable_eigvec_derivs argument to jax.lax.linalg.eig). Pass enable_eigvec_derivs=True to "
            "jax.lax.linalg.eig to opt in. See https://github.com/jax-ml/jax/issues/2748 for discussion.")
    w, vl, vr = build(EigOp, [a], **{**node.params, "compute_right_eigenvectors": True})
    primal = [w, vl, vr if right else full(node.out_types[2], 0)]
    if da is None:
        return primal, [None] * 3
    dtype = type_of(w).dtype
    if type_of(da).dtype != dtype:
        da = ops.convert(da, new_dtype=dtype)
    if not (left or right):
        transposed = ops.transpose(vr, permutation=(*range(type_of(vr).ndim - 2), type_of(vr).ndim - 1,
                                                    type_of(vr).ndim - 2))
        return primal, [ops.reduce_sum(ops.mul(_solve(vr, da), transposed), axes=(type_of(vr).ndim - 1,)), None,
                        None]
    dw, dvr = _eigenvector_jvp(w, vr, da)
    dvl = _eigenvector_jvp(ops.conj(w), vl, adjoint(da))[1] if left else None
    return primal, [dw, dvl, dvr if right else None]


rules.jvp[EigOp.OPERATION_NAME] = _eig_jvp
