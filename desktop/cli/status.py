"""``rigpilot status|pause|resume|events|logs``: the worker seen from a terminal.

Each command is one or two typed API calls through ``desktop.ipc.client`` and a readable
print-out; ``--json`` prints the API's own answer for scripts. Exit codes: 0 done,
1 refused or failed, 3 the worker is not running (like ``systemctl status``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop import clock
from desktop.cli import _status_format as fmt
from desktop.cli._args import ascii_int, network_id
from desktop.cli._rig import add_rig_option, chosen_rig, worker_client
from desktop.views import text as words
from desktop.views.text import MORNING_HOUR, until_tomorrow

if TYPE_CHECKING:
    from desktop.ipc.client import WorkerClient

ORDER = 20
EXIT_NOT_RUNNING = 3
FOLLOW_WAIT_S = 20.0
log = logging.getLogger("desktop.cli")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "status",
        help="show the worker, the GPUs and what is paused",
        description="Show RigPilot's worker: its GPUs (temperature, power, load), pauses, "
        "networks and jobs.",
    )
    _json_flag(p)
    p.set_defaults(handler=cmd_status)

    p = subparsers.add_parser(
        "pause",
        help="pause work: all, one GPU or one network",
        description="Pause RigPilot's work until you resume it, for a while, or until "
        "tomorrow morning.",
    )
    _target_flags(p)
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        type=_duration,
        help="pause for a while, e.g. 30m, 1h, 1h30m, 2d",
    )
    when.add_argument(
        "--until-tomorrow",
        action="store_true",
        help=f"pause until {MORNING_HOUR}:00 tomorrow morning",
    )
    p.add_argument("--reason", default="", help="a note shown in status (e.g. gaming)")
    _json_flag(p)
    p.set_defaults(handler=cmd_pause)

    p = subparsers.add_parser(
        "resume",
        help="resume paused work",
        description="Resume work paused with `rigpilot pause` (all of it by default).",
    )
    _target_flags(p)
    _json_flag(p)
    p.set_defaults(handler=cmd_resume)

    p = subparsers.add_parser(
        "events",
        help="show what the worker did (pauses, sensors, jobs)",
        description="Show the worker's recent events; --follow keeps printing new ones.",
    )
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    p.add_argument("--limit", type=_positive, default=20, help="how many recent events (20)")
    _json_flag(p)
    p.set_defaults(handler=cmd_events)

    p = subparsers.add_parser(
        "logs",
        help="show the end of the worker's log",
        description="Show the end of the worker's log (read from the file when the worker "
        "is not running).",
    )
    p.add_argument("--tail", type=_positive, default=50, metavar="N", help="lines (50)")
    _json_flag(p)
    p.set_defaults(handler=cmd_logs)


def _json_flag(p: argparse.ArgumentParser) -> None:
    """``--json``, and ``--rig``: every command here talks to a worker."""
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_rig_option(p)


def _target_flags(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group()
    target.add_argument("--gpu", type=_index, metavar="N", help="only GPU N (0, 1, ...)")
    target.add_argument(
        "--network", metavar="ID", type=network_id, help="only one network (e.g. nosana)"
    )


def _positive(text: str) -> int:
    value = ascii_int(text)
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _duration(text: str) -> float:
    try:
        return fmt.parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _index(text: str) -> int:
    value = ascii_int(text)
    if value is None or not 0 <= value <= 63:
        raise argparse.ArgumentTypeError(f"expected a GPU index such as 0 or 1, got {text!r}")
    return value


# --- running a command against the worker -----------------------------------------------


def with_client(args: argparse.Namespace, action: Callable[[WorkerClient], int]) -> int:
    """Run ``action(client)``, turning every client error into a message and exit code."""
    from desktop.ipc.client import ApiError, IpcError, WorkerNotRunning

    _cli_logging()
    client = worker_client(args)
    try:
        return action(client)
    except IpcError as exc:
        if isinstance(exc, WorkerNotRunning):
            code, exit_code = "not_running", EXIT_NOT_RUNNING
        elif isinstance(exc, ApiError):
            code, exit_code = exc.code, 1
        else:
            code, exit_code = type(exc).__name__, 1
        log.info("%s: %s", code, exc.message)
        if getattr(args, "json", False):
            error: dict[str, Any] = {"code": code, "message": exc.message}
            if isinstance(exc, ApiError) and exc.field:
                error.update(field=exc.field, allowed=exc.allowed)
            print_json({"error": error})
        else:
            print(f"rigpilot: {exc.message}", file=sys.stderr)
        return exit_code
    finally:
        client.close()


def _cli_logging() -> None:
    try:
        from desktop.logs import setup_logging

        setup_logging("cli", level=logging.INFO)
    except OSError:  # a read-only home must not stop a status query
        pass


def print_json(data: Any) -> None:
    """Print any answer (a typed one as its wire JSON) for scripts."""
    from desktop.ipc.codec import to_builtins

    print(json.dumps(to_builtins(data), indent=2, ensure_ascii=False))


# --- the commands -----------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    def run(client: WorkerClient) -> int:
        status = client.status()
        if args.json:
            print_json(status)
        else:
            rig = chosen_rig(args)
            if rig is not None:
                print(f"Rig {rig} (over SSH)")
            print(fmt.status_text(status, clock.now()))
        return 0

    return with_client(args, run)


def cmd_pause(args: argparse.Namespace) -> int:
    from desktop.ipc import endpoints
    from desktop.ipc.schema import PauseRequest

    now = clock.now()
    until: float | None = None
    if args.duration is not None:
        until = now + args.duration
    elif args.until_tomorrow:
        until = until_tomorrow(now)

    def run(client: WorkerClient) -> int:
        answer = client.call(
            endpoints.PAUSE,
            PauseRequest(
                scope=_scope(args), gpu=args.gpu, network=args.network, until_ts=until,
                reason=args.reason,
            ),
        )  # fmt: skip
        if args.json:
            print_json(answer)
        else:
            target = fmt.target_text(args.gpu, args.network)
            when = f" until {words.clock(until, now)}" if until else " until you resume it"
            print(f"Paused {target}{when}.")
        return 0

    return with_client(args, run)


def cmd_resume(args: argparse.Namespace) -> int:
    from desktop.ipc import endpoints
    from desktop.ipc.schema import ResumeRequest

    def run(client: WorkerClient) -> int:
        request = ResumeRequest(scope=_scope(args), gpu=args.gpu, network=args.network)
        answer = client.call(endpoints.RESUME, request)
        if args.json:
            print_json(answer)
        else:
            print(f"Resumed {fmt.target_text(args.gpu, args.network)}.")
            still = fmt.holds_text(answer.user_holds, clock.now())
            if still != "no":
                print(f"Still paused: {still}")
        return 0

    return with_client(args, run)


def _scope(args: argparse.Namespace) -> Any:
    from desktop.ipc.schema import PauseScope

    if args.gpu is not None:
        return PauseScope.GPU
    return PauseScope.NETWORK if args.network is not None else PauseScope.ALL


def cmd_events(args: argparse.Namespace) -> int:
    from desktop.ipc import endpoints
    from desktop.ipc.codec import to_builtins
    from desktop.ipc.schema_data import EventsQuery
    from desktop.model import Event

    def show(events: list[Event]) -> None:
        for event in events:
            if args.json:
                print(json.dumps(to_builtins(event), ensure_ascii=False), flush=True)
            else:
                print(fmt.event_line(event), flush=True)

    def run(client: WorkerClient) -> int:
        from desktop.ipc.client import WorkerNotRunning

        try:
            head = client.call(endpoints.EVENTS, EventsQuery(since=0, limit=1))
        except WorkerNotRunning:
            if chosen_rig(args) is not None:
                raise  # a rig's ledger is on the rig
            return _recorded_events(args, client, show)
        since = max(0, head.last_seq - args.limit)
        answer = client.call(endpoints.EVENTS, EventsQuery(since=since, limit=args.limit))
        show(answer.events)
        if not args.follow:
            return 0
        since = answer.last_seq
        while True:
            started = time.monotonic()
            answer = client.call(endpoints.EVENTS, EventsQuery(since=since, wait=FOLLOW_WAIT_S))
            show(answer.events)
            if answer.last_seq < since:  # the worker restarted: seq starts again
                since = 0
            since = max(since, max((e.seq for e in answer.events), default=since))
            if not answer.events and time.monotonic() - started < 1.0:
                time.sleep(0.5)  # the worker is stopping; do not spin until it is gone

    return with_client(args, run)


def _recorded_events(
    args: argparse.Namespace, client: WorkerClient, show: Callable[[list[Any]], None]
) -> int:
    """The worker is stopped: what its ledger recorded, after saying so (on stderr, so
    that ``--json`` output stays JSON lines)."""
    from desktop.cli.offline import START_IT, recorded_events

    events = recorded_events(client.paths, args.limit)
    if events is None or args.follow:
        print(f"rigpilot: RigPilot's worker is not running; {START_IT}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    print(
        f"rigpilot: RigPilot's worker is not running ({START_IT}); the last events it recorded:",
        file=sys.stderr,
    )
    show(events)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    from desktop.ipc import endpoints
    from desktop.ipc.client import WorkerNotRunning
    from desktop.ipc.schema_data import LogsQuery

    def run(client: WorkerClient) -> int:
        try:
            lines = client.call(endpoints.LOGS, LogsQuery(tail=args.tail)).lines
            source = "worker"
        except WorkerNotRunning:
            if chosen_rig(args) is not None:
                raise  # the log file is on the rig, not here
            from desktop.logs import log_file, tail_lines

            path = log_file("worker")
            lines = tail_lines(path, args.tail)
            source = str(path)
            if not args.json:
                print(f"(the worker is not running; the end of {path})", file=sys.stderr)
        if args.json:
            print_json({"lines": lines, "source": source})
        else:
            for line in lines:
                print(line)
        return 0

    return with_client(args, run)
