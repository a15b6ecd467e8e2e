"""Power limits the app lowered: what to put back, what to re-apply, and when to let go.

Why a file: NVML power limits are not persistent (a driver reload resets them) and the
worker can crash with a card left at a limit it lowered. So every limit the guard sets is
remembered in ``power-limits.json`` (the data folder, written atomically) together with
the user's own limit from before the app touched the card:

* ``close()`` puts the user's own limit back on every card (clean stop);
* at the next start the remembered limit is re-applied and *held*, so a card that needed
  it is not run hot while the thermal guard warms up again; the hold is let go, and the
  user's own limit restored, once the card has stayed cool for a full cooldown or the
  work stops (a crash therefore ends with the original limit if it is no longer needed);
* a limit the user changed while the worker was down wins: the entry is forgotten.

``PowerKeeper`` is bookkeeping only; the reconciler makes the calls to the card
(``reapply_held_limits`` at start, ``restore_power_limits`` at stop, after the jobs
stopped, so no job runs a moment at the user's own higher limit on a card that needed
less).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write
from desktop.model import GpuInfo

log = logging.getLogger(__name__)

STATE_FILE = "power-limits.json"
_VERSION = 1
_SAME_W = 1.0  # watts: drivers round limits, so a limit within this is "the same"


def can_set_power_limits(backend: object) -> bool:
    """Whether this process may change power limits (NVML needs root / administrator).

    A simulated backend says so itself; on a real machine it is the process's rights. The
    guard also copes with a refusal at run time (it falls back to duty-cycling), so a
    wrong guess here costs one warning, not safety.
    """
    flag = getattr(backend, "requires_privilege", None)
    if isinstance(flag, bool):
        return not flag
    if sys.platform == "win32":
        try:
            import ctypes

            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return False
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class _Card:
    """One card's power limits: the user's own, the last set, the one to re-apply."""

    uuid: str
    original_w: float | None  # the user's own limit: what a restore puts back
    applied_w: float | None = None  # what the app set last (None: the user's own in force)
    held_w: float | None = None  # re-applied at start, until no longer needed


class PowerKeeper:
    """Per GPU: the user's own limit, the limit the app set, and the start-up hold.

    Args:
        infos: the GPUs (their enforced limit at start is the user's own, unless the file
            says the app had lowered it).
        path: the state file, or None to keep nothing on disk (tests of other parts).
    """

    def __init__(self, infos: list[GpuInfo], path: Path | None) -> None:
        self.path = path
        self._cards: dict[int, _Card] = {}
        saved = self._load()
        for info in infos:
            enforced = info.power.enforced_w or info.power.default_w
            card = _Card(info.uuid, enforced)
            entry = saved.get(info.uuid)
            if entry is not None:
                original, applied = entry.get("original_w"), entry.get("applied_w")
                if _same(enforced, original) or _same(enforced, applied):
                    card.original_w = original if original is not None else enforced
                    card.held_w = applied
                else:  # the user set another limit while we were away: theirs wins
                    log.info(
                        "GPU %s: the power limit changed while stopped; keeping it", info.index
                    )
            self._cards[info.index] = card
        if saved:
            self._save()  # entries of cards that are gone, or that the user changed, go

    # --- queries ----------------------------------------------------------------------

    def original(self, gpu: int) -> float | None:
        """The user's own limit (the guard's ceiling, and what a restore puts back)."""
        card = self._cards.get(gpu)
        return card.original_w if card else None

    def applied(self, gpu: int) -> float | None:
        """The limit the app has set on the card now; None while the user's own applies."""
        card = self._cards.get(gpu)
        return card.applied_w if card else None

    def held(self, gpu: int) -> float | None:
        card = self._cards.get(gpu)
        return card.held_w if card else None

    def holds(self) -> dict[int, float]:
        """GPU → limit to re-apply at start (remembered from the previous run)."""
        return {i: c.held_w for i, c in self._cards.items() if c.held_w is not None}

    def lowered(self) -> dict[int, float | None]:
        """GPU → the user's own limit, for every card the app has lowered now."""
        return {i: c.original_w for i, c in self._cards.items() if c.applied_w is not None}

    # --- changes --------------------------------------------------------------------

    def release(self, gpu: int) -> None:
        """The start-up hold is no longer needed."""
        card = self._cards.get(gpu)
        if card is not None and card.held_w is not None:
            card.held_w = None
            self._save()

    def record(self, gpu: int, watts: float | None) -> None:
        """The card now runs at ``watts`` set by the app, or (None) at the user's own."""
        card = self._cards.get(gpu)
        if card is None:
            return
        card.applied_w = watts
        self._save()

    def record_restored_for_stop(self, gpu: int) -> None:
        """Clean stop: the user's limit is back on the card, but the next start re-applies."""
        card = self._cards.get(gpu)
        if card is None or card.applied_w is None:
            return
        card.held_w, card.applied_w = card.applied_w, None
        self._save()

    # --- the file ---------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            gpus = doc["gpus"]
            if not isinstance(gpus, Mapping):
                raise ValueError("'gpus' is not an object")
            return {
                str(uuid): {k: _watts(v.get(k)) for k in ("original_w", "applied_w")}
                for uuid, v in gpus.items()
                if isinstance(v, Mapping)
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "%s is damaged (%s); no remembered power limit is re-applied", self.path, exc
            )
            return {}

    def _save(self) -> None:
        """Write the cards the app has lowered (now, or last run for a pending hold)."""
        if self.path is None:
            return
        gpus = {}
        for card in self._cards.values():
            remembered = card.applied_w if card.applied_w is not None else card.held_w
            if remembered is not None:
                gpus[card.uuid] = {"original_w": card.original_w, "applied_w": remembered}
        if not gpus and not self.path.exists():
            return  # nothing lowered, nothing to remember
        data = json.dumps({"version": _VERSION, "gpus": gpus}, indent=2) + "\n"
        try:
            atomic_write(self.path, data.encode("utf-8"), keep_prev=False)
        except OSError as exc:
            log.warning("cannot save %s: %s", self.path, exc)


def _watts(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= _SAME_W
