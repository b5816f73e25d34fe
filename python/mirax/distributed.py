"""jax.distributed over MPI: under `mpiexec -n N`, `initialize()` joins this process to
MPI's world (MPICH from PyPI, the `mpich` wheel), and from then on each process has one
CPU device, its id the process's rank: `mirax.devices()` lists all N, `local_devices()`
this process's, `process_index()` its rank.

libmpi is loaded once into the process with RTLD_GLOBAL, as runtime.py loads the
OpenMP runtime, so that compiled programs' MPI calls (the shard dialect lowered by
convert-shard-to-mpi) resolve to it; mpi4py, imported before or after, uses the same
library (it loads libmpi.so.12 by name). MLIR's lowering emits MPICH's ABI constants,
which this library has."""
import atexit
import ctypes
import importlib.metadata
import os
import sys
import zlib

from mirax import platforms, runtime

__all__ = ["agree", "initialize", "is_initialized", "shutdown"]

COMM_WORLD = 0x44000000  # MPICH's MPI_COMM_WORLD handle (what convert-shard-to-mpi emits)
BYTE = 0x4c00010d  # MPICH's MPI_BYTE
STATUS_IGNORE = 1  # MPICH's MPI_STATUS_IGNORE
INT, MAX = 0x4c000405, 0x58000001  # MPICH's MPI_INT and MPI_MAX
THREAD_MULTIPLE = 3  # MPICH's MPI_THREAD_MULTIPLE: compiled programs run without the GIL, in any thread

_mpi = None
_initialized = False
_communicators = {}  # (group, color, key) -> the communicator of a split of MPI's world (mirax-shard-to-mpi)


def libmpi():
    """The MPI library (loaded once, RTLD_GLOBAL), MPI initialized."""
    global _mpi
    if _mpi is None:
        distribution = importlib.metadata.distribution("mpich")
        path = next(f for f in distribution.files if f.name == "libmpi.so.12")
        mpi = ctypes.CDLL(str(distribution.locate_file(path)), mode=ctypes.RTLD_GLOBAL)
        for name in ("MPI_Comm_rank", "MPI_Comm_size"):
            getattr(mpi, name).argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        mpi.MPI_Comm_split.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        if not _flag(mpi.MPI_Initialized):  # else mpi4py (or the user) did
            provided = ctypes.c_int()
            _check(mpi.MPI_Init_thread(None, None, THREAD_MULTIPLE, ctypes.byref(provided)), "MPI_Init_thread")
            atexit.register(_finalize, mpi)
        mpi.MPI_Allreduce.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_int]
        mpi.MPI_Sendrecv.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_void_p]
        runtime.typed_host_function("mirax_mpi_comm_split", _comm_split,
                                    ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int32, ctypes.c_int32))
        runtime.typed_host_function("mirax_mpi_sendrecv", _sendrecv, ctypes.CFUNCTYPE(
            None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32, ctypes.c_int32))
        _mpi = mpi
    return _mpi


def _comm_split(group, color, key):
    """The communicator of this process's part of a split of MPI's world (`group` names
    which split: the mesh axes a collective works over), split once: every process runs
    the same programs, so all of them miss this cache together, as MPI_Comm_split needs."""
    handle = _communicators.get((group, color, key))
    if handle is None:
        comm = ctypes.c_int()
        _check(_mpi.MPI_Comm_split(COMM_WORLD, color, key, ctypes.byref(comm)), "MPI_Comm_split")
        handle = _communicators[group, color, key] = comm.value
    return handle


def _sendrecv(send, receive, size, destination, source):
    """A ppermute's exchange (dialect/collectives.py): `size` bytes at `send` to the
    process ranked `destination`, those of `source` into `receive` (zeros where the
    source is -1, MPI_PROC_NULL: no process sends to this one)."""
    if source < 0:
        ctypes.memset(receive, 0, size)
    _check(_mpi.MPI_Sendrecv(send, size, BYTE, destination, 0, receive, size, BYTE, source, 0, COMM_WORLD,
                             STATUS_IGNORE), "MPI_Sendrecv")


def agree(what, text):
    """Check that every process passes the same `text` (what it is about to run, named by
    `what`), by an allreduce of its hash and the hash negated (their maxima are the hash
    and its negated minimum): a process whose program differs would otherwise wait in a
    collective no other process enters, or combine blocks of other shapes. Raises
    RuntimeError on every process where they differ."""
    digest = zlib.crc32(text.encode()) >> 1
    mine, both = (ctypes.c_int * 2)(digest, -digest), (ctypes.c_int * 2)()
    _check(_mpi.MPI_Allreduce(mine, both, 2, INT, MAX, COMM_WORLD), "MPI_Allreduce")
    if both[0] != digest or -both[1] != digest:
        raise RuntimeError(f"mirax.distributed: the processes run different programs at {what} (process "
                           f"{platforms.processes()[0]}'s hash {digest:#x}, others' between {-both[1]:#x} and "
                           f"{both[0]:#x}): every process must run the same program (SPMD), on values of the same "
                           f"shapes and dtypes")


