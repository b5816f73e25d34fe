"""mirax-expand-math (passes/mirax_expand_math.py): the float32 exp, log, tanh, sin
and cos approximations, compiled through the CPU pipeline, against NumPy in float64
rounded to float32 (the correctly rounded result, which libm's float32 functions
also stay within an ulp of).

The inputs cover every binade: random bit patterns (subnormals, huge values, nan
payloads), uniform ranges where results vary fastest, and the special values and
thresholds each approximation handles apart (0, -0, inf, nan, overflow and
underflow edges, the sin/cos reduction bound, multiples of pi/2). One program per
function, on one array holding them all.
"""
import numpy as np
import pytest

import mirax
import mirax.numpy as jnp
from mirax.mlir_context import context
from mirax.mlir import ir
from mirax.passes import MiraxExpandMath

MAX_ULP = 2.0
F32 = np.finfo(np.float32)


def _around(values, steps=3):
    """Each value and its `steps` float32 neighbours on both sides."""
    values = np.asarray(values, np.float32)
    out = [values]
    up = down = values
    for _ in range(steps):
        up, down = np.nextafter(up, np.float32(np.inf)), np.nextafter(down, np.float32(-np.inf))
        out += [up, down]
    return np.concatenate(out)


def _inputs():
    rng = np.random.default_rng(0)
    random_bits = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, F32.max, -F32.max, F32.tiny, -F32.tiny,
                         F32.smallest_subnormal, -F32.smallest_subnormal, 1e-40, -1e-40, 1.0, -1.0], np.float32)
    thresholds = _around([
        88.72283, 89.0, -87.33654, -103.97208, -104.0,  # exp: overflow, subnormal results, underflow to 0
        0.0004, -0.0004, 7.998812, -7.998812, 9.0,  # tanh: x itself below, clamp
        71476.0625, -71476.0625, 117435.99,  # sin/cos: largest reduced argument
        np.sqrt(0.5), np.sqrt(2.0), 2.0**-126,  # log: mantissa split, smallest normal
    ])
    pi_multiples = _around(np.arange(-200, 201) * (np.pi / 2))
    return np.concatenate([
        random_bits, specials, thresholds, pi_multiples,
        rng.uniform(-10, 10, 100_000).astype(np.float32),
        rng.uniform(-100, 100, 50_000).astype(np.float32),
        rng.uniform(-1e5, 1e5, 50_000).astype(np.float32),
        np.exp(rng.uniform(-100, 88, 50_000)).astype(np.float32),
    ])


INPUTS = _inputs()


def ulp_errors(result, exact):
    """|result - exact| in float32 ulps at the exact value (subnormal spacing below
    the normal range); nan where the float32 reference is not finite."""
    with np.errstate(all="ignore"):
        reference = exact.astype(np.float32)
        errors = np.abs(result.astype(np.float64) - exact) / np.spacing(np.abs(reference)).astype(np.float64)
    return np.where(np.isfinite(reference), errors, np.nan)


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos"])
def test_accuracy(name):
    result = np.asarray(mirax.jit(getattr(jnp, name))(INPUTS))
    with np.errstate(all="ignore"):
        exact = getattr(np, name)(INPUTS.astype(np.float64))
        reference = exact.astype(np.float32)

    errors = ulp_errors(result, exact)
    finite = np.isfinite(reference)
    worst = np.nanargmax(errors)
    assert errors[worst] <= MAX_ULP, f"{name}({INPUTS[worst]!r}) = {result[worst]!r}, exact {exact[worst]!r}"
    # Infinities and nans exactly as the reference; zeros with the reference's sign.
    np.testing.assert_array_equal(result[~finite], reference[~finite])
    zeros = reference == 0
    np.testing.assert_array_equal(np.signbit(result[zeros]), np.signbit(reference[zeros]))


def test_tanh_is_xlas_bit_for_bit():
    """tanh is XLA:CPU's approximation: the same bits as JAX's jitted tanh everywhere
    (nans aside, whose payloads may differ), within 5 ulp of the exact result."""
    import jax

    result = np.asarray(mirax.jit(jnp.tanh)(INPUTS))
    want = np.asarray(jax.jit(jax.numpy.tanh)(INPUTS))
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(result), nan)
    np.testing.assert_array_equal(result[~nan].view(np.int32), want[~nan].view(np.int32))
    with np.errstate(all="ignore"):
        assert np.nanmax(ulp_errors(result, np.tanh(INPUTS.astype(np.float64)))) <= 5


def test_accuracy_is_measured():
    """The ulp measure flags a one-ulp step and a wrong special value."""
    exact = np.array([1.0, 2.0**-149, 0.5], np.float64)
    result = np.nextafter(exact.astype(np.float32), np.float32(2))
    np.testing.assert_allclose(ulp_errors(result, exact), [1.0, 1.0, 1.0])
    assert np.isnan(ulp_errors(np.float32([1.0]), np.array([np.inf]))[0])


def _expand(source):
    with context():
        module = ir.Module.parse(source)
        MiraxExpandMath()(module.operation)
        module.operation.verify()
        return str(module)


