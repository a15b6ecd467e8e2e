"""Playing a job's load profile on the simulated GPU.

A spec's ``load_profile`` is a list of (seconds, fraction) steps. On a simulated GPU
nothing real makes heat, so the runner plays the profile through a
``set_load(gpu_index, fraction)`` callable (the simulated backend's ``set_load``; taken as
a callable so that desktop.jobs never imports the hardware layer). The clock of the
profile only runs while the job is not paused, like a real job's progress.

The simulated runner ends a job when its profile ends; the Docker runner, for a
container on a simulated GPU (demo mode with Docker), holds the last step's load until
the container exits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SetLoad = Callable[[int, float], None]


@dataclass
class LoadPlayer:
    """One job's progress through its profile, in active (unpaused) seconds."""

    profile: tuple[tuple[float, float], ...]
    set_load: SetLoad | None
    gpu_index: int | None
    last_ts: float
    active_s: float = 0.0
    applied: float | None = None

    @property
    def total_s(self) -> float:
        return sum(seconds for seconds, _ in self.profile)

    @property
    def finished(self) -> bool:
        return self.active_s >= self.total_s

    def advance(self, now: float, paused: bool) -> None:
        """Count the time since the last call, unless the job was paused."""
        if not paused:
            self.active_s += max(0.0, now - self.last_ts)
        self.last_ts = now

    def current_load(self) -> float:
        """The load of the step in force (the last step's once the profile ended)."""
        elapsed = 0.0
        for seconds, load in self.profile:
            elapsed += seconds
            if self.active_s < elapsed:
                return load
        return self.profile[-1][1] if self.profile else 0.0

    def finished_at(self, now: float) -> float:
        """Wall time at which the profile ended (between two calls, now included)."""
        return now - max(0.0, self.active_s - self.total_s)

    def apply(self, load: float) -> bool:
        """Send ``load`` to the GPU if it changed; True when it was sent."""
        if self.gpu_index is None or load == self.applied:
            return False
        self.applied = load
        if self.set_load is not None:
            self.set_load(self.gpu_index, load)
        return True
