"""``rigpilot job run|list|show|stop``: hand the worker a job spec the way a network would.

For a user or a network developer testing a spec or an image locally: ``run`` submits a
JSON spec (docs/jobs.md) to the worker's runner, in the same hardened container a network's
job gets. A refused spec prints its stable code and the sentence saying why, and exits 2;
``--wait`` follows the job to its end and exits 0 only if it succeeded. Every command has
``--json`` for scripts. All of it goes through the worker's local API (desktop.ipc.client).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from desktop import clock
from desktop.cli._args import job_id, number, whole_number
from desktop.cli._rig import add_rig_option, worker_client
from desktop.cli._status_format import duration_text
from desktop.cli._table import table
from desktop.ipc import endpoints
from desktop.ipc.client import ApiError, IpcError, WorkerClient
from desktop.ipc.codec import to_builtins
from desktop.ipc.endpoints import Endpoint
from desktop.ipc.schema import Answer
from desktop.ipc.schema_data import JobAnswer, JobRef, JobsQuery
from desktop.model import ExitReason, JobRecord, JobState
from desktop.views.money import paid

Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)

ORDER = 40
EXIT_REFUSED = 2
POLL_S = 1.0
IMAGE_MAX = 48  # a digest-pinned reference is ~110 characters: its start tells enough


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "job",
        help="run a job spec by hand, list jobs, show or stop one",
        description="Submit job specs to the worker (see docs/jobs.md) and follow them.",
    )
    commands = parser.add_subparsers(dest="job_command", metavar="ACTION", required=True)

    run = commands.add_parser("run", help="submit a job spec (a JSON file, or - for stdin)")
    run.add_argument("spec", help="path of the JSON job spec, or - to read it from stdin")
    run.add_argument("--wait", action="store_true", help="follow the job until it ends")
    run.add_argument(
        "--timeout",
        type=number(0, 10**7, "seconds", above_low=True),
        default=None,
        help="give up waiting after S s",
    )
    run.set_defaults(handler=cmd_run)

    lst = commands.add_parser("list", help="the jobs of this session, newest first")
    lst.add_argument("--state", choices=[s.value for s in JobState], help="only this state")
    lst.add_argument(
        "--limit", type=whole_number(1, 1000), default=50, help="at most N jobs (default 50)"
    )
    lst.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", help="one job, with the end of its output")
    show.add_argument("job_id", type=job_id)
    show.set_defaults(handler=cmd_show)

    stop = commands.add_parser("stop", help="stop a job (it earns nothing)")
    stop.add_argument("job_id", type=job_id)
    stop.set_defaults(handler=cmd_stop)

    for sub in (run, lst, show, stop):
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        add_rig_option(sub)


# --- commands ----------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    spec = _read_spec(args.spec)
    if isinstance(spec, str):
        return _fail(args, "invalid_spec_file", spec, EXIT_REFUSED)
    try:
        with worker_client(args) as client:
            answer = client.call(endpoints.SUBMIT_JOB, spec)
            record = answer.job
            if not args.wait:
                _print(args, answer, f"Job {record.job_id}: {_state_line(record)}")
                return 0 if record.state is not JobState.FAILED else 1
            if not args.json:
                print(f"Job {record.job_id}: {_state_line(record)}", flush=True)
            return _wait(args, client, record)
    except ApiError as exc:
        if exc.status == 422 or exc.code not in {"unauthorized", "unavailable", "internal"}:
            return _fail(args, exc.code, exc.message, EXIT_REFUSED)
        return _fail(args, exc.code, exc.message, 1)
    except IpcError as exc:
        return _fail(args, "worker_unavailable", exc.message, 1)


def _wait(args: argparse.Namespace, client: WorkerClient, record: JobRecord) -> int:
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    answer = JobAnswer(job=record)
    try:
        while not record.state.finished:
            if deadline is not None and time.monotonic() > deadline:
                message = f"Job {record.job_id} still runs; `rigpilot job stop {record.job_id}`"
                return _fail(args, "wait_timeout", message, 1)
            time.sleep(POLL_S)
            answer = client.call(endpoints.JOB, JobRef(job_id=record.job_id))
            record = answer.job
    except KeyboardInterrupt:
        print(f"\nStopped waiting; the job still runs (rigpilot job stop {record.job_id}).")
        return 130
    _print(args, answer, _details(record, answer.logs_tail))
    return 0 if record.state is JobState.SUCCEEDED else 1


def cmd_list(args: argparse.Namespace) -> int:
    state = None if args.state is None else JobState(args.state)
    query = JobsQuery(limit=max(1, min(1000, args.limit)), state=state)
    answer = _call(args, endpoints.JOBS, query)
    if answer is None:
        return 1
    records = answer.jobs
    if not records:
        _print(args, answer, "No jobs yet. Submit one with `rigpilot job run SPEC.json`.")
        return 0
    now = clock.now()
    rows = [
        [
            r.job_id,
            _state_cell(r),
            r.network,
            _when_short(r.started_ts, now),
            _ran(r, now),
            r.image,
        ]
        for r in records
    ]
    headers = ["JOB", "STATE", "NETWORK", "STARTED", "RAN", "IMAGE"]
    text = table(headers, rows, shrink=[5], right={4}, max_widths={5: IMAGE_MAX})
    _print(args, answer, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    answer = _call(args, endpoints.JOB, JobRef(job_id=args.job_id))
    if answer is None:
        return 1
    _print(args, answer, _details(answer.job, answer.logs_tail))
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    answer = _call(args, endpoints.STOP_JOB, JobRef(job_id=args.job_id))
    if answer is None:
        return 1
    record = answer.job
    _print(args, answer, f"Job {record.job_id}: {_state_line(record)}")
    return 0


# --- helpers -----------------------------------------------------------------------------


def _read_spec(source: str) -> dict[str, Any] | str:
    """The spec as a dict, or a sentence saying what is wrong with the file."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        return f"cannot read {source}: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return f"{source} is not a UTF-8 text file; a job spec is JSON text"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict):
        return f"{source} must hold one JSON object (see docs/jobs.md)"
    return data


