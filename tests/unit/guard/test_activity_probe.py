"""activity_probe on this machine: real processes, and a private Xvfb when one is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from desktop.guard import activity_probe as probe
from desktop.guard.activity import ActivityGuard, ActivityObservation, ActivityPolicy
from desktop.model import GuardAction
from tests.fake_game import GAME_NAME, start_game


def test_process_names_include_ourselves() -> None:
    # Windows: the image name; psutil's name() needs a query class Wine lacks.
    ours = Path(sys.executable).name if sys.platform == "win32" else psutil.Process().name()
    assert ours in probe.probe_processes()


@pytest.mark.skipif(sys.platform == "win32", reason="copies a POSIX sleep binary")
def test_a_running_game_is_seen_and_stops_work(tmp_path: Path) -> None:
    if shutil.which("sleep") is None:
        pytest.skip("no sleep binary")
    proc = start_game(tmp_path, 30)
    try:
        deadline = time.monotonic() + 5
        names = probe.probe_processes()
        while GAME_NAME not in names and time.monotonic() < deadline:
            time.sleep(0.05)
            names = probe.probe_processes()
        policy = ActivityPolicy(extra_game_names=frozenset({GAME_NAME}))
        decision = ActivityGuard(policy).observe(ActivityObservation(frozenset(names)), 0)
        assert decision.action is GuardAction.STOP and f"{GAME_NAME} is running" in decision.reason
    finally:
        proc.kill()
        proc.wait(timeout=5)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland rules")
def test_without_a_display_nothing_can_be_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    assert probe.probe_idle_seconds() is None
    assert probe.probe_fullscreen() is None
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # X11 under Wayland would lie
    assert probe.probe_idle_seconds() is None
    assert probe.probe_fullscreen() is None


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private X server (no window manager), kept alive between clients (-noreset)."""
    if sys.platform in ("win32", "darwin") or not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-noreset", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()  # Xvfb writes it once it accepts clients
        if not number:
            pytest.skip("Xvfb did not start")
        monkeypatch.setenv("DISPLAY", f":{number}")
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _xprop(*args: str) -> None:
    subprocess.run(["xprop", "-root", *args], check=True, timeout=10)


def test_x11_idle_time_and_full_screen(xvfb: str) -> None:
    idle = probe.probe_idle_seconds()
    assert idle is not None and 0 <= idle < 600
    assert probe.probe_fullscreen() is None  # no EWMH window manager: cannot tell
    if not shutil.which("xprop"):
        pytest.skip("xprop is not installed")
    # Play the window manager: the root window is "active" and then full screen.
    _xprop("-f", "_NET_ACTIVE_WINDOW", "32x", "-set", "_NET_ACTIVE_WINDOW", "0")
    assert probe.probe_fullscreen() is False
    with probe._display() as (xlib, dpy):
        root_id = hex(xlib.XDefaultRootWindow(dpy))
    _xprop("-f", "_NET_ACTIVE_WINDOW", "32x", "-set", "_NET_ACTIVE_WINDOW", root_id)
    assert probe.probe_fullscreen() is False
    _xprop("-f", "_NET_WM_STATE", "32a", "-set", "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
    assert probe.probe_fullscreen() is True
    # A window id that no longer exists must not crash the process (Xlib would exit).
    _xprop("-f", "_NET_ACTIVE_WINDOW", "32x", "-set", "_NET_ACTIVE_WINDOW", "0x7ffffff")
    assert probe.probe_fullscreen() is False
