"""The practice network's terms: its unit and rate, its job image, its pay key, and what a
user reads when this worker cannot run its jobs.

Why apart: the adapter, its offers and its job book all speak these words, and the
refusal sentence is tested on its own (tests/unit/networks/test_practice_outside_demo.py).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from desktop.jobs.runner import RunnerError
from desktop.jobs.validate import SpecRefused

log = logging.getLogger("desktop.networks.demo")

UNIT = "DEMO"
USD_PER_DEMO = Decimal("0.10")
DEFAULT_IMAGE = "rigpilot-test/busybox:latest"
# refusals that no later offer can get past: the image is not allowed, missing, no engine
BLOCKING_CODES = frozenset({"image_not_pinned", "image_missing", "engine_unavailable"})


def refusal(exc: Exception) -> tuple[str | None, str]:
    """(stable code, sentence) of the job service's refusal; no code for other errors."""
    if isinstance(exc, SpecRefused | RunnerError):
        return exc.code, exc.message
    return None, str(exc)


def practice_refusal(image: str, exc: Exception) -> str:
    """What a user reads when the practice network cannot run its jobs on this worker:
    where it does run, how to run it here, and this worker's own reason (left out when it
    only says that the image is not allowed, which the sentence already says)."""
    text = (
        "The practice network runs in demo mode: start `rigpilot --demo` (the app) or "
        "`rigpilot worker --demo`. To run it on this worker, allow its image (it must be on "
        f"this machine): `rigpilot settings set jobs.allowed_local_images {image}`."
    )
    code, message = refusal(exc)
    if code == "image_not_pinned":
        return text
    return f"{text} This worker refused it: {message}"


def pay_idem_key(job_id: str) -> str:
    """The one idempotency key of a demo job's pay (credit and any later sync agree)."""
    return f"demo:{job_id}:pay"
