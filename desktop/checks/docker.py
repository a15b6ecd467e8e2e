"""Docker engine checks: reachable, which version, and may this user use it.

The parsers (``parse_docker_version``, ``parse_docker_info``) read the engine's
``/version`` and ``/info`` documents (the same JSON as ``docker version --format json``'s
Server part and ``docker info --format '{{json .}}'``) into small typed records, and refuse
anything that is not shaped like them with a ParseError that keeps the raw text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktop.checks import windows as windows_wording
from desktop.checks.base import ParseError, V, clean, could_not_read, parse_version
from desktop.checks.engine import DEFAULT_HOST, EngineError
from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

TITLE = "Docker engine"
# GPU device requests (--gpus) arrived with Docker 19.03, engine API 1.40.
MIN_API = V("1.40")

ROOT_EQUIVALENT = (
    "Membership of the docker group is root-equivalent: anyone in it can become root on "
    "this machine. Rootless Docker (https://docs.docker.com/engine/security/rootless/) is "
    "the safer choice."
)


@dataclass(frozen=True)
class DockerVersion:
    """The engine's /version document, the parts the doctor uses."""

    version: str
    api_version: str
    os: str = ""
    arch: str = ""
    kernel: str = ""
    components: dict[str, dict[str, str]] = field(default_factory=dict)

    def component(self, name: str) -> dict[str, str] | None:
        """A component ("runc", "containerd") as {"version":…, "commit":…}, case-insensitive."""
        return self.components.get(name.lower())


@dataclass(frozen=True)
class DockerInfo:
    """The engine's /info document, the parts the doctor uses."""

    server_version: str
    docker_root_dir: str | None
    runtimes: tuple[str, ...]
    default_runtime: str
    cdi_spec_dirs: tuple[str, ...]
    security_options: tuple[str, ...]
    operating_system: str = ""
    os_type: str = ""

    @property
    def rootless(self) -> bool:
        return any("name=rootless" in option for option in self.security_options)


