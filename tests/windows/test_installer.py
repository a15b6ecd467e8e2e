"""The Windows installer, end to end under Wine: install, run, uninstall, nothing left.

Runs on Linux, driving the box of tests/windows/stage.py (RIGPILOT_WINEBOX) and the setup
file installers/build_windows.sh made (RIGPILOT_WINDOWS_SETUP): a silent per-user install,
the installed rigpilot.exe (``doctor --json``, ``worker --detach``, ``status --json``,
``worker stop``), a silent uninstall that keeps the user's data, a second install and an
uninstall with /PURGE after which nothing of RigPilot is left in the profile or registry.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers" / "windows"))
from winebox import Box, winpath  # noqa: E402

if not (os.environ.get("RIGPILOT_WINEBOX") and os.environ.get("RIGPILOT_WINDOWS_SETUP")):
    pytest.skip("run by tests/windows/stage.py (it builds the installer)", allow_module_level=True)

RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
UNINSTALL_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\RigPilot"


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    box = Box(Path(os.environ["RIGPILOT_WINEBOX"]))
    box.start_server()
    yield box


@pytest.fixture(scope="module")
def profile(box: Box) -> Path:
    users = [p for p in (box.prefix / "drive_c" / "users").iterdir() if p.name != "Public"]
    assert len(users) == 1, users
    return users[0]


def traces(box: Box, profile: Path) -> list[str]:
    """Every file, folder, registry key or value in the prefix that names RigPilot.

    The Temp folder is left out: NSIS's uninstaller runs from a copy there, which Windows
    too deletes only at the next restart.
    """
    found = []
    for path in (box.prefix / "drive_c").rglob("*"):
        relative = path.relative_to(box.prefix / "drive_c").as_posix()
        if "rigpilot" in path.name.lower() and "/Temp/" not in f"/{relative}/":
            found.append(relative)
    # The live registry (Wine writes user.reg to disk only now and then): HKCU exported.
    export = box.root / "hkcu-export.reg"
    box.run(["reg", "export", "HKCU", winpath(export), "/y"])
    for line in export.read_bytes().decode("utf-16", errors="replace").splitlines():
        if "rigpilot" in line.lower():
            found.append(f"HKCU: {line.strip()[:120]}")
    return sorted(found)


def run_installed(
    box: Box, install: Path, *args: str, exe: str = "rigpilot.exe"
) -> tuple[int, str]:
    done = box.run([str(install / exe), *args], check=False, timeout=120)
    return done.returncode, done.stdout + done.stderr


def wait_gone(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while path.exists():
        assert time.monotonic() < deadline, f"{path} is still there"
        time.sleep(0.5)


def test_install_run_uninstall_and_nothing_is_left(box: Box, profile: Path) -> None:
    setup = Path(os.environ["RIGPILOT_WINDOWS_SETUP"]).resolve()
    assert traces(box, profile) == []
    box.run([str(setup), "/S"], timeout=300)

    install = profile / "AppData" / "Local" / "Programs" / "RigPilot"
    assert (install / "rigpilot.exe").is_file() and (install / "rigpilot-cli.exe").is_file()
    assert (install / "uninstall.exe").is_file()
    menu = profile / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    assert (menu / "RigPilot.lnk").is_file()
    run_value = box.run(["reg", "query", RUN_KEY, "/v", "RigPilot"]).stdout
    assert "rigpilot.exe\" --minimized" in run_value and "AppData\\Local\\Programs" in run_value
    assert "0.1" in box.run(["reg", "query", UNINSTALL_KEY, "/v", "DisplayVersion"]).stdout

    code, out = run_installed(box, install, "doctor", "--json")
    assert code == 1, out  # not ready: no NVIDIA driver, no Docker Desktop under Wine
    report = json.loads(out[out.index("{") :])
    checks = {check["id"]: check for check in report["checks"]}
    assert "nvml.dll" in checks["driver"]["summary"]
    assert "Docker Desktop" in checks["docker.engine"]["fix"], checks["docker.engine"]

    code, out = run_installed(box, install, "worker", "--detach", "--simulate", "warm", "--json")
    assert code == 0, out
    pid = json.loads(out[out.index("{") :])["pid"]
    code, out = run_installed(box, install, "status", "--json", exe="rigpilot-cli.exe")
    assert code == 0, out
    status = json.loads(out[out.index("{") :])
    assert status["pid"] == pid and status["mode"] == "simulated"
    data = profile / "AppData" / "Local" / "RigPilot"
    assert (data / "api-token").is_file() and (data / "ledger.sqlite").is_file()
    code, out = run_installed(box, install, "worker", "stop", exe="rigpilot-cli.exe")
    assert code == 0 and f"stopped (pid {pid})" in out, out

    box.run([str(install / "uninstall.exe"), "/S"])
    wait_gone(install)
    left = traces(box, profile)
    assert left and all(t.startswith(f"users/{profile.name}/AppData/Local/RigPilot") for t in left)

    box.run([str(setup), "/S", "/NOAUTOSTART"], timeout=300)
    assert box.run(["reg", "query", RUN_KEY, "/v", "RigPilot"], check=False).returncode != 0
    assert (data / "ledger.sqlite").is_file()  # a reinstall finds the user's ledger
    box.run([str(install / "uninstall.exe"), "/S", "/PURGE"])
    wait_gone(install)
    wait_gone(data)
    assert traces(box, profile) == []
