"""Fakes for the doctor's probes, fed from the recorded outputs in tests/data/doctor.

A "healthy rig" is the default: one RTX 4090 on driver 550 with CUDA 12.4, Docker 27 with
the nvidia runtime, toolkit 1.17.8, runc 1.1.14, 32 GB of RAM and 200 GB free. Each test
breaks exactly the part it is about.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.checks.context import DoctorContext
from desktop.checks.engine import EngineAddress, EngineClient
from desktop.checks.probes import CommandError, CommandResult
from desktop.hardware.gpu import GpuError
from desktop.hardware.host import HostFacts, WslKind
from desktop.model import GpuInfo, PowerLimits, ThermalThresholds

DATA = Path(__file__).resolve().parents[2] / "data" / "doctor"
GIB = 1024**3
UUID = "GPU-5c2f1e0b-8d7e-4f5a-9b1c-2a3d4e5f6a7b"


def read_data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def make_gpu(
    index: int = 0,
    name: str = "NVIDIA GeForce RTX 4090",
    vram_mib: int = 24564,
    cuda: str | None = "12.4",
    driver: str = "550.54.14",
    uuid: str = UUID,
) -> GpuInfo:
    return GpuInfo(
        index=index,
        uuid=uuid,
        name=name,
        vram_total_mib=vram_mib,
        driver_version=driver,
        cuda_version=cuda,
        power=PowerLimits(150.0, 600.0, 450.0, 450.0),
        thresholds=ThermalThresholds(90.0, 87.0, 92.0, 95.0),
    )


class FakeBackend:
    """A GpuBackend that only knows its devices (the doctor needs nothing else)."""

    def __init__(self, gpus: list[GpuInfo]) -> None:
        self.gpus = gpus
        self.closed = False

    def devices(self) -> list[GpuInfo]:
        return list(self.gpus)

    def sample(self, index: int) -> Any:
        raise NotImplementedError

    def processes(self, index: int) -> list[Any]:
        return []

    def set_power_limit(self, index: int, watts: float) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


def backend_factory(
    gpus: list[GpuInfo] | None = None, error: GpuError | None = None
) -> Callable[[], Any]:
    def factory() -> FakeBackend:
        if error is not None:
            raise error
        return FakeBackend([make_gpu()] if gpus is None else gpus)

    return factory


Route = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeEngine:
    """A Docker engine answering from recorded documents, recording every request."""

    version: str | bytes | None = field(default_factory=lambda: read_data("docker_version_27.json"))
    info: str | bytes | None = field(
        default_factory=lambda: read_data("docker_info_27_nvidia.json")
    )
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    raise_on_connect: Exception | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.raise_on_connect is not None:
            raise self.raise_on_connect
        path = request.url.path
        for (method, prefix), route in self.routes.items():
            if request.method == method and path.startswith(prefix):
                return route(request)
        if path == "/version" and self.version is not None:
            return httpx.Response(200, content=self.version)
        if path == "/info" and self.info is not None:
            return httpx.Response(200, content=self.info)
        return httpx.Response(404, json={"message": f"page not found: {path}"})

    def client(self, raw: str = "unix:///var/run/docker.sock") -> EngineClient:
        path = raw[len("unix://") :] if raw.startswith("unix://") else None
        scheme = "unix" if path else "tcp"
        address = EngineAddress(
            raw, scheme, path, "http://docker" if path else "http://engine:2375"
        )
        return EngineClient(address, transport=httpx.MockTransport(self.handle))

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def make_host(**changes: Any) -> HostFacts:
    base: dict[str, Any] = {
        "system": "Linux",
        "os_name": "Ubuntu 24.04.1 LTS",
        "kernel": "6.8.0-48-generic",
        "wsl": WslKind.NONE,
        "ram_total_bytes": 32 * GIB,
        "cpu_flags": frozenset({"fpu", "vmx", "sse2"}),
        "machine": "x86_64",
    }
    base.update(changes)
    return HostFacts(**base)


Answer = CommandResult | CommandError


def command_fake(
    answers: dict[str, Answer] | None = None,
) -> Callable[[list[str], float], CommandResult]:
    """A command runner answering by program name; unknown programs are not found."""
    table: dict[str, Answer] = {
        "nvidia-ctk": CommandResult(0, read_data("nvidia_ctk_1.17.8.txt"), ""),
        "runc": CommandResult(0, read_data("runc_1.2.5.txt"), ""),
    }
    table.update(answers or {})

    def run(argv: list[str], timeout_s: float) -> CommandResult:
        answer = table.get(argv[0])
        if answer is None:
            raise CommandError("not_found", f"{argv[0]} not found")
        if isinstance(answer, CommandError):
            raise answer
        return answer

    return run


def make_context(
    *,
    gpus: list[GpuInfo] | None = None,
    gpu_error: GpuError | None = None,
    engine: FakeEngine | None = None,
    docker_host: str | None = None,
    commands: dict[str, Answer] | None = None,
    host: HostFacts | None = None,
    disk_free: int | Exception = 200 * GIB,
    files: dict[str, str] | None = None,
    smoke: bool = True,
    factory: Callable[[], Any] | None = None,
    nvml_timeout_s: float = 5.0,
) -> DoctorContext:
    fake = engine if engine is not None else FakeEngine()
    env = {"DOCKER_HOST": docker_host} if docker_host else {}

    def free(path: str) -> int:
        if isinstance(disk_free, Exception):
            raise disk_free
        return disk_free

    def read(path: str) -> str | None:
        return (files or {}).get(path)

    return DoctorContext(
        env,
        backend_factory=factory or backend_factory(gpus, gpu_error),
        engine=fake.client(docker_host or "unix:///var/run/docker.sock"),
        command=command_fake(commands),
        host_reader=lambda: host or make_host(),
        disk_free=free,
        file_reader=read,
        smoke=smoke,
        nvml_timeout_s=nvml_timeout_s,
    )


def smoke_routes(
    engine: FakeEngine,
    *,
    exit_code: int = 0,
    output: str | None = None,
    image_present: bool = True,
) -> FakeEngine:
    """Teach a FakeEngine the container endpoints the smoke test uses."""
    text = output if output is not None else read_data("nvidia_smi_list.txt")
    frame = bytes([1, 0, 0, 0]) + len(text.encode()).to_bytes(4, "big") + text.encode()
    engine.routes[("GET", "/images/")] = lambda r: (
        httpx.Response(200, json={"Id": "sha256:abc"})
        if image_present
        else httpx.Response(404, json={"message": "No such image"})
    )
    engine.routes[("POST", "/images/create")] = lambda r: httpx.Response(
        200,
        content=b'{"status":"Pulling from library/ubuntu"}\n{"status":"Downloaded newer image"}\n',
    )
    engine.routes[("POST", "/containers/create")] = lambda r: httpx.Response(
        201, json={"Id": "a" * 64, "Warnings": []}
    )
    engine.routes[("POST", "/containers/" + "a" * 64 + "/start")] = lambda r: httpx.Response(204)
    engine.routes[("POST", "/containers/" + "a" * 64 + "/wait")] = lambda r: httpx.Response(
        200, json={"StatusCode": exit_code, "Error": None}
    )
    engine.routes[("GET", "/containers/" + "a" * 64 + "/logs")] = lambda r: httpx.Response(
        200, content=frame
    )
    engine.routes[("DELETE", "/containers/")] = lambda r: httpx.Response(204)
    return engine


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
def fakes() -> Any:
    """The helpers above, for test modules (they cannot import conftest under importlib)."""

    class Fakes:
        read_data = staticmethod(read_data)
        make_gpu = staticmethod(make_gpu)
        make_host = staticmethod(make_host)
        make_context = staticmethod(make_context)
        backend_factory = staticmethod(backend_factory)
        smoke_routes = staticmethod(smoke_routes)
        command_fake = staticmethod(command_fake)
        body_of = staticmethod(body_of)
        FakeEngine = FakeEngine
        FakeBackend = FakeBackend
        DATA = DATA
        UUID = UUID
        GIB = GIB

    return Fakes
