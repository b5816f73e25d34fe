"""The persistent compilation cache: compiled CPU programs kept on disk as object code,
so that another process running the same program (a test suite, a restarted notebook)
loads it instead of compiling it again.

An entry's key is a hash of everything that changes the code: the program (its
traced mirax text and its entry), mirax's own sources (its rules and passes: the
runtime does not use the cache while one is replaced at run time, rules.Table), the
MLIR and LLVM versions, and the host CPU and its features. A program found here is
neither derived nor lowered again. An entry is one file: a magic line, the SHA-256 of the payload and
the payload (a JSON line of metadata, then the object code); a file that does not
check out (truncated, corrupt, from another format) is ignored, deleted and compiled
again. Writers write a temporary file and rename it into place, so concurrent
processes never read a partial entry. The directory is bounded: entries are spread
over SHARDS subdirectories by their key's first two hex digits, and past its share of
"mirax_compilation_cache_max_size" bytes a subdirectory's least recently used entries
go (use is the modification time, which a load refreshes); a write looks at its own
subdirectory only, so it costs the same with a cache of a hundred entries or a
hundred thousand.

The directory is mirax.config's "mirax_compilation_cache_dir": $MIRAX_CACHE_DIR if
set, else ~/.cache/mirax ($XDG_CACHE_HOME/mirax); "" or None turns the cache off.
"""
import functools
import hashlib
import importlib.metadata
import json
import os
import pathlib
import tempfile

from mirax.config import config

MAGIC = b"mirax compiled object 1\n"
_DIGEST = hashlib.sha256().digest_size
SHARDS = 256  # subdirectories, one per value of a key's first two hex digits


def directory():
    """The cache's directory, or None when the cache is off."""
    path = config.read("mirax_compilation_cache_dir")
    return pathlib.Path(path).expanduser() if path else None


@functools.cache
def _fingerprint():
    """What besides the program changes its code: mirax's sources, the MLIR and LLVM
    it compiles with, and the CPU it compiles for."""
    import llvmlite.binding as llvm  # noqa: PLC0415 (only when the cache is used)

    digest = hashlib.sha256()
    package = pathlib.Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    for distribution in ("torch-mlir", "llvmlite"):
        digest.update(f"{distribution}=={importlib.metadata.version(distribution)}\0".encode())
    digest.update(f"{llvm.get_host_cpu_name()}\0{llvm.get_host_cpu_features().flatten()}".encode())
    return digest.hexdigest()


def key(text, entry, opt_level):
    """The key of the program `text` (its traced mirax module) compiled for its function
    `entry` at LLVM's `opt_level`."""
    return hashlib.sha256(f"{_fingerprint()}\0{entry}\0{opt_level}\0{text}".encode()).hexdigest()


def load(key):
    """(metadata, object code) of the entry `key`, or None when there is none that checks out."""
    root = directory()
    if root is None:
        return None
    path = root / key[:2] / key
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    payload = data[head:]
    if data[:len(MAGIC)] != MAGIC or data[len(MAGIC):head] != hashlib.sha256(payload).digest() \
            or b"\n" not in payload:
        path.unlink(missing_ok=True)
        return None
    meta, _, code = payload.partition(b"\n")
    try:
        meta = json.loads(meta)
    except ValueError:
        path.unlink(missing_ok=True)
        return None
    try:
        os.utime(path)  # used: the last to go
    except OSError:
        pass
    return meta, code


def store(key, meta, code):
    """Write the entry `key` atomically, then keep the directory within its size bound.
    A cache that cannot be written (read-only, full) is skipped: it only saves time."""
    root = directory()
    if root is None:
        return
    payload = json.dumps(meta).encode() + b"\n" + code
    shard = root / key[:2]
    try:
        shard.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=shard, prefix=".tmp-", delete=False) as f:
            f.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(f.name, shard / key)
        _evict(shard, config.read("mirax_compilation_cache_max_size") // SHARDS)
    except OSError:
        pass


def _evict(shard, max_size):
    """Delete the shard's least recently used entries until the rest fit in `max_size` bytes."""
    entries = []
    for path in shard.iterdir():
        try:
            stat = path.stat()
        except OSError:  # deleted by another process meanwhile
            continue
        if not path.name.startswith(".tmp-"):
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_size:
            break
        path.unlink(missing_ok=True)
        total -= size
