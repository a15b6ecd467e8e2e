"""Autostart behind one interface: XDG entry (real files), Run key and LaunchAgent (code paths)."""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path
from typing import Any

import pytest

from desktop import autostart
from desktop.autostart import MacLaunchAgent, WindowsRunKey, XdgAutostart

COMMAND = ["/opt/Rig Pilot/bin/rigpilot", "--minimized"]


def exec_argv(entry: str) -> list[str]:
    line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    return shlex.split(line[len("Exec=") :].replace("\\\\", "\\"))


def test_xdg_entry_respects_xdg_config_home(tmp_path: Path) -> None:
    entry = XdgAutostart(COMMAND, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, home=tmp_path)
    assert entry.path == tmp_path / "cfg" / "autostart" / "rigpilot.desktop"
    assert not entry.is_enabled()
    entry.enable()
    text = entry.path.read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n") and "Type=Application" in text
    assert exec_argv(text) == COMMAND, "a path with a space survives the Exec quoting"
    assert entry.is_enabled()
    entry.enable()  # idempotent
    entry.disable()
    assert not entry.path.exists() and not entry.is_enabled()
    entry.disable()  # already off: no error


def test_xdg_falls_back_to_dot_config(tmp_path: Path) -> None:
    for env in ({}, {"XDG_CONFIG_HOME": "relative/dir"}, {"XDG_CONFIG_HOME": ""}):
        entry = XdgAutostart(COMMAND, env=env, home=tmp_path)
        assert entry.path == tmp_path / ".config" / "autostart" / "rigpilot.desktop"


def test_xdg_entry_hidden_by_the_desktop_counts_as_off(tmp_path: Path) -> None:
    entry = XdgAutostart(COMMAND, env={}, home=tmp_path)
    entry.enable()
    entry.path.write_text(entry.entry() + "Hidden=true\n", encoding="utf-8")
    assert not entry.is_enabled()


def test_exec_quoting_escapes_the_specials() -> None:
    entry = XdgAutostart(['/a/"odd"$dir/100%/rp', "--minimized"], env={}, home=Path("/h"))
    line = next(x for x in entry.entry().splitlines() if x.startswith("Exec="))
    assert line == 'Exec="/a/\\\\"odd\\\\"\\\\$dir/100%%/rp" --minimized'


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cfg"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    entry = XdgAutostart(COMMAND, env={"XDG_CONFIG_HOME": str(blocker)}, home=tmp_path)
    with pytest.raises(autostart.AutostartError, match="could not write .*rigpilot.desktop"):
        entry.enable()


