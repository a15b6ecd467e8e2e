"""Which of the rig's news is worth a push to the owner's phone, and how often.

Four things, chosen because each needs a person and none fixes itself: an emergency stop
(the guard killed the work: near shutdown temperature, a fan at 0 %, failed sensors), a
lost GPU, an enrolled network that has been failing for a while, and the worker coming
back after it died. Everything else (heat pauses, games, schedule) the guard handles, and
the app shows. Pure: events and status answers in, ``Alert``s out, the clock passed in.

Rate limit: one alert per (kind, subject) per ``repeat_after_min`` (a card that trips
every few minutes sends one push, not twenty), and at most ``MAX_PER_HOUR`` in all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.ipc.schema import NetworkBrief
from desktop.model import Event, NodeState

MAX_PER_HOUR = 20
# An enrolled network the user does not hold, in one of these states, is failing: its
# agent should be up and is not (supervisor_agents.observed says the same of "crashed").
FAILING_STATES = frozenset({NodeState.ERROR, NodeState.OFFLINE, NodeState.BLOCKED})


@dataclass(frozen=True)
class Alert:
    """One message for ntfy and the webhook.

    Attributes:
        kind: emergency_stop, gpu_lost, network_failing, worker_recovered or test.
        subject: what it is about ("gpu 0", a network id, "" for the rig).
        priority: ntfy's 1 (min) to 5 (max).
        tags: ntfy tags (shown as emoji on the phone).
    """

    kind: str
    subject: str
    title: str
    message: str
    ts: float
    priority: int = 4
    tags: tuple[str, ...] = ()
    gpu: int | None = None
    network: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.subject


def from_event(event: Event, host: str) -> Alert | None:
    """The alert an event calls for, or None."""
    gpu = event.gpu_index
    where = f"GPU {gpu}" if gpu is not None else "a GPU"
    if event.kind == "guard.kill":
        return Alert(
            "emergency_stop", f"gpu {gpu}", f"{host}: emergency stop on {where}",
            event.message, event.ts, 5, ("rotating_light",), gpu=gpu,
        )  # fmt: skip
    if event.kind == "gpu.lost":
        return Alert(
            "gpu_lost", f"gpu {gpu}", f"{host}: {where} stopped responding",
            f"{event.message}. Work on it is stopped; a restart of the computer usually "
            "brings it back.", event.ts, 5, ("warning",), gpu=gpu,
        )  # fmt: skip
    return None


def recovered(host: str, previous_pid: int | None, started_ts: float | None, now: float) -> Alert:
    """The worker started again after a run that did not stop cleanly."""
    run = f" (pid {previous_pid})" if previous_pid else ""
    return Alert(
        "worker_recovered", "", f"{host}: RigPilot is back after a crash",
        f"RigPilot's worker stopped without shutting down{run} (a crash, a kill or a power "
        "cut) and has started again; jobs it was running were marked interrupted. "
        "`rigpilot logs` shows what happened before.", now, 4, ("arrows_counterclockwise",),
    )  # fmt: skip


def trial_alert(host: str, now: float) -> Alert:
    return Alert(
        "test", "", f"{host}: RigPilot test alert",
        "This is a test from RigPilot: alerts from this rig reach you here.", now, 3,
        ("white_check_mark",),
    )  # fmt: skip


def is_failing(network: NetworkBrief) -> bool:
    return network.enrolled and network.held is None and network.state in FAILING_STATES


class FailingWatch:
    """Since when each network has been failing; one alert when it passes the threshold."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}
        self._told: set[str] = set()

    def check(
        self, networks: Iterable[NetworkBrief], now: float, after_s: float, host: str
    ) -> list[Alert]:
        found = []
        failing = {n.network: n for n in networks if is_failing(n)}
        for gone in [n for n in self._since if n not in failing]:
            del self._since[gone]
            self._told.discard(gone)
        for network, brief in failing.items():
            since = self._since.setdefault(network, now)
            if now - since >= after_s and network not in self._told:
                self._told.add(network)
                minutes = (now - since) / 60
                found.append(
                    Alert(
                        "network_failing", network,
                        f"{host}: {brief.display_name} failing for {minutes:.0f} min",
                        f"{brief.display_name} is {brief.state}"
                        + (f": {brief.message}" if brief.message else "")
                        + (f". {brief.next_step}" if brief.next_step else ""),
                        now, 4, ("warning",), network=network,
                    )
                )  # fmt: skip
        return found


class RateLimiter:
    """One alert per key per ``window_s``; at most ``per_hour`` alerts an hour in all."""

    def __init__(self, per_hour: int = MAX_PER_HOUR) -> None:
        self.per_hour = per_hour
        self._last: dict[tuple[str, str], float] = {}
        self._recent: deque[float] = deque()

    def allow(self, key: tuple[str, str], now: float, window_s: float) -> bool:
        while self._recent and now - self._recent[0] >= 3600:
            self._recent.popleft()
        last = self._last.get(key)
        if last is not None and now - last < window_s:
            return False
        if len(self._recent) >= self.per_hour:
            return False
        self._last[key] = now
        self._recent.append(now)
        return True
