"""``rigpilot doctor [--json]``: what this machine lacks to become a compute node.

Runs locally (no worker needed: the doctor is what people run before there is one).
The table is for people: status word *and* symbol (so it reads without colour and in a
screen reader), the fix indented under every failure and warning. ``--json`` is for
scripts and bug reports; its shape is stable and documented in docs/doctor.md. The exit
code is 0 when nothing failed, 1 otherwise, so ``rigpilot doctor && …`` works in scripts.

The connection is measured too (``--no-network`` skips it), against the server of the
setting ``network.speed_test_url`` (read from the settings file, never written; or
``--speed-url``), and judged against every registered network's minimum: the CLI reads
them from the network modules (desktop/networks/link.py), as the checks may not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from desktop.checks.link_probe import DEFAULT_URL
from desktop.checks.runner import is_ok, report_json, run_doctor
from desktop.model import CheckResult, CheckStatus
from desktop.paths import get_paths

log = logging.getLogger(__name__)
SPEED_SETTING = "network.speed_test_url"

ORDER = 10
DEFAULT_SMOKE_IMAGE = "ubuntu:24.04"

_SYMBOLS = {
    CheckStatus.PASS: ("✔", "+"),
    CheckStatus.WARN: ("⚠", "!"),
    CheckStatus.FAIL: ("✘", "x"),
    CheckStatus.SKIP: ("–", "-"),
}
_COLOURS = {
    CheckStatus.PASS: "\x1b[32m",
    CheckStatus.WARN: "\x1b[33m",
    CheckStatus.FAIL: "\x1b[31m",
    CheckStatus.SKIP: "\x1b[2m",
}
_RESET = "\x1b[0m"
_TITLE_WIDTH = 26
_STATUS_WIDTH = 7  # "✔ PASS " and friends


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the driver, CUDA, Docker, the NVIDIA container toolkit and the system",
        description=(
            "Check what this machine needs to become a compute node: the NVIDIA driver, "
            "CUDA, Docker, the NVIDIA Container Toolkit (with its security fixes), a GPU "
            "container, RAM and disk. Exit code 0 when nothing fails, 1 otherwise."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--no-smoke",
        action="store_true",
        help="skip the GPU container test (it may pull a small image)",
    )
    parser.add_argument(
        "--smoke-image",
        default=DEFAULT_SMOKE_IMAGE,
        metavar="IMAGE",
        help=f"image for the GPU container test (default: {DEFAULT_SMOKE_IMAGE})",
    )
    parser.add_argument(
        "--no-network",
        action="store_true",
        help="skip measuring the internet connection (speed, NAT, ports)",
    )
    parser.add_argument(
        "--speed-url",
        metavar="URL",
        help=f"speed-test server to measure against (default: the {SPEED_SETTING} setting)",
    )
    parser.add_argument(
        "--port",
        action="append",
        type=_port,
        default=[],
        metavar="N",
        help="also test whether TCP port N is reachable from the internet (repeatable)",
    )
    parser.set_defaults(handler=run)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (a number from 1 to 65535)")
    return int(text)


def speed_url(given: str | None) -> str:
    """``--speed-url``, else the setting from the settings file (read only), else the
    default; a bad value is refused with the field's own sentence. Without its trailing
    "/": the probe appends its own paths."""
    from desktop.settings.errors import SettingsError
    from desktop.settings.schema import FIELDS
    from desktop.settings.store import from_json

    field = FIELDS[SPEED_SETTING]
    if given is not None:
        try:
            return str(field.check(given)).rstrip("/")
        except SettingsError as exc:
            raise SystemExit(f"rigpilot doctor: --speed-url: {exc.message}") from None
    try:
        path = get_paths().settings_file
        settings, _ = from_json(json.loads(path.read_text(encoding="utf-8")))
        return str(settings[SPEED_SETTING]).rstrip("/")
    except (OSError, ValueError) as exc:
        log.debug("settings not read for the doctor: %s", exc)
        return DEFAULT_URL


def network_options(args: argparse.Namespace) -> dict[str, Any]:
    """What the doctor's network checks need: the endpoint, every network's minimum, ports."""
    if args.no_network:
        return {}
    from desktop.networks.link import link_needs  # the CLI may read the network layer

    return {
        "network": True,
        "speed_url": speed_url(args.speed_url),
        "link_needs": link_needs(),
        "ports": args.port,
    }


def _supports_unicode(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(symbol for symbol, _ in _SYMBOLS.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _counts(results: Sequence[CheckResult]) -> str:
    parts = []
    for status, word in (
        (CheckStatus.FAIL, "failed"),
        (CheckStatus.WARN, "warning"),
        (CheckStatus.PASS, "passed"),
        (CheckStatus.SKIP, "skipped"),
    ):
        count = sum(1 for r in results if r.status is status)
        if count:
            plural = "s" if status is CheckStatus.WARN and count != 1 else ""
            parts.append(f"{count} {word}{plural}")
    return ", ".join(parts)


def render_table(
    results: Sequence[CheckResult], *, width: int = 100, colour: bool = False, unicode: bool = True
) -> str:
    """The human report: one row per check, the fix indented under failures and warnings."""
    width = max(width, 60)
    indent = " " * (2 + _STATUS_WIDTH + 1 + _TITLE_WIDTH + 1)
    lines = ["RigPilot doctor", ""]
    for result in results:
        symbol = _SYMBOLS[result.status][0 if unicode else 1]
        status = f"{symbol} {result.status.value.upper()}".ljust(_STATUS_WIDTH)
        if colour:
            status = f"{_COLOURS[result.status]}{status}{_RESET}"
        title = result.title[:_TITLE_WIDTH].ljust(_TITLE_WIDTH)
        summary = textwrap.wrap(
            result.summary, width - len(indent), break_on_hyphens=False, break_long_words=False
        ) or [""]
        lines.append(f"  {status} {title} {summary[0]}")
        lines.extend(indent + more for more in summary[1:])
        if result.fix and result.status in (CheckStatus.FAIL, CheckStatus.WARN):
            lines.extend(
                textwrap.wrap(
                    result.fix,
                    width,
                    initial_indent=indent + "fix: ",
                    subsequent_indent=indent + "     ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
    lines.append("")
    if is_ok(results):
        lines.append(f"Nothing failed ({_counts(results)}).")
    else:
        lines.append(f"Not ready yet: {_counts(results)}. Fix the failures above and run again.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The ``doctor`` handler: run the checks, print, exit 0 when nothing failed."""
    results = run_doctor(
        smoke=not args.no_smoke, smoke_image=args.smoke_image, **network_options(args)
    )
    out = sys.stdout
    if args.json:
        json.dump(report_json(results), out, indent=2, default=str)
        out.write("\n")
    else:
        width = shutil.get_terminal_size((100, 24)).columns if out.isatty() else 100
        text = render_table(
            results, width=width, colour=_wants_colour(out), unicode=_supports_unicode(out)
        )
        out.write(text + "\n")
    out.flush()
    return 0 if is_ok(results) else 1
