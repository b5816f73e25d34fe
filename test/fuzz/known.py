"""Known mirax defects that the fuzzer reports as "known" instead of failing, each
with the issue item that tracks it. Keep this list short: delete an entry as soon as
its item is fixed (a fixed entry no longer matches anything, so it hides nothing).

An entry matches a minimized failing case when the case's class is one of `classes`,
its stack one of `stacks` (None: any), and one of its ops is named in `ops` with a
result dtype kind in `kinds` (None: any)."""

KNOWN = [
]


def known_item(program, cls):
    """The issue item of the first KNOWN entry matching the minimized case, or None."""
    for entry in KNOWN:
        if cls not in entry["classes"]:
            continue
        if entry.get("stacks") is not None and program["stack"] not in entry["stacks"]:
            continue
        kinds = entry.get("kinds")
        if any(op["name"] in entry["ops"] and (kinds is None or _kind(op["dtype"]) in kinds)
               for op in program["ops"]):
            return entry["item"]
    return None


def _kind(dtype):
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(dtype[:1] if dtype != "bool" else "b",
                                                                                  "float")
