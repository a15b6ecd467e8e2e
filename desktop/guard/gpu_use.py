"""Spotting a new program on the GPU between process lists, from the cheap readings.

Why: the NVML process list takes the driver lock that games also need, so the guard asks
for it only every 10 s (issue 3); a program starting just after a list would then share
the card with our job for up to 12 s, while issue 6 wants work off the GPU within 5 s.
Every cheap reading already hints at a newcomer: VRAM in use rising beyond what the last
list accounted for, or the GPU busy while none of our jobs runs. ``GpuUseWatch`` turns
those hints into an early look at the list: at most one every ``min_gap_s`` (3 s), and
edge-triggered, so a busy GPU or a steady VRAM level never keeps asking (in steady state
the lists stay at one per 10 s).

"Accounted for": at every list, routine or early, the VRAM in use is explained (it is
what the listed processes hold, ours included), so it becomes the baseline; a rise of
more than ``vram_rise_mib`` above it is not. The baseline follows a fall only once the
lower level has held for ``settle_s``, so a job whose memory breathes up and down does not
ask on every breath. A job of ours that grows its memory also makes the watch look (at
most once per 3 s while it grows): only the list can tell whose memory it is.

``ProcessLooks`` paces one GPU's lists with the watch: every 10 s, and early when asked.
Pure: no I/O; the guard loop passes the readings, whether our work runs, the clock, and
the calls that fetch a list and our own pids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

__all__ = ["PROCESS_LIST_EVERY_S", "GpuUseWatch", "ProcessLooks", "UseWatchPolicy"]

PROCESS_LIST_EVERY_S = 10.0  # the NVML process list is expensive: routinely this often


class _Process(Protocol):
    @property
    def pid(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class UseWatchPolicy:
    """When a reading is worth an early process list (MiB, %, seconds)."""

    vram_rise_mib: float = 256.0  # more than a desktop's noise, less than any game
    busy_util_pct: float = 30.0  # the GPU is "busy" at this utilisation with no job of ours
    calm_util_pct: float = 10.0  # and "calm" again below this (or while our job runs) ...
    settle_s: float = 10.0  # ... for this long; also how long a lower VRAM level must hold
    min_gap_s: float = 3.0  # at most one early list this often (any list resets it)


class GpuUseWatch:
    """One GPU's hints of a newcomer; ``observe`` says when to look early (see module doc)."""

    def __init__(self, policy: UseWatchPolicy | None = None) -> None:
        self.policy = self.base = policy or UseWatchPolicy()
        self.reason = ""  # why the last early look was asked (for logs and tests)
        self._baseline: float | None = None
        self._low_since: float | None = None
        self._low_peak = 0.0
        self._busy = False  # busy with no job of ours, as of the last reading
        self._busy_armed = True  # a busy spell not yet looked at
        self._calm_since: float | None = None
        self._last_look = -math.inf

    def observe(
        self, vram_used_mib: float | None, util_pct: float | None, ours_running: bool, now: float
    ) -> bool:
        """Feed one reading; True when an early process list is due now."""
        rise = self._vram_rise(vram_used_mib, now)
        busy = self._busy_hint(util_pct, ours_running, now)
        if not (rise or busy) or now - self._last_look < self.policy.min_gap_s:
            return False
        if rise:
            self.reason = (
                f"VRAM in use rose to {vram_used_mib:.0f} MiB, "
                f"{(vram_used_mib or 0.0) - (self._baseline or 0.0):.0f} MiB above the last list"
            )
        else:
            self.reason = f"the GPU is {util_pct:.0f} % busy while none of our jobs runs"
        return True

    def busy_at(self, util_pct: float | None) -> None:
        """Count the GPU as busy from ``util_pct`` (None: the policy's own level), for a
        network that others may use only that much (io.net: 20 %, 5 % on a 4090): a
        program below 30 % but above its rule is then looked for early, not at the next
        routine list. "Calm" is then below half of it, so a level in between is not both."""
        base = self.base
        if util_pct is None or util_pct >= base.busy_util_pct:
            self.policy = base
            return
        calm = min(base.calm_util_pct, util_pct / 2)
        self.policy = replace(base, busy_util_pct=util_pct, calm_util_pct=calm)

    def looked(self, vram_used_mib: float | None, now: float) -> None:
        """A process list was just fetched (routine or early): what is in use is explained."""
        self._last_look = now
        if vram_used_mib is not None:
            self._baseline = vram_used_mib
            self._low_since = None
        if self._busy:
            self._busy_armed = False  # this busy spell has been looked at

    # --- internals --------------------------------------------------------------------

    def _vram_rise(self, used: float | None, now: float) -> bool:
        if used is None:
            return False
        if self._baseline is None:
            self._baseline = used
            return False
        p = self.policy
        if used < self._baseline - p.vram_rise_mib:  # a fall: follow it once it holds
            if self._low_since is None:
                self._low_since, self._low_peak = now, used
            self._low_peak = max(self._low_peak, used)
            if now - self._low_since >= p.settle_s:
                self._baseline, self._low_since = self._low_peak, None
        else:
            self._low_since = None
        return used > self._baseline + p.vram_rise_mib

    def _busy_hint(self, util: float | None, ours_running: bool, now: float) -> bool:
        p = self.policy
        if util is None:
            return False
        self._busy = not ours_running and util >= p.busy_util_pct
        calm = ours_running or util < p.calm_util_pct
        if not calm:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = now
        if self._calm_since is not None and now - self._calm_since >= p.settle_s:
            self._busy_armed = True
        return self._busy and self._busy_armed


class ProcessLooks:
    """One GPU's process lists: when to fetch one, and who the last one showed."""

    def __init__(self, policy: UseWatchPolicy | None = None) -> None:
        self.watch = GpuUseWatch(policy)
        self.processes: list[_Process] | None = None
        self.at = -math.inf  # when the last list was fetched
        self.fresh = False  # a list not yet handed to the activity guard
        self.look_now = False  # a reading asked for an early list
        self.early = 0  # lists fetched early (beyond the routine)
        self.vram_used_mib: float | None = None

    def observe(
        self, vram_used_mib: float | None, util_pct: float | None, ours_running: bool, now: float
    ) -> None:
        """Feed one reading; it may ask for an early list (``look_now``)."""
        self.vram_used_mib = vram_used_mib
        if self.watch.observe(vram_used_mib, util_pct, ours_running, now):
            self.look_now = True

    def handed(self, processes: Sequence[_Process], now: float) -> None:
        """A list fetched by someone else (the sampler)."""
        self.processes, self.fresh, self.at = list(processes), True, now

    def foreign(
        self,
        fetch: Callable[[], Sequence[_Process] | None],
        ours: Callable[[], set[int]],
        now: float,
    ) -> dict[int, str] | None:
        """pid → name of the processes on the GPU that are not ours; None when no new list
        was looked at (the activity guard then keeps the last one). A list is fetched every
        ``PROCESS_LIST_EVERY_S``, and early when a reading asked for it."""
        routine = now - self.at >= PROCESS_LIST_EVERY_S
        if routine or self.look_now:
            self.early += 0 if routine else 1
            self.look_now = False
            fetched = fetch()
            self.at = now
            self.watch.looked(self.vram_used_mib, now)
            if fetched is not None:
                self.processes, self.fresh = list(fetched), True
        if not self.fresh:
            return None
        self.fresh = False
        found = {p.pid: p.name for p in self.processes or []}
        if found:
            mine = ours()
            found = {pid: name for pid, name in found.items() if pid not in mine}
        return found
