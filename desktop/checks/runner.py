"""Run the setup checks in order, each only when what it stands on is in place.

A check lists the checks it ``requires``; when one of them failed or was skipped, the check
is skipped with the reason instead of piling a second, confusing failure on the first (no
CUDA verdict without a driver, no GPU container without Docker and the toolkit). A check
that crashes becomes a warning with the error in its details: the doctor is what people
run when something is broken, so it must never end in a traceback itself.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.checks import cuda, docker, driver, network, smoke, system, toolkit
from desktop.checks.base import clean, raw_excerpt
from desktop.checks.context import DoctorContext
from desktop.model import CheckResult, CheckStatus

JSON_VERSION = 1


@dataclass(frozen=True)
class Check:
    """One entry of the doctor's plan.

    Attributes:
        id: the result id (for checks with several results, the family: ``gpu``).
        title: shown when the check is skipped or crashes.
        run: produces one result, or several (one per GPU).
        requires: ids that must have passed (or only warned) for this check to run.
    """

    id: str
    title: str
    run: Callable[[DoctorContext], CheckResult | Sequence[CheckResult]]
    requires: tuple[str, ...] = ()


CHECKS: tuple[Check, ...] = (
    Check("driver", driver.TITLE, driver.check_driver),
    Check("cuda", cuda.TITLE, cuda.check_cuda, ("driver",)),
    Check("gpu", "GPUs", cuda.check_gpus, ("driver",)),
    Check("docker.engine", docker.TITLE, docker.check_engine),
    Check("toolkit.version", "NVIDIA Container Toolkit", toolkit.check_toolkit_version),
    Check("toolkit.runtime", "GPU runtime in Docker", toolkit.check_runtime, ("docker.engine",)),
    Check(
        "toolkit.envvar",
        "GPU selection by images",
        toolkit.check_visible_devices,
        ("docker.engine",),
    ),
    Check("runc", "runc", toolkit.check_runc),
    Check(
        "gpu.smoke",
        smoke.TITLE,
        smoke.check_smoke,
        ("driver", "docker.engine", "toolkit.version", "toolkit.runtime"),
    ),
    Check("system.os", "Operating system", system.check_os),
    Check("system.ram", "Memory (RAM)", system.check_ram),
    Check("system.disk", "Free disk for Docker", system.check_disk, ("docker.engine",)),
    Check("system.virt", "CPU virtualization", system.check_virtualization),
)

# Measured only when asked (``rigpilot doctor`` does; ``--no-network`` does not): they cost
# a few seconds of transfers against the measuring endpoint (desktop/checks/network.py).
NETWORK_CHECKS: tuple[Check, ...] = (
    Check("network.speed", network.SPEED_TITLE, network.check_speed),
    Check("network.needs", "Each network's minimum", network.check_needs),
    Check("network.nat", "Reachable from outside", network.check_nat),
    Check("network.port", "Ports", network.check_ports),
)

_BLOCKING = (CheckStatus.FAIL, CheckStatus.SKIP)
_SEVERITY = {CheckStatus.PASS: 0, CheckStatus.SKIP: 1, CheckStatus.WARN: 2, CheckStatus.FAIL: 3}


def _crashed(check: Check, exc: BaseException) -> CheckResult:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return CheckResult(
        check.id,
        check.title,
        CheckStatus.WARN,
        f"could not run this check: {clean(f'{type(exc).__name__}: {exc}', 200)}",
        "This is a RigPilot bug: please report it with the output of `rigpilot doctor --json`.",
        {"error": clean(repr(exc), 500), "traceback": raw_excerpt(text)},
    )


def _blocked_by(status: CheckStatus, title: str) -> str:
    return f"{title} failed" if status is CheckStatus.FAIL else f"{title} was skipped"


def _overall(results: Sequence[CheckResult]) -> CheckStatus:
    """The family status of a multi-result check: its worst result."""
    if not results:
        return CheckStatus.SKIP
    return max((r.status for r in results), key=_SEVERITY.__getitem__)


def plan(ctx: DoctorContext) -> tuple[Check, ...]:
    """The checks to run: the machine's, then the connection's when measuring is on."""
    return CHECKS + (NETWORK_CHECKS if ctx.network else ())


def run_checks(ctx: DoctorContext, checks: Sequence[Check] | None = None) -> list[CheckResult]:
    """Every check's results, in plan order. Never raises for a failing check."""
    checks = plan(ctx) if checks is None else checks
    results: list[CheckResult] = []
    status_of: dict[str, tuple[CheckStatus, str]] = {}
    ctx.start()
    try:
        for check in checks:
            blocked = [
                _blocked_by(*status_of[req])
                for req in check.requires
                if req in status_of and status_of[req][0] in _BLOCKING
            ]
            produced: list[CheckResult]
            if blocked:
                reason = "skipped because " + ", ".join(blocked)
                produced = [CheckResult(check.id, check.title, CheckStatus.SKIP, reason)]
            else:
                try:
                    outcome = check.run(ctx)
                    produced = [outcome] if isinstance(outcome, CheckResult) else list(outcome)
                except Exception as exc:  # noqa: BLE001 - a crash is reported, not raised
                    produced = [_crashed(check, exc)]
            for result in produced:
                ctx.results[result.id] = result
            status_of[check.id] = (_overall(produced), check.title)
            results.extend(produced)
    finally:
        ctx.close()
    return results


def is_ok(results: Sequence[CheckResult]) -> bool:
    """True when nothing failed (warnings and skips do not fail the doctor)."""
    return all(result.status is not CheckStatus.FAIL for result in results)


def report_json(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The stable ``--json`` document (documented in docs/doctor.md)."""
    return {
        "version": JSON_VERSION,
        "ok": is_ok(results),
        "checks": [result.to_json() for result in results],
    }


def run_doctor(env: Mapping[str, str] | None = None, **options: Any) -> list[CheckResult]:
    """Run the whole doctor with the real probes; ``options`` go to DoctorContext."""
    return run_checks(DoctorContext(env, **options))
