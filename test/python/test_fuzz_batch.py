"""A fixed batch of differential fuzz cases against JAX (test/fuzz, issue 16): every
case must agree with JAX, or both must raise, or it must be a defect listed in
fuzz/known.py. A failure prints the minimized reproducers. Two halves, so that
`pytest -n 2` runs them side by side (each in its own worker subprocess). A small
batch (a regression guard, ~10 s a half): the campaigns that look for new defects run
test/fuzz/run.py outside the suite, tens of thousands of cases at a time."""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuzz import runner  # noqa: E402

SEED, CASES, PARTS = 16, 80, 2


@pytest.mark.parametrize("part", range(PARTS))
def test_fuzz_batch(part):
    size = CASES // PARTS
    counts, reports = runner.run(size, SEED, start=part * size, timeout=60, minimize_budget_s=20, log=lambda _: None)
    assert sum(counts.values()) == size
    failing = sum(counts[c] for c in runner.FAILURES + ("worker-failed",))
    assert not failing, (f"{failing} fuzz failures ({dict(counts)}), minimized:\n\n"
                         + "\n\n".join(r["reproducer"] for r in reports if not r["known"]))


def test_the_runner_reads_two_answers_that_arrive_together():
    """A worker that writes its program and result lines at once (the runner was
    descheduled meanwhile) is not taken for a hung one: a buffered readline took both
    lines and select then waited 60 s for the second (two false hangs in 550 cases)."""
    worker = runner.Worker()
    worker.proc = subprocess.Popen([sys.executable, "-c", "import time; print('{\"program\": 1}\\n{\"result\": 2}', flush=True); time.sleep(60)"],
                                   stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert worker._read(5) == {"program": 1}
        assert worker._read(5) == {"result": 2}
    finally:
        worker.stop()


@pytest.mark.parametrize("phase, cls", [("jax", "jax-crash"), ("mirax", "crash")])
def test_a_worker_dying_is_blamed_on_the_library_that_ran(phase, cls):
    """XLA aborts on a few programs (jit(vmap(x.at[None, :].apply(jnp.sin))), seed
    2323232 case 432): a worker that dies while JAX runs is JAX's failure, one that
    dies while mirax runs is mirax's crash."""
    worker = runner.Worker()
    worker.start = lambda: setattr(worker, "proc", subprocess.Popen(
        [sys.executable, "-c", f"import os; print('{{\"program\": 1}}\\n{{\"running\": \"{phase}\"}}', flush=True); "
                               "os.abort()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True))
    try:
        with pytest.raises(runner.Died) as died:
            worker.request({"case": [0, 0]}, 5, on_program=lambda program: None)
        assert died.value.cls == cls
        assert "signal SIGABRT" in died.value.detail
    finally:
        worker.stop()


def test_a_float32_difference_within_jax_s_own_error_agrees():
    """sin and log2 of a float32 cumsum of 2488 normals (seed 2323232 case 995): mirax
    and XLA sum in different orders, 1.8e-5 and 1.6e-5 from the exact sums of values
    up to 83, and what follows amplifies that past the fixed tolerance. Judged against
    JAX in float64, mirax is as accurate as JAX: agree. A mirax result further off than
    twice JAX's error stays wrong."""
    from fuzz import compare
    from fuzz.generate import generate

    program = generate(2323232, 995)
    assert compare.run_case(program)[0] == compare.AGREE
    exact = [("out", np.array([1.0, 2.0]), False)]
    jax_result = [("out", np.array([1.0, 2.0 + 1e-5]), False)]
    assert compare.no_less_accurate(jax_result, [("out", np.array([1.0 - 2e-5, 2.0]), False)], exact)
    assert not compare.no_less_accurate(jax_result, [("out", np.array([1.0 - 3e-5, 2.0]), False)], exact)


def test_complex_results_non_finite_in_both_agree():
    """A complex product of infinities is NaN or an infinity depending on the formula,
    and XLA's complex dot picks by shape (seed 5656565 case 4296: tensordot of (1, 2, 2)
    by (2, 4) gives nan+nanj where the (1, 2) by (2, 1) part alone gives inf+infj, as
    mirax does): agree. A finite value against a non-finite one still differs."""
    from fuzz import compare
    from fuzz.generate import generate

    assert compare.run_case(generate(5656565, 4296))[0] == compare.AGREE
    out = lambda x: [("out", np.array(x, np.complex64), False)]  # noqa: E731
    assert compare.compare(out([np.nan + 1j * np.nan, 1]), out([np.inf + 1j * np.inf, 1]), 0, 1) is None
    assert compare.compare(out([np.nan, 1]), out([1, 1]), 0, 1) is not None
    assert compare.compare(out([np.inf, 1]), out([1, 1]), 0, 1) is not None


def test_jax_dropping_nans_from_a_large_max_is_jax_s_defect():
    """XLA's CPU max of 4096 float32 values with NaNs among them is not NaN (seed
    5656565 case 8653: jnp.ptp); mirax's is, as NumPy's. The case is JAX's defect."""
    import jax
    import mirax
    from fuzz import compare
    from fuzz.generate import generate
    from fuzz.known import known_item

    program = generate(5656565, 8653)
    assert compare.run_case(program)[0] == compare.WRONG
    assert known_item(program, compare.WRONG)["jax_defect"]
    x = np.ones(4096, np.float32)
    x[7] = np.nan
    assert np.isnan(mirax.numpy.max(x)) and np.isnan(np.max(x)) and not np.isnan(jax.numpy.max(x))


def test_jax_jit_multiplying_nan_by_a_constant_mask_is_jax_s_defect():
    """Under jit, XLA makes tri(3, 4, 1) * nan a select that gives 0 above the band
    (seed 7878787 case 787); JAX eager, NumPy and mirax give nan everywhere."""
    import jax
    import mirax
    from fuzz import compare
    from fuzz.generate import generate
    from fuzz.known import known_item

    program = generate(7878787, 787)
    assert compare.run_case(program)[0] == compare.WRONG
    assert known_item(program, compare.WRONG)["jax_defect"]
    f = lambda lib: lambda s: lib.numpy.tri(3, 4, 1) * s  # noqa: E731
    nan = np.float32(np.nan)
    assert np.isnan(mirax.jit(f(mirax))(nan)).all() and np.isnan(f(jax)(nan)).all()
    assert not np.isnan(jax.jit(f(jax))(nan)).all()
