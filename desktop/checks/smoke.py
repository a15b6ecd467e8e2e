"""GPU smoke test: run ``nvidia-smi -L`` in a small container with the first GPU.

Every earlier check can pass while the chain still breaks (a hook that fails, a CDI spec
that names the wrong device), so the last check does what a job will do: ask the engine
for a container with one GPU, by UUID, with the compute and utility capabilities only,
and see whether the GPU shows up inside. The container runs with no network and no
capabilities, and is removed afterwards whatever happens. The whole test has a 20 s budget.

The container plumbing (``run_container``) is GPU-agnostic, so the integration tests
exercise it on a real engine with a CPU-only image.
"""

from __future__ import annotations

import re
import secrets
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from desktop.checks.base import ParseError, clean, raw_excerpt
from desktop.checks.engine import EngineClient, EngineError, http_error
from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

TITLE = "GPU in a container"
SMOKE_TIMEOUT_S = 20.0
CAPABILITIES = ["gpu", "compute", "utility"]
# Not the job runner's "app" label: a doctor container is not a job to reconcile.
LABELS = {"rigpilot.doctor": "smoke"}
_STREAM_HEADER = struct.Struct(">BxxxI")


class SmokeError(Exception):
    """A step of the container run failed; ``stage`` names it (pull, create, start, …)."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


@dataclass(frozen=True)
class ContainerRun:
    exit_code: int
    stdout: str
    stderr: str


def demux_log_stream(data: bytes) -> tuple[str, str]:
    """Split the engine's multiplexed log stream into (stdout, stderr).

    Without a TTY the engine frames output as ``[stream, 0, 0, 0, size(4 bytes)] payload``.
    Anything that does not parse as frames (a TTY container, a garbled answer) is returned
    whole as stdout rather than dropped.
    """
    out: list[bytes] = []
    err: list[bytes] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _STREAM_HEADER.size:
            return data.decode("utf-8", errors="replace"), ""
        stream, size = _STREAM_HEADER.unpack_from(data, offset)
        start = offset + _STREAM_HEADER.size
        if stream not in (0, 1, 2) or start + size > len(data):
            return data.decode("utf-8", errors="replace"), ""
        (err if stream == 2 else out).append(data[start : start + size])
        offset = start + size
    return (
        b"".join(out).decode("utf-8", errors="replace"),
        b"".join(err).decode("utf-8", errors="replace"),
    )


_SMI_LINE = re.compile(r"^GPU\s+(\d+):\s+(.+?)\s+\(UUID:\s*([^)\s]+)\)\s*$", re.MULTILINE)


def parse_nvidia_smi_list(text: str) -> list[tuple[int, str, str]]:
    """The (index, name, uuid) lines of ``nvidia-smi -L``."""
    return [(int(m.group(1)), clean(m.group(2), 80), m.group(3)) for m in _SMI_LINE.finditer(text)]


def split_image(image: str) -> tuple[str, str]:
    """``repo[:tag]`` or ``repo@digest`` into the pull API's (fromImage, tag)."""
    if "@" in image:
        return image, ""
    repo, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return repo, tag
    return image, "latest"


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SmokeError("timeout", "ran out of its time budget")
    return left


def _ensure_image(engine: EngineClient, image: str, deadline: float) -> None:
    found = engine.request(
        "GET", f"/images/{quote(image, safe='/:@')}/json", timeout_s=_remaining(deadline)
    )
    if found.status == 200:
        return
    if found.status != 404:
        raise SmokeError("image", http_error("image lookup", found).reason)
    repo, tag = split_image(image)
    params = {"fromImage": repo, **({"tag": tag} if tag else {})}
    try:
        pulled = engine.request(
            "POST",
            "/images/create",
            params=params,
            timeout_s=_remaining(deadline),
            max_body=32 << 20,
        )
    except EngineError as exc:
        if exc.kind != "timeout":
            raise
        raise SmokeError("pull", f"pulling {image} did not finish in time") from exc
    if pulled.status >= 400:
        raise SmokeError("pull", http_error(f"pulling {image}", pulled).reason)
    for line in pulled.text.splitlines():  # errors arrive inside a 200 progress stream
        if '"error"' in line:
            raise SmokeError("pull", f"pulling {image} failed: {clean(line, 300)}")


