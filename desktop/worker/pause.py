"""The user's pauses: all work, one GPU or one network, each until resumed or until a time.

Pure state with an injected clock, so "pause for an hour" and "until tomorrow" are tested
without waiting. The worker calls ``expire()`` every few seconds and turns what it returns
into ``user.resume`` events; the arbiter (later) reads ``gpu_paused``/``network_paused``
to act on jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.ipc.schema import PauseRequest, ResumeRequest


@dataclass(frozen=True)
class PauseEntry:
    """One active pause.

    Attributes:
        scope: "all", "gpu" or "network".
        target: the GPU index or network id ("" for all).
        since_ts: when it began.
        until_ts: when it ends by itself, or None.
        reason: the user's words.
    """

    scope: str
    target: int | str
    since_ts: float
    until_ts: float | None
    reason: str

    def describe(self) -> str:
        if self.scope == "all":
            return "all work"
        if self.scope == "gpu":
            return f"GPU {self.target}"
        return f"network {self.target}"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "scope": self.scope,
            "since_ts": self.since_ts,
            "until_ts": self.until_ts,
            "reason": self.reason,
        }
        if self.scope == "gpu":
            body["gpu"] = self.target
        elif self.scope == "network":
            body["network"] = self.target
        return body


class PauseState:
    """Every active user pause, keyed by (scope, target)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, int | str], PauseEntry] = {}

    def pause(self, request: PauseRequest) -> PauseEntry:
        """Add (or replace) the pause of one scope."""
        key = _key(request)
        entry = PauseEntry(key[0], key[1], self._clock(), request.until_ts, request.reason)
        self._entries[key] = entry
        return entry

    def resume(self, request: ResumeRequest) -> list[PauseEntry]:
        """End pauses; ``all`` ends every pause. Returns what ended (empty if nothing was)."""
        if request.scope == "all":
            ended = list(self._entries.values())
            self._entries.clear()
            return ended
        entry = self._entries.pop(_key(request), None)
        return [entry] if entry is not None else []

    def expire(self) -> list[PauseEntry]:
        """Remove and return the pauses whose time is up."""
        now = self._clock()
        done = [k for k, e in self._entries.items() if e.until_ts is not None and e.until_ts <= now]
        return [self._entries.pop(k) for k in done]

    @property
    def all_paused(self) -> bool:
        return ("all", "") in self._entries

    def gpu_paused(self, index: int) -> bool:
        return self.all_paused or ("gpu", index) in self._entries

    def network_paused(self, network: str) -> bool:
        return self.all_paused or ("network", network) in self._entries

    def to_json(self) -> dict[str, Any]:
        """The ``paused`` object of the API: {all, until_ts, reason, gpus, networks, items}."""
        whole = self._entries.get(("all", ""))
        gpus = sorted(int(t) for s, t in self._entries if s == "gpu")
        networks = sorted(str(t) for s, t in self._entries if s == "network")
        return {
            "all": whole is not None,
            "until_ts": whole.until_ts if whole else None,
            "reason": whole.reason if whole else "",
            "gpus": gpus,
            "networks": networks,
            "items": [e.to_json() for e in self._entries.values()],
        }


def _key(request: PauseRequest | ResumeRequest) -> tuple[str, int | str]:
    if request.scope == "gpu":
        assert request.gpu is not None
        return ("gpu", request.gpu)
    if request.scope == "network":
        assert request.network is not None
        return ("network", request.network)
    return ("all", "")
