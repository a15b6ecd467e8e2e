"""On Windows: the game guard's process list, autostart in the registry, the token's ACL,
the keyring's Credential Manager backend, and the doctor's Windows findings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop import autostart
from desktop.guard.activity import ActivityGuard, ActivityObservation, ActivityPolicy
from desktop.guard.activity_probe import probe_processes
from desktop.ipc.auth import load_or_create_token
from desktop.ipc.win_acl import current_user_sid, dacl_sddl
from desktop.model import GuardAction
from desktop.secrets import SecretStore
from tests.windows.conftest import rigpilot_json

RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"


def test_a_game_started_under_windows_is_seen_and_stops_work(tmp_path: Path) -> None:
    """A program from the games list (the user's own additions: a name no Linux worker on
    this machine knows, so the tests running beside this stage are not paused by it):
    Windows's own ping.exe, copied under that name."""
    name = "rigpilot-test-game.exe"
    game = tmp_path / name
    shutil.copy(Path(os.environ["SYSTEMROOT"]) / "System32" / "ping.exe", game)
    proc = subprocess.Popen([str(game), "-n", "60", "127.0.0.1"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    policy = ActivityPolicy(extra_game_names=frozenset({"rigpilot-test-game"}))
    try:
        deadline = time.monotonic() + 10
        while name not in (names := probe_processes()):
            assert time.monotonic() < deadline, f"{name} not among {sorted(names)}"
            time.sleep(0.1)
        guard = ActivityGuard(policy)
        decision = guard.observe(ActivityObservation(frozenset(names)), 0)
        assert decision.action is GuardAction.STOP and f"{name} is running" in decision.reason
    finally:
        proc.kill()
        proc.wait()
    later = guard.observe(ActivityObservation(frozenset(probe_processes())), 1)
    assert name not in probe_processes() and later.action is GuardAction.STOP  # quiet period


def _reg_query(value: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["reg", "query", RUN_KEY, "/v", value],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_autostart_writes_and_removes_the_run_value_reg_query_sees() -> None:
    command = [r"C:\Program Files\RigPilot Test\rigpilot.exe", "--minimized"]
    entry = autostart.WindowsRunKey(command)
    entry.disable()
    assert not entry.is_enabled() and _reg_query(autostart.RUN_VALUE).returncode != 0
    try:
        assert autostart.apply_setting(True, entry) is True
        shown = _reg_query(autostart.RUN_VALUE)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert '"C:\\Program Files\\RigPilot Test\\rigpilot.exe" --minimized' in shown.stdout
        assert "REG_SZ" in shown.stdout and entry.is_enabled()
        assert autostart.apply_setting(True, entry) is False  # already right: left alone
    finally:
        entry.disable()
    assert not entry.is_enabled() and _reg_query(autostart.RUN_VALUE).returncode != 0


def test_the_api_token_is_readable_by_this_user_only(tmp_path: Path) -> None:
    token_file = tmp_path / "config" / "api-token"
    load_or_create_token(token_file)
    sddl = dacl_sddl(token_file)
    granted = {ace.split(";")[-1]: ace.split(";")[2]
               for ace in re.findall(r"\(([^)]*)\)", sddl) if ace.startswith("A;")}  # fmt: skip
    me = current_user_sid()
    # Windows keeps exactly "D:P(A;;FA;;;<me>)". Wine keeps the effect (the Unix mode of the
    # file becomes 0600) and shows it back with SYSTEM added; nobody else may appear.
    assert granted.get(me) == "FA" and set(granted) <= {me, "SY"}, sddl
    assert "WD" not in granted and "BU" not in granted and "AU" not in granted


def test_secrets_go_to_the_windows_credential_manager() -> None:
    from keyring.backends.Windows import WinVaultKeyring

    assert WinVaultKeyring.priority > 0  # viable here: keyring would pick it on its own
    # The backend is named explicitly: the unit tests in this process swap keyring's.
    store = SecretStore(f"rigpilot-test-{uuid.uuid4().hex[:8]}", backend=WinVaultKeyring())
    assert store.problem() is None
    store.set("practice", "api_key", "s3cret-value")
    try:
        assert store.get("practice", "api_key") == "s3cret-value"
        # Wine has no cmdkey.exe; where Windows has one, the entry must be listed there.
        if cmdkey := shutil.which("cmdkey"):
            listed = subprocess.run([cmdkey, "/list"], capture_output=True, text=True, check=False)
            assert store.service in listed.stdout
    finally:
        store.delete("practice", "api_key")
    assert store.get("practice", "api_key") is None


@pytest.fixture
def doctor() -> dict[str, Any]:
    report = rigpilot_json(None, "doctor", code=1)
    return {check["id"]: check for check in report["checks"]}


def test_the_doctor_sends_a_driverless_pc_to_nvidia_com(doctor: dict[str, Any]) -> None:
    driver = doctor["driver"]
    assert driver["status"] == "fail" and "nvml.dll" in driver["summary"]
    assert "https://www.nvidia.com/Download/index.aspx" in driver["fix"]


def test_the_doctor_asks_for_docker_desktop_with_wsl2(doctor: dict[str, Any]) -> None:
    engine = doctor["docker.engine"]
    assert engine["status"] == "fail"
    assert "\\\\.\\pipe\\docker_engine" in engine["summary"]
    assert "Docker Desktop" in engine["fix"] and "`wsl --install`" in engine["fix"]
    assert doctor["toolkit.version"]["status"] == "pass"  # nothing to install on Windows
    assert doctor["system.os"]["details"]["system"] == "Windows"
