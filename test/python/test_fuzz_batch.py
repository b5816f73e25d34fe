"""A fixed batch of differential fuzz cases against JAX (test/fuzz, issue 16): every
case must agree with JAX, or both must raise, or it must be a defect listed in
fuzz/known.py. A failure prints the minimized reproducers. Two halves, so that
`pytest -n 2` runs them side by side (each in its own worker subprocess)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuzz import runner  # noqa: E402

SEED, CASES, PARTS = 16, 300, 2


@pytest.mark.parametrize("part", range(PARTS))
def test_fuzz_batch(part):
    size = CASES // PARTS
    counts, reports = runner.run(size, SEED, start=part * size, timeout=60, minimize_budget_s=20, log=lambda _: None)
    assert sum(counts.values()) == size
    failing = sum(counts[c] for c in runner.FAILURES + ("worker-failed",))
    assert not failing, (f"{failing} fuzz failures ({dict(counts)}), minimized:\n\n"
                         + "\n\n".join(r["reproducer"] for r in reports if not r["known"]))
