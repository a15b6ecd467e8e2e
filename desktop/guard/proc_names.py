"""The names of the running processes on Linux, read from /proc for the game guard.

What it answers is what ``psutil.Process.name()`` says for every process, at a fraction
of the cost: the game guard asks every 2 s all day, and psutil's per-process objects
were most of an idle worker's CPU (issue 18: the worker must cost less than a GPU
monitor). Three things make a round cheap:

- one open /proc folder, and each process's ``comm`` file kept open between rounds (up to
  a share of the open-file limit), so a round is one ``pread`` per process instead of an
  open, a read and a close. A kept file follows its process: the name it reads changes
  when the process ``exec``s another program or renames itself (Wine names a process
  after its .exe), and reading it fails once the process is gone, even if its pid is
  given to a new one (which is then opened afresh);
- kernel threads are known by their flags the first time their pid is seen, and not read
  again while the pid lives: they never become a game, and they are a third to a half of
  the pids on a desktop (a kernel worker's name suffix may then be an old one);
- the kernel keeps 15 bytes of a name; as psutil does, such a name is replaced by the
  base name of the first command-line word when that word starts with it
  ("gnome-keyring-d" -> "gnome-keyring-daemon"). A kept process's name is decoded (and a
  cut one made whole) again only when its ``comm`` reads differently from the last round.

Processes that end while a round reads are skipped. One lock: rounds never overlap.
"""

from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["ProcessNames"]

COMM_LEN = 15  # TASK_COMM_LEN - 1: the bytes of a name the kernel keeps
PF_KTHREAD = 0x00200000  # /proc/PID/stat's flags: a kernel thread
KEEP_SHARE = 8  # at most 1/8 of the open-file limit goes to kept comm files
KEEP_MAX = 1024


def _keep_limit() -> int:
    """How many ``comm`` files may stay open: the API and the ledger need the rest."""
    try:
        import resource
    except ImportError:  # no such limit here
        return KEEP_MAX
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return KEEP_MAX
    return max(0, min(KEEP_MAX, int(soft) // KEEP_SHARE))


class ProcessNames:
    """Callable: the set of process names now (see the module docstring)."""

    def __init__(self, proc: str = "/proc", keep_max: int | None = None) -> None:
        self.proc = proc
        self.keep_max = keep_max  # None: decided at the first round (the worker raises
        self._lock = threading.Lock()
        self._dir: int | None = None
        self._kernel: dict[str, str] = {}  # pid -> name of a kernel thread
        self._kept: dict[str, int] = {}  # pid -> its open comm file
        self._named: dict[str, tuple[bytes, str]] = {}  # pid -> (comm as read, its name)
        self._was_named: dict[str, tuple[bytes, str]] = {}  # the same, last round

    def __call__(self) -> set[str]:
        with self._lock:
            if self._dir is None:  # the open-file limit at start-up)
                self._dir = os.open(self.proc, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            if self.keep_max is None:
                self.keep_max = _keep_limit()
            names: set[str] = set()
            kernel: dict[str, str] = {}
            old, self._kept = self._kept, {}
            self._was_named, self._named = self._named, {}
            try:
                for pid in os.listdir(self._dir):
                    if not pid.isdigit():
                        continue
                    name = self._kernel.get(pid)
                    if name is not None:
                        kernel[pid] = name
                    else:
                        name = self._user_process(pid, old.pop(pid, None), kernel)
                    if name:
                        names.add(name)
            finally:
                for fd in old.values():  # processes that ended
                    os.close(fd)
                self._kernel = kernel
            return names

    def close(self) -> None:
        """Close every kept file and the /proc folder."""
        with self._lock:
            for fd in self._kept.values():
                os.close(fd)
            self._kept = {}
            if self._dir is not None:
                os.close(self._dir)
                self._dir = None

    @property
    def kept(self) -> int:
        """How many comm files are open now (for tests)."""
        return len(self._kept)

    def _user_process(self, pid: str, fd: int | None, kernel: dict[str, str]) -> str | None:
        """The name of a pid that is not a known kernel thread (recording a new one)."""
        comm = _pread(fd) if fd is not None else None
        if fd is None or comm is None:  # a pid not seen before, or its process is gone
            if fd is not None:
                os.close(fd)
            name, is_kernel = self._first_look(pid)
            if name is None or is_kernel:
                if name is not None:
                    kernel[pid] = name
                return name
            kept = self._keep(pid)
            if kept is not None:
                self._kept[pid] = kept
            return self._whole(pid, name)
        self._kept[pid] = fd
        known = self._was_named.get(pid)
        if known is None or known[0] != comm:  # new, renamed or exec'd: decode it again
            known = (comm, self._whole(pid, os.fsdecode(comm.removesuffix(b"\n"))))
        self._named[pid] = known
        return known[1]

    def _whole(self, pid: str, name: str) -> str:
        """A name the kernel cut at 15 bytes, made whole from the command line."""
        if len(name) < COMM_LEN:
            return name
        return _long_name(name, self._read(f"{pid}/cmdline", whole=True) or b"")

    def _first_look(self, pid: str) -> tuple[str | None, bool]:
        """A new pid's name and whether it is a kernel thread, from its ``stat``."""
        stat = self._read(f"{pid}/stat")
        if not stat:
            return None, False
        close = stat.rfind(b")")
        name = os.fsdecode(stat[stat.find(b"(") + 1 : close])
        try:
            flags = int(stat[close + 2 :].split(None, 7)[6])
        except (IndexError, ValueError):
            flags = 0
        return name, bool(flags & PF_KTHREAD)

    def _keep(self, pid: str) -> int | None:
        """Open the pid's comm file to keep, while there is room for one more."""
        if len(self._kept) >= (self.keep_max or 0):
            return None
        try:
            return os.open(f"{pid}/comm", os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._dir)
        except OSError:
            return None

    def _read(self, path: str, whole: bool = False) -> bytes | None:
        """A small /proc file, opened and closed; None once the process is gone."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._dir)
        except OSError:
            return None
        try:
            data = os.read(fd, 1024)
            while whole and data and (more := os.read(fd, 65536)):
                data += more
            return data
        except OSError:
            return None
        finally:
            os.close(fd)


def _pread(fd: int) -> bytes | None:
    """What a kept comm file says now; None once its process is gone."""
    with contextlib.suppress(OSError):
        data = os.pread(fd, 64, 0)
        if data:
            return data
    return None


def _long_name(name: str, cmdline: bytes) -> str:
    """psutil's rule for a cut name: the first argument's base name, if it extends it."""
    data = os.fsdecode(cmdline)
    sep = "\x00" if data.endswith("\x00") else " "
    args = data.removesuffix(sep).split(sep)
    if sep == "\x00" and len(args) == 1 and " " in args[0]:
        args = args[0].split(" ")  # a process that rewrote its title with spaces
    extended = os.path.basename(args[0]) if args and args[0] else ""
    return extended if extended.startswith(name) else name
