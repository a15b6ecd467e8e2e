"""`python -m desktop doctor` as a user runs it: a real subprocess, a real (private) engine.

No GPU is assumed: on the CI machine the driver check fails with its fix. On a machine
that has a GPU or the toolkit, those two assertions accept the pass they will see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from desktop.checks.engine import EngineClient
from desktop.checks.smoke import LABELS, run_container


def _doctor(docker_host: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DOCKER_HOST=docker_host, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "desktop", "doctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _checks(stdout: str) -> dict[str, dict[str, Any]]:
    report = json.loads(stdout)
    assert report["version"] == 1
    return {check["id"]: check for check in report["checks"]}


def test_missing_socket_fails_docker_with_the_exact_reason() -> None:
    folder = Path(tempfile.mkdtemp(prefix="rpd-"))
    sock = folder / "docker.sock"
    try:
        done = _doctor(f"unix://{sock}", "--json")
    finally:
        folder.rmdir()
    assert done.returncode == 1, done.stderr
    checks = _checks(done.stdout)
    engine = checks["docker.engine"]
    assert engine["status"] == "fail"
    assert engine["summary"] == f"Docker engine unreachable: no such socket: {sock}"
    assert engine["details"]["reason"] == "no_socket"
    assert f"DOCKER_HOST is set to unix://{sock}" in engine["fix"]
    for dependant in ("toolkit.runtime", "system.disk", "gpu.smoke"):
        assert checks[dependant]["status"] == "skip"
    assert json.loads(done.stdout)["ok"] is False


@pytest.mark.docker
def test_private_engine_passes_while_driver_and_toolkit_fail(docker_host: str) -> None:
    done = _doctor(docker_host, "--json")
    assert done.returncode == 1, done.stderr
    checks = _checks(done.stdout)
    engine = checks["docker.engine"]
    assert engine["status"] == "pass", engine
    assert engine["details"]["address"] == docker_host
    if shutil.which("nvidia-smi") is None:
        assert checks["driver"]["status"] == "fail"
        assert checks["driver"]["fix"]
        assert checks["cuda"]["status"] == "skip"
    if shutil.which("nvidia-ctk") is None:
        assert checks["toolkit.version"]["status"] == "fail"
        assert "install" in checks["toolkit.version"]["fix"].lower()
    assert checks["toolkit.runtime"]["status"] in ("fail", "pass")
    assert checks["gpu.smoke"]["status"] == "skip"
    assert checks["system.disk"]["status"] in ("pass", "warn")
    assert checks["system.disk"]["details"]["docker_root_dir"]


@pytest.mark.docker
def test_human_table_shows_docker_pass_and_fixes(docker_host: str) -> None:
    done = _doctor(docker_host)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "RigPilot doctor"
    assert any("PASS" in line and "Docker engine" in line for line in lines)
    assert any(line.strip().startswith("fix:") for line in lines)
    assert "\x1b[" not in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.docker
def test_container_plumbing_on_the_real_engine(docker_host: str, test_image: str) -> None:
    """The smoke test's container run, with a CPU-only image instead of a GPU."""
    engine = EngineClient.from_env({"DOCKER_HOST": docker_host})
    try:
        run = run_container(
            engine, test_image, ["sh", "-c", "echo out; echo err >&2; exit 3"], timeout_s=20
        )
        label = next(iter(LABELS.items()))
        left = engine.request(
            "GET",
            "/containers/json",
            params={"all": "1", "filters": json.dumps({"label": [f"{label[0]}={label[1]}"]})},
        )
    finally:
        engine.close()
    assert (run.exit_code, run.stdout, run.stderr) == (3, "out\n", "err\n")
    assert [c for c in left.json() if c.get("Labels", {}).get("rigpilot.doctor")] == []
