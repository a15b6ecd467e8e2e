"""The field checks behind ``parse_spec``: one function per field, each refusing with a
stable code and a sentence a person understands.

Kept apart from spec.py so that the spec's shape (the dataclasses and ``parse_spec``)
reads on one screen. The rule throughout is an allowlist: names, sizes and values are
checked against what is allowed, never against a list of known-bad things alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Every pattern is matched WHOLE with ``fullmatch`` (never ``match`` with ``$``, which also
# accepts a trailing newline: a job id "abc\n" reached the ledger and then Docker refused
# it), and every class is spelled in ASCII: ``\d`` and ``\w`` also match other scripts'
# digits and letters, which Docker does not accept.
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
# registry[:port]/path[:tag], lower case path components as Docker requires.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?/)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
IMAGE_RE = re.compile(rf"{_HOST}{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?")
ENV_KEY_RE = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
JOB_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NETWORK_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
UNIT_RE = re.compile(r"[A-Za-z0-9._-]{1,16}")
# A pay amount written as text: plain ASCII decimal digits (Decimal() alone would also take
# "١٢", "1e5", "NaN" and "Infinity").
AMOUNT_RE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,18})?")

MAX_ENV_KEYS = 64
MAX_ENV_VALUE_BYTES = 4096
MAX_COMMAND_ITEMS = 256
MAX_COMMAND_BYTES = 64 * 1024
MAX_PROFILE_STEPS = 1000
MAX_DEADLINE_S = 7 * 24 * 3600

# Keys that ask for host access: refused with their own code, whatever their value.
PRIVILEGE_KEYS = frozenset(
    {"privileged", "cap_add", "capabilities", "security_opt", "user", "userns_mode", "runtime",
     "sysctls", "group_add", "cgroup_parent", "oom_kill_disable"}
)  # fmt: skip
MOUNT_KEYS = frozenset(
    {"volumes", "binds", "mounts", "devices", "tmpfs", "volumes_from", "device_requests",
     "device_cgroup_rules", "storage_opt"}
)  # fmt: skip
NAMESPACE_KEYS = frozenset(
    {"network_mode", "networks", "ipc", "ipc_mode", "pid", "pid_mode", "uts_mode", "ports",
     "publish", "extra_hosts", "dns", "hostname", "links"}
)  # fmt: skip


class SpecRefused(Exception):
    """A job spec (or its image) is refused before anything runs.

    Attributes:
        code: stable short name, listed in docs/jobs.md (``image_not_pinned``,
            ``env_forbidden``, ``privileged_refused``, ...).
        message: one sentence a person understands, naming the problem and the fix.
        field: the spec field at fault, when there is one.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Pay:
    """Pay terms: ``amount`` of ``unit`` per hour of running, or per finished job."""

    amount: Decimal
    unit: str
    per: str  # "hour" | "job"

    def to_json(self) -> dict[str, str]:
        return {"amount": str(self.amount), "unit": self.unit, "per": self.per}


def forbidden_env_key(key: str) -> bool:
    """True for variables that steer the dynamic loader or the NVIDIA hooks.

    All ``LD_*`` (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...) and all ``NVIDIA_*``: the
    NVIDIA container hooks run with host privileges and read the container's environment.
    """
    return key.startswith("LD_") or key.startswith("NVIDIA_")


def refuse_host_access(data: dict[Any, Any]) -> None:
    for key in data:
        name = str(key).lower().replace("-", "_")
        if name in PRIVILEGE_KEYS:
            raise SpecRefused(
                "privileged_refused",
                f"Jobs cannot ask for extra privileges ({key!r}); RigPilot always runs them "
                "unprivileged, as nobody, with every capability dropped.",
                field=str(key),
            )
        if name in MOUNT_KEYS:
            raise SpecRefused(
                "mounts_refused",
                f"Jobs cannot mount host folders or devices ({key!r}); they get a private "
                "scratch folder at /work and the GPU RigPilot assigns.",
                field=str(key),
            )
        if name in NAMESPACE_KEYS:
            raise SpecRefused(
                "host_namespace_refused",
                f"Jobs cannot choose their network, ports or namespaces ({key!r}); set "
                "needs_network to true if the job needs the internet.",
                field=str(key),
            )


def image_field(image: object, allowed_local_images: Collection[str]) -> str:
    if not isinstance(image, str) or not image:
        raise SpecRefused("missing_field", "The job spec needs an image.", field="image")
    if image in allowed_local_images:
        return image
    name, at, digest = image.partition("@")
    pinned = at and DIGEST_RE.fullmatch(digest) and IMAGE_RE.fullmatch(name)
    if not pinned or len(image) > 512:  # one "@sha256:<64 hex>", not two, nothing after it
        raise SpecRefused(
            "image_not_pinned",
            f"The image {image[:120]!r} must be pinned by digest (name@sha256:<64 hex>) or be "
            "a local image you allowed in the settings.",
            field="image",
        )
    return image