def _flag(query):
    flag = ctypes.c_int()
    query(ctypes.byref(flag))
    return bool(flag.value)


def _check(code, call):
    if code:
        raise RuntimeError(f"mirax.distributed: {call} failed with MPI error code {code}")


def _finalize(mpi):
    if not _flag(mpi.MPI_Finalized):
        mpi.MPI_Finalize()


def _world():
    mpi = libmpi()
    rank, size = ctypes.c_int(), ctypes.c_int()
    _check(mpi.MPI_Comm_rank(COMM_WORLD, ctypes.byref(rank)), "MPI_Comm_rank")
    _check(mpi.MPI_Comm_size(COMM_WORLD, ctypes.byref(size)), "MPI_Comm_size")
    return rank.value, size.value


def initialize(coordinator_address=None, num_processes=None, process_id=None, local_device_ids=None,
               cluster_detection_method=None, initialization_timeout=300, heartbeat_timeout_seconds=100,
               shutdown_timeout_seconds=300, coordinator_bind_address=None, slice_index=None, partition_index=None):
    """Join MPI's world, as jax.distributed.initialize: under mpiexec no argument is
    needed. JAX's arguments are checked against the world MPI reports (a mismatch raises
    ValueError); MPI, not a coordinator service, connects the processes, so a
    coordinator's address (where JAX's processes would meet) is not used, and the
    timeouts and the rest have nothing to configure: they must be left as they are."""
    global _initialized
    if _initialized:
        raise RuntimeError("distributed.initialize should only be called once.")
    ignored = {"coordinator_bind_address": coordinator_bind_address, "slice_index": slice_index,
               "partition_index": partition_index}
    if initialization_timeout != 300 or heartbeat_timeout_seconds != 100 or shutdown_timeout_seconds != 300:
        ignored["timeouts"] = True
    given = [name for name, value in ignored.items() if value is not None]
    if given:
        raise NotImplementedError(f"mirax.distributed.initialize: {', '.join(given)} cannot be honoured: MPI "
                                  f"(mpiexec) connects and supervises the processes")
    if cluster_detection_method not in (None, "mpi4py"):
        raise NotImplementedError(f"mirax.distributed.initialize: cluster_detection_method="
                                  f"{cluster_detection_method!r}; mirax's processes are MPI's (None or 'mpi4py')")
    rank, size = _world()
    if num_processes is not None and num_processes != size:
        raise ValueError(f"mirax.distributed.initialize: num_processes={num_processes} but MPI's world has {size} "
                         f"processes (mpiexec -n {size})")
    if process_id is not None and process_id != rank:
        raise ValueError(f"mirax.distributed.initialize: process_id={process_id} but this process's MPI rank is "
                         f"{rank}")
    if local_device_ids is not None:
        ids = [local_device_ids] if isinstance(local_device_ids, int) else list(local_device_ids)
        if ids != [0]:
            raise ValueError(f"mirax.distributed.initialize: local_device_ids={local_device_ids}: each process has "
                             f"one CPU device, local id 0")
    if coordinator_address is not None and not isinstance(coordinator_address, str):
        raise TypeError(f"coordinator_address must be a str ('host:port'), got {coordinator_address!r}")
    platforms.set_processes(rank, size)
    if size > 1:
        _abort_on_uncaught_exceptions()
        _share_cores()
    _initialized = True


def _share_cores():
    """Give each of this host's processes its share of the cores for OpenMP's threads
    (read when the OpenMP runtime starts, at the first compiled program), unless the
    user set OMP_NUM_THREADS: with every process running a thread per core, threaded
    loops outnumber the cores and wait for each other's descheduled threads."""
    local = int(os.environ.get("MPI_LOCALNRANKS", 1))  # this host's processes (MPICH's hydra sets it)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // local)))


def _abort_on_uncaught_exceptions():
    """A process that dies of an exception takes the others down, as one that dies of
    a signal does: otherwise it would wait in MPI_Finalize, at exit, for processes
    waiting in a collective for it. It exits at once with status 1, unfinalized, and
    mpiexec kills the rest; not MPI_Abort, whose request to kill the job can reach
    mpiexec before the traceback written just before it, which is then lost."""
    hook = sys.excepthook

    def abort(kind, value, traceback):
        hook(kind, value, traceback)
        sys.stderr.flush()
        os._exit(1)

    sys.excepthook = abort


def is_initialized():
    return _initialized


def shutdown():
    """Leave the distributed system: back to one process's device. Does nothing if it is
    not running. MPI itself is finalized when the process exits (MPI cannot be
    initialized twice)."""
    global _initialized
    if _initialized:
        platforms.set_processes(0, 1)
        _initialized = False
