"""NVIDIA Container Toolkit and runc checks: the host security gate for GPU containers.

Versions here are security gates, not nice-to-haves (reliability notes §3, §8 item 9):
a toolkit older than 1.17.8 lets an image's ``ENV LD_PRELOAD`` run code in a privileged
hook on the host (CVE-2025-23266, "NVIDIAScape"), and runc older than 1.1.12 leaks a host
directory handle into the container (CVE-2024-21626, "Leaky Vessels"). Either one turns
"run a stranger's container" into "give a stranger root", so both fail the doctor.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.checks import windows as windows_wording
from desktop.checks.base import ParseError, V, Version, clean, could_not_read, parse_version
from desktop.checks.engine import EngineError
from desktop.checks.probes import CommandError
from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

MIN_TOOLKIT = V("1.17.8")
MIN_RUNC = V("1.1.12")
TOOLKIT_CONFIG = "/etc/nvidia-container-runtime/config.toml"
ENVVAR_KEY = "accept-nvidia-visible-devices-envvar-when-unprivileged"

INSTALL_TOOLKIT = (
    "Install the NVIDIA Container Toolkit: https://docs.nvidia.com/datacenter/cloud-native/"
    "container-toolkit/latest/install-guide.html (on Debian/Ubuntu, add NVIDIA's apt "
    "repository, then `sudo apt-get install -y nvidia-container-toolkit`)."
)
UPGRADE_TOOLKIT = (
    "Upgrade the toolkit: `sudo apt-get update && sudo apt-get install --only-upgrade "
    "nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools "
    "libnvidia-container1` (dnf: `sudo dnf upgrade nvidia-container-toolkit`), then "
    "`sudo systemctl restart docker`. Configuration flags are not a safe substitute."
)
CONFIGURE_RUNTIME = (
    "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker"
)
UPGRADE_RUNC = (
    "Upgrade runc: with Docker's own packages `sudo apt-get install --only-upgrade "
    "containerd.io`, with distribution packages update runc/docker.io. Some distributions "
    "backport the fix without raising the version number; RigPilot goes by the number, so "
    "GPU jobs stay refused until runc reports 1.1.12 or newer."
)


@dataclass(frozen=True)
class RuncVersion:
    version: Version
    commit: str = ""


def parse_nvidia_ctk_version(text: str) -> Version:
    """Read ``nvidia-ctk --version`` ("NVIDIA Container Toolkit CLI version 1.17.8")."""
    match = re.search(r"\bversion\s+(v?\d\S*)", text or "", re.IGNORECASE)
    if match is None or "nvidia" not in (text or "").lower():
        raise ParseError("no 'NVIDIA Container Toolkit … version X' line", text)
    return parse_version(match.group(1))


def parse_runc_version(text: str) -> RuncVersion:
    """Read ``runc --version`` ("runc version 1.1.12" and a "commit:" line)."""
    match = re.search(r"^\s*runc\s+version\s+(\S+)", text or "", re.IGNORECASE | re.MULTILINE)
    if match is None:
        raise ParseError("no 'runc version X' line", text)
    commit = re.search(r"^\s*commit:\s*(\S+)", text, re.MULTILINE)
    return RuncVersion(parse_version(match.group(1)), clean(commit.group(1), 80) if commit else "")


def parse_toolkit_config(text: str) -> bool:
    """Whether the toolkit lets unprivileged images pick GPUs via NVIDIA_VISIBLE_DEVICES.

    The installer's default is true, so a missing key means true.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"not TOML: {exc}", text) from exc
    value = data.get(ENVVAR_KEY, True)
    if not isinstance(value, bool):
        raise ParseError(f"{ENVVAR_KEY} is not true/false", text)
    return value


def _command_failure(check_id: str, title: str, what: str, exc: CommandError) -> CheckResult:
    return CheckResult(
        check_id,
        title,
        CheckStatus.WARN,
        f"could not read {what}: {exc.reason}",
        "Run the command by hand to see what is wrong.",
        {"error": exc.reason, "kind": exc.kind},
    )


