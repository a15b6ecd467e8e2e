"""Job start latency (issue 5): our hardened runner vs a plain docker-py run, same image.

``measure()`` returns {metric: {"value", "unit", "target"}} for the lead's perf runner;
``python tests/perf/jobs_perf.py`` prints them. It needs the engine in DOCKER_HOST and the
local test image (RIGPILOT_TEST_IMAGE, default rigpilot-test/busybox:latest); it never
pulls. "Start to running" is the time from the call until the container runs: for us
``DockerRunner.start`` (image preflight, profile check, lease renewal, create, start),
for the baseline ``containers.run(detach=True)``. Runs alternate, median of 5 each, after
one warm-up of each (the warm-up also starts our reaper, a once-per-worker cost).

A second baseline runs plain docker-py with ``network_mode="none"`` like our jobs. On the
test engine (``--bridge=none``) a plain run gets no network set up at all, while an
explicit "none" costs libnetwork a sandbox (~150-200 ms here); on a normal engine the
plain run pays for a bridge endpoint instead, which is dearer. The same-network ratio is
the one that isolates what RigPilot adds.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop.jobs.docker_runner import DockerRunner, connect, reap
from desktop.jobs.spec import HostLimits, parse_spec

RUNS = 7


def measure() -> dict[str, dict[str, Any]]:
    image = os.environ.get("RIGPILOT_TEST_IMAGE", "rigpilot-test/busybox:latest")
    client = connect()
    install = "perf" + secrets.token_hex(4)
    labels = ["io.rigpilot.managed=1", f"io.rigpilot.install={install}"]
    ours: list[float] = []
    plain: list[float] = []
    plain_none: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rp-perf-") as tmp:
        runner = DockerRunner(client, install_id=install, lease_dir=Path(tmp))
        try:
            for i in range(RUNS + 1):
                spec = parse_spec(
                    {"job_id": f"perf-{i}", "image": image, "command": ["sleep", "30"],
                     "memory_mb": 32, "pids": 32, "scratch_mb": 8},
                    [image], HostLimits(2, 4096),
                )  # fmt: skip
                t = time.perf_counter()
                job = runner.start(spec, None)
                elapsed = time.perf_counter() - t
                assert client.containers.get(job.ref).status == "running"
                if i:
                    ours.append(elapsed)
                reap(client, labels, stop_timeout_s=0)

                for network, times in (("default", plain), ("none", plain_none)):
                    t = time.perf_counter()
                    container = client.containers.run(
                        image, ["sleep", "30"], detach=True, network_mode=network
                    )
                    elapsed = time.perf_counter() - t
                    if i:
                        times.append(elapsed)
                    container.remove(force=True)
        finally:
            reap(client, labels, stop_timeout_s=0)
            runner.close()
    ours_ms = statistics.median(ours) * 1000
    plain_ms = statistics.median(plain) * 1000
    none_ms = statistics.median(plain_none) * 1000
    return {
        "job_start_to_running_ms": {"value": ours_ms, "unit": "ms", "target": "informational"},
        "docker_py_run_to_running_ms": {"value": plain_ms, "unit": "ms", "target": "baseline"},
        "docker_py_run_network_none_ms": {"value": none_ms, "unit": "ms", "target": "baseline"},
        "job_start_latency_ratio": {
            "value": ours_ms / plain_ms,
            "unit": "x",
            "target": "< 1.2 (ours / plain docker-py run, engine's default network)",
        },
        "job_start_latency_ratio_same_network": {
            "value": ours_ms / none_ms,
            "unit": "x",
            "target": "< 1.2 (ours / plain docker-py run with network none)",
        },
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