def _call(args: argparse.Namespace, endpoint: Endpoint[Q, A], request: Q) -> A | None:
    try:
        with worker_client(args) as client:
            return client.call(endpoint, request)
    except ApiError as exc:
        _fail(args, exc.code, exc.message, 1)
    except IpcError as exc:
        _fail(args, "worker_unavailable", exc.message, 1)
    return None


def _fail(args: argparse.Namespace, code: str, message: str, exit_code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": code, "message": message}}))
    elif exit_code == EXIT_REFUSED and code != "invalid_spec_file":
        print(f"rigpilot job: refused ({code}): {message}", file=sys.stderr)
    else:
        print(f"rigpilot job: {message}", file=sys.stderr)
    return exit_code


def _print(args: argparse.Namespace, answer: Answer, text: str) -> None:
    if args.json:
        print(json.dumps(to_builtins(answer), indent=2))
    else:
        print(text)


def _state_line(record: JobRecord) -> str:
    line = record.state.value
    if record.exit_reason is not None:
        line += f" ({record.exit_reason.value}"
        line += f", exit code {record.exit_code})" if record.exit_code is not None else ")"
    return line + (f": {record.message}" if record.message else "")


def _details(record: JobRecord, logs_tail: str) -> str:
    lines = [
        f"Job      {record.job_id}",
        f"State    {_state_line(record)}",
        f"Network  {record.network}",
        f"Image    {record.image}",
        f"GPU      {record.gpu_uuid or 'none (CPU only)'}",
        f"Created  {_when(record.created_ts)}",
        f"Started  {_when(record.started_ts)}",
        f"Ended    {_when(record.ended_ts)}",
    ]
    if record.pay is not None:
        lines.append(f"Earned   {paid(record.pay)}")
    if logs_tail:
        lines += ["", "Output (end):", logs_tail.rstrip("\n")]
    return "\n".join(lines)


def _state_cell(record: JobRecord) -> str:
    """``succeeded``, ``failed (exit 3)``, ``stopped (user)``: the state and why it ended."""
    reason = record.exit_reason
    if reason is None or (reason is ExitReason.EXITED and record.state is JobState.SUCCEEDED):
        return record.state.value
    if reason is ExitReason.EXITED and record.exit_code is not None:
        return f"{record.state.value} (exit {record.exit_code})"
    return f"{record.state.value} ({reason.value})"


def _ran(record: JobRecord, now: float) -> str:
    """How long the job ran (so far, while it runs)."""
    if record.started_ts is None:
        return "-"
    end = record.ended_ts if record.ended_ts is not None else now
    return duration_text(end - record.started_ts)


def _when_short(ts: float | None, now: float) -> str:
    """``14:05:09`` today, ``Nov 21 14:05`` before: a list needs no full date per row."""
    if ts is None:
        return "-"
    moment = datetime.fromtimestamp(ts)
    if moment.date() == datetime.fromtimestamp(now).date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%b %d %H:%M")


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
