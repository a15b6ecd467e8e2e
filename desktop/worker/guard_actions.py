"""What the guard loop acts through, and its adapter over the worker's real parts.

``GuardActions`` is the small surface the guard loop needs (jobs per GPU, networks,
power limits, and the facts the arbiter weighs); ``GuardActionsImpl`` maps it onto the
job service, the network supervisor and the GPU backend, so wiring the guard is one
constructor call. Every method may block (Docker, NVML): the guard loop calls them from
its own thread, never from the worker's event loop. Network agents can take minutes to
stop gracefully (a Nosana node finishes its job), so their pause and resume run on a
thread of their own (the supervisor's operations); an emergency does not queue behind
them: it stops the agent at once (``Supervisor.stop_agent_now``) on a thread of its own.

A duty cycle freezes and thaws a GPU's jobs every minute; ``rest_gpu`` and ``wake_gpu``
do it without the job service's job.paused / job.resumed events (the guard announces
the duty cycle once), by filtering those two kinds while the guard's own call runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import psutil

from desktop.hardware.gpu import GpuProcess
from desktop.hardware.simulated import SimulatedBackend
from desktop.model import Event, ExitReason, NetworkPenalties

log = logging.getLogger(__name__)

MANAGED_LABEL = "io.rigpilot.managed=1"  # every container RigPilot starts carries it
SIMULATED_JOB_NAME = "simulated-job"  # the simulated backend's stand-in for our own job
QUIET_KINDS = frozenset({"job.paused", "job.resumed"})  # not announced for a duty cycle


class GuardActions(Protocol):
    """The guard loop's hands. GPU methods act on every job of that GPU."""

    def set_power_limit(self, gpu: int, watts: float) -> None: ...

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        """Put back the user's own limit (``watts``), saved before the app changed it."""
        ...

    def pause_gpu(self, gpu: int, reason: str) -> None:
        """Freeze the GPU's jobs and hold new ones back until ``resume_gpu``."""
        ...

    def resume_gpu(self, gpu: int, reason: str) -> None: ...

    def rest_gpu(self, gpu: int, reason: str) -> None:
        """A duty cycle's rest: freeze like ``pause_gpu``, without a job event."""
        ...

    def wake_gpu(self, gpu: int, reason: str) -> None:
        """The end of a rest: thaw like ``resume_gpu``, without a job event."""
        ...

    def stop_gpu(self, gpu: int, reason: str) -> None:
        """Stop the GPU's jobs (their VRAM is freed) and hold new ones back."""
        ...

    def kill_gpu(self, gpu: int, reason: str) -> None:
        """Stop the GPU's jobs at once (no grace period) and hold new ones back."""
        ...

    def pause_network(self, network: str, reason: str) -> None: ...

    def stop_network_now(self, network: str, reason: str) -> None:
        """An emergency: stop the network's agent at once (``resume_network`` restarts it)."""
        ...

    def resume_network(self, network: str, reason: str) -> None: ...

    def penalties(self) -> Mapping[str, NetworkPenalties]: ...

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        """network → a job of that network is on this GPU (running or frozen)."""
        ...

    def our_pids(self) -> set[int]:
        """Host pids of our containers' processes (not foreign GPU users)."""
        ...

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        """The NVML process list of the GPU (expensive: the loop paces it)."""
        ...


