"""Docker engine checks: reachable, which version, and may this user use it.

The facts come from desktop/checks/docker_facts.py (the engine's ``/version`` and ``/info``
documents, the same JSON as ``docker version --format json``'s Server part and ``docker
info --format '{{json .}}'``), gathered by the doctor's context; this module judges them.
"""

from __future__ import annotations

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