def _info_failure(check_id: str, title: str, exc: EngineError) -> CheckResult:
    """/info refused while /version answered (an authorization plugin, a dying engine)."""
    return CheckResult(
        check_id,
        title,
        CheckStatus.WARN,
        f"could not read the Docker engine's info: {exc.reason}",
        "Run `docker info` to see what the engine says.",
        {"error": exc.reason, "reason": exc.kind},
    )


def check_toolkit_version(ctx: DoctorContext) -> CheckResult:
    """nvidia-ctk installed and at least 1.17.8 (CVE-2025-23266)."""
    title = "NVIDIA Container Toolkit"
    if windows_wording.on_windows(ctx):
        return windows_wording.toolkit_result()
    try:
        done = ctx.command(["nvidia-ctk", "--version"], 1.0)
    except CommandError as exc:
        if exc.kind == "not_found":
            return CheckResult(
                "toolkit.version",
                title,
                CheckStatus.FAIL,
                "the NVIDIA Container Toolkit is not installed (nvidia-ctk not found)",
                INSTALL_TOOLKIT,
                {"error": exc.reason},
            )
        return _command_failure("toolkit.version", title, "the toolkit version", exc)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        return could_not_read(
            "toolkit.version", title, "the toolkit version", output, f"exit code {done.returncode}"
        )
    try:
        version = parse_nvidia_ctk_version(output)
    except ParseError as exc:
        return could_not_read("toolkit.version", title, "the toolkit version", output, exc)
    details = {"version": str(version), "minimum": str(MIN_TOOLKIT)}
    if not version.at_least(MIN_TOOLKIT):
        return CheckResult(
            "toolkit.version",
            title,
            CheckStatus.FAIL,
            f"toolkit {version} is older than {MIN_TOOLKIT} and vulnerable to CVE-2025-23266 "
            "(NVIDIAScape: a container image can run code as root on this machine)",
            UPGRADE_TOOLKIT,
            details,
        )
    return CheckResult(
        "toolkit.version", title, CheckStatus.PASS, f"toolkit {version}", "", details
    )


def _nvidia_cdi_specs(ctx: DoctorContext, spec_dirs: tuple[str, ...]) -> list[str]:
    """CDI spec files in the engine's spec dirs that declare nvidia.com/gpu devices."""
    found: list[str] = []
    for folder in spec_dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = os.path.join(folder, name)
            try:
                text = ctx.read_file(path) or ""
            except OSError:
                continue
            if "nvidia.com/gpu" in text:
                found.append(path)
    return found


def check_runtime(ctx: DoctorContext) -> CheckResult:
    """Docker knows how to hand GPUs to containers: the nvidia runtime or CDI specs."""
    title = "GPU runtime in Docker"
    try:
        info = ctx.docker_info()
    except ParseError as exc:
        return could_not_read("toolkit.runtime", title, "the Docker engine's info", exc.raw, exc)
    except EngineError as exc:
        return _info_failure("toolkit.runtime", title, exc)
    details = {"runtimes": list(info.runtimes), "cdi_spec_dirs": list(info.cdi_spec_dirs)}
    if "nvidia" in info.runtimes:
        return CheckResult(
            "toolkit.runtime",
            title,
            CheckStatus.PASS,
            "the nvidia runtime is registered",
            "",
            details,
        )
    if info.cdi_spec_dirs:
        engine_local = ctx.engine().address.local
        specs = _nvidia_cdi_specs(ctx, info.cdi_spec_dirs) if engine_local else []
        details["cdi_specs"] = specs
        if specs:
            return CheckResult(
                "toolkit.runtime",
                title,
                CheckStatus.PASS,
                f"CDI is enabled and {specs[0]} declares the NVIDIA GPUs",
                "",
                details,
            )
        if not engine_local:
            return CheckResult(
                "toolkit.runtime",
                title,
                CheckStatus.WARN,
                "CDI is enabled on a remote engine; its spec files cannot be checked from here",
                "On the engine's machine run `nvidia-ctk cdi list`: it should list "
                "nvidia.com/gpu devices.",
                details,
            )
        return CheckResult(
            "toolkit.runtime",
            title,
            CheckStatus.FAIL,
            "CDI is enabled but no NVIDIA CDI spec was found in " + ", ".join(info.cdi_spec_dirs),
            f"Generate one: `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`, "
            f"or register the runtime: `{CONFIGURE_RUNTIME}`",
            details,
        )
    return CheckResult(
        "toolkit.runtime",
        title,
        CheckStatus.FAIL,
        "Docker has no nvidia runtime and no CDI spec dirs (runtimes: "
        + (", ".join(info.runtimes) or "none")
        + ")",
        f"Register the NVIDIA runtime with Docker: `{CONFIGURE_RUNTIME}`",
        details,
    )


