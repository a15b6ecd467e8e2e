"""What the checks share during one doctor run: the probes, and the facts read once.

Several checks judge the same fact (the Docker ``/info`` document feeds the runtime, the
disk and the default-runtime checks), so each fact is fetched once and cached here, errors
included: an unreachable engine costs its 1 s timeout once, not once per check.

Every side effect is a constructor argument (GPU backend factory, engine client, command
runner, host reader, disk probe, file reader), so the unit tests replace each with a fake
fed from recorded outputs, and no test needs a GPU, an engine or particular host files.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from desktop.checks.docker_facts import (
    DockerInfo,
    DockerVersion,
    parse_docker_info,
    parse_docker_version,
)
from desktop.checks.engine import EngineClient, EngineError
from desktop.checks.link_needs import LinkNeeds
from desktop.checks.link_probe import DEFAULT_URL, LinkMeasure, LinkProbe
from desktop.checks.probes import CommandResult, read_file, run_command
from desktop.hardware.gpu import GpuBackend, GpuError
from desktop.hardware.host import HostFacts, free_disk_bytes, read_host_facts
from desktop.model import CheckResult, GpuInfo

# NVML's first init can take seconds when persistence mode is off (the driver sets the GPU
# up for its first client), so the driver gets a longer budget than a socket or a command.
NVML_TIMEOUT_S = 8.0

BackendFactory = Callable[[], GpuBackend]
ProbeFactory = Callable[[str], LinkProbe]


def open_nvml_backend() -> GpuBackend:
    """The real backend (``desktop.hardware.nvml.open_backend``), imported only when used.

    The import is late and by name so that the doctor still reports everything else when
    pynvml cannot load (that failure becomes a GpuError like any other), and so that
    ``desktop.checks`` has no static dependency on pynvml: the import contract "pynvml only
    in desktop.hardware.nvml" also forbids indirect imports.
    """
    try:
        nvml = importlib.import_module("desktop.hardware.nvml")
    except ImportError as exc:
        raise GpuError(
            "library_not_found",
            f"RigPilot's NVML support could not load ({exc})",
            "Reinstall RigPilot; if it persists, report this with `rigpilot doctor --json`.",
        ) from exc
    backend: GpuBackend = nvml.open_backend()
    return backend


class DoctorContext:
    """Probes and cached facts for one run. See the module docstring for why."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        backend_factory: BackendFactory = open_nvml_backend,
        engine: EngineClient | None = None,
        command: Callable[[list[str], float], CommandResult] = run_command,
        host_reader: Callable[[], HostFacts] = read_host_facts,
        disk_free: Callable[[str], int] = free_disk_bytes,
        file_reader: Callable[[str], str | None] = read_file,
        smoke: bool = True,
        smoke_image: str = "ubuntu:24.04",
        nvml_timeout_s: float = NVML_TIMEOUT_S,
        network: bool = False,
        speed_url: str = DEFAULT_URL,
        link_needs: Sequence[LinkNeeds] = (),
        ports: Sequence[int] = (),
        link_probe: ProbeFactory = LinkProbe,
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.backend_factory = backend_factory
        self.command = command
        self.disk_free = disk_free
        self.read_file = file_reader
        self.smoke = smoke
        self.smoke_image = smoke_image
        self.nvml_timeout_s = nvml_timeout_s
        self.network, self.speed_url = network, speed_url
        self.link_needs, self.ports = tuple(link_needs), tuple(ports)
        self._link_probe = link_probe
        self.results: dict[str, CheckResult] = {}
        self._host_reader = host_reader
        self._engine = engine
        self._engine_error: EngineError | None = None
        self._cache: dict[str, Any] = {}
        self._gpu_future: Future[list[GpuInfo]] | None = None

    # --- GPUs ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the slow NVML query in the background while the other checks run.

        A daemon thread, not an executor: if the driver hangs inside NVML the doctor must
        still print its report and exit.
        """
        if self._gpu_future is not None:
            return
        future: Future[list[GpuInfo]] = Future()
        self._gpu_future = future

        def load() -> None:
            try:
                future.set_result(self._load_gpus())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting check
                future.set_exception(exc)

        threading.Thread(target=load, name="doctor-nvml", daemon=True).start()

    def _load_gpus(self) -> list[GpuInfo]:
        backend = self.backend_factory()
        try:
            return list(backend.devices())
        finally:
            try:
                backend.close()
            except Exception:  # noqa: BLE001 - closing must not hide the answer
                pass

    def gpus(self) -> list[GpuInfo]:
        """Every GPU's static facts; raises GpuError (or what the backend raised)."""
        self.start()
        assert self._gpu_future is not None
        try:
            return self._gpu_future.result(timeout=self.nvml_timeout_s)
        except FutureTimeout:
            raise GpuError(
                "timeout",
                f"the NVIDIA driver did not answer within {self.nvml_timeout_s:g} s",
                "Enable persistence mode (`sudo nvidia-smi -pm 1` or the nvidia-persistenced "
                "service) so the driver stays initialised; if nvidia-smi hangs too, reboot.",
            ) from None

    # --- Docker engine ---------------------------------------------------------------

    def engine(self) -> EngineClient:
        """The engine client; raises EngineError(kind="bad_host") for an unusable DOCKER_HOST."""
        if self._engine is None:
            if self._engine_error is None:
                try:
                    self._engine = EngineClient.from_env(self.env)
                except EngineError as exc:
                    self._engine_error = exc
            if self._engine_error is not None:
                raise self._engine_error
        assert self._engine is not None
        return self._engine

    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = (True, load())
            except Exception as exc:  # noqa: BLE001 - cached and re-raised to every caller
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def docker_version(self) -> DockerVersion:
        """GET /version, parsed; raises EngineError or ParseError."""

        def load() -> DockerVersion:
            raw, _ = self.engine().get_json("/version")
            return parse_docker_version(raw)

        result: DockerVersion = self._cached("version", load)
        return result

    def docker_info(self) -> DockerInfo:
        """GET /info, parsed; raises EngineError or ParseError.

        Not tried when /version already found the engine unreachable, so a dead engine
        costs one timeout, not two.
        """

        def load() -> DockerInfo:
            ok, previous = self._cache.get("version", (True, None))
            if not ok and isinstance(previous, EngineError) and previous.kind != "http":
                raise previous
            raw, _ = self.engine().get_json("/info")
            return parse_docker_info(raw)

        result: DockerInfo = self._cached("info", load)
        return result

    # --- The internet connection ---------------------------------------------------

    def link(self) -> LinkMeasure:
        """The connection measured once (a few seconds) against ``speed_url``."""
        measure: LinkMeasure = self._cached(
            "link", lambda: self._link_probe(self.speed_url).measure()
        )
        return measure

    # --- Host ------------------------------------------------------------------------

    def host(self) -> HostFacts:
        result: HostFacts = self._cached("host", self._host_reader)
        return result

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
