"""mirax.ops (segment reductions) against jax.ops: each op over dtypes, segment counts,
out-of-range and negative ids, 'clip' mode, buckets; eagerly, under jit, grad and vmap."""
import jax
import numpy as np
import pytest

import mirax

from oracle import rand

OPS = ["segment_sum", "segment_prod", "segment_max", "segment_min"]
IDS = np.array([0, 2, 2, -1, 5, 1, 0])
OPTIONS = [dict(num_segments=4), dict(), dict(num_segments=3, mode="clip"), dict(num_segments=4, bucket_size=3),
           dict(num_segments=0), dict(num_segments=6, indices_are_sorted=False, unique_indices=False)]


def check(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.uint8])
@pytest.mark.parametrize("op", OPS)
def test_segment_ops_under_jit(op, dtype):
    data = rand((7, 2), dtype, seed=1)
    if dtype == np.bool_ and op in ("segment_sum", "segment_prod"):
        return  # refused by JAX: test_bool_sums_and_products_are_refused
    program = lambda lib: lambda d, ids: [getattr(lib.ops, op)(d, ids, **kw)  # noqa: E731
                                          for kw in OPTIONS if kw.get("num_segments") is not None]
    for got, want in zip(mirax.jit(program(mirax))(data, IDS), jax.jit(program(jax))(data, IDS), strict=True):
        check(got, want)


@pytest.mark.parametrize("op", ["segment_sum", "segment_prod"])
def test_bool_sums_and_products_are_refused(op):
    for lib in (jax, mirax):
        with pytest.raises(TypeError, match="does not accept dtype bool"):
            getattr(lib.ops, op)(np.ones(3, bool), np.zeros(3, int), 2)


@pytest.mark.parametrize("op", OPS)
def test_segment_ops_eager(op):
    data = rand((7,), seed=2)
    for kw in OPTIONS[:3]:
        check(getattr(mirax.ops, op)(data, IDS, **kw), getattr(jax.ops, op)(data, IDS, **kw))


def test_grad_and_vmap():
    data = np.arange(14, dtype=np.float32).reshape(7, 2) / 7 + 0.5  # distinct values: no ties for max and min
    # (JAX differentiates segment_prod only with unique_indices=True)
    loss = lambda lib: lambda d: sum((getattr(lib.ops, op)(d, IDS, 4) ** 2).sum()  # noqa: E731
                                     for op in ("segment_sum", "segment_max", "segment_min"))
    check(mirax.jit(mirax.grad(loss(mirax)))(data), jax.jit(jax.grad(loss(jax)))(data))
    batch = rand((3, 7, 2), seed=3)
    f = lambda d: mirax.ops.segment_max(d, IDS, 4) + mirax.ops.segment_sum(d, IDS, 4)  # noqa: E731
    check(mirax.vmap(f)(batch), np.stack([f(d) for d in batch]))
    ids = np.stack([IDS, IDS[::-1], np.zeros(7, int)])
    g = lambda d, i: mirax.ops.segment_sum(d, i, 4)  # noqa: E731
    check(mirax.vmap(g)(batch, ids), np.stack([g(d, i) for d, i in zip(batch, ids)]))


def test_errors_as_jax():
    for program in (lambda lib: lib.ops.segment_sum(np.ones(3), np.zeros(3, int), -1),
                    lambda lib: lib.ops.segment_sum([1.0], np.zeros(1, int), 1),
                    lambda lib: lib.jit(lambda ids: lib.ops.segment_sum(np.ones(3), ids))(np.zeros(3, int)),
                    lambda lib: lib.grad(lambda d: lib.ops.segment_prod(d, np.array([0, 0, 1]), 2).sum())(
                        np.array([2.0, 3.0, 4.0], np.float32))):
        with pytest.raises(Exception) as want:
            program(jax)
        with pytest.raises(Exception) as got:
            program(mirax)
        assert type(got.value).__name__ == type(want.value).__name__
        assert str(want.value).split("\n")[0] in str(got.value) or type(want.value) is TypeError
    with pytest.raises(NotImplementedError, match="out_sharding"):
        mirax.ops.segment_sum(np.ones(3), np.zeros(3, int), 1, out_sharding=object())
    assert sorted(n for n in dir(jax.ops) if not n.startswith("_")) == mirax.ops.__all__
