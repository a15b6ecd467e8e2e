"""The worker's stop order for the control loop: jobs stop first, then the power limits come back.

A lowered power limit protects a card that ran hot; putting the user's (higher) limit back
while a job still runs would let it heat up again in its last seconds. The real service,
built by the wiring with a simulated GPU and the simulated runner, is stopped and the
order of the job runner's shutdown and the limit's restore is recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop.hardware.simulated import SimulatedBackend
from desktop.paths import Paths
from desktop.settings import SettingsStore
from desktop.worker.gpus import GpuMonitor
from desktop.worker.service import WorkerService
from desktop.worker.wiring import EngineProbe, build
from tests.conftest import FakeClock

IMAGE = "rigpilot-test/busybox:latest"


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_power_limits_come_back_after_the_jobs_have_stopped(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    paths = Paths(tmp_path / "c", tmp_path / "d", tmp_path / "l", tmp_path / "r").ensure()
    backend = SimulatedBackend(["warm"], seed=3)
    original = backend.devices()[0].power.enforced_w
    monitor = GpuMonitor(backend)
    store = SettingsStore(paths.settings_file)
    store.patch({"jobs.allowed_local_images": [IMAGE]})
    wired = build("simulated", paths, store, monitor, probe=EngineProbe(False, "test"))
    order: list[tuple[str, float | None]] = []
    set_limit, shutdown = backend.set_power_limit, wired.jobs.shutdown

    def recording_set(index: int, watts: float) -> None:
        order.append(("set_power_limit", watts))
        set_limit(index, watts)

    def recording_shutdown(timeout_s: float = 10) -> None:
        order.append(("jobs.shutdown", None))
        shutdown(timeout_s)

    backend.set_power_limit = recording_set  # type: ignore[method-assign]
    wired.jobs.shutdown = recording_shutdown  # type: ignore[method-assign]
    service = WorkerService(mode="simulated", monitor=monitor, parts=wired.parts, bus=wired.bus)
    loop = wired.control

    async def main() -> None:
        await service.start()
        try:
            wired.jobs.submit({"job_id": "hot", "image": IMAGE, "gpus": 1, "memory_mb": 64,
                               "load_profile": [{"seconds": 600, "load": 1.0}]})  # fmt: skip
            ts = fake_clock()
            for i in range(5):  # above the soft limit: the guard lowers the power limit
                loop.on_sample(replace(backend.sample(0), ts=ts + 0.01 * i, core_temp_c=81.0))
            await until(lambda: order)
        finally:
            service.begin_stop()
            await service.close()

    asyncio.run(main())
    kinds = [kind for kind, _ in order]
    assert order[0][0] == "set_power_limit" and order[0][1] is not None
    assert order[0][1] < (original or 0)
    assert kinds[1:] == ["jobs.shutdown", "set_power_limit"], order  # jobs first, then limit
    assert order[-1][1] == original
