"""The one MLIR context mirax builds, transforms and compiles its modules in, with the
mirax dialect loaded: created on first use, by whichever thread gets there first."""
import threading

from mirax.dialect import load
from mirax.mlir import ir

_context = None
_lock = threading.Lock()


def context():
    """The context (use it as `with context():`)."""
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                created = ir.Context()
                load(created)
                _context = created
    return _context
