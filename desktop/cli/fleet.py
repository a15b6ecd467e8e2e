"""``rigpilot metrics`` and ``rigpilot alerts``: the rig beyond this computer (docs/fleet.md).

``rigpilot metrics`` says whether the Prometheus exporter serves and where;
``rigpilot metrics token`` prints its bearer token (made on first use, kept in the
keyring) for Prometheus's ``credentials_file``. ``rigpilot alerts`` shows where alerts
go and the last ones sent; ``rigpilot alerts ntfy`` keeps the ntfy topic in the keyring
(asked for, or read from standard input with ``--stdin``: a topic is a password, so
never an argument); ``rigpilot alerts test`` sends a test to every destination now.

Exit codes: 0 done, 1 failed (the worker refused or could not), 3 the worker is not
running.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from typing import Any

from desktop import clock
from desktop.cli._rig import add_rig_option, worker_client
from desktop.cli.status import print_json
from desktop.ipc import endpoints
from desktop.ipc.client import WorkerNotRunning
from desktop.ipc.protocol import IpcError
from desktop.ipc.schema_fleet import (
    NTFY_TOPIC,
    AlertsAnswer,
    ExporterAnswer,
    TokenRequest,
    TopicRequest,
)
from desktop.views.text import duration, stamp

ORDER = 45
EXIT_FAILED, EXIT_NOT_RUNNING = 1, 3


def register(subparsers: Any) -> None:
    m = subparsers.add_parser(
        "metrics",
        help="the Prometheus exporter: where it serves, its bearer token",
        description="Show the Prometheus exporter's state. Turn it on with `rigpilot settings "
        "set metrics.listen 127.0.0.1:9835` (docs/fleet.md has the scrape configuration).",
    )
    m.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(m)
    m.set_defaults(handler=cmd_metrics)
    msub = m.add_subparsers(dest="metrics_command", metavar="ACTION")
    t = msub.add_parser(
        "token",
        help="print the bearer token Prometheus must send (made on first use)",
        description="Print the exporter's bearer token, kept in your keyring; made the first "
        "time. Put it in a file Prometheus reads (`rigpilot metrics token > rigpilot.token`) "
        "and name that file in the scrape job's `authorization: credentials_file`.",
    )
    t.add_argument("--rotate", action="store_true", help="replace it with a new token")
    t.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(t)
    t.set_defaults(handler=cmd_token)

    a = subparsers.add_parser(
        "alerts",
        help="alerts to your phone (ntfy) or a webhook: where they go, a test",
        description="Show where alerts go and the last ones sent. Alerts are sent on an "
        "emergency stop, a lost GPU, a network failing for a while, and the worker coming "
        "back after a crash.",
    )
    a.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(a)
    a.set_defaults(handler=cmd_alerts)
    asub = a.add_subparsers(dest="alerts_command", metavar="ACTION")
    n = asub.add_parser(
        "ntfy",
        help="keep the ntfy topic in your keyring (asked for; never an argument)",
        description="Keep the ntfy topic alerts are pushed to in your keyring. Subscribe to "
        "the same topic in the ntfy app; anyone who knows it can read the alerts, so pick "
        "one nobody can guess. The server is the setting alerts.ntfy_server.",
    )
    n.add_argument("--stdin", action="store_true", help="read the topic from standard input")
    n.add_argument("--forget", action="store_true", help="forget the topic (no more pushes)")
    n.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(n)
    n.set_defaults(handler=cmd_ntfy)
    t = asub.add_parser("test", help="send a test alert to every destination now")
    t.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(t)
    t.set_defaults(handler=cmd_test)


def _call(args: argparse.Namespace, action: Any) -> tuple[int, Any]:
    """One exchange with the worker; a failure becomes its sentence and an exit code."""
    try:
        with worker_client(args) as client:
            return 0, action(client)
    except IpcError as exc:
        code = EXIT_NOT_RUNNING if isinstance(exc, WorkerNotRunning) else EXIT_FAILED
        print(f"rigpilot: {exc.message}", file=sys.stderr)
        return code, None


def exporter_text(answer: ExporterAnswer, now: float) -> str:
    if answer.listen is None:
        return (
            "Prometheus metrics: off.\n"
            "Turn them on with: rigpilot settings set metrics.listen 127.0.0.1:9835"
        )
    lines = []
    if answer.url is not None:
        lines.append(f"Prometheus metrics: serving on {answer.url}")
        lines.append(
            "  bearer token: required (rigpilot metrics token)"
            if answer.token_required
            else "  bearer token: not needed on this computer's own address"
        )
        last = answer.last_scrape_ts
        seen = "none yet" if last is None else f"the last {duration(now - last)} ago"
        lines.append(f"  scrapes: {answer.scrapes} served ({seen}), {answer.refused} refused")
    else:
        lines.append(f"Prometheus metrics: NOT serving on {answer.listen}")
    if answer.problem:
        lines.append(f"  problem: {answer.problem}")
    return "\n".join(lines)


def alerts_text(answer: AlertsAnswer) -> str:
    lines = ["Alerts go to: " + ("; ".join(answer.destinations) or "nowhere yet")]
    if not answer.destinations:
        lines.append(
            "  Set one: rigpilot alerts ntfy (a topic for the ntfy app), or rigpilot settings "
            "set alerts.webhook_url https://..."
        )
    lines.append(
        f"  sent on: an emergency stop, a lost GPU, a network failing for "
        f"{answer.network_failing_min:g} min, a restart after a crash; the same alert again "
        f"after {answer.repeat_after_min:g} min at the earliest"
    )
    if answer.held_back:
        lines.append(f"  held back by the rate limit since the worker started: {answer.held_back}")
    for d in answer.recent:
        mark = "sent" if d.ok else "FAILED"
        tail = "" if d.ok else f": {d.detail}"
        lines.append(f"  {stamp(d.ts)}  {mark}  {d.title} -> {d.destination}{tail}")
    return "\n".join(lines)


def cmd_metrics(args: argparse.Namespace) -> int:
    code, answer = _call(args, lambda c: c.call(endpoints.EXPORTER))
    if answer is not None and args.json:
        print_json(answer)
    elif answer is not None:
        print(exporter_text(answer, clock.now()))
    return code


def cmd_token(args: argparse.Namespace) -> int:
    code, answer = _call(
        args, lambda c: c.call(endpoints.EXPORTER_TOKEN, TokenRequest(rotate=args.rotate))
    )
    if answer is None:
        return code
    if args.json:
        print_json(answer)
    else:
        print(answer.token)  # alone on stdout, so `> file` gives Prometheus its credentials
        if answer.new:
            print("rigpilot: a new token; Prometheus needs this one now", file=sys.stderr)
    return code


def cmd_ntfy(args: argparse.Namespace) -> int:
    topic: str | None = None
    if not args.forget:
        if args.stdin:
            topic = sys.stdin.readline().strip()
        elif sys.stdin.isatty():
            topic = getpass.getpass("ntfy topic (hidden; the same as in the ntfy app): ").strip()
        else:
            print("rigpilot: the topic is read from a terminal, or with --stdin", file=sys.stderr)
            return EXIT_FAILED
        if not topic:
            print("rigpilot: no topic given; nothing was changed", file=sys.stderr)
            return EXIT_FAILED
    if topic is not None and not re.match(NTFY_TOPIC, topic):
        print(
            "rigpilot: an ntfy topic is 1 to 64 letters, digits, '-' or '_' (pick one nobody "
            "can guess, such as rigpilot-7f3k9q2m); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    request = TopicRequest(topic=topic)
    code, answer = _call(args, lambda c: c.call(endpoints.SET_NTFY_TOPIC, request))
    if answer is not None:
        if args.json:
            print_json(answer)
        else:
            kept = "The ntfy topic is kept in your keyring. Try it: rigpilot alerts test"
            print("The ntfy topic is forgotten." if args.forget else kept)
    return code


def cmd_alerts(args: argparse.Namespace) -> int:
    code, answer = _call(args, lambda c: c.call(endpoints.ALERTS))
    if answer is not None and args.json:
        print_json(answer)
    elif answer is not None:
        print(alerts_text(answer))
    return code


def cmd_test(args: argparse.Namespace) -> int:
    code, answer = _call(args, lambda c: c.call(endpoints.TEST_ALERTS))
    if answer is None:
        return code
    if args.json:
        print_json(answer)
    else:
        for d in answer.deliveries:
            tail = "" if d.ok else f": {d.detail}"
            print(f"{'sent' if d.ok else 'FAILED'}: {d.destination}{tail}")
    return 0 if all(d.ok for d in answer.deliveries) else EXIT_FAILED
