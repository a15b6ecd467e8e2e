"""``rigpilot worker [--demo] [--simulate P] [--sim-speed N] [--foreground|--detach]``,
``rigpilot worker stop`` and ``rigpilot worker paths``.

Without ``--detach`` the worker runs in this process (a service manager or a terminal
keeps it); ``--detach`` starts it in the background, waits until its API answers and
prints its pid. ``stop`` asks it to shut down gracefully and waits until it is gone.
``paths`` says where this installation's worker listens and whether it runs: what a client
on another computer asks over SSH (desktop/ipc/ssh_command.py) before forwarding the socket.
What only ``stop``, ``--detach`` and ``paths`` use (the API client, the status printer) is
imported inside them: the worker itself runs in this process, all day, without them.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import TYPE_CHECKING, Any

from desktop.cli._args import ascii_float
from desktop.cli._rig import add_rig_option, chosen_rig

if TYPE_CHECKING:
    from desktop.ipc.client import WorkerClient

ORDER = 90
STOP_TIMEOUT_S = 15.0
DETACH_TIMEOUT_S = 30.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "worker",
        help="run RigPilot's background worker, or stop it",
        description="Run RigPilot's worker: the background service that watches the GPUs "
        "and runs the work. `rigpilot worker stop` stops a running worker.",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["stop", "paths"],
        help="stop: stop the running worker; paths: where it listens and whether it runs",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="a simulated warm GPU and the practice network (no GPU needed)",
    )
    p.add_argument(
        "--simulate",
        metavar="PROFILES",
        type=_profiles,
        help="simulated GPUs instead of real ones, e.g. warm or warm,hot",
    )
    p.add_argument(
        "--sim-speed",
        metavar="N",
        type=_speed,
        default=None,
        help="run simulated time N times faster",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--foreground", action="store_true", help="stay in this terminal and print the log here too"
    )
    mode.add_argument(
        "--detach", action="store_true", help="start in the background and return once it answers"
    )
    # Internal: the demo app starts its worker so; the worker stops when its stdin ends.
    p.add_argument("--lifeline", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument(
        "--with-token",
        action="store_true",
        help="with `paths --json`: include the API token (a secret; for `--rig` over SSH)",
    )
    add_rig_option(p)
    p.set_defaults(handler=cmd_worker)


def _profiles(text: str) -> str:
    from desktop.hardware.sim_profiles import parse_profiles

    try:
        return ",".join(parse_profiles(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _speed(text: str) -> float:
    value = ascii_float(text) or 0.0
    if not 0 < value <= 10000:
        raise argparse.ArgumentTypeError(f"the speed must be a number above 0 (got {text!r})")
    return value


def cmd_worker(args: argparse.Namespace) -> int:
    if args.action == "stop":
        return cmd_stop(args)
    rig = chosen_rig(args)
    if rig is not None:
        print(
            f"rigpilot worker: a rig's worker runs on the rig; start it there with "
            f"`ssh {rig.destination} rigpilot worker --detach` (`--rig` works with "
            "`worker stop`)",
            file=sys.stderr,
        )
        return 2
    if args.action == "paths":
        return cmd_paths(args)
    if args.sim_speed is not None and not (args.simulate or args.demo):
        print("rigpilot worker: --sim-speed needs --simulate or --demo", file=sys.stderr)
        return 2
    if args.detach:
        return cmd_detach(args)
    # No cyclic garbage collection while the worker starts: what its imports and wiring
    # make (modules, classes, functions) lives on, and collections over it were 8 % of its
    # start-up instructions (issue 18). The worker turns it back on once ready
    # (desktop/worker/main.py freezes what the start made); this is the backstop.
    gc.disable()
    try:
        from desktop.worker.main import WorkerOptions, run_worker

        options = WorkerOptions(
            demo=args.demo,
            simulate=args.simulate,
            sim_speed=args.sim_speed or 1.0,
            foreground=args.foreground,
            lifeline=args.lifeline,
        )
        return run_worker(options)
    finally:
        gc.enable()


def worker_args(args: argparse.Namespace) -> list[str]:
    """The options to pass on to the background worker."""
    argv: list[str] = []
    if args.demo:
        argv.append("--demo")
    if args.simulate:
        argv += ["--simulate", args.simulate]
    if args.sim_speed is not None:
        argv += ["--sim-speed", f"{args.sim_speed:g}"]
    return argv


def cmd_detach(args: argparse.Namespace) -> int:
    from desktop.cli.status import with_client
    from desktop.ipc.client import WorkerNotRunning
    from desktop.ipc.launch import spawn_worker, wait_until_ready
    from desktop.logs import log_file

    def run(client: WorkerClient) -> int:
        try:
            status = client.status()
        except WorkerNotRunning:
            pass
        else:
            return _report(
                args,
                1,
                f"RigPilot's worker is already running (pid {status.pid})",
                running=True,
                pid=status.pid,
            )
        process = spawn_worker(worker_args(args), client.paths)
        # 30 s: a cold first start on Windows (the antivirus scanning each new DLL) or under
        # Wine takes well over 10.
        status = wait_until_ready(client, timeout=DETACH_TIMEOUT_S, exited=process.poll)
        message = (
            f"RigPilot's worker started in the background (pid {status.pid}, "
            f"{status.mode}); its log: {log_file('worker', client.paths)}"
        )
        return _report(args, 0, message, running=True, pid=status.pid)

    return with_client(args, run)


def cmd_stop(args: argparse.Namespace) -> int:
    from desktop.cli.status import EXIT_NOT_RUNNING, with_client
    from desktop.ipc import endpoints
    from desktop.ipc.client import WorkerNotRunning

    def run(client: WorkerClient) -> int:
        try:
            pid = client.status().pid
        except WorkerNotRunning:
            return _report(args, 0, "RigPilot's worker is not running", running=False)
        client.call(endpoints.SHUTDOWN)
        if not _wait_gone(pid, STOP_TIMEOUT_S):
            return _report(
                args,
                1,
                f"RigPilot's worker (pid {pid}) is still stopping after "
                f"{STOP_TIMEOUT_S:g} s; `rigpilot logs` shows why",
                running=True,
                pid=pid,
            )
        return _report(args, 0, f"RigPilot's worker stopped (pid {pid})", running=False, pid=pid)

    code = with_client(args, run)
    return 0 if code == EXIT_NOT_RUNNING else code


def cmd_paths(args: argparse.Namespace) -> int:
    """Where this installation's worker listens, whether it runs, and (``--json
    --with-token``) its token: one JSON line, read by ``rigpilot --rig`` over SSH."""
    from desktop import __version__
    from desktop.ipc.auth import TokenError, read_token
    from desktop.ipc.client import IpcError, WorkerClient
    from desktop.ipc.rig_address import RigInfo, encode_info
    from desktop.ipc.schema import PROTOCOL_VERSION
    from desktop.paths import get_paths

    if args.with_token and not args.json:
        print("rigpilot worker paths: --with-token needs --json", file=sys.stderr)
        return 2
    paths = get_paths()
    pid: int | None = None
    with WorkerClient(paths) as client:
        try:
            pid = client.status().pid
        except IpcError:
            pid = None
    token = None
    if args.with_token and pid is not None:
        try:
            token = read_token(paths.token_file)
        except (OSError, TokenError):
            token = None
    info = RigInfo(
        version=__version__,
        protocol=PROTOCOL_VERSION,
        socket="" if sys.platform == "win32" else str(paths.socket_file),
        token_file=str(paths.token_file),
        running=pid is not None,
        pid=pid,
        token=token,
    )
    if args.json:
        print(encode_info(info).decode("utf-8"), flush=True)
        return 0
    state = f"running (pid {pid})" if pid is not None else "not running"
    print(f"worker: {state}")
    print(f"socket: {info.socket or '(a loopback port)'}")
    print(f"token:  {info.token_file}")
    return 0


def _wait_gone(pid: int, timeout: float) -> bool:
    from desktop.ipc.launch import wait_gone

    return wait_gone(pid, timeout)


def _report(args: argparse.Namespace, code: int, message: str, **fields: Any) -> int:
    from desktop.cli.status import print_json

    if args.json:
        print_json({"message": message, **fields})
    elif code:
        print(f"rigpilot: {message}", file=sys.stderr)
    else:
        print(message)
    return code
