"""Known mirax defects that the fuzzer reports as "known" instead of failing, each
with the issue item that tracks it. Keep this list short: delete an entry as soon as
its item is fixed (a fixed entry no longer matches anything, so it hides nothing).

An entry matches a minimized failing case when the case's class is one of `classes`,
its stack one of `stacks` (None: any), and one of its ops is named in `ops` with a
result dtype kind in `kinds` (None: any). With `message`, mirax's error must also
contain that text."""

KNOWN = [
    {"item": "issue 16, fuzzer finding: jnp.einsum('ii->', x) of a (2, 1) x raises; JAX broadcasts the size-1 "
             "dimension (returns x[0, 0])",
     "ops": {"einsum"}, "stacks": None, "classes": {"mirax-raises"}, "message": "does not match previous terms"},
]


def known_item(program, cls, mirax_says=""):
    """The issue item of the first KNOWN entry matching the minimized case (mirax's
    outcome: `mirax_says`), or None."""
    for entry in KNOWN:
        if cls not in entry["classes"] or entry.get("message", "") not in mirax_says:
            continue
        if entry.get("stacks") is not None and program["stack"] not in entry["stacks"]:
            continue
        kinds = entry.get("kinds")
        if any(op["name"] in entry["ops"] and (kinds is None or _kind(op["dtype"]) in kinds)
               for op in program["ops"]):
            return entry["item"]
    return None


def _kind(dtype):
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}[dtype[0]]
