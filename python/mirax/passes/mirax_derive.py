"""mirax-derive: every transformed function derived, to a fixed point."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.transformations import JVP_OF, TRANSFORMS

from .dependence import ready
from .mirax_jvp import MiraxJvp
from .mirax_linearize import MiraxLinearize
from .mirax_transpose import MiraxTranspose
from .mirax_vmap import MiraxVmap

# A transformation of a transformed function waits for its body: each round derives
# what is ready, innermost first, until nothing is declared.
DERIVATIONS = (MiraxJvp(), MiraxLinearize(), MiraxTranspose(), MiraxVmap())


@dataclass(frozen=True)
class MiraxDerive:
    name: ClassVar[str] = "mirax-derive"
    summary: ClassVar[str] = "Derive every transformed function (jvp, linearize, transpose, vmap) to a fixed point"

    def __call__(self, module):
        while True:
            for derive in DERIVATIONS:
                derive(module)
            _, pending = ready(module, JVP_OF)
            if not pending:
                return
            if not any(ready(module, kind)[0] for kind in TRANSFORMS):
                raise ValueError("transformed functions wait on each other; none can be derived")
