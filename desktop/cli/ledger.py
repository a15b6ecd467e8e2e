"""``rigpilot ledger [check]`` and ``rigpilot ledger restore``: the ledger file, its backups,
and bringing a backup back after damage.

Why a command of its own: when the worker finds its ledger damaged it refuses to write and
names this command; restoring must be one step a user can type, must never delete the
damaged file (it is moved aside under a dated name, with its -wal and -shm), and must not
run under a live worker (it takes the worker's own lock, so the two can never overlap).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from desktop import clock
from desktop.paths import get_paths

ORDER = 85


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ledger",
        help="check the ledger (earnings, jobs, events) and restore it from a backup",
        description="The ledger is the file of RigPilot's earnings, jobs and events. The "
        "worker checks it at every start and backs it up once a day; `rigpilot ledger` "
        "checks it and lists the backups, `rigpilot ledger restore` brings the newest "
        "backup back (stop the worker first).",
    )
    commands = parser.add_subparsers(dest="ledger_command", metavar="ACTION")
    check = commands.add_parser("check", help="check the file and list the backups (default)")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    restore = commands.add_parser(
        "restore",
        help="put the newest backup (or --from FILE) in place of the ledger",
        description="Put a backup in place of the ledger. The current file is kept aside "
        "as ledger.sqlite.damaged-<date>, never deleted. The worker must be stopped.",
    )
    source = restore.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", metavar="FILE", help="restore this backup")
    source.add_argument(
        "--empty", action="store_true", help="keep the current file aside and start empty"
    )
    restore.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=cmd_ledger)


def cmd_ledger(args: argparse.Namespace) -> int:
    if getattr(args, "ledger_command", None) == "restore":
        return cmd_restore(args)
    return cmd_check(args)


def cmd_check(args: argparse.Namespace) -> int:
    """Report the file's quick_check, its rows and the backups (read-only; the worker may
    be running)."""
    import sqlite3

    from desktop.ledger.backup import count_rows, list_backups
    from desktop.ledger.opening import file_problem

    path = get_paths().ledger_file
    report: dict[str, Any] = {"ledger": str(path), "exists": path.exists()}
    if path.exists():
        report["bytes"] = path.stat().st_size
        report["check"] = file_problem(path) or "ok"
        if report["check"] == "ok":
            try:
                report["rows"] = count_rows(path)
            except sqlite3.Error as exc:
                report["check"] = str(exc)
    report["backups"] = [
        {"file": str(b), "bytes": b.stat().st_size, "made": b.stat().st_mtime}
        for b in list_backups(path)
    ]
    sound = report.get("check") == "ok"
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if sound else 1
    print(f"Ledger: {path}" + ("" if path.exists() else " (not made yet)"))
    if path.exists():
        print(f"Check: {report.get('check')}" + ("" if sound else "  (damaged)"))
        if "rows" in report:
            print("Rows: " + ", ".join(f"{n} {t}" for t, n in report["rows"].items()))
    if report["backups"]:
        print("Backups (newest first):")
        for backup in report["backups"]:
            made = time.strftime("%Y-%m-%d %H:%M", time.localtime(backup["made"]))
            print(f"  {backup['file']}  {made}  {backup['bytes'] // 1024} KiB")
    else:
        print("Backups: none yet (the worker makes one a day)")
    if path.exists() and not sound:
        print("\nStop the worker (`rigpilot worker stop`) and run `rigpilot ledger restore`.")
    return 0 if sound or not path.exists() else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from desktop.ledger import LedgerError
    from desktop.ledger.backup import restore
    from desktop.worker.lock import AlreadyRunning, WorkerLock

    paths = get_paths().ensure()
    lock = WorkerLock(paths.lock_file)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        return _fail(args, "worker_running", f"{exc}; stop it first: rigpilot worker stop")
    try:
        source = Path(args.source).expanduser().resolve() if args.source else None
        if source is not None and not source.is_file():
            return _fail(args, "not_found", f"there is no backup file {source}")
        done = restore(paths.ledger_file, source, clock.now(), empty=args.empty)
    except LedgerError as exc:
        return _fail(args, "restore_failed", str(exc))
    except OSError as exc:
        return _fail(args, "restore_failed", f"could not restore the ledger: {exc}")
    finally:
        lock.release()
    if args.json:
        print(json.dumps({
            "ledger": str(done.ledger),
            "restored_from": None if done.source is None else str(done.source),
            "kept_aside": [str(p) for p in done.kept_aside],
            "rows": done.rows,
        }, indent=2))  # fmt: skip
        return 0
    if done.kept_aside:
        print(f"The previous ledger was kept as {done.kept_aside[0]}.")
    if done.source is None:
        print(f"{done.ledger} will be made afresh, empty, when the worker starts.")
    else:
        rows = ", ".join(f"{n} {t}" for t, n in done.rows.items())
        print(f"Restored {done.ledger} from {done.source} ({rows}).")
    print("Start the worker again: rigpilot worker --detach (or open the app).")
    return 0


def _fail(args: argparse.Namespace, code: str, message: str) -> int:
    if args.json:
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        print(f"rigpilot ledger: {message}", file=sys.stderr)
    return 1
