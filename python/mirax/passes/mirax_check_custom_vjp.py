"""mirax-check-custom-vjp: forward mode refused through a custom_vjp function."""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.ir_util import functions
from mirax.dialect.transformations import CUSTOM_LIN_OF


@dataclass(frozen=True)
class MiraxCheckCustomVjp:
    name: ClassVar[str] = "mirax-check-custom-vjp"
    summary: ClassVar[str] = "Refuse a custom_vjp function still called after derivation and simplification (a jvp of it)"

    def __call__(self, module):
        for function in functions(module).values():
            if CUSTOM_LIN_OF in function.attributes:  # still called after simplification: forward mode needs it
                raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")
