"""The built Linux packages: the frozen self-test, the .deb, the desktop entry, the user unit.

These check what ``installers/build_linux.sh`` left in ``dist/``; they run when
RIGPILOT_BUILD_BUNDLE=1 (tests/run.sh sets it after building) and are skipped otherwise,
since a build takes minutes. The .deb is unpacked into a throwaway root with ``dpkg -x``
(nothing is installed on the machine), and its programs are run from there.
"""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import __version__

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE_EXE = DIST / "rigpilot" / "rigpilot"
DEB = DIST / f"rigpilot_{__version__}_amd64.deb"
TARBALL = DIST / f"rigpilot-{__version__}-linux-x86_64.tar.gz"
UNIT = "usr/lib/systemd/user/rigpilot-worker.service"
PROBES = {
    "modules", "runtime-imports", "ui-modules", "qt-platform", "icons", "window",
    "local-socket", "tray", "keyring", "docker", "nvml", "ledger", "reaper",
}  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("RIGPILOT_BUILD_BUNDLE") != "1",
        reason="set RIGPILOT_BUILD_BUNDLE=1 after installers/build_linux.sh (tests/run.sh does)",
    ),
]


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run installers/build_linux.sh")
    return path


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def deb_root() -> Iterator[Path]:
    """The .deb unpacked into a throwaway root (``dpkg -x``: no scripts, no system change)."""
    root = Path(tempfile.mkdtemp(prefix="rp-deb-"))
    subprocess.run(["dpkg-deb", "-x", str(_need(DEB)), str(root)], check=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _self_test(env: dict[str, str]) -> dict:
    done = run([str(_need(BUNDLE_EXE)), "self-test", "--json"], env)
    assert done.returncode == 0, f"self-test failed:\n{done.stdout}\n{done.stderr}"
    result = json.loads(done.stdout)
    assert result["ok"] and result["frozen"] and result["missing"] == []
    assert {p["name"] for p in result["probes"]} == PROBES
    return {p["name"]: p for p in result["probes"]}


def test_frozen_self_test_passes_on_the_desktop(
    display: str, secret_service: str, docker_host: str, rigpilot_home: Path
) -> None:
    probes = _self_test(dict(os.environ))
    assert "'xcb'" in probes["qt-platform"]["detail"]
    assert probes["tray"]["status"] == "pass"  # trayer is the tray host
    assert probes["keyring"]["status"] == "pass"  # the unlocked gnome-keyring
    assert "answers" in probes["docker"]["detail"]  # the private engine
    assert all(p["status"] == "pass" for p in probes.values())


def test_frozen_self_test_passes_headless(rigpilot_home: Path) -> None:
    """A headless rig: no display and no D-Bus session; Qt renders offscreen, tray skipped."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["DOCKER_HOST"] = f"unix://{rigpilot_home}/no-engine.sock"
    probes = _self_test(env)
    assert "'offscreen'" in probes["qt-platform"]["detail"]
    assert probes["tray"]["status"] == "skip"
    assert probes["keyring"]["status"] in {"pass", "warn"}  # a fail backend is a warning
    assert "no engine answers" in probes["docker"]["detail"]


def test_tarball_holds_the_bundle_and_the_desktop_files() -> None:
    listing = run(["tar", "-tzf", str(_need(TARBALL))], dict(os.environ)).stdout.splitlines()
    top = f"rigpilot-{__version__}/"
    for member in (
        "rigpilot",
        "share/applications/rigpilot.desktop",
        "share/icons/hicolor/scalable/apps/rigpilot.svg",
        "share/systemd/user/rigpilot-worker.service",
    ):
        assert top + member in listing
    assert all(name.startswith(top) for name in listing)


def test_deb_metadata() -> None:
    fields = run(["dpkg-deb", "-f", str(_need(DEB))], dict(os.environ)).stdout
    assert "Package: rigpilot" in fields
    assert f"Version: {__version__}" in fields
    assert "Architecture: amd64" in fields
    assert "Depends: libc6 (>= 2." in fields


def test_deb_layout(deb_root: Path) -> None:
    exe = deb_root / "opt/rigpilot/rigpilot"
    assert exe.is_file() and os.access(exe, os.X_OK)
    link = deb_root / "usr/bin/rigpilot"
    assert link.is_symlink() and os.readlink(link) == "/opt/rigpilot/rigpilot"
    assert (deb_root / "usr/share/icons/hicolor/scalable/apps/rigpilot.svg").is_file()
    assert (deb_root / UNIT).is_file()
    assert (deb_root / "usr/share/doc/rigpilot/copyright").is_file()


def test_deb_runs_version_and_doctor(deb_root: Path, rigpilot_home: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    # Through a symlink, as /usr/bin/rigpilot runs it: the bootloader must find _internal/.
    link = tmp_path / "rigpilot"
    link.symlink_to(deb_root / "opt/rigpilot/rigpilot")
    done = run([str(link), "--version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rigpilot {__version__}"
    done = run([str(link), "doctor", "--json"], env)
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    ids = {check["id"] for check in report["checks"]}
    assert "driver" in ids and any(i.startswith("docker") for i in ids)


def test_desktop_entry(deb_root: Path) -> None:
    entry = deb_root / "usr/share/applications/rigpilot.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(entry)
    section = parser["Desktop Entry"]
    assert section["Exec"].split()[0] == "rigpilot"  # found through /usr/bin
    assert section["Icon"] == "rigpilot"
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (apt install desktop-file-utils)")
    done = run([validator, str(entry)], dict(os.environ))
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def _unit(deb_root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(deb_root / UNIT)
    return parser


def test_user_unit_is_hardened_without_hiding_sockets(deb_root: Path) -> None:
    service = _unit(deb_root)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes"
    for hiding in ("PrivateTmp", "ProtectSystem", "ProtectHome", "PrivateDevices", "ProtectProc"):
        assert hiding not in service, f"{hiding} would cut the worker off Docker, NVML or /proc"
    assert _unit(deb_root)["Install"]["WantedBy"] == "default.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:  # syntax check, with the path of the unpacked executable
        unit = deb_root / "rigpilot-worker.service"
        opt = str(deb_root / "opt/rigpilot")
        unit.write_text((deb_root / UNIT).read_text().replace("/opt/rigpilot", opt))
        done = run([analyze, "verify", str(unit)], dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
        assert done.returncode == 0, done.stdout + done.stderr


def _wait_for_status(exe: Path, env: dict[str, str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        done = run([str(exe), "status", "--json"], env, timeout=30)
        if done.returncode == 0:
            return json.loads(done.stdout)
        if time.monotonic() > deadline:
            pytest.fail(f"`rigpilot status` never answered: {done.stderr.strip()}")
        time.sleep(0.3)


def _user_systemd() -> bool:
    """A user service manager that takes transient units (not in containers or CI here)."""
    if shutil.which("systemd-run") is None or shutil.which("systemctl") is None:
        return False
    state = subprocess.run(
        ["systemctl", "--user", "is-system-running"], capture_output=True, text=True, timeout=10
    )
    return state.stdout.strip() in {"running", "degraded"}


def _run_under_systemd(exe: Path, argv: list[str], service: configparser.SectionProxy) -> None:
    """`systemd-run --user` with the unit's own settings, then `status` against it."""
    name = f"rigpilot-test-{os.getpid()}"
    kept = (
        "NoNewPrivileges", "UMask", "LockPersonality", "RestrictRealtime", "RestrictSUIDSGID",
        "SystemCallArchitectures", "RestrictAddressFamilies", "KillMode", "TimeoutStopSec",
    )  # fmt: skip
    props = [f"--property={key}={service[key]}" for key in kept if key in service]
    home = os.environ["RIGPILOT_HOME"]
    subprocess.run(
        ["systemd-run", "--user", "--collect", f"--unit={name}", f"--setenv=RIGPILOT_HOME={home}",
         *props, str(exe), *argv[1:]],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    try:
        assert _wait_for_status(exe, dict(os.environ))["version"] == __version__
    finally:
        subprocess.run(["systemctl", "--user", "stop", name], capture_output=True, timeout=120)


def test_user_unit_runs_the_worker_headless(deb_root: Path, rigpilot_home: Path) -> None:
    """The unit's ExecStart runs the worker headless and `rigpilot status` talks to it.

    Under `systemd-run --user` where a user manager runs; otherwise (containers, this CI)
    the ExecStart line is run directly and stopped the way systemd stops it.
    """
    service = _unit(deb_root)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/rigpilot/rigpilot"
    assert argv[1:] == ["worker", "--foreground"]
    exe = deb_root / argv[0].lstrip("/")
    if _user_systemd():
        _run_under_systemd(exe, argv, service)
        return
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    worker = subprocess.Popen(
        [str(exe), *argv[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        status = _wait_for_status(exe, env)
        assert status["pid"] == worker.pid
        assert status["version"] == __version__
        # systemd stops it with SIGTERM to the main process (KillMode=mixed): a clean exit.
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output.decode(errors="replace")[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
