"""The Windows tier: tests that run on Windows CPython (under Wine, by tests/windows/stage.py).

``test_win_*.py`` run *on Windows*: a real worker, the real CLI, the registry, the keyring,
the process list, all of Windows's own. ``test_installer.py`` runs on Linux and drives the
built installer under Wine. On a platform where a file does not belong it is not collected,
so a bare ``pytest`` on Linux does not trip over them; stage.py runs each where it belongs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if sys.platform == "win32":
    collect_ignore = ["test_installer.py"]
else:
    collect_ignore_glob = ["test_win_*.py"]

CLI_TIMEOUT_S = 60.0


def home_env(home: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RIGPILOT_HOME", None)
    if home is not None:
        env["RIGPILOT_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def rigpilot(
    home: Path | None, *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """``rigpilot ARGS`` (as ``python -m desktop``) for the installation in ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        env=home_env(home, env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def rigpilot_json(home: Path | None, *args: str, code: int = 0) -> Any:
    run = rigpilot(home, *args, "--json")
    assert run.returncode == code, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    return json.loads(run.stdout)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (OpenProcess + GetExitCodeProcess, as Windows says)."""
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = ctypes.c_void_p
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(ctypes.c_void_p(handle), ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(ctypes.c_void_p(handle))


def kill_pid(pid: int) -> None:
    """TerminateProcess: the Windows kill -9 (no handler in the process runs)."""
    subprocess.run(["taskkill", "/F", "/PID", str(pid)], capture_output=True, check=False)
    wait_for(lambda: not pid_alive(pid), 15, f"process {pid} to end")


@pytest.fixture
def home() -> Iterator[Path]:
    """A private RIGPILOT_HOME; any worker started in it is stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="rp-"))
    yield folder
    lock = folder / "run" / "worker.lock"
    if lock.exists():
        text = lock.read_text(errors="replace").strip()
        if text.isdigit() and pid_alive(int(text)):
            rigpilot(folder, "worker", "stop", timeout=30)
            if pid_alive(int(text)):
                kill_pid(int(text))


@pytest.fixture
def detached(home: Path) -> dict[str, Any]:
    """A worker started with ``rigpilot worker --detach --simulate warm`` in ``home``."""
    started = rigpilot_json(home, "worker", "--detach", "--simulate", "warm")
    assert started["running"] is True
    return {"home": home, "pid": int(started["pid"])}