class FakeWinreg:
    """The few winreg calls the Run key uses, over a dict."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 2
    REG_SZ = 1

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}

    class _Key:
        def __init__(self, values: dict[str, Any]) -> None:
            self.values = values

        def __enter__(self) -> FakeWinreg._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def CreateKey(self, root: str, path: str) -> _Key:  # noqa: N802 (winreg's names)
        return self._Key(self.keys.setdefault(f"{root}\\{path}", {}))

    def OpenKey(self, root: str, path: str, reserved: int = 0, access: int = 0) -> _Key:  # noqa: N802
        full = f"{root}\\{path}"
        if full not in self.keys:
            raise FileNotFoundError(full)
        return self._Key(self.keys[full])

    def SetValueEx(self, key: _Key, name: str, reserved: int, kind: int, value: str) -> None:  # noqa: N802
        key.values[name] = (value, kind)

    def QueryValueEx(self, key: _Key, name: str) -> tuple[str, int]:  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name]

    def DeleteValue(self, key: _Key, name: str) -> None:  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(name)
        del key.values[name]


def test_windows_run_key() -> None:
    reg = FakeWinreg()
    run = WindowsRunKey([r"C:\Program Files\RigPilot\rigpilot.exe", "--minimized"], registry=reg)
    assert not run.is_enabled()
    run.disable()  # no key yet: fine
    run.enable()
    values = reg.keys["HKCU\\" + autostart.RUN_KEY]
    assert values["RigPilot"] == (
        '"C:\\Program Files\\RigPilot\\rigpilot.exe" --minimized',
        FakeWinreg.REG_SZ,
    )
    assert run.is_enabled()
    run.disable()
    assert not run.is_enabled() and "RigPilot" not in values


def test_macos_launch_agent(tmp_path: Path) -> None:
    agent = MacLaunchAgent(COMMAND, home=tmp_path)
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / "org.rigpilot.app.plist"
    assert not agent.is_enabled()
    agent.enable()
    data = plistlib.loads(agent.path.read_bytes())
    assert data["ProgramArguments"] == COMMAND and data["RunAtLoad"] is True
    assert data["Label"] == "org.rigpilot.app" and data["KeepAlive"] is False
    assert agent.is_enabled()
    agent.path.write_bytes(b"garbage")
    assert not agent.is_enabled()
    agent.disable()
    assert not agent.path.exists()


def test_platform_choice_and_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert isinstance(autostart.for_platform("linux", COMMAND), XdgAutostart)
    assert isinstance(autostart.for_platform("win32", COMMAND), WindowsRunKey)
    assert isinstance(autostart.for_platform("darwin", COMMAND), MacLaunchAgent)
    assert autostart.launch_command(frozen=True, executable="/app/rigpilot") == [
        "/app/rigpilot",
        "--minimized",
    ]
    assert autostart.launch_command(frozen=False, executable="/py", which=lambda n: None) == [
        "/py",
        "-m",
        "desktop",
        "--minimized",
    ]
    assert autostart.launch_command(frozen=False, which=lambda n: "/usr/bin/rigpilot") == [
        "/usr/bin/rigpilot",
        "--minimized",
    ]


def test_apply_setting_only_changes_what_differs(tmp_path: Path) -> None:
    entry = XdgAutostart(COMMAND, env={"XDG_CONFIG_HOME": str(tmp_path)}, home=tmp_path)
    assert autostart.apply_setting(True, entry) is True and entry.is_enabled()
    entry.path.write_text(entry.entry() + "# my own edit\n", encoding="utf-8")
    assert autostart.apply_setting(True, entry) is False
    assert "# my own edit" in entry.path.read_text(encoding="utf-8")
    assert autostart.apply_setting(False, entry) is True and not entry.is_enabled()
    assert autostart.apply_setting(False, entry) is False


def test_the_entry_starts_this_installation_with_its_rigpilot_home(tmp_path: Path) -> None:
    """A side-by-side install (RIGPILOT_HOME) must not sign in as the default one."""
    home = tmp_path / "side by side"
    launch = autostart.launch_env({"RIGPILOT_HOME": str(home)})
    assert launch == {"RIGPILOT_HOME": str(home)}
    assert autostart.launch_env({}) == {} and autostart.launch_env({"RIGPILOT_HOME": " "}) == {}
    entry = XdgAutostart(COMMAND, env={"XDG_CONFIG_HOME": str(tmp_path)}, launch=launch)
    entry.enable()
    assert exec_argv(entry.path.read_text(encoding="utf-8")) == [
        "env",
        f"RIGPILOT_HOME={home}",
        *COMMAND,
    ]
    agent = MacLaunchAgent(COMMAND, home=tmp_path, launch=launch)
    agent.enable()
    assert plistlib.loads(agent.path.read_bytes())["EnvironmentVariables"] == launch


def test_an_entry_for_another_home_is_rewritten(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    XdgAutostart(COMMAND, env=env).enable()  # written before the home was honoured
    ours = XdgAutostart(COMMAND, env=env, launch={"RIGPILOT_HOME": "/srv/rig2"})
    assert ours.is_enabled() and not ours.is_current()
    assert autostart.apply_setting(True, ours) is True and ours.is_current()
    assert "RIGPILOT_HOME=/srv/rig2" in ours.path.read_text(encoding="utf-8")


def test_for_platform_reads_rigpilot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("RIGPILOT_HOME", str(tmp_path / "h"))
    entry = autostart.for_platform("linux", COMMAND)
    assert isinstance(entry, XdgAutostart)
    assert entry.command[:2] == ["env", f"RIGPILOT_HOME={tmp_path / 'h'}"]
