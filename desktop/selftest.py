"""``rigpilot self-test [--json]``: is this installation, above all a frozen bundle, whole?

Why: PyInstaller finds a module only when something imports it by a plain ``import``
statement. Keyring backends (entry points), Docker transports, uvicorn's protocol classes
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
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop import __version__

MANIFEST = "rigpilot-manifest.json"
PASS, WARN, SKIP, FAIL = "pass", "warn", "skip", "fail"
NO_DRIVER_CODES = ("library_not_found", "driver_not_loaded")
PROBE_TIMEOUT_S = 20.0
QT_TIMEOUT_S = 60.0

# Modules that libraries import by name at run time, invisible to PyInstaller's analysis.
# The spec lists them as hidden imports; the self-test imports them, so the two agree.
RUNTIME_IMPORTS: dict[str, tuple[str, ...]] = {
    "any": (
        "uvicorn.protocols.http.h11_impl",  # the worker's Config(http="h11")
        "uvicorn.lifespan.off",  # Config(lifespan="off")
        "uvicorn.loops.asyncio",
        "anyio._backends._asyncio",  # starlette's thread pool
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


@dataclass(frozen=True)
class Probe:
    """One piece of the installation and what became of it."""

    name: str
    status: str  # pass | warn | skip | fail
    detail: str
    fix: str = ""


def short_error(exc: BaseException) -> str:
    """One line for an exception (numpy's ImportError alone is 20 lines of advice)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[-1] if lines else ""
    return f"{type(exc).__name__}: {text}"[:300]


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


def probe_keyring() -> Probe:
    from importlib.metadata import entry_points

    from desktop.secrets import HOW_TO_GET_A_KEYRING, SecretStore

    found = list(entry_points(group="keyring.backends"))
    if not found:
        detail = "keyring's list of backends (its package metadata) is not in the bundle"
        return Probe("keyring", FAIL, detail, "Rebuild with copy_metadata('keyring').")
    for point in found:
        point.load()  # raises, naming the backend, when its module is missing
    store = SecretStore()
    name, problem = store.backend_name(), store.problem()
    bundled = ", ".join(sorted(p.name for p in found))
    if problem:
        return Probe("keyring", WARN, f"{problem} (bundled: {bundled})", HOW_TO_GET_A_KEYRING)
    return Probe("keyring", PASS, f"using {name} (bundled: {bundled})")


def probe_docker() -> Probe:
    """A client object must be constructible (transports bundled); the engine may be absent."""
    import docker
    from docker.constants import DEFAULT_DOCKER_API_VERSION as API
    from docker.utils import kwargs_from_env

    local = "npipe:////./pipe/docker_engine" if sys.platform == "win32" else "unix://"
    docker.DockerClient(base_url=local, version=API).close()  # this platform's transport
    try:
        kwargs = kwargs_from_env()
    except docker.errors.DockerException as exc:
        return Probe("docker", WARN, f"DOCKER_HOST cannot be used: {exc}")
    where = kwargs.get("base_url") or "the default socket"
    try:  # "auto" asks the engine for its API version: the one request we make
        client = docker.DockerClient(version="auto", timeout=3, **kwargs)
    except docker.errors.DockerException as exc:
        docker.DockerClient(version=API, **kwargs).close()
        reach = f"no engine answers at {where} ({type(exc).__name__}); the client is bundled"
    else:
        reach = f"the engine at {where} answers (API {client.api.api_version})"
        client.close()
    return Probe("docker", PASS, reach)


def probe_nvml() -> Probe:
    from desktop.hardware.gpu import GpuError

    nvml = importlib.import_module("desktop.hardware.nvml")  # by name: see checks.context
    try:
        backend = nvml.open_backend()
    except GpuError as exc:
        if exc.code in NO_DRIVER_CODES:
            return Probe("nvml", PASS, f"NVML is bundled; no driver: {exc.cause}")
        return Probe("nvml", WARN, f"NVML is bundled; the driver said: {exc.cause}", exc.fix)
    try:
        names = ", ".join(gpu.name for gpu in backend.devices()) or "no GPU"
    finally:
        backend.close()
    return Probe("nvml", PASS, f"NVML works: {names}")


def probe_ledger() -> Probe:
    from desktop.ledger.ledger import Ledger

    with tempfile.TemporaryDirectory(prefix="rigpilot-selftest-") as tmp:
        ledger = Ledger.open(Path(tmp) / "ledger.sqlite")
        try:
            version, check = ledger.schema_version, ledger.integrity_check()
        finally:
            ledger.close()
    status = PASS if check == "ok" else FAIL
    return Probe("ledger", status, f"a temporary ledger opened at schema {version} ({check})")


def self_command(*args: str) -> list[str]:
    """argv that runs ``rigpilot ARGS`` with this very installation (frozen or not)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "desktop", *args]


def probe_reaper_route() -> Probe:
    """The worker starts its reaper as ``<exe> -m desktop.jobs.reaper``; a bundle must route it."""
    argv = [sys.executable, "-m", "desktop.jobs.reaper", "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode == 0 and "--lease" in done.stdout:
        return Probe("reaper", PASS, "the job reaper starts")
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return Probe("reaper", FAIL, f"the job reaper does not start: {tail[0]}")


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
    errors = [ln for ln in done.stderr.splitlines() if ln.strip()]
    hint = next((ln for ln in errors if "plugin" in ln.lower()), errors[-1] if errors else "")
    detail = f"the Qt part stopped (exit {done.returncode}): {hint or 'no output'}"
    fix = "On Linux install libxcb-cursor0 and libxkbcommon-x11-0; otherwise reinstall RigPilot."
    return [Probe("qt", FAIL, detail, fix)]


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