def check_visible_devices(ctx: DoctorContext) -> CheckResult:
    """Warn when any image could pick its own GPUs (nvidia default runtime + envvar on)."""
    title = "GPU selection by images"
    try:
        info = ctx.docker_info()
    except ParseError as exc:
        return could_not_read("toolkit.envvar", title, "the Docker engine's info", exc.raw, exc)
    except EngineError as exc:
        return _info_failure("toolkit.envvar", title, exc)
    if info.default_runtime != "nvidia":
        return CheckResult(
            "toolkit.envvar",
            title,
            CheckStatus.PASS,
            f"the default runtime is {info.default_runtime}: images cannot pick GPUs themselves",
            "",
            {"default_runtime": info.default_runtime},
        )
    try:
        text = ctx.read_file(TOOLKIT_CONFIG)
        accepted = True if text is None else parse_toolkit_config(text)
    except ParseError as exc:
        return could_not_read("toolkit.envvar", title, TOOLKIT_CONFIG, exc.raw, exc)
    except OSError as exc:
        return could_not_read("toolkit.envvar", title, TOOLKIT_CONFIG, "", exc)
    details = {"default_runtime": "nvidia", ENVVAR_KEY: accepted}
    if not accepted:
        return CheckResult(
            "toolkit.envvar",
            title,
            CheckStatus.PASS,
            "nvidia is the default runtime, but images may not pick GPUs through their ENV",
            "",
            details,
        )
    return CheckResult(
        "toolkit.envvar",
        title,
        CheckStatus.WARN,
        "nvidia is Docker's default runtime and any image can request GPUs through "
        "NVIDIA_VISIBLE_DEVICES in its ENV",
        f'Set `{ENVVAR_KEY} = false` in {TOOLKIT_CONFIG}, or remove "default-runtime" '
        "from /etc/docker/daemon.json, then `sudo systemctl restart docker`.",
        details,
    )


def _runc_from_engine(ctx: DoctorContext) -> RuncVersion | None:
    try:
        component = ctx.docker_version().component("runc")
    except (EngineError, ParseError):
        return None
    if not component or not component.get("version"):
        return None
    return RuncVersion(parse_version(component["version"]), component.get("commit", ""))


def check_runc(ctx: DoctorContext) -> CheckResult:
    """runc at least 1.1.12 (CVE-2024-21626); the engine's runc first, else the local one."""
    title = "runc"
    source = "engine"
    try:
        runc = _runc_from_engine(ctx)
    except ParseError as exc:
        return could_not_read("runc", title, "the engine's runc version", exc.raw, exc)
    if runc is None:
        source = "runc --version"
        try:
            done = ctx.command(["runc", "--version"], 1.0)
        except CommandError as exc:
            if exc.kind == "not_found":
                return CheckResult(
                    "runc",
                    title,
                    CheckStatus.SKIP,
                    "runc not found, and the Docker engine did not say which runc it uses",
                    "",
                    {"error": exc.reason},
                )
            return _command_failure("runc", title, "the runc version", exc)
        output = done.stdout + done.stderr
        try:
            runc = parse_runc_version(output)
        except ParseError as exc:
            return could_not_read("runc", title, "the runc version", output, exc)
    details = {"version": str(runc.version), "commit": runc.commit, "source": source}
    if not runc.version.at_least(MIN_RUNC):
        return CheckResult(
            "runc",
            title,
            CheckStatus.FAIL,
            f"runc {runc.version} is older than {MIN_RUNC} and vulnerable to CVE-2024-21626 "
            "(Leaky Vessels: a container can reach the host's files)",
            UPGRADE_RUNC,
            details,
        )
    return CheckResult("runc", title, CheckStatus.PASS, f"runc {runc.version}", "", details)
