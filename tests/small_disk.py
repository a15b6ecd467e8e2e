"""A real small disk for full-disk and read-only tests: a tmpfs in a private mount namespace.

Why: "the disk is full" and "the disk is read-only" must be met for real (the errors, their
timing inside SQLite and the atomic writes), not imitated by patching ``open``. A scenario
is a Python snippet run by a child process inside ``unshare --user --map-root-user --mount``
(no privileges needed where unprivileged user namespaces are enabled, as on Debian 12 and
Ubuntu 24.04), with a tmpfs of the given size mounted on a fresh folder, ``DISK``. Inside,
``fill(DISK)`` takes the remaining space and ``remount(DISK, "ro")`` / ``"rw"`` flips the
mode. The snippet prints one JSON line, which ``run_on_small_disk`` returns decoded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

PRELUDE = '''
import json, os, subprocess, sys
from pathlib import Path
DISK = Path(sys.argv[1])

def fill(folder, name="filler"):
    """Write zeros until the disk is full; returns the filler's path."""
    path = Path(folder) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while os.write(fd, b"\\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)
    return path

def remount(folder, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)
'''


def run_on_small_disk(scenario: str, tmp: Path, size_kb: int = 512, timeout: float = 120) -> Any:
    """Run ``scenario`` on a fresh ``size_kb`` tmpfs; its last stdout line, decoded as JSON."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("a private tmpfs needs Linux and unshare (util-linux)")
    mountpoint = tmp / "disk"
    mountpoint.mkdir()
    script = tmp / "scenario.py"
    script.write_text(PRELUDE + textwrap.dedent(scenario), encoding="utf-8")
    shell = (
        f'mount -t tmpfs -o size={size_kb}k,mode=0700 tmpfs "$1" && '
        f'exec "{sys.executable}" "{script}" "$1"'
    )
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"unprivileged mount namespaces are disabled here: {probe.stderr!r}")
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", shell, "sh",
         str(mountpoint)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).parents[1],
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise AssertionError(f"scenario failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1])
