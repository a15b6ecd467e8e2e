"""Start RigPilot at log-in, behind one interface: enable / disable / is_enabled.

Why one interface: the ``autostart`` setting, the first-run wizard and the settings page
only say "on" or "off"; how each OS does it stays here. Linux (and the BSDs) get an XDG
autostart entry ``$XDG_CONFIG_HOME/autostart/rigpilot.desktop``; Windows a value in the
per-user ``Run`` registry key (no admin rights needed); macOS a per-user LaunchAgent plist.
Every variant launches ``rigpilot --minimized``, so a log-in brings up the tray icon (and
through it the worker) without a window in the user's face. When ``RIGPILOT_HOME`` is set
(a side-by-side install), the entry carries it (``env RIGPILOT_HOME=...`` in the XDG entry,
``EnvironmentVariables`` in the LaunchAgent), so the sign-in starts THIS installation, not
the default one; an entry whose command no longer matches is rewritten.

Nothing here imports Qt, and nothing needs elevated rights.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from desktop.atomic import atomic_write

APP_ID = "rigpilot"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "RigPilot"
AGENT_LABEL = "org.rigpilot.app"
GUI_FLAG = "--minimized"


class AutostartError(OSError):
    """Autostart could not be changed; the message names the file or key and the cause."""


class Autostart(Protocol):
    """The one interface: what each platform implements."""

    def enable(self) -> None: ...

    def disable(self) -> None: ...

    def is_enabled(self) -> bool: ...

    def describe(self) -> str:
        """Where the entry lives, in words (shown next to the setting)."""
        ...


def launch_command(
    frozen: bool | None = None,
    executable: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The argv that opens this very installation's app in the tray.

    The PyInstaller executable dispatches on argv; an installed package has the
    ``rigpilot`` script on PATH; a source checkout falls back to ``python -m desktop``.
    """
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    executable = executable or sys.executable
    if frozen:
        return [executable, GUI_FLAG]
    script = which(APP_ID)
    if script:
        return [script, GUI_FLAG]
    return [executable, "-m", "desktop", GUI_FLAG]


# --- Linux: XDG autostart -------------------------------------------------------------


