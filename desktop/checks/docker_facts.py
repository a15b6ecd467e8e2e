"""Docker's own answers (``docker version`` / ``docker info`` JSON, or the engine API's)
read into small facts, with every oddity a clear ParseError.

Why apart from the check: the doctor's context gathers these facts and the check judges
them; keeping the parsing here lets both import it without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.checks.base import ParseError, clean, parse_version


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
