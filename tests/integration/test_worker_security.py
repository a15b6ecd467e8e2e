"""The local API refuses everyone but its own user with the token (issue 4, security)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import StartWorker, WorkerProcess

NOBODY = 65534


def raw_client(worker: WorkerProcess) -> httpx.Client:
    transport = httpx.HTTPTransport(uds=str(worker.paths.socket_file))
    return httpx.Client(transport=transport, base_url="http://localhost", timeout=10)


def token(worker: WorkerProcess) -> str:
    return worker.paths.token_file.read_text().strip()


def test_no_token_and_wrong_token_are_401(worker: WorkerProcess) -> None:
    with raw_client(worker) as http:
        missing = http.get("/v1/status")
        wrong = http.get("/v1/status", headers={"Authorization": "Bearer " + "0" * 64})
        right = http.get("/v1/status", headers={"Authorization": f"Bearer {token(worker)}"})
    assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"
    assert right.status_code == 200
    for answer in (missing, wrong, right):
        assert answer.headers["RigPilot-Protocol"] == "3"


def test_a_foreign_host_header_is_403(worker: WorkerProcess) -> None:
    headers = {"Authorization": f"Bearer {token(worker)}", "Host": "evil.example"}
    with raw_client(worker) as http:
        answer = http.get("/v1/status", headers=headers)
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden_host"


def test_a_10_mb_body_is_413(worker: WorkerProcess) -> None:
    headers = {"Authorization": f"Bearer {token(worker)}", "Content-Type": "application/json"}
    with raw_client(worker) as http:
        answer = http.post("/v1/pause", content=b" " * (10 * 1024 * 1024), headers=headers)
    assert answer.status_code == 413 and answer.json()["code"] == "body_too_large"
    assert worker.client.status().user_holds == []


def test_files_are_user_only(worker: WorkerProcess) -> None:
    paths = worker.paths
    assert stat.S_IMODE(paths.runtime_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.config_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.token_file.stat().st_mode) == 0o600
    sock = paths.socket_file.stat()
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600
    assert len(token(worker)) == 64


@pytest.fixture
def open_home() -> Iterator[Path]:
    """A RIGPILOT_HOME that another user may enter, so only RigPilot's own modes protect it
    (pytest's tmp_path sits in a root-only folder, which would prove nothing)."""
    home = Path(tempfile.mkdtemp(prefix="rp-sec-", dir="/tmp"))
    os.chmod(home, 0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def as_nobody(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("setpriv"):
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    else:
        prefix = ["runuser", "-u", "nobody", "--"]
    return subprocess.run(
        [*prefix, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "")},
    )


CONNECT = """
import os, socket, sys
home = sys.argv[1]
print("uid", os.getuid())
print("home", sorted(os.listdir(home)))  # the home itself is open to this user
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(os.path.join(home, "run", "worker.sock"))
    print("connected")
except PermissionError:
    print("permission denied")
try:
    open(os.path.join(home, "config", "api-token")).read()
    print("token read")
except PermissionError:
    print("token denied")
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_os_user_cannot_connect(start_worker: StartWorker, open_home: Path) -> None:
    worker = start_worker(home=open_home)
    run = as_nobody(CONNECT, str(open_home))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"uid {NOBODY}"
    assert "run" in lines[1]  # it could look around the home...
    assert lines[2:] == ["permission denied", "token denied"]  # ...but not in
    # Second layer: even through a traversable runtime folder the 0600 socket refuses.
    os.chmod(worker.paths.runtime_dir, 0o711)
    try:
        run = as_nobody(CONNECT, str(open_home))
    finally:
        os.chmod(worker.paths.runtime_dir, 0o700)
    assert run.stdout.splitlines()[2] == "permission denied"
    assert worker.client.status().pid == worker.pid
