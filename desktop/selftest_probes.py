"""The probes of ``rigpilot self-test`` that reach outside services: keyring, Docker, NVML.

Each returns a :class:`Probe`; an absent service (no engine, no driver, no keyring) is a
pass or a warning, because the self-test judges the installation, not the machine: it
fails only when a piece of RigPilot itself is missing. ``desktop.selftest`` runs them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PASS, WARN, SKIP, FAIL = "pass", "warn", "skip", "fail"
NO_DRIVER_CODES = ("library_not_found", "driver_not_loaded")


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


def probe_reaper_route() -> Probe:
    """The worker starts its reaper as ``<exe> -m desktop.jobs.reaper``; a bundle must route it."""
    argv = [sys.executable, "-m", "desktop.jobs.reaper", "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode == 0 and "--lease" in done.stdout:
        return Probe("reaper", PASS, "the job reaper starts")
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return Probe("reaper", FAIL, f"the job reaper does not start: {tail[0]}")
