"""Run the setup doctor in a child process and read its ``--json`` report.

Why a child process: the desktop app may not import ``desktop.checks`` (the GUI reaches
the machine only through the worker or the CLI), and a doctor run probes Docker and the
driver for up to a minute: in a child it can neither block nor crash the app. The JSON
shape is the stable one of ``rigpilot doctor --json`` (docs/doctor.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

from desktop.model import CheckResult
from desktop.wizard.port import PortError

DOCTOR_TIMEOUT_S = 180.0


def doctor_command(smoke: bool = False) -> list[str]:
    """The argv of ``rigpilot doctor --json`` for this very installation."""
    base = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "desktop"]
    return [*base, "doctor", "--json", *([] if smoke else ["--no-smoke"])]


def parse_report(text: str) -> list[CheckResult]:
    """The checks of a doctor JSON report; PortError when it is not one."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise PortError("the setup checks printed something that is not JSON") from None
    checks = doc.get("checks") if isinstance(doc, dict) else None
    if not isinstance(checks, list):
        raise PortError("the setup checks' report has no list of checks")
    results = []
    for item in checks:
        try:
            results.append(CheckResult.from_json(item))
        except (KeyError, TypeError, ValueError):
            continue  # one odd entry must not hide the others
    return results


def run_doctor(
    smoke: bool = False,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = DOCTOR_TIMEOUT_S,
    command: list[str] | None = None,
) -> list[CheckResult]:
    """Run the doctor (blocking: call it off the GUI thread) and return its results."""
    argv = command or doctor_command(smoke)
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            env=child_env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PortError(
            f"the setup checks did not finish within {timeout:g} s; run `rigpilot doctor` "
            "in a terminal to see which one hangs"
        ) from None
    except OSError as exc:
        raise PortError(f"the setup checks could not start: {exc.strerror or exc}") from None
    out = done.stdout.decode("utf-8", "replace")
    if done.returncode not in (0, 1) or not out.strip():
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        last = err[-1] if err else f"exit code {done.returncode}"
        raise PortError(f"the setup checks failed to run ({last[:300]})")
    return parse_report(out)
