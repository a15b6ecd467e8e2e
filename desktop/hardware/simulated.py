"""A simulated GPU backend, for machines without an NVIDIA card (and for every test).

Each card runs the thermal model of sim_model.py with the constants of one profile
(sim_profiles.py): power follows the load a job applies up to the power limit, lowering the
limit really lowers the steady temperature, and the reason bits switch on near the NVML
thresholds as a real card's do. This module adds what a backend needs around the model:
several cards, simulated time, faults on demand and the GpuBackend protocol.

Simulated time starts at the wall time and runs ``speed`` times faster (``clock()``): it
drives the physics only. Samples are stamped with the wall clock (``stamp()``), like every
other record of the worker: one clock in every view, whatever ``--sim-speed`` says (issue
13). ``advance()`` adds time by hand, to both, so tests are deterministic. The cards also
catch up by themselves whenever they are read.
"""

from __future__ import annotations

import math
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace

from desktop import clock as wall_clock
from desktop.hardware.gpu import GpuError, GpuLost, GpuProcess, PermissionRequired
from desktop.hardware.sim_model import IDLE_LOAD, Card, read_sample
from desktop.hardware.sim_profiles import PROFILE_NAMES, PROFILES, parse_profiles
from desktop.model import GpuInfo, GpuSample, PowerLimits

__all__ = ["FAULT_KINDS", "PROFILE_NAMES", "SimulatedBackend", "parse_profiles"]

FAULT_KINDS = ("read_error", "gpu_lost", "clear")
_JOB_PID_BASE = 40000


