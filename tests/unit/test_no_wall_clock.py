"""The suite's own discipline: no test reads the wall clock's value or asserts a duration.

Why: a test that reads today's date passes or fails with the calendar (the day a run
crosses midnight, a DST change, a slow CI machine); a test that asserts a wall-clock
duration fails on a busy 2-core machine with nothing wrong. Tests use a fake or pinned
clock (``tests/clocks.py``, ``desktop.clock``), poll with a time-out, and leave latencies to
``tests/perf``, which prints them as figures.

This test parses every test file (tests/perf aside) and reports, with file and line:
- a read of the wall clock: ``time.time``/``time_ns`` (called, or passed as a clock),
  ``datetime.now``/``utcnow``/``today``, ``date.today``, ``time.localtime()``/``gmtime()``/
  ``ctime()``/``asctime()`` with no argument, ``time.strftime(fmt)`` with no time, and
  ``from time import time``;
- an ``assert`` on an elapsed time: ``time.monotonic() - x`` or ``perf_counter() - x``
  inside the assert, or a name assigned from such a difference in the same function
  (``deadline = monotonic() + t`` and ``monotonic() < deadline`` are time-outs, not
  durations, and pass).

``ALLOWED`` lists the uses that must stay, each with its reason; ``BEING_REWRITTEN`` the files
the lead is rewriting now (issue 18), which the check skips until they leave the list (the
check fails when a listed file has nothing left to report, so the list cannot go stale).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.ast_parse import parse

TESTS = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {"perf"}  # measures time on purpose: its figures are printed, never asserted
# (path under tests/, what is used, as reported) -> why it must stay.
ALLOWED: dict[tuple[str, str], str] = {
    ("conftest.py", "time.time"): (
        "--days-ahead N moves the date N days from today's: reading today is its point"
    ),
}
BEING_REWRITTEN: dict[str, str] = {}
_WALL_ATTRS = {"time", "time_ns"}
_NOW_ATTRS = {"now", "utcnow", "today"}
_NO_ARG_READS = {"localtime", "gmtime", "ctime", "asctime"}
_ELAPSED_CALLS = {"monotonic", "perf_counter", "monotonic_ns", "perf_counter_ns"}


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def wall_clock_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for every read of the real wall clock's value."""
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            for alias in node.names:
                if alias.name in _WALL_ATTRS:
                    yield node.lineno, f"from time import {alias.name}"
        if not isinstance(node, ast.Attribute):
            continue
        name = _dotted(node)
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        call = calls.get(id(node))
        no_args = call is not None and not call.args
        is_now = node.attr in _NOW_ATTRS and owner.split(".")[-1] in ("datetime", "date")
        if (owner == "time" and node.attr in _WALL_ATTRS) or is_now:
            yield node.lineno, name
        elif owner == "time" and node.attr in _NO_ARG_READS and no_args:
            yield node.lineno, f"{name}()"
        elif owner == "time" and node.attr == "strftime" and call and len(call.args) < 2:
            yield node.lineno, "time.strftime(format) (the current time)"


def _is_elapsed(expr: ast.AST, elapsed_names: set[str]) -> bool:
    """Does ``expr`` hold ``monotonic() - x`` (or a name assigned from one)?"""
    for node in ast.walk(expr):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            left = node.left
            if isinstance(left, ast.Call) and _dotted(left.func).split(".")[-1] in _ELAPSED_CALLS:
                return True
        if isinstance(node, ast.Name) and node.id in elapsed_names:
            return True
    return False


def duration_asserts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for asserts on a measured wall-clock duration."""
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elapsed: set[str] = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and _is_elapsed(node.value, elapsed):
                elapsed.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(func):
            if isinstance(node, ast.Assert) and _is_elapsed(node.test, elapsed):
                yield node.lineno, "assert on an elapsed wall-clock time"


def offences(path: Path) -> list[str]:
    tree = parse(path.read_text(), str(path))
    rel = path.relative_to(TESTS).as_posix()
    found = [*wall_clock_reads(tree), *duration_asserts(tree)]
    return [
        f"tests/{rel}:{line}: {what}" for line, what in sorted(found) if (rel, what) not in ALLOWED
    ]


def _test_files() -> list[Path]:
    return sorted(
        p
        for p in TESTS.rglob("*.py")
        if p.relative_to(TESTS).parts[0] not in SKIPPED_DIRS and ".venv" not in p.parts
    )


def test_no_test_reads_the_wall_clock_or_asserts_a_duration() -> None:
    found = [
        o for p in _test_files() if p.relative_to(TESTS).as_posix() not in BEING_REWRITTEN
        for o in offences(p)
    ]  # fmt: skip
    assert not found, (
        "use a fake or pinned clock (tests/clocks.py) and poll with a time-out; "
        "durations belong in tests/perf:\n" + "\n".join(found)
    )


def test_the_being_rewritten_list_is_not_stale() -> None:
    clean = [rel for rel in BEING_REWRITTEN if not offences(TESTS / rel)]
    assert not clean, f"nothing to report any more in {clean}: take them off BEING_REWRITTEN"


def test_the_checker_finds_what_it_should() -> None:
    source = """
import time
from datetime import date, datetime
from time import time as now
def f():
    a = time.time()
    b = datetime.now()
    c = date.today()
    clock = time.time
    time.localtime()
    time.localtime(0)
    start = time.monotonic()
    took = time.monotonic() - start
    assert took < 1
    assert time.perf_counter() - start < 2
    deadline = time.monotonic() + 5
    assert time.monotonic() < deadline
"""
    tree = parse(source)
    reads = [line for line, _ in wall_clock_reads(tree)]
    asserts = [line for line, _ in duration_asserts(tree)]
    assert sorted(reads) == [4, 6, 7, 8, 9, 10]
    assert sorted(asserts) == [14, 15]
