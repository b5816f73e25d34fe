"""lax's contractions over the dialect's dot_general op.

Operands of two dtypes are promoted to one (as jax.lax.dot_general does);
`preferred_element_type` computes in the promotion of the operand dtype and that
type, and converts the result to it. `precision` is accepted and ignored: the CPU
computes every dtype at full precision.
"""
import dataclasses
import enum
from collections.abc import Sequence
from typing import NamedTuple, Union

import ml_dtypes
import numpy as np

from mirax import dtypes
from mirax.core import bind, to_array, with_source
from mirax.dialect.dot import DotGeneralOp
from mirax.dialect.guards import DerivativeGuardOp

from ._elementwise import broadcast_in_dim, convert_element_type, ge, lt, mul, select
from ._reduction import cumsum, reduce_sum
from ._shape import broadcasted_iota, expand_dims, reshape


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Contracts lhs and rhs; dimension_numbers is ((lhs_contracting, rhs_contracting),
    (lhs_batch, rhs_batch)). Result dimensions: batch, lhs free, rhs free."""
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    lhs, rhs = to_array(lhs), to_array(rhs)
    dtype = lhs.aval.dtype if lhs.aval.dtype == rhs.aval.dtype else dtypes.result_type(lhs.aval, rhs.aval)
    result_dtype = dtype
    if preferred_element_type is not None:
        result_dtype = dtypes.canonicalize_dtype(preferred_element_type)
        dtype = dtypes.promote_types(dtype, result_dtype)
    (out,) = bind(DotGeneralOp, _as(lhs, dtype), _as(rhs, dtype),
                  lhs_contracting_dimensions=tuple(int(d) for d in lhs_contracting),
                  rhs_contracting_dimensions=tuple(int(d) for d in rhs_contracting),
                  lhs_batch_dimensions=tuple(int(d) for d in lhs_batch),
                  rhs_batch_dimensions=tuple(int(d) for d in rhs_batch))
    return _as(out, result_dtype)


def _as(x, dtype):
    """x as `dtype`, untouched when it has it (convert_element_type would narrow a
    64-bit array without x64)."""
    return x if x.aval.dtype == dtype else convert_element_type(x, dtype, weak_type=x.aval.weak_type)


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None):
    """Vector-vector, matrix-vector and matrix-matrix products (or dot_general when
    dimension_numbers are given)."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    if dimension_numbers is None:
        if not (1 <= lhs.aval.ndim <= 2 and 1 <= rhs.aval.ndim <= 2):
            raise ValueError(with_source(
                f"dot: dimension_numbers must be given except for vector and matrix products; got shapes "
                f"{list(lhs.aval.shape)} and {list(rhs.aval.shape)}"))
        dimension_numbers = (((lhs.aval.ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision=precision,
                       preferred_element_type=preferred_element_type)


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the leading (batch) dimensions of two arrays of one rank >= 2."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    ndim = lhs.aval.ndim
    if ndim != rhs.aval.ndim or ndim < 2:
        raise ValueError(with_source(f"batch_matmul requires arrays of one rank >= 2, got shapes "
                                     f"{list(lhs.aval.shape)} and {list(rhs.aval.shape)}"))
    batch = tuple(range(ndim - 2))
    return dot_general(lhs, rhs, (((ndim - 1,), (ndim - 2,)), (batch, batch)), precision=precision)


# ----------------------------------------------------------------------------- precision and algorithms

_PRECISION_NAMES = {"highest": 2, "float32": 2, "high": 1, "bfloat16_3x": 1, "tensorfloat32": 1, "default": 0,
                    "bfloat16": 0, "fastest": 0, None: 0}


class Precision(enum.Enum):
    """How precisely accelerators compute float32 products (jax.lax.Precision); the CPU
    computes every one at full precision. Its aliases as strings name members too."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        return cls(_PRECISION_NAMES[value]) if value in _PRECISION_NAMES else None

    def __repr__(self):
        return f"{self.__class__.__name__}.{self.name}"

    def __str__(self):
        return self.name


class DotAlgorithm(NamedTuple):
    """A dot product's algorithm (jax.lax.DotAlgorithm): the types its operands are
    rounded to and its accumulator's, and how many components and products emulate a
    higher precision."""

    lhs_precision_type: object
    rhs_precision_type: object
    accumulation_type: object
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


_FLOAT8 = (np.float32, np.float16, ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2,
           ml_dtypes.float8_e5m2fnuz, ml_dtypes.float8_e4m3fnuz, ml_dtypes.float8_e4m3b11fnuz)


class DotAlgorithmPreset(enum.Enum):
    """The dot algorithms JAX knows some platform to support (jax.lax.DotAlgorithmPreset),
    named LHS_RHS_ACCUMULATION with JAX's supported types."""

    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()

    def __repr__(self):
        return f"{self.__class__.__name__}.{self.name}"

    def __str__(self):
        return self.name

    @property
    def supported_lhs_types(self):
        if self.name == "DEFAULT" or self.name.startswith("ANY_F8"):
            return None
        return {"F16_F16_F16": (np.float16,), "F16_F16_F32": (np.float16,),
                "BF16_BF16_BF16": (ml_dtypes.bfloat16, np.float32), "BF16_BF16_F32": (ml_dtypes.bfloat16, np.float32),
                "F64_F64_F64": (np.float64,)}.get(self.name, (np.float32,))

    @property
    def supported_rhs_types(self):
        return self.supported_lhs_types

    @property
    def accumulation_type(self):
        if self.name in ("DEFAULT", "ANY_F8_ANY_F8_ANY", "ANY_F8_ANY_F8_ANY_FAST_ACCUM"):
            return None
        return {"F16_F16_F16": np.float16, "BF16_BF16_BF16": ml_dtypes.bfloat16,
                "F64_F64_F64": np.float64}.get(self.name, np.float32)

    def supported_output_types(self, lhs_dtype, rhs_dtype):
        if self.name in ("ANY_F8_ANY_F8_F32", "ANY_F8_ANY_F8_F32_FAST_ACCUM"):
            return _FLOAT8
        for name, narrow in (("F16_F16_F32", np.float16), ("BF16_BF16_F32", ml_dtypes.bfloat16)):
            if self.name == name:  # the narrow output only from narrow inputs
                narrow_inputs = dtypes.promote_types(lhs_dtype, rhs_dtype) == np.dtype(narrow)
                return (np.float32, narrow) if narrow_inputs else (np.float32,)
        return None if self.accumulation_type is None else (self.accumulation_type,)


PrecisionLike = Union[None, str, Precision, tuple[str, str], tuple[Precision, Precision], DotAlgorithm,
                      DotAlgorithmPreset]
DotDimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]], tuple[Sequence[int], Sequence[int]]]


