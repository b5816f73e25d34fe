"""mirax-simplify: dead code and duplicate work out of derived code. Derivative
rules keep zeros symbolic themselves; what remains after the transformation passes
is recomputation (a JVP rule recomputing cos(x) the primal already has), ops whose
results nothing reads, and derived functions nothing calls any more (the JVPs that
mirax-linearize inlined). Upstream's cse, canonicalize and symbol-dce remove them:
mirax ops are Pure, so both see through them."""
from dataclasses import dataclass
from typing import ClassVar

from .upstream import run_upstream


@dataclass(frozen=True)
class MiraxSimplify:
    name: ClassVar[str] = "mirax-simplify"
    summary: ClassVar[str] = "Remove duplicate work, dead ops and uncalled private functions (cse, canonicalize, symbol-dce)"

    def __call__(self, module):
        # Not verified after each of the three: mirax ops verify in Python, which took
        # most of the pass's time.
        run_upstream(module, "builtin.module(cse, canonicalize, symbol-dce)", verify_each=False)
