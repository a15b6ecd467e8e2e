"""One clock in the product: only desktop/clock.py reads the wall clock.

Why: issue 13's "one clock" holds only if every timestamp (samples, events, jobs, ledger
rows, chart axes, the app's refresh ages) comes from ``desktop.clock``, which tests can
move; a stray ``time.time()`` is a second clock a test cannot reach and a view that can
disagree with the others. The same parser as tests/unit/test_no_wall_clock.py finds reads
(``time.time``/``time_ns``, ``datetime.now``, ``date.today``, argument-less ``strftime``...).
"""

from __future__ import annotations

from pathlib import Path

from tests.ast_parse import parse
from tests.unit.test_no_wall_clock import wall_clock_reads

DESKTOP = Path(__file__).resolve().parents[2] / "desktop"
# path under desktop/ -> why it reads the clock itself
ALLOWED = {
    "clock.py": "the one clock",
    # the reaper is a separate process started by `python -m desktop.jobs.reaper`; it only
    # stamps its own log lines and imports as little as it can
    "jobs/reaper.py": "stamps its own log lines in a process of its own",
}


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    found = [
        f"desktop/{path.relative_to(DESKTOP).as_posix()}:{line}: {what}"
        for path in sorted(DESKTOP.rglob("*.py"))
        if path.relative_to(DESKTOP).as_posix() not in ALLOWED
        for line, what in wall_clock_reads(parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "read desktop.clock (clock.now(), or pass clock.read):\n" + "\n".join(found)


def test_the_allowed_readers_still_read_it() -> None:
    """The list cannot go stale: each allowed file still has a read to excuse."""
    for name in ALLOWED:
        tree = parse((DESKTOP / name).read_text(encoding="utf-8"))
        assert list(wall_clock_reads(tree)) or name == "clock.py", name
