"""A job spec, validated before anything runs.

A marketplace (or a person with ``rigpilot job run``) hands the worker a JSON object; this
module turns it into a frozen :class:`JobSpec` or refuses it with a :class:`SpecRefused`
carrying a stable ``code`` and one sentence a person understands. The rule is an allowlist:
a key we do not know is refused rather than ignored, because an ignored ``privileged`` or
``volumes`` key is exactly how BOINC's docker wrapper let projects pass flags through
(reliability.md §3, §8.7); the per-field checks live in validate.py. Nothing here talks
to Docker: the image's own config is checked later by the runner's preflight
(NVIDIAScape, CVE-2025-23266).

The JSON format is documented in docs/jobs.md.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop.jobs import validate as v
from desktop.jobs.validate import JOB_ID_RE, NETWORK_RE, Pay, SpecRefused, forbidden_env_key
from desktop.model import JobRecord, JobState, Money

__all__ = [
    "DEFAULTS",
    "HostLimits",
    "JobSpec",
    "Pay",
    "SpecRefused",
    "forbidden_env_key",
    "parse_spec",
    "pay_due",
]

DEFAULTS: dict[str, Any] = {
    "network": "local",
    "env": {},
    "gpus": 0,
    "cpus": 1.0,
    "memory_mb": 512,
    "pids": 256,
    "scratch_mb": 256,
    "deadline_s": 3600,
    "needs_network": False,
    "pay": None,
    "load_profile": [],
}
KNOWN_KEYS = frozenset(DEFAULTS) | {"job_id", "image", "command"}


@dataclass(frozen=True)
class HostLimits:
    """What this machine can give one job; the upper bounds of the resource checks."""

    cpus: float
    memory_mb: int

    @classmethod
    def detect(cls) -> HostLimits:
        from desktop.hardware.host import total_ram_bytes  # local: tests pass explicit limits

        return cls(cpus=float(os.cpu_count() or 1), memory_mb=total_ram_bytes() >> 20)

    @property
    def max_memory_mb(self) -> int:
        return max(16, int(self.memory_mb * 0.75))


@dataclass(frozen=True)
class JobSpec:
    """A validated job. ``command`` empty means the image's own CMD.

    ``load_profile`` is a list of (seconds, load fraction) steps: the simulated runner plays
    it on the simulated GPU; the Docker runner ignores it (the real job makes real load).
    """

    job_id: str
    network: str
    image: str
    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    gpus: int = 0
    cpus: float = 1.0
    memory_mb: int = 512
    pids: int = 256
    scratch_mb: int = 256
    deadline_s: float = 3600.0
    needs_network: bool = False
    pay: Pay | None = None
    load_profile: tuple[tuple[float, float], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "network": self.network,
            "image": self.image,
            "command": list(self.command),
            "env": dict(self.env),
            "gpus": self.gpus,
            "cpus": self.cpus,
            "memory_mb": self.memory_mb,
            "pids": self.pids,
            "scratch_mb": self.scratch_mb,
            "deadline_s": self.deadline_s,
            "needs_network": self.needs_network,
            "pay": None if self.pay is None else self.pay.to_json(),
            "load_profile": [{"seconds": s, "load": f} for s, f in self.load_profile],
        }


def parse_spec(
    data: object,
    allowed_local_images: Collection[str] = (),
    limits: HostLimits | None = None,
) -> JobSpec:
    """Validate ``data`` (a decoded JSON object) into a JobSpec, or raise SpecRefused."""
    if not isinstance(data, dict):
        raise SpecRefused("not_an_object", "The job spec must be a JSON object.")
    v.refuse_host_access(data)
    unknown = sorted(str(k) for k in data if k not in KNOWN_KEYS)
    if unknown:
        raise SpecRefused(
            "unknown_field",
            f"The job spec has a field RigPilot does not know: {unknown[0]!r}; "
            "remove it (see docs/jobs.md for the fields).",
            field=unknown[0],
        )
    limits = limits or HostLimits.detect()
    number = v.number_field
    values = {**DEFAULTS, **data}
    # Absent or null means "name it for me"; any other value must be a valid id: 0, false
    # or "" are mistakes to report, not requests for a random id.
    job_id = values.get("job_id")
    if job_id is None:
        job_id = f"local-{secrets.token_hex(4)}"
    if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
        raise SpecRefused(
            "invalid_job_id",
            "The job_id must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            field="job_id",
        )
    network = values["network"]
    if not isinstance(network, str) or not NETWORK_RE.fullmatch(network):
        raise SpecRefused(
            "invalid_field",
            "The network must be a short lower-case name such as 'local' or 'demo'.",
            field="network",
        )
    return JobSpec(
        job_id=job_id,
        network=network,
        image=v.image_field(values.get("image"), allowed_local_images),
        command=v.command_field(values.get("command")),
        env=v.env_field(values["env"]),
        gpus=v.gpus_field(values["gpus"]),
        cpus=number("cpus", values["cpus"], 0.1, limits.cpus, "CPUs"),
        memory_mb=int(
            number("memory_mb", values["memory_mb"], 16, limits.max_memory_mb, "MB", integer=True)
        ),
        pids=int(number("pids", values["pids"], 16, 4096, "processes", integer=True)),
        scratch_mb=int(number("scratch_mb", values["scratch_mb"], 1, 10240, "MB", integer=True)),
        deadline_s=number("deadline_s", values["deadline_s"], 1, v.MAX_DEADLINE_S, "seconds"),
        needs_network=v.bool_field("needs_network", values["needs_network"]),
        pay=v.pay_field(values["pay"]),
        load_profile=v.profile_field(values["load_profile"]),
    )


def pay_due(record: JobRecord, pay: Pay | None) -> Money | None:
    """The default crediting policy: pay only for a job that finished by itself, successfully.

    OOM, deadline, interrupted, failed and stopped jobs earn nothing here; a network whose
    terms are more generous (pay for the hours a stopped job ran) decides that itself.
    """
    if pay is None or record.state is not JobState.SUCCEEDED:
        return None
    if pay.per == "job":
        return Money(pay.amount, pay.unit)
    if record.started_ts is None or record.ended_ts is None:
        return None
    hours = Decimal(str(max(0.0, record.ended_ts - record.started_ts))) / Decimal(3600)
    return Money((pay.amount * hours).quantize(Decimal("0.00000001")), pay.unit)
