"""Control flow as constructs (rules.py `constructs`): lax.while_loop, lax.cond/switch,
lax.scan, lax.custom_linear_solve, mirax.checkpoint, custom_batching.custom_vmap and mirax.shard_map, each a
declared function naming its regions' functions, with all its rules in one file;
wrappers.py has the tangents and cotangents of a function that their JVP and transpose
rules call."""
# each registers its construct
from . import checkpoint, cond, custom_vmap, linear_solve, scan, shard_map, while_  # noqa: F401
