"""Golem's yagna and ya-provider as real processes, with stand-in executables.

``tests/stand_ins/yagna`` serves the recorded REST shapes (tests/data/golem/) and answers
only to its app key; ``tests/stand_ins/ya-provider`` checks that key against yagna before
it "offers on the market". The adapter starts, suspends, resumes and stops them as the
GamerHash facade does; every check is made from outside, in the process table (psutil)
and in the files the stand-ins write. Each test has its own port and data folders.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop.model import Money, NodeState
from desktop.networks.base import NetworkError
from desktop.networks.golem import SPEC, GolemAdapter
from desktop.networks.spec import AdapterContext

if not sys.platform.startswith("linux"):
    pytest.skip("Golem's provider is Linux only", allow_module_level=True)

STAND_INS = Path(__file__).resolve().parents[1] / "stand_ins"
YAGNA = STAND_INS / "yagna"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes(fragment: str) -> list[psutil.Process]:
    """Processes whose command line runs ``fragment`` (the process table, from outside)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(fragment in part for part in cmdline[:3]):  # [/usr/bin/env] python3 script
            found.append(proc)
    return found


@pytest.fixture
def golem(tmp_path: Path) -> Iterator[Callable[..., GolemAdapter]]:
    built: list[GolemAdapter] = []
    port = free_port()

    def make(**env: str) -> GolemAdapter:
        ctx = AdapterContext(
            env={
                **os.environ,
                "RIGPILOT_GOLEM_YAGNA_API": f"http://127.0.0.1:{port}",
                "RIGPILOT_GOLEM_STATS": "http://127.0.0.1:9",
                "YAGNA_DATADIR": str(tmp_path / "yagna"),
                "DATA_DIR": str(tmp_path / "provider"),
                **env,
            },
            data_dir=tmp_path,
        )
        adapter = SPEC.build(ctx)
        assert isinstance(adapter, GolemAdapter)
        adapter.start_timeout_s = 20.0
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        adapter.stop(False, 0.0)


def enrolled(adapter: GolemAdapter, **creds: str) -> GolemAdapter:
    assert adapter.enroll({"yagna": str(YAGNA), **creds}) is None
    return adapter


def ours(tmp_path: Path, name: str) -> list[psutil.Process]:
    """The stand-in processes of this test (its data folder is in their environment)."""
    mine = []
    for proc in processes(f"stand_ins/{name}"):
        try:
            if str(tmp_path) in " ".join(f"{k}={v}" for k, v in proc.environ().items()):
                mine.append(proc)
        except psutil.Error:
            continue
    return mine


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)
    return result


def test_start_runs_yagna_then_the_provider_with_the_documented_arguments(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem(), node_name="rig-01", payout_address="0x" + "ab" * 20)
    adapter.start()
    (yagna,) = ours(tmp_path, "yagna")
    (provider,) = wait_for(lambda: ours(tmp_path, "ya-provider"))
    assert yagna.cmdline()[-2:] == ["service", "run"]
    assert provider.cmdline()[-3:] == ["run", "--payment-network", "polygon"]
    assert yagna.environ()["YAGNA_AUTOCONF_APPKEY"] == provider.environ()["YAGNA_APPKEY"]
    config = (tmp_path / "provider" / "config.json").read_text()
    assert '"node-name": "rig-01"' in config and '"account": "0xabab' in config
    status = adapter.status()
    assert status.state is NodeState.IDLE
    assert status.node_id == "0x7e5c0bd1b8cbb0ad6b3b1d3c4c2c8f3e0a9f1b2c"


def test_suspend_stops_only_the_provider_and_resume_starts_it_again(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem())
    adapter.start()
    (yagna,) = ours(tmp_path, "yagna")
    (provider,) = wait_for(lambda: ours(tmp_path, "ya-provider"))
    adapter.pause()
    assert not provider.is_running() and ours(tmp_path, "ya-provider") == []
    assert yagna.is_running() and ours(tmp_path, "yagna") == [yagna]  # the same yagna
    assert adapter.status().state is NodeState.PAUSED
    adapter.resume()
    (again,) = wait_for(lambda: ours(tmp_path, "ya-provider"))
    assert again.pid != provider.pid and ours(tmp_path, "yagna") == [yagna]
    assert adapter.status().state is NodeState.IDLE