class SimulatedBackend:
    """A ``GpuBackend`` of simulated cards, one per profile name.

    Args:
        profiles: profile names, e.g. ``["warm", "hot"]`` (see ``parse_profiles``).
        seed: makes the noise, UUIDs and energy counters reproducible.
        speed: simulated seconds per wall second.
        clock: the wall clock the simulation runs from (``desktop.clock.read`` by default);
            tests pass a frozen one and move time with ``advance()``.
        requires_privilege: when True ``set_power_limit`` raises PermissionRequired, as on
            a real machine without root/admin.
    """

    def __init__(
        self,
        profiles: list[str],
        seed: int = 0,
        speed: float = 1.0,
        clock: Callable[[], float] | None = None,
        requires_privilege: bool = False,
    ) -> None:
        if not profiles:
            raise ValueError(
                f"no simulated GPU profile given; valid profiles: {', '.join(PROFILE_NAMES)}"
            )
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"the simulation speed must be a positive number (got {speed})")
        names = parse_profiles(",".join(profiles))
        self.requires_privilege = requires_privilege
        self._speed = float(speed)
        self._base = clock or wall_clock.read
        self._base0 = self._base()
        self._offset = 0.0
        self._lock = threading.Lock()
        now = self.clock()
        self._cards: list[Card] = []
        for index, name in enumerate(names):
            profile = PROFILES[name]
            ident = uuid.UUID(int=random.Random(seed * 7919 + index).getrandbits(128), version=4)
            rng = random.Random(seed * 104729 + index)
            self._cards.append(
                Card(
                    profile=profile,
                    index=index,
                    uuid=f"GPU-{ident}",
                    rng=rng,
                    t=now,
                    temp_c=profile.ambient_c + profile.idle_w * profile.r_thermal,
                    energy_j=rng.uniform(1e5, 5e6),
                    limit_w=profile.default_w,
                )
            )

    # --- simulated time ------------------------------------------------------------

    def clock(self) -> float:
        """Simulated epoch seconds: wall time at start, then ``speed`` times faster."""
        return self._base0 + (self._base() - self._base0) * self._speed + self._offset

    def stamp(self) -> float:
        """The time a sample carries: the wall clock (plus what ``advance()`` added)."""
        return self._base() + self._offset

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by hand (deterministic stepping for tests)."""
        if seconds < 0:
            raise ValueError("simulated time cannot go backwards")
        with self._lock:
            self._offset += seconds
            now = self.clock()
            for card in self._cards:
                card.advance_to(now)

    # --- what a job or a test does to the card ---------------------------------------

    def set_load(self, index: int, fraction: float, vram_mib: float | None = None) -> None:
        """Apply a job's load (0 = idle, 1 = full); ``vram_mib`` is what the job holds."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"load must be between 0 and 1 (got {fraction})")
        with self._lock:
            card = self._card(index)
            card.advance_to(self.clock())
            card.load = float(fraction)
            card.job_vram_mib = vram_mib

    def inject_fault(self, index: int, kind: str, count: int = 1) -> None:
        """``read_error``: the next ``count`` reads fail; ``gpu_lost``: every call raises
        GpuLost until ``clear``; ``clear``: remove all faults."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; valid faults: {', '.join(FAULT_KINDS)}")
        with self._lock:
            card = self._card(index)
            if kind == "read_error":
                card.read_errors += max(1, count)
            elif kind == "gpu_lost":
                card.lost = True
            else:
                card.read_errors = 0
                card.lost = False

    def add_process(self, index: int, process: GpuProcess) -> None:
        """Show another process on the card (e.g. a game, for the activity guard)."""
        with self._lock:
            self._card(index).extra[process.pid] = process

    def remove_process(self, index: int, pid: int) -> None:
        with self._lock:
            self._card(index).extra.pop(pid, None)

    # --- GpuBackend --------------------------------------------------------------------

    def devices(self) -> list[GpuInfo]:
        with self._lock:
            return [self._info(card) for card in self._cards]

    def sample(self, index: int) -> GpuSample:
        with self._lock:
            card = self._card(index)
            now = self.clock()
            card.advance_to(now)
            self._check_faults(card, reading=True)
            return replace(read_sample(card, now), ts=self.stamp())

    def processes(self, index: int) -> list[GpuProcess]:
        with self._lock:
            card = self._card(index)
            card.advance_to(self.clock())
            self._check_faults(card, reading=False)
            found = list(card.extra.values())
            vram = card.job_vram()
            if card.load >= IDLE_LOAD or vram > 0:
                found.insert(0, GpuProcess(_JOB_PID_BASE + index, vram, "simulated-job"))
            return found

    def set_power_limit(self, index: int, watts: float) -> None:
        with self._lock:
            card = self._card(index)
            self._check_faults(card, reading=False)
            if self.requires_privilege:
                raise PermissionRequired(
                    "no_permission",
                    "changing the power limit needs administrator (root) rights",
                    "Run the RigPilot worker with administrator rights to let it lower the "
                    "limit; without them it pauses work in slices instead.",
                )
            p = card.profile
            if not p.min_w <= watts <= p.max_w:
                raise GpuError(
                    "invalid_value",
                    f"{watts:g} W is outside the power-limit range of GPU {index} "
                    f"({p.min_w:g}-{p.max_w:g} W)",
                    f"Choose a limit between {p.min_w:g} and {p.max_w:g} W.",
                )
            card.advance_to(self.clock())
            card.limit_w = float(watts)

    def close(self) -> None:
        """Nothing to release; kept for the protocol."""

    # --- internals ---------------------------------------------------------------------

    def _card(self, index: int) -> Card:
        if not 0 <= index < len(self._cards):
            raise GpuError(
                "not_found",
                f"there is no GPU {index}; this machine has {len(self._cards)}",
                f"Use a GPU index from 0 to {len(self._cards) - 1}.",
            )
        return self._cards[index]

    @staticmethod
    def _check_faults(card: Card, reading: bool) -> None:
        if card.lost:
            raise GpuLost(
                "gpu_lost",
                f"simulated GPU {card.index} has fallen off the bus (injected fault)",
                "Clear the fault with inject_fault(index, 'clear'); a real card needs a restart.",
            )
        if reading and card.read_errors > 0:
            card.read_errors -= 1
            raise GpuError(
                "read_error",
                f"a sensor read failed on simulated GPU {card.index} (injected fault)",
                "The fault clears by itself after the injected number of reads.",
            )

    def _info(self, card: Card) -> GpuInfo:
        p = card.profile
        return GpuInfo(
            index=card.index,
            uuid=card.uuid,
            name=p.name,
            vram_total_mib=p.vram_mib,
            driver_version="550.54.14-sim",
            cuda_version="12.4",
            power=PowerLimits(p.min_w, p.max_w, p.default_w, card.limit_w),
            thresholds=p.thresholds,
            simulated=True,
        )
