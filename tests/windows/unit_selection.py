"""Which unit tests do not apply on Windows, and why (a pytest plugin for the Windows tier).

tests/windows/stage.py runs all of tests/unit on Windows CPython with ``-p
tests.windows.unit_selection``. The tests below are deselected, each for a stated reason,
and the reasons are printed at the end of the run, so nothing is skipped silently. Tests
that already carry a ``skipif(sys.platform == "win32", reason=...)`` report themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

UNIX_ENGINE = (
    "a unix-socket Docker address; on Windows the engine is Docker Desktop's named pipe "
    "(tests/unit/checks/test_windows_doctor.py, tests/windows/test_win_platform.py)"
)
NOSANA_LINUX = (
    "Nosana's node runs on Linux only (it ships no Windows client, as the app says); "
    "the test checks Linux paths and a POSIX file mode"
)

NOT_ON_WINDOWS: dict[str, str] = {
    "tests/unit/checks/test_engine.py::test_missing_socket_says_no_such_socket": UNIX_ENGINE,
    "tests/unit/checks/test_engine.py::test_stale_socket_says_connection_refused": UNIX_ENGINE,
    "tests/unit/checks/test_engine.py::test_regular_file_says_not_a_socket": UNIX_ENGINE,
    "tests/unit/checks/test_engine.py::test_silent_engine_times_out_within_the_budget": UNIX_ENGINE,
    "tests/unit/networks/test_nosana_adapter.py::"
    "test_enroll_creates_the_key_and_asks_for_the_first_run": NOSANA_LINUX,
    "tests/unit/networks/test_nosana_key.py::test_create_writes_a_user_only_solana_keypair": (
        NOSANA_LINUX
    ),
}

NOT_COLLECTED_ON_WINDOWS: dict[str, str] = {
    "tests/unit/test_import_graph.py": (
        "the import graph of desktop/ is the same on every platform, and grimp (which builds "
        "it) ships no Windows wheel in the tier's set; the Linux run checks it"
    ),
}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    for relative in NOT_COLLECTED_ON_WINDOWS:
        if collection_path.as_posix().endswith(relative):
            config.stash.setdefault(_IGNORED, []).append(relative)
            return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        node = item.nodeid.replace("\\", "/")
        (dropped if node in NOT_ON_WINDOWS else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    config.stash[_DROPPED] = [item.nodeid.replace("\\", "/") for item in dropped]


_DROPPED = pytest.StashKey[list[str]]()
_IGNORED = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    dropped = terminalreporter.config.stash.get(_DROPPED, [])
    ignored = sorted(set(terminalreporter.config.stash.get(_IGNORED, [])))
    if not dropped and not ignored:
        return
    terminalreporter.section("not run on Windows, and why")
    for relative in ignored:
        terminalreporter.write_line(f"{relative}: {NOT_COLLECTED_ON_WINDOWS[relative]}")
    for node in dropped:
        terminalreporter.write_line(f"{node}: {NOT_ON_WINDOWS[node]}")
