"""``rigpilot self-test [--json]``: is this installation, above all a frozen bundle, whole?

Why: PyInstaller finds a module only when something imports it by a plain ``import``
statement. Keyring backends (entry points), Docker transports
and anyio's backend are loaded by name at run time, and Qt loads its platform and image
plugins from folders; a bundle that lacks one of them starts fine and breaks later, in
front of a user. This command exercises each such piece once and names the missing one.

Like ``desktop/__main__.py`` this is a composition point, not part of ``desktop.cli``: it
reaches Docker, NVML, the ledger and (in a child process) Qt. The Qt half lives in
``desktop.ui.selftest_qt`` and runs as ``rigpilot self-test --qt-part`` in its own process,
because Qt aborts the whole process when its platform plugin cannot load, and that must
become a named failure here, not a crash without a report.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.selftest_probes import (
    FAIL,
    PASS,
    WARN,
    Probe,
    probe_docker,
    probe_keyring,
    probe_ledger,
    probe_nvml,
    probe_reaper_route,
    short_error,
)

MANIFEST = "rigpilot-manifest.json"
PROBE_TIMEOUT_S = 20.0
QT_TIMEOUT_S = 60.0

# Modules that libraries import by name at run time, invisible to PyInstaller's analysis.
# The spec lists them as hidden imports; the self-test imports them, so the two agree.
RUNTIME_IMPORTS: dict[str, tuple[str, ...]] = {
    "any": (
        "anyio._backends._asyncio",  # httpx's async client (the price feed)
        "keyring.backends.chainer",
        "keyring.backends.fail",
        "keyring.backends.null",
        "desktop.jobs.reaper",  # started as `rigpilot -m desktop.jobs.reaper`
    ),
    "linux": (
        "keyring.backends.SecretService",
        "keyring.backends.libsecret",
        "keyring.backends.kwallet",
        "secretstorage",
        "jeepney.io.blocking",
        "docker.transport.unixconn",
    ),
    "win32": ("keyring.backends.Windows", "docker.transport.npipeconn"),
    "darwin": ("keyring.backends.macOS", "docker.transport.unixconn"),
}


def runtime_imports(platform: str = sys.platform) -> list[str]:
    """The by-name imports this platform's bundle must hold."""
    return [*RUNTIME_IMPORTS["any"], *RUNTIME_IMPORTS.get(platform, ())]


def source_modules(package_dir: Path, package: str = "desktop") -> list[str]:
    """Every module of the package in a source tree, namespace folders included.

    A folder's walk instead of ``pkgutil.walk_packages``, which skips folders without an
    ``__init__.py``; the spec writes this list into the bundle as the manifest.
    """
    names = set()
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if "__pycache__" in parts or not all(p.isidentifier() for p in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join((package, *parts)))
    return sorted(names)


def expected_modules() -> list[str]:
    """The manifest the spec wrote when frozen; the source tree's modules otherwise."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        data = json.loads((Path(frozen) / MANIFEST).read_text())
        return [str(name) for name in data["modules"]]
    return source_modules(Path(__file__).resolve().parent)


def _guarded(name: str, probe: Callable[[], Probe], timeout: float = PROBE_TIMEOUT_S) -> Probe:
    """Run a probe in a thread: an exception or a hang becomes a failure naming the probe."""
    result: list[Probe] = []

    def target() -> None:
        try:
            result.append(probe())
        except Exception as exc:  # every error is a finding here
            result.append(Probe(name, FAIL, short_error(exc)))

    thread = threading.Thread(target=target, name=f"self-test-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0] if result else Probe(name, FAIL, f"no answer within {timeout:g} s")


def _import_all(name: str, modules: list[str]) -> Probe:
    broken = []
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # ImportError, or an error inside it
            broken.append(f"{module} ({short_error(exc)})")
    if broken:
        fix = "Rebuild the bundle (installers/build_linux.sh) or reinstall RigPilot."
        more = f"; and {len(broken) - 5} more" if len(broken) > 5 else ""
        return Probe(name, FAIL, "cannot import " + "; ".join(broken[:5]) + more, fix)
    return Probe(name, PASS, f"{len(modules)} modules import")


def probe_modules() -> Probe:
    """Every RigPilot module outside desktop.ui (the Qt child imports those)."""
    try:
        modules = expected_modules()
    except (OSError, ValueError, KeyError) as exc:
        return Probe("modules", FAIL, f"the bundle's module list {MANIFEST} is unreadable: {exc}")
    return _import_all("modules", [m for m in modules if not m.startswith("desktop.ui")])


def probe_runtime_imports() -> Probe:
    return _import_all("runtime-imports", runtime_imports())


def self_command(*args: str) -> list[str]:
    """argv that runs ``rigpilot ARGS`` with this very installation (frozen or not)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "desktop", *args]


