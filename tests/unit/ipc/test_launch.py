"""How the background worker is started: its argv and its environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.ipc.launch import worker_command, worker_env
from desktop.paths import Paths, get_paths


def test_command_runs_this_python_or_the_frozen_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert worker_command(["--demo"]) == [sys.executable, "-m", "desktop", "worker", "--demo"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert worker_command(["--demo"]) == [sys.executable, "worker", "--demo"]


def test_env_points_the_child_at_the_callers_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGPILOT_HOME", str(tmp_path / "ours"))
    root = tmp_path / "elsewhere"
    paths = Paths(root / "config", root / "data", root / "logs", root / "run")
    env = worker_env(paths, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "RIGPILOT_HOME": str(root)}


def test_env_is_untouched_for_the_default_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RIGPILOT_HOME", str(tmp_path))
    assert worker_env(get_paths(), {"A": "1"}) == {"A": "1"}


def test_custom_layouts_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIGPILOT_HOME", str(tmp_path / "ours"))
    odd = Paths(tmp_path / "c", tmp_path / "d", tmp_path / "l", tmp_path / "r")
    with pytest.raises(ValueError, match="RIGPILOT_HOME layout"):
        worker_env(odd)