class GuardActionsImpl:
    """``GuardActions`` over a GpuMonitor (or backend), a JobService and a Supervisor.

    Either service may be None (a worker without jobs or networks): its methods then do
    nothing and report nothing running.
    """

    def __init__(
        self, monitor_or_backend: Any, job_service: Any = None, supervisor: Any = None
    ) -> None:
        self.backend = getattr(monitor_or_backend, "backend", monitor_or_backend)
        self.jobs = job_service
        self.supervisor = supervisor
        self._uuids: dict[int, str] = {}
        self._net_calls: queue.Queue[Callable[[], object]] = queue.Queue()
        self._net_thread: threading.Thread | None = None
        self._paused: set[str] = set()  # networks the guard paused (and so may resume)
        self._stopped: dict[str, threading.Thread] = {}  # stopped at once (the stop's thread)
        self._quiet = threading.local()
        emit = getattr(job_service, "on_event", None)
        if emit is not None:  # its job events pass through the duty cycle's filter
            job_service.on_event = self._filtered(emit)

    # --- power ------------------------------------------------------------------------

    def set_power_limit(self, gpu: int, watts: float) -> None:
        if self.backend is not None:
            self.backend.set_power_limit(gpu, watts)

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        self.set_power_limit(gpu, watts)

    # --- jobs per GPU -----------------------------------------------------------------

    def pause_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            self.jobs.pause_all(reason, gpu)

    def resume_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            self.jobs.resume_all(reason, gpu)

    def rest_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            with self._quietly():
                self.jobs.pause_all(reason, gpu)

    def wake_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            with self._quietly():
                self.jobs.resume_all(reason, gpu)

    def stop_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            self.jobs.stop_all(ExitReason.GUARD, gpu)
            self.jobs.pause_all(reason, gpu)

    def kill_gpu(self, gpu: int, reason: str) -> None:
        if self.jobs is not None:
            self.jobs.stop_all(ExitReason.GUARD, gpu, timeout_s=0)
            self.jobs.pause_all(reason, gpu)

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        if self.jobs is None:
            return {}
        uuid = self._uuid(gpu)
        live = self.jobs.list(limit=max(1, self.jobs.running_count))
        return {r.network: True for r in live if not r.state.finished and r.gpu_uuid == uuid}

    # --- networks ---------------------------------------------------------------------

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        """The enrolled networks' penalties (others have no work here to weigh)."""
        return {} if self.supervisor is None else dict(self.supervisor.penalties())

    def pause_network(self, network: str, reason: str) -> None:
        """Pause a network that may work now (a network the user holds is left alone);
        the supervisor returns at once and pauses it on an operation of its own."""
        sup = self.supervisor
        if sup is None or network in self._paused or network not in sup.owners():
            return
        log.info("guard: pausing %s: %s", network, reason)
        self._paused.add(network)
        sup.pause_agent(network, reason)

    def stop_network_now(self, network: str, reason: str) -> None:
        """Stop the agent on a thread of its own: the guard thread must not wait for Docker."""
        sup = self.supervisor
        if sup is None or network not in sup.penalties() or network in self._stopped:
            return
        log.warning("guard: stopping %s at once: %s", network, reason)
        self._paused.discard(network)
        thread = threading.Thread(
            target=_logged,
            args=(lambda: sup.stop_agent_now(network, reason),),
            name="guard-net-stop",
        )
        thread.daemon = True
        self._stopped[network] = thread
        thread.start()

    def resume_network(self, network: str, reason: str) -> None:
        """Resume only what the guard paused or stopped (a network the user holds stays)."""
        sup = self.supervisor
        if sup is None:
            return
        if network in self._stopped:  # once its stop is over, in order with the others
            stopping = self._stopped.pop(network)
            log.info("guard: starting %s again: %s", network, reason)
            self._later(lambda: self._resume_after(network, reason, stopping))
            return
        if network in self._paused:
            self._paused.discard(network)
            if network in sup.owners():
                log.info("guard: resuming %s: %s", network, reason)
                sup.resume_agent(network, reason)

    def _resume_after(self, network: str, reason: str, stopping: threading.Thread) -> None:
        stopping.join()
        if network in self.supervisor.owners():
            self.supervisor.resume_agent(network, reason)

    def _later(self, call: Callable[[], object]) -> None:
        self._net_calls.put(call)
        if self._net_thread is None or not self._net_thread.is_alive():
            self._net_thread = threading.Thread(target=self._serve, name="guard-net", daemon=True)
            self._net_thread.start()

    def _serve(self) -> None:
        while True:
            _logged(self._net_calls.get())

    # --- quiet job events -------------------------------------------------------------

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = False

    def _filtered(self, emit: Callable[[Event], None]) -> Callable[[Event], None]:
        """``emit`` without the job events of a rest or a wake (the calling thread's only)."""

        def filtered(event: Event) -> None:
            if event.kind in QUIET_KINDS and getattr(self._quiet, "on", False):
                return
            emit(event)

        return filtered

    # --- what is on the GPU -----------------------------------------------------------

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        if self.backend is None:
            return None
        found: list[GpuProcess] = self.backend.processes(gpu)
        if isinstance(self.backend, SimulatedBackend):
            found = [p for p in found if p.name != SIMULATED_JOB_NAME]
        return found

    def our_pids(self) -> set[int]:
        client = getattr(getattr(self.jobs, "runner", None), "client", None)
        if client is None:
            return set()
        pids: set[int] = set()
        for container in client.containers.list(filters={"label": MANAGED_LABEL}):
            root = int((container.attrs.get("State") or {}).get("Pid") or 0)
            if root <= 0:
                continue
            pids.add(root)
            try:
                pids.update(p.pid for p in psutil.Process(root).children(recursive=True))
            except psutil.Error:
                continue
        return pids

    def _uuid(self, gpu: int) -> str | None:
        if gpu not in self._uuids and self.backend is not None:
            self._uuids = {info.index: info.uuid for info in self.backend.devices()}
        return self._uuids.get(gpu)


def _logged(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - an adapter's failure must not stop the next call
        log.exception("guard: a network call failed")
