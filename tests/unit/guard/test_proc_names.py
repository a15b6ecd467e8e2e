"""proc_names: psutil's process names from /proc, kept files, kernel threads read once.

A made-up /proc tree shows the bookkeeping (what is read again and what is not); real
processes show that a kept file follows an exec and a rename, and that the names are
psutil's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from desktop.guard.proc_names import PF_KTHREAD, ProcessNames

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def _stat(pid: int, name: str, flags: int) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags ...
    return f"{pid} ({name}) S 2 0 0 0 -1 {flags} 0 0 0 0 0 0\n"


def _process(proc: Path, pid: int, name: str, *, kernel: bool = False, argv: str = "") -> None:
    folder = proc / str(pid)
    folder.mkdir(exist_ok=True)
    (folder / "stat").write_text(_stat(pid, name, PF_KTHREAD if kernel else 0x400000))
    (folder / "comm").write_text(name + "\n")
    (folder / "cmdline").write_bytes(argv.encode())


def _rename(proc: Path, pid: int, name: str, *, kernel: bool = False) -> None:
    """As the kernel does at an exec or a rename: ``comm`` and ``stat`` say the new name."""
    (proc / str(pid) / "stat").write_text(_stat(pid, name, PF_KTHREAD if kernel else 0x400000))
    (proc / str(pid) / "comm").write_text(name + "\n")


def test_names_kept_files_and_kernel_threads_in_a_made_up_proc(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "self").mkdir()  # not a pid
    _process(proc, 2, "kthreadd", kernel=True)
    _process(proc, 40, "kworker/0:1-events", kernel=True)
    _process(proc, 100, "bash", argv="/bin/bash\0")
    _process(proc, 101, "gnome-keyring-d", argv="/usr/bin/gnome-keyring-daemon\0--start\0")
    _process(proc, 102, "FortniteClient-", argv="Z:\\games\\FortniteClient-Win64.exe\0")
    names = ProcessNames(str(proc))
    assert names() == {
        "kthreadd", "kworker/0:1-events", "bash", "gnome-keyring-daemon", "FortniteClient-",
    }  # fmt: skip
    assert names.kept == 3  # one comm file per process that is not a kernel thread

    # A kernel thread is not read again; a process is, through its kept file (an exec, or
    # Wine naming the process after its .exe, changes the name in place).
    _rename(proc, 40, "kworker/0:1-mm_percpu_wq", kernel=True)
    _rename(proc, 100, "cs2")
    assert names() >= {"kworker/0:1-events", "cs2"} and "bash" not in names()

    # A process that ended takes its kept file with it; a pid that comes back is new.
    shutil.rmtree(proc / "100")
    shutil.rmtree(proc / "40")
    assert "cs2" not in names() and names.kept == 2
    _process(proc, 40, "steam", argv="steam\0")
    assert "steam" in names() and names.kept == 3

    # A kept file that no longer answers (its pid now another process's) is opened anew.
    (proc / "101" / "comm").write_text("")
    (proc / "101" / "stat").write_text(_stat(101, "witcher3", 0))
    assert "witcher3" in names() and "gnome-keyring-daemon" not in names()
    names.close()
    assert names.kept == 0


def test_a_name_is_worked_out_again_only_when_its_comm_changes(tmp_path: Path) -> None:
    """A round decodes only what changed: a cut name's command line is read once while the
    process keeps its name (the guard asks every 2 s all day), and again after a rename."""
    proc = tmp_path / "proc"
    proc.mkdir()
    _process(proc, 101, "gnome-keyring-d", argv="/usr/bin/gnome-keyring-daemon\0--start\0")
    names = ProcessNames(str(proc))
    reads: list[str] = []
    read = names._read
    names._read = lambda path, whole=False: reads.append(path) or read(path, whole)  # type: ignore[method-assign]
    for _ in range(3):
        assert names() == {"gnome-keyring-daemon"}
    assert reads.count("101/cmdline") == 2  # its first look (no kept file yet), its first pread
    (proc / "101" / "cmdline").write_bytes(b"/usr/bin/gnome-keyring-daemonX\0")
    assert names() == {"gnome-keyring-daemon"}  # same comm: the name worked out before
    _rename(proc, 101, "gnome-keyring-X")
    (proc / "101" / "cmdline").write_bytes(b"/usr/bin/gnome-keyring-Xtra\0")
    assert names() == {"gnome-keyring-Xtra"} and reads.count("101/cmdline") == 3
    names.close()


def test_no_file_is_kept_beyond_the_share_of_the_open_file_limit(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    for pid in range(300, 310):
        _process(proc, pid, f"p{pid}")
    names = ProcessNames(str(proc), keep_max=4)
    assert names() == {f"p{pid}" for pid in range(300, 310)}
    assert names.kept == 4
    _rename(proc, 309, "renamed")  # read each round, kept or not
    assert "renamed" in names()
    names.close()


def test_the_names_are_psutils_for_real_processes(tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    if sleep is None:
        pytest.skip("no sleep binary")
    long_named = tmp_path / "rigpilot-probe-long-name"  # longer than the kernel keeps
    shutil.copy(sleep, long_named)
    child = subprocess.Popen([str(long_named), "60"])
    names = ProcessNames()
    try:
        seen = names()
        ours = psutil.Process()
        assert ours.name() in seen
        assert psutil.Process(child.pid).name() == "rigpilot-probe-long-name"
        assert "rigpilot-probe-long-name" in seen
    finally:
        child.kill()
        child.wait(timeout=5)
        names.close()


def test_a_kept_file_follows_an_exec_and_a_rename(tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    if sleep is None:
        pytest.skip("no sleep binary")
    program = tmp_path / "rp-execd"  # after an exec, the kernel names it after the file
    shutil.copy(sleep, program)
    script = (
        "import os, sys\n"
        "sys.stdin.readline()\n"
        "open('/proc/self/comm', 'w').write('rp-renamed')\n"
        "print('renamed', flush=True)\n"
        "sys.stdin.readline()\n"
        f"os.execv({str(program)!r}, ['rp-execd', '60'])\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    names = ProcessNames()
    try:
        names()  # the child's comm file is kept from now on
        child.stdin.write("rename\n")
        child.stdin.flush()
        assert child.stdout.readline() == "renamed\n"
        assert "rp-renamed" in names()
        child.stdin.write("exec\n")
        child.stdin.flush()
        deadline = time.monotonic() + 10  # a time-out, not a measurement
        while "rp-execd" not in (found := names()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "rp-execd" in found and "rp-renamed" not in found
    finally:
        child.kill()
        child.wait(timeout=5)
        child.stdin.close()
        child.stdout.close()
        names.close()
