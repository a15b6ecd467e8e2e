"""Performance figures of GPU telemetry (issue 3).

- the sampler's cost per tick per GPU on the simulated backend (target < 0.5 ms);
- NVML calls per tick per GPU, counted by a fake pynvml replaying recorded cards
  (target <= 10; process lists <= 1 per 10 s per GPU while someone wants them);
- the CPU share of ``python -m desktop telemetry --simulate warm --interval 1`` over a
  window (target < 1 % of one core), from psutil's CPU times of the child process.

``measure(window_s)`` returns ``{name: {"value", "unit", "target"}}``; run this file to
print them (``--window 10`` for a quick look).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pynvml

from desktop.hardware.nvml import NvmlBackend
from desktop.hardware.sampler import Sampler
from desktop.hardware.simulated import SimulatedBackend

_DATA = Path(__file__).resolve().parents[1] / "data" / "nvml"
RECORDINGS = ("geforce_rtx3080_525.json", "geforce_rtx4090_570.json", "datacenter_a100_550.json")
STARTUP_S = 3.0


def _fake_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rigpilot_perf_fake_pynvml", _DATA / "fake_pynvml.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _patched_pynvml(recording: str, clock: Callable[[], float]) -> Iterator[Any]:
    """Install a recorded card on pynvml, and put the real functions back afterwards."""
    fake_mod = _fake_module()
    saved = {name: getattr(pynvml, name) for name in fake_mod.FUNCTIONS}
    fake = fake_mod.FakeNvml(fake_mod.load_recording(recording), clock).install(setattr)
    try:
        yield fake
    finally:
        for name, fn in saved.items():
            setattr(pynvml, name, fn)


def sampler_cost_ms(ticks: int = 2000) -> float:
    """Wall time of one sampler tick per GPU, simulated warm + hot, real clock."""
    sim = SimulatedBackend(["warm", "hot"])
    sim.set_load(0, 1.0)
    sampler = Sampler(sim, 2.0, lambda _s: None, lambda _e: None)
    for _ in range(50):
        sampler.tick()
    started = time.perf_counter()
    for _ in range(ticks):
        sampler.tick()
    return (time.perf_counter() - started) / ticks / 2 * 1000


def _count_calls(recording: str, seconds: float, interval: float) -> tuple[float, float]:
    """NVML calls per tick per GPU, and process lists per 10 s per GPU, for one recording.

    The activity guard lists processes every 10 s while work runs (the worst case), on the
    same backend; the clock is simulated, so the 10-s power-limit refresh and the 10-s
    process pacing are both counted.
    """
    clock = [1_000_000.0]

    def now() -> float:
        return clock[0]

    with _patched_pynvml(recording, now) as fake:
        backend = NvmlBackend(clock=now)
        sampler = Sampler(backend, interval, clock=now)
        sampler.tick()  # first tick: static facts and the one-off fallbacks
        clock[0] += interval
        gpus = len(backend.devices())
        fake.calls.clear()
        ticks = int(seconds / interval)
        next_list = clock[0]
        for _ in range(ticks):
            sampler.tick()
            if clock[0] >= next_list:  # the activity guard's routine list (gpu_use.py)
                for info in backend.devices():
                    backend.processes(info.index)
                next_list = clock[0] + 10.0
            clock[0] += interval
        backend.close()
    per_tick = fake.device_calls() / ticks / gpus
    lists = fake.calls["nvmlDeviceGetComputeRunningProcesses"] / gpus / (seconds / 10)
    return per_tick, lists


def nvml_calls(seconds: float = 120.0, interval: float = 2.0) -> tuple[float, float, str]:
    """The worst recording's calls per tick per GPU, the worst process-list rate, its name."""
    results = {name: _count_calls(name, seconds, interval) for name in RECORDINGS}
    worst = max(results, key=lambda name: results[name][0])
    return results[worst][0], max(lists for _, lists in results.values()), worst


def cli_cpu_share(window_s: float = 60.0) -> float:
    """Percent of one core used by the telemetry command over ``window_s`` after startup."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "RIGPILOT_HOME": home}
        argv = [
            sys.executable,
            "-m",
            "desktop",
            "telemetry",
            "--simulate",
            "warm",
            "--interval",
            "1",
        ]
        child = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            proc = psutil.Process(child.pid)
            time.sleep(STARTUP_S)  # interpreter start and imports are not the steady cost
            if child.poll() is not None:
                raise RuntimeError(f"the telemetry command exited early ({child.returncode})")
            before = proc.cpu_times()
            started = time.monotonic()
            time.sleep(window_s)
            after = proc.cpu_times()
            elapsed = time.monotonic() - started
        finally:
            child.terminate()
            child.wait(timeout=10)
    used = (after.user - before.user) + (after.system - before.system)
    return used / elapsed * 100


def measure(window_s: float = 60.0) -> dict[str, dict[str, Any]]:
    calls, lists, worst = nvml_calls()
    return {
        "telemetry.sampler_tick_per_gpu": {
            "value": round(sampler_cost_ms(), 4),
            "unit": "ms",
            "target": "< 0.5 ms (simulated backend)",
        },
        "telemetry.nvml_calls_per_tick_per_gpu": {
            "value": round(calls, 2),
            "unit": f"calls (worst recording: {worst})",
            "target": "<= 10",
        },
        "telemetry.process_lists_per_10s_per_gpu": {
            "value": round(lists, 2),
            "unit": "lists per 10 s",
            "target": "<= 1",
        },
        "telemetry.cli_cpu_share": {
            "value": round(cli_cpu_share(window_s), 3),
            "unit": f"% of one core over {window_s:g} s",
            "target": "< 1 %",
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="CPU window in seconds")
    figures = measure(parser.parse_args().window)
    for name, figure in figures.items():
        print(f"{name:45} {figure['value']:>10} {figure['unit']}  (target {figure['target']})")