def test_a_computing_node_is_busy_and_reports_its_paid_invoices_in_glm(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem())
    adapter.start()
    (tmp_path / "yagna" / "scenario").write_text("computing")
    assert adapter.status().state is NodeState.BUSY
    jobs = {job.job_id[:8]: job for job in adapter.jobs()}
    assert jobs["0a1b2c3d"].earned == Money(Decimal("0.125"), "GLM")
    assert jobs["6e2a5a1c"].earned is None and jobs["6e2a5a1c"].state == "ISSUED"
    summary = adapter.earnings()
    assert summary.earned == [Money(Decimal("0.125"), "GLM")]
    assert [str(m.amount) for m in summary.pending] == ["0.05"]
    stopping = threading.Thread(target=adapter.stop, args=(True, 1.5))  # waits for the
    stopping.start()  # activity (at most 1.5 s), then stops both
    time.sleep(0.5)
    assert ours(tmp_path, "ya-provider"), "the provider was stopped before the activity's wait"
    stopping.join(30)
    assert not stopping.is_alive()
    assert ours(tmp_path, "yagna") == [] and ours(tmp_path, "ya-provider") == []
    assert adapter.status().state is NodeState.OFFLINE


def test_a_crashed_provider_is_an_error_with_its_last_words(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem(FAKE_PROVIDER_MODE="crash"))
    adapter.start()
    adapter._started_at = None  # long after the start: no grace
    status = wait_for(lambda: (s := adapter.status()).state is NodeState.ERROR and s, timeout=10.0)
    assert "exited with code 7" in status.message and "fatal error" in status.message


def test_a_provider_deaf_to_ctrl_c_is_killed_after_the_wait(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem(FAKE_PROVIDER_MODE="deaf"))
    adapter.start()
    wait_for(lambda: (tmp_path / "provider" / "provider-run.json").exists())  # it listens
    stopping = threading.Thread(target=adapter.stop, args=(False, 1.0))
    stopping.start()
    time.sleep(0.5)  # Ctrl+C is sent and ignored; the kill comes after the 1 s wait
    assert ours(tmp_path, "ya-provider"), "killed before the wait it was given"
    stopping.join(8)  # then it is killed, not left to Golem's own 30 s
    assert not stopping.is_alive()
    assert ours(tmp_path, "ya-provider") == [] and ours(tmp_path, "yagna") == []


def test_a_worker_that_starts_again_adopts_the_running_programs(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    first = enrolled(golem())
    first.start()

    def both_running() -> set[int]:  # each seen once, not only the first to show up
        yagna, provider = ours(tmp_path, "yagna"), ours(tmp_path, "ya-provider")
        return {p.pid for p in yagna + provider} if yagna and provider else set()

    pids = wait_for(both_running)
    again = enrolled(golem())  # a new worker: a new adapter, the same data folder
    again.start()
    assert {p.pid for p in ours(tmp_path, "yagna") + ours(tmp_path, "ya-provider")} == pids
    assert again.status().state is NodeState.IDLE  # it found yagna's key again
    again.stop(False, 5.0)
    assert ours(tmp_path, "yagna") == [] and ours(tmp_path, "ya-provider") == []


def test_a_yagna_it_did_not_start_is_left_alone(
    golem: Callable[..., GolemAdapter], tmp_path: Path
) -> None:
    adapter = enrolled(golem())
    url = adapter.api.http.base_url
    env = {**os.environ, "YAGNA_API_URL": url, "YAGNA_DATADIR": str(tmp_path / "users")}
    users = subprocess.Popen([str(YAGNA), "service", "run"], env=env)
    try:
        wait_for(lambda: (tmp_path / "users" / "service.pid").exists())
        with pytest.raises(NetworkError, match="golemsp stop"):
            adapter.start()
        assert users.poll() is None  # still running: RigPilot never touched it
    finally:
        users.terminate()
        try:
            users.wait(10)
        except subprocess.TimeoutExpired:  # never leave it behind
            users.kill()
            users.wait(10)


def test_the_binaries_must_be_golems_own_install(tmp_path: Path) -> None:
    from desktop.networks.base import EnrollmentError

    adapter = GolemAdapter(state_dir=tmp_path)
    (tmp_path / "yagna").write_text("#!/bin/sh\n")
    (tmp_path / "yagna").chmod(0o755)  # but no ya-provider beside it
    for creds, field, words in (
        ({"yagna": str(tmp_path / "nothing")}, "yagna", "install Golem"),
        ({"yagna": str(tmp_path / "yagna")}, "yagna", "ya-provider was not found"),
        ({"yagna": str(YAGNA), "payment_network": "goerli"}, "payment_network", "mainnet"),
        ({"yagna": str(YAGNA), "payout_address": "0x12"}, "payout_address", "40 hexadecimal"),
    ):
        with pytest.raises(EnrollmentError, match=words) as info:
            adapter.enroll(creds)
        assert info.value.field == field