def run_container(
    engine: EngineClient,
    image: str,
    cmd: list[str],
    *,
    device_request: dict[str, Any] | None = None,
    timeout_s: float = SMOKE_TIMEOUT_S,
) -> ContainerRun:
    """Run ``cmd`` in a locked-down throwaway container; raises SmokeError or EngineError."""
    deadline = time.monotonic() + timeout_s
    _ensure_image(engine, image, deadline)
    host_config: dict[str, Any] = {
        "NetworkMode": "none",
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
        "PidsLimit": 64,
        "Memory": 256 * 1024 * 1024,
    }
    if device_request is not None:
        host_config["DeviceRequests"] = [device_request]
    name = f"rigpilot-doctor-{secrets.token_hex(4)}"
    created = engine.request(
        "POST",
        "/containers/create",
        params={"name": name},
        body={"Image": image, "Cmd": cmd, "Labels": LABELS, "HostConfig": host_config},
        timeout_s=_remaining(deadline),
    )
    if created.status >= 400:
        raise SmokeError("create", http_error("creating the container", created).reason)
    try:
        container = created.json().get("Id")
    except (ParseError, AttributeError):
        container = None
    if not isinstance(container, str) or not re.fullmatch(r"[0-9a-f]{12,64}", container):
        container = name
    try:
        started = engine.request(
            "POST", f"/containers/{container}/start", timeout_s=_remaining(deadline)
        )
        if started.status >= 400:
            raise SmokeError("start", http_error("starting the container", started).reason)
        waited = engine.request(
            "POST", f"/containers/{container}/wait", timeout_s=_remaining(deadline)
        )
        if waited.status >= 400:
            raise SmokeError("wait", http_error("waiting for the container", waited).reason)
        try:
            exit_code = int(waited.json().get("StatusCode"))
        except (ParseError, AttributeError, TypeError, ValueError):
            raise SmokeError("wait", f"unreadable wait answer: {clean(waited.text, 200)}") from None
        logs = engine.request(
            "GET",
            f"/containers/{container}/logs",
            params={"stdout": "1", "stderr": "1"},
            timeout_s=_remaining(deadline),
        )
        stdout, stderr = demux_log_stream(logs.body) if logs.status == 200 else ("", "")
        return ContainerRun(exit_code, stdout, stderr)
    except EngineError as exc:
        if exc.kind == "timeout":
            raise SmokeError("timeout", f"did not finish within {timeout_s:g} s") from exc
        raise
    finally:
        try:
            engine.request(
                "DELETE", f"/containers/{container}", params={"force": "1", "v": "1"}, timeout_s=2.0
            )
        except EngineError:
            pass  # best effort; the label lets `docker ps -a` find it


def device_request_for(uuid: str, use_cdi: bool) -> dict[str, Any]:
    """One GPU by UUID, compute and utility only: via the nvidia driver, or a CDI name."""
    if use_cdi:
        return {
            "Driver": "cdi",
            "DeviceIDs": [f"nvidia.com/gpu={uuid}"],
            "Capabilities": [CAPABILITIES],
        }
    return {"Driver": "nvidia", "DeviceIDs": [uuid], "Capabilities": [CAPABILITIES]}


def check_smoke(ctx: DoctorContext) -> CheckResult:
    """Pass when nvidia-smi inside a container lists the first GPU."""
    if not ctx.smoke:
        return CheckResult("gpu.smoke", TITLE, CheckStatus.SKIP, "skipped on request (--no-smoke)")
    gpu = sorted(ctx.gpus(), key=lambda g: g.index)[0]
    try:
        info = ctx.docker_info()
        use_cdi = "nvidia" not in info.runtimes and bool(info.cdi_spec_dirs)
    except (EngineError, ParseError):
        use_cdi = False  # the runtime check already reported it; try the classic way
    image = ctx.smoke_image
    manual = (
        f"docker run --rm --gpus device={gpu.uuid} {image} nvidia-smi -L"
        if not use_cdi
        else f"docker run --rm --device nvidia.com/gpu={gpu.uuid} {image} nvidia-smi -L"
    )
    details: dict[str, Any] = {"image": image, "gpu_uuid": clean(gpu.uuid, 80), "cdi": use_cdi}
    try:
        run = run_container(
            ctx.engine(),
            image,
            ["nvidia-smi", "-L"],
            device_request=device_request_for(gpu.uuid, use_cdi),
        )
    except (SmokeError, EngineError) as exc:
        stage = exc.stage if isinstance(exc, SmokeError) else "engine"
        details.update(stage=stage, error=clean(exc.reason, 500))
        fix = (
            f"Pull the image while online: `docker pull {image}`."
            if stage in ("pull", "image")
            else f"Run `{manual}` to see the full error; registering the runtime often "
            "fixes it: `sudo nvidia-ctk runtime configure --runtime=docker && "
            "sudo systemctl restart docker`."
        )
        return CheckResult(
            "gpu.smoke",
            TITLE,
            CheckStatus.FAIL,
            f"GPU container failed at {stage}: {clean(exc.reason, 200)}",
            fix,
            details,
        )
    listed = parse_nvidia_smi_list(run.stdout)
    details.update(exit_code=run.exit_code, output=raw_excerpt(run.stdout + run.stderr, 1024))
    if run.exit_code != 0 or not listed:
        return CheckResult(
            "gpu.smoke",
            TITLE,
            CheckStatus.FAIL,
            f"nvidia-smi in the container exited with {run.exit_code} and listed no GPU",
            f"Run `{manual}` to see the error.",
            details,
        )
    index, name, uuid = next((item for item in listed if item[2] == gpu.uuid), listed[0])
    return CheckResult(
        "gpu.smoke",
        TITLE,
        CheckStatus.PASS,
        f"a container saw GPU {index}: {name} ({uuid})",
        "",
        details,
    )