def _desktop_quote(arg: str) -> str:
    """Quote one argument for a desktop entry's Exec key (Desktop Entry Spec, "Exec")."""
    arg = arg.replace("%", "%%")
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`="):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def _key_value_escape(text: str) -> str:
    """Escape a value of a desktop entry (a backslash starts an escape sequence)."""
    return text.replace("\\", "\\\\").replace("\n", " ")


def launch_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the sign-in entry must set: ``RIGPILOT_HOME`` when this installation
    uses one (as an absolute path: the entry does not run in today's folder)."""
    env = os.environ if env is None else env
    home = env.get("RIGPILOT_HOME", "").strip()
    return {"RIGPILOT_HOME": os.path.abspath(os.path.expanduser(home))} if home else {}


class XdgAutostart:
    """``rigpilot.desktop`` in the XDG autostart folder (GNOME, KDE, XFCE, Cinnamon...)."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
        launch: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        base = env.get("XDG_CONFIG_HOME", "").strip()
        # The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
        root = Path(base) if base and os.path.isabs(base) else (home or Path.home()) / ".config"
        self.path = root / "autostart" / f"{APP_ID}.desktop"
        assignments = [f"{k}={v}" for k, v in (launch or {}).items()]
        self.command = (["env", *assignments] if assignments else []) + list(command)

    def exec_line(self) -> str:
        return "Exec=" + _key_value_escape(" ".join(_desktop_quote(a) for a in self.command))

    def entry(self) -> str:
        return (
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=RigPilot\n"
            "Comment=Puts your idle GPU to paid work, safely (starts in the tray)\n"
            f"{self.exec_line()}\n"
            f"Icon={APP_ID}\n"
            "Terminal=false\n"
            "Categories=Utility;\n"
            "X-GNOME-Autostart-enabled=true\n"
        )

    def enable(self) -> None:
        _write_entry(self.path, self.entry().encode("utf-8"))

    def disable(self) -> None:
        _remove_entry(self.path)

    def is_enabled(self) -> bool:
        """On when our entry exists and is not switched off by the desktop (Hidden=true)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return False
        lines = {line.strip().lower() for line in text.splitlines()}
        return "hidden=true" not in lines and "x-gnome-autostart-enabled=false" not in lines

    def is_current(self) -> bool:
        """The entry starts this installation (same command and RIGPILOT_HOME); other
        lines, such as a user's own additions, are not compared."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return False
        return self.exec_line() in {line.strip() for line in text.splitlines()}

    def describe(self) -> str:
        return f"autostart entry {self.path}"


# --- Windows: the per-user Run key (code path only on other systems) -------------------


class WindowsRunKey:
    """A ``RigPilot`` value under HKCU\\...\\CurrentVersion\\Run.

    ``registry`` is the ``winreg`` module; tests hand in a fake with the same calls.
    """

    def __init__(self, command: Sequence[str], registry: Any | None = None) -> None:
        self.command_line = subprocess.list2cmdline(list(command))
        self._registry = registry

    def _reg(self) -> Any:
        if self._registry is None:
            import winreg  # only exists on Windows

            self._registry = winreg
        return self._registry

    def enable(self) -> None:
        reg = self._reg()
        try:
            with reg.CreateKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                reg.SetValueEx(key, RUN_VALUE, 0, reg.REG_SZ, self.command_line)
        except OSError as exc:
            raise AutostartError(f"could not write HKCU\\{RUN_KEY}\\{RUN_VALUE}: {exc}") from exc

    def disable(self) -> None:
        reg = self._reg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            return  # the key or the value is not there: already off
        except OSError as exc:
            raise AutostartError(f"could not remove HKCU\\{RUN_KEY}\\{RUN_VALUE}: {exc}") from exc

    def is_enabled(self) -> bool:
        reg = self._reg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = reg.QueryValueEx(key, RUN_VALUE)
        except OSError:
            return False
        return bool(str(value).strip())

    def describe(self) -> str:
        return f"registry value HKCU\\{RUN_KEY}\\{RUN_VALUE}"


# --- macOS: a LaunchAgent (code path only on other systems) -----------------------------


class MacLaunchAgent:
    """``~/Library/LaunchAgents/org.rigpilot.app.plist``, loaded by launchd at log-in."""

    def __init__(
        self,
        command: Sequence[str],
        home: Path | None = None,
        launch: Mapping[str, str] | None = None,
    ) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        self.command = list(command)
        self.launch = dict(launch or {})

    def plist(self) -> dict[str, Any]:
        plist: dict[str, Any] = {
            "Label": AGENT_LABEL,
            "ProgramArguments": self.command,
            "RunAtLoad": True,
            "KeepAlive": False,  # quitting the app from the tray must stick
            "ProcessType": "Interactive",
        }
        if self.launch:
            plist["EnvironmentVariables"] = dict(self.launch)
        return plist

    def is_current(self) -> bool:
        import plistlib  # macOS only: not loaded by every worker (issue 18)

        try:
            data = plistlib.loads(self.path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return (
            all(data.get(k) == v for k, v in self.plist().items())
            if isinstance(data, dict)
            else False
        )

    def enable(self) -> None:
        import plistlib

        _write_entry(self.path, plistlib.dumps(self.plist()))

    def disable(self) -> None:
        _remove_entry(self.path)

    def is_enabled(self) -> bool:
        import plistlib

        try:
            data = plistlib.loads(self.path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(data, dict) and not data.get("Disabled", False)

    def describe(self) -> str:
        return f"LaunchAgent {self.path}"


def for_platform(platform: str | None = None, command: Sequence[str] | None = None) -> Autostart:
    """The implementation for this OS (or ``platform``, a ``sys.platform`` value)."""
    platform = platform or sys.platform
    argv = list(command) if command is not None else launch_command()
    if platform == "win32":
        # A Run value cannot set a variable: RIGPILOT_HOME there needs an app option.
        return WindowsRunKey(argv)
    if platform == "darwin":
        return MacLaunchAgent(argv, launch=launch_env())
    return XdgAutostart(argv, launch=launch_env())


def apply_setting(enabled: bool, autostart: Autostart | None = None) -> bool:
    """Make the OS match the ``autostart`` setting; returns whether anything changed.

    Called by the worker when the setting changes (it owns side effects). An entry that
    is already right is left alone, so a user's own edits to it survive.
    """
    target = autostart or for_platform()
    current = getattr(target, "is_current", target.is_enabled)
    if target.is_enabled() == enabled and (not enabled or current()):
        return False
    if enabled:
        target.enable()
    else:
        target.disable()
    return True


def _write_entry(path: Path, data: bytes) -> None:
    """Write an autostart file atomically (a crash leaves the old entry or the new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, mode=0o644, keep_prev=False)
    except OSError as exc:
        raise AutostartError(f"could not write {path}: {exc.strerror or exc}") from exc


def _remove_entry(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"could not remove {path}: {exc.strerror or exc}") from exc