def _load_object(raw: str | bytes | Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{what} is not JSON ({exc})", raw) from exc
    if not isinstance(data, dict):
        raise ParseError(f"{what} is not a JSON object", raw)
    return data


def _text(data: Mapping[str, Any], key: str, raw: Any, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ParseError(f"{key} is missing", raw)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ParseError(f"{key} is not text", raw)
    return clean(value, 300)


def _text_list(data: Mapping[str, Any], key: str, raw: Any) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParseError(f"{key} is not a list of text", raw)
    return tuple(clean(item, 300) for item in value)


def _raw_for_error(raw: str | bytes | Mapping[str, Any]) -> str | bytes:
    return json.dumps(raw, default=str)[:4096] if isinstance(raw, Mapping) else raw


def parse_docker_version(raw: str | bytes | Mapping[str, Any]) -> DockerVersion:
    """Read GET /version. Raises ParseError when it is not an engine's answer."""
    keep = _raw_for_error(raw)
    data = _load_object(raw, "the /version answer")
    version = _text(data, "Version", keep, required=True)
    parse_version(version)  # raises ParseError when it is not a version at all
    components: dict[str, dict[str, str]] = {}
    listed = data.get("Components")
    if isinstance(listed, list):
        for item in listed:
            if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
                continue
            details = item.get("Details") if isinstance(item.get("Details"), dict) else {}
            assert isinstance(details, dict)
            commit = details.get("GitCommit")
            components[clean(item["Name"], 60).lower()] = {
                "version": clean(item.get("Version") or "", 100),
                "commit": clean(commit, 100) if isinstance(commit, str) else "",
            }
    elif listed is not None:
        raise ParseError("Components is not a list", keep)
    return DockerVersion(
        version=version,
        api_version=_text(data, "ApiVersion", keep),
        os=_text(data, "Os", keep),
        arch=_text(data, "Arch", keep),
        kernel=_text(data, "KernelVersion", keep),
        components=components,
    )


def parse_docker_info(raw: str | bytes | Mapping[str, Any]) -> DockerInfo:
    """Read GET /info. Raises ParseError when it is not an engine's answer."""
    keep = _raw_for_error(raw)
    data = _load_object(raw, "the /info answer")
    if "ServerVersion" not in data and "DockerRootDir" not in data:
        raise ParseError("neither ServerVersion nor DockerRootDir: not a Docker /info answer", keep)
    runtimes = data.get("Runtimes") or {}
    if not isinstance(runtimes, dict):
        raise ParseError("Runtimes is not an object", keep)
    root = _text(data, "DockerRootDir", keep)
    return DockerInfo(
        server_version=_text(data, "ServerVersion", keep),
        docker_root_dir=root or None,
        runtimes=tuple(sorted(clean(name, 100) for name in runtimes)),
        default_runtime=_text(data, "DefaultRuntime", keep) or "runc",
        cdi_spec_dirs=_text_list(data, "CDISpecDirs", keep),
        security_options=_text_list(data, "SecurityOptions", keep),
        operating_system=_text(data, "OperatingSystem", keep),
        os_type=_text(data, "OSType", keep),
    )


def _engine_fix(error: EngineError, ctx: DoctorContext) -> str:
    if windows_wording.on_windows(ctx) and (fix := windows_wording.engine_fix(error.kind)):
        return fix
    from_env = "DOCKER_HOST" in ctx.env and bool(ctx.env.get("DOCKER_HOST"))
    pointed = (
        f" DOCKER_HOST is set to {clean(ctx.env.get('DOCKER_HOST', ''), 120)}: "
        "unset it to use the default socket, or correct it."
        if from_env
        else ""
    )
    if error.kind == "permission":
        return (
            "Ask the engine's owner for access, or add yourself to the docker group: "
            "`sudo usermod -aG docker $USER`, then log out and back in. " + ROOT_EQUIVALENT
        )
    if error.kind in ("no_socket", "refused", "not_socket"):
        return (
            "Install Docker Engine (https://docs.docker.com/engine/install/) and start it: "
            "`sudo systemctl enable --now docker`." + pointed
        )
    if error.kind == "timeout":
        return (
            "The engine is hung or still starting: check `sudo systemctl status docker` and "
            "`sudo journalctl -u docker`, then try again." + pointed
        )
    if error.kind == "bad_host":
        return "Set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or unset it."
    if error.kind == "tls":
        return "Check DOCKER_CERT_PATH: it must hold ca.pem, cert.pem and key.pem for this engine."
    return "Check that Docker is running: `docker version` should show a Server section." + pointed


def check_engine(ctx: DoctorContext) -> CheckResult:
    """Reachable (with the exact reason when not), version, and this user's access."""
    try:
        engine = ctx.engine()
        version = ctx.docker_version()
    except EngineError as exc:
        return CheckResult(
            "docker.engine",
            TITLE,
            CheckStatus.FAIL,
            f"Docker engine unreachable: {exc.reason}",
            _engine_fix(exc, ctx),
            {
                "reason": exc.kind,
                "error": exc.reason,
                "docker_host": clean(ctx.env.get("DOCKER_HOST") or DEFAULT_HOST, 200),
            },
        )
    except ParseError as exc:
        return could_not_read("docker.engine", TITLE, "the Docker engine's version", exc.raw, exc)
    details: dict[str, Any] = {
        "version": version.version,
        "api_version": version.api_version,
        "address": clean(engine.address.raw, 200),
        "os": version.os,
        "arch": version.arch,
    }
    rootless: bool | None = None
    try:
        rootless = ctx.docker_info().rootless
    except (EngineError, ParseError):
        pass  # the runtime and disk checks report /info problems
    details["rootless"] = rootless
    access = "rootless engine" if rootless else "rootful engine: access to it is root-equivalent"
    api = version.api_version or "?"
    summary = f"Docker {version.version} (API {api}) usable by this user ({access})"
    if version.api_version:
        try:
            api_ok = parse_version(version.api_version).at_least(MIN_API)
        except ParseError:
            api_ok = True  # the engine answered; an odd API string is not worth a warning
        if not api_ok:
            return CheckResult(
                "docker.engine",
                TITLE,
                CheckStatus.WARN,
                f"Docker {version.version} (API {version.api_version}) is too old for GPU "
                f"device requests (API {MIN_API} or newer)",
                "Upgrade Docker Engine to 19.03 or newer (https://docs.docker.com/engine/install/).",
                details,
            )
    return CheckResult("docker.engine", TITLE, CheckStatus.PASS, summary, "", details)
