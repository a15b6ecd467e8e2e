"""Where RigPilot keeps its files.

platformdirs gives the per-OS defaults; ``RIGPILOT_HOME=/some/dir`` puts config, data, logs
and the runtime socket under one folder, which is what tests and side-by-side installs use.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "rigpilot"
WINDOWS_APP_NAME = "RigPilot"  # the folder name a Windows user sees in %LOCALAPPDATA%


@dataclass(frozen=True)
class Paths:
    """The folders of one RigPilot installation."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    runtime_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def ledger_file(self) -> Path:
        return self.data_dir / "ledger.sqlite"

    @property
    def token_file(self) -> Path:
        return self.config_dir / "api-token"

    @property
    def socket_file(self) -> Path:
        return self.runtime_dir / "worker.sock"

    @property
    def port_file(self) -> Path:
        """Windows only: the loopback port of the worker's API."""
        return self.runtime_dir / "worker.port"

    @property
    def lock_file(self) -> Path:
        return self.runtime_dir / "worker.lock"

    def ensure(self) -> Paths:
        """Create the folders, user-only (0700), and return self."""
        old = os.umask(0o077)
        try:
            for folder in (self.config_dir, self.data_dir, self.log_dir, self.runtime_dir):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if sys.platform != "win32":
                os.chmod(self.runtime_dir, 0o700)
        finally:
            os.umask(old)
        return self


def get_paths() -> Paths:
    """The paths in force: RIGPILOT_HOME when set, otherwise the platform's defaults."""
    home = os.environ.get("RIGPILOT_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "logs", root / "run")
    if sys.platform == "win32":
        return windows_paths()
    runtime = platformdirs.user_runtime_path(APP_NAME) if sys.platform.startswith("linux") else None
    data = platformdirs.user_data_path(APP_NAME)
    return Paths(
        config_dir=platformdirs.user_config_path(APP_NAME),
        data_dir=data,
        log_dir=platformdirs.user_log_path(APP_NAME),
        runtime_dir=runtime if runtime is not None else data / "run",
    )


def demo_paths(base: Paths) -> Paths:
    """The demo's own installation, inside ``base``'s data folder (``.../data/demo``).

    Why apart: ``rigpilot --demo`` runs a simulated GPU and the practice network; in its own
    folders its worker, settings, ledger and window never meet the real ones, so the real
    app cannot find (and adopt) the demo's worker, and the demo can run beside a real
    worker without stopping it. The layout is a RIGPILOT_HOME one, so the worker it starts
    finds the same folders through ``RIGPILOT_HOME``.
    """
    root = base.data_dir / "demo"
    return Paths(root / "config", root / "data", root / "logs", root / "run")


def windows_paths() -> Paths:
    """Everything under ``%LOCALAPPDATA%\\RigPilot`` (platformdirs asks Windows for the folder).

    Local, not roaming (``%APPDATA%``): the settings name this machine's GPUs and power
    limits, the ledger is a live SQLite file and the token guards this machine's API, none
    of which should follow the user to another PC. No "author" level: one folder a user can
    find, ``%LOCALAPPDATA%\\RigPilot``, with ``Logs`` and ``run`` inside.
    """
    root = platformdirs.user_data_path(WINDOWS_APP_NAME, appauthor=False, roaming=False)
    logs = platformdirs.user_log_path(WINDOWS_APP_NAME, appauthor=False)
    return Paths(config_dir=root, data_dir=root, log_dir=logs, runtime_dir=root / "run")
