"""The simulated cards: physical constants for each ``--simulate`` profile.

Each profile is tuned so that, at full load with the default power limit, the first-order
model ``dT/dt = (T_ambient + P * R_thermal - T) / tau`` settles at the temperature the
profile promises (``target_c``): ``R_thermal = (target_c - ambient_c) / default_w``.
Names, VRAM sizes and power ranges follow real cards of the same class so that the UI, the
guards and the earnings maths see believable numbers; thresholds follow the ``nvidia-smi -q``
captures in reliability.md §6 (Ampere GeForce: max-operating 93 / slowdown 95 / shutdown 98).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.model import ThermalThresholds


@dataclass(frozen=True)
class Profile:
    """Constants of one simulated card.

    Attributes:
        key: the ``--simulate`` name.
        name: what NVML would call the card (with the profile in brackets).
        target_c: steady core temperature at full load and default limit, before any
            driver slowdown (for broken-fan, where it would go without HW slowdown).
        tau_s: thermal time constant (seconds to cover 63 % of a step).
        peak_factor: what full load would draw without a limit, as a multiple of the
            default limit; above 1 so a loaded card sits on its limit like real ones do.
        fan_broken: the fan is stuck at 0 % and ``broken_r`` replaces the fan-cooled
            resistance.
        mem_offset_c: memory runs this much above the core at full power; None means the
            card does not report memory temperature (all GeForce cards).
    """

    key: str
    name: str
    vram_mib: int
    min_w: float
    max_w: float
    default_w: float
    idle_w: float
    ambient_c: float
    target_c: float
    tau_s: float
    thresholds: ThermalThresholds
    sm_boost_mhz: float
    mem_max_mhz: float
    peak_factor: float = 1.12
    fan_broken: bool = False
    broken_r: float = 0.0
    mem_offset_c: float | None = None
    sm_idle_mhz: float = 210.0
    mem_idle_mhz: float = 405.0

    @property
    def r_thermal(self) -> float:
        """°C per watt between the die and the room."""
        if self.fan_broken:
            return self.broken_r
        return (self.target_c - self.ambient_c) / self.default_w


_AMPERE_GEFORCE = ThermalThresholds(
    max_operating_c=93.0, slowdown_c=95.0, shutdown_c=98.0, memory_max_c=None
)

PROFILES: dict[str, Profile] = {
    p.key: p
    for p in (
        Profile(
            key="cool",
            name="Simulated RTX 3060 (cool)",
            vram_mib=12288,
            min_w=100.0,
            max_w=170.0,
            default_w=170.0,
            idle_w=15.0,
            ambient_c=25.0,
            target_c=68.0,
            tau_s=80.0,
            thresholds=_AMPERE_GEFORCE,
            sm_boost_mhz=1837.0,
            mem_max_mhz=7501.0,
        ),
        Profile(
            key="warm",
            name="Simulated RTX 3080 (warm)",
            vram_mib=10240,
            min_w=100.0,
            max_w=370.0,
            default_w=320.0,
            idle_w=22.0,
            ambient_c=25.0,
            target_c=78.0,
            tau_s=100.0,
            thresholds=_AMPERE_GEFORCE,
            sm_boost_mhz=1905.0,
            mem_max_mhz=9501.0,
        ),
        # A workstation blower card in a warm, cramped case: reports memory temperature
        # (like datacenter parts) and has the lower datacenter-style limits of §6.
        Profile(
            key="hot",
            name="Simulated RTX A5000 (hot)",
            vram_mib=24564,
            min_w=100.0,
            max_w=230.0,
            default_w=230.0,
            idle_w=25.0,
            ambient_c=30.0,
            target_c=93.0,
            tau_s=120.0,
            thresholds=ThermalThresholds(
                max_operating_c=90.0, slowdown_c=95.0, shutdown_c=98.0, memory_max_c=95.0
            ),
            sm_boost_mhz=1695.0,
            mem_max_mhz=8001.0,
            mem_offset_c=5.0,
        ),
        # Fan stuck at 0 %: at full power it would settle far above shutdown; the driver's
        # HW slowdown (half power) then makes it saw-tooth just under the slowdown point.
        Profile(
            key="broken-fan",
            name="Simulated RTX 3070 (broken fan)",
            vram_mib=8192,
            min_w=100.0,
            max_w=240.0,
            default_w=220.0,
            idle_w=20.0,
            ambient_c=25.0,
            target_c=135.0,
            tau_s=70.0,
            thresholds=_AMPERE_GEFORCE,
            sm_boost_mhz=1725.0,
            mem_max_mhz=7001.0,
            fan_broken=True,
            broken_r=0.5,
        ),
    )
}

PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)


def parse_profiles(text: str) -> list[str]:
    """``"warm,hot"`` -> ``["warm", "hot"]``; one simulated GPU per name, repeats allowed.

    Raises:
        ValueError: naming the bad entry and the valid profiles.
    """
    valid = ", ".join(PROFILE_NAMES)
    names = [part.strip().lower().replace("_", "-") for part in (text or "").split(",")]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f"no simulated GPU profile given; valid profiles: {valid}")
    for name in names:
        if name not in PROFILES:
            raise ValueError(f"unknown simulated GPU profile {name!r}; valid profiles: {valid}")
    return names
