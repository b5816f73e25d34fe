"""Control flow as constructs (rules.py `constructs`): lax.while_loop, lax.cond/switch
and lax.scan, each a declared function naming its regions' functions, with all its
rules in one file."""
from . import cond, scan, while_  # noqa: F401  (each registers its construct)
