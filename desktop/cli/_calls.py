"""What the money and network commands share: the ``--days`` argument and one call to the
worker that prints the worker's (or the connection's) message on failure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from desktop.cli._args import ascii_int
from desktop.cli._rig import worker_client
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import IpcError

MAX_DAYS = 3660


def days_arg(text: str) -> int:
    value = ascii_int(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days")
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be between 1 and {MAX_DAYS}, not {value}")
    return value


T = TypeVar("T")


def call_worker(args: argparse.Namespace, action: Callable[[WorkerClient], T]) -> T | None:
    """Run one API exchange with the worker the command is about (``--rig``, or this
    computer's); print the worker's or the connection's message on failure."""
    try:
        with worker_client(args) as client:
            return action(client)
    except IpcError as exc:
        print(f"rigpilot: {exc.message}", file=sys.stderr)
        return None


