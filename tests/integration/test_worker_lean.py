"""A worker with no network enrolled, no job and no Docker loads none of what only those
need (issue 18: the worker must cost less than a GPU monitor, all day).

Every library below is imported where it is used (a network's client, the job runner,
the keyring, the exporter) rather than with its module, and the worker's command line
builds only its own parser. Each would add megabytes and tenths of a second of start-up
to every worker on every gaming PC; this test keeps a new import at a module's top from
bringing one back unnoticed. tests/perf/monitors_perf.py has the figures.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from desktop.ipc.client import WorkerClient
from tests.integration.conftest import WorkerProcess, home_paths, wait_for_api, worker_env

HERE = Path(__file__).resolve().parent
NO_DOCKER = "unix:///nonexistent/rigpilot-no-docker.sock"
ANSWER_TIMEOUT_S = 20.0

# Top-level packages (and RigPilot modules) an idle worker must not load, and who needs each.
NOT_LOADED = {
    "docker": "the job runner and network agents, once an engine answers",
    "requests": "the Docker SDK",
    "httpx": "network clients and alert delivery, at their first call",
    "rich": "httpx's command line",
    "keyring": "the keyring, at the first secret read or written",
    "secretstorage": "the keyring's Secret Service backend",
    "cryptography": "Nosana's key file, and the Secret Service",
    "prometheus_client": "the exporter, once metrics.listen is set",
    "http.server": "the exporter's server, once metrics.listen is set",
    "starlette": "nothing: the API has its own router (desktop/ipc/asgi.py)",
    "uvicorn": "nothing: the API has its own server over h11 (desktop/ipc/http_connection.py)",
    "click": "nothing: the command line is argparse's",
    "multiprocessing": "nothing: the worker's helpers are threads and subprocesses",
    "psutil": "the names of other programs on a GPU (NVML), and the RAM on Windows",
    "desktop.checks": "rigpilot doctor",
    "desktop.ipc.client": "the command line's other commands",
    "desktop.jobs.docker_runner": "the Docker runner",
    "desktop.cli.status": "rigpilot status and the other commands",
    "desktop.ui": "the app",
}
# Modules inside a package above that every worker may load, and why they cost nothing.
CHEAP = {
    "desktop.checks": "the package itself is a docstring",
    "desktop.checks.link_needs": "a network's link needs (one stdlib dataclass), in each SPEC",
}


def loaded_modules(tmp_path: Path, *worker_args: str, asked_status: bool = True) -> set[str]:
    """The modules of a real worker once it is ready: after it has answered status (asked
    by the test), or, with ``asked_status=False``, before any client has asked it anything."""
    home = tmp_path / "home"
    ask, answer = tmp_path / "ask", tmp_path / "modules.txt"
    env = worker_env(home, {"DOCKER_HOST": NO_DOCKER})  # a machine with no Docker
    console = open(tmp_path / "console.out", "ab")  # noqa: SIM115 - kept for the child
    try:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "worker_modules_probe.py"), str(ask), str(answer),
             *worker_args, "--foreground"],
            env=env, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
        )  # fmt: skip
    finally:
        console.close()
    worker = WorkerProcess(process, home, WorkerClient(home_paths(home)), env)
    try:
        if not asked_status:
            wait_for_log(worker, "worker ready")
            ask.touch()
            wait_for_answer(worker, answer)  # before status asks about every network
        status = wait_for_api(worker)
        assert not any(n.enrolled for n in status.networks), status.networks
        ask.touch()
        wait_for_answer(worker, answer)
        return set(answer.read_text().split())
    finally:
        worker.stop()


def wait_for_answer(worker: WorkerProcess, answer: Path) -> None:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S  # a time-out, not a measurement
    while not answer.exists():
        assert worker.alive() and time.monotonic() < deadline, worker.output()
        time.sleep(0.05)


def wait_for_log(worker: WorkerProcess, line: str) -> None:
    log = worker.paths.log_dir / "worker.log"
    deadline = time.monotonic() + ANSWER_TIMEOUT_S  # a time-out, not a measurement
    while not (log.exists() and line in log.read_text(errors="replace")):
        assert worker.alive() and time.monotonic() < deadline, worker.output()
        time.sleep(0.05)


def heavy(modules: set[str]) -> dict[str, str]:
    """Which of NOT_LOADED are loaded, each with who should be the one to load it."""
    return {
        name: why
        for name, why in NOT_LOADED.items()
        if any(m == name or m.startswith(name + ".") for m in modules - CHEAP.keys())
    }


def test_an_idle_worker_loads_no_network_client_docker_keyring_or_exporter(
    tmp_path: Path,
) -> None:
    modules = loaded_modules(tmp_path, "--simulate", "warm")
    assert "desktop.worker.main" in modules and "desktop.networks.nosana" in modules
    assert heavy(modules) == {}, (
        "an idle worker imported these; import them where they are used instead"
    )


def test_no_network_adapter_is_loaded_until_a_network_is_used(tmp_path: Path) -> None:
    """Every network's declaration is read at start (desktop/networks/*_spec.py); its
    adapter's code loads when a client first asks about it (desktop/networks/registry.py)."""
    modules = loaded_modules(tmp_path, "--simulate", "warm", asked_status=False)
    assert "desktop.networks.nosana_spec" in modules and "desktop.networks.registry" in modules
    adapters = ("demo", "nosana", "ionet", "golem", "golem_gpu", "clore", "vast", "akash")
    assert {f"desktop.networks.{n}" for n in adapters} & modules == set()
