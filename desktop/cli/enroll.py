"""``rigpilot enroll NAME``: enroll this GPU with a network, through the worker.

``enroll`` never takes a secret from the command line, where the process list and the
shell history would keep it: secret fields are asked with a hidden prompt, or read from
``RIGPILOT_<NETWORK>_<FIELD>`` with ``--from-env`` (for scripts and headless rigs). An
enrollment that goes on in the background (pulling an image: the worker answers 202 with
an operation) is followed to its end, its progress printed as it comes.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from desktop import clock
from desktop.cli._args import network_id
from desktop.cli._calls import call_worker
from desktop.cli._credentials import collect_credentials, piped_secret
from desktop.cli._rig import add_rig_option
from desktop.cli.status import print_json
from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import IpcError
from desktop.ipc.schema import OperationState
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkChange,
    NetworkRef,
    OperationRef,
)
from desktop.views.listing import not_joinable
from desktop.views.states import network_words

ORDER = 31
OPERATION_POLL_S = 1.0
OPERATION_WAIT_S = 600.0


def register(subparsers: Any) -> None:
    enroll = subparsers.add_parser(
        "enroll",
        help="enroll this GPU with a network",
        description="Enroll with a network. Secret fields are asked with a hidden prompt "
        "(or read from RIGPILOT_<NETWORK>_<FIELD> with --from-env), never from arguments.",
    )
    enroll.add_argument(
        "network", metavar="NAME", type=network_id, help="network id, e.g. demo or nosana"
    )
    enroll.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-secret field, e.g. --field key_file=~/.nosana/nosana_key.json",
    )
    enroll.add_argument(
        "--from-env",
        action="store_true",
        help="read secret fields from RIGPILOT_<NETWORK>_<FIELD> environment variables",
    )
    enroll.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the network's secret field from standard input (a key piped in)",
    )
    enroll.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(enroll)
    enroll.set_defaults(handler=cmd_enroll)


def cmd_enroll(args: argparse.Namespace) -> int:
    network = args.network.strip().lower()
    listing = call_worker(args, lambda c: c.call(endpoints.NETWORKS))
    if listing is None:
        return 1
    known = {n.network: n for n in listing.networks}
    if network not in known:
        print(
            f"rigpilot: unknown network {network!r}; known: {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    record = known[network]
    reason = not_joinable(record.capabilities, record.requirements)
    if reason is not None:  # a listed-only network: no enrollment to try
        print(f"rigpilot: {reason.sentence(record.display_name)}", file=sys.stderr)
        return 2
    fields = record.credential_fields
    try:
        supplied = piped_secret(network, fields, args.secret_stdin, sys.stdin)
        creds = collect_credentials(
            network,
            fields,
            args.field,
            args.from_env,
            interactive=sys.stdin.isatty() and not args.json and not args.secret_stdin,
            supplied=supplied,
        )
    except ValueError as exc:
        print(f"rigpilot: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nrigpilot: enrollment cancelled", file=sys.stderr)
        return 130
    request = EnrollRequest(network=network, credentials=creds)
    answer = call_worker(args, lambda c: _follow(c, c.call(endpoints.ENROLL, request), args.json))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    words = network_words(
        answer.status.state, answer.status.enrolled, answer.status.held, None, clock.now()
    )
    print(f"{answer.status.display_name}: enrolled, {words.text.lower()}")
    action = answer.action_required
    if action is not None:
        print(f"\nNext step: {action.message}")
        if action.command:
            print(f"\n{action.command}\n")
        if action.url:
            print(f"More: {action.url}")
    return 0


def _follow(client: WorkerClient, change: NetworkChange, quiet: bool) -> NetworkChange:
    """Wait for an enrollment that goes on in the background, printing its progress."""
    operation = change.operation
    deadline = time.monotonic() + OPERATION_WAIT_S
    said = ""
    while operation is not None and operation.state is OperationState.RUNNING:
        if operation.message != said and not quiet:
            said = operation.message
            print(f"{change.status.display_name}: {said}", file=sys.stderr, flush=True)
        if time.monotonic() > deadline:
            raise IpcError(
                f"{change.status.display_name} is still enrolling after "
                f"{OPERATION_WAIT_S:.0f} s; `rigpilot networks` shows when it is done"
            )
        time.sleep(OPERATION_POLL_S)
        ref = OperationRef(id=operation.id)
        operation = client.call(endpoints.OPERATION, ref).operation
    if operation is not None and operation.state is OperationState.FAILED:
        raise IpcError(f"{change.status.display_name}: {operation.message}")
    if operation is change.operation:
        return change
    record = client.call(endpoints.NETWORK, NetworkRef(network=change.status.network)).network
    return NetworkChange(  # the network now, and how its long action ended
        status=record, action_required=change.action_required, operation=operation
    )


