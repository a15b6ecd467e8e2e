"""The user's pauses, as holds: the one place a pause of all work, a GPU or a network lives.

Why one place, kept on disk: before, a pause lived in six objects (the API's pause state,
a bridge, the guard, the job service, the network runtime, the guard's network actions),
each with its own idea of what was paused, and a network paused one way survived a restart
while the same pause made another way did not. Here a pause is a ``Hold`` of kind USER;
the reconciler reads these holds with the guards' own and acts; every view reads the same
holds. They are written atomically to ``user-holds.json`` in the data folder, so "pause
until tomorrow" still holds after a reboot, and a timed pause ends by itself (``expire``)
even if the worker was down when it ran out.

Thread-safe: the API changes holds on the event loop, the reconciler reads them from its
own thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write
from desktop.model import GuardAction, Hold, HoldKind

log = logging.getLogger(__name__)

FILE_NAME = "user-holds.json"
_VERSION = 1
SCOPES = ("all", "gpu", "network")


def _key(scope: str, gpu: int | None, network: str | None) -> tuple[str, int | str | None]:
    if scope == "gpu":
        return ("gpu", gpu)
    if scope == "network":
        return ("network", network)
    return ("all", None)


def describe(hold: Hold) -> str:
    """What a user hold covers, in words: "all work", "GPU 0", "network nosana"."""
    if hold.scope == "gpu":
        return f"GPU {hold.gpu}"
    if hold.scope == "network":
        return f"network {hold.network}"
    return "all work"


def sentence(hold: Hold) -> str:
    """Why a hold holds, as a sentence: a user hold's ``reason`` is the user's own note
    ("gaming"), so it is put in a sentence here; a guard's reason is one already."""
    if hold.kind is not HoldKind.USER:
        return hold.reason
    what = {"all": "all work", "gpu": f"GPU {hold.gpu}", "network": f"work for {hold.network}"}
    words = hold.reason
    return (
        f"You paused {what[hold.scope]} ({words})." if words else f"You paused {what[hold.scope]}."
    )


class UserHolds:
    """Every user hold in force, keyed by scope and target, persisted to ``path``.

    Args:
        path: the file (None: keep nothing on disk, for tests of other parts).
        clock: the worker's clock.
    """

    def __init__(self, path: Path | None, clock: Callable[[], float]) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._holds: dict[tuple[str, int | str | None], Hold] = {}
        for hold in self._load():
            self._holds[_key(hold.scope, hold.gpu, hold.network)] = hold

    # --- changes ----------------------------------------------------------------------

    def pause(
        self,
        scope: str,
        gpu: int | None = None,
        network: str | None = None,
        until: float | None = None,
        words: str = "",
    ) -> Hold:
        """Add (or replace) the user's hold of one scope; returns it."""
        if scope not in SCOPES:
            raise ValueError(f"unknown pause scope {scope!r}")
        hold = Hold(
            HoldKind.USER,
            GuardAction.PAUSE,
            words.strip(),
            self.clock(),
            until,
            scope,
            gpu if scope == "gpu" else None,
            network if scope == "network" else None,
        )
        with self._lock:
            self._holds[_key(scope, hold.gpu, hold.network)] = hold
            self._save()
        return hold

    def resume(self, scope: str, gpu: int | None = None, network: str | None = None) -> list[Hold]:
        """Lift holds: ``all`` lifts every user hold; returns what was lifted."""
        with self._lock:
            if scope == "all":
                lifted = list(self._holds.values())
                self._holds.clear()
            else:
                gone = self._holds.pop(_key(scope, gpu, network), None)
                lifted = [gone] if gone is not None else []
            if lifted:
                self._save()
        return lifted

    def expire(self) -> list[Hold]:
        """Lift and return the holds whose time is up."""
        now = self.clock()
        with self._lock:
            done = [k for k, h in self._holds.items() if h.until is not None and h.until <= now]
            lifted = [self._holds.pop(k) for k in done]
            if lifted:
                self._save()
        return lifted

    def forget_network(self, network: str) -> None:
        """A removed network takes its pause with it."""
        self.resume("network", network=network)

    # --- reading ----------------------------------------------------------------------

    def all(self) -> list[Hold]:
        with self._lock:
            return sorted(self._holds.values(), key=lambda h: (SCOPES.index(h.scope), h.since))

    def covering_gpu(self, index: int) -> list[Hold]:
        return [h for h in self.all() if h.covers_gpu(index)]

    def covering_network(self, network: str) -> Hold | None:
        """The hold that keeps this network paused (its own first, else all work)."""
        held = [h for h in self.all() if h.covers_network(network)]
        return next((h for h in held if h.scope == "network"), held[0] if held else None)

    def network_held(self, network: str) -> bool:
        """The user paused this network itself (a pause of all work freezes, not this)."""
        with self._lock:
            return ("network", network) in self._holds

    def next_end(self) -> float | None:
        ends = [h.until for h in self.all() if h.until is not None]
        return min(ends) if ends else None

    # --- the file ---------------------------------------------------------------------

    def _load(self) -> Iterable[Hold]:
        if self.path is None or not self.path.exists():
            return []
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            return [_hold_from_json(item) for item in doc["holds"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s is damaged (%s); no pause of yours is kept from it", self.path, exc)
            return []

    def _save(self) -> None:
        if self.path is None:
            return
        items = [h.to_json() for h in self._holds.values()]
        data = json.dumps({"version": _VERSION, "holds": items}, indent=2) + "\n"
        try:
            atomic_write(self.path, data.encode("utf-8"), keep_prev=False)
        except OSError as exc:  # the pause still holds in memory; it just won't survive
            log.warning("cannot save %s: %s", self.path, exc)


def _hold_from_json(item: Any) -> Hold:
    scope = str(item["scope"])
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    gpu = item.get("gpu")
    network = item.get("network")
    until = item.get("until")
    return Hold(
        HoldKind.USER,
        GuardAction.PAUSE,
        str(item["reason"]),
        float(item["since"]),
        None if until is None else float(until),
        scope,
        None if gpu is None else int(gpu),
        None if network is None else str(network),
    )
