"""``rigpilot worker``: take the lock, open the GPUs, serve the API until told to stop.

The order is what makes the guarantees: the lock first (a second worker leaves before it
touches anything), then the logs, the token, the GPUs, the settings and the parts (the
ledger, the job runner, the networks: desktop/worker/wiring.py), which start with jobs
reconciled and enrolled networks running, then the API socket last, so a client that can
connect finds a worker ready to answer. Stopping runs the other way: announce, close the
API (answers in flight finish), let the networks go, stop the jobs, write the ledger's
last rows, stop sampling. SIGTERM, SIGINT, POST /v1/shutdown and ``rigpilot worker stop``
all take that path; a second Ctrl+C leaves at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop.hardware.gpu import GpuError
from desktop.ipc.auth import TokenError, load_or_create_token
from desktop.ipc.server import build_app
from desktop.ipc.transport import ApiServer, TransportError
from desktop.ledger import LedgerError
from desktop.logs import setup_logging
from desktop.paths import Paths, get_paths
from desktop.settings import SettingsStore
from desktop.worker.gpus import GpuMonitor
from desktop.worker.lock import AlreadyRunning, WorkerLock
from desktop.worker.service import WorkerService
from desktop.worker.wiring import build

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """How to run the worker.

    Attributes:
        demo: simulated warm GPU and the practice network.
        simulate: comma-separated simulated GPU profiles ("warm,hot"), or None for NVML.
        sim_speed: simulated seconds per wall second.
        foreground: also print the log to the terminal.
        lifeline: stop when stdin ends (the app that started it is gone: lifeline.py).
    """

    demo: bool = False
    simulate: str | None = None
    sim_speed: float = 1.0
    foreground: bool = False
    lifeline: bool = False

    @property
    def mode(self) -> str:
        if self.demo:
            return "demo"
        return "simulated" if self.simulate else "nvml"


def run_worker(options: WorkerOptions, paths: Paths | None = None) -> int:
    """Run the worker in this process until it is stopped; returns the exit code."""
    paths = (paths or get_paths()).ensure()
    lock = WorkerLock(paths.lock_file)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"rigpilot worker: {exc}", file=sys.stderr)
        return 1
    try:
        log_path = setup_logging("worker", paths, console=options.foreground)
        log.info("RigPilot worker starting (pid %d, mode %s)", os.getpid(), options.mode)
        return asyncio.run(_serve(options, paths, log_path))
    except (TransportError, TokenError, LedgerError) as exc:
        log.error("%s", exc)
        print(f"rigpilot worker: {exc}", file=sys.stderr)
        return 1
    except Exception:
        log.exception("the worker stopped on an unexpected error")
        print(
            "rigpilot worker: stopped on an unexpected error; see `rigpilot logs`", file=sys.stderr
        )
        return 1
    finally:
        lock.release()


async def _serve(options: WorkerOptions, paths: Paths, log_path: Path) -> int:
    token = await asyncio.to_thread(load_or_create_token, paths.token_file)
    monitor = await asyncio.to_thread(open_gpus, options)
    store = SettingsStore(paths.settings_file)
    await asyncio.to_thread(store.load)
    try:
        wired = await asyncio.to_thread(
            build, options.mode, paths, store, monitor, sim_speed=options.sim_speed
        )
    except BaseException:
        await asyncio.to_thread(monitor.stop)
        raise
    service = WorkerService(
        mode=options.mode,
        monitor=monitor,
        parts=wired.parts,
        log_path=log_path,
        bus=wired.bus,
    )
    server = ApiServer(build_app(service, token), paths)
    try:
        await service.start()
        await server.start()
    except BaseException:
        await service.close()
        raise
    _install_stop_signals(service)
    if options.lifeline:
        _stop_with_owner(service)
    log.info("RigPilot worker ready: API on %s", server.address)
    if not gc.isenabled():  # started by `rigpilot worker`, which holds collections off
        gc.freeze()  # what the start made lives on: later collections need not walk it
        gc.enable()
    if not options.foreground:
        print(
            f"RigPilot's worker is running (pid {os.getpid()}, {options.mode}); "
            "Ctrl+C or `rigpilot worker stop` stops it.",
            flush=True,
        )
    await service.wait_stopped()
    log.info("RigPilot worker stopping")
    service.begin_stop()
    await server.stop()
    await service.close()
    log.info("RigPilot worker stopped")
    return 0


def open_gpus(options: WorkerOptions) -> GpuMonitor:
    """The GPU monitor of the chosen mode; NVML failures become ``gpu_error``, not a crash."""
    if options.demo or options.simulate:
        from desktop.hardware.simulated import SimulatedBackend, parse_profiles

        backend = SimulatedBackend(
            parse_profiles(options.simulate or "warm"), speed=options.sim_speed
        )
        return GpuMonitor(backend)  # stamped with the wall clock: sim-speed is the physics'
    try:
        from desktop.hardware.nvml import open_backend

        return GpuMonitor(open_backend())
    except GpuError as exc:
        log.error("no GPU access: %s (%s)", exc.cause, exc.code)
        return GpuMonitor(None, error=exc)
    except Exception as exc:  # an unexpected NVML failure must not stop the worker
        log.exception("opening NVML failed")
        error = GpuError(
            "unknown",
            f"the NVIDIA library failed to start ({exc})",
            "Run `rigpilot doctor` to check the driver.",
        )
        return GpuMonitor(None, error=error)


def _stop_with_owner(service: WorkerService) -> None:
    """Shut down (the normal way) once the app holding our stdin is gone."""
    from desktop.worker import lifeline

    loop = asyncio.get_running_loop()

    def stop() -> None:
        if not service.stopping:
            loop.create_task(service.request_shutdown())

    lifeline.watch(sys.stdin.buffer, lambda: loop.call_soon_threadsafe(stop))


def _install_stop_signals(service: WorkerService) -> None:
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if service.stopping:
            log.warning("second stop signal: leaving at once")
            os._exit(1)
        log.info("stop signal received")
        loop.create_task(service.request_shutdown())

    if sys.platform == "win32":
        for sig in (signal.SIGINT, getattr(signal, "SIGBREAK", signal.SIGINT)):
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(on_signal))
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
