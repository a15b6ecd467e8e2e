"""How long `rigpilot doctor` takes, as a user sees it (interpreter start included).

Three runs each, the median kept:
- with the engine at DOCKER_HOST (when set and reachable): target under 3 s;
- with DOCKER_HOST pointing at a missing socket: fails fast;
- with DOCKER_HOST pointing at a socket that accepts but never answers (a hung engine):
  the unreachable engine may cost at most its 1 s timeout over the missing-socket run.
  This one is timed in-process (the checks only), so interpreter start-up noise on a busy
  machine does not blur a difference of about one second.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3


def _time_doctor(docker_host: str) -> float:
    env = dict(os.environ, DOCKER_HOST=docker_host, NO_COLOR="1")
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "desktop", "doctor", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _time_checks(docker_host: str) -> float:
    from desktop.checks.context import DoctorContext
    from desktop.checks.runner import run_checks

    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run_checks(DoctorContext(dict(os.environ, DOCKER_HOST=docker_host), smoke=False))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _reachable(docker_host: str) -> bool:
    if not docker_host.startswith("unix://"):
        return False
    probe = socket.socket(socket.AF_UNIX)
    probe.settimeout(1.0)
    try:
        probe.connect(docker_host[len("unix://") :])
        return True
    except OSError:
        return False
    finally:
        probe.close()


def measure() -> dict[str, dict[str, float | str]]:
    """The doctor's wall time in the three situations above, in seconds."""
    figures: dict[str, dict[str, float | str]] = {}
    host = os.environ.get("DOCKER_HOST", "")
    if _reachable(host):
        figures["doctor_docker_reachable_s"] = {
            "value": round(_time_doctor(host), 3),
            "unit": "s",
            "target": "< 3 s",
        }
    folder = Path(tempfile.mkdtemp(prefix="rpp-"))
    missing = folder / "missing.sock"
    hung_path = folder / "hung.sock"
    hung = socket.socket(socket.AF_UNIX)
    try:
        missing_s = _time_doctor(f"unix://{missing}")
        hung.bind(str(hung_path))
        hung.listen(16)  # accepts connections, never answers
        hung_extra_s = _time_checks(f"unix://{hung_path}") - _time_checks(f"unix://{missing}")
    finally:
        hung.close()
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
    figures["doctor_docker_missing_socket_s"] = {
        "value": round(missing_s, 3),
        "unit": "s",
        "target": "< 3 s",
    }
    figures["doctor_docker_hung_extra_s"] = {
        "value": round(hung_extra_s, 3),
        "unit": "s",
        "target": "<= 1 s (the 1 s timeout, plus a few ms of request overhead)",
    }
    return figures


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name}: {figure['value']} {figure['unit']} (target {figure['target']})")
