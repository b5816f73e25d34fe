"""mirax-jvp: forward-mode differentiation. Derives the body of every function
declared as the JVP of another,

    func.func private @f_jvp(primals..., tangents...) -> (outputs..., output tangents...)
        attributes {mirax.jvp_of = @f, mirax.active = array<i64: ...>}

from @f's body, op by op, with each op's JVP rule (dialect/rules.py `jvp`) and each
construct's (`constructs`: loops, conds, scans, custom rules): the walk is
dialect/transformations.py's `derive_jvp`, which mirax-linearize runs too. Only the
arguments listed in `mirax.active` have tangents; the others are symbolic zeros, as
is every tangent no rule needs to materialize. A call inside @f becomes a call of the
JVP of its callee, declared and derived in turn; transformed functions nest (the JVP
of a JVP), so a declaration is derived once the function it differentiates has a body
free of pending declarations: innermost first, to a fixed point.
"""
from dataclasses import dataclass
from typing import ClassVar

from mirax.dialect.dependence import derive_ready
from mirax.dialect.transformations import JVP_OF, derive_jvp


@dataclass(frozen=True)
class MiraxJvp:
    name: ClassVar[str] = "mirax-jvp"
    summary: ClassVar[str] = "Derive the bodies of functions declared as JVPs (forward-mode autodiff)"

    def __call__(self, module):
        """Derive every JVP declaration of `module` (the builtin.module operation) that
        is or becomes ready."""
        derive_ready(module, JVP_OF, derive_jvp)