# ----------------------------------------------------------------------------- ragged and scaled products


@dataclasses.dataclass(frozen=True)
class RaggedDotDimensionNumbers:
    """ragged_dot_general's dimensions: dot_general's, the lhs dimension cut into groups,
    and the rhs dimension indexed by group."""

    dot_dimension_numbers: DotDimensionNumbers
    lhs_ragged_dimensions: Sequence[int]
    rhs_group_dimensions: Sequence[int]

    def __init__(self, dot_dimension_numbers, lhs_ragged_dimensions, rhs_group_dimensions):
        object.__setattr__(self, "dot_dimension_numbers", tuple(tuple(map(tuple, t)) for t in dot_dimension_numbers))
        object.__setattr__(self, "lhs_ragged_dimensions", tuple(lhs_ragged_dimensions))
        object.__setattr__(self, "rhs_group_dimensions", tuple(rhs_group_dimensions))


_BASIC_RAGGED = RaggedDotDimensionNumbers((([1], [1]), ([], [])), [0], [0])


def ragged_dot(lhs, rhs, group_sizes, precision=None, preferred_element_type=None, group_offset=None):
    """lhs [m, k] times rhs [g, k, n], each run of group_sizes[i] rows of lhs by rhs[i]
    (rows past the groups give zeros)."""
    return ragged_dot_general(lhs, rhs, group_sizes, _BASIC_RAGGED, precision=precision,
                              preferred_element_type=preferred_element_type, group_offset=group_offset)


