"""The reconciler's hands: one actuator per kind of thing it drives.

- ``JobActuator``: the work of RigPilot's own job service on one GPU (the practice
  network's jobs, jobs run by hand): freeze, thaw, stop, kill. ``JobServiceActuator`` maps
  it onto desktop/worker/jobs_service.py.
- ``CardActuator``: the card itself (its power limit, and its NVML process list for the
  activity guard). ``BackendCard`` maps it onto the GPU backend.
- ``AgentControl``: networks that run their own agent (a node container, a native
  process): pause, resume, stop at once. The network supervisor implements it;
  ``AgentDriver`` runs its calls off the reconciler's thread, in order (a graceful stop
  can wait minutes for a job), except an emergency stop, which never queues behind them.
- ``NoAgents``: the null object when a worker has no networks.

Every method may block (Docker, NVML, an agent): the reconciler calls them from its own
thread, never from the worker's event loop. None of them keeps a pause: what is paused is
the record's business (reconciler.py); these only do.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from desktop.hardware.gpu import GpuProcess
from desktop.model import Event, ExitReason, NetworkPenalties

log = logging.getLogger(__name__)

SIMULATED_JOB_NAME = "simulated-job"  # the simulated backend's stand-in for our own job
QUIET_KINDS = frozenset({"job.paused", "job.resumed"})  # not announced for a duty cycle


class JobActuator(Protocol):
    """The job service's work on one GPU (``None``: the jobs that use no GPU)."""

    def freeze(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None:
        """Freeze the jobs (a pause; quietly: a duty cycle's rest, no job event)."""
        ...

    def thaw(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None: ...

    def stop(self, gpu: int | None, reason: str, *, at_once: bool = False) -> None:
        """Stop the jobs (their VRAM is freed); ``at_once``: no grace period (emergency)."""
        ...

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        """network → a job of that network is on this GPU (running or frozen)."""
        ...

    def our_pids(self) -> set[int]:
        """Host pids of our containers' processes (not foreign GPU users)."""
        ...


class CardActuator(Protocol):
    def set_power_limit(self, gpu: int, watts: float) -> None: ...

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        """Put back the user's own limit (``watts``), saved before RigPilot changed it."""
        ...

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        """The NVML process list of the GPU (expensive: the caller paces it)."""
        ...


class AgentControl(Protocol):
    """What the reconciler asks of the network supervisor (blocking calls)."""

    def owners(self) -> list[str]:
        """Networks able to own a GPU now, best first (enrolled, running, not held)."""
        ...

    def runs_own_agent(self, network: str) -> bool:
        """Its work runs in its own agent, not in RigPilot's job service."""
        ...

    def working(self) -> set[str]:
        """Networks last seen busy with work of their own agent's."""
        ...

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        """Per enrolled network, what pausing or throttling costs there."""
        ...

    def pause_agent(self, network: str, reason: str) -> None: ...

    def resume_agent(self, network: str, reason: str) -> None: ...

    def stop_agent_now(self, network: str, reason: str) -> None: ...

    def agent_pids(self) -> set[int]:
        """Host pids of the networks' own agents' processes (not foreign GPU users)."""
        ...


class NoAgents:
    """``AgentControl`` of a worker without networks: nothing to own, pause or stop."""

    def owners(self) -> list[str]:
        return []

    def runs_own_agent(self, network: str) -> bool:
        return False

    def working(self) -> set[str]:
        return set()

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        return {}

    def pause_agent(self, network: str, reason: str) -> None:
        """No agent runs."""

    def resume_agent(self, network: str, reason: str) -> None:
        """No agent runs."""

    def stop_agent_now(self, network: str, reason: str) -> None:
        """No agent runs."""

    def agent_pids(self) -> set[int]:
        return set()


class AgentDriver:
    """Runs ``AgentControl`` calls in order on a thread of their own; an emergency stop
    gets a thread of its own at once, and a later resume waits for that stop to end."""

    def __init__(self, control: AgentControl, inline: bool = False) -> None:
        self.control, self.inline = control, inline
        self._calls: queue.Queue[Callable[[], object]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stops: dict[str, threading.Thread] = {}

    def pause(self, network: str, reason: str) -> None:
        log.info("pausing %s: %s", network, reason)
        self._later(lambda: self.control.pause_agent(network, reason))

    def resume(self, network: str, reason: str) -> None:
        stopping = self._stops.pop(network, None)
        log.info("resuming %s: %s", network, reason)

        def call() -> None:
            if stopping is not None:
                stopping.join()
            self.control.resume_agent(network, reason)

        self._later(call)

    def stop_now(self, network: str, reason: str) -> None:
        log.warning("stopping %s at once: %s", network, reason)
        if self.inline:
            _logged(lambda: self.control.stop_agent_now(network, reason))
            return
        thread = threading.Thread(
            target=_logged,
            args=(lambda: self.control.stop_agent_now(network, reason),),
            name="agent-stop",
            daemon=True,
        )
        self._stops[network] = thread
        thread.start()

    def _later(self, call: Callable[[], object]) -> None:
        if self.inline:  # tests and the simulated closed loop: in order, on the caller
            _logged(call)
            return
        self._calls.put(call)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name="agents", daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        while True:
            _logged(self._calls.get())


class JobServiceActuator:
    """``JobActuator`` over the job service (None: a worker without one does nothing).

    A duty cycle freezes and thaws a GPU's jobs every minute; ``quiet`` calls do it
    without the job service's job.paused / job.resumed events (the reconciler announces
    the duty cycle once), by filtering those two kinds while the call runs.
    """

    def __init__(self, service: Any) -> None:
        self.service = service
        self._quiet = threading.local()
        if service is not None:  # its job events pass through the duty cycle's filter
            service.on_event = self._filtered(service.on_event)

    def freeze(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None:
        if self.service is not None:
            with self._quietly(quiet):
                self.service.freeze(gpu, reason)

    def thaw(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None:
        if self.service is not None:
            with self._quietly(quiet):
                self.service.thaw(gpu, reason)

    def stop(self, gpu: int | None, reason: str, *, at_once: bool = False) -> None:
        if self.service is not None:
            self.service.stop_all(ExitReason.GUARD, gpu, timeout_s=0 if at_once else 10)

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        if self.service is None:
            return {}
        return dict.fromkeys(self.service.networks_on(gpu), True)

    def our_pids(self) -> set[int]:
        return set() if self.service is None else self.service.runner.container_pids()

    @contextmanager
    def _quietly(self, quiet: bool) -> Iterator[None]:
        self._quiet.on = quiet
        try:
            yield
        finally:
            self._quiet.on = False

    def _filtered(self, emit: Callable[[Event], None]) -> Callable[[Event], None]:
        def filtered(event: Event) -> None:
            if event.kind in QUIET_KINDS and getattr(self._quiet, "on", False):
                return
            emit(event)

        return filtered


class BackendCard:
    """``CardActuator`` over a GPU backend (None: no GPU to act on)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def set_power_limit(self, gpu: int, watts: float) -> None:
        if self.backend is not None:
            self.backend.set_power_limit(gpu, watts)

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        self.set_power_limit(gpu, watts)

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        if self.backend is None:
            return None
        found: list[GpuProcess] = self.backend.processes(gpu)
        return [p for p in found if p.name != SIMULATED_JOB_NAME]


def _logged(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - one agent's failure must not stop the next call
        log.exception("a network agent call failed")
