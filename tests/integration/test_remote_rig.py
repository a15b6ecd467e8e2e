"""A rig reached through a real SSH tunnel: ``rigpilot --rig user@localhost`` against a
second worker in another home, behind Debian's sshd started by tests/services.sh.

What a person meets is checked by the words: the remote worker's status, a pause that the
remote worker itself reports, and each failure (unknown host key, no RigPilot, no worker,
no SSH server, a tunnel killed mid-session) with the fix it names.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc.client import WorkerNotRunning, WorkerUnreachable
from desktop.ipc.remote import rig_client
from desktop.ipc.schema import PauseScope
from tests.conftest import missing_service
from tests.integration.conftest import StartWorker, WorkerProcess, run_cli
from tests.ssh_rig import address, bare_address, ssh_command, ssh_config


@pytest.fixture
def rig_home() -> Iterator[Path]:
    import shutil

    home = Path(tempfile.mkdtemp(prefix="rp-rig-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def rig(start_worker: StartWorker, rig_home: Path) -> WorkerProcess:
    """The second rig's worker (simulated warm GPU), in its own home."""
    if ssh_config() is None:
        missing_service("the test OpenSSH server (RIGPILOT_TEST_SSH_CONFIG)")
    return start_worker("--simulate", "warm", home=rig_home)


@pytest.fixture
def here(rigpilot_home: Path) -> Path:
    """This computer's home: no worker runs in it, so an answer can only be the rig's."""
    return rigpilot_home


def cli(here: Path, rig_home: Path, *args: str, extra: str = "") -> Any:
    command = ssh_command(rig_home, extra=extra)
    return run_cli(here, *args, env={"RIGPILOT_SSH_COMMAND": command})


def test_status_through_the_tunnel_is_the_rigs(here: Path, rig: WorkerProcess) -> None:
    result = cli(here, rig.home, "status", "--rig", address(), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pid"] == rig.pid
    text = cli(here, rig.home, "--rig", address(), "status")
    assert text.returncode == 0, text.stderr
    assert f"pid {rig.pid}" in text.stdout and "Simulated RTX 3080" in text.stdout
    assert not list((here / "run" / "rigs").glob("*.sock")), "the tunnel's socket stays behind"


def test_pause_through_the_tunnel_pauses_the_rig(here: Path, rig: WorkerProcess) -> None:
    paused = cli(here, rig.home, "pause", "--rig", address(), "--reason", "remote test")
    assert paused.returncode == 0, paused.stderr
    holds = rig.client.status().user_holds  # the rig's own worker, on its own socket
    assert [h.scope for h in holds] == [PauseScope.ALL]
    assert "remote test" in holds[0].reason
    resumed = cli(here, rig.home, "resume", "--rig", address())
    assert resumed.returncode == 0, resumed.stderr
    assert rig.client.status().user_holds == []


def test_a_rig_whose_worker_is_stopped_says_how_to_start_it(here: Path, rig_home: Path) -> None:
    if ssh_config() is None:
        missing_service("the test OpenSSH server (RIGPILOT_TEST_SSH_CONFIG)")
    result = cli(here, rig_home, "status", "--rig", address())
    assert result.returncode == 3
    assert f"not running on {address()}" in result.stderr
    assert f"ssh {address()} rigpilot worker --detach" in result.stderr


def test_a_rig_without_rigpilot_says_so(here: Path, rig_home: Path) -> None:
    if ssh_config() is None:
        missing_service("the test OpenSSH server (RIGPILOT_TEST_SSH_CONFIG)")
    result = cli(here, rig_home, "status", "--rig", bare_address())
    assert result.returncode == 1
    assert f"RigPilot is not installed on {bare_address()}" in result.stderr


def test_an_unknown_host_key_is_never_accepted(here: Path, rig: WorkerProcess) -> None:
    blank = here / "known_hosts"
    blank.write_text("")
    extra = f"-o UserKnownHostsFile={blank}"
    result = cli(here, rig.home, "status", "--rig", address(), extra=extra)
    assert result.returncode == 1
    assert "host key of" in result.stderr and "is not known yet" in result.stderr
    assert f"run `ssh {address()}` once in a terminal" in result.stderr
    assert blank.read_text() == "", "the host key was added without the user"


def test_no_ssh_server_is_a_clear_failure(here: Path, rig_home: Path) -> None:
    if ssh_config() is None:
        missing_service("the test OpenSSH server (RIGPILOT_TEST_SSH_CONFIG)")
    result = cli(here, rig_home, "status", "--rig", address(), extra="-p 1")
    assert result.returncode == 1
    assert "refused the connection: is its SSH server running?" in result.stderr


def test_a_tunnel_that_dies_is_reported_lost_then_reopened(
    here: Path, rig: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGPILOT_SSH_COMMAND", ssh_command(rig.home))
    with rig_client(address()) as client:
        assert client.status().pid == rig.pid
        tunnel = client.route._tunnel  # type: ignore[attr-defined]
        tunnel._process.kill()  # ssh dies, as when the network drops
        tunnel._process.wait()
        with pytest.raises(WorkerUnreachable, match="lost the SSH connection to"):
            client.status()
        assert client.status().pid == rig.pid  # the next call opens a new tunnel


def test_a_rig_worker_that_stops_mid_session_says_so(
    here: Path, rig: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGPILOT_SSH_COMMAND", ssh_command(rig.home))
    with rig_client(address()) as client:
        assert client.status().pid == rig.pid
        rig.stop()
        with pytest.raises(WorkerNotRunning, match=f"not running on {address()}"):
            client.status()
        with pytest.raises(WorkerNotRunning, match="rigpilot worker --detach"):
            client.status()  # asked again over SSH: the rig says its worker is not running