def command_field(command: object) -> tuple[str, ...]:
    if command is None:
        return ()
    ok = (
        isinstance(command, list)
        and len(command) <= MAX_COMMAND_ITEMS
        and all(isinstance(a, str) and "\x00" not in a for a in command)
        and sum(len(a.encode()) for a in command) <= MAX_COMMAND_BYTES
    )
    if not ok:
        raise SpecRefused(
            "invalid_command",
            "The command must be a list of at most 256 strings (64 KiB in all), without NUL "
            'characters, such as ["sh", "-c", "echo hi"].',
            field="command",
        )
    return tuple(command)  # type: ignore[arg-type]


def env_field(env: object) -> dict[str, str]:
    if not isinstance(env, dict):
        raise SpecRefused("env_forbidden", "The env must be an object of NAME: value.", "env")
    if len(env) > MAX_ENV_KEYS:
        raise SpecRefused(
            "env_forbidden", f"The env has more than {MAX_ENV_KEYS} variables.", "env"
        )
    for key, value in env.items():
        if not isinstance(key, str) or not ENV_KEY_RE.fullmatch(key):
            raise SpecRefused(
                "env_forbidden",
                f"The variable name {str(key)[:70]!r} is not allowed: use upper-case letters, "
                "digits and '_' (at most 64), not starting with a digit.",
                field="env",
            )
        if forbidden_env_key(key):
            raise SpecRefused(
                "env_forbidden",
                f"The variable {key} is refused: LD_* and NVIDIA_* variables can make code "
                "run outside the container's limits.",
                field="env",
            )
        if not isinstance(value, str) or "\x00" in value or len(value.encode()) > 4096:
            raise SpecRefused(
                "env_forbidden",
                f"The value of {key} must be a string of at most 4 KiB without NUL characters.",
                field="env",
            )
    return dict(env)


def gpus_field(gpus: object) -> int:
    if isinstance(gpus, bool) or gpus not in (0, 1) or not isinstance(gpus, int):
        raise SpecRefused(
            "gpu_count", "A job can ask for 0 or 1 GPU; RigPilot assigns it by its UUID.", "gpus"
        )
    return gpus


def number_field(
    name: str, value: object, low: float, high: float, unit: str, integer: bool = False
) -> float:
    number = finite(value)
    if number is None or (integer and number != int(number)):
        kind = "a whole number" if integer else "a number"
        raise SpecRefused(
            "invalid_field", f"{name} must be {kind} between {low:g} and {high:g}.", name
        )
    if not low <= number <= high:
        raise SpecRefused(
            "resources_out_of_bounds",
            f"{name} is {number:g}, outside what this machine allows: {low:g} to {high:g} {unit}.",
            field=name,
        )
    return number


def finite(value: object) -> float | None:
    """The value as a float when it is a finite JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float (JSON allows 1e400 written out)
        return None
    return number if math.isfinite(number) else None


def bool_field(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise SpecRefused("invalid_field", f"{name} must be true or false.", field=name)
    return value


def pay_field(pay: object) -> Pay | None:
    if pay is None:
        return None
    message = 'pay must look like {"amount": "0.10", "unit": "USD", "per": "hour" or "job"}.'
    if not isinstance(pay, dict) or set(pay) != {"amount", "unit", "per"}:
        raise SpecRefused("invalid_pay", message, field="pay")
    amount = _amount(pay["amount"])
    unit, per = pay["unit"], pay["per"]
    if amount is None or not 0 <= amount <= 10**9:
        raise SpecRefused("invalid_pay", message, field="pay")
    if not isinstance(unit, str) or not UNIT_RE.fullmatch(unit) or per not in ("hour", "job"):
        raise SpecRefused("invalid_pay", message, field="pay")
    return Pay(amount, unit, per)


def _amount(value: object) -> Decimal | None:
    """A pay amount from text of ASCII digits or a finite JSON number; None otherwise."""
    if isinstance(value, str):
        return Decimal(value) if AMOUNT_RE.fullmatch(value) else None
    number = finite(value)
    if number is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):  # ValueError: an int too long to print
        return None


def profile_field(profile: object) -> tuple[tuple[float, float], ...]:
    message = 'load_profile must be a list of {"seconds": s, "load": 0..1} steps.'
    if not isinstance(profile, list) or len(profile) > MAX_PROFILE_STEPS:
        raise SpecRefused("invalid_load_profile", message, field="load_profile")
    steps = []
    for step in profile:
        if not isinstance(step, dict) or set(step) != {"seconds", "load"}:
            raise SpecRefused("invalid_load_profile", message, field="load_profile")
        seconds, load = finite(step["seconds"]), finite(step["load"])
        if (
            seconds is None
            or load is None
            or not (0 < seconds <= MAX_DEADLINE_S and 0 <= load <= 1)
        ):
            raise SpecRefused("invalid_load_profile", message, field="load_profile")
        steps.append((seconds, load))
    return tuple(steps)
