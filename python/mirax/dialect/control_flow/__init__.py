"""Control flow as constructs (rules.py `constructs`): lax.while_loop, lax.cond/switch,
lax.scan and mirax.checkpoint, each a declared function naming its regions' functions,
with all its rules in one file; wrappers.py has the tangents and cotangents of a
function that their JVP and transpose rules call."""
from . import checkpoint, cond, scan, while_  # noqa: F401  (each registers its construct)