def ragged_dot_general(lhs, rhs, group_sizes, ragged_dot_dimension_numbers, precision=None,
                       preferred_element_type=None, group_offset=None):
    """jax.lax.ragged_dot_general for 1-d group_sizes: lhs's ragged dimension is cut into
    consecutive groups. A ragged non-contracting dimension multiplies each group by the
    rhs slice of its group (the groups' products summed, each masked to its rows); a
    ragged contracting dimension gives one product per group (a new leading dimension);
    a ragged batch dimension is dot_general's."""
    if group_offset is not None:
        raise NotImplementedError("Unimplemented group_offset support.")
    lhs, rhs, group_sizes = to_array(lhs), to_array(rhs), to_array(group_sizes)
    dn = ragged_dot_dimension_numbers
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dn.dot_dimension_numbers
    if group_sizes.aval.ndim != 1:
        raise NotImplementedError(with_source(f"ragged_dot_general with group_sizes of shape "
                                              f"{group_sizes.aval.shape}: mirax takes one group size per group"))
    (ragged,) = dn.lhs_ragged_dimensions
    if ragged in lhs_batch:  # every batch is some group's (past the groups too, as JAX computes them)
        return dot_general(lhs, rhs, dn.dot_dimension_numbers, precision, preferred_element_type)
    groups = group_sizes.aval.shape[0]
    # mask[g, i]: whether position i along the ragged dimension is in group g
    ends = cumsum(group_sizes)
    starts, ends = [broadcast_in_dim(v, (groups, lhs.aval.shape[ragged]), (0,)) for v in (ends - group_sizes, ends)]
    position = broadcasted_iota(group_sizes.aval.dtype, (groups, lhs.aval.shape[ragged]), 1)
    mask = convert_element_type(ge(position, starts) & lt(position, ends), lhs.aval.dtype)
    shape = (groups,) + lhs.aval.shape
    masked = mul(broadcast_in_dim(lhs, shape, range(1, len(shape))), broadcast_in_dim(mask, shape, (0, ragged + 1)))
    shift = lambda dims: tuple(d + 1 for d in dims)  # noqa: E731
    if ragged in lhs_contracting:  # one product per group, their dimension first
        rhs = broadcast_in_dim(rhs, (groups,) + rhs.aval.shape, shift(range(rhs.aval.ndim)))
        return dot_general(masked, rhs, ((shift(lhs_contracting), shift(rhs_contracting)),
                                         ((0,) + shift(lhs_batch), (0,) + shift(rhs_batch))),
                           precision, preferred_element_type)
    (group_dim,) = dn.rhs_group_dimensions
    per_group = dot_general(masked, rhs, ((shift(lhs_contracting), rhs_contracting),
                                          ((0,) + shift(lhs_batch), (group_dim,) + tuple(rhs_batch))),
                            precision, preferred_element_type)
    return reduce_sum(per_group, (0,))


def _scale_broadcast(scale, shape, contracting):
    """scale repeated along the contracting dimensions to the operand's shape."""
    for i in contracting:
        if scale.aval.shape[i] != shape[i]:
            repeats = shape[i] // scale.aval.shape[i]
            wide = scale.aval.shape[:i + 1] + (repeats,) + scale.aval.shape[i + 1:]
            scale = broadcast_in_dim(expand_dims(scale, (i + 1,)), wide, range(len(wide)))
            scale = reshape(scale, scale.aval.shape[:i] + (shape[i],) + scale.aval.shape[i + 2:])
    return scale