def test_pass_rewrites_f32_only():
    """f32 ops become calls: of the kernel library's exp (declared with its vector
    variants, which llvm.compiler.used keeps for LLVM's vectorizer) outside long loops,
    of one approximation function each otherwise; f64 keeps its op."""
    text = _expand("""
    func.func @f(%a: f32, %b: f32, %c: f64) -> (f32, f32, f32, f64) {
      %0 = math.exp %a : f32
      %1 = math.exp %b : f32
      %2 = math.sin %a : f32
      %3 = math.exp %c : f64
      return %0, %1, %2, %3 : f32, f32, f32, f64
    }""")
    assert text.count("call @mirax_expf(") == 2
    assert text.count("func.func private @mirax_expf(f32) -> f32") == 1
    assert "_ZGV_LLVM_N8v_mirax_expf(mirax_expf_v8),_ZGV_LLVM_N16v_mirax_expf(mirax_expf_v16)" in text
    assert "llvm.func @mirax_expf_v16(vector<16xf32>) -> vector<16xf32>" in text
    assert "llvm.mlir.global appending @llvm.compiler.used()" in text and "addressof @mirax_expf_v8" in text
    assert text.count("call @__mirax_sinf(") == 1
    assert "math.exp %arg2 : f64" in text
    # sin's libm fallback for large arguments, with masked vector variants for LLVM.
    assert "func.func private @__mirax_libm_sinf(" in text
    assert "_ZGV_LLVM_M8v___mirax_libm_sinf(__mirax_libm_sinf_v8)" in text
    assert "math.exp %arg0 : f32" not in text


@pytest.mark.parametrize("name", ["exp", "log", "tanh"])
def test_library_and_inlined_approximations_agree_bit_for_bit(name):
    """The same approximation three ways: inlined into a long loop (INPUTS at once),
    the kernel library's vector variants in short loops (chunks of 1,000 elements)
    and its scalar function (an eager op's first, -O0 program, unvectorized)."""
    f = getattr(jnp, name)
    chunk = INPUTS[:1000]
    assert f"@mirax_{name}f(" in mirax.jit(f).lower(chunk).as_text("llvm")
    assert f"@mirax_{name}f(" not in mirax.jit(f).lower(INPUTS).as_text("llvm")
    inlined = np.asarray(mirax.jit(f)(INPUTS))
    chunks = np.concatenate([np.asarray(mirax.jit(f)(INPUTS[i:i + 1000])) for i in range(0, 20_000, 1000)])
    np.testing.assert_array_equal(chunks.view(np.uint32), inlined[:20_000].view(np.uint32))
    eager = np.asarray(f(jnp.asarray(INPUTS[20_000:21_000])))
    np.testing.assert_array_equal(eager.view(np.uint32), inlined[20_000:21_000].view(np.uint32))


def test_pass_runs_twice():
    """A second run finds nothing to expand and keeps the fallbacks' libm calls."""
    source = "func.func @f(%a: f32) -> f32 {\n %0 = math.cos %a : f32\n return %0 : f32\n}"
    once = _expand(source)
    assert _expand(once) == once


def _loops(size, outer=1):
    """tanh and sqrt loops over `size` elements, the first in `outer` iterations of a
    loop of its own (a dynamic count where outer is None)."""
    bound = "%outer" if outer is None else f"%c{outer}_outer"
    return f"""
    func.func @f(%m: memref<{size}xf32>, %n: memref<{size}xf32>, %outer: index) {{
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c{outer or 1}_outer = arith.constant {outer or 1} : index
      %size = arith.constant {size} : index
      scf.for %j = %c0 to {bound} step %c1 {{
        scf.for %i = %c0 to %size step %c1 {{
          %x = memref.load %m[%i] : memref<{size}xf32>
          %y = math.tanh %x : f32
          memref.store %y, %m[%i] : memref<{size}xf32>
        }}
      }}
      scf.for %i = %c0 to %size step %c1 {{
        %x = memref.load %n[%i] : memref<{size}xf32>
        %y = math.sqrt %x : f32
        memref.store %y, %n[%i] : memref<{size}xf32>
      }}
      return
    }}"""


@pytest.mark.parametrize("size, outer", [(1 << 14, 1), (1 << 10, 1 << 4), (8, None)])
def test_pass_interleaves_long_loops(size, outer):
    """The innermost loop computing an approximation asks LLVM for two interleaved
    vector iterations when its nest runs 2^14 times or more (or an unknown number of
    times); loops without one are left to LLVM's choice."""
    text = _expand(_loops(size, outer))
    assert "#llvm.loop_interleave<count = 2" in text
    _, tanh_loop, sqrt_loop = text.split("scf.for")[1:4]
    assert "} {loop_annotation = " in tanh_loop
    assert "loop_annotation" not in sqrt_loop


@pytest.mark.parametrize("size, outer", [(1 << 13, 1), (1 << 8, 1 << 5)])
def test_pass_leaves_short_loops(size, outer):
    """Interleaving a nest of fewer iterations saves microseconds and costs compile time."""
    assert "loop_annotation" not in _expand(_loops(size, outer))
