"""RigPilot's worker side by side with GPU monitors, on the stand-in NVML library (issue 18).

Three NVML clients run at once, for the same window, against the same simulated card
(``tests/fakenvml``; each process loads it through ``LD_LIBRARY_PATH``, so every one goes
through the real pynvml and RigPilot's worker through its real NVML backend):

- ``rigpilot worker --foreground``, sampling once a second, with no Docker engine (so no job):
  what a gamer's machine runs all day;
- ``gpustat -i 1``, the monitor people leave open in a terminal;
- a minimal pynvml loop at 1 Hz (``pynvml_poll.py``), the floor for a Python watcher.

For each: CPU % of one core in the steady state (from ``/proc/PID/task/*/schedstat`` between
``WARMUP_S`` and the end, start-up excluded), CPU % over the whole window including start-up,
start-up CPU seconds (the first ``WARMUP_S``), peak RSS (``VmHWM``, the largest process of
its tree) and NVML calls per second (the stand-in counts every call). Method and stand-in
from the team's fake-nvml tool (its README, "Measuring monitors"). The stand-in's calls cost
well under a microsecond, a real driver's far more: the CPU figures are the clients' own.

    python tests/perf/monitors_perf.py [--window 60]

``measure(window_s)`` returns the figures for ``tests/perf/run.py``: each monitor's five, and
the worker's against its targets (steady CPU at or below gpustat's, RSS under 45 MB,
start-up under 0.3 s of CPU).

Every monitor starts from bytecode, as an installed program does (pip compiles a package
at install, PyInstaller ships it compiled): RigPilot's own sources are compiled first
(``compileall``, into the ignored ``__pycache__`` folders), since a checkout run with
``PYTHONDONTWRITEBYTECODE`` would otherwise compile its 500 modules at every start and
count that as the worker's start-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WARMUP_S = 5.0
STOP_TIMEOUT_S = 15.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Monitor:
    """One measured process tree and what was seen of it."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    counts: Path = Path()
    figures: dict[str, float] = field(default_factory=dict)


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (from /proc; psutil-free so it costs nothing to read)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """On-CPU time of the tree so far: every thread's schedstat, plus reaped children's."""
    total = 0.0
    for member in _tree(pid):
        try:
            for task in os.listdir(f"/proc/{member}/task"):
                with open(f"/proc/{member}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
            with open(f"/proc/{member}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / CLK_TCK  # cutime + cstime
        except (OSError, IndexError, ValueError):
            continue
    return total


def peak_rss_mib(pid: int) -> float:
    """The largest ``VmHWM`` (peak resident set) in the tree, in MiB."""
    peak = 0
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024


def nvml_calls(counts: Path) -> int:
    """Calls the stand-in counted in every process of the run (its FAKE_NVML_COUNTS files)."""
    total = 0
    for path in counts.parent.glob(counts.name.replace("%p", "*")):
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                total += int(line.rsplit("\t", 1)[1])
    return total


def monitors(work: Path) -> list[Monitor]:
    from desktop.paths import Paths
    from desktop.settings import SettingsStore

    home = work / "worker-home"
    paths = Paths(home / "config", home / "data", home / "logs", home / "run").ensure()
    SettingsStore(paths.settings_file).patch({"sampling.interval_s": 1})
    venv_bin = Path(sys.executable).parent
    gpustat = shutil.which("gpustat", path=str(venv_bin)) or shutil.which("gpustat")
    if gpustat is None:
        raise RuntimeError("gpustat is not installed: .venv/bin/pip install -e '.[dev]'")
    return [
        Monitor(
            "rigpilot worker (1 sample/s)",
            [sys.executable, "-m", "desktop", "worker", "--foreground"],
            {"RIGPILOT_HOME": str(home)},
        ),
        Monitor("gpustat -i 1", [gpustat, "-i", "1"]),
        Monitor("pynvml minimal loop 1 Hz", [sys.executable, str(HERE / "pynvml_poll.py"), "1"]),
    ]


def start(monitor: Monitor, lib_env: dict[str, str], work: Path, index: int) -> None:
    monitor.counts = work / f"counts-{index}-%p.tsv"
    env = {
        **os.environ,
        **lib_env,
        "FAKE_NVML_COUNTS": str(monitor.counts),
        "FAKE_NVML_COUNTS_EVERY_S": "5",  # in case a process is killed before its exit handler
        "PYTHONPATH": str(ROOT),
        **monitor.env,
    }
    monitor.started = time.monotonic()
    monitor.process = subprocess.Popen(
        monitor.argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(work / f"stderr-{index}.txt", "wb"),  # noqa: SIM115 - the child keeps it
        start_new_session=True,
        cwd=work,
    )


def stop(monitor: Monitor) -> None:
    """SIGINT, as a user's Ctrl+C; SIGKILL if it does not end in time."""
    process = monitor.process
    assert process is not None
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def compile_sources() -> None:
    """RigPilot's bytecode, as an installed copy has it (module docstring)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "desktop")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def run_side_by_side(window_s: float) -> list[Monitor]:
    sys.path.insert(0, str(ROOT))
    from tests.fakenvml.library import environment, library_dir

    compile_sources()
    lib_env = environment(library_dir(), GPUS=1)
    work = Path(tempfile.mkdtemp(prefix="rp-monitors-"))
    chosen = monitors(work)
    try:
        for index, monitor in enumerate(chosen):
            start(monitor, lib_env, work, index)
        time.sleep(WARMUP_S)
        at_warmup = {m.name: (cpu_seconds(m.process.pid), time.monotonic()) for m in chosen}  # type: ignore[union-attr]
        time.sleep(max(0.0, window_s - WARMUP_S))
        for monitor in chosen:
            assert monitor.process is not None
            if monitor.process.poll() is not None:
                log = (work / f"stderr-{chosen.index(monitor)}.txt").read_text(errors="replace")
                raise RuntimeError(f"{monitor.name} exited early:\n{log[-1500:]}")
            pid, now = monitor.process.pid, time.monotonic()
            cpu_end = cpu_seconds(pid)
            cpu_w, t_w = at_warmup[monitor.name]
            monitor.figures = {
                "cpu_steady_pct": 100 * (cpu_end - cpu_w) / (now - t_w),
                "cpu_with_startup_pct": 100 * cpu_end / (now - monitor.started),
                "startup_cpu_s": cpu_w,
                "peak_rss_mib": peak_rss_mib(pid),
                "elapsed_s": now - monitor.started,
            }
        for monitor in chosen:
            stop(monitor)
        for monitor in chosen:
            calls = nvml_calls(monitor.counts)
            monitor.figures["nvml_calls_per_s"] = calls / monitor.figures.pop("elapsed_s")
    finally:
        for monitor in chosen:
            if monitor.process is not None and monitor.process.poll() is None:
                monitor.process.kill()
                monitor.process.wait()
        shutil.rmtree(work, ignore_errors=True)
    return chosen


COLUMNS = (
    ("cpu_steady_pct", "CPU % steady", "{:.3f}"),
    ("cpu_with_startup_pct", "CPU % incl. start-up", "{:.3f}"),
    ("startup_cpu_s", f"start-up CPU s (first {WARMUP_S:g} s)", "{:.2f}"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
    ("nvml_calls_per_s", "NVML calls/s", "{:.1f}"),
)


def table(chosen: list[Monitor], window_s: float) -> str:
    head = ["monitor", *(title for _, title, _ in COLUMNS)]
    rows = [[m.name, *(fmt.format(m.figures[key]) for key, _, fmt in COLUMNS)] for m in chosen]
    lines = [
        f"Side by side for {window_s:g} s on the stand-in NVML library (one simulated GPU):",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def measure(window_s: float = 60.0) -> dict[str, dict[str, Any]]:
    chosen = run_side_by_side(window_s)
    print(table(chosen, window_s), file=sys.stderr, flush=True)
    worker, gpustat, _ = chosen
    keys = {"worker": worker, "gpustat": gpustat, "pynvml_loop": chosen[2]}
    units = {
        "cpu_steady_pct": "% of a core",
        "cpu_with_startup_pct": "% of a core",
        "startup_cpu_s": "s",
        "peak_rss_mib": "MiB",
        "nvml_calls_per_s": "calls/s",
    }
    gp_steady = gpustat.figures["cpu_steady_pct"]
    targets = {
        ("worker", "cpu_steady_pct"): f"<= {gp_steady:.3f} (gpustat's, same run)",
        ("worker", "peak_rss_mib"): "< 45",
        ("worker", "startup_cpu_s"): "< 0.3",
    }
    figures: dict[str, dict[str, Any]] = {}
    for short, monitor in keys.items():
        for key, _, _ in COLUMNS:
            figures[f"monitors.{short}.{key}"] = {
                "value": round(monitor.figures[key], 3),
                "unit": units[key],
                "target": targets.get((short, key), "informational"),
            }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="seconds each monitor runs")
    args = parser.parse_args()
    chosen = run_side_by_side(args.window)
    print(table(chosen, args.window))
    return 0


if __name__ == "__main__":
    sys.exit(main())
