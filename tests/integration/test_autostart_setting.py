"""The ``autostart`` setting reaches the OS: a real worker writes (and removes) the XDG entry.

The worker owns side effects, so it applies ``desktop.autostart.apply_setting`` when the
setting changes; the GUI, the wizard and ``rigpilot settings set autostart`` only PATCH it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.autostart import XdgAutostart
from desktop.ipc import endpoints


def test_worker_applies_the_autostart_setting(start_worker: Any, tmp_path: Path, poll: Any) -> None:
    config = tmp_path / "xdg"
    worker = start_worker("--simulate", "warm", env={"XDG_CONFIG_HOME": str(config)})
    entry = XdgAutostart(["rigpilot", "--minimized"], env={"XDG_CONFIG_HOME": str(config)})
    result = worker.cli("settings", "set", "autostart", "true")
    assert result.returncode == 0, result.stderr
    poll(entry.is_enabled, timeout=5)
    text = entry.path.read_text(encoding="utf-8")
    assert "--minimized" in text
    assert f"RIGPILOT_HOME={worker.home}" in text  # this installation, not the default one
    worker.client.call(endpoints.PATCH_SETTINGS, {"autostart": False})
    poll(lambda: not entry.path.exists(), timeout=5)


def test_cli_settings_round_trip_through_a_real_worker(start_worker: Any) -> None:
    worker = start_worker("--simulate", "warm")
    refused = worker.cli("settings", "set", "electricity.price_per_kwh", "-1")
    assert refused.returncode == 2
    assert "must be a number from 0 to 5 per kWh (got -1)" in refused.stderr
    assert worker.client.call(endpoints.SETTINGS).settings["electricity.price_per_kwh"] == 0.15
    done = worker.cli("settings", "set", "electricity.price_per_kwh", "0.2")
    assert done.returncode == 0 and "(applied)" in done.stdout
    assert worker.client.call(endpoints.SETTINGS).settings["electricity.price_per_kwh"] == 0.2
    shown = worker.cli("settings", "get", "electricity.price_per_kwh")
    assert shown.stdout.strip() == "0.2 per kWh"
