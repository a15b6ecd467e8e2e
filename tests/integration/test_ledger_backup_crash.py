"""kill -9 in a loop while the daily backup runs: the ledger and every backup stay good.

The writer (ledger_backup_writer.py) backs a ledger of a few MB up again and again, one
new day each time, so kills land inside SQLite's backup copy, the integrity check of the
copy, the rename into place and the pruning of old backups. After every kill: the ledger
passes ``integrity_check`` and holds every acknowledged row; every file named like a backup
passes it too (a torn copy may only exist as a ``.tmp``, which the next run removes); and
once a backup was announced, there always is one. RIGPILOT_KILL_LOOPS sets the number of
kills (default 40); RIGPILOT_KILL_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.ledger import Ledger
from desktop.ledger.backup import backup_folder, list_backups
from desktop.ledger.opening import file_problem
from desktop.model import GpuSample
from tests.integration.test_ledger_crash import Lines

WRITER = Path(__file__).with_name("ledger_backup_writer.py")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def seed_ledger(path: Path, seconds: int = 40_000) -> None:
    """A ledger of a few MB of telemetry, so that one backup takes a while."""

    def sample(gpu: int, ts: int) -> GpuSample:
        return GpuSample(
            ts=float(ts), gpu_index=gpu, uuid=f"GPU-{gpu}", core_temp_c=60 + ts % 20,
            mem_temp_c=None, power_w=200.0 + ts % 50, energy_j=float(ts) * 200,
            gpu_util_pct=90.0, mem_util_pct=40.0, vram_used_mib=5000.0, vram_total_mib=10240.0,
            fan_pct=55.0, sm_clock_mhz=1800.0, mem_clock_mhz=9500.0, clock_event_reasons=0,
            pstate=2, power_limit_w=320.0,
        )  # fmt: skip

    with Ledger.open(path) as ledger:
        for start in range(0, seconds, 2000):
            ledger.add_samples(sample(g, t) for t in range(start, start + 2000) for g in (0, 1))


def acked_rows(path: Path) -> set[str]:
    with Ledger.open(path) as ledger:
        assert ledger.integrity_check() == "ok"
        return {e.idem_key for e in ledger.earnings(limit=1_000_000)}


def test_kill_loop_during_backups_leaves_a_good_ledger_and_good_backups(tmp_path: Path) -> None:
    loops = int(os.environ.get("RIGPILOT_KILL_LOOPS", "40"))
    seed = int(os.environ.get("RIGPILOT_KILL_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"backup kill loop seed {seed} (replay with RIGPILOT_KILL_SEED={seed})")
    path = tmp_path / "data" / "ledger.sqlite"
    seed_ledger(path)
    size_mb = path.stat().st_size / 2**20
    acked: set[str] = set()
    announced: set[str] = set()
    day = 20_000  # a fixed day number: backup names never depend on today
    in_backup = 0
    for _ in range(loops):
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(day)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
        )  # fmt: skip
        lines = Lines(writer)
        assert lines.next(timeout=60) == "READY"
        time.sleep(rng.uniform(0.0, 0.6))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        assert writer.stdout is not None and writer.stdin is not None
        writer.stdin.close()
        rest = lines.buf + writer.stdout.read()
        writer.stdout.close()
        for line in rest.decode().splitlines():
            kind, _, value = line.partition(" ")
            if kind == "E":
                acked.add(value)
            elif kind == "B":
                announced.add(value)
        in_backup += any(p.name.endswith(".tmp") for p in backup_folder(path).glob("*"))
        assert acked <= acked_rows(path), "an acknowledged row was lost"
        backups = list_backups(path)
        for backup in backups:
            assert file_problem(backup) == "", f"{backup.name} is not a good backup"
        if announced:
            assert backups, "every backup vanished"
        day += len(announced) + 1
    print(
        f"{loops} kills of a {size_mb:.1f} MB ledger: {len(announced)} backups made, "
        f"{in_backup} kills inside a backup copy, {len(acked)} acknowledged rows"
    )
    assert announced and in_backup >= loops // 5, "too few kills landed inside a backup"
