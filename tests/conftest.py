"""Shared fixtures: a private RIGPILOT_HOME per test, and the real services tests/run.sh starts.

When RIGPILOT_REQUIRE_SERVICES=1 (set by tests/run.sh and so by CI) a test that needs Docker,
an X server or a keyring FAILS when the component is missing; run by hand without the
services, such tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRED = os.environ.get("RIGPILOT_REQUIRE_SERVICES") == "1"
# The price feed of every worker a test starts asks loopback's discard port (refused at
# once) unless the test points money.price_api_url at its own local price API: tests send
# nothing beyond this machine.
os.environ.setdefault("RIGPILOT_PRICE_API_URL", "http://127.0.0.1:9")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--days-ahead",
        type=int,
        default=0,
        help="run with the date and wall clock this many days ahead (tests/run.sh runs the "
        "unit tests again a year ahead: no test may depend on today's date)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """``--days-ahead N``: the wall clock and the date of this process (all its threads)
    move N days ahead and keep ticking; the monotonic clock, which timeouts use, does not
    move. (libfaketime would do it for the whole process tree, but its timed waits break
    Python's sleeps and condition waits; time-machine patches only the date and wall-clock
    functions.)"""
    days = config.getoption("--days-ahead")
    if days:
        import time

        import time_machine

        traveller = time_machine.travel(time.time() + days * 86400, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def missing_service(what: str) -> None:
    """Fail under tests/run.sh, skip in an ad-hoc run."""
    message = f"{what} is not available (tests/run.sh starts it)"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def stand_in() -> Path:
    """The folder of the stand-in ``libnvidia-ml.so.1`` (tests/fakenvml), built on demand."""
    from tests.fakenvml.library import StandInUnavailable, library_dir

    try:
        return library_dir()
    except StandInUnavailable as exc:
        missing_service(str(exc))
        raise  # not reached: missing_service fails or skips


@pytest.fixture
def rigpilot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private RIGPILOT_HOME for one test (short path: unix sockets have a length limit)."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="rp-"))
    monkeypatch.setenv("RIGPILOT_HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def docker_host() -> str:
    """DOCKER_HOST of the private engine, after checking it answers."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://") or not Path(host[len("unix://") :]).exists():
        missing_service("the private Docker engine (DOCKER_HOST)")
    return host


@pytest.fixture
def test_image(docker_host: str) -> str:
    """The local busybox image tests/services.sh imports."""
    return os.environ.get("RIGPILOT_TEST_IMAGE", "rigpilot-test/busybox:latest")


@pytest.fixture
def display() -> str:
    """The X display with a tray host."""
    value = os.environ.get("DISPLAY", "")
    if not value:
        missing_service("an X server (DISPLAY)")
    return value


@pytest.fixture
def secret_service() -> str:
    """The D-Bus session with an unlocked gnome-keyring."""
    value = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not value:
        missing_service("a Secret Service keyring (DBUS_SESSION_BUS_ADDRESS)")
    return value


FAKE_EPOCH = 1_700_000_000.0  # 2023-11-14 22:13 UTC: a fixed date, far from today


class FakeClock:
    """The worker's wall clock in a test: starts at ``FAKE_EPOCH`` and moves with real time
    (threads still make progress), plus whatever ``advance`` adds. Never today's date."""

    def __init__(self, start: float = FAKE_EPOCH) -> None:
        import time

        self._monotonic = time.monotonic
        self._base = start - self._monotonic()

    def __call__(self) -> float:
        return self._base + self._monotonic()

    def advance(self, seconds: float) -> None:
        self._base += seconds


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replaces ``desktop.clock.now`` for every in-process part that reads it."""
    from desktop import clock

    fake = FakeClock()
    monkeypatch.setattr(clock, "now", fake)
    return fake
