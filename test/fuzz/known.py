"""Known defects that the fuzzer reports instead of failing: mirax's, each with the
issue item that tracks it, reported as "known"; and JAX's (`jax_defect`), where mirax
gives NumPy's answer and JAX does not, reported as "jax-wrong". Keep this list short:
delete an entry as soon as its item is fixed (a fixed entry no longer matches
anything, so it hides nothing).

An entry matches a minimized failing case when the case's class is one of `classes`,
its stack one of `stacks` (None: any), and one of its ops is named in `ops` with a
result dtype kind in `kinds` (None: any). With `message`, mirax's error must also
contain that text."""

KNOWN = [
    {"item": "issue 16, fuzzer finding: jnp.einsum('ii->', x) of a (2, 1) x raises; JAX broadcasts the size-1 "
             "dimension (returns x[0, 0])",
     "ops": {"einsum"}, "stacks": None, "classes": {"mirax-raises"}, "message": "does not match previous terms"},
    {"item": "JAX defect: XLA's CPU max and min reductions of 4096 or more float elements drop NaNs (jnp.max of "
             "4096 ones with one NaN is 1.0; NumPy's and mirax's answer is nan; seed 5656565 case 8653)",
     "ops": {"max", "min", "ptp", "reduce_max", "reduce_min"}, "stacks": None, "classes": {"wrong"},
     "kinds": {"float"}, "jax_defect": True},
    {"item": "JAX defect: under jit, XLA turns a product with a constant 0/1 mask (jnp.tri) into a select, so "
             "0 * nan is 0 (JAX eager, NumPy and mirax: nan; seed 7878787 case 787)",
     "ops": {"tri", "tril", "triu"}, "stacks": None, "classes": {"wrong"}, "jax_defect": True},
]


def known_item(program, cls, mirax_says=""):
    """The first KNOWN entry matching the minimized case (mirax's outcome:
    `mirax_says`), or None."""
    for entry in KNOWN:
        if cls not in entry["classes"] or entry.get("message", "") not in mirax_says:
            continue
        if entry.get("stacks") is not None and program["stack"] not in entry["stacks"]:
            continue
        kinds = entry.get("kinds")
        if any(op["name"] in entry["ops"] and (kinds is None or _kind(op["dtype"]) in kinds)
               for op in program["ops"]):
            return entry
    return None


def _kind(dtype):
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}[dtype[0]]