def _check_scale(side, operand, scale, contracting):
    for i, size in enumerate(operand.aval.shape):
        if i in contracting:
            if size % scale.aval.shape[i]:
                raise TypeError(with_source(f"{side} contracting dim {i} of size {size} must be divisible by its "
                                            f"scale's dim size {scale.aval.shape[i]}."))
            if size // scale.aval.shape[i] < 2:
                raise TypeError(with_source(f"The ratio of {side} contracting dim {i} to its scale's dim size "
                                            f"({size // scale.aval.shape[i]}) must be at least 2."))
        elif scale.aval.shape[i] != size:
            raise TypeError(with_source(f"{side} dim {i} of size {size} does not match scale dim size "
                                        f"{scale.aval.shape[i]}."))


def scaled_dot(lhs, rhs, *, lhs_scale=None, rhs_scale=None, dimension_numbers=None, preferred_element_type=None):
    """(lhs * lhs_scale) . (rhs * rhs_scale) in bfloat16, accumulated in
    preferred_element_type (bfloat16 by default): jax.lax.scaled_dot as JAX computes it
    on the CPU, each scale repeated along the contracting dimensions. Not
    differentiable, as JAX's."""
    lhs, rhs = to_array(lhs), to_array(rhs)
    if dimension_numbers is None:
        if lhs.aval.ndim < 2:
            raise TypeError(with_source("scaled_dot does not support 0-rank and 1-rank operands."))
        n = lhs.aval.ndim
        dimension_numbers = (((n - 1,), (n - 2,)), (tuple(range(n - 2)), tuple(range(n - 2))))
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    lhs_scale = to_array(_unit_scale(lhs, lhs_contracting) if lhs_scale is None else lhs_scale)
    rhs_scale = to_array(_unit_scale(rhs, rhs_contracting) if rhs_scale is None else rhs_scale)
    ranks = {x.aval.ndim for x in (lhs, rhs, lhs_scale, rhs_scale)}
    if len(ranks) > 1:
        raise TypeError(with_source(f"All input tensors must have the same rank. Got lhs rank: {lhs.aval.ndim} rhs "
                                    f"rank: {rhs.aval.ndim} lhs_scale rank: {lhs_scale.aval.ndim} rhs_scale rank: "
                                    f"{rhs_scale.aval.ndim}."))
    for i, j in zip(lhs_contracting, rhs_contracting, strict=True):
        if lhs.aval.shape[i] != rhs.aval.shape[j]:
            raise TypeError(with_source(f"LHS contracting dim {i} of size {lhs.aval.shape[i]} does not match RHS "
                                        f"contracting dim {j} of size {rhs.aval.shape[j]}."))
    _check_scale("LHS", lhs, lhs_scale, lhs_contracting)
    _check_scale("RHS", rhs, rhs_scale, rhs_contracting)
    bf16 = np.dtype(ml_dtypes.bfloat16)

    def scaled(x, scale, contracting):
        scale = _scale_broadcast(scale, x.aval.shape, contracting)
        return mul(_guard(convert_element_type(x, bf16)), _guard(convert_element_type(scale, bf16)))

    return dot_general(scaled(lhs, lhs_scale, lhs_contracting), scaled(rhs, rhs_scale, rhs_contracting),
                       dimension_numbers, preferred_element_type=bf16 if preferred_element_type is None
                       else preferred_element_type)


def _unit_scale(x, contracting):
    """JAX's default scale: ones, one per operand element outside the contracting dimensions."""
    return np.ones([1 if d in contracting else s for d, s in enumerate(x.aval.shape)], ml_dtypes.bfloat16)


def _guard(x):
    (out,) = bind(DerivativeGuardOp, x, refuse="tangent", error="NotImplementedError",
                  message="Differentiation rule for 'scaled_dot' not implemented")
    return out


__all__ = ["dot_general", "dot", "batch_matmul", "Precision", "DotAlgorithm", "DotAlgorithmPreset", "PrecisionLike",
           "DotDimensionNumbers", "RaggedDotDimensionNumbers", "ragged_dot", "ragged_dot_general", "scaled_dot"]
