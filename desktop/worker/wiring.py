"""The composition root: the worker's parts built from its mode, paths and settings.

``build(...)`` opens the ledger, picks the job runner, and joins the job service, the
network supervisor with every adapter of the registry, the event persistence and the
telemetry history into the ``Components`` the service runs. What goes where:

- the ledger: one ``Ledger`` shared by all (thread-safe); samples, events and energy go
  through one writer thread (adapters.LedgerPump), jobs and money are written by the job
  service and the supervisor from their own threads; the pump closes it last;
- the runner: Docker when the engine answers a quick ping (DOCKER_HOST honoured), and in
  demo mode only when the practice image is there too; otherwise the simulated runner in
  demo/simulated mode (its load drives the simulated GPU) and, on real GPUs, no runner at
  all (jobs are refused with the reason rather than pretended);
- the networks: ``build_networks`` (desktop/worker/supervisor_build.py) builds every network
  of desktop/networks/registry.py; the practice network hands its jobs to the job service
  and pays them itself (key ``demo:<job>:pay``), so the job service's ``on_finished`` only
  tells the network, and never credits; the supervisor asks the user's holds whether a
  network is held (it never restarts an agent the user paused);
- net earnings: each sample's energy counter feeds the supervisor's accounting; the tariff
  is read from the settings at every report, so a settings change applies at once;
- the control loop (control_loop.py): the guards and the reconciler, which act on the
  user's holds (user_holds.py, kept in the data folder) and the guards' through the job
  service, the network agents and the card; the job service asks it whether a new job
  may start (``admission``).

One clock: every part stamps with the wall clock (desktop/clock.py); ``--sim-speed`` only
makes the simulated GPU's physics and the practice market run faster.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from desktop import clock as wall
from desktop.fleet.parts import Fleet
from desktop.hardware.host import WslKind, free_disk_bytes, read_host_facts
from desktop.ipc import schema
from desktop.ipc.schema_data import EarningsAnswer
from desktop.jobs import engine_words
from desktop.jobs.engine_words import unreachable_words
from desktop.jobs.lease import install_id
from desktop.jobs.runner import GpuSlot, Runner, RunnerError
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.ledger import Ledger
from desktop.ledger.health import LedgerHealth
from desktop.model import Event, GpuSample, JobRecord, Severity
from desktop.money import valuation as earnings
from desktop.networks.demo_terms import DEFAULT_IMAGE
from desktop.networks.records import HostFacts
from desktop.networks.spec import AdapterContext
from desktop.paths import Paths
from desktop.secrets import SecretStore
from desktop.settings import SettingsStore
from desktop.worker.actuators import BackendCard, JobServiceActuator
from desktop.worker.adapters import JobsAdapter, LedgerPump, LedgerTelemetry, NoEngineRunner
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.jobs_service import JobService, allowed_images_from_env
from desktop.worker.loops import ControlLife, EarningsView, JobsLoop, NetworksLoop, PowerRestore
from desktop.worker.money_api import MoneyApi
from desktop.worker.ports import Lifecycle
from desktop.worker.power import can_set_power_limits
from desktop.worker.price_feed import PriceFeed, rates_in_use
from desktop.worker.reconciler import Ranking
from desktop.worker.service import Components
from desktop.worker.supervisor import Supervisor
from desktop.worker.supervisor_build import build_networks
from desktop.worker.supervisor_money import MAX_DAYS
from desktop.worker.user_holds import FILE_NAME as USER_HOLDS_FILE
from desktop.worker.user_holds import UserHolds
from desktop.worker.wear_keeper import WearKeeper

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3
POLL_S = {"demo": 2.0}  # supervisor status polls; others use DEFAULT_POLL_S
DEFAULT_POLL_S = 5.0
CDI_SPECS = (Path("/etc/cdi"), Path("/var/run/cdi"))
DEFAULT_UNIX_HOST = "unix:///var/run/docker.sock"  # the Docker SDK's, without DOCKER_HOST


@dataclass
class EngineProbe:
    """What a quick look at the Docker engine found."""

    reachable: bool
    reason: str = ""
    toolkit_ok: bool = False
    images: dict[str, bool] = field(default_factory=dict)


def probe_engine(images: Collection[str] = (), timeout_s: int = PROBE_TIMEOUT_S) -> EngineProbe:
    """Ping the engine of DOCKER_HOST (or the platform default) with a short timeout.

    When the engine's unix socket is not there, it is not reachable: said without loading
    the Docker SDK (a sixth of an idle worker's memory) on the many machines with no Docker.
    """
    missing = missing_engine_socket(os.environ)
    if missing is not None:  # the path to the log; the user's words as engine_words says
        log.info("Docker engine probe: no socket at %s", missing)
        return EngineProbe(False, engine_words.NOT_RUNNING)
    import docker
    from docker.errors import DockerException, ImageNotFound

    try:
        client = docker.from_env(timeout=timeout_s)
        client.ping()
    except Exception as exc:  # DockerException, or requests' own on a strange DOCKER_HOST
        log.info("Docker engine probe failed: %s", _short(exc))  # the raw error: the log
        return EngineProbe(False, unreachable_words(exc))
    try:
        info = client.info()
        runtimes = info.get("Runtimes") or {}
        cdi = any(any(d.glob("nvidia*.y*ml")) for d in CDI_SPECS if d.is_dir())
        found = {}
        for image in images:
            try:
                client.images.get(image)
                found[image] = True
            except ImageNotFound:
                found[image] = False
        return EngineProbe(True, "", "nvidia" in runtimes or cdi, found)
    except DockerException as exc:
        return EngineProbe(False, f"the Docker engine did not answer ({_short(exc)})")
    finally:
        client.close()


def missing_engine_socket(env: Mapping[str, str]) -> str | None:
    """The unix socket DOCKER_HOST (or the default) names, when nothing is there; else None
    (another kind of address, or a path that exists: only a ping can tell then)."""
    host = (env.get("DOCKER_HOST") or "").strip()
    if not host and sys.platform != "win32":
        host = DEFAULT_UNIX_HOST
    if not host.startswith("unix://"):
        return None
    path = host[len("unix://") :]
    return None if os.path.exists(path) else path


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def choose_runner(
    mode: str,
    paths: Paths,
    probe: EngineProbe,
    set_load: Callable[[int, float], None] | None,
    demo_image: str,
) -> tuple[Runner, str]:
    """The job runner of this worker, and a note saying why when it is not Docker."""
    reason = probe.reason
    if probe.reachable and mode == "demo" and not probe.images.get(demo_image):
        reason = f"the practice image {demo_image} is not on this machine"
    elif probe.reachable:
        from desktop.jobs.docker_runner import DockerRunner  # the SDK only with an engine

        try:
            runner = DockerRunner(
                install_id=install_id(paths.data_dir),
                lease_dir=paths.runtime_dir,
                set_load=set_load,
            )
            return runner, ""
        except RunnerError as exc:  # went away since the probe
            reason = exc.message
    if mode == "nvml":
        return NoEngineRunner(reason), reason
    return SimulatedRunner(set_load), reason


def allowed_images(store: SettingsStore, extra: Collection[str] = ()) -> Callable[[], list[str]]:
    """Local images jobs may use: the setting, RIGPILOT_ALLOWED_IMAGES, and ``extra``."""

    def read() -> list[str]:
        images = list(store.current.get("jobs.allowed_local_images", []))
        return [*images, *allowed_images_from_env(), *extra]

    return read


def host_facts(paths: Paths, probe: EngineProbe, gpu_names: tuple[str, ...]) -> HostFacts:
    """What the networks' requirement checks judge, gathered once at start."""
    facts = read_host_facts()
    try:
        free = free_disk_bytes(paths.data_dir) / 1024**3
    except OSError:
        free = 0.0
    names = {"linux": "linux", "windows": "windows", "darwin": "macos"}
    return HostFacts(
        os=names.get(facts.system.lower(), sys.platform),
        is_wsl=facts.wsl is not WslKind.NONE,
        ram_gb=facts.ram_total_bytes / 1024**3,
        free_disk_gb=free,
        docker_ok=probe.reachable,
        toolkit_ok=probe.toolkit_ok,
        gpu_names=gpu_names,
    )


@dataclass
class Wiring:
    """The built parts, for the service and for tests."""

    parts: Components
    bus: EventBus
    ledger: Ledger
    jobs: JobService
    supervisor: Supervisor
    pump: LedgerPump
    user: UserHolds
    control: ControlLoop


def build(
    mode: str,
    paths: Paths,
    store: SettingsStore,
    monitor: GpuMonitor,
    *,
    sim_speed: float = 1.0,
    ledger: Ledger | None = None,
    probe: EngineProbe | None = None,
    probes: Probes | None = None,
) -> Wiring:
    """Build every part. Blocking (the ledger opens, Docker is pinged): call it through
    ``asyncio.to_thread``; tests pass ``ledger``, ``probe`` and ``probes`` to skip those."""
    ledger = ledger or Ledger.open(paths.ledger_file)
    bus = EventBus()
    bus.last_seq = ledger.last_event_seq()  # numbering goes on across restarts
    emit = bus.emit  # from any thread: the one way onto the loop (loop_bridge.py)
    user = UserHolds(paths.data_dir / USER_HOLDS_FILE, wall.read)
    _adopt_network_pauses(ledger, user)
    demo_image = os.environ.get("RIGPILOT_DEMO_IMAGE") or DEFAULT_IMAGE
    probe = probe or probe_engine([demo_image] if mode == "demo" else [])
    set_load = getattr(monitor.backend, "set_load", None) if mode != "nvml" else None
    runner, note = choose_runner(mode, paths, probe, set_load, demo_image)
    facts = host_facts(paths, probe, tuple(i.name for i in monitor.infos))
    def finished(record: JobRecord) -> None:
        supervisor.job_finished(record.network, record.job_id, record.state, record.exit_reason)

    control: list[ControlLoop] = []  # made next: the job service asks it at each submit
    jobs = JobService(
        runner,
        ledger,
        lambda: [GpuSlot(i.index, i.uuid, simulated=i.simulated) for i in monitor.infos],
        emit,
        wall.read,
        allowed_images=allowed_images(store, [demo_image] if mode == "demo" else []),
        on_finished=finished,
        admission=lambda gpu, network: control[0].admission(gpu, network) if control else None,
    )

    def stop_job(job_id: str) -> None:
        jobs.stop(job_id)

    context = AdapterContext(
        submit_job=lambda spec: jobs.submit(spec).job_id,
        check_job=jobs.check,
        allows_image=lambda image: image in jobs.allowed_images(),
        stop_job=stop_job,
        speed=sim_speed,
        data_dir=paths.data_dir,
    )
    supervisor = build_networks(
        context,
        ledger,
        SecretStore(),
        emit,
        user.network_held,
        lambda: earnings.tariff_from_settings(store.current.get),
        lambda: facts,
        poll_interval_s=POLL_S.get(mode, DEFAULT_POLL_S),
    )

    def energy(sample: GpuSample) -> None:  # charged to the GPU's owner only
        owner = control[0].owner_of(sample.gpu_index) if control else None
        supervisor.record_energy(sample.uuid, sample.energy_j, sample.power_w, owner)

    def setting(key: str) -> Any:
        return store.current.get(key)

    wear = WearKeeper(ledger, lambda: monitor.infos, setting, wall.read)
    prices = PriceFeed(
        ledger,
        setting,
        wall.read,
        wanted=lambda: rates_in_use(
            [n for n in supervisor.table.ids() if supervisor.is_enrolled(n)],
            str(setting("electricity.currency") or "USD"),
        ),
    )
    money = MoneyApi(supervisor.money, ledger, setting, lambda: monitor.infos, wear, wall.read)

    pump = LedgerPump(
        ledger,
        wall.read,
        energy=energy,
        flush_energy=lambda: supervisor.money.energy.tick_all(wall.now()),
    )
    ledger.on_health = _health_events(bus)
    loop = ControlLoop(
        monitor.infos,
        lambda key: store.current.get(key),
        user,
        JobServiceActuator(jobs),
        BackendCard(monitor.backend),
        emit,
        wall.read,
        can_set_power_limits(monitor.backend),
        agents=supervisor,
        data_dir=paths.data_dir,
        probes=probes,
        ranking=Ranking(
            order=lambda: list(store.current.get("networks.order")),
            handover_s=lambda: 60.0 * float(store.current.get("networks.idle_handover_min")),
        ),
    )
    control.append(loop)
    jobs_loop = JobsLoop(jobs, emit, note)
    fleet = build_fleet(store, paths, emit, ledger, supervisor)
    # Started in this order, closed in reverse: the networks let go of their jobs, the
    # control loop stops acting, the jobs stop, the power limits come back, the ledger
    # writes its last rows.
    lifecycle: list[Lifecycle] = [
        pump,
        wear,
        prices,
        PowerRestore(loop),
        jobs_loop,
        ControlLife(loop),
        NetworksLoop(supervisor, ["demo"] if mode == "demo" else []),
        fleet,  # last: the exporter and the alerts see a running worker
    ]
    parts = Components(
        jobs=JobsAdapter(jobs),
        networks=supervisor,
        earnings=EarningsView(supervisor),
        money=money,
        telemetry_source=LedgerTelemetry(
            ledger, lambda: [i.index for i in monitor.infos], lambda: monitor.buffer
        ),
        settings=store,
        control=loop,
        user=user,
        problems=lambda: ledger_problems(ledger),
        fleet=fleet,
        on_sample=[pump.put_sample, loop.on_sample, wear.on_sample],
        lifecycle=lifecycle,
    )
    bus.sink = _fan_out(
        loop.watching(pump.put_event),  # gpu.lost / sensor.failure reach the guards
        fleet.on_event,  # guard actions counted, alerts pushed
    )
    return Wiring(parts, bus, ledger, jobs, supervisor, pump, user, loop)


def build_fleet(
    store: SettingsStore,
    paths: Paths,
    emit: Callable[[Event], None],
    ledger: Ledger,
    supervisor: Supervisor,
) -> Fleet:
    """The Prometheus exporter and the alerts (desktop/fleet), reading lifetime earnings
    from the supervisor and jobs by state from the ledger."""

    async def lifetime() -> EarningsAnswer:
        return msgspec.convert(await supervisor.earnings(MAX_DAYS), EarningsAnswer)

    async def jobs() -> dict[tuple[str, str], int]:
        return await asyncio.to_thread(ledger.job_counts)

    return Fleet(
        lambda key: store.current.get(key), emit, wall.read,
        data_dir=paths.data_dir, earnings=lifetime, jobs=jobs,
    )  # fmt: skip


def _fan_out(*sinks: Callable[[Event], None]) -> Callable[[Event], None]:
    """One bus sink that hands each event to several (each failure logged apart)."""

    def sink(event: Event) -> None:
        for each in sinks:
            try:
                each(event)
            except Exception:  # noqa: BLE001 - one listener must not starve the others
                log.exception("an event listener failed on %s", event.kind)

    return sink


def ledger_problems(ledger: Ledger) -> list[schema.WorkerProblem]:
    """The ledger's trouble as a problem status shows (a full disk, a damaged file)."""
    health = ledger.health()
    if health.ok:
        return []
    return [
        schema.WorkerProblem(
            code=f"ledger_{health.state}",
            message=health.message,
            fix=health.restore_command or "",
            since=health.since,
        )
    ]


def _health_events(bus: EventBus) -> Callable[[LedgerHealth], None]:
    """Each change of the ledger's health as an event (the bus's memory holds it even when
    the disk cannot)."""

    def changed(health: LedgerHealth) -> None:
        if health.ok:
            severity, message = Severity.INFO, "The ledger is writable again."
        else:
            critical = health.state == "damaged"
            severity, message = Severity.CRITICAL if critical else Severity.ERROR, health.message
        kind = f"ledger.{health.state}"
        bus.emit(Event(wall.now(), kind, severity, message, data=health.to_json()))

    return changed


def _adopt_network_pauses(ledger: Ledger, user: UserHolds) -> None:
    """Networks paused in the ledger by an older version become the user's holds (once)."""
    for enrollment in ledger.enrollments():
        if enrollment.paused:
            if not user.network_held(enrollment.network):
                user.pause("network", network=enrollment.network)
            ledger.set_network_paused(enrollment.network, False)
