"""Size and start time of the packaged app (issue 10), measured on what build_linux.sh built.

``measure()`` reads ``dist/`` (run ``installers/build_linux.sh`` first):
- the bundle's size unpacked (apparent bytes of ``dist/rigpilot/``, in MB of 10^6 bytes);
- its size compressed: the release tarball (gzip), and the .deb (xz) for information;
- the frozen app's start to its first painted window (RIGPILOT_EXIT_AFTER_FIRST_PAINT=1),
  with a frozen simulated worker already running (and past its start-up burst), as a
  user's log-in finds it: the first start, and the median of the three after it.
It needs an X display for the start time (tests/run.sh starts Xvfb); without one Qt's
offscreen platform is used, which still paints but skips the X round trips.

    .venv/bin/python tests/perf/bundle_perf.py      # prints the figures as JSON
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
STARTS = 3
SETTLE_S = 3.0
NAN = float("nan")


def _version() -> str:
    sys.path.insert(0, str(ROOT))
    from desktop import __version__

    return __version__


def tree_bytes(folder: Path) -> int:
    """Apparent size of every regular file below ``folder`` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, RIGPILOT_HOME=str(home))
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _first_paint(exe: Path, home: Path) -> float:
    """Seconds from launching the frozen app to its first painted window."""
    started = time.time()
    done = subprocess.run(
        [str(exe)],
        env=dict(_env(home), RIGPILOT_EXIT_AFTER_FIRST_PAINT="1"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"the frozen app printed no first-paint line (exit {done.returncode})")


def _wait_settled(exe: Path, env: dict[str, str], worker: subprocess.Popen[bytes]) -> None:
    """Poll until the worker answers and has run SETTLE_S, so its start-up burst (first
    samples, ledger, API) does not compete with the app being timed on a 2-core machine."""
    deadline = time.monotonic() + 30
    while True:
        done = subprocess.run(
            [str(exe), "status", "--json"], env=env, capture_output=True, check=False
        )
        if done.returncode == 0 and json.loads(done.stdout).get("uptime_s", 0) >= SETTLE_S:
            return
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError("the frozen worker did not come up within 30 s")
        time.sleep(0.2)


def _start_times(exe: Path) -> tuple[float, float]:
    """(first start, median of STARTS) with a frozen simulated worker running."""
    home = Path(tempfile.mkdtemp(prefix="rp-perf-"))
    env = _env(home)
    worker = subprocess.Popen(
        [str(exe), "worker", "--simulate", "warm", "--foreground"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_settled(exe, env, worker)
        times = [_first_paint(exe, home) for _ in range(STARTS + 1)]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        shutil.rmtree(home, ignore_errors=True)
    return times[0], statistics.median(times[1:])


def measure() -> dict[str, dict[str, Any]]:
    version = _version()
    bundle = DIST / "rigpilot"
    exe = bundle / "rigpilot"
    if not exe.is_file():
        raise RuntimeError(f"no bundle at {bundle}: run installers/build_linux.sh first")
    tarball = DIST / f"rigpilot-{version}-linux-x86_64.tar.gz"
    deb = DIST / f"rigpilot_{version}_amd64.deb"
    first, median = _start_times(exe)
    return {
        "bundle_unpacked": {
            "value": round(tree_bytes(bundle) / 1e6, 1),
            "unit": "MB",
            "target": "< 200 MB",
        },
        "bundle_compressed_tar_gz": {
            "value": round(tarball.stat().st_size / 1e6, 1) if tarball.exists() else NAN,
            "unit": "MB",
            "target": "< 90 MB",
        },
        "bundle_deb_xz": {
            "value": round(deb.stat().st_size / 1e6, 1) if deb.exists() else NAN,
            "unit": "MB",
            "target": "informational (the .deb download)",
        },
        "frozen_first_start_first_paint": {
            "value": round(first, 2),
            "unit": "s",
            "target": "< 2 s",
        },
        "frozen_start_first_paint_median": {
            "value": round(median, 2),
            "unit": "s",
            "target": "< 2 s",
        },
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
