"""`rigpilot self-test`: the runner's own logic, without building a bundle.

The probes themselves run for real in tests/integration/test_packaging.py against the
frozen bundle; here the pieces that decide what a user is told are checked directly.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

import desktop
from desktop import selftest
from desktop.cli import build_parser
from desktop.selftest_probes import FAIL, PASS, SKIP, WARN, Probe


def test_source_modules_walks_namespace_folders(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "ns").mkdir()  # no __init__.py: pkgutil.walk_packages would skip it
    (pkg / "__pycache__").mkdir()
    for name in ("__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "ns/c.py"):
        (pkg / name).write_text("")
    (pkg / "__pycache__" / "a.cpython-311.py").write_text("")
    (pkg / "not-a-module.py").write_text("")
    assert selftest.source_modules(pkg, "pkg") == [
        "pkg",
        "pkg.a",
        "pkg.ns.c",
        "pkg.sub",
        "pkg.sub.b",
    ]


def test_the_real_package_list_covers_every_file() -> None:
    modules = selftest.expected_modules()
    root = Path(desktop.__file__).parent
    assert len(modules) == len([p for p in root.rglob("*.py") if "__pycache__" not in p.parts])
    assert {"desktop", "desktop.selftest", "desktop.ui.selftest_qt", "desktop.jobs.reaper"} <= set(
        modules
    )


def test_frozen_build_reads_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / selftest.MANIFEST).write_text(json.dumps({"modules": ["desktop", "desktop.x"]}))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert selftest.expected_modules() == ["desktop", "desktop.x"]
    (tmp_path / selftest.MANIFEST).unlink()
    probe = selftest.probe_modules()
    assert probe.status == FAIL and selftest.MANIFEST in probe.detail


def test_runtime_imports_are_per_platform() -> None:
    linux = selftest.runtime_imports("linux")
    windows = selftest.runtime_imports("win32")
    assert "keyring.backends.SecretService" in linux and "keyring.backends.Windows" in windows
    assert "docker.transport.npipeconn" in windows and "docker.transport.npipeconn" not in linux
    assert "anyio._backends._asyncio" in linux and "anyio._backends._asyncio" in windows


def test_import_failures_name_the_module_in_one_line() -> None:
    probe = selftest._import_all("modules", ["json", "desktop.no_such_module"])
    assert probe.status == FAIL
    assert "desktop.no_such_module (ModuleNotFoundError:" in probe.detail
    assert "\n" not in probe.detail and probe.fix


def test_short_error_keeps_the_last_line() -> None:
    exc = ImportError("\n\nIMPORTANT: read this\n\nOriginal error was: libfoo.so: bad ELF\n")
    assert selftest.short_error(exc) == "ImportError: Original error was: libfoo.so: bad ELF"


def test_guarded_turns_errors_and_hangs_into_failures() -> None:
    def boom() -> Probe:
        raise OSError("socket gone")

    assert selftest._guarded("x", boom) == Probe("x", FAIL, "OSError: socket gone")
    slow = selftest._guarded("slow", lambda: time.sleep(2) or Probe("slow", PASS, ""), 0.05)
    assert slow.status == FAIL and "no answer within" in slow.detail


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display rule is Linux's")
def test_qt_renders_offscreen_without_a_display() -> None:
    env, headless = selftest.qt_environment({"PATH": "/bin"})
    assert headless and env["QT_QPA_PLATFORM"] == "offscreen"
    env, headless = selftest.qt_environment({"DISPLAY": ":1"})
    assert not headless and "QT_QPA_PLATFORM" not in env


def test_a_crashed_qt_child_names_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Qt aborts when its platform plugin cannot load; the report quotes Qt's own line."""
    script = (
        "import sys; sys.stdin.read();"
        "print('qt.qpa.plugin: Could not load the Qt platform plugin \"xcb\"', file=sys.stderr);"
        "sys.exit(134)"
    )
    monkeypatch.setattr(selftest, "self_command", lambda *a: [sys.executable, "-c", script])
    [probe] = selftest.probe_qt()
    assert probe.name == "qt" and probe.status == FAIL
    assert "exit 134" in probe.detail and 'platform plugin "xcb"' in probe.detail


def test_the_qt_child_results_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = [{"name": "window", "status": "pass", "detail": "shown", "fix": ""}]
    script = f"import sys; sys.stdin.read(); print('noise'); print({json.dumps(answer)!r})"
    monkeypatch.setattr(selftest, "self_command", lambda *a: [sys.executable, "-c", script])
    assert selftest.probe_qt() == [Probe("window", PASS, "shown")]


def test_warnings_and_skips_keep_the_exit_code_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = [Probe("tray", SKIP, "no tray"), Probe("keyring", WARN, "fail backend", "install")]
    monkeypatch.setattr(selftest, "run_probes", lambda: probes)
    assert selftest.main(["--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["missing"] == []


def test_a_failure_is_named_and_exits_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = [Probe("modules", PASS, "ok"), Probe("icons", FAIL, "qsvg missing", "Rebuild.")]
    monkeypatch.setattr(selftest, "run_probes", lambda: probes)
    assert selftest.main([]) == 1
    out = capsys.readouterr().out
    assert "Missing or broken: icons." in out and "fix: Rebuild." in out


def test_the_cli_lists_self_test_and_routes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    assert "self-test" in parser.format_help()
    seen: list[list[str]] = []
    monkeypatch.setattr(selftest, "main", lambda argv: seen.append(argv) or 0)
    args = parser.parse_args(["self-test", "--json"])
    assert args.handler(args) == 0 and seen == [["--json"]]


def test_dash_m_route_only_runs_rigpilot_modules(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.__main__ import _run_module

    assert _run_module(["os"]) == 2
    assert "desktop.jobs.reaper" in capsys.readouterr().err


def test_an_unreachable_display_is_told_apart_from_a_missing_plugin() -> None:
    stderr = (
        "qt.qpa.xcb: could not connect to display :77\n"
        "qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed ...\n"
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though found.\n'
    )
    probe = selftest.qt_failure(-6, stderr)
    assert "could not connect to display :77" in probe.detail and "desktop session" in probe.fix
    probe = selftest.qt_failure(-6, stderr.split("\n", 1)[1])
    assert 'Could not load the Qt platform plugin "xcb"' in probe.detail
    assert "QT_DEBUG_PLUGINS=1" in probe.fix
    tail = "Traceback ...\nImportError: libQt6Network.so.6: cannot open shared object file"
    assert selftest.qt_failure(1, tail).detail.endswith("cannot open shared object file")