def qt_environment(env: dict[str, str]) -> tuple[dict[str, str], bool]:
    """The Qt child's environment; without any display it renders offscreen (headless rig)."""
    env = dict(env)
    headless = sys.platform.startswith("linux") and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM")
    )
    if headless:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env, headless


def probe_qt() -> list[Probe]:
    """Run desktop.ui.selftest_qt in a child; a crash there names the Qt piece that failed."""
    env, headless = qt_environment(dict(os.environ))
    modules = [m for m in expected_modules() if m.startswith("desktop.ui")]
    request = json.dumps({"modules": modules, "headless": headless})
    try:
        done = subprocess.run(
            self_command("self-test", "--qt-part"),
            input=request,
            capture_output=True,
            text=True,
            env=env,
            timeout=QT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [Probe("qt", FAIL, f"the Qt part did not finish within {QT_TIMEOUT_S:g} s")]
    lines = done.stdout.strip().splitlines()
    try:
        return [Probe(**item) for item in json.loads(lines[-1])]
    except (IndexError, ValueError, TypeError):
        pass
    return [qt_failure(done.returncode, done.stderr)]


def qt_failure(code: int, stderr: str) -> Probe:
    """Name the Qt piece from Qt's own messages (it prints several; the first is the cause)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    display = next((ln for ln in lines if "could not connect to display" in ln), None)
    if display:
        fix = "Run it inside your desktop session, or without DISPLAY on a headless rig."
        return Probe("qt", FAIL, f"the Qt part stopped: {display}", fix)
    hint = next((ln for ln in lines if "Could not load the Qt platform plugin" in ln), None)
    hint = hint or next((ln for ln in lines if "plugin" in ln.lower()), None)
    hint = hint or (lines[-1] if lines else "no output")
    fix = (
        "Install the libraries the package depends on (Debian/Ubuntu: libxcb1 libgl1 libegl1); "
        "QT_DEBUG_PLUGINS=1 rigpilot self-test names the missing one."
    )
    return Probe("qt", FAIL, f"the Qt part stopped (exit {code}): {hint}", fix)


def run_probes() -> list[Probe]:
    probes = [
        _guarded("modules", probe_modules, 120.0),
        _guarded("runtime-imports", probe_runtime_imports),
    ]
    probes += probe_qt()
    for name, probe in (
        ("keyring", probe_keyring),
        ("docker", probe_docker),
        ("nvml", probe_nvml),
        ("ledger", probe_ledger),
        ("reaper", probe_reaper_route),
    ):
        probes.append(_guarded(name, probe))
    return probes


def report(probes: list[Probe]) -> dict[str, Any]:
    missing = [p.name for p in probes if p.status == FAIL]
    return {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "ok": not missing,
        "missing": missing,
        "probes": [asdict(p) for p in probes],
    }


def print_text(result: dict[str, Any]) -> None:
    kind = "bundle" if result["frozen"] else "source install"
    print(f"RigPilot {result['version']} self-test ({kind}: {result['executable']})")
    for probe in result["probes"]:
        print(f"  {probe['status']:<5} {probe['name']:<16} {probe['detail']}")
        if probe["fix"] and probe["status"] in (WARN, FAIL):
            print(f"        fix: {probe['fix']}")
    if result["ok"]:
        print("Everything RigPilot needs is here.")
    else:
        print(f"Missing or broken: {', '.join(result['missing'])}.")


def main(argv: list[str]) -> int:
    """``rigpilot self-test [--json]``: 0 when the installation is whole, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="rigpilot self-test")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--qt-part", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.qt_part:
        from desktop.ui import selftest_qt

        return selftest_qt.main()
    result = report(run_probes())
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_text(result)
    return 0 if result["ok"] else 1
